#!/bin/bash
# The Debian package on this machine, as a county's IT person meets it:
# `make deb` builds it and lintian finds no error; `apt install ./bizenv_*.deb`
# makes the bizenv system user and /var/lib/bizenv and enables the timer;
# a night runs as that user over the demo inbox with the service's own
# command line (read from the installed unit: systemd may not be running);
# an upgrade to a rebuilt package with a higher version and one more
# migration keeps the data and migrates on the next night; remove keeps the
# home and stops the private server; purge deletes the home and the user.
#
# It installs a package system-wide, so it runs only as root, only in the
# release pass of `make check` (the package is built from the sources, not
# from the binary under test), and never when a bizenv package, user or
# /var/lib/bizenv exists already. Whatever happens, it leaves none behind.
. "$(dirname "$0")/../lib/tap.sh"
[ "${BIZENV_VARIANT:-release}" = release ] ||
    skip_all "the package is built from the sources once, in the release pass (not $BIZENV_VARIANT)"
[ "$(id -u)" = 0 ] || skip_all "installing a package needs root"
for t in dpkg-buildpackage dh fakeroot lintian apt-get adduser runuser scdoc git python3; do
    command -v "$t" >/dev/null || skip_all "$t is not installed"
done
[ -e "$TOP/.git" ] || skip_all "not a git checkout: the upgrade is built from git archive"
HOME_DIR=/var/lib/bizenv
UNIT=/lib/systemd/system/bizenv-nightly.service
mkdir -p /run/lock
exec 9>/run/lock/bizenv-package-test.lock
flock -w 900 9 || skip_all "another package test holds /run/lock/bizenv-package-test.lock"
case "$(dpkg-query -W -f='${Status}' bizenv 2>/dev/null)" in
'' | *not-installed) ;;
*) skip_all "a bizenv package is on this machine: not touching it" ;;
esac
getent passwd bizenv >/dev/null && skip_all "a bizenv user exists on this machine: not touching it"
getent group bizenv >/dev/null && skip_all "a bizenv group exists on this machine: not touching it"
[ -e "$HOME_DIR" ] && skip_all "$HOME_DIR exists: not touching it"

