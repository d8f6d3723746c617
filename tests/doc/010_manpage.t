#!/bin/bash
# The man page bizenv(1) the build made from doc/bizenv.1.scd: it renders
# without a groff warning, and names every command with the synopsis that
# `bizenv COMMAND --help` prints, every option, every setting `bizenv
# config` lists, every exit status, the files under the home and the
# environment variables. The commands, options and settings are read from
# the binary, so a command added to the table and not to the page fails.
. "$(dirname "$0")/../lib/tap.sh"
B() { "$BIZENV" "$@" </dev/null; }
real=${BIZENV_VG_REAL:-$BIZENV} # under valgrind BIZENV_BIN is a wrapper
MAN=$(dirname "$real")/man/bizenv.1
[ -s "$MAN" ] || skip_all "no $MAN (make man)"
command -v groff >/dev/null && command -v preconv >/dev/null || skip_all "groff is not installed"

warnings=$(preconv -e UTF-8 "$MAN" | groff -man -Tutf8 -ww -z 2>&1)
is "$warnings" "" "groff renders it without a warning (line breaks between Chinese characters too)"
# one line per paragraph, no bold or underline: what a reader sees
# (headings at the margin, everything else indented)
page=$(preconv -e UTF-8 "$MAN" | groff -man -Tutf8 -rLL=400n -P-cbou 2>/dev/null)
text=$(printf '%s\n' "$page" | sed 's/^ *//')
section() { printf '%s\n' "$page" | awk -v h="$1" '/^[^ \t]/ { on = ($0 == h); next } on' | sed 's/^[ \t]*//'; }
if command -v lexgrog >/dev/null; then
    is "$(lexgrog "$MAN" | sed 's/^[^:]*: //')" '"bizenv - 县营商环境月报的收件、校验、入库、排名与导出"' \
       "its NAME line is one whatis(1) reads"
fi

help=$(B --help)
cmds=$(printf '%s\n' "$help" | sed -n 's/^  bizenv \([a-z]*\).*/\1/p')
[ -n "$cmds" ]
ok $? "bizenv --help lists the commands"
synopsis=$(section 概要)
like "$synopsis" "^bizenv \[全局选项\] 命令 \[参数\]$" "the synopsis starts as --help's usage"
missing=""
options=0
for c in $cmds; do
    usage=$(B "$c" --help | sed -n '1s/^用法：//p')
    printf '%s\n' "$synopsis" | grep -qxF -- "$usage" || missing="$missing [$usage]"
    for o in $(B "$c" --help | sed -n '/^选项：/,/^$/s/^  \(--[a-z-]*\).*/\1/p'); do
        options=$((options + 1))
        printf '%s\n' "$text" | grep -qF -- "$o" || missing="$missing $c:$o"
    done
done
is "$missing" "" "every command's synopsis is the one its --help prints, and its $options options are described"
missing=""
for o in $(printf '%s\n' "$help" | sed -n '/^全局选项/,/^$/s/^  \(--[a-z-]*\).*/\1/p'); do
    section 全局选项 | grep -q -- "^$o" || missing="$missing $o"
done
is "$missing" "" "every global option is described"
settings=$(B --home "$T" config | awk '/^[^#]/ { print $1 }') # the last line, a comment, says whether reads are sandboxed
[ "$(printf '%s\n' "$settings" | wc -l)" -gt 20 ]
ok $? "bizenv config lists the settings"
missing=""
for s in $settings; do
    section 设置 | grep -qE -- "(^|[ 、])$s([（、 ]|$)" || missing="$missing $s"
done
is "$missing" "" "every setting is described under 设置"
missing=""
for st in $(printf '%s\n' "$help" | grep '^退出状态：' | grep -oE '(^|；|：)[0-9]+ ' | tr -dc '0-9 \n'); do
    section 退出状态 | grep -qx -- "$st" || missing="$missing $st"
done
is "$missing" "" "every exit status --help names is explained under 退出状态"
files=$(section 文件)
missing=""
for f in inbox/ archive/ quarantine/ receipts/ runs/ exports/ pg/ bizenv.log bizenv.conf run.lock journal.log backups/ \
    townships.csv counties.csv /var/lib/bizenv /usr/share/bash-completion/completions/bizenv; do
    printf '%s\n' "$files" | grep -qF -- "$f" || missing="$missing $f"
done
is "$missing" "" "the files under the home and those the package installs are listed"
env=$(section 环境变量)
missing=""
for v in BIZENV_HOME BIZENV_TODAY PGHOST PGDATABASE PGSERVICE; do
    printf '%s\n' "$env" | grep -q -- "$v" || missing="$missing $v"
done
is "$missing" "" "the environment variables are listed"
version=$(B --version | head -1)
like "$(printf '%s\n' "$text" | tail -1)" "${version}" "the footer names the version"
done_testing
