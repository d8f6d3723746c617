#!/bin/bash
# The embedded cluster: created on first use, Unix socket only, private
# socket folder, run as the pg_user when bizenv is root, concurrent starts
# safe, data kept across stop/start.
. "$(dirname "$0")/../lib/tap.sh"

# Exercise the embedded default, not the test run's cluster.
. "$(dirname "$0")/../lib/private.sh"
# the long-path test's socket folder lives under /tmp
after_stop() {
    for h in $HOMES; do
        for d in $(cat "$h/sockdir" 2>/dev/null); do rm -rf "$d"; done
    done
}

H=$(new_home)
[ -n "$H" ] || { echo "Bail out! new_home failed"; exit 1; }
HOMES="$H"
db() { "$BIZENV" --home "$H" db "$@"; }
pid_of() { head -1 "$1/pg/postmaster.pid" 2>/dev/null; }

out=$(db status 2>&1); rc=$?
is "$rc" 3 "status on a fresh home exits 3 (not running)"
like "$out" "未创建" "status on a fresh home says not created"
ok "$([ ! -e "$H/pg" ]; echo $?)" "status does not create the data folder"

out=$(db start 2>&1); rc=$?
is "$rc" 0 "start on a fresh home succeeds"
like "$out" "^内置数据库已启动（$H/pg）" "start names the socket folder"
ok "$([ -f "$H/pg/PG_VERSION" ]; echo $?)" "start created the cluster"
pid=$(pid_of "$H")
owner=$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')
if [ "$(id -u)" = 0 ]; then
    is "$owner" postgres "as root, the server runs as postgres"
    is "$(stat -c %U "$H/pg")" postgres "as root, the data folder belongs to postgres"
else
    is "$owner" "$(id -un)" "the server runs as the invoking user"
    ok 0 "data folder ownership (root only)"
fi

out=$(db status 2>&1); rc=$?
is "$rc" 0 "status of a running cluster exits 0"
like "$out" "运行中（进程 $pid）" "status names the postmaster pid"

out=$(db psql -X -At -c 'SHOW listen_addresses' 2>&1)
is "$out" "" "listen_addresses is empty (no TCP)"
out=$(db psql -X -At -c 'SHOW unix_socket_permissions' 2>&1)
is "$out" "0700" "socket permissions are 0700"
is "$(stat -c %a "$H/pg")" 700 "the socket folder is not world-accessible"
is "$(stat -c %a "$H/pg/.s.PGSQL.5432")" 700 "the socket itself is private"
like "$(cat "$H/pg/bizenv.conf")" "^listen_addresses = ''" "listen_addresses is written in the config files"
like "$(cat "$H/pg/postgresql.conf")" "^include = 'bizenv.conf'" "postgresql.conf includes bizenv.conf"

out=$(db psql -X -At -c 'select current_user' 2>&1); rc=$?
is "$rc" 0 "db psql runs"
is "$out" bizenv "db psql connects as bizenv"
is "$(db psql -X -At -c 'select current_database()' 2>&1)" bizenv "database bizenv was created"

out=$(db start 2>&1); rc=$?
is "$rc" 0 "a second start succeeds"
is "$(pid_of "$H")" "$pid" "a second start is a no-op (same postmaster)"

db psql -X -q -c 'create table kept(x int); insert into kept values (42)' >/dev/null 2>&1
ok $? "a table is created"

out=$(db stop 2>&1); rc=$?
is "$rc" 0 "stop succeeds"
like "$out" "^内置数据库已停止" "stop says stopped"
ok "$([ ! -e "$H/pg/postmaster.pid" ]; echo $?)" "stop removed postmaster.pid"
out=$(db status 2>&1); rc=$?
is "$rc" 3 "status after stop exits 3"
like "$out" "已停止" "status after stop says stopped"
out=$(db stop 2>&1); rc=$?
is "$rc" 0 "stopping a stopped cluster succeeds"

out=$(db psql -X -At -c 'select x from kept' 2>&1); rc=$?
is "$rc" 0 "psql starts the stopped cluster"
is "$out" 42 "data survives stop and start"

# A home with history whose pg/ went away (moved by an accident or an
# attack) never gets a new, empty cluster: run numbers would restart at 1
# and every ranking would be gone.
export BIZENV_TODAY=2026-11-28
out=$("$BIZENV" --home "$H" nightly 2>&1 </dev/null); rc=$?
is "$rc" 0 "a night on the embedded cluster runs"
id=$(cat "$H/bizenv.id" 2>/dev/null)
like "$id" '^[0-9a-f]{32}$' "the home got an instance id"
is "$(db psql -X -At -c 'select id from meta.instance' 2>&1)" "$id" "the database holds the same id"
db stop >/dev/null 2>&1
mv "$H/pg" "$H/pg.moved"
runs_before=$(ls "$H/runs" | wc -l)
out=$("$BIZENV" --home "$H" nightly 2>&1 </dev/null); rc=$?
is "$rc" 78 "the next night refuses (78)"
like "$out" "E_DB_MISSING.*$H/pg.*不存在.*已有历史记录.*从备份恢复.*pgdata" \
    "with E_DB_MISSING, naming the folder and saying what to do"
