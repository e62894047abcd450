#!/usr/bin/env bash
# test-integrations.sh -- the drop-in integrations against the real frameworks and servers.
#
#   scripts/test-integrations.sh [BUILD_DIR]        (default: build)
#
# 1. build/venv-integrations: a plain venv over Debian's python3 with the pinned frameworks of
#    tests/integration/requirements.txt (from PyPI) and pylon_idv itself (`pip install .`).
# 2. pytest tests/integration/python in it: pylon_idv.django / .flask / .jinja unit tests, the
#    start-up checks one by one, and `import pylon_idv` importing no framework.
# 3. tests/integration/test_frameworks.py: the Django (runserver; uvicorn with async views;
#    gunicorn), Flask (gunicorn, 2 pre-fork workers), FastAPI (uvicorn, an async Environment
#    with async hooks too), Quart and Litestar (uvicorn) examples, live, read by headless
#    Chromium.
# 4. tests/integration/test_csp_browser.py: policies built by pylon_idv.csp's merge helpers
#    block none of the widget's sources in Chromium (securitypolicyviolation events).
# 5. Django 6 (needs Python >= 3.12: a pyenv CPython, else a line saying it is not available):
#    build/venv-django6 with tests/integration/django6/requirements.txt, its pytest suite
#    (SECURE_CSP, the request's nonce, W003) and the Django example live under Django's own CSP.
# 6. tests/integration/test_openresty.py: nginx + pylon_idv.openresty in front of a backend
#    that knows nothing of Pylon, with an auth_request (LuaJIT build of the module from
#    scripts/test-lua.sh, build only).
# Servers on 127.0.0.1 and free ports only, all stopped by the tests; outputs under BUILD.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
venv=$build/venv-integrations
py=${PYTHON:-/usr/bin/python3}
say() { printf '\n== %s\n' "$*"; }

say "venv $venv: pinned frameworks (tests/integration/requirements.txt) and pylon_idv"
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/integration/requirements.txt
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall . \
    2>&1 | grep -v -e '^\s*warning: no \(previously-included \)\?files' || true
for stray in pylon_idv.egg-info pylon_idv.so _pylon_idv*.so; do
  if [ -e "$stray" ]; then echo "test-integrations: build output at the top level: $stray" >&2; exit 1; fi
done
"$venv/bin/python" -c 'import django, flask, fastapi, quart, litestar, pylon_idv; print("   Django", django.__version__, "| pylon_idv", pylon_idv.__version__)'

say "pytest tests/integration/python"
mkdir -p "$build/pytest-integrations"
(cd "$build/pytest-integrations" && "$venv/bin/python" -m pytest -p no:cacheprovider -q "$root/tests/integration/python")

say "Django (runserver, uvicorn, gunicorn), Flask (gunicorn -w 2), FastAPI, Quart, Litestar (uvicorn): live examples in headless Chromium"
"$py" tests/integration/test_frameworks.py "$venv/bin"

say "pylon_idv.csp: a policy built by the merge helpers, in headless Chromium (no violation for any widget source)"
"$py" tests/integration/test_csp_browser.py "$venv/bin"

say "Django 6 (its own CSP: SECURE_CSP, the request's nonce): build/venv-django6"
py312=""
for v in ${PYENV_ROOT:-$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 /usr/bin/python3; do
    if [ -x "$v" ] && "$v" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
        py312=$v; break
    fi
done
if [ -z "$py312" ]; then
    echo "Django 6: not available on this release (needs Python >= 3.12)"
else
    venv6=$build/venv-django6
    [ -x "$venv6/bin/python" ] || "$py312" -m venv "$venv6"
    "$venv6/bin/python" -m pip install -q --disable-pip-version-check -r tests/integration/django6/requirements.txt
    "$venv6/bin/python" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall . \
        2>&1 | grep -v -e '^\s*warning: no \(previously-included \)\?files' || true
    mkdir -p "$build/pytest-django6"
    (cd "$build/pytest-django6" && "$venv6/bin/python" -m pytest -p no:cacheprovider -q "$root/tests/integration/django6")
    "$py" tests/integration/test_frameworks.py "$venv6/bin" django6
fi

say "nginx + pylon_idv.openresty in front of a plain backend, with auth_request"
cpath=$build/lua/luajit/lib/lua/5.1
LUA_VERSIONS=luajit BUILD_ONLY=1 NGINX_TEST=0 CMAKE_TEST=0 VALGRIND_TEST=0 scripts/test-lua.sh "$build" >/dev/null
"$py" tests/integration/test_openresty.py "$cpath"
echo "test-integrations: every integration suite passed"
