"""The configuration problems come from the core's one table (pylon_idv_problems), which Lua's
pylon_idv.openresty reads too: Python keeps no text of its own."""

import re

import pytest

import pylon_idv
from pylon_idv import _web
from pylon_idv._pylon_idv import _problems

SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"


def as_pattern(template):
    """The template as a regular expression: each {placeholder} any text."""
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".*".join(re.escape(p) for p in parts) + r"\Z", re.S)


def test_the_table_as_python_reads_it():
    table = _problems()
    assert table is not _problems()                       # a new dict each call
    assert table["secret_missing"][0] == "E001" and table["async_hook"][0] == "E010"
    assert {v[0] for v in table.values()} >= {f"E{n:03}" for n in range(1, 11)} | {
        "W001", "W002", "W003", "W004"}
    for key, (id, text, fix) in table.items():
        assert re.fullmatch(r"[EW]0\d\d", id), key
        assert as_pattern(text).match(text) and fix, key


def test_problem_fills_the_tables_text():
    id, text, fix = _problems()["app_id_missing"]
    p = _web.problem("app_id_missing", setting="PYLON_IDV_APP_ID")
    assert p.id == id == "E004"
    assert p.message == text.replace("{setting}", "PYLON_IDV_APP_ID")
    assert p.hint == fix.replace("{setting}", "PYLON_IDV_APP_ID")
    assert str(p) == f"pylon_idv.E004: {p.message} Fix: {p.hint}"
    with pytest.raises(KeyError):
        _web.problem("no_such_problem")


@pytest.mark.parametrize("config,env,ids", [
    (dict(app_id=""), {"PYLON_IDENTITY_SECRET": SECRET}, ["E004"]),
    (dict(app_id="bad id/"), {"PYLON_IDENTITY_SECRET": SECRET}, ["E005"]),
    (dict(app_id="a"), {}, ["E001"]),
    (dict(app_id="a"), {"PYLON_IDENTITY_SECRET": SECRET[:-1] + "g"}, ["E002"]),
    (dict(app_id="a"), {"PYLON_IDENTITY_SECRET": SECRET,
                        "PYLON_IDENTITY_SECRET_PREVIOUS": SECRET[:32] + " " + SECRET[32:]},
     ["E003"]),
    (dict(app_id="a", mode="html"), {"PYLON_IDENTITY_SECRET": SECRET}, ["E006"]),
    (dict(app_id="a", secret_env=SECRET), {}, ["E006"]),
    (dict(app_id="a"), {"PYLON_IDENTITY_SECRET": SECRET[:32]}, ["W002"]),
])
def test_every_problem_load_reports_is_a_row_of_the_table(config, env, ids):
    page, problems = _web.load(environ=env, **config)
    assert [p.id for p in problems] == ids
    rows = {id: [] for id, _, _ in _problems().values()}
    for id, text, fix in _problems().values():
        rows[id].append((as_pattern(text), as_pattern(fix)))
    for p in problems:
        assert any(t.match(p.message) and f.match(p.hint) for t, f in rows[p.id]), str(p)
        assert SECRET[:16] not in str(p) and SECRET[32:48] not in str(p)
    assert (page is None) == any(i.startswith("E") for i in ids)
