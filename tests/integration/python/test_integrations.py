"""Unit tests of pylon_idv.django, pylon_idv.flask and pylon_idv.jinja against the pinned
frameworks (tests/integration/requirements.txt), run by nox -s integrations in
its venv (build/nox/integrations). The live servers and Chromium are in ../test_frameworks.py."""
import hashlib
import hmac
import json
import logging
import os
import re
import subprocess
import sys

import pytest

SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
OLD = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DATA = re.compile(r'<script type="application/json" id="pylon-chat-settings">(.*?)</script>'
                  r'<script src="([^"]+)"( nonce="[^"]+")?></script>\Z', re.S)


def ref(email, secret=SECRET):
    return hmac.new(bytes.fromhex(secret), email.encode(), hashlib.sha256).hexdigest()


def settings_of(html):
    m = DATA.match(str(html))
    assert m, html
    return json.loads(m.group(1)), m.group(2), m.group(3)


@pytest.fixture(autouse=True)
def secret_env(monkeypatch):
    monkeypatch.setenv("PYLON_IDENTITY_SECRET", SECRET + "\n")
    monkeypatch.delenv("PYLON_IDENTITY_SECRET_PREVIOUS", raising=False)
    from pylon_idv import _web
    _web._failures.clear()             # every test sees its own log lines (the rate limit)


