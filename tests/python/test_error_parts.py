"""Errors carry their parts as data (status, position, which, reason), so that no caller takes
a message apart; the message is "pylon_idv: " + reason, and never shows the secret."""

import pytest

import pylon_idv
from vectors import SECRET
from pylon_idv import InvalidSecretError, Signer



def parts(e):
    return (e.status, e.position, e.which, e.reason)


def test_bad_character_current_secret():
    with pytest.raises(InvalidSecretError) as e:
        pylon_idv.sign("jane@example.com", SECRET[:17] + "x" + SECRET[18:])
    assert parts(e.value) == (-3, 17, 0, "invalid secret: invalid hex digit at position 17")
    assert str(e.value) == "pylon_idv: " + e.value.reason
    assert SECRET[:8] not in str(e.value) and SECRET[:8] not in repr(e.value.args)


def test_previous_secret_is_named_by_which():
    with pytest.raises(InvalidSecretError) as e:
        Signer(SECRET, previous=[SECRET, "00 ff"])
    assert parts(e.value) == (-3, 2, 2, "invalid secret: invalid hex digit at position 2 "
                                        "(previous secret #2)")


def test_odd_and_empty():
    with pytest.raises(InvalidSecretError) as e:
        pylon_idv.verify("a", "abc", None)
    assert parts(e.value) == (-2, 3, 0, "invalid secret: odd number of hex digits")
    with pytest.raises(InvalidSecretError) as e:
        Signer(" \n")
    assert parts(e.value) == (-1, None, 0, "invalid secret: empty (nothing but whitespace)")


def test_raw_key_has_no_position_or_which():
    with pytest.raises(InvalidSecretError) as e:
        Signer.from_key(b"")
    assert parts(e.value) == (-1, None, None, "invalid key: empty (no bytes)")


def test_page_functions_raise_the_same_parts():
    with pytest.raises(InvalidSecretError) as e:
        pylon_idv.chat_settings_json("jane@example.com", SECRET[:63], app_id="app")
    assert parts(e.value) == (-2, 63, 0, "invalid secret: odd number of hex digits")
