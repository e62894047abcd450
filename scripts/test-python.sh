#!/usr/bin/env bash
# test-python.sh -- build the Python binding once, as one cp310-abi3 wheel, and prove it.
#
#   scripts/test-python.sh [--build-only] [--ci]
#
# 1. Build the wheel ONCE the standard PEP 517 way (`pip wheel .` with build isolation: pip
#    fetches the scikit-build-core pinned in pyproject.toml from PyPI) with Debian's /usr/bin/python3,
#    into build/wheelhouse.
# 2. Install it into build/venv-py (a plain venv over Debian's python3, no system
#    site-packages) with the suite's tools from PyPI at pinned versions
#    (tests/python/requirements.txt: pytest, hypothesis, Flask) and run tests/python.
#    Then tests/python/valgrind_loop.py under valgrind memcheck (PYTHONMALLOC=malloc, Debian's
#    python3.supp), and tests/python/refcount_loop.py on Debian's python3-dbg with the
#    extension built against the debug headers (scikit-build-core from PyPI at the
#    pyproject.toml pin); each with a deliberate-leak control.
# 3. Install the SAME wheel into a venv per pyenv CPython 3.10, 3.11, 3.12, 3.13 and run
#    tests/python/smoke_abi3.py there; on the oldest and the newest, also a new user's
#    `pip install .` in a plain venv (build isolation, no setuptools in the venv).
# An absent pyenv interpreter is reported as not proven (a fresh Debian has one CPython and
# no pyenv; Debian and PyPI ship no other CPython); PYLON_IDV_REQUIRE_PYENV=1 makes it fail. Every output stays under
# build/. --build-only stops after step 2's install of the wheel (used by
# scripts/demo-python.sh; no test tools then). `make test-dist` proves the manylinux wheel
# and the sdist of `make dist` in fresh Debian roots.
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
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "test-python.sh: unknown argument $a" >&2; exit 2 ;;
    esac
done
case $ci in ""|0|false|no) ci=0 ;; *) ci=1 ;; esac
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
BUILD=$(abs "$BUILD"); WHEELHOUSE=$BUILD/wheelhouse; VENV=$BUILD/venv-py

say() { printf '\n== %s\n' "$*"; }

# ---- 1. the wheel, built once, by the standard PEP 517 path (isolated, pinned scikit-build-core)
say "build the abi3 wheel with $PY ($($PY -c 'import sys; print(sys.version.split()[0])')): pip wheel . (build isolation)"
rm -rf "$WHEELHOUSE"
mkdir -p "$WHEELHOUSE"
# The test venv first: its pip (from python3-venv's ensurepip) builds the wheel, so Debian's
# python3-pip is not needed. (A venv left by an older checkout with --system-site-packages is
# made again.)
if [ ! -x "$VENV/bin/python" ] || grep -q '^include-system-site-packages = true' "$VENV/pyvenv.cfg"; then
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip wheel --no-deps --disable-pip-version-check -q -w "$WHEELHOUSE" . >"$BUILD/pip-wheel.log" 2>&1 \
    || { cat "$BUILD/pip-wheel.log" >&2; echo "test-python.sh: pip wheel . failed" >&2; exit 1; }
shopt -s nullglob
wheels=("$WHEELHOUSE"/pylon_idv-*-cp310-abi3-*.whl)
shopt -u nullglob
if [ "${#wheels[@]}" != 1 ]; then
    echo "test-python.sh: expected one cp310-abi3 wheel in $WHEELHOUSE, found: $(ls "$WHEELHOUSE")" >&2
    exit 1
fi
wheel=${wheels[0]}
echo "   $wheel"
# Nothing left at the top level (or beside the package): every build output stays under build/.
no_strays() {
    local stray
    for stray in pylon_idv.egg-info pylon_idv.so pylon_idv*.so _pylon_idv*.so \
                 bindings/python/pylon_idv.egg-info bindings/python/pylon_idv/_pylon_idv*.so; do
        if [ -e "$stray" ]; then echo "test-python.sh: build output outside build/: $stray" >&2; exit 1; fi
    done
}
no_strays

# ---- 2. Debian's python3, a plain venv: the wheel, the pinned test tools, pytest
say "install into $VENV (Debian python3, plain venv)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-index --no-deps --force-reinstall "$wheel"
if [ "$build_only" = 1 ]; then
    echo "   built and installed: $VENV/bin/python -c 'import pylon_idv'"
    exit 0
fi
req=tests/python/requirements.txt
if ! cmp -s "$req" "$VENV/requirements.installed" 2>/dev/null; then
    say "the suite's tools from PyPI ($req)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    cp "$req" "$VENV/requirements.installed"
fi

say "pytest tests/python ($VENV)"
mkdir -p "$BUILD/pytest"
# Run from build/pytest: hypothesis keeps its example database in the working directory.
(cd "$BUILD/pytest" && "$VENV/bin/python" -m pytest -p no:cacheprovider -q "$OLDPWD/tests/python")

