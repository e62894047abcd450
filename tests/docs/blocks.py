"""The code blocks of the docs pages and README.md, as the reader sees them.

A fenced block is ```LANG [title="..."]. What the docs suite does with it (test_examples.py):
  python   run by the Python that has pylon_idv and the frameworks (build/venv-integrations)
  lua      run by lua5.4 with the CMake-built module
  sh       run by bash -euo pipefail at the top of the checkout (build/c and the venv on PATH)
  console  each "$ " line run in one bash, the other lines compared with what it printed
The title is the visible mark of a block the suite treats differently:
  title="Not run: REASON"      skipped, REASON printed (it says which test runs it instead)
  title="Starts a server: the test runs it and loads URL"
                               run in a network namespace of its own (so its port is free),
                               URL fetched until it answers 200, then the server stopped
Other languages (c, nginx, django, cmake, text) are not run here; the C example is compiled and
run by the sh block after it.
"""
import os
import re

from conftest import ROOT

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<lang>[\w+-]*)(?P<attrs>.*)$")
RUN = ("python", "lua", "sh", "console")


class Block:
    def __init__(self, path, line, lang, title, code):
        self.path, self.line, self.lang, self.title, self.code = path, line, lang, title, code

    @property
    def id(self):
        return "%s:%d:%s" % (self.path, self.line, self.lang)

    @property
    def skip_reason(self):
        return self.title if self.title.startswith("Not run") else None

    @property
    def server_url(self):
        m = re.match(r"Starts a server: .*?(http://127\.0\.0\.1:\d+/\S*)", self.title)
        return m.group(1) if m else None


def blocks_of(path, text):
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang, attrs = m.group("indent", "fence", "lang", "attrs")
        t = re.search(r'title="([^"]*)"', attrs)
        body = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            line = lines[j]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            j += 1
        yield Block(path, i + 1, lang, t.group(1) if t else "", "\n".join(body) + "\n")
        i = j + 1


def all_blocks():
    """The blocks of every docs/ page, and of README.md (its examples are run the same way)."""
    docs = os.path.join(ROOT, "docs")
    out = list(blocks_of("README.md", open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()))
    for dirpath, dirnames, filenames in os.walk(docs):
        dirnames[:] = sorted(d for d in dirnames if d not in ("gen", "snippets"))
        for name in sorted(filenames):
            if name.endswith(".md"):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, ROOT)
                out += list(blocks_of(rel, open(path, encoding="utf-8").read()))
    return out
