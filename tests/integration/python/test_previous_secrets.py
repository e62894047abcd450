"""The previous-secrets separator rule (pylon_idv._web.previous_secrets), in Django, Flask and
Jinja: commas separate the entries; whitespace around an entry is trimmed (by the core); empty
entries are skipped (and not numbered); an entry with whitespace inside is an error that names
it (``previous secret #1``): E003 in ``manage.py check``, a ConfigError at start-up in Flask
and Jinja, never two valid secrets. Run by nox -s integrations."""
import hashlib
import hmac
import os
import subprocess
import sys

import pytest

import pylon_idv
from pylon_idv import _web

from django_settings import django_setup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SECRET = pylon_idv.generate_secret()
OLD1 = pylon_idv.generate_secret()
OLD2 = pylon_idv.generate_secret()
EMAIL = "jane@example.com"
VAR = "PYLON_IDENTITY_SECRET_PREVIOUS"


def ref(secret, email=EMAIL):
    return hmac.new(bytes.fromhex(secret), email.encode(), hashlib.sha256).hexdigest()


# (the variable's value, the previous secrets it holds, in order)
GOOD = [
    ("", []),
    ("   ", []),
    (",", []),
    (" , ,\t,", []),
    (OLD1, [OLD1]),
    (OLD1 + "," + OLD2, [OLD1, OLD2]),
    (" " + OLD1 + " ,\t" + OLD2 + "\n", [OLD1, OLD2]),
    (OLD1 + ",," + OLD2 + ",", [OLD1, OLD2]),            # empty entries: skipped, not numbered
    ("," + OLD1.upper() + ", ,\r\n" + OLD2, [OLD1, OLD2]),
]

# (the variable's value, the entry named, what the message says)
BAD = [
    (OLD1 + " " + OLD2, 1, "whitespace inside"),                    # never two valid secrets
    (OLD1 + "\t" + OLD2, 1, "whitespace inside"),
    (OLD1[:32] + " " + OLD1[32:], 1, "whitespace inside"),
    (OLD1 + "," + OLD2 + " " + OLD1, 2, "whitespace inside"),
    (OLD1 + ",," + OLD2[:20] + "\u00a0" + OLD2[20:], 2, "whitespace inside"),
    (OLD1 + ", ," + OLD2[:63], 2, "odd number of hex digits"),
    (" zz" + OLD1[2:], 1, "position 1"),            # the position in the entry as given
    (OLD1 + "," + OLD2 + ",x", 3, "position 0"),
]


def _secret_free(text):
    for s in (SECRET, OLD1, OLD2):
        for i in range(0, 56, 8):
            assert s[i:i + 16] not in text.lower(), "a secret in the message"


# ---------------------------------------------------------------- the rule, framework-neutral

@pytest.mark.parametrize("value,expected", GOOD)
def test_rule_entries(value, expected):
    problems = []
    entries = _web.previous_secrets(value, "the environment variable X", problems)
    assert problems == []
    assert [e.strip(" \t\r\n").lower() for e in entries] == expected


@pytest.mark.parametrize("value,k,words", BAD)
def test_rule_names_the_bad_entry(value, k, words):
    problems = []
    _web.previous_secrets(value, "the environment variable X", problems)
    assert [p.id for p in problems] == ["E003"]
    text = str(problems[0])
    assert f"previous secret #{k} in the environment variable X" in text and words in text
    assert "Fix:" in text
    _secret_free(text)


def test_rule_is_documented_in_the_module():
    doc = _web.__doc__
    for words in ("commas separate the entries", "the core trims it", "an empty entry is skipped",
                  "whitespace INSIDE an entry is an error", "previous secret #1"):
        assert words in doc, words


# ---------------------------------------------------------------- each integration

def django(value, monkeypatch):
    """(signer, problem texts) as pylon_idv.django sees the environment."""
    from django.core import checks
    from pylon_idv.django import conf
    django_setup()
    monkeypatch.setenv("PYLON_IDENTITY_SECRET", SECRET)
    monkeypatch.setenv(VAR, value)
    errors = [e for e in checks.run_checks() if e.id.startswith("pylon_idv")]
    s = conf.state()
    texts = [f"{e.id}: {e.msg} HINT: {e.hint}" for e in errors]
    assert [e.id for e in errors] == ["pylon_idv." + p.id for p in s.problems]
    conf.reset()
    return (s.page.signer if s.page else None), texts


def flask_(value, monkeypatch):
    import flask
    from pylon_idv.flask import ConfigError, PylonIDV
    monkeypatch.setenv("PYLON_IDENTITY_SECRET", SECRET)
    monkeypatch.setenv(VAR, value)
    app = flask.Flask("t")
    app.config["PYLON_IDV_APP_ID"] = "fl-app"
    try:
        PylonIDV(app)
    except ConfigError as e:
        return None, [str(p) for p in e.problems] + [str(e)]
    return app.extensions["pylon_idv"].page.signer, []


def jinja(value, monkeypatch):
    import jinja2
    import pylon_idv.jinja
    try:
        chat = pylon_idv.jinja.install(jinja2.Environment(), app_id="jj",
                                       environ={"PYLON_IDENTITY_SECRET": SECRET, VAR: value})
    except pylon_idv.jinja.ConfigError as e:
        return None, [str(p) for p in e.problems] + [str(e)]
    return chat.page.signer, []


FRAMEWORKS = [django, flask_, jinja]


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("value,expected", GOOD)
def test_framework_reads_the_previous_secrets(framework, value, expected, monkeypatch):
    signer, problems = framework(value, monkeypatch)
    assert problems == [] and signer is not None
    assert signer.sign(EMAIL) == ref(SECRET)
    assert signer.match(EMAIL, ref(SECRET)) == 0
    for k, old in enumerate(expected, 1):          # numbered as the rule numbers them
        assert signer.match(EMAIL, ref(old)) == k
    assert signer.match(EMAIL, ref(pylon_idv.generate_secret())) is None


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("value,k,words", BAD)
def test_framework_refuses_and_names_the_entry(framework, value, k, words, monkeypatch):
    signer, problems = framework(value, monkeypatch)
    assert signer is None                           # never two valid secrets, never a start
    first = problems[0]
    assert "E003" in first and f"previous secret #{k} in the environment variable {VAR}" in first
    assert words in first
    for text in problems:
        _secret_free(text)


@pytest.mark.parametrize("value,k", [(OLD1 + " " + OLD2, 1), (OLD1 + "," + OLD2 + " x", 2)])
def test_manage_py_check_reports_e003(value, k):
    env = dict(os.environ, PYLON_IDENTITY_SECRET=SECRET, PYLON_APP_ID="a")
    env[VAR] = value
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "django", "manage.py"),
                        "check"], env=env, capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "(pylon_idv.E003)" in out and f"previous secret #{k}" in out
    assert "whitespace inside" in out and "HINT:" in out and "Traceback" not in out
    _secret_free(out)
    env[VAR] = " " + OLD1 + " , " + OLD2 + ","
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "django", "manage.py"),
                        "check"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "pylon_idv" not in r.stdout + r.stderr, r.stdout + r.stderr
