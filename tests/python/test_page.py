"""The page from Python: the golden files shared with the C and Lua suites
(tests/vectors/page.tsv: exact bytes; page_errors.tsv: one bad input per rule), anonymous
visitors, the markup protocol (Jinja2, markupsafe), no secret in any frame of a traceback,
and properties (shortest floats, key order) against an independent reference."""

import gc
import hashlib
import hmac
import importlib.util
import json
import math
import os
import struct
import sys
import traceback

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pylon_idv
from vectors import SECRET
from pylon_idv import (HTML, Signer, chat_settings, chat_settings_data, chat_settings_json,
                       chat_settings_script, widget_script)

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.join(os.path.dirname(HERE), "vectors")

# The independent reference that wrote the golden file (standard library only).
_spec = importlib.util.spec_from_file_location(
    "make_page_vectors", os.path.join(VEC, "gen", "make_page_vectors.py"))
REF = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(REF)


def rows(name):
    with open(os.path.join(VEC, name), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip() and line[0] != "#"]


def text(h):
    """Hex of UTF-8 bytes -> str; surrogatepass, so an encoded lone surrogate comes back as
    one (what a Python caller can pass); None for '-'."""
    return None if h == "-" else bytes.fromhex(h).decode("utf-8", "surrogatepass")


def expressible(h):
    if h == "-":
        return True
    try:
        bytes.fromhex(h).decode("utf-8", "surrogatepass")
        return True
    except UnicodeDecodeError:
        return False


def fields_of(spec):
    out = {}
    for item in filter(None, spec.split(",")):
        t, k, v = item.split(":", 2)
        key = text(k)
        if t == "s":
            out[key] = text(v)
        elif t == "b":
            out[key] = v == "true"
        elif t == "i":
            out[key] = int(v)
        elif t == "f":
            out[key] = float(v)
        else:
            out[key] = None
    return out


def call(kind, email, secret, app_id, nonce, fields):
    if kind == "widget":
        return widget_script(app_id, nonce=nonce)
    if kind == "script":
        return chat_settings_script(email, secret, app_id=app_id, nonce=nonce, **fields)
    fn = chat_settings_json if kind == "json" else chat_settings_data
    return fn(email, secret, app_id=app_id, **fields)


# --------------------------------------------------------------------- golden file

PAGE = rows("page.tsv")


def test_golden_file_has_its_rows():
    assert len(PAGE) >= 60
    assert {r[1] for r in PAGE} == {"json", "script", "data", "widget"}


@pytest.mark.parametrize("row", PAGE, ids=[r[0] + "-" + r[1] for r in PAGE])
@pytest.mark.parametrize("secret", [SECRET, Signer(SECRET), SECRET.upper().encode()],
                         ids=["text", "signer", "bytes"])
def test_golden_exact_bytes(row, secret):
    name, kind, email, app_id, nonce, fields, want = row
    got = call(kind, text(email), secret, text(app_id), text(nonce), fields_of(fields))
    assert got.encode("utf-8") == bytes.fromhex(want)
    if kind != "json":
        assert type(got) is HTML and got.__html__() is got


@pytest.mark.parametrize("row", [r for r in PAGE if r[1] == "json"], ids=lambda r: r[0])
def test_dict_is_the_json(row):
    name, kind, email, app_id, nonce, fields, want = row
    d = chat_settings(text(email), SECRET, app_id=text(app_id), **fields_of(fields))
    parsed = json.loads(bytes.fromhex(want), object_pairs_hook=list)
    assert list(d) == [k for k, _ in parsed]
    for k, v in parsed:                   # JSON has no int/float distinction: compare floats
        assert (float(v) == d[k]) if isinstance(d[k], float) else (v == d[k] and
                                                                     type(v) is type(d[k]))


# --------------------------------------------------------------- errors, one by one

ERRORS = [r for r in rows("page_errors.tsv")
          if r[11] == "all" or "python" in r[11].split(",")]
EXC = {"TypeError": TypeError, "ValueError": ValueError,
       "InvalidSecretError": pylon_idv.InvalidSecretError}
