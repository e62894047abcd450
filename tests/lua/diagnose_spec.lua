-- diagnose_spec.lua -- idv.diagnose(email, secret, hash) -> cause_name, message: each cause of
-- issue 7 built from the mistake it names, with the hashes computed independently in Lua by
-- luaossl (Debian lua-luaossl), as the C test does with OpenSSL's HMAC(); where the Lua has no
-- luaossl build (Lua 5.5 on Debian unstable: lua-luaossl is built for 5.1-5.4 only), the same
-- OpenSSL HMAC through the `openssl dgst` command.
local idv = H.idv

local ok_ossl, hmac = pcall(require, "openssl.hmac")
local ORACLE = ok_ossl and "luaossl" or "openssl dgst"

local SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
local KEY = H.unhex(SECRET)
local EMAIL = "Jane.Doe@Example.com"

local mac
if ok_ossl then
  mac = function(alg, key, msg) return hmac.new(key, alg):final(msg) end
else
  local p = io.popen("openssl version 2>/dev/null")
  local version = p and p:read("*a") or ""
  if p then p:close() end
  assert(version:find("SSL"), "diagnose_spec needs luaossl (apt install lua-luaossl) or the "
    .. "openssl command (apt install openssl): " .. tostring(hmac))
  mac = function(alg, key, msg)
    assert(alg:find("^%w+$") and #key > 0)
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write(msg)
    f:close()
    local cmd = assert(io.popen("openssl dgst -" .. alg .. " -mac HMAC -macopt hexkey:"
      .. H.tohex(key) .. " -binary '" .. path .. "'"))
    local out = cmd:read("*a")
    cmd:close()
    os.remove(path)
    assert(#out >= 16, "openssl dgst gave no MAC")
    return out
  end
end
local function hexmac(alg, key, msg) return H.tohex(mac(alg, key, msg)) end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s, url, pad)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local n = c and 4 or (b and 3 or 2)
    for j = 1, 4 do
      local d = math.floor(v / 2 ^ (6 * (4 - j))) % 64
      out[#out + 1] = j <= n and B64:sub(d + 1, d + 1) or (pad and "=" or "")
    end
  end
  local r = table.concat(out)
  if url then r = r:gsub("[+/]", { ["+"] = "-", ["/"] = "_" }) end
  return r
end

local CAUSES = { "match", "raw_secret", "email_case", "email_whitespace", "wrong_algorithm",
                 "base64_digest", "arguments_swapped", "truncated_secret", "invalid_secret",
                 "unknown" }

local function cause(email, secret, hash)
  local name, message = idv.diagnose(email, secret, hash)
  assert.are.equal("string", type(name))
  assert.are.equal("string", type(message))
  return name, message
end

describe("idv.diagnose", function()
  it("the oracle agrees with the library (" .. ORACLE .. " HMAC-SHA256 = idv.sign)", function()
    assert.are.equal(idv.sign(EMAIL, SECRET), hexmac("sha256", KEY, EMAIL))
  end)

  it("match, in either hex case", function()
    local h = hexmac("sha256", KEY, EMAIL)
    assert.are.equal("match", (cause(EMAIL, SECRET, h)))
    assert.are.equal("match", (cause(EMAIL, SECRET, h:upper())))
    assert.are.equal("match", (cause(EMAIL, " " .. SECRET:upper() .. "\n", h)))
  end)

  it("raw_secret: the secret's text used as the key bytes", function()
    assert.are.equal("raw_secret", (cause(EMAIL, SECRET, hexmac("sha256", SECRET, EMAIL))))
    -- the text as given or trimmed
    assert.are.equal("raw_secret", (cause(EMAIL, SECRET .. "\n", hexmac("sha256", SECRET, EMAIL))))
    -- also for a secret that is not hex at all (an Intercom-style string)
    local vendor = "sk_live_not-hex-at-all"
    assert.are.equal("raw_secret", (cause(EMAIL, vendor, hexmac("sha256", vendor, EMAIL))))
  end)

  it("email_case: the lower- or upper-cased email", function()
    assert.are.equal("email_case", (cause(EMAIL, SECRET, hexmac("sha256", KEY, EMAIL:lower()))))
    assert.are.equal("email_case", (cause(EMAIL, SECRET, hexmac("sha256", KEY, EMAIL:upper()))))
  end)

  it("email_whitespace: the email without its surrounding whitespace", function()
    local padded = "  jane@example.com\n"
    assert.are.equal("email_whitespace",
                     (cause(padded, SECRET, hexmac("sha256", KEY, "jane@example.com"))))
  end)

  it("wrong_algorithm: HMAC-SHA1 or HMAC-MD5 with the right key", function()
    assert.are.equal("wrong_algorithm", (cause(EMAIL, SECRET, hexmac("sha1", KEY, EMAIL))))
    assert.are.equal("wrong_algorithm", (cause(EMAIL, SECRET, hexmac("md5", KEY, EMAIL))))
    assert.are.equal("wrong_algorithm", (cause(EMAIL, SECRET, hexmac("sha1", KEY, EMAIL):upper())))
  end)

  it("base64_digest: the right tag, base64-encoded (standard or URL-safe, padded or not)", function()
    local tag = mac("sha256", KEY, EMAIL)
    for _, v in ipairs({ { false, true }, { false, false }, { true, true }, { true, false } }) do
      local b = base64(tag, v[1], v[2])
      assert.are.equal("base64_digest", (cause(EMAIL, SECRET, b)), b)
    end
    assert.are.equal(44, #base64(tag, false, true))
  end)

  it("arguments_swapped: the email as the key, the secret as the message", function()
    assert.are.equal("arguments_swapped", (cause(EMAIL, SECRET, hexmac("sha256", EMAIL, SECRET))))
  end)

  it("truncated_secret: a malformed secret decoded up to the first bad pair (Node)", function()
    local bad = SECRET:sub(1, 32) .. "-" .. SECRET:sub(34)          -- bad digit at position 32
    assert.is_nil(idv.sign(EMAIL, bad))
    assert.are.equal("truncated_secret", (cause(EMAIL, bad, hexmac("sha256", KEY:sub(1, 16), EMAIL))))
    -- odd length: Node drops the last digit
    assert.are.equal("truncated_secret",
                     (cause(EMAIL, SECRET:sub(1, 63), hexmac("sha256", KEY:sub(1, 31), EMAIL))))
  end)

  it("invalid_secret: a malformed secret that nothing explains", function()
    local bad = SECRET:sub(1, 32) .. "-" .. SECRET:sub(34)
    assert.are.equal("invalid_secret", (cause(EMAIL, bad, "00")))
    assert.are.equal("invalid_secret", (cause(EMAIL, "  ", "00")))
    assert.are.equal("invalid_secret", (cause(EMAIL, "", nil)))
  end)

  it("unknown otherwise, and a hash that is not a string counts as \"\"", function()
    assert.are.equal("unknown", (cause(EMAIL, SECRET, string.rep("0", 64))))
    for _, h in ipairs({ "", "abc", true, false, 12345, {} }) do
      assert.are.equal("unknown", (cause(EMAIL, SECRET, h)), tostring(h))
    end
    assert.are.equal("unknown", (cause(EMAIL, SECRET, nil)))
    assert.are.equal("unknown", (cause(EMAIL, SECRET)))
  end)

  it("names every cause of the contract, each with its own message and never the secret", function()
    local seen = {}
    local bad = SECRET:sub(1, 32) .. "-" .. SECRET:sub(34)
    local tag = mac("sha256", KEY, EMAIL)
    local cases = {
      { EMAIL, SECRET, H.tohex(tag) },
      { EMAIL, SECRET, hexmac("sha256", SECRET, EMAIL) },
      { EMAIL, SECRET, hexmac("sha256", KEY, EMAIL:lower()) },
      { " " .. EMAIL, SECRET, hexmac("sha256", KEY, EMAIL) },
      { EMAIL, SECRET, hexmac("md5", KEY, EMAIL) },
      { EMAIL, SECRET, base64(tag, false, true) },
      { EMAIL, SECRET, hexmac("sha256", EMAIL, SECRET) },
      { EMAIL, bad, hexmac("sha256", KEY:sub(1, 16), EMAIL) },
      { EMAIL, bad, "00" },
      { EMAIL, SECRET, "00" },
    }
    for i, c in ipairs(cases) do
      local name, message = cause(c[1], c[2], c[3])
      assert.are.equal(CAUSES[i], name)
      assert.is_true(#message > 20)
      for j = 1, #SECRET - 7, 8 do
        assert.is_falsy(message:find(SECRET:sub(j, j + 7), 1, true))
      end
      seen[message] = name
    end
    local distinct = 0
    for _ in pairs(seen) do distinct = distinct + 1 end
    assert.are.equal(#CAUSES, distinct)
  end)

  it("agrees with verify: match exactly when verify is true", function()
    for i = 0, 40 do
      local e = string.rep("a", i) .. "@x"
      local h = idv.sign(e, SECRET)
      assert.are.equal("match", (cause(e, SECRET, h)))
      assert.are_not.equal("match", (cause(e .. "!", SECRET, h)))
    end
  end)

  it("takes any bytes (NUL, long) and never raises on data", function()
    local e = "a\0b" .. string.rep("x", 5000)
    assert.are.equal("match", (cause(e, SECRET, idv.sign(e, SECRET))))
    assert.are.equal("unknown", (cause("", SECRET, "\0")))
    assert.are.equal("match", (cause("", SECRET, hexmac("sha256", KEY, ""))))
  end)

  it("raises for an email or secret of the wrong type; coerces a number email", function()
    for _, args in ipairs({ { nil, SECRET }, { {}, SECRET }, { true, SECRET },
                            { EMAIL, nil }, { EMAIL, {} }, { EMAIL, false }, { EMAIL, 12 } }) do
      assert.has_error(function() idv.diagnose(args[1], args[2], "00") end)
    end
    assert.are.equal("match", (cause(12, SECRET, idv.sign("12", SECRET))))
    local ok, err = pcall(idv.diagnose, EMAIL, nil, "00")
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find("bad argument #2", 1, true), err)
  end)
end)
