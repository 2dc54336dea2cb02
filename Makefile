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
TEST_DEBS	= python3 sqlite3 curl

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

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tidingsd $(DESTDIR)$(BINDIR)/tidings \
	    $(DESTDIR)$(MANPREFIX)/man1/tidings.1 \
	    $(DESTDIR)$(MANPREFIX)/man5/tidings.conf.5 \
	    $(DESTDIR)$(MANPREFIX)/man8/tidingsd.8 \
	    $(DESTDIR)$(UNITDIR)/tidingsd.service

clean:
	rm -f common/*.o common/*.d common/*.a daemon/*.o daemon/*.d daemon/*.a \
	    client/*.o client/*.d daemon/tidingsd client/tidings $(UNIT_BIN)

.PHONY: all deps test-deps build run test check-asan install uninstall clean

-include $(COMMON_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(CLIENT_OBJ:.o=.d) daemon/main.d

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
