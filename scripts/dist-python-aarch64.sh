#!/usr/bin/env bash
# dist-python-aarch64.sh -- the aarch64 manylinux wheel, cross-built here and tested under
# qemu-user (make dist-aarch64; needs the sdist from scripts/dist-python.sh in dist/).
#
# 1. A Debian 12 arm64 sysroot (mmdebstrap --variant=extract: libc6-dev, libssl-dev,
#    python3-dev, python3, python3-pip) in build/arm64-sysroot, made once.
# 2. The wheel from the sdist with python -m build (isolated, pinned scikit-build-core),
#    CMake cross-compiling through cmake/cross-linux.cmake (gcc-aarch64-linux-gnu, the
#    sysroot's Python headers and libcrypto.a: PYLON_IDV_OPENSSL_STATIC=ON), the platform
#    linux_aarch64 (wheel.tags).
# 3. auditwheel repair --strip (policy and tag from the aarch64 ELF), the same checks as
#    the x86-64 wheel: exports, NEEDED, stripped.
# 4. Debian's arm64 python3 from the sysroot, under qemu-aarch64 -cpu max -L SYSROOT: pip
#    installs the wheel (offline, --no-index: pip checks the tag against that glibc), then
#    every shared vector, sign/verify with a fresh secret and a Signer.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
DIST=${DIST:-dist}
SR=$PWD/$BUILD/arm64-sysroot
TOOLS=$BUILD/venv-dist
RAW=$BUILD/dist-python-aarch64
CROSS=${CROSS:-aarch64-linux-gnu-}
say() { printf '\n== %s\n' "$*"; }
die() { echo "dist-python-aarch64.sh: $*" >&2; exit 1; }

for t in "${CROSS}gcc:gcc-aarch64-linux-gnu" qemu-aarch64:qemu-user mmdebstrap:mmdebstrap; do
    command -v "${t%%:*}" >/dev/null 2>&1 || exec scripts/why-missing.sh dist-python-aarch64 "${t%%:*}" "${t#*:}"
done
version=$(cmake -P cmake/pylon_idv_version.cmake)
sdist=$DIST/pylon_idv-$version.tar.gz
[ -f "$sdist" ] && [ -x "$TOOLS/bin/auditwheel" ] || die "run scripts/dist-python.sh first (make dist-python)"