def test_import_pylon_idv_imports_no_framework():
    code = ("import sys, pylon_idv, pylon_idv._web; "
            "bad = [m for m in ('django', 'flask', 'jinja2', 'markupsafe', 'starlette', 'fastapi') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # the jinja integration needs jinja2 only, not Flask or Django
    code = ("import sys, pylon_idv.jinja; "
            "sys.exit(1 if 'flask' in sys.modules or 'django' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ----------------------------------------------------------------------------- shared checks

from pylon_idv import _web  # noqa: E402
from django_settings import django_setup  # noqa: E402

BAD = [
    ("E001", dict(environ={}), "PYLON_IDENTITY_SECRET"),
    ("E001", dict(environ={"PYLON_IDENTITY_SECRET": " \n"}), "empty"),
    ("E002", dict(environ={"PYLON_IDENTITY_SECRET": SECRET[:17] + "G" + SECRET[18:]}),
     "position 17"),
    ("E003", dict(environ={"PYLON_IDENTITY_SECRET": SECRET,
                           "PYLON_IDENTITY_SECRET_PREVIOUS": OLD + "," + OLD[:63]}),
     "previous secret #2"),
    ("E004", dict(app_id=None), "PYLON_IDV_APP_ID"),
    ("E004", dict(app_id=""), "PYLON_IDV_APP_ID"),
    ("E005", dict(app_id="a b"), "letters"),
    ("E005", dict(app_id=123), "letters"),
    ("E006", dict(secret_env=SECRET), "PYLON_IDV_SECRET_ENV"),
    ("E006", dict(mode="strict"), "PYLON_IDV_MODE"),
    ("E006", dict(script_url=""), "PYLON_IDV_SCRIPT_URL"),
]


@pytest.mark.parametrize("code,kwargs,words", BAD)
def test_load_problems(code, kwargs, words):
    args = dict(app_id="app-1", environ={"PYLON_IDENTITY_SECRET": SECRET})
    args.update(kwargs)
    page, problems = _web.load(**args)
    assert page is None
    assert [p.id for p in problems] == [code], problems
    text = str(problems[0])
    assert words in text and "Fix:" in text
    assert SECRET[:8] not in text and SECRET[20:30] not in text and OLD[:8] not in text


def test_load_reports_every_problem_at_once():
    page, problems = _web.load(app_id="", environ={"PYLON_IDENTITY_SECRET_PREVIOUS": "abc"})
    assert sorted(p.id for p in problems) == ["E001", "E003", "E004"]


def test_rotation_signer_verifies_previous():
    page, problems = _web.load(app_id="a", environ={"PYLON_IDENTITY_SECRET": SECRET,
                                                    "PYLON_IDENTITY_SECRET_PREVIOUS": OLD})
    assert not problems
    assert page.signer.match("j@x", ref("j@x", OLD)) == 1
    assert page.signer.sign("j@x") == ref("j@x")


def test_hooks_resolve():
    problems = []
    assert _web.resolve_hook("os.path.join", "X", problems) is os.path.join
    assert _web.resolve_hook("no_such_module_xyz.f", "X", problems) is None
    assert _web.resolve_hook(42, "X", problems) is None
    assert [p.id for p in problems] == ["E007", "E007"]


def test_no_frame_of_the_package_holds_the_secret(monkeypatch):
    # init_app raises at start-up; error trackers record every frame's locals: none of
    # pylon_idv's frames may hold the secret text (current or previous) by then.
    import traceback
    import flask
    from pylon_idv.flask import PylonIDV, ConfigError
    bad = SECRET[:17] + "G" + SECRET[18:]
    for env in ({"PYLON_IDENTITY_SECRET": bad}, {"PYLON_IDENTITY_SECRET_PREVIOUS": OLD + " 0"}):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        app = flask.Flask("t")
        app.config["PYLON_IDV_APP_ID"] = "a"
        with pytest.raises(ConfigError) as ei:
            PylonIDV(app)
        frames = [f for f, _ in traceback.walk_tb(ei.value.__traceback__)
                  if "pylon_idv" in f.f_code.co_filename]
        assert frames
        for frame in frames:
            for value in frame.f_locals.values():
                text = repr(value)
                assert bad not in text and OLD not in text, frame.f_code.co_name


# ----------------------------------------------------------------------------------- Django

class FakeUser:
    is_authenticated = True

    def __init__(self, email):
        self.email = email

    def get_email_field_name(self):
        return "email"


class Anonymous:
    is_authenticated = False


def render_django(request, text="{% load pylon_idv %}{% pylon_chat %}"):
    from django.template import engines, RequestContext
    from django.template import Template
    django_setup()
    return Template(text).render(RequestContext(request, {}))


def fake_request(user=None, nonce=None):
    from django.test import RequestFactory
    django_setup()
    r = RequestFactory().get("/")
    r.user = user or Anonymous()
    if nonce:
        r.csp_nonce = nonce
    return r


def test_django_tag_user_and_anonymous():
    django_setup()
    s, url, nonce = settings_of(render_django(fake_request(FakeUser("jane@example.com"))))
    assert s == {"app_id": "dj-app", "email": "jane@example.com",
                 "email_hash": ref("jane@example.com")}
    assert url == "/static/pylon-chat.js" and nonce is None
    s, _, _ = settings_of(render_django(fake_request()))
    assert s == {"app_id": "dj-app"}
    s, _, _ = settings_of(render_django(fake_request(FakeUser(""))))
    assert s == {"app_id": "dj-app"}                     # a user without an email: a visitor


def test_django_tag_fields_hook_kwargs_and_nonce():
    from django.test import override_settings
    django_setup()
    with override_settings(PYLON_IDV_FIELDS=lambda request: {"name": "Jane", "plan": "pro"}):
        out = render_django(fake_request(FakeUser("j@x"), nonce="abc123"),
                            '{% load pylon_idv %}{% pylon_chat plan="team" %}')
    s, _, nonce = settings_of(out)
    assert s["name"] == "Jane" and s["plan"] == "team" and nonce == ' nonce="abc123"'


def test_django_inline_mode_uses_the_nonce():
    from django.test import override_settings
    django_setup()
    with override_settings(PYLON_IDV_MODE="inline"):
        out = render_django(fake_request(FakeUser("j@x"), nonce="n0nce"))
    assert out.count('<script nonce="n0nce">') == 2 and "p.chat_settings={" in out
    assert ref("j@x") in out and "widget.usepylon.com/widget/dj-app" in out


def test_django_static_finder_finds_the_one_pylon_chat_js():
    import pylon_idv
    from django.contrib.staticfiles import finders
    django_setup()
    found = finders.find("pylon-chat.js")
    assert found and os.path.samefile(found, os.path.join(pylon_idv.static_path(), "pylon-chat.js"))


def test_django_checks_and_broken_config_renders_nothing(monkeypatch, caplog):
    from django.core import checks
    from django.test import override_settings
    django_setup()
    assert [e for e in checks.run_checks() if e.id.startswith("pylon_idv")] == []
    monkeypatch.delenv("PYLON_IDENTITY_SECRET")
    with override_settings(PYLON_IDV_APP_ID="bad id"):
        ids = sorted(e.id for e in checks.run_checks() if e.id.startswith("pylon_idv"))
        assert ids == ["pylon_idv.E001", "pylon_idv.E005"]
        with caplog.at_level(logging.ERROR, logger="pylon_idv"):
            assert render_django(fake_request(FakeUser("j@x"))) == ""
        assert "pylon_idv.E001" in caplog.text


def test_django_failing_hook_renders_nothing_and_logs(caplog):
    from django.test import override_settings

    def boom(request):
        raise RuntimeError("hook failed")
    django_setup()
    with override_settings(PYLON_IDV_FIELDS=boom), caplog.at_level(logging.ERROR, "pylon_idv"):
        assert render_django(fake_request(FakeUser("j@x"))) == ""
    assert "hook failed" in caplog.text


@pytest.mark.parametrize("code,envs", [
    ("E001", {"PYLON_IDENTITY_SECRET": None}),
    ("E002", {"PYLON_IDENTITY_SECRET": "xyz"}),
    ("E003", {"PYLON_IDENTITY_SECRET_PREVIOUS": "0"}),
    ("E004", {"PYLON_APP_ID": ""}),
    ("E005", {"PYLON_APP_ID": "no spaces"}),
])
def test_manage_py_check(code, envs):
    e = dict(os.environ, PYLON_IDENTITY_SECRET=SECRET, PYLON_APP_ID="a")
    for k, v in envs.items():
        if v is None:
            e.pop(k)
        else:
            e[k] = v
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "django", "manage.py"),
                        "check"], env=e, capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "(pylon_idv.%s)" % code in out and "HINT:" in out
    assert "Traceback" not in out and SECRET[:12] not in out


