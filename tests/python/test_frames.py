"""No secret in any frame: when an exception leaves a public callable of pylon_idv, no frame of
the package holds the secret (error trackers such as Sentry and Rollbar record the local
variables of every frame of a traceback), and no exception message or argument holds it.

The public callables are discovered, not listed: every name of ``pylon_idv.__all__`` (and the
public methods of its classes), ``pylon_idv.__main__.main`` (``python -m pylon_idv``), the
``__all__`` of the Flask and Jinja integrations (and their classes' public methods), the
``pylon_chat()`` global each installs, and the Django template tag and system checks as Django
registers them. Every one of them must have cases in cases() (test_every_public_callable_has_
bad_argument_cases fails for a new public name without one). Each case calls it with bad
arguments (wrong types, a non-str email, lone surrogates, bad secrets, bad hashes, bad fields,
a secret pasted into the wrong setting) and states what must happen: the exception it raises,
or that it returns (then the result holds no secret), or that it logs (the integrations render
nothing and log the exception: that exception's frames are inspected the same way).

The inspection walks the traceback of the exception (tb_next), then its __cause__ and
__context__ chains, and reads f_locals of every frame whose code is in the package; each local
is searched (through mappings, sequences and the package's own objects) for every secret used
by the cases: its text in either case, any 16-character slice of it, its UTF-8 bytes and its
decoded key bytes (any 8-byte slice), as str, bytes, bytearray or memoryview.
"""
import collections.abc
import contextlib
import logging
import os
import sys

import pytest

import pylon_idv
import pylon_idv.__main__ as cli
from pylon_idv import _web

import flask                # Flask (Jinja2 with it) and Django: tests/python/requirements.txt
import jinja2

import pylon_idv.flask
import pylon_idv.jinja

PACKAGE = os.path.dirname(os.path.abspath(pylon_idv.__file__)) + os.sep


def _secret(lead):
    """A fresh secret (64 hex digits) that starts with a letter (so it is also a valid
    environment variable name, the case where a pasted secret could be echoed)."""
    return lead + pylon_idv.generate_secret()[1:]


GOOD = _secret("d")                                   # the secret the cases sign with
PREV = _secret("b")                                   # a previous secret
_B = [_secret(c) for c in "acefda"]
BAD_CHAR = _B[0][:17] + "g" + _B[0][18:]              # invalid hex digit at position 17
BAD_ODD = _B[1][:63]                                  # odd number of digits
BAD_SPACE = _B[2][:32] + " " + _B[2][32:]             # two halves: whitespace inside
BAD_SURROGATE = _B[3][:40] + "\ud800" + _B[3][40:]   # a lone surrogate inside
BAD_MARKER = "SECRET-MARKER-" + _B[4][:50]           # not hex from position 0
BAD_NUL = _B[5][:20] + "\x00" + _B[5][20:]            # a NUL inside
BAD = [BAD_CHAR, BAD_ODD, BAD_SPACE, BAD_SURROGATE, BAD_MARKER, BAD_NUL]
SECRETS = [GOOD, PREV] + BAD
EMAIL = "jane@example.com"
HASH = pylon_idv.sign(EMAIL, GOOD)


def _needles():
    """(str needles, bytes needles), lower-cased: every secret, its 16-char slices, its UTF-8
    bytes and their slices, and the 8-byte slices of its decoded key."""
    texts, raws = set(), set()
    for s in SECRETS:
        t = s.strip(" \t\r\n").lower()
        texts.add(t)
        texts.update(t[i:i + 16] for i in range(0, max(len(t) - 15, 1), 8))
        b = t.encode("utf-8", "surrogatepass")
        raws.add(b)
        raws.update(b[i:i + 16] for i in range(0, max(len(b) - 15, 1), 8))
        try:
            key = bytes.fromhex(t)
        except ValueError:
            continue
        raws.update(key[i:i + 8] for i in range(0, len(key) - 7, 4))
    return texts, {r.lower() for r in raws}


TEXTS, RAWS = _needles()


def _found(value, depth=0, seen=None):
    """The needle found in value (a description), or None. Walks str/bytes-likes, mappings,
    sequences and sets, exceptions, and the attributes of pylon_idv's own objects."""
    seen = set() if seen is None else seen
    if id(value) in seen or depth > 5:
        return None
    seen.add(id(value))
    if isinstance(value, str):
        low = value.lower()
        return next((f"text {n[:6]}..." for n in TEXTS if n in low), None)
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            low = bytes(value).lower()
        except ValueError:                               # a released memoryview
            return None
        return next((f"bytes {n[:6]!r}..." for n in RAWS if n in low), None)
    items = []
    if isinstance(value, collections.abc.Mapping):
        try:
            items = [k for k in value] + [value[k] for k in value]
        except Exception:
            items = []
    elif isinstance(value, (list, tuple, set, frozenset, collections.deque)):
        items = list(value)
    elif isinstance(value, BaseException):
        items = [value.args, str(value), vars(value)] + [
            getattr(value, a, None) for a in ("object", "problems")]
    elif type(value).__module__.startswith("pylon_idv"):
        items = [getattr(value, a, None) for a in getattr(type(value), "__slots__", ())]
        items += list(getattr(value, "__dict__", {}).values())
    for item in items:
        hit = _found(item, depth + 1, seen)
        if hit:
            return hit
    if depth == 0 and not isinstance(value, (type(sys), type(_found))):
        try:
            return _found(repr(value), depth + 1, seen)    # what a tracker prints
        except Exception:
            return None
    return None


