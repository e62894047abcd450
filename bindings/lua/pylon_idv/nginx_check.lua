-- pylon_idv.nginx_check: what `nginx -t` does not check. lua-nginx-module skips init_by_lua
-- under `nginx -t` (measured with Debian 12's nginx 1.22.1 + libnginx-mod-http-lua 0.10.23
-- and Debian unstable's 1.30.6 + 0.10.29: a configure() that raises still gives "test is
-- successful", exit 0; OpenResty ships the same module), so a missing secret or app id shows only when nginx starts or reloads. This runs an
-- nginx.conf's init_by_lua as nginx would, outside nginx, with LuaJIT (or any Lua 5.1+ that
-- finds pylon_idv), and fails where nginx would refuse to start:
--
--   nginx -t && luajit -e 'os.exit(require("pylon_idv.nginx_check").main{ "/etc/nginx/nginx.conf" })'
--
-- (a second element: nginx's prefix, `-p`, for $prefix and init_by_lua_file; default the
-- file's folder). LUA_PATH / LUA_CPATH must find pylon_idv, as for `luarocks install`'s tree.
--
-- (OpenResty: `resty -e` in place of `luajit -e`.) Exit 0: nginx will start with it; 1: it
-- will not, or a filter names a configuration init_by_lua never makes; 2: the file cannot be
-- read. What it does, as nginx does it:
--   - reads the file and the files its `include` lines name (globs; relative to the file);
--   - the environment: only the variables that `env NAME;` lines pass (and TZ), `env NAME=V;`
--     sets one, as nginx clears the rest: a secret not passed by `env` is E001 here too;
--   - lua_package_path / lua_package_cpath ($prefix: PREFIX, default the file's folder; `;;`:
--     the default paths), then init_by_lua_block / init_by_lua / init_by_lua_file, with a
--     stand-in `ngx` (log, the log levels, config.prefix(); anything else raises, naming it);
--   - every header_filter(...) and serve_script(...) of pylon_idv.openresty in the file's Lua
--     blocks must name a configuration that init_by_lua made (no name: "default").
-- It does not start workers, open ports or run init_worker_by_lua.

local M = {}

local LEVELS = { "STDERR", "EMERG", "ALERT", "CRIT", "ERR", "WARN", "NOTICE", "INFO", "DEBUG" }

local function read(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local s = f:read("*a")
    f:close()
    return s
end

local function dirname(p) return p:match("^(.*)/[^/]*$") or "." end

local function glob(pattern)
    local list = {}
    if not pattern:find("[*?%[]") then
        list[1] = pattern
        return list
    end
    local q = "'" .. pattern:gsub("'", "'\\''") .. "'"
    local p = io.popen("sh -c 'for f in $1; do [ -e \"$f\" ] && printf \"%s\\n\" \"$f\"; done' sh " .. q)
    if p then
        for line in p:lines() do list[#list + 1] = line end
        p:close()
    end
    table.sort(list)
    return list
end

-- The end of a Lua block that starts at `open` (the '{'): braces counted outside Lua strings
-- and comments, as lua-nginx-module's block parser does.
local function block_end(s, open)
    local depth, i, n = 0, open, #s
    while i <= n do
        local c = s:sub(i, i)
        if c == "{" then
            depth = depth + 1
        elseif c == "}" then
            depth = depth - 1
            if depth == 0 then return i end
        elseif c == "\"" or c == "'" then
            local j = i + 1
            while j <= n and s:sub(j, j) ~= c do
                if s:sub(j, j) == "\\" then j = j + 1 end
                j = j + 1
            end
            i = j
        elseif c == "[" and s:find("^%[=*%[", i) then
            local eq = s:match("^%[(=*)%[", i)
            local close = s:find("]" .. eq .. "]", i, true)
            i = (close or n) + #eq + 1
        elseif c == "-" and s:sub(i + 1, i + 1) == "-" then
            local eq = s:match("^%-%-%[(=*)%[", i)
            if eq then
                local close = s:find("]" .. eq .. "]", i, true)
                i = (close or n) + #eq + 1
            else
                i = (s:find("\n", i, true) or n)
            end
        end
        i = i + 1
    end
    return nil
end

-- nginx's own syntax, one file: directives with their arguments, `*_by_lua_block { lua }` kept
-- whole, includes followed. Adds to `conf`: env, paths, init, lua (every Lua block's text).
local function parse(path, conf, depth)
    local s = read(path)
    if not s then
        conf.errors[#conf.errors + 1] = "cannot read " .. path
        return
    end
    if depth > 10 then
        conf.errors[#conf.errors + 1] = "includes nested more than 10 deep at " .. path
        return
    end
    local i, n, args = 1, #s, {}
    local function word()
        local c = s:sub(i, i)
        if c == "\"" or c == "'" then
            local j, out = i + 1, {}
            while j <= n and s:sub(j, j) ~= c do
                if s:sub(j, j) == "\\" then j = j + 1 end
                out[#out + 1] = s:sub(j, j)
                j = j + 1
            end
            i = j + 1
            return table.concat(out)
        end
        local w = s:match("^[^%s;{}\"'#]+", i)
        i = i + #w
        return w
    end
    while i <= n do
        local c = s:sub(i, i)
        if c:find("%s") then
            i = i + 1
        elseif c == "#" then
            i = (s:find("\n", i, true) or n) + 1
        elseif c == ";" or c == "{" or c == "}" then
            local name = args[1]
            if c == "{" and name and name:find("_by_lua_block$") then
                local close = block_end(s, i)
                if not close then
                    conf.errors[#conf.errors + 1] = name .. " in " .. path .. " has no closing brace"
                    return
                end
                local code = s:sub(i + 1, close - 1)
                conf.lua[#conf.lua + 1] = code
                if name == "init_by_lua_block" then
                    conf.init = { code = code, where = "init_by_lua(" .. path .. ")" }
                end
                i = close
            elseif c == ";" and name then
                if name == "include" and args[2] then
                    local pat = args[2]:sub(1, 1) == "/" and args[2] or conf.dir .. "/" .. args[2]
                    for _, f in ipairs(glob(pat)) do parse(f, conf, depth + 1) end
                elseif name == "env" and args[2] then
                    local k, v = args[2]:match("^([^=]+)=(.*)$")
                    if k then conf.env[k] = v else conf.env[args[2]] = true end
                elseif name == "lua_package_path" or name == "lua_package_cpath" then
                    conf[name] = args[2]
                elseif name == "init_by_lua" and args[2] then
                    conf.lua[#conf.lua + 1] = args[2]
                    conf.init = { code = args[2], where = "init_by_lua(" .. path .. ")" }
                elseif name == "init_by_lua_file" and args[2] then
                    local f = args[2]:sub(1, 1) == "/" and args[2] or conf.prefix .. "/" .. args[2]
                    local code = read(f)
                    if not code then
                        conf.errors[#conf.errors + 1] = "cannot read init_by_lua_file " .. f
                    else
                        conf.lua[#conf.lua + 1] = code
                        conf.init = { code = code, where = "@" .. f }
                    end
                elseif name:find("_by_lua$") and args[2] then
                    conf.lua[#conf.lua + 1] = args[2]
                end
            end
            args = {}
            i = i + 1
        else
            args[#args + 1] = word()
        end
    end
end

-- The stand-in for the ngx API in init_by_lua: what an init phase may use.
local function fake_ngx(prefix, out)
    local t = { config = { prefix = function() return prefix .. "/" end, subsystem = "http" },
                shared = {}, null = nil, OK = 0, ERROR = -1 }
    for i, name in ipairs(LEVELS) do t[name] = i - 1 end
    function t.log(level, ...)
        local parts = {}
        for k, v in ipairs({ ... }) do parts[k] = tostring(v) end
        out[#out + 1] = "[" .. (LEVELS[(level or 0) + 1] or "?"):lower() .. "] " .. table.concat(parts)
    end
    return setmetatable(t, { __index = function(_, k)
        error("pylon_idv.nginx_check: init_by_lua uses ngx." .. tostring(k)
            .. ", which this check does not provide; run nginx itself to check it", 2)
    end })
end

local function lua_path(value, prefix, default)
    if not value then return default end
    value = value:gsub("%$prefix", function() return prefix end)
    return (value:gsub(";;", function() return ";" .. default .. ";" end))
end

--- check(conf_path [, prefix]) -> ok, lines: runs the configuration's init_by_lua as nginx
-- would, and checks the names its filters use. `lines` say what was found, one a line.
function M.check(conf_path, prefix)
    local dir = dirname(conf_path)
    prefix = prefix or dir
    local conf = { env = {}, lua = {}, errors = {}, dir = dir, prefix = prefix }
    parse(conf_path, conf, 0)
    local lines = {}
    if #conf.errors > 0 then
        for _, e in ipairs(conf.errors) do lines[#lines + 1] = "nginx_check: " .. e end
        return nil, lines, 2
    end
    if not conf.init then
        lines[1] = "nginx_check: " .. conf_path .. " has no init_by_lua: pylon_idv.openresty "
            .. "is not configured there (configure() belongs in init_by_lua)"
        return false, lines
    end

    -- nginx clears the environment but for `env` lines (and TZ)
    local getenv, saved_path, saved_cpath = os.getenv, package.path, package.cpath
    local saved_ngx, saved_loaded = rawget(_G, "ngx"), package.loaded["pylon_idv.openresty"]
    os.getenv = function(k)
        local v = conf.env[k]
        if v == true or k == "TZ" then return getenv(k) end
        if type(v) == "string" then return v end
        return nil
    end
    package.path = lua_path(conf.lua_package_path, prefix, saved_path)
    package.cpath = lua_path(conf.lua_package_cpath, prefix, saved_cpath)
    local logs = {}
    _G.ngx = fake_ngx(prefix, logs)
    package.loaded["pylon_idv.openresty"] = nil
    local load_ = loadstring or load
    local fn, err = load_(conf.init.code, conf.init.where)
    local ok, names = false, nil
    if fn then
        ok, err = pcall(fn)
        if ok then
            local loaded, m = pcall(require, "pylon_idv.openresty")
            names = loaded and m.configured() or {}
        end
    end
    os.getenv, package.path, package.cpath = getenv, saved_path, saved_cpath
    _G.ngx = saved_ngx
    package.loaded["pylon_idv.openresty"] = saved_loaded
    for _, l in ipairs(logs) do lines[#lines + 1] = "nginx_check: init_by_lua logged: " .. l end
    if not ok then
        lines[#lines + 1] = "nginx_check: init_by_lua fails, so nginx will not start: "
            .. tostring(err)
        return false, lines
    end

    local made = {}
    for _, n in ipairs(names) do made[n] = true end
    local used, order = {}, {}
    for _, code in ipairs(conf.lua) do
        for fn_name, args in code:gmatch("%.(%a[%w_]*)%s*(%b())") do
            if fn_name == "header_filter" or fn_name == "serve_script" then
                local name = args:match("^%(%s*[\"']([^\"']*)[\"']%s*%)$")
                if not name and args:match("^%(%s*%)$") then name = "default" end
                if name and not used[name] then used[name] = true; order[#order + 1] = name end
            end
        end
    end
    local bad = false
    for _, n in ipairs(order) do
        if not made[n] then
            bad = true
            lines[#lines + 1] = "nginx_check: a filter or serve_script uses the configuration \""
                .. n .. "\", which init_by_lua does not make (configure(\"" .. n
                .. "\", { ... })); its pages would pass through untouched"
        end
    end
    lines[#lines + 1] = "nginx_check: init_by_lua ran; configurations made: "
        .. (#names > 0 and table.concat(names, ", ") or "none") .. "; used by the filters: "
        .. (#order > 0 and table.concat(order, ", ") or "none")
    return not bad, lines
end

--- main{ CONF [, PREFIX] } -> exit status, for
-- `luajit -e 'os.exit(require("pylon_idv.nginx_check").main{ "/etc/nginx/nginx.conf" })'`.
function M.main(argv)
    local conf_path, prefix = argv and argv[1], argv and argv[2]
    if not conf_path then
        io.stderr:write("usage: luajit -e 'os.exit(require(\"pylon_idv.nginx_check\")"
            .. ".main{ \"/etc/nginx/nginx.conf\" [, PREFIX] })'\n")
        return 2
    end
    local ok, lines, status = M.check(conf_path, prefix)
    for _, l in ipairs(lines) do io.stderr:write(l, "\n") end
    if ok then
        io.stderr:write("nginx_check: ", conf_path, ": pylon_idv's configuration is good\n")
        return 0
    end
    return status or 1
end

return M
