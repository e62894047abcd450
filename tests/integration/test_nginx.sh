#!/usr/bin/env bash
# test_nginx.sh -- the Lua module inside a real nginx + lua-nginx-module (LuaJIT), as OpenResty
# users run it: examples/openresty/nginx.conf, unchanged but for its port and module path, on
# 127.0.0.1 and a free port under a temporary prefix.
#
#   tests/integration/test_nginx.sh CPATH_DIR
#     CPATH_DIR: directory holding the LuaJIT build of pylon_idv.so (the ctest test
#     nginx-lua-module-luajit passes build/lua/luajit/lib/lua/5.1, the source rock's tree)
#
# Checks: the page's chat_settings script (idv.chat_settings_script: one <script> element whose
# JSON decodes to app_id, email, name and the vector's email_hash); no /diagnose endpoint;
# /verify for good, flipped, missing, repeated and bare hashes; rotation (a previous secret
# verifies, key 1); every shared vector signed inside nginx (test-only locations on a second
# server, never in the example); a bad secret stops nginx from starting with the message and
# without the secret; a load run (wrk, 2 workers, >= 100k requests by default, every response
# body checked by wrk's Lua script; the same two worker processes before and after, and their
# VmRSS flat within LOAD_RSS_SLACK_KB); the page again with hostile email and name values (inert:
# one </script>, the JSON gives them back); and an error log free of [error], [alert], [crit]
# and [emerg]. nginx is stopped on any exit.
#
#   LOAD_REQUESTS=120000     at least this many requests in the load run (0: skip it): at least
#                            1/2 to the page, 1/4 good and 1/4 bad /verify, in 3 s wrk runs
#   LOAD_RSS_SLACK_KB=2048   allowed growth of each worker's VmRSS over the load run
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cpath_dir=$(cd "${1:?usage: test_nginx.sh CPATH_DIR}" && pwd)
[ -f "$cpath_dir/pylon_idv.so" ] || { echo "no pylon_idv.so in $cpath_dir" >&2; exit 2; }
nginx=${NGINX:-nginx}
command -v "$nginx" >/dev/null || exec "$root/scripts/why-missing.sh" test_nginx nginx nginx-light
for m in ndk_http_module.so ngx_http_lua_module.so; do
  [ -f "/usr/lib/nginx/modules/$m" ] || exec "$root/scripts/why-missing.sh" test_nginx "/usr/lib/nginx/modules/$m" libnginx-mod-http-lua
done

vectors=$root/tests/vectors
# crossref.tsv row 'ascii': jane@example.com under the common secret, and its hash
SECRET=8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812
JANE_HASH=386c49f4b2c6be922a05a7be7d380e49fba9a38cdb79d5378defc663716f3e6e
OLD=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

prefix=$(mktemp -d "${TMPDIR:-/tmp}/pylon_idv_nginx.XXXXXX")
chmod 755 "$prefix"                  # workers (nobody, when the master is root) read below it
mkdir -p "$prefix/logs" "$prefix/temp"
pidfile=$prefix/logs/nginx.pid

stop_nginx() {
  if [ -s "$pidfile" ]; then
    local pid; pid=$(cat "$pidfile")
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}
cleanup() {
  local rc=$?
  stop_nginx
  if [ $rc -ne 0 ] && [ -f "$prefix/logs/error.log" ]; then
    echo "--- $prefix/logs/error.log (tail)" >&2; tail -n 30 "$prefix/logs/error.log" >&2
  fi
  if [ $rc -eq 0 ] || [ -z "${KEEP:-}" ]; then rm -rf "$prefix"; fi
}
trap cleanup EXIT

fails=0; checks=0
ok()   { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL $*"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected [$3], got [$2]"; fi; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}
port=$(free_port); tport=$(free_port)
while [ "$tport" = "$port" ]; do tport=$(free_port); done

# The rock's Lua tree beside the module (pylon-chat.js: <tree>/share/lua/5.1/pylon_idv/static).
share_dir=$(cd "$cpath_dir/../../.." && pwd)/share/lua/5.1
[ -f "$share_dir/pylon_idv/static/pylon-chat.js" ] || { echo "test_nginx: no pylon-chat.js under $share_dir" >&2; exit 2; }

