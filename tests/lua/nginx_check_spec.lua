-- pylon_idv.nginx_check: an nginx.conf's init_by_lua run as nginx runs it (only `env` variables,
-- its package paths, includes, init_by_lua_file), the names its filters use, and the exit
-- statuses of main. The same check against the real example is in
-- tests/integration/test_openresty.py, beside `nginx -t` on the same files.
package.path = H.root .. "/bindings/lua/?.lua;" .. package.path
local check = require "pylon_idv.nginx_check"

local SECRET = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812"
local SCRIPT_FILE = H.root .. "/web/pylon-chat.js"

local function with_env(env, fn)
  local getenv = os.getenv
  os.getenv = function(k) if env[k] ~= nil then return env[k] or nil end return getenv(k) end
  local ok, a, b, c = pcall(fn)
  os.getenv = getenv
  if not ok then error(a, 0) end
  return a, b, c
end

local dir
local function write(name, text)
  local path = dir .. "/" .. name
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

local function conf(env_lines, init, locations)
  return ([[
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
%s
events { worker_connections 16; }   # a comment with { braces }
http {
    lua_package_path '%s/bindings/lua/?.lua;;';
    %s
    server {
        listen 127.0.0.1:8080;
        %s
    }
}
]]):format(env_lines, H.root, init, locations)
end

local INIT = [[init_by_lua_block {
        -- a comment with a brace } and a string with one: "}" and '{'
        local s = [=[ } ]=]
        local pylon = require "pylon_idv.openresty"
        pylon.configure { app_id = "app-1", script_file = "]] .. SCRIPT_FILE .. [[" }
        pylon.configure("support", { app_id = "app-2", secret_env = "PYLON_SUPPORT_SECRET",
                                     script_file = "]] .. SCRIPT_FILE .. [[" })
        ngx.log(ngx.NOTICE, "configured ", #s)
    }]]
local LOCATIONS = [[
        location = /_pylon_idv/pylon-chat.js { content_by_lua_block { require("pylon_idv.openresty").serve_script() } }
        location /support/ {
            header_filter_by_lua_block { require("pylon_idv.openresty").header_filter("support") }
            body_filter_by_lua_block { require("pylon_idv.openresty").body_filter() }
        }
        location / {
            header_filter_by_lua_block { require("pylon_idv.openresty").header_filter() }
        }]]
local ENV = "env PYLON_IDENTITY_SECRET;\nenv PYLON_SUPPORT_SECRET;"
local BOTH = { PYLON_IDENTITY_SECRET = SECRET, PYLON_SUPPORT_SECRET = SECRET }

describe("pylon_idv.nginx_check", function()
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute('mkdir -p "' .. dir .. '/conf.d"'))
  end)
  teardown(function() os.execute('rm -rf "' .. dir .. '"') end)

  it("a good configuration: init_by_lua ran, its configurations and the filters' names", function()
    local path = write("good.conf", conf(ENV, INIT, LOCATIONS))
    local ok, lines = with_env(BOTH, function() return check.check(path) end)
    assert.is_true(ok, table.concat(lines, "\n"))
    assert.are.equal("nginx_check: init_by_lua logged: [notice] configured 3", lines[1])
    assert.are.equal("nginx_check: init_by_lua ran; configurations made: default, support; "
      .. "used by the filters: default, support", lines[#lines])
    assert.is_nil(rawget(_G, "ngx"))                   -- the stand-in is gone again
  end)

  it("only the variables `env` lines pass: a secret in the shell but not declared is E001", function()
    local path = write("noenv.conf", conf("env PYLON_IDENTITY_SECRET;", INIT, LOCATIONS))
    local ok, lines = with_env(BOTH, function() return check.check(path) end)
    assert.is_false(ok)
    local all = table.concat(lines, "\n")
    assert.truthy(all:find("init_by_lua fails, so nginx will not start: pylon_idv.E001: "
      .. "configuration \"support\": the environment variable PYLON_SUPPORT_SECRET", 1, true), all)
    assert.falsy(all:find(SECRET, 1, true))
    -- `env NAME=VALUE;` sets one, as nginx does
    path = write("envset.conf", conf("env PYLON_IDENTITY_SECRET;\nenv PYLON_SUPPORT_SECRET=" .. SECRET
      .. ";", INIT, LOCATIONS))
    ok, lines = with_env({ PYLON_IDENTITY_SECRET = SECRET }, function() return check.check(path) end)
    assert.is_true(ok, table.concat(lines, "\n"))
  end)

  it("a filter naming a configuration init_by_lua does not make fails, naming it", function()
    local path = write("typo.conf", conf(ENV, INIT, LOCATIONS:gsub('"support"', '"suport"')))
    local ok, lines = with_env(BOTH, function() return check.check(path) end)
    assert.is_false(ok)
    assert.truthy(table.concat(lines, "\n"):find('the configuration "suport", which init_by_lua '
      .. 'does not make', 1, true))
  end)

  it("follows include globs and init_by_lua_file (relative to the prefix)", function()
    write("init.lua", INIT:match("^init_by_lua_block {(.*)}$"))
    write("conf.d/pylon.conf", "init_by_lua_file init.lua;\n")
    local path = write("inc.conf", conf(ENV, "include conf.d/*.conf;", LOCATIONS))
    local ok, lines = with_env(BOTH, function() return check.check(path, dir) end)
    assert.is_true(ok, table.concat(lines, "\n"))
  end)

  it("no init_by_lua, an unreadable file, an ngx API the stand-in lacks: each fails, saying so", function()
    local path = write("none.conf", conf(ENV, "", LOCATIONS))
    local ok, lines = with_env(BOTH, function() return check.check(path) end)
    assert.is_false(ok)
    assert.truthy(lines[1]:find("has no init_by_lua", 1, true))
    local status
    ok, lines, status = check.check(dir .. "/missing.conf")
    assert.is_nil(ok)
    assert.are.equal(2, status)
    path = write("timer.conf", conf(ENV, "init_by_lua_block { ngx.timer.at(0, print) }", ""))
    ok, lines = with_env(BOTH, function() return check.check(path) end)
    assert.is_false(ok)
    assert.truthy(table.concat(lines):find("init_by_lua uses ngx.timer, which this check does "
      .. "not provide", 1, true))
  end)

  it("main: 0 good, 1 would not start, 2 unreadable or no file named", function()
    local stderr = io.stderr
    io.stderr = { write = function() end }
    local good = write("good.conf", conf(ENV, INIT, LOCATIONS))
    local codes = with_env(BOTH, function()
      return { check.main({ good }), check.main({ dir .. "/noenv.conf" }),
               check.main({ dir .. "/missing.conf" }), check.main({}) }
    end)
    io.stderr = stderr
    assert.are.same({ 0, 1, 2, 2 }, codes)
  end)
end)
