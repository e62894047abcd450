"""The Python API as the README states it: types, keywords, errors, Signer, stubs."""

import copy
import hashlib
import hmac
import inspect
import os
import pickle
import re
import sys

import pytest

import pylon_idv
from vectors import SECRET, ref

EMAIL = "jane@example.com"
HASH = "386c49f4b2c6be922a05a7be7d380e49fba9a38cdb79d5378defc663716f3e6e"
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)


# ---------------------------------------------------------------- the module

def test_exports():
    assert set(pylon_idv.__all__) == {"Diagnosis", "Error", "HTML", "InvalidSecretError",
                                      "Signer", "__version__", "chat_settings",
                                      "chat_settings_data", "chat_settings_json",
                                      "chat_settings_script", "csp_sources", "diagnose",
                                      "generate_secret",
                                      "script_tag", "sign", "static_path", "verify", "widget_script"}
    for name in pylon_idv.__all__:
        assert hasattr(pylon_idv, name)


def test_version_is_the_c_core_version_from_the_header():
    with open(os.path.join(REPO, "core", "include", "pylon_idv.h")) as f:
        want = re.search(r'PYLON_IDV_VERSION_STRING "([^"]+)"', f.read()).group(1)
    assert pylon_idv.__version__ == want
    from importlib.metadata import version
    assert version("pylon_idv") == want


def test_exception_hierarchy():
    assert issubclass(pylon_idv.Error, Exception)
    assert issubclass(pylon_idv.InvalidSecretError, pylon_idv.Error)
    assert issubclass(pylon_idv.InvalidSecretError, ValueError)
    assert pylon_idv.Error.__module__ == "pylon_idv"
    assert pylon_idv.InvalidSecretError.__module__ == "pylon_idv"
    assert pylon_idv.Signer.__module__ == "pylon_idv"


def test_docstrings_everywhere():
    objs = [pylon_idv, pylon_idv.sign, pylon_idv.verify, pylon_idv.generate_secret,
            pylon_idv.diagnose, pylon_idv.Diagnosis, pylon_idv.chat_settings,
            pylon_idv.chat_settings_script, pylon_idv.chat_settings_json,
            pylon_idv.chat_settings_data, pylon_idv.widget_script, pylon_idv.static_path,
            pylon_idv.csp_sources, pylon_idv.HTML, pylon_idv._pylon_idv._diagnose,
            pylon_idv.Signer, pylon_idv.Signer.sign, pylon_idv.Signer.verify,
            pylon_idv.Signer.match, pylon_idv.Signer.from_key, pylon_idv.Signer.fingerprint,
            pylon_idv.Error, pylon_idv.InvalidSecretError]
    for o in objs:
        assert o.__doc__ and len(o.__doc__) > 40, o


def test_signatures():
    assert str(inspect.signature(pylon_idv.sign)) == "(email, secret_hex)"
    assert str(inspect.signature(pylon_idv.verify)) == "(email, secret_hex, email_hash)"
    assert str(inspect.signature(pylon_idv.Signer)) == "(secret_hex, *, previous=())"
    assert str(inspect.signature(pylon_idv.Signer.from_key)) == "(key_bytes)"
    assert str(inspect.signature(pylon_idv.Signer.match)) == "(self, /, email, email_hash)"
    assert str(inspect.signature(pylon_idv.diagnose)) == "(email, secret_hex, email_hash)"
    assert str(inspect.signature(pylon_idv.chat_settings)) == \
        "(email, secret_or_signer, *, app_id, **fields)"
    for f in (pylon_idv.chat_settings_json, pylon_idv.chat_settings_data):
        assert str(inspect.signature(f)) == "(email, secret_or_signer, *, app_id, **fields)"
    assert str(inspect.signature(pylon_idv.chat_settings_script)) == \
        "(email, secret_or_signer, *, app_id, nonce=None, **fields)"
    assert str(inspect.signature(pylon_idv.widget_script)) == "(app_id, *, nonce=None)"
    assert str(inspect.signature(pylon_idv.static_path)) == "()"
    assert str(inspect.signature(pylon_idv.csp_sources)) == "()"


