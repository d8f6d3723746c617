#!/bin/bash
# Analysts over the network: the embedded server with `listen` set takes
# analysts' logins over TLS only (sslmode=verify-full against bizenv's
# local CA), refuses a wrong password, a connection without TLS, the owner
# and expired accounts; an analyst reads report and nothing else, writes
# nothing, creates nothing but temporary tables, and runs within the
# limits of the analyst_* settings. The data dictionary covers every
# column of every report view, and every example query in it runs, as the
# analyst, over TLS. Real TCP on loopback, on a free port of its own.
. "$(dirname "$0")/../lib/tap.sh"

# the embedded server, not the test run's
. "$(dirname "$0")/../lib/private.sh"
[ -x /usr/bin/openssl ] || skip_all "openssl is not installed"

H=$(new_home)
HOMES="$H"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
B() { "$BIZENV" --home "$H" "$@" </dev/null; }
owner() { "$BIZENV" --home "$H" db psql -X -At -v ON_ERROR_STOP=1 "$@" </dev/null; }
CA=$H/tls/ca.crt
# as an analyst: user $1 with password $2, over TCP and TLS verified against $CA
conn() { echo "host=${HOSTNAME_:-127.0.0.1} port=$PORT dbname=bizenv user=$1 sslmode=verify-full sslrootcert=$CA"; }
as() {
    local u=$1 p=$2
    shift 2
    PGPASSWORD="$p" psql -X -At -v ON_ERROR_STOP=1 "$(conn "$u")" "$@" </dev/null 2>&1
}

echo "listen = 127.0.0.1:$PORT" >"$H/bizenv.conf"
python3 "$TOP/jobs/demo/make_inbox.py" "$H/inbox" >/dev/null
B registry load "$TOP/jobs/demo/townships.csv" >/dev/null
BIZENV_TODAY=2026-11-10 B nightly >/dev/null 2>&1
is "$(owner -c 'select count(*) > 0 from report.submission')" t "the demo inbox is loaded"

# --- an account --------------------------------------------------------------
A=李四
out=$(B analyst add "$A" --expires 2099-12-31 2>&1); rc=$?
is "$rc" 0 "analyst add exits 0"
PW=$(printf '%s\n' "$out" | sed -n 's/^密码（只显示这一次[^）]*）：//p')
like "$PW" '^[A-HJ-NP-Za-km-z2-9]{20}$' "a password of 20 unambiguous characters is shown once"
like "$out" "psql \"host=127.0.0.1 port=$PORT dbname=bizenv user=$A sslmode=verify-full sslrootcert=bizenv-ca.crt\"" \
    "it prints the psql line the analyst uses"
like "$out" "CA 证书.*：$CA" "and names the CA file to give them"
is "$(stat -c %a "$CA"):$(stat -c %a "$H/tls/ca.key"):$(stat -c %a "$H/tls/server.key")" "644:600:600" \
    "the CA certificate is readable, the keys are private"
san=$(openssl x509 -in "$H/tls/server.crt" -noout -ext subjectAltName 2>&1)
like "$san" "DNS:localhost" "the server certificate is named for localhost"
like "$san" "IP Address:127.0.0.1" "and for 127.0.0.1"
openssl verify -CAfile "$CA" "$H/tls/server.crt" >/dev/null 2>&1
ok $? "it is signed by the local CA"
hba=$(cat "$H/pg/bizenv_hba.conf")
like "$hba" "^hostssl bizenv +\+bizenv_analyst +all +scram-sha-256$" "pg_hba: analysts over TLS with SCRAM"
unlike "$hba" "^host " "pg_hba: no line without TLS"
like "$(cat "$H/pg/bizenv.conf")" "^ssl = on$" "the server configuration turns TLS on"
is "$(owner -c "select setting from pg_settings where name = 'listen_addresses'")" "127.0.0.1" \
    "the server listens on the address asked for"

# --- who gets in ---------------------------------------------------------------
want=$(owner -c "select code || ' ' || coalesce(composite::text, '-') from report.ranking('2026-10')")
got=$(as "$A" "$PW" -c "select code || ' ' || coalesce(composite::text, '-') from report.ranking('2026-10')")
is "$got" "$want" "the analyst reads report.ranking over TCP with sslmode=verify-full"
is "$(as "$A" "$PW" -c "select ssl from pg_stat_ssl where pid = pg_backend_pid()")" t \
    "the session is encrypted"
