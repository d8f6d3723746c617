# bizenv — build, set-up and tests.
#
#   make run      install what is missing, build, run the nightly job over the demo inbox
#   make check    install what is missing, build, run every test (normal + ASan/UBSan + valgrind)
#   make bench    province-scale benchmark
#
# Every Debian package bizenv needs is listed in PKGS; `make deps` installs
# the missing ones (as root, apt-get update first).

PKGS := gcc make pkg-config perl python3 libc6-dev \
        libpq-dev libarchive-dev libxml2-dev zlib1g-dev nettle-dev libxlsxwriter-dev \
        libcmocka-dev postgresql-15 postgresql-contrib postgresql-15-pgtap \
        libtap-parser-sourcehandler-pgtap-perl valgrind \
        clang-14 libclang-rt-14-dev time

# The version is the top entry of debian/changelog (one place for it and the
# package); BIZENV_HOME_DEFAULT is where bizenv works when neither --home nor
# BIZENV_HOME says (the Debian package builds with /var/lib/bizenv).
VERSION := $(shell awk 'NR == 1 { gsub(/[()]/, "", $$2); print $$2 }' debian/changelog)
BIZENV_HOME_DEFAULT ?= var

LIBS_PC := libpq libarchive libxml-2.0 zlib nettle xlsxwriter

CC ?= cc
WARN := -std=c11 -Wall -Wextra -pedantic -Wshadow -Wmissing-prototypes -Werror
CPPFLAGS_ALL = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(shell pkg-config --cflags $(LIBS_PC) 2>/dev/null) -I/usr/include/postgresql
LDLIBS_ALL = $(shell pkg-config --libs $(LIBS_PC) 2>/dev/null)

VARIANT ?= release
ifeq ($(VARIANT),asan)
BUILD := build/asan
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDOPT := -fsanitize=address,undefined
else ifeq ($(VARIANT),fuzz)
# libFuzzer harnesses (tests/fuzz): the library instrumented for coverage
BUILD := build/fuzz
CC := clang-14
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
LDOPT := -fsanitize=fuzzer,address,undefined
else
BUILD := build/release
OPT := -O2 -g
LDOPT :=
endif

STAGES := common ingest transform load export jobs
LIB_SRC := $(filter-out jobs/main.c,$(foreach d,$(STAGES),$(wildcard $(d)/*.c)))
EMBED_SRC := $(sort $(wildcard sql/*.sql transform/*.xsd export/*.xsd))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded_data.o $(BUILD)/gen/buildinfo_data.o
MAIN_OBJ := $(BUILD)/jobs/main.o
UNIT_SRC := $(wildcard tests/*/test_*.c)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
TESTS_T := $(sort $(wildcard tests/*/*.t))

.PHONY: all deps build run check test unit-build clean bench format fuzz fuzz-build valgrind

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

# SQL migrations and the XSD are compiled into the binary.
$(BUILD)/gen/embedded_data.c: common/embed.pl $(EMBED_SRC) | $(BUILD)/gen
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

unit-build: $(UNIT_BIN) $(FAULT_SO)

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
# tests/lib/with-cluster starts a throwaway PostgreSQL for the run.
test: build unit-build
	BIZENV_BIN=$(CURDIR)/$(BUILD)/bizenv BIZENV_VARIANT=$(VARIANT) CMOCKA_MESSAGE_OUTPUT=TAP \
	  tests/lib/with-cluster prove --timer $(UNIT_BIN) $(TESTS_T)

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
	  tests/lib/with-cluster prove --timer --exec $(CURDIR)/tests/lib/valgrind-run \
	  $(subst build/asan/,build/release/,$(UNIT_BIN)) $(TESTS_T)
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

# The benchmark also compares with pgloader; only make bench installs it.
bench: deps
	@$(MAKE) --no-print-directory deps PKGS="$(PKGS) pgloader"
	@$(MAKE) --no-print-directory build
	tests/bench/run.sh

format:
	clang-format -i $(wildcard */*.c */*.h)

clean:
	rm -rf build bizenv

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)
