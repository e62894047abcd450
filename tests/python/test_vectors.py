"""Every shared vector: the public HMAC-SHA256 ones, our cross-references, the bad secrets."""

import pytest

import pylon_idv
from vectors import (bad_secrets, crossref_vectors, expected_message, hmac_vectors,
                     leaks_secret)

HMAC = hmac_vectors()
CROSSREF = crossref_vectors()
BAD = bad_secrets()


def test_vector_files_are_complete():
    assert sum(1 for v in HMAC if v[2] == "sign") == 117
    assert sum(1 for v in HMAC if v[2] == "reject") == 293
    assert len(CROSSREF) == 232
    assert len(BAD) == 32


@pytest.mark.parametrize("source,tc,expect,key_hex,msg,tag", HMAC,
                         ids=[f"{v[0]}-{v[1]}-{v[2]}" for v in HMAC])
def test_hmac_vector(source, tc, expect, key_hex, msg, tag):
    signer = pylon_idv.Signer(key_hex)
    if expect == "sign":
        assert pylon_idv.sign(msg, key_hex) == tag
        assert pylon_idv.sign(msg, key_hex.upper()) == tag
        assert pylon_idv.sign(bytearray(msg), key_hex.encode()) == tag
        assert signer.sign(msg) == tag
        assert pylon_idv.Signer.from_key(bytes.fromhex(key_hex)).sign(memoryview(msg)) == tag
        assert pylon_idv.verify(msg, key_hex, tag) is True
        assert pylon_idv.verify(msg, key_hex, tag.upper()) is True
        assert pylon_idv.verify(msg, key_hex, tag.encode()) is True
        assert signer.verify(msg, tag) is True
        assert signer.match(msg, tag) == 0
    else:
        assert expect == "reject"
        assert pylon_idv.verify(msg, key_hex, tag) is False
        assert signer.verify(msg, tag) is False
        assert signer.match(msg, tag) is None


@pytest.mark.parametrize("name,email,secret,hash_", CROSSREF, ids=[v[0] for v in CROSSREF])
def test_crossref_vector(name, email, secret, hash_):
    secret_str = secret.decode("ascii")
    forms = [email, bytearray(email), memoryview(email)]
    try:
        forms.append(email.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    for e in forms:
        assert pylon_idv.sign(e, secret_str) == hash_
        assert pylon_idv.sign(e, secret) == hash_
        assert pylon_idv.verify(e, secret_str, hash_) is True
        assert pylon_idv.verify(e, secret, hash_.upper()) is True
    signer = pylon_idv.Signer(secret_str)
    assert signer.sign(email) == hash_
    assert signer.verify(email, hash_) is True
    assert pylon_idv.Signer(secret).fingerprint == signer.fingerprint


def _secret_forms(secret):
    yield secret
    try:
        yield secret.decode("utf-8")
    except UnicodeDecodeError:
        pass


@pytest.mark.parametrize("secret,status,position", BAD,
                         ids=[f"{v[1]}-{v[2]}-{v[0].hex()}" for v in BAD])
def test_bad_secret(secret, status, position):
    want = expected_message(status, position)
    calls = [
        lambda s: pylon_idv.sign("jane@example.com", s),
        lambda s: pylon_idv.verify("jane@example.com", s, "0" * 64),
        lambda s: pylon_idv.verify("jane@example.com", s, None),   # the secret is checked first
        lambda s: pylon_idv.Signer(s),
        lambda s: pylon_idv.sign(email="x" * 10000, secret_hex=s),  # the GIL-released path
    ]
    for s in _secret_forms(secret):
        for call in calls:
            with pytest.raises(pylon_idv.InvalidSecretError) as info:
                call(s)
            msg = str(info.value)
            assert msg == want
            assert isinstance(info.value, ValueError)
            assert isinstance(info.value, pylon_idv.Error)
            assert not leaks_secret(msg, secret)
            assert info.value.__cause__ is None and info.value.__context__ is None
        # the same secret as a previous one of a Signer: numbered in the message
        with pytest.raises(pylon_idv.InvalidSecretError) as info:
            pylon_idv.Signer("00ff", previous=["0011", s])
        assert str(info.value) == want + " (previous secret #2)"   # as in Lua and the core
        assert not leaks_secret(str(info.value), secret)


def test_bad_secret_surrogate_is_invalid_secret_not_unicode_error():
    # A lone surrogate in a secret str: reported like any other non-hex character, with its
    # position, and no UnicodeEncodeError (which would carry the whole secret in .object).
    secret = "00112233\ud800" + "44" * 27
    with pytest.raises(pylon_idv.InvalidSecretError) as info:
        pylon_idv.sign("jane@example.com", secret)
    assert str(info.value) == expected_message("CHAR", 8)
    assert info.value.__context__ is None
