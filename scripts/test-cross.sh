#!/usr/bin/env bash
# test-cross.sh [BUILD_DIR] -- the C suite on other CPUs, for real: cross-compiled against a
# Debian bookworm sysroot (libc6-dev + libssl-dev, made by mmdebstrap on first use and cached
# under BUILD_DIR/cross) and run under qemu-user.
#
#   aarch64, qemu -cpu max         the ARMv8 SHA-2 path (test_paths --require armv8); the
#                                  OpenSSL and portable paths forced in the same run
#   aarch64, qemu -cpu cortex-a53  a second core model (qemu 7.2 offers no CPU model and no
#                                  property without the SHA-2 extension, so the fallback is
#                                  checked by forcing it: test_paths runs openssl and portable)
#   s390x (big-endian)             the OpenSSL path (CPACF or its C code) and the portable one
#
# Each build compiles the core's files with one set of flags, as the Python extension and the rockspec do
# (no per-file -march or -msha), plus the C tests that need no CLI: test_core (vectors and
# properties), test_paths (every compression path against HMAC()), test_alloc (no allocation
# per call), test_script, test_hygiene (no key bytes left in freed memory).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}/cross
vectors=$PWD/tests/vectors
mkdir -p "$build"
for t in aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu s390x-linux-gnu-gcc:gcc-s390x-linux-gnu \
         qemu-aarch64:qemu-user qemu-s390x:qemu-user mmdebstrap:mmdebstrap; do
    command -v "${t%%:*}" >/dev/null 2>&1 || exec scripts/why-missing.sh test-cross "${t%%:*}" "${t#*:}"
done

sysroot() {   # sysroot ARCH: the cached Debian sysroot, made if missing
    local arch=$1 dir=$build/sysroot-$1
    if [ ! -e "$dir/usr/include/openssl/hmac.h" ]; then
        echo "== sysroot $arch (mmdebstrap, cached in $dir)"
        rm -rf "$dir"
        mmdebstrap --quiet --variant=extract --architectures="$arch" \
            --include=libc6-dev,libssl-dev bookworm "$dir" >"$build/mmdebstrap-$arch.log" 2>&1 \
            || { cat "$build/mmdebstrap-$arch.log" >&2; exit 1; }
    fi
    echo "$dir"
}

build_suite() {   # build_suite ARCH TRIPLE: binaries in $build/ARCH/
    local arch=$1 triple=$2 root out cc
    root=$(sysroot "$arch" | tail -n 1)
    out=$build/$arch
    cc=$triple-gcc
    mkdir -p "$out"
    echo "== build for $arch ($cc, sysroot $root)"
    local flags=(-O2 -g --sysroot="$root" -Icore/include -Icore/src -pthread)
    # the core's warnings, as CMake's PYLON_IDV_WARNINGS, as errors
    local werror=(-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wstrict-prototypes
                  -Wmissing-prototypes -Werror)
    local libs=(-L"$root/usr/lib/$triple" -Wl,-rpath-link,"$root/usr/lib/$triple" -lcrypto)
    # the core: every file with the same flags, into one static library
    rm -f "$out"/*.o "$out/libpylon_idv.a"
    for f in core/src/*.c; do
        "$cc" "${flags[@]}" "${werror[@]}" -c "$f" -o "$out/$(basename "$f" .c).o"
    done
    "$triple-ar" rcs "$out/libpylon_idv.a" "$out"/*.o
    # public-API tests link the library; the internal ones compile the sources in
    "$cc" "${flags[@]}" -DPYLON_IDV_EXPECTED_VERSION="\"$(sed -n 's/.*PYLON_IDV_VERSION_STRING "\(.*\)".*/\1/p' core/include/pylon_idv.h | head -n 1)\"" \
        -o "$out/test_core" tests/c/test_core.c "$out/libpylon_idv.a" "${libs[@]}"
    "$cc" "${flags[@]}" -o "$out/test_alloc" tests/c/test_alloc.c core/src/*.c "${libs[@]}"
    "$cc" "${flags[@]}" -o "$out/test_paths" tests/c/test_paths.c core/src/*.c "${libs[@]}"
    "$cc" "${flags[@]}" -o "$out/test_script" tests/c/test_script.c core/src/*.c "${libs[@]}"
    "$cc" "${flags[@]}" -o "$out/test_hex" tests/c/test_hex.c core/src/*.c "${libs[@]}"
    "$cc" "${flags[@]}" -o "$out/test_hygiene" tests/c/test_hygiene.c core/src/*.c "${libs[@]}"
}

run_suite() {   # run_suite ARCH QEMU CPU [test_paths args...]
    local arch=$1 qemu=$2 cpu=$3 root=$build/sysroot-$1 out=$build/$1 t
    shift 3
    echo "== run on $arch, $qemu -cpu $cpu"
    for t in test_core test_alloc test_script test_hygiene test_hex; do
        "$qemu" -cpu "$cpu" -L "$root" "$out/$t" "$vectors" | tail -n 1
    done
    "$qemu" -cpu "$cpu" -L "$root" "$out/test_paths" "$vectors" "$@"
}

build_suite arm64 aarch64-linux-gnu
run_suite arm64 qemu-aarch64 max --require armv8 openssl portable
run_suite arm64 qemu-aarch64 cortex-a53 --require armv8 openssl portable

# clang's aarch64 headers differ (SHA-2 intrinsics only when the file targets SHA-2): the
# core must compile both ways, and have the ARMv8 path with -march=armv8-a+sha2.
if command -v clang >/dev/null 2>&1; then
    echo "== clang --target=aarch64-linux-gnu: the core compiles (default, and +sha2 with the path)"
    for march in "" "-march=armv8-a+sha2"; do
        for f in core/src/*.c; do
            # shellcheck disable=SC2086
            clang --target=aarch64-linux-gnu $march --sysroot="$build/sysroot-arm64" -O2 \
                -Wall -Wextra -Werror -Icore/include -Icore/src -c "$f" -o "$build/clang.o"
        done
    done
    clang --target=aarch64-linux-gnu -march=armv8-a+sha2 --sysroot="$build/sysroot-arm64" -O2 \
        -Icore/include -Icore/src -c core/src/sha256.c -o "$build/clang.o"
    nm "$build/clang.o" | grep -q pi_armv8_hmac_hex \
        || { echo "test-cross: clang +sha2 build lacks the ARMv8 path" >&2; exit 1; }
fi

build_suite s390x s390x-linux-gnu
run_suite s390x qemu-s390x max --require openssl portable

echo "test-cross: aarch64 (ARMv8 SHA-2, OpenSSL, portable) and s390x (big-endian) passed"
