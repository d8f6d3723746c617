#!/bin/sh
# `make run`: the nightly job over the demo inbox, with bizenv's private
# PostgreSQL under var/ (created and started on first use).
# Running it again regenerates the same inbox: every file is then a duplicate.
set -eu
cd "$(dirname "$0")/.."
export BIZENV_HOME="${BIZENV_HOME:-$PWD/var}"
B="$PWD/bizenv"
mkdir -p "$BIZENV_HOME/inbox"
# As root, the private PostgreSQL runs as the `postgres` user, which must be
# able to reach var/pg: grant the search (x) bit on any folder above it
# that lacks it (a clone under /root, say), and say so.
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
    d="$BIZENV_HOME"
    while [ "$d" != "/" ]; do
        if ! runuser -u postgres -- test -x "$d"; then
            chmod o+x "$d"
            echo "bizenv: 已为 postgres 用户开放目录 $d 的访问（o+x），以便内置数据库使用 $BIZENV_HOME/pg"
        fi
        d=$(dirname "$d")
    done
fi
python3 jobs/demo/make_inbox.py "$BIZENV_HOME/inbox"
"$B" registry load jobs/demo/townships.csv
"$B" nightly --verbose
echo
"$B" rank 2026-10
