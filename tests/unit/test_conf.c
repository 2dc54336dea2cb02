/*
 * test_conf.c - tidings.conf parsing: values, defaults, and errors that
 * name the file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "test.h"

static char path[] = "/tmp/tidings-conf-XXXXXX";

static int
load(const char *text, struct conf *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return conf_load(path, c, err, errlen);
}

/* Loads text expecting failure; checks the message names path:line. */
static void
expect_error(const char *text, unsigned line, const char *words)
{
	struct conf c;
	char err[512], where[600];

	CHECK(load(text, &c, err, sizeof(err)) == -1);
	snprintf(where, sizeof(where), "%s:%u: ", path, line);
	if (strncmp(err, where, strlen(where)) != 0 || strstr(err, words) == NULL) {
		fprintf(stderr, "  message: %s\n  wanted:  %s...%s\n", err, where,
		    words);
		CHECK(!"error names file, line and problem");
	} else
		CHECK(1);
}

int
main(void)
{
	struct conf c;
	char err[512];
	int fd = mkstemp(path);

	close(fd);
	setenv("XDG_DATA_HOME", "/data", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	unsetenv("STATE_DIRECTORY");
	unsetenv("RUNTIME_DIRECTORY");

	/* Defaults: an empty file is a valid config. */
	CHECK_INT(load("", &c, err, sizeof(err)), 0);
	CHECK_INT(c.poll_interval, 1800);
	CHECK_INT(c.max_per_host, 2);
	CHECK_INT(c.socket_mode, 0660);
	CHECK_INT(c.max_feed_size, 16 * 1024 * 1024);
	CHECK_INT(c.allow_private_redirects, 0);	/* refused by default */
	conf_free(&c);
	CHECK_INT(load("[daemon]\nallow_private_redirects = Yes\n", &c, err,
	    sizeof(err)), 0);
	CHECK_INT(c.allow_private_redirects, 1);
	conf_free(&c);
	CHECK_INT(load("[daemon]\nallow_private_redirects = off\n", &c, err,
	    sizeof(err)), 0);
	CHECK_INT(c.allow_private_redirects, 0);
	CHECK_STR(c.database, "/data/tidings/tidings.db");
	CHECK_STR(c.socket, "/run/user/7/tidings/tidingsd.sock");
	CHECK(strncmp(c.user_agent, "tidings/", 8) == 0);
	conf_free(&c);

	/* systemd's directories win over the user's. */
	setenv("STATE_DIRECTORY", "/var/lib/tidings", 1);
	setenv("RUNTIME_DIRECTORY", "/run/tidings", 1);
	CHECK_INT(load("[daemon]\n", &c, err, sizeof(err)), 0);
	CHECK_STR(c.database, "/var/lib/tidings/tidings.db");
	CHECK_STR(c.socket, "/run/tidings/tidingsd.sock");
	conf_free(&c);

	/* Every key, units, comments, feeds. */
	CHECK_INT(load("# comment\n[daemon]\ndatabase = /x/t.db\n"
	    "socket = /x/s.sock\nsocket_mode = 0600\npoll_interval = 2h\n"
	    "max_connections = 10 ; inline comment\nmax_per_host = 3\n"
	    "user_agent = test agent\ntimeout = 90s\nmax_feed_size = 2M\n"
	    "parse_workers = 1\nparse_cpu_limit = 5\nmin_interval = 1m\n\n"
	    "[feed \"BBC World\"]\nurl = https://feeds.bbci.co.uk/news/rss.xml\n"
	    "interval = 1d\ntags = news, world\n\n"
	    "[feed \"Other\"]\nurl = http://example.org/feed\n",
	    &c, err, sizeof(err)), 0);
	CHECK_STR(c.database, "/x/t.db");
	CHECK_STR(c.socket, "/x/s.sock");
	CHECK_INT(c.socket_mode, 0600);
	CHECK_INT(c.poll_interval, 7200);
	CHECK_INT(c.max_connections, 10);
	CHECK_INT(c.max_per_host, 3);
	CHECK_STR(c.user_agent, "test agent");
	CHECK_INT(c.timeout, 90);
	CHECK_INT(c.max_feed_size, 2 * 1024 * 1024);
	CHECK_INT(c.parse_workers, 1);
	CHECK_INT(c.parse_cpu_limit, 5);
	CHECK_INT(c.min_interval, 60);
	CHECK_INT(c.nfeeds, 2);
	if (c.nfeeds == 2) {
		CHECK_STR(c.feeds[0].name, "BBC World");
		CHECK_STR(c.feeds[0].url, "https://feeds.bbci.co.uk/news/rss.xml");
		CHECK_INT(c.feeds[0].interval, 86400);
		CHECK_STR(c.feeds[0].tags, "news, world");
		CHECK_STR(c.feeds[1].name, "Other");
		CHECK_INT(c.feeds[1].interval, 0);
	}
	conf_free(&c);

	/* Errors name the file and line, and say what is wrong. */
	expect_error("[daemon]\npoll_interval = 30x\n", 2, "poll_interval");
	expect_error("[daemon]\n\nbogus = 1\n", 3, "unknown key 'bogus'");
	expect_error("[nope]\nx = 1\n", 2, "unknown section");
	expect_error("[daemon]\nmax_per_host = 0\n", 2, "max_per_host");
	expect_error("[daemon]\nsocket_mode = 999\n", 2, "socket_mode");
	expect_error("[daemon]\nallow_private_redirects = maybe\n", 2,
	    "allow_private_redirects");
	expect_error("[daemon]\nthis line has no equals sign\n", 2, "syntax");
	expect_error("[feed \"A\"]\nurl = ftp://example.org/x\n", 2, "http");
	expect_error("[feed \"A\"]\ntags = x\n", 1, "no url");
	expect_error("[feed \"A\"]\nurl = http://a/\n[feed \"B\"]\nurl = http://a/\n",
	    3, "repeats the url");
	expect_error("[feed \"A\"]\nurl = http://a/\nfrequency = 3\n", 3,
	    "unknown key 'frequency'");
	{
		char longline[400];

		memset(longline, 'a', sizeof(longline));
		memcpy(longline, "[daemon]\nuser_agent = ", 22);
		longline[sizeof(longline) - 1] = '\0';
		expect_error(longline, 2, "longer than");
	}

	/* [cluster] and a feed's cluster key. */
	CHECK_INT(load("", &c, err, sizeof(err)), 0);
	CHECK_INT(c.cluster_enabled, 1);
	CHECK_INT(c.cluster_window, 72 * 3600);
	CHECK_INT(c.cluster_reopen, 0);
	CHECK(c.cluster_threshold > 0 && c.cluster_threshold < 1);
	CHECK(c.cluster_merge_threshold >= c.cluster_threshold &&
	    c.cluster_merge_threshold < 1);
	conf_free(&c);
	CHECK_INT(load("[cluster]\nenabled = no\nthreshold = 0.4\nwindow = "
	    "24h\nreopen_on_new_source = yes\n[feed \"W\"]\nurl = "
	    "https://w.example/\ncluster = no\n", &c, err, sizeof(err)), 0);
	CHECK_INT(c.cluster_enabled, 0);
	CHECK(c.cluster_threshold == 0.4);
	CHECK_INT(c.cluster_window, 24 * 3600);
	CHECK_INT(c.cluster_reopen, 1);
	CHECK_INT(c.nfeeds, 1);
	if (c.nfeeds == 1)
		CHECK_INT(c.feeds[0].no_cluster, 1);
	conf_free(&c);
	CHECK_INT(load("[cluster]\nwindow = off\n", &c, err, sizeof(err)), 0);
	CHECK_INT(c.cluster_window, 0);
	conf_free(&c);
	/* merge_threshold: 0 turns online merges off. */
	CHECK_INT(load("[cluster]\nmerge_threshold = 0.6\n", &c, err,
	    sizeof(err)), 0);
	CHECK(c.cluster_merge_threshold == 0.6);
	conf_free(&c);
	CHECK_INT(load("[cluster]\nmerge_threshold = 0\n", &c, err,
	    sizeof(err)), 0);
	CHECK(c.cluster_merge_threshold == 0);
	conf_free(&c);
	expect_error("[cluster]\nmerge_threshold = -0.1\n", 2,
	    "merge_threshold");
	expect_error("[cluster]\nmerge_threshold = 2\n", 2, "merge_threshold");
	/* max_items: a count, 0 for no cap. */
	CHECK_INT(load("[cluster]\nmax_items = 1000\n", &c, err,
	    sizeof(err)), 0);
	CHECK_INT(c.cluster_max_items, 1000);
	conf_free(&c);
	CHECK_INT(load("[cluster]\nmax_items = 0\n", &c, err,
	    sizeof(err)), 0);
	CHECK_INT(c.cluster_max_items, 0);
	conf_free(&c);
	expect_error("[cluster]\nmax_items = -1\n", 2, "max_items");
	expect_error("[cluster]\nmax_items = lots\n", 2, "max_items");
	expect_error("[cluster]\nthreshold = 1.5\n", 2, "threshold");
	expect_error("[cluster]\nthreshold = 0\n", 2, "threshold");
	expect_error("[cluster]\nenabled = maybe\n", 2, "enabled");
	expect_error("[cluster]\nwindow = soon\n", 2, "window");
	expect_error("[cluster]\nsize = 3\n", 2, "unknown key");
	expect_error("[feed \"X\"]\nurl = https://x.example/\ncluster = 2\n",
	    3, "cluster");

	/* A missing file says so. */
	CHECK(conf_load("/nonexistent/tidings.conf", &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "/nonexistent/tidings.conf: No such file") != NULL);

	unlink(path);
	return TEST_DONE();
}
