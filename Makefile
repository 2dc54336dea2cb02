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
LIBS		= $(PKG_LIBS) $(LIBEV_LIBS) -lm -pthread

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
	@$(MAKE) --no-print-directory check-asan

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer,
# built in asan/ so the normal build is left alone (see the end).
check-asan: test-deps
	@$(MAKE) --no-print-directory asan-build tests/cluster-eval tests/cluster-ceiling
	@$(ASAN_ENV) sh tests/run.sh

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
	rm -rf asan tsan

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
EVAL_SRC	= tests/evaldata.c tests/evaldata.h
tests/cluster-eval: tests/cluster-eval.c $(EVAL_SRC) daemon/libdaemon.a common/libcommon.a
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/evaldata.c daemon/libdaemon.a common/libcommon.a $(ALL_LDFLAGS) $(LIBS)

# How far the clusterer's words can tell stories apart, whatever the
# method (docs/CLUSTERING.md, "What the words allow").
tests/cluster-ceiling: tests/cluster-ceiling.c $(EVAL_SRC) daemon/libdaemon.a common/libcommon.a
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/evaldata.c daemon/libdaemon.a common/libcommon.a $(ALL_LDFLAGS) $(LIBS)

.PHONY: cluster-eval cluster-ceiling
cluster-eval: tests/cluster-eval
cluster-ceiling: tests/cluster-ceiling
	./tests/cluster-ceiling -l en tests/fixtures/xi-zelensky/labels.json
	./tests/cluster-ceiling tests/fixtures/clusters/allsides_roundups_2021_lead.tsv
	./tests/cluster-ceiling -T tests/fixtures/clusters/allsides_roundups_2021_lead.tsv
	./tests/cluster-ceiling tests/fixtures/clusters/uci_news_aggregator_prefix.tsv
# Built and cleaned with the unit tests (make test runs it on xi-zelensky).
UNIT_BIN	+= tests/cluster-eval tests/cluster-ceiling

# Clustering speed with 100,000 stories in the window (items/s, memory).
tests/cluster-bench: tests/cluster-bench.c daemon/libdaemon.a common/libcommon.a
	$(CC) $(ALL_CFLAGS) -o $@ $< daemon/libdaemon.a common/libcommon.a $(ALL_LDFLAGS) $(LIBS)

.PHONY: bench bench-cluster
bench: bench-cluster
bench-cluster: tests/cluster-bench
	./tests/cluster-bench 100000 20000

# Clustering speed on a farm's real load: the items of a bench-poll
# database (FARM_DB, default the newest under $(BENCH_DIR)) replayed in
# the order they were stored, at the daemon's default max_items.  The
# dump (FARM_TSV) is made once and kept.
FARM_DB		?= $(shell ls -t $(BENCH_DIR)/tidings-bench-*/t.db 2>/dev/null | head -n 1)
FARM_TSV	?= /tmp/tidings-cluster-farm.tsv

.PHONY: bench-cluster-farm
bench-cluster-farm: tests/cluster-bench
	@[ -f $(FARM_TSV) ] || sh tests/cluster-farm.sh "$(FARM_DB)" $(FARM_TSV)
	./tests/cluster-bench -r $(FARM_TSV)

.PHONY: clean-cluster
clean: clean-cluster
clean-cluster:
	rm -f tests/cluster-bench

# libFuzzer harnesses (clang, libclang-rt-14-dev): `make fuzz` runs each
# for FUZZ_SECONDS on a corpus seeded by fuzz/seeds.py and kept in
# fuzz/corpus/; crashes land in fuzz/crashes/.  Sources are rebuilt with
# clang and the sanitizers in fuzz/obj/, apart from the normal build.
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_TARGETS	= parse date url conf api opml sanitize derive
FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS	= $(WARNFLAGS) -D_GNU_SOURCE -DTIDINGS_VERSION='"$(VERSION)"' \
		  -iquote common -iquote daemon $(PKG_CFLAGS) \
		  -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_COMMON_OBJ	= $(COMMON_SRC:%.c=fuzz/obj/%.o)
