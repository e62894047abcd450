"""Plain smoke test of an installed pylon_idv, for interpreters without pytest.

    python tests/python/smoke_abi3.py

Checks every shared vector, the bad-secret table, the basic API and error types, threads,
the CLI, diagnose and chat_settings_script, and (on 3.12+) an import in an isolated sub-interpreter with its own GIL. Prints
one line per group and exits 1 on any failure. Standard library only.
"""

import copy
import hashlib
import hmac
import os
import pickle
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vectors import (bad_secrets, crossref_vectors, expected_message,  # noqa: E402
                     hmac_vectors, leaks_secret)

import pylon_idv  # noqa: E402

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def raises(exc, f, *args, **kwargs):
    try:
        f(*args, **kwargs)
    except exc as e:
        return e
    except Exception as e:  # noqa: BLE001
        return AssertionError(f"raised {type(e).__name__}: {e}")
    return None


def group(name):
    def deco(fn):
        before_c, before_f = checks, len(failures)
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            failures.append(f"{name}: {type(e).__name__}: {e}")
            print(f"FAIL: {name} raised {type(e).__name__}: {e}", file=sys.stderr)
        status = "ok" if len(failures) == before_f else "FAILED"
        print(f"  {name:<28} {checks - before_c:6d} checks  {status}")
        return fn
    return deco


print(f"pylon_idv {pylon_idv.__version__} on Python {sys.version.split()[0]} "
      f"({pylon_idv._pylon_idv.__file__.rsplit(os.sep, 1)[-1]})")


@group("hmac_sha256.tsv")
def _():
    for source, tc, expect, key_hex, msg, tag in hmac_vectors():
        what = f"{source} {tc}"
        signer = pylon_idv.Signer(key_hex)
        if expect == "sign":
            check(pylon_idv.sign(msg, key_hex) == tag, what + " sign")
            check(pylon_idv.sign(msg, key_hex.upper()) == tag, what + " sign upper")
            check(signer.sign(msg) == tag, what + " Signer.sign")
            check(pylon_idv.verify(msg, key_hex, tag) is True, what + " verify")
            check(signer.match(msg, tag.upper()) == 0, what + " match")
        else:
            check(pylon_idv.verify(msg, key_hex, tag) is False, what + " reject")
            check(signer.match(msg, tag) is None, what + " reject match")


@group("crossref.tsv")
def _():
    for name, email, secret, h in crossref_vectors():
        check(pylon_idv.sign(email, secret) == h, name)
        check(pylon_idv.sign(memoryview(email), secret.decode()) == h, name + " str secret")
        try:
            check(pylon_idv.sign(email.decode("utf-8"), secret) == h, name + " str email")
        except UnicodeDecodeError:
            pass
        check(pylon_idv.verify(bytearray(email), secret, h.upper()) is True, name + " verify")
        check(pylon_idv.Signer(secret).sign(email) == h, name + " Signer")


@group("bad_secrets.tsv")
def _():
    for secret, status, pos in bad_secrets():
        want = expected_message(status, pos)
        forms = [secret]
        try:
            forms.append(secret.decode("utf-8"))
        except UnicodeDecodeError:
            pass
        for s in forms:
            for f in (lambda: pylon_idv.sign("a", s), lambda: pylon_idv.verify("a", s, None),
                      lambda: pylon_idv.Signer(s)):
                e = raises(pylon_idv.InvalidSecretError, f)
                check(isinstance(e, pylon_idv.InvalidSecretError) and str(e) == want,
                      f"{secret!r}: {e!r} != {want!r}")
                check(isinstance(e, ValueError), f"{secret!r} ValueError")
                check(not leaks_secret(str(e), secret), f"{secret!r} leaked")


