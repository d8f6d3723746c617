#!/bin/bash
# The command line as a Debian user expects it: --help for bizenv and for
# every command (Chinese, exit 0, even with a broken config), --version, the
# closest option or command named for a misspelt one, the bash completion,
# all from one command table; the home of another user refused as root;
# registry load keeping its copy in the home.
. "$(dirname "$0")/../lib/tap.sh"
B() { "$BIZENV" "$@" </dev/null; }

# --- bizenv --help and COMMAND --help ---------------------------------------
out=$(B --help 2>&1); rc=$?
is "$rc" 0 "bizenv --help exits 0"
like "$out" "^用法：bizenv \[全局选项\] 命令 \[参数\]$" "it starts with the usage, in Chinese"
like "$out" "^退出状态：0 成功" "and lists the exit statuses"
cmds=$(printf '%s\n' "$out" | sed -n 's/^  bizenv \([a-z]*\).*/\1/p')
is "$(echo $cmds)" "validate registry ingest nightly rank export counties template weights setting backup restore rebuild runs db analyst dictionary migrate codes config" \
   "it lists every command"
is "$(B help 2>&1)" "$out" "bizenv help says the same"

bad=""
for c in $cmds; do
    h=$(B "$c" --help 2>&1); rc=$?
    first=$(printf '%s\n' "$h" | head -1)
    case "$first" in "用法：bizenv $c"*) ;; *) bad="$bad $c(usage)" ;; esac
    [ "$rc" = 0 ] || bad="$bad $c(exit $rc)"
    printf '%s\n' "$h" | sed -n 3p | LC_ALL=C.UTF-8 grep -qP '\p{Han}' || bad="$bad $c(no Chinese description)"
    [ "$(B help "$c" 2>&1)" = "$h" ] || bad="$bad $c(help $c differs)"
    # the synopsis is the one bizenv --help lists
    printf '%s\n' "$out" | grep -qxF "  ${first#用法：}" || bad="$bad $c(synopsis differs)"
done
is "$bad" "" "every command: --help exits 0 with its usage and a Chinese description"

h=$(B rank --help)
like "$h" "^  --as-of YYYY-MM-DD  只计该日" "rank --help lists --as-of with its value and meaning"
like "$h" "^  --format table\|csv  输出格式" "and --format"
out=$(B --config "$T/nosuch.conf" rank --help 2>&1); rc=$?
is "$rc" 0 "--help answers even when the config file is missing"
printf 'this is not = \n= broken\n' >"$T/broken.conf"
out=$(B --config "$T/broken.conf" export 2026 --help 2>&1); rc=$?
is "$rc:$(printf '%s\n' "$out" | head -1)" "0:用法：bizenv export 期间 [--as-of YYYY-MM-DD] [--out 目录]" \
   "or broken, wherever --help stands"
out=$(B rnak --help 2>&1); rc=$?
is "$rc" 64 "the help of an unknown command is a usage error"
like "$out" "未知命令“rnak”；最接近的是 rank" "naming the closest command"

# every option the table gives a command is one its parser takes (no
# database here: each fails later, on the connection or a missing operand)
H=$(new_home)
value() {
    case "$1" in
    目录 | 文件) echo "$T" ;;
    YYYY-MM-DD) echo 2026-11-28 ;;
    N) echo 3 ;;
    *'|'*) echo "${1%%|*}" ;;
    *) echo x ;;
    esac
}
bad=""
n=0
for c in $cmds; do
    while read -r opt val; do
        [ -n "$opt" ] || continue
        n=$((n + 1))
        if [ -n "$val" ]; then set -- "$opt" "$(value "$val")"; else set -- "$opt"; fi
        err=$(B --home "$H" --db "host=$T/nosuch dbname=x" "$c" "$@" 2>&1)
        case "$err" in *未知选项*) bad="$bad $c:$opt" ;; esac
    done <<EOF
$(B "$c" --help | sed -n '/^选项：/,/^$/s/^  \(--[a-z-]*\)\( [^ ]*\)\{0,1\} .*/\1\2/p')
EOF
done
is "$bad" "" "each of the $n options in the table is taken by its command"

# --- --version ---------------------------------------------------------------
out=$(B --version 2>&1); rc=$?
is "$rc" 0 "--version exits 0"
version=$(awk 'NR == 1 { gsub(/[()]/, "", $2); print $2 }' "$TOP/debian/changelog")
is "$(printf '%s\n' "$out" | head -1)" "bizenv $version" "the version is debian/changelog's"
last=$(ls "$TOP"/sql/migrations/[0-9][0-9][0-9]_*.sql | sort | tail -1 | sed 's|.*/\([0-9]*\)_\(.*\)\.sql|\1（\2）|')
is "$(printf '%s\n' "$out" | sed -n 2p)" "数据库结构版本：$last" "the schema version is the last migration"
build=$(printf '%s\n' "$out" | sed -n 's/^构建：//p')
if [ -e "$TOP/.git" ]; then
    like "$build" "^$(git -C "$TOP" describe --tags --always | sed 's/[.]/\\./g')" \
         "the build is git describe of the tree"
    # a tarball from git archive has no .git: export-subst wrote the build
    mkdir "$T/arch"
    git -C "$TOP" archive HEAD common/buildinfo.sh common/build-id | tar -C "$T/arch" -xf -
    is "$(sh "$T/arch/common/buildinfo.sh" --print)" "$(git -C "$TOP" describe --tags --always HEAD)" \
       "and in a git-archive tarball, what export-subst wrote into common/build-id"
