-- page_spec.lua -- the page golden files, shared with the C and Python suites:
-- tests/vectors/page.tsv (settings in, exact bytes out, for chat_settings_json / _script /
-- _data and widget_script) and page_errors.tsv (one bad input per rule: raise or nil, err,
-- and the exact message). Each row with the secret as text and as a signer.
local idv = H.idv

local SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
local has_integers = math.type ~= nil                -- Lua 5.3+

local function opt_hex(s) if s == "-" then return nil end return H.unhex(s) end

local function number(text)
  if text == "nan" then return 0 / 0 end
  if text == "inf" then return math.huge end
  if text == "-inf" then return -math.huge end
  return assert(tonumber(text), text)
end

-- "t:keyhex:value,..." -> a Lua fields table (None fields left out: Lua has no such value)
local function fields_of(text, app_id)
  local f = { app_id = app_id }
  for item in text:gmatch("[^,]+") do
    local t, k, v = item:match("^(%a):(%x*):(.*)$")
    k = H.unhex(k)
    if t == "s" then f[k] = H.unhex(v)
    elseif t == "b" then f[k] = v == "true"
    elseif t == "i" then
      local n = number(v)
      if has_integers then n = math.tointeger(n) or tonumber(v) end
      f[k] = n
    elseif t == "f" then
      local n = number(v)
      if has_integers and math.type(n) == "integer" then n = n + 0.0 end
      f[k] = n
    end
  end
  return f
end

local function call(kind, email, s, app_id, nonce, fields)
  local opts = nonce and { nonce = nonce } or nil
  if kind == "widget" then return idv.widget_script(app_id, opts) end
  local f = fields_of(fields, app_id)
  if kind == "json" then return idv.chat_settings_json(email, s, f) end
  if kind == "data" then return idv.chat_settings_data(email, s, f) end
  return idv.chat_settings_script(email, s, f, opts)
end

describe("page.tsv: the exact bytes", function()
  local rows = H.rows("page.tsv")
  it("has its rows", function() assert.is_true(#rows >= 60) end)
  for _, r in ipairs(rows) do
    it(r[1] .. " " .. r[2], function()
      local want = H.unhex(r[7])
      for _, s in ipairs({ SECRET, assert(idv.new(SECRET)) }) do
        local got, err = call(r[2], opt_hex(r[3]), s, H.unhex(r[4]), opt_hex(r[5]), r[6])
        assert.is_nil(err)
        assert.are.equal(want, got)
      end
    end)
  end
end)

describe("page_errors.tsv: one bad input per rule", function()
  for _, r in ipairs(H.rows("page_errors.tsv")) do
    local langs = r[12]
    local here = langs == "all" or langs:find("lua,") or langs:find("lua$")
                 or (has_integers and langs:find("lua53"))
    if here then
      it(r[1] .. ": " .. r[8] .. " -> " .. r[10], function()
        local secret = r[7] == "-" and SECRET or H.unhex(r[7])
        local want = "pylon_idv: " .. r[11]
        local ss = { secret }
        local signer = idv.new(secret)
        if signer then ss[2] = signer end
        for _, s in ipairs(ss) do
          local ok, got, err = pcall(call, r[2], opt_hex(r[3]), s, H.unhex(r[4]), opt_hex(r[5]), r[6])
          if r[10] == "raise" then
            assert.is_false(ok)
            assert.are.equal(want, got)
          else
            assert.is_true(ok, got)
            assert.is_nil(got)
            assert.are.equal(want, err)
          end
        end
      end)
    end
  end
end)

describe("idv.static_path", function()
  it("finds the folder of pylon-chat.js beside the Lua modules, as the rock installs it", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute(('mkdir -p "%s/pylon_idv/static"'):format(dir)))
    local src = H.read(H.root .. "/web/pylon-chat.js")
    local f = assert(io.open(dir .. "/pylon_idv/static/pylon-chat.js", "wb"))
    f:write(src)
    f:close()
    local saved = package.path
    package.path = "/nonexistent/?.lua;" .. dir .. "/?.lua;" .. saved
    local got = idv.static_path()
    package.path = "/nonexistent/?.lua"
    local none, err = idv.static_path()
    package.path = saved
    os.execute(('rm -rf "%s"'):format(dir))
    assert.are.equal(dir .. "/pylon_idv/static", got)
    assert.is_nil(none)
    assert.is_truthy(err:find("pylon-chat.js not found", 1, true))
  end)
end)
