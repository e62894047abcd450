#!/bin/sh
# Install pylon_idv (shared, then static) with the prefix given at INSTALL time
# (`cmake --install B --prefix DIR`, configured without CMAKE_INSTALL_PREFIX), move the
# installed tree elsewhere, and build a separate consumer project against it with find_package
# and with pkg-config: both must find the moved tree (relocatable .pc and CMake package).
# The man page is installed and renders without a warning. Then the same with the oldest
# CMake that CMakeLists.txt declares (cmake_minimum_required), a real one from PyPI.
#   tests/consumer/run.sh SOURCE_DIR WORK_DIR
#   CMAKE_MIN=/path/to/cmake   that cmake for the last part (default: pip installs the pinned
#                              one, tests/consumer/requirements-cmake-min.txt, into
#                              WORK_DIR/../cmake-min); CMAKE_MIN=none skips that part
set -eu
src=$(cd "$1" && pwd); mkdir -p "$2"; work=$(cd "$2" && pwd)
want=386c49f4b2c6be922a05a7be7d380e49fba9a38cdb79d5378defc663716f3e6e
rm -rf "$work"; mkdir -p "$work"

# run_consumers PREFIX KIND: find_package and pkg-config builds against PREFIX
run_consumers() {
    prefix=$1; kind=$2; cm=${3:-cmake}
    "$cm" -S "$src/tests/consumer" -B "$work/cmake-$kind" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
    "$cm" --build "$work/cmake-$kind" >/dev/null
    out=$(LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64" "$work/cmake-$kind/consumer")
    [ "${out#* }" = "$want" ] || { echo "find_package ($kind): wrong output: $out"; exit 1; }
    pcdir=$(dirname "$(find "$prefix" -name pylon_idv.pc | head -n1)")
    static=""; [ "${kind#static}" != "$kind" ] && static=--static
    flags=$(PKG_CONFIG_PATH=$pcdir pkg-config $static --cflags --libs pylon_idv)
    # every -I and -L of pylon_idv's own points into the moved prefix
    inc=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=includedir pylon_idv)
    [ -f "$inc/pylon_idv.h" ] || { echo "pkg-config ($kind): includedir $inc has no pylon_idv.h"; exit 1; }
    [ "$(cd "$inc" && pwd -P)" = "$(cd "$prefix/include" && pwd -P)" ] \
        || { echo "pkg-config ($kind): includedir $inc is not under $prefix"; exit 1; }
    lib=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir pylon_idv)
    ls "$lib"/libpylon_idv.* >/dev/null 2>&1 || { echo "pkg-config ($kind): libdir $lib has no libpylon_idv"; exit 1; }
    cc -o "$work/pc-$kind" "$src/tests/consumer/main.c" $flags
    out=$(LD_LIBRARY_PATH="$lib" "$work/pc-$kind")
    [ "${out#* }" = "$want" ] || { echo "pkg-config ($kind): wrong output: $out"; exit 1; }
    "$prefix/bin/pylon-idv" --version >/dev/null
}

for kind in shared static shared-multiarch; do
    shared=ON; [ $kind = static ] && shared=OFF
    libdir_opt=""; [ $kind = shared-multiarch ] && libdir_opt=-DCMAKE_INSTALL_LIBDIR=lib/x86_64-linux-gnu
    stage=$work/stage-$kind; prefix=$work/moved/prefix-$kind
    cmake -S "$src" -B "$work/lib-$kind" -DBUILD_SHARED_LIBS=$shared -DPYLON_IDV_BUILD_TESTS=OFF \
          -DPYLON_IDV_BUILD_BENCH=OFF $libdir_opt >/dev/null
    cmake --build "$work/lib-$kind" -j2 >/dev/null
    cmake --install "$work/lib-$kind" --prefix "$stage" >/dev/null
    pc=$(find "$stage" -name pylon_idv.pc)
    if grep -q "/usr/local\|$stage" "$pc"; then
        echo "pylon_idv.pc names a fixed prefix:"; cat "$pc"; exit 1
    fi
    mkdir -p "$work/moved"; mv "$stage" "$prefix"          # relocatable: works where it lands
    run_consumers "$prefix" "$kind"
    man=$prefix/share/man/man1/pylon-idv.1
    [ -f "$man" ] || { echo "man page not installed at share/man/man1/pylon-idv.1"; exit 1; }
    echo "consumer ($kind): installed with --prefix at install time, moved; find_package and pkg-config ($flags) ok"
done
if ldd "$work/pc-static" | grep -q pylon_idv; then echo "static consumer links libpylon_idv.so"; exit 1; fi
if command -v groff >/dev/null; then
    warn=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
    [ -z "$warn" ] || { echo "man page: groff warnings: $warn"; exit 1; }
    echo "man page: share/man/man1/pylon-idv.1 installed, groff -man -ww renders it without a warning"
else
    echo "man page: groff not installed (apt install groff-base)"; exit 1
fi

# The oldest CMake the project declares: configure everything (C tests, bench, the Lua module),
# build and install the library and CLI, and build a consumer against that install.
min=$(sed -n 's/^cmake_minimum_required(VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
cm=${CMAKE_MIN:-}
if [ "$cm" = none ]; then
    echo "cmake $min: skipped (CMAKE_MIN=none)"; exit 0
fi
if [ -z "$cm" ]; then
    venv=$work/../cmake-min
    pin=$(sed -n 's/^cmake==//p' "$src/tests/consumer/requirements-cmake-min.txt")
    if [ ! -x "$venv/bin/cmake" ] || [ "$("$venv/bin/cmake" --version | sed -n '1s/.* //p')" != "$pin" ]; then
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check -r "$src/tests/consumer/requirements-cmake-min.txt"
    fi
    cm=$venv/bin/cmake
fi
have=$("$cm" --version | sed -n '1s/.* //p')
case $have in
    "$min"|"$min".*) ;;
    *) echo "cmake $have is not the declared minimum $min (tests/consumer/requirements-cmake-min.txt)"; exit 1 ;;
esac
lua_opt=""
[ -f /usr/include/lua5.4/lua.h ] && lua_opt="-DPYLON_IDV_BUILD_LUA=ON -DLUA_INCLUDE_DIR=/usr/include/lua5.4"
"$cm" -S "$src" -B "$work/lib-cmake-min" -DPYLON_IDV_WERROR=ON $lua_opt > "$work/cmake-min.log" 2>&1 \
    || { cat "$work/cmake-min.log"; exit 1; }
if grep -n "CMake Warning\|CMake Deprecation" "$work/cmake-min.log"; then
    echo "cmake $have: warnings while configuring (above)"; exit 1
fi
targets="pylon_idv pylon-idv"; [ -n "$lua_opt" ] && targets="$targets pylon_idv_lua"
"$cm" --build "$work/lib-cmake-min" -j2 --target $targets >/dev/null
"$cm" --install "$work/lib-cmake-min" --prefix "$work/prefix-cmake-min" >/dev/null
run_consumers "$work/prefix-cmake-min" cmake-min "$cm"
echo "cmake $have (the declared minimum $min): configures every target (tests, bench${lua_opt:+, Lua}), builds, installs; consumer ok"