# ---- memcheck: a representative loop (every entry point and error path) under valgrind,
# with the system allocator (PYTHONMALLOC=malloc) and Debian's CPython suppressions. No memory
# error (exit 99), and nothing leaked per round: the loop runs twice, R/2 and R rounds, and the
# definitely-lost blocks must not grow with the rounds. (Growth, not zero: CPython 3.12+ keeps
# its immortal interned strings at exit, which memcheck reports as definitely lost, a constant
# amount that Debian 13's suppressions do not cover; a leak of ours grows with every round.)
# A control run that leaks one object per round on purpose must show the growth.
VALGRIND_ROUNDS=${VALGRIND_ROUNDS:-2000}
say "valgrind memcheck: tests/python/valgrind_loop.py, $((VALGRIND_ROUNDS / 2)) and $VALGRIND_ROUNDS rounds (~60 calls each)"
supp=""
for f in /usr/lib/valgrind/python3.supp /usr/lib/valgrind/python.supp; do
    if [ -f "$f" ]; then supp=$f; break; fi
done
if ! command -v valgrind >/dev/null 2>&1 || [ -z "$supp" ]; then
    echo "test-python.sh: valgrind or Debian's python3 suppressions (/usr/lib/valgrind/python3.supp) missing" >&2
    exit 1
fi
vg() {   # vg LOG ARGS...: the loop under memcheck; fails on a memory error
    local log=$1; shift
    if ! (cd "$BUILD" && PYTHONHASHSEED=0 PYTHONMALLOC=malloc valgrind --tool=memcheck \
            --suppressions="$supp" --leak-check=full --show-leak-kinds=definite \
            --errors-for-leak-kinds=none --error-exitcode=99 --num-callers=40 \
            "$VENV/bin/python" "$OLDPWD/tests/python/valgrind_loop.py" "$@") >"$log" 2>&1; then
        cat "$log" >&2
        echo "test-python.sh: memcheck found memory errors, or the loop failed (log: $log)" >&2
        exit 1
    fi
}
lost_blocks() {  # the definitely-lost block count of a memcheck log (0 when none)
    local n
    n=$(sed -n 's/.*definitely lost: [0-9,]* bytes in \([0-9,]*\) blocks.*/\1/p' "$1" | tr -d , | tail -n 1)
    echo "${n:-0}"
}
vglog=$BUILD/pytest/valgrind_loop
vg "$vglog.half.log" $((VALGRIND_ROUNDS / 2))
vg "$vglog.log" "$VALGRIND_ROUNDS"
half=$(lost_blocks "$vglog.half.log"); full=$(lost_blocks "$vglog.log")
grep -E 'valgrind_loop:|ERROR SUMMARY' "$vglog.log" | sed 's/^==[0-9]*== */   /'
echo "   definitely lost: $half blocks after $((VALGRIND_ROUNDS / 2)) rounds, $full after $VALGRIND_ROUNDS (CPython's own, constant)"
if [ "$full" != "$half" ]; then
    grep -B2 -A40 'definitely lost in loss record' "$vglog.log" | head -200 >&2
    echo "test-python.sh: definitely-lost blocks grow with the rounds ($half -> $full): a leak (log: $vglog.log)" >&2
    exit 1
fi
vg "$vglog.control1.log" 20 --leak-control
vg "$vglog.control2.log" 40 --leak-control
c1=$(lost_blocks "$vglog.control1.log"); c2=$(lost_blocks "$vglog.control2.log")
if [ $((c2 - c1)) -lt 20 ]; then
    echo "test-python.sh: the deliberate leak did not grow the definitely-lost blocks ($c1 -> $c2): the memcheck step proves nothing" >&2
    exit 1
fi
echo "   control: a deliberate leak of one object per round is seen ($c1 -> $c2 blocks from 20 to 40 rounds)"

