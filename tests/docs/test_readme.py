"""README.md stays short and points into the site; the PyPI page cannot drift.

- README.md has at most 150 lines (issue 23), its relative links name files of the checkout,
  and its C example is docs/snippets/hello.c, the file the README's sh block compiles.
  (Its python, lua and sh blocks are run by test_examples.py, with the docs pages' blocks.)
- bindings/python/README-python.md (pyproject's readme: the PyPI page) is exactly what
  scripts/readme_python.py writes from README.md and docs/, and says what is true of the
  package now.
"""
import os
import re
import subprocess
import sys

from blocks import blocks_of
from conftest import ROOT

README = os.path.join(ROOT, "README.md")
PYPI = os.path.join(ROOT, "bindings/python/README-python.md")


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


def test_pypi_page_is_what_the_generator_writes():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts/readme_python.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_pypi_page_says_what_is_true():
    text = _text(PYPI)
    for what in ("chat_settings_data", "widget_script", "static_path", "csp_sources",
                 "pylon_idv.django", "pylon_idv.flask", "pylon_idv.jinja", "aarch64",
                 "sorted by name", "no `Markup()`", "Content-Security-Policy"):
        assert what in text, "the PyPI page does not mention %s" % what
    assert "in the order given" not in text
    assert "Markup(" not in text.replace("no `Markup()`", "")
    assert "](docs/" not in text and not re.search(r"\]\((?!https?://|#)[^)]*\.md", text), \
        "a relative link (broken on PyPI)"
    assert 'title="' not in text


def test_drift_is_caught(tmp_path):
    """Negative control: the check fails on a page that differs from what it writes."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("readme_python",
                                                  os.path.join(ROOT, "scripts/readme_python.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.ROOT = str(tmp_path)
    for rel in ["README.md"] + [p[1] for p in mod.PARTS]:
        dst = tmp_path / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(_text(os.path.join(ROOT, rel)), encoding="utf-8")
    out = tmp_path / mod.OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(_text(PYPI), encoding="utf-8")
    assert mod.main(["x", "--check"]) == 0
    (tmp_path / "docs/python.md").write_text(_text(os.path.join(ROOT, "docs/python.md"))
                                            + "\nA new sentence.\n", encoding="utf-8")
    assert mod.main(["x", "--check"]) == 1
