-- vectors_spec.lua -- the shared vectors (tests/vectors), as the C and Python suites read them.
local idv = H.idv

describe("public HMAC-SHA256 vectors (hmac_sha256.tsv)", function()
  local rows = H.rows("hmac_sha256.tsv")
  local n_sign, n_reject = 0, 0

  it("signs every 'sign' row and rejects every 'reject' row", function()
    for _, r in ipairs(rows) do
      local source, id, expect, key, msg, tag = r[1], r[2], r[3], r[4], H.unhex(r[5]), r[6]
      local what = source .. " " .. id
      local signer = assert(idv.new(key), what)
      if expect == "sign" then
        n_sign = n_sign + 1
        assert.are.equal(tag, idv.sign(msg, key), what)
        assert.are.equal(tag, idv.sign(msg, key:upper()), what)
        assert.is_true(idv.verify(msg, key, tag), what)
        assert.is_true(idv.verify(msg, key, tag:upper()), what)
        assert.are.equal(tag, signer:sign(msg), what)
        assert.is_true(signer:verify(msg, tag), what)
        assert.are.equal(0, signer:match(msg, tag), what)
        -- the same key as raw bytes: from_key is the hex-free path to the same signer
        assert.are.equal(tag, idv.from_key(H.unhex(key)):sign(msg), what)
      else
        assert.are.equal("reject", expect, what)
        n_reject = n_reject + 1
        assert.is_false(idv.verify(msg, key, tag), what)
        assert.is_false(signer:verify(msg, tag), what)
        assert.is_nil(signer:match(msg, tag), what)
      end
    end
    assert.is_true(n_sign >= 100 and n_reject >= 200,
                   ("too few vectors: %d sign, %d reject"):format(n_sign, n_reject))
  end)
end)

describe("cross-reference vectors (crossref.tsv)", function()
  local rows = H.rows("crossref.tsv")

  it("matches the Node and Python reference snippets byte for byte", function()
    for _, r in ipairs(rows) do
      local name, email, secret, hash = r[1], H.unhex(r[2]), H.unhex(r[3]), r[4]
      assert.are.equal(hash, idv.sign(email, secret), name)
      assert.is_true(idv.verify(email, secret, hash), name)
      local signer = assert(idv.new(secret), name)
      assert.are.equal(hash, signer:sign(email), name)
      assert.is_true(signer:verify(email, hash), name)
    end
    assert.is_true(#rows >= 200)
  end)

  it("fails verify for every flipped hex digit of a hash", function()
    local r = rows[1]
    local email, secret, hash = H.unhex(r[2]), H.unhex(r[3]), r[4]
    local signer = idv.new(secret)
    for i = 1, #hash do
      local c = hash:sub(i, i)
      local other = c == "0" and "1" or "0"
      local bad = hash:sub(1, i - 1) .. other .. hash:sub(i + 1)
      assert.is_false(idv.verify(email, secret, bad))
      assert.is_false(signer:verify(email, bad))
    end
  end)
end)

describe("malformed secrets (bad_secrets.tsv)", function()
  local rows = H.rows("bad_secrets.tsv")
  local expected = {
    EMPTY = "^pylon_idv: invalid secret: empty",
    ODD = "^pylon_idv: invalid secret: odd number of hex digits$",
    CHAR = "^pylon_idv: invalid secret: invalid hex digit at position (%d+)$",
  }

  -- Every entry point that takes a secret: one-shot sign and verify, new, and a previous secret.
  local function calls(secret)
    local good = string.rep("ab", 32)
    return {
      sign = { idv.sign("jane@example.com", secret) },
      verify = { idv.verify("jane@example.com", secret, string.rep("0", 64)) },
      verify_nil_hash = { idv.verify("jane@example.com", secret, nil) },
      new = { idv.new(secret) },
      previous = { idv.new(good, { good, secret }) },
    }
  end

  it("returns nil and a message with the status and position, for every row", function()
    for _, r in ipairs(rows) do
      local secret, status, position = H.unhex(r[1]), r[2], tonumber(r[3])
      local what = ("%q (%s %d)"):format(secret, status, position)
      for name, res in pairs(calls(secret)) do
        assert.is_nil(res[1], what .. " " .. name)
        local err = res[2]
        assert.are.equal("string", type(err), what .. " " .. name)
        if name == "previous" then
          local n
          err, n = err:gsub(" %(previous secret #2%)$", "")
          assert.are.equal(1, n, "previous secret not named: " .. err)
        end
        local pattern = assert(expected[status], "unknown status " .. status)
        assert.is_truthy(err:find(pattern), what .. " " .. name .. ": " .. err)
        if status == "CHAR" then
          assert.are.equal(position, tonumber(err:match(pattern)), what .. " " .. name)
        end
      end
    end
  end)

  it("never puts any part of the secret in the message", function()
    local secret = "0011223344556677889900aabbccddeeff0011223344556677889900aabbccdG"
    for _, s in ipairs({ secret, secret:sub(1, 63), " " .. secret:sub(1, 63) .. "\n" }) do
      for name, res in pairs(calls(s)) do
        local err = res[2]
        assert.are.equal("string", type(err), name)
        local trimmed = s:gsub("^%s+", ""):gsub("%s+$", "")
        for i = 1, #trimmed - 3 do
          assert.is_falsy(err:find(trimmed:sub(i, i + 3), 1, true),
                          name .. ": message shows part of the secret: " .. err)
        end
      end
    end
  end)
end)
