#!/bin/bash
# Analysts cannot harm the night: an analyst holds a transaction open on the
# report views and runs a long query while a night ingests and refreshes;
# the night finishes normally, and the analyst's sessions are still there.
# On a configured server (the test run's), which is also where `bizenv
# analyst` must work as on the embedded one: the role, its SCRAM-SHA-256
# verifier of the password shown, its limits, list and remove.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
db=$(scratch_db)
H=$(new_home)
# roles belong to the whole server the test runs share: a name of our own
AN="ana_$(mktemp -u XXXXXXXX | tr 'A-Z' 'a-z')"
B() { "$BIZENV" --home "$H" --db "dbname=$db" "$@" </dev/null; }
q() { psql -X -At -d "$db" -c "$1"; }
cleanup() {
    exec 3>&- 2>/dev/null
    [ -n "${bg:-}" ] && kill "$bg" "${hold:-}" 2>/dev/null
    psql -X -q -d "$db" -c "select pg_terminate_backend(pid) from pg_stat_activity where usename = '$AN'" >/dev/null 2>&1
    psql -X -q -d "$db" -c "drop role if exists \"$AN\"" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
recv() { touch -d '2026-11-03 09:00:00 +0800' "$@"; }

B registry load "$TOP/jobs/demo/townships.csv" >/dev/null
cp "$TOP/jobs/demo/539901101-2026-10.xml" "$H/inbox/a.xml"
recv "$H/inbox/a.xml"
B nightly >/dev/null 2>&1
is "$(q "select status, accepted from meta.run order by id desc limit 1")" "ok|1" "a first night loads a report"

# --- the account, on a configured server ----------------------------------------
out=$(B analyst add "$AN" 2>&1); rc=$?
is "$rc" 0 "analyst add works on a configured server"
like "$out" "数据库服务器由本县另行管理" "and says the server's access rules are the county's"
PW=$(printf '%s\n' "$out" | sed -n 's/^密码（只显示这一次[^）]*）：//p')
is "$(q "select rolcanlogin, rolsuper, rolconnlimit, pg_has_role('$AN', 'bizenv_analyst', 'MEMBER')
         from pg_roles where rolname = '$AN'")" "t|f|5|t" "a login in bizenv_analyst, 5 sessions at most"
verifier=$(q "select rolpassword from pg_authid where rolname = '$AN'")
like "$verifier" '^SCRAM-SHA-256\$4096:' "the server holds a SCRAM-SHA-256 verifier"
python3 - "$PW" "$verifier" <<'EOF'
# the verifier is the one of the password shown (RFC 5802, 7677)
import base64, hashlib, hmac, sys
pw, v = sys.argv[1].encode(), sys.argv[2]
head, keys = v.split("$")[1:]
iters, salt = head.split(":")
stored, server = keys.split(":")
salted = hashlib.pbkdf2_hmac("sha256", pw, base64.b64decode(salt), int(iters))
client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
ok = base64.b64decode(stored) == hashlib.sha256(client_key).digest() and \
     base64.b64decode(server) == server_key
sys.exit(0 if ok else 1)
EOF
ok $? "and it is the verifier of the password shown"
is "$(q "select array_to_string(setconfig, ' ') from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
         where r.rolname = '$AN'")" \
   "statement_timeout=300000 idle_in_transaction_session_timeout=600000 default_transaction_read_only=on TimeZone=Asia/Shanghai temp_file_limit=2097152kB" \
   "its sessions start with the analyst_* limits"
like "$(B analyst list 2>&1)" "^$AN	长期	5	0	bizenv 分析人员账号" "analyst list shows it"

# --- an analyst holds on while a night runs ----------------------------------------
A() { psql -X -At -v ON_ERROR_STOP=1 "dbname=$db user=$AN" "$@"; }
is "$(A -c "select count(*) from report.submission")" 1 "the analyst reads report"
mkfifo "$T/hold"
A <"$T/hold" >"$T/hold.out" 2>&1 &
hold=$!
exec 3>"$T/hold"
# a transaction open on the report views: their locks and snapshot held
printf '%s\n' "begin isolation level repeatable read;" "select count(*) from report.submission;" "select count(*) from report.ranking_snapshot;" \
    "select count(*) from report.ranking('2026-Q4');" "select 'holding';" >&3
A -c "select pg_sleep(600), count(*) from report.walk, report.submission" >"$T/long.out" 2>&1 3>&- &
bg=$!
for _ in $(seq 1 200); do
    state=$(q "select string_agg(state, ',' order by state) from pg_stat_activity where usename = '$AN'")
    [ "$state" = "active,idle in transaction" ] && grep -q holding "$T/hold.out" && break
    sleep 0.1
done
is "$state" "active,idle in transaction" "one session idles in a transaction on the report views, one runs a long query"
pids=$(q "select string_agg(pid::text, ',' order by pid) from pg_stat_activity where usename = '$AN'")

runs_before=$(q "select count(*) from facts.ranking_run")
sed 's/539901101/539901102/g' "$TOP/jobs/demo/539901101-2026-10.xml" >"$H/inbox/b.xml"
recv "$H/inbox/b.xml"
out=$(B nightly 2>&1); rc=$?
is "$rc" 0 "the night exits 0"
is "$(q "select status, files_taken, accepted from meta.run order by id desc limit 1")" "ok|1|1" \
    "it ingested the new report"
is "$(q "select count(*) from facts.submission where township_code = '539901102'")" 1 "which is in facts"
is "$(q "select count(*) > $runs_before from facts.ranking_run")" t "and it refreshed the rankings"
is "$(q "select count(*) > 0 from meta.export")" t "and exported them"
is "$(q "select string_agg(pid::text, ',' order by pid) from pg_stat_activity where usename = '$AN'")" "$pids" \
    "the analyst's sessions were left alone"
is "$(q "select count(*) from pg_stat_activity
         where usename = '$AN' and state = 'active' and query like '%pg_sleep%'")" 1 \
    "the long query is still running"
printf '%s\n' "select count(*) from report.submission;" "commit;" >&3
exec 3>&-
wait "$hold"
is "$(sed -n 6p "$T/hold.out")" 1 "the open transaction still sees its snapshot (one report) after the night"

# --- a night that must redefine the views (after an upgrade) ---------------------------
# An analyst's locks would hold the drop of the definitions until
# lock_timeout: the night ends the analysts' sessions first.
mkfifo "$T/hold2"
A <"$T/hold2" >"$T/hold2.out" 2>&1 &
hold=$!
exec 3>"$T/hold2"
printf '%s\n' "begin;" "select count(*) from report.submission;" "select 'holding';" >&3
for _ in $(seq 1 200); do
    grep -q holding "$T/hold2.out" && break
    sleep 0.1
done
is "$(q "select count(*) from pg_stat_activity where usename = '$AN'")" 2 \
    "two analyst sessions again: one in a transaction on the views, the long query"
q "delete from meta.definition_file where path = 'sql/report/views.sql'" >/dev/null
out=$(B nightly 2>&1); rc=$?
is "$rc" 0 "a night that redefines the views while an analyst holds them exits 0"
is "$(q "select count(*) from meta.definition_file where path = 'sql/report/views.sql'")" 1 \
    "the definitions were applied again"
is "$(q "select status from meta.run order by id desc limit 1")" ok "the run is recorded ok"
printf '%s\n' "select 'after';" >&3
exec 3>&-
wait "$hold"
like "$(cat "$T/hold2.out")" "terminating connection due to administrator command" \
    "the analyst's session was ended for it"
wait "$bg" 2>/dev/null

# --- remove ---------------------------------------------------------------------------
A -c "select pg_sleep(600)" >/dev/null 2>&1 &
bg=$!
for _ in $(seq 1 200); do
    [ "$(q "select count(*) from pg_stat_activity where usename = '$AN' and state = 'active'")" = 1 ] && break
    sleep 0.1
done
out=$(B analyst remove "$AN" 2>&1); rc=$?
is "$rc" 0 "analyst remove exits 0"
like "$out" "结束了它的 1 个连接" "it ended the analyst's remaining session"
wait "$bg" 2>/dev/null
bg=""
is "$(q "select count(*) from pg_roles where rolname = '$AN'")" 0 "the role is gone"
done_testing
