#!/usr/bin/env bash
# test-lua.sh -- build the Lua module with luarocks for Lua 5.1, 5.3, 5.4 and LuaJIT, run the
# busted specs (tests/lua) on each against its build, then the nginx integration test.
#
#   scripts/test-lua.sh [BUILD_DIR]          (default: build)
#   LUA_VERSIONS="5.4 luajit" scripts/test-lua.sh     a subset
#   NGINX_TEST=0 scripts/test-lua.sh                  skip the nginx test
#   CMAKE_TEST=0 scripts/test-lua.sh                  skip the CMake build of the module
#   BUILD_ONLY=1 scripts/test-lua.sh                  build only (scripts/demo-lua.sh uses it)
#   VALGRIND_TEST=0 scripts/test-lua.sh               skip the memcheck run of the error paths
#   VALGRIND_ITERATIONS=100000 scripts/test-lua.sh    its iterations (default 10000, 100000 with CI set;
#                                                     100000 took 8 min 40 s here, also clean)
#   LOAD_REQUESTS=N, LOAD_RSS_SLACK_KB=K              the nginx load run (tests/integration/test_nginx.sh)
#
# `luarocks make` compiles in the source directory and drops pylon_idv.so (and .o files) there;
# a pylon_idv.so at the top of the checkout is what Python would import. So each version builds
# from its own copy, BUILD/lua/src/<v>, into the tree BUILD/lua/<v>: every output stays under
# BUILD. Offline: the rockspec has no dependency but Lua itself and OpenSSL.
#
# LuaJIT: Debian's luarocks `--lua-version 5.1` targets lua5.1; for LuaJIT a small config
# (BUILD/lua/luajit-config.lua) points it at luajit and its headers. (A lua5.1 build loads in
# LuaJIT too, same ABI; the LuaJIT build is the one nginx uses.)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
out=$build/lua
versions=${LUA_VERSIONS:-5.1 5.3 5.4 luajit}
busted=$(command -v busted || true)
[ -n "$busted" ] || { echo "test-lua: busted not found (apt install lua-busted)" >&2; exit 2; }
command -v luarocks >/dev/null || { echo "test-lua: luarocks not found" >&2; exit 2; }

mkdir -p "$out"
failed=()
summary=()

# The files luarocks needs, copied fresh (a stale .o from another Lua version must not be reused).
copy_sources() {
  rm -rf "$1"; mkdir -p "$1"
  tar cf - core/include core/src bindings/lua/pylon_idv.c pylon_idv-scm-1.rockspec rockspecs \
    bindings/python/pylon_idv/static/pylon-chat.js \
    | tar xf - -C "$1"
}

luajit_config() {
  local inc
  for inc in /usr/include/luajit-2.1 /usr/local/include/luajit-2.1; do
    [ -f "$inc/lua.h" ] && break
  done
  cat > "$out/luajit-config.lua" <<CFG
-- luarocks config for LuaJIT (a Lua 5.1 ABI): written by scripts/test-lua.sh
lua_interpreter = "luajit"
variables = {
   LUA_DIR = "/usr",
   LUA_BINDIR = "$(dirname "$(command -v luajit)")",
   LUA_INCDIR = "$inc",
   LUA = "$(command -v luajit)",
}
CFG
}

for v in $versions; do
  if [ "$v" = luajit ]; then
    interp=luajit; abi=5.1
  else
    interp=lua$v; abi=$v
  fi
  if ! command -v "$interp" >/dev/null; then
    echo "test-lua: $interp not installed" >&2; failed+=("$v:missing"); continue
  fi
  src=$out/src/$v; tree=$out/$v; log=$out/build-$v.log
  copy_sources "$src"
  echo "== Lua $v: luarocks make -> ${tree#$root/}"
  if [ "$v" = luajit ]; then
    luajit_config
    (cd "$src" && LUAROCKS_CONFIG=$out/luajit-config.lua \
        luarocks --lua-version 5.1 --tree "$tree" make pylon_idv-scm-1.rockspec) >"$log" 2>&1
  else
    (cd "$src" && luarocks --lua-version "$v" --tree "$tree" make pylon_idv-scm-1.rockspec) >"$log" 2>&1
  fi
  if [ $? -ne 0 ]; then
    cat "$log" >&2; failed+=("$v:build"); continue
  fi
  so=$tree/lib/lua/$abi/pylon_idv.so
  [ -f "$so" ] || { echo "test-lua: $so not built" >&2; failed+=("$v:build"); continue; }
  js=$tree/share/lua/$abi/pylon_idv/static/pylon-chat.js
  cmp -s "$js" bindings/python/pylon_idv/static/pylon-chat.js || { echo "test-lua: $js not installed" >&2; failed+=("$v:pylon-chat.js"); }
  grep -q -- "-I[^ ]*luajit" "$log" || [ "$v" != luajit ] || { echo "test-lua: LuaJIT build did not use LuaJIT headers" >&2; failed+=("$v:build"); }
  [ "${BUILD_ONLY:-0}" = 0 ] || continue

  echo "== Lua $v: busted ($interp)"
  "$interp" "$busted" -o plainTerminal --cpath="$tree/lib/lua/$abi/?.so" tests/lua \
    2>&1 | tee "$out/busted-$v.log"
  rc=${PIPESTATUS[0]}
  counts=$(grep -E '^[0-9]+ successes' "$out/busted-$v.log" | tail -n 1)
  summary+=("$(printf '%-7s %-14s' "$v" "$($interp -v 2>&1 | awk 'NR == 1 {print $1, $2}')") ${counts:-no result}")
  [ "$rc" -eq 0 ] || failed+=("$v:busted")
