#!/bin/sh
# bench_python.sh [--quick] -- the Python binding against the usual Python idioms (issue 5).
# Uses the venv at ${BUILD:-build}/venv-py (make test-python's), made by a plain
# `pip install .` when it is missing. Prints markdown tables; --quick runs a few short rounds (CI).
set -eu
cd "$(dirname "$0")/.."
venv=${BUILD:-build}/venv-py
if ! "$venv/bin/python" -c 'import pylon_idv' >/dev/null 2>&1; then
    echo "   (building the Python binding: pip install . into $venv)" >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check . >/dev/null
fi
# The floor behind a Python call (bench/floor_py.c): built here, for this venv's Python.
floor_dir=$PWD/${BUILD:-build}/bench-floor-py
mkdir -p "$floor_dir"
inc=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
${CC:-cc} -O2 -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror -I"$inc" -Ibench \
    bench/floor_py.c -o "$floor_dir/_pylon_idv_floor.abi3.so" -lcrypto
script=$PWD/bench/bench_python.py
cd "$venv"    # import the installed package, never a source tree
PYLON_IDV_FLOOR_DIR=$floor_dir exec bin/python "$script" "$@"
