# bizenv — build, set-up and tests.
#
#   make run      install what is missing, build, run the nightly job over the demo inbox
#   make check    install what is missing, build, run every test (normal + ASan/UBSan + valgrind)
#   make bench    province-scale benchmark
#   make install  the binary, man page, bash completion, systemd units and crontab example
#                 (PREFIX, default /usr/local; DESTDIR)
#   make deb      the Debian package, into build/deb/ (checked with lintian)
#   make dist     bizenv-VERSION.tar.gz of the committed tree (git archive)
#
# Every Debian package bizenv needs is listed in PKGS; `make deps` installs
# the missing ones (as root, apt-get update first). scdoc turns the man page
# into roff; debhelper, dpkg-dev, fakeroot and lintian build and check the
# package (make deb, and tests/debian in make check).

PKGS := gcc make pkg-config perl python3 libc6-dev \
        libpq-dev libarchive-dev libxml2-dev zlib1g-dev nettle-dev libxlsxwriter-dev \
        libcmocka-dev postgresql-15 postgresql-contrib postgresql-15-pgtap \
        libtap-parser-sourcehandler-pgtap-perl valgrind \
        clang-14 libclang-rt-14-dev time \
        scdoc groff-base man-db git debhelper dpkg-dev fakeroot lintian adduser \
        openssl

# The version is the top entry of debian/changelog (one place for it and the
# package); BIZENV_HOME_DEFAULT is where bizenv works when neither --home nor
# BIZENV_HOME says (the Debian package builds with /var/lib/bizenv).
VERSION := $(shell awk 'NR == 1 { gsub(/[()]/, "", $$2); print $$2 }' debian/changelog)
BIZENV_HOME_DEFAULT ?= var

LIBS_PC := libpq libarchive libxml-2.0 zlib nettle xlsxwriter

CC ?= cc
WARN := -std=c11 -Wall -Wextra -pedantic -Wshadow -Wmissing-prototypes -Werror
CPPFLAGS_ALL = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(SANDBOX_DEF) $(shell pkg-config --cflags $(LIBS_PC) 2>/dev/null) -I/usr/include/postgresql
LDLIBS_ALL = $(shell pkg-config --libs $(LIBS_PC) 2>/dev/null)

# SANDBOX=0 reads inbox files in the bizenv process itself instead of the
# sandboxed reader processes (ingest/sandbox.h): for debugging a parser, and
# for the benchmark's comparison. Its objects go to their own folder.
SANDBOX ?= 1
ifeq ($(SANDBOX),0)
SANDBOX_DEF := -DBIZENV_SANDBOX=0
SANDBOX_DIR := -nosandbox
endif

VARIANT ?= release
ifeq ($(VARIANT),asan)
BUILD := build/asan$(SANDBOX_DIR)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDOPT := -fsanitize=address,undefined
else ifeq ($(VARIANT),fuzz)
# libFuzzer harnesses (tests/fuzz): the library instrumented for coverage
BUILD := build/fuzz
CC := clang-14
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
LDOPT := -fsanitize=fuzzer,address,undefined
else
BUILD := build/release$(SANDBOX_DIR)
# not fortified: valgrind takes a fortified memmove for an overlapping
# __memcpy_chk; the package test (tests/debian) builds with Debian's
# fortified flags and runs a night, which is where fortify's checks run
OPT := -O2 -g
LDOPT :=
endif

STAGES := common ingest transform load export jobs
LIB_SRC := $(filter-out jobs/main.c,$(foreach d,$(STAGES),$(wildcard $(d)/*.c)))
EMBED_SRC := $(sort $(wildcard sql/*/*.sql transform/*.xsd export/*.xsd))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded_data.o $(BUILD)/gen/buildinfo_data.o
MAIN_OBJ := $(BUILD)/jobs/main.o
UNIT_SRC := $(wildcard tests/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
TESTS_T := $(sort $(wildcard tests/*/*.t))

.PHONY: all deps build run check test unit-build clean bench format fuzz fuzz-build valgrind \
        man completion units install deb dist

all: build

deps:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root, or install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: $(BUILD)/bizenv
	@ln -sf $(BUILD)/bizenv bizenv

$(BUILD)/bizenv: $(MAIN_OBJ) $(BUILD)/libbizenv.a
	$(CC) $(OPT) $(CFLAGS) $(LDOPT) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL) -lm

$(BUILD)/libbizenv.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The SQL (sql/migrations/ and the definition files beside it, load/migrate.c)
# and the XSDs are compiled into the binary; the list of them is a
# prerequisite too, so a file added, moved or removed (whatever its mtime)
# makes them embedded again.
$(BUILD)/gen/embed.list: FORCE | $(BUILD)/gen
	@echo '$(EMBED_SRC)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/gen/embedded_data.c: common/embed.pl $(EMBED_SRC) $(BUILD)/gen/embed.list | $(BUILD)/gen
	perl common/embed.pl $@ $(EMBED_SRC)

$(BUILD)/gen:
	@mkdir -p $@

