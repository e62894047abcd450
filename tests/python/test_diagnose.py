"""pylon_idv.diagnose: every cause of issue 7, each hash made here with hmac/hashlib/base64."""

import base64
import hashlib
import hmac
import pickle

import pytest

import pylon_idv
from vectors import SECRET, KEY
from pylon_idv import Diagnosis, diagnose

EMAIL = "Jane.Doe@Example.com"

CAUSES = ["match", "raw_secret", "email_case", "email_whitespace", "wrong_algorithm",
          "base64_digest", "arguments_swapped", "truncated_secret", "invalid_secret", "unknown"]


def tag(key, msg, algo=hashlib.sha256):
    if isinstance(key, str):
        key = key.encode()
    if isinstance(msg, str):
        msg = msg.encode()
    return hmac.new(key, msg, algo).digest()


def hexof(key, msg, algo=hashlib.sha256):
    return tag(key, msg, algo).hex()


# A malformed secret: a '-' at position 32. Node's Buffer.from(s, "hex") decodes up to it.
BAD = SECRET[:32] + "-" + SECRET[33:]

CASES = [
    # (cause, email, secret, hash)
    ("match", EMAIL, SECRET, hexof(KEY, EMAIL)),
    ("match", EMAIL, SECRET, hexof(KEY, EMAIL).upper()),
    ("match", EMAIL, " " + SECRET + "\n", hexof(KEY, EMAIL)),
    ("raw_secret", EMAIL, SECRET, hexof(SECRET, EMAIL)),
    ("raw_secret", EMAIL, SECRET + "\n", hexof(SECRET, EMAIL)),        # trimmed text as key
    ("raw_secret", EMAIL, BAD, hexof(BAD, EMAIL)),                     # even a malformed one
    ("email_case", EMAIL, SECRET, hexof(KEY, EMAIL.lower())),
    ("email_case", EMAIL, SECRET, hexof(KEY, EMAIL.upper())),
    ("email_whitespace", "  jane@example.com\n", SECRET, hexof(KEY, "jane@example.com")),
    ("email_whitespace", "\tjane@example.com", SECRET, hexof(KEY, "jane@example.com")),
    ("wrong_algorithm", EMAIL, SECRET, hexof(KEY, EMAIL, hashlib.sha1)),
    ("wrong_algorithm", EMAIL, SECRET, hexof(KEY, EMAIL, hashlib.md5)),
    ("base64_digest", EMAIL, SECRET, base64.b64encode(tag(KEY, EMAIL)).decode()),
    ("base64_digest", EMAIL, SECRET, base64.b64encode(tag(KEY, EMAIL)).decode().rstrip("=")),
    ("base64_digest", EMAIL, SECRET, base64.urlsafe_b64encode(tag(KEY, EMAIL)).decode()),
    ("arguments_swapped", EMAIL, SECRET, hexof(EMAIL, SECRET)),
    ("truncated_secret", EMAIL, BAD, hexof(bytes.fromhex(SECRET[:32]), EMAIL)),
    ("truncated_secret", EMAIL, SECRET[:63], hexof(bytes.fromhex(SECRET[:62]), EMAIL)),  # odd
    ("invalid_secret", EMAIL, BAD, "00"),
    ("invalid_secret", EMAIL, SECRET[:63], hexof(KEY, EMAIL)),
    ("invalid_secret", EMAIL, "  ", "00"),
    ("invalid_secret", EMAIL, "", None),
    ("invalid_secret", EMAIL, "ab\ud800cd", "00"),            # a lone surrogate in a secret
    ("unknown", EMAIL, SECRET, "0" * 64),
    ("unknown", EMAIL, SECRET, ""),
    ("unknown", EMAIL, SECRET, None),
    ("unknown", EMAIL, SECRET, "not a hash at all"),
    ("unknown", EMAIL, SECRET, "x\ud800"),                    # unencodable: evaluated as ""
    ("unknown", EMAIL, SECRET, hexof(KEY, "someone.else@example.com")),
]


