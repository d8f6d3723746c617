#!/bin/sh
# `make run`: the nightly job over the demo inbox, with bizenv's private
# PostgreSQL under var/ (created and started on first use).
# Running it again regenerates the same inbox: every file is then a duplicate.
set -eu
cd "$(dirname "$0")/.."
export BIZENV_HOME="${BIZENV_HOME:-$PWD/var}"
B="$PWD/bizenv"
mkdir -p "$BIZENV_HOME/inbox"
python3 jobs/demo/make_inbox.py "$BIZENV_HOME/inbox"
"$B" registry load jobs/demo/townships.csv
"$B" ingest --verbose
echo
"$B" rank 2026-10
