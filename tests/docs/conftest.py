"""Shared paths for the docs suite (nox -s test_docs sets them; defaults for a checkout).

PYLON_DOCS_SITE      the built site (site/, from `make docs`)
PYLON_DOCS_LUA_CPATH where the CMake-built Lua module is (build/docs-lua/lua/?.so)
PYLON_DOCS_LUA       the Lua interpreter the module was built for (lua5.4)
PYLON_DOCS_BIN       a folder with the pylon-idv command (build/c)
"""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def setting(name, default):
    value = os.environ.get(name, default)
    return value if os.path.isabs(value) else os.path.join(ROOT, value)


@pytest.fixture(scope="session")
def site():
    path = setting("PYLON_DOCS_SITE", "site")
    if not os.path.isfile(os.path.join(path, "index.html")):
        pytest.fail("no built site in %s: run `make docs` first" % path)
    return path
