-- api_spec.lua -- the Lua API as the README states it: types, errors, verify semantics, signers, rotation.
local idv = H.idv

local SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
local EMAIL = "jane@example.com"
local HASH = "386c49f4b2c6be922a05a7be7d380e49fba9a38cdb79d5378defc663716f3e6e"  -- crossref 'ascii'

describe("module", function()
  it("is a table of functions and sets no global", function()
    assert.are.equal("table", type(idv))
    for _, name in ipairs({ "sign", "verify", "new", "from_key", "generate_secret", "diagnose",
                           "chat_settings_script" }) do
      assert.are.equal("function", type(idv[name]), name)
    end
    assert.is_nil(rawget(_G, "pylon_idv"))
    assert.are.equal(idv, require("pylon_idv"))
  end)

  it("reports the C library's version string", function()
    assert.are.equal("string", type(idv._VERSION))
    assert.is_truthy(idv._VERSION:match("^%d+%.%d+%.%d+$"))
    assert.are.equal(H.version(), idv._VERSION)   -- the core's macros, via cmake/pylon_idv_version.cmake
  end)
end)

describe("idv.sign / idv.verify", function()
  it("signs and verifies", function()
    assert.are.equal(HASH, idv.sign(EMAIL, SECRET))
    assert.is_true(idv.verify(EMAIL, SECRET, HASH))
    assert.is_true(idv.verify(EMAIL, SECRET, HASH:upper()))
    assert.is_false(idv.verify("mallory@example.com", SECRET, HASH))
  end)

  it("takes the email as exact bytes: no trimming, no case folding, NUL kept", function()
    assert.are_not.equal(HASH, idv.sign(" " .. EMAIL, SECRET))
    assert.are_not.equal(HASH, idv.sign(EMAIL:upper(), SECRET))
    local a, b = idv.sign("a\0b", SECRET), idv.sign("a\0c", SECRET)
    assert.are_not.equal(a, b)
    assert.are.equal(64, #idv.sign("", SECRET))
    assert.are.equal(64, #idv.sign(string.rep("x", 100000), SECRET))
  end)

  it("ignores whitespace and case around the secret", function()
    assert.are.equal(HASH, idv.sign(EMAIL, " \t" .. SECRET:upper() .. "\r\n"))
  end)

  it("returns false, never raises, for a missing or malformed hash", function()
    for _, bad in ipairs({ "", "abc", HASH:sub(1, 63), HASH .. "0", HASH:sub(1, 63) .. "g",
                           " " .. HASH, HASH .. "\n", HASH:sub(1, 32), "\0" }) do
      assert.is_false(idv.verify(EMAIL, SECRET, bad))
    end
    assert.is_false(idv.verify(EMAIL, SECRET, nil))
    assert.is_false(idv.verify(EMAIL, SECRET))
    -- what ngx.req.get_uri_args() gives for "?hash" (true) and "?hash=a&hash=b" (a table)
    assert.is_false(idv.verify(EMAIL, SECRET, true))
    assert.is_false(idv.verify(EMAIL, SECRET, { HASH, HASH }))
    assert.is_false(idv.verify(EMAIL, SECRET, 12345))
  end)

  it("checks the secret first: a bad secret is an error even with a nil hash", function()
    local ok, err = idv.verify(EMAIL, "", nil)
    assert.is_nil(ok)
    assert.is_truthy(err:find("^pylon_idv: invalid secret: empty"))
  end)

  it("raises for arguments of the wrong type", function()
    for _, args in ipairs({ { nil, SECRET }, { {}, SECRET }, { true, SECRET }, { EMAIL, nil },
                            { EMAIL, {} }, { EMAIL, false }, { EMAIL } }) do
      assert.has_error(function() idv.sign(args[1], args[2]) end)
      assert.has_error(function() idv.verify(args[1], args[2], HASH) end)
    end
    assert.has_error(function() idv.sign() end)
    assert.has_error(function() idv.new() end)
    assert.has_error(function() idv.new({}) end)
    assert.has_error(function() idv.new(SECRET, "not a table") end)
    assert.has_error(function() idv.new(SECRET, { SECRET, {} }) end)
    assert.has_error(function() idv.from_key() end)
    assert.has_error(function() idv.from_key(nil) end)
    local ok, err = pcall(idv.sign, nil, SECRET)
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("bad argument #1", 1, true), err)
  end)

  it("coerces a number email as luaL_checklstring does, but a secret must be a string", function()
    assert.are.equal(idv.sign("12", SECRET), idv.sign(12, SECRET))
    -- idv.sign(e, 0x1234) would key HMAC with the text "4660"; 1e3 reads "1000.0" on 5.3
    for _, call in ipairs({
      function() return idv.sign(EMAIL, 12) end,
      function() return idv.sign(EMAIL, 0x1234) end,
      function() return idv.verify(EMAIL, 1e3, HASH) end,
      function() return idv.new(12) end,
      function() return idv.new(SECRET, { 12 }) end,
      function() return idv.diagnose(EMAIL, 12, HASH) end,
      function() return idv.chat_settings_script(EMAIL, 12, { app_id = "a" }) end,
    }) do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find("expected, got number", 1, true), err)
    end
  end)

  it("refuses a swapped call loudly (an email is not hex)", function()
    local ok, err = idv.sign(SECRET, EMAIL)
    assert.is_nil(ok)
    assert.is_truthy(err:find("invalid hex digit at position 0", 1, true))
  end)
end)

