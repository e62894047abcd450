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


sys.path.insert(0, os.path.join(REPO, "tests", "cli"))
import run_cases  # noqa: E402  (tests/cli/run_cases.py: the runner ctest uses for the C command)

TABLE = run_cases.load()
CASES = TABLE["cases"]


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


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_table(cli, case):
    """tests/vectors/cli_cases.json: stdout, stderr and exit status, exactly; the C command
    runs the same table (ctest cli), so the two agree on every case, texts included."""
    assert run_cases.check_case(cli, case, TABLE) == []


def test_table_covers_the_interface():
    names = {c["args"][0] for c in CASES if c["args"]}
    assert {"sign", "verify", "generate-secret", "fingerprint", "diagnose", "help",
            "version", "--help", "--version", "--secret-file"} <= names
    assert {c.get("stdout_to") for c in CASES} >= {"full", "closed"}
    assert any(c.get("stdin") == "<closed>" for c in CASES)


@pytest.mark.skipif(not os.path.exists(C_CLI), reason="C pylon-idv not built (build/c)")
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_table_c_command(case):
    # The C command through the same runner, here as well, when build/c exists.
    assert run_cases.check_case([C_CLI], case, TABLE) == []


def test_email_is_hashed_as_given_bytes(cli):
    # Non-UTF-8 argument bytes are hashed as passed, like the C command.
    raw = os.fsdecode(b"j\xe9@example.com")
    code, out, _ = run(cli, "sign", raw)
    assert code == 0 and out.strip() == pylon_idv.sign(b"j\xe9@example.com", S)
    if os.path.exists(C_CLI):
        assert run([C_CLI], "sign", raw) == (code, out, "")


@pytest.mark.parametrize("secret", ["abg", "abc", "", " \n", S[:17] + "x" + S[18:]])
def test_same_error_text_as_the_library(cli, secret):
    # The command's message is the core's (through the extension), in the command's voice.
    with pytest.raises(pylon_idv.InvalidSecretError) as info:
        pylon_idv.sign("a", secret)
    want = "pylon-idv: " + str(info.value)[len("pylon_idv: "):] + "\n"
    assert run(cli, "sign", "a", secret=secret) == (2, "", want)
    if os.path.exists(C_CLI):
        assert run([C_CLI], "sign", "a", secret=secret) == (2, "", want)


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


def test_main_in_process_reports_output_errors(capfd):
    # main() writes to the file descriptors: what it prints is what the shell sees.
    from pylon_idv.__main__ import main
    assert main(["version"]) == 0
    assert capfd.readouterr().out == f"pylon-idv {pylon_idv.__version__}\n"
    assert main(["frob"]) == 2
    assert capfd.readouterr().err == "pylon-idv: unknown command; run 'pylon-idv help' for the list\n"
