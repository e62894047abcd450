#!/usr/bin/env bash
# bench_nginx.sh -- the nginx rows of `make bench` (issue 18, "At C speed"): requests per second
# of nginx (2 workers) proxying a backend on 127.0.0.1 that serves static files, with three
# front configurations, for two pages; a markdown table on stdout.
#
#   bench/bench_nginx.sh [--quick]     --quick: one round of ~1 s per row, no warm-up (CI
#                                      proves it runs: `make test-bench`)
#
# Fronts (one nginx, one location each, the same upstream with keepalive):
#   pylon_idv   pylon_idv.openresty's header_filter + body_filter, a real (random) secret, the
#               email from `set $pylon_email`; the module is bindings/lua (the checkout's source)
#               with the LuaJIT build of pylon_idv.so, rebuilt here by CMake when it is older
#               than its sources (as `make openresty-example` builds it)
#   sub_filter  nginx's own `sub_filter '</body>' '<snippet></body>'`, the snippet being the very
#               bytes pylon_idv inserted into the same page (so the same size)
#   plain       the proxy alone
# Pages: a 30 KB HTML page (head, style, inline scripts, comments, attributes, `</body>` near
# the end) and a 50-byte page. Each configuration's body is checked once with curl before any
# timing: pylon_idv's settings element (the email, the HMAC of it under the secret) and
# pylon-chat.js before the last `</body>`, the rest byte-identical; sub_filter's snippet in place;
# the plain proxy byte-identical. Then wrk (Debian's /usr/bin/wrk, 2 threads, 32 connections):
# a warm-up second per row, and three rounds (5 s a row, the six rows interleaved in each round
# so drift hits every row alike); medians, and the ratio pylon_idv / sub_filter as the median
# of each round's ratio. Beside requests/s, the CPU time (utime + stime) the front's two workers
# spent per request in each row: a figure that other load on the machine disturbs less.
# Any non-2xx answer, socket error, [error] in a log or worker that died fails the run.
# Everything listens on 127.0.0.1 (free ports), lives in a temp dir, and is stopped on exit.
#
#   BUILD=build    where the LuaJIT module is built (BUILD/bench-nginx)
#   WRK=/usr/bin/wrk, NGINX=nginx
#   LUA_SRC=bindings/lua   the folder holding pylon_idv/openresty.lua (another checkout's, say)
#   KEEP=1         keep the temp dir (configs, logs) after a failure
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
quick=""
[ "${1:-}" = "--quick" ] && quick=1
if [ -n "$quick" ]; then secs=1 rounds=1; else secs=5 rounds=3; fi
conns=32 threads=2
wrk=${WRK:-/usr/bin/wrk}
nginx=${NGINX:-nginx}
luajit_inc=${LUAJIT_INC:-/usr/include/luajit-2.1}
chat_js=$root/web/pylon-chat.js
lua_src=${LUA_SRC:-$root/bindings/lua}

why() { exec "$root/scripts/why-missing.sh" bench_nginx "$@"; }
command -v "$nginx" >/dev/null || why nginx nginx-light
[ -x "$wrk" ] || why "$wrk" wrk
command -v curl >/dev/null || why curl curl
command -v python3 >/dev/null || why python3 python3
command -v cmake >/dev/null || why cmake cmake
[ -f "$luajit_inc/lua.h" ] || why "$luajit_inc/lua.h" "libluajit2-5.1-dev|libluajit-5.1-dev"
for m in ndk_http_module.so ngx_http_lua_module.so; do
  [ -f "/usr/lib/nginx/modules/$m" ] || why "/usr/lib/nginx/modules/$m" libnginx-mod-http-lua
done
"$nginx" -V 2>&1 | grep -q -- --with-http_sub_module || why "nginx's sub_filter" nginx-light
[ -f "$chat_js" ] || { echo "bench_nginx: no $chat_js" >&2; exit 1; }

