"""README.md stays short and points into the site; the PyPI page says what the docs say.

- README.md has at most 150 lines (issue 23), its relative links name files of the checkout,
  and its C example is docs/snippets/hello.c, the file the README's sh block compiles.
  (Its python, lua and sh blocks are run by test_examples.py, with the docs pages' blocks.)
- The PyPI page (the package's long description) is assembled by the build backend
  (hatch-fancy-pypi-readme through scikit-build-core: [tool.hatch.metadata.hooks.fancy-pypi-readme]
  in pyproject.toml). The METADATA the backend builds (pip asks it, with build isolation, as it
  does before an install) holds README.md's opening, docs/python.md, the drop-in pages and the
  opening of docs/csp.md, line by line and in order, with the headings one level down, no fence
  titles and no relative link; and it says what is true of the package now.
"""
import json
import os
import re
import subprocess
import sys

import pytest

from blocks import blocks_of
from conftest import ROOT

README = os.path.join(ROOT, "README.md")
BLOB = "https://github.com/pylon-idv/pylon_idv/blob/main/"
# (the section heading on the PyPI page or None, the file, the part of it: "opening" = after the
# "# " title, up to the first "## " heading; "body" = everything after the title)
PARTS = [
    (None, "README.md", "opening"),
    ("Python", "docs/python.md", "body"),
    ("Drop-in integrations", "docs/integrations.md", "body"),
    ("Django", "docs/django.md", "body"),
    ("Flask", "docs/flask.md", "body"),
    ("FastAPI, Starlette, Jinja2, Quart, Litestar", "docs/fastapi.md", "body"),
    ("Content-Security-Policy", "docs/csp.md", "opening"),
]


def _text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_readme_fits_on_a_screen():
    lines = _text(README).count("\n")
    assert 40 < lines <= 150, "README.md has %d lines (at most 150: the rest goes in docs/)" % lines


def test_readme_links_name_files_of_the_checkout():
    links = re.findall(r"\]\(([^)\s]+)\)", _text(README))
    local = [l for l in links if not re.match(r"https?://|#|mailto:", l)]
    assert len(local) >= 10
    missing = [l for l in local if not os.path.exists(os.path.join(ROOT, l.split("#")[0]))]
    assert not missing, "README.md links to files that do not exist: %s" % missing


def test_readme_has_the_two_commands_and_one_example_per_language():
    text = _text(README)
    assert "make demo" in text and "make test" in text
    langs = [b.lang for b in blocks_of("README.md", text)]
    for lang in ("python", "lua", "c"):
        assert lang in langs, "README.md has no %s example" % lang


def test_readme_c_example_is_the_file_it_compiles():
    blocks = [b for b in blocks_of("README.md", _text(README)) if b.lang == "c"]
    assert len(blocks) == 1
    assert blocks[0].code == _text(os.path.join(ROOT, "docs/snippets/hello.c"))


@pytest.fixture(scope="module")
def pypi_page(tmp_path_factory):
    """The long description of the METADATA the build backend writes for this checkout."""
    report = tmp_path_factory.mktemp("metadata") / "report.json"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps",
                        "--ignore-installed", "--disable-pip-version-check", "-q",
                        "--report", str(report), ROOT],
                       capture_output=True, text=True, env=dict(os.environ, PIP_ROOT_USER_ACTION="ignore"))
    assert r.returncode == 0, r.stderr
    (item,) = json.loads(report.read_text())["install"]
    metadata = item["metadata"]
    assert metadata["name"] == "pylon_idv"
    assert metadata["description_content_type"] == "text/markdown"
    return metadata["description"]


def _expected_lines(title, rel):
    """What the PyPI page must show of one part: its lines, in order, as PyPI gets them."""
    text = _text(os.path.join(ROOT, rel))
    body = text.split("\n", 1)[1]
    what = next(w for t, r, w in PARTS if r == rel)
    if what == "opening":
        body = body.split("\n## ", 1)[0]
    lines = ["## " + title] if title else []
    fence = None
    for line in body.split("\n"):
        if not line.strip():
            continue
        m = re.match(r"^\s*(`{3,})", line)
        if m:
            if fence is None:
                fence = m.group(1)
                line = re.sub(r'\s+title="[^"]*"\s*$', "", line)
            elif line.strip() == fence:
                fence = None
        elif fence is None:
            if title and re.match(r"#{1,5} ", line):
                line = "#" + line
            line = re.sub(r"\]\((?!https?://|#|mailto:)([^)\s]+)\)",
                          lambda mm: "](%s)" % _absolute(rel, mm.group(1)), line)
        lines.append(line)
    return lines


