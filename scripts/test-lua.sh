#!/usr/bin/env bash
# test-lua.sh -- the Lua module as a user gets it: `make dist-lua`'s source rock installed
# OFFLINE (no network namespace: unshare -n) into a fresh tree for Lua 5.1, 5.3, 5.4, 5.5 and
# LuaJIT (5.5 where the release has it: elsewhere "Lua 5.5: not available on this release"), `require "pylon_idv"` signing there, and `luarocks test` (the busted specs in
# tests/lua, the rockspec's test section) against each tree; then the CMake build of the
# module, the error paths under valgrind, the nginx integration test, the `luarocks make`
# path and `make clean` in a copy of the checkout, and nothing left in the checkout.
#
#   scripts/test-lua.sh [BUILD_DIR]          (default: build)
#   LUA_VERSIONS="5.4 luajit" scripts/test-lua.sh     a subset
#   NGINX_TEST=0 scripts/test-lua.sh                  skip the nginx test
#   CMAKE_TEST=0 scripts/test-lua.sh                  skip the CMake build of the module
#   BUILD_ONLY=1 scripts/test-lua.sh                  install the rock only (no busted needed)
#   VALGRIND_TEST=0 scripts/test-lua.sh               skip the memcheck run of the error paths
#   VALGRIND_ITERATIONS=N scripts/test-lua.sh         its iterations (default 300: every path each
#                                                     time; a leak-control run must be reported)
#   MAKE_CHECK=0 scripts/test-lua.sh                  skip the `luarocks make` + `make clean` check
#   LOAD_REQUESTS=N, LOAD_RSS_SLACK_KB=K              the nginx load run (tests/integration/test_nginx.sh)
#
# `luarocks test` needs busted as a rock in a tree luarocks searches: Debian's lua-busted is
# registered in each test tree as a one-file rock (BUILD/lua/busted-debian: a bin/busted that
# runs Debian's busted.runner), so nothing is downloaded. --project-tree makes the tree one
# that luarocks searches (--tree alone does not, for test dependencies).
#
# LuaJIT: Debian's luarocks `--lua-version 5.1` targets lua5.1; for LuaJIT a small config
# (BUILD/lua/luajit-config.lua) points it at luajit and its headers.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
out=$build/lua
versions=${LUA_VERSIONS:-5.1 5.3 5.4 5.5 luajit}
busted=$(command -v busted || true)
# BUILD_ONLY needs luarocks and a compiler only; the suites need busted too.
if [ "${BUILD_ONLY:-0}" = 0 ] && [ -z "$busted" ]; then
  exec scripts/why-missing.sh test-lua busted lua-busted
fi
command -v luarocks >/dev/null || exec scripts/why-missing.sh test-lua luarocks luarocks

mkdir -p "$out"
failed=()
summary=()
JANE_HASH=386c49f4b2c6be922a05a7be7d380e49fba9a38cdb79d5378defc663716f3e6e
SECRET=8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812

# No network at all for the installs, where this machine lets us make a network namespace.
offline=""
if unshare -n true 2>/dev/null; then offline="unshare -n"; else
  summary+=("note: unshare -n unavailable: the rock installs ran with the network present (--deps-mode=none)")
fi

# The source rock, exactly as `make dist-lua` writes it (here into BUILD/lua/dist).
rock=$(scripts/dist-lua.sh "$out/dist") || { echo "test-lua: dist-lua failed" >&2; exit 1; }
echo "== source rock: ${rock#$root/} ($(wc -c < "$rock") bytes)"

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

# Debian's busted as a rock (see the top of this file).
busted_rock() {
  local d=$out/busted-debian bv
  bv=$("$busted" --version 2>/dev/null | head -n 1 | grep -o '^[0-9][0-9.]*' || echo 2)
  rm -rf "$d"; mkdir -p "$d"
  printf '#!/usr/bin/env lua\n-- Debian'\''s busted (lua-busted), as a rock: written by scripts/test-lua.sh\nrequire "busted.runner"({ standalone = false })\n' > "$d/busted"
  cat > "$d/busted-$bv-0.rockspec" <<SPEC
-- Debian's lua-busted $bv registered with luarocks, so that \`luarocks test\` runs offline.
rockspec_format = "3.0"
package = "busted"
version = "$bv-0"
source = { url = "file://$busted" }
description = { summary = "Debian's lua-busted (apt), registered for luarocks test" }
build = { type = "builtin", modules = {}, install = { bin = { busted = "busted" } } }
SPEC
  echo "$d/busted-$bv-0.rockspec"
}
[ "${BUILD_ONLY:-0}" = 0 ] && shim=$(busted_rock)