ok "$([ ! -e "$H/pg" ]; echo $?)" "no new cluster was created"
is "$(ls "$H/runs" | wc -l)" "$((runs_before + 1))" "the only trace is the failed night's summary"
like "$(cat "$H/runs/2026-11-28-run0.txt" 2>&1)" "任务失败：\[E_DB_MISSING\]" "which says why (run 0: no run was recorded)"
is "$(cat "$H/bizenv.id")" "$id" "the home's id is unchanged"
out=$(db start 2>&1); rc=$?
is "$rc:$(ls -d "$H/pg" 2>/dev/null)" "78:" "db start refuses too, creating nothing"
like "$out" "E_DB_MISSING" "with the same code"
out=$("$BIZENV" --home "$H" rank 2026-10 2>&1); rc=$?
is "$rc:$(ls -d "$H/pg" 2>/dev/null)" "78:" "so does rank"
mv "$H/pg.moved" "$H/pg"
out=$("$BIZENV" --home "$H" nightly 2>&1 </dev/null); rc=$?
is "$rc" 0 "with pg/ back, the night runs"
is "$(db psql -X -At -c 'select max(id) from meta.run' 2>&1)" 2 "and its run number follows the last one"
is "$(db psql -X -At -c 'select x from kept' 2>&1)" 42 "on the same data"

# Two processes starting the same fresh home at once.
H2=$(new_home)
HOMES="$HOMES $H2"
"$BIZENV" --home "$H2" db start >"$T/c1.out" 2>&1 &
p1=$!
"$BIZENV" --home "$H2" db start >"$T/c2.out" 2>&1 &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
is "$rc1" 0 "first concurrent start succeeds"
is "$rc2" 0 "second concurrent start succeeds"
n=$(ps -eo args= | awk -v d="$H2/pg" '$2 == "-D" && $3 == d' | wc -l)
is "$n" 1 "concurrent starts leave exactly one server"
is "$("$BIZENV" --home "$H2" db psql -X -At -c 'select 1' 2>&1)" 1 "the concurrently started cluster answers"
"$BIZENV" --home "$H2" db stop >/dev/null 2>&1

# Another home's cluster is not this home's: H (with an id) pointed at
# H2's data folder is refused, and H2's database is left as it was.
out=$("$BIZENV" --home "$H" --set "pgdata=$H2/pg" nightly 2>&1 </dev/null); rc=$?
is "$rc" 78 "a home pointed at another home's cluster refuses (78)"
like "$out" "E_DB_IDENTITY.*不是本目录原来的数据库.*从备份恢复.*pgdata" "with E_DB_IDENTITY and what to do"
is "$("$BIZENV" --home "$H2" db psql -X -At -c "select to_regnamespace('meta') is null" 2>&1)" t \
    "nothing was created in that database"
"$BIZENV" --home "$H2" db stop >/dev/null 2>&1

# A data folder whose socket path would pass the 107-byte limit gets a
# private socket folder under /tmp.
H3=$(new_home)
HOMES="$HOMES $H3"
long="$H3/a-rather-long-folder-name-that-pushes-the-socket-path/over-the-limit-of-sun-path"
mkdir -p "$long"
"$BIZENV" --home "$H3" --set "pgdata=$long/pg" db start >"$T/long.out" 2>&1; rc=$?
is "$rc" 0 "start with a long data folder path succeeds"
sock=$(sed -n 's/^内置数据库已启动（\(.*\)）$/\1/p' "$T/long.out")
echo "$sock" >"$H3/sockdir"
like "$sock" "^/tmp/bizenv-[0-9a-f]{16}-[0-9]+$" "the socket folder falls back to /tmp/bizenv-<hash>-<uid>"
is "$(stat -c %a "$sock" 2>/dev/null)" 700 "the fallback socket folder is private"
is "$("$BIZENV" --home "$H3" --set "pgdata=$long/pg" db psql -X -At -c 'select 1' 2>&1)" 1 \
    "the long-path cluster answers"
"$BIZENV" --home "$H3" --set "pgdata=$long/pg" db stop >/dev/null 2>&1
# the exit handler only knows $H3/pg; stop the long one here
ok "$([ ! -e "$long/pg/postmaster.pid" ]; echo $?)" "the long-path cluster stopped"

# pgdata set to an existing folder that holds something: refused before
# anything is created or handed to the server user.
H5=$(new_home)
mkdir -m 750 "$H5/data" && echo keep >"$H5/data/notes.txt"
before=$(stat -c '%U:%G %a' "$H5/data" "$H5/data/notes.txt")
out=$("$BIZENV" --home "$H5" --set "pgdata=$H5/data" db start 2>&1); rc=$?
is "$rc" 78 "a non-empty pgdata folder is a configuration error"
like "$out" "\\[E_DB_CLUSTER_CONFIG\\] .*$H5/data.*不是空目录.*没有改动它.*pgdata" \
    "the message names the folder, says nothing was changed and what to do"
is "$(stat -c '%U:%G %a' "$H5/data" "$H5/data/notes.txt")" "$before" "its owner and mode are unchanged"
is "$(ls -A "$H5/data")" "notes.txt" "nothing was added to it"
is "$(ps -eo args= | awk -v d="$H5/data" '$2 == "-D" && $3 == d' | wc -l)" 0 "no server runs on it"

# a pgdata that cannot be a data folder is the setting's fault too (78)
out=$("$BIZENV" --home "$H5" --set "pgdata=$H5/a,b" db start 2>&1); rc=$?
is "$rc" 78 "a pgdata with a character the server's options cannot carry is a configuration error"
like "$out" "\\[E_DB_CLUSTER_CONFIG\\] .*a,b.*不允许的字符" "the message names the setting's value"
ok "$([ ! -e "$H5/a,b" ] && echo 0 || echo 1)" "nothing was created"

if [ "$(id -u)" = 0 ]; then
    H4=$(new_home)
    out=$("$BIZENV" --home "$H4" --set pg_user=nosuchuser_bz db start 2>&1); rc=$?
    is "$rc" 78 "as root, a missing pg_user is a configuration error"
    like "$out" "\\[E_DB_CLUSTER_CONFIG\\] .*nosuchuser_bz.*pg_user" "the message names the user and the setting"
fi

done_testing