FNAME = {"json": "chat_settings_json", "script": "chat_settings_script",
         "data": "chat_settings_data", "widget": "widget_script"}


def test_error_table_covers_every_rule():
    assert len(ERRORS) >= 30
    assert {r[7] for r in ERRORS} >= {
        "EAPP_ID_EMPTY", "EAPP_ID_CHAR", "ENONCE_LENGTH", "ENONCE_CHAR", "EEMAIL_UTF8",
        "EKEY_UTF8", "EKEY_RESERVED", "EKEY_PROTO", "EVALUE_UTF8", "EINT_RANGE", "EFLOAT",
        "ESECRET"}


@pytest.mark.parametrize("row", ERRORS, ids=[r[0] for r in ERRORS])
def test_bad_input(row):
    (name, kind, email, app_id, nonce, fields, secret, rule, py, lua, message, langs) = row
    assert all(expressible(h) for h in (email, app_id, nonce))
    secret_text = SECRET if secret == "-" else bytes.fromhex(secret).decode()
    want = ("pylon_idv: " + message) if rule == "ESECRET" else "%s(): %s" % (FNAME[kind], message)
    secrets = [secret_text]
    if secret == "-":
        secrets.append(Signer(SECRET))
    for s in secrets:
        with pytest.raises(EXC[py]) as e:
            call(kind, text(email), s, text(app_id), text(nonce), fields_of(fields))
        assert type(e.value) is EXC[py]
        assert str(e.value) == want
        assert SECRET[:12] not in str(e.value)
        if len(secret_text.strip()) >= 8:
            assert secret_text.strip()[:8] not in str(e.value)
    if kind == "json":                              # chat_settings() has the same checks
        with pytest.raises(EXC[py], match="^" + ("pylon_idv" if rule == "ESECRET"
                                                 else r"chat_settings\(\)")):
            chat_settings(text(email), secret_text, app_id=text(app_id), **fields_of(fields))


@pytest.mark.parametrize("fn", [chat_settings, chat_settings_json, chat_settings_script,
                                chat_settings_data])
def test_type_errors(fn):
    n = fn.__name__
    for args, kw, match in [
        ((b"jane@example.com", SECRET), {"app_id": "a"}, "argument 'email' must be str or None"),
        ((1, SECRET), {"app_id": "a"}, "argument 'email'"),
        (("e", 1234), {"app_id": "a"}, "argument 'secret_or_signer'"),
        (("e", None), {"app_id": "a"}, "argument 'secret_or_signer'"),
        (("e", SECRET), {}, "missing required keyword-only argument: 'app_id'"),
        (("e",), {"app_id": "a"}, "missing required argument 'secret_or_signer'"),
        (("e", SECRET, "a"), {}, r"takes at most 2 positional arguments \(3 given\)"),
        (("e", SECRET), {"app_id": b"a"}, "argument 'app_id' must be str"),
        (("e", SECRET), {"app_id": "a", "x": [1]}, "field 'x' must be str, int, float, bool or None"),
        (("e", SECRET), {"app_id": "a", "x": b"bytes"}, "field 'x'"),
        (("e", SECRET), {"app_id": "a", "x": 1j}, "field 'x'"),
        (("e", SECRET), {"app_id": "a", "my field": {}}, r"a field \(its name is not shown\)"),
        (("e", SECRET), {"app_id": "a", "email_hash": "0" * 64}, "field 'email_hash' is not a field"),
        (("e", SECRET), {"app_id": "a", "email": "x"}, "multiple values for argument 'email'"),
    ]:
        with pytest.raises(TypeError, match=match) as e:
            fn(*args, **kw)
        assert str(e.value).startswith(n + "()")