# The LuaJIT module, as `make openresty-example` builds it (CMake; a no-op when up to date).
lua_build=$build/bench-nginx
mkdir -p "$lua_build"
if ! { cmake -S "$root" -B "$lua_build" -DPYLON_IDV_BUILD_LUA=ON -DLUA_INCLUDE_DIR="$luajit_inc" \
         -DPYLON_IDV_BUILD_TESTS=OFF -DPYLON_IDV_BUILD_CLI=OFF -DPYLON_IDV_BUILD_BENCH=OFF \
       && cmake --build "$lua_build" -j"${JOBS:-2}" --target pylon_idv_lua; } >"$lua_build/build.log" 2>&1; then
  cat "$lua_build/build.log" >&2; echo "bench_nginx: the LuaJIT module did not build" >&2; exit 1
fi
cpath_dir=$lua_build/lua
[ -f "$cpath_dir/pylon_idv.so" ] || { echo "bench_nginx: no $cpath_dir/pylon_idv.so" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pylon_idv_bench_nginx.XXXXXX")
chmod 755 "$tmp"                     # workers (nobody, when the master is root) read below it
mkdir -p "$tmp/logs" "$tmp/temp" "$tmp/pages"
stop() {  # NAME: stop that nginx (graceful, then kill), by the pid in its pid file
  local f=$tmp/logs/$1.pid pid kids
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
  kill -QUIT "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # shellcheck disable=SC2086   # the master, then any worker it left behind, by their ids
  kill -KILL "$pid" $kids 2>/dev/null || true
  rm -f "$f"
}
cleanup() {
  local rc=$?
  stop front; stop backend
  if [ $rc -ne 0 ]; then
    for l in "$tmp"/logs/*.log; do
      [ -s "$l" ] && { echo "--- $l (tail, no notices)" >&2; grep -v "\[notice\]" "$l" | tail -n 20 >&2; }
    done
  fi
  if [ $rc -eq 0 ] || [ -z "${KEEP:-}" ]; then rm -rf "$tmp"; else echo "bench_nginx: kept $tmp" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench_nginx: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
fport=$(free_port); bport=$(free_port)
while [ "$bport" = "$fport" ]; do bport=$(free_port); done

# ---- the pages: page30k.html (30,720 bytes) and page50.html (50 bytes), the same every run
python3 - "$tmp/pages" <<'PY'
import os, sys
out = sys.argv[1]
words = ("order shipping account cart invoice release notes support customer update price "
         "delivery returns warranty feature team product service review guide help store "
         "payment secure fast simple new today week month storage plan upgrade").split()
state = 12345
def word():
    global state
    state = (state * 1103515245 + 12345) % 2**31
    return words[state % len(words)]
def sentence(n):
    s = " ".join(word() for _ in range(n))
    return s[0].upper() + s[1:] + "."
head = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Release notes &middot; Example Store</title>
<link rel="stylesheet" href="/static/site.css?v=20261206">
<link rel="icon" href="/favicon.ico">
<style>
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header, footer { background: #1d2733; color: #eee; padding: 1rem 2rem; }
header a, footer a { color: #9cf; text-decoration: none; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 2rem; }
article { border-bottom: 1px solid #ddd; padding: 1rem 0; }
article h2 { font-size: 1.3rem; margin: 0 0 .5rem; }
.meta { color: #777; font-size: .85rem; }
.tag { display: inline-block; padding: 0 .4rem; border-radius: .2rem; background: #e4ecf5; }
</style>
<script>
window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
gtag("js", new Date());
gtag("config", "G-EXAMPLE1", { "anonymize_ip": true });
</script>
</head>
<body class="page page-release-notes">
<!-- site header -->
<header>
<nav aria-label="main">
<a href="/" class="logo">Example Store</a>
<a href="/products">Products</a> <a href="/pricing">Pricing</a> <a href="/support">Support</a>
<a href="/account" data-track="account">Account</a> <a href="/cart" data-track="cart">Cart (0)</a>
</nav>
</header>
<main id="content">
<h1>Release notes</h1>
"""
tail = """</main>
<!-- site footer -->
<footer>
<p>&copy; 2026 Example Store &middot; <a href="/privacy">Privacy</a> &middot; <a href="/terms">Terms</a></p>
</footer>
<script src="/static/app.js" defer></script>
<script>
document.querySelectorAll("a[data-track]").forEach(function (a) {
  a.addEventListener("click", function () { dataLayer.push({ event: "click", href: a.href }); });
});
</script>
</body>
</html>
"""
size = 30 * 1024
body, i = [], 0
while len(head) + sum(map(len, body)) + len(tail) < size - 1200:
    i += 1
    items = "".join('<li><a href="/products/%d-%d" title="%s">%s</a></li>\n'
                    % (i, k, word(), sentence(4)) for k in range(3))
    body.append('<article id="post-%d" class="post">\n<h2><a href="/notes/%d">%s</a></h2>\n'
                '<p class="meta">Posted on 2026-11-%02d by <span class="author">%s</span> '
                '<span class="tag">%s</span></p>\n<p>%s %s %s</p>\n<ul>\n%s</ul>\n</article>\n'
                % (i, i, sentence(5), i % 28 + 1, word(), word(),
                   sentence(14), sentence(11), sentence(17), items))
fill = size - len(head) - sum(map(len, body)) - len(tail) - len("<p></p>\n")
text = ""
while len(text) < fill:
    text += sentence(12) + " "
body.append("<p>%s</p>\n" % text[:fill])
page = (head + "".join(body) + tail).encode()
assert len(page) == size and page.count(b"</body>") == 1, len(page)
open(os.path.join(out, "page30k.html"), "wb").write(page)
small = b"<!doctype html><html><body>Hi there</body></html>\n"
assert len(small) == 50, len(small)
open(os.path.join(out, "page50.html"), "wb").write(small)
PY

# ---- the backend: a second nginx serving the pages (static files)
cat > "$tmp/backend.conf" <<CONF
worker_processes 1;
pid logs/backend.pid;
error_log logs/backend-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path temp/b-body; proxy_temp_path temp/b-proxy; fastcgi_temp_path temp/b-fastcgi;
    uwsgi_temp_path temp/b-uwsgi; scgi_temp_path temp/b-scgi;
    types { text/html html; }
    default_type application/octet-stream;
    sendfile on;
    open_file_cache max=16;
    server {
        listen 127.0.0.1:$bport;
        root $tmp/pages;
    }
}
CONF

# ---- the front: 2 workers, one location per configuration
email=jane@example.com
app_id=bench_app
printf "sub_filter '</body>' '</body>';\n" > "$tmp/sub_filter.conf"   # the real one below
cat > "$tmp/front.conf" <<CONF
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
env PYLON_IDENTITY_SECRET;
worker_processes 2;
pid logs/front.pid;
error_log logs/front-error.log notice;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path temp/f-body; proxy_temp_path temp/f-proxy; fastcgi_temp_path temp/f-fastcgi;
    uwsgi_temp_path temp/f-uwsgi; scgi_temp_path temp/f-scgi;
    lua_package_path '$lua_src/?.lua;;';
    lua_package_cpath '$cpath_dir/?.so;;';
    init_by_lua_block {
        require("pylon_idv.openresty").configure { app_id = "$app_id", script_file = "$chat_js" }
    }
    upstream backend {
        server 127.0.0.1:$bport;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$fport;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Accept-Encoding "";
        location = /_pylon_idv/pylon-chat.js {
            content_by_lua_block { require("pylon_idv.openresty").serve_script() }
        }
        location /pylon_idv/ {
            set \$pylon_email "$email";
            proxy_pass http://backend/;
            header_filter_by_lua_block { require("pylon_idv.openresty").header_filter() }
            body_filter_by_lua_block   { require("pylon_idv.openresty").body_filter() }
        }
        location /sub_filter/ {
            proxy_pass http://backend/;
            include sub_filter.conf;
        }
        location /plain/ {
            proxy_pass http://backend/;
        }
    }
}
CONF

secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
start() {  # NAME URL (answers 200 once it is up)
  PYLON_IDENTITY_SECRET=$secret "$nginx" -p "$tmp/" -c "$tmp/$1.conf" -e "logs/$1-error.log" \
    2>"$tmp/logs/$1-start.log" || die "$1 nginx did not start: $(cat "$tmp/logs/$1-start.log")"
  for _ in $(seq 100); do
    curl -fs -o /dev/null "$2" 2>/dev/null && return 0
    sleep 0.05
  done
  die "$1 nginx does not answer $2"
}
start backend "http://127.0.0.1:$bport/page50.html"
start front "http://127.0.0.1:$fport/plain/page50.html"

# ---- each configuration's body, once, with curl (and pylon_idv's insert, for sub_filter)
fetch() {  # FRONT PAGE -> body in $tmp/body
  local code
  code=$(curl -sS -o "$tmp/body" -w '%{http_code}' "http://127.0.0.1:$fport/$1/$2") || die "curl /$1/$2 failed"
  [ "$code" = 200 ] || die "GET /$1/$2: status $code"
}
check() {  # FRONT PAGE: the body against the page, per configuration
  fetch "$1" "$2"
  SECRET=$secret EMAIL=$email APP_ID=$app_id python3 - "$1" "$tmp/pages/$2" "$tmp/body" "$tmp/insert-$2" <<'PY' || exit 1
import hashlib, hmac, json, os, sys
front, page_file, body_file, insert_file = sys.argv[1:]
page, body = open(page_file, "rb").read(), open(body_file, "rb").read()
def fail(why):
    sys.exit("bench_nginx: %s %s: %s" % (front, os.path.basename(page_file), why))
if front == "plain":
    if body != page: fail("the plain proxy changed the page")
    sys.exit(0)
at = page.rfind(b"</body>") if front == "pylon_idv" else page.find(b"</body>")
tail = len(page) - at
if len(body) <= len(page) or body[:at] != page[:at] or body[-tail:] != page[at:]:
    fail("the page is not itself around one insert before </body>")
insert = body[at:len(body) - tail]
if front == "sub_filter":
    if insert != open(insert_file, "rb").read(): fail("the snippet is not pylon_idv's insert")
    sys.exit(0)
head = b'id="pylon-chat-settings">'
i = insert.find(head)
j = insert.find(b"</script>", i)
if i < 0 or j < 0 or b"pylon-chat.js" not in insert[j:]:
    fail("no settings element and pylon-chat.js in %r" % insert)
settings = json.loads(insert[i + len(head):j])
want = hmac.new(bytes.fromhex(os.environ["SECRET"]), os.environ["EMAIL"].encode(),
                hashlib.sha256).hexdigest()
if (settings.get("app_id"), settings.get("email"), settings.get("email_hash")) != (
        os.environ["APP_ID"], os.environ["EMAIL"], want):
    fail("settings %r" % settings)
open(insert_file, "wb").write(insert)
PY
}
pages="page30k.html page50.html"
for p in $pages; do check plain "$p"; check pylon_idv "$p"; done
# sub_filter inserts pylon_idv's own bytes (the same size; the same on both pages)
cmp -s "$tmp/insert-page30k.html" "$tmp/insert-page50.html" || die "pylon_idv inserted different bytes into the two pages"
python3 - "$tmp/insert-page30k.html" "$tmp/sub_filter.conf" <<'PY' || die "no sub_filter snippet"
import sys
s = open(sys.argv[1], "rb").read().decode()
# an nginx single-quoted string; a '$' would name a variable: none in this insert
assert "$" not in s, "a $ in the insert"
s = s.replace("\\", "\\\\").replace("'", "\\'")
open(sys.argv[2], "w").write("sub_filter '</body>' '%s</body>';\n" % s)
PY
stop front
start front "http://127.0.0.1:$fport/plain/page50.html"
for p in $pages; do check sub_filter "$p"; check pylon_idv "$p"; check plain "$p"; done
insert_len=$(wc -c < "$tmp/insert-page30k.html")

# ---- timing: requests/s from wrk, and the CPU time the front's workers spent per request
# (utime + stime from /proc, so a second figure that the machine's other load disturbs less)
workers=$(ps -o pid= --ppid "$(cat "$tmp/logs/front.pid")" | tr -s ' \n' ' ')
[ "$(wc -w <<<"$workers")" = 2 ] || die "the front has workers [$workers], not 2"
hz=$(getconf CLK_TCK)
cpu_ticks() {  # utime + stime of the front's workers, in clock ticks
  local p t=0
  for p in $workers; do
    [ -r "/proc/$p/stat" ] || die "front worker $p is gone"
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  echo "$t"
}
run_wrk() {  # FRONT PAGE SECONDS -> "requests/s  CPU microseconds per request" on stdout
  local out rps n t0 t1
  t0=$(cpu_ticks)
  out=$("$wrk" -t"$threads" -c"$conns" -d"$3s" "http://127.0.0.1:$fport/$1/$2" 2>&1) || die "wrk failed: $out"
  t1=$(cpu_ticks)
  if grep -q -e "Non-2xx" -e "Socket errors" <<<"$out"; then die "wrk /$1/$2: $out"; fi
  rps=$(sed -n 's/^Requests\/sec: *//p' <<<"$out")
  n=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' <<<"$out")
  [ -n "$rps" ] && [ -n "$n" ] && [ "$n" -gt 0 ] || die "wrk /$1/$2: no figures in: $out"
  echo "$rps $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.2f", d * 1e6 / hz / n }')"
}
fronts="pylon_idv sub_filter plain"
if [ -z "$quick" ]; then
  for p in $pages; do for f in $fronts; do run_wrk "$f" "$p" 1 >/dev/null; done; done
