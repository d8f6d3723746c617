#!/bin/bash
# A home and its database share an instance id (bizenv.id, meta.instance):
# a new home gets one, an install from before ids adopts one, and a home
# with history is never paired with another home's database or an empty
# one. Configured databases (--db) are checked like the embedded one.
. "$(dirname "$0")/../lib/tap.sh"
[ -n "${PGHOST:-}" ] || skip_all "needs PGHOST (run under tests/lib/with-cluster)"
export BIZENV_TODAY=2026-11-28
q() { psql -X -At -d "$1" -c "$2"; }
recv() { touch -d '2026-11-03 09:00:00 +0800' "$@"; }
night() { h=$1 d=$2; shift 2; "$BIZENV" --home "$h" --db "dbname=$d" "$@" nightly </dev/null; }
# a home with one night of history: the demo registry and one report
setup() {
    "$BIZENV" --home "$1" --db "dbname=$2" registry load "$TOP/jobs/demo/townships.csv" >/dev/null &&
        cp "$TOP/jobs/demo/539901101-2026-10.xml" "$1/inbox/a.xml" && recv "$1/inbox/a.xml" &&
        night "$1" "$2" >/dev/null 2>&1
}

# a new home and a new database: both get the same new id
dbA=$(scratch_db); HA=$(new_home)
setup "$HA" "$dbA"; ok $? "a new home's first night runs"
idA=$(cat "$HA/bizenv.id" 2>/dev/null)
like "$idA" '^[0-9a-f]{32}$' "the home has an id (bizenv.id)"
is "$(q "$dbA" "select id from meta.instance")" "$idA" "the database has the same (meta.instance)"
is "$(stat -c %s "$HA/bizenv.id")" 33 "one line, 32 hex digits"
night "$HA" "$dbA" >/dev/null 2>&1; ok $? "the next night runs"
is "$(cat "$HA/bizenv.id")" "$idA" "and keeps the id"

# another home's database (ids differ): refused, nothing changed
dbB=$(scratch_db); HB=$(new_home)
setup "$HB" "$dbB"; ok $? "a second home with its own database"
cp "$TOP/jobs/demo/539901101-2026-10.xml" "$HA/inbox/b.xml"
before=$(q "$dbB" "select (select count(*) from meta.run)||' '||(select count(*) from raw.file)||' '||(select count(*) from meta.migration)")
out=$(night "$HA" "$dbB" 2>&1); rc=$?
is "$rc" 78 "a home pointed at another home's database refuses (78)"
like "$out" "E_DB_IDENTITY.*数据库“$dbB”属于另一个 bizenv 目录.*没有改动它.*db 或 pgdata.*备份恢复" \
    "with E_DB_IDENTITY and what to do"
like "$out" "原因：.*$idA.*$(cat "$HB/bizenv.id")" "the detail shows both ids"
is "$(q "$dbB" "select (select count(*) from meta.run)||' '||(select count(*) from raw.file)||' '||(select count(*) from meta.migration)")" \
    "$before" "that database is unchanged"
test -f "$HA/inbox/b.xml"; ok $? "the inbox file is not taken"
out=$("$BIZENV" --home "$HA" --db "dbname=$dbB" rank 2026-10 2>&1); rc=$?
is "$rc" 78 "a read-only command refuses it too"
like "$out" "E_DB_IDENTITY" "with the same code"
rm -f "$HA/inbox/b.xml"

# a home with history and an empty database: refused, nothing created
dbC=$(scratch_db)
out=$(night "$HA" "$dbC" 2>&1); rc=$?
is "$rc" 78 "a home with an id and an empty database refuses (78)"
like "$out" "E_DB_IDENTITY.*不是本目录原来的数据库" "with E_DB_IDENTITY"
is "$(q "$dbC" "select count(*) from pg_namespace where nspname in ('meta','ref','raw','facts','report')")" 0 \
    "nothing was created in the empty database"
out=$("$BIZENV" --home "$HA" --db "dbname=$dbC" migrate 2>&1); rc=$?
is "$rc:$(q "$dbC" "select to_regnamespace('meta') is null")" "78:t" "bizenv migrate refuses it too, migrating nothing"

# an install from before ids: home and database with history, no ids:
# both adopt one, quietly
dbD=$(scratch_db); HD=$(new_home)
setup "$HD" "$dbD"; ok $? "a home with history"
rm "$HD/bizenv.id"
q "$dbD" "drop table meta.instance; delete from meta.migration where version = 90; revoke usage on schema meta from bizenv_analyst" >/dev/null
out=$(night "$HD" "$dbD" 2>&1); rc=$?
is "$rc:$out" "0:" "the first night after the upgrade runs, quiet"
idD=$(cat "$HD/bizenv.id" 2>/dev/null)
like "$idD" '^[0-9a-f]{32}$' "the home adopted a new id"
is "$(q "$dbD" "select id from meta.instance")" "$idD" "and the database the same"
is "$(q "$dbD" "select count(*) from meta.run")" 2 "history continues (run 2)"

# a home from before ids whose database already has one (a second host
# sharing it): the home adopts the database's id
HE=$(new_home); mkdir -p "$HE/runs" && echo old >"$HE/runs/2026-10-01-run1.txt"
out=$(night "$HE" "$dbA" 2>&1); rc=$?
is "$rc" 0 "a home without an id and a database with one: the night runs"
is "$(cat "$HE/bizenv.id" 2>/dev/null)" "$idA" "the home adopted the database's id"

# a home with history but no id yet, and an empty database: refused
HF=$(new_home); mkdir -p "$HF/runs" && echo old >"$HF/runs/2026-10-01-run1.txt"
dbF=$(scratch_db)
out=$(night "$HF" "$dbF" 2>&1); rc=$?
is "$rc" 78 "a home with history (no id yet) and an empty database refuses (78)"
like "$out" "E_DB_IDENTITY.*已有历史记录.*是空的" "with E_DB_IDENTITY"
like "$out" "原因：.*$HF/runs" "the detail names what holds the history"
ok "$([ ! -e "$HF/bizenv.id" ]; echo $?)" "no id was written"
is "$(q "$dbF" "select to_regnamespace('meta') is null")" t "nothing was created in the database"

# bizenv migrate prepares a database without tying the home to it: one
# home may prepare several (only ingest and nightly keep files in a home)
HG=$(new_home); dbG1=$(scratch_db); dbG2=$(scratch_db)
"$BIZENV" --home "$HG" --db "dbname=$dbG1" migrate >/dev/null 2>&1 &&
    "$BIZENV" --home "$HG" --db "dbname=$dbG2" migrate >/dev/null 2>&1
ok $? "one home migrates two databases"
ok "$([ ! -e "$HG/bizenv.id" ]; echo $?)" "the home has no id yet"
like "$(q "$dbG1" "select id from meta.instance") $(q "$dbG2" "select id from meta.instance")" \
    '^[0-9a-f]{32} [0-9a-f]{32}$' "each database has one"

for d in "$dbA" "$dbB" "$dbC" "$dbD" "$dbF" "$dbG1" "$dbG2"; do dropdb "$d" >/dev/null 2>&1; done
done_testing