def _chain(exc):
    """exc, then every exception reachable through __cause__ and __context__."""
    todo, out = [exc], []
    while todo:
        e = todo.pop()
        if e is None or any(e is o for o in out):
            continue
        out.append(e)
        todo += [e.__cause__, e.__context__]
    return out


def _leaks(exc):
    """Every place the secret shows in exc's chain: messages, args, package frames' locals."""
    out = []
    for e in _chain(exc):
        hit = _found(e)
        if hit:
            out.append(f"{type(e).__name__} message/args: {hit}")
        tb = e.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_filename.startswith(PACKAGE):
                for name, value in tb.tb_frame.f_locals.items():
                    hit = _found(value)
                    if hit:
                        out.append(f"{type(e).__name__}: frame {code.co_name} "
                                   f"({os.path.basename(code.co_filename)}:{tb.tb_lineno}) "
                                   f"local {name!r}: {hit}")
            tb = tb.tb_next
    return out


def test_the_search_finds_what_it_must():
    """The inspection itself can fail: each form of the secret is found where it hides."""
    key = bytes.fromhex(GOOD)
    for value in (GOOD, GOOD.upper(), " " + GOOD[5:30] + " ", GOOD.encode(), bytearray(key),
                  memoryview(key)[3:20], {"PYLON_IDENTITY_SECRET": GOOD}, [0, (BAD_SPACE,)],
                  os.environ.__class__(dict(X=BAD_MARKER.encode()), lambda k: k,
                                       lambda k: k, lambda v: v, lambda v: v),
                  _web.Problem("E002", BAD_CHAR, "x"), ValueError("x", BAD_SURROGATE)):
        assert _found(value), value
    for value in (GOOD[:15], EMAIL, HASH, key[:7], pylon_idv.Signer(GOOD),
                  pylon_idv.Signer(GOOD).fingerprint, {"a": [1, 2]}):
        assert not _found(value), value

    def leaky(secret):
        raise TypeError("nothing in the message")
    with pytest.raises(TypeError) as ei:
        leaky(GOOD)
    tb = ei.value.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    assert "secret" in tb.tb_frame.f_locals                 # this frame is not the package's:
    assert _leaks(ei.value) == []                           # only the package's frames count


# ------------------------------------------------------------------------- discovery

def _public_methods(cls, prefix):
    return [f"{prefix}.{name}" for name, attr in vars(cls).items()
            if not name.startswith("_") and callable(getattr(cls, name))]


def _django():
    import django
    from django.conf import settings
    if not settings.configured:
        settings.configure(
            DEBUG=False, SECRET_KEY="x" * 50, ALLOWED_HOSTS=["*"], USE_TZ=True,
            INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                            "django.contrib.staticfiles", "pylon_idv.django"],
            STATIC_URL="/static/",
            TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                        "APP_DIRS": True, "OPTIONS": {}}],
            PYLON_IDV_APP_ID="dj-app")
        django.setup()
    return django


def _ours(obj):
    try:                    # (Flask's globals include proxies that raise outside a request)
        return callable(obj) and str(getattr(obj, "__module__", "")).startswith("pylon_idv")
    except RuntimeError:
        return False


def discover():
    """The qualified names of every public callable (see the module's docstring)."""
    found = []
    for modname, module in (("pylon_idv", pylon_idv), ("pylon_idv.flask", pylon_idv.flask),
                            ("pylon_idv.jinja", pylon_idv.jinja)):
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue
            found.append(f"{modname}.{name}")
            if isinstance(obj, type):
                found += _public_methods(obj, f"{modname}.{name}")
    found += [f"pylon_idv.__main__.{name}" for name, obj in vars(cli).items()
              if callable(obj) and not name.startswith("_")
              and getattr(obj, "__module__", None) == cli.__name__]
    # the template globals the integrations install
    app = flask.Flask("discover")
    app.config["PYLON_IDV_APP_ID"] = "a"
    env = jinja2.Environment()
    with _env(PYLON_IDENTITY_SECRET=GOOD, PYLON_IDENTITY_SECRET_PREVIOUS=None):
        pylon_idv.flask.PylonIDV(app)
        pylon_idv.jinja.install(env, app_id="a", name="pylon_chat")
    found += [f"pylon_idv.flask:{name}" for name, g in app.jinja_env.globals.items()
              if _ours(g)]
    found += [f"pylon_idv.jinja:{name}" for name, g in env.globals.items() if _ours(g)]
    # the Django template library and the system checks, as Django registers them
    _django()
    from django.core.checks.registry import registry
    from django.template.backends.django import get_installed_libraries
    from django.template.library import import_library
    lib = import_library(get_installed_libraries()["pylon_idv"])
    found += [f"django tag {name}" for name in lib.tags] + [
        f"django filter {name}" for name in lib.filters]
    found += [f"django check {c.__module__}.{c.__name__}" for c in registry.get_checks()
              if c.__module__.startswith("pylon_idv")]
    return sorted(set(found))