def test_hot_functions_are_the_c_functions_themselves():
    # No Python-level wrapper between the caller and the extension on the hot path.
    from pylon_idv import _pylon_idv
    assert pylon_idv.sign is _pylon_idv.sign
    assert pylon_idv.verify is _pylon_idv.verify
    assert pylon_idv.Signer is _pylon_idv.Signer
    # the page functions too: no Python frame ever holds the secret
    for name in ("chat_settings", "chat_settings_json", "chat_settings_script",
                 "chat_settings_data", "widget_script"):
        assert getattr(pylon_idv, name) is getattr(_pylon_idv, name)
        assert type(getattr(pylon_idv, name)).__name__ == "builtin_function_or_method"
    assert type(pylon_idv.sign).__name__ == "builtin_function_or_method"


def test_typed_package():
    pkg = os.path.dirname(pylon_idv.__file__)
    assert os.path.exists(os.path.join(pkg, "py.typed"))
    with open(os.path.join(pkg, "__init__.pyi")) as f:
        stub = f.read()
    for name in ("def sign(", "def verify(", "def generate_secret(", "class Signer",
                 "def from_key(", "def match(", "def fingerprint(", "class InvalidSecretError",
                 "def diagnose(", "class Diagnosis", "def chat_settings(",
                 "def chat_settings_script(", "def chat_settings_json(",
                 "def chat_settings_data(", "def widget_script(", "def static_path(",
                 "def csp_sources(", "class HTML"):
        assert name in stub
    import ast
    tree = ast.parse(stub)
    stub_all = next(ast.literal_eval(n.value) for n in tree.body
                    if isinstance(n, ast.Assign) and n.targets[0].id == "__all__")
    assert stub_all == pylon_idv.__all__


def test_extension_is_abi3():
    from pylon_idv import _pylon_idv
    assert _pylon_idv.__file__.endswith(".abi3.so")


# ---------------------------------------------------------------- sign / verify

def test_sign_matches_reference_snippet():
    assert pylon_idv.sign(EMAIL, SECRET) == HASH == ref(EMAIL)


def test_positions_or_keywords():
    assert pylon_idv.sign(email=EMAIL, secret_hex=SECRET) == HASH
    assert pylon_idv.sign(EMAIL, secret_hex=SECRET) == HASH
    assert pylon_idv.sign(secret_hex=SECRET, email=EMAIL) == HASH
    assert pylon_idv.verify(email=EMAIL, secret_hex=SECRET, email_hash=HASH) is True
    assert pylon_idv.verify(EMAIL, SECRET, email_hash=HASH) is True
    s = pylon_idv.Signer(secret_hex=SECRET)
    assert s.sign(email=EMAIL) == HASH
    assert s.verify(email=EMAIL, email_hash=HASH) is True
    assert s.match(EMAIL, email_hash=HASH) == 0
    assert pylon_idv.Signer.from_key(key_bytes=b"k").sign(b"m") == \
        hmac.new(b"k", b"m", hashlib.sha256).hexdigest()


