"""pylon-idv / python -m pylon_idv: the command line, the same interface as the C pylon-idv.

    pylon-idv [--secret-file PATH|-] COMMAND [ARGS]

    sign EMAIL              print the email hash
    verify EMAIL HASH       exit 0 on a match, 1 on a mismatch
    generate-secret         print a new secret (64 hex digits)
    fingerprint             print the secret's fingerprint (safe to log)
    diagnose EMAIL HASH     explain why a hash does not match: prints "cause: message",
                            exit 0 on a match, 1 otherwise (a bad secret is a diagnosis)
    help [COMMAND]          print the list of commands, or a command's usage
    version                 print the version

The secret comes from the environment variable PYLON_IDENTITY_SECRET, or from --secret-file
PATH ('-' reads standard input); never from the command line, where ps and shell history
would show it. Exit status: 0 success or match, 1 mismatch, 2 any error: one line on standard
error, never the secret, never an argument echoed back. An output that cannot be written
(a full disk, a closed stdout) is an error too.

EMAIL and HASH are hashed as the bytes the shell passed (os.fsencode), exactly like the C
command, so both print the same hash for the same argument. Output and errors are written
to the file descriptors themselves (os.write), so a closed or full stdout is seen and
reported the same way as by the C command. The library's messages (a bad secret) come from
the C core's formatter, through the extension. tests/vectors/cli_cases.json runs every case
through both commands and compares stdout, stderr and exit status.
"""

import os
import sys

from . import InvalidSecretError, Error, Signer, __version__, generate_secret, sign, verify
from . import _pylon_idv

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2
MAX_SECRET_FILE = 1 << 20
ENV = "PYLON_IDENTITY_SECRET"

_SECRET_OPT = "[--secret-file PATH|-] "
_SECRET_NOTE = (
    "\nThe secret is read from the environment variable PYLON_IDENTITY_SECRET, or from\n"
    "--secret-file PATH ('-' reads standard input); never from the command line.\n")

USAGE = (
    "usage: pylon-idv [--secret-file PATH|-] COMMAND [ARGS]\n"
    "\n"
    "  sign EMAIL              print the email hash\n"
    "  verify EMAIL HASH       exit 0 on a match, 1 on a mismatch\n"
    "  generate-secret         print a new secret (64 hex digits)\n"
    "  fingerprint             print the secret's fingerprint (safe to log)\n"
    "  diagnose EMAIL HASH     explain why a hash does not match\n"
    "  help [COMMAND]          print this help, or a command's\n"
    "  version                 print the version\n"
    + _SECRET_NOTE +
    "Exit status: 0 success or match, 1 mismatch, 2 error.\n")

# name: (arguments text, number of arguments, at most (not exactly), needs the secret, help)
COMMANDS = {
    "sign": ("EMAIL", 1, False, True,
             "usage: pylon-idv " + _SECRET_OPT + "sign EMAIL\n\n"
             "Print the email hash: 64 lowercase hex digits of HMAC-SHA256 keyed with the\n"
             "hex-decoded secret, over the exact bytes of EMAIL (no trimming, no case change).\n"
             + _SECRET_NOTE),
    "verify": ("EMAIL HASH", 2, False, True,
               "usage: pylon-idv " + _SECRET_OPT + "verify EMAIL HASH\n\n"
               "Print \"match\" and exit 0 when HASH (64 hex digits, either case) is EMAIL's "
               "hash;\nelse print \"mismatch\" and exit 1. A bad secret is an error (exit 2).\n"
               + _SECRET_NOTE),
    "generate-secret": ("", 0, False, False,
                        "usage: pylon-idv generate-secret\n\n"
                        "Print a new secret: 32 bytes from OpenSSL's random generator as 64 "
                        "lowercase hex\ndigits. Store it where the application reads it "
                        "(PYLON_IDENTITY_SECRET).\n"),
    "fingerprint": ("", 0, False, True,
                    "usage: pylon-idv " + _SECRET_OPT + "fingerprint\n\n"
                    "Print the secret's fingerprint: 16 hex digits that tell secrets apart "
                    "without\nshowing them, safe to log and to compare between services.\n"
                    + _SECRET_NOTE),
    "diagnose": ("EMAIL HASH", 2, False, True,
                 "usage: pylon-idv " + _SECRET_OPT + "diagnose EMAIL HASH\n\n"
                 "Explain why HASH is not EMAIL's hash, as \"cause: message\": the usual "
                 "mistakes\n(the secret's text as the key, the email's case or whitespace, "
                 "SHA-1 or MD5, base64,\nswapped arguments, a truncated secret). Exit 0 on a "
                 "match, 1 otherwise. A developer\ntool: not constant time, never for a "
                 "request path.\n" + _SECRET_NOTE),
    "help": ("COMMAND", 1, True, False,
             "usage: pylon-idv help [COMMAND]\n\n"
             "Print the list of commands, or the usage of COMMAND (also: COMMAND --help).\n"),
    "version": ("", 0, False, False,
                "usage: pylon-idv version\n\n"
                "Print the version, as --version does.\n"),
}


class _Fail(Exception):
    """An error to report on stderr (one line) with exit status 2."""


def _os_fail(what, err):
    return _Fail(f"{what}: {os.strerror(err.errno) if err.errno else err}")


