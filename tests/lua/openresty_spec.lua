-- pylon_idv.openresty with a stand-in for the ngx API: the scanner (idv.html_scan) on the
-- insertion contexts, every page of the hostile corpus (tests/vectors/hostile) split at every
-- byte offset and one byte a chunk, the bound on held bytes, the headers of personalised,
-- untouched and HEAD responses, the CSP nonce pass-through, and the previous-secrets separator
-- rule. The real nginx run is tests/integration/test_openresty.py.
package.path = H.root .. "/bindings/lua/?.lua;" .. package.path
local idv = require "pylon_idv"

local SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
local OLD = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
local SCRIPT_FILE = H.root .. "/web/pylon-chat.js"

-- ngx.header as nginx has it: names case-insensitive, '_' the same as '-'
local function header_table(init)
  local store = {}
  local function norm(k) return (k:lower():gsub("_", "-")) end
  local t = setmetatable({}, {
    __index = function(_, k) return store[norm(k)] end,
    __newindex = function(_, k, v) store[norm(k)] = v end,
  })
  for k, v in pairs(init or {}) do t[k] = v end
  return t, store
end

local logs = {}
local function fake_ngx(vars, headers, status, method)
  local h, store = header_table(headers or { content_type = "text/html; charset=utf-8",
                                              content_length = 10 })
  _G.ngx = {
    var = vars or {}, ctx = {}, arg = {}, status = status or 200, header = h,
    req = { get_method = function() return method or "GET" end },
    log = function(level, ...) logs[#logs + 1] = { level, table.concat({ ... }) } end,
    ERR = 4, WARN = 5, NOTICE = 6,
    exit = function(code) return code end, HTTP_NOT_FOUND = 404, HTTP_NOT_ALLOWED = 405,
  }
  return store
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

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function with_env(env, fn)
  local getenv = os.getenv
  os.getenv = function(k) if env[k] ~= nil then return env[k] or nil end return getenv(k) end
  local ok, err = pcall(fn)
  os.getenv = getenv
  if not ok then error(err, 0) end
end

local function corpus()
  local dir = H.vectors .. "/hostile"
  local p = assert(io.popen('ls "' .. dir .. '"'))
  local pages = {}
  for name in p:lines() do
    if name:match("%.html$") then pages[#pages + 1] = { name = name, path = dir .. "/" .. name } end
  end
  p:close()
  return pages
end

describe("idv.html_scan", function()
  local function scan_all(page)
    local sc = idv.html_scanner()
    return idv.html_scan(sc, page)
  end

  it("finds the last </body in markup, and none in raw text, comments or tags", function()
    local cases = {
      { "<p>a</body>", 5 }, { "</BODY >", 1 }, { "</body\n>", 1 }, { "</body/>", 1 },
      { "</body>x</body>y", 9 }, { "</bodyx>", nil }, { "</body", nil }, { "</ body>", nil },
      { "<script>var s = '</body>';</script></body>", 36 },
      { "<SCRIPT type=module>'</body>'</script >x</body>", 41 },
      { "<script>'</scriptx></body>'</script></body>", 37 },
      { "<style>a::after{content:'</body>'}</style></body>", 43 },
      { "<textarea></body></textarea></body>", 29 },
      { "<title></body></title></body>", 23 },
      { "<xmp></body></xmp><iframe></body></iframe><noembed></body></noembed>"
        .. "<noframes></body></noframes><noscript></body></noscript></body>", 125 },
      { "<plaintext></body>", nil },
      { "<!-- </body> --></body>", 17 }, { "<!--></body>", 6 }, { "<!---></body>", 7 },
      { "<!-- --!></body>", 10 }, { "<!-- -- </body> -->", nil },
      { "<!DOCTYPE html></body>", 16 }, { "<?x </body", nil }, { "<? </body> ?>", nil },
      { "</ x></body>", 6 }, { "</>", nil },
      { "<a title='</body>' b=\"</body>\" c=</body d></body>", 43 },
      { "<a x=\"'\" y='\"'></body>", 16 }, { "<a b\"=</body>c></body>", 16 },
      { "<a =</body>", nil }, { "a < b </body>", 7 }, { "<3</body>", 3 },
    }
    for _, c in ipairs(cases) do
      local got = scan_all(c[1])
      assert.are.equal(c[2], got, c[1])
      local sc = idv.html_scanner()          -- one byte a chunk: offsets relative to each
      local last
      for i = 1, #c[1] do
        local cand = sc:scan(c[1]:sub(i, i))
        if cand then last = i + cand - 1 end
      end
      assert.are.equal(c[2], last, c[1] .. " (one byte a chunk)")
    end
  end)

  it("reports a '<' that may still become </body (pend), relative to the chunk", function()
    local sc = idv.html_scanner()
    assert.are.same({ nil, 4 }, { idv.html_scan(sc, "abc</bo") })
    assert.are.same({ -3, nil }, { idv.html_scan(sc, "dy>") })
    sc = idv.html_scanner()
    assert.are.same({ nil, 2 }, { idv.html_scan(sc, "x<") })
    assert.are.same({ nil, 0 }, { idv.html_scan(sc, "/") })
    assert.are.same({ nil, nil }, { idv.html_scan(sc, "p>") })
    assert.has_error(function() idv.html_scan({}, "x") end)
    assert.has_error(function() idv.html_scan(idv.html_scanner(), nil) end)
  end)
end)

-- A second implementation of the same tokenizer subset, written straight from the WHATWG
-- states one byte at a time (slow, obvious), for the differential test below.
local RAW = { script = true, style = true, textarea = true, title = true, xmp = true,
              iframe = true, noembed = true, noframes = true, noscript = true }
local function reference_last_body(doc)
  local st, name, is_end, lt, raw, last = "data", "", false, nil, nil, nil
  local i, n = 1, #doc
  local function ws(c) return c == " " or c == "\t" or c == "\n" or c == "\f" or c == "\r" end
  local function done()
    if is_end then st = "data"; raw = nil
    elseif name == "plaintext" then st = "plaintext"
    elseif RAW[name] then st = "raw"; raw = name
    else st = "data" end
  end
  while i <= n do
    local c = doc:sub(i, i)
    local again = false
    if st == "data" then
      if c == "<" then st = "tag_open"; lt = i end
    elseif st == "tag_open" then
      if c:find("^%a") then st = "tag_name"; name = c:lower(); is_end = false
      elseif c == "/" then st = "end_tag_open"
      elseif c == "!" then st = "markup"
      elseif c == "?" then st = "bogus"
      else st = "data"; again = true end
    elseif st == "end_tag_open" then
      if c:find("^%a") then st = "tag_name"; name = c:lower(); is_end = true
      elseif c == ">" then st = "data"
      else st = "bogus"; again = true end
    elseif st == "tag_name" then
      if ws(c) or c == "/" or c == ">" then
        if is_end and name == "body" then last = lt end
        if c == ">" then done() elseif c == "/" then st = "self_closing" else st = "before_attr_name" end
      else name = name .. c:lower() end
    elseif st == "before_attr_name" then
      if ws(c) then
      elseif c == "/" or c == ">" then st = "after_attr_name"; again = true
      else st = "attr_name" end
    elseif st == "attr_name" then
      if ws(c) or c == "/" or c == ">" then st = "after_attr_name"; again = true
      elseif c == "=" then st = "before_attr_value" end
    elseif st == "after_attr_name" then
      if ws(c) then
      elseif c == "/" then st = "self_closing"
      elseif c == "=" then st = "before_attr_value"
      elseif c == ">" then done()
      else st = "attr_name" end
    elseif st == "before_attr_value" then
      if ws(c) then
      elseif c == '"' then st = "dq"
      elseif c == "'" then st = "sq"
      elseif c == ">" then done()
      else st = "unq"; again = true end
    elseif st == "dq" then
      if c == '"' then st = "after_quoted" end
    elseif st == "sq" then
      if c == "'" then st = "after_quoted" end
    elseif st == "unq" then
      if ws(c) then st = "before_attr_name" elseif c == ">" then done() end
    elseif st == "after_quoted" then
      if ws(c) then st = "before_attr_name"
      elseif c == "/" then st = "self_closing"
      elseif c == ">" then done()
      else st = "before_attr_name"; again = true end
    elseif st == "self_closing" then
      if c == ">" then done() else st = "before_attr_name"; again = true end
    elseif st == "markup" then
      if doc:sub(i, i + 1) == "--" then st = "comment_start"; i = i + 1
      else st = "bogus"; again = true end
    elseif st == "bogus" then
      if c == ">" then st = "data" end
    elseif st == "comment_start" then
      if c == "-" then st = "comment_start_dash"
      elseif c == ">" then st = "data"
      else st = "comment"; again = true end
    elseif st == "comment_start_dash" then
      if c == "-" then st = "comment_end"
      elseif c == ">" then st = "data"
      else st = "comment"; again = true end
    elseif st == "comment" then
      if c == "-" then st = "comment_end_dash" end
    elseif st == "comment_end_dash" then
      if c == "-" then st = "comment_end" else st = "comment"; again = true end
    elseif st == "comment_end" then
      if c == ">" then st = "data"
      elseif c == "!" then st = "comment_end_bang"
      elseif c ~= "-" then st = "comment"; again = true end
    elseif st == "comment_end_bang" then
      if c == "-" then st = "comment_end_dash"
      elseif c == ">" then st = "data"
      else st = "comment"; again = true end
    elseif st == "raw" or st == "esc" then   -- (esc: a script's "<!--" text)
      local close = doc:sub(i, i + 1 + #raw):lower()
      local after = doc:sub(i + 2 + #raw, i + 2 + #raw)
      if close == "</" .. raw and (ws(after) or after == "/" or after == ">") then
        is_end = true; name = raw
        i = i + 1 + #raw                      -- to the byte after the name
        raw = nil
        st = "end_name_done"
      elseif st == "raw" and raw == "script" and doc:sub(i, i + 3) == "<!--" then
        st = "esc"; i = i + 3; st = "esc_dash_dash"
      elseif st == "esc" and c == "-" then st = "esc_dash"
      elseif st == "esc" and c == "<" and doc:sub(i + 1, i + 1):find("^%a") then
        local word = doc:match("^%a+", i + 1)
        local after2 = doc:sub(i + 1 + #word, i + 1 + #word)
        if (ws(after2) or after2 == "/" or after2 == ">") then
          i = i + 1 + #word                   -- the terminator, consumed below
          if word:lower() == "script" then st = "desc" end
        else
          i = i + #word                       -- the letters; the next byte again in esc
        end
      end
    elseif st == "esc_dash" or st == "esc_dash_dash" then
      if c == "-" then st = "esc_dash_dash"
      elseif c == ">" and st == "esc_dash_dash" then st = "raw"
      else st = "esc"; again = true end
    elseif st == "desc" then                 -- double escaped: "</script" does not end it
      if c == "-" then st = "desc_dash"
      elseif doc:sub(i, i + 1) == "</" and doc:sub(i + 2, i + 2):find("^%a") then
        local word = doc:match("^%a+", i + 2)
        local after2 = doc:sub(i + 2 + #word, i + 2 + #word)
        if (ws(after2) or after2 == "/" or after2 == ">") then
          i = i + 2 + #word
          if word:lower() == "script" then st = "esc" end
        else
          i = i + 1 + #word
        end
      end
    elseif st == "desc_dash" or st == "desc_dash_dash" then
      if c == "-" then st = "desc_dash_dash"
      elseif c == ">" and st == "desc_dash_dash" then st = "raw"
      else st = "desc"; again = true end
    elseif st == "end_name_done" then        -- the byte after a raw element's end tag name
      if c == ">" then done() elseif c == "/" then st = "self_closing" else st = "before_attr_name" end
    end
    if not again then i = i + 1 end
  end
  return last
end

describe("idv.html_scan against a reference", function()
  it("agrees on random documents, whole, split at every offset, one byte a chunk", function()
    local pieces = { "<", "</", ">", "/", "=", '"', "'", " ", "\n", "-", "!", "?", "body", "BODY",
      "a", "x1", "<body>", "</body>", "</body ", "</BODY\t>", "</body/>", "<!--", "-->", "--!>",
      "<!", "<?", "<script>", "</script>", "</script ", "<style>", "</style>", "<textarea>",
      "</textarea>", "<title>", "</title>", "<xmp>", "</xmp>", "<plaintext>", "<p class=",
      "<script>", "<!--", "<script ", "</script>", "-->", "</scripts>", "<scripty>", "<!-",
      "<script><!--<script>", "<!--<script>", "<script><!--", "</script>", "</script>", "</body>",
      "<a href=\"", "<a b='", "<div x=y ", "<![CDATA[", "text" }
    local seed = tonumber(os.getenv("PYLON_IDV_SCAN_SEED") or "") or 20261206
    math.randomseed(seed)
    for round = 1, 1000 do
      local parts = {}
      for k = 1, math.random(1, 24) do parts[k] = pieces[math.random(#pieces)] end
      local doc = table.concat(parts)
      local want = reference_last_body(doc)
      local sc = idv.html_scanner()
      local got = idv.html_scan(sc, doc)
      assert.are.equal(want, got, ("seed %d round %d: %q"):format(seed, round, doc))
      for cut = 0, #doc do
        sc = idv.html_scanner()
        local a = idv.html_scan(sc, doc:sub(1, cut))
        local b = idv.html_scan(sc, doc:sub(cut + 1))
        local last = b and cut + b or a
        if last ~= want then
          assert.are.equal(want, last, ("seed %d round %d cut %d: %q"):format(seed, round, cut, doc))
        end
      end
      sc = idv.html_scanner()
      local last
      for i = 1, #doc do
        local c = idv.html_scan(sc, doc:sub(i, i))
        if c then last = i + c - 1 end
      end
      assert.are.equal(want, last, ("seed %d round %d, one byte a chunk: %q"):format(seed, round, doc))
    end
  end)
end)

describe("pylon_idv.openresty", function()
  local m, script
  setup(function()
    script = read(SCRIPT_FILE)
    with_env({ PYLON_IDENTITY_SECRET = SECRET, PYLON_IDENTITY_SECRET_PREVIOUS = " , " .. OLD .. " ,," },
      function()
        m = require "pylon_idv.openresty"
        assert.equal(16, #m.configure { app_id = "app-1", field_vars = { name = "pylon_name" },
          script_file = SCRIPT_FILE })
      end)
  end)
  teardown(function() _G.ngx = nil end)

  local page = "<!doctype html><html><body><p>hello</p></BODY >\n</html>\n"
  local function configure_with(previous)
    local err
    with_env({ PYLON_IDENTITY_SECRET = SECRET, PYLON_IDENTITY_SECRET_PREVIOUS = previous }, function()
      local ok, e = pcall(m.configure, { app_id = "app-1", script_file = SCRIPT_FILE,
                                         field_vars = { name = "pylon_name" } })
      err = not ok and e or nil
    end)
    return err
  end

  local function data_for(email)
    return assert(idv.chat_settings_data(email, assert(idv.new(SECRET)), { app_id = "app-1" }))
  end
  local function insert_for(email, nonce)
    return data_for(email) .. '<script src="/_pylon_idv/pylon-chat.js"'
      .. (nonce and ' nonce="' .. nonce .. '"' or "") .. '></script>'
  end

  it("every hostile corpus page: one chunk, split at every offset, one byte a chunk", function()
    local pages = corpus()
    assert.is_true(#pages >= 9, "the corpus has its pages")
    local insert = insert_for("j@x")
    for _, p in ipairs(pages) do
      local text = read(p.path)
      local _, n = text:gsub("@@PYLON@@", "")
      assert.is_true(n <= 1, p.name .. ": @@PYLON@@ at most once")
      local served = text:gsub("@@PYLON@@", "")
      local want = n == 1 and text:gsub("@@PYLON@@", function() return insert end) or served
      local function run(chunks)
        fake_ngx({ pylon_email = "j@x" }); m.header_filter()
        return run_chunks(m, chunks)
      end
      assert.are.equal(want, run({ served }), p.name .. ": one chunk")
      for cut = 0, #served do
        local got = run({ served:sub(1, cut), served:sub(cut + 1) })
        if got ~= want then assert.are.equal(want, got, p.name .. ": cut at " .. cut) end
      end
      local bytes = {}
      for i = 1, #served do bytes[i] = served:sub(i, i) end
      bytes[#bytes + 1] = ""
      assert.are.equal(want, run(bytes), p.name .. ": one byte a chunk")
    end
  end)

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

  it("streams: sends everything before the latest </body at once, holds only what follows", function()
    fake_ngx({ pylon_email = "j@x" }); m.header_filter()
    ngx.arg[1], ngx.arg[2] = "<body><p>one</p></body>tail", false
    m.body_filter()
    assert.equal("<body><p>one</p>", ngx.arg[1])
    ngx.arg[1], ngx.arg[2] = "<p>two</p>", false
    m.body_filter()
    assert.equal("", ngx.arg[1])                        -- held: no later </body yet
    ngx.arg[1], ngx.arg[2] = "<p>three</p></bo", false
    m.body_filter()
    assert.equal("", ngx.arg[1])                        -- "</bo" may become one
    ngx.arg[1], ngx.arg[2] = "dy>\n", false
    m.body_filter()
    assert.equal("</body>tail<p>two</p><p>three</p>", ngx.arg[1])  -- the first was not the last
    ngx.arg[1], ngx.arg[2] = "</html>", true
    m.body_filter()
    assert.equal(insert_for("j@x") .. "</body>\n</html>", ngx.arg[1])
  end)

  it("holds at most 1 MiB after a </body: past that it inserts there and streams on", function()
    fake_ngx({ pylon_email = "j@x" }); m.header_filter()
    local filler = ("x"):rep(65536)
    local chunks = { "<body>a</body>" }
    for i = 2, 18 do chunks[i] = filler end          -- 17 x 64 KiB > 1 MiB held
    chunks[#chunks + 1] = "</body>end"
    local outs = {}
    for i, c in ipairs(chunks) do
      ngx.arg[1], ngx.arg[2] = c, i == #chunks
      m.body_filter()
      outs[i] = ngx.arg[1]
    end
    local served = table.concat(chunks)
    local at = served:find("</body>", 1, true)
    assert.equal(served:sub(1, at - 1) .. insert_for("j@x") .. served:sub(at), table.concat(outs))
    assert.equal("", outs[2])                        -- held ...
    assert.equal("</body>end", outs[#outs])          -- ... then streamed on, untouched
  end)

  it("fixed fields and field variables go into the settings", function()
    local function settings_of(vars)
      fake_ngx(vars); m.header_filter()
      local out = run_chunks(m, { page })
      return out:match('<script type="application/json" id="pylon%-chat%-settings">(.-)</script>')
    end
    with_env({ PYLON_IDENTITY_SECRET = SECRET }, function()
      m.configure { app_id = "app-1", script_file = SCRIPT_FILE, fields = { plan = "pro" },
                    field_vars = { name = "pylon_name" } }
    end)
    local signer = assert(idv.new(SECRET))
    assert.equal(assert(idv.chat_settings_json("j@x", signer, { app_id = "app-1", plan = "pro", name = "Jo" })),
                 settings_of({ pylon_email = "j@x", pylon_name = "Jo" }))
    assert.equal(assert(idv.chat_settings_json(nil, signer, { app_id = "app-1", plan = "pro" })),
                 settings_of({ pylon_name = "" }))
    with_env({ PYLON_IDENTITY_SECRET = SECRET }, function()
      m.configure { app_id = "app-1", script_file = SCRIPT_FILE, fields = { plan = "pro" } }
    end)
    assert.equal(assert(idv.chat_settings_json("j@x", signer, { app_id = "app-1", plan = "pro" })),
                 settings_of({ pylon_email = "j@x", pylon_name = "Jo" }))
    assert.is_nil(configure_with(OLD))       -- as before, for what follows
  end)

  it("visitors get the app id only; an empty variable is a visitor", function()
    fake_ngx({ pylon_email = "" }); m.header_filter()
    local out = run_chunks(m, { page })
    assert.truthy(out:find('{"app_id":"app-1"}', 1, true))
  end)

  it("personalised responses, visitors and HEAD too: private, no-store; CDN and validator headers gone", function()
    local backend = {
      content_type = "text/html; charset=utf-8", content_length = 57,
      cache_control = "public, max-age=600", ["CDN-Cache-Control"] = "max-age=3600",
      ["Surrogate-Control"] = "max-age=3600", ["Cloudflare-CDN-Cache-Control"] = "max-age=60",
      etag = '"abc"', last_modified = "Wed, 21 Oct 2015 07:28:00 GMT",
      ["X-Other"] = "kept",
    }
    local seen = {}
    for _, case in ipairs({ { "j@x", "GET" }, { "", "GET" }, { "j@x", "HEAD" }, { "", "HEAD" } }) do
      local store = fake_ngx({ pylon_email = case[1] }, backend, 200, case[2])
      m.header_filter()
      assert.are.same({ ["content-type"] = "text/html; charset=utf-8",
                        ["cache-control"] = "private, no-store", ["x-other"] = "kept" }, store)
      seen[case[2]] = store
      if case[2] == "HEAD" then
        assert.is_nil(ngx.ctx.pylon_idv)             -- no body to change
        assert.equal("", run_chunks(m, { "" }))
      end
    end
    assert.are.same(seen.GET, seen.HEAD)
  end)

  it("leaves other types, statuses and encodings untouched, GET and HEAD alike", function()
    local frag = "<p>no body tag here</bod</p>"
    fake_ngx({ pylon_email = "j@x" }); m.header_filter()
    assert.equal(frag, run_chunks(m, { frag:sub(1, 5), frag:sub(6), "" }))
    for _, method in ipairs({ "GET", "HEAD" }) do
      for _, case in ipairs({
        { { content_type = "application/json", content_length = 5, etag = '"e"' } },
        { { content_type = "text/html", content_encoding = "gzip", content_length = 5 } },
        { { content_type = "text/html", content_encoding = { "gzip", "br" }, content_length = 5 } },
        { { content_type = "text/html", content_length = 5, cache_control = "max-age=9" }, 206 },
        { { content_type = "text/html", content_length = 5, ["CDN-Cache-Control"] = "max-age=9" }, 404 },
        { { content_length = 5 } },
      }) do
        local before = {}
        for k, v in pairs(case[1]) do before[(k:lower():gsub("_", "-"))] = v end
        local store = fake_ngx({ pylon_email = "j@x" }, case[1], case[2], method)
        m.header_filter()
        assert.are.same(before, store)
        assert.equal(page, run_chunks(m, { page }))
      end
    end
  end)

  it("an email that is not UTF-8 leaves the page and its headers untouched", function()
    local store = fake_ngx({ pylon_email = "\255@x" }); m.header_filter()
    assert.are.same({ ["content-type"] = "text/html; charset=utf-8", ["content-length"] = 10 }, store)
    assert.equal(page, run_chunks(m, { page }))
  end)

  describe("Content-Security-Policy", function()
    local function run_csp(csp, vars)
      vars = vars or {}
      vars.pylon_email = "j@x"
      vars.host = vars.host or "shop.example"
      vars.scheme = vars.scheme or "https"
      fake_ngx(vars, { content_type = "text/html", ["Content-Security-Policy"] = csp })
      logs = {}
      m.header_filter()
      return run_chunks(m, { page }), logs
    end
    local at = page:find("</BODY", 1, true)
    local function want(nonce) return page:sub(1, at - 1) .. insert_for("j@x", nonce) .. page:sub(at) end

    it("carries the nonce of script-src-elem, else script-src, else default-src", function()
      for _, c in ipairs({
        { "script-src 'nonce-abc123' 'strict-dynamic'", "abc123" },
        { "default-src 'self'; script-src 'NONCE-r4nd0m+/=_-'", "r4nd0m+/=_-" },
        { "default-src 'nonce-d'; script-src-elem 'nonce-e'; script-src 'nonce-s'", "e" },
        { "default-src 'nonce-d' 'self'", "d" },
        { { "img-src 'self'", "script-src 'nonce-two' 'self'" }, "two" },
        { "img-src *, script-src 'nonce-comma'", "comma" },
        { "script-src 'self' https://widget.usepylon.com", nil },
        { "img-src 'self'", nil },
      }) do
        local out, log = run_csp(c[1])
        assert.equal(want(c[2]), out, tostring(c[1]))
        assert.are.same({}, log, tostring(c[1]))
      end
    end)

    it("copies no nonce that the core would refuse", function()
      for _, bad in ipairs({ "'nonce-a\"b' 'self'", "'nonce-<x>' 'self'", "'nonce-' 'self'",
                             "'nonce-" .. ("a"):rep(257) .. "' 'self'", "'nonce-a&amp;' 'self'" }) do
        local out = run_csp("script-src " .. bad)
        assert.equal(want(nil), out, bad)
      end
      local out = run_csp("script-src 'nonce-" .. ("a"):rep(256) .. "'")
      assert.equal(want(("a"):rep(256)), out)
    end)

    it("logs a policy that blocks the script whatever is done, once per worker, naming the directive", function()
      for _, c in ipairs({
        { "script-src 'none'", "script-src" },
        { "script-src 'none' 'self'", nil },          -- 'none' counts only alone
        { "default-src 'none'", "default-src" },
        { "script-src-elem 'unsafe-inline'; script-src 'self'", "script-src-elem" },
        { "script-src 'self' 'strict-dynamic'", "script-src" },
        { "script-src https://cdn.other.example", "script-src" },
        { "default-src 'self', script-src 'nonce-x' 'strict-dynamic', script-src 'nonce-y'", "script-src" },
      }) do
        assert.is_nil(configure_with(OLD))           -- a fresh configuration: nothing logged yet
        for round = 1, 3 do
          local out, log = run_csp(c[1])
          assert.truthy(out:find("pylon-chat.js", 1, true))   -- the page still gets its snippet
          if c[2] and round == 1 then
            assert.equal(1, #log, c[1])
            assert.equal(ngx.WARN, log[1][1])
            assert.truthy(log[1][2]:find("Content-Security-Policy blocks the inserted "
              .. '<script src="/_pylon_idv/pylon-chat.js"> in its ' .. c[2] .. " directive", 1, true),
              log[1][2])
          else
            assert.are.same({}, log, c[1] .. " round " .. round)   -- once per worker
          end
        end
      end
    end)

    it("a host or scheme source that names this origin allows the script", function()
      for _, csp in ipairs({ "script-src https://shop.example", "script-src *.example",
                             "script-src https:", "script-src *", "script-src shop.example:443/js/" }) do
        local out, log = run_csp(csp)
        assert.equal(want(nil), out, csp)
        assert.are.same({}, log, csp)
      end
    end)
  end)

  describe("previous secrets", function()
    it("split on commas only: entries trimmed by the core, empty ones skipped", function()
      assert.are.same({}, m.split_previous(nil))
      assert.are.same({}, m.split_previous(" , ,\n"))
      assert.are.same({ " a", " b \n" }, m.split_previous(" a,, b \n"))
      assert.are.same({ "a b" }, m.split_previous("a b"))
    end)

    it("a space inside an entry is E003 naming that entry, without the secret", function()
      local half = OLD:sub(1, 32)
      local err = configure_with(half .. " " .. half)
      assert.truthy(err, "two halves with a space must not load")
      assert.truthy(err:find("pylon_idv.E003: previous secret #1 in the environment variable "
        .. "PYLON_IDENTITY_SECRET_PREVIOUS has whitespace inside: previous secrets are "
        .. "separated by commas", 1, true), err)
      assert.falsy(err:find(half:sub(1, 12), 1, true))
      err = configure_with(OLD .. ", " .. half .. "\t" .. half)
      assert.truthy(err and err:find("previous secret #2 in", 1, true), err)
      assert.is_nil(configure_with(" " .. OLD .. " , ,"))
      assert.is_nil(configure_with(""))
    end)

    it("refuses the removed private option", function()
      local err
      with_env({ PYLON_IDENTITY_SECRET = SECRET }, function()
        local ok, e = pcall(m.configure, { app_id = "app-1", script_file = SCRIPT_FILE, private = false })
        err = not ok and e
      end)
      assert.truthy(err and err:find("pylon_idv.E006: option private", 1, true), tostring(err))
      -- configure the module back for what follows
      assert.is_nil(configure_with(OLD))
    end)
  end)

  describe("named configurations", function()
    local OTHER = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
    local function configure_named(name, opts, env)
      local err
      with_env(env or { PYLON_IDENTITY_SECRET = SECRET, PYLON_SUPPORT_SECRET = OTHER }, function()
        local ok, e = pcall(m.configure, name, opts)
        err = not ok and e or nil
      end)
      return err
    end

    it("two locations: each its own app id, secret and identity variable", function()
      assert.is_nil(configure_named("support", { app_id = "support-9", email_var = "support_email",
        secret_env = "PYLON_SUPPORT_SECRET", script_file = SCRIPT_FILE, fields = { desk = "eu" } }))
      assert.are.same({ "default", "support" }, m.configured())
      local vars = { pylon_email = "jane@example.com", support_email = "bob@example.com" }
      fake_ngx(vars); m.header_filter("support")
      local out = run_chunks(m, { page })
      local want = assert(idv.chat_settings_data("bob@example.com", assert(idv.new(OTHER)),
        { app_id = "support-9", desk = "eu" }))
      assert.truthy(out:find(want, 1, true), out)
      assert.falsy(out:find("jane@example.com", 1, true))
      fake_ngx(vars); m.header_filter()             -- "default" in the same nginx, unchanged
      out = run_chunks(m, { page })
      assert.truthy(out:find(data_for("jane@example.com"), 1, true), out)
      assert.falsy(out:find("bob@example.com", 1, true))
      fake_ngx(vars); m.header_filter("default")    -- the same, by its name
      assert.equal(out, run_chunks(m, { page }))
      -- each configuration serves its own pylon-chat.js
      local printed
      fake_ngx(); ngx.print = function(s) printed = s end
      m.serve_script("support")
      assert.equal(script, printed)
    end)

    it("a filter naming a configuration never made: page untouched, one log line per worker", function()
      local before = #logs
      for _ = 1, 3 do
        local store = fake_ngx({ pylon_email = "jane@example.com" })
        m.header_filter("nope")
        assert.is_nil(ngx.ctx.pylon_idv)
        assert.equal(10, store["content-length"])
        ngx.arg[1], ngx.arg[2] = page, true
        m.body_filter()
        assert.equal(page, ngx.arg[1])
      end
      assert.equal(before + 1, #logs)
      assert.equal(4, logs[#logs][1])
      assert.truthy(logs[#logs][2]:find("was not made by configure() in init_by_lua (configured: "
        .. "default, support); pages pass through untouched", 1, true), logs[#logs][2])
      assert.falsy(logs[#logs][2]:find("nope", 1, true))   -- the argument is not echoed
      fake_ngx(); assert.equal(404, m.serve_script("nope"))
    end)

    it("takes every problem's id, text and fix from the core's one table", function()
      local t = idv._problems()
      assert.are_not.equal(t, idv._problems())               -- a new table each call
      assert.equal("E009", t.config_name.id)
      local err = configure_named("a b", { app_id = "a", script_file = SCRIPT_FILE })
      assert.equal(("pylon_idv.%s: %s Fix: %s"):format(t.config_name.id, t.config_name.text,
        t.config_name.fix), err)
      err = configure_named("shop", { app_id = "bad id/", script_file = SCRIPT_FILE })
      local want = t.app_id_malformed.text:gsub("{setting}", "app_id")
      assert.truthy(err and err:find("pylon_idv.E005: configuration \"shop\": " .. want, 1, true),
        tostring(err))
    end)

    it("checks each configuration on its own: E009 for a bad name, E001 naming its variable", function()
      for _, bad in ipairs({ "", "a b", ("x"):rep(65), "shop/1" }) do
        local err = configure_named(bad, { app_id = "a", script_file = SCRIPT_FILE })
        assert.truthy(err and err:find("pylon_idv.E009: a configuration name", 1, true), tostring(err))
      end
      local err = configure_named("sales", { app_id = "sales-1", secret_env = "PYLON_SALES_SECRET",
        script_file = SCRIPT_FILE }, { PYLON_IDENTITY_SECRET = SECRET, PYLON_SALES_SECRET = false })
      assert.truthy(err and err:find("pylon_idv.E001: configuration \"sales\": the environment "
        .. "variable PYLON_SALES_SECRET", 1, true), tostring(err))
      assert.are.same({ "default", "support" }, m.configured())   -- nothing half-made
      assert.has_error(function() m.configure("x") end)
    end)
  end)

  it("serves pylon-chat.js", function()
    local printed
    fake_ngx(); ngx.print = function(s) printed = s end
    m.serve_script()
    assert.equal(script, printed)
    assert.truthy(ngx.header.content_type:find("javascript", 1, true))
  end)
end)