ours=0 # set before the first install: from then on, whatever is there is ours
cleanup() {
    if [ "$ours" = 1 ]; then
        if [ -f "$HOME_DIR/pg/postmaster.pid" ] && getent passwd bizenv >/dev/null; then
            runuser -u bizenv -- /usr/lib/postgresql/15/bin/pg_ctl -D "$HOME_DIR/pg" -m immediate \
                -w stop >/dev/null 2>&1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=300 bizenv \
            >/dev/null 2>&1 || dpkg --purge bizenv >/dev/null 2>&1
        # whatever still runs as the user (a server nobody could stop) goes too
        if getent passwd bizenv >/dev/null; then
            pkill -KILL -u bizenv 2>/dev/null
            for _ in 1 2 3 4 5 6 7 8 9 10; do pgrep -u bizenv >/dev/null || break; sleep 0.5; done
            userdel bizenv
        fi
        getent group bizenv >/dev/null && groupdel bizenv
        rm -rf "$HOME_DIR"
        rm -f /etc/systemd/system/timers.target.wants/bizenv-nightly.timer
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
unset MAKEFLAGS MFLAGS MAKELEVEL
apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get "$@" -y -q -o DPkg::Lock::Timeout=300 >"$T/apt.log" 2>&1
    local rc=$?
    [ $rc = 0 ] || sed 's/^/#   apt: /' "$T/apt.log" | tail -30
    return $rc
}
# as the service user, with a clean environment (no PG* of the test cluster)
as_bizenv() { (cd / && runuser -u bizenv -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"); }
sql() { as_bizenv bizenv db psql -- -X -At -c "$1" 2>&1; }
label_of() { "$1" --version | awk 'NR == 1 { v = $2 } sub(/^构建：/, "") { b = $0 } END { print v " (" b ")" }'; }

# --- build -------------------------------------------------------------------
version=$(awk 'NR == 1 { gsub(/[()]/, "", $2); print $2 }' "$TOP/debian/changelog")
t0=$(date +%s)
make -C "$TOP" --no-print-directory deb DEB_DIR="$T/v1" >"$T/build1.log" 2>&1
rc=$?
[ $rc = 0 ] || tail -40 "$T/build1.log" | sed 's/^/#   /'
is "$rc" 0 "make deb builds the package ($(($(date +%s) - t0)) s)"
deb1=$(ls "$T"/v1/bizenv_"$version"_*.deb 2>/dev/null)
[ -f "$deb1" ] || { echo "Bail out! no package built"; exit 1; }
lint=$(sed -n '/^lintian /,$p' "$T/build1.log" | grep -E '^[EWIPX]: ')
diag "lintian: ${lint:-no tags}"
unlike "$lint" "^E: " "lintian reports no error"
depends=$(dpkg-deb -f "$deb1" Depends)
like "$depends" "postgresql-15" "the package depends on postgresql-15"
like "$depends" "libpq5.*libxlsxwriter|libxlsxwriter.*libpq5" "and on the shared libraries it links (shlibs)"

# the upgrade: the committed tree from git archive (no .git: the build comes
# from export-subst), a higher version, one more migration
mkdir -p "$T/v2src"
git -C "$TOP" archive HEAD | tar -C "$T/v2src" -xf -
v2="$version+pkgtest1"
{
    printf 'bizenv (%s) bookworm; urgency=medium\n\n  * Package test: an upgrade with one more migration.\n\n' "$v2"
    printf ' -- bizenv maintainers <bizenv@example.org>  %s\n\n' "$(date -R)"
    cat "$TOP/debian/changelog"
} >"$T/v2src/debian/changelog"
last=$(basename "$(ls "$T"/v2src/sql/migrations/[0-9][0-9][0-9]_*.sql | sort | tail -1)")
next=$(printf '%03d' $((10#${last%%_*} + 1)))
printf -- '-- package test: a migration only the upgrade carries\nCREATE TABLE meta.package_test_probe (id int);\n' \
    >"$T/v2src/sql/migrations/${next}_package_test.sql"
t0=$(date +%s)
make -C "$T/v2src" --no-print-directory deb DEB_DIR="$T/v2" DEB_LINT=: >"$T/build2.log" 2>&1
rc=$?
[ $rc = 0 ] || tail -40 "$T/build2.log" | sed 's/^/#   /'
is "$rc" 0 "a package with version $v2 builds from a git-archive tarball ($(($(date +%s) - t0)) s)"
deb2=$(ls "$T"/v2/bizenv_"$v2"_*.deb 2>/dev/null)

# --- install -----------------------------------------------------------------
ours=1
apt_install install "$deb1"
ok $? "apt install ./bizenv_${version}_*.deb"
is "$(dpkg-query -W -f='${Status} ${Version}' bizenv)" "install ok installed $version" "the package is installed"
IFS=: read -r _ _ uid gid _ home shell <<<"$(getent passwd bizenv)"
[ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ "$home" = "$HOME_DIR" ] && [ "$shell" = /usr/sbin/nologin ]
ok $? "postinst made the bizenv system user (uid $uid), home $HOME_DIR, no login shell"
is "$(stat -c '%U:%G %a' "$HOME_DIR")" "bizenv:bizenv 750" "and its home, owned by it"
test -L /etc/systemd/system/timers.target.wants/bizenv-nightly.timer
ok $? "the nightly timer is enabled"
test -e /etc/systemd/system/multi-user.target.wants/bizenv-nightly.service
ok $((! $?)) "its service is not (the timer starts it)"
conds=$(sed -n 's/^ConditionPathExists=|//p' "$UNIT")
is "$(echo $conds)" "$HOME_DIR/townships.csv $HOME_DIR/counties.csv" \
   "the service waits for a loaded registry (ConditionPathExists)"
waiting=1
for f in $conds; do [ -e "$f" ] && waiting=0; done
is "$waiting" 1 "none is there yet: systemd would skip the night"
is "$(man -w bizenv 2>&1)" "/usr/share/man/man1/bizenv.1.gz" "man bizenv finds the page"
like "$(MANWIDTH=80 man bizenv 2>/dev/null | col -b | head -5)" "bizenv - 县营商环境月报" "and shows it"
test -s /usr/share/bash-completion/completions/bizenv
ok $? "bash completion installed"
out=$(bizenv rank --help 2>&1); rc=$?
like "$rc $out" "^0 用法：bizenv rank 期间" "bizenv rank --help answers"
label1=$(label_of /usr/bin/bizenv)
diag "installed: $label1"

# --- a night as the service user ---------------------------------------------
mkdir "$T/inbox"
python3 "$TOP/jobs/demo/make_inbox.py" "$T/inbox" >/dev/null
cp "$TOP/jobs/demo/townships.csv" "$T/townships.csv"
chmod 644 "$T/townships.csv"
out=$(as_bizenv bizenv registry load "$T/townships.csv" 2>&1); rc=$?
is "$rc" 0 "registry load as the bizenv user, in its default home"
diag "$out"
waiting=1
for f in $conds; do [ -e "$f" ] && waiting=0; done
is "$waiting" 0 "the service's condition now holds"
install -d -o bizenv -g bizenv "$HOME_DIR/inbox"
cp -p "$T"/inbox/* "$HOME_DIR/inbox/" && chown bizenv:bizenv "$HOME_DIR"/inbox/*
nfiles=$(ls "$HOME_DIR/inbox" | wc -l)
# the timer's command line, from the installed unit
unit_user=$(sed -n 's/^User=//p' "$UNIT")
unit_env=$(sed -n 's/^Environment=//p' "$UNIT")
unit_exec=$(sed -n 's/^ExecStart=//p' "$UNIT")
is "$unit_user:$unit_env:$unit_exec" "bizenv:BIZENV_HOME=$HOME_DIR:/usr/bin/bizenv nightly" \
   "the unit runs /usr/bin/bizenv nightly as bizenv in $HOME_DIR"
night() {
    (cd / && runuser -u "$unit_user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $unit_env $unit_exec)
}
t0=$(date +%s)
out=$(night 2>&1); rc=$?
is "$rc" 0 "the night runs ($(($(date +%s) - t0)) s, $nfiles files)"
printf '%s\n' "$out" | head -12 | sed 's/^/#   night: /'
is "$(sql "select status, build_version from meta.run order by id desc limit 1")" "ok|$label1" \
   "recorded with the installed build"
subs=$(sql "select count(*) from facts.submission")
[ "$subs" -gt 0 ] 2>/dev/null
ok $? "submissions loaded ($subs)"
is "$(sql "select count(distinct build_version) || ' ' || min(build_version) from meta.export")" "1 $label1" \
   "the night's exports name the build"
ls "$HOME_DIR"/exports/*.xlsx >/dev/null 2>&1
ok $? "export files written"
is "$(find "$HOME_DIR" ! -user bizenv | head -3)" "" "everything in the home belongs to bizenv"
archived=$(find "$HOME_DIR/archive" -type f | wc -l)

# --- upgrade -------------------------------------------------------------------
apt_install install "$deb2"
ok $? "apt install of the rebuilt package $v2"
is "$(dpkg-query -W -f='${Version}' bizenv)" "$v2" "upgraded"
label2=$(label_of /usr/bin/bizenv)
is "$label2" "$v2 ($(git -C "$TOP" describe --tags --always HEAD))" \
   "its build is git describe of the commit the tarball was made from"
is "$(getent passwd bizenv | cut -d: -f3)" "$uid" "same user"
is "$(sql "select count(*) from facts.submission")" "$subs" "data kept"
is "$(find "$HOME_DIR/archive" -type f | wc -l)" "$archived" "archive kept"
like "$(as_bizenv bizenv migrate --list 2>&1)" "待执行：${next}_package_test" "the new migration is pending"
out=$(night 2>&1); rc=$?
is "$rc" 0 "the next night runs"
is "$(sql "select count(*) from meta.migration where version = $((10#$next))")" 1 "and applied it"
is "$(sql "select to_regclass('meta.package_test_probe') is not null")" t "the migrated table is there"
is "$(sql "select string_agg(build_version, ' / ' order by id) from meta.run")" "$label1 / $label2" \
   "each run names its build"
is "$(sql "select count(*) from facts.submission")" "$subs" "no submission lost or doubled"

# --- remove, then purge ----------------------------------------------------------
apt_install remove bizenv
ok $? "apt remove bizenv"
test -e /usr/bin/bizenv
ok $((! $?)) "the binary is gone"
test -f "$HOME_DIR/pg/postmaster.pid"
ok $((! $?)) "prerm stopped the private PostgreSQL"
is "$(find "$HOME_DIR/archive" -type f | wc -l)" "$archived" "the home is kept, archive and all"
getent passwd bizenv >/dev/null
ok $? "so is the user"
apt_install purge bizenv
ok $? "apt purge bizenv"
test -e "$HOME_DIR"
ok $((! $?)) "purge deleted the home"
getent passwd bizenv >/dev/null || getent group bizenv >/dev/null
ok $((! $?)) "and the user and group"
test -e /etc/systemd/system/timers.target.wants/bizenv-nightly.timer
ok $((! $?)) "and the timer's enablement"
status=$(dpkg-query -W -f='${Status}' bizenv 2>/dev/null)
case "$status" in '' | *not-installed) ok 0 "dpkg has nothing of it left" ;; *) ok 1 "dpkg has nothing of it left ($status)" ;; esac
done_testing
