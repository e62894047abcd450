#!/usr/bin/env python3
"""Write bindings/python/README-python.md (the PyPI page: pyproject's readme) from the texts
it shares with the README and the docs site, so it cannot drift from them (standard library
only).

    python3 scripts/readme_python.py            # writes bindings/python/README-python.md
    python3 scripts/readme_python.py --check    # exit 1 if the committed file differs

The page is, in order: README.md's opening (up to its first "## " heading: what it is, the
flow); docs/python.md (install, a Flask view, the API); docs/integrations.md and the Django,
Flask, FastAPI/Quart/Litestar pages (the drop-ins); the opening of docs/csp.md (which way suits
which Content-Security-Policy). Edit those; never this script's output. On the way:
- headings of the docs pages move one level down under the page's own section headings;
- a fence's title attribute is dropped (PyPI shows no titles; the docs suite reads them);
- links to docs pages become absolute GitHub URLs (relative ones do not work on PyPI).
`make test-docs` (tests/docs/test_readme.py) fails when the committed file differs.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = "bindings/python/README-python.md"
BLOB = "https://github.com/pylon-idv/pylon_idv/blob/main/"

# (title of the section on the PyPI page or None, file, what of it: "opening" = up to the
# first "## " heading, "body" = everything after the page's "# " title)
PARTS = [
    (None, "README.md", "opening"),
    ("Python", "docs/python.md", "body"),
    ("Drop-in integrations", "docs/integrations.md", "body"),
    ("Django", "docs/django.md", "body"),
    ("Flask", "docs/flask.md", "body"),
    ("FastAPI, Starlette, Jinja2, Quart, Litestar", "docs/fastapi.md", "body"),
    ("Content-Security-Policy", "docs/csp.md", "opening-body"),
]

FENCE = re.compile(r"^(\s*`{3,}[\w+-]*)\s+title=\"[^\"]*\"\s*$")
LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s]+)\)")


def _read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def _link(rel_file, target):
    """A relative link of rel_file as an absolute URL of the repository."""
    path, _, anchor = target.partition("#")
    full = os.path.normpath(os.path.join(os.path.dirname(rel_file), path)) if path else rel_file
    return BLOB + full.replace(os.sep, "/") + ("#" + anchor if anchor else "")


def _convert(rel_file, text, shift):
    out = []
    in_fence = None
    for line in text.split("\n"):
        m = re.match(r"^\s*(`{3,})", line)
        if m:
            if in_fence is None:
                in_fence = m.group(1)
                f = FENCE.match(line)
                out.append(f.group(1) if f else line)
                continue
            if line.strip() == in_fence:
                in_fence = None
            out.append(line)
            continue
        if in_fence is None:
            if shift and re.match(r"^#{1,5} ", line):
                line = "#" * shift + line
            line = LINK.sub(lambda mm: "](%s)" % _link(rel_file, mm.group(1)), line)
        out.append(line)
    return "\n".join(out).strip("\n")


def _part(rel, what):
    text = _read(rel)
    if what == "opening":
        return text.split("\n## ", 1)[0].split("\n", 1)[1]      # without the "# " title
    body = text.split("\n", 1)[1]                               # without the "# " title
    if what == "opening-body":
        body = body.split("\n## ", 1)[0]
    return body


def render():
    out = ["<!-- Written by scripts/readme_python.py from README.md and docs/: do not edit. -->",
           "",
           "# pylon_idv for Python",
           ""]
    for title, rel, what in PARTS:
        if title:
            out += ["## " + title, ""]
            shift = 1
        else:
            shift = 0
        out += [_convert(rel, _part(rel, what), shift), ""]
    out += ["---", "",
            "The whole documentation (Lua, OpenResty, the C library, troubleshooting, "
            "performance): " + BLOB + "docs/index.md", ""]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text)


def main(argv):
    text = render()
    path = os.path.join(ROOT, OUT)
    if argv[1:] == ["--check"]:
        try:
            have = _read(OUT)
        except FileNotFoundError:
            have = None
        if have != text:
            sys.stderr.write("%s is not what scripts/readme_python.py writes from README.md and "
                             "docs/: run python3 scripts/readme_python.py\n" % OUT)
            return 1
        return 0
    if argv[1:]:
        sys.stderr.write("usage: scripts/readme_python.py [--check]\n")
        return 2
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
