"""pylon-idv / python -m pylon_idv: the command line, the same interface as the C pylon-idv.

    pylon-idv [--secret-file PATH|-] COMMAND [ARGS]

    sign EMAIL              print the email hash
    verify EMAIL HASH       exit 0 on a match, 1 on a mismatch
    generate-secret         print a new secret (64 hex digits)
    fingerprint             print the secret's fingerprint (safe to log)
    diagnose EMAIL HASH     explain why a hash does not match: prints "cause: message",
                            exit 0 on a match, 1 otherwise (a bad secret is a diagnosis)

The secret comes from the environment variable PYLON_IDENTITY_SECRET, or from --secret-file
PATH ('-' reads standard input); never from the command line, where ps and shell history
would show it. Exit status: 0 success or match, 1 mismatch, 2 any error (message on standard
error, never the secret).

EMAIL and HASH are hashed as the bytes the shell passed (os.fsencode), exactly like the C
command, so both print the same hash for the same argument.
"""

import os
import sys

from . import InvalidSecretError, Error, Signer, __version__, generate_secret, sign, verify
from . import _pylon_idv

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2
MAX_SECRET_FILE = 1 << 20
ENV = "PYLON_IDENTITY_SECRET"

USAGE = """\
usage: pylon-idv [--secret-file PATH|-] COMMAND [ARGS]

  sign EMAIL              print the email hash
  verify EMAIL HASH       exit 0 on a match, 1 on a mismatch
  generate-secret         print a new secret (64 hex digits)
  fingerprint             print the secret's fingerprint (safe to log)
{diagnose}
The secret is read from the environment variable PYLON_IDENTITY_SECRET, or from
--secret-file PATH ('-' reads standard input); never from the command line.
Exit status: 0 success or match, 1 mismatch, 2 error.
"""

_HAS_DIAGNOSE = hasattr(_pylon_idv, "_diagnose")


def _usage():
    extra = "  diagnose EMAIL HASH     explain why a hash does not match\n" if _HAS_DIAGNOSE else ""
    return USAGE.format(diagnose=extra)


class _Fail(Exception):
    """An error to report on stderr with exit status 2."""


def _message(exc):
    """The library's message ("pylon_idv: invalid secret: ...") in the command's voice."""
    text = str(exc)
    return text[len("pylon_idv: "):] if text.startswith("pylon_idv: ") else text


def _load_secret(secret_file):
    """The secret as bytes, from the file (or stdin) or the environment."""
    if secret_file is None:
        environb = getattr(os, "environb", None)
        value = environb.get(ENV.encode()) if environb is not None else os.environ.get(ENV)
        if value is None:
            raise _Fail(f"no secret: set {ENV} or use --secret-file PATH (- for standard input)")
        return value
    try:
        if secret_file == "-":
            data = sys.stdin.buffer.read(MAX_SECRET_FILE + 1)
        else:
            with open(secret_file, "rb") as f:
                data = f.read(MAX_SECRET_FILE + 1)
    except OSError:
        raise _Fail(f"cannot open secret file {secret_file}") from None
    if len(data) > MAX_SECRET_FILE:
        raise _Fail("secret file too large")
    return data


def _parse(argv):
    """(command, args, secret_file), or an int exit status when done already."""
    secret_file = None
    cmd = None
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--help", "-h"):
            sys.stdout.write(_usage())
            return EXIT_OK
        if a == "--version":
            print(f"pylon-idv {__version__}")
            return EXIT_OK
        if a == "--secret-file":
            if i + 1 >= len(argv):
                raise _Fail("--secret-file needs a path (- for stdin)")
            i += 1
            secret_file = argv[i]
        elif a.startswith("--secret-file="):
            secret_file = a[len("--secret-file="):]
        elif a == "--secret" or a.startswith("--secret="):
            raise _Fail("the secret is never taken on the command line (ps and shell history "
                        f"show it): use {ENV} or --secret-file")
        elif a == "--":
            rest = argv[i + 1:]
            if cmd is None and rest:
                cmd, rest = rest[0], rest[1:]
            args.extend(rest)
            break
        elif a.startswith("--") and cmd is None:
            sys.stderr.write(f"pylon-idv: unknown option {a}\n{_usage()}")
            return EXIT_ERROR
        elif cmd is None:
            cmd = a
        else:
            args.append(a)
        i += 1
    if cmd is None:
        sys.stderr.write(_usage())
        return EXIT_ERROR
    return cmd, args, secret_file


def _run(cmd, args, secret_file):
    arity = {"sign": 1, "verify": 2, "fingerprint": 0, "generate-secret": 0}
    if _HAS_DIAGNOSE:
        arity["diagnose"] = 2
    if cmd not in arity:
        sys.stderr.write(f"pylon-idv: unknown command '{cmd}'\n{_usage()}")
        return EXIT_ERROR
    need = arity[cmd]
    if len(args) != need:
        if cmd == "generate-secret":
            raise _Fail("generate-secret takes no arguments")
        s = "" if need == 1 else "s"
        sys.stderr.write(f"pylon-idv: {cmd} takes {need} argument{s}\n{_usage()}")
        return EXIT_ERROR
    if cmd == "generate-secret":
        print(generate_secret())
        return EXIT_OK

    secret = _load_secret(secret_file)
    raw = [os.fsencode(a) for a in args]
    if cmd == "sign":
        print(sign(raw[0], secret))
        return EXIT_OK
    if cmd == "verify":
        ok = verify(raw[0], secret, raw[1])
        print("match" if ok else "mismatch")
        return EXIT_OK if ok else EXIT_MISMATCH
    if cmd == "fingerprint":
        print(Signer(secret).fingerprint)
        return EXIT_OK
    name, message = _pylon_idv._diagnose(raw[0], secret, raw[1])
    print(f"{name}: {message}")
    return EXIT_OK if name == "match" else EXIT_MISMATCH


def main(argv=None):
    """Run the command line; returns the exit status (0 ok/match, 1 mismatch, 2 error)."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        parsed = _parse(list(argv))
        if isinstance(parsed, int):
            return parsed
        return _run(*parsed)
    except _Fail as e:
        sys.stderr.write(f"pylon-idv: {e}\n")
        return EXIT_ERROR
    except (InvalidSecretError, Error) as e:
        sys.stderr.write(f"pylon-idv: {_message(e)}\n")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
