-- pylon_idv.openresty: the Pylon chat settings in every HTML page nginx proxies, from any
-- backend (PHP, Rails, static files), for the user an auth service names.
--
--   init_by_lua_block { require("pylon_idv.openresty").configure { app_id = "YOUR_APP_ID" } }
--
--   location = /_pylon_idv/pylon-chat.js {
--       content_by_lua_block { require("pylon_idv.openresty").serve_script() }
--   }
--   location / {
--       auth_request /_auth;                       # oauth2-proxy, or any auth service
--       auth_request_set $pylon_email $upstream_http_x_auth_request_email;
--       proxy_pass http://backend;
--       proxy_set_header Accept-Encoding "";       # plain HTML from the backend (see below)
--       header_filter_by_lua_block { require("pylon_idv.openresty").header_filter() }
--       body_filter_by_lua_block   { require("pylon_idv.openresty").body_filter() }
--   }
--
-- The identity is the nginx variable named by `email_var` (default "pylon_email"), which the
-- operator sets from a trusted source: `auth_request_set` copies a header of the auth
-- service's RESPONSE ($upstream_http_...), which a client cannot forge. Never set it from a
-- request header ($http_x_auth_request_email): any client can send one. An empty or unset
-- variable is a visitor who is not logged in (app id and fields only).
--
-- The filters insert the data element (idv.chat_settings_data) and
-- `<script src="/_pylon_idv/pylon-chat.js"></script>` before the first `</body` of a
-- 200 text/html response. Untouched: any other status or type, a HEAD request, a body with a
-- Content-Encoding (gzip, br: ask the backend for plain HTML with the Accept-Encoding line
-- above; nginx's own `gzip on` still compresses what leaves), HTML without `</body`. The
-- body streams: chunked or not, with at most 6 bytes held back while `</body` may straddle
-- two chunks. Content-Length (and the backend's ETag, which names other bytes) are cleared
-- when a page will be changed; a page that carries an identity gets
-- `Cache-Control: private, no-store` (option `private = false` keeps the backend's).
--
-- configure() runs in init_by_lua, before the workers fork: the secret is read and decoded
-- there once. Any mistake raises there, so nginx refuses to start (and `nginx -t` fails) with
-- "pylon_idv.E00x: ... Fix: ...", never with the secret:
--   E001 secret missing (the variable, and nginx's `env NAME;` line), E002 secret malformed,
--   E003 a previous secret malformed, E004 app id missing, E005 app id malformed,
--   E006 an option of the wrong type, E008 pylon-chat.js not found.
-- A page that cannot be built at run time (an email that is not UTF-8) is passed through
-- untouched, with one error-log line.

local idv = require "pylon_idv"

local M = { _VERSION = idv._VERSION }

local cfg               -- set once by configure(), read-only afterwards
local HOLD = 6          -- #"</body" - 0: bytes kept back while the tag may straddle chunks
local CLOSE_BODY = "</[bB][oO][dD][yY][%s>]"

local function problem(id, message, fix)
    return ("pylon_idv.%s: %s Fix: %s"):format(id, message, fix)
end

local GENERATE = "make one with: pylon-idv generate-secret"

local function secret_problem(id, where, err)
    err = tostring(err):gsub("^pylon_idv: ", ""):gsub("^invalid secret: ", "")
    return problem(id, where .. " is not a valid identity secret: " .. err .. ".",
        "it must be the hex digits of the identity secret from Pylon's settings (normally 64, "
        .. "no quotes, no spaces inside); " .. GENERATE .. ".")
end

local function html_attr(s)
    return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
                                 ['"'] = "&quot;", ["'"] = "&#39;" }))
end

local function read_file(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local s = f:read("*a")
    f:close()
    return s
end

-- pylon-chat.js: opts.script_file, else the C module's static_path(), else beside this file
-- (where the rock installs it).
local function find_script(file)
    local tried = {}
    local candidates = {}
    if file then
        candidates[1] = file
    else
        if type(idv.static_path) == "function" then
            local ok, dir = pcall(idv.static_path)
            if ok and type(dir) == "string" then candidates[#candidates + 1] = dir .. "/pylon-chat.js" end
        end
        local src = debug.getinfo(1, "S").source
        if src:sub(1, 1) == "@" then
            candidates[#candidates + 1] = (src:sub(2):match("^(.*)/[^/]*$") or ".") .. "/pylon-chat.js"
        end
    end
    for _, path in ipairs(candidates) do
        local s = read_file(path)
        if s then return s, path end
        tried[#tried + 1] = path
    end
    return nil, table.concat(tried, ", ")
end

--- configure(opts): check everything, once, in init_by_lua. Raises "pylon_idv.E00x: ..." on
-- any problem (every problem found, one per line). Options:
--   app_id        your Pylon app id (required)
--   secret_env    environment variable holding the secret (default PYLON_IDENTITY_SECRET;
--                 nginx clears the environment: declare it with `env PYLON_IDENTITY_SECRET;`)
--   previous_env  previous secrets, separated by spaces or commas
--                 (default PYLON_IDENTITY_SECRET_PREVIOUS)
--   email_var     nginx variable holding the signed-in user's email (default "pylon_email")
--   field_vars    { setting = "nginx variable" }: e.g. { name = "pylon_name" }
--   fields        fixed extra settings, { setting = value }
--   script_url    where pylon-chat.js is served (default "/_pylon_idv/pylon-chat.js")
--   script_file   the pylon-chat.js to serve (default: found as described above)
--   private       Cache-Control "private, no-store" on pages with an identity (default true)
function M.configure(opts)
    if type(opts) ~= "table" then
        error("pylon_idv.openresty.configure: a table of options is required", 2)
    end
    local problems = {}
    local function add(...) problems[#problems + 1] = problem(...) end
    local function name_ok(v) return type(v) == "string" and v:find("^[%a_][%w_]*$") ~= nil end

    local secret_env = opts.secret_env or "PYLON_IDENTITY_SECRET"
    local previous_env = opts.previous_env or "PYLON_IDENTITY_SECRET_PREVIOUS"
    local email_var = opts.email_var or "pylon_email"
    for k, v in pairs({ secret_env = secret_env, previous_env = previous_env, email_var = email_var }) do
        if not name_ok(v) then
            add("E006", "option " .. k .. " must be a variable name (letters, digits, '_').",
                "pass a name such as \"PYLON_IDENTITY_SECRET\", never the secret itself.")
        end
    end
    local field_vars, fields = opts.field_vars or {}, opts.fields or {}
    if type(field_vars) ~= "table" or type(fields) ~= "table" then
        add("E006", "options field_vars and fields must be tables.",
            "field_vars = { name = \"pylon_name\" }, fields = { setting = value }.")
        field_vars, fields = {}, {}
    end
    for k, v in pairs(field_vars) do
        if type(k) ~= "string" or not name_ok(v) then
            add("E006", "field_vars maps setting names to nginx variable names.",
                "field_vars = { name = \"pylon_name\" } (and `auth_request_set $pylon_name ...`).")
            break
        end
    end
    local script_url = opts.script_url or "/_pylon_idv/pylon-chat.js"
    if type(script_url) ~= "string" or script_url == "" then
        add("E006", "option script_url must be a non-empty string.",
            "leave it out, or give the URL where serve_script() (or your CDN) serves pylon-chat.js.")
        script_url = ""
    end

    local app_id = opts.app_id
    if app_id == nil or app_id == "" then
        add("E004", "app_id is not set: the widget needs your Pylon app id.",
            "configure { app_id = \"...\" } with the app id from Pylon's chat widget settings.")
    elseif type(app_id) ~= "string" or not app_id:find("^[%w_-]+$") then
        add("E005", "app_id must be a string of letters, digits, '_' and '-'.",
            "give the app id exactly as Pylon shows it.")
    end

    local signer
    if name_ok(secret_env) and name_ok(previous_env) then
        local secret = os.getenv(secret_env)
        local ok_current = false
        if secret == nil or not secret:find("%S") then
            add("E001", "the environment variable " .. secret_env .. " is not set or is empty"
                .. " (nginx passes only the variables named by `env` lines).",
                "add `env " .. secret_env .. ";` at the top of nginx.conf and set " .. secret_env
                .. " to the identity secret from Pylon's settings (" .. GENERATE .. ").")
        else
            local s, err = idv.new(secret)
            if s then ok_current = true else
                problems[#problems + 1] = secret_problem("E002", "the environment variable " .. secret_env, err)
            end
        end
        local previous = {}
        for p in (os.getenv(previous_env) or ""):gsub(",", " "):gmatch("%S+") do
            previous[#previous + 1] = p
        end
        local ok_previous = true
        for i, p in ipairs(previous) do
            local s, err = idv.new(p)
            if not s then
                ok_previous = false
                problems[#problems + 1] = secret_problem("E003", "previous secret " .. i
                    .. " in the environment variable " .. previous_env, err)
            end
        end
        if ok_current and ok_previous then
            signer = assert(idv.new(secret, previous))
        end
        secret, previous = nil, nil
    end

    local script, where = find_script(opts.script_file)
    if not script then
        add("E008", "pylon-chat.js was not found (looked at: " .. where .. ").",
            "pass script_file = \"/path/to/pylon-chat.js\" (the file ships with pylon_idv).")
    end

    if signer and #problems == 0 then
        -- A trial page with every field: the core's own checks (field names, values) run now.
        local trial = { app_id = app_id }
        for k, v in pairs(fields) do trial[k] = v end
        for k in pairs(field_vars) do trial[k] = "x" end
        local ok, data, err = pcall(idv.chat_settings_data, "x@example.com", signer, trial)
        if not ok or not data then
            add("E006", "the fields cannot be rendered: " .. tostring(ok and err or data) .. ".",
                "use setting names other than email and email_hash, and string, boolean or "
                .. "number values.")
        end
    end

    if #problems > 0 then
        error(table.concat(problems, "\n"), 0)
    end
    cfg = {
        app_id = app_id, signer = signer, email_var = email_var, field_vars = field_vars,
        fields = fields, script = script,
        script_tag = '<script src="' .. html_attr(script_url) .. '"></script>',
        private = opts.private ~= false,
    }
    return signer:fingerprint()
end

local function logged(key, ...)
    cfg[key] = cfg[key] or 0
    if cfg[key] == 0 then ngx.log(ngx.ERR, ...) end
    cfg[key] = cfg[key] + 1
end

local function will_rewrite()
    if ngx.status ~= 200 or ngx.req.get_method() == "HEAD" then return false end
    local ctype = ngx.header.content_type
    if type(ctype) ~= "string" or not ctype:lower():find("^%s*text/html") then return false end
    local enc = ngx.header.content_encoding
    if type(enc) == "table" then return false end
    if enc ~= nil and enc ~= "" and enc:lower() ~= "identity" then return false end
    return true
end

--- header_filter(): in header_filter_by_lua. Decides whether the page is changed, builds what
-- goes into it, and clears the headers that would be wrong. Never raises.
function M.header_filter()
    if not cfg then
        ngx.log(ngx.ERR, "pylon_idv.openresty: configure() was not called in init_by_lua; "
            .. "pages pass through untouched")
        return
    end
    if not will_rewrite() then return end
    local email = ngx.var[cfg.email_var]
    if email == "" then email = nil end
    local settings = { app_id = cfg.app_id }
    for k, v in pairs(cfg.fields) do settings[k] = v end
    for k, var in pairs(cfg.field_vars) do
        local v = ngx.var[var]
        if v ~= nil and v ~= "" then settings[k] = v end
    end
    local ok, data, err = pcall(idv.chat_settings_data, email, cfg.signer, settings)
    if not ok or not data then
        logged("build_errors", "pylon_idv.openresty: page passed through untouched: ",
            tostring(ok and err or data))
        return
    end
    ngx.ctx.pylon_idv = { insert = data .. cfg.script_tag, tail = "" }
    ngx.header.content_length = nil
    ngx.header.etag = nil
    if email and cfg.private then
        ngx.header.cache_control = "private, no-store"
    end
end

--- body_filter(): in body_filter_by_lua. Inserts before the first `</body`, streaming.
function M.body_filter()
    local st = ngx.ctx.pylon_idv
    if not st or st.done then return end
    local chunk, eof = ngx.arg[1], ngx.arg[2]
    local data = st.tail == "" and chunk or st.tail .. chunk
    local at = data:find(CLOSE_BODY)
    if at then
        ngx.arg[1] = data:sub(1, at - 1) .. st.insert .. data:sub(at)
        st.done, st.tail = true, nil
    elseif eof then
        ngx.arg[1] = data                   -- no </body>: the page as it was
        st.done, st.tail = true, nil
    else
        local keep = #data < HOLD and #data or HOLD
        st.tail = data:sub(#data - keep + 1)
        ngx.arg[1] = data:sub(1, #data - keep)
    end
end

--- serve_script(): in content_by_lua, serves pylon-chat.js from the same origin.
function M.serve_script()
    if not cfg then return ngx.exit(ngx.HTTP_NOT_FOUND) end
    local method = ngx.req.get_method()
    if method ~= "GET" and method ~= "HEAD" then return ngx.exit(ngx.HTTP_NOT_ALLOWED) end
    ngx.header.content_type = "text/javascript; charset=utf-8"
    ngx.header.cache_control = "public, max-age=300"
    ngx.header["X-Content-Type-Options"] = "nosniff"
    ngx.header.content_length = #cfg.script
    if method == "GET" then ngx.print(cfg.script) end
end

return M