FUZZ_DAEMON_OBJ	= $(DAEMON_SRC:%.c=fuzz/obj/%.o)
FUZZ_BIN	= $(FUZZ_TARGETS:%=fuzz/fuzz_%)
# Only `make fuzz` needs these, so they stay out of TEST_DEBS.
FUZZ_DEBS	= clang libclang-rt-14-dev

fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

fuzz/obj/libcommon.a: $(FUZZ_COMMON_OBJ)
	$(AR) rcs $@ $^

fuzz/obj/libdaemon.a: $(FUZZ_DAEMON_OBJ)
	$(AR) rcs $@ $^

fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/obj/libdaemon.a fuzz/obj/libcommon.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    fuzz/obj/libdaemon.a fuzz/obj/libcommon.a $(LIBS)

fuzz-deps:
	@sh tests/deps.sh $(BUILD_DEBS) $(FUZZ_DEBS) python3

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BIN)

fuzz: fuzz-build
	@mkdir -p fuzz/crashes
	@for t in $(FUZZ_TARGETS); do \
	    python3 fuzz/seeds.py $$t fuzz/corpus/$$t || exit 1; \
	    ./fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	        -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
	        -artifact_prefix=fuzz/crashes/$$t- fuzz/corpus/$$t \
	        2>fuzz/fuzz_$$t.log || { tail -n 40 fuzz/fuzz_$$t.log; exit 1; }; \
	    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' \
	        fuzz/fuzz_$$t.log | sed "s/^/$$t /"; \
	done

