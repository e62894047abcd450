-- idv.csp_sources: the Content-Security-Policy sources the widget needs, from the core's one
-- table, against tests/vectors/csp_sources.tsv (Pylon's chat setup page; shared with the C
-- and Python suites).
local idv = require "pylon_idv"

describe("idv.csp_sources", function()
  local rows = H.rows("csp_sources.tsv")

  it("gives every row of the file, split into source expressions", function()
    assert.are.equal(5, #rows)
    local got = idv.csp_sources()
    local n = 0
    for _ in pairs(got) do n = n + 1 end
    assert.are.equal(#rows, n)
    for _, r in ipairs(rows) do
      local want = {}
      for s in r[2]:gmatch("%S+") do want[#want + 1] = s end
      assert.are.same(want, got[r[1]], r[1])
      assert.are.equal(r[2], table.concat(got[r[1]], " "), r[1])
    end
  end)

  it("returns a new table each call", function()
    local a = idv.csp_sources()
    a["script-src"][2] = "https://evil.example"
    a["img-src"] = nil
    local b = idv.csp_sources()
    assert.are.equal("https://widget.usepylon.com", b["script-src"][2])
    assert.is_table(b["img-src"])
  end)
end)
