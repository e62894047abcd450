-- pylon_idv.openresty with a stand-in for the ngx API: the body filter at every split point
-- of </body>, one byte a chunk, no </body>, and the header filter's decisions. The real nginx
-- run is tests/integration/test_openresty.py.
package.path = "bindings/lua/?.lua;" .. package.path
local idv = require "pylon_idv"

local SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"

local function fake_ngx(vars, headers, status, method)
  _G.ngx = {
    var = vars or {}, ctx = {}, arg = {}, status = status or 200,
    header = headers or { content_type = "text/html; charset=utf-8", content_length = 10 },
    req = { get_method = function() return method or "GET" end },
    log = function() end, ERR = 4, NOTICE = 6,
    exit = function(code) return code end, HTTP_NOT_FOUND = 404, HTTP_NOT_ALLOWED = 405,
  }
  return _G.ngx
end

local function run_chunks(m, chunks)
  local out = {}
  for i, c in ipairs(chunks) do
    ngx.arg[1], ngx.arg[2] = c, i == #chunks
    m.body_filter()
    out[#out + 1] = ngx.arg[1]
  end
  return table.concat(out)
end

describe("pylon_idv.openresty", function()
  local m, script
  setup(function()
    local f = assert(io.open("bindings/python/pylon_idv/static/pylon-chat.js", "rb"))
    script = f:read("*a"); f:close()
    -- configure reads the environment: give it a fake os.getenv for the secret
    local getenv = os.getenv
    os.getenv = function(k) if k == "PYLON_IDENTITY_SECRET" then return SECRET end return getenv(k) end
    m = require "pylon_idv.openresty"
    assert.equal(16, #m.configure { app_id = "app-1", field_vars = { name = "pylon_name" },
      script_file = "bindings/python/pylon_idv/static/pylon-chat.js" })
    os.getenv = getenv
  end)
  teardown(function() _G.ngx = nil end)

  local page = "<!doctype html><html><body><p>hello</p></BODY >\n</html>\n"
  local function insert_for(email)
    return assert(idv.chat_settings_data(email, assert(idv.new(SECRET)), { app_id = "app-1" }))
      .. '<script src="/_pylon_idv/pylon-chat.js"></script>'
  end

  it("inserts before </body at every split point, and one byte a chunk", function()
    local at = page:find("</BODY", 1, true)
    local want = page:sub(1, at - 1) .. insert_for("j@x") .. page:sub(at)
    for cut = 0, #page do
      fake_ngx({ pylon_email = "j@x" }); m.header_filter()
      assert.is_nil(ngx.header.content_length)
      assert.equal(want, run_chunks(m, { page:sub(1, cut), page:sub(cut + 1) }))
    end
    fake_ngx({ pylon_email = "j@x" }); m.header_filter()
    local bytes = {}
    for i = 1, #page do bytes[i] = page:sub(i, i) end
    bytes[#bytes + 1] = ""
    assert.equal(want, run_chunks(m, bytes))
  end)

  it("visitors get the app id only; an empty variable is a visitor", function()
    fake_ngx({ pylon_email = "" }); m.header_filter()
    local out = run_chunks(m, { page })
    assert.truthy(out:find('{"app_id":"app-1"}', 1, true))
  end)

  it("passes through pages without </body>, other types, statuses, encodings, HEAD", function()
    local frag = "<p>no body tag here</bod</p>"
    fake_ngx({ pylon_email = "j@x" }); m.header_filter()
    assert.equal(frag, run_chunks(m, { frag:sub(1, 5), frag:sub(6), "" }))
    for _, case in ipairs({
      { { content_type = "application/json", content_length = 5 } },
      { { content_type = "text/html", content_encoding = "gzip", content_length = 5 } },
      { { content_type = "text/html", content_length = 5 }, 206 },
      { { content_type = "text/html", content_length = 5 }, 404 },
      { { content_type = "text/html", content_length = 5 }, 200, "HEAD" },
    }) do
      fake_ngx({ pylon_email = "j@x" }, case[1], case[2], case[3]); m.header_filter()
      assert.equal(5, ngx.header.content_length)
      assert.equal(page, run_chunks(m, { page }))
    end
  end)

  it("an email that is not UTF-8 leaves the page untouched", function()
    fake_ngx({ pylon_email = "\255@x" }); m.header_filter()
    assert.equal(10, ngx.header.content_length)
    assert.equal(page, run_chunks(m, { page }))
  end)

  it("serves pylon-chat.js", function()
    local printed
    fake_ngx(); ngx.print = function(s) printed = s end
    m.serve_script()
    assert.equal(script, printed)
    assert.truthy(ngx.header.content_type:find("javascript", 1, true))
  end)
end)