is "$(HOSTNAME_=localhost as "$A" "$PW" -c 'select 1')" 1 "verify-full also holds for host=localhost"
mkdir "$T/other" && openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc \
    -keyout "$T/other/ca.key" -out "$T/other/ca.crt" -days 2 -subj /CN=other -config /dev/null >/dev/null 2>&1
like "$(CA=$T/other/ca.crt as "$A" "$PW" -c 'select 1')" "certificate verify failed" \
    "a server certificate from another CA is refused by the client"
like "$(as "$A" "wrong-password-123" -c 'select 1')" "password authentication failed for user \"$A\"" \
    "a wrong password is refused"
like "$(PGPASSWORD="$PW" psql -X -At "host=127.0.0.1 port=$PORT dbname=bizenv user=$A sslmode=disable" -c 'select 1' 2>&1)" \
    "no pg_hba.conf entry for host \"127.0.0.1\", user \"$A\", database \"bizenv\", no encryption" \
    "a connection without TLS is refused"
like "$(as bizenv x -c 'select 1')" "pg_hba.conf rejects connection for host \"127.0.0.1\", user \"bizenv\"" \
    "the owner (a superuser) is refused over TCP"
like "$(as postgres x -c 'select 1')" "pg_hba.conf rejects connection .* user \"postgres\"" \
    "so is postgres"
like "$(as bizenv_loader x -c 'select 1')" "pg_hba.conf rejects connection .* user \"bizenv_loader\"" \
    "and the loader"
like "$(PGPASSWORD="$PW" psql -X -At "host=127.0.0.1 port=$PORT dbname=postgres user=$A sslmode=verify-full sslrootcert=$CA" -c 'select 1' 2>&1)" \
    "no pg_hba.conf entry .* database \"postgres\"" "an analyst reaches only the database bizenv"

# --- what an analyst may do ------------------------------------------------------
denied() { like "$(as "$A" "$PW" -c "$1")" "permission denied" "$2"; }
denied "select contact_name, contact_phone from facts.submission" "no contact names or phones (facts.submission)"
is "$(as "$A" "$PW" -c "select count(*) from information_schema.columns where table_schema = 'report' and column_name ~ 'contact|phone'")" 0 \
    "no report view has a contact column"
denied "select count(*) from facts.walk" "facts is not readable"
denied "select count(*) from raw.file" "raw is not readable"
denied "select count(*) from staging.submission" "staging is not readable"
denied "select count(*) from ref.township" "ref is not readable"
denied "begin read write; insert into report.township (code, name) values ('539901199', 'x'); commit" \
    "report views are not writable"
denied "select report.refresh_ranking('2026-10', '2026-11-30')" "rankings cannot be stored"
denied "begin read write; select meta.run_begin('nightly', '2026-11-30', 'x', 1, 'x'); commit" \
    "runs cannot be recorded"
like "$(as "$A" "$PW" -c "create temp table t (i int)")" \
    "cannot execute CREATE TABLE in a read-only transaction" "transactions are read-only by default"
denied "begin read write; create table public.mine (i int); commit" "nothing can be created in public"
denied "begin read write; create table report.mine (i int); commit" "nor in report"
denied "begin read write; create schema mine; commit" "no schema can be created"
is "$(as "$A" "$PW" -c "begin read write" -c "create temp table t as select * from report.township" \
    -c "select count(*) from t" -c "commit")" "$(printf 'BEGIN\nSELECT 10\n10\nCOMMIT')" \
    "temporary tables are allowed (in a read-write transaction)"
is "$(as "$A" "$PW" -c "select current_setting('statement_timeout') || ' ' ||
        current_setting('idle_in_transaction_session_timeout') || ' ' ||
        current_setting('temp_file_limit') || ' ' || current_setting('default_transaction_read_only') || ' ' ||
        current_setting('TimeZone')")" "5min 10min 2GB on Asia/Shanghai" \
    "sessions start with the analyst_* limits, read-only, in the county's time zone"
like "$(as "$A" "$PW" -c "set temp_file_limit = '100GB'")" "permission denied to set parameter" \
    "an analyst cannot raise temp_file_limit"

# the limits are the settings' when add or passwd last ran
printf '%s\n' "$PW" | "$BIZENV" --home "$H" --set analyst_statement_timeout_ms=1000 \
    analyst passwd "$A" --password-stdin >"$T/pw.out" 2>&1
