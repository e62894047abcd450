-- helper.lua -- shared by the busted specs in tests/lua: busted runs it first (.busted at the
-- top of the checkout: helper = "tests/lua/helper.lua"), and the specs use its table as the
-- global H.
--
-- The vectors are found relative to this file (tests/lua/../vectors), or in the directory named
-- by PYLON_IDV_VECTORS. The module itself comes from package.cpath: the ctest tests of
-- tests/lua/CMakeLists.txt run `luarocks test` against a luarocks tree under build/ (which puts
-- it on the cpath), or busted --cpath pointing at the CMake build.
local M = {}

local function dirname(p) return (p:gsub("[/\\][^/\\]*$", "")) end

local here = debug.getinfo(1, "S").source:gsub("^@", "")
if not here:find("[/\\]") then here = "./" .. here end
M.dir = dirname(here)                                   -- tests/lua
M.root = os.getenv("PYLON_IDV_ROOT") or (M.dir .. "/../..")
M.vectors = os.getenv("PYLON_IDV_VECTORS") or (M.dir .. "/../vectors")

M.lua_version = _VERSION:match("Lua (%d+%.%d+)")         -- "5.1" under LuaJIT too
M.is_luajit = type(rawget(_G, "jit")) == "table"

function M.unhex(h)
  assert(#h % 2 == 0, "odd hex in vector file")
  return (h:gsub("%x%x", function(b) return string.char(tonumber(b, 16)) end))
end

function M.tohex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- Rows of a .tsv file: comment lines ('#') and blank lines skipped, fields split on tabs
-- (empty fields kept).
function M.rows(name)
  local path = M.vectors .. "/" .. name
  local f = assert(io.open(path, "rb"))
  local rows = {}
  for raw in f:lines() do
    local line = raw:gsub("\r$", "")      -- (Lua 5.5: a for loop's variable is read-only)
    if line ~= "" and line:sub(1, 1) ~= "#" then
      local fields = {}
      for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
      rows[#rows + 1] = fields
    end
  end
  f:close()
  assert(#rows > 0, "no rows in " .. path)
  return rows
end

function M.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- The version the C core declares (its macros, read by cmake/pylon_idv_version.cmake).
function M.version()
  local p = assert(io.popen('cmake -P "' .. M.root .. '/cmake/pylon_idv_version.cmake"'))
  local v = p:read("*l")
  p:close()
  return assert(v and v:match("^%d+%.%d+%.%d+$") and v, "cmake/pylon_idv_version.cmake gave no version")
end

-- Evaluate a rockspec (plain Lua assignments) into a table, on every Lua version.
function M.load_rockspec(path)
  local env = {}
  local text = M.read(path)
  local chunk
  if setfenv then
    chunk = assert(loadstring(text, "@" .. path))
    setfenv(chunk, env)
  else
    chunk = assert(load(text, "@" .. path, "t", env))
  end
  chunk()
  return env
end

-- Resident set size in KiB (Linux), or nil where /proc is not there.
function M.rss_kib()
  local f = io.open("/proc/self/statm", "r")
  if not f then return nil end
  local line = f:read("*l")
  f:close()
  local resident = tonumber(line:match("^%d+%s+(%d+)"))
  return resident and resident * 4
end

function M.full_gc()
  collectgarbage("collect")
  collectgarbage("collect")
end

-- The module under test, and where it was found (printed once, so a run shows which build).
M.idv = require("pylon_idv")
-- The luarocks test tests (lua-<v>-luarocks-test) name the tree they installed the rock into:
-- the module must come from it.
local want = os.getenv("PYLON_IDV_EXPECT_CPATH_DIR")
if want and package.searchpath then
  local got = package.searchpath("pylon_idv", package.cpath)
  assert(got and got:sub(1, #want) == want,
         ("pylon_idv loaded from %s, not from %s"):format(tostring(got), want))
end

H = M
return M
