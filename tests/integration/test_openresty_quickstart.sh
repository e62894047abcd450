#!/usr/bin/env bash
# test_openresty_quickstart.sh -- the OpenResty quick start (docs/openresty.md), run exactly as
# the page shows it: after its build step (`make openresty-example`), the page's own command
# line (read from docs/openresty.md, not retyped here) from the top of the checkout. It listens on
# 127.0.0.1:8080 as written: the test runs it in a network namespace of its own (unshare -n,
# loopback only), so that port is free whatever else runs on this machine.
# Checks: the page carries an email_hash that /verify accepts (200 {"valid":true,"key":0}) and
# a flipped one it refuses (403); the log (stderr) names the secret's fingerprint and has no
# [error]/[alert]/[crit]/[emerg]; nothing is written into the checkout outside build/.
#   tests/integration/test_openresty_quickstart.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v nginx >/dev/null || exec scripts/why-missing.sh quickstart nginx nginx-light
unshare -n true 2>/dev/null || { echo "quickstart: cannot make a network namespace (unshare -n needs root)" >&2; exit 2; }
command -v ip >/dev/null || exec scripts/why-missing.sh quickstart ip iproute2

page=docs/openresty.md
cmd=$(grep -m1 '^PYLON_IDENTITY_SECRET=.* nginx -p "\$PWD" -c examples/openresty/nginx.conf$' "$page" || true)
[ -n "$cmd" ] || { echo "quickstart: $page shows no 'nginx -p \"\$PWD\" -c examples/openresty/nginx.conf' line" >&2; exit 1; }
grep -q '^make openresty-example' "$page" || { echo "quickstart: $page shows no 'make openresty-example' step" >&2; exit 1; }

make --no-print-directory openresty-example >/dev/null
snapshot() { git status --porcelain --ignored --untracked-files=all | grep -v ' build/' | LC_ALL=C sort || true; }
before=$(snapshot)
log=$root/build/openresty/quickstart.log

echo "quickstart: running, as $page shows: $cmd"
set +e
QS_CMD=$cmd QS_LOG=$log unshare -n bash -c '
  set -u
  ip link set lo up
  (eval "$QS_CMD") > "$QS_LOG" 2>&1 &
  job=$!
  stop() {
    local pid; pid=$(cat build/openresty/nginx.pid 2>/dev/null || true)
    [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$job" 2>/dev/null; [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    wait "$job" 2>/dev/null
  }
  trap stop EXIT
  up=0
  for _ in $(seq 100); do
    curl -fsS -o /dev/null http://127.0.0.1:8080/ 2>/dev/null && { up=1; break; }
    kill -0 "$job" 2>/dev/null || break
    sleep 0.1
  done
  [ $up = 1 ] || { echo "FAIL nginx did not answer on 127.0.0.1:8080"; exit 1; }
  echo "ok   nginx answers on 127.0.0.1:8080"
  page=$(curl -fsS http://127.0.0.1:8080/)
  hash=$(printf "%s" "$page" | grep -o "\"email_hash\":\"[0-9a-f]\{64\}\"" | head -n1 | cut -d\" -f4)
  [ -n "$hash" ] || { echo "FAIL no email_hash in the page: $page"; exit 1; }
  echo "ok   the page carries an email_hash"
  got=$(curl -sS -w " %{http_code}" "http://127.0.0.1:8080/verify?email=jane@example.com&hash=$hash" | tr -d "\n")
  [ "$got" = "{\"valid\":true,\"key\":0} 200" ] || { echo "FAIL /verify of the page hash: $got"; exit 1; }
  echo "ok   /verify accepts it: $got"
  bad=${hash:0:10}$( [ "${hash:10:1}" = 0 ] && echo 1 || echo 0 )${hash:11}
  got=$(curl -sS -o /dev/null -w "%{http_code}" "http://127.0.0.1:8080/verify?email=jane@example.com&hash=$bad")
  [ "$got" = 403 ] || { echo "FAIL /verify of a flipped hash: $got"; exit 1; }
  echo "ok   /verify refuses a flipped hash: 403"
'
rc=$?
set -e
fails=0
[ $rc = 0 ] || fails=1
if grep -q "pylon_idv .*: identity secret [0-9a-f]\{16\} (0 previous)" "$log"; then
  echo "ok   the log (stderr) names the secret by its fingerprint"
else
  echo "FAIL no fingerprint notice in the log"; fails=1
fi
if grep -E '\[(error|alert|crit|emerg)\]' "$log"; then echo "FAIL the log has errors (above)"; fails=1
else echo "ok   the log has no error, alert, crit or emerg"; fi
after=$(snapshot)
if [ "$before" = "$after" ]; then echo "ok   nothing written into the checkout outside build/"
else echo "FAIL the quick start left files in the checkout:"; diff <(echo "$before") <(echo "$after") || true; fails=1; fi
if [ $fails != 0 ]; then echo "--- $log"; cat "$log"; exit 1; fi
echo "quickstart: the OpenResty quick start ($page) works as shown"