def test_nonce_is_an_argument_of_script_only():
    assert chat_settings_script("e", SECRET, app_id="a", nonce="abc").startswith(
        '<script nonce="abc">')
    assert chat_settings_script("e", SECRET, app_id="a", nonce=None).startswith("<script>")
    for fn in (chat_settings, chat_settings_json, chat_settings_data):
        with pytest.raises(TypeError, match="nonce is not a chat setting"):
            fn("e", SECRET, app_id="a", nonce="abc")
    with pytest.raises(TypeError, match="argument 'nonce' must be str or None"):
        chat_settings_script("e", SECRET, app_id="a", nonce=b"abc")
    with pytest.raises(TypeError, match="nonce"):
        widget_script("a", nonce=1)
    with pytest.raises(TypeError):
        widget_script("a", "nonce-by-position")
    with pytest.raises(TypeError, match="app_id"):
        widget_script(None)


def test_every_check_before_signing():
    class Boom:                                     # a Signer stand-in is refused by type
        pass
    # a bad field with a bad secret: the field is reported (the secret is never reached)
    with pytest.raises(ValueError, match="finite"):
        chat_settings_script("e", "not hex", app_id="a", x=math.nan)
    with pytest.raises(TypeError, match="field 'x'"):
        chat_settings_script("e", "not hex", app_id="a", x=Boom())
    with pytest.raises(ValueError, match="app_id"):
        chat_settings_script("e", "not hex", app_id="", x=math.nan)


# ------------------------------------------------------------------ visitors

def test_anonymous_visitor():
    assert chat_settings(None, SECRET, app_id="a", name=None, plan="free") == \
        {"app_id": "a", "plan": "free"}
    assert chat_settings_json(None, Signer(SECRET), app_id="a") == '{"app_id":"a"}'
    assert chat_settings_data(None, SECRET, app_id="a") == \
        '<script type="application/json" id="pylon-chat-settings">{"app_id":"a"}</script>'
    # the secret is still checked: a missing one is loud from the first anonymous page
    with pytest.raises(pylon_idv.InvalidSecretError):
        chat_settings_script(None, "", app_id="a")
    with pytest.raises(pylon_idv.InvalidSecretError):
        chat_settings(None, "abc", app_id="a")


def test_email_signed_as_given_and_the_hash_is_the_reference():
    for e in ["Jane@Example.com ", "", "j\u00f6hn@ex\u00e4mple.com", "a\x00b", "\U0001F600@x"]:
        want = hmac.new(bytes.fromhex(SECRET), e.encode(), hashlib.sha256).hexdigest()
        d = chat_settings(e, SECRET, app_id="a")
        assert d["email"] == e and d["email_hash"] == want


# ------------------------------------------------------------------ the markup protocol

def test_html_results_carry_dunder_html():
    for h in (chat_settings_script("e", SECRET, app_id="a", name="<b>"),
              chat_settings_data("e", SECRET, app_id="a"), widget_script("a", nonce="n")):
        assert isinstance(h, str) and type(h) is HTML and h.__html__() is h
    assert type(chat_settings_json("e", SECRET, app_id="a")) is str
    assert HTML.__module__ == "pylon_idv" and pylon_idv.HTML is HTML
    assert type(HTML("x") + "y") is str                 # operations give plain str


def test_jinja2_and_markupsafe_insert_it_unescaped():
    markupsafe = pytest.importorskip("markupsafe")
    jinja2 = pytest.importorskip("jinja2")
    h = chat_settings_script("e", SECRET, app_id="a", name="</script>&")
    assert str(markupsafe.escape(h)) == h
    assert markupsafe.Markup(h) == h
    env = jinja2.Environment(autoescape=True)
    assert env.from_string("{{ s }}").render(s=h) == h
    assert env.from_string("{{ w }}").render(w=widget_script("a")) == widget_script("a")
    # a plain str is escaped, as it must be
    assert env.from_string("{{ s }}").render(s=str(h)) != h


def test_html_pickles():
    import pickle
    h = widget_script("a")
    h2 = pickle.loads(pickle.dumps(h))
    assert h2 == h and type(h2) is HTML


# ------------------------------------------------------------------ no secret in frames

def _walk_locals(tb):
    """Every local variable of every frame of the traceback, as (file, name, value)."""
    out = []
    while tb is not None:
        f = tb.tb_frame
        for k, v in f.f_locals.items():
            out.append((f.f_code.co_filename, k, v))
        tb = tb.tb_next
    return out