is "$?" 0 "passwd with --password-stdin (the same password) sets the current limits"
like "$(as "$A" "$PW" -c 'select pg_sleep(3)')" "canceling statement due to statement timeout" \
    "a statement past analyst_statement_timeout_ms is cancelled"
printf '%s\n' "$PW" | "$BIZENV" --home "$H" --set analyst_connection_limit=1 \
    analyst passwd "$A" --password-stdin >"$T/pw.out" 2>&1
PGPASSWORD="$PW" psql -X -At "$(conn "$A")" -c 'select pg_sleep(60)' >/dev/null 2>&1 &
bg=$!
for _ in $(seq 1 100); do
    [ "$(owner -c "select count(*) from pg_stat_activity where usename = '$A'")" = 1 ] && break
    sleep 0.1
done
like "$(as "$A" "$PW" -c 'select 1')" "too many connections for role \"$A\"" \
    "a session past analyst_connection_limit is refused"
owner -c "select pg_terminate_backend(pid) from pg_stat_activity where usename = '$A'" >/dev/null
wait $bg 2>/dev/null
printf '%s\n' "$PW" | "$BIZENV" --home "$H" analyst passwd "$A" --password-stdin >/dev/null 2>&1

# --- expiry, list, remove, refusals ----------------------------------------------
out=$(B analyst add 王五 --expires 2020-01-01 2>&1); rc=$?
is "$rc" 0 "an account may be added already expired"
like "$out" "有效期 2020-01-01 已过，该账号不能登录" "and says so"
PW2=$(printf '%s\n' "$out" | sed -n 's/^密码（只显示这一次[^）]*）：//p')
like "$(as 王五 "$PW2" -c 'select 1')" "password authentication failed" "an expired account is refused"
grep -q 'User "王五" has an expired password' "$H/pg.log"
ok $? "pg.log says why"
list=$(B analyst list 2>&1)
like "$list" "^王五	2020-01-01（已过期）	5	0	bizenv 分析人员账号" "analyst list shows the expired account"
like "$list" "^李四	2099-12-31	5	0	" "and the other one"
printf 'a new password 1\n' | "$BIZENV" --home "$H" analyst passwd 王五 --expires never --password-stdin >/dev/null 2>&1
is "$(as 王五 'a new password 1' -c 'select 1')" 1 "passwd --expires never renews it"
like "$(B analyst list)" "^王五	长期	" "no expiry now"

out=$(B analyst add "$A" 2>&1); rc=$?
is "$rc" 65 "adding a name that exists exits 65"
like "$out" "E_ANALYST_EXISTS" "with E_ANALYST_EXISTS"
out=$(B analyst add pg_me 2>&1); rc=$?
is "$rc:$(printf '%s' "$out" | grep -c E_USAGE)" "64:1" "a reserved name is a usage error"
out=$(B analyst remove bizenv 2>&1); rc=$?
is "$rc" 66 "removing the owner is refused (66)"
like "$out" "E_ANALYST_UNKNOWN" "it is no analyst"
is "$(owner -c "select count(*) from pg_roles where rolname in ('bizenv', 'bizenv_loader')")" 2 \
    "the owner and the loader are still there"
is "$(printf 'short\n' | "$BIZENV" --home "$H" analyst passwd "$A" --password-stdin >/dev/null 2>&1; echo $?)" 64 \
    "a password under 12 bytes is refused"
out=$(B analyst remove 王五 2>&1); rc=$?
is "$rc" 0 "analyst remove exits 0"
is "$(owner -c "select count(*) from pg_roles where rolname = '王五'")" 0 "the role is gone"
like "$(as 王五 'a new password 1' -c 'select 1')" "no pg_hba.conf entry|password authentication failed" \
    "and cannot log in"

# --- the log -----------------------------------------------------------------
grep -q "connection authorized: user=$A database=bizenv application_name=psql SSL enabled" "$H/pg.log"
ok $? "connections are logged with user and TLS"
is "$(grep -c -e "$PW" -e "$PW2" -e 'a new password 1' -e 'SCRAM-SHA-256\$' "$H/pg.log")" 0 \
    "no password and no SCRAM verifier in pg.log"

