#!/bin/sh
# The libFuzzer harnesses (tests/fuzz/fuzz_*.c) build, replay every
# regression input (tests/fuzz/regress/<harness>/) without a finding, and
# run for a short time (BIZENV_FUZZ_SECONDS, default 20) from the seeds
# without one. `make fuzz` runs them for FUZZ_SECONDS (default 600).
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" != release ] && skip_all "runs once, in the release pass (the harnesses carry their own ASan/UBSan)"
command -v clang-14 >/dev/null || skip_all "clang-14 not installed"
SECS=${BIZENV_FUZZ_SECONDS:-20}
cd "$TOP" || exit 1
make --no-print-directory fuzz-build >"$T/build.log" 2>&1; rc=$?
is "$rc" 0 "make fuzz-build builds the harnesses with clang-14"
[ $rc = 0 ] || { tail -20 "$T/build.log" | sed 's/^/# /'; done_testing; exit 1; }
sh tests/fuzz/seeds.sh "$T/seeds" >/dev/null 2>&1
for h in build/fuzz/tests/fuzz/fuzz_*; do
    name=${h##*/fuzz_}
    reg=$(find "tests/fuzz/regress/$name" -type f 2>/dev/null | sort)
    if [ -n "$reg" ]; then
        # shellcheck disable=SC2086
        "$h" -runs=1 $reg >"$T/$name.replay" 2>&1; rc=$?
        is "$rc" 0 "$name: the $(echo "$reg" | wc -l) regression inputs replay cleanly"
        [ $rc = 0 ] || grep -m5 'ERROR\|SUMMARY' "$T/$name.replay" | sed 's/^/# /'
    fi
    mkdir -p "$T/corpus/$name"
    "$h" -max_total_time="$SECS" -timeout=25 -rss_limit_mb=2048 -max_len=262144 \
        -artifact_prefix="$T/crash-$name-" "$T/corpus/$name" "$T/seeds/$name" >"$T/$name.log" 2>&1; rc=$?
    is "$rc" 0 "$name: $SECS s of fuzzing from the seeds find nothing"
    diag "$name: $(grep -a '^Done\|^#[0-9]*.*DONE' "$T/$name.log" | tail -1)"
    if [ $rc != 0 ]; then
        grep -a -m5 'ERROR\|SUMMARY\|Test unit written' "$T/$name.log" | sed 's/^/# /'
    fi
done
done_testing