done

if [ "${BUILD_ONLY:-0}" != 0 ]; then
  [ ${#failed[@]} -eq 0 ] || { echo "test-lua: FAILED: ${failed[*]}" >&2; exit 1; }
  exit 0
fi

# The same specs against the CMake build of the module (Lua 5.4), as the STYLE guide asks.
if [ "${CMAKE_TEST:-1}" != 0 ] && command -v cmake >/dev/null && command -v lua5.4 >/dev/null \
   && [ -f /usr/include/lua5.4/lua.h ]; then
  cm=$out/cmake-5.4
  echo "== Lua 5.4: CMake build (-DPYLON_IDV_BUILD_LUA=ON) -> ${cm#$root/}"
  if cmake -S "$root" -B "$cm" -DPYLON_IDV_BUILD_LUA=ON -DLUA_INCLUDE_DIR=/usr/include/lua5.4 \
        -DPYLON_IDV_BUILD_TESTS=OFF -DPYLON_IDV_BUILD_CLI=OFF -DPYLON_IDV_WERROR=ON >"$out/cmake-5.4.log" 2>&1 \
     && cmake --build "$cm" -j2 --target pylon_idv_lua >>"$out/cmake-5.4.log" 2>&1; then
    lua5.4 "$busted" -o plainTerminal --cpath="$cm/lua/?.so" tests/lua 2>&1 | tee "$out/busted-cmake-5.4.log"
    rc=${PIPESTATUS[0]}
    summary+=("$(printf '%-7s %-14s' cmake "Lua 5.4") $(grep -E '^[0-9]+ successes' "$out/busted-cmake-5.4.log" | tail -n 1)")
    [ "$rc" -eq 0 ] || failed+=("cmake-5.4:busted")
  else
    cat "$out/cmake-5.4.log" >&2; failed+=("cmake-5.4:build")
  fi
fi

# Every error path of the module (each nil, err and each raise) under valgrind memcheck with the
# Lua 5.4 build: no error, nothing definitely lost (tests/lua/valgrind_errors.lua). CI runs each
# path 100k times (two processes of 50k side by side, about 5 min); elsewhere 10k by default.
if [ "${VALGRIND_TEST:-1}" != 0 ] && [[ " $versions " == *" 5.4 "* ]]; then
  if [ -n "${CI:-}" ]; then iters=${VALGRIND_ITERATIONS:-100000}; else iters=${VALGRIND_ITERATIONS:-10000}; fi
  half=$(( (iters + 1) / 2 ))
  echo "== Lua 5.4: error paths under valgrind memcheck ($iters iterations, 2 processes)"
  start=$(date +%s)
  vg_ok=1
  for part in 1 2; do
    LUA_CPATH="$out/5.4/lib/lua/5.4/?.so" valgrind --leak-check=full --errors-for-leak-kinds=definite \
      --error-exitcode=1 lua5.4 tests/lua/valgrind_errors.lua "$half" > "$out/valgrind-$part.log" 2>&1 &
    eval "vg_pid_$part=\$!"
  done
  for part in 1 2; do
    eval "pid=\$vg_pid_$part"
    wait "$pid" || { vg_ok=0; cat "$out/valgrind-$part.log" >&2; }
  done
  if [ $vg_ok = 1 ]; then
    for part in 1 2; do
      lost=$(sed -n 's/.*definitely lost: \([0-9,]* bytes in [0-9,]* blocks\).*/\1/p' "$out/valgrind-$part.log")
      summary+=("valgrind $part/2: $(grep '^valgrind_errors:' "$out/valgrind-$part.log"); errors 0, definitely lost ${lost:-0 bytes}, $(( $(date +%s) - start )) s")
    done
  else
    summary+=("valgrind: FAILED"); failed+=("valgrind")
  fi
fi

if [ "${NGINX_TEST:-1}" != 0 ] && [[ " $versions " == *" luajit "* ]]; then
  echo "== nginx + lua-nginx-module integration (LuaJIT build)"
  if tests/integration/test_nginx.sh "$out/luajit/lib/lua/5.1" 2>&1 | tee "$out/nginx.log"; then
    summary+=("nginx: $(tail -n 1 "$out/nginx.log")")
    grep '^load: [0-9]' "$out/nginx.log" | sed 's/^/nginx /' > "$out/nginx-load.txt" || true
    [ -s "$out/nginx-load.txt" ] && summary+=("$(cat "$out/nginx-load.txt")")
  else
    summary+=("nginx: FAILED"); failed+=("nginx")
  fi
fi

echo
echo "== Lua summary"
for line in "${summary[@]}"; do echo "  $line"; done
if [ -e "$root/pylon_idv.so" ]; then
  echo "test-lua: a pylon_idv.so appeared at the top of the checkout" >&2; failed+=("stray-so")
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "test-lua: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "test-lua: every Lua suite passed"
