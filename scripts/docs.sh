#!/usr/bin/env bash
# docs.sh -- the docs site: build it (make docs), or build and test it (make test-docs).
#
#   scripts/docs.sh build [BUILD_DIR]    site/ by `mkdocs build --strict` (a warning fails)
#   scripts/docs.sh test  [BUILD_DIR]    the same, then tests/docs:
#     - the reference pages cover every public name (test_reference.py)
#     - every python, lua, sh and console block of docs/ and README.md runs (test_examples.py)
#     - README.md <= 150 lines with working links; the PyPI page the build backend
#       assembles holds the docs' parts (test_readme.py)
#     - headless Chromium follows the navigation to every page, the search finds
#       "email_hash", screenshots BUILD_DIR/docs-home.png and docs-django.png (check_site.py)
#
# The tools come from PyPI at the pins of docs/requirements.txt into BUILD_DIR/venv-docs (a
# plain venv over Debian's python3). The examples run against: the CMake-built Lua module
# for lua5.4 (BUILD_DIR/docs-lua), BUILD_DIR/c (make build: pylon-idv, libpylon_idv.so), and
# BUILD_DIR/venv-integrations (pylon_idv and the pinned frameworks; made here as
# make test-integrations (nox -s integrations) makes it when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-build}
build=${2:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
py=${PYTHON:-/usr/bin/python3}
venv=$build/venv-docs
say() { printf '\n== %s\n' "$*"; }

stamp=$venv/.requirements
if [ ! -x "$venv/bin/mkdocs" ] || ! cmp -s docs/requirements.txt "$stamp"; then
    say "venv $venv: docs/requirements.txt"
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r docs/requirements.txt
    cp docs/requirements.txt "$stamp"
fi

say "mkdocs build --strict -> site/"
log=$build/mkdocs.log
if ! NO_MKDOCS_2_WARNING=1 "$venv/bin/mkdocs" build --strict >"$log" 2>&1; then
    cat "$log" >&2; echo "docs: mkdocs build failed" >&2; exit 1
fi
if grep -E 'WARNING|ERROR' "$log" >&2; then
    echo "docs: mkdocs build printed a warning" >&2; exit 1
fi
tail -n 1 "$log"
[ "$mode" = build ] && exit 0
[ "$mode" = test ] || { echo "docs.sh: unknown mode $mode (build or test)" >&2; exit 2; }

say "the Lua module for lua5.4 (CMake) -> $build/docs-lua"
cmake -S . -B "$build/docs-lua" -DPYLON_IDV_BUILD_LUA=ON -DLUA_INCLUDE_DIR=/usr/include/lua5.4 \
    -DPYLON_IDV_BUILD_TESTS=OFF -DPYLON_IDV_BUILD_CLI=OFF -DPYLON_IDV_BUILD_BENCH=OFF >/dev/null
cmake --build "$build/docs-lua" -j"${JOBS:-2}" --target pylon_idv_lua >/dev/null

pyint=$build/venv-integrations/bin/python
if ! { [ -x "$pyint" ] && "$pyint" -c 'import django, flask, fastapi, pylon_idv' 2>/dev/null; }; then
    say "venv $build/venv-integrations: the pinned frameworks and pylon_idv"
    [ -x "$pyint" ] || "$py" -m venv "$build/venv-integrations"
    "$pyint" -m pip install -q --disable-pip-version-check -r tests/integration/requirements.txt
    "$pyint" -m pip install -q --disable-pip-version-check --no-deps .
fi
[ -x "$build/c/pylon-idv" ] || { echo "docs: no $build/c/pylon-idv (make build)" >&2; exit 1; }

say "pytest tests/docs"
export PYLON_DOCS_SITE=$PWD/site PYLON_DOCS_PYTHON=$pyint PYLON_DOCS_BIN=$build/c \
       PYLON_DOCS_LUA=lua5.4 PYLON_DOCS_LUA_CPATH="$build/docs-lua/lua/?.so"
(cd tests/docs && "$venv/bin/python" -m pytest -p no:cacheprovider -q -rs .)

say "the site in headless Chromium"
/usr/bin/python3 tests/docs/check_site.py site "$build"
