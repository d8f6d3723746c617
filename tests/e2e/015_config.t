#!/bin/bash
# bizenv.conf as people write it: '#' inside values, quoted values, long
# comment lines; `bizenv config` never shows a password.
. "$(dirname "$0")/../lib/tap.sh"

H=$(new_home)
cfg() { "$BIZENV" --home "$H" "$@" config 2>&1; }

# a comment line of 3,000 bytes whose tail past byte 2,047 reads like a setting
{
    printf '# %s' "$(head -c 2045 /dev/zero | tr '\0' x)"
    printf 'max_entries = 7%s\n' "$(head -c 938 /dev/zero | tr '\0' ' ')"
    printf 'county_name = 甲#1县   # the county\n'
    printf 'db = "host=/srv/pg password='"'"'pa #ss'"'"' dbname=biz"  # quoted: the " #" is kept\n'
} >"$H/bizenv.conf"
is "$(head -1 "$H/bizenv.conf" | wc -c)" 3001 "the comment line is 3,000 bytes long"
out=$(cfg); rc=$?
is "$rc" 0 "the file is read"
like "$out" '^max_entries += 2000 ' "a long comment line is a comment to its end"
like "$out" '^county_name += 甲#1县 ' "a '#' inside a value is kept"
like "$out" "^db += host=/srv/pg password=\*\*\* dbname=biz " "the conninfo is read whole, its password masked"
unlike "$out" 'pa #ss' "the password is never shown"

like "$(cfg | tail -1)" '^# 读取沙箱：(开启|关闭)（' "the last line, a comment, says whether inbox files are read in a sandbox"

out=$(cfg --set 'db=postgresql://bz:s3cret@db.example/biz'); rc=$?
like "$out" '^db += postgresql://bz:\*\*\*@db.example/biz ' "a URI's password is masked"
unlike "$out" 's3cret' "and never shown"

printf 'max_ratio = 9\ncounty_name = %s\n' "$(head -c 5000 /dev/zero | tr '\0' y)" >"$H/bizenv.conf"
out=$(cfg); rc=$?
is "$rc" 78 "a setting line over the limit is a configuration error"
like "$out" 'E_CONFIG.*第 2 行过长.*bizenv.conf 第 2 行' "the message names the line and says why"
done_testing
