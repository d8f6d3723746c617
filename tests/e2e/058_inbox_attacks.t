#!/bin/sh
# Attacks from the inbox by an uploader who can write the inbox and nothing
# else (the `nobody` user), against a night run as root and against a night
# run as a service user (`daemon`); not as root, one round as the invoking
# user uploading to its own nights. Each attack gets a home of its own:
#   dotdot   .bizenv a symlink to ..
#   elsewhere .bizenv a symlink to a folder outside the home
#   file     .bizenv a plain file
#   folder   a folder of the uploader's (a night not run as root may not
#            move it: it stays in the inbox, the night goes on)
#   long     a 255-byte name (83 Chinese characters), taken before others
#   same     r.xml from two townships and two rejected bad.xml on one day
#   rewrite  a file rewritten through a descriptor the uploader kept open,
#            at the moment bizenv has read it to its end (fault shim)
#   grow     a file growing past max_file_bytes while it is read (fault shim)
# Each checks the exact outcome (exit status, code), that nothing outside
# the inbox and the home changed, that the home's folders are where they
# belong, and that nothing was lost or half-loaded.
. "$(dirname "$0")/../lib/tap.sh"
export BIZENV_TODAY=2026-11-28
DAY=2026-11-28
SO=$(dirname "$BIZENV")/tests/fault/faultinj.so
shim=1
case "${BIZENV_VARIANT:-release}" in
valgrind | asan) shim=0 ;;
esac
[ -f "$SO" ] || shim=0

# the sources, readable by every user
S="$T/src"
mkdir -p "$S"
mk() { sed -e "s/539901101/539901$1/" "$TOP/jobs/demo/539901101-2026-10.xml" >"$S/$2"; }
mk 101 good.xml
mk 102 long.xml
mk 103 r1.xml
mk 104 r2.xml
mk 107 rewrite.xml
mk 108 grow.xml
sed 's/evaluated="30"/evaluated="28"/' "$S/rewrite.xml" >"$S/rewritten.bytes"
printf '<submission>' >"$S/bad1.xml"
printf 'not xml at all' >"$S/bad2.xml"
chmod -R a+rX "$S"
LONG=ab$(python3 -c 'import sys; sys.stdout.write("甲" * 82 + "乡.xml")')
is "$(printf %s "$LONG" | wc -c)" 255 "the long name is 255 bytes"

# the folder a symlink named .bizenv points at, outside inbox and home;
# writable even by the uploader: bizenv must still not touch it
V="$T/victim"
mkdir -p "$V/sub" && echo keep >"$V/a.txt" && echo keep >"$V/sub/b.xml"
chmod -R a+rwX "$V"

tpl=$(scratch_db)
"$BIZENV" --home "$(new_home)" --db "dbname=$tpl" registry load "$TOP/jobs/demo/townships.csv" >/dev/null

# ---- the scene: a home, its inbox, the users, and what may not change
# setup WHO: a fresh home and database for the night's user (root, daemon
# or the invoking user); the inbox is the night user's, writable by the
# uploader's group (2770), and nothing else is
setup() {
    db="t58_$(mktemp -u XXXXXXXX | tr 'A-Z' 'a-z')"
    createdb -T "$tpl" "$db"
    H=$(new_home)
    I="$H/inbox"
    mkdir -p "$I"
    if [ -n "$up_as" ]; then
        chown "$own" "$H"
        chown "$own:nogroup" "$I" && chmod 2770 "$I"
    fi
}
up() { if [ -n "$up_as" ]; then runuser -u "$up_as" -- "$@"; else "$@"; fi; }
# night [VAR=VALUE...] -- ARGS: bizenv as the night's user, the variables for it only
night() {
    vars=""
    while [ "$1" != -- ]; do vars="$vars $1"; shift; done
    shift
    if [ "$own" = daemon ]; then
        runuser -u daemon -- env $vars "$BIZENV" --home "$H" --db "dbname=$db" "$@"
    else
        env $vars "$BIZENV" --home "$H" --db "dbname=$db" "$@"
    fi
}
q() { psql -X -At -d "$db" -c "$1"; }
outside() { # everything under $T but the home: names, sizes, times, modes
    find "$T" -path "$H" -prune -o -path "$F" -prune -o -printf '%p %s %T@ %m\n' | sort
}
home_ok() { # the home's own folders are real folders where they belong
    for d in archive quarantine receipts exports runs claim; do
        [ -d "$H/$d" ] && [ ! -L "$H/$d" ] || { echo "$d missing"; return; }
    done
    [ -z "$(ls -A "$H/claim")" ] || { echo "claim not empty"; return; }
    echo ok
}
# after WHO WHAT RC_WANT INBOX_WANT: the checks every attack shares
after() {
    is "$rc" "$3" "$1 $2: exit $3"
    is "$(outside)" "$before" "$1 $2: nothing outside the inbox and the home changed"
    is "$(home_ok)" ok "$1 $2: the home's folders are where they belong, nothing left claimed"
    is "$(ls -A "$I" | tr '\n' ' ')" "$4" "$1 $2: every entry but the dot entries was taken"
}

