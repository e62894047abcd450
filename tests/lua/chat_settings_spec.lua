-- chat_settings_spec.lua -- idv.chat_settings_script / _json / _data (email, secret_or_signer,
-- fields [, opts]) and idv.widget_script: the core's one settings builder (settings.c) as seen
-- from Lua. Hostile values must neither close the element nor start a comment, and decoding
-- the JSON gives the values back. The exact bytes: page_spec.lua (tests/vectors/page.tsv).
local idv = H.idv

local SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
local EMAIL = "jane@example.com"
local HASH = "386c49f4b2c6be922a05a7be7d380e49fba9a38cdb79d5378defc663716f3e6e"
local HEAD = "<script>(function(w,O){var p=w.pylon,q=p&&typeof p==\"object\"?O.getPrototypeOf(p):1;"
  .. "if(q!==O.prototype&&(q!==null||p.window===p))w.pylon=p={};p.chat_settings="
local TAIL = "})(window,Object);</script>"
local FFFD = "\239\191\189"

-- ---------------------------------------------------------------- a strict JSON decoder
-- Enough JSON for one flat object (strings, numbers, booleans); rejects anything else, raw
-- control characters in strings included. Returns the table and the keys in order.
local function utf8_char(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then return string.char(0xc0 + math.floor(cp / 64), 0x80 + cp % 64) end
  if cp < 0x10000 then
    return string.char(0xe0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return string.char(0xf0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
                     0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end

local function decode(s)
  local i = 1
  local function fail(why) error(("JSON: %s at byte %d of %q"):format(why, i, s), 0) end
  local function peek() return s:sub(i, i) end
  local function expect(c) if peek() ~= c then fail("expected " .. c) end i = i + 1 end
  local function str()
    expect('"')
    local out = {}
    while true do
      local c = peek()
      if c == "" then fail("unterminated string") end
      if c == '"' then i = i + 1; break end
      if c:byte() < 0x20 then fail("raw control character") end
      if c == "\\" then
        local e = s:sub(i + 1, i + 1)
        local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f",
                         n = "\n", r = "\r", t = "\t" }
        if simple[e] then
          out[#out + 1] = simple[e]; i = i + 2
        elseif e == "u" then
          local hex = s:sub(i + 2, i + 5)
          if not hex:match("^%x%x%x%x$") then fail("bad \\u escape") end
          local cp = tonumber(hex, 16)
          i = i + 6
          if cp >= 0xd800 and cp <= 0xdbff then
            local lo = s:match("^\\u(%x%x%x%x)", i)
            if not lo or tonumber(lo, 16) < 0xdc00 or tonumber(lo, 16) > 0xdfff then fail("lone surrogate") end
            cp = 0x10000 + (cp - 0xd800) * 1024 + (tonumber(lo, 16) - 0xdc00)
            i = i + 6
          elseif cp >= 0xdc00 and cp <= 0xdfff then
            fail("lone surrogate")
          end
          out[#out + 1] = utf8_char(cp)
        else
          fail("bad escape")
        end
      else
        out[#out + 1] = c; i = i + 1
      end
    end
    return table.concat(out)
  end
  local function value()
    local c = peek()
    if c == '"' then return str() end
    if s:sub(i, i + 3) == "true" then i = i + 4; return true end
    if s:sub(i, i + 4) == "false" then i = i + 5; return false end
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if not num or num == "" or not num:match("^-?%d") then fail("unexpected value") end
    if not num:match("^-?0$") and not num:match("^-?0[.eE]") and num:match("^-?0") then fail("leading zero") end
    i = i + #num
    return assert(tonumber(num)), num
  end
  local obj, keys, texts = {}, {}, {}
  expect("{")
  if peek() ~= "}" then
    while true do
      local k = str()
      expect(":")
      local v, text = value()
      if obj[k] ~= nil then fail("duplicate key " .. k) end
      obj[k], texts[k] = v, text
      keys[#keys + 1] = k
      if peek() == "," then i = i + 1 else break end
    end
  end
  expect("}")
  if i <= #s then fail("trailing bytes") end
  return obj, keys, texts
end

-- The JSON of a script element, after the checks every output must pass.
local function json_of(script)
  assert.are.equal("string", type(script))
  assert.are.equal(HEAD, script:sub(1, #HEAD))
  assert.are.equal(TAIL, script:sub(-#TAIL))
  local lower = script:lower()
  assert.are.equal(#script - 8, lower:find("</script", 1, true), "a </script before the end")
  assert.is_nil(script:find("<!--", 1, true))
  local json = script:sub(#HEAD + 1, -#TAIL - 1)
  for _, bad in ipairs({ "<", ">", "&", "\226\128\168", "\226\128\169" }) do
    assert.is_nil(json:find(bad, 1, true), "raw " .. bad .. " in the JSON")
  end
  assert.is_nil(json:find("[%z\1-\31\127]"), "raw control character in the JSON")
  return json
end

local function settings(email, s, fields)
  local script = assert(idv.chat_settings_script(email, s, fields))
  return decode(json_of(script))
end

local HOSTILE = {
  "</script><script>alert(1)</script>",
  "</SCRIPT><script>alert(1)</script>",
  "<!--", "<!-- <script>", "-->", "]]>",
  "\226\128\168", "a\226\128\169b",                        -- U+2028, U+2029
  '"', "'", '\\"', "\\", "`${alert(1)}`",
  "\0", "a\0b", "\n\r\t\b\f\127", "\27[0m",
  "&lt;&amp;", "<img src=x onerror=alert(1)>",
  "Zoë 😀 漢字",
}
-- invalid UTF-8: an error (nil, err), never a replacement character: the hash is of the bytes
local INVALID = {
  "\255", "a\254b", "\192\175", "\237\160\128", "x\226\128", "\244\144\128\128", "<\255/script>",
}

describe("idv.chat_settings_script", function()
  it("sets window.pylon.chat_settings: app_id, email, email_hash, then the fields", function()
    local script = idv.chat_settings_script(EMAIL, SECRET, { app_id = "app-123", name = "Jane Doe" })
    assert.are.equal(HEAD .. '{"app_id":"app-123","email":"jane@example.com","email_hash":"' .. HASH ..
                     '","name":"Jane Doe"}' .. TAIL, script)
    local obj = decode(json_of(script))
    assert.are.same({ app_id = "app-123", email = EMAIL, email_hash = HASH, name = "Jane Doe" }, obj)
  end)

  it("has a nonce attribute only when given a nonce", function()
    local f = { app_id = "a" }
    local s = idv.chat_settings_script(EMAIL, SECRET, f, { nonce = "r4nd/+=_-" })
    assert.are.equal('<script nonce="r4nd/+=_-">', s:sub(1, 26))
    assert.are.equal(idv.chat_settings_script(EMAIL, SECRET, f),
                     "<script>" .. s:sub(27))
    assert.are.equal(idv.chat_settings_script(EMAIL, SECRET, f), idv.chat_settings_script(EMAIL, SECRET, f, {}))
  end)

  it("renders a visitor who is not logged in: app_id and the fields only", function()
    local obj, keys = settings(nil, SECRET, { app_id = "a", name = "Visitor" })
    assert.are.same({ app_id = "a", name = "Visitor" }, obj)
    assert.are.same({ "app_id", "name" }, keys)
    assert.are.equal('{"app_id":"a"}', idv.chat_settings_json(nil, idv.new(SECRET), { app_id = "a" }))
    -- the secret is still checked, so a bad one is loud from the first page view
    local r, err = idv.chat_settings_json(nil, "abc", { app_id = "a" })
    assert.is_nil(r)
    assert.are.equal("pylon_idv: invalid secret: odd number of hex digits", err)
  end)

  it("gives the same JSON in all three forms", function()
    local f = { app_id = "a", name = "</script>", n = 1, ok = true }
    local json = idv.chat_settings_json(EMAIL, SECRET, f)
    assert.are.equal(HEAD .. json .. TAIL, idv.chat_settings_script(EMAIL, SECRET, f))
    assert.are.equal('<script type="application/json" id="pylon-chat-settings">' .. json .. "</script>",
                     idv.chat_settings_data(EMAIL, SECRET, f))
  end)

  it("takes a signer as well as a secret, with the same result", function()
    local s = assert(idv.new(SECRET))
    local f = { app_id = "a", name = "n" }
    assert.are.equal(idv.chat_settings_script(EMAIL, SECRET, f), idv.chat_settings_script(EMAIL, s, f))
    local r = assert(idv.new(SECRET, { idv.generate_secret() }))
    assert.are.equal(HASH, (settings(EMAIL, r, f)).email_hash)
    local k = assert(idv.from_key("vendor-key"))
    assert.are.equal(k:sign(EMAIL), (settings(EMAIL, k, f)).email_hash)
  end)

  it("hashes the email exactly as given, and shows the same bytes", function()
    for _, e in ipairs({ " Jane@Example.com ", "a\0b", "", "x<y>@z", "\226\128\168@x" }) do
      local obj = settings(e, SECRET, { app_id = "a" })
      assert.are.equal(e, obj.email)
      assert.are.equal(idv.sign(e, SECRET), obj.email_hash)
    end
  end)

  it("keeps hostile values and names inert and gives them back decoded", function()
    for _, v in ipairs(HOSTILE) do
      local obj = settings(v, SECRET, { app_id = "a", name = v, [v] = v })
      assert.are.equal(v, obj.email)
      assert.are.equal(v, obj.name)
      if v ~= "name" then assert.are.equal(v, obj[v]) end
      assert.are.equal(idv.sign(v, SECRET), obj.email_hash)
    end
  end)

  it("escapes the markup characters as \\u escapes", function()
    local json = json_of(idv.chat_settings_script(EMAIL, SECRET,
      { app_id = "a", name = "</script>&\226\128\168\226\128\169" }))
    assert.is_truthy(json:find('"\\u003c/script\\u003e\\u0026\\u2028\\u2029"', 1, true), json)
  end)

  it("returns nil, err for invalid UTF-8 in the email, a name or a value", function()
    for _, c in ipairs(INVALID) do
      for _, args in ipairs({ { c, { app_id = "a" } }, { EMAIL, { app_id = "a", name = c } },
                              { EMAIL, { app_id = "a", [c] = "x" } } }) do
        local r, err = idv.chat_settings_script(args[1], SECRET, args[2])
        assert.is_nil(r)
        assert.is_truthy(err:find("^pylon_idv: .*not valid UTF%-8 text %(at byte %d+%)"), err)
      end
    end
  end)

  it("survives random hostile strings (seeded)", function()
    local pool = { "a", "Z", "0", " ", "<", ">", "&", "/", "!", "-", '"', "'", "\\", "\0", "\n",
                   "\31", "\127", "\226\128\168", "\226\128\169", "é", "😀", "script", "</" }
    math.randomseed(20240607)
    for _ = 1, 300 do
      local parts = {}
      for j = 1, math.random(0, 24) do parts[j] = pool[math.random(#pool)] end
      local v = table.concat(parts)
      local obj = settings(v, SECRET, { app_id = "a", name = v })
      assert.are.equal(v, obj.name)
      assert.are.equal(v, obj.email)
    end
  end)

  it("puts app_id, email, email_hash first, then the names sorted by bytes", function()
    local a = { app_id = "a", zeta = 1, alpha = 2, Beta = 3, name = "n", ["email2"] = 4 }
    local b = {}
    for _, k in ipairs({ "email2", "name", "Beta", "alpha", "zeta", "app_id" }) do b[k] = a[k] end
    local sa = idv.chat_settings_script(EMAIL, SECRET, a)
    assert.are.equal(sa, idv.chat_settings_script(EMAIL, SECRET, b))
    local _, keys = decode(json_of(sa))
    assert.are.same({ "app_id", "email", "email_hash", "Beta", "alpha", "email2", "name", "zeta" }, keys)
  end)

  it("writes numbers as JavaScript does: the shortest form that reads back", function()
    local obj, _, texts = settings(EMAIL, SECRET, { app_id = "a", i = 42, neg = -7, zero = 0,
      f = 0.1, third = 1 / 3, big = 1e300, tiny = 5e-324, half = 2.5, mz = tonumber("-0.0"), fi = 3.0,
      e21 = 1e21, small = 1e-7 })
    assert.are.equal("42", texts.i)
    assert.are.equal("-7", texts.neg)
    assert.are.equal("0", texts.zero)
    assert.are.equal("3", texts.fi)
    assert.are.equal("2.5", texts.half)
    assert.are.equal("0.1", texts.f)
    assert.are.equal("0.3333333333333333", texts.third)
    assert.are.equal("1e+300", texts.big)
    assert.are.equal("5e-324", texts.tiny)
    assert.are.equal("-0", texts.mz)
    assert.are.equal("1e+21", texts.e21)
    assert.are.equal("1e-7", texts.small)
    for _, k in ipairs({ "f", "third", "big", "tiny", "half" }) do
      assert.are.equal(({ f = 0.1, third = 1 / 3, big = 1e300, tiny = 5e-324, half = 2.5 })[k], obj[k])
    end
    local _, _, t = settings(EMAIL, SECRET, { app_id = "a", max = 2 ^ 53 - 1, min = -(2 ^ 53 - 1) })
    assert.are.equal("9007199254740991", t.max)
    assert.are.equal("-9007199254740991", t.min)
  end)

  it("returns nil, err for integers beyond +-(2^53 - 1) (Lua 5.3+) and for NaN, infinities", function()
    local bad = { 0 / 0, math.huge, -math.huge }
    if math.type then
      bad[#bad + 1] = math.tointeger(2 ^ 53)
      bad[#bad + 1] = math.maxinteger
      bad[#bad + 1] = math.mininteger
    end
    for _, x in ipairs(bad) do
      local r, err = idv.chat_settings_script(EMAIL, SECRET, { app_id = "a", n = x })
      assert.is_nil(r)
      assert.is_truthy(err:find("^pylon_idv: field 'n': "), err)
    end
  end)

  it("writes booleans", function()
    local obj = settings(EMAIL, SECRET, { app_id = "a", t = true, f = false })
    assert.are.equal(true, obj.t)
    assert.are.equal(false, obj.f)
  end)

  it("handles large values (beyond any stack buffer)", function()
    local v = string.rep("</script>\226\128\168", 20000)
    local obj = settings(EMAIL, SECRET, { app_id = "a", name = v, other = string.rep("x", 70000) })
    assert.are.equal(v, obj.name)
    assert.are.equal(70000, #obj.other)
  end)

  it("returns nil and the message of sign for a bad secret", function()
    for _, bad in ipairs({ "", "  ", "abc", "8f3g", SECRET:sub(1, 17) .. "G" .. SECRET:sub(19) }) do
      local s, err = idv.chat_settings_script(EMAIL, bad, { app_id = "a" })
      assert.is_nil(s)
      assert.are.equal(select(2, idv.sign(EMAIL, bad)), err)
      assert.is_truthy(err:find("^pylon_idv: invalid secret: "))
    end
  end)

  it("raises for a missing or malformed app_id", function()
    for _, f in ipairs({ {}, { name = "n" }, { app_id = "" }, { app_id = 12 }, { app_id = true },
                         { ["app_id\0"] = "a" }, { app_id = "a b" }, { app_id = "a/../b" },
                         { app_id = "</script>" }, { app_id = "é" } }) do
      local ok, err = pcall(idv.chat_settings_script, EMAIL, SECRET, f)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find("app_id", 1, true), err)
    end
  end)

  it("raises for email, email_hash, nonce and __proto__ among the fields", function()
    for _, k in ipairs({ "email", "email_hash", "nonce", "__proto__" }) do
      local ok, err = pcall(idv.chat_settings_script, EMAIL, SECRET, { app_id = "a", [k] = "x" })
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find("^pylon_idv: "), err)
    end
    -- names that only start like them are ordinary fields
    local obj = settings(EMAIL, SECRET, { app_id = "a", ["email\0"] = "x", email_hash2 = "y" })
    assert.are.equal("x", obj["email\0"])
  end)

  it("raises for a malformed nonce or an unknown option", function()
    for _, o in ipairs({ { nonce = "" }, { nonce = string.rep("a", 257) }, { nonce = 'a"b' },
                         { nonce = "a b" }, { nonce = 12 }, { nonse = "abc" }, "abc" }) do
      assert.has_error(function() idv.chat_settings_script(EMAIL, SECRET, { app_id = "a" }, o) end)
    end
    assert.is_string(idv.chat_settings_script(EMAIL, SECRET, { app_id = "a" }, { nonce = string.rep("a", 256) }))
  end)

  it("refuses any option to the JSON text and the data element (they take none)", function()
    for _, fn in ipairs({ idv.chat_settings_json, idv.chat_settings_data }) do
      for _, o in ipairs({ { nonce = "abc" }, { nonse = "abc" }, "abc" }) do
        local ok, err = pcall(fn, EMAIL, SECRET, { app_id = "a" }, o)
        assert.is_false(ok)
        assert.is_truthy(tostring(err):find("bad argument #4", 1, true), err)
      end
      assert.is_string(fn(EMAIL, SECRET, { app_id = "a" }, nil))
      assert.is_string(fn(EMAIL, SECRET, { app_id = "a" }, {}))
    end
  end)

  it("names a function one way in every message: as Lua's own argument errors do", function()
    local _, e1 = pcall(idv.chat_settings_script, EMAIL, SECRET, { app_id = "a" }, { nonse = "x" })
    local _, e2 = pcall(idv.chat_settings_script, EMAIL, SECRET, { app_id = "a", x = {} })
    local _, e3 = pcall(idv.chat_settings_script, EMAIL, SECRET, 5)
    local function fname(e) return tostring(e):match("bad argument #%d+ to '([^']+)'") end
    assert.is_string(fname(e3), e3)
    assert.are.equal(fname(e3), fname(e1))
    assert.are.equal(fname(e3), fname(e2))
  end)

  it("raises for arguments and fields of the wrong type", function()
    local f = { app_id = "a" }
    local s = idv.new(SECRET)
    for _, call in ipairs({
      function() return idv.chat_settings_script({}, SECRET, f) end,
      function() return idv.chat_settings_script(EMAIL, nil, f) end,
      function() return idv.chat_settings_script(EMAIL, true, f) end,
      function() return idv.chat_settings_script(EMAIL, 1234, f) end,   -- a secret must be a string
      function() return idv.chat_settings_script(EMAIL, {}, f) end,
      function() return idv.chat_settings_script(EMAIL, io.stdout, f) end,
      function() return idv.chat_settings_script(EMAIL, SECRET) end,
      function() return idv.chat_settings_script(EMAIL, SECRET, "app_id") end,
      function() return idv.chat_settings_script(EMAIL, s, { app_id = "a", "list item" }) end,
      function() return idv.chat_settings_script(EMAIL, s, { app_id = "a", [true] = 1 }) end,
      function() return idv.chat_settings_script(EMAIL, s, { app_id = "a", t = {} }) end,
      function() return idv.chat_settings_script(EMAIL, s, { app_id = "a", fn = print }) end,
      function() return idv.chat_settings_script(EMAIL, s, { app_id = "a", u = io.stdout }) end,
      function() return idv.chat_settings_json(EMAIL, s, { app_id = "a", t = {} }) end,
      function() return idv.chat_settings_data(EMAIL, s, { app_id = "a", t = {} }) end,
    }) do
      assert.has_error(call)
    end
    -- a type error raises before the secret is even looked at
    assert.has_error(function() idv.chat_settings_script(EMAIL, "zz", { app_id = "a", t = {} }) end)
  end)

  it("raises for a closed signer", function()
    local s = idv.new(SECRET)
    debug.getmetatable(s).__gc(s)
    local ok, err = pcall(idv.chat_settings_script, EMAIL, s, { app_id = "a" })
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("closed signer", 1, true), err)
  end)

  it("coerces a number email as luaL_checklstring does; a number secret raises", function()
    assert.are.equal(idv.sign("12", SECRET), (settings(12, SECRET, { app_id = "a" })).email_hash)
    assert.has_error(function() idv.chat_settings_script(EMAIL, 12, { app_id = "a" }) end)
  end)

  it("never shows the secret, in a result or a message", function()
    local script = idv.chat_settings_script(EMAIL, SECRET, { app_id = "a" })
    assert.is_nil(script:find(SECRET:sub(1, 16), 1, true))
    local bad = SECRET:sub(1, 40) .. "x" .. SECRET:sub(42)
    local _, err = idv.chat_settings_script(EMAIL, bad, { app_id = "a" })
    assert.is_nil(err:find(SECRET:sub(1, 8), 1, true))
  end)
end)

describe("idv.widget_script", function()
  local URL = "https://widget.usepylon.com/widget/"
  it("loads the widget for the app id, with the window.Pylon queue", function()
    local s = idv.widget_script("app-0123")
    assert.are.equal("<script>", s:sub(1, 8))
    assert.is_truthy(s:find('s.src="' .. URL .. 'app-0123"', 1, true))
    assert.is_truthy(s:find("if(!(P instanceof Function)){", 1, true))
    assert.is_truthy(s:find("w.Pylon=P}", 1, true))
    assert.are.equal("</script>", s:sub(-9))
    assert.are.equal(1, select(2, s:lower():gsub("</script", "")))
  end)
  it("takes a nonce", function()
    local s = idv.widget_script("a", { nonce = "abc" })
    assert.are.equal('<script nonce="abc">', s:sub(1, 20))
    assert.are.equal(idv.widget_script("a"), "<script>" .. s:sub(21))
  end)
  it("raises for a bad app id or nonce", function()
    for _, args in ipairs({ { "" }, { "a b" }, { '"x' }, { {} }, { nil }, { "a", { nonce = "" } },
                            { "a", { nonce = "<>" } }, { "a", { other = 1 } } }) do
      assert.has_error(function() idv.widget_script(args[1], args[2]) end)
    end
  end)
end)