@pytest.mark.parametrize("cause,email,secret,h", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_cause(cause, email, secret, h):
    d = diagnose(email, secret, h)
    assert isinstance(d, Diagnosis)
    assert d.cause == cause, d
    assert bool(d) is (cause == "match")
    assert isinstance(d.message, str) and len(d.message) > 20
    assert SECRET not in d.message and SECRET[:16] not in d.message


def test_every_cause_is_covered():
    assert {c[0] for c in CASES} == set(CAUSES)


def test_bytes_forms_and_keywords():
    h = hexof(KEY, EMAIL.lower())
    assert diagnose(EMAIL.encode(), SECRET.encode(), h.encode()).cause == "email_case"
    assert diagnose(bytearray(EMAIL.encode()), memoryview(SECRET.encode()),
                    bytearray(h.encode())).cause == "email_case"
    assert diagnose(email=EMAIL, secret_hex=SECRET, email_hash=h).cause == "email_case"
    raw = b"j\xe9@example.com"                              # not UTF-8: hashed as given
    assert diagnose(raw, SECRET, hexof(KEY, raw)).cause == "match"


def test_large_email_released_gil_path():
    big = "A" * 10000 + "@example.com"
    assert len(big) > pylon_idv._pylon_idv._GIL_RELEASE_MIN
    assert diagnose(big, SECRET, hexof(KEY, big.lower())).cause == "email_case"
    assert diagnose(bytearray(big.encode()), SECRET, hexof(KEY, big)).cause == "match"


def test_never_raises_on_bad_secrets():
    for secret in ["", " ", "abc", "zz", "8f3a 5be1", "\x00", "é" * 64, SECRET + "0"]:
        d = diagnose(EMAIL, secret, "00" * 32)
        assert d.cause in ("invalid_secret", "truncated_secret"), (secret, d)
        assert not d


@pytest.mark.parametrize("args", [
    (1, SECRET, None), (None, SECRET, None), (EMAIL, 1, None), (EMAIL, None, None),
    (EMAIL, SECRET, 1), (EMAIL, SECRET, ["00"]),
])
def test_wrong_types_raise_type_error(args):
    with pytest.raises(TypeError, match="diagnose"):
        diagnose(*args)


def test_lone_surrogate_email_raises_like_sign():
    with pytest.raises(UnicodeEncodeError):
        diagnose("\udc80@example.com", SECRET, None)


def test_argument_count():
    with pytest.raises(TypeError):
        diagnose(EMAIL, SECRET)                       # type: ignore[call-arg]
    with pytest.raises(TypeError):
        pylon_idv._pylon_idv._diagnose(EMAIL, SECRET, None, None)
    with pytest.raises(TypeError):
        pylon_idv._pylon_idv._diagnose(EMAIL, SECRET, hash=None)


def test_diagnosis_object():
    d = diagnose(EMAIL, SECRET, hexof(KEY, EMAIL))
    assert d and d.cause == "match"
    assert str(d) == f"match: {d.message}"
    assert repr(d).startswith("Diagnosis(cause='match', message=")
    assert d == Diagnosis("match", d.message) and hash(d) == hash(Diagnosis("match", d.message))
    assert d != Diagnosis("unknown", d.message) and d != ("match", d.message)
    with pytest.raises(AttributeError):
        d.cause = "unknown"                           # type: ignore[misc]
    with pytest.raises(AttributeError):
        del d.message
    with pytest.raises(AttributeError):
        d.other = 1                                   # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(d)) == d
    u = diagnose(EMAIL, SECRET, None)
    assert not u and u.cause == "unknown"


def test_messages_are_the_c_core_messages():
    seen = {}
    for cause, email, secret, h in CASES:
        seen[cause] = diagnose(email, secret, h).message
    assert len(set(seen.values())) == len(CAUSES)          # one distinct message per cause
    assert "Buffer.from" in seen["truncated_secret"]
    assert "hex" in seen["raw_secret"]
