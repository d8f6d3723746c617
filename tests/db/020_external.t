#!/bin/bash
# A configured server (PG* environment or --db): bizenv uses it as every
# libpq program does, and never creates, starts or stops a cluster.
. "$(dirname "$0")/../lib/tap.sh"

[ -n "${PGHOST:-}" ] || skip_all "needs PGHOST (run under tests/lib/with-cluster)"

H=$(new_home)
[ -n "$H" ] || { echo "Bail out! new_home failed"; exit 1; }
db() { "$BIZENV" --home "$H" db "$@"; }

out=$(db status 2>&1); rc=$?
is "$rc" 0 "status of a reachable configured server exits 0"
like "$out" "已配置的服务器（来自 PG\* 环境变量或服务文件）" "status reports the configured server"
like "$out" "连接正常：主机 $PGHOST，端口 ${PGPORT:-5432}" "status names where it connected"
ok "$([ ! -e "$H/pg" ]; echo $?)" "status creates no pg/ folder"

out=$(db psql -X -At -c 'select current_user' 2>&1); rc=$?
is "$rc" 0 "db psql uses the configured server"
is "$out" "${PGUSER:-$(id -un)}" "db psql connects as the environment's user"
ok "$([ ! -e "$H/pg" ]; echo $?)" "psql creates no pg/ folder"

out=$(db start 2>&1); rc=$?
is "$rc" 64 "start refuses with a configured server"
like "$out" "E_USAGE.*不会启动其他服务器" "start explains it manages only the embedded cluster"
out=$(db stop 2>&1); rc=$?
is "$rc" 64 "stop refuses with a configured server"
like "$out" "E_USAGE" "stop refusal carries E_USAGE"
ok "$([ ! -e "$H/pg" ]; echo $?)" "start and stop create no pg/ folder"

out=$("$BIZENV" --home "$H" --db "dbname=nosuchdb" db status 2>&1); rc=$?
is "$rc" 69 "an unreachable configured database exits 69"
like "$out" "E_DB_CONNECT" "the failure carries E_DB_CONNECT"
like "$out" "数据库 nosuchdb" "the message names the database it tried"
like "$out" "来自 --db 连接串" "the message says the target came from --db"
like "$out" "原因：.*nosuchdb" "the detail carries libpq's reason"
ok "$([ ! -e "$H/pg" ]; echo $?)" "a failed connection creates no pg/ folder"

# PGDATABASE alone (no PGHOST) also selects the environment.
out=$(env -u PGHOST PGDATABASE=nosuchdb2 "$BIZENV" --home "$H" db status 2>&1); rc=$?
is "$rc" 69 "PGDATABASE alone selects the environment, never the embedded cluster"
ok "$([ ! -e "$H/pg" ]; echo $?)" "PGDATABASE alone creates no pg/ folder"

done_testing
