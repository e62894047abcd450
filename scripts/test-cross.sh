#!/usr/bin/env bash
# test-cross.sh [BUILD_DIR] -- the C suite on other CPUs, for real (make test-cross): CMake
# cross-builds it through cmake/cross-linux.cmake against a Debian bookworm sysroot (libc6-dev
# + libssl-dev, made by mmdebstrap on first use, cached under BUILD_DIR/cross) and plain
# `ctest -L cross` runs it under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR):
#   aarch64, QEMU_CPU=max         the ARMv8 SHA-2 path, the OpenSSL and portable ones forced
#   aarch64, QEMU_CPU=cortex-a53  a second core model (qemu 7.2 offers none without SHA-2)
#   s390x (big-endian)            the OpenSSL path (CPACF or its C code) and the portable one
# Then clang --target=aarch64-linux-gnu compiles the core with -Werror, with and without +sha2.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}/cross
mkdir -p "$build"
for t in aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu s390x-linux-gnu-gcc:gcc-s390x-linux-gnu \
         qemu-aarch64:qemu-user qemu-s390x:qemu-user mmdebstrap:mmdebstrap; do
    command -v "${t%%:*}" >/dev/null 2>&1 || exec scripts/why-missing.sh test-cross "${t%%:*}" "${t#*:}"
done

suite() {   # suite ARCH TRIPLE REQUIRE-PATHS CPU...: build, then ctest -L cross per CPU model
    local arch=$1 triple=$2 paths=$3 root=$PWD/$build/sysroot-$1 out=$build/$1 cpu
    shift 3
    if [ ! -e "$root/usr/include/openssl/hmac.h" ]; then
        echo "== sysroot $arch (mmdebstrap, cached in $root)"
        rm -rf "$root"
        mmdebstrap --quiet --variant=extract --architectures="$arch" \
            --include=libc6-dev,libssl-dev bookworm "$root" >"$build/mmdebstrap-$arch.log" 2>&1 \
            || { cat "$build/mmdebstrap-$arch.log" >&2; exit 1; }
    fi
    echo "== $arch: cmake --toolchain cmake/cross-linux.cmake ($triple-gcc, $root)"
    cmake -S . -B "$out" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/cross-linux.cmake" \
        -DPYLON_IDV_CROSS="$triple" -DPYLON_IDV_SYSROOT="$root" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DBUILD_SHARED_LIBS=OFF -DPYLON_IDV_WERROR=ON -DPYLON_IDV_BUILD_CLI=OFF \
        -DPYLON_IDV_BUILD_BENCH=OFF -DPYLON_IDV_REQUIRE_PATHS="--require;$paths" >"$out.log" 2>&1 \
        || { cat "$out.log" >&2; exit 1; }
    cmake --build "$out" -j"${JOBS:-2}" >>"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
    for cpu in "$@"; do
        echo "== $arch under qemu -cpu $cpu: ctest -L cross"
        (cd "$out" && QEMU_CPU=$cpu ctest --output-on-failure -L cross)
    done
}

suite arm64 aarch64-linux-gnu "armv8;openssl;portable" max cortex-a53
suite s390x s390x-linux-gnu "openssl;portable" max

# clang's aarch64 headers differ (SHA-2 intrinsics only when the file targets SHA-2): the core
# must compile both ways, and have the ARMv8 path with -march=armv8-a+sha2.
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
echo "test-cross: aarch64 (ARMv8 SHA-2, OpenSSL, portable) and s390x (big-endian) passed"
