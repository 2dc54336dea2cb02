# tidings - news feed aggregator daemon and client.
#
#   make run        install missing packages (as root), build, run tidingsd
#   make test       install missing packages (as root), build, run every test
#   make check-asan the tests under AddressSanitizer and UBSan
#   make install    PREFIX=/usr/local DESTDIR=

VERSION		= 0.1.0
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
MANPREFIX	?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
UNITDIR		?= $(PREFIX)/lib/systemd/system

CC		?= cc
CFLAGS		?= -O2 -g
WARNFLAGS	= -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
		  -Wmissing-prototypes -Wno-unused-parameter
PKGS		= libcurl libxml-2.0 sqlite3 inih jansson libmicrohttpd libutf8proc
# libev 4.33 ships no pkg-config file.
LIBEV_LIBS	?= -lev
PKG_CFLAGS	= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS	= $(WARNFLAGS) -D_GNU_SOURCE -DTIDINGS_VERSION='"$(VERSION)"' \
		  -iquote common -iquote daemon $(PKG_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS	= $(LDFLAGS) $(EXTRA_LDFLAGS)
LIBS		= $(PKG_LIBS) $(LIBEV_LIBS) -lm

# Debian packages: build, then what the tests and `make run` use on top.
BUILD_DEBS	= build-essential pkg-config libcurl4-openssl-dev libev-dev \
		  libxml2-dev libsqlite3-dev libinih-dev libjansson-dev \
		  libmicrohttpd-dev libutf8proc-dev
TEST_DEBS	= python3 sqlite3 curl python3-feedparser libxml2-utils

COMMON_SRC	= $(wildcard common/*.c)
DAEMON_SRC	= $(filter-out daemon/main.c,$(wildcard daemon/*.c))
CLIENT_SRC	= $(wildcard client/*.c)
UNIT_SRC	= $(wildcard tests/unit/test_*.c)

COMMON_OBJ	= $(COMMON_SRC:.c=.o)
DAEMON_OBJ	= $(DAEMON_SRC:.c=.o)
CLIENT_OBJ	= $(CLIENT_SRC:.c=.o)
UNIT_BIN	= $(UNIT_SRC:.c=)

all: daemon/tidingsd client/tidings

%.o: %.c
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

common/libcommon.a: $(COMMON_OBJ)
	$(AR) rcs $@ $^

daemon/libdaemon.a: $(DAEMON_OBJ)
	$(AR) rcs $@ $^

daemon/tidingsd: daemon/main.o daemon/libdaemon.a common/libcommon.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

client/tidings: $(CLIENT_OBJ) common/libcommon.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(LIBS)

tests/unit/test_%: tests/unit/test_%.c tests/unit/test.h daemon/libdaemon.a common/libcommon.a
	$(CC) $(ALL_CFLAGS) -iquote tests/unit -o $@ $< daemon/libdaemon.a common/libcommon.a $(ALL_LDFLAGS) $(LIBS)

# Installs what is missing as root; otherwise names the exact command.
deps:
	@sh tests/deps.sh $(BUILD_DEBS)

test-deps:
	@sh tests/deps.sh $(BUILD_DEBS) $(TEST_DEBS)

build: deps
	@$(MAKE) --no-print-directory all

run: deps
	@$(MAKE) --no-print-directory all
	./daemon/tidingsd -c conf/tidings.conf

test: test-deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@sh tests/run.sh

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
check-asan: test-deps
	@$(MAKE) --no-print-directory clean
	@$(MAKE) --no-print-directory all $(UNIT_BIN) \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    TIDINGS_SANITIZED=1 sh tests/run.sh
	@$(MAKE) --no-print-directory clean

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man5 \
	    $(DESTDIR)$(MANPREFIX)/man8 $(DESTDIR)$(SYSCONFDIR)/tidings \
	    $(DESTDIR)$(UNITDIR)
	install -m 755 daemon/tidingsd $(DESTDIR)$(SBINDIR)/tidingsd
	install -m 755 client/tidings $(DESTDIR)$(BINDIR)/tidings
	install -m 644 docs/tidings.1 $(DESTDIR)$(MANPREFIX)/man1/tidings.1
	install -m 644 docs/tidings.conf.5 $(DESTDIR)$(MANPREFIX)/man5/tidings.conf.5
	install -m 644 docs/tidingsd.8 $(DESTDIR)$(MANPREFIX)/man8/tidingsd.8
	install -m 644 conf/tidings.conf $(DESTDIR)$(SYSCONFDIR)/tidings/tidings.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/tidings/tidings.conf ] || \
	    install -m 644 conf/tidings.conf $(DESTDIR)$(SYSCONFDIR)/tidings/tidings.conf
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/tidingsd.service > $(DESTDIR)$(UNITDIR)/tidingsd.service
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/tidings-digest.service > $(DESTDIR)$(UNITDIR)/tidings-digest.service
	install -m 644 systemd/tidings-digest.timer $(DESTDIR)$(UNITDIR)/tidings-digest.timer
	install -m 644 systemd/tidingsd.socket $(DESTDIR)$(UNITDIR)/tidingsd.socket

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tidingsd $(DESTDIR)$(BINDIR)/tidings \
	    $(DESTDIR)$(MANPREFIX)/man1/tidings.1 \
	    $(DESTDIR)$(MANPREFIX)/man5/tidings.conf.5 \
	    $(DESTDIR)$(MANPREFIX)/man8/tidingsd.8 \
	    $(DESTDIR)$(UNITDIR)/tidingsd.service \
	    $(DESTDIR)$(UNITDIR)/tidings-digest.service \
	    $(DESTDIR)$(UNITDIR)/tidings-digest.timer \
	    $(DESTDIR)$(UNITDIR)/tidingsd.socket

clean:
	rm -f common/*.o common/*.d common/*.a daemon/*.o daemon/*.d daemon/*.a \
	    client/*.o client/*.d daemon/tidingsd client/tidings $(UNIT_BIN)

.PHONY: all deps test-deps build run test check-asan install uninstall clean

-include $(COMMON_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(CLIENT_OBJ:.o=.d) daemon/main.d

# Parser conformance over tests/conformance (a copy of the shared corpus):
# fails below the floors of docs/CONFORMANCE.md.  `make test` runs the same
# script through tests/run.sh.
conformance: client/tidings
	@sh tests/integration/test_conformance.sh

.PHONY: conformance

# Parse throughput against a bare libxml2 xmlReader pass and Python's
# feedparser (bench/bench_parse.sh; BENCH_FEEDS, BENCH_ROUNDS).
bench/bench_parse: bench/bench_parse.c common/libcommon.a
	$(CC) $(ALL_CFLAGS) -o $@ $< common/libcommon.a $(ALL_LDFLAGS) $(LIBS)

bench-parse: bench/bench_parse
	@sh bench/bench_parse.sh

bench: bench-parse

clean: clean-bench-parse
clean-bench-parse:
	rm -f bench/bench_parse bench/*.d

.PHONY: bench bench-parse clean-bench-parse

# Bash completion (issue 6): installed with everything else.
COMPLETIONDIR	?= $(PREFIX)/share/bash-completion/completions

install: install-completion
uninstall: uninstall-completion

install-completion:
	install -d $(DESTDIR)$(COMPLETIONDIR)
	install -m 644 completion/tidings $(DESTDIR)$(COMPLETIONDIR)/tidings

uninstall-completion:
	rm -f $(DESTDIR)$(COMPLETIONDIR)/tidings

.PHONY: install-completion uninstall-completion

# libFuzzer harnesses for the pure readers (needs clang):
#   make fuzz && fuzz/fuzz_opml -max_total_time=60
FUZZ_CC		?= clang
FUZZ_FLAGS	= -g -O1 -fsanitize=fuzzer,address,undefined
FUZZ_BIN	= fuzz/fuzz_opml fuzz/fuzz_sanitize

fuzz: $(FUZZ_BIN)

fuzz/fuzz_%: fuzz/fuzz_%.c common/*.c common/*.h
	$(FUZZ_CC) $(WARNFLAGS) -D_GNU_SOURCE -iquote common $(PKG_CFLAGS) \
	    $(FUZZ_FLAGS) -o $@ $< $(COMMON_SRC) $(PKG_LIBS) $(LIBEV_LIBS) -lm

fuzz-clean:
	rm -f $(FUZZ_BIN)

.PHONY: fuzz fuzz-clean

# Crash safety: kill -9 tidingsd 50 times while it ingests a 2,000-feed
# farm (../shared/bench/gen_farm.py), checking the database after each
# kill; kills during a schema migration; a write lock held past the
# retry bound.  About 2-3 minutes;
# numbers go to docs/RELIABILITY.md.
STRESS_ITERATIONS ?= 50
STRESS_FEEDS	?= 2000
stress: all
	@sh tests/stress/crash.sh $(STRESS_ITERATIONS) $(STRESS_FEEDS)
	@python3 tests/stress/migrate_kill.py
	@python3 tests/stress/lock_held.py
.PHONY: stress

# Story clustering: the evaluation tool (labelled data through daemon/cluster.c).
tests/cluster-eval: tests/cluster-eval.c daemon/libdaemon.a common/libcommon.a
	$(CC) $(ALL_CFLAGS) -o $@ $< daemon/libdaemon.a common/libcommon.a $(ALL_LDFLAGS) $(LIBS)

.PHONY: cluster-eval
cluster-eval: tests/cluster-eval
# Built and cleaned with the unit tests (make test runs it on xi-zelensky).
UNIT_BIN	+= tests/cluster-eval

# Clustering speed with 100,000 stories in the window (items/s, memory).
tests/cluster-bench: tests/cluster-bench.c daemon/libdaemon.a common/libcommon.a
	$(CC) $(ALL_CFLAGS) -o $@ $< daemon/libdaemon.a common/libcommon.a $(ALL_LDFLAGS) $(LIBS)

.PHONY: bench bench-cluster
bench: bench-cluster
bench-cluster: tests/cluster-bench
	./tests/cluster-bench 100000 20000

.PHONY: clean-cluster
clean: clean-cluster
clean-cluster:
	rm -f tests/cluster-bench
