"""A representative loop over every entry point of the binding, successes and every error
path, for valgrind memcheck (nox -s memcheck runs it) and for the refcount check on a
debug CPython (refcount_loop.py imports round_ from here).

    PYTHONMALLOC=malloc valgrind --suppressions=/usr/lib/valgrind/python3.supp \\
        python tests/python/valgrind_loop.py [ROUNDS] [--leak-control]

--leak-control leaks one object per round on purpose (through ctypes), so that the step
can prove memcheck would report a leak.

Only the standard library and pylon_idv: it runs on any interpreter, with or without pytest.
Exits non-zero if any call gives a wrong answer.
"""

import hashlib
import hmac
import sys

import pylon_idv
from vectors import SECRET, KEY

OLD = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
SIGNER = pylon_idv.Signer(SECRET, previous=[OLD, "0011"])
BIG = b"y" * 8192                        # above _GIL_RELEASE_MIN: the GIL-released paths
HOSTILE = "</script><script>alert(1)</script><!--\u2028\u2029\"'&"


def ref(msg, key=KEY):
    if isinstance(msg, str):
        msg = msg.encode()
    return hmac.new(key, bytes(msg), hashlib.sha256).hexdigest()


def expect(exc, f, *a, **k):
    try:
        f(*a, **k)
    except exc:
        return
    raise AssertionError(f"{f!r} did not raise {exc.__name__}")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def round_(i):
    """One round: every function, each way of failing. About 60 calls."""
    e = "jane%d@example.com" % (i % 10)
    h = ref(e)
    # sign / verify, every input form
    check(pylon_idv.sign(e, SECRET) == h, "sign")
    check(pylon_idv.sign(e.encode(), SECRET.encode()) == h, "sign bytes")
    check(pylon_idv.sign(bytearray(e.encode()), memoryview(SECRET.encode())) == h, "buffers")
    check(pylon_idv.sign(email=e, secret_hex=" " + SECRET + "\n") == h, "keywords")
    check(pylon_idv.sign(BIG, SECRET) == ref(BIG), "big")
    check(pylon_idv.sign(bytearray(BIG), SECRET) == ref(BIG), "big bytearray")
    check(pylon_idv.verify(e, SECRET, h) is True, "verify")
    check(pylon_idv.verify(e, SECRET, h.upper().encode()) is True, "verify bytes")
    check(pylon_idv.verify(BIG, SECRET, ref(BIG)) is True, "verify big")
    check(pylon_idv.verify(e, SECRET, None) is False, "verify None")
    check(pylon_idv.verify(e, SECRET, "\u00e9" * 64) is False, "verify non-ascii")
    check(pylon_idv.verify(e, SECRET, "x\ud800") is False, "verify surrogate")
    # Signer, rotation, match
    check(SIGNER.sign(e) == h, "Signer.sign")
    check(SIGNER.sign(BIG) == ref(BIG), "Signer.sign big")
    check(SIGNER.verify(e, h), "Signer.verify")
    check(SIGNER.match(e, h) == 0, "match current")
    check(SIGNER.match(e, ref(e, bytes.fromhex(OLD))) == 1, "match previous")
    check(SIGNER.match(e, ref(e, b"\x00\x11")) == 2, "match previous 2")
    check(SIGNER.match(memoryview(b"m"), "0" * 64) is None, "no match")
    check(SIGNER.match(BIG, ref(BIG, bytes.fromhex(OLD))) == 1, "match big")
    check(SIGNER.verify(e, None) is False, "Signer.verify None")
    check(repr(SIGNER).startswith("<pylon_idv.Signer fingerprint="), "repr")
    check(len(SIGNER.fingerprint) == 16, "fingerprint")
    # error paths
    expect(pylon_idv.InvalidSecretError, pylon_idv.sign, e, "abg")
    expect(pylon_idv.InvalidSecretError, pylon_idv.sign, e, "abc")
    expect(pylon_idv.InvalidSecretError, pylon_idv.sign, e, " \n")
    expect(pylon_idv.InvalidSecretError, pylon_idv.sign, e, "ab\ud800")
    expect(pylon_idv.InvalidSecretError, pylon_idv.sign, BIG, "abg")
    expect(pylon_idv.InvalidSecretError, pylon_idv.verify, e, "", h)
    expect(pylon_idv.InvalidSecretError, pylon_idv.Signer, "zz")
    expect(pylon_idv.InvalidSecretError, pylon_idv.Signer, "00ff", previous=["0"])
    expect(pylon_idv.InvalidSecretError, pylon_idv.Signer.from_key, b"")
    expect(TypeError, pylon_idv.sign, 1, SECRET)
    expect(TypeError, pylon_idv.sign, e, None)
    expect(TypeError, pylon_idv.sign, e)
    expect(TypeError, pylon_idv.sign, e, SECRET, SECRET)
    expect(TypeError, pylon_idv.sign, e, SECRET, bogus=1)
    expect(TypeError, pylon_idv.sign, e, email=e)
    expect(TypeError, pylon_idv.verify, e, SECRET, 1)
    expect(TypeError, pylon_idv.Signer, SECRET, previous=SECRET)
    expect(TypeError, pylon_idv.Signer, SECRET, previous=5)
    expect(TypeError, pylon_idv.Signer, SECRET, previous={OLD})          # a set: unordered
    expect(TypeError, pylon_idv.Signer, SECRET, previous=[1])
    expect(TypeError, SIGNER.sign, [])
    expect(TypeError, SIGNER.match, e, 1.5)
    expect(TypeError, pylon_idv.Signer.from_key, "str")
    expect(TypeError, SIGNER.__reduce_ex__, 2)
    expect(UnicodeEncodeError, pylon_idv.sign, "\udc80", SECRET)
    expect(UnicodeEncodeError, SIGNER.sign, "\udc80")
    # diagnose: a few causes, and its errors
    check(pylon_idv.diagnose(e, SECRET, h).cause == "match", "diagnose match")
    check(pylon_idv.diagnose(e.upper(), SECRET, h).cause == "email_case", "diagnose case")
    check(pylon_idv.diagnose(e, SECRET, ref(e, SECRET.encode())).cause == "raw_secret", "raw")
    check(pylon_idv.diagnose(e, "abg", None).cause == "invalid_secret", "diagnose invalid")
    check(pylon_idv.diagnose(BIG, SECRET, ref(BIG)).cause == "match", "diagnose big")
    check(not pylon_idv.diagnose(e, SECRET, b"00"), "diagnose unknown")
    expect(TypeError, pylon_idv.diagnose, e, SECRET, 1)
    expect(UnicodeEncodeError, pylon_idv.diagnose, "\udc80", SECRET, None)
    # chat settings, the escaper, and their errors
    s = pylon_idv.chat_settings_script(e, SIGNER, app_id="app", name=HOSTILE, n=i, f=0.5,
                                       ok=True, skip=None)
    check(s.endswith("}})(window,Object);</script>") and s.count("</script") == 1 and h in s,
          "script")
    check(pylon_idv.chat_settings(e, SECRET, app_id="app", name="x")["email_hash"] == h,
          "chat_settings")
    expect(TypeError, pylon_idv.chat_settings_script, e, SIGNER, app_id="a", name=[1])
    expect(ValueError, pylon_idv.chat_settings_script, e, SIGNER, app_id="a", score=float("nan"))
    expect(ValueError, pylon_idv.chat_settings_script, e, SIGNER, app_id="a",
           name="\ud800")
    expect(ValueError, pylon_idv.chat_settings_json, e, SIGNER, app_id="a", n=2 ** 80)
    expect(TypeError, pylon_idv.chat_settings_data, e, SIGNER, app_id="a", email_hash="x")
    expect(ValueError, pylon_idv.widget_script, "a b", nonce="n")
    expect(ValueError, pylon_idv.chat_settings_script, None, SIGNER, app_id="a", nonce="")
    d = pylon_idv.chat_settings(None, SECRET, app_id="app", n=i, f=0.25, b=True, s="x" * 3000)
    check(d["n"] == i and len(d) == 5, "chat_settings, anonymous")
    check(pylon_idv.chat_settings_json(e, SIGNER, app_id="a", big="<" * 1000).count("\\u003c")
          == 1000, "json, heap buffer")
    h2 = pylon_idv.chat_settings_data(e, SIGNER, app_id="a", name=HOSTILE)
    check(h2.__html__() is h2 and h in h2, "data element")
    check("widget/app" in pylon_idv.widget_script("app", nonce="n%d" % i), "widget")
    h3 = pylon_idv._pylon_idv._data_tag("<t" + "x" * 3000 + ">", e, SIGNER, "a", {"name": HOSTILE})
    check(h3 == h2 + "<t" + "x" * 3000 + ">", "data element and tag, heap buffer")
    expect(TypeError, pylon_idv._pylon_idv._data_tag, "<t>", e, SIGNER, "a", {"n": [1]})
    expect(pylon_idv.InvalidSecretError, pylon_idv.chat_settings_script, e, "zz", app_id="a")
    if i % 10 == 0:
        pylon_idv.Signer(SECRET, previous=(SECRET, OLD))
        check(pylon_idv.Signer.from_key(KEY).sign(e) == h, "from_key")
        check(len(pylon_idv.generate_secret()) == 64, "generate_secret")


def main(argv):
    args = [a for a in argv[1:] if a != "--leak-control"]
    n = int(args[0]) if args else 2000
    leak = None
    if "--leak-control" in argv:       # prove memcheck sees a leak: one bytes object per round
        import ctypes
        leak = ctypes.pythonapi.Py_IncRef
        leak.argtypes = [ctypes.py_object]
    for i in range(n):
        round_(i)
        if leak is not None:
            leak(bytes(100) + str(i).encode())
    print(f"valgrind_loop: {n} rounds, about {60 * n} calls, all correct")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
