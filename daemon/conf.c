/*
 * conf.c - parse and validate tidings.conf (see conf.h).
 *
 * inih does the INI syntax; this file owns the meaning of every key, the
 * defaults, and messages that name the file and line.  inih cuts lines
 * longer than INI_MAX_LINE silently, so the file is read through our own
 * line reader, which counts lines and turns an over-long line into an
 * error instead.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "cluster.h"
#include "conf.h"
#include "url.h"
#include "util.h"

#define DEFAULT_POLL_INTERVAL	(30 * 60)
#define DEFAULT_MIN_INTERVAL	(15 * 60)
#define DEFAULT_MAX_CONNECTIONS	64
#define DEFAULT_MAX_PER_HOST	2
#define DEFAULT_TIMEOUT		60
#define DEFAULT_CONNECT_TIMEOUT	10
#define DEFAULT_MAX_FEED_SIZE	(16 * 1024 * 1024)
#define DEFAULT_PARSE_CPU_LIMIT	10
#define DEFAULT_SOCKET_MODE	0660
#define DEFAULT_USER_AGENT	"tidings/" TIDINGS_VERSION \
				" (+https://github.com/tidings/tidings)"
#define DEFAULT_MAX_INTERVAL	(24 * 60 * 60)
#define DEFAULT_HOST_SPACING_MS	250
/*
 * Items the clustering index holds: about 20 MB of memory, and the 72 h
 * window of some 700 busy feeds.  More feeds than that keep the newest.
 */
#define DEFAULT_CLUSTER_MAX_ITEMS	50000
#define DEFAULT_REDIRECT_AFTER	(3 * 24 * 60 * 60)
#define HOST_SPACING_MAX_MS	(60 * 1000)
#define MS_PER_SEC		1000
#define MAX_CONNECTIONS_LIMIT	10000
#define MAX_WORKERS_LIMIT	64
#define MAX_FEED_SIZE_LIMIT	(1024LL * 1024 * 1024)
#define CONF_ERR_LEN		256
#define FEED_SECTION_PREFIX	"feed \""

struct conf_parser {
	struct conf	*conf;
	FILE		*fp;
	unsigned	 line;		/* line being read, 1-based */
	unsigned	 section_line;	/* line of the last [section] header */
	unsigned	 err_line;
	char		 err[CONF_ERR_LEN];
	char		 section[INI_MAX_LINE];
	struct conf_feed *cur;		/* feed of the current section */
};

static void
conf_error(struct conf_parser *p, const char *fmt, const char *a, const char *b)
{
	if (p->err[0] != '\0')
		return;		/* the first error is the one to fix first */
	p->err_line = p->line;
	snprintf(p->err, sizeof(p->err), fmt, a, b);
}

/* Line reader for inih: counts lines and refuses over-long ones. */
static char *
conf_reader(char *buf, int size, void *stream)
{
	struct conf_parser *p = stream;
	size_t len;
	int c;

	if (fgets(buf, size, p->fp) == NULL)
		return NULL;
	p->line++;
	if (buf[strspn(buf, " \t")] == '[')
		p->section_line = p->line;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] != '\n' && !feof(p->fp)) {
		conf_error(p, "line longer than %s characters%s", "198", "");
		while ((c = fgetc(p->fp)) != EOF && c != '\n')
			;
	}
	return buf;
}

