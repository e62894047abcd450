#!/usr/bin/env bash
# test-fresh.sh SUITE 'COMMAND': run COMMAND (a README command: make demo, make test, ...) in a
# clean clone of HEAD inside a brand-new minimal Debian SUITE root (bullseye, bookworm, trixie, sid),
# through scripts/fresh-root.sh (or FRESH_ROOT), and report its wall time. This is how the
# README's table of releases is proven:
#   scripts/test-fresh.sh trixie   'make demo && make test'
#   scripts/test-fresh.sh bookworm 'make demo && make test'
#   scripts/test-fresh.sh bullseye 'make demo && make test-c'
# Needs root. When this machine's pip trusts a CA bundle of its own (PIP_CERT, or `cert =` in
# /etc/pip.conf: a TLS-inspecting proxy in front of PyPI), the root gets a copy of that public
# bundle, so that pip inside reaches PyPI the same way. FRESH_COPY (files for /root/in) is passed
# on. Exit status: that of COMMAND.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 2 ] || { echo "usage: scripts/test-fresh.sh SUITE 'COMMAND'" >&2; exit 2; }
suite=$1 cmd=$2
FRESH_ROOT=${FRESH_ROOT:-scripts/fresh-root.sh}
build=${BUILD:-build}
mkdir -p "$build"

copy=${FRESH_COPY:-}      # the caller's files (a wheel), with the CA bundle below
cert=${PIP_CERT:-$(sed -n 's/^[[:space:]]*cert[[:space:]]*=[[:space:]]*//p' /etc/pip.conf 2>/dev/null | head -n1)}
if [ -n "$cert" ] && [ -f "$cert" ]; then
    cp "$cert" "$build/pip-ca-bundle.pem"
    copy="$copy $build/pip-ca-bundle.pem"
    cmd="export PIP_CERT=/root/in/pip-ca-bundle.pem; $cmd"
fi
echo "== fresh $suite root: $2"
t0=$(date +%s)
set +e
FRESH_SUITE=$suite FRESH_COPY=$copy "$FRESH_ROOT" "$cmd"
rc=$?
set -e
t=$(( $(date +%s) - t0 ))
if [ $rc = 0 ]; then
    echo "== fresh $suite root: '$2' passed in ${t}s"
else
    echo "== fresh $suite root: '$2' FAILED (exit $rc) after ${t}s" >&2
fi
exit $rc
