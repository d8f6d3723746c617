#!/bin/sh
# `make bench`: the province-scale benchmark on a fresh private PostgreSQL.
#
#   BENCH_SCALE  fraction of the province-year (1,500 townships x 12 months)
#                for the largest size; 1/10 and 1/100 of it are run too
#                (default 1: the full province-year)
#   BENCH_RUNS   runs per size; every figure is the median (default 3)
#   BENCH_SEED   generator seed (default 1)
#   BENCH_KEEP   set to keep the work folder (inboxes, server log)
#   BENCH_ONLY   "rebuild": only the ingest and the rebuild from its journal
#                (pgloader not needed); "sandbox": only the reader sandbox's
#                comparison (the largest size ingested by BIZENV_BIN and by
#                the SANDBOX=0 build, BIZENV_BIN_NOSANDBOX)
#
# The cluster is made for this run with PostgreSQL's default settings
# (fsync and synchronous_commit on: every COMMIT is durable, as in
# production), Unix socket only, in a temporary folder removed afterwards.
# As root the server runs as the `postgres` user, like tests/lib/with-cluster.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
BIN=${BIZENV_BIN:-$TOP/build/release/bizenv}
BIN0=${BIZENV_BIN_NOSANDBOX:-$TOP/build/release-nosandbox/bizenv}
[ -n "${BENCH_ONLY:-}" ] || command -v pgloader >/dev/null || { echo "bench: pgloader is not installed (make bench installs it)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: $BIN not built (make build)" >&2; exit 1; }
[ "${BENCH_ONLY:-}" = rebuild ] || [ -x "$BIN0" ] || { echo "bench: $BIN0 not built (make SANDBOX=0 build/release-nosandbox/bizenv)" >&2; exit 1; }

work=$(mktemp -d /tmp/bizenv-bench-XXXXXX)
chmod 755 "$work"
# a private copy: a rebuild during the run must not change the binary measured
cp "$BIN" "$work/bizenv"
[ -x "$BIN0" ] && cp "$BIN0" "$work/bizenv-nosandbox"
BIN=$work/bizenv
BIN0=$work/bizenv-nosandbox
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
mkdir "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres "$work/pg"
as_pg "$bindir/initdb" -D "$work/pg/data" -U bench --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; exit 1; }
as_pg "$bindir/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories=$work/pg" start >/dev/null \
    || { cat "$work/pg/server.log" >&2; exit 1; }
cleanup() {
    as_pg "$bindir/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM
export PGHOST="$work/pg" PGPORT=5432 PGUSER=bench PGDATABASE=postgres
unset PGSERVICE PGPASSWORD 2>/dev/null || true
python3 "$TOP/tests/bench/bench.py" --bin "$BIN" --bin-nosandbox "$BIN0" --work "$work" \
    --scale "${BENCH_SCALE:-1}" --runs "${BENCH_RUNS:-3}" --seed "${BENCH_SEED:-1}" \
    ${BENCH_ONLY:+--only "$BENCH_ONLY"}
