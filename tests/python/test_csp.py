"""csp_sources(): the Content-Security-Policy sources the widget needs, from the C core's one
table, against tests/vectors/csp_sources.tsv (Pylon's chat setup page; shared with the C and
Lua suites)."""

import os

import pytest

import pylon_idv

VEC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "vectors")


def rows():
    with open(os.path.join(VEC, "csp_sources.tsv"), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip() and line[0] != "#"]


ROWS = rows()


def test_every_row_of_the_page_in_its_order():
    got = pylon_idv.csp_sources()
    assert type(got) is dict
    assert list(got) == [r[0] for r in ROWS]
    for directive, sources in ROWS:
        assert got[directive] == tuple(sources.split(" ")), directive
        assert all(type(s) is str and s for s in got[directive])


def test_the_five_directives_of_pylons_page():
    assert set(pylon_idv.csp_sources()) == {
        "connect-src", "script-src", "font-src", "style-src", "img-src"}


def test_a_new_dict_each_call():
    a = pylon_idv.csp_sources()
    a["script-src"] = ("'none'",)
    del a["img-src"]
    b = pylon_idv.csp_sources()
    assert b["script-src"][1] == "https://widget.usepylon.com"
    assert "img-src" in b


def test_no_arguments():
    with pytest.raises(TypeError):
        pylon_idv.csp_sources("script-src")  # type: ignore[call-arg]
