#!/bin/bash
# Nothing lost, ever: a scripted month of nights (every transport,
# revisions, a conflict and a stale revision, a rejection, a registry
# rename and a new township, a weight and a deadline change through their
# commands, a weight changed with SQL behind bizenv's back, exports at
# several as-of dates, a re-export), then
#   - the private cluster deleted: `bizenv rebuild` gives back every
#     revision decision, receipt (with its time), warning and export record,
#     and every export in exports/ byte for byte;
#   - the same from a backup restored into a new home (its archive copied);
#   - a torn last journal line: named, skipped, nothing else changes;
#   - a database that is not empty is refused, unchanged;
#   - a rebuild killed with SIGKILL, then run again, gives the same.
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = valgrind ] && skip_all "three rebuilds of a month under valgrind prove nothing more"

# the private cluster of each home, not the test run's server
. "$(dirname "$0")/../lib/private.sh"

python3 "$TOP/tests/corpus/make_month.py" "$T/month" >/dev/null || { echo "Bail out! make_month.py"; exit 1; }
H=$(new_home)
HOMES="$H"
night() { # HOME AS-OF [NIGHTn]
    [ -n "${3:-}" ] && cp -p "$T/month/$3"/* "$1/inbox/"
    BIZENV_TODAY=$2 B "$1" nightly --as-of "$2"
}

# --- the month -----------------------------------------------------------------------
export BIZENV_TODAY=2026-11-02
B "$H" registry load "$T/month/townships-1.csv" >/dev/null
out=$(night "$H" 2026-11-03 night1 2>&1); rc=$?
is "$rc" 0 "night 1: the demo inbox (a rejection among it)"
out=$(night "$H" 2026-11-05 night2 2>&1); rc=$?
like "$out" "E_REVISION_CONFLICT" "night 2: a conflict"
like "$out" "E_REVISION_STALE" "night 2: a stale revision"
BIZENV_TODAY=2026-11-05 B "$H" export 2026-10 --as-of 2026-11-05 >/dev/null
ok $? "an export of October as of 2026-11-05"
export BIZENV_TODAY=2026-11-06
B "$H" registry load "$T/month/townships-2.csv" >/dev/null
ok $? "registry 2: a township renamed, one added, one gone"
out=$(B "$H" weights set 1 1 3 2>&1); rc=$?
is "$rc" 0 "bizenv weights set"
like "$out" "走流程覆盖率 3" "says the weights it set"
out=$(B "$H" setting set deadline_day 7 2>&1); rc=$?
is "$rc" 0 "bizenv setting set deadline_day 7"
is "$(q "$H" "select value from ref.setting where key = 'deadline_day'")" 7 "the deadline day is 7"
B "$H" weights set 1 -1 3 >/dev/null 2>&1; is $? 64 "a negative weight is a usage error"
B "$H" setting set deadline_day 31 >/dev/null 2>&1; is $? 64 "a deadline day past 28 is a usage error"
B "$H" setting set timezone Nowhere/Atlantis >/dev/null 2>&1; is $? 64 "a time zone the server does not know is refused"
night "$H" 2026-11-08 night3 >/dev/null 2>&1
BIZENV_TODAY=2026-11-08 B "$H" export 2026-Q4 --as-of 2026-11-08 >/dev/null
ok $? "an export of Q4 as of 2026-11-08"
# a weight changed behind bizenv's back: the next night says so
q "$H" "update ref.weight set weight = 2 where figure = 'completion'" >/dev/null
out=$(night "$H" 2026-11-15 night4 2>&1); rc=$?
is "$rc" 0 "night 4 runs"
like "$out" "\[W_JOURNAL_DRIFT\] 数据库中的权重被绕过 bizenv 直接修改过" \
    "and says the weights were changed outside bizenv"
export BIZENV_TODAY=2026-11-16
B "$H" export 2026-10 --as-of 2026-11-05 >"$T/reexport" 2>&1
like "$(cat "$T/reexport")" "不同于截至 2026-11-05 的首次发布" "a re-export with other weights says it differs"
B "$H" export 2026-10 --as-of 2026-11-15 >/dev/null
out=$(night "$H" 2026-11-30 2>&1); rc=$?
is "$rc:$out" "0:" "a quiet last night: nothing printed"
B "$H" backup --out "$T/bk" >"$T/backup.out" 2>&1
ok $? "bizenv backup"
backup=$(ls "$T"/bk/bizenv-backup-*.tar)
ls "$H"/backups/bizenv-backup-*.tar >/dev/null 2>&1
ok $? "the nights made their backups in backups/"
out=$(BIZENV_TODAY=2026-11-30 "$BIZENV" --home "$H" --set backup_keep=2 nightly --as-of 2026-11-30 2>&1 </dev/null); rc=$?
is "$rc:$out" "0:" "a night with backup_keep=2 is quiet"
is "$(ls "$H"/backups/ | grep -c '^bizenv-backup-.*\.tar$')" 2 "and keeps the newest two backups"
: >"$T/notadir"
out=$(BIZENV_TODAY=2026-11-30 "$BIZENV" --home "$H" --set backups="$T/notadir/b" nightly --as-of 2026-11-30 2>&1 </dev/null); rc=$?
is "$rc" 0 "a night whose backup fails still ends well"
like "$out" "^\[E_IO_READ\] 今晚的备份失败：创建目录“$T/notadir/b”失败" "and its summary warns that the backup failed, and why"
is "$(ls "$H"/backups/ | grep -c '^bizenv-backup-.*\.tar$')" 2 "the backups already made are kept"

# what the journal says of each input (python reads the JSON after the checksum)
journal_check() {
    python3 - "$H/journal.log" <<'EOF'
import json, sys
ev = [json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[1], encoding="utf-8")]
runs = {e["seq"] for e in ev if e["ev"] == "run"}
files = [e for e in ev if e["ev"] == "file"]
bad = [e["seq"] for e in files
       if not (e.get("name") and e.get("mtime") and "size" in e and len(e.get("sha256", "")) in (0, 64)
               and e.get("run") in runs and e.get("t"))]
print("files %d, %s" % (len(files), "all with name, receive time, size, SHA-256, run id"
                        if files and not bad else "lines without them: %s" % bad[:5]))
regs = [e for e in ev if e["ev"] == "registry" and "snapshot" not in e]
print("registry loads %d, %s" % (len(regs), "archived with time" if all(
    len(e.get("sha256", "")) == 64 and e.get("at") and e.get("name") for e in regs) else "incomplete"))
w = [e for e in ev if e["ev"] == "weights" and e.get("source") == "command"]
print("weights %s" % ":".join(w[-1][k] for k in ("service", "completion", "coverage")) if w else "no weights")
s = [e for e in ev if e["ev"] == "setting" and e.get("source") == "command"]
print("setting %s=%s at %s" % (s[-1]["key"], s[-1]["value"], bool(s[-1].get("at"))) if s else "no setting")
print("observed weights %s" % ":".join(e["completion"] for e in ev if e["ev"] == "weights" and e.get("source") == "observed"))
EOF
}
jc=$(journal_check)
like "$jc" "^files [0-9]+, all with name, receive time, size, SHA-256, run id$" "the journal's file lines: $(echo "$jc" | head -1)"
like "$jc" "^registry loads 2, archived with time$" "both registry loads archived by SHA-256, with their time"
like "$jc" "^weights 1:1:3$" "the weights set by the command"
like "$jc" "^setting deadline_day=7 at True$" "the deadline day set by the command, with its time"
like "$jc" "^observed weights .*2$" "the weight changed by SQL, recorded as found"

nexports=$(ls "$H/exports" | sed 's/\.\(xlsx\|csv\|adx\.xml\)$//' | sort -u | wc -l)
ok $([ "$nexports" -ge 8 ] && echo 0 || echo 1) "the month left $nexports exports in exports/"
(cd "$H/exports" && sha256sum * >"$T/exports.sha")

# everything a rebuild must give back, in an order that does not depend on ids
state() {
    q "$1" "
      select string_agg(township_code||'/'||period||'/r'||revision||'/'||doc_sha256||'/'||received_at, ' '
             order by township_code, period, revision) from facts.submission;
      select string_agg(outcome||'/'||array_to_string(codes, ',')||'/'||created_at||'/'||md5(body)||'/'||md5(body_json::text), ' '
             order by created_at, file_sha256, member, md5(body)) from raw.receipt;
      select count(*)||':'||md5(string_agg(w.code||w.path||w.message, ',' order by s.township_code, s.period, s.revision, w.ord))
        from facts.warning w join facts.submission s on s.id = w.submission_id;
      select string_agg(sha256||'/'||original_name||'/'||received_at, ' ' order by sha256) from raw.file;
      select string_agg(code||'/'||name||'/'||active, ' ' order by code) from ref.township;
      select string_agg(figure||'='||weight, ' ' order by figure) from ref.weight;
      select string_agg(key||'='||value, ' ' order by key) from ref.setting;
      select string_agg(period||'/'||as_of||'/'||exported_at||'/'||coalesce(build_version, '')||'/'||
             coalesce(reproduces_exactly::text, '-')||'/'||(changes_id is not null), ' ' order by id) from meta.export;
      select string_agg(kind||'/'||name||'/'||sha256, ' ' order by export_id, kind) from meta.export_file;
      select count(*) from facts.ranking_run;
      select string_agg(code||':'||coalesce(composite::text, '-')||':'||coalesce(composite_rank::text, '-')||':'||status, ' '
             order by code) from report.ranking('2026-Q4', '2026-11-30');"
}
# equal states, or the lines that differ
same_state() { # GOT WANT NAME
    if [ "$1" = "$2" ]; then ok 0 "$3"; else
        ok 1 "$3"
        diff <(printf '%s\n' "$2" | tr ' ' '\n') <(printf '%s\n' "$1" | tr ' ' '\n') | head -20 | sed 's/^/#   /'
    fi
}
want=$(state "$H")
is "$(q "$H" "select count(*) from facts.submission")" 16 "sixteen submissions stored"
like "$(echo "$want" | sed -n 2p)" "rejected/E_REVISION_CONFLICT" "a conflict's receipt stored"

# --- rm -rf pg && bizenv rebuild -------------------------------------------------------
rebuild_anew "$H"
is "$rc" 0 "bizenv rebuild exits 0"
like "$out" "^$nexports/$nexports exports reproduced" "$(echo "$out" | grep 'exports reproduced')"
same_state "$(state "$H")" "$want" "every decision, receipt, warning, registry, weight, setting and export record as it was"
(cd "$H/exports" && sha256sum -c --quiet "$T/exports.sha")
ok $? "exports/ untouched"
test ! -e "$H/rebuild"; ok $? "the replayed exports are removed when all are reproduced"
is "$(q "$H" "select rebuilding from meta.journal_state")" f "the database says the rebuild finished"
out=$(night "$H" 2026-11-30 2>&1); rc=$?
is "$rc:$out" "0:" "the next night finds the journal describing the database: quiet"
want=$(state "$H")

# --- a database that is not empty is refused ----------------------------------------------
out=$(B "$H" rebuild 2>&1); rc=$?
is "$rc" 78 "rebuild into a database that is not empty exits 78"
like "$out" "\[E_DB_NOT_EMPTY\]" "with E_DB_NOT_EMPTY"
same_state "$(state "$H")" "$want" "and changes nothing"

# --- a torn last journal line (a power cut in the middle of a write) -------------------------
printf '0123456789abcdef {"seq":99999,"ev":"file","g":99999,"name":"半' >>"$H/journal.log"
rebuild_anew "$H"
is "$rc" 0 "a journal with a torn last line rebuilds"
like "$out" "日志第 [0-9]+ 行已损坏（最后一行不完整（写入中断））" "the torn line is named"
like "$out" "^$nexports/$nexports exports reproduced" "every export still reproduced"
same_state "$(state "$H")" "$want" "and the database is the same"
out=$(night "$H" 2026-11-30 2>&1); rc=$?
is "$rc" 0 "the next night appends after the torn line"
is "$(tail -c 1 "$H/journal.log" | od -An -c | tr -d ' ')" '\n' "the journal ends with a whole line again"

# --- SIGKILL during rebuild, then a rerun ------------------------------------------------
mid=$(grep -o '"ev":"commit","g":[0-9]*' "$H/journal.log" | sed 's/.*://' | awk '{ g[NR] = $1 } END { print g[int(NR / 2)] }')
drop_cluster "$H"
"$BIZENV" --home "$H" rebuild >/dev/null 2>&1 </dev/null &
pid=$!
killed=1
for _ in $(seq 1 3000); do
    txn=$(q "$H" "select txn from meta.journal_state" 2>/dev/null)
    if [ -n "$txn" ] && [ "$txn" -ge "$mid" ]; then
        kill -9 "$pid" 2>/dev/null && killed=0
        break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
done
wait "$pid" 2>/dev/null
is "$killed" 0 "the rebuild was killed with SIGKILL after journal group $mid"
is "$(q "$H" "select rebuilding from meta.journal_state")" t "leaving a database it had not finished"
out=$(B "$H" rebuild 2>&1); rc=$?
is "$rc" 0 "the rerun exits 0"
like "$out" "此前中断的重建已重放 [0-9]+ 组" "it goes on where the killed one stopped"
like "$out" "^$nexports/$nexports exports reproduced" "every export reproduced"
same_state "$(state "$H")" "$want" "the same database as an uninterrupted rebuild"

# --- a backup restored into a new home, then rebuilt there ------------------------------------
H2=$(new_home)
HOMES="$HOMES $H2"
out=$(B "$H2" restore "$backup" 2>&1); rc=$?
is "$rc" 0 "bizenv restore into a new home"
like "$out" "归档目录不在备份中" "it says the archive is not in the backup"
is "$(cat "$H2/bizenv.id")" "$(cat "$H/bizenv.id")" "the new home takes the instance id"
backup_state=$(state "$H2")
is "$(echo "$backup_state" | sed -n 11p)" "$(echo "$want" | sed -n 11p)" "the restored database gives the same rankings"
out=$(B "$H2" restore "$backup" 2>&1); rc=$?
is "$rc" 78 "restoring into a home with history is refused"
like "$out" "\[E_HOME_NOT_EMPTY\]" "with E_HOME_NOT_EMPTY"
cp -a "$H/archive/." "$H2/archive/"
cp -a "$H/exports/." "$H2/exports/"
rebuild_anew "$H2"
is "$rc" 0 "the restored home rebuilds from its journal and the copied archive"
like "$out" "^$nexports/$nexports exports reproduced" "every export reproduced there too"
same_state "$(state "$H2")" "$backup_state" "the same database as the restored one"

# --- a file missing from the archive: named, never guessed --------------------------------
H3=$(new_home)
HOMES="$HOMES $H3"
cp "$H/journal.log" "$H3/"
cp -a "$H/archive" "$H/exports" "$H3/"
cp "$H/bizenv.id" "$H3/"
victim=$(grep -o '"ev":"file"[^}]*"sha256":"[0-9a-f]*"' "$H3/journal.log" | sed -n 3p | sed 's/.*"sha256":"//; s/"$//')
rm -f "$H3/archive/${victim:0:2}/${victim:2:2}/$victim"
out=$(B "$H3" rebuild 2>&1); rc=$?
ok $([ "$rc" -ne 0 ] && echo 0 || echo 1) "a rebuild missing an archived file fails ($rc)"
like "$out" "归档中没有文件.*$victim" "and names it"

B "$H" db stop >/dev/null; B "$H2" db stop >/dev/null; B "$H3" db stop >/dev/null
done_testing
