# check.cmake -- the Lua tests' steps that are more than one command (tests/lua/CMakeLists.txt):
#   cmake -DCHECK=<what> [-D...] -P tests/lua/check.cmake [-- COMMAND...]
#   run             COMMAND (under `unshare -n` with -DOFFLINE=ON, where the machine allows it):
#                   exit status 0 and, with -DEXPECT=REGEX, output matching it (busted's counts)
#   install         the source rock -DROCK offline into a fresh tree -DTREE (-DLUAROCKS, -DABI):
#                   pylon_idv.so built (with LuaJIT's headers: -DLUAJIT=ON), -DJS installed
#   make-clean      `luarocks make` (Lua 5.4: -DLUA) in a copy -DDIR of -DROOT's tracked files,
#                   then `make clean` leaves exactly the files the copy started with
#   checkout-clean  no .so, .o or rocks tree in the checkout -DROOT outside build/ and dist/
cmake_minimum_required(VERSION 3.16)

function(fail)
  list(JOIN ARGN " " text)   # (a list in the message: its items apart)
  message(FATAL_ERROR "${CHECK}: ${text}")
endfunction()

# run(COMMAND...): rc and log (stdout and stderr); `unshare -n` in front when OFFLINE
macro(run)
  set(cmd ${ARGN})
  if(OFFLINE)
    execute_process(COMMAND unshare -n true RESULT_VARIABLE no_ns OUTPUT_QUIET ERROR_QUIET)
    if(no_ns EQUAL 0)
      set(cmd unshare -n ${cmd})
    else()
      message("note: unshare -n unavailable: run with the network present (--deps-mode=none)")
    endif()
  endif()
  execute_process(COMMAND ${cmd} WORKING_DIRECTORY "${WORKDIR}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
  if(NOT rc EQUAL 0)
    message("${log}")
    fail("${cmd}: exit status ${rc}")
  endif()
endmacro()

function(same a b)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${a}" "${b}" RESULT_VARIABLE differ)
  if(NOT differ EQUAL 0)
    fail("${b} is not ${a}")
  endif()
endfunction()

if(CHECK STREQUAL "run")
  set(args "")
  math(EXPR last "${CMAKE_ARGC} - 1")
  foreach(i RANGE ${last})
    if(DEFINED after)
      list(APPEND args "${CMAKE_ARGV${i}}")
    elseif(CMAKE_ARGV${i} STREQUAL "--")
      set(after ON)
    endif()
  endforeach()
  run(${args})
  message("${log}")
  if(EXPECT AND NOT log MATCHES "${EXPECT}")
    fail("no line matching '${EXPECT}' in the output")
  endif()

elseif(CHECK STREQUAL "install")
  file(REMOVE_RECURSE "${TREE}")
  set(OFFLINE ON)
  run(${LUAROCKS} --lua-version ${ABI} --tree ${TREE} install --deps-mode=none ${ROCK})
  set(so "${TREE}/lib/lua/${ABI}/pylon_idv.so")
  if(NOT EXISTS "${so}")
    fail("${so} not built: ${log}")
  endif()
  same("${JS}" "${TREE}/share/lua/${ABI}/pylon_idv/static/pylon-chat.js")
  if(LUAJIT AND NOT log MATCHES "-I[^ ]*luajit")
    fail("the LuaJIT build did not use LuaJIT's headers: ${log}")
  endif()
  message("${ROCK} installed offline: ${so}, pylon-chat.js beside the Lua modules")

elseif(CHECK STREQUAL "make-clean")
  set(tree "${DIR}-tree")
  set(share "${tree}/share/lua/5.4/pylon_idv")
  file(REMOVE_RECURSE "${DIR}" "${tree}")
  file(MAKE_DIRECTORY "${DIR}")
  # the tracked files as they are in the work tree (one deleted but not committed left out)
  execute_process(COMMAND git ls-files -z COMMAND tar --null --ignore-failed-read -T - -cf -
                  COMMAND tar -xf - -C "${DIR}" WORKING_DIRECTORY "${ROOT}" ERROR_QUIET
                  RESULTS_VARIABLE rcs)
  if(NOT rcs STREQUAL "0;0;0")
    fail("copying the tracked files: ${rcs}")
  endif()
  file(GLOB_RECURSE before LIST_DIRECTORIES false RELATIVE "${DIR}" "${DIR}/*")
  set(WORKDIR "${DIR}")
  run(${LUAROCKS} --lua-version 5.4 --tree ${tree} make pylon_idv-scm-1.rockspec)
  # compiled in place; the pure-Lua modules and pylon-chat.js in the tree, found by require
  # and package.searchpath (no ';' in this code: it goes through CMake lists)
  foreach(f "${DIR}/pylon_idv.so" "${DIR}/core/src/hex.o" "${share}/openresty.lua")
    if(NOT EXISTS "${f}")
      fail("luarocks make left no ${f}")
    endif()
  endforeach()
  same("${DIR}/web/pylon-chat.js" "${share}/static/pylon-chat.js")
  run(${CMAKE_COMMAND} -E env "LUA_PATH=${tree}/share/lua/5.4/?.lua"
      "LUA_CPATH=${tree}/lib/lua/5.4/?.so" ${LUA} -e [=[
    local idv = require "pylon_idv"
    assert(type(require "pylon_idv.openresty") == "table")
    local js = assert(package.searchpath("pylon_idv.static.pylon-chat", (package.path:gsub("%.lua", ".js"))))
    local tail = "/share/lua/5.4/pylon_idv/static/pylon-chat.js"
    if idv.static_path then   -- the binding's own lookup, where it has one
      assert(idv.static_path() .. "/pylon-chat.js" == js, tostring(idv.static_path()))
    end
    assert(js:sub(-#tail) == tail, js)]=])
  # other builds' leftovers, as a developer's checkout collects them
  foreach(f pylon_idv.egg-info/PKG-INFO bindings/python/pylon_idv.egg-info/SOURCES.txt
            bindings/python/pylon_idv/__pycache__/x.pyc dist/x.src.rock build/c/x
            _pylon_idv.abi3.so)
    get_filename_component(d "${DIR}/${f}" DIRECTORY)
    file(MAKE_DIRECTORY "${d}")
    file(TOUCH "${DIR}/${f}")
  endforeach()
  # the copy's `make clean`, not an outer make's BUILD (MAKEFLAGS passes its variables on)
  foreach(var MAKEFLAGS MFLAGS MAKELEVEL BUILD)
    unset(ENV{${var}})
  endforeach()
  run(make --no-print-directory clean)
  file(GLOB_RECURSE after LIST_DIRECTORIES false RELATIVE "${DIR}" "${DIR}/*")
  if(NOT before STREQUAL after)
    set(left ${after})
    list(REMOVE_ITEM left ${before})
    list(REMOVE_ITEM before ${after})
    fail("make clean did not leave exactly the sources: left ${left}, removed ${before}")
  endif()
  list(LENGTH before n)
  message("luarocks make (a copy of the checkout): pylon_idv.so + .o in place, the pure-Lua "
          "modules + pylon-chat.js installed and found; make clean left exactly the ${n} files")

elseif(CHECK STREQUAL "checkout-clean")
  set(WORKDIR "${ROOT}")
  run(git -c core.quotePath=false status --porcelain --ignored --untracked-files=all)
  string(REGEX MATCHALL "!! [^\n]*" ignored "${log}")
  set(stray "")
  foreach(f IN LISTS ignored)
    string(SUBSTRING "${f}" 3 -1 f)
    if(NOT f MATCHES "^(build|dist)/" AND f MATCHES "(\\.(so|o)$|^lua_modules/|^luarocks-tree/)")
      list(APPEND stray "${f}")
    endif()
  endforeach()
  if(stray)
    fail("build outputs left in the checkout: ${stray}")
  endif()
  message("no .so, .o or rocks tree in the checkout outside build/ and dist/")

else()
  fail("-DCHECK=run|install|make-clean|checkout-clean")
endif()