@pytest.mark.parametrize("call,msg", [
    (lambda: pylon_idv.sign(EMAIL), "missing required argument 'secret_hex'"),
    (lambda: pylon_idv.sign(), "missing required argument 'email'"),
    (lambda: pylon_idv.sign(EMAIL, SECRET, HASH), "takes exactly 2 arguments (3 given)"),
    (lambda: pylon_idv.sign(EMAIL, secret=SECRET), "unexpected keyword argument 'secret'"),
    (lambda: pylon_idv.sign(EMAIL, SECRET, email=EMAIL), "multiple values for argument 'email'"),
    (lambda: pylon_idv.verify(EMAIL, SECRET), "missing required argument 'email_hash'"),
    (lambda: pylon_idv.Signer(SECRET, ["00"]), "at most 1 positional argument"),
    (lambda: pylon_idv.Signer(SECRET).sign(), "missing required argument 'email'"),
    # the same parser behind Signer(), the tags and the page (keyword-only parameters, **fields)
    (lambda: pylon_idv.Signer(), "Signer() missing required argument 'secret_hex' (pos 1)"),
    (lambda: pylon_idv.Signer(SECRET, prev=[]), "Signer() got an unexpected keyword argument "
                                                "'prev'"),
    (lambda: pylon_idv.Signer(SECRET, secret_hex=SECRET), "multiple values for argument "
                                                          "'secret_hex'"),
    (lambda: pylon_idv.Signer.from_key(), "from_key() missing required argument 'key_bytes'"),
    (lambda: pylon_idv.script_tag(), "script_tag() missing required argument 'src' (pos 1)"),
    (lambda: pylon_idv.script_tag("/a.js", "n"), "script_tag() takes at most 1 positional "
                                                 "argument (2 given)"),
    (lambda: pylon_idv.script_tag("/a.js", nonc="n"), "unexpected keyword argument 'nonc'"),
    (lambda: pylon_idv.widget_script(app_id="a", nonce=None, x=1), "widget_script() got an "
                                                                   "unexpected keyword argument 'x'"),
    (lambda: pylon_idv.chat_settings_data(EMAIL, SECRET), "chat_settings_data() missing "
                                                          "required keyword-only argument: 'app_id'"),
    (lambda: pylon_idv.chat_settings(EMAIL, app_id="a"), "chat_settings() missing required "
                                                         "argument 'secret_or_signer' (pos 2)"),
])
def test_argument_errors(call, msg):
    with pytest.raises(TypeError) as info:
        call()
    assert msg in str(info.value)


def test_argument_forms_agree():
    # by position or by keyword, the same answer from every function of the one parser
    assert str(pylon_idv.script_tag(src="/a.js", nonce="n")) == str(pylon_idv.script_tag("/a.js", nonce="n"))
    assert str(pylon_idv.widget_script(app_id="a")) == str(pylon_idv.widget_script("a"))
    assert pylon_idv.Signer(secret_hex=SECRET, previous=[SECRET]).match(EMAIL, HASH) == 0
    by_kw = pylon_idv.chat_settings(email=EMAIL, secret_or_signer=SECRET, app_id="a", name="N")
    assert by_kw == pylon_idv.chat_settings(EMAIL, SECRET, app_id="a", name="N")
    assert by_kw["name"] == "N" and by_kw["email_hash"] == HASH


def test_swapped_arguments_fail_loudly():
    # An email is not hex: the classic swapped call is an error, not a wrong hash.
    with pytest.raises(pylon_idv.InvalidSecretError, match="at position 0"):
        pylon_idv.sign(SECRET, EMAIL)


@pytest.mark.parametrize("email", [EMAIL, EMAIL.encode(), bytearray(EMAIL.encode()),
                                   memoryview(EMAIL.encode())])
def test_email_types(email):
    assert pylon_idv.sign(email, SECRET) == HASH
    assert pylon_idv.Signer(SECRET).sign(email) == HASH


def test_email_other_buffers_are_copied():
    import array
    a = array.array("B", EMAIL.encode())
    assert pylon_idv.sign(a, SECRET) == HASH
    # a multi-byte item type: the raw bytes, as hashlib would hash them
    w = array.array("I", [1, 2, 3])
    assert pylon_idv.sign(w, SECRET) == ref(w.tobytes())
    # a non-contiguous memoryview: its bytes in logical order, as bytes(view) gives
    mv = memoryview(b"0123456789")[::2]
    assert pylon_idv.sign(mv, SECRET) == ref(b"02468")


def test_email_str_subclass():
    class S(str):
        pass
    assert pylon_idv.sign(S(EMAIL), SECRET) == HASH


@pytest.mark.parametrize("bad", [None, 1, 1.5, ["a"], ("a",), {"a": 1}, object(), [106, 97]])
def test_email_wrong_type(bad):
    with pytest.raises(TypeError, match=r"argument 'email' must be str or a bytes-like object"):
        pylon_idv.sign(bad, SECRET)
    with pytest.raises(TypeError, match=r"argument 'email' must be str"):
        pylon_idv.verify(bad, SECRET, HASH)
    s = pylon_idv.Signer(SECRET)
    for f in (s.sign, lambda e: s.verify(e, HASH), lambda e: s.match(e, HASH)):
        with pytest.raises(TypeError, match=r"argument 'email' must be str"):
            f(bad)


