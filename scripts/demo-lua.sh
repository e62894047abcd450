#!/usr/bin/env bash
# demo-lua.sh -- the Lua module doing its job: sign, verify, a mismatch refused, a bad secret.
#
#   scripts/demo-lua.sh              the short demo (a fresh secret unless PYLON_IDENTITY_SECRET)
#   scripts/demo-lua.sh EMAIL        one line, "   Lua    <hash>", for scripts/demo.sh
#
# Builds the module with CMake for Lua 5.4 into ${BUILD:-build}/lua/demo-5.4 (once): the demo
# needs lua5.4 and its headers, not luarocks (Debian 11's luarocks 2.4 knows no Lua 5.4).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
dir=$build/lua/demo-5.4
so=$dir/lua/pylon_idv.so
if ! command -v lua5.4 >/dev/null || [ ! -f /usr/include/lua5.4/lua.h ]; then
  echo "   Lua    (skipped: needs lua5.4 and its headers: scripts/install-deps.sh --minimal)"
  exit 0
fi
if [ ! -f "$so" ]; then
  mkdir -p "$build/lua"
  { cmake -S "$root" -B "$dir" -DPYLON_IDV_BUILD_LUA=ON -DLUA_INCLUDE_DIR=/usr/include/lua5.4 \
        -DPYLON_IDV_BUILD_TESTS=OFF -DPYLON_IDV_BUILD_CLI=OFF -DPYLON_IDV_BUILD_BENCH=OFF \
      && cmake --build "$dir" --target pylon_idv_lua; } > "$build/lua/demo-5.4.log" 2>&1 \
    || { cat "$build/lua/demo-5.4.log" >&2; exit 1; }
fi
export LUA_CPATH_5_4="$dir/lua/?.so"

lua5.4 - "$@" <<'LUA'
local idv = require "pylon_idv"
local email = ...
local secret = os.getenv("PYLON_IDENTITY_SECRET")

if email then                                   -- one line for scripts/demo.sh
  local hash = assert(idv.sign(email, assert(secret, "PYLON_IDENTITY_SECRET is not set")))
  print("   Lua    " .. hash)
  return
end

secret = secret or idv.generate_secret()
email = "jane@example.com"
print(("Lua: local idv = require \"pylon_idv\"   -- pylon_idv %s, %s"):format(idv._VERSION, _VERSION))
local signer = assert(idv.new(secret))
print(("  idv.new(secret)            -> %s   (safe to log)"):format(tostring(signer)))
local hash = signer:sign(email)
print(("  signer:sign(%q) -> %s"):format(email, hash))
print(("  idv.sign(email, secret)    -> same hash: %s"):format(tostring(idv.sign(email, secret) == hash)))
print(("  signer:verify(%q, hash)        -> %s"):format(email, tostring(signer:verify(email, hash))))
print(("  signer:verify(\"mallory@example.com\", hash) -> %s"):format(tostring(signer:verify("mallory@example.com", hash))))
print(("  signer:verify(email, nil)  -> %s   (a missing hash is no match, not an error)"):format(tostring(signer:verify(email, nil))))
local ok, err = idv.sign(email, secret:sub(1, 20) .. "O" .. secret:sub(22))
print(("  idv.sign(email, <secret with an O>) -> %s, %q"):format(tostring(ok), err))
print("  idv.chat_settings_script(email, signer, { app_id = \"YOUR_APP_ID\", name = \"</script>x\" }) ->")
print("    " .. idv.chat_settings_script(email, signer, { app_id = "YOUR_APP_ID", name = "</script>x" }))
print(("  idv.diagnose(\"Jane@example.com\", secret, hash) -> %s"):format((idv.diagnose("Jane@example.com", secret, hash))))
LUA
