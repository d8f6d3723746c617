#!/bin/sh
# SIGKILL at random points of a night, many times: after a normal rerun the
# database equals an uninterrupted run's, and every file is in exactly one
# place (nothing lost, nothing loaded twice, nothing half-loaded); no
# reader process of the killed run is left (they die with it).
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = valgrind ] && skip_all "a run killed at random points under valgrind proves nothing more and takes minutes"
export BIZENV_TODAY=2026-11-28
ROUNDS=${BIZENV_KILL_ROUNDS:-50}

# 24 files: 8 townships x 3 months, one rejected, one revision 2, a batch
mkdir -p "$T/src"
for m in 07 08 10; do
    for c in 101 102 103 104 105 107 108 109; do
        sed -e "s/539901101/539901$c/" -e "s/<period>2026-10</<period>2026-$m</" \
            -e "s/date=\"2026-10-/date=\"2026-$m-/g" -e "s/=\"2026-10-\([0-9][0-9]\)\"/=\"2026-$m-\1\"/g" \
            "$TOP/jobs/demo/539901101-2026-10.xml" >"$T/src/$c-$m.xml"
    done
done
sed 's/evaluated="30"/evaluated="40"/' "$T/src/109-10.xml" >"$T/src/109-10-bad.xml"
sed 's/<revision>1</<revision>2</; s/evaluated="30"/evaluated="28"/' "$T/src/108-10.xml" >"$T/src/108-10-r2.xml"
gzip "$T/src/107-10.xml"
i=0
for f in "$T"/src/*; do
    i=$((i + 1))
    touch -d "2026-11-03 09:$(printf %02d $i):00 +0800" "$f"
done
touch -d "2026-11-04 09:00:00 +0800" "$T/src/108-10-r2.xml"
nfiles=$(ls "$T/src" | wc -l)

template=$(scratch_db)
H0=$(new_home)
"$BIZENV" --home "$H0" --db "dbname=$template" registry load "$TOP/jobs/demo/townships.csv" >/dev/null

state() {
    psql -X -At -d "$1" -c "
      select string_agg(township_code||'/'||period||'/r'||revision||'/'||doc_sha256, ' ' order by township_code, period, revision) from facts.submission;
      select (select count(*) from facts.window)||' '||(select count(*) from facts.walk)||' '||(select count(*) from facts.problem)||' '||(select count(*) from facts.warning)||' '||(select count(*) from facts.text_item);
      select count(*) from raw.file;"
}
places() { # inbox claimed quarantine archive
    echo "$(ls "$1/inbox" | wc -l) $(ls -A "$1/claim" 2>/dev/null | wc -l) $(find "$1/quarantine" -type f ! -name '*.回执.txt' | wc -l) $(inbox_archived "$1")"
}
run_to_end() { h=$1 db=$2; shift 2; "$BIZENV" --home "$h" --db "dbname=$db" "$@" ingest >"$T/rerun.out" 2>&1 </dev/null; }

ref=$(createdb -T "$template" "${template}_ref" && echo "${template}_ref")
HR=$(new_home); mkdir -p "$HR/inbox"; cp -p "$T"/src/* "$HR/inbox/"
t0=$(date +%s%N)
run_to_end "$HR" "$ref"
# kills fall within the time an uninterrupted run takes (start-up included)
span=$(awk -v ns="$(($(date +%s%N) - t0))" 'BEGIN { s = ns / 1e9 * 0.9; printf "%.3f", s < 0.05 ? 0.05 : s }')
[ -n "${BIZENV_DEBUG:-}" ] && cat "$HR"/quarantine/*/*.txt >&2
want=$(state "$ref")
want_places=$(places "$HR")
is "$want_places" "0 0 1 $nfiles" "uninterrupted run: one file quarantined, every file archived"

# Rounds of kill-then-rerun; $1 is the batch size (500: one batch for the
# whole inbox; 3: eight batches, a merge running on the server while the
# next batch is read, so kills land with two batches in flight).
rounds() {
    size=$1 n=$2
    bad=0 killed=0 r=0
    while [ $r -lt "$n" ]; do
        r=$((r + 1))
        d="${template}_k${size}_$r"
        createdb -T "$template" "$d"
        HK=$(new_home); mkdir -p "$HK/inbox"; cp -p "$T"/src/* "$HK/inbox/"
        # kill somewhere between start-up and the end of the load; with
        # --foreground timeout signals only bizenv and waits until it is
        # gone (else timeout kills its own process group, itself included,
        # and the rerun can start while the killed run is still finishing
        # a system call, holding the run lock: E_BUSY)
        delay=$(awk -v s="$r" -v span="$span" 'BEGIN { srand(s * 7919); printf "%.3f", 0.01 + rand() * span }')
        timeout --foreground -s KILL "$delay" "$BIZENV" --home "$HK" --db "dbname=$d" --set batch_size=$size \
            ingest >/dev/null 2>&1 </dev/null
        [ $? -eq 137 ] && killed=$((killed + 1))
        run_to_end "$HK" "$d" --set batch_size=$size
        got=$(state "$d")
        got_places=$(places "$HK")
        # the killed run's readers (and the rerun's) died with it
        left=$(pgrep -f -- "--home $HK " | wc -l)
        [ "$left" = 0 ] || { diag "round $r: $left processes of the run left behind"; got="$got left"; }
        if [ "$got" != "$want" ] || [ "$got_places" != "$want_places" ]; then
            bad=$((bad + 1))
            diag "batch size $size, round $r (kill after ${delay}s): places $got_places, want $want_places"
            if [ "$got" != "$want" ]; then
                diag "database differs:"
                printf '%s\n' "$want" >"$T/want.txt"; printf '%s\n' "$got" >"$T/got.txt"
                diff "$T/want.txt" "$T/got.txt" | tr ' ' '\n' | grep '^[<>]\|/' | head -10 | sed 's/^/#   /'
            fi
            tail -5 "$T/rerun.out" | sed 's/^/#   rerun: /'
        fi
        dropdb "$d"
        rm -rf "$HK"
    done
    is "$bad" 0 "batch size $size: $n killed-then-rerun nights all equal the uninterrupted one"
    diag "batch size $size: $killed of $n runs were killed before finishing"
    ok $([ "$killed" -ge $((n / 2)) ] && echo 0 || echo 1) "batch size $size: most rounds were really killed mid-run"
}

# The same inbox in batches of 3 files, uninterrupted, stores the same.
ref3=$(createdb -T "$template" "${template}_ref3" && echo "${template}_ref3")
H3=$(new_home); mkdir -p "$H3/inbox"; cp -p "$T"/src/* "$H3/inbox/"
run_to_end "$H3" "$ref3" --set batch_size=3
is "$(state "$ref3")" "$want" "batches of 3 (merges overlapping the reading) store what one batch stores"
is "$(places "$H3")" "$want_places" "and put every file in the same place"
is "$(ls "$H3"/receipts/*/ | wc -l)" "$(ls "$HR"/receipts/*/ | wc -l)" "and write as many receipts"
is "$(psql -X -At -d "$ref3" -c "select string_agg(outcome, ' ' order by id) from raw.receipt")" \
   "$(psql -X -At -d "$ref" -c "select string_agg(outcome, ' ' order by id) from raw.receipt")" \
   "with the same outcomes, stored in the same order"

diag "kills fall 0.01-${span}s after the start (0.9 of an uninterrupted run)"
rounds 500 "$ROUNDS"
rounds 3 $((ROUNDS / 2))
done_testing
