#!/usr/bin/env bash
# dist-python.sh -- the Python half of `make dist`: into dist/,
#   pylon_idv-VERSION.tar.gz                              the sdist (builds on its own)
#   pylon_idv-VERSION-cp310-abi3-manylinux_2_NN_x86_64.whl  repaired by auditwheel
# and check both (auditwheel show, twine check, the wheel's contents and symbols).
#
#   scripts/dist-python.sh
#
# Tools from PyPI at pinned versions (scripts/requirements-dist.txt) in build/venv-dist; the
# build backend (scikit-build-core, pinned in pyproject.toml) is fetched by `python -m build` into
# its isolated environment. `python -m build` makes the sdist, then the wheel FROM that sdist,
# so a file missing from the sdist fails here.
#
# libcrypto is vendored by linking Debian's libcrypto.a into the extension
# (-C cmake.define.PYLON_IDV_OPENSSL_STATIC=ON, see bindings/python/CMakeLists.txt) with -Wl,--exclude-libs,ALL and the version
# script bindings/python/exports.map: the extension's only dynamic symbol is
# PyInit__pylon_idv, it needs nothing but libc, and no other OpenSSL in the process (the one
# _ssl/_hashlib load, or another wheel's) can interpose on it. auditwheel then finds no
# external library to graft, checks the glibc symbol versions, sets the manylinux tag they
# allow, and strips the extension (--strip).
#
# Environment: PYTHON (default /usr/bin/python3, any CPython >= 3.10 with its headers),
# BUILD (default build), DIST (default dist).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
DIST=${DIST:-dist}
PY=${PYTHON:-/usr/bin/python3}
TOOLS=$BUILD/venv-dist
RAW=$BUILD/dist-python
say() { printf '\n== %s\n' "$*"; }
die() { echo "dist-python.sh: $*" >&2; exit 1; }

# ---- the pinned tools, installed again only when the requirements change
req=scripts/requirements-dist.txt
if ! cmp -s "$req" "$TOOLS/requirements.installed" 2>/dev/null; then
    say "tools from PyPI ($req) into $TOOLS"
    rm -rf "$TOOLS"
    "$PY" -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    cp "$req" "$TOOLS/requirements.installed"
fi

version=$(cmake -P cmake/pylon_idv_version.cmake)
[ -n "$version" ] || die "no version in core/include/pylon_idv.h"

# ---- sdist, then the wheel built from it (isolated: pinned scikit-build-core from PyPI)
say "python -m build: sdist, then a cp310-abi3 wheel from it (scikit-build-core, libcrypto.a linked in)"
rm -rf "$RAW"
mkdir -p "$RAW" "$DIST"
rm -f "$DIST"/pylon_idv-*.tar.gz "$DIST"/pylon_idv-*_x86_64.whl
"$TOOLS/bin/python" -m build -C cmake.define.PYLON_IDV_OPENSSL_STATIC=ON -o "$RAW" . >"$RAW/build.log" 2>&1 \
    || { cat "$RAW/build.log" >&2; die "python -m build failed"; }
sdist=$RAW/pylon_idv-$version.tar.gz
raw_wheel=$RAW/pylon_idv-$version-cp310-abi3-linux_x86_64.whl
[ -f "$sdist" ] && [ -f "$raw_wheel" ] || { ls -l "$RAW" >&2; die "expected $sdist and $raw_wheel"; }

# ---- auditwheel: policy, tag, strip
say "auditwheel repair --strip"
PATH=$PWD/$TOOLS/bin:$PATH "$TOOLS/bin/auditwheel" repair --strip -w "$DIST" "$raw_wheel" >"$RAW/repair.log" 2>&1 \
    || { cat "$RAW/repair.log" >&2; die "auditwheel repair failed"; }
shopt -s nullglob
wheels=("$DIST"/pylon_idv-"$version"-cp310-abi3-*manylinux*_x86_64.whl)
shopt -u nullglob
[ "${#wheels[@]}" = 1 ] || die "expected one manylinux wheel in $DIST, found: $(ls "$DIST")"
wheel=${wheels[0]}
cp "$sdist" "$DIST/"
sdist=$DIST/$(basename "$sdist")
"$TOOLS/bin/auditwheel" show "$wheel" | tee "$RAW/show.txt"
tr -s ' \n' '  ' <"$RAW/show.txt" | grep -q 'is consistent with the following platform tag: "manylinux_' \
    || die "auditwheel show names no manylinux policy"

# ---- what is inside the wheel
say "the wheel's contents and its extension"
x=$RAW/unpacked
rm -rf "$x"
"$TOOLS/bin/python" -m zipfile -e "$wheel" "$x"
for f in pylon_idv/__init__.py pylon_idv/__init__.pyi pylon_idv/__main__.py pylon_idv/py.typed \
         pylon_idv/_pylon_idv.abi3.so; do
    [ -f "$x/$f" ] || die "the wheel lacks $f"