# ------------------------------------------------------------------------- the cases

_UNSET = object()


@contextlib.contextmanager
def _env(**values):
    """os.environ with these variables set (None: removed), restored after."""
    old = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Evil:
    """A setting whose comparison raises: an exception from deep inside the configuration
    checks, with the secret in the environment."""

    def __eq__(self, other):
        raise RuntimeError("no comparison")

    __hash__ = object.__hash__


def _flask_app(**config):
    app = flask.Flask("t")
    app.config["PYLON_IDV_APP_ID"] = "fl-app"
    app.config.update(config)
    return app


def _flask_render(template, email=None, fields=None, **config):
    app = _flask_app(**config)
    with _env(PYLON_IDENTITY_SECRET=GOOD):
        ext = pylon_idv.flask.PylonIDV(app)
    if email is not None:
        ext.email_loader(email)
    if fields is not None:
        ext.fields_loader(fields)
    with app.test_request_context("/"):
        return flask.render_template_string(template, h=HASH, b=b"pro")


def _jinja_env(**kw):
    env = jinja2.Environment(autoescape=True)
    chat = pylon_idv.jinja.install(env, **dict({"app_id": "jj"}, **kw))
    return env, chat


def _django_render(text, **settings):
    from django.template import Context, Template
    from django.test import override_settings
    from django.test.client import RequestFactory
    _django()
    from pylon_idv.django import conf
    request = RequestFactory().get("/")
    request.user = type("U", (), {"is_authenticated": True, "email": "\ud800x",
                                  "get_email_field_name": lambda self: "email"})()
    with override_settings(**settings), _env(PYLON_IDENTITY_SECRET=GOOD):
        conf.reset()                    # the cached configuration: read the environment again
        return Template("{% load pylon_idv %}" + text).render(Context({"request": request,
                                                                       "h": HASH}))


def _django_check(**settings):
    from django.test import override_settings
    from pylon_idv.django.checks import check_pylon_idv
    _django()
    with override_settings(**settings):
        return check_pylon_idv()


def _tag(context):
    _django()
    from pylon_idv.django import conf
    from pylon_idv.django.templatetags.pylon_idv import pylon_chat
    with _env(PYLON_IDENTITY_SECRET=GOOD):
        conf.reset()
        return pylon_chat(context)


def _main(argv, env=_UNSET, file=None, tmp=None):
    """pylon_idv.__main__.main(argv) with the secret in the environment or a file."""
    argv = list(argv)
    if file is not None:
        path = os.path.join(tmp, "secret")
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(file)
        argv = ["--secret-file", path] + argv
    with _env(PYLON_IDENTITY_SECRET=GOOD if env is _UNSET else env):
        return cli.main(argv)


def _s():
    return pylon_idv.Signer(GOOD, previous=[PREV])


def _kinds(s):
    """A secret as each type the API takes: str, bytes, bytearray, memoryview."""
    b = s.encode("utf-8", "surrogatepass")
    return [s, b, bytearray(b), memoryview(b)]


def _settings_cases(fn, **extra):
    """Bad-argument cases shared by chat_settings, _json, _script and _data."""
    kw = dict(app_id="app", **extra)
    return [
        (f"non-str email {i}", lambda e=e: fn(e, GOOD, **kw), TypeError) for i, e in
        enumerate((123, [EMAIL], object()))
    ] + [
        ("lone surrogate email", lambda: fn("\ud800" + EMAIL, GOOD, **kw), ValueError),
        ("wrong-type secret", lambda: fn(EMAIL, 1234, **kw), TypeError),
        ("secret in a list", lambda: fn(EMAIL, [GOOD], **kw), TypeError),
        ("no app id", lambda: fn(EMAIL, GOOD), TypeError),
        ("bad app id", lambda: fn(EMAIL, GOOD, app_id="a b"), ValueError),
        ("app id not str", lambda: fn(EMAIL, GOOD, app_id=b"app"), TypeError),
        ("field email_hash", lambda: fn(EMAIL, GOOD, email_hash=HASH, **kw), TypeError),
        ("field __proto__", lambda: fn(EMAIL, _s(), __proto__="x", **kw), ValueError),
        ("field object", lambda: fn(EMAIL, GOOD, plan=object(), **kw), TypeError),
        ("field bytes", lambda: fn(EMAIL, GOOD, plan=b"pro", **kw), TypeError),
        ("field too big", lambda: fn(EMAIL, GOOD, n=2 ** 60, **kw), ValueError),
        ("field nan", lambda: fn(EMAIL, GOOD, n=float("nan"), **kw), ValueError),
        ("field surrogate", lambda: fn(EMAIL, GOOD, name="\udcff", **kw), ValueError),
        ("field key surrogate", lambda: fn(EMAIL, GOOD, **{"\ud800": 1}, **kw), ValueError),
    ] + _secret_cases(lambda k: fn(EMAIL, k, **kw))


