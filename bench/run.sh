#!/bin/sh
# make bench: every binding against what its users would write instead, in one run.
#   bench/run.sh [--quick] [BUILD_DIR]
# Medians over interleaved rounds, ratios against alternatives measured in the same run,
# and callgrind instruction counts (stable whatever the machine's load) as a second figure.
set -eu
quick=""
[ "${1:-}" = "--quick" ] && { quick=--quick; shift; }
build=${1:-build}
bench=$build/c/bench_c

echo "## C: pylon_idv vs the floor and OpenSSL HMAC() (20-byte email, 32-byte key)"
echo
"$bench" $quick
echo
if command -v valgrind >/dev/null 2>&1; then
    echo "| C, callgrind | instructions/call | x floor |"
    echo "|---|---:|---:|"
    lim=""
    for row in floor "floor (stateless)" signer_sign sign signer_verify "2x SHA256_Transform" "HMAC()"; do
        out=$(mktemp)
        valgrind --tool=callgrind --toggle-collect=cg_region --callgrind-out-file="$out" \
            "$bench" --callgrind "$row" >/dev/null 2>&1
        total=$(sed -n 's/^summary: *//p' "$out")
        rm -f "$out"
        per=$((total / 1000))
        [ -z "$lim" ] && lim=$per
        awk -v r="$row" -v p="$per" -v l="$lim" 'BEGIN { printf "| %s | %d | %.2f |\n", r, p, p / l }'
    done
    echo
    echo "(valgrind does not run SHA-NI: under it the floor row is 2x SHA256_Transform, the library"
    echo "takes its OpenSSL path, and OpenSSL its non-SHA-NI code, so these ratios are not the time ratios.)"
fi
# The bindings against their alternatives, then nginx: pylon_idv.openresty against sub_filter
# and the plain proxy (bench/bench_nginx.sh: real nginx, wrk, 127.0.0.1), then the web
# drop-ins per page against the hand-written idiom (bench/bench_web.sh).
for part in python lua nginx web; do
    if [ -x "bench/bench_$part.sh" ]; then
        echo
        BUILD=$build "bench/bench_$part.sh" $quick
    fi
done
