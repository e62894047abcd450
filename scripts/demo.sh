#!/bin/sh
# make demo: the job in a few lines -- generate a secret, sign an email, verify it, and see a
# mismatch refused; then the same from Python and Lua, with identical hashes.
set -eu
build=${1:-build}
cli=$build/c/pylon-idv
email=jane@example.com

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "1. A new identity secret (keep it on the server; here it goes into an env var):"
PYLON_IDENTITY_SECRET=$($cli generate-secret)
export PYLON_IDENTITY_SECRET
echo "   PYLON_IDENTITY_SECRET=<64 hex digits>   fingerprint $($cli fingerprint) (safe to log)"

say "2. Sign the logged-in user's email (this goes into window.pylon.chat_settings.email_hash):"
hash=$($cli sign "$email")
echo "   $ pylon-idv sign $email"
echo "   $hash"

say "3. Verify it, and see a forged email refused:"
echo "   $ pylon-idv verify $email <hash>          -> $($cli verify "$email" "$hash"), exit 0"
set +e
out=$($cli verify "mallory@example.com" "$hash"); st=$?
set -e
echo "   $ pylon-idv verify mallory@example.com <hash>  -> $out, exit $st"
[ "$st" = 1 ]

say "4. Why doesn't a hash match? (the email lower-cased on one side):"
low=$($cli sign "jane@example.com")
set +e
$cli diagnose "Jane@Example.com" "$low" | sed 's/^/   /'
set -e

say "5. The same hash from the command line, Python and Lua:"
echo "   C      $hash"
if [ -x scripts/demo-python.sh ]; then scripts/demo-python.sh "$email"; fi
if [ -x scripts/demo-lua.sh ]; then scripts/demo-lua.sh "$email"; fi
echo