describe("idv.generate_secret", function()
  it("returns 64 lowercase hex digits, a usable and different secret each time", function()
    local a, b = idv.generate_secret(), idv.generate_secret()
    assert.is_truthy(a:match("^[0-9a-f]+$"))
    assert.are.equal(64, #a)
    assert.are_not.equal(a, b)
    assert.are.equal(64, #idv.sign(EMAIL, a))
  end)
end)

describe("signer", function()
  it("equals the one-shot functions", function()
    local s = assert(idv.new(SECRET))
    assert.are.equal(HASH, s:sign(EMAIL))
    assert.is_true(s:verify(EMAIL, HASH))
    assert.is_false(s:verify(EMAIL, nil))
    assert.is_false(s:verify(EMAIL, HASH:sub(2)))
    assert.are.equal(0, s:match(EMAIL, HASH))
    assert.is_nil(s:match(EMAIL, "nope"))
    assert.is_nil(s:match(EMAIL))
    for i = 1, 200 do
      local e = string.rep("e", i)
      assert.are.equal(idv.sign(e, SECRET), s:sign(e))
    end
  end)

  it("has a 16-digit fingerprint and shows only that in tostring", function()
    local s = idv.new(SECRET)
    local fp = s:fingerprint()
    assert.is_truthy(fp:match("^[0-9a-f]+$"))
    assert.are.equal(16, #fp)
    assert.are.equal(fp, idv.new(" " .. SECRET:upper() .. "\n"):fingerprint())
    assert.are_not.equal(fp, idv.new(idv.generate_secret()):fingerprint())
    assert.are.equal("pylon_idv.signer: " .. fp, tostring(s))
    assert.is_falsy(tostring(s):find(SECRET:sub(1, 8), 1, true))
    -- HMAC(key, "pylon_idv fingerprint v1"): the from_key signer with the decoded key agrees
    assert.are.equal(fp, idv.from_key(H.unhex(SECRET)):fingerprint())
  end)

  it("keeps its methods in an __index table", function()
    local mt = debug.getmetatable(idv.new(SECRET))
    assert.are.equal("table", type(mt.__index))
    for _, m in ipairs({ "sign", "verify", "match", "fingerprint" }) do
      assert.are.equal("function", type(mt.__index[m]), m)
    end
  end)

  it("raises when a method is called on something else", function()
    local s = idv.new(SECRET)
    assert.has_error(function() s.sign(EMAIL) end)
    assert.has_error(function() s.sign({}, EMAIL) end)
    assert.has_error(function() s.fingerprint(io.stdout) end)
    assert.has_error(function() s:sign(nil) end)
    assert.has_error(function() s:sign({}) end)
  end)

  it("returns nil and a message for a bad secret", function()
    local s, err = idv.new("abc")
    assert.is_nil(s)
    assert.are.equal("pylon_idv: invalid secret: odd number of hex digits", err)
    s, err = idv.new("  zz")
    assert.is_nil(s)
    assert.are.equal("pylon_idv: invalid secret: invalid hex digit at position 2", err)
  end)

  it("from_key keys HMAC with the bytes themselves, and refuses an empty key", function()
    local raw = "my-vendor-secret-string"
    local s = assert(idv.from_key(raw))
    assert.are.equal(idv.sign(EMAIL, H.tohex(raw)), s:sign(EMAIL))
    local k, err = idv.from_key("")
    assert.is_nil(k)
    assert.are.equal("pylon_idv: invalid key: empty (no bytes)", err)   -- not "whitespace"
    assert.are.equal(64, #idv.from_key("\0"):sign(EMAIL))
  end)
end)

-- Under LuaJIT with the JIT on, signer:sign is a Lua function over an FFI call of the core
-- (bindings/lua/pylon_idv.c, ffi_glue); elsewhere the C method. These hold for both paths.
describe("signer:sign, the FFI path under LuaJIT and the C method elsewhere", function()
  local jit_on = H.is_luajit and jit.status()

  it("is the FFI path exactly where LuaJIT's JIT is on", function()
    local sign = debug.getmetatable(assert(idv.new(SECRET))).__index.sign
    local info = debug.getinfo(sign, "S")
    if jit_on then
      assert.are.same({ "Lua", "=pylon_idv.ffi" }, { info.what, info.source })
    else
      assert.are.equal("C", info.what)
    end
  end)

  it("gives the one-shot's hash for every length, NULs and high bytes, once compiled", function()
    local s = assert(idv.new(SECRET))
    local emails = {}
    for n = 0, 300 do
      emails[#emails + 1] = string.rep("\0\255e", 100):sub(1, n)
    end
    local want = {}
    for i, e in ipairs(emails) do want[i] = idv.sign(e, SECRET) end
    for _ = 1, 3 do            -- the loop and the method are hot after the first pass
      for i, e in ipairs(emails) do
        if s:sign(e) ~= want[i] then
          error(("length %d: %s, want %s"):format(#e, s:sign(e), want[i]))
        end
      end
    end
    assert.are.equal(idv.sign(string.rep("x", 1048576), SECRET), s:sign(string.rep("x", 1048576)))
  end)

  it("coerces a number email as luaL_checklstring does", function()
    local s = assert(idv.new(SECRET))
    for _, x in ipairs({ 12, -7, 1.5, 2 ^ 40 }) do
      assert.are.equal(idv.sign(tostring(x), SECRET), s:sign(x))
      assert.are.equal(idv.sign(x, SECRET), s:sign(x))
    end
  end)

  it("raises the C method's messages, naming the method and the argument", function()
    local s = assert(idv.new(SECRET))
    local function message(f)
      local ok, err = pcall(f)
      assert.is_false(ok)
      return (tostring(err):gsub("^[^:]*:%d+: ", ""))       -- the caller's position
    end
    assert.are.equal("bad argument #1 to 'sign' (string expected, got table)",
                     message(function() local h = s:sign({}) return h end))
    assert.are.equal("bad argument #1 to 'sign' (string expected, got no value)",
                     message(function() local h = s:sign() return h end))
    assert.are.equal("bad argument #1 to 'sign' (string expected, got nil)",
                     message(function() local h = s:sign(nil) return h end))
    assert.are.equal("bad argument #1 to 'sign' (pylon_idv.signer expected, got string)",
                     message(function() local h = s.sign(EMAIL) return h end))
    assert.are.equal("bad argument #1 to 'sign' (pylon_idv.signer expected, got table)",
                     message(function() local h = s.sign({}, EMAIL) return h end))
    debug.getmetatable(s).__gc(s)
    assert.are.equal("pylon_idv: attempt to use a closed signer",
                     message(function() local h = s:sign(EMAIL) return h end))
  end)

  it("returns its own hash when another sign runs inside it (a debug hook)", function()
    local s, other = assert(idv.new(SECRET)), assert(idv.new(string.rep("ab", 32)))
    local inner = 0
    debug.sethook(function()   -- after every instruction (a hook runs no hook inside it)
      inner = inner + 1
      assert(other:sign("x") ~= HASH)
    end, "", 1)
    local got = {}
    for i = 1, 50 do got[i] = s:sign(EMAIL) end
    debug.sethook()
    assert.is_true(inner > 50)
    for i = 1, 50 do assert.are.equal(HASH, got[i], i) end
  end)
end)

describe("rotation", function()
  local old1, old2 = idv.generate_secret(), idv.generate_secret()
  local s = assert(idv.new(SECRET, { old1, old2 }))

  it("signs with the current secret", function()
    assert.are.equal(HASH, s:sign(EMAIL))
  end)

  it("verifies against every secret, and match says which", function()
    assert.are.equal(0, s:match(EMAIL, HASH))
    assert.are.equal(1, s:match(EMAIL, idv.sign(EMAIL, old1)))
    assert.are.equal(2, s:match(EMAIL, idv.sign(EMAIL, old2)))
    assert.is_true(s:verify(EMAIL, idv.sign(EMAIL, old2)))
    assert.is_nil(s:match(EMAIL, idv.sign(EMAIL, idv.generate_secret())))
    assert.is_false(s:verify(EMAIL, idv.sign("other@example.com", old1)))
    assert.are.equal("number", type(s:match(EMAIL, HASH)))
    if math.type then assert.are.equal("integer", math.type(s:match(EMAIL, HASH))) end
  end)

  it("keeps the current fingerprint", function()
    assert.are.equal(idv.new(SECRET):fingerprint(), s:fingerprint())
  end)

  it("accepts an empty list and nil", function()
    assert.are.equal(HASH, idv.new(SECRET, {}):sign(EMAIL))
    assert.are.equal(HASH, idv.new(SECRET, nil):sign(EMAIL))
  end)

  it("takes a sequence only: keys 1..n and nothing else, each a string", function()
    local err_list = "previous secrets must be a list (keys 1..n only)"
    for _, bad in ipairs({ { old = old1 }, { old1, old = old2 }, { [1] = old1, [3] = old2 },
                           { [2] = old1 }, { [0] = old1 }, { [1.5] = old1 },
                           { [-1] = old1 }, { old1, [true] = old2 } }) do
      local ok, err = pcall(idv.new, SECRET, bad)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find(err_list, 1, true), err)
    end
    for _, bad in ipairs({ { old1, 5 }, { old1, {} }, { old1, true } }) do
      local ok, err = pcall(idv.new, SECRET, bad)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find("previous secret #2: string expected", 1, true), err)
    end
    local ok = pcall(idv.new, SECRET, "not a table")
    assert.is_false(ok)
    assert.are.equal(2, idv.new(SECRET, { [1] = old1, [2] = old2 }):match(EMAIL, idv.sign(EMAIL, old2)))
  end)

  it("reads a list with a metatable through it (a read-only proxy), never as empty", function()
    local raw = { old1, old2 }
    local proxy = setmetatable({}, { __index = raw, __len = function() return #raw end,
                                     __newindex = function() error("read-only") end })
    local s2 = idv.new(SECRET, proxy)
    assert.are.equal(1, s2:match(EMAIL, idv.sign(EMAIL, old1)))
    assert.are.equal(2, s2:match(EMAIL, idv.sign(EMAIL, old2)))
    -- __index only (no __len): entries 1, 2, ... until the first nil
    local s3 = idv.new(SECRET, setmetatable({}, { __index = function(_, i) return raw[i] end }))
    assert.are.equal(2, s3:match(EMAIL, idv.sign(EMAIL, old2)))
    -- a __len that disagrees with the entries is refused, saying why
    local liar = setmetatable({}, { __index = raw, __len = function() return 5 end })
    local ok, err = pcall(idv.new, SECRET, liar)
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("its __len does not say 2", 1, true), err)
    -- a bad entry read through the proxy is named like any other
    local n, e2 = idv.new(SECRET, setmetatable({}, { __index = { old1, "xyz" } }))
    assert.is_nil(n)
    assert.is_truthy(e2:find("(previous secret #2)", 1, true), e2)
  end)

  it("gives the parts of an error as data, a third value", function()
    local n, err, parts = idv.new(SECRET, { old1, "00zz" })
    assert.is_nil(n)
    assert.are.equal("pylon_idv: " .. parts.reason, err)
    assert.are.equal(-3, parts.status)
    assert.are.equal(2, parts.position)
    assert.are.equal(2, parts.which)
    local _, _, p2 = idv.sign(EMAIL, "abc")
    assert.are.same({ status = -2, reason = "invalid secret: odd number of hex digits",
                      position = 3, which = 0 }, p2)
    local _, _, p3 = idv.sign(EMAIL, "  ")
    assert.are.same({ status = -1, reason = "invalid secret: empty (nothing but whitespace)",
                      which = 0 }, p3)
    local _, _, p4 = idv.from_key("")
    assert.are.same({ status = -1, reason = "invalid key: empty (no bytes)" }, p4)
  end)

  it("names the previous secret that is bad", function()
    local n, err = idv.new(SECRET, { old1, "xyz" })
    assert.is_nil(n)
    assert.are.equal("pylon_idv: invalid secret: invalid hex digit at position 0 " ..
                     "(previous secret #2)", err)
  end)
end)

describe("userdata lifetime", function()
  it("__gc wipes, is safe to run twice, and a freed signer raises instead of crashing", function()
    local s = idv.new(SECRET)
    local gc = debug.getmetatable(s).__gc
    gc(s)
    gc(s)
    assert.are.equal("pylon_idv.signer: closed", tostring(s))
    for _, call in ipairs({
      function() return s:sign(EMAIL) end,
      function() return s:verify(EMAIL, HASH) end,
      function() return s:match(EMAIL, HASH) end,
      function() return s:fingerprint() end,
    }) do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find("closed signer", 1, true), err)
    end
  end)

  it("collects signers that are no longer referenced", function()
    local weak = setmetatable({}, { __mode = "v" })
    weak[1] = idv.new(SECRET)
    H.full_gc()
    assert.is_nil(weak[1])
  end)

  -- `local x <close>` is Lua 5.4 syntax; on 5.1-5.3 and LuaJIT the chunk would not even parse,
  -- and those versions have no __close metamethod, so the test is for 5.4 only.
  local has_close = H.lua_version >= "5.4" and not H.is_luajit
  ;(has_close and it or pending)("__close (Lua 5.4 only) frees the signer at the end of its scope", function()
    local chunk = assert(load([[
      local idv, secret, fail = ...
      local escaped
      do
        local s <close> = assert(idv.new(secret))
        escaped = s
        assert(#s:sign("x") == 64)
        if fail then error("boom") end
      end
      return escaped
    ]]))
    local s = chunk(idv, SECRET, false)
    assert.are.equal("pylon_idv.signer: closed", tostring(s))
    assert.has_error(function() s:sign(EMAIL) end)
    -- closed on the error path too, and __gc afterwards is harmless
    local s2
    local ok = pcall(function()
      local inner = assert(load([[
        local idv, secret, out = ...
        local s <close> = assert(idv.new(secret))
        out[1] = s
        error("boom")
      ]]))
      local out = {}
      local ok2, e = pcall(inner, idv, SECRET, out)
      s2 = out[1]
      error(e)
    end)
    assert.is_false(ok)
    assert.are.equal("pylon_idv.signer: closed", tostring(s2))
    debug.getmetatable(s2).__gc(s2)
    assert.is_true(debug.getmetatable(s2).__close == debug.getmetatable(s2).__gc)
  end)
end)