def _holds(value, secret):
    try:
        if isinstance(value, (str, bytes, bytearray)):
            return (secret in value) if isinstance(value, str) else (secret.encode() in value)
        if isinstance(value, (list, tuple, set, frozenset)):
            return any(_holds(v, secret) for v in value)
        if isinstance(value, dict):
            return any(_holds(k, secret) or _holds(v, secret) for k, v in value.items())
    except TypeError:
        pass
    return False


PKG = os.path.dirname(pylon_idv.__file__)


@pytest.mark.parametrize("fn", [chat_settings, chat_settings_json, chat_settings_script,
                                chat_settings_data])
@pytest.mark.parametrize("bad", ["nan-field", "bad-secret", "type", "surrogate", "reserved"])
def test_no_frame_of_the_package_holds_the_secret(fn, bad):
    secret = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9" + \
        ("g" if bad == "bad-secret" else "0")
    kw = {"app_id": "a", "name": "Jane"}
    if bad == "nan-field":
        kw["score"] = math.nan
    elif bad == "type":
        kw["x"] = object()
    elif bad == "surrogate":
        kw["name"] = "\ud800"
    elif bad == "reserved":
        kw["email_hash"] = "x"
    try:
        fn("jane@example.com", secret, **kw)
    except Exception:
        etype, e, tb = sys.exc_info()
    else:
        pytest.fail("no exception")
    frames = _walk_locals(tb)
    ours = [(f, k) for f, k, v in frames if f.startswith(PKG) and _holds(v, secret)]
    assert ours == []
    # the exception itself shows no part of it either
    assert secret[:12] not in str(e) and not any(_holds(a, secret) for a in e.args)
    assert secret[:12] not in "".join(traceback.format_exception(etype, e, tb))
    # and every frame of the traceback is the test's own: the package adds none
    assert all(not f.startswith(PKG) for f, _, _ in frames)
    del tb, e, frames
    gc.collect()


# ------------------------------------------------------------------ properties

@settings(max_examples=2000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_shortest_round_trip_as_javascript_writes_them(x):
    out = chat_settings_json(None, SECRET, app_id="a", x=x)
    num = out[len('{"app_id":"a","x":'):-1]
    assert num == REF.js_number(x)
    assert float(num) == x and (math.copysign(1, float(num)) == math.copysign(1, x))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2 ** 64 - 1))
def test_random_bit_patterns(bits):
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if math.isfinite(x):
        out = chat_settings_json(None, SECRET, app_id="a", x=x)
        assert out[len('{"app_id":"a","x":'):-1] == REF.js_number(x)


@settings(max_examples=500, deadline=None)
@given(st.integers())
def test_integers_in_range_or_an_error(n):
    if abs(n) <= 2 ** 53 - 1:
        assert chat_settings_json(None, SECRET, app_id="a", n=n) == '{"app_id":"a","n":%d}' % n
    else:
        with pytest.raises(ValueError, match="pass it as a string"):
            chat_settings_json(None, SECRET, app_id="a", n=n)


_key = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8).filter(
    lambda k: k not in ("email", "email_hash", "nonce", "app_id", "__proto__",
                        "secret_or_signer"))
_val = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 53 - 1), 2 ** 53 - 1),
                 st.floats(allow_nan=False, allow_infinity=False),
                 st.text(alphabet=st.characters(blacklist_categories=("Cs",))))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_key, _val, max_size=8), st.one_of(st.none(), st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)))))
def test_random_settings_match_the_reference(fields, email):
    def t(v):
        return "n" if v is None else "b" if isinstance(v, bool) else \
            "i" if isinstance(v, int) else "f" if isinstance(v, float) else "s"
    ref = REF.settings_json(email, "app", [(t(v), k, v) for k, v in fields.items()])
    assert chat_settings_json(email, SECRET, app_id="app", **fields) == ref
    assert json.loads(ref) == {k: v for k, v in chat_settings(
        email, SECRET, app_id="app", **fields).items()} or any(
        isinstance(v, float) for v in fields.values())