@group("types and errors")
def _():
    s = pylon_idv.generate_secret()
    ref = hmac.new(bytes.fromhex(s), b"jane@example.com", hashlib.sha256).hexdigest()
    check(pylon_idv.sign("jane@example.com", s) == ref, "sign str")
    check(pylon_idv.sign(email=b"jane@example.com", secret_hex=s.upper()) == ref, "keywords")
    check(pylon_idv.verify("jane@example.com", s, ref) is True, "verify")
    check(pylon_idv.verify("mallory@example.com", s, ref) is False, "mismatch")
    for h in (None, "", "zz", "\u00e9" * 64, "a\ud800", b"00"):
        check(pylon_idv.verify("x", s, h) is False, f"malformed hash {h!r}")
    check(isinstance(raises(TypeError, pylon_idv.sign, 1, s), TypeError), "email int")
    check(isinstance(raises(TypeError, pylon_idv.sign, [1], s), TypeError), "email list")
    check(isinstance(raises(TypeError, pylon_idv.sign, "a", 1), TypeError), "secret int")
    check(isinstance(raises(TypeError, pylon_idv.verify, "a", s, 1), TypeError), "hash int")
    check(isinstance(raises(UnicodeEncodeError, pylon_idv.sign, "\ud800", s),
                     UnicodeEncodeError), "surrogate")
    check(pylon_idv.sign("a\x00b", s) == hmac.new(bytes.fromhex(s), b"a\x00b",
                                                  hashlib.sha256).hexdigest(), "NUL")
    big = os.urandom(1 << 20)
    check(pylon_idv.sign(big, s) == hmac.new(bytes.fromhex(s), big,
                                             hashlib.sha256).hexdigest(), "1 MiB")
    check(issubclass(pylon_idv.InvalidSecretError, (pylon_idv.Error)), "Error base")


@group("Signer")
def _():
    old, new = pylon_idv.generate_secret(), pylon_idv.generate_secret()
    sg = pylon_idv.Signer(new, previous=[old])
    check(sg.match("e", pylon_idv.sign("e", old)) == 1, "match previous")
    check(sg.match("e", pylon_idv.sign("e", new)) == 0, "match current")
    check(sg.match("e", "0" * 64) is None, "match none")
    check(repr(sg) == f"<pylon_idv.Signer fingerprint={sg.fingerprint}>", "repr")
    check(new not in repr(sg), "repr secret")
    for f in (pickle.dumps, copy.copy, copy.deepcopy):
        check(isinstance(raises(TypeError, f, sg), TypeError), f"{f.__name__} refused")
    check(pylon_idv.Signer.from_key(b"k").sign(b"m") ==
          hmac.new(b"k", b"m", hashlib.sha256).hexdigest(), "from_key")


@group("8 threads, one Signer")
def _():
    s = pylon_idv.generate_secret()
    sg = pylon_idv.Signer(s)
    key = bytes.fromhex(s)
    errors = []

    def work(t):
        for i in range(2000):
            e = b"u%d-%d@example.com" % (t, i)
            if sg.sign(e) != hmac.new(key, e, hashlib.sha256).hexdigest():
                errors.append((t, i))
    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, f"thread mismatches {errors[:3]}")


@group("CLI (python -m pylon_idv)")
def _():
    s = pylon_idv.generate_secret()
    env = dict(os.environ, PYLON_IDENTITY_SECRET=s)
    p = subprocess.run([sys.executable, "-m", "pylon_idv", "sign", "jane@example.com"],
                       capture_output=True, text=True, env=env)
    check(p.returncode == 0 and p.stdout.strip() == pylon_idv.sign("jane@example.com", s),
          "cli sign")
    p = subprocess.run([sys.executable, "-m", "pylon_idv", "verify", "jane@example.com",
                        "0" * 64], capture_output=True, text=True, env=env)
    check(p.returncode == 1, "cli mismatch exit 1")
    env["PYLON_IDENTITY_SECRET"] = "abg"
    p = subprocess.run([sys.executable, "-m", "pylon_idv", "sign", "x"],
                       capture_output=True, text=True, env=env)
    check(p.returncode == 2 and "at position 2" in p.stderr, "cli bad secret exit 2")