@pytest.mark.parametrize("bad", [None, 1, ["00ff"], object()])
def test_secret_wrong_type(bad):
    with pytest.raises(TypeError, match=r"argument 'secret_hex' must be str or bytes"):
        pylon_idv.sign(EMAIL, bad)
    with pytest.raises(TypeError, match=r"argument 'secret_hex' must be str or bytes"):
        pylon_idv.verify(EMAIL, bad, HASH)
    with pytest.raises(TypeError, match=r"argument 'secret_hex' must be str or bytes"):
        pylon_idv.Signer(bad)


def test_secret_types_and_whitespace():
    for s in (SECRET, SECRET.upper(), SECRET.encode(), bytearray(SECRET.encode()),
              memoryview(SECRET.encode()), f" \t{SECRET}\r\n", f"{SECRET}\n".encode()):
        assert pylon_idv.sign(EMAIL, s) == HASH


def test_lone_surrogate_email():
    for bad in ("\ud800", "jane\udfff@example.com", "a\udc80"):
        with pytest.raises(UnicodeEncodeError):
            pylon_idv.sign(bad, SECRET)
        with pytest.raises(UnicodeEncodeError):
            pylon_idv.verify(bad, SECRET, HASH)
        with pytest.raises(UnicodeEncodeError):
            pylon_idv.Signer(SECRET).sign(bad)
    # a proper surrogate pair written as one code point is fine
    assert pylon_idv.sign("\U0001F600", SECRET) == ref("\U0001F600".encode("utf-8"))


def test_nul_in_email():
    for e in ("jane\x00@example.com", b"\x00", b"a\x00b", "\x00" * 100):
        assert pylon_idv.sign(e, SECRET) == ref(e)
    assert pylon_idv.sign("jane\x00@example.com", SECRET) != pylon_idv.sign("jane", SECRET)


def test_no_normalisation():
    assert pylon_idv.sign("Jane@Example.com", SECRET) != HASH
    assert pylon_idv.sign(" jane@example.com", SECRET) != HASH
    assert pylon_idv.sign("jos\u00e9", SECRET) != pylon_idv.sign("jose\u0301", SECRET)


def test_empty_email():
    for e in ("", b"", bytearray(), memoryview(b"")):
        assert pylon_idv.sign(e, SECRET) == ref(b"")