static int
conf_set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (s == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

static int
conf_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* Sizes accept k, M and G suffixes (powers of 1024). */
static int
conf_size(const char *v, int64_t *out)
{
	char *end;
	long long n;
	int64_t mul = 1;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || n <= 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1024;
		break;
	case 'm': case 'M':
		mul = 1024 * 1024;
		break;
	case 'g': case 'G':
		mul = 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (n > MAX_FEED_SIZE_LIMIT / mul)
		return -1;
	*out = (int64_t)n * mul;
	return 0;
}

/* yes/no, true/false, on/off, 1/0. */
static int
conf_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
conf_cluster_key(struct conf *c, const char *name, const char *value)
{
	char *end;
	double d;

	if (strcmp(name, "enabled") == 0)
		return conf_bool(value, &c->cluster_enabled) ? -2 : 0;
	if (strcmp(name, "reopen_on_new_source") == 0)
		return conf_bool(value, &c->cluster_reopen) ? -2 : 0;
	if (strcmp(name, "threshold") == 0) {
		d = strtod(value, &end);
		if (end == value || *end != '\0' || !(d > 0 && d <= 1))
			return -2;
		c->cluster_threshold = d;
		return 0;
	}
	/* 0: stories never merge online (only recluster regroups). */
	if (strcmp(name, "merge_threshold") == 0) {
		d = strtod(value, &end);
		if (end == value || *end != '\0' || !(d >= 0 && d <= 1))
			return -2;
		c->cluster_merge_threshold = d;
		return 0;
	}
	/* 0: no cap (the index then holds about three windows of items). */
	if (strcmp(name, "max_items") == 0) {
		long n;

		if (conf_long(value, 0, LONG_MAX, &n) != 0)
			return -2;
		c->cluster_max_items = n;
		return 0;
	}
	if (strcmp(name, "window") == 0) {
		/* 0 or off: no window (labelled sets without real times). */
		if (strcmp(value, "0") == 0 || strcasecmp(value, "off") == 0) {
			c->cluster_window = 0;
			return 0;
		}
		return parse_duration(value, &c->cluster_window) != 0 ||
		    c->cluster_window <= 0 ? -2 : 0;
	}
	return -3;
}

static int
conf_positive_duration(const char *v, int64_t *out)
{
	int64_t d;

	if (parse_duration(v, &d) != 0 || d <= 0)
		return -1;
	*out = d;
	return 0;
}

/* Milliseconds: "250ms", or a duration ("1s"); 0 turns spacing off. */
static int
conf_spacing(const char *v, int64_t *ms)
{
	size_t len = strlen(v);
	int64_t d;
	long n;
	char num[32];

	if (len > 2 && strcmp(v + len - 2, "ms") == 0 && len - 2 < sizeof(num)) {
		memcpy(num, v, len - 2);
		num[len - 2] = '\0';
		if (conf_long(num, 0, HOST_SPACING_MAX_MS, &n) != 0)
			return -1;
		*ms = n;
		return 0;
	}
	if (parse_duration(v, &d) != 0 || d > HOST_SPACING_MAX_MS / MS_PER_SEC)
		return -1;
	*ms = d * MS_PER_SEC;
	return 0;
}

static int
conf_daemon_key(struct conf_parser *p, const char *name, const char *value)
{
	struct conf *c = p->conf;
	long n;

	if (strcmp(name, "database") == 0)
		return conf_set_str(&c->database, value);
	if (strcmp(name, "socket") == 0)
		return conf_set_str(&c->socket, value);
	if (strcmp(name, "user_agent") == 0)
		return conf_set_str(&c->user_agent, value);
	if (strcmp(name, "socket_mode") == 0) {
		char *end;
		unsigned long m = strtoul(value, &end, 8);

		if (*value == '\0' || *end != '\0' || m > 0777)
			goto bad;
		c->socket_mode = (mode_t)m;
		return 0;
	}
	if (strcmp(name, "poll_interval") == 0)
		return conf_positive_duration(value, &c->poll_interval) ? -2 : 0;
	if (strcmp(name, "min_interval") == 0)
		return conf_positive_duration(value, &c->min_interval) ? -2 : 0;
	if (strcmp(name, "timeout") == 0)
		return conf_positive_duration(value, &c->timeout) ? -2 : 0;
	if (strcmp(name, "connect_timeout") == 0)
		return conf_positive_duration(value, &c->connect_timeout) ? -2 : 0;
	if (strcmp(name, "parse_cpu_limit") == 0)
		return conf_positive_duration(value, &c->parse_cpu_limit) ? -2 : 0;
	if (strcmp(name, "allow_private_redirects") == 0)
		return conf_bool(value, &c->allow_private_redirects) ? -2 : 0;
	if (strcmp(name, "max_feed_size") == 0)
		return conf_size(value, &c->max_feed_size) ? -2 : 0;
	if (strcmp(name, "max_connections") == 0) {
		if (conf_long(value, 1, MAX_CONNECTIONS_LIMIT, &n) != 0)
			goto bad;
		c->max_connections = n;
		return 0;
	}
	if (strcmp(name, "max_per_host") == 0) {
		if (conf_long(value, 1, MAX_CONNECTIONS_LIMIT, &n) != 0)
			goto bad;
		c->max_per_host = n;
		return 0;
	}
	if (strcmp(name, "parse_workers") == 0) {
		if (conf_long(value, 0, MAX_WORKERS_LIMIT, &n) != 0)
			goto bad;
		c->parse_workers = n;
		return 0;
	}
	if (strcmp(name, "max_interval") == 0)
		return conf_positive_duration(value, &c->max_interval) ? -2 : 0;
	if (strcmp(name, "permanent_redirect_after") == 0)
		return conf_positive_duration(value, &c->redirect_after) ? -2 : 0;
	if (strcmp(name, "host_spacing") == 0)
		return conf_spacing(value, &c->host_spacing_ms) ? -2 : 0;
	if (strcmp(name, "adaptive") == 0)
		return conf_bool(value, &c->adaptive) ? -2 : 0;
	conf_error(p, "unknown key '%s' in [daemon]%s", name, "");
	return -1;
bad:
	return -2;
}

/* Finds or creates the feed of section `feed "Name"`. */
static struct conf_feed *
conf_feed_section(struct conf_parser *p, const char *section)
{
	struct conf *c = p->conf;
	size_t len = strlen(section), plen = strlen(FEED_SECTION_PREFIX), i;
	struct conf_feed *f, *n;
	char *name;

	if (len <= plen + 1 || section[len - 1] != '"') {
		conf_error(p, "feed section needs a name: [feed \"Name\"]%s%s",
		    "", "");
		return NULL;
	}
	name = str_ndup(section + plen, len - plen - 1);
	if (name == NULL)
		return NULL;
	for (i = 0; i < c->nfeeds; i++)
		if (strcmp(c->feeds[i].name, name) == 0) {
			free(name);
			return &c->feeds[i];
		}
	n = realloc(c->feeds, (c->nfeeds + 1) * sizeof(*n));
	if (n == NULL) {
		free(name);
		return NULL;
	}
	c->feeds = n;
	f = &c->feeds[c->nfeeds++];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->line = p->section_line;
	return f;
}

static int
conf_feed_key(struct conf_parser *p, struct conf_feed *f, const char *name,
    const char *value)
{
	if (strcmp(name, "url") == 0) {
		if (!url_is_http(value)) {
			conf_error(p, "feed url must be an http:// or https:// "
			    "URL: '%s'%s", value, "");
			return -1;
		}
		return conf_set_str(&f->url, value);
	}
	if (strcmp(name, "tags") == 0)
		return conf_set_str(&f->tags, value);
	if (strcmp(name, "interval") == 0)
		return conf_positive_duration(value, &f->interval) ? -2 : 0;
	if (strcmp(name, "cluster") == 0) {
		int on;

		if (conf_bool(value, &on) != 0)
			return -2;
		f->no_cluster = !on;
		return 0;
	}
	conf_error(p, "unknown key '%s' in a feed section%s", name, "");
	return -1;
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_parser *p = user;
	int rc;

	if (strcmp(section, p->section) != 0) {
		str_copy(p->section, section, sizeof(p->section));
		p->cur = NULL;
		if (strncmp(section, FEED_SECTION_PREFIX,
		    strlen(FEED_SECTION_PREFIX)) == 0 &&
		    (p->cur = conf_feed_section(p, section)) == NULL) {
			conf_error(p, "cannot use section [%s]%s", section, "");
			return 0;
		}
	}
	if (p->cur != NULL)
		rc = conf_feed_key(p, p->cur, name, value);
	else if (strcmp(section, "daemon") == 0)
		rc = conf_daemon_key(p, name, value);
	else if (strcmp(section, "cluster") == 0) {
		if ((rc = conf_cluster_key(p->conf, name, value)) == -3) {
			conf_error(p, "unknown key '%s' in [cluster]%s", name,
			    "");
			return 0;
		}
	} else {
		conf_error(p, "unknown section [%s]%s", section, "");
		return 0;
	}
	if (rc == -2)
		conf_error(p, "invalid value '%s' for %s", value, name);
	else if (rc != 0)
		conf_error(p, "cannot set %s%s", name, "");
	return rc == 0;
}

static char *
conf_join(const char *dir, const char *sub, const char *file)
{
	size_t n = strlen(dir) + strlen(sub) + strlen(file) + 3;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s%s%s", dir, sub, file);
	return s;
}

char *
conf_default_database(void)
{
	const char *d;

	if ((d = getenv("STATE_DIRECTORY")) != NULL && *d != '\0')
		return conf_join(d, "", "/tidings.db");
	if ((d = getenv("XDG_DATA_HOME")) != NULL && *d == '/')
		return conf_join(d, "/tidings", "/tidings.db");
	if ((d = getenv("HOME")) != NULL && *d == '/')
		return conf_join(d, "/.local/share/tidings", "/tidings.db");
	return conf_join("/var/lib/tidings", "", "/tidings.db");
}

char *
conf_default_socket(void)
{
	const char *d;
	char tmp[64];

	if ((d = getenv("RUNTIME_DIRECTORY")) != NULL && *d != '\0')
		return conf_join(d, "", "/tidingsd.sock");
	if ((d = getenv("XDG_RUNTIME_DIR")) != NULL && *d == '/')
		return conf_join(d, "/tidings", "/tidingsd.sock");
	snprintf(tmp, sizeof(tmp), "/tmp/tidings-%u", (unsigned)getuid());
	return conf_join(tmp, "", "/tidingsd.sock");
}

static void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->socket_mode = DEFAULT_SOCKET_MODE;
	c->poll_interval = DEFAULT_POLL_INTERVAL;
	c->min_interval = DEFAULT_MIN_INTERVAL;
	c->cluster_enabled = 1;
	c->cluster_threshold = CLUSTER_THRESHOLD_DEFAULT;
	c->cluster_merge_threshold = CLUSTER_MERGE_THRESHOLD_DEFAULT;
	c->cluster_window = CLUSTER_WINDOW_DEFAULT;
	c->cluster_max_items = DEFAULT_CLUSTER_MAX_ITEMS;
	c->max_connections = DEFAULT_MAX_CONNECTIONS;
	c->max_per_host = DEFAULT_MAX_PER_HOST;
	c->timeout = DEFAULT_TIMEOUT;
	c->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
	c->max_feed_size = DEFAULT_MAX_FEED_SIZE;
	c->parse_cpu_limit = DEFAULT_PARSE_CPU_LIMIT;
	c->max_interval = DEFAULT_MAX_INTERVAL;
	c->host_spacing_ms = DEFAULT_HOST_SPACING_MS;
	c->redirect_after = DEFAULT_REDIRECT_AFTER;
}

