#!/bin/sh
# Install pylon_idv (shared, then static) under a temporary prefix and build a separate
# consumer project against it with find_package and with pkg-config.
#   tests/consumer/run.sh SOURCE_DIR WORK_DIR
set -eu
src=$(cd "$1" && pwd); mkdir -p "$2"; work=$(cd "$2" && pwd)
want=386c49f4b2c6be922a05a7be7d380e49fba9a38cdb79d5378defc663716f3e6e
rm -rf "$work"; mkdir -p "$work"
for kind in shared static; do
    shared=ON; [ $kind = static ] && shared=OFF
    prefix=$work/prefix-$kind
    cmake -S "$src" -B "$work/lib-$kind" -DBUILD_SHARED_LIBS=$shared -DPYLON_IDV_BUILD_TESTS=OFF \
          -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
    cmake --build "$work/lib-$kind" -j2 >/dev/null
    cmake --install "$work/lib-$kind" >/dev/null
    # find_package
    cmake -S "$src/tests/consumer" -B "$work/cmake-$kind" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
    cmake --build "$work/cmake-$kind" >/dev/null
    out=$(LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64" "$work/cmake-$kind/consumer")
    [ "${out#* }" = "$want" ] || { echo "find_package ($kind): wrong output: $out"; exit 1; }
    # pkg-config
    libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -n1)
    static=""; [ $kind = static ] && static=--static
    flags=$(PKG_CONFIG_PATH=$libdir pkg-config $static --cflags --libs pylon_idv)
    cc -o "$work/pc-$kind" "$src/tests/consumer/main.c" $flags
    out=$(LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64" "$work/pc-$kind")
    [ "${out#* }" = "$want" ] || { echo "pkg-config ($kind): wrong output: $out"; exit 1; }
    "$prefix/bin/pylon-idv" --version >/dev/null
    echo "consumer ($kind): find_package and pkg-config ($flags) ok"
done
if ldd "$work/pc-static" | grep -q pylon_idv; then echo "static consumer links libpylon_idv.so"; exit 1; fi