@group("diagnose, chat settings")
def _():
    import json
    s = pylon_idv.generate_secret()
    key = bytes.fromhex(s)
    e = "Jane@Example.com"
    h = hmac.new(key, e.encode(), hashlib.sha256).hexdigest()
    check(pylon_idv.diagnose(e, s, h).cause == "match" and pylon_idv.diagnose(e, s, h),
          "diagnose match")
    low = hmac.new(key, e.lower().encode(), hashlib.sha256).hexdigest()
    check(pylon_idv.diagnose(e, s, low).cause == "email_case", "diagnose email_case")
    d = pylon_idv.diagnose(e, "abg", None)
    check(d.cause == "invalid_secret" and not d, "diagnose invalid_secret")
    check(isinstance(raises(TypeError, pylon_idv.diagnose, e, s, 1), TypeError),
          "diagnose TypeError")
    name = "</script><script>alert(1)</script>\u2028<!--&"
    script = pylon_idv.chat_settings_script(e, pylon_idv.Signer(s), app_id="a", name=name, n=1)
    head = ("<script>(function(w,O){var p=w.pylon,q=p&&typeof p==\"object\"?O.getPrototypeOf(p)"
            ":1;if(q!==O.prototype&&(q!==null||p.window===p))w.pylon=p={};p.chat_settings=")
    tail = "})(window,Object);</script>"
    check(script.startswith(head) and script.endswith(tail)
          and script.count("</script") == 1, "script shape")
    obj = json.loads(script[len(head):-len(tail)])
    check(obj == {"app_id": "a", "email": e, "email_hash": h, "name": name, "n": 1},
          "script round trip")
    check(list(obj) == ["app_id", "email", "email_hash", "n", "name"], "sorted keys")
    check(isinstance(raises(ValueError, pylon_idv.chat_settings_script, e, s,
                            app_id="a", name="\ud800"), ValueError), "surrogate")
    check(hasattr(script, "__html__") and script.__html__() is script, "__html__")
    data = pylon_idv.chat_settings_data(None, s, app_id="a", n=0.1)
    check(data == '<script type="application/json" id="pylon-chat-settings">'
          '{"app_id":"a","n":0.1}</script>', "data element, anonymous")
    check(os.path.isfile(os.path.join(pylon_idv.static_path(), "pylon-chat.js")), "pylon-chat.js")
    env = dict(os.environ, PYLON_IDENTITY_SECRET=s)
    p = subprocess.run([sys.executable, "-m", "pylon_idv", "diagnose", e, low],
                       capture_output=True, text=True, env=env)
    check(p.returncode == 1 and p.stdout.startswith("email_case: "), "cli diagnose")


@group("isolated sub-interpreter")
def _():
    code = ("import pylon_idv\n"
            "assert pylon_idv.sign('a', '00ff') == "
            f"{pylon_idv.sign('a', '00ff')!r}\n")
    if sys.version_info >= (3, 13):
        import _interpreters
        interp = _interpreters.create("isolated")     # its own GIL
        try:
            err = _interpreters.exec(interp, code)
        finally:
            _interpreters.destroy(interp)
        check(err is None, f"import in isolated interpreter: {err}")
    elif sys.version_info >= (3, 12):
        import _xxsubinterpreters
        interp = _xxsubinterpreters.create(isolated=True)
        try:
            _xxsubinterpreters.run_string(interp, code)
            check(True, "")
        except Exception as e:  # noqa: BLE001
            check(False, f"import in isolated interpreter: {e}")
        finally:
            _xxsubinterpreters.destroy(interp)
    else:
        print("  (sub-interpreters with their own GIL exist from Python 3.12)")


print(f"smoke_abi3: {checks} checks, {len(failures)} failed")
sys.exit(1 if failures else 0)