# --- the data dictionary -----------------------------------------------------------
B dictionary --out "$T/dict.md" >"$T/dict.out" 2>&1
is "$?" 0 "bizenv dictionary writes the Markdown dictionary"
# view.column for every row of every view table in it, and the catalog's
awk '/^## /{ v = ($0 == "## 视图") } v && /^### report\./{ sub(/^### report\./, ""); name = $0 }
     v && /^\| `/{ split($0, f, "`"); print name "." f[2] }' "$T/dict.md" | sort >"$T/dict.cols"
owner -c "select c.relname || '.' || a.attname from pg_class c join pg_namespace n on n.oid = c.relnamespace
          join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
          where n.nspname = 'report' and c.relkind = 'v' order by 1" | sort >"$T/catalog.cols"
[ "$(wc -l <"$T/catalog.cols")" -gt 150 ]
ok $? "report has its views and columns"
is "$(comm -3 "$T/dict.cols" "$T/catalog.cols" | tr '\n' ' ')" "" \
    "the dictionary covers every column of every report view, and only those"
is "$(awk '/^## 视图/,/^## 函数/' "$T/dict.md" | grep -c '（无说明）')" 0 "every view column has a meaning"
like "$(cat "$T/dict.md")" "### report.ranking\(period text, as_of date DEFAULT report.today\(\)\)" \
    "functions are listed with their arguments"
like "$(awk '/^### report.ranking\(/,/^### report.county_summary/' "$T/dict.md")" \
    '\| `composite_rank` \| integer \| 综合排名' "with the columns they return and their meaning"
like "$(cat "$T/dict.md")" "\*\*整改完成率\*\*：按问题台账计算" "the rules are there"
# every example, as the dictionary prints it, run by the analyst over TLS
awk '/^## 示例查询/{ on = 1 } on && /^```sql$/{ n++; f = sprintf("'"$T"'/ex%02d.sql", n); next }
     on && /^```$/{ close(f); f = ""; next } f != ""{ print > f }' "$T/dict.md"
is "$(ls "$T"/ex*.sql 2>/dev/null | wc -l)" 10 "the dictionary has ten example queries"
failed=""
rows=0
for f in "$T"/ex*.sql; do
    res=$(as "$A" "$PW" -f "$f") || failed="$failed $(basename "$f"): $res"
    [ -n "$res" ] && rows=$((rows + 1))
done
is "$failed" "" "every example query runs as the analyst"
cmp_rows=$rows
[ "$cmp_rows" -ge 8 ]
ok $? "and all but at most two return rows on the demo data ($rows of 10)"
# the analyst can make it over their own login: the same document
PGPASSWORD="$PW" "$BIZENV" --home "$T/analyst-home" --db "$(conn "$A")" dictionary >"$T/dict-analyst.md" 2>"$T/dict-analyst.err"
is "$?" 0 "an analyst makes the dictionary over TLS with their own login"
cmp -s "$T/dict.md" "$T/dict-analyst.md"
ok $? "and gets the same document"
B dictionary --format html --out "$T/dict.html" >/dev/null 2>&1
is "$?" 0 "--format html writes a web page"
python3 - "$T/dict.html" <<'EOF'
import sys, html.parser
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.bad = 0; self.codes = 0
    def handle_starttag(self, tag, attrs):
        if tag not in ("meta",): self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag: self.bad += 1
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
sys.exit(1 if p.bad or p.stack else 0)
EOF
ok $? "every element of the page is closed in order"
is "$(grep -c '<h3>report\.' "$T/dict.html")" "$(grep -c '^### report\.' "$T/dict.md")" \
    "the page has a section for every view and function the Markdown has"

# --- a new port needs a restart, which bizenv never does on its own -----------------
PORT2=$(free_port)
echo "listen = 127.0.0.1:$PORT2" >"$H/bizenv.conf"
st=$(B db status 2>&1)
like "$st" "须重启才能生效：bizenv db restart" "db status says the new port waits for a restart"
is "$(as "$A" "$PW" -c 'select 1')" 1 "meanwhile the old port still serves"
B db restart >/dev/null 2>&1
is "$?" 0 "db restart"
PORT=$PORT2
is "$(as "$A" "$PW" -c 'select 1')" 1 "the analyst connects on the new port"
echo "" >"$H/bizenv.conf"
B db restart >/dev/null 2>&1
like "$(as "$A" "$PW" -c 'select 1')" "Connection refused" "with listen empty again, no TCP port is open"
like "$(B db status 2>&1)" "网络访问：关闭" "and db status says so"

done_testing