def _secret_cases(call, expect=pylon_idv.InvalidSecretError):
    return [(f"bad secret {i} as {type(k).__name__}", lambda k=k: call(k), expect)
            for i, s in enumerate(BAD) for k in _kinds(s)]


RETURNS, LOGS = "returns", "logs"


def cases(tmp):
    """{qualified name: [(label, thunk, expected)]}; expected is an exception type, RETURNS
    (no exception; the result is inspected) or LOGS (returns, and an exception is logged)."""
    S = pylon_idv.Signer
    return {
        "pylon_idv.sign": [
            ("non-str email", lambda: pylon_idv.sign(123, GOOD), TypeError),
            ("None email", lambda: pylon_idv.sign(None, GOOD), TypeError),
            ("lone surrogate email", lambda: pylon_idv.sign("\udc80", GOOD), UnicodeEncodeError),
            ("wrong-type secret", lambda: pylon_idv.sign(EMAIL, 12345), TypeError),
            ("secret in a list", lambda: pylon_idv.sign(EMAIL, [GOOD]), TypeError),
            ("too many arguments", lambda: pylon_idv.sign(EMAIL, GOOD, GOOD), TypeError),
            ("unknown keyword", lambda: pylon_idv.sign(EMAIL, GOOD, key=GOOD), TypeError),
        ] + _secret_cases(lambda k: pylon_idv.sign(EMAIL, k)),
        "pylon_idv.verify": [
            ("non-str email", lambda: pylon_idv.verify(b"x".decode, GOOD, HASH), TypeError),
            ("lone surrogate email", lambda: pylon_idv.verify("\ud800", GOOD, HASH),
             UnicodeEncodeError),
            ("bad hash: int", lambda: pylon_idv.verify(EMAIL, GOOD, 123), TypeError),
            ("bad hash: short", lambda: pylon_idv.verify(EMAIL, GOOD, HASH[:-1]), RETURNS),
            ("bad hash: None", lambda: pylon_idv.verify(EMAIL, GOOD, None), RETURNS),
            ("bad hash: the secret", lambda: pylon_idv.verify(EMAIL, GOOD, GOOD), RETURNS),
            ("bad hash: surrogate", lambda: pylon_idv.verify(EMAIL, GOOD, "\ud800" * 64),
             RETURNS),
            ("wrong-type secret", lambda: pylon_idv.verify(EMAIL, None, HASH), TypeError),
            ("missing hash", lambda: pylon_idv.verify(EMAIL, GOOD), TypeError),
        ] + _secret_cases(lambda k: pylon_idv.verify(EMAIL, k, HASH)),
        "pylon_idv.generate_secret": [
            ("an argument", lambda: pylon_idv.generate_secret(GOOD), TypeError),
        ],
        "pylon_idv.chat_settings": _settings_cases(pylon_idv.chat_settings),
        "pylon_idv.chat_settings_json": _settings_cases(pylon_idv.chat_settings_json),
        "pylon_idv.chat_settings_data": _settings_cases(pylon_idv.chat_settings_data) + [
            ("a nonce", lambda: pylon_idv.chat_settings_data(EMAIL, GOOD, app_id="a",
                                                             nonce="n"), TypeError),
        ],
        "pylon_idv.chat_settings_script": _settings_cases(pylon_idv.chat_settings_script) + [
            ("bad nonce", lambda: pylon_idv.chat_settings_script(
                EMAIL, GOOD, app_id="a", nonce=BAD_SPACE), ValueError),
            ("nonce not str", lambda: pylon_idv.chat_settings_script(
                EMAIL, GOOD, app_id="a", nonce=GOOD.encode()), TypeError),
        ],
        "pylon_idv.widget_script": [
            ("no app id", lambda: pylon_idv.widget_script(), TypeError),
            ("bad app id", lambda: pylon_idv.widget_script(BAD_SPACE), ValueError),
            ("app id not str", lambda: pylon_idv.widget_script(GOOD.encode()), TypeError),
            ("bad nonce", lambda: pylon_idv.widget_script("a", nonce=BAD_MARKER + "!"),
             ValueError),
            ("surrogate nonce", lambda: pylon_idv.widget_script("a", nonce="\ud800"),
             ValueError),
        ],
        "pylon_idv.script_tag": [
            ("no src", lambda: pylon_idv.script_tag(), TypeError),
            ("secret pasted as src", lambda: pylon_idv.script_tag(BAD_SPACE), ValueError),
            ("src not str", lambda: pylon_idv.script_tag(GOOD.encode()), TypeError),
            ("bad nonce", lambda: pylon_idv.script_tag("/p.js", nonce=BAD_MARKER + "!"),
             ValueError),
            ("surrogate nonce", lambda: pylon_idv.script_tag("/p.js", nonce="\ud800"),
             ValueError),
        ],
        "pylon_idv.diagnose": [
            ("non-str email", lambda: pylon_idv.diagnose(123, GOOD, HASH), TypeError),
            ("lone surrogate email", lambda: pylon_idv.diagnose("\ud800", GOOD, HASH),
             UnicodeEncodeError),
            ("non-str hash", lambda: pylon_idv.diagnose(EMAIL, GOOD, 123), TypeError),
            ("hash in a list", lambda: pylon_idv.diagnose(EMAIL, GOOD, [HASH]), TypeError),
            ("surrogate hash", lambda: pylon_idv.diagnose(EMAIL, GOOD, "\ud800"), RETURNS),
            ("wrong-type secret", lambda: pylon_idv.diagnose(EMAIL, 1.5, HASH), TypeError),
            ("secret in a list", lambda: pylon_idv.diagnose(EMAIL, [GOOD], HASH), TypeError),
            ("missing hash", lambda: pylon_idv.diagnose(EMAIL, GOOD), TypeError),
            ("the secret as the hash", lambda: pylon_idv.diagnose(EMAIL, GOOD, GOOD), RETURNS),
            ("a None hash", lambda: pylon_idv.diagnose(EMAIL, GOOD, None), RETURNS),
        ] + _secret_cases(lambda k: pylon_idv.diagnose(EMAIL, k, HASH), RETURNS),
        "pylon_idv.static_path": [
            ("an argument", lambda: pylon_idv.static_path(GOOD), TypeError),
        ],
        "pylon_idv.csp_sources": [
            ("an argument", lambda: pylon_idv.csp_sources(GOOD), TypeError),
        ],
        "pylon_idv.Diagnosis": [
            ("no arguments", lambda: pylon_idv.Diagnosis(), TypeError),
            ("too many", lambda: pylon_idv.Diagnosis("match", "m", GOOD), TypeError),
        ],
        "pylon_idv.HTML": [
            ("undecodable bytes", lambda: pylon_idv.HTML(b"\xff", "ascii"), UnicodeDecodeError),
            ("bad encoding argument", lambda: pylon_idv.HTML(b"x", 5), TypeError),
        ],
        "pylon_idv.Error": [("keyword", lambda: pylon_idv.Error(x=GOOD), TypeError)],
        "pylon_idv.InvalidSecretError": [
            ("keyword", lambda: pylon_idv.InvalidSecretError(x=GOOD), TypeError)],
        "pylon_idv.Signer": [
            ("wrong-type secret", lambda: S(12345), TypeError),
            ("no secret", lambda: S(), TypeError),
            ("previous not a sequence", lambda: S(GOOD, previous={PREV}), TypeError),
            ("previous a str", lambda: S(GOOD, previous=PREV), TypeError),
            ("previous of ints", lambda: S(GOOD, previous=[PREV, 5]), TypeError),
            ("positional previous", lambda: S(GOOD, [PREV]), TypeError),
        ] + _secret_cases(lambda k: S(k)) + _secret_cases(
            lambda k: S(GOOD, previous=[PREV, k])) + _secret_cases(
            lambda k: S(GOOD, previous=(k,))),
        "pylon_idv.Signer.sign": [
            ("non-str email", lambda: _s().sign(123), TypeError),
            ("lone surrogate email", lambda: _s().sign("a\udfff"), UnicodeEncodeError),
            ("no email", lambda: _s().sign(), TypeError),
        ],
        "pylon_idv.Signer.verify": [
            ("non-str email", lambda: _s().verify(None, HASH), TypeError),
            ("lone surrogate email", lambda: _s().verify("\ud800", HASH), UnicodeEncodeError),
            ("bad hash: int", lambda: _s().verify(EMAIL, 123), TypeError),
            ("bad hash: not hex", lambda: _s().verify(EMAIL, "z" * 64), RETURNS),
            ("the secret as the hash", lambda: _s().verify(EMAIL, GOOD.encode()), RETURNS),
            ("no hash", lambda: _s().verify(EMAIL), TypeError),
        ],
        "pylon_idv.Signer.match": [
            ("non-str email", lambda: _s().match(1, HASH), TypeError),
            ("lone surrogate email", lambda: _s().match("\ud800", HASH), UnicodeEncodeError),
            ("bad hash: list", lambda: _s().match(EMAIL, [HASH]), TypeError),
            ("bad hash: surrogate", lambda: _s().match(EMAIL, "\ud800"), RETURNS),
            ("the secret as the hash", lambda: _s().match(EMAIL, PREV), RETURNS),
        ],
        "pylon_idv.Signer.from_key": [
            ("str key", lambda: S.from_key(GOOD), TypeError),
            ("int key", lambda: S.from_key(32), TypeError),
            ("key and more", lambda: S.from_key(bytes.fromhex(GOOD), GOOD), TypeError),
        ],
        "pylon_idv.__main__.main": [
            ("sign, lone surrogate email", lambda: _main(["sign", "\ud800"]),
             UnicodeEncodeError),
            ("verify, lone surrogate hash", lambda: _main(["verify", EMAIL, "\ud800"]),
             UnicodeEncodeError),
            ("diagnose, lone surrogate email, secret file",
             lambda: _main(["diagnose", "\ud800", HASH], file=GOOD + "\n", tmp=tmp),
             UnicodeEncodeError),
            ("fingerprint, secret file", lambda: _main(["fingerprint", "\ud800"], file=GOOD,
                                                       tmp=tmp), RETURNS),
            ("argv not a list", lambda: _main(12), TypeError),
            ("argv of ints", lambda: _main(["sign", 1]), AttributeError),
            ("--secret on the command line", lambda: _main(["--secret=" + GOOD, "sign", "e"]),
             RETURNS),
            ("verify, bad hash", lambda: _main(["verify", EMAIL, GOOD]), RETURNS),
            ("diagnose, the secret as the hash", lambda: _main(["diagnose", EMAIL, GOOD]),
             RETURNS),
        ] + [(f"sign, bad secret {i} in the environment",
              lambda s=s: _main(["sign", EMAIL], env=s), RETURNS)
             for i, s in enumerate(BAD) if "\x00" not in s and "\ud800" not in s] + [
            (f"verify, bad secret {i} in a file",
             lambda s=s: _main(["verify", EMAIL, HASH], file=s, tmp=tmp), RETURNS)
            for i, s in enumerate(BAD)],
        "pylon_idv.flask.ConfigError": [
            ("not a list of problems", lambda: pylon_idv.flask.ConfigError(5), TypeError)],
        "pylon_idv.flask.PylonIDV": [
            ("not an app", lambda: pylon_idv.flask.PylonIDV(object()), AttributeError),
            ("positional email", lambda: pylon_idv.flask.PylonIDV(None, len), TypeError),
        ] + [(f"bad secret {i} in the environment",
              lambda s=s: _flask_init(env=s), pylon_idv.flask.ConfigError)
             for i, s in enumerate(BAD) if "\x00" not in s and "\ud800" not in s],
        "pylon_idv.flask.PylonIDV.init_app": [
            ("not an app", lambda: pylon_idv.flask.PylonIDV().init_app(object()),
             AttributeError),
            ("secret pasted as PYLON_IDV_SECRET_ENV",
             lambda: _flask_init(PYLON_IDV_SECRET_ENV=GOOD), pylon_idv.flask.ConfigError),
            ("secret pasted as PYLON_IDV_PREVIOUS_SECRETS_ENV",
             lambda: _flask_init(PYLON_IDV_PREVIOUS_SECRETS_ENV=PREV.upper()),
             pylon_idv.flask.ConfigError),
            ("secret pasted as PYLON_IDV_FIELDS",
             lambda: _flask_init(PYLON_IDV_FIELDS=GOOD), pylon_idv.flask.ConfigError),
            ("secret pasted as PYLON_IDV_MODE",
             lambda: _flask_init(PYLON_IDV_MODE=GOOD), pylon_idv.flask.ConfigError),
            ("app id whose comparison raises",
             lambda: _flask_init(PYLON_IDV_APP_ID=Evil()), RuntimeError),
            ("previous secrets with a space inside",
             lambda: _flask_init(previous=PREV + " " + GOOD), pylon_idv.flask.ConfigError),
            ("previous secret malformed",
             lambda: _flask_init(previous=PREV + "," + BAD_CHAR), pylon_idv.flask.ConfigError),
            ("init_app twice", lambda: _flask_init(twice=True), ValueError),
        ],
        "pylon_idv.flask.PylonIDV.email_loader": [
            ("not callable", lambda: pylon_idv.flask.PylonIDV().email_loader("x"), TypeError)],
        "pylon_idv.flask.PylonIDV.fields_loader": [
            ("not callable", lambda: pylon_idv.flask.PylonIDV().fields_loader({}),
             TypeError)],
        "pylon_idv.flask:pylon_chat": [
            ("field email_hash", lambda: _flask_render("{{ pylon_chat(email_hash=h) }}"), LOGS),
            ("field bytes", lambda: _flask_render("{{ pylon_chat(plan=b) }}"), LOGS),
            ("email not str", lambda: _flask_render("{{ pylon_chat() }}", email=lambda: 5),
             LOGS),
            ("lone surrogate email",
             lambda: _flask_render("{{ pylon_chat() }}", email=lambda: "\ud800"), LOGS),
            ("fields hook raises",
             lambda: _flask_render("{{ pylon_chat() }}", fields=lambda: {}["name"]), LOGS),
            ("inline mode, bad nonce", lambda: _flask_render_nonce("bad nonce"), LOGS),
            ("outside an app", lambda: _flask_global()(name="x"), RuntimeError),
        ],
        "pylon_idv.jinja.ConfigError": [
            ("not a list of problems", lambda: pylon_idv.jinja.ConfigError(None), TypeError)],
        "pylon_idv.jinja.install": [
            ("not an Environment", lambda: pylon_idv.jinja.install(
                object(), app_id="a", environ={"PYLON_IDENTITY_SECRET": GOOD}), TypeError),
            ("no app id", lambda: pylon_idv.jinja.install(jinja2.Environment()), TypeError),
            ("secret pasted as secret_env", lambda: _jinja_env(
                secret_env=GOOD, environ={}), pylon_idv.jinja.ConfigError),
            ("secret pasted as previous_secrets_env", lambda: _jinja_env(
                previous_secrets_env=GOOD, environ={"PYLON_IDENTITY_SECRET": GOOD}),
             pylon_idv.jinja.ConfigError),
            ("secret pasted as the email hook", lambda: _jinja_env(
                email=GOOD, environ={"PYLON_IDENTITY_SECRET": GOOD}),
             pylon_idv.jinja.ConfigError),
            ("secret pasted as the mode", lambda: _jinja_env(
                mode=GOOD, environ={"PYLON_IDENTITY_SECRET": GOOD}),
             pylon_idv.jinja.ConfigError),
            ("environ holds bytes", lambda: _jinja_env(
                environ={"PYLON_IDENTITY_SECRET": GOOD.encode()}), TypeError),
            ("environ holds a bytes previous", lambda: _jinja_env(
                environ={"PYLON_IDENTITY_SECRET": GOOD,
                         "PYLON_IDENTITY_SECRET_PREVIOUS": bytearray(PREV.encode())}),
             TypeError),
            ("environ not a mapping", lambda: _jinja_env(environ=[GOOD]), AttributeError),
            ("app id whose comparison raises", lambda: _jinja_env(
                app_id=Evil(), environ={"PYLON_IDENTITY_SECRET": GOOD}), RuntimeError),
            ("previous secrets with a space inside", lambda: _jinja_env(
                environ={"PYLON_IDENTITY_SECRET": GOOD,
                         "PYLON_IDENTITY_SECRET_PREVIOUS": PREV + "\t" + GOOD}),
             pylon_idv.jinja.ConfigError),
        ] + [(f"bad secret {i} in environ", lambda s=s: _jinja_env(
            environ={"PYLON_IDENTITY_SECRET": s}), pylon_idv.jinja.ConfigError)
             for i, s in enumerate(BAD)] + [
            (f"bad previous secret {i} in environ", lambda s=s: _jinja_env(
                environ={"PYLON_IDENTITY_SECRET": GOOD, "PYLON_IDENTITY_SECRET_PREVIOUS": s}),
             pylon_idv.jinja.ConfigError) for i, s in enumerate(BAD)],
        "pylon_idv.jinja.PylonChat": [("no arguments", lambda: pylon_idv.jinja.PylonChat(),
                                       TypeError)],
        "pylon_idv.jinja.PylonChat.render": [
            ("context not a mapping", lambda: _jinja_chat().render(5, {}), AttributeError),
            ("field email_hash", lambda: _jinja_chat().render({}, {"email_hash": HASH}), LOGS),
            ("fields not a mapping", lambda: _jinja_chat().render({}, ["name"]), LOGS),
        ],
        "pylon_idv.jinja:pylon_chat": [
            ("field email_hash", lambda: _jinja_render("{{ pylon_chat(email_hash=h) }}"), LOGS),
            ("field bytes", lambda: _jinja_render("{{ pylon_chat(x=b) }}"), LOGS),
            ("email hook returns bytes", lambda: _jinja_render(
                "{{ pylon_chat() }}", email=lambda r: EMAIL.encode()), LOGS),
            ("email hook raises", lambda: _jinja_render(
                "{{ pylon_chat() }}", email=lambda r: {}["email"]), LOGS),
            ("nonce hook returns a bad nonce", lambda: _jinja_render(
                "{{ pylon_chat() }}", nonce=lambda r: "bad nonce"), LOGS),
            ("positional argument", lambda: _jinja_render("{{ pylon_chat(h) }}"), TypeError),
        ],
        "django tag pylon_chat": [
            ("lone surrogate email", lambda: _django_render("{% pylon_chat %}"), LOGS),
            ("field email_hash", lambda: _django_render("{% pylon_chat email_hash=h %}"), LOGS),
            ("broken configuration", lambda: _django_render(
                "{% pylon_chat %}", PYLON_IDV_SECRET_ENV=GOOD), RETURNS),
            ("context not a context", lambda: _tag(5), AttributeError),
        ],
        "django check pylon_idv.django.checks.check_pylon_idv": [
            ("secret pasted as PYLON_IDV_SECRET_ENV",
             lambda: _django_check(PYLON_IDV_SECRET_ENV=GOOD), RETURNS),
            ("secret pasted as PYLON_IDV_EMAIL",
             lambda: _django_check(PYLON_IDV_EMAIL=GOOD), RETURNS),
            ("previous secrets with a space inside",
             lambda: _with_env(_django_check, previous=PREV + " " + GOOD), RETURNS),
            ("app id whose comparison raises",
             lambda: _django_check(PYLON_IDV_APP_ID=Evil()), RuntimeError),
        ] + [(f"bad secret {i} in the environment",
              lambda s=s: _with_env(_django_check, secret=s), RETURNS)
             for i, s in enumerate(BAD) if "\x00" not in s and "\ud800" not in s],
    }


