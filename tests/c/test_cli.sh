#!/bin/sh
# test_cli.sh PYLON_IDV_BINARY VECTORS_DIR -- the command line: outputs and exit codes.
set -u
bin=$1
fails=0; n=0
ok() { n=$((n+1)); }
bad() { n=$((n+1)); fails=$((fails+1)); echo "FAIL: $*" >&2; }
expect() {  # expect STATUS DESCRIPTION -- command...
    status=$1; what=$2; shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"; got=$?
    if [ "$got" = "$status" ]; then ok; else bad "$what: exit $got, wanted $status"; cat "$tmp/err" >&2; fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

S=8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812
H=64ee44bb2ec2b28db5b6b21d2fc4c9eb57d26fd7e62b3af35e1bd3ee1a98e3ab
export PYLON_IDENTITY_SECRET=$S

expect 0 "sign" -- "$bin" sign jane@example.com
want=$(grep -P '^ascii\t' "$2/crossref.tsv" | cut -f4)
[ "$(cat "$tmp/out")" = "$want" ] && ok || bad "sign output $(cat "$tmp/out") != $want"
expect 0 "verify match" -- "$bin" verify jane@example.com "$want"
expect 0 "verify upper" -- "$bin" verify jane@example.com "$(echo "$want" | tr a-f A-F)"
expect 1 "verify mismatch" -- "$bin" verify jane@example.com "$H"
expect 1 "verify malformed" -- "$bin" verify jane@example.com nothex
expect 0 "fingerprint" -- "$bin" fingerprint
grep -qE '^[0-9a-f]{16}$' "$tmp/out" && ok || bad "fingerprint format"
expect 0 "generate-secret" -- "$bin" generate-secret
grep -qE '^[0-9a-f]{64}$' "$tmp/out" && ok || bad "generate-secret format"
expect 0 "diagnose match" -- "$bin" diagnose jane@example.com "$want"
grep -q '^match:' "$tmp/out" && ok || bad "diagnose match output"
expect 1 "diagnose unknown" -- "$bin" diagnose jane@example.com "$H"
grep -q '^unknown:' "$tmp/out" && ok || bad "diagnose unknown output"
raw=$(printf 'jane@example.com' | openssl dgst -sha256 -hmac "$S" -r | cut -d' ' -f1)
expect 1 "diagnose raw_secret" -- "$bin" diagnose jane@example.com "$raw"
grep -q '^raw_secret:' "$tmp/out" && ok || bad "diagnose raw_secret output"
expect 0 "--help" -- "$bin" --help
grep -q 'generate-secret' "$tmp/out" && ok || bad "--help text"
expect 0 "--version" -- "$bin" --version

# the secret from a file or stdin, with the newline a file has
printf '%s\n' "$S" > "$tmp/secret"
expect 0 "--secret-file" -- env -u PYLON_IDENTITY_SECRET "$bin" --secret-file "$tmp/secret" sign jane@example.com
[ "$(cat "$tmp/out")" = "$want" ] && ok || bad "--secret-file output"
expect 0 "--secret-file=" -- env -u PYLON_IDENTITY_SECRET "$bin" sign jane@example.com --secret-file="$tmp/secret"
printf '%s\n' "$S" | env -u PYLON_IDENTITY_SECRET "$bin" --secret-file - sign jane@example.com >"$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = "$want" ] && ok || bad "--secret-file - output"

# errors: exit 2, message on stderr, never the secret
expect 2 "no secret" -- env -u PYLON_IDENTITY_SECRET "$bin" sign jane@example.com
grep -q PYLON_IDENTITY_SECRET "$tmp/err" && ok || bad "no-secret message"
expect 2 "missing file" -- "$bin" --secret-file "$tmp/nope" sign a
expect 2 "--secret refused" -- "$bin" --secret "$S" sign a
grep -q "$S" "$tmp/err" && bad "--secret echoed the secret" || ok
BADS=$(printf '%s' "$S" | sed 's/^\(.\{17\}\)./\1x/')
expect 2 "bad secret" -- env PYLON_IDENTITY_SECRET="$BADS" "$bin" sign jane@example.com
grep -q 'invalid hex digit at position 17' "$tmp/err" && ok || bad "bad secret message: $(cat "$tmp/err")"
grep -q "${BADS%?????????????????????????????????????????????}" "$tmp/err" && bad "secret in message" || ok
expect 2 "odd secret" -- env PYLON_IDENTITY_SECRET=abc "$bin" verify a "$H"
grep -q 'odd number' "$tmp/err" && ok || bad "odd message"
expect 2 "empty secret" -- env PYLON_IDENTITY_SECRET="  " "$bin" fingerprint
grep -q 'empty' "$tmp/err" && ok || bad "empty message"
expect 2 "no command" -- "$bin"
expect 2 "unknown command" -- "$bin" frobnicate
expect 2 "wrong arity" -- "$bin" sign
expect 2 "wrong arity verify" -- "$bin" verify a
expect 2 "unknown option" -- "$bin" --frob sign a

echo "test_cli: $n checks, $fails failed"
[ "$fails" = 0 ]
