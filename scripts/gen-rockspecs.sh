#!/bin/sh
# gen-rockspecs.sh -- write the rockspecs from the source tree (`make rockspecs`):
#   pylon_idv-scm-1.rockspec                 development (`luarocks make`, `luarocks test`)
#   rockspecs/pylon_idv-<version>-1.rockspec the release, <version> from `cmake -P cmake/pylon_idv_version.cmake`
# Both build the same thing with the builtin backend:
#   - the C module pylon_idv from every bindings/lua/*.c (pylon_idv.c, html_scan.c) and every
#     core/src/*.c;
#   - every pure-Lua module under bindings/lua/pylon_idv/ (pylon_idv/openresty.lua is
#     `require "pylon_idv.openresty"`), installed into the tree's share/lua/5.x/pylon_idv/;
#   - pylon-chat.js (its one tracked source file, wherever it lives), installed beside those
#     modules as share/lua/5.x/pylon_idv/static/pylon-chat.js, where idv.static_path() (or
#     package.searchpath("pylon_idv.static.pylon-chat", (package.path:gsub("%.lua", ".js"))))
#     finds it.
#   - `luarocks test`: the busted suite in tests/lua.
#   scripts/gen-rockspecs.sh           (re)write both
#   scripts/gen-rockspecs.sh --check   exit 1 if either is not what this script writes
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=$(cmake -P cmake/pylon_idv_version.cmake)
check=0; [ "${1:-}" = --check ] && check=1

core_sources=$(ls core/src/*.c | LC_ALL=C sort)
binding_sources=$(ls bindings/lua/*.c | LC_ALL=C sort)
lua_modules=$(find bindings/lua/pylon_idv -name '*.lua' 2>/dev/null | LC_ALL=C sort)
# git's list where this is a checkout of its own (not a copy of the files inside another one)
if [ "$(git -C "$root" rev-parse --show-toplevel 2>/dev/null)" = "$root" ]; then
    js=$(git -C "$root" ls-files -- '*pylon-chat.js' ':!:build/*' ':!:dist/*')
else
    js=$(find . -name pylon-chat.js -not -path './build*' -not -path './dist/*' | sed 's|^\./||')
fi
if [ "$(printf '%s' "$js" | grep -c .)" -gt 1 ]; then
    echo "gen-rockspecs: more than one pylon-chat.js: $js" >&2; exit 1
fi

emit() {  # VERSION_FIELD SOURCE_TAG HEADER
    cat <<EOF
-- $3
-- Written by scripts/gen-rockspecs.sh (\`make rockspecs\`) from the source tree: edit that
-- script, not this file (tests/lua/rockspec_spec.lua fails when the two disagree).
rockspec_format = "3.0"
package = "pylon_idv"
version = "$1"
source = {
   url = "git+https://github.com/pylon-idv/pylon_idv.git",$2
}
description = {
   license = "MIT",
   summary = "Identity-verification email hashes (HMAC-SHA256) for the Pylon chat widget",
   detailed = [[
      email_hash = lowercase_hex(HMAC-SHA256(key = hex_decode(secret), msg = email)), in C over
      OpenSSL libcrypto: strict secret parsing with clear errors, constant-time verify, signers
      with precomputed state and key rotation. One source for Lua 5.1-5.4 and LuaJIT/OpenResty.
   ]],
   labels = { "hmac", "openresty", "crypto" },
}
dependencies = {
   "lua >= 5.1, < 5.5",
}
external_dependencies = {
   OPENSSL = {
      header = "openssl/sha.h",
      library = "crypto",
   },
}
build = {
   type = "builtin",
   modules = {
      pylon_idv = {
         sources = {
EOF
    for s in $binding_sources $core_sources; do printf '            "%s",\n' "$s"; done
    cat <<'EOF'
         },
         defines = { "PYLON_IDV_EMBED" },   -- the core's API stays private to the module
         incdirs = { "core/include", "$(OPENSSL_INCDIR)" },
         libdirs = { "$(OPENSSL_LIBDIR)" },
         libraries = { "crypto", "pthread" },
      },
EOF
    for m in $lua_modules; do
        name=$(printf '%s' "${m#bindings/lua/}" | sed 's|\.lua$||; s|/|.|g')
        printf '      ["%s"] = "%s",\n' "$name" "$m"
    done
    echo "   },"
    if [ -n "$js" ]; then
        cat <<EOF
   install = {
      -- share/lua/5.x/pylon_idv/static/pylon-chat.js, beside the pure-Lua modules
      lua = { ["pylon_idv.static.pylon-chat"] = "$js" },
   },
EOF
    fi
    cat <<'EOF'
}
test = {
   type = "busted",
   flags = { "tests/lua" },
}
EOF
}

status=0
write() {  # FILE, content on stdin
    tmp=$(mktemp)
    cat > "$tmp"
    if [ $check = 1 ]; then
        if ! cmp -s "$tmp" "$1"; then
            echo "gen-rockspecs: $1 is not what scripts/gen-rockspecs.sh writes (run make rockspecs):" >&2
            diff -u "$1" "$tmp" >&2 || true
            status=1
        fi
        rm -f "$tmp"
    else
        mv "$tmp" "$1"; chmod 644 "$1"
    fi
}

emit scm-1 "" "Development rockspec: \`luarocks make\` builds the module from this checkout." \
    | write pylon_idv-scm-1.rockspec
mkdir -p rockspecs
emit "$version-1" "
   tag = \"v$version\"," "Release rockspec for pylon_idv $version." \
    | write "rockspecs/pylon_idv-$version-1.rockspec"
exit $status