# ---- refcounts on Debian's debug CPython (python3-dbg). The extension is built again against
# the debug headers: with Py_DEBUG and the limited API, Py_INCREF/Py_DECREF call
# _Py_IncRef/_Py_DecRef (Py_IncRef/Py_DecRef with 3.13's headers), so sys.gettotalrefcount() counts our references too. (The release
# abi3 wheel also loads there, Debian's debug build has no Py_TRACE_REFS, but its inline
# reference counting bypasses the total, which then drifts without any leak.)
PYDBG=${PYTHON_DBG:-python3-dbg}
if command -v "$PYDBG" >/dev/null 2>&1; then
    say "refcounts: $PYDBG ($("$PYDBG" -c 'import sys; print(sys.version.split()[0])')), tests/python/refcount_loop.py"
    dbg=$BUILD/py-dbg
    rm -rf "$dbg"
    # The standard build (scikit-build-core from PyPI, pinned in pyproject.toml) run by the
    # debug interpreter, whose headers define Py_DEBUG; the wheel goes into its own venv.
    "$PYDBG" -m venv "$dbg/venv"
    "$dbg/venv/bin/python" -m pip wheel -q --no-deps --disable-pip-version-check -w "$dbg/wheel" \
        --config-settings=build-dir="$dbg/cmake" . >"$BUILD/pytest/py-dbg-build.log" 2>&1 \
        || { cat "$BUILD/pytest/py-dbg-build.log" >&2; echo "test-python.sh: debug build failed" >&2; exit 1; }
    "$dbg/venv/bin/python" -m pip install -q --no-index --no-deps --disable-pip-version-check "$dbg"/wheel/*.whl
    no_strays
    # (_Py_IncRef up to 3.12's headers, Py_IncRef from 3.13's: both count in the total)
    if ! nm -D "$dbg"/venv/lib/python3*/site-packages/pylon_idv/_pylon_idv*.so | grep -E ' _?Py_IncRef$' >/dev/null; then  # no -q: SIGPIPE + pipefail
        echo "test-python.sh: the debug build does not count references (neither _Py_IncRef nor Py_IncRef used)" >&2
        exit 1
    fi
    (cd "$BUILD" && "$dbg/venv/bin/python" "$OLDPWD/tests/python/refcount_loop.py" 500)
    set +e
    (cd "$BUILD" && "$dbg/venv/bin/python" "$OLDPWD/tests/python/refcount_loop.py" 100 \
        --leak-control >/dev/null 2>&1)
    rc=$?
    set -e
    if [ "$rc" != 1 ]; then
        echo "test-python.sh: refcount_loop.py missed a deliberate leak (exit $rc)" >&2
        exit 1
    fi
    echo "   control: a deliberate leak of one reference per round fails the check"
elif [ "$ci" = 1 ]; then
    echo
    echo "== refcounts: $PYDBG not installed (Debian python3-dbg) -- NOT proven (allowed in CI)"
else
    echo "test-python.sh: $PYDBG absent; apt-get install python3-dbg, or run with --ci / CI=1" >&2
    exit 1
fi

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
    # A new user's path on the oldest and the newest: `pip install .` in a plain venv (no
    # setuptools in it on 3.12+), build isolation fetching the pinned scikit-build-core.
    if [ "$v" = "${PYENV_VERSIONS%% *}" ] || [ "$v" = "${PYENV_VERSIONS##* }" ]; then
        say "CPython $v: a new user's plain venv, pip install . (build isolation), then sign"
        fresh=$BUILD/venv-fresh$v
        rm -rf "$fresh"
        "$interp" -m venv "$fresh"
        "$fresh/bin/python" -m pip install -q --disable-pip-version-check . >"$BUILD/pip-install-$v.log" 2>&1 \
            || { cat "$BUILD/pip-install-$v.log" >&2; echo "test-python.sh: pip install . failed on $v" >&2; exit 1; }
        (cd "$BUILD" && "$fresh/bin/python" -c "import pylon_idv; s = pylon_idv.generate_secret(); h = pylon_idv.sign('jane@example.com', s); assert pylon_idv.verify('jane@example.com', s, h); print('  ', h)")
        no_strays
        rm -rf "$fresh"
        proven[-1]="$v (smoke, pip install .)"
    fi
done

# An older CPython is told plainly: pip reads requires-python from the metadata the pinned
# backend writes, and stops with "requires a different Python" (no build error).
for d in "$pyenv_root"/versions/3.9.*; do
    [ -x "$d/bin/python3" ] || continue
    say "CPython $(basename "$d"): pip install . says it needs Python >= 3.10"
    old=$BUILD/venv-old
    rm -rf "$old"; "$d/bin/python3" -m venv "$old"
    if "$old/bin/python" -m pip install --disable-pip-version-check . >"$BUILD/pip-install-old.log" 2>&1; then
        echo "test-python.sh: pip install . succeeded on $(basename "$d")" >&2; exit 1
    fi
    grep -E "requires a different Python: 3\.9\.[0-9]+ not in '>=3\.10'" "$BUILD/pip-install-old.log" \
        || { cat "$BUILD/pip-install-old.log" >&2; echo "test-python.sh: no plain 'requires Python >= 3.10' on 3.9" >&2; exit 1; }
    rm -rf "$old"
    break
done

say "Python binding: proven on CPython ${proven[*]}"
echo "   wheel: $(basename "$wheel")"
if [ "${#missing[@]}" != 0 ]; then
    if [ "${PYLON_IDV_REQUIRE_PYENV:-0}" != 1 ]; then
        echo "   NOT PROVEN on this machine (no pyenv CPython ${missing[*]}: the abi3 smoke test ran on the above only)"
    else
        echo "test-python.sh: pyenv CPython ${missing[*]} absent (PYLON_IDV_REQUIRE_PYENV=1)" >&2
        exit 1
    fi
fi
