#!/usr/bin/env bash
# test-python.sh -- build the Python binding once, as one cp310-abi3 wheel, and prove it.
#
#   scripts/test-python.sh [--build-only] [--ci]
#
# 1. Build the wheel ONCE with Debian's /usr/bin/python3 (offline: --no-index,
#    --no-build-isolation), into build/wheelhouse.
# 2. Install it into build/venv-py (a venv over Debian's python3 with --system-site-packages,
#    for python3-pytest and python3-hypothesis) and run the pytest suite in tests/python.
# 3. Install the SAME wheel into a venv per pyenv CPython 3.10, 3.11, 3.12, 3.13 and run
#    tests/python/smoke_abi3.py there (those interpreters have no pytest).
# An absent pyenv interpreter fails the run, except in CI (CI=1 or --ci), where a fresh
# Debian may have no pyenv: then it is reported as not proven. Every output stays under
# build/. --build-only stops after step 2's install (used by scripts/demo-python.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
PY=${PYTHON:-/usr/bin/python3}
WHEELHOUSE=$BUILD/wheelhouse
VENV=$BUILD/venv-py
PYENV_VERSIONS="3.10 3.11 3.12 3.13"
build_only=0
ci=${CI:-0}
for a in "$@"; do
    case $a in
        --build-only) build_only=1 ;;
        --ci) ci=1 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "test-python.sh: unknown argument $a" >&2; exit 2 ;;
    esac
done
case $ci in ""|0|false|no) ci=0 ;; *) ci=1 ;; esac
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BUILD=$(abs "$BUILD"); WHEELHOUSE=$BUILD/wheelhouse; VENV=$BUILD/venv-py

say() { printf '\n== %s\n' "$*"; }

# ---- 1. the wheel, built once
say "build the abi3 wheel with $PY ($($PY -c 'import sys; print(sys.version.split()[0])'))"
rm -rf "$WHEELHOUSE" build/python   # build/python: setup.py's build_base
mkdir -p "$WHEELHOUSE"
PIP_NO_INDEX=1 "$PY" -m pip wheel --no-build-isolation --no-deps --no-index -q \
    -w "$WHEELHOUSE" . 2>&1 | grep -v -e '^\s*warning: no \(previously-included \)\?files' || true
shopt -s nullglob
wheels=("$WHEELHOUSE"/pylon_idv-*-cp310-abi3-*.whl)
shopt -u nullglob
if [ "${#wheels[@]}" != 1 ]; then
    echo "test-python.sh: expected one cp310-abi3 wheel in $WHEELHOUSE, found: $(ls "$WHEELHOUSE")" >&2
    exit 1
fi
wheel=${wheels[0]}
echo "   $wheel"
# Nothing left at the top level: the egg-info and the extension stay under build/.
for stray in pylon_idv.egg-info pylon_idv.so pylon_idv*.so _pylon_idv*.so; do
    if [ -e "$stray" ]; then echo "test-python.sh: build output at the top level: $stray" >&2; exit 1; fi
done

# ---- 2. Debian's python3 venv: install, pytest
say "install into $VENV (Debian python3, --system-site-packages)"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv --system-site-packages "$VENV"
fi
"$VENV/bin/python" -m pip install -q --no-index --no-deps --force-reinstall "$wheel"
if [ "$build_only" = 1 ]; then
    echo "   built and installed: $VENV/bin/python -c 'import pylon_idv'"
    exit 0
fi

say "pytest tests/python ($VENV)"
mkdir -p "$BUILD/pytest"
# Run from build/pytest: hypothesis keeps its example database in the working directory.
(cd "$BUILD/pytest" && "$VENV/bin/python" -m pytest -p no:cacheprovider -q "$OLDPWD/tests/python")

# ---- 3. the same wheel on every pyenv CPython >= 3.10
proven=("$($VENV/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])') (Debian, pytest)")
missing=()
pyenv_root=""
if command -v pyenv >/dev/null 2>&1; then pyenv_root=$(pyenv root); fi
[ -n "$pyenv_root" ] || pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
for v in $PYENV_VERSIONS; do
    interp=""
    for d in "$pyenv_root"/versions/"$v".*; do
        [ -x "$d/bin/python3" ] && interp=$d/bin/python3
    done
    if [ -z "$interp" ]; then
        missing+=("$v")
        echo
        echo "== CPython $v: not installed under $pyenv_root/versions -- NOT proven"
        continue
    fi
    venv=$BUILD/venv-py$v
    say "CPython $v ($interp): install the same wheel into $venv, run smoke_abi3.py"
    rm -rf "$venv"
    "$interp" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --no-index --no-deps "$wheel"
    (cd "$BUILD" && "$venv/bin/python" "$OLDPWD/tests/python/smoke_abi3.py")
    proven+=("$v (smoke)")
done

say "Python binding: proven on CPython ${proven[*]}"
echo "   wheel: $(basename "$wheel")"
if [ "${#missing[@]}" != 0 ]; then
    if [ "$ci" = 1 ]; then
        echo "   not proven here (pyenv interpreters absent, allowed in CI): ${missing[*]}"
    else
        echo "test-python.sh: pyenv CPython ${missing[*]} absent; install them or run with --ci / CI=1" >&2
        exit 1
    fi
fi
