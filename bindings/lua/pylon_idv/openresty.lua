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
-- SEVERAL APPS OR IDENTITY SOURCES in one nginx: named configurations, made in init_by_lua and
-- chosen per `location` (or per `server`: nginx hands a server's filter lines to each location
-- that has none of its own) by the name given to the filter:
--
--   init_by_lua_block {
--       local pylon = require "pylon_idv.openresty"
--       pylon.configure("shop",    { app_id = "SHOP_APP_ID", email_var = "shop_email" })
--       pylon.configure("support", { app_id = "SUPPORT_APP_ID", email_var = "support_email",
--                                    secret_env = "PYLON_SUPPORT_SECRET" })
--   }
--   location /support/ {
--       ...
--       header_filter_by_lua_block { require("pylon_idv.openresty").header_filter("support") }
--       body_filter_by_lua_block   { require("pylon_idv.openresty").body_filter() }
--   }
--
-- configure(opts) and header_filter() with no name are the configuration "default". Every
-- configuration is checked and its secret decoded in init_by_lua, before the workers fork. A
-- filter naming a configuration that was never made passes pages through untouched, with one
-- error-log line per worker; `pylon_idv.nginx_check` finds it before start-up (see there).
--
-- THE BACKEND NAMES THE USER in a response header (X-User-Email: the app knows who is signed
-- in): `map $upstream_http_x_user_email $support_email { default $upstream_http_x_user_email; }`
-- at http level, email_var = "support_email", and `proxy_hide_header X-User-Email;` in the
-- location so the client never sees it. $upstream_http_* is the backend's RESPONSE: a request
-- header of the same name sent by a client never becomes the identity (clear it on the way in
-- too, `proxy_set_header X-User-Email "";`, so the backend cannot echo it back).
--
-- The identity is the nginx variable named by `email_var` (default "pylon_email"), which the
-- operator sets from a trusted source: `auth_request_set` copies a header of the auth
-- service's RESPONSE ($upstream_http_...), which a client cannot forge. Never set it from a
-- request header ($http_x_auth_request_email): any client can send one. An empty or unset
-- variable is a visitor who is not logged in (app id and fields only).
--
-- WHERE the filters insert: the data element (idv.chat_settings_data) and
-- `<script src="/_pylon_idv/pylon-chat.js"></script>` go before the LAST `</body` end tag (any
-- case, followed by whitespace, `/` or `>`) of a 200 text/html response that stands in markup:
-- not inside raw text (script, style, textarea, title, xmp, iframe, noembed, noframes,
-- noscript, plaintext), a comment (`<!-- -->`, `<!...>`, `<?...>`) or a tag and its attribute
-- values. A page's own `"</body>"` in a script string, a JSON block, a comment, an attribute or
-- a textarea is left alone. The scan is C (bindings/lua/html_scan.c): each byte once, its state
-- carried from chunk to chunk. The body streams: everything before the latest `</body` goes out
-- at once; only what follows it is held (a later `</body` may still come), up to 1 MiB: past
-- that, the snippet goes in at the held `</body` and the rest streams on unchanged. Apart from
-- the snippet the body is byte for byte the backend's.
--
-- Untouched (headers and body as the backend sent them): any other status or type, a body with
-- a Content-Encoding (gzip, br: ask the backend for plain HTML with the Accept-Encoding line
-- above; nginx's own `gzip on` still compresses what leaves), a page that cannot be built
-- (an email that is not UTF-8: one error-log line).
--
-- HEADERS of every response the filters personalise (visitor pages too): `Cache-Control:
-- private, no-store`; CDN-Cache-Control, Surrogate-Control, Cloudflare-CDN-Cache-Control
-- (which CDNs obey before Cache-Control, RFC 9213), ETag, Last-Modified and Content-Length are
-- removed. HEAD gets exactly the headers GET would get (the decision is made on status, type
-- and encoding, never on the method) and no body.
-- A PAGE WITH NO INSERTABLE `</body` cannot get its original headers back: nginx sends the
-- headers before the body, and only the body's end shows that no `</body` came. Such a 200
-- text/html page is sent with the headers above (chunked, no Content-Length, ETag or
-- Last-Modified; private, no-store), its body byte for byte as the backend's, and nothing in
-- it: the chat does not start on that page.
--
-- NONCE: when the backend's Content-Security-Policy (one header or several; each policy's
-- script-src-elem, else script-src, else default-src) allows scripts by nonce, the inserted
-- `<script src>` carries that nonce (1-256 characters of [A-Za-z0-9+/=_-], as the core checks
-- nonces; another value is never copied). A policy that blocks the inserted script whatever is
-- done ('none'; 'strict-dynamic' without a usable nonce; no 'self', nonce, `*`, scheme or host
-- source that allows the script's URL) is logged once per worker, with the directive named.
--
-- configure() runs in init_by_lua, before the workers fork: the secret is read and decoded
-- there once. Any mistake raises there, so nginx refuses to start (a reload keeps the old
-- configuration running) with "pylon_idv.E00x: ... Fix: ...", never with the secret:
--   E001 secret missing (the variable, and nginx's `env NAME;` line), E002 secret malformed,
--   E003 a previous secret malformed (named by its place: "previous secret #2"),
--   E004 app id missing, E005 app id malformed,
--   E006 an option of the wrong type, E008 pylon-chat.js not found,
--   E009 a configuration name that is not 1-64 letters, digits, '_', '.' or '-'.
-- `nginx -t` DOES NOT run init_by_lua (measured with Debian 12's nginx 1.22.1 +
-- libnginx-mod-http-lua 0.10.23 and Debian unstable's 1.30.6 + 0.10.29: a configure() that
-- raises still gives "test is successful", exit 0; OpenResty ships the same lua-nginx-module). Check a configuration before a reload
-- with pylon_idv.nginx_check, which runs its init_by_lua as nginx would (see that file).
-- A page that cannot be built at run time (an email that is not UTF-8) is passed through
-- untouched, with one error-log line.

local idv = require "pylon_idv"

local M = { _VERSION = idv._VERSION }

local configs = {}      -- name -> configuration, made by configure() in init_by_lua only
local HOLD_MAX = 1048576    -- bytes held after a `</body` before the snippet goes in there
local html_scanner, html_scan = idv.html_scanner, idv.html_scan
local concat = table.concat
-- what a personalised response loses: its length and validators name other bytes, and CDNs
-- obey the CDN-targeted cache headers before Cache-Control (RFC 9213)
local DROPPED = { "Content-Length", "ETag", "Last-Modified", "CDN-Cache-Control",
                  "Surrogate-Control", "Cloudflare-CDN-Cache-Control" }

-- The configuration problems: ids, texts and fixes from the core's one table (Python's
-- integrations read it too), {placeholders} filled with nginx's words.
local PROBLEMS = idv._problems()

local function problem(key, vars)
    local p = PROBLEMS[key]
    vars = vars or {}
    if vars.generate == nil then vars.generate = "pylon-idv generate-secret" end
    local function fill(text)
        return (text:gsub("{([%w_]+)}", function(k)
            local v = vars[k]
            if v ~= nil then return tostring(v) end
        end))
    end
    return ("pylon_idv.%s: %s Fix: %s"):format(p.id, fill(p.text), fill(p.fix))
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

--- split_previous(text) -> list: the separator rule for previous secrets. Commas separate
-- entries; an entry that is empty or only whitespace is skipped; the rest are kept as they
-- are (the core trims whitespace around a secret and rejects whitespace inside one, so
-- "<hex> <hex>" is one entry, and an error, not two secrets).
function M.split_previous(text)
    local list = {}
    if text == nil then return list end
    for entry in (text .. ","):gmatch("([^,]*),") do
        if entry:find("%S") then list[#list + 1] = entry end
    end
    return list
end

-- A configuration's name: 1-64 letters, digits, '_', '.' or '-' (safe to print in logs).
local function valid_name(name)
    return type(name) == "string" and #name <= 64 and name:find("^[%w_.-]+$") ~= nil
end

--- configure([name,] opts): check everything, once, in init_by_lua, and keep the result as
-- the configuration NAME (default "default"): header_filter(NAME) and serve_script(NAME) in a
-- `location` or `server` use it. Several configurations (apps, secrets, identity variables)
-- live side by side in one nginx; configuring a name again replaces it. Raises
-- "pylon_idv.E00x: ..." on any problem (every problem found, one per line). Options:
--   app_id        your Pylon app id (required)
--   secret_env    environment variable holding the secret (default PYLON_IDENTITY_SECRET;
--                 nginx clears the environment: declare it with `env PYLON_IDENTITY_SECRET;`)
--   previous_env  previous secrets, separated by commas (default
--                 PYLON_IDENTITY_SECRET_PREVIOUS). Whitespace around an entry is trimmed and
--                 empty entries are skipped; whitespace inside an entry is an error (E003,
--                 naming "previous secret #k"), never two secrets.
--   email_var     nginx variable holding the signed-in user's email (default "pylon_email")
--   field_vars    { setting = "nginx variable" }: e.g. { name = "pylon_name" }
--   fields        fixed extra settings, { setting = value }
--   script_url    where pylon-chat.js is served (default "/_pylon_idv/pylon-chat.js")
--   script_file   the pylon-chat.js to serve (default: found as described above)
function M.configure(name, opts)
    if opts == nil and type(name) == "table" then name, opts = "default", name end
    if type(opts) ~= "table" then
        error("pylon_idv.openresty.configure: a table of options is required", 2)
    end
    if type(html_scan) ~= "function" then      -- an older pylon_idv.so on lua_package_cpath
        error("pylon_idv.openresty: the pylon_idv C module found has no html_scan: it is older "
            .. "than this file (" .. tostring(idv._VERSION) .. "). Fix: install or build both "
            .. "from the same release.", 0)
    end
    local problems = {}
    local function add(key, vars) problems[#problems + 1] = problem(key, vars) end
    local function name_ok(v) return type(v) == "string" and v:find("^[%a_][%w_]*$") ~= nil end
    if not valid_name(name) then
        add("config_name")
    end

    local secret_env = opts.secret_env or "PYLON_IDENTITY_SECRET"
    local previous_env = opts.previous_env or "PYLON_IDENTITY_SECRET_PREVIOUS"
    local email_var = opts.email_var or "pylon_email"
    for _, k in ipairs({ "secret_env", "previous_env" }) do
        if not name_ok(k == "secret_env" and secret_env or previous_env) then
            add("env_name", { setting = "option " .. k, example = "PYLON_IDENTITY_SECRET" })
        end
    end
    if not name_ok(email_var) then
        add("var_name", { setting = "option email_var", example = "pylon_email" })
    end
    local field_vars, fields = opts.field_vars or {}, opts.fields or {}
    if type(field_vars) ~= "table" or type(fields) ~= "table" then
        add("tables", { setting = "each of the options field_vars and fields",
                        example = "field_vars = { name = \"pylon_name\" }, fields = { setting = value }." })
        field_vars, fields = {}, {}
    end
    for k, v in pairs(field_vars) do
        if type(k) ~= "string" or not name_ok(v) then
            add("var_name", { setting = "each value of option field_vars", example = "pylon_name" })
            break
        end
    end
    local script_url = opts.script_url or "/_pylon_idv/pylon-chat.js"
    if type(script_url) ~= "string" or not pcall(idv.script_tag, script_url) then
        add("script_url", { setting = "option script_url" })
        script_url = ""
    end

    local app_id = opts.app_id
    if app_id == nil or app_id == "" then
        add("app_id_missing", { setting = "app_id" })
    elseif type(app_id) ~= "string" or not pcall(idv.widget_script, app_id) then  -- the core's rule
        add("app_id_malformed", { setting = "app_id" })
    end

    local signer
    if name_ok(secret_env) and name_ok(previous_env) then
        local secret = os.getenv(secret_env)
        local ok_current = false
        if secret == nil or not secret:find("%S") then
            add("secret_missing", { env = secret_env,
                env_note = " (nginx passes only the variables named by `env` lines)",
                env_fix = ", and add `env " .. secret_env .. ";` at the top of nginx.conf" })
        else
            local s, _, parts = idv.new(secret)
            if s then ok_current = true else
                -- parts.reason: the core's words (the rule and a position), never the secret
                add("secret_malformed", { where = "the environment variable " .. secret_env,
                                          reason = parts.reason })
            end
        end
        local previous = M.split_previous(os.getenv(previous_env))
        local ok_previous = true
        local where = "the environment variable " .. previous_env
        for i, p in ipairs(previous) do
            local s, _, parts
            if p:match("^[ \t\r\n]*(.-)[ \t\r\n]*$"):find("%s") then   -- the one rule
                add("previous_space", { k = i, where = where })
            else
                s, _, parts = idv.new(p)
                if not s then add("previous_malformed", { k = i, where = where, reason = parts.reason }) end
            end
            if not s then ok_previous = false end
        end
        if ok_current and ok_previous then
            signer = assert(idv.new(secret, previous))
        end
        secret, previous = nil, nil
    end

    if opts.private ~= nil then
        add("removed", { setting = "option private", detail = "every page the filters change is "
            .. "sent `Cache-Control: private, no-store`, visitor pages too." })
    end

    local script, where = find_script(opts.script_file)
    if not script then
        add("script_missing", { paths = where, setting = "option script_file" })
    end

    if signer and #problems == 0 then
        -- A trial page with every field: the core's own checks (field names, values) run now.
        local trial = { app_id = app_id }
        for k, v in pairs(fields) do trial[k] = v end
        for k in pairs(field_vars) do trial[k] = "x" end
        local ok, data, err = pcall(idv.chat_settings_data, "x@example.com", signer, trial)
        if not ok or not data then
            add("fields", { detail = tostring(ok and err or data) })
        end
    end

    if #problems > 0 then
        if name ~= "default" and valid_name(name) then
            for i, p in ipairs(problems) do        -- which of several configurations
                problems[i] = p:gsub("^(pylon_idv%.E%d+: )", "%1configuration \"" .. name .. "\": ")
            end
        end
        error(table.concat(problems, "\n"), 0)
    end
    local settings = { app_id = app_id }
    for k, v in pairs(fields) do settings[k] = v end
    configs[name] = {
        name = name, app_id = app_id, signer = signer, email_var = email_var,
        field_vars = field_vars, settings = settings, script = script, script_url = script_url,
        tag = idv.script_tag(script_url),               -- the tag with no nonce, made once
    }
    return signer:fingerprint()
end

--- configured() -> list: the names configure() has made, sorted (for checks and logs).
function M.configured()
    local names = {}
    for n in pairs(configs) do names[#names + 1] = n end
    table.sort(names)
    return names
end

-- The configuration a filter or serve_script() names (nil: "default"), or nil and one
-- error-log line per worker and name: a location naming a configuration that init_by_lua never
-- made passes its pages through untouched. (Checked before start-up by pylon_idv.nginx_check.)
local missing_logged = {}
local function lookup(name)
    local cfg = configs[name or "default"]
    if cfg then return cfg end
    local key = type(name) == "string" and name or "default"
    if not missing_logged[key] then
        missing_logged[key] = true
        local names = M.configured()
        ngx.log(ngx.ERR, "pylon_idv.openresty: ", name == nil and "configure() was not called "
            .. "in init_by_lua" or "the configuration a filter names was not made by configure() "
            .. "in init_by_lua", " (configured: ", #names > 0 and concat(names, ", ") or "none",
            "); pages pass through untouched")
    end
    return nil
end

local function logged(cfg, key, level, ...)
    cfg[key] = cfg[key] or 0
    if cfg[key] == 0 then ngx.log(level, ...) end
    cfg[key] = cfg[key] + 1
end

-- The `<script src>` that loads pylon-chat.js, with the backend's nonce when there is one:
-- written by the core (idv.script_tag), which checks the nonce as it checks every nonce.
local function script_tag(cfg, nonce)
    if nonce then return idv.script_tag(cfg.script_url, { nonce = nonce }) end
    return cfg.tag
end

-- ---------------------------------------------------------------- Content-Security-Policy
-- Does a host source (example.com, https://*.example.com:443/path) name this host?
local function host_matches(src, host)
    local h = src:gsub("^%a[%w+.-]*://", ""):gsub("[/?#].*$", ""):gsub(":[%d*]+$", "")
    if h == "" or not host then return false end
    host = host:lower():gsub(":%d+$", "")
    if h:sub(1, 2) == "*." then
        local suffix = h:sub(2)
        return #host > #suffix and host:sub(-#suffix) == suffix
    end
    return h == host
end

-- One policy's verdict on the inserted script: the directive that governs it (nil: none does)
-- and, from its sources, the valid nonces, whether the script's URL is allowed, and whether
-- that answer depended on this request (its host or scheme).
local function judge_policy(policy, url_host, scheme)
    local seen = {}
    for d in policy:gmatch("[^;]+") do
        local name, rest = d:match("^%s*([%w-]+)(.*)$")
        if name then
            name = name:lower()
            if seen[name] == nil then seen[name] = rest end   -- a repeated directive is ignored
        end
    end
    local directive, sources
    for _, n in ipairs({ "script-src-elem", "script-src", "default-src" }) do
        if seen[n] then directive, sources = n, seen[n]; break end
    end
    if not directive then return nil end
    local nonces, url_ok, strict, per_request = {}, false, false, false
    for src in sources:gmatch("%S+") do
        local l = src:lower()
        if l:sub(1, 7) == "'nonce-" and l:sub(-1) == "'" then
            local v = src:sub(8, -2)
            if pcall(idv.script_tag, "/", { nonce = v }) then nonces[#nonces + 1] = v end
        elseif l == "'strict-dynamic'" then
            strict = true
        elseif l == "'self'" then
            url_ok = url_ok or url_host == true
        elseif l == "*" then
            url_ok = true                  -- any http(s) URL (CSP3: the page's scheme family)
        elseif l:find("^%a[%w+.-]*:$") then
            per_request = true
            url_ok = url_ok or l == scheme .. ":" or (l == "http:" and scheme == "https")
        elseif l:sub(1, 1) ~= "'" then
            per_request = true
            url_ok = url_ok or host_matches(l, url_host == true and ngx.var.host or url_host)
        end
    end
    if strict then url_ok = false end      -- 'strict-dynamic': only nonces and hashes count
    return directive, nonces, url_ok, per_request
end

-- The nonce the inserted script should carry (or nil), and the directive of the first policy
-- that blocks it whatever is done (or nil). Remembered per configuration (its script_url).
local function csp_verdict(cfg, header)
    if type(header) == "table" then header = concat(header, ",") end
    if header == cfg.csp_key then return cfg.csp_nonce, cfg.csp_blocked end
    -- where pylon-chat.js comes from: this origin (true), or another host
    local url = cfg.script_url
    local url_host = true
    local scheme = ngx.var.scheme or "https"
    if url:find("^%a[%w+.-]*://") or url:sub(1, 2) == "//" then
        url_host = url:gsub("^%a[%w+.-]*:", ""):sub(3):gsub("[/?#].*$", ""):gsub(":%d+$", ""):lower()
        scheme = url:match("^(%a[%w+.-]*):") or scheme
    end
    local verdicts, nonce, memo = {}, nil, not header:find("nonce", 1, true)
    for policy in header:gmatch("[^,]+") do
        local directive, nonces, url_ok, per_request = judge_policy(policy, url_host, scheme:lower())
        if per_request then memo = false end
        if directive then
            verdicts[#verdicts + 1] = { directive, nonces, url_ok }
            nonce = nonce or nonces[1]
        end
    end
    local blocked
    for _, v in ipairs(verdicts) do
        local ok = v[3]
        for _, n in ipairs(v[2]) do ok = ok or n == nonce end
        if not ok then blocked = v[1]; break end
    end
    if memo then              -- the same answer for every request with this header
        cfg.csp_key, cfg.csp_nonce, cfg.csp_blocked = header, nonce, blocked
    end
    return nonce, blocked
end

-- ------------------------------------------------------------------------------ filters
-- Is this response one the filters change? By status, type and encoding: HEAD and GET alike.
local function will_rewrite()
    if ngx.status ~= 200 then return false end
    local ctype = ngx.header.content_type
    if type(ctype) ~= "string" or not ctype:lower():find("^%s*text/html") then return false end
    local enc = ngx.header.content_encoding
    if type(enc) == "table" then return false end
    if enc ~= nil and enc ~= "" and enc:lower() ~= "identity" then return false end
    return true
end

--- header_filter([name]): in header_filter_by_lua, with the configuration NAME (default
-- "default"). Decides whether the page is changed, builds what goes into it, and sets the
-- headers of a personalised response. Never raises.
function M.header_filter(name)
    local cfg = lookup(name)
    if not cfg then return end
    if not will_rewrite() then return end
    local email = ngx.var[cfg.email_var]
    if email == "" then email = nil end
    local settings = cfg.settings           -- app id and fixed fields (never written)
    if next(cfg.field_vars) ~= nil then
        settings = {}
        for k, v in pairs(cfg.settings) do settings[k] = v end
        for k, var in pairs(cfg.field_vars) do
            local v = ngx.var[var]
            if v ~= nil and v ~= "" then settings[k] = v end
        end
    end
    local ok, data, err = pcall(idv.chat_settings_data, email, cfg.signer, settings)
    if not ok or not data then
        logged(cfg, "build_errors", ngx.ERR, "pylon_idv.openresty: page passed through untouched: ",
            tostring(ok and err or data))
        return
    end
    local h = ngx.header
    local nonce, blocked
    local csp = h["Content-Security-Policy"]
    if csp then
        nonce, blocked = csp_verdict(cfg, csp)
        if blocked then
            logged(cfg, "csp_" .. blocked, ngx.WARN, "pylon_idv.openresty: the backend's "
                .. "Content-Security-Policy blocks the inserted <script src=\"", cfg.script_url,
                "\"> in its ", blocked, " directive (no 'self', nonce or source allowing it): ",
                "the chat will not start on such pages (logged once per worker)")
        end
    end
    for i = 1, #DROPPED do                  -- (a read is cheap, a write is not)
        local name = DROPPED[i]
        if h[name] ~= nil then h[name] = nil end
    end
    h.cache_control = "private, no-store"
    if ngx.req.get_method() ~= "HEAD" then
        ngx.ctx.pylon_idv = { insert = data .. script_tag(cfg, nonce), sc = html_scanner() }
    end
end

--- body_filter(): in body_filter_by_lua. Inserts before the last `</body` in markup, streaming.
-- st.u: the bytes not sent yet (a list of pieces: what follows the latest `</body`, or the
-- few bytes of a `</body` that a chunk ended in); st.held: st.u starts at a `</body`.
function M.body_filter()
    local st = ngx.ctx.pylon_idv
    if not st or st.done then return end
    local chunk, eof = ngx.arg[1], ngx.arg[2]
    local cand, pend = html_scan(st.sc, chunk)
    local u, out = st.u, nil                -- out nil: the chunk goes out as it came
    if cand then                            -- a (later) </body: send what precedes it
        if cand >= 1 then
            if u then u[#u + 1] = chunk:sub(1, cand - 1); out = concat(u)
            else out = chunk:sub(1, cand - 1) end
            st.u, st.n = { chunk:sub(cand) }, #chunk - cand + 1
        else                                -- its '<' came in the bytes kept back
            local all = concat(u)
            local at = #all + cand
            out = all:sub(1, at - 1)
            st.u, st.n = { all:sub(at), chunk }, #all - at + 1 + #chunk
        end
        st.held = true
    elseif st.held then
        u[#u + 1] = chunk
        st.n = st.n + #chunk
        out = ""
        if st.n > HOLD_MAX and not eof then     -- bounded: insert at the held </body, stream on
            ngx.arg[1] = st.insert .. concat(u)
            st.done, st.u = true, nil
            return
        end
    elseif pend then                        -- the chunk ends in what may become </body
        local all = u and concat(u) .. chunk or chunk
        local at = #all - #chunk + pend
        out = all:sub(1, at - 1)
        st.u = { all:sub(at) }
    elseif u then
        out = concat(u) .. chunk
        st.u = nil
    end
    if eof then
        out = out or chunk
        if st.held then out = out .. st.insert .. concat(st.u)
        elseif st.u then out = out .. concat(st.u) end
        st.done, st.u = true, nil
    end
    if out then ngx.arg[1] = out end
end

--- serve_script([name]): in content_by_lua, serves the pylon-chat.js of the configuration
-- NAME (default "default") from the same origin.
function M.serve_script(name)
    local cfg = lookup(name)
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
