"""python -m pylon_idv and the pylon-idv console script: the interface of the C command."""

import os
import re
import subprocess
import sys

import pytest

import pylon_idv

S = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
WANT = "386c49f4b2c6be922a05a7be7d380e49fba9a38cdb79d5378defc663716f3e6e"
OTHER = "64ee44bb2ec2b28db5b6b21d2fc4c9eb57d26fd7e62b3af35e1bd3ee1a98e3ab"
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
SCRIPT = os.path.join(os.path.dirname(sys.executable), "pylon-idv")
C_CLI = os.path.join(REPO, "build", "c", "pylon-idv")
# `make test` builds the C command first and sets PYLON_IDV_REQUIRE_C_CLI, so there the parity
# tests cannot be skipped; a bare pytest run without build/c skips them, saying why.
if os.environ.get("PYLON_IDV_REQUIRE_C_CLI"):
    assert os.path.exists(C_CLI), "make test builds %s first" % C_CLI

COMMANDS = [pytest.param([sys.executable, "-m", "pylon_idv"], id="python-m")]
if os.path.exists(SCRIPT):
    COMMANDS.append(pytest.param([SCRIPT], id="console-script"))


def run(cmd, *args, secret=S, stdin=None, env_extra=None):
    env = dict(os.environ)
    env.pop("PYLON_IDENTITY_SECRET", None)
    if secret is not None:
        env["PYLON_IDENTITY_SECRET"] = secret
    env.update(env_extra or {})
    p = subprocess.run(cmd + list(args), input=stdin, capture_output=True, env=env,
                       cwd=os.path.dirname(os.path.abspath(__file__)))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.fixture(params=COMMANDS)
def cli(request):
    return request.param


def test_console_script_installed():
    assert os.path.exists(SCRIPT), "pip did not install the pylon-idv console script"


def test_sign(cli):
    assert run(cli, "sign", "jane@example.com") == (0, WANT + "\n", "")


def test_verify(cli):
    assert run(cli, "verify", "jane@example.com", WANT)[:2] == (0, "match\n")
    assert run(cli, "verify", "jane@example.com", WANT.upper())[0] == 0
    assert run(cli, "verify", "jane@example.com", OTHER)[:2] == (1, "mismatch\n")
    assert run(cli, "verify", "jane@example.com", "nothex")[0] == 1


def test_fingerprint_and_generate_secret(cli):
    code, out, _ = run(cli, "fingerprint")
    assert code == 0 and out.strip() == pylon_idv.Signer(S).fingerprint
    code, out, _ = run(cli, "generate-secret", secret=None)
    assert code == 0 and re.fullmatch(r"[0-9a-f]{64}\n", out)


def test_help_and_version(cli):
    code, out, _ = run(cli, "--help")
    assert code == 0 and "generate-secret" in out and "PYLON_IDENTITY_SECRET" in out
    assert run(cli, "--version")[:2] == (0, f"pylon-idv {pylon_idv.__version__}\n")


def test_secret_file(cli, tmp_path):
    f = tmp_path / "secret"
    f.write_text(S + "\n")
    assert run(cli, "--secret-file", str(f), "sign", "jane@example.com", secret=None)[:2] == \
        (0, WANT + "\n")
    assert run(cli, "sign", "jane@example.com", f"--secret-file={f}", secret=None)[:2] == \
        (0, WANT + "\n")
    assert run(cli, "--secret-file", "-", "sign", "jane@example.com", secret=None,
               stdin=(S + "\n").encode())[:2] == (0, WANT + "\n")


@pytest.mark.parametrize("args,secret,needle", [
    (["sign", "jane@example.com"], None, "PYLON_IDENTITY_SECRET"),
    (["--secret-file", "/nonexistent/x", "sign", "a"], S, "cannot open secret file"),
    (["--secret", S, "sign", "a"], S, "never taken on the command line"),
    (["--secret=" + S, "sign", "a"], S, "never taken on the command line"),
    (["sign", "a"], S[:17] + "x" + S[18:], "invalid hex digit at position 17"),
    (["verify", "a", OTHER], "abc", "odd number"),
    (["fingerprint"], "  ", "empty"),
    ([], S, "usage"),
    (["frobnicate"], S, "unknown command"),
    (["sign"], S, "sign takes 1 argument"),
    (["verify", "a"], S, "verify takes 2 arguments"),
    (["generate-secret", "x"], S, "takes no arguments"),
    (["--frob", "sign", "a"], S, "unknown option"),
    (["--secret-file"], S, "needs a path"),
])
def test_errors_exit_2_never_show_secret(cli, args, secret, needle):
    code, out, err = run(cli, *args, secret=secret)
    assert code == 2
    assert needle in err
    assert out == ""
    assert S not in err and S[:20] not in err and S[20:40] not in err
    assert "Traceback" not in err