# ------------------------------------------------------------------------------------ Flask

def flask_app(**config):
    import flask
    from pylon_idv.flask import PylonIDV
    app = flask.Flask("t")
    app.config.update(dict({"PYLON_IDV_APP_ID": "fl-app"}, **config))
    ext = PylonIDV()
    ext.init_app(app)
    return app, ext


def test_flask_renders_and_serves_the_script():
    import flask
    import pylon_idv
    app, ext = flask_app()
    ext.email_loader(lambda: flask.g.get("email"))
    ext.fields_loader(lambda: {"name": "N"})

    @app.get("/")
    def index():
        flask.g.email = flask.request.args.get("email")
        return flask.render_template_string("{{ pylon_chat(plan='x') }}")
    c = app.test_client()
    s, url, _ = settings_of(c.get("/?email=jane@example.com").get_data(as_text=True))
    assert s == {"app_id": "fl-app", "email": "jane@example.com",
                 "email_hash": ref("jane@example.com"), "name": "N", "plan": "x"}
    assert settings_of(c.get("/").get_data(as_text=True))[0] == {"app_id": "fl-app", "name": "N",
                                                                "plan": "x"}
    r = c.get(url)
    with open(os.path.join(pylon_idv.static_path(), "pylon-chat.js"), "rb") as f:
        assert r.status_code == 200 and r.data == f.read()


@pytest.mark.parametrize("code,config,envs", [
    ("E001", {}, {"PYLON_IDENTITY_SECRET": None}),
    ("E002", {}, {"PYLON_IDENTITY_SECRET": SECRET[:-1]}),
    ("E003", {}, {"PYLON_IDENTITY_SECRET_PREVIOUS": "zz"}),
    ("E004", {"PYLON_IDV_APP_ID": None}, {}),
    ("E005", {"PYLON_IDV_APP_ID": "x/y"}, {}),
    ("E006", {"PYLON_IDV_MODE": "other"}, {}),
    ("E007", {"PYLON_IDV_FIELDS": "nope.nothing"}, {}),
])
def test_flask_init_app_raises(monkeypatch, code, config, envs):
    from pylon_idv.flask import ConfigError
    for k, v in envs.items():
        if v is None:
            monkeypatch.delenv(k)
        else:
            monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as ei:
        flask_app(**config)
    assert "pylon_idv.%s" % code in str(ei.value) and "Fix:" in str(ei.value)
    assert SECRET[:12] not in str(ei.value)
    assert isinstance(ei.value, ValueError)


def test_flask_bad_field_is_logged_not_raised(caplog):
    import flask
    app, ext = flask_app()
    ext.fields_loader(lambda: {"email_hash": "forged"})

    @app.get("/")
    def index():
        return flask.render_template_string("[{{ pylon_chat() }}]")
    with caplog.at_level(logging.ERROR, "pylon_idv"):
        r = app.test_client().get("/")
    assert r.status_code == 200 and r.get_data(as_text=True) == "[]"
    assert "pylon_chat() renders nothing" in caplog.text


# ------------------------------------------------------------------------------------ Jinja

def test_jinja_any_environment():
    import jinja2
    import pylon_idv.jinja
    env = jinja2.Environment(autoescape=True)
    chat = pylon_idv.jinja.install(env, app_id="jj", email=lambda r: r["email"] if r else None,
                                   script_url="/js/pylon-chat.js")
    assert len(chat.fingerprint) == 16
    t = env.from_string("{{ pylon_chat(name=n) }}")
    s, url, nonce = settings_of(t.render(request={"email": "a@b"}, n="<Ann>", csp_nonce="q1"))
    assert s == {"app_id": "jj", "email": "a@b", "email_hash": ref("a@b"), "name": "<Ann>"}
    assert url == "/js/pylon-chat.js" and nonce == ' nonce="q1"'
    assert settings_of(t.render(n=None))[0] == {"app_id": "jj"}