# The example, with the port, the module paths and one include (the test-only server).
conf=$prefix/nginx.conf
# (the example runs in the foreground with its log on stderr: here a daemon with log files)
sed -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" \
    -e "s|^\( *lua_package_cpath\) .*|\1 '$cpath_dir/?.so;;';|" \
    -e "s|^daemon off;|daemon on;|" \
    -e "s|^pid .*|pid logs/nginx.pid;|" \
    -e "s|^error_log stderr |error_log logs/error.log |" \
    -e "s|^\( *lua_package_path\) .*|\1 '$share_dir/?.lua;;';|" \
    "$root/examples/openresty/nginx.conf" > "$conf"
mkdir -p "$prefix/build/openresty/temp"          # the example's temp paths, under this prefix
grep -q "listen 127.0.0.1:$port;" "$conf" && grep -q "lua_package_cpath '$cpath_dir/" "$conf" \
  && grep -q "^daemon on;" "$conf" && grep -q "^pid logs/nginx.pid;" "$conf" \
  && grep -q "^error_log logs/error.log " "$conf" \
  && grep -q "lua_package_path '$share_dir/" "$conf" \
  || { echo "test_nginx: could not adapt the example config" >&2; exit 1; }
# close of the http block is the file's last '}': put the include just before it
last=$(grep -n '^}' "$conf" | tail -n 1 | cut -d: -f1)
sed -i "${last}i\\    include test-server.conf;" "$conf"

