-- bench_lua.lua -- pylon_idv in Lua against the luaossl idiom (issue 5). Run by bench/bench_lua.sh
-- once per interpreter (Lua 5.4, LuaJIT), with the module on package.cpath:
--
--   lua5.4 bench/bench_lua.lua [--quick]
--
-- Prints markdown table rows: | interpreter | call | median ns/call | x vs idiom |
-- 20-byte email, 32-byte key (64 hex digits). Each round times every candidate once, in a
-- rotating order (interleaved, so drift and frequency changes hit all alike); the figure is the
-- median over rounds of CPU time (os.clock) per call, loop and call overhead included: what a
-- caller pays.
local idv = require "pylon_idv"
local hmac = require "openssl.hmac"          -- Debian lua-luaossl

local quick = arg and arg[1] == "--quick"
local ROUNDS = quick and 3 or 15
local ROUND_SECONDS = quick and 0.02 or 0.15

local SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
local EMAIL = "jane.doe@example.com"
assert(#EMAIL == 20 and #SECRET == 64)

-- The idiom, as users write it: hex done in Lua.
local function fromhex(h)
  return (h:gsub("%x%x", function(b) return string.char(tonumber(b, 16)) end))
end
local function tohex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
local function idiom(email, secret)
  return tohex(require("openssl.hmac").new(fromhex(secret), "sha256"):final(email))
end

-- The floor behind a Lua call (bench/floor_lua.c, built by bench_lua.sh): its ratio is the
-- ceiling no binding's idv.sign can pass here.
local floor
if os.getenv("PYLON_IDV_FLOOR") == "1" then
  floor = require "pylon_idv_floor"
  floor.setup(SECRET, EMAIL)
end

local signer = assert(idv.new(SECRET))
local want = idv.sign(EMAIL, SECRET)
assert(signer:sign(EMAIL) == want and idiom(EMAIL, SECRET) == want, "the three disagree")
assert(floor == nil or floor.sign(EMAIL, SECRET) == want, "the floor computes another hash")
assert(hmac)

-- One loop per candidate (no closure call inside the loop).
local loops = {
  { "idv.sign", function(n)
      local sign, e, s = idv.sign, EMAIL, SECRET
      for _ = 1, n do sign(e, s) end
    end },
  { "signer:sign", function(n)
      local sg, e = signer, EMAIL
      for _ = 1, n do sg:sign(e) end
    end },
  { "luaossl idiom", function(n)
      local e, s = EMAIL, SECRET
      for _ = 1, n do idiom(e, s) end
    end },
}

if floor then
  local fs = floor.signer()
  assert(fs:sign(EMAIL) == want, "the signer-shaped floor computes another hash")
  loops[#loops + 1] = { "floor (idv.sign shape, stateless)", function(n)
      local sign, e, s = floor.sign, EMAIL, SECRET
      for _ = 1, n do sign(e, s) end
    end }
  loops[#loops + 1] = { "floor (signer:sign shape)", function(n)
      local sg, e = fs, EMAIL
      for _ = 1, n do sg:sign(e) end
    end }
end

-- Under LuaJIT the binding's signer:sign calls the core through the FFI (bindings/lua/pylon_idv.c,
-- ffi_glue): its own floor is the C floor behind the same FFI call -- a method on a userdata,
-- the same argument checks, the digits read with ffi.string -- without the binding's guard
-- against a sign run inside another (the counter).
local ffi_path = debug.getinfo(getmetatable(signer).__index.sign, "S").what == "Lua"
if floor and ffi_path then
  local ffi = require "ffi"
  local api = ffi.cast("struct { int (*sign)(void *, char *, const char *, size_t); char *out; } *",
                       floor.ffi())
  local fsign, out, str = api.sign, api.out, ffi.string
  local proxy = newproxy(true)
  local pmt = getmetatable(proxy)
  pmt.__index = { sign = function(...)
      local self, email = ...
      if type(email) == "string" and getmetatable(self) == pmt
         and fsign(self, out, email, #email) == 1 then
        return str(out, 64)
      end
      error("floor: bad call")
    end }
  assert(proxy:sign(EMAIL) == want, "the FFI floor computes another hash")
  loops[#loops + 1] = { "floor (signer:sign shape, FFI)", function(n)
      local sg, e = proxy, EMAIL
      for _ = 1, n do sg:sign(e) end
    end }
end

-- For callgrind (bench_lua.sh): run one candidate n times and stop. Instructions per call are
-- (count with n calls - count with 0 calls) / n, so start-up cancels out.
if arg and arg[1] == "--callgrind" then
  local which, n = arg[2], tonumber(arg[3])
  for _, c in ipairs(loops) do
    if c[1] == which then c[2](n); os.exit(0) end
  end
  error("unknown candidate " .. tostring(which))
end

local function time(f, n)
  local t0 = os.clock()
  f(n)
  return os.clock() - t0
end

-- Calibrate: iterations that take about ROUND_SECONDS.
for _, c in ipairs(loops) do
  local n = 100
  while true do
    local dt = time(c[2], n)
    if dt >= ROUND_SECONDS / 4 or n >= 2 ^ 26 then
      c.n = math.max(100, math.floor(n * ROUND_SECONDS / math.max(dt, 1e-6)))
      break
    end
    n = n * 4
  end
  c.samples = {}
end

for r = 1, ROUNDS do
  for j = 0, #loops - 1 do
    local c = loops[(r + j) % #loops + 1]
    c.samples[r] = time(c[2], c.n) / c.n * 1e9
  end
end

local function median(t)
  table.sort(t)
  local m = #t
  return m % 2 == 1 and t[(m + 1) / 2] or (t[m / 2] + t[m / 2 + 1]) / 2
end

local name = type(rawget(_G, "jit")) == "table" and jit.version or _VERSION
-- the ratio: the median over rounds of the idiom's time over this row's in the same round
-- (drift between rounds cancels), as the C and Python benches do
local idiom_samples = loops[3].samples
for _, c in ipairs(loops) do
  local q = {}
  for r = 1, ROUNDS do q[r] = idiom_samples[r] / c.samples[r] end
  c.ratio = median(q)
end
for _, c in ipairs(loops) do
  local copy = {}
  for r = 1, ROUNDS do copy[r] = c.samples[r] end
  c.median = median(copy)
end
for _, c in ipairs(loops) do
  io.write(("| %s | %s | %.0f | %.1fx |\n"):format(name, c[1], c.median, c.ratio))
end
if floor then     -- each binding row against its floor behind the call, round by round
  local function vs(a, b)
    local q = {}
    for r = 1, ROUNDS do q[r] = loops[a].samples[r] / loops[b].samples[r] end
    return median(q)
  end
  io.write(("%s: idv.sign %.2fx its stateless floor row (target 1.15x), signer:sign %.2fx "
            .. "its floor row (target 1.15x)"):format(name, vs(1, 4), vs(2, 5)))
  if loops[6] then
    io.write((", %.2fx the floor behind its FFI call"):format(vs(2, 6)))
  end
  io.write("\n")
end