attack_dotdot() {
    setup
    up ln -s .. "$I/.bizenv"
    up cp "$S/good.xml" "$I/"
    before=$(outside)
    out=$(night -- nightly 2>&1); rc=$?
    after "$who" ".bizenv -> .." 0 ".bizenv "
    is "$(readlink "$I/.bizenv")" .. "$who .bizenv -> ..: left alone, still a symlink to .."
    is "$(q "select count(*) from facts.submission where township_code = '539901101'")" 1 \
        "$who .bizenv -> ..: the good file loaded"
}

attack_elsewhere() {
    setup
    up ln -s "$V" "$I/.bizenv"
    up cp "$S/good.xml" "$I/"
    before=$(outside)
    out=$(night -- nightly 2>&1); rc=$?
    after "$who" ".bizenv -> a folder elsewhere" 0 ".bizenv "
    is "$(cat "$V/a.txt" "$V/sub/b.xml" 2>/dev/null | tr '\n' ' ')" "keep keep " \
        "$who .bizenv -> elsewhere: the folder it points at keeps its files"
    is "$(q "select count(*) from facts.submission")" 1 "$who .bizenv -> elsewhere: the good file loaded"
}

attack_file() {
    setup
    up sh -c "echo x >'$I/.bizenv'"
    up cp "$S/good.xml" "$I/"
    before=$(outside)
    out=$(night -- nightly 2>&1); rc=$?
    after "$who" ".bizenv a plain file" 0 ".bizenv "
    is "$(cat "$I/.bizenv")" x "$who .bizenv a plain file: left alone"
    is "$(q "select count(*) from facts.submission")" 1 "$who .bizenv a plain file: the good file loaded"
}

attack_folder() {
    setup
    up mkdir "$I/a_folder"
    up sh -c "echo x >'$I/a_folder/inside.xml'"
    up cp "$S/good.xml" "$I/"
    touch -d "2026-11-27 08:00" "$I/a_folder" # taken first
    before=$(outside)
    out=$(night -- --verbose nightly 2>&1); rc=$?
    if [ "$own" = root ] || [ -z "$up_as" ]; then # root, or the folder's owner
        after "$who" "a folder in the inbox" 0 ""
        like "$(cat "$H/quarantine/$DAY/a_folder.回执.txt" 2>/dev/null)" "\[E_FILE_NOT_REGULAR\]" \
            "$who folder: quarantined with E_FILE_NOT_REGULAR"
    else
        after "$who" "a folder in the inbox" 0 "a_folder "
        like "$out" "未完成 1" "$who folder: another user's folder is left in the inbox, counted as not finished"
    fi
    is "$(q "select count(*) from facts.submission")" 1 "$who folder: the file after it is loaded"
}

attack_long() {
    setup
    up cp "$S/long.xml" "$I/$LONG"
    up cp "$S/good.xml" "$I/"
    touch -d "2026-11-27 08:00" "$I/$LONG" # taken first: the later file must still be taken
    before=$(outside)
    out=$(night -- nightly 2>&1); rc=$?
    after "$who" "a 255-byte name" 0 ""
    is "$(q "select string_agg(township_code, ' ' order by township_code) from facts.submission")" \
        "539901101 539901102" "$who 255-byte name: it and the file after it are loaded"
    r=$(ls "$H/receipts/$DAY" 2>/dev/null | grep "^ab甲甲.*回执\.txt$")
    is "$(printf '%s\n' "$r" | grep -c .)" 1 "$who 255-byte name: one receipt"
    ok "$([ "$(printf %s "$r" | wc -c)" -le 255 ]; echo $?)" \
        "$who 255-byte name: the receipt's name fits NAME_MAX ($(printf %s "$r" | wc -c) bytes)"
    like "$r" "^ab甲+~[0-9a-f]{8}\.回执\.txt$" "$who 255-byte name: cut on a character boundary, a hash of the whole name added"
    like "$(cat "$H/receipts/$DAY/$r" 2>/dev/null)" "539901102" "$who 255-byte name: the receipt is the file's"
}