fuzz-clean:
	rm -rf fuzz/obj $(FUZZ_BIN) fuzz/*.log

.PHONY: fuzz fuzz-deps fuzz-build fuzz-clean

-include $(FUZZ_COMMON_OBJ:.o=.d) $(FUZZ_DAEMON_OBJ:.o=.d)

# Sanitizer build in asan/: same sources, ASan + UBSan, its own objects.
# `make test` ends with check-asan, the whole suite again under the
# sanitizers (about 3.5 minutes here), so CI catches memory errors
# anywhere.  check-asan-quick, for iterating: every unit test and the
# integration tests that feed hostile bytes to the daemon (ASAN_SUBSET).
ASAN_CFLAGS	= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		  -fno-sanitize-recover=undefined
ASAN_ALL_CFLAGS	= $(WARNFLAGS) -D_GNU_SOURCE -DTIDINGS_VERSION='"$(VERSION)"' \
		  -iquote common -iquote daemon $(PKG_CFLAGS) $(ASAN_CFLAGS)
ASAN_ENV	= ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		  UBSAN_OPTIONS=print_stacktrace=1 TIDINGS_SANITIZED=1 \
		  TIDINGS_BUILD=asan
ASAN_SUBSET	= test_hostile.py test_api_socket.py test_ssrf.py
ASAN_COMMON_OBJ	= $(COMMON_SRC:%.c=asan/%.o)
ASAN_DAEMON_OBJ	= $(DAEMON_SRC:%.c=asan/%.o)
ASAN_CLIENT_OBJ	= $(CLIENT_SRC:%.c=asan/%.o)
ASAN_UNIT_BIN	= $(patsubst %,asan/%,$(filter tests/unit/%,$(UNIT_BIN)))

asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_ALL_CFLAGS) -MMD -MP -c -o $@ $<

asan/libcommon.a: $(ASAN_COMMON_OBJ)
	$(AR) rcs $@ $^

asan/libdaemon.a: $(ASAN_DAEMON_OBJ)
	$(AR) rcs $@ $^

asan/daemon/tidingsd: asan/daemon/main.o asan/libdaemon.a asan/libcommon.a
	$(CC) $(ASAN_ALL_CFLAGS) -o $@ $^ $(LIBS)

asan/client/tidings: $(ASAN_CLIENT_OBJ) asan/libcommon.a
	$(CC) $(ASAN_ALL_CFLAGS) -o $@ $^ $(LIBS)

asan/tests/unit/test_%: tests/unit/test_%.c tests/unit/test.h asan/libdaemon.a asan/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_ALL_CFLAGS) -iquote tests/unit -o $@ $< asan/libdaemon.a asan/libcommon.a $(LIBS)

asan-build: asan/daemon/tidingsd asan/client/tidings $(ASAN_UNIT_BIN)

check-asan-quick: test-deps
	@$(MAKE) --no-print-directory asan-build
	@$(ASAN_ENV) TIDINGS_TESTS="$(ASAN_SUBSET)" sh tests/run.sh

.PHONY: asan-build check-asan-quick

-include $(ASAN_COMMON_OBJ:.o=.d) $(ASAN_DAEMON_OBJ:.o=.d) $(ASAN_CLIENT_OBJ:.o=.d) asan/daemon/main.d

# ThreadSanitizer build in tsan/, for the ingest thread (daemon/ingest.c)
# and the loop sharing the database: every unit test and the integration
# tests that poll, store and read (TSAN_SUBSET), about a minute.  Not in
# `make test`: ASan runs there, and one sanitizer per build.
TSAN_CFLAGS	= -O1 -g -fsanitize=thread -fno-omit-frame-pointer
TSAN_ALL_CFLAGS	= $(WARNFLAGS) -D_GNU_SOURCE -DTIDINGS_VERSION='"$(VERSION)"' \
		  -iquote common -iquote daemon $(PKG_CFLAGS) $(TSAN_CFLAGS)
TSAN_ENV	= TSAN_OPTIONS=halt_on_error=1:exitcode=66 TIDINGS_SANITIZED=1 \
		  TIDINGS_BUILD=tsan
TSAN_SUBSET	= test_e2e.py test_reading.py test_dbtrouble.py test_cluster.py \
		  test_merge.py test_signals.py test_polite.py test_api_socket.py
TSAN_COMMON_OBJ	= $(COMMON_SRC:%.c=tsan/%.o)
TSAN_DAEMON_OBJ	= $(DAEMON_SRC:%.c=tsan/%.o)
TSAN_CLIENT_OBJ	= $(CLIENT_SRC:%.c=tsan/%.o)
TSAN_UNIT_BIN	= $(patsubst %,tsan/%,$(filter tests/unit/%,$(UNIT_BIN)))

tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_ALL_CFLAGS) -MMD -MP -c -o $@ $<

tsan/libcommon.a: $(TSAN_COMMON_OBJ)
	$(AR) rcs $@ $^

tsan/libdaemon.a: $(TSAN_DAEMON_OBJ)
	$(AR) rcs $@ $^

tsan/daemon/tidingsd: tsan/daemon/main.o tsan/libdaemon.a tsan/libcommon.a
	$(CC) $(TSAN_ALL_CFLAGS) -o $@ $^ $(LIBS)

tsan/client/tidings: $(TSAN_CLIENT_OBJ) tsan/libcommon.a
	$(CC) $(TSAN_ALL_CFLAGS) -o $@ $^ $(LIBS)

tsan/tests/unit/test_%: tests/unit/test_%.c tests/unit/test.h tsan/libdaemon.a tsan/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_ALL_CFLAGS) -iquote tests/unit -o $@ $< tsan/libdaemon.a tsan/libcommon.a $(LIBS)

check-tsan: test-deps
	@$(MAKE) --no-print-directory tsan/daemon/tidingsd tsan/client/tidings \
	    $(TSAN_UNIT_BIN)
	@$(TSAN_ENV) TIDINGS_TESTS="$(TSAN_SUBSET)" sh tests/run.sh

.PHONY: check-tsan

-include $(TSAN_COMMON_OBJ:.o=.d) $(TSAN_DAEMON_OBJ:.o=.d) $(TSAN_CLIENT_OBJ:.o=.d) tsan/daemon/main.d
# Polling benchmark (bench/bench_poll.py): tidings, newsboat and sfeed on
# the local feed farm of ../shared/bench, 1,000 and 10,000 feeds.  Peers
# and nginx come from Debian; they are not needed by the tests.
BENCH_DEBS	= nginx-light newsboat sfeed time
BENCH_SIZES	?= 1000,10000
BENCH_DIR	?= /tmp/tidings-bench
BENCH_PEER_TIMEOUT ?= 300

bench-poll: all
	@sh tests/deps.sh $(BUILD_DEBS) $(TEST_DEBS) $(BENCH_DEBS)
	python3 bench/bench_poll.py --sizes $(BENCH_SIZES) --dir $(BENCH_DIR) \
	    --peer-timeout $(BENCH_PEER_TIMEOUT)

bench: bench-poll

.PHONY: bench bench-poll