def _write_fd(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _emit(text, status=EXIT_OK):
    """Write text to file descriptor 1, all of it, or fail with the reason."""
    try:
        _write_fd(1, text.encode())
    except OSError as e:
        raise _os_fail("cannot write the output", e) from None
    return status


def _read_fd(fd):
    chunks, n, b = [], 0, None
    try:
        while n <= MAX_SECRET_FILE:
            b = os.read(fd, MAX_SECRET_FILE + 1 - n)
            if not b:
                break
            chunks.append(b)
            n += len(b)
        return b"".join(chunks)
    finally:
        chunks = b = None                        # what was read is the secret: no frame keeps it


def _load_secret(secret_file):
    """The secret as bytes, from the file (or stdin) or the environment."""
    if secret_file is None:
        environb = getattr(os, "environb", None)
        value = environb.get(ENV.encode()) if environb is not None else os.environ.get(ENV)
        if value is None:
            raise _Fail(f"no secret: set {ENV} or use --secret-file PATH (- for standard input)")
        return value
    if secret_file == "-":
        try:
            data = _read_fd(0)
        except OSError as e:
            raise _os_fail("cannot read standard input", e) from None
    else:
        try:
            fd = os.open(secret_file, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as e:
            raise _os_fail("cannot open the secret file", e) from None
        try:
            try:
                data = _read_fd(fd)
            except IsADirectoryError as e:
                raise _os_fail("cannot open the secret file", e) from None
            except OSError as e:
                raise _os_fail("cannot read the secret file", e) from None
        finally:
            os.close(fd)
    if len(data) > MAX_SECRET_FILE:
        data = None
        raise _Fail("the secret file is too large (over 1 MiB)")
    return data


def _arity_error(name):
    args_text, n, at_most, _, _ = COMMANDS[name]
    if n == 0:
        return _Fail(f"{name} takes no arguments; run 'pylon-idv help {name}'")
    return _Fail(f"{name} takes {'at most ' if at_most else ''}{n} argument"
                 f"{'' if n == 1 else 's'} ({args_text}); run 'pylon-idv help {name}'")


def _main(argv):
    secret_file = None
    cmd = None
    have_cmd = unknown_cmd = want_help = want_version = literal = False
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if not literal and a.startswith("-") and a != "-":
            if a == "--":
                literal = True
            elif a in ("--help", "-h"):
                want_help = True
            elif a == "--version":
                want_version = True
            elif a == "--secret-file":
                if i >= len(argv):
                    raise _Fail("--secret-file needs a path (- for standard input)")
                secret_file = argv[i]
                i += 1
            elif a.startswith("--secret-file="):
                secret_file = a[len("--secret-file="):]
            elif a == "--secret" or a.startswith("--secret="):
                raise _Fail("the secret is never taken on the command line (ps and shell "
                            f"history show it): use {ENV} or --secret-file")
            else:
                raise _Fail("unknown option; run 'pylon-idv help'")
            continue
        if not have_cmd:
            have_cmd = True
            cmd = a if a in COMMANDS else None
            unknown_cmd = cmd is None
        else:
            args.append(a)

    if unknown_cmd:
        raise _Fail("unknown command; run 'pylon-idv help' for the list")
    if want_help:
        return _emit(COMMANDS[cmd][4] if cmd else USAGE)
    if want_version:
        return _emit(f"pylon-idv {__version__}\n")
    if cmd is None:
        raise _Fail("no command; run 'pylon-idv help'")
    _, n, at_most, _, _ = COMMANDS[cmd]
    if (len(args) > n) if at_most else (len(args) != n):
        raise _arity_error(cmd)
    if cmd == "help":
        if not args:
            return _emit(USAGE)
        if args[0] not in COMMANDS:
            raise _Fail("help: unknown command; run 'pylon-idv help' for the list")
        return _emit(COMMANDS[args[0]][4])
    if cmd == "version":
        return _emit(f"pylon-idv {__version__}\n")
    if cmd == "generate-secret":
        return _emit(generate_secret() + "\n")

    secret = _load_secret(secret_file)
    try:
        raw = [os.fsencode(a) for a in args]
        if cmd == "diagnose":
            name, message = _pylon_idv._diagnose(raw[0], secret, raw[1])
            return _emit(f"{name}: {message}\n", EXIT_OK if name == "match" else EXIT_MISMATCH)
        if cmd == "sign":
            return _emit(sign(raw[0], secret) + "\n")
        if cmd == "verify":
            ok = verify(raw[0], secret, raw[1])      # a bad secret raises, checked first
            return _emit("match\n" if ok else "mismatch\n", EXIT_OK if ok else EXIT_MISMATCH)
        return _emit(Signer(secret).fingerprint + "\n")
    finally:
        secret = None                            # whatever leaves, no frame keeps the secret


def main(argv=None):
    """Run the command line; returns the exit status (0 ok/match, 1 mismatch, 2 error)."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        return _main(list(argv))
    except _Fail as e:
        reason = str(e)
    except (InvalidSecretError, Error) as e:
        reason = e.reason                        # the core's words, as data: no prefix to strip
    try:
        _write_fd(2, f"pylon-idv: {reason}\n".encode())
    except OSError:
        pass                                     # no stderr: the status still says it
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
