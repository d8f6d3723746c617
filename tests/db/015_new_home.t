#!/bin/sh
# A home that does not exist yet, made by a first `registry load` as root
# with the private server: the server runs as `postgres` and must pass
# through the home to pg/, so the new home gets postgres's group (0750) and
# any parent made on the way is 0755; nothing becomes writable by others.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/private.sh"
[ "$(id -u)" = 0 ] || skip_all "the server runs as another user only when bizenv is root"
id postgres >/dev/null 2>&1 || skip_all "no postgres user"

H="$T/new/srv/home"
HOMES="$H"

umask 027 # a strict root umask must not lock the server out either
out=$("$BIZENV" --home "$H" registry load "$TOP/jobs/demo/townships.csv" 2>&1); rc=$?
is "$rc" 0 "a first registry load as root creates the home and starts the private server"
[ "$rc" = 0 ] || diag "$out"
is "$(stat -c '%a %U %G' "$H")" "750 root $(id -gn postgres)" "the new home is 0750, group $(id -gn postgres)"
is "$(stat -c %a "$T/new") $(stat -c %a "$T/new/srv")" "755 755" "the parents made on the way are 0755"
is "$(stat -c %U "$H/pg")" postgres "the data folder is the server user's"
is "$(find "$H" "$T/new" -perm -o=w ! -type l ! -type s | wc -l)" 0 "nothing under it is writable by others"
is "$(find "$H" -maxdepth 1 -perm -g=w ! -type l ! -type s | wc -l)" 0 "nothing in it is writable by the group"
out=$("$BIZENV" --home "$H" runs 2>&1); rc=$?
is "$rc" 0 "the next command finds the server running"
done_testing