def _absolute(rel, target):
    path, _, anchor = target.partition("#")
    full = os.path.normpath(os.path.join(os.path.dirname(rel), path)) if path else rel
    return BLOB + full + ("#" + anchor if anchor else "")


def _missing(page, lines):
    """The first of LINES that the page lacks after the previous one (None: all there, in order)."""
    page_lines = page.split("\n")
    at = 0
    for line in lines:
        try:
            at = page_lines.index(line, at) + 1
        except ValueError:
            return line
    return None


def test_pypi_page_holds_each_part_in_order(pypi_page):
    assert pypi_page.startswith("<!--") and "\n# pylon_idv for Python\n" in pypi_page
    everything = []
    for title, rel, _ in PARTS:
        lines = _expected_lines(title, rel)
        assert len(lines) >= 3
        assert _missing(pypi_page, lines) is None, \
            "the PyPI page lacks this line of %s: %r" % (rel, _missing(pypi_page, lines))
        everything += lines
    assert _missing(pypi_page, everything) is None, "the parts are out of order"
    # every heading is one the parts put there: the page's title and its sections
    headings = [l for l in _outside_fences(pypi_page) if re.match(r"#+ ", l)]
    assert headings[0] == "# pylon_idv for Python" and headings.count(headings[0]) == 1
    assert sorted(headings[1:]) == sorted(l for l in everything if re.match(r"#+ ", l)
                                          and not l.startswith("# "))
    assert pypi_page.rstrip().endswith(BLOB + "docs/index.md")
    assert "\n\n\n" not in pypi_page


def _outside_fences(text):
    fence = None
    for line in text.split("\n"):
        m = re.match(r"^\s*(`{3,})", line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif line.strip() == fence:
                fence = None
        elif fence is None:
            yield line


def test_the_parts_check_catches_a_missing_line(pypi_page):
    """Negative control: a page without one line of docs/django.md, or with the docs pages'
    headings left at their own level, fails the check."""
    lines = _expected_lines("Django", "docs/django.md")
    victim = next(l for l in lines[3:] if len(l) > 20)
    assert _missing(pypi_page.replace(victim + "\n", ""), lines) == victim
    shifted = next(l for l in _expected_lines("Python", "docs/python.md") if l.startswith("### "))
    assert _missing(pypi_page.replace(shifted, shifted[1:]), [shifted]) == shifted


def test_pypi_page_links_are_absolute_and_name_files(pypi_page):
    links = re.findall(r"\]\(([^)\s]+)\)", pypi_page)
    assert len(links) >= 10
    relative = [l for l in links if not re.match(r"https?://|#|mailto:", l)]
    assert not relative, "relative links (broken on PyPI): %s" % relative
    ours = [l[len(BLOB):].split("#")[0] for l in links if l.startswith(BLOB)]
    assert len(ours) >= 10
    missing = [l for l in ours if not os.path.exists(os.path.join(ROOT, l))]
    assert not missing, "links to files that do not exist: %s" % missing


def test_pypi_page_says_what_is_true(pypi_page):
    text = pypi_page
    for what in ("chat_settings_data", "widget_script", "static_path", "csp_sources",
                 "pylon_idv.django", "pylon_idv.flask", "pylon_idv.jinja", "aarch64",
                 "sorted by name", "no `Markup()`", "Content-Security-Policy"):
        assert what in text, "the PyPI page does not mention %s" % what
    assert "in the order given" not in text
    assert "Markup(" not in text.replace("no `Markup()`", "")
    assert "](docs/" not in text and not re.search(r"\]\((?!https?://|#)[^)]*\.md", text), \
        "a relative link (broken on PyPI)"
    assert 'title="' not in text