else
    unlike "$build" "^unknown$" "the build is known (common/build-id of the tarball)"
fi

# --- the closest option or command --------------------------------------------
out=$(B rank --fromat csv 2026-10 2>&1); rc=$?
is "$rc" 64 "an unknown option exits 64"
like "$out" "^bizenv rank: 错误 \[E_USAGE\] 未知选项 --fromat；最接近的是 --format$" \
     "and names the closest option"
like "$out" "^用法：bizenv rank 期间" "then the command's usage"
out=$(B export 2026 --as=2026-11-01 2>&1)
like "$out" "未知选项 --as=2026-11-01；最接近的是 --as-of" "--name=value: the name is matched"
out=$(B ingest --hoem "$T" 2>&1)
like "$out" "未知选项 --hoem；最接近的是 --home" "a global option counts as one of every command's"
out=$(B --verison 2>&1)
like "$out" "^bizenv: 错误 \[E_USAGE\] 未知选项 --verison；最接近的是 --version" \
     "before the command too"
out=$(B rank --zzz 2026-10 2>&1)
like "$out" "未知选项 --zzz；该命令的选项：--as-of --format" "nothing close: the command's options are listed"
out=$(B exprot 2026 2>&1); rc=$?
is "$rc" 64 "an unknown command exits 64"
like "$out" "未知命令“exprot”；最接近的是 export" "and names the closest command"

# --- bash completion ---------------------------------------------------------
B --bash-completion >"$T/completion.bash"
bash -n "$T/completion.bash"
ok $? "--bash-completion prints a bash script"
complete_words() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bizenv; echo "${COMPREPLY[*]}"' \
        sh "$T/completion.bash" "$@"
}
is "$(complete_words bizenv ra)" "rank" "completes a command"
is "$(complete_words bizenv --home /tmp ex)" "export" "after a global option and its value"
is "$(complete_words bizenv rank --f)" "--format" "a command's option"
is "$(complete_words bizenv rank 2026 --format '')" "table csv" "an option's values"
is "$(complete_words bizenv db st)" "start stop status" "a command's words"
is "$(complete_words bizenv --set max_fi)" "max_file_bytes=" "a setting after --set"

# --- as root, the home of another user is refused ------------------------------
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    HN=$(new_home)
    chown nobody "$HN"
    out=$(B --home "$HN" config 2>&1); rc=$?
    is "$rc" 78 "as root, a home owned by another user is refused (78)"
    like "$out" "E_CONFIG.*属于用户 nobody" "naming its owner"
    like "$out" "runuser -u nobody -- bizenv" "and how to run as that user"
    is "$(ls -A "$HN")" "" "nothing is made in it"
    runuser -u nobody -- "$BIZENV" --home "$HN" config >/dev/null 2>&1
    ok $? "its owner runs bizenv there"
    is "$(B --home "$HN" --help 2>&1 | head -1)" "用法：bizenv [全局选项] 命令 [参数]" "--help still answers"
else
    diag "not root: the home owner check is not exercised"
fi

# --- registry load keeps a copy (validate reads it; the service waits for it) --
db=$(scratch_db) || skip_all "no database"
HR=$(new_home)
B --home "$HR" --db "dbname=$db" registry load "$TOP/jobs/demo/townships.csv" >/dev/null
ok $? "registry load"
cmp -s "$TOP/jobs/demo/townships.csv" "$HR/townships.csv"
ok $? "keeps a copy of the registry in the home (the registry setting)"
is "$(ls -A "$HR" | grep -c '\.tmp$')" 0 "no temporary file left"
sed 's/539901101/539901199/' "$TOP/jobs/demo/539901101-2026-10.xml" >"$T/unknown.xml"
out=$(BIZENV_TODAY=2026-11-28 B --home "$HR" validate "$T/unknown.xml" 2>&1); rc=$?
is "$rc" 65 "validate without a database checks against the copy"
like "$out" "\[E_TOWNSHIP_UNKNOWN\]" "and finds the unknown township"
printf 'code,name\n539901101,示例乡\n' >"$T/one.csv"
B --home "$HR" --db "dbname=$db" registry load "$T/one.csv" >/dev/null
cmp -s "$T/one.csv" "$HR/townships.csv"
ok $? "a new load replaces the copy"
printf 'code,name\n539901101,示例乡\n5399011,坏代码\n' >"$T/bad.csv"
B --home "$HR" --db "dbname=$db" registry load "$T/bad.csv" >/dev/null 2>&1
is "$?" 65 "a bad registry file is refused"
cmp -s "$T/one.csv" "$HR/townships.csv"
ok $? "and leaves the copy as it was"

pdb=$(scratch_db)
HP=$(new_home)
printf 'code,name\n539901,示例县\n539902,东县\n' >"$T/counties.csv"
B --home "$HP" --db "dbname=$pdb" counties load "$T/counties.csv" >/dev/null
ok $? "counties load"
cmp -s "$T/counties.csv" "$HP/counties.csv"
ok $? "keeps its copy as counties.csv"
done_testing