attack_same() {
    setup
    up cp "$S/r1.xml" "$I/r.xml"
    up cp "$S/bad1.xml" "$I/bad.xml"
    out=$(night -- nightly 2>&1); rc1=$?
    up cp "$S/r2.xml" "$I/r.xml"
    up cp "$S/bad2.xml" "$I/bad.xml"
    before=$(outside)
    out=$(night -- nightly 2>&1); rc=$?
    is "$rc1" 0 "$who same names: the first night exits 0"
    after "$who" "same names, second night" 0 ""
    is "$(q "select string_agg(township_code, ' ' order by township_code) from facts.submission")" \
        "539901103 539901104" "$who same names: both r.xml loaded"
    is "$(ls "$H/receipts/$DAY" | grep '^r\.xml' | tr '\n' ' ')" "r.xml.回执.txt r.xml~2.回执.txt " \
        "$who same names: two r.xml on one day, two receipts"
    like "$(cat "$H/receipts/$DAY/r.xml.回执.txt")" "539901103" "$who same names: the first receipt is the first township's"
    like "$(cat "$H/receipts/$DAY/r.xml~2.回执.txt" 2>/dev/null)" "539901104" "$who same names: r.xml~2 is the second's"
    is "$(cd "$H/quarantine/$DAY" && ls | grep '^bad\.xml' | tr '\n' ' ')" \
        "bad.xml bad.xml.回执.txt bad.xml~2 bad.xml~2.回执.txt " "$who same names: both rejected bad.xml kept with their receipts"
    like "$(cat "$H/quarantine/$DAY/bad.xml.回执.txt")" "\[E_XML_SYNTAX\]" "$who same names: the first bad.xml: E_XML_SYNTAX"
    like "$(cat "$H/quarantine/$DAY/bad.xml~2.回执.txt" 2>/dev/null)" "\[E_FILE_TYPE\]" "$who same names: the second: E_FILE_TYPE"
    is "$(cmp "$H/quarantine/$DAY/bad.xml~2" "$S/bad2.xml" 2>&1 && echo same)" same "$who same names: bad.xml~2 is the second file"
}

# shim_vars VAR=VALUE...: the fault shim's variables, logging to $F/<home>
F="$T/faults"
mkdir -p "$F" && chmod 777 "$F"
shim_vars() {
    echo "LD_PRELOAD=$SO BZ_FAULT_LOG=$F/${H##*/} $*"
}

attack_rewrite() {
    setup
    up cp "$S/rewrite.xml" "$I/"
    up chmod 666 "$I/rewrite.xml" # the shim writes for the uploader from inside bizenv
    before=$(outside)
    out=$(night $(shim_vars BZ_FAULT_REWRITE=rewrite.xml BZ_FAULT_REWRITE_WITH=$S/rewritten.bytes) -- nightly 2>&1); rc=$?
    is "$(cat "$F/${H##*/}")" rewritten "$who rewrite: the file was rewritten once, after it was read to its end"
    after "$who" "rewrite while read" 0 ""
    want=$(sha256sum "$S/rewrite.xml" | cut -c1-64)
    a="$H/archive/$(echo "$want" | cut -c1-2)/$(echo "$want" | cut -c3-4)/$want"
    is "$(q "select doc_sha256 || ' ' || evaluated from facts.submission where township_code = '539901107'")" \
        "$want 30" "$who rewrite: the bytes read are loaded, not the rewritten ones"
    is "$(q "select archive_path from raw.file where original_name = 'rewrite.xml'")" "$a" \
        "$who rewrite: recorded under the SHA-256 of the bytes loaded"
    is "$(cmp "$a" "$S/rewrite.xml" 2>&1 && echo same)" same "$who rewrite: the archive holds exactly the bytes loaded"
}

attack_grow() {
    setup
    up cp "$S/grow.xml" "$I/"
    up chmod 666 "$I/grow.xml"
    up cp "$S/good.xml" "$I/z-after.xml"
    before=$(outside)
    out=$(night $(shim_vars BZ_FAULT_GROW=grow.xml BZ_FAULT_GROW_MAX=3145728) -- --set max_file_bytes=1M nightly 2>&1); rc=$?
    is "$(grep -c grown "$F/${H##*/}")" 17 "$who grow: the file grew by 64 KB before each read, 17 times (past 1 MB)"
    after "$who" "growing past max_file_bytes" 0 ""
    like "$(cat "$H/quarantine/$DAY/grow.xml.回执.txt" 2>/dev/null)" "\[E_LIMIT_FILE_SIZE\]" \
        "$who grow: rejected with E_LIMIT_FILE_SIZE"
    is "$(stat -c %s "$H/quarantine/$DAY/grow.xml" 2>/dev/null)" 65536 "$who grow: quarantine keeps its first 64 KB only"
    is "$(find "$H/archive" -type f -size +1024k | wc -l)" 0 "$who grow: no copy past max_file_bytes in the archive"
    is "$(q "select count(*) from raw.file where original_name = 'grow.xml'") $(q "select count(*) from facts.submission where township_code = '539901108'")" \
        "0 0" "$who grow: nothing of it loaded"
    is "$(q "select count(*) from facts.submission where township_code = '539901101'")" 1 "$who grow: the file after it is loaded"
}

round() {
    who=$1
    case $who in
    root) own=root up_as=nobody ;;
    service) own=daemon up_as=nobody ;;
    *) own=$(id -un) up_as="" ;;
    esac
    attack_dotdot
    attack_elsewhere
    attack_file
    attack_folder
    attack_long
    attack_same
    if [ $shim = 1 ]; then
        attack_rewrite
        attack_grow
    else
        echo "ok $((_tap_n + 1)) # SKIP $who: rewrite and growth while read need the fault shim (release build)"
        _tap_n=$((_tap_n + 1))
    fi
}

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && id daemon >/dev/null 2>&1; then
    round root
    round service
else
    echo "ok 2 # SKIP not root: no separate uploader and service user; one round as $(id -un)"
    _tap_n=2
    round self
fi
done_testing
