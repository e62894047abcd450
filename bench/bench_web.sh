#!/bin/sh
# bench_web.sh [--quick] -- the web drop-ins against the hand-written idiom, per page (issue 20):
# Django (sync and async views), Flask, FastAPI (sync and async Environments).
# Uses the venv of the integration tests, ${BUILD:-build}/venv-integrations (the pinned
# frameworks of tests/integration/requirements.txt and pylon_idv), making it when it is
# missing. Prints a markdown table; --quick runs a few short rounds (CI: make test-bench).
set -eu
cd "$(dirname "$0")/.."
venv=${BUILD:-build}/venv-integrations
if ! "$venv/bin/python" -c 'import django, flask, fastapi, pylon_idv' >/dev/null 2>&1; then
    echo "   (making $venv: the pinned frameworks and pylon_idv)" >&2
    [ -x "$venv/bin/python" ] || ${PYTHON:-/usr/bin/python3} -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/integration/requirements.txt >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall . >&2
fi
script=$PWD/bench/bench_web.py
cd "$venv"    # import the installed package, never a source tree
exec bin/python -W ignore::DeprecationWarning "$script" "$@"