$(BUILD)/gen/embedded_data.o: $(BUILD)/gen/embedded_data.c
	$(CC) $(WARN) $(OPT) $(CFLAGS) -Icommon -c -o $@ $<

# Version, build (git describe, or common/build-id in a tarball) and default
# home, baked in (common/buildinfo.h). Rewritten only when they change.
$(BUILD)/gen/buildinfo_data.c: FORCE | $(BUILD)/gen
	@sh common/buildinfo.sh $@ "$(VERSION)" "$(BIZENV_HOME_DEFAULT)"

$(BUILD)/gen/buildinfo_data.o: $(BUILD)/gen/buildinfo_data.c common/buildinfo.h
	$(CC) $(WARN) $(OPT) $(CFLAGS) -Icommon -c -o $@ $<

FORCE:

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(OPT) $(CFLAGS) $(CPPFLAGS_ALL) $(CPPFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libbizenv.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(OPT) $(LDOPT) $(CPPFLAGS_ALL) -o $@ $< $(BUILD)/libbizenv.a $(LDLIBS_ALL) -lcmocka -lm

# tests/fault: an LD_PRELOAD shim failing malloc/write/rename at N (test code only)
FAULT_SO := $(BUILD)/tests/fault/faultinj.so
$(FAULT_SO): tests/fault/faultinj.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O1 -g -fPIC -shared -o $@ $< -ldl

# The test binary: bizenv with the readers' test hooks (BIZENV_TEST_HOOKS,
# ingest/sandbox_worker.c), which make a reader crash, exit or open a file
# on purpose. Only sandbox_worker.c differs; the binary the tests run for
# everything else, the one installed and packaged, has no hook at all.
HOOKS_OBJ := $(BUILD)/hooks/ingest/sandbox_worker.o
$(HOOKS_OBJ): ingest/sandbox_worker.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(OPT) $(CFLAGS) $(CPPFLAGS_ALL) $(CPPFLAGS) -DBIZENV_TEST_HOOKS -MMD -MP -c -o $@ $<

$(BUILD)/bizenv-hooks: $(MAIN_OBJ) $(HOOKS_OBJ) $(BUILD)/libbizenv.a
	$(CC) $(OPT) $(CFLAGS) $(LDOPT) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL) -lm

unit-build: $(UNIT_BIN) $(FAULT_SO) $(BUILD)/bizenv-hooks

