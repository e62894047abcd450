#!/bin/sh
# dist-lua.sh [OUT_DIR] -- the Lua source rock, OUT_DIR/pylon_idv-<version>-1.src.rock (default
# dist-lua/), built offline from this checkout. A .src.rock is a zip of the rockspec and the source
# tree its `source` names; for a git source, `luarocks pack` clones the tag and zips the
# rockspec with that tree (less .git and .gitignore) as pylon_idv/. This does the same with the
# files git tracks here, as they are in the work tree, so no network is needed, and the rock
# holds the release rockspec unchanged: `luarocks install pylon_idv-<version>-1.src.rock`
# builds it from the tree inside, with no download.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist-lua}
mkdir -p "$out"; out=$(cd "$out" && pwd)
cd "$root"
version=$(cmake -P cmake/pylon_idv_version.cmake)
spec=rockspecs/pylon_idv-$version-1.rockspec
[ -f "$spec" ] || { echo "dist-lua: no $spec (a release rockspec for the core's version)" >&2; exit 1; }
command -v zip >/dev/null || exec scripts/why-missing.sh dist-lua zip zip
[ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$root" ] || { echo "dist-lua: needs a git checkout (the rock holds the tracked files)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/pylon_idv-dist-lua.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/pylon_idv"
# tracked files that exist in the work tree (a file deleted but not yet committed is left out)
git ls-files -z | xargs -0 sh -c 'for f; do [ -f "$f" ] && [ "$f" != .gitignore ] && printf "%s\0" "$f"; done' sh \
    | tar --null -T - -cf - | tar -xf - -C "$stage/pylon_idv"
cp "$spec" "$stage/"
rock=$out/pylon_idv-$version-1.src.rock
rm -f "$rock"
(cd "$stage" && zip -qrX "$rock" "pylon_idv-$version-1.rockspec" pylon_idv)
echo "$rock"
