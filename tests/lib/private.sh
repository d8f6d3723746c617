# Helpers for the tests of the private (embedded) PostgreSQL server each
# home starts, sourced after tap.sh. They use each home's own server,
# never the test run's, and never leave a postmaster behind: at exit every
# home listed in $HOMES is stopped (`bizenv db stop`, else an immediate
# pg_ctl stop), whatever failed, before $T is removed.
#
#   HOMES="$H ..."        the homes to stop at exit
#   before_exit()         if the test defines it: run at exit first
#   after_stop()          if the test defines it: run once the homes stopped
#   as_pg CMD...          CMD as postgres when root (the server's user)
#   stop_home HOME        stops HOME's server
#   drop_cluster HOME     stops HOME's server and deletes it (pg/)
#   rebuild_anew HOME     drop_cluster, then `bizenv rebuild`: its output in
#                         $out, its exit status in $rc
#   B HOME ARGS...        bizenv in HOME, stdin closed
#   q HOME SQL            psql as bizenv on HOME's server
unset PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BINDIR/pg_ctl" ] || skip_all "no PostgreSQL server programs in $PG_BINDIR"
HOMES=""

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop_home() {
    "$BIZENV" --home "$1" db stop >/dev/null 2>&1
    if [ -f "$1/pg/postmaster.pid" ]; then
        as_pg "$PG_BINDIR/pg_ctl" -D "$1/pg" -m immediate -w stop >/dev/null 2>&1
    fi
}

drop_cluster() {
    B "$1" db stop >/dev/null
    rm -rf "$1/pg"
}

rebuild_anew() {
    drop_cluster "$1"
    out=$(B "$1" rebuild 2>&1)
    rc=$?
}

_private_exit() {
    if command -v before_exit >/dev/null 2>&1; then before_exit; fi
    for _ph in $HOMES; do stop_home "$_ph"; done
    if command -v after_stop >/dev/null 2>&1; then after_stop; fi
    rm -rf "$T"
}
trap _private_exit EXIT
trap 'exit 1' INT TERM

B() { _bh=$1; shift; "$BIZENV" --home "$_bh" "$@" </dev/null; }
q() { psql -X -At "host=$1/pg dbname=bizenv user=bizenv" -c "$2"; }
