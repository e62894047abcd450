#!/bin/sh
# version.sh -- print pylon_idv's version: PYLON_IDV_VERSION_STRING in core/include/pylon_idv.h,
# the one source of truth (pylon_idv_version() returns it; CMake reads the same line through
# cmake/pylon_idv_version.cmake). It must agree with the MAJOR/MINOR/PATCH macros (exit 1).
set -eu
h=$(cd "$(dirname "$0")/.." && pwd)/core/include/pylon_idv.h
str=$(sed -n 's/^#define PYLON_IDV_VERSION_STRING "\([^"]*\)".*/\1/p' "$h")
num=$(for p in MAJOR MINOR PATCH; do sed -n "s/^#define PYLON_IDV_VERSION_$p  *\([0-9][0-9]*\).*/\1/p" "$h"; done | paste -sd.)
if [ -z "$str" ] || [ "$str" != "$num" ]; then
    echo "version.sh: PYLON_IDV_VERSION_STRING \"$str\" and MAJOR.MINOR.PATCH $num in $h disagree" >&2
    exit 1
fi
echo "$str"
