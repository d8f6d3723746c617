#!/bin/sh
# pgTAP tests of what sql/ defines (the figures, periods and rankings of
# sql/report/, the analyst's access, the walk summaries, the shapes): each
# tests/sql/*.sql file runs in its own scratch database set up by bizenv
# migrate (sql/migrations/, then the definition files, as production
# applies them: load/migrate.c), under pg_prove.
# One TAP line per file; on failure the pg_prove output follows as diagnostics.
. "$(dirname "$0")/../lib/tap.sh"

command -v pg_prove >/dev/null 2>&1 || skip_all "pg_prove not installed"
dir=$(cd "$(dirname "$0")" && pwd)

migrate() {
    "$BIZENV" --home "$T/home" migrate --db "dbname=$1" >"$T/migrate.log" 2>&1
}

mkdir -p "$T/home"
for f in "$dir"/*.sql; do
    name=$(basename "$f" .sql)
    db=$(scratch_db) || { ok 1 "$name: scratch database"; continue; }
    if ! migrate "$db"; then
        ok 1 "$name: migrations apply"
        sed 's/^/# /' "$T/migrate.log"
        dropdb "$db" >/dev/null 2>&1
        continue
    fi
    if ! psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION pgtap' >"$T/ext.log" 2>&1; then
        ok 1 "$name: CREATE EXTENSION pgtap"
        sed 's/^/# /' "$T/ext.log"
        dropdb "$db" >/dev/null 2>&1
        continue
    fi
    (cd "$dir" && pg_prove -d "$db" "$name.sql") >"$T/prove.log" 2>&1
    rc=$?
    ok $rc "$name"
    [ $rc = 0 ] || sed 's/^/# /' "$T/prove.log"
    dropdb "$db" >/dev/null 2>&1
done
done_testing