# ---- 1. sysroot
if [ ! -x "$SR/usr/bin/python3" ] || [ ! -f "$SR/usr/lib/aarch64-linux-gnu/libcrypto.a" ]; then
    say "Debian 12 arm64 sysroot in $SR (once)"
    # this machine's mirror (deb822 sources or a one-line list), else mmdebstrap's default
    mirror=$( { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } | awk '{print $1; exit}')
    [ -n "$mirror" ] || mirror=$( { awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | head -n1)
    rm -rf "$SR"
    mmdebstrap --quiet --variant=extract --architectures=arm64 \
        --include=libc6-dev,libssl-dev,python3-dev,python3,python3-pip bookworm "$SR" ${mirror:+"$mirror"}
fi

# ---- 2. cross build from the sdist
say "cross-build the cp310-abi3 wheel for aarch64 from $(basename "$sdist")"
rm -rf "$RAW"; mkdir -p "$RAW"
rm -f "$DIST"/pylon_idv-*_aarch64.whl
# CMake cross-compiles through cmake/cross-linux.cmake (the sysroot's libcrypto.a and Python
# headers); the wheel's tag is given (not _PYTHON_HOST_PLATFORM, which would make pip fetch an
# aarch64 CMake into the build environment).
PYLON_IDV_CROSS=${CROSS%-} PYLON_IDV_SYSROOT=$SR \
    "$TOOLS/bin/python" -m build --wheel -o "$RAW" \
    -C wheel.tags=cp310-abi3-linux_aarch64 \
    -C cmake.toolchain-file="$PWD/cmake/cross-linux.cmake" \
    -C cmake.define.PYLON_IDV_OPENSSL_STATIC=ON \
    -C cmake.define.Python_INCLUDE_DIR="$SR/usr/include/python3.11" \
    -C build-dir="$PWD/$RAW/cmake" \
    "$sdist" >"$RAW/build.log" 2>&1 \
    || { cat "$RAW/build.log" >&2; die "cross build failed"; }
raw_wheel=$RAW/pylon_idv-$version-cp310-abi3-linux_aarch64.whl
[ -f "$raw_wheel" ] || { ls -l "$RAW" >&2; die "expected $raw_wheel"; }

# ---- 3. auditwheel
say "auditwheel repair --strip"
# auditwheel runs `strip` from PATH: the cross binutils' one first.
mkdir -p "$RAW/bin"
ln -sf "$(command -v "${CROSS}strip")" "$RAW/bin/strip"
PATH=$PWD/$RAW/bin:$PWD/$TOOLS/bin:$PATH "$TOOLS/bin/auditwheel" repair --strip -w "$DIST" "$raw_wheel" \
    >"$RAW/repair.log" 2>&1 || { cat "$RAW/repair.log" >&2; die "auditwheel repair failed"; }
shopt -s nullglob
wheels=("$DIST"/pylon_idv-"$version"-cp310-abi3-*manylinux*_aarch64.whl)
shopt -u nullglob
[ "${#wheels[@]}" = 1 ] || die "expected one manylinux aarch64 wheel in $DIST"
wheel=${wheels[0]}
"$TOOLS/bin/auditwheel" show "$wheel" | tee "$RAW/show.txt"
tr -s ' \n' '  ' <"$RAW/show.txt" | grep -q 'is consistent with the following platform tag: "manylinux_' \
    || die "auditwheel show names no manylinux policy"
x=$RAW/unpacked
"$TOOLS/bin/python" -m zipfile -e "$wheel" "$x"
so=$x/pylon_idv/_pylon_idv.abi3.so
readelf -h "$so" | grep -q 'Machine:.*AArch64' || die "not an aarch64 extension: $(readelf -h "$so" | grep Machine:)"
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
exports=$(nm -D --defined-only "$so" | awk '{print $3}' | tr '\n' ' ')
echo "   NEEDED: $needed"; echo "   exported: $exports"
case $needed in *libcrypto*|*libssl*) die "the extension still needs a shared OpenSSL" ;; esac
[ "$exports" = "PyInit__pylon_idv " ] || die "the extension exports more than PyInit__pylon_idv"
if readelf -S "$so" | grep -q -E '\.symtab|\.debug_'; then die "the extension is not stripped"; fi
[ -f "$x/pylon_idv/__init__.pyi" ] && [ -f "$x/pylon_idv/py.typed" ] || die "stubs missing"
"$TOOLS/bin/abi3audit" --strict --report "$wheel" >"$RAW/abi3audit.json" \
    || { cat "$RAW/abi3audit.json" >&2; die "abi3audit found symbols outside the stable ABI"; }
"$TOOLS/bin/twine" check --strict "$wheel"

# ---- 4. under qemu: Debian's arm64 python3 installs and runs it
say "qemu-aarch64 -cpu max: Debian arm64 python3 installs the wheel (pip --no-index) and signs"
site=$PWD/$RAW/site
qpy() { QEMU_LD_PREFIX=$SR qemu-aarch64 -cpu max -L "$SR" "$SR/usr/bin/python3.11" "$@"; }
PIP_ROOT_USER_ACTION=ignore qpy -m pip install -q --no-index --no-deps --disable-pip-version-check --target "$site" "$PWD/$wheel"
(cd "$RAW" && PYTHONPATH=$site:$OLDPWD/tests/python qpy - <<'PY'
import hashlib, hmac, platform, sysconfig
import pylon_idv
from vectors import crossref_vectors, hmac_vectors
assert platform.machine() == "aarch64", platform.machine()
n = 0
for source, vid, expect, key_hex, msg, tag in hmac_vectors():
    if expect != "sign":
        continue
    assert pylon_idv.Signer.from_key(bytes.fromhex(key_hex)).sign(msg) == tag, (source, vid)
    n += 1
for name, email, secret, h in crossref_vectors():
    try:
        got = pylon_idv.sign(email, secret)
    except pylon_idv.InvalidSecretError:
        continue
    assert got == h, name
    n += 1
secret = pylon_idv.generate_secret()
h = pylon_idv.sign("jane@example.com", secret)
assert h == hmac.new(bytes.fromhex(secret), b"jane@example.com", hashlib.sha256).hexdigest()
assert pylon_idv.verify("jane@example.com", secret, h)
assert not pylon_idv.verify("mallory@example.com", secret, h)
assert pylon_idv.Signer(secret).verify("jane@example.com", h)
print(f"   {platform.machine()} Python {platform.python_version()}: {n} vectors, "
      f"sign/verify with a fresh secret ok ({pylon_idv.__file__})")
PY
)
ls -l "$wheel" | awk '{print "   " $5 "  " $NF}'
