"""The Python suites' shared harness: the test secret, the reference HMAC, and the shared
test vectors (tests/vectors/*.tsv), read relative to this file.

Used by the pytest suite and by the scripts that run without pytest (smoke_abi3.py,
valgrind_loop.py), so it imports nothing but the standard library.
"""

import hashlib
import hmac
import os

# The suites' secret (what tests/vectors/page.tsv and the examples use), and its key bytes.
SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
KEY = bytes.fromhex(SECRET)


def ref(msg, key=KEY):
    """The reference email hash: the standard library's HMAC-SHA256, lowercase hex. msg is a
    str (UTF-8) or bytes; key is bytes, or a hex str."""
    if isinstance(msg, str):
        msg = msg.encode()
    if isinstance(key, str):
        key = bytes.fromhex(key)
    return hmac.new(key, msg, hashlib.sha256).hexdigest()

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "vectors")


def rows(name):
    """Rows of a .tsv file as lists of fields; comments and blank lines skipped."""
    out = []
    with open(os.path.join(VECTORS, name), encoding="ascii") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            out.append(line.split("\t"))
    return out


def hmac_vectors():
    """(source, id, expect, key_hex, msg bytes, tag_hex) from hmac_sha256.tsv."""
    return [(r[0], r[1], r[2], r[3], bytes.fromhex(r[4]), r[5]) for r in rows("hmac_sha256.tsv")]


def crossref_vectors():
    """(name, email bytes, secret bytes exactly as passed, hash) from crossref.tsv."""
    return [(r[0], bytes.fromhex(r[1]), bytes.fromhex(r[2]), r[3]) for r in rows("crossref.tsv")]


def bad_secrets():
    """(secret bytes as given, status EMPTY/ODD/CHAR, position) from bad_secrets.tsv."""
    return [(bytes.fromhex(r[0]), r[1], int(r[2])) for r in rows("bad_secrets.tsv")]


MESSAGES = {
    "EMPTY": "pylon_idv: invalid secret: empty (nothing but whitespace)",
    "ODD": "pylon_idv: invalid secret: odd number of hex digits",
    "CHAR": "pylon_idv: invalid secret: invalid hex digit at position {}",
}


def expected_message(status, position):
    return MESSAGES[status].format(position)


def leaks_secret(message, secret):
    """Does the message contain the secret (or its trimmed core, when long enough to tell)?"""
    core = secret.strip(b" \t\r\n")
    if len(core) < 3:
        return False
    try:
        text = core.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return text in message
