#!/usr/bin/env bash
# Install the Debian/Ubuntu packages pylon_idv needs to build and test.
# Idempotent: asks apt only for what is missing. Elsewhere, prints what to install.
#   scripts/install-deps.sh            everything `make test` needs (Debian 12)
#   scripts/install-deps.sh --minimal  only what `make demo` needs (Debian 11, 12, 13)
#   scripts/install-deps.sh --c        only what the C library's own suite needs (`make test-c`)
#
# "a|b" names alternatives for releases that name a package differently: the first one
# installed counts; else the first one this release's apt knows is installed.
#   luajit2 (Debian 12) | luajit (Debian 11, 13: 13's is the OpenResty fork)
#   libclang-rt-dev (13) | libclang-rt-14-dev (12) | libclang-common-11-dev (11): sanitizer runtimes
set -eu

core="build-essential cmake pkg-config libssl-dev"
core_test="openssl valgrind groff-base"
# test-consumer links a static consumer with `pkg-config --static`: Debian 13's libcrypto.pc
# lists -lz -lzstd in Libs.private, so their dev packages must be there.
consumer="zlib1g-dev libzstd-dev"
# Python: the interpreter, its headers and venv; build tools and the suite's tools come from
# PyPI at pinned versions (pyproject.toml, tests/python/requirements.txt, tests/python/requirements-dist.txt).
# python3-websocket is for tests/integration/browser.py on the system python3 (test-browser,
# test-integrations, and test-docs, whose own tools come from PyPI: docs/requirements.txt).
python="python3 python3-dev python3-venv python3-dbg python3-websocket"
# lua5.5: where the release has it (Debian unstable); elsewhere skipped with "not available on
# this release", and make test-lua says "Lua 5.5: not available on this release".
lua="lua5.1 liblua5.1-0-dev lua5.3 liblua5.3-dev lua5.4 liblua5.4-dev lua5.5 liblua5.5-dev luajit2|luajit
     libluajit2-5.1-dev|libluajit-5.1-dev luarocks zip unzip lua-busted lua-luaossl"
web="nginx-light libnginx-mod-http-lua wrk curl chromium iproute2"
tools="clang libclang-rt-dev|libclang-rt-14-dev|libclang-common-11-dev nodejs"
# make test-cross: the C suite for aarch64 and s390x under qemu-user
cross="gcc-aarch64-linux-gnu gcc-s390x-linux-gnu qemu-user mmdebstrap"

# make demo: the C library and CLI, the Python binding (CPython >= 3.10) and the Lua module
# (Lua 5.4, built by CMake: no luarocks needed).
demo_python="python3 python3-dev python3-venv"
demo_lua="lua5.4 liblua5.4-dev"

minimal=0 c_only=0
missing=""
case "${1:-}" in
    --minimal) minimal=1 ;;
    --c) c_only=1 ;;
    "") ;;
    *) echo "usage: scripts/install-deps.sh [--minimal | --c]" >&2; exit 2 ;;
esac

want_c="$core $core_test python3"   # python3: the CLI's table test (tests/cli/run_cases.py)
want_all="$core $core_test $consumer $python $lua $web $tools $cross"

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    if [ $minimal = 1 ]; then want="$core $demo_python $demo_lua"
    elif [ $c_only = 1 ]; then want=$want_c; else want=$want_all; fi
    echo "install-deps: this script knows Debian/Ubuntu (apt) only." >&2
    echo "install-deps: please install the equivalents of: $(echo $want | tr '|' '/')" >&2
    echo "install-deps: (a C compiler, CMake, pkg-config, OpenSSL >= 1.1.1 headers; Python >= 3.10 with headers and venv; Lua 5.4 headers)" >&2
    exit 0
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive

installed() {  # PKG: is it installed?
    case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
        *"install ok installed"*) return 0 ;;
    esac
    return 1
}

lists_ready=0
ensure_lists() {  # a fresh root has no package lists: apt-cache knows nothing before an update
    [ $lists_ready = 1 ] && return 0
    lists_ready=1
    if ! ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_Packages'; then
        need_root
        $sudo apt-get update -qq
    fi
}

need_root() {
    if [ "$(id -u)" != 0 ] && [ -z "$sudo" ]; then
        echo "install-deps: need root (or sudo) to install:$missing" >&2; exit 1
    fi
}

candidate() {  # PKG: does this release's apt have it?
    case "$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')" in
        ""|"(none)") return 1 ;;
    esac
    return 0
}

# The Python version apt would give (or has given): the binding needs CPython >= 3.10.
python_new_enough() {
    local v
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; return
    fi
    ensure_lists
    v=$(apt-cache policy python3 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9]*\.[0-9]*\).*/\1/p')
    [ -n "$v" ] || return 0
    [ "${v%%.*}" -gt 3 ] || { [ "${v%%.*}" = 3 ] && [ "${v#*.}" -ge 10 ]; }
}

if [ $c_only = 1 ]; then
    want=$want_c
elif [ $minimal = 1 ]; then
    want="$core $demo_lua"
    if python_new_enough; then
        want="$want $demo_python"
    else
        echo "install-deps: this system's Python 3 is older than 3.10: the demo skips the Python binding" >&2
    fi
else
    want=$want_all
fi

missing=""
for item in $want; do
    # `nodejs` may come from outside Debian (nodesource, nvm): a node on PATH is enough.
    if [ "$item" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
    if [ "$item" = chromium ] && command -v chromium >/dev/null 2>&1; then continue; fi
    have=0
    for p in $(echo "$item" | tr '|' ' '); do
        if installed "$p"; then have=1; break; fi
    done
    [ $have = 1 ] || missing="$missing $item"
done

# Every other CPython >= 3.10 this release packages (Debian unstable: 3.13, 3.14, 3.15), with
# its venv module and headers: the abi3 smoke (nox -s abi3) runs the wheel on each, and a
# `pip install .` on the oldest and the newest. None is an error.
if [ $c_only = 0 ] && [ $minimal = 0 ]; then
    for v in 10 11 12 13 14 15 16 17 18 19; do
        for p in "python3.$v-venv" "python3.$v-dev"; do
            installed "$p" && continue
            ensure_lists
            if candidate "$p"; then missing="$missing $p"; fi
        done
    done
fi

[ -z "$missing" ] && exit 0

# Resolve every missing package against this release's package lists: the first name of an
# "a|b" item that apt has; a package this release lacks is skipped, and the suite that needs it
# says "not available on this release" (scripts/why-missing.sh) instead of the install failing.
release=$( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-$ID}") || echo "this system")
resolved=""
for item in $missing; do
    ensure_lists
    pick=""
    for p in $(echo "$item" | tr '|' ' '); do
        if candidate "$p"; then pick=$p; break; fi
    done
    first=${item%%|*}
    if [ -z "$pick" ]; then
        echo "install-deps: $(echo "$item" | sed 's/|/ or /g') is not available on this release ($release): skipped; the suites that need it will say so" >&2
        continue
    fi
    [ "$pick" = "$first" ] || echo "install-deps: $release has no $first; taking $pick, its equivalent here" >&2
    resolved="$resolved $pick"
done
missing=$resolved
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
need_root
if ! $sudo apt-get install -y --no-install-recommends $missing; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends $missing
fi
