#!/bin/sh
# version.sh -- print pylon_idv's version, read from where the C core keeps it: the macros
# PYLON_IDV_VERSION_MAJOR/_MINOR/_PATCH and/or PYLON_IDV_VERSION_STRING "x.y.z", in
# core/include/pylon_idv.h or core/src/version.h (whichever defines them). When both the
# numbers and a literal string are there, they must agree (exit 1 otherwise). The rockspecs,
# `make dist-lua` and the Lua specs use it; CMakeLists.txt reads the same macros
# (cmake/pylon_idv_version.cmake).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
files="$root/core/include/pylon_idv.h $root/core/src/version.h"
num() {
    for f in $files; do
        [ -f "$f" ] || continue
        v=$(sed -n "s/^[[:space:]]*#[[:space:]]*define[[:space:]]\{1,\}PYLON_IDV_VERSION_$1[[:space:]]\{1,\}(\{0,1\}\([0-9]\{1,\}\).*/\1/p" "$f" | head -n1)
        [ -n "$v" ] && { echo "$v"; return; }
    done
    true
}
str=""
for f in $files; do
    [ -f "$f" ] || continue
    str=$(sed -n 's/^[[:space:]]*#[[:space:]]*define[[:space:]]\{1,\}PYLON_IDV_VERSION_STRING[[:space:]]\{1,\}"\([^"]*\)".*/\1/p' "$f" | head -n1)
    [ -n "$str" ] && break
done
major=$(num MAJOR); minor=$(num MINOR); patch=$(num PATCH)
if [ -n "$major" ] && [ -n "$minor" ] && [ -n "$patch" ]; then
    v=$major.$minor.$patch
    if [ -n "$str" ] && [ "$str" != "$v" ]; then
        echo "version.sh: PYLON_IDV_VERSION_STRING \"$str\" disagrees with MAJOR.MINOR.PATCH $v" >&2
        exit 1
    fi
elif [ -n "$str" ]; then
    v=$str
else
    echo "version.sh: no PYLON_IDV_VERSION_* macros in core/include/pylon_idv.h or core/src/version.h" >&2
    exit 1
fi
echo "$v"