def test_large_emails_release_the_gil_and_agree():
    n = pylon_idv._pylon_idv._GIL_RELEASE_MIN
    for size in (n - 1, n, n + 1, 1 << 20):
        data = os.urandom(size)
        want = ref(data)
        signer = pylon_idv.Signer(SECRET, previous=["00ff"])
        for e in (data, bytearray(data), memoryview(data)):
            assert pylon_idv.sign(e, SECRET) == want
            assert pylon_idv.sign(e, bytearray(SECRET.encode())) == want
            assert pylon_idv.verify(e, SECRET, want) is True
            assert pylon_idv.verify(e, SECRET, bytearray(want.encode())) is True
            assert signer.sign(e) == want
            assert signer.match(e, want) == 0
        text = "\u00e9" * (size // 2)
        assert pylon_idv.sign(text, SECRET) == ref(text)


@pytest.mark.parametrize("h", [None, "", "00", HASH[:-1], HASH + "0", HASH[:-1] + "g",
                               " " + HASH[1:], HASH[:-1] + "\u00e9", "\u00e9" * 64,
                               HASH[:-1] + "\ud800", b"", HASH.encode()[:-1], HASH + "\n",
                               "0x" + HASH[2:], HASH.replace("3", "\u0663")])
def test_verify_malformed_hash_is_false(h):
    assert pylon_idv.verify(EMAIL, SECRET, h) is False
    s = pylon_idv.Signer(SECRET)
    assert s.verify(EMAIL, h) is False
    assert s.match(EMAIL, h) is None


@pytest.mark.parametrize("h", [1, 1.0, [HASH], object(), {HASH: 1}])
def test_verify_hash_wrong_type(h):
    with pytest.raises(TypeError, match=r"argument 'email_hash' must be str, bytes or None"):
        pylon_idv.verify(EMAIL, SECRET, h)
    with pytest.raises(TypeError, match=r"argument 'email_hash' must be str, bytes or None"):
        pylon_idv.Signer(SECRET).verify(EMAIL, h)


def test_verify_hash_forms():
    for h in (HASH, HASH.upper(), HASH.encode(), bytearray(HASH.encode()),
              memoryview(HASH.encode()), HASH[:10].upper() + HASH[10:]):
        assert pylon_idv.verify(EMAIL, SECRET, h) is True


def test_verify_every_flipped_digit_fails():
    s = pylon_idv.Signer(SECRET)
    for i in range(64):
        c = "1" if HASH[i] != "1" else "2"
        bad = HASH[:i] + c + HASH[i + 1:]
        assert pylon_idv.verify(EMAIL, SECRET, bad) is False
        assert s.verify(EMAIL, bad) is False


def test_bad_secret_is_loud_even_with_none_hash():
    with pytest.raises(pylon_idv.InvalidSecretError):
        pylon_idv.verify(EMAIL, "", None)


def test_generate_secret():
    seen = set()
    for _ in range(100):
        s = pylon_idv.generate_secret()
        assert re.fullmatch(r"[0-9a-f]{64}", s)
        seen.add(s)
        assert pylon_idv.sign(EMAIL, s) == ref(EMAIL, s)
    assert len(seen) == 100
    with pytest.raises(TypeError):
        pylon_idv.generate_secret(1)


# ---------------------------------------------------------------- Signer

def test_signer_equals_one_shot():
    s = pylon_idv.Signer(SECRET)
    for e in ("", "a", "x" * 55, "x" * 56, "x" * 64, "x" * 1000, EMAIL):
        assert s.sign(e) == pylon_idv.sign(e, SECRET)


def test_signer_repr_shows_fingerprint_only():
    s = pylon_idv.Signer(SECRET)
    r = repr(s)
    assert re.fullmatch(r"<pylon_idv\.Signer fingerprint=[0-9a-f]{16}>", r)
    assert s.fingerprint in r
    assert SECRET not in r and SECRET[:8] not in r
    assert str(s) == r


def test_fingerprint():
    s = pylon_idv.Signer(SECRET)
    want = hmac.new(bytes.fromhex(SECRET), b"pylon_idv fingerprint v1",
                    hashlib.sha256).hexdigest()[:16]
    assert s.fingerprint == want
    assert pylon_idv.Signer(SECRET.upper() + "\n").fingerprint == want
    assert pylon_idv.Signer.from_key(bytes.fromhex(SECRET)).fingerprint == want
    assert pylon_idv.Signer(SECRET, previous=["00ff"]).fingerprint == want
    with pytest.raises(AttributeError):
        s.fingerprint = "0" * 16


def test_signer_is_immutable_and_final():
    s = pylon_idv.Signer(SECRET)
    with pytest.raises((AttributeError, TypeError)):
        s.secret = SECRET
    with pytest.raises(TypeError):
        pylon_idv.Signer.sign = None
    with pytest.raises(TypeError):
        class Sub(pylon_idv.Signer):
            pass


def test_signer_never_pickled_or_copied():
    s = pylon_idv.Signer(SECRET)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="cannot pickle or copy"):
            pickle.dumps(s, proto)
    with pytest.raises(TypeError, match="cannot pickle or copy"):
        copy.copy(s)
    with pytest.raises(TypeError, match="cannot pickle or copy"):
        copy.deepcopy(s)
    with pytest.raises(TypeError, match="cannot pickle or copy"):
        copy.deepcopy([s])