for v in $versions; do
  if [ "$v" = luajit ]; then
    interp=luajit; abi=5.1
  else
    interp=lua$v; abi=$v
  fi
  if ! command -v "$interp" >/dev/null; then
    if [ "$v" = luajit ]; then pkg="luajit2|luajit"; else pkg=lua$v; fi
    # Lua 5.5 where the release offers it (Debian unstable); said, never skipped in silence
    if [ "$v" = 5.5 ] && ! apt-cache policy lua5.5 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      release=$( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-$ID}") || uname -s)
      echo "Lua 5.5: not available on this release ($release)"
      summary+=("5.5     Lua 5.5: not available on this release ($release)"); continue
    fi
    scripts/why-missing.sh test-lua "$interp" "$pkg"; failed+=("$v:missing"); continue
  fi
  tree=$out/$v; log=$out/build-$v.log
  rm -rf "$tree" "$out/src/$v"
  lr=(luarocks --lua-version "$abi")
  if [ "$v" = luajit ]; then
    luajit_config; export LUAROCKS_CONFIG=$out/luajit-config.lua
  else
    unset LUAROCKS_CONFIG
  fi
  echo "== Lua $v: luarocks install ${rock#$root/} --tree ${tree#$root/} (offline)"
  if ! $offline "${lr[@]}" --tree "$tree" install --deps-mode=none "$rock" >"$log" 2>&1; then
    cat "$log" >&2; failed+=("$v:install"); continue
  fi
  so=$tree/lib/lua/$abi/pylon_idv.so
  [ -f "$so" ] || { echo "test-lua: $so not built" >&2; failed+=("$v:install"); continue; }
  js=$tree/share/lua/$abi/pylon_idv/static/pylon-chat.js
  cmp -s "$js" web/pylon-chat.js || { echo "test-lua: $js not installed" >&2; failed+=("$v:pylon-chat.js"); }
  grep -q -- "-I[^ ]*luajit" "$log" || [ "$v" != luajit ] || { echo "test-lua: LuaJIT build did not use LuaJIT headers" >&2; failed+=("$v:build"); }
  # require "pylon_idv" from the tree signs (the shared vector: crossref.tsv row 'ascii')
  got=$(S=$SECRET LUA_CPATH="$tree/lib/lua/$abi/?.so" "$interp" -e '
    local idv = require "pylon_idv"
    io.write(idv.sign("jane@example.com", os.getenv("S")), " ", idv._VERSION)' 2>&1)
  if [ "$got" = "$JANE_HASH $(cmake -P cmake/pylon_idv_version.cmake)" ]; then
    summary+=("$(printf '%-7s' "$v") src.rock installed offline; require \"pylon_idv\" signs (vector hash), _VERSION $(cmake -P cmake/pylon_idv_version.cmake)")
  else
    echo "test-lua: Lua $v: require/sign from the rock's tree gave: $got" >&2; failed+=("$v:sign")
  fi
  [ "${BUILD_ONLY:-0}" = 0 ] || continue

  echo "== Lua $v: luarocks test (busted, $interp) against ${tree#$root/}"
  # luarocks make builds in the current directory: the busted rock from its own folder
  (cd "$(dirname "$shim")" && $offline "${lr[@]}" --tree "$tree" make "$(basename "$shim")") \
    >"$out/busted-rock-$v.log" 2>&1 || { cat "$out/busted-rock-$v.log" >&2; failed+=("$v:busted-rock"); continue; }
  PYLON_IDV_EXPECT_CPATH_DIR=$tree/lib/lua/$abi/ \
    $offline "${lr[@]}" --project-tree "$tree" test pylon_idv-scm-1.rockspec -- -o plainTerminal \
    2>&1 | tee "$out/busted-$v.log"
  rc=${PIPESTATUS[0]}
  counts=$(grep -E '^[0-9]+ successes' "$out/busted-$v.log" | tail -n 1)
  summary+=("$(printf '%-7s %-14s' "$v" "$($interp -v 2>&1 | awk 'NR == 1 {print $1, $2}')") luarocks test: ${counts:-no result}")
  [ "$rc" -eq 0 ] && [ -n "$counts" ] || failed+=("$v:luarocks-test")
done
unset LUAROCKS_CONFIG

if [ "${BUILD_ONLY:-0}" != 0 ]; then
  [ ${#failed[@]} -eq 0 ] || { echo "test-lua: FAILED: ${failed[*]}" >&2; exit 1; }
  exit 0
fi

# The same specs against the CMake build of the module (Lua 5.4, and 5.5 where it is in the
# matrix and installed), as the STYLE guide asks.
for cv in 5.4 5.5; do
  [ "${CMAKE_TEST:-1}" != 0 ] && [[ " $versions " == *" $cv "* ]] && command -v cmake >/dev/null \
    && command -v lua$cv >/dev/null && [ -f /usr/include/lua$cv/lua.h ] || continue
  cm=$out/cmake-$cv
  echo "== Lua $cv: CMake build (-DPYLON_IDV_BUILD_LUA=ON) -> ${cm#$root/}"
  if cmake -S "$root" -B "$cm" -DPYLON_IDV_BUILD_LUA=ON -DLUA_INCLUDE_DIR=/usr/include/lua$cv \
        -DPYLON_IDV_BUILD_TESTS=OFF -DPYLON_IDV_BUILD_CLI=OFF -DPYLON_IDV_WERROR=ON >"$out/cmake-$cv.log" 2>&1 \
     && cmake --build "$cm" -j2 --target pylon_idv_lua >>"$out/cmake-$cv.log" 2>&1; then
    lua$cv "$busted" -o plainTerminal --cpath="$cm/lua/?.so" tests/lua 2>&1 | tee "$out/busted-cmake-$cv.log"
    rc=${PIPESTATUS[0]}
    summary+=("$(printf '%-7s %-14s' cmake "Lua $cv") $(grep -E '^[0-9]+ successes' "$out/busted-cmake-$cv.log" | tail -n 1)")
    [ "$rc" -eq 0 ] || failed+=("cmake-$cv:busted")
  else
    cat "$out/cmake-$cv.log" >&2; failed+=("cmake-$cv:build")
  fi
done

# Every error path of the module (each nil, err and each raise) under valgrind memcheck with the
# Lua 5.4 build: no error, nothing definitely lost (tests/lua/valgrind_errors.lua). Every path
# runs in every iteration and one lost block fails the run, so a few hundred iterations find
# what 100k did (issue 10). The negative control: the same loop with tests/lua/leak_control.c
# losing one block per iteration must be reported, or the check proves nothing.
if [ "${VALGRIND_TEST:-1}" != 0 ] && [[ " $versions " == *" 5.4 "* ]]; then
  iters=${VALGRIND_ITERATIONS:-300}
  echo "== Lua 5.4: error paths under valgrind memcheck ($iters iterations), and a leak control"
  start=$(date +%s)
  vg() {
    LUA_CPATH="$out/5.4/lib/lua/5.4/?.so;$out/leak-control/?.so" valgrind --leak-check=full \
      --errors-for-leak-kinds=definite --error-exitcode=1 lua5.4 tests/lua/valgrind_errors.lua "$@"
  }
  mkdir -p "$out/leak-control"
  if ! cc -shared -fPIC -O1 -I/usr/include/lua5.4 -o "$out/leak-control/leak_control.so" \
         tests/lua/leak_control.c > "$out/leak-control.log" 2>&1; then
    cat "$out/leak-control.log" >&2; summary+=("valgrind: control not built"); failed+=("valgrind")
  elif ! vg "$iters" > "$out/valgrind.log" 2>&1; then
    cat "$out/valgrind.log" >&2; summary+=("valgrind: FAILED"); failed+=("valgrind")
  elif vg 20 leak-control > "$out/valgrind-control.log" 2>&1 \
       || ! grep -q 'definitely lost in loss record' "$out/valgrind-control.log"; then
    cat "$out/valgrind-control.log" >&2
    summary+=("valgrind: the deliberate leak was not reported: the check proves nothing")
    failed+=("valgrind")
  else
    lost=$(sed -n 's/.*definitely lost: \([0-9,]* bytes in [0-9,]* blocks\).*/\1/p' "$out/valgrind.log")
    summary+=("valgrind: $(grep '^valgrind_errors:' "$out/valgrind.log"); errors 0, definitely lost ${lost:-0 bytes}; control (1 block lost per iteration) reported; $(( $(date +%s) - start )) s")
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

# The OpenResty quick start (docs/openresty.md), exactly as shown (its own network namespace, port 8080).
if [ "${NGINX_TEST:-1}" != 0 ]; then
  echo "== the OpenResty quick start of docs/openresty.md (tests/integration/test_openresty_quickstart.sh)"
  if tests/integration/test_openresty_quickstart.sh > "$out/quickstart.txt" 2>&1; then
    summary+=("openresty quick start: $(tail -n 1 "$out/quickstart.txt")")
  else
    cat "$out/quickstart.txt" >&2; summary+=("openresty quick start: FAILED"); failed+=("quickstart")
  fi
fi

# The `luarocks make` path and `make clean`, in a copy of the tracked files (a checkout
# without .git): luarocks make compiles in place (pylon_idv.so, core/src/*.o at the top of
# the copy); with a pure-Lua module and pylon-chat.js added (stand-ins where the tree has none
# yet) the regenerated rockspec installs them as share/lua/5.4/pylon_idv/openresty.lua and
# .../pylon_idv/static/pylon-chat.js, found by require and package.searchpath; then `make clean`
# leaves exactly the tracked files.
if [ "${MAKE_CHECK:-1}" != 0 ] && [[ " $versions " == *" 5.4 "* ]]; then
  echo "== luarocks make in a copy of the checkout, pure-Lua module and pylon-chat.js, make clean"
  cp_dir=$out/make-check; mtree=$out/make-check-tree
  rm -rf "$cp_dir" "$mtree"; mkdir -p "$cp_dir"
  git ls-files -z | xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh \
    | tar --null -T - -cf - | tar -xf - -C "$cp_dir"
  (
    set -e
    cd "$cp_dir"
    [ -f bindings/lua/pylon_idv/openresty.lua ] || { mkdir -p bindings/lua/pylon_idv
      printf 'return { stand_in = true }\n' > bindings/lua/pylon_idv/openresty.lua; }
    js=$(find . -name pylon-chat.js -not -path './build*' | head -n 1)
    [ -n "$js" ] || { mkdir -p static; printf '/* stand-in */\n' > static/pylon-chat.js; js=./static/pylon-chat.js; }
    find . -type f | LC_ALL=C sort > "$out/make-check-before.txt"
    luarocks --lua-version 5.4 --tree "$mtree" make pylon_idv-scm-1.rockspec > "$out/make-check.log" 2>&1
    [ -f pylon_idv.so ] && [ -f core/src/hex.o ]        # where luarocks make leaves them
    [ -f "$mtree/share/lua/5.4/pylon_idv/openresty.lua" ]
    [ -f "$mtree/share/lua/5.4/pylon_idv/static/pylon-chat.js" ]
    cmp -s "$js" "$mtree/share/lua/5.4/pylon_idv/static/pylon-chat.js"
    LUA_PATH="$mtree/share/lua/5.4/?.lua" LUA_CPATH="$mtree/lib/lua/5.4/?.so" lua5.4 -e '
      local idv = require "pylon_idv"; assert(type(require "pylon_idv.openresty") == "table")
      local js = assert(package.searchpath("pylon_idv.static.pylon-chat", (package.path:gsub("%.lua", ".js"))))
      local tail = "/share/lua/5.4/pylon_idv/static/pylon-chat.js"
      if idv.static_path then   -- the binding'"'"'s own lookup, where it has one
        assert(idv.static_path() .. "/pylon-chat.js" == js, tostring(idv.static_path()))
      end
      assert(js:sub(-#tail) == tail, js)'
    # other builds' leftovers, as a developer's checkout collects them
    mkdir -p pylon_idv.egg-info bindings/python/pylon_idv.egg-info bindings/python/pylon_idv/__pycache__ dist build/c
    touch pylon_idv.egg-info/PKG-INFO bindings/python/pylon_idv.egg-info/SOURCES.txt \
          bindings/python/pylon_idv/__pycache__/x.pyc dist/x.src.rock build/c/x _pylon_idv.abi3.so
    make --no-print-directory clean > /dev/null
  ) >> "$out/make-check.log" 2>&1
  mc_rc=$?                            # (not `|| ...`: that would switch off set -e inside)
  if [ $mc_rc = 0 ]; then
    # the stand-ins are tracked-file edits here, not build output
    (cd "$cp_dir" && find . -type f | LC_ALL=C sort) > "$out/make-check-after.txt"
    if diff -u "$out/make-check-before.txt" "$out/make-check-after.txt" > "$out/make-check.diff"; then
      summary+=("luarocks make (copy): pylon_idv.so + .o in place, pure-Lua module + pylon-chat.js installed and found; make clean left exactly the sources")
    else
      cat "$out/make-check.diff" >&2; failed+=("make-clean")
    fi
  else
    cat "$out/make-check.log" >&2; failed+=("luarocks-make")
  fi
fi

# Nothing Lua builds make in the checkout (outside build/ and dist/): no .so, no .o, no tree.
stray=$(git status --porcelain --ignored --untracked-files=all 2>/dev/null | sed -n 's/^!! //p' \
        | grep -v '^build/\|^dist/' | grep -E '\.(so|o)$|^lua_modules/|^luarocks-tree/' || true)
if [ -n "$stray" ]; then
  echo "test-lua: build outputs left in the checkout: $stray" >&2; failed+=("stray-files")
fi

echo
echo "== Lua summary"
for line in "${summary[@]}"; do echo "  $line"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "test-lua: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "test-lua: every Lua suite passed"
