#!/usr/bin/env bash
# run.sh -- the OpenResty proxy example, from a checkout: builds the LuaJIT module if needed
# (`make lua-trees`: the source rock in build/lua/luajit; again when a C source is newer), starts
# demo_services.py (the app on 127.0.0.1:9000, the auth stand-in on :4180) and nginx on
# http://127.0.0.1:8080/ in the foreground (Ctrl-C stops both), after pylon_idv.nginx_check
# has checked the configuration. A secret is generated for each app whose variable
# (PYLON_IDENTITY_SECRET, PYLON_SUPPORT_SECRET) is not set.
#   examples/openresty-proxy/run.sh        (PORT, APP_PORT, AUTH_PORT: other ports)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
prefix=$root/build/openresty-proxy
so=build/lua/luajit/lib/lua/5.1/pylon_idv.so
if [ ! -f "$so" ] || [ -n "$(find bindings/lua core/src -name '*.[ch]' -newer "$so" 2>/dev/null)" ]; then
  make --no-print-directory lua-trees BUILD=build LUA_TREES=luajit
fi
if [ -z "${PYLON_IDENTITY_SECRET:-}" ]; then
  PYLON_IDENTITY_SECRET=$(openssl rand -hex 32)
  echo "run.sh: PYLON_IDENTITY_SECRET not set: using a new random one"
fi
if [ -z "${PYLON_SUPPORT_SECRET:-}" ]; then
  PYLON_SUPPORT_SECRET=$(openssl rand -hex 32)
  echo "run.sh: PYLON_SUPPORT_SECRET (the /support/ app's) not set: using a new random one"
fi
export PYLON_IDENTITY_SECRET PYLON_SUPPORT_SECRET
export PYLON_CHAT_JS=${PYLON_CHAT_JS:-$root/web/pylon-chat.js}
mkdir -p "$prefix/logs" "$prefix/temp"
port=${PORT:-8080}; app_port=${APP_PORT:-9000}; auth_port=${AUTH_PORT:-4180}
sed -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" \
    -e "s|server 127.0.0.1:9000;|server 127.0.0.1:$app_port;|" \
    -e "s|server 127.0.0.1:4180;|server 127.0.0.1:$auth_port;|" \
    examples/openresty-proxy/nginx.conf > "$prefix/nginx.conf"
# What `nginx -t` does not check (it skips init_by_lua): the secrets, the app ids and the
# configuration names the filters use, checked by pylon_idv.nginx_check before nginx starts.
CONF=$prefix/nginx.conf PREFIX=$prefix LUA_PATH="$root/bindings/lua/?.lua;;" \
  LUA_CPATH="$root/$(dirname "$so")/?.so;;" \
  luajit -e 'os.exit(require("pylon_idv.nginx_check").main{ os.getenv("CONF"), os.getenv("PREFIX") })'
python3 examples/openresty-proxy/demo_services.py --app-port "$app_port" --auth-port "$auth_port" &
services=$!
trap 'kill $services 2>/dev/null || true' EXIT
echo "open http://127.0.0.1:$port/ and http://127.0.0.1:$port/support/ -- sign in: http://127.0.0.1:$port/oauth2/sign_in?user=jane"
nginx -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/startup.log" -g 'daemon off;'
