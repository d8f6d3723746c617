#!/bin/sh
# make fuzz: runs each libFuzzer harness (build/fuzz/tests/fuzz/fuzz_*) for
# SECONDS, all at once, seeded by tests/fuzz/seeds.sh. New interesting
# inputs stay in build/fuzz/corpus/<harness> for the next run; a crash is
# written to build/fuzz/crash-<harness>-* and fails the target. Turn each
# into a regression input under tests/fuzz/regress/<harness>/.
set -u
secs=${1:-600}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tests/fuzz/seeds.sh build/fuzz/seeds
pids=""
for h in build/fuzz/tests/fuzz/fuzz_*; do
    name=${h##*/fuzz_}
    mkdir -p "build/fuzz/corpus/$name"
    echo "fuzzing $name for $secs s (log: build/fuzz/$name.log)"
    "$h" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -max_len=262144 \
        -artifact_prefix="build/fuzz/crash-$name-" \
        "build/fuzz/corpus/$name" "build/fuzz/seeds/$name" >"build/fuzz/$name.log" 2>&1 &
    pids="$pids $!"
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
for h in build/fuzz/tests/fuzz/fuzz_*; do
    name=${h##*/fuzz_}
    tail -n 3 "build/fuzz/$name.log" | sed "s/^/$name: /"
done
ls build/fuzz/crash-* 2>/dev/null && rc=1
exit $rc