# The man page: doc/bizenv.1.scd through scdoc, then doc/roff-cjk.pl (break
# points between Chinese characters, which groff 1.22 cannot find itself).
MAN := $(BUILD)/man/bizenv.1
man: $(MAN)
$(MAN): doc/bizenv.1.scd doc/roff-cjk.pl $(BUILD)/gen/buildinfo_data.c
	@mkdir -p $(dir $@)
	home='$(BIZENV_HOME_DEFAULT)'; case $$home in /*) ;; *) home="$$home（相对于当前目录）" ;; esac; \
	sed -e 's/@VERSION@/$(VERSION)/' -e "s|@HOME@|$$home|" doc/bizenv.1.scd | scdoc | \
	  perl doc/roff-cjk.pl >$@.tmp && mv $@.tmp $@

# bash completion, generated by the binary from its command table
COMPLETION := $(BUILD)/bizenv.bash-completion
completion: $(COMPLETION)
$(COMPLETION): $(BUILD)/bizenv
	$(BUILD)/bizenv --bash-completion >$@.tmp && mv $@.tmp $@

# systemd units and the crontab example, with the installed paths
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/bizenv
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
SERVICE_HOME ?= /var/lib/bizenv
UNITS := $(BUILD)/deploy/bizenv-nightly.service $(BUILD)/deploy/bizenv-nightly.timer
units: $(UNITS) $(BUILD)/deploy/bizenv.crontab
$(BUILD)/deploy/%: jobs/deploy/%.in FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@HOME@|$(SERVICE_HOME)|g' $< >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

install: build man completion units
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 755 $(BUILD)/bizenv $(DESTDIR)$(BINDIR)/bizenv
	gzip -9n <$(MAN) >$(DESTDIR)$(MANDIR)/man1/bizenv.1.gz
	chmod 644 $(DESTDIR)$(MANDIR)/man1/bizenv.1.gz
	install -m 644 $(COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/bizenv
	install -m 644 $(UNITS) $(DESTDIR)$(UNITDIR)/
	install -m 644 $(BUILD)/deploy/bizenv.crontab $(DESTDIR)$(DOCDIR)/examples/bizenv.crontab

# The package is built from a copy of the working tree (tracked and new
# files, not build/ or var/) in $(DEB_DIR), which holds the results; the
# copy gets this tree's build in common/build-id, as a tarball would.
DEB_DIR ?= build/deb
DEB_SRC = $(DEB_DIR)/src/bizenv-$(VERSION)
DEB_LINT ?= lintian --fail-on error
deb: deps
	rm -rf $(DEB_DIR)/src && mkdir -p $(DEB_SRC)
	if [ -e .git ]; then \
	  git -c safe.directory='*' ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	    xargs -0 cp -P --parents -t $(DEB_SRC); \
	else \
	  tar -cf - --exclude=./build --exclude=./var --exclude=./bizenv . | tar -C $(DEB_SRC) -xf -; \
	fi
	printf '%s|\n' "$$(sh common/buildinfo.sh --print)" >$(DEB_SRC)/common/build-id
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	@ls $(DEB_DIR)/src/*.ddeb >/dev/null 2>&1 && mv $(DEB_DIR)/src/*.ddeb $(DEB_DIR)/ || true
	rm -rf $(DEB_DIR)/src
	$(DEB_LINT) $(DEB_DIR)/bizenv_$(VERSION)_*.changes
	@ls $(DEB_DIR)/bizenv_$(VERSION)_*.deb

dist:
	@mkdir -p build
	git archive --format=tar.gz --prefix=bizenv-$(VERSION)/ -o build/bizenv-$(VERSION).tar.gz HEAD
	@echo build/bizenv-$(VERSION).tar.gz

# libFuzzer harnesses: `make fuzz` runs each for FUZZ_SECONDS (clang-14).
FUZZ_SECONDS ?= 600
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/tests/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build/fuzz/tests/fuzz/%: tests/fuzz/%.c build/fuzz/libbizenv.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(OPT) $(LDOPT) $(CPPFLAGS_ALL) -o $@ $< build/fuzz/libbizenv.a $(LDLIBS_ALL) -lm

fuzz-build:
	@$(MAKE) --no-print-directory VARIANT=fuzz $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# One variant's tests: the cmocka programs and the TAP scripts, all under prove.
# tests/lib/with-cluster starts a throwaway PostgreSQL for the run. Tests run
# two at a time (PROVE_JOBS): each has its own scratch database, home and,
# where it stops or breaks a server, its own cluster, so none depends on
# another's timing; the slowest start first so the two lanes end together.
PROVE_JOBS ?= 2
PROVE := prove --timer --failures -j$(PROVE_JOBS)
SLOW_T := $(filter tests/e2e/054% tests/e2e/040% tests/fault/% tests/fuzz/% tests/e2e/050% \
  tests/e2e/062% tests/debian/%,$(TESTS_T))
ORDERED_T := $(SLOW_T) $(filter-out $(SLOW_T),$(TESTS_T))
test: build unit-build man completion
	BIZENV_BIN=$(CURDIR)/$(BUILD)/bizenv BIZENV_VARIANT=$(VARIANT) CMOCKA_MESSAGE_OUTPUT=TAP \
	  tests/lib/with-cluster $(PROVE) $(ORDERED_T) $(UNIT_BIN)

# The whole suite once more with the release build under valgrind
# (tests/lib/valgrind-run): bizenv through BIZENV_BIN, the cmocka programs
# through prove --exec; a few tests skip themselves (VARIANT=valgrind says
# why). Any report in build/valgrind/logs fails the target, even from a run
# whose exit status the test ignored.
VG_LOGS := $(CURDIR)/build/valgrind/logs
valgrind: deps
	@$(MAKE) --no-print-directory build unit-build VARIANT=release
	@rm -rf $(VG_LOGS) && mkdir -p $(VG_LOGS) && chmod 1777 $(VG_LOGS) # tests run bizenv as nobody too
	BIZENV_BIN=$(CURDIR)/tests/lib/valgrind-bizenv BIZENV_VG_REAL=$(CURDIR)/build/release/bizenv \
	  BIZENV_VG_LOGS=$(VG_LOGS) BIZENV_VARIANT=valgrind CMOCKA_MESSAGE_OUTPUT=TAP \
	  tests/lib/with-cluster $(PROVE) --exec $(CURDIR)/tests/lib/valgrind-run \
	  $(ORDERED_T) $(subst build/asan/,build/release/,$(UNIT_BIN))
	@bad=$$(find $(VG_LOGS) -type f -size +0 | head -20); \
	if [ -n "$$bad" ]; then for f in $$bad; do echo "== $$f"; head -40 $$f; done; exit 1; fi

check: deps
	$(MAKE) --no-print-directory test VARIANT=release
	$(MAKE) --no-print-directory test VARIANT=asan
	$(MAKE) --no-print-directory valgrind

# deps first, then a fresh make: pkg-config's flags are read when the
# Makefile is parsed, which on a fresh machine is before deps installed it.
run: deps
	@$(MAKE) --no-print-directory build
	jobs/demo.sh

# The benchmark also compares with pgloader and reads peak RSS through GNU
# time; only make bench installs them.
bench: deps
	@$(MAKE) --no-print-directory deps PKGS="$(PKGS) pgloader time"
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory SANDBOX=0 build/release-nosandbox/bizenv
	tests/bench/run.sh

format:
	clang-format -i $(wildcard */*.c */*.h)

clean:
	rm -rf build bizenv

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(HOOKS_OBJ:.o=.d)