done
# pylon-chat.js (web/pylon-chat.js in the tree) ships as pylon_idv/static/pylon-chat.js.
cmp -s web/pylon-chat.js "$x/pylon_idv/static/pylon-chat.js" || die "the wheel lacks pylon_idv/static/pylon-chat.js"
if find "$x" -name '*.libs' -o -name 'libcrypto*' | grep -q .; then
    die "the wheel carries a shared library besides the extension"
fi
so=$x/pylon_idv/_pylon_idv.abi3.so
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
exports=$(nm -D --defined-only "$so" | awk '{print $3}' | tr '\n' ' ')
echo "   NEEDED: $needed"
echo "   exported: $exports"
case $needed in *libcrypto*|*libssl*) die "the extension still needs a shared OpenSSL: $needed" ;; esac
[ "$exports" = "PyInit__pylon_idv " ] || die "the extension exports more than PyInit__pylon_idv: $exports"
if readelf -S "$so" | grep -q -E '\.symtab|\.debug_'; then die "the extension is not stripped"; fi
echo "   stripped: no .symtab, no .debug_* sections"
grep -qx 'OpenSSL Default Provider' <<<"$(strings -a "$so")" || die "libcrypto is not inside the extension"
ssl_version=$(pkg-config --modversion libcrypto 2>/dev/null || echo "?")
echo "   vendored: libcrypto.a (OpenSSL $ssl_version, the build machine's libssl-dev), symbols local"

# Private for real: with the system libcrypto.so.3 loaded first into the global scope
# (RTLD_GLOBAL, as some packages do), the extension still binds no symbol to it
# (LD_DEBUG=bindings), and signs correctly.
if ls /usr/lib/*/libcrypto.so.3 /lib/*/libcrypto.so.3 >/dev/null 2>&1; then
    log=$RAW/ld-bindings.log
    (cd "$RAW" && PYTHONPATH=$PWD/unpacked LD_DEBUG=bindings LD_DEBUG_OUTPUT=$PWD/ld-debug \
        "$OLDPWD/$TOOLS/bin/python" -c '
import ctypes, hashlib, hmac
ctypes.CDLL("libcrypto.so.3", mode=ctypes.RTLD_GLOBAL)
import pylon_idv
s = pylon_idv.generate_secret()
assert pylon_idv.sign("a@b.c", s) == hmac.new(bytes.fromhex(s), b"a@b.c", hashlib.sha256).hexdigest()
')
    cat "$RAW"/ld-debug.* >"$log"; rm -f "$RAW"/ld-debug.*
    grep -q "binding file .*_pylon_idv.abi3.so" "$log" || die "LD_DEBUG=bindings saw no binding of the extension"
    if grep -E "binding file .*_pylon_idv.abi3.so .* to .*lib(crypto|ssl)" "$log"; then
        die "the extension binds symbols to a shared OpenSSL (above)"
    fi
    echo "   with libcrypto.so.3 loaded RTLD_GLOBAL first: $(grep -c "binding file .*_pylon_idv.abi3.so" "$log") bindings of the extension, none to a shared OpenSSL"
fi

# ---- what is inside the sdist: sources, no build output
say "the sdist's contents"
listing=$(tar tzf "$sdist")
top=pylon_idv-$version
for f in PKG-INFO pyproject.toml CMakeLists.txt cmake/pylon_idv_version.cmake LICENSE README.md \
         core/include/pylon_idv.h bindings/python/CMakeLists.txt \
         bindings/python/_pylon_idv.c bindings/python/exports.map \
         bindings/python/README-python.md bindings/python/pylon_idv/__init__.py web/pylon-chat.js \
         tests/python/test_api.py tests/python/requirements.txt tests/vectors/hmac_sha256.tsv; do
    grep -qx "$top/$f" <<<"$listing" || die "the sdist lacks $f"
done
for f in core/src/*.c core/src/*.h bindings/python/*.c bindings/python/*.h; do
    grep -qx "$top/$f" <<<"$listing" || die "the sdist lacks $f"
done
if grep -E "^$top/(build|dist)/|\.egg-info|\.so$|\.o$|\.pyc$|__pycache__|\.whl$" <<<"$listing"; then
    die "build output in the sdist (above)"
fi
echo "   $(wc -l <<<"$listing") entries; sources only"

say "abi3audit --strict: the extension uses the 3.10 stable ABI only"
"$TOOLS/bin/abi3audit" --strict --report "$wheel" >"$RAW/abi3audit.json" \
    || { cat "$RAW/abi3audit.json" >&2; die "abi3audit found symbols outside the stable ABI"; }
echo "   $(basename "$wheel"): no abi3 violation"

say "twine check"
"$TOOLS/bin/twine" check --strict "$sdist" "$wheel"

say "dist/ (Python)"
ls -l "$sdist" "$wheel" | awk '{print "   " $5 "  " $NF}'