def _with_env(fn, secret=GOOD, previous=None, **kw):
    with _env(PYLON_IDENTITY_SECRET=secret, PYLON_IDENTITY_SECRET_PREVIOUS=previous):
        return fn(**kw)


def _flask_init(env=GOOD, previous=None, twice=False, **config):
    with _env(PYLON_IDENTITY_SECRET=env, PYLON_IDENTITY_SECRET_PREVIOUS=previous):
        app = _flask_app(**config)
        ext = pylon_idv.flask.PylonIDV(app)
        if twice:
            ext.init_app(app)
        return ext


def _flask_render_nonce(nonce):
    app = _flask_app(PYLON_IDV_MODE="inline")
    with _env(PYLON_IDENTITY_SECRET=GOOD):
        pylon_idv.flask.PylonIDV(app)
    with app.test_request_context("/"):
        flask.g.csp_nonce = nonce
        return flask.render_template_string("{{ pylon_chat() }}")


def _flask_global():
    app = _flask_app()
    with _env(PYLON_IDENTITY_SECRET=GOOD):
        pylon_idv.flask.PylonIDV(app)
    return app.jinja_env.globals["pylon_chat"]


def _jinja_chat():
    return _jinja_env(environ={"PYLON_IDENTITY_SECRET": GOOD})[1]


