#!/bin/sh
# One night over an inbox holding every hostile case (tests/corpus/
# make_night.py: transports, XML, values) plus good files, a directory, a
# FIFO, a symlink and a .part upload: each bad file is quarantined with its
# exact code first in its receipt, nothing of it reaches the database, every
# good report of the same night is accepted, hostile values are stored
# verbatim, and nothing is left behind.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
db=$(scratch_db)
H=$(new_home)
B() { "$BIZENV" --home "$H" --db "dbname=$db" "$@"; }
q() { psql -X -At -d "$db" -c "$1"; }

B registry load "$TOP/jobs/demo/townships.csv" >/dev/null
python3 "$TOP/tests/corpus/make_night.py" "$T/night" --big || exit 1
mkdir -p "$H/inbox" && mv "$T/night/inbox"/* "$H/inbox/"
mkdir "$H/inbox/a_folder"
echo x >"$H/inbox/a_folder/inside.xml"
mkfifo "$H/inbox/a_fifo.xml"
ln -s /etc/passwd "$H/inbox/a_symlink.xml"
ln -s "$H/inbox/good_0.xml" "$H/inbox/a_symlink_to_good.xml"
: >"$H/inbox/upload.xml.part"
printf 'a_folder\tE_FILE_NOT_REGULAR\na_fifo.xml\tE_FILE_NOT_REGULAR\na_symlink.xml\tE_FILE_NOT_REGULAR\na_symlink_to_good.xml\tE_FILE_NOT_REGULAR\n' >>"$T/night/manifest.tsv"
nfiles=$(wc -l <"$T/night/manifest.tsv")

# a FIFO must not block the run: a hang is a failure
out=$(timeout 300 "$BIZENV" --home "$H" --db "dbname=$db" ingest 2>&1); rc=$?
is "$rc" 0 "the night finishes and exits 0"
like "$out" "收件 $nfiles 个文件" "every inbox entry but the .part file is taken"

is "$(ls -A "$H/inbox" | tr '\n' ' ')" "upload.xml.part " "only the upload in progress is left in the inbox"
is "$(ls -A "$H/claim" | wc -l)" 0 "nothing left claimed"
test -f /etc/passwd && [ ! -L /etc/passwd ]; ok $? "the symlink's target is untouched"

bad=0; nbad=0; nok=0
TAB=$(printf '\t')
while IFS="$TAB" read -r f want; do
    r="$H/quarantine/2026-11-28/$f.回执.txt"
    if [ "$want" = ok ]; then
        nok=$((nok + 1))
        if [ -e "$H/quarantine/2026-11-28/$f" ] || [ -e "$r" ]; then
            bad=$((bad + 1)); diag "$f: expected accepted, got quarantined: $(grep -o '\[E_[A-Z0-9_]*\]' "$r" | head -1)"
        fi
    else
        nbad=$((nbad + 1))
        got=$(grep -o '\[[EW]_[A-Z0-9_]*\]' "$r" 2>/dev/null | grep '^\[E_' | head -1)
        if [ "$got" != "[$want]" ] || ! [ -e "$H/quarantine/2026-11-28/$f" ] && ! [ -L "$H/quarantine/2026-11-28/$f" ]; then
            bad=$((bad + 1)); diag "$f: expected [$want] in quarantine, got '${got:-no receipt}'"
        fi
    fi
done <"$T/night/manifest.tsv"
is "$bad" 0 "$nbad bad files quarantined with their exact code, $nok good files not quarantined"

got=$(q "select township_code||'/'||to_char(period,'YYYY-MM') from facts.submission order by 1")
is "$got" "$(cat "$T/night/accepted.txt")" "the database holds exactly the good reports of the night ($(wc -l <"$T/night/accepted.txt"))"
nreg=$((nok + nbad - 4))
is "$(q "select count(*) from raw.file")" "$nreg" "every regular file taken is recorded once in raw.file"
is "$(inbox_archived "$H")" "$nreg" "the raw bytes of every regular file taken are archived once"
is "$(find "$H/quarantine/2026-11-28" -maxdepth 1 ! -name '*.回执.txt' ! -name 2026-11-28 | wc -l)" "$nbad" \
   "every rejected file quarantined once"

# hostile values, verbatim (compared as hex: newlines, tabs, bidi controls, emoji)
sid=$(q "select id from facts.submission where township_code='539901110' and period='2026-08-01'")
hexq() { q "select encode(convert_to($1,'UTF8'),'hex') from $2"; }
vbad=0
while IFS="$TAB" read -r field want; do
    case $field in
    township_name_given|contact_name|contact_phone) got=$(hexq "$field" "facts.submission where id=$sid") ;;
    window_name) got=$(hexq name "facts.window where submission_id=$sid and window_id='W12'") ;;
    leader_title) got=$(hexq title "facts.leader where submission_id=$sid and leader_id='L10'") ;;
    problem_description) got=$(hexq description "facts.problem where submission_id=$sid and problem_id='P2026-037'") ;;
    mechanism|difficulty|next_step|suggestion) got=$(hexq body "facts.text_item where submission_id=$sid and kind='$field' and ord=(select min(ord) from facts.text_item where submission_id=$sid and kind='$field')") ;;
    esac
    [ "$got" = "$want" ] || { vbad=$((vbad + 1)); diag "$field differs: $got"; }
done <"$T/night/values.tsv"
is "$vbad" 0 "quotes, backslashes, tabs, newlines, SQL, bidi controls and emoji stored verbatim in all $(wc -l <"$T/night/values.tsv") free-text fields"
is "$(q "select count(*) from facts.submission")" "$(wc -l <"$T/night/accepted.txt")" "the SQL in the values did nothing"

# the values come back out safely: the receipt and the ranking CSV stay well-formed
r=$(cat "$H/receipts/2026-11-28/xml_values.xml.回执.txt" 2>/dev/null)
like "$r" "结果：接收" "the hostile-values report has its receipt"
unlike "$r" "^第二行" "a newline in a quoted value cannot start a forged receipt line"
like "$r" '换行\\n第二行' "control characters in quoted values are shown escaped"
unlike "$r" "$(printf '\342\200\256')" "bidi controls are shown as <U+202E>, not applied"
out=$(B rank 2026-08 --format csv 2>&1); rc=$?
is "$rc" 0 "rank CSV for the hostile-values month"
is "$(printf '%s\n' "$out" | awk -F, 'NR > 1 && NF != n && n { bad++ } { n = NF } END { print bad + 0 }')" 0 \
   "every CSV row has the same number of fields"

# the same night again changes nothing
before=$(q "select count(*), sum(id) from facts.submission")
B ingest >/dev/null 2>&1
is "$(q "select count(*), sum(id) from facts.submission")" "$before" "a second run over the emptied inbox changes nothing"
done_testing
