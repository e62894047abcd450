#!/usr/bin/env bash
# bench_lua.sh -- the Lua rows of `make bench` (issue 5): idv.sign, signer:sign and the luaossl
# idiom tohex(require("openssl.hmac").new(fromhex(secret), "sha256"):final(email)), on Lua 5.4
# and LuaJIT; a markdown table on stdout. The code is bench/bench_lua.lua.
#
#   bench/bench_lua.sh [--quick]       --quick: a few short rounds (CI proves it runs)
#
# Uses the luarocks builds under ${BUILD:-build}/lua/<v>, built first when missing
# (make lua-trees: the source rock installed by luarocks). Targets (issue 14): idv.sign >= 85x the idiom on 5.4, >= 60x on LuaJIT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
quick=""
[ "${1:-}" = "--quick" ] && quick=--quick

declare -A so=([5.4]=$build/lua/5.4/lib/lua/5.4 [luajit]=$build/lua/luajit/lib/lua/5.1)
declare -A interp=([5.4]=lua5.4 [luajit]=luajit)
missing=()
for v in 5.4 luajit; do
  command -v "${interp[$v]}" >/dev/null || { echo "bench_lua: ${interp[$v]} not installed" >&2; exit 2; }
  [ -f "${so[$v]}/pylon_idv.so" ] || missing+=("$v")
done
if [ ${#missing[@]} -gt 0 ]; then
  make -C "$root" --no-print-directory lua-trees BUILD="$build" LUA_TREES="${missing[*]}" >&2
fi

# The floor behind a Lua call (bench/floor_lua.c), built here for each interpreter.
declare -A inc=([5.4]=/usr/include/lua5.4 [luajit]=/usr/include/luajit-2.1)
declare -A floor_dir=()
for v in 5.4 luajit; do
  floor_dir[$v]=$build/bench-floor-lua/$v
  mkdir -p "${floor_dir[$v]}"
  ${CC:-cc} -O2 -shared -fPIC -Wall -Wextra -Werror -I"${inc[$v]}" -I"$root/bench" \
    "$root/bench/floor_lua.c" -o "${floor_dir[$v]}/pylon_idv_floor.so" -lcrypto
done

echo "## Lua: pylon_idv vs the luaossl idiom (20-byte email, 32-byte key)"
echo
echo "| interpreter | call | ns/call (median) | x vs idiom |"
echo "|---|---|---:|---:|"
for v in 5.4 luajit; do
  PYLON_IDV_FLOOR=1 LUA_CPATH="${so[$v]}/?.so;${floor_dir[$v]}/?.so;;" "${interp[$v]}" "$root/bench/bench_lua.lua" $quick
done
echo
echo "Medians of CPU time per call over interleaved rounds$([ -n "$quick" ] && echo " (--quick: 3 short rounds, figures rough)"), ratios the median of each round's ratio;" \
     "the idiom does its hex in Lua. Targets (issue 14): idv.sign >= 85x on Lua 5.4, >= 60x on LuaJIT." \
     "The floor row is the C floor (two compressions in registers + SIMD hex) behind the same Lua call" \
     "(bench/floor_lua.c): its ratio is the most any binding's idv.sign can reach here." \
     "Under LuaJIT, signer:sign calls the core through the FFI (bindings/lua/pylon_idv.c, ffi_glue)," \
     "so it can pass the floor behind a Lua C call; its own floor is the row behind the same FFI call."

# callgrind: instructions per call, stable whatever the machine's load (not in --quick).
if [ -z "$quick" ] && command -v valgrind >/dev/null; then
  count() {  # count V ROW N: total instructions of bench_lua.lua --callgrind ROW N
    local out; out=$(mktemp)
    LUA_CPATH="${so[$1]}/?.so;;" valgrind --tool=callgrind --smc-check=all \
      --callgrind-out-file="$out" "${interp[$1]}" "$root/bench/bench_lua.lua" --callgrind "$2" "$3" \
      >/dev/null 2>&1
    sed -n 's/^summary: *//p' "$out"; rm -f "$out"
  }
  echo
  echo "| interpreter | call | callgrind instr/call | x vs idiom |"
  echo "|---|---|---:|---:|"
  n=2000
  for v in 5.4 luajit; do
    name=$(LUA_CPATH="${so[$v]}/?.so;;" "${interp[$v]}" -e 'io.write(type(rawget(_G,"jit"))=="table" and jit.version or _VERSION)')
    declare -A per=()
    for row in "luaossl idiom" "idv.sign" "signer:sign"; do
      base=$(count "$v" "$row" 0); full=$(count "$v" "$row" "$n")
      per[$row]=$(( (full - base) / n ))
    done
    for row in "idv.sign" "signer:sign" "luaossl idiom"; do
      awk -v i="$name" -v r="$row" -v p="${per[$row]}" -v b="${per[luaossl idiom]}" \
        'BEGIN { printf "| %s | %s | %d | %.1fx |\n", i, r, p, b / p }'
    done
    unset per
  done
fi