def test_from_key():
    for key in (b"k", b"x" * 64, b"x" * 65, os.urandom(300), SECRET.encode()):
        s = pylon_idv.Signer.from_key(key)
        assert s.sign(EMAIL) == hmac.new(key, EMAIL.encode(), hashlib.sha256).hexdigest()
        assert pylon_idv.Signer.from_key(bytearray(key)).sign(EMAIL) == s.sign(EMAIL)
        assert pylon_idv.Signer.from_key(memoryview(key)).sign(EMAIL) == s.sign(EMAIL)
    assert pylon_idv.Signer.from_key(bytes.fromhex(SECRET)).sign(EMAIL) == HASH
    with pytest.raises(pylon_idv.InvalidSecretError) as info:
        pylon_idv.Signer.from_key(b"")
    assert str(info.value) == "pylon_idv: invalid key: empty (no bytes)"   # not "whitespace"
    with pytest.raises(pylon_idv.InvalidSecretError, match="invalid key: empty"):
        pylon_idv.Signer.from_key(bytearray())
    with pytest.raises(TypeError, match="encode it"):
        pylon_idv.Signer.from_key(SECRET)
    with pytest.raises(TypeError, match="bytes-like"):
        pylon_idv.Signer.from_key(1)


# ---------------------------------------------------------------- rotation

def test_rotation_and_match():
    old1, old2, new = (pylon_idv.generate_secret() for _ in range(3))
    s = pylon_idv.Signer(new, previous=[old1, old2])
    h_new, h_old1, h_old2 = (pylon_idv.sign(EMAIL, k) for k in (new, old1, old2))
    assert s.sign(EMAIL) == h_new                     # signs with the current secret only
    assert s.match(EMAIL, h_new) == 0
    assert s.match(EMAIL, h_old1) == 1                # previous secrets numbered from 1
    assert s.match(EMAIL, h_old2.upper()) == 2
    assert s.match(EMAIL, pylon_idv.sign(EMAIL, pylon_idv.generate_secret())) is None
    assert s.match("other@example.com", h_old1) is None
    assert all(s.verify(EMAIL, h) for h in (h_new, h_old1, h_old2))
    assert pylon_idv.Signer(new).verify(EMAIL, h_old1) is False


def test_rotation_first_match_wins():
    s = pylon_idv.Signer(SECRET, previous=[SECRET.upper(), SECRET])
    assert s.match(EMAIL, HASH) == 0
    s = pylon_idv.Signer("00ff", previous=[SECRET, SECRET])
    assert s.match(EMAIL, HASH) == 1


def test_previous_forms():
    assert pylon_idv.Signer("00ff", previous=[SECRET]).match(EMAIL, HASH) == 1
    assert pylon_idv.Signer("00ff", previous=(SECRET.encode(),)).match(EMAIL, HASH) == 1
    assert pylon_idv.Signer("00ff", previous=[]).match(EMAIL, HASH) is None
    assert pylon_idv.Signer("00ff", previous=()).match(EMAIL, HASH) is None

    class MyList(list):
        pass
    assert pylon_idv.Signer("00ff", previous=MyList([SECRET])).match(EMAIL, HASH) == 1
    # A sequence only: a set would renumber match() from run to run; a generator, a dict, a
    # str (digit by digit) are mistakes too. Refused before anything is added.
    for bad in (SECRET, SECRET.encode(), bytearray(b"00"), 5, {SECRET}, frozenset([SECRET]),
                (k for k in [SECRET]), {SECRET: 1}, iter([SECRET]), range(3), None):
        with pytest.raises(TypeError, match="'previous' must be a list or tuple of secrets"):
            pylon_idv.Signer("00ff", previous=bad)
    with pytest.raises(TypeError, match="'previous' must be str or bytes"):
        pylon_idv.Signer("00ff", previous=[None])


def test_many_previous_secrets_build_fast():
    # add_previous grows geometrically: 20,000 previous secrets build in well under a second
    # (the quadratic copy took 41 s). A generous sanity bound, not a benchmark; the growth
    # itself is counted in tests/c/test_alloc.c.
    import time
    olds = ["%064x" % i for i in range(1, 20001)]
    t = time.perf_counter()
    s = pylon_idv.Signer(SECRET, previous=olds)
    elapsed = time.perf_counter() - t
    assert elapsed < 5.0, f"20,000 previous secrets took {elapsed:.2f} s"
    assert s.match(EMAIL, pylon_idv.sign(EMAIL, olds[-1])) == 20000
    assert s.match(EMAIL, pylon_idv.sign(EMAIL, olds[0])) == 1
