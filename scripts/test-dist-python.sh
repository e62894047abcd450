#!/usr/bin/env bash
# test-dist-python.sh -- prove what `make dist` put into dist/ (nox -s dist),
# each in a brand-new minimal Debian 12 root (scripts/fresh-root.sh, or FRESH_ROOT):
#
# 1. the manylinux wheel, on a machine with NO compiler and NO libcrypto: python3 and
#    python3-venv from apt, then libssl3 removed (dpkg --force-depends: Python needs it only
#    for its own _ssl/_hashlib); `ldconfig -p` must list no libcrypto. The wheel is installed
#    offline (--no-index, the copied file) into a venv; a fresh secret signs and verifies, the
#    hash equals Python's pure hmac (no _hashlib there), no libcrypto is mapped into the
#    process, the console script works, and tests/python/smoke_abi3.py passes.
# 2. the sdist, on a machine with a compiler and headers (build-essential, libssl-dev,
#    python3-dev, python3-venv): `pip install pylon_idv-*.tar.gz` in a plain venv (build
#    isolation: the pinned scikit-build-core, and CMake >= 3.26 as the root has none, from
#    PyPI), then the sdist's own test suite (pytest and friends from PyPI at the pins of its
#    tests/python/requirements.txt) against the install.
#
# Needs root (chroot) and network access to Debian and PyPI; about 1-3 minutes per root.
set -euo pipefail
cd "$(dirname "$0")/.."

FRESH_ROOT=${FRESH_ROOT:-scripts/fresh-root.sh}
DIST=${DIST:-dist}
BUILD_DIR=${BUILD:-build}
mkdir -p "$BUILD_DIR"
say() { printf '\n== %s\n' "$*"; }
die() { echo "test-dist-python.sh: $*" >&2; exit 1; }

version=$(cmake -P cmake/pylon_idv_version.cmake)
shopt -s nullglob
wheels=("$DIST"/pylon_idv-"$version"-cp310-abi3-manylinux*_x86_64.whl)
sdists=("$DIST"/pylon_idv-"$version".tar.gz)
shopt -u nullglob
[ "${#wheels[@]}" = 1 ] || die "expected one manylinux x86_64 wheel in $DIST (make dist)"
[ "${#sdists[@]}" = 1 ] || die "expected the sdist in $DIST (make dist)"
[ -x "$FRESH_ROOT" ] || die "no fresh-root tool at $FRESH_ROOT (set FRESH_ROOT)"
wheel=${wheels[0]}; sdist=${sdists[0]}
echo "   commit $(git rev-parse --short HEAD) (fresh-root clones it; the wheel and sdist are copied in)"

# ---- 1. the wheel: no compiler, no libcrypto
say "fresh root, no compiler and no libcrypto: pip install $(basename "$wheel") (offline)"
read -r -d '' wheel_cmd <<'EOF' || true
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
python3 -m venv /root/venv
dpkg --purge --force-depends libssl3 >/dev/null 2>&1
ldconfig
if ldconfig -p | grep libcrypto; then echo "libcrypto is still installed" >&2; exit 1; fi
for cc in cc gcc clang tcc; do
    if command -v $cc >/dev/null 2>&1; then echo "a compiler is installed: $cc" >&2; exit 1; fi
done
if python3 -c 'import _hashlib' 2>/dev/null; then echo "_hashlib still loads" >&2; exit 1; fi
echo "   no libcrypto (ldconfig -p), no compiler, Python's _hashlib gone"
/root/venv/bin/pip install -q --no-index --disable-pip-version-check /root/in/pylon_idv-*.whl
cd /tmp
/root/venv/bin/python - <<'PY'
import hmac, hashlib, sys
import pylon_idv
secret = pylon_idv.generate_secret()
email = "jane@example.com"
h = pylon_idv.sign(email, secret)
assert h == hmac.new(bytes.fromhex(secret), email.encode(), hashlib.sha256).hexdigest()
assert pylon_idv.verify(email, secret, h) and not pylon_idv.verify("mallory@example.com", secret, h)
s = pylon_idv.Signer(secret, previous=[pylon_idv.generate_secret()])
assert s.sign(email) == h and s.match(email, h) == 0
maps = open("/proc/self/maps").read()
assert "libcrypto" not in maps and "libssl" not in maps, "a shared libcrypto is mapped"
print("   sign/verify with a fresh secret: ok (hash == pure-Python hmac; no libcrypto mapped)")
print("   " + pylon_idv.__file__)
PY
s=$(/root/venv/bin/python -c 'import pylon_idv; print(pylon_idv.generate_secret())')
h=$(PYLON_IDENTITY_SECRET=$s /root/venv/bin/pylon-idv sign jane@example.com)
PYLON_IDENTITY_SECRET=$s /root/venv/bin/pylon-idv verify jane@example.com "$h"
echo "   console script pylon-idv sign/verify: ok"
/root/venv/bin/python /root/p/tests/python/smoke_abi3.py
EOF
t0=$(date +%s)
FRESH_COPY=$wheel "$FRESH_ROOT" "$wheel_cmd" || die "the wheel failed in a fresh root"
t_wheel=$(( $(date +%s) - t0 ))

# ---- 2. the sdist: builds with a compiler and headers, and passes its own tests
say "fresh root with a compiler and headers: pip install $(basename "$sdist"), then its tests"
read -r -d '' sdist_cmd <<'EOF' || true
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends build-essential libssl-dev python3-dev python3-venv >/dev/null
python3 -m venv /root/venv
/root/venv/bin/pip install -q --disable-pip-version-check /root/in/pylon_idv-*.tar.gz
mkdir /root/sdist && tar -C /root/sdist -xzf /root/in/pylon_idv-*.tar.gz
src=$(echo /root/sdist/pylon_idv-*)
/root/venv/bin/pip install -q --disable-pip-version-check -r "$src/tests/python/requirements.txt"
mkdir /tmp/run && cd /tmp/run
/root/venv/bin/python -c 'import pylon_idv, sys; s = pylon_idv.generate_secret(); h = pylon_idv.sign("jane@example.com", s); assert pylon_idv.verify("jane@example.com", s, h); print("   built from the sdist:", pylon_idv.__file__)'
/root/venv/bin/python -m pytest -p no:cacheprovider -q -rs "$src/tests/python"   # skips: the C CLI parity (no build/c here)
EOF
# pip inside reaches PyPI as pip here does: if this machine's pip trusts a CA bundle of its
# own (PIP_CERT, or `cert =` in /etc/pip.conf: a TLS-inspecting proxy in front of PyPI), the
# root gets a copy of that public bundle; otherwise pip's own certifi bundle is used.
copy=$sdist
cert=${PIP_CERT:-$(sed -n 's/^[[:space:]]*cert[[:space:]]*=[[:space:]]*//p' /etc/pip.conf 2>/dev/null | head -n1)}
if [ -n "$cert" ] && [ -f "$cert" ]; then
    cp "$cert" "$BUILD_DIR/pip-ca-bundle.pem"
    copy="$sdist $BUILD_DIR/pip-ca-bundle.pem"
    sdist_cmd="export PIP_CERT=/root/in/pip-ca-bundle.pem
$sdist_cmd"
fi
t0=$(date +%s)
FRESH_COPY=$copy "$FRESH_ROOT" "$sdist_cmd" || die "the sdist failed in a fresh root"
t_sdist=$(( $(date +%s) - t0 ))

say "dist proven in fresh Debian roots: wheel ${t_wheel}s, sdist ${t_sdist}s"
