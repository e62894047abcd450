-- valgrind_errors.lua -- every error path of the Lua module, for valgrind memcheck (issue 6):
-- each `nil, err` (a bad secret of every status, from_key(""), a bad previous secret) and each
-- raise (wrong types, pcall'd), plus signers made and collected. Not a busted spec (busted
-- runs *_spec.lua): tests/lua/CMakeLists.txt runs it (ctest -L lua, lua-5.4-valgrind-*) as
--
--   valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
--       lua5.4 tests/lua/valgrind_errors.lua [ITERATIONS [leak-control]]   (default 300)
--
-- with the module on LUA_CPATH. Every path runs in every iteration, and memcheck reports a
-- leak of even one block ("definitely lost"), so a few hundred iterations find any leak a
-- hundred thousand would (issue 10: the 100k runs took minutes, and never found more). With
-- "leak-control" each iteration also calls tests/lua/leak_control.c's leak(), which loses a
-- block on purpose: that run must fail, or the check proves nothing. Every outcome is checked,
-- so a path that stopped failing (or failed differently) stops the run; the last line counts
-- the calls.
local idv = require "pylon_idv"
local n = tonumber(arg and arg[1]) or 300
local control = arg and arg[2] == "leak-control" and require("leak_control") or nil

local SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
local OLD = string.rep("0123456789abcdef", 4)
local EMAIL = "jane@example.com"
local HASH = "386c49f4b2c6be922a05a7be7d380e49fba9a38cdb79d5378defc663716f3e6e"
local BAD = { "", " \t\r\n", "abc", "zz", "8f3g", SECRET:sub(1, 17) .. "G" .. SECRET:sub(19),
              SECRET .. " x", "0x" .. SECRET }
local F = { app_id = "a", name = "n" }
local calls = 0

local function bad_result(a, err)
  calls = calls + 1
  if a ~= nil or type(err) ~= "string" or not err:find("^pylon_idv: invalid secret: ") then
    error(("expected nil, err; got %s, %s"):format(tostring(a), tostring(err)), 2)
  end
end

local function bad_data(a, err)                 -- nil, err for bad data (not a secret)
  calls = calls + 1
  if a ~= nil or type(err) ~= "string" or not err:find("^pylon_idv: ") then
    error(("expected nil, err; got %s, %s"):format(tostring(a), tostring(err)), 2)
  end
end

local function raises(f, ...)
  calls = calls + 1
  local ok, err = pcall(f, ...)
  if ok then error("expected a raise", 2) end
  return err
end

local closed = idv.new(SECRET)
getmetatable(closed).__gc(closed)
local mt_sign = getmetatable(closed).__index.sign

for i = 1, n do
  local bad = BAD[i % #BAD + 1]
  -- nil, err: bad secrets of every status, in every entry point that takes one
  bad_result(idv.sign(EMAIL, bad))
  bad_result(idv.verify(EMAIL, bad, HASH))
  bad_result(idv.verify(EMAIL, bad, nil))
  bad_result(idv.new(bad))                                -- the userdata exists, empty
  bad_result(idv.new(SECRET, { OLD, bad }))               -- after the core object: freed at once
  do                                                      -- the key's own words
    calls = calls + 1
    local k, err = idv.from_key("")
    if k ~= nil or err ~= "pylon_idv: invalid key: empty (no bytes)" then error("from_key") end
  end
  bad_result(idv.chat_settings_script(EMAIL, bad, F))
  bad_result(idv.chat_settings_json(nil, bad, F))         -- a visitor: the secret still checked
  bad_data(idv.chat_settings_data(EMAIL, SECRET, { app_id = "a", x = 0 / 0 }))
  bad_data(idv.chat_settings_script("a\255", SECRET, F))
  bad_data(idv.chat_settings_json(EMAIL, SECRET, { app_id = "a", n = "\237\160\128" }))
  -- data that is no error: diagnose of a malformed secret, a malformed hash
  calls = calls + 2
  assert(idv.diagnose(EMAIL, bad, "00") == "invalid_secret")
  assert(idv.verify(EMAIL, SECRET, { HASH }) == false)

  -- raises: wrong types everywhere
  raises(idv.sign, nil, SECRET)
  raises(idv.sign, EMAIL, {})
  raises(idv.verify, true, SECRET, HASH)
  raises(idv.new, nil)
  raises(idv.new, SECRET, "not a table")
  raises(idv.new, SECRET, { OLD, {} })
  raises(idv.new, SECRET, { OLD, old = OLD })             -- not a sequence
  raises(idv.new, SECRET, { [2] = OLD })                  -- a hole
  raises(idv.sign, EMAIL, 1234)                           -- a secret must be a string
  raises(idv.from_key, false)
  raises(idv.diagnose, nil, SECRET, HASH)
  raises(idv.diagnose, EMAIL, {}, HASH)
  raises(idv.chat_settings_script, EMAIL, SECRET, {})             -- no app_id
  raises(idv.chat_settings_script, EMAIL, SECRET, { app_id = "a", t = {} })
  raises(idv.chat_settings_script, EMAIL, SECRET, { app_id = "a b" })
  raises(idv.chat_settings_script, EMAIL, SECRET, F, { nonce = "<>" })
  raises(idv.chat_settings_json, EMAIL, SECRET, { app_id = "a", __proto__ = 1 })
  raises(idv.widget_script, "a", { nonce = "" })
  raises(idv.chat_settings_script, EMAIL, SECRET, { app_id = "a", email = "e" })
  raises(idv.chat_settings_script, EMAIL, SECRET, { app_id = "a", [1] = "list" })
  raises(idv.chat_settings_script, EMAIL, true, F)
  raises(idv.chat_settings_script, EMAIL, closed, F)
  raises(mt_sign, closed, EMAIL)                          -- a closed signer
  raises(mt_sign, io.stdout, EMAIL)                       -- not a signer

  -- signers made and dropped (collected by the GC), some freed early by hand
  local s = idv.new(SECRET, { OLD, OLD })
  local h = s:sign(EMAIL)
  if s:match(EMAIL, h) ~= 0 or s:verify(EMAIL, nil) ~= false then error("signer answer") end
  raises(s.sign, s, nil)
  raises(s.verify, s, {}, HASH)
  local k = idv.from_key("k" .. i)
  if #k:sign(EMAIL) ~= 64 then error("from_key signer") end
  local script = idv.chat_settings_script(EMAIL, s, F, { nonce = "n" .. i })
  if not script:find(h, 1, true) then error("script without the hash") end
  if #idv.widget_script("a", { nonce = "abc" }) < 100 then error("widget") end
  if i % 3 == 0 then getmetatable(s).__gc(s) end
  calls = calls + 5
  if control then control.leak() end
end
collectgarbage("collect")
print(("valgrind_errors: %d iterations, %d calls, every one as expected"):format(n, calls))