def _jinja_render(template, **hooks):
    env, _ = _jinja_env(environ={"PYLON_IDENTITY_SECRET": GOOD}, mode="inline",
                        **dict({"email": lambda r: EMAIL}, **hooks))
    return env.from_string(template).render(h=HASH, b=b"pro")


# ------------------------------------------------------------------------- the tests

@pytest.fixture
def logged():
    """The exceptions logged by the package (logger "pylon_idv"), every time (the rate limit's
    memory is cleared)."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)
    handler = Keep(logging.DEBUG)
    log = logging.getLogger("pylon_idv")
    old_level, log.level = log.level, logging.DEBUG
    log.addHandler(handler)
    _web._failures.clear()
    try:
        yield records
    finally:
        log.removeHandler(handler)
        log.level = old_level
        _web._failures.clear()


def test_every_public_callable_has_bad_argument_cases(tmp_path):
    table = cases(str(tmp_path))
    public = discover()
    assert len(public) >= 30, public
    missing = [name for name in public if not table.get(name)]
    assert missing == [], f"public callables with no bad-argument case: {missing}"
    stale = sorted(set(table) - set(public))
    assert stale == [], f"cases for names that are not public callables: {stale}"


def test_control_a_new_public_name_is_discovered(monkeypatch):
    """A function added to pylon_idv.__all__, a method added to Signer's kind of class, and a
    function added to the CLI module are discovered: they would then need cases."""
    def shiny(secret_hex):
        return secret_hex

    class Gadget:
        def polish(self):
            pass
    monkeypatch.setattr(pylon_idv, "shiny", shiny, raising=False)
    monkeypatch.setattr(pylon_idv, "Gadget", Gadget, raising=False)
    monkeypatch.setattr(pylon_idv, "__all__", pylon_idv.__all__ + ["shiny", "Gadget"])
    shiny.__module__ = cli.__name__
    monkeypatch.setattr(cli, "shiny", shiny, raising=False)
    found = discover()
    for name in ("pylon_idv.shiny", "pylon_idv.Gadget", "pylon_idv.Gadget.polish",
                 "pylon_idv.__main__.shiny"):
        assert name in found


def _all_cases():
    import tempfile
    table = cases(tempfile.gettempdir())
    return [pytest.param(name, i, id=f"{name}: {label}")
            for name, rows in table.items() for i, (label, _, _) in enumerate(rows)]


@pytest.mark.parametrize("name,index", _all_cases())
def test_no_secret_in_any_frame(name, index, tmp_path, logged, capfd):
    label, call, expected = cases(str(tmp_path))[name][index]
    raised = result = None
    try:
        result = call()
    except BaseException as e:                                   # noqa: B902
        raised = e
    out, err = capfd.readouterr()
    if expected in (RETURNS, LOGS):
        assert raised is None, f"{label}: raised {raised!r}"
        assert not _found(result), f"{label}: the result holds the secret: {_found(result)}"
        assert not _found(out + err), f"{label}: the output holds the secret"
    else:
        assert isinstance(raised, expected), f"{label}: expected {expected}, got {raised!r}"
        assert _leaks(raised) == []
    errors = [r for r in logged if r.exc_info]
    if expected is LOGS:
        assert errors, f"{label}: nothing was logged"
    for record in logged:
        assert not _found(record.getMessage()), f"{label}: the log holds the secret"
    for record in errors:
        assert _leaks(record.exc_info[1]) == [], f"{label}: in the logged exception"


def _package_frames(exc):
    tb, n = exc.__traceback__, 0
    while tb is not None:
        n += tb.tb_frame.f_code.co_filename.startswith(PACKAGE)
        tb = tb.tb_next
    return n


def test_control_a_frame_that_keeps_the_secret_is_caught():
    """Control: a frame of the package that keeps the secret is caught. pylon_idv.diagnose,
    as it was before it cleared its locals, re-created from its own code in the package's
    file (so the frame counts as the package's)."""
    src = ("def diagnose(email, secret_hex, email_hash):\n"
           "    return Diagnosis(*_diagnose(email, secret_hex, email_hash))\n")
    ns = dict(vars(pylon_idv))
    exec(compile(src, pylon_idv.__file__, "exec"), ns)
    with pytest.raises(TypeError) as ei:
        ns["diagnose"](123, GOOD, HASH)
    leaks = _leaks(ei.value)
    assert leaks and "secret_hex" in leaks[0], leaks
    with pytest.raises(TypeError) as ei:
        pylon_idv.diagnose(123, GOOD, HASH)
    assert _package_frames(ei.value) == 1 and _leaks(ei.value) == []