cat > "$prefix/test-server.conf" <<CONF
# Test only: the shared vectors signed inside nginx. POST a .tsv, get "checked N" and any FAIL.
server {
    listen 127.0.0.1:$tport;
    default_type text/plain;
    client_max_body_size 8m;
    client_body_buffer_size 8m;
    location = /vectors {
        content_by_lua_block {
            local idv = require "pylon_idv"
            local function unhex(h)
                return (h:gsub("%x%x", function(b) return string.char(tonumber(b, 16)) end))
            end
            ngx.req.read_body()
            local body = assert(ngx.req.get_body_data(), "body not in memory")
            local kind, n, out = ngx.var.arg_kind, 0, {}
            for line in body:gmatch("[^\n]+") do
                if line:sub(1, 1) ~= "#" then
                    local f = {}
                    for x in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = x end
                    n = n + 1
                    local ok, why = true, nil
                    if kind == "hmac" then
                        local key, msg, tag = f[4], unhex(f[5]), f[6]
                        if f[3] == "sign" then
                            ok = idv.sign(msg, key) == tag and idv.new(key):sign(msg) == tag
                                 and idv.verify(msg, key, tag) == true
                        else
                            ok = idv.verify(msg, key, tag) == false
                        end
                    elseif kind == "crossref" then
                        local email, secret, hash = unhex(f[2]), unhex(f[3]), f[4]
                        ok = idv.sign(email, secret) == hash and idv.new(secret):verify(email, hash)
                    elseif kind == "bad" then
                        local h, err = idv.sign("x", unhex(f[1]))
                        ok = h == nil and err:find("^pylon_idv: invalid secret: ") ~= nil
                        if f[2] == "CHAR" then
                            ok = ok and err:find(" at position " .. f[3] .. "$") ~= nil
                        end
                        why = err
                    end
                    if not ok then out[#out + 1] = "FAIL " .. f[1] .. " " .. f[2] .. " " .. tostring(why) end
                end
            end
            out[#out + 1] = "checked " .. n
            ngx.say(table.concat(out, "\n"))
        }
    }
}
CONF

start_nginx() {  # env for the secret is set by the caller
  "$nginx" -p "$prefix/" -c "$conf" -e "$prefix/logs/startup.log" 2>"$prefix/logs/start.err"
}
wait_ready() {
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "test_nginx: nginx did not answer on port $port" >&2; cat "$prefix/logs/start.err" >&2; return 1
}
get() { curl -sS -o "$prefix/body" -w '%{http_code}' "$@"; }

# ---- 1. a bad secret: nginx refuses to start, and says why without showing the secret
bad="${SECRET:0:17}G${SECRET:18}"
if PYLON_IDENTITY_SECRET=$bad start_nginx; then
  fail "nginx started with a malformed secret"; stop_nginx
else
  log=$(cat "$prefix/logs/start.err" "$prefix/logs/error.log" 2>/dev/null || true)
  if grep -q "pylon_idv: invalid secret: invalid hex digit at position 17" <<<"$log"; then
    ok "bad secret: nginx refuses to start, message names position 17"
  else
    fail "bad secret: message missing: $log"
  fi
  if grep -q "${SECRET:0:12}" <<<"$log"; then fail "bad secret: log shows the secret"; else ok "bad secret: log does not show the secret"; fi
fi
if env -u PYLON_IDENTITY_SECRET "$nginx" -p "$prefix/" -c "$conf" -e "$prefix/logs/startup.log" 2>"$prefix/logs/start.err"; then
  fail "nginx started without a secret"; stop_nginx
else
  grep -q "PYLON_IDENTITY_SECRET is not set" "$prefix/logs/start.err" "$prefix/logs/error.log" 2>/dev/null \
    && ok "missing secret: nginx refuses to start" || fail "missing secret: no message"
fi
: > "$prefix/logs/error.log"        # the expected [emerg]s above are not part of the clean-log check
: > "$prefix/logs/startup.log"

# ---- 2. the example, running (secret with a trailing newline, as read from a file)
PYLON_IDENTITY_SECRET="$SECRET"$'\n' PYLON_IDENTITY_SECRET_PREVIOUS="$OLD" start_nginx
wait_ready
echo "nginx $("$nginx" -v 2>&1 | sed 's/.*\///') on 127.0.0.1:$port (test server :$tport), prefix $prefix"

# The chat_settings <script>: exactly one script element and one "</script" in the page, the
# JSON between them valid and giving back what the config holds; email_hash = HMAC of the email
# bytes (computed here by Python's hmac: an independent oracle). Prints "ok ..." or "FAIL ...".
check_page() {  # FILE EMAIL NAME [MODE]  (EMAIL and NAME as bytes, passed through the environment;
                #                        MODE: / the data element (default), /inline the script)
  PAGE_EMAIL=$2 PAGE_NAME=$3 PAGE_SECRET=$SECRET PAGE_MODE=${4:-/} python3 - "$1" <<'PY'
import hashlib, hmac, json, os, sys
page = open(sys.argv[1], "rb").read()
env = os.environb
email, name = env[b"PAGE_EMAIL"], env[b"PAGE_NAME"]
secret = bytes.fromhex(env[b"PAGE_SECRET"].decode().strip())
if env[b"PAGE_MODE"] == b"/":
    head = b'<script type="application/json" id="pylon-chat-settings">'
    tail = b"</script>"
else:
    head = (b'<script>(function(w,O){var p=w.pylon,q=p&&typeof p=="object"?O.getPrototypeOf(p):1;'
            b'if(q!==O.prototype&&(q!==null||p.window===p))w.pylon=p={};p.chat_settings=')
    tail = b"})(window,Object);</script>"
low = page.lower()
problems = []
# two scripts: the settings and the loader (pylon-chat.js, or widget_script)
if low.count(b"<script") != 2: problems.append("%d <script in the page" % low.count(b"<script"))
if low.count(b"</script") != 2: problems.append("%d </script in the page" % low.count(b"</script"))
if low.count(b"<!--") != 0: problems.append("%d <!-- in the page" % low.count(b"<!--"))
start = page.find(head)
end = page.find(tail, start)
if start < 0 or end < 0:
    problems.append("no chat_settings script")
else:
    raw = page[start + len(head):end]
    for bad in (b"<", b">", b"&", "\u2028".encode(), "\u2029".encode()):
        if bad in raw: problems.append("raw %r in the JSON" % bad)
    try:
        cs = json.loads(raw.decode("utf-8"))
    except ValueError as e:
        cs = {}
        problems.append("JSON does not parse: %s" % e)
    want = {
        "app_id": "YOUR_APP_ID",
        "email": email.decode("utf-8", "replace"),
        "name": name.decode("utf-8", "replace"),
        "email_hash": hmac.new(secret, email, hashlib.sha256).hexdigest(),
    }
    if cs != want: problems.append("chat_settings %r != %r" % (cs, want))
if env[b"PAGE_SECRET"].strip() in page: problems.append("the page shows the secret")
print("FAIL " + "; ".join(problems) if problems else "ok")
PY
}

code=$(get "http://127.0.0.1:$port/")
expect_eq "GET / status" "$code" 200
res=$(check_page "$prefix/body" "jane@example.com" "Jane Doe")
expect_eq "page /: the data element + pylon-chat.js, JSON = app_id, email, name, email_hash (the vector's)" "$res" ok
code=$(get "http://127.0.0.1:$port/inline")
res=$(check_page "$prefix/body" "jane@example.com" "Jane Doe" /inline)
expect_eq "page /inline: chat_settings_script + widget_script, the same JSON" "$code $res" "200 ok"
code=$(get "http://127.0.0.1:$port/pylon-chat.js")
if [ "$code" = 200 ] && cmp -s "$prefix/body" "$share_dir/pylon_idv/static/pylon-chat.js"; then
  ok "GET /pylon-chat.js: the rock's file, from this origin"
else
  fail "GET /pylon-chat.js: $code"
fi
csp=$(curl -sS -D - -o /dev/null "http://127.0.0.1:$port/" | tr -d '\r' | sed -n 's/^Content-Security-Policy: //Ip')
expect_eq "page /: Pylon's policy in the header" "$csp" "script-src 'self' https://widget.usepylon.com"
code=$(get "http://127.0.0.1:$port/")
grep -q "\"email_hash\":\"$JANE_HASH\"" "$prefix/body" && ok "page email_hash is the vector's hash for jane@example.com" \
  || fail "page email_hash: $(cat "$prefix/body")"
if grep -q "$SECRET" "$prefix/body"; then fail "page shows the secret"; else ok "page does not show the secret"; fi
for path in /diagnose /diagnose/ "/diagnose?email=jane@example.com&hash=00"; do
  code=$(get "http://127.0.0.1:$port$path")
  expect_eq "no diagnose endpoint: GET $path" "$code" 404
done

v="http://127.0.0.1:$port/verify"
code=$(get "$v?email=jane@example.com&hash=$JANE_HASH")
expect_eq "verify good hash" "$code $(cat "$prefix/body")" '200 {"valid":true,"key":0}'
code=$(get "$v?email=jane%40example.com&hash=${JANE_HASH^^}")
expect_eq "verify good hash, upper case, encoded email" "$code $(cat "$prefix/body")" '200 {"valid":true,"key":0}'
flipped="${JANE_HASH:0:10}0${JANE_HASH:11}"; [ "$flipped" != "$JANE_HASH" ] || flipped="${JANE_HASH:0:10}1${JANE_HASH:11}"
code=$(get "$v?email=jane@example.com&hash=$flipped")
expect_eq "verify flipped hash" "$code $(cat "$prefix/body")" '403 {"valid":false}'
code=$(get "$v?email=mallory@example.com&hash=$JANE_HASH")
expect_eq "verify other email" "$code" 403
code=$(get "$v?email=jane@example.com")
expect_eq "verify missing hash (not a 500)" "$code" 403
code=$(get "$v?email=jane@example.com&hash")
expect_eq "verify bare ?hash (true in Lua)" "$code" 403
code=$(get "$v?email=jane@example.com&hash=$JANE_HASH&hash=$JANE_HASH")
expect_eq "verify repeated hash (a table in Lua)" "$code" 403
code=$(get "$v?hash=$JANE_HASH")
expect_eq "verify without email" "$code" 400
code=$(get "$v?email=jane@example.com&hash=%00$JANE_HASH")
expect_eq "verify hash with a NUL" "$code" 403

old_hash=$(printf 'jane@example.com' | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$OLD" | sed 's/.*= //')
code=$(get "$v?email=jane@example.com&hash=$old_hash")
expect_eq "rotation: a hash made with the previous secret verifies, key 1" "$code $(cat "$prefix/body")" '200 {"valid":true,"key":1}'

# ---- 3. every shared vector, signed inside nginx
for pair in hmac:hmac_sha256.tsv crossref:crossref.tsv bad:bad_secrets.tsv; do
  kind=${pair%%:*}; file=$vectors/${pair#*:}
  rows=$(grep -vc '^#' "$file")
  code=$(get --data-binary "@$file" "http://127.0.0.1:$tport/vectors?kind=$kind")
  body=$(cat "$prefix/body")
  if [ "$code" = 200 ] && [ "$body" = "checked $rows" ]; then
    ok "in nginx: $rows rows of ${pair#*:}"
  else
    fail "in nginx: ${pair#*:}: HTTP $code: $(head -c 600 <<<"$body")"
  fi
done

# ---- 4. load: >= 100k requests over the two workers (wrk), every response checked
# wrk's Lua script (one state per wrk thread) counts right and wrong answers in response(), and
# done() sums them over the threads. wrk runs for a duration, not a count: each kind of request
# is sent in 3-second runs until its count is reached.
cat > "$prefix/check.lua" <<'WRK'
-- args: STATUS MODE TEXT; MODE "eq": body (less its final newline) == TEXT, "has": body
-- contains TEXT. done() prints "checked good=N bad=N errors=N seconds=S".
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function init(args)
  want_status, mode, want = tonumber(args[1]), args[2], args[3]
  good, bad = 0, 0
end
function response(status, headers, body)
  local ok = status == want_status
  if mode == "eq" then ok = ok and (body:gsub("\n$", "")) == want
  else ok = ok and body:find(want, 1, true) ~= nil end
  if ok then good = good + 1 else
    bad = bad + 1
    if bad <= 3 then io.stderr:write("wrong answer: ", status, " ", body:sub(1, 200), "\n") end
  end
end
function done(summary)
  local g, b = 0, 0
  for _, t in ipairs(threads) do g = g + t:get("good"); b = b + t:get("bad") end
  local e = summary.errors
  io.write(("checked good=%d bad=%d errors=%d seconds=%.3f\n"):format(g, b,
    e.connect + e.read + e.write + e.timeout, summary.duration / 1e6))
end
WRK

worker_pids() { pgrep -P "$(cat "$pidfile")" | sort -n | tr '\n' ' '; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# wrk_check NAME COUNT URL STATUS MODE TEXT: 3 s runs until COUNT answers; prints
# "good bad errors requests/s"
wrk_check() {
  local g=0 b=0 e=0 secs=0 rg rb re rs runs=0
  while [ "$g" -lt "$2" ] && [ "$runs" -lt 60 ]; do
    runs=$((runs + 1))
    wrk -t2 -c16 -d3s -s "$prefix/check.lua" "$3" -- "$4" "$5" "$6" \
      > "$prefix/wrk-$1.txt" 2>> "$prefix/wrk-$1.err" || true
    read -r rg rb re rs < <(sed -n 's/^checked good=\([0-9]*\) bad=\([0-9]*\) errors=\([0-9]*\) seconds=\([0-9.]*\)$/\1 \2 \3 \4/p' "$prefix/wrk-$1.txt")
    [ -n "${rg:-}" ] || { b=$((b + 1)); cat "$prefix/wrk-$1.txt" >> "$prefix/wrk-$1.err"; break; }
    g=$((g + rg)); b=$((b + rb)); e=$((e + re))
    secs=$(awk -v a="$secs" -v c="$rs" 'BEGIN { print a + c }')
    [ "$rb" = 0 ] && [ "$re" = 0 ] || break
  done
  echo "$g $b $e $(awk -v g="$g" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? g / s : 0) }')"
}

load=${LOAD_REQUESTS:-120000}
slack=${LOAD_RSS_SLACK_KB:-2048}
if [ "$load" -gt 0 ] && ! command -v wrk >/dev/null; then
  fail "load: wrk not installed (apt install wrk)"
elif [ "$load" -gt 0 ]; then
  page_want="\"email_hash\":\"$JANE_HASH\""
  # warm up (LuaJIT traces, nginx and libc pools), then the figures
  wrk_check warmup 1 "http://127.0.0.1:$port/" 200 has "$page_want" >/dev/null
  pids0=$(worker_pids)
  declare -A rss0=()
  for p in $pids0; do rss0[$p]=$(rss_kb "$p"); done
  total=0; bad_total=0; summary=()
  for run in "page $((load / 2)) http://127.0.0.1:$port/ 200 has $page_want" \
             "verify-good $((load / 4)) $v?email=jane@example.com&hash=$JANE_HASH 200 eq {\"valid\":true,\"key\":0}" \
             "verify-bad $((load - load / 2 - load / 4)) $v?email=jane@example.com&hash=$flipped 403 eq {\"valid\":false}"; do
    read -r name count url status mode text <<<"$run"
    read -r g b e rps < <(wrk_check "$name" "$count" "$url" "$status" "$mode" "$text")
    total=$((total + g + b)); bad_total=$((bad_total + b + e))
    if [ "$b" = 0 ] && [ "$e" = 0 ] && [ "$g" -ge "$count" ]; then
      ok "load: $name: $g requests, all correct, ${rps} requests/s"
    else
      fail "load: $name: $g right, $b wrong, $e socket errors of $count: $(cat "$prefix/wrk-$name.err" "$prefix/wrk-$name.txt")"
    fi
    summary+=("$name ${rps}/s")
  done
  pids1=$(worker_pids)
  expect_eq "load: the same two workers before and after (none crashed)" "$pids1" "$pids0"
  [ "$(wc -w <<<"$pids0")" = 2 ] && ok "load: 2 worker processes ($pids0)" || fail "load: workers: $pids0"
  rss_line=""
  for p in $pids0; do
    r1=$(rss_kb "$p" 2>/dev/null || echo 0)
    rss_line+="worker $p ${rss0[$p]}->${r1} kB; "
    if [ -n "${rss0[$p]}" ] && [ "$r1" -gt 0 ] && [ $((r1 - ${rss0[$p]})) -le "$slack" ]; then
      ok "load: worker $p VmRSS ${rss0[$p]} kB -> $r1 kB (slack $slack kB)"
    else
      fail "load: worker $p VmRSS ${rss0[$p]} kB -> $r1 kB grew more than $slack kB"
    fi
  done
  echo "load: $total requests checked, $bad_total wrong; ${summary[*]}; ${rss_line}"
fi

# ---- 4b. the page with hostile values (from the config, as a signed-in user's own name and
# email would be): restart with them; the page must stay one inert script that gives them back
stop_nginx
hostile_name=$'</script><script>window.__pwned=2</script><!-- \xe2\x80\xa8 "\' \\ & <b> `${window.__pwned=4}`'
hostile_email=$'"><img src=x onerror="window.__pwned=1">\xe2\x80\xa9@example.com'
PYLON_IDENTITY_SECRET="$SECRET" PYLON_IDENTITY_SECRET_PREVIOUS="$OLD" \
  PYLON_DEMO_NAME="$hostile_name" PYLON_DEMO_EMAIL="$hostile_email" start_nginx
wait_ready
code=$(get "http://127.0.0.1:$port/")
expect_eq "hostile: GET / status" "$code" 200
res=$(check_page "$prefix/body" "$hostile_email" "$hostile_name")
expect_eq "hostile name and email: one </script>, no new comment, JSON gives them back, hash of the email bytes" "$res" ok
# The same page in headless Chromium (tests/integration/test_browser.py), with Debian's
# python3 (python3-websocket). BROWSER_TEST=0 leaves it out, for a machine without chromium.
if [ "${BROWSER_TEST:-1}" != 0 ]; then
  if PYLON_IDENTITY_SECRET="$SECRET" "${DEBIAN_PYTHON:-/usr/bin/python3}" \
       "$root/tests/integration/test_browser.py" pages \
       "http://127.0.0.1:$port" YOUR_APP_ID "$hostile_email" "$hostile_name" > "$prefix/browser.txt" 2>&1; then
    ok "hostile user, the three CSP pages (/, /nonce, /inline) in headless Chromium: $(tail -n 1 "$prefix/browser.txt")"
  else
    fail "hostile user, the three CSP pages in headless Chromium: $(cat "$prefix/browser.txt")"
  fi
  # a visitor who is not logged in: the same pages, email nil
  stop_nginx
  PYLON_IDENTITY_SECRET="$SECRET" PYLON_DEMO_ANONYMOUS=1 start_nginx
  wait_ready
  if PYLON_IDENTITY_SECRET="$SECRET" "${DEBIAN_PYTHON:-/usr/bin/python3}" \
       "$root/tests/integration/test_browser.py" pages \
       "http://127.0.0.1:$port" YOUR_APP_ID - - > "$prefix/browser.txt" 2>&1; then
    ok "visitor, the three CSP pages in headless Chromium: $(tail -n 1 "$prefix/browser.txt")"
  else
    fail "visitor, the three CSP pages in headless Chromium: $(cat "$prefix/browser.txt")"
  fi
fi

# ---- 5. the log: the signer's fingerprint, the rotation notice, and nothing worse than a warn
stop_nginx
log=$prefix/logs/error.log
# init_by_lua runs while the configuration is read: its log goes to the -e (startup) log
grep -q "pylon_idv .*: identity secret [0-9a-f]\{16\} (1 previous)" "$prefix/logs/startup.log" \
  && ok "startup log names the secret by its fingerprint" || fail "fingerprint notice missing"
grep -q "hash made with previous secret #1" "$log" && ok "rotation logged" || fail "rotation notice missing"
if grep -q -- "${SECRET:0:12}\|${OLD:0:12}" "$log" "$prefix/logs/startup.log"; then fail "a log shows a secret"; else ok "no log shows a secret"; fi
if grep -E '\[(error|alert|crit|emerg)\]' "$log" "$prefix/logs/startup.log"; then fail "error log has errors (above)"; else ok "error log clean (no error/alert/crit/emerg)"; fi

echo "test_nginx: $((checks - fails))/$checks checks passed"
[ "$fails" -eq 0 ]
