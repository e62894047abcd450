#!/bin/sh
# bench/page.sh RESULTS OUT: the Performance page's figures (docs/snippets/bench-results.md,
# included by docs/performance.md), written from bench/run.sh's markdown output RESULTS with
# the run's facts: date, commit, machine, system. `make bench` runs it; never edit OUT by hand.
#   bench/page.sh build/bench.md docs/snippets/bench-results.md [--quick]
set -eu
in=$1
out=$2
mode=${3:-}
[ -s "$in" ] || { echo "bench/page.sh: no benchmark output in $in" >&2; exit 1; }
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
shani=no
grep -qw sha_ni /proc/cpuinfo 2>/dev/null && shani=yes
grep -qw sha2 /proc/cpuinfo 2>/dev/null && shani="yes (ARMv8 SHA-2)"
os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || uname -s)
ssl=$(openssl version 2>/dev/null | awk '{print $1, $2}' || echo unknown)
if [ "$mode" = --quick ]; then
    what='`bench/run.sh --quick` (a short smoke run: few rounds, so noisy figures)'
else
    what='`make bench` (`bench/run.sh`)'
fi
tmp=$out.tmp
{
    echo "<!-- Written by bench/page.sh from a benchmark run: do not edit by hand. -->"
    echo
    echo "| this run | |"
    echo "|---|---|"
    echo "| written by | $what |"
    echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
    echo "| commit | \`$commit\` |"
    echo "| machine | $cpu, $(nproc) CPUs, SHA extensions: $shani |"
    echo "| system | $os, $(uname -m), $ssl |"
    echo
    # bench/run.sh's sections become subsections of the page's "Results"
    sed 's/^## /### /' "$in"
} >"$tmp"
mv "$tmp" "$out"
