-- idv.script_tag: the <script src> tag of pylon-chat.js, from the core's one renderer, against
-- tests/vectors/script_tag.tsv (shared with the C and Python suites).
local idv = require "pylon_idv"

describe("idv.script_tag", function()
  local rows = H.rows("script_tag.tsv")

  it("has the file's rows", function()
    assert.is_true(#rows >= 14)
  end)

  it("prints every row's bytes, or raises the row's message", function()
    for _, r in ipairs(rows) do
      local src = H.unhex(r[2])
      local opts = r[3] ~= "-" and { nonce = H.unhex(r[3]) } or nil
      if r[4]:sub(1, 1) == "!" then
        local ok, err = pcall(idv.script_tag, src, opts)
        assert.is_false(ok, r[1])
        assert.are.equal("pylon_idv: " .. r[4]:match("^!%S+ (.*)$"), err, r[1])
      else
        assert.are.equal(r[4], idv.script_tag(src, opts), r[1])
      end
    end
  end)

  it("raises for arguments of the wrong type and unknown options", function()
    assert.has_error(function() idv.script_tag(nil) end)
    assert.has_error(function() idv.script_tag({}) end)
    assert.has_error(function() idv.script_tag("/a.js", { nonse = "x" }) end)
    assert.has_error(function() idv.script_tag("/a.js", { nonce = 5 }) end)
  end)
end)