/* Checks across keys that inih cannot see line by line. */
static int
conf_validate(struct conf_parser *p)
{
	struct conf *c = p->conf;
	size_t i, j;

	for (i = 0; i < c->nfeeds; i++) {
		p->line = c->feeds[i].line;
		if (c->feeds[i].url == NULL) {
			conf_error(p, "feed \"%s\" has no url%s",
			    c->feeds[i].name, "");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(c->feeds[i].url, c->feeds[j].url) == 0) {
				conf_error(p, "feed \"%s\" repeats the url of "
				    "feed \"%s\"", c->feeds[i].name,
				    c->feeds[j].name);
				return -1;
			}
	}
	if (c->min_interval > c->poll_interval)
		c->min_interval = c->poll_interval;
	if (c->max_interval < c->poll_interval)
		c->max_interval = c->poll_interval;
	return 0;
}

int
conf_load(const char *path, struct conf *out, char *err, size_t errlen)
{
	struct conf_parser p;
	int rc;

	conf_defaults(out);
	memset(&p, 0, sizeof(p));
	p.conf = out;
	if ((p.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	fclose(p.fp);
	if (rc < 0 && p.err[0] == '\0')
		snprintf(p.err, sizeof(p.err), "cannot read the file");
	if (rc > 0 && p.err[0] == '\0') {
		p.err_line = (unsigned)rc;
		snprintf(p.err, sizeof(p.err),
		    "syntax error (expected [section] or key = value)");
	}
	if (p.err[0] == '\0')
		conf_validate(&p);
	if (p.err[0] == '\0' && out->database == NULL &&
	    (out->database = conf_default_database()) == NULL)
		snprintf(p.err, sizeof(p.err), "out of memory");
	if (p.err[0] == '\0' && out->socket == NULL &&
	    (out->socket = conf_default_socket()) == NULL)
		snprintf(p.err, sizeof(p.err), "out of memory");
	if (p.err[0] == '\0' && out->user_agent == NULL &&
	    (out->user_agent = strdup(DEFAULT_USER_AGENT)) == NULL)
		snprintf(p.err, sizeof(p.err), "out of memory");
	if (p.err[0] != '\0') {
		if (p.err_line > 0)
			snprintf(err, errlen, "%s:%u: %s", path, p.err_line, p.err);
		else
			snprintf(err, errlen, "%s: %s", path, p.err);
		conf_free(out);
		return -1;
	}
	return 0;
}

void
conf_free(struct conf *c)
{
	size_t i;

	free(c->database);
	free(c->socket);
	free(c->user_agent);
	for (i = 0; i < c->nfeeds; i++) {
		free(c->feeds[i].name);
		free(c->feeds[i].url);
		free(c->feeds[i].tags);
	}
	free(c->feeds);
	memset(c, 0, sizeof(*c));
}
