"""chat_settings / chat_settings_script: the settings dict and the page's <script>, from the C
core's one settings builder (settings.c) and its escaper pylon_idv_json_string (read through
chat_settings_json). The golden files and the bad-input table: test_page.py."""

import enum
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pylon_idv
from vectors import SECRET, ref
from pylon_idv import chat_settings, chat_settings_json, chat_settings_script

SIGNER = pylon_idv.Signer(SECRET)
EMAIL = "jane@example.com"
APP = "app-0123"
HEAD = ("<script>(function(w,O){var p=w.pylon,q=p&&typeof p==\"object\"?O.getPrototypeOf(p):1;"
        "if(q!==O.prototype&&(q!==null||p.window===p))w.pylon=p={};p.chat_settings=")
TAIL = "})(window,Object);</script>"

HOSTILE = [
    "</script><script>alert(1)</script>",
    "</SCRIPT ><img src=x onerror=alert(1)>",
    "<!--",
    "<!-- <script>",
    "-->",
    "]]>",
    "\u2028\u2029",
    "a\u2028b\u2029c",
    "\"quoted\" 'single' `back`",
    "back\\slash\\",
    "\\u003c",
    "&lt;&amp;&#x3C;",
    "${alert(1)}",
    "\x00\x01\x1f\x7f\n\r\t\b\f",
    "Jérôme 日本語 😀 \u0085 \ufeff",
    "}; alert(1); var x = {",
]


def parse(script):
    """The settings object of a chat_settings_script, checking the whole element's shape."""
    assert script.startswith(HEAD) and script.endswith(TAIL), script
    assert script.count("<script") == 1 and script.lower().count("<script") == 1
    assert script.lower().count("</script") == 1 and script.endswith("</script>")
    assert "<!--" not in script and "-->" not in script
    body = script[len(HEAD):-len(TAIL)]
    for ch in "<>&\u2028\u2029":
        assert ch not in body, (ch, body)
    return json.loads(body, object_pairs_hook=lambda pairs: pairs)


# ------------------------------------------------------------------------- the dict

def test_chat_settings_dict():
    d = chat_settings(EMAIL, SECRET, app_id=APP, name="Jane", plan=None, seats=3)
    assert d == {"app_id": APP, "email": EMAIL, "email_hash": ref(EMAIL), "name": "Jane",
                 "seats": 3}
    assert list(d) == ["app_id", "email", "email_hash", "name", "seats"]


@pytest.mark.parametrize("s", [SECRET, SECRET.encode(), " " + SECRET.upper() + "\n",
                               bytearray(SECRET.encode()), memoryview(SECRET.encode()), SIGNER])
def test_secret_or_signer(s):
    assert chat_settings(EMAIL, s, app_id=APP)["email_hash"] == ref(EMAIL)
    assert parse(chat_settings_script(EMAIL, s, app_id=APP))[2] == ("email_hash", ref(EMAIL))


def test_signer_with_previous_signs_with_current():
    old = pylon_idv.generate_secret()
    s = pylon_idv.Signer(SECRET, previous=[old])
    assert chat_settings(EMAIL, s, app_id=APP)["email_hash"] == ref(EMAIL)


def test_keywords():
    d = chat_settings(email=EMAIL, secret_or_signer=SIGNER, app_id=APP)
    assert d["email_hash"] == ref(EMAIL)
    s = chat_settings_script(email=EMAIL, secret_or_signer=SIGNER, app_id=APP)
    assert parse(s)[1] == ("email", EMAIL)


# ------------------------------------------------------------------------- the script

def test_script_exact_shape():
    s = chat_settings_script(EMAIL, SIGNER, app_id=APP, name="Jane Doe", n=1, f=0.5, ok=True,
                             no=False, skip=None)
    assert s == (HEAD + '{"app_id":"app-0123","email":"jane@example.com","email_hash":"'
                 + ref(EMAIL) + '","f":0.5,"n":1,"name":"Jane Doe","no":false,"ok":true}'
                 + TAIL)
    assert s.startswith("<script>(function(w,O){var p=w.pylon,") and s.endswith(
        ',"ok":true}})(window,Object);</script>')


