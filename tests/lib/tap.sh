# TAP helpers for the end-to-end tests (sourced by tests/*/*.t).
#
#   plan N | done_testing
#   ok COND_EXIT_STATUS "name"        (use: cmd; ok $? "name")
#   is GOT WANT "name"
#   like GOT REGEX "name"             (grep -E on GOT)
#   unlike GOT REGEX "name"
#   scratch_db                        creates a fresh database, echoes its name
#   new_home                          a fresh BIZENV_HOME in the test's temp folder
#   inbox_archived HOME               files in HOME's archive that came through the inbox
#
# BIZENV_BIN is the binary under test (set by the Makefile). Each test works
# in its own temporary folder ($T), removed at exit.
set -u
BIZENV=${BIZENV_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/release/bizenv}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${BIZENV_SHARED:-$TOP/../shared}
T=$(mktemp -d /tmp/bizenv-t-XXXXXX)
chmod 755 "$T"
_tap_n=0
_tap_failed=0
trap 'rm -rf "$T"' EXIT

plan() { echo "1..$1"; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" = 0 ]; }

_tap_result() {
    _tap_n=$((_tap_n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $_tap_n - $2"
    else
        echo "not ok $_tap_n - $2"
        _tap_failed=$((_tap_failed + 1))
    fi
}

ok() { _tap_result "$1" "$2"; }

is() {
    if [ "$1" = "$2" ]; then _tap_result 0 "$3"; else
        _tap_result 1 "$3"
        printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
    fi
}

like() {
    if printf '%s\n' "$1" | grep -qE -- "$2"; then _tap_result 0 "$3"; else
        _tap_result 1 "$3"
        printf '%s\n' "$1" | sed 's/^/#   got: /' | head -40
        printf '#   expected to match: %s\n' "$2"
    fi
}

unlike() {
    if printf '%s\n' "$1" | grep -qE -- "$2"; then
        _tap_result 1 "$3"
        printf '%s\n' "$1" | sed 's/^/#   got: /' | head -40
        printf '#   expected not to match: %s\n' "$2"
    else _tap_result 0 "$3"; fi
}

diag() { printf '# %s\n' "$*"; }

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

scratch_db() {
    # called as $(scratch_db): a subshell, so the name comes from mktemp
    _db="t_$(mktemp -u XXXXXXXXXX | tr 'A-Z' 'a-z')"
    createdb "$_db" || return 1
    echo "$_db"
}

new_home() {
    # 0755: as root the embedded server runs as `postgres` and must reach it
    _h=$(mktemp -d "$T/home-XXXXXX") && chmod 755 "$_h" && echo "$_h"
}

inbox_archived() {
    # the archive also keeps each registry file and registry snapshot the
    # journal names (their "registry" lines): those are not inbox files,
    # unless an inbox file had the same bytes (an empty upload and an empty
    # registry snapshot share one archived file)
    _shas() {
        grep "\"ev\":\"$2\"" "$1/journal.log" 2>/dev/null |
            sed -n 's/.*"sha256":"\([0-9a-f]*\)".*/\1/p' | sort -u
    }
    _shas "$1" file >"$T/.file-shas"
    _shas "$1" registry | comm -23 - "$T/.file-shas" >"$T/.registry-shas"
    find "$1/archive" -type f ! -name '.incoming*' | grep -c -v -F -f "$T/.registry-shas"
}
