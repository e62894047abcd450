#!/usr/bin/env bash
# fuzz.sh [TARGET...] -- build the libFuzzer targets in tests/fuzz and run each for a while.
#
#   FUZZ_SECONDS=60   seconds per target (0: only replay the seed corpus, for a quick check)
#   FUZZ_BUILD=build/fuzz   where the binaries, working corpora and crash files go
#   CC=clang          a clang with libFuzzer (Debian: clang + libclang-rt-<v>-dev)
#   FUZZ_ARGS=...     extra libFuzzer flags (e.g. -jobs=2)
#
# Targets are built from the core sources directly with ASan + UBSan (any report aborts).
# Each runs on a fresh copy of tests/fuzz/corpus/TARGET under FUZZ_BUILD (the seeds in git
# are never written to). Exit status: 0 when no target crashed, else 1; a crashing input is
# left as FUZZ_BUILD/artifacts/TARGET-crash-* -- replay it with FUZZ_BUILD/TARGET FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
CC=${CC:-clang}
case "$CC" in *clang*) ;; *) CC=clang ;; esac    # libFuzzer needs clang, whatever CC says
command -v "$CC" >/dev/null || exec scripts/why-missing.sh fuzz "$CC" clang
ALL_TARGETS="fuzz_secret fuzz_sign fuzz_page"
TARGETS=${*:-$ALL_TARGETS}
# Longest input: enough for secrets past the 64-byte key block (hashed first) and emails
# over several SHA-256 blocks, small enough to keep executions fast.
declare -A MAX_LEN=([fuzz_secret]=512 [fuzz_sign]=1024)

# shellcheck disable=SC2054  # commas inside -fsanitize=..., not array separators
FLAGS=(-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -Icore/include -Icore/src -Itests/fuzz)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

mkdir -p "$FUZZ_BUILD/artifacts"
for t in $TARGETS; do
    [ -f "tests/fuzz/$t.c" ] || { echo "fuzz.sh: no target tests/fuzz/$t.c" >&2; exit 2; }
    echo "== build $t"
    "$CC" "${FLAGS[@]}" -o "$FUZZ_BUILD/$t" "tests/fuzz/$t.c" core/src/*.c -lcrypto -pthread
done

failed=0
summary=""
for t in $TARGETS; do
    work="$FUZZ_BUILD/corpus/$t"
    rm -rf "$work"
    mkdir -p "$work"
    cp tests/fuzz/corpus/"$t"/* "$work"/
    args=(-max_len="${MAX_LEN[$t]:-1024}" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
          -artifact_prefix="$FUZZ_BUILD/artifacts/$t-")
    [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
    if [ "$FUZZ_SECONDS" = 0 ]; then
        args+=(-runs=0)                         # replay the corpus only
    else
        args+=(-max_total_time="$FUZZ_SECONDS")
    fi
    log="$FUZZ_BUILD/$t.log"
    echo "== run $t for ${FUZZ_SECONDS}s (log: $log)"
    set +e
    # shellcheck disable=SC2086
    "$FUZZ_BUILD/$t" "${args[@]}" ${FUZZ_ARGS:-} "$work" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)
    files=$(find "$work" -type f | wc -l)
    if [ "$rc" -ne 0 ]; then
        failed=1
        echo "!! $t FAILED (exit $rc); the full report is in $log:" >&2
        grep -E 'REQUIRE|secret_check:|runtime error|==ERROR|SUMMARY:|deadly signal|Test unit written' \
            "$log" | head -n 20 >&2 || tail -n 40 "$log" >&2
        summary+="$t: FAILED (exit $rc) after ${runs:-?} runs"$'\n'
    else
        summary+="$t: ${runs:-?} runs in ${FUZZ_SECONDS}s, ${cov:-cov: ?}, corpus $files files, no crash"$'\n'
    fi
done
echo "== fuzz summary"
printf '%s' "$summary"
exit "$failed"