def test_jinja_starlette_templates_env_and_request_state_nonce():
    from types import SimpleNamespace
    from fastapi.templating import Jinja2Templates
    import pylon_idv.jinja
    templates = Jinja2Templates(directory=ROOT)
    pylon_idv.jinja.install(templates.env, app_id="st", mode="inline",
                            email=lambda request: request.email)
    req = SimpleNamespace(email="z@z", state=SimpleNamespace(csp_nonce="abc"))
    out = templates.env.from_string("{{ pylon_chat() }}").render(request=req)
    assert out.count('<script nonce="abc">') == 2 and ref("z@z") in out


def test_jinja_install_errors():
    import jinja2
    import pylon_idv.jinja
    with pytest.raises(TypeError):
        pylon_idv.jinja.install(object(), app_id="a")
    with pytest.raises(pylon_idv.jinja.ConfigError) as ei:
        pylon_idv.jinja.install(jinja2.Environment(), app_id="", mode="x", email=3)
    assert sorted(p.id for p in ei.value.problems) == ["E004", "E006", "E007"]


# ------------------------------------------------- Django: checks that fit the command

def _manage(tmp_path, *args, secret=None, **env):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("PYLON_", "DEMO_"))}
    e.update(DEMO_DB=str(tmp_path / "db.sqlite3"), **env)
    if secret is not None:
        e["PYLON_IDENTITY_SECRET"] = secret
    return subprocess.run([sys.executable, os.path.join(ROOT, "examples", "django", "manage.py"),
                           *args], capture_output=True, text=True, env=e, cwd=str(tmp_path),
                          timeout=300)


def test_django_migrate_and_test_run_without_the_secret(tmp_path):
    r = _manage(tmp_path, "migrate", "--noinput")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "pylon_idv.E001" in r.stderr and "WARNINGS" in r.stderr     # said, not fatal
    r = _manage(tmp_path, "test", "demo_site", "--noinput")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Ran 2 tests" in r.stderr and "OK" in r.stderr


def test_django_check_and_deploy_check_fail_without_the_secret(tmp_path):
    for args in (["check"], ["check", "--deploy"]):
        r = _manage(tmp_path, *args)
        assert r.returncode != 0, args
        assert "ERRORS" in r.stderr and "pylon_idv.E001" in r.stderr and "Traceback" \
            not in r.stderr


def test_django_enabled_switch_turns_the_drop_in_off(tmp_path):
    r = _manage(tmp_path, "check", PYLON_IDV_ENABLED="0")
    assert r.returncode == 0 and "pylon_idv" not in r.stdout + r.stderr


def test_django_secret_of_the_wrong_length_is_w002(tmp_path):
    r = _manage(tmp_path, "check", secret=SECRET[:32])
    assert r.returncode == 0, r.stderr
    assert "pylon_idv.W002" in r.stderr and SECRET[:8] not in r.stderr


def test_django_server_start_says_what_must_serve_pylon_chat_js(tmp_path):
    # W004: under uvicorn/gunicorn (here: uvicorn imported), DEBUG off, mode "data", and
    # neither pylon_idv.django.urls nor WhiteNoise: the start-up log says what is missing.
    code = (
        "import logging, sys, uvicorn; logging.basicConfig(level=logging.WARNING)\n"
        "sys.argv = ['uvicorn']\n"
        "from django.conf import settings\n"
        "settings.configure(DEBUG=False, SECRET_KEY='x'*50, ROOT_URLCONF='urls_%s',"
        " INSTALLED_APPS=['django.contrib.staticfiles', 'pylon_idv.django'],"
        " STATIC_URL='/static/', PYLON_IDV_APP_ID='a')\n"
        "import django; django.setup()\n")
    for which, urls in (("none", "urlpatterns = []\n"),
                        ("ours", "from django.urls import include, path\n"
                                 "urlpatterns = [path('_p/', include('pylon_idv.django.urls'))]\n")):
        (tmp_path / ("urls_%s.py" % which)).write_text(urls)
        env = dict(os.environ, PYLON_IDENTITY_SECRET=SECRET, PYTHONPATH=str(tmp_path))
        r = subprocess.run([sys.executable, "-c", code % which], capture_output=True, text=True,
                           env=env, cwd=str(tmp_path), timeout=120)
        assert r.returncode == 0, r.stderr
        assert ("pylon_idv.W004" in r.stderr) == (which == "none"), r.stderr
        if which == "none":
            assert "pylon_idv.django.urls" in r.stderr
