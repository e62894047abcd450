#!/usr/bin/env bash
# Install the Debian/Ubuntu packages pylon_idv needs to build and test.
# Idempotent: asks apt only for what is missing. Elsewhere, prints what to install.
#   scripts/install-deps.sh            everything `make test` needs
#   scripts/install-deps.sh --minimal  only what `make demo` needs
set -eu

core="build-essential cmake pkg-config libssl-dev openssl valgrind"
# Python: the interpreter, its headers and venv; build tools and the suite's tools come from
# PyPI at pinned versions (pyproject.toml, tests/python/requirements.txt, scripts/requirements-dist.txt).
# python3-websocket is for tests/integration/browser.py on the system python3; the cross
# compiler, qemu-user and mmdebstrap for make dist's aarch64 wheel and make test-dist.
python="python3 python3-dev python3-venv python3-dbg python3-websocket
        gcc-aarch64-linux-gnu qemu-user mmdebstrap"
lua="lua5.1 liblua5.1-0-dev lua5.3 liblua5.3-dev lua5.4 liblua5.4-dev luajit2 libluajit2-5.1-dev
     luarocks lua-busted lua-luaossl"
web="nginx-light libnginx-mod-http-lua wrk curl chromium"
tools="clang libclang-rt-14-dev nodejs"

if [ "${1:-}" = "--minimal" ]; then
    want="$core python3 python3-dev python3-venv
          lua5.4 liblua5.4-dev luarocks"
else
    want="$core $python $lua $web $tools"
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: this script knows Debian/Ubuntu (apt) only." >&2
    echo "install-deps: please install the equivalents of: $(echo $want)" >&2
    exit 0
fi

missing=""
for p in $want; do
    # `nodejs` may come from outside Debian (nodesource, nvm): a node on PATH is enough.
    if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
    if [ "$p" = chromium ] && command -v chromium >/dev/null 2>&1; then continue; fi
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in *"install ok installed"*) ;; *) missing="$missing $p";; esac
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
sudo=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
        echo "install-deps: need root (or sudo) to install:$missing" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends $missing; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends $missing
fi