def test_email_is_hashed_as_given_bytes(cli):
    # Non-UTF-8 argument bytes are hashed as passed, like the C command.
    raw = os.fsdecode(b"j\xe9@example.com")
    code, out, _ = run(cli, "sign", raw)
    assert code == 0 and out.strip() == pylon_idv.sign(b"j\xe9@example.com", S)
    assert run(cli, "sign", "--", "-jane@example.com")[1].strip() == \
        pylon_idv.sign("-jane@example.com", S)


@pytest.mark.skipif(not os.path.exists(C_CLI), reason="C pylon-idv not built (build/c)")
@pytest.mark.parametrize("args", [
    ["sign", "jane@example.com"], ["sign", "J\u00e9r\u00f4me@example.com"], ["fingerprint"],
    ["verify", "jane@example.com", WANT], ["verify", "jane@example.com", OTHER],
    ["verify", "jane@example.com", "zz"], ["--help"], ["--version"], ["sign"], ["frob"],
    ["--secret", "x", "sign", "a"], ["diagnose", "jane@example.com", WANT],
    ["diagnose", "Jane@example.com", WANT], ["diagnose", "a"],
])
def test_same_as_c_command(cli, args):
    py = run(cli, *args)
    c = run([C_CLI], *args)
    if not hasattr(pylon_idv._pylon_idv, "_diagnose"):   # not in the Python binding yet
        c = (c[0], "".join(l for l in c[1].splitlines(True) if "diagnose" not in l), c[2])
    assert py[:2] == c[:2]
    assert (py[2] == "") == (c[2] == "")


@pytest.mark.skipif(not os.path.exists(C_CLI), reason="C pylon-idv not built (build/c)")
@pytest.mark.parametrize("secret", ["abg", "abc", "", " \n", S[:17] + "x" + S[18:]])
def test_same_errors_as_c_command(cli, secret):
    py = run(cli, "sign", "a", secret=secret)
    c = run([C_CLI], "sign", "a", secret=secret)
    assert py == c


# ---------------------------------------------------------------- diagnose

def _hexmac(key, msg, algo="sha256"):
    import hashlib
    import hmac
    return hmac.new(key, msg.encode(), getattr(hashlib, algo)).hexdigest()


KEY = bytes.fromhex(S)
DIAGNOSE_CASES = [
    # (cause, secret, email, hash); exit 0 only for a match
    ("match", S, "jane@example.com", WANT),
    ("match", S, "jane@example.com", WANT.upper()),
    ("raw_secret", S, "jane@example.com", _hexmac(S.encode(), "jane@example.com")),
    ("email_case", S, "Jane@Example.com", WANT),
    ("email_whitespace", S, " jane@example.com ", WANT),
    ("wrong_algorithm", S, "jane@example.com", _hexmac(KEY, "jane@example.com", "sha1")),
    ("arguments_swapped", S, "jane@example.com",
     _hexmac(b"jane@example.com", S)),
    ("truncated_secret", S[:63], "jane@example.com",
     _hexmac(bytes.fromhex(S[:62]), "jane@example.com")),
    ("invalid_secret", "xyz", "jane@example.com", OTHER),
    ("unknown", S, "jane@example.com", OTHER),
    ("unknown", S, "jane@example.com", "nothex"),
]


@pytest.mark.parametrize("cause,secret,email,h", DIAGNOSE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(DIAGNOSE_CASES)])
def test_diagnose(cli, cause, secret, email, h):
    code, out, err = run(cli, "diagnose", email, h, secret=secret)
    d = pylon_idv.diagnose(email, secret, h)
    assert d.cause == cause
    assert (code, out, err) == (0 if cause == "match" else 1, f"{cause}: {d.message}\n", "")
    assert secret not in out or len(secret) < 4


@pytest.mark.skipif(not os.path.exists(C_CLI), reason="C pylon-idv not built (build/c)")
@pytest.mark.parametrize("cause,secret,email,h", DIAGNOSE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(DIAGNOSE_CASES)])
def test_diagnose_same_as_c_command(cli, cause, secret, email, h):
    assert run(cli, "diagnose", email, h, secret=secret) == \
        run([C_CLI], "diagnose", email, h, secret=secret)


def test_diagnose_usage_errors(cli):
    assert run(cli, "diagnose", "a")[0] == 2
    assert "diagnose takes 2 arguments" in run(cli, "diagnose", "a")[2]
    assert run(cli, "diagnose", "a", "b", secret=None)[0] == 2
    assert "diagnose EMAIL HASH" in run(cli, "--help")[1]