fi
: > "$tmp/results"
load_at_start=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
for r in $(seq "$rounds"); do
  for p in $pages; do
    for f in $fronts; do
      fig=$(run_wrk "$f" "$p" "$secs")
      printf '%s\t%s\t%s\t%s\n' "$p" "$f" "$r" "${fig// /$'\t'}" >> "$tmp/results"
    done
  done
done
[ "$(ps -o pid= --ppid "$(cat "$tmp/logs/front.pid")" | tr -s ' \n' ' ')" = "$workers" ] \
  || die "the front's workers changed during the run (one crashed?)"
if grep -E '\[(error|alert|crit|emerg)\]' "$tmp"/logs/*.log >&2; then die "errors in the nginx logs (above)"; fi

# ---- the table
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
nginx_v=$("$nginx" -v 2>&1 | sed 's/^nginx version: //')
lua_v=$(dpkg-query -W -f '${Version}' libnginx-mod-http-lua 2>/dev/null | sed 's/^[0-9]*://; s/-[^-]*$//' || true)
# the LuaJIT that nginx's Lua module runs on: its package and version (Debian: luajit2, the
# OpenResty fork, on 12; luajit on 11 and 13)
lj=$(ldd /usr/lib/nginx/modules/ngx_http_lua_module.so 2>/dev/null | awk '/luajit/ { print $3; exit }')
lj_pkg=$( { [ -n "$lj" ] && dpkg -S "$(readlink -f "$lj")" 2>/dev/null; } | head -n 1 | cut -d: -f1 || true)
lj_v=${lj_pkg:+$lj_pkg $(dpkg-query -W -f '${Version}' "$lj_pkg" 2>/dev/null || true)}
wrk_v=$("$wrk" --version 2>&1 | head -n 1 | awk '{print $2}' | sed 's|^debian/||' || true)
THREADS=$threads CONNS=$conns CPU="$cpu, $ncpu CPUs, load $load_at_start when timing began" NGINX_V=$nginx_v LUA_V=$lua_v LJ_V=${lj_v:-?} WRK_V=$wrk_v \
  python3 - "$tmp/results" "$rounds" <<'PY'
import os, statistics, sys, time
e = os.environ
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
rounds = range(1, int(sys.argv[2]) + 1)
pages = ("page30k.html", "page50.html")
fronts = ("pylon_idv", "sub_filter", "plain")
label = {"page30k.html": "30 KB page", "page50.html": "50-byte page"}
name = {"pylon_idv": "pylon_idv.openresty", "sub_filter": "sub_filter", "plain": "plain proxy"}
rps, cpu = {}, {}
for page, front, r, v, us in rows:
    rps.setdefault((page, front), {})[int(r)] = float(v)
    cpu.setdefault((page, front), {})[int(r)] = float(us)
for page in pages:
    for front in fronts:
        assert sorted(rps[(page, front)]) == list(rounds), (page, front, rps)
med = statistics.median
def ratio(page, a, b):  # requests/s of a over b's: the median of each round's ratio
    return med(rps[(page, a)][r] / rps[(page, b)][r] for r in rounds)
def cpu_ratio(page, a, b):  # the same in CPU per request: b's over a's (higher is cheaper)
    return med(cpu[(page, b)][r] / max(cpu[(page, a)][r], 1e-9) for r in rounds)
print("## nginx: pylon_idv.openresty vs sub_filter vs the plain proxy (2 workers, wrk -t%s -c%s)"
      % (e["THREADS"], e["CONNS"]))
print()
print("%s; %s; %s, lua-nginx-module %s on LuaJIT (%s); wrk %s" % (
    time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), e["CPU"], e["NGINX_V"], e["LUA_V"],
    e["LJ_V"], e["WRK_V"]))
print()
print("| page | front | requests/s (median) | each round | x sub_filter | x plain proxy "
      "| front CPU us/request (median) |")
print("|---|---|---:|---|---:|---:|---:|")
for page in pages:
    for front in fronts:
        per = rps[(page, front)]
        print("| %s | %s | %.0f | %s | %.2f | %.2f | %.1f |" % (
            label[page], name[front], med(per.values()), " ".join("%.0f" % per[r] for r in rounds),
            ratio(page, front, "sub_filter"), ratio(page, front, "plain"),
            med(cpu[(page, front)].values())))
print()
target = ratio("page30k.html", "pylon_idv", "sub_filter") >= 0.90
print("pylon_idv / sub_filter, requests/s: %s (target, issue 18: >= 0.90 on the 30 KB page: %s)."
      % (", ".join("%.2f on the %s" % (ratio(p, "pylon_idv", "sub_filter"), label[p]) for p in pages),
         "met" if target else "NOT met"))
print("The same in the front's CPU per request (sub_filter's / pylon_idv's): %s." % ", ".join(
    "%.2f on the %s" % (cpu_ratio(p, "pylon_idv", "sub_filter"), label[p]) for p in pages))
PY
echo
echo "Each row: wrk for ${secs} s, $rounds round(s)$([ -n "$quick" ] && echo " (--quick: no warm-up, figures rough)" || echo " after a 1 s warm-up"), the rows interleaved" \
     "in each round; ratios the median of each round's ratio. The fronts proxy a second nginx" \
     "(1 worker, static files) over keepalive connections; sub_filter inserts the same $insert_len bytes" \
     "as pylon_idv (its settings element and script tag), checked with curl before timing, as is" \
     "pylon_idv's hash and the plain proxy's untouched body. Front CPU: utime + stime of its two" \
     "workers over the row, per request (a figure the machine's other load disturbs less than" \
     "requests/s). All on 127.0.0.1."
