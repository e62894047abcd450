"""script_tag(): the <script src> tag of pylon-chat.js, from the core's one renderer, against
tests/vectors/script_tag.tsv (shared with the C and Lua suites)."""

import os

import pytest

import pylon_idv
from pylon_idv import HTML, script_tag

VEC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "vectors")


def rows():
    with open(os.path.join(VEC, "script_tag.tsv"), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip() and line[0] != "#"]


ROWS = rows()


def test_the_file_has_its_rows():
    assert len(ROWS) >= 14


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_vector(row):
    name, src_hex, nonce_hex, want = row
    src = bytes.fromhex(src_hex).decode("utf-8")
    nonce = None if nonce_hex == "-" else bytes.fromhex(nonce_hex).decode("latin-1")
    if want.startswith("!"):
        with pytest.raises(ValueError) as e:
            script_tag(src, nonce=nonce)
        assert str(e.value) == "script_tag(): " + want.split(" ", 1)[1]
    else:
        got = script_tag(src, nonce=nonce)
        assert type(got) is HTML and got.__html__() == want


def test_types():
    for bad in (None, 1, b"/a.js"):
        with pytest.raises(TypeError):
            script_tag(bad)
    with pytest.raises(TypeError):
        script_tag("/a.js", nonce=5)
    with pytest.raises(TypeError):
        script_tag("/a.js", "nonce-positional")
    assert "script_tag" in pylon_idv.__all__