def test_key_order_is_deterministic():
    s1 = chat_settings_script(EMAIL, SIGNER, app_id=APP, b=1, a=2, c=3)
    s2 = chat_settings_script(EMAIL, SIGNER, app_id=APP, b=1, a=2, c=3)
    assert s1 == s2
    assert [k for k, _ in parse(s1)] == ["app_id", "email", "email_hash", "a", "b", "c"]
    assert list(chat_settings(EMAIL, SIGNER, app_id=APP, b=1, a=2, c=3)) == \
        ["app_id", "email", "email_hash", "a", "b", "c"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_name_is_inert(value):
    s = chat_settings_script(EMAIL, SIGNER, app_id=APP, name=value)
    obj = parse(s)
    assert obj[3] == ("name", value)
    assert obj[2] == ("email_hash", ref(EMAIL))


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_email_is_inert_and_signed_as_given(value):
    email = value + "@example.com"
    s = chat_settings_script(email, SIGNER, app_id=APP)
    assert parse(s)[1:3] == [("email", email), ("email_hash", ref(email))]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_key_is_inert(value):
    s = chat_settings_script(EMAIL, SIGNER, app_id=APP, **{value: value})
    obj = parse(s)
    assert obj[0] == ("app_id", APP) and obj[3] == (value, value)


def test_all_at_once():
    fields = {f"f{i}": v for i, v in enumerate(HOSTILE)}
    s = chat_settings_script("</script>" + EMAIL, SIGNER, app_id=APP, **fields)
    obj = dict(parse(s))
    assert obj == chat_settings("</script>" + EMAIL, SIGNER, app_id=APP, **fields)


def test_numbers_and_booleans():
    class Level(enum.IntEnum):
        GOLD = 7

    class MyFloat(float):
        def __repr__(self):
            return "not a number"

    big = 2 ** 53 - 1
    s = chat_settings_script(EMAIL, SIGNER, app_id=APP, t=True, f=False, z=0, neg=-5,
                             big=big, lvl=Level.GOLD, x=0.1, tiny=5e-324, huge=1e300,
                             negzero=-0.0, mf=MyFloat(2.5))
    obj = dict(parse(s))
    assert obj["t"] is True and obj["f"] is False
    assert obj["z"] == 0 and obj["neg"] == -5 and obj["big"] == big and obj["lvl"] == 7
    assert obj["x"] == 0.1 and obj["tiny"] == 5e-324 and obj["huge"] == 1e300
    assert obj["mf"] == 2.5
    assert '"negzero":-0,' in s and '"lvl":7' in s and '"t":true' in s
    assert '"huge":1e+300' in s and '"x":0.1' in s
    d = chat_settings(EMAIL, SIGNER, app_id=APP, lvl=Level.GOLD, mf=MyFloat(2.5))
    assert type(d["lvl"]) is int and type(d["mf"]) is float       # the values the JSON has


def test_str_subclass_value_is_escaped():
    class Markup(str):              # like markupsafe.Markup: "safe" HTML is still escaped
        pass

    s = chat_settings_script(EMAIL, SIGNER, app_id=APP, name=Markup("<b>Jane</b>"))
    assert dict(parse(s))["name"] == "<b>Jane</b>"


# ------------------------------------------------------------------------- errors

@pytest.mark.parametrize("fn", [chat_settings, chat_settings_script])
@pytest.mark.parametrize("value", [b"bytes", ["list"], {"d": 1}, object(), 1j, (1,),
                                   bytearray(b"x")])
def test_other_value_types_raise_type_error(fn, value):
    with pytest.raises(TypeError, match="'name'"):
        fn(EMAIL, SIGNER, app_id=APP, name=value)


@pytest.mark.parametrize("fn", [chat_settings, chat_settings_script])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_raise_value_error(fn, value):
    with pytest.raises(ValueError, match="finite"):
        fn(EMAIL, SIGNER, app_id=APP, score=value)


@pytest.mark.parametrize("fn", [chat_settings, chat_settings_script])
def test_argument_errors(fn):
    with pytest.raises(TypeError, match="email"):
        fn(EMAIL.encode(), SIGNER, app_id=APP)
    with pytest.raises(TypeError, match="secret_or_signer"):
        fn(EMAIL, 12345, app_id=APP)
    with pytest.raises(TypeError, match="secret_or_signer"):
        fn(EMAIL, None, app_id=APP)
    with pytest.raises(TypeError):
        fn(EMAIL, SIGNER)                                  # app_id is required
    with pytest.raises(TypeError):
        fn(EMAIL, SIGNER, APP)                             # and keyword-only
    with pytest.raises(TypeError, match="app_id"):
        fn(EMAIL, SIGNER, app_id=123)
    with pytest.raises(TypeError, match="app_id"):
        fn(EMAIL, SIGNER, app_id=None)
    with pytest.raises(ValueError, match="app_id"):
        fn(EMAIL, SIGNER, app_id="")
    with pytest.raises(ValueError, match="app_id"):
        fn(EMAIL, SIGNER, app_id="my app")
    with pytest.raises(TypeError, match="email_hash"):
        fn(EMAIL, SIGNER, app_id=APP, email_hash="0" * 64)
    with pytest.raises(TypeError):
        fn(EMAIL, SIGNER, app_id=APP, **{"email": "other@example.com"})
    with pytest.raises(pylon_idv.InvalidSecretError):
        fn(EMAIL, SECRET[:63], app_id=APP)
    with pytest.raises(pylon_idv.InvalidSecretError):
        fn(EMAIL, "", app_id=APP)


def test_type_errors_come_before_any_signing():
    # The bad secret would raise InvalidSecretError; the bad field is reported first.
    with pytest.raises(TypeError):
        chat_settings_script(EMAIL, "zz", app_id=APP, name=[1])


@pytest.mark.parametrize("where", ["value", "key", "email", "app_id"])
def test_lone_surrogate_raises_value_error(where):
    bad = "x\ud800y"
    kw = {"app_id": APP, "name": "Jane"}
    email = EMAIL
    if where == "value":
        kw["name"] = bad
    elif where == "key":
        kw[bad] = 1
    elif where == "email":
        email = bad + "@example.com"
    else:
        kw["app_id"] = bad
    with pytest.raises(ValueError, match={"value": "field 'name'.*UTF-8", "key": "field name.*UTF-8",
                                          "email": "email.*UTF-8", "app_id": "app_id"}[where]) as e:
        chat_settings_script(email, SIGNER, **kw)
    assert not isinstance(e.value, UnicodeError)        # which would carry the whole value


def test_messages_never_show_the_secret():
    bad = SECRET[:17] + "x" + SECRET[18:]
    with pytest.raises(pylon_idv.InvalidSecretError) as e:
        chat_settings_script(EMAIL, bad, app_id=APP)
    assert "position 17" in str(e.value) and SECRET[:17] not in str(e.value)


# ------------------------------------------------ the escaper, through the JSON text
# (the core's pylon_idv_json_string; its invalid-UTF-8 and worst-size cases: tests/c/test_script.c)

def _escaped(s):
    """The JSON string literal chat_settings_json writes for s (as the value of field v)."""
    out = chat_settings_json(None, SECRET, app_id=APP, v=s)
    head = '{"app_id":"%s","v":' % APP
    assert out.startswith(head) and out.endswith("}")
    return out[len(head):-1]


def test_json_string_basics():
    assert _escaped("") == '""'
    assert _escaped("a") == '"a"'
    assert _escaped("</script>") == '"\\u003c/script\\u003e"'
    assert _escaped("&") == '"\\u0026"'
    assert _escaped("\u2028\u2029") == '"\\u2028\\u2029"'
    assert _escaped('"\\') == '"\\"\\\\"'
    assert _escaped("\n\r\t\x00\x7f") == '"\\n\\r\\t\\u0000\\u007f"'
    assert _escaped("é😀") == '"é😀"'


def test_json_string_large():
    s = "<" * 100_000 + "é" * 1000                      # past the stack buffer
    out = _escaped(s)
    assert json.loads(out) == s and "<" not in out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_json_string_round_trips(s):
    out = _escaped(s)
    assert json.loads(out) == s
    assert not re.search("[<>&\u2028\u2029]", out)
    assert out[0] == out[-1] == '"'
