"""pylon_idv._web's data mode: the data element and the pylon-chat.js tag built as one
pylon_idv.HTML in C (_data_tag), byte for byte what the public calls give, with their checks."""

import pytest

import pylon_idv
from pylon_idv._pylon_idv import _data_tag

from vectors import SECRET

SIGNER = pylon_idv.Signer(SECRET)
TAG = str(pylon_idv.script_tag("/_pylon_idv/pylon-chat.js"))


@pytest.mark.parametrize("email,fields", [
    ("jane@example.com", {}), ("jane@example.com", None), (None, {"plan": "pro"}),
    ("j\u00f6rg@example.com", {"name": "J\u00f6rg </script>", "n": 3, "ok": True, "x": None,
                               "f": 1.5}),
])
def test_the_same_bytes_as_the_public_calls(email, fields):
    got = _data_tag(TAG, email, SIGNER, "app-1", fields)
    want = str(pylon_idv.chat_settings_data(email, SIGNER, app_id="app-1", **(fields or {})))
    assert type(got) is pylon_idv.HTML and got.__html__() is got
    assert got == want + TAG
    assert _data_tag(TAG, email, SECRET, "app-1", fields) == got        # a secret works too
    assert _data_tag("", email, SIGNER, "app-1", fields) == want        # an empty tail


def test_a_tail_past_the_stack_buffer():
    tail = "<!-- " + "x" * 5000 + " -->"
    assert _data_tag(tail, "a@b.c", SIGNER, "a", None).endswith(tail)


@pytest.mark.parametrize("args,exc,match", [
    ((TAG, "a@b.c", SIGNER, "a"), TypeError, "exactly 5 arguments"),
    ((None, "a@b.c", SIGNER, "a", None), TypeError, "tail must be a str"),
    ((TAG, "a@b.c", SIGNER, "a", [("k", "v")]), TypeError, "fields a dict"),
    ((TAG, "a@b.c", SIGNER, "a", {1: "v"}), TypeError, "field names must be str"),
    ((TAG, "a@b.c", SIGNER, "a", {"k": object()}), TypeError, "must be str, int"),
    ((TAG, "a@b.c", SIGNER, "a", {"email": "x"}), TypeError, "email"),
    ((TAG, 5, SIGNER, "a", None), TypeError, "email"),
    ((TAG, "a@b.c", 5, "a", None), TypeError, "secret_or_signer"),
    ((TAG, "a@b.c", SIGNER, "bad id/", None), ValueError, "app_id"),
    ((TAG, "a@b.c", "00f", "a", None), pylon_idv.InvalidSecretError, "odd"),
])
def test_the_checks_of_chat_settings_data(args, exc, match):
    with pytest.raises(exc, match=match):
        _data_tag(*args)
