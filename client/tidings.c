/*
 * tidings.c - the terminal client: global options, the command table and
 * one function per command.
 *
 * Talks to tidingsd through http.c and prints through output.c; `parse`
 * runs the feed parser of common/ locally and needs no daemon.  Every
 * failure is reported once, here, on stderr, and mapped to one of the
 * documented exit codes (docs/tidings.1, EXIT STATUS).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "feed.h"
#include "bookmark.h"
#include "digest.h"
#include "feedjson.h"
#include "http.h"
#include "launch.h"
#include "opml.h"
#include "output.h"
#include "why.h"
#include "parse.h"
#include "term.h"
#include "util.h"

#ifndef TIDINGS_VERSION
#define TIDINGS_VERSION "unknown"
#endif

/* Exit codes: a public interface, documented in tidings(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the request failed: the API said why */
	EXIT_USAGE = 2,
	EXIT_NO_DAEMON = 3,	/* socket missing or nobody listening */
	EXIT_DENIED = 4,	/* no permission on the socket */
	EXIT_TIMEOUT = 5,	/* refresh --wait, or no reply in time */
	EXIT_BAD_INPUT = 6	/* parse: input unreadable or not a feed */
};

#define SYSTEM_SOCKET	"/run/tidings/tidingsd.sock"
#define SOCKET_NAME	"tidingsd.sock"
#define PATH_LEN	4096
#define QUERY_MAX	4096
#define ERR_LEN		512
#define PARSE_INPUT_MAX	(64L * 1024 * 1024)	/* bytes read by `parse` */
#define READ_CHUNK	65536
#define WAIT_DEFAULT	120		/* seconds, refresh --wait */
#define WAIT_POLL_NS	150000000L	/* between two looks at a feed */
#define LIMIT_MIN	1
#define LIMIT_MAX	10000
#define HEADLINES_SINCE	"24h"
#define JSON_INDENT_N	2
#define SOURCES_MAX	100000		/* --min-sources, as the API */
#define SEARCH_WORDS_MAX 64		/* arguments of `search` */
#define IDS_MAX		1000		/* story ids of one `read` */
#define DIGEST_SINCE	"24h"
#define DIGEST_FILE_MODE 0644	/* --output, before the umask */

struct ctx {
	const char	*sock;		/* -s, or resolved by socket_path() */
	char		 sockbuf[PATH_LEN];
	struct http	*http;		/* opened at the first request */
	struct out	 out;
	int		 page;		/* human listing through the pager */
};

struct cmd {
	const char	*name;
	int		(*run)(struct ctx *, const struct cmd *, int, char **);
	const char	*args;		/* synopsis after the name */
	const char	*listargs;	/* its arguments in the command list */
	const char	*brief;		/* its line in the command list */
	const char	*summary;	/* what it does, for its --help */
	const char	*options;	/* help text, one option a line */
	int		 daemon;	/* talks to tidingsd */
};

/* One long option of a command: a flag, or one taking a value. */
struct opt {
	const char	*name;		/* "--since" */
	const char	**val;		/* takes a value: stored here */
	int		*flag;		/* a flag: set to 1 */
};

enum opt_result { OPT_OK, OPT_HELP, OPT_ERROR };

/* ---- messages --------------------------------------------------------- */

/* "tidings: " and untrusted text made safe, on one line of stderr. */
static void
err_safe(const char *untrusted)
{
	fputs("tidings: ", stderr);
	output_line_safe(stderr, untrusted != NULL ? untrusted : "");
}

static void
cmd_usage(const struct cmd *c, FILE *fp)
{
	fprintf(fp, "usage: tidings [-s SOCKET] %s%s%s\n", c->name,
	    c->args[0] ? " " : "", c->args);
}

static void
cmd_help(const struct cmd *c)
{
	cmd_usage(c, stdout);
	printf("\n%s\n\nOptions:\n%s", c->summary, c->options);
	printf("  -h, --help            this help\n");
}

/* Writes untrusted text made safe, without a newline. */
static void
put_safe(FILE *fp, const char *untrusted)
{
	char *s = term_sanitize(untrusted != NULL ? untrusted : "", 0);

	if (s != NULL)
		fputs(s, fp);
	free(s);
}

static int
usage_error(const struct cmd *c, const char *what, const char *arg)
{
	fprintf(stderr, "tidings: %s%s%s", c != NULL ? c->name : "",
	    c != NULL ? ": " : "", what);
	if (arg != NULL) {
		fputs(" '", stderr);
		put_safe(stderr, arg);
		fputc('\'', stderr);
	}
	fputc('\n', stderr);
	if (c != NULL) {
		cmd_usage(c, stderr);
		fprintf(stderr, "Try 'tidings %s --help'.\n", c->name);
	} else
		fprintf(stderr, "Try 'tidings --help'.\n");
	return EXIT_USAGE;
}

/* ---- option parsing ----------------------------------------------------- */

/*
 * Parses argv[1..argc) of command c: the options in opts (anywhere,
 * "--name value" or "--name=value"), -h/--help, "--" ending options, and
 * up to maxpos positional arguments into pos.
 */
static enum opt_result
opt_parse(const struct cmd *c, const struct opt *opts, int argc, char **argv,
    char **pos, int maxpos, int *npos)
{
	int i, only_pos = 0;

	*npos = 0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		const struct opt *o;
		size_t nlen;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (*npos >= maxpos) {
				usage_error(c, "unexpected argument", a);
				return OPT_ERROR;
			}
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cmd_help(c);
			return OPT_HELP;
		}
		eq = strchr(a, '=');
		nlen = eq != NULL ? (size_t)(eq - a) : strlen(a);
		for (o = opts; o != NULL && o->name != NULL; o++)
			if (strlen(o->name) == nlen &&
			    strncmp(o->name, a, nlen) == 0)
				break;
		if (o == NULL || o->name == NULL) {
			usage_error(c, "unknown option", a);
			return OPT_ERROR;
		}
		if (o->flag != NULL) {
			if (eq != NULL) {
				usage_error(c, "option takes no value", a);
				return OPT_ERROR;
			}
			*o->flag = 1;
		} else if (eq != NULL)
			*o->val = eq + 1;
		else if (i + 1 < argc)
			*o->val = argv[++i];
		else {
			usage_error(c, "option needs a value:", a);
			return OPT_ERROR;
		}
	}
	return OPT_OK;
}

/* A positive decimal id. */
static int
parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1)
		return -1;
	*id = v;
	return 0;
}

/* A since/until value the API accepts: a duration or an RFC 3339 time. */
static int
valid_when(const char *s)
{
	int64_t v;

	return parse_duration(s, &v) == 0 || time_parse_rfc3339(s, &v) == 0;
}

/* ---- talking to the daemon ---------------------------------------------- */

/*
 * The socket: -s, else $TIDINGS_SOCKET, else the user-mode default of
 * tidingsd.  When that default does not exist but the system daemon's
 * socket does, the system one is used, so that `systemctl start
 * tidingsd` works without -s.
 */
static void
socket_path(struct ctx *c, const char *opt)
{
	const char *env = getenv("TIDINGS_SOCKET");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat sb;

	if (opt != NULL) {
		c->sock = opt;
		return;
	}
	if (env != NULL && *env != '\0') {
		c->sock = env;
		return;
	}
	/* The daemon's rule (conf_default_socket): an absolute path only. */
	if (xdg != NULL && *xdg == '/')
		snprintf(c->sockbuf, sizeof(c->sockbuf), "%s/tidings/%s", xdg,
		    SOCKET_NAME);
	else
		snprintf(c->sockbuf, sizeof(c->sockbuf), "/tmp/tidings-%u/%s",
		    (unsigned)getuid(), SOCKET_NAME);
	c->sock = c->sockbuf;
	if (stat(c->sockbuf, &sb) == -1 && (errno == ENOENT ||
	    errno == ENOTDIR) && stat(SYSTEM_SOCKET, &sb) == 0 &&
	    S_ISSOCK(sb.st_mode))
		c->sock = SYSTEM_SOCKET;
}

/* Prints why a transfer failed and returns the matching exit code. */
static int
transport_error(struct ctx *c, enum http_result r, const char *err)
{
	char *sock = term_sanitize(c->sock, 0);
	int rc;

	switch (r) {
	case HTTP_NO_DAEMON:
		fprintf(stderr, "tidings: cannot reach tidingsd at %s: is the "
		    "daemon running? (start it with `make run` or `systemctl "
		    "start tidingsd`)\n", sock ? sock : "");
		rc = EXIT_NO_DAEMON;
		break;
	case HTTP_DENIED:
		fprintf(stderr, "tidings: permission denied on %s: ask to be "
		    "added to the socket's group (see socket_mode in "
		    "tidings.conf(5))\n", sock ? sock : "");
		rc = EXIT_DENIED;
		break;
	case HTTP_TIMEOUT:
		err_safe(err);
		rc = EXIT_TIMEOUT;
		break;
	default:
		fprintf(stderr, "tidings: %s: ", sock ? sock : "");
		output_line_safe(stderr, err);
		rc = EXIT_FAILED;
		break;
	}
	free(sock);
	return rc;
}

/*
 * Sends a request.  On a 2xx reply with a JSON body returns EXIT_OK with
 * the reply (for --json) and its parsed value in *root (the caller frees
 * both); otherwise reports the failure once and returns the exit code.
 */
static int
api(struct ctx *c, const char *method, const char *path, const char *body,
    struct http_reply *reply, json_t **root)
{
	char err[ERR_LEN];
	enum http_result r;
	json_error_t jerr;
	json_t *v;

	*root = NULL;
	memset(reply, 0, sizeof(*reply));
	if (c->http == NULL && (c->http = http_open(c->sock)) == NULL) {
		fprintf(stderr, "tidings: out of memory\n");
		return EXIT_FAILED;
	}
	if ((r = http_request(c->http, method, path, body, reply, err,
	    sizeof(err))) != HTTP_OK)
		return transport_error(c, r, err);
	v = json_loadb(reply->body, reply->len, 0, &jerr);
	if (reply->status >= 200 && reply->status < 300 && v != NULL) {
		*root = v;
		return EXIT_OK;
	}
	if (v != NULL && json_is_string(json_object_get(v, "error")))
		err_safe(json_string_value(json_object_get(v, "error")));
	else if (reply->status >= 200 && reply->status < 300)
		fprintf(stderr, "tidings: malformed reply from tidingsd (HTTP "
		    "%ld)\n", reply->status);
	else
		fprintf(stderr, "tidings: tidingsd answered HTTP %ld\n",
		    reply->status);
	json_decref(v);
	http_reply_free(reply);
	return EXIT_FAILED;
}

/* GET path and print it with show(), or as JSON. */
static int
get_and_show(struct ctx *c, const char *path, int json,
    void (*show)(const struct out *, const json_t *))
{
	struct http_reply reply;
	json_t *root;
	int rc;

	if ((rc = api(c, "GET", path, NULL, &reply, &root)) != EXIT_OK)
		return rc;
	if (json) {
		if (output_json_text(&c->out, reply.body, reply.len) == -1) {
			fprintf(stderr, "tidings: malformed reply from "
			    "tidingsd\n");
			rc = EXIT_FAILED;
		}
	} else if (c->page && launch_pager() == 0) {
		show(&c->out, root);
		launch_pager_end();
	} else
		show(&c->out, root);
	json_decref(root);
	http_reply_free(&reply);
	return rc;
}

/* A query string under construction: "?a=1&b=x%20y". */
struct query {
	char	buf[QUERY_MAX];
	size_t	len;
	int	overflow;
};

static void
query_add(struct ctx *c, struct query *q, const char *key, const char *val)
{
	char *e;
	int n;

	if (val == NULL)
		return;
	if (c->http == NULL && (c->http = http_open(c->sock)) == NULL) {
		q->overflow = 1;
		return;
	}
	if ((e = http_escape(c->http, val)) == NULL) {
		q->overflow = 1;
		return;
	}
	n = snprintf(q->buf + q->len, sizeof(q->buf) - q->len, "%c%s=%s",
	    q->len == 0 ? '?' : '&', key, e);
	free(e);
	if (n < 0 || (size_t)n >= sizeof(q->buf) - q->len)
		q->overflow = 1;
	else
		q->len += (size_t)n;
}

/* ---- commands ----------------------------------------------------------- */

static int
cmd_status(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int json = 0, npos;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL,
	    NULL } };
	enum opt_result r;

	if ((r = opt_parse(cmd, opts, argc, argv, NULL, 0, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	return get_and_show(c, "/v1/status", json, output_status);
}

/* Keeps only the feeds whose last poll failed. */
static int
feeds_failing(json_t *root)
{
	json_t *feeds = json_object_get(root, "feeds"), *f;
	size_t i;

	if (!json_is_array(feeds))
		return 0;
	for (i = json_array_size(feeds); i-- > 0; ) {
		f = json_array_get(feeds, i);
		if (!json_is_string(json_object_get(f, "last_error")) &&
		    json_array_remove(feeds, i) == -1)
			return -1;
	}
	return 0;
}

static int
cmd_feeds(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int json = 0, errors = 0, no_pager = 0, npos, rc;
	const char *http = NULL;
	const struct opt opts[] = {
		{ "--json", NULL, &json }, { "--errors", NULL, &errors },
		{ "--no-pager", NULL, &no_pager }, { "--http", &http, NULL },
		{ NULL, NULL, NULL }
	};
	struct http_reply reply;
	enum opt_result r;
	json_t *root;
	char path[PATH_LEN];
	int64_t id;

	if ((r = opt_parse(cmd, opts, argc, argv, NULL, 0, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	c->page = !no_pager;
	if (http != NULL) {
		/* The self-audit: what the daemon asked this feed's server. */
		if (errors) {
			fprintf(stderr, "tidings feeds: --http and --errors "
			    "do not go together\n");
			return EXIT_USAGE;
		}
		if (parse_id(http, &id) == -1) {
			fprintf(stderr, "tidings feeds: --http needs a feed ID\n");
			return EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "/v1/feeds/%lld/http",
		    (long long)id);
		return get_and_show(c, path, json, output_feed_http);
	}
	if (!errors)
		return get_and_show(c, "/v1/feeds", json, output_feeds);
	if ((rc = api(c, "GET", "/v1/feeds", NULL, &reply, &root)) != EXIT_OK)
		return rc;
	http_reply_free(&reply);
	if (feeds_failing(root) == -1) {
		fprintf(stderr, "tidings: out of memory\n");
		rc = EXIT_FAILED;
	} else if (json)
		output_json_value(&c->out, root, JSON_INDENT(JSON_INDENT_N));
	else if (json_array_size(json_object_get(root, "feeds")) == 0)
		fprintf(stderr, "tidings: no failing feeds\n");
	else if (c->page && launch_pager() == 0) {
		output_feeds(&c->out, root);
		launch_pager_end();
	} else
		output_feeds(&c->out, root);
	json_decref(root);
	return rc;
}

/* "a, b,,c" -> ["a", "b", "c"]; NULL on ENOMEM. */
static json_t *
split_tags(const char *s)
{
	json_t *arr = json_array();
	char *copy = strdup(s), *tok, *save = NULL;

	if (arr == NULL || copy == NULL)
		goto fail;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		str_trim(tok);
		if (*tok == '\0')
			continue;
		if (json_array_append_new(arr, json_string(tok)) == -1)
			goto fail;
	}
	free(copy);
	return arr;
fail:
	free(copy);
	json_decref(arr);
	return NULL;
}

static int
cmd_add(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	const char *title = NULL, *tags = NULL, *interval = NULL;
	int json = 0, npos, rc;
	const struct opt opts[] = {
		{ "--title", &title, NULL }, { "--tags", &tags, NULL },
		{ "--interval", &interval, NULL }, { "--json", NULL, &json },
		{ NULL, NULL, NULL }
	};
	struct http_reply reply;
	json_t *req = NULL, *root = NULL, *tarr;
	char *pos[1], *body = NULL;
	enum opt_result r;
	int64_t secs;

	if ((r = opt_parse(cmd, opts, argc, argv, pos, 1, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (npos != 1)
		return usage_error(cmd, "missing URL", NULL);
	if (interval != NULL && (parse_duration(interval, &secs) == -1 ||
	    secs == 0))
		return usage_error(cmd, "invalid --interval (use e.g. 30m, "
		    "2h, 1d):", interval);
	if (!utf8_valid(pos[0], strlen(pos[0])) ||
	    (title != NULL && !utf8_valid(title, strlen(title))) ||
	    (tags != NULL && !utf8_valid(tags, strlen(tags))))
		return usage_error(cmd, "arguments must be UTF-8", NULL);

	rc = EXIT_FAILED;
	if ((req = json_object()) == NULL ||
	    json_object_set_new(req, "url", json_string(pos[0])) == -1 ||
	    (title != NULL && json_object_set_new(req, "title",
	    json_string(title)) == -1) ||
	    (interval != NULL && json_object_set_new(req, "interval",
	    json_string(interval)) == -1))
		goto nomem;
	if (tags != NULL) {
		if ((tarr = split_tags(tags)) == NULL ||
		    json_object_set_new(req, "tags", tarr) == -1)
			goto nomem;
	}
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto nomem;
	if ((rc = api(c, "POST", "/v1/feeds", body, &reply, &root)) !=
	    EXIT_OK)
		goto done;
	if (json)
		output_json_text(&c->out, reply.body, reply.len);
	else
		output_feed_added(&c->out, root);
	http_reply_free(&reply);
	goto done;
nomem:
	fprintf(stderr, "tidings: out of memory\n");
done:
	json_decref(req);
	json_decref(root);
	free(body);
	return rc;
}

static int
cmd_remove(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int json = 0, npos, rc;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL,
	    NULL } };
	struct http_reply reply;
	char path[64], *pos[1];
	enum opt_result r;
	json_t *root;
	int64_t id;

	if ((r = opt_parse(cmd, opts, argc, argv, pos, 1, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (npos != 1)
		return usage_error(cmd, "missing feed ID", NULL);
	if (parse_id(pos[0], &id) == -1)
		return usage_error(cmd, "invalid feed ID", pos[0]);
	snprintf(path, sizeof(path), "/v1/feeds/%lld", (long long)id);
	if ((rc = api(c, "DELETE", path, NULL, &reply, &root)) != EXIT_OK)
		return rc;
	if (json)
		output_json_text(&c->out, reply.body, reply.len);
	else
		printf("removed feed %lld\n", (long long)id);
	json_decref(root);
	http_reply_free(&reply);
	return EXIT_OK;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
nap(void)
{
	struct timespec ts = { 0, WAIT_POLL_NS };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* refresh ID [--wait]: poll one feed and, waiting, report its result. */
static int
refresh_one(struct ctx *c, int64_t id, int wait, int64_t timeout)
{
	struct http_reply reply;
	json_t *root = NULL;
	char path[96];
	int64_t before, deadline;
	int rc;

	snprintf(path, sizeof(path), "/v1/feeds/%lld/refresh", (long long)id);
	if ((rc = api(c, "POST", path, NULL, &reply, &root)) != EXIT_OK)
		return rc;
	before = json_integer_value(json_object_get(root, "polls"));
	json_decref(root);
	http_reply_free(&reply);
	if (!wait) {
		printf("refresh of feed %lld queued\n", (long long)id);
		return EXIT_OK;
	}

	deadline = mono_ns() + timeout * 1000000000;
	snprintf(path, sizeof(path), "/v1/feeds/%lld", (long long)id);
	for (;;) {
		nap();
		if ((rc = api(c, "GET", path, NULL, &reply, &root)) != EXIT_OK)
			return rc;
		http_reply_free(&reply);
		if (json_integer_value(json_object_get(root, "polls")) >
		    before) {
			output_feed_result(&c->out, root);
			rc = json_is_string(json_object_get(root,
			    "last_error")) ? EXIT_FAILED : EXIT_OK;
			json_decref(root);
			return rc;
		}
		json_decref(root);
		if (mono_ns() >= deadline) {
			fprintf(stderr, "tidings: timed out after %llds "
			    "waiting for feed %lld\n", (long long)timeout,
			    (long long)id);
			return EXIT_TIMEOUT;
		}
	}
}

/* A feed being waited for: its poll counter before the refresh. */
struct waiting {
	int64_t	id;
	int64_t	polls;
	int	done;
};

static int
waiting_cmp(const void *a, const void *b)
{
	const struct waiting *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * refresh [--wait] without ID.  Waiting, it remembers every active feed's
 * poll counter before asking for the refresh, then waits until each grew
 * (or the feed went away).  A poll that ends between the two requests
 * counts as this refresh; it is just as fresh.
 */
static int
refresh_all(struct ctx *c, int wait, int64_t timeout)
{
	struct http_reply reply = { 0, NULL, 0 };
	struct waiting *w = NULL, key, *hit;
	json_t *root = NULL, *feeds, *f;
	size_t n = 0, i, pending, failed = 0;
	int64_t deadline;
	int rc;

	if (wait) {
		if ((rc = api(c, "GET", "/v1/feeds", NULL, &reply, &root)) !=
		    EXIT_OK)
			return rc;
		http_reply_free(&reply);
		feeds = json_object_get(root, "feeds");
		if ((w = calloc(json_array_size(feeds) + 1,
		    sizeof(*w))) == NULL) {
			json_decref(root);
			fprintf(stderr, "tidings: out of memory\n");
			return EXIT_FAILED;
		}
		json_array_foreach(feeds, i, f) {
			/* Paused feeds are not polled by a refresh. */
			if (json_is_true(json_object_get(f, "paused")))
				continue;
			w[n].id = json_integer_value(json_object_get(f, "id"));
			w[n].polls = json_integer_value(json_object_get(f,
			    "polls"));
			n++;
		}
		qsort(w, n, sizeof(*w), waiting_cmp);
		json_decref(root);
		root = NULL;
	}
	if ((rc = api(c, "POST", "/v1/refresh", NULL, &reply, &root)) !=
	    EXIT_OK)
		goto done;
	if (!wait) {
		printf("refresh of %lld feeds queued\n", (long long)
		    json_integer_value(json_object_get(root, "queued")));
		goto done;
	}
	json_decref(root);
	root = NULL;
	http_reply_free(&reply);

	deadline = mono_ns() + timeout * 1000000000;
	for (pending = n; pending > 0; ) {
		nap();
		if ((rc = api(c, "GET", "/v1/feeds", NULL, &reply, &root)) !=
		    EXIT_OK)
			goto done;
		http_reply_free(&reply);
		/* Feeds removed meanwhile count as done. */
		for (i = 0; i < n; i++)
			w[i].done = 1;
		feeds = json_object_get(root, "feeds");
		json_array_foreach(feeds, i, f) {
			key.id = json_integer_value(json_object_get(f, "id"));
			hit = bsearch(&key, w, n, sizeof(*w), waiting_cmp);
			if (hit != NULL && json_integer_value(json_object_get(f,
			    "polls")) <= hit->polls)
				hit->done = 0;
		}
		for (pending = 0, i = 0; i < n; i++)
			pending += !w[i].done;
		if (pending == 0)
			break;
		json_decref(root);
		root = NULL;
		if (mono_ns() >= deadline) {
			fprintf(stderr, "tidings: timed out after %llds: %zu of "
			    "%zu feeds still polling\n", (long long)timeout,
			    pending, n);
			rc = EXIT_TIMEOUT;
			goto done;
		}
	}
	if (root != NULL) {
		json_array_foreach(json_object_get(root, "feeds"), i, f) {
			key.id = json_integer_value(json_object_get(f, "id"));
			if (bsearch(&key, w, n, sizeof(*w), waiting_cmp) ==
			    NULL)
				continue;
			output_feed_result(&c->out, f);
			failed += json_is_string(json_object_get(f,
			    "last_error"));
		}
	}
	printf("%zu feeds refreshed, %zu failed\n", n, failed);
	rc = failed > 0 ? EXIT_FAILED : EXIT_OK;
done:
	json_decref(root);
	http_reply_free(&reply);
	free(w);
	return rc;
}

static int
cmd_refresh(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	const char *timeout_s = NULL;
	int wait = 0, npos;
	const struct opt opts[] = {
		{ "--wait", NULL, &wait }, { "--timeout", &timeout_s, NULL },
		{ NULL, NULL, NULL }
	};
	enum opt_result r;
	int64_t id, timeout = WAIT_DEFAULT;
	char *pos[1];

	if ((r = opt_parse(cmd, opts, argc, argv, pos, 1, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (timeout_s != NULL && (parse_duration(timeout_s, &timeout) == -1 ||
	    timeout == 0))
		return usage_error(cmd, "invalid --timeout (use e.g. 30s, 5m):",
		    timeout_s);
	if (npos == 1) {
		if (parse_id(pos[0], &id) == -1)
			return usage_error(cmd, "invalid feed ID", pos[0]);
		return refresh_one(c, id, wait, timeout);
	}
	return refresh_all(c, wait, timeout);
}

/* Options shared by headlines and items, checked and added to q. */
struct filter {
	const char	*since;
	const char	*until;
	const char	*limit;
	const char	*tag;
	const char	*feed;
	const char	*min_sources;
	int		 unread;
	int		 starred;
};

static int
filter_query(struct ctx *c, const struct cmd *cmd, const struct filter *f,
    struct query *q)
{
	int64_t v;

	if (f->since != NULL && !valid_when(f->since))
		return usage_error(cmd, "invalid --since (use e.g. 24h, 7d or "
		    "2023-04-26T00:00:00Z):", f->since);
	if (f->until != NULL && !valid_when(f->until))
		return usage_error(cmd, "invalid --until (use e.g. 24h, 7d or "
		    "2023-04-26T00:00:00Z):", f->until);
	if (f->limit != NULL && (parse_id(f->limit, &v) == -1 ||
	    v < LIMIT_MIN || v > LIMIT_MAX))
		return usage_error(cmd, "invalid --limit (1 to 10000):",
		    f->limit);
	if (f->feed != NULL && parse_id(f->feed, &v) == -1)
		return usage_error(cmd, "invalid --feed ID", f->feed);
	if (f->tag != NULL && *f->tag == '\0')
		return usage_error(cmd, "empty --tag", NULL);
	if (f->min_sources != NULL && (parse_id(f->min_sources, &v) == -1 ||
	    v > SOURCES_MAX))
		return usage_error(cmd, "invalid --min-sources (a number of "
		    "feeds):", f->min_sources);
	query_add(c, q, "since", f->since);
	query_add(c, q, "until", f->until);
	query_add(c, q, "limit", f->limit);
	query_add(c, q, "tag", f->tag);
	query_add(c, q, "unread", f->unread ? "1" : NULL);
	query_add(c, q, "feed", f->feed);
	query_add(c, q, "starred", f->starred ? "1" : NULL);
	query_add(c, q, "min_sources", f->min_sources);
	if (q->overflow)
		return usage_error(cmd, "arguments too long", NULL);
	return EXIT_OK;
}

/*
 * headlines, items and search: the same filters on three endpoints;
 * search takes its words as arguments.
 */
static int
list_cmd(struct ctx *c, const struct cmd *cmd, int argc, char **argv,
    const char *endpoint, const char *default_since,
    void (*show)(const struct out *, const json_t *))
{
	struct filter f;
	int json = 0, no_pager = 0, npos, rc, i, n, search;
	size_t len;
	const struct opt opts[] = {
		{ "--since", &f.since, NULL }, { "--until", &f.until, NULL },
		{ "--limit", &f.limit, NULL }, { "--tag", &f.tag, NULL },
		{ "--feed", &f.feed, NULL }, { "--unread", NULL, &f.unread },
		{ "--starred", NULL, &f.starred },
		{ "--min-sources", &f.min_sources, NULL },
		{ "--no-pager", NULL, &no_pager },
		{ "--json", NULL, &json }, { NULL, NULL, NULL }
	};
	char path[QUERY_MAX + 32], *pos[SEARCH_WORDS_MAX], words[QUERY_MAX];
	struct query q;
	enum opt_result r;

	memset(&f, 0, sizeof(f));
	search = strcmp(endpoint, "/v1/search") == 0;
	if ((r = opt_parse(cmd, opts, argc, argv, pos, search ?
	    SEARCH_WORDS_MAX : 0, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (f.since == NULL)
		f.since = default_since;
	memset(&q, 0, sizeof(q));
	if (search) {
		if (npos == 0)
			return usage_error(cmd, "missing QUERY", NULL);
		for (len = 0, i = 0; i < npos; i++) {
			n = snprintf(words + len, sizeof(words) - len, "%s%s",
			    i > 0 ? " " : "", pos[i]);
			if (n < 0 || (size_t)n >= sizeof(words) - len)
				return usage_error(cmd, "QUERY too long",
				    NULL);
			len += (size_t)n;
		}
		if (!utf8_valid(words, strlen(words)))
			return usage_error(cmd, "QUERY must be UTF-8", NULL);
		query_add(c, &q, "q", words);
	}
	if ((rc = filter_query(c, cmd, &f, &q)) != EXIT_OK)
		return rc;
	c->page = !no_pager;
	snprintf(path, sizeof(path), "%s%s", endpoint, q.buf);
	return get_and_show(c, path, json, show);
}

static int
cmd_search(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	return list_cmd(c, cmd, argc, argv, "/v1/search", NULL, output_items);
}

static int
cmd_headlines(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	return list_cmd(c, cmd, argc, argv, "/v1/stories", HEADLINES_SINCE,
	    output_headlines);
}

static int
cmd_items(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	return list_cmd(c, cmd, argc, argv, "/v1/items", NULL, output_items);
}

/* show --open: the first item's link goes to the browser. */
static int
open_story(struct ctx *c, const char *path)
{
	struct http_reply reply;
	const char *link = NULL, *why = NULL;
	json_t *root, *it;
	size_t i;
	int rc;

	if ((rc = api(c, "GET", path, NULL, &reply, &root)) != EXIT_OK)
		return rc;
	http_reply_free(&reply);
	json_array_foreach(json_object_get(root, "items"), i, it)
		if ((link = json_string_value(json_object_get(it, "link"))) !=
		    NULL && *link != '\0')
			break;
	if (link == NULL || *link == '\0') {
		fprintf(stderr, "tidings: the story has no link\n");
		rc = EXIT_FAILED;
	} else if (launch_browser(link, &why) == -1) {
		fputs("tidings: cannot open ", stderr);
		put_safe(stderr, link);
		fprintf(stderr, ": %s\n", why);
		rc = EXIT_FAILED;
	} else {
		fputs("opened ", stdout);
		put_safe(stdout, link);
		fputc('\n', stdout);
	}
	json_decref(root);
	return rc;
}

static int
cmd_show(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int json = 0, open = 0, no_pager = 0, why = 0, npos;
	const struct opt opts[] = {
		{ "--json", NULL, &json }, { "--open", NULL, &open },
		{ "--no-pager", NULL, &no_pager }, { "--why", NULL, &why },
		{ NULL, NULL, NULL }
	};
	enum opt_result r;
	char path[64], *pos[1];
	int64_t id;

	if ((r = opt_parse(cmd, opts, argc, argv, pos, 1, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (npos != 1)
		return usage_error(cmd, "missing STORY_ID", NULL);
	if (parse_id(pos[0], &id) == -1)
		return usage_error(cmd, "invalid STORY_ID", pos[0]);
	snprintf(path, sizeof(path), "/v1/stories/%lld", (long long)id);
	if (open)
		return open_story(c, path);
	c->page = !no_pager;
	return get_and_show(c, path, json, why ? output_story_why :
	    output_story);
}

/*
 * Reads all of fp into a malloc'd buffer (NUL-terminated, for the
 * parser's convenience), refusing more than PARSE_INPUT_MAX bytes.
 */
static int
read_all(FILE *fp, char **out, size_t *outlen, const char **why)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL, *p;

	for (;;) {
		if (cap - len < READ_CHUNK + 1) {
			cap = cap == 0 ? 4 * READ_CHUNK : cap * 2;
			if ((p = realloc(buf, cap)) == NULL) {
				*why = strerror(ENOMEM);
				goto fail;
			}
			buf = p;
		}
		n = fread(buf + len, 1, READ_CHUNK, fp);
		len += n;
		if (len > (size_t)PARSE_INPUT_MAX) {
			*why = "larger than 64 MiB";
			goto fail;
		}
		if (n < READ_CHUNK) {
			if (ferror(fp)) {
				*why = strerror(errno);
				goto fail;
			}
			break;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	return -1;
}

static int
cmd_parse(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	const char *url = NULL, *ctype = NULL, *why = NULL;
	const struct opt opts[] = {
		{ "--url", &url, NULL }, { "--content-type", &ctype, NULL },
		{ NULL, NULL, NULL }
	};
	struct feed_doc doc;
	enum opt_result r;
	char *pos[1], *buf = NULL;
	size_t len;
	json_t *j;
	FILE *fp;
	int npos, prc, rc;

	if ((r = opt_parse(cmd, opts, argc, argv, pos, 1, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (npos != 1)
		return usage_error(cmd, "missing FILE (or - for standard "
		    "input)", NULL);
	if (strcmp(pos[0], "-") == 0)
		fp = stdin;
	else if ((fp = fopen(pos[0], "rb")) == NULL) {
		fprintf(stderr, "tidings: ");
		put_safe(stderr, pos[0]);
		fprintf(stderr, ": %s\n", strerror(errno));
		return EXIT_BAD_INPUT;
	}
	rc = read_all(fp, &buf, &len, &why);
	if (fp != stdin)
		fclose(fp);
	if (rc == -1) {
		fprintf(stderr, "tidings: ");
		put_safe(stderr, fp == stdin ? "standard input" : pos[0]);
		fprintf(stderr, ": %s\n", why);
		return EXIT_BAD_INPUT;
	}

	parse_init();
	feed_doc_init(&doc);
	prc = parse_feed(buf, len, url, ctype, &doc);
	if (prc == 0)
		parse_clamp_future(&doc, time_now());
	rc = prc == 0 ? EXIT_OK : EXIT_BAD_INPUT;
	if ((j = feedjson_encode_public(&doc)) == NULL) {
		fprintf(stderr, "tidings: out of memory\n");
		rc = EXIT_FAILED;
	} else if (output_json_value(&c->out, j,
	    JSON_INDENT(JSON_INDENT_N)) == -1) {
		fprintf(stderr, "tidings: cannot encode the result\n");
		rc = EXIT_FAILED;
	}
	if (prc != 0) {
		fprintf(stderr, "tidings: ");
		put_safe(stderr, strcmp(pos[0], "-") == 0 ? "standard input" :
		    pos[0]);
		fprintf(stderr, ": ");
		output_line_safe(stderr, doc.error != NULL ? doc.error :
		    "not a feed");
	}
	json_decref(j);
	feed_doc_free(&doc);
	free(buf);
	return rc;
}

/* The one feed ID argument of a command: EXIT_OK or a usage error. */
static int
feed_id_arg(const struct cmd *cmd, int npos, char **pos, int64_t *id)
{
	if (npos != 1)
		return usage_error(cmd, "missing feed ID", NULL);
	if (parse_id(pos[0], id) == -1)
		return usage_error(cmd, "invalid feed ID", pos[0]);
	return EXIT_OK;
}

/*
 * Sends a request that changes something (body may be NULL) and says
 * what was done: fmt with the id, or the reply with --json.
 */
static int
post_and_say(struct ctx *c, const char *method, const char *path,
    const char *body, int json, const char *fmt, int64_t id)
{
	struct http_reply reply;
	json_t *root;
	int rc;

	if ((rc = api(c, method, path, body, &reply, &root)) != EXIT_OK)
		return rc;
	if (json)
		output_json_text(&c->out, reply.body, reply.len);
	else
		printf(fmt, (long long)id);
	json_decref(root);
	http_reply_free(&reply);
	return EXIT_OK;
}

/* read --all [--before DATE] [--feed ID]. */
static int
mark_all_read(struct ctx *c, const struct cmd *cmd, const char *before,
    const char *feed, int json)
{
	struct http_reply reply;
	struct query q;
	char path[QUERY_MAX + 32];
	json_t *root;
	int64_t v;
	int rc;

	if (before != NULL && !valid_when(before))
		return usage_error(cmd, "invalid --before (use e.g. 24h, 7d or "
		    "2023-04-26T00:00:00Z):", before);
	if (feed != NULL && parse_id(feed, &v) == -1)
		return usage_error(cmd, "invalid --feed ID", feed);
	memset(&q, 0, sizeof(q));
	query_add(c, &q, "before", before);
	query_add(c, &q, "feed", feed);
	if (q.overflow)
		return usage_error(cmd, "arguments too long", NULL);
	snprintf(path, sizeof(path), "/v1/read%s", q.buf);
	if ((rc = api(c, "POST", path, NULL, &reply, &root)) != EXIT_OK)
		return rc;
	if (json)
		output_json_text(&c->out, reply.body, reply.len);
	else
		printf("%lld items marked read\n", (long long)
		    json_integer_value(json_object_get(root, "marked")));
	json_decref(root);
	http_reply_free(&reply);
	return EXIT_OK;
}

/*
 * read, unread, star, unstar STORY_ID...: every item of each story.  All
 * ids are checked before the first request; the first failure stops.
 */
static int
cmd_mark(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	const char *before = NULL, *feed = NULL, *what, *method, *done;
	int json = 0, all = 0, npos, i, rc = EXIT_OK, reading;
	const struct opt read_opts[] = {
		{ "--all", NULL, &all }, { "--before", &before, NULL },
		{ "--feed", &feed, NULL }, { "--json", NULL, &json },
		{ NULL, NULL, NULL }
	};
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL,
	    NULL } };
	char path[96], *pos[IDS_MAX];
	int64_t ids[IDS_MAX];
	enum opt_result r;

	reading = strcmp(cmd->name, "read") == 0;
	if ((r = opt_parse(cmd, reading ? read_opts : opts, argc, argv, pos,
	    IDS_MAX, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (all) {
		if (npos > 0)
			return usage_error(cmd, "--all takes no STORY_ID",
			    NULL);
		return mark_all_read(c, cmd, before, feed, json);
	}
	if (before != NULL || feed != NULL)
		return usage_error(cmd, "--before and --feed go with --all",
		    NULL);
	if (npos == 0)
		return usage_error(cmd, "missing STORY_ID", NULL);
	for (i = 0; i < npos; i++)
		if (parse_id(pos[i], &ids[i]) == -1)
			return usage_error(cmd, "invalid STORY_ID", pos[i]);
	/* unread and unstar take back what read and star did. */
	what = strstr(cmd->name, "read") != NULL ? "read" : "star";
	method = strncmp(cmd->name, "un", 2) == 0 ? "DELETE" : "POST";
	done = strcmp(cmd->name, "read") == 0 ? "story %lld marked read\n" :
	    strcmp(cmd->name, "unread") == 0 ? "story %lld marked unread\n" :
	    strcmp(cmd->name, "star") == 0 ? "story %lld starred\n" :
	    "story %lld unstarred\n";
	for (i = 0; i < npos && rc == EXIT_OK; i++) {
		snprintf(path, sizeof(path), "/v1/stories/%lld/%s",
		    (long long)ids[i], what);
		rc = post_and_say(c, method, path, NULL, json, done, ids[i]);
	}
	return rc;
}

static int
cmd_edit(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	const char *title = NULL, *tags = NULL, *interval = NULL, *url = NULL;
	int json = 0, npos, rc = EXIT_FAILED;
	const struct opt opts[] = {
		{ "--title", &title, NULL }, { "--tags", &tags, NULL },
		{ "--interval", &interval, NULL }, { "--url", &url, NULL },
		{ "--json", NULL, &json }, { NULL, NULL, NULL }
	};
	json_t *req = NULL, *tarr;
	char path[96], *pos[1], *body = NULL;
	enum opt_result r;
	int64_t id, secs;

	if ((r = opt_parse(cmd, opts, argc, argv, pos, 1, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if ((rc = feed_id_arg(cmd, npos, pos, &id)) != EXIT_OK)
		return rc;
	rc = EXIT_FAILED;
	if (title == NULL && tags == NULL && interval == NULL && url == NULL)
		return usage_error(cmd, "nothing to change (give --title, "
		    "--tags, --interval or --url)", NULL);
	/* --interval 0: back to the daemon's poll_interval. */
	if (interval != NULL && parse_duration(interval, &secs) == -1)
		return usage_error(cmd, "invalid --interval (use e.g. 30m, "
		    "2h, 1d, or 0 for the default):", interval);
	if ((title != NULL && !utf8_valid(title, strlen(title))) ||
	    (tags != NULL && !utf8_valid(tags, strlen(tags))) ||
	    (url != NULL && !utf8_valid(url, strlen(url))))
		return usage_error(cmd, "arguments must be UTF-8", NULL);

	if ((req = json_object()) == NULL ||
	    (url != NULL && json_object_set_new(req, "url",
	    json_string(url)) == -1) ||
	    (title != NULL && json_object_set_new(req, "title",
	    *title != '\0' ? json_string(title) : json_null()) == -1) ||
	    (interval != NULL && json_object_set_new(req, "interval",
	    json_integer(secs)) == -1))
		goto nomem;
	if (tags != NULL && ((tarr = split_tags(tags)) == NULL ||
	    json_object_set_new(req, "tags", tarr) == -1))
		goto nomem;
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto nomem;
	json_decref(req);
	snprintf(path, sizeof(path), "/v1/feeds/%lld/edit", (long long)id);
	rc = post_and_say(c, "POST", path, body, json, "feed %lld changed\n",
	    id);
	free(body);
	return rc;
nomem:
	fprintf(stderr, "tidings: out of memory\n");
	json_decref(req);
	return rc;
}

/* pause ID / resume ID. */
static int
cmd_pause(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int json = 0, npos, rc, pause = strcmp(cmd->name, "pause") == 0;
	const struct opt opts[] = { { "--json", NULL, &json }, { NULL, NULL,
	    NULL } };
	char path[96], *pos[1];
	enum opt_result r;
	int64_t id;

	if ((r = opt_parse(cmd, opts, argc, argv, pos, 1, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if ((rc = feed_id_arg(cmd, npos, pos, &id)) != EXIT_OK)
		return rc;
	snprintf(path, sizeof(path), "/v1/feeds/%lld/%s", (long long)id,
	    pause ? "pause" : "resume");
	return post_and_say(c, "POST", path, NULL, json, pause ? "feed %lld "
	    "paused\n" : "feed %lld resumed\n", id);
}

/* ---- OPML --------------------------------------------------------------- */

/* "tidings: FILE: " on stderr, the name made safe. */
static void
err_file(const char *file)
{
	fputs("tidings: ", stderr);
	put_safe(stderr, file);
	fputs(": ", stderr);
}

/* Reads FILE, or standard input for "-"; reports failure once. */
static int
read_file_arg(const char *file, char **buf, size_t *len)
{
	const char *why = NULL;
	FILE *fp;
	int rc;

	if (strcmp(file, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(file, "rb")) == NULL) {
		err_file(file);
		fprintf(stderr, "%s\n", strerror(errno));
		return -1;
	}
	rc = read_all(fp, buf, len, &why);
	if (fp != stdin)
		fclose(fp);
	if (rc == -1) {
		err_file(file);
		fprintf(stderr, "%s\n", why);
	}
	return rc;
}

/*
 * Sends a request whose error answers the caller handles itself: EXIT_OK
 * with *status and the reply's JSON in *root (NULL when it is none; the
 * caller frees it), or the transport failure reported and its exit code.
 */
static int
api_raw(struct ctx *c, const char *method, const char *path,
    const char *body, long *status, json_t **root)
{
	struct http_reply reply;
	char err[ERR_LEN];
	enum http_result r;

	*root = NULL;
	memset(&reply, 0, sizeof(reply));
	if (c->http == NULL && (c->http = http_open(c->sock)) == NULL) {
		fprintf(stderr, "tidings: out of memory\n");
		return EXIT_FAILED;
	}
	if ((r = http_request(c->http, method, path, body, &reply, err,
	    sizeof(err))) != HTTP_OK)
		return transport_error(c, r, err);
	*status = reply.status;
	*root = json_loadb(reply.body, reply.len, 0, NULL);
	http_reply_free(&reply);
	return EXIT_OK;
}

/* The API's {"error"} of a reply on one line, else its status. */
static void
reply_error(const json_t *root, long status)
{
	const char *e = json_string_value(json_object_get(root, "error"));

	if (e != NULL)
		output_line_safe(stderr, e);
	else
		fprintf(stderr, "tidingsd answered HTTP %ld\n", status);
}

/* POSTs one OPML feed: 0 added, 1 already subscribed, 2 refused, <0 exit. */
static int
import_one(struct ctx *c, const char *file, const struct opml_feed *f)
{
	char *body = NULL;
	json_t *req, *tags, *root;
	long status;
	size_t i;
	int rc;

	if ((req = json_object()) == NULL || (tags = json_array()) == NULL ||
	    json_object_set_new(req, "tags", tags) == -1 ||
	    json_object_set_new(req, "url", json_string(f->url)) == -1 ||
	    (f->title != NULL && json_object_set_new(req, "title",
	    json_string(f->title)) == -1))
		goto nomem;
	for (i = 0; i < f->ntags; i++)
		if (json_array_append_new(tags, json_string(f->tags[i])) == -1)
			goto nomem;
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		goto nomem;
	json_decref(req);
	rc = api_raw(c, "POST", "/v1/feeds", body, &status, &root);
	free(body);
	if (rc != EXIT_OK)
		return -rc;
	if (status == 201)
		rc = 0;
	else if (status == 409)
		rc = 1;
	else {
		fprintf(stderr, "tidings: ");
		put_safe(stderr, file);
		fprintf(stderr, ":%d: ", f->line);
		put_safe(stderr, f->url);
		fputs(": ", stderr);
		reply_error(root, status);
		rc = 2;
	}
	json_decref(root);
	return rc;
nomem:
	json_decref(req);
	free(body);
	fprintf(stderr, "tidings: out of memory\n");
	return -EXIT_FAILED;
}

static int
cmd_import(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int npos, rc = EXIT_OK, quiet = 0;
	const struct opt opts[] = { { "--quiet", NULL, &quiet },
	    { NULL, NULL, NULL } };
	size_t len, i, added = 0, dups, bad;
	char *pos[1], *buf = NULL, err[OPML_MAX_ERROR];
	enum opt_result r;
	struct opml *o;

	if ((r = opt_parse(cmd, opts, argc, argv, pos, 1, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (npos != 1)
		return usage_error(cmd, "missing FILE (or - for standard "
		    "input)", NULL);
	if (read_file_arg(pos[0], &buf, &len) == -1)
		return EXIT_BAD_INPUT;
	parse_init();
	o = opml_parse(buf, len, err, sizeof(err));
	free(buf);
	if (o == NULL) {
		err_file(pos[0]);
		output_line_safe(stderr, err);
		return EXIT_BAD_INPUT;
	}
	dups = o->duplicates;
	bad = o->nerrors;
	for (i = 0; i < o->nerrors; i++) {
		fputs("tidings: ", stderr);
		put_safe(stderr, pos[0]);
		fprintf(stderr, ":%d: ", o->errors[i].line);
		output_line_safe(stderr, o->errors[i].msg);
	}
	for (i = 0; i < o->nfeeds; i++) {
		int one = import_one(c, pos[0], &o->feeds[i]);

		if (one < 0) {
			rc = -one;
			break;
		}
		added += one == 0;
		dups += one == 1;
		bad += one == 2;
	}
	opml_free(o);
	if (rc != EXIT_OK)
		return rc;
	if (!quiet || bad > 0)
		printf("imported %zu feed%s, skipped %zu duplicate%s, %zu bad "
		    "entr%s\n", added, added == 1 ? "" : "s", dups,
		    dups == 1 ? "" : "s", bad, bad == 1 ? "y" : "ies");
	return bad > 0 ? EXIT_FAILED : EXIT_OK;
}

static int
cmd_export(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	int npos, rc;
	enum opt_result r;
	struct http_reply reply;
	struct opml_feed *f = NULL;
	json_t *root, *feeds, *fj, *tj;
	size_t n, i, k;
	char *doc = NULL;

	if ((r = opt_parse(cmd, NULL, argc, argv, NULL, 0, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if ((rc = api(c, "GET", "/v1/feeds", NULL, &reply, &root)) != EXIT_OK)
		return rc;
	feeds = json_object_get(root, "feeds");
	n = json_array_size(feeds);
	if (n > 0 && (f = calloc(n, sizeof(*f))) == NULL)
		goto nomem;
	json_array_foreach(feeds, i, fj) {
		json_t *tags = json_object_get(fj, "tags");

		/* Borrowed from root: the strings live until json_decref. */
		f[i].url = (char *)json_string_value(json_object_get(fj,
		    "url"));
		f[i].title = (char *)json_string_value(json_object_get(fj,
		    "title"));
		if (f[i].url == NULL)
			f[i].url = "";
		if ((f[i].ntags = json_array_size(tags)) > 0 &&
		    (f[i].tags = calloc(f[i].ntags, sizeof(char *))) == NULL)
			goto nomem;
		json_array_foreach(tags, k, tj)
			f[i].tags[k] = (char *)(json_string_value(tj) != NULL ?
			    json_string_value(tj) : "");
	}
	if ((doc = opml_write(f, n, "tidings subscriptions")) == NULL)
		goto nomem;
	fputs(doc, stdout);
	goto done;
nomem:
	fprintf(stderr, "tidings: out of memory\n");
	rc = EXIT_FAILED;
done:
	for (i = 0; f != NULL && i < n; i++)
		free(f[i].tags);
	free(f);
	free(doc);
	json_decref(root);
	http_reply_free(&reply);
	return rc;
}

/* ---- digest ------------------------------------------------------------- */

/* The process umask; reading it means setting it, so set it back. */
static mode_t
current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

/*
 * Writes the digest to path through a temporary file renamed into place,
 * so a reader (a web server, a mail job) never sees half of one.
 */
static int
digest_to_file(const char *path, const struct digest *d,
    enum digest_format f)
{
	char tmp[PATH_LEN];
	FILE *fp;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		err_file(path);
		fprintf(stderr, "path too long\n");
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		err_file(path);
		fprintf(stderr, "%s\n", strerror(errno));
		return -1;
	}
	/* mkstemp makes it 0600; a digest is as public as a plain file. */
	fchmod(fd, DIGEST_FILE_MODE & ~current_umask());
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		err_file(path);
		fprintf(stderr, "%s\n", strerror(errno));
		return -1;
	}
	if (digest_write(fp, d, f) == -1 || fflush(fp) == EOF ||
	    fsync(fd) == -1 || fclose(fp) != 0 || rename(tmp, path) == -1) {
		err_file(path);
		fprintf(stderr, "%s\n", strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Where the previous digest of name stopped, kept by the daemon: EXIT_OK
 * with *found and *t, or an exit code with the failure reported.
 */
static int
bookmark_get(struct ctx *c, const char *name, int *found, int64_t *t)
{
	char path[sizeof("/v1/bookmarks?name=") + BOOKMARK_NAME_MAX];
	json_t *root;
	long status;
	int rc;

	/* bookmark_name_ok: nothing in a name needs escaping. */
	snprintf(path, sizeof(path), "/v1/bookmarks?name=%s", name);
	if ((rc = api_raw(c, "GET", path, NULL, &status, &root)) != EXIT_OK)
		return rc;
	*found = status == 200;
	if ((status != 200 && status != 404) || (status == 200 &&
	    time_parse_rfc3339(json_string_value(json_object_get(root,
	    "until")), t) == -1)) {
		fputs("tidings: digest: reading the bookmark: ", stderr);
		reply_error(root, status);
		rc = EXIT_FAILED;
	}
	json_decref(root);
	return rc;
}

/* Moves the bookmark from prev (found: whether there was one) to t. */
static int
bookmark_set(struct ctx *c, const char *name, int found, int64_t prev,
    int64_t t)
{
	char a[RFC3339_LEN], b[RFC3339_LEN], *body = NULL;
	json_t *req, *root = NULL;
	long status;
	int rc;

	req = json_pack("{s:s, s:s, s:o}", "name", name, "until",
	    time_format_rfc3339(t, a), "previous", found ?
	    json_string(time_format_rfc3339(prev, b)) : json_null());
	if (req == NULL || (body = json_dumps(req, JSON_COMPACT)) == NULL) {
		json_decref(req);
		fprintf(stderr, "tidings: out of memory\n");
		return EXIT_FAILED;
	}
	json_decref(req);
	rc = api_raw(c, "POST", "/v1/bookmarks", body, &status, &root);
	free(body);
	if (rc == EXIT_OK && status != 200) {
		fputs("tidings: digest: saving the bookmark: ", stderr);
		reply_error(root, status);
		rc = EXIT_FAILED;
	}
	json_decref(root);
	return rc;
}

static int
cmd_digest(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	const char *since = DIGEST_SINCE, *format = "text", *tag = NULL,
	    *mins = NULL, *output = NULL, *name = DIGEST_DEFAULT_NAME,
	    *to = NULL;
	int quiet = 0, npos, rc, last;
	const struct opt opts[] = {
		{ "--since", &since, NULL }, { "--format", &format, NULL },
		{ "--tag", &tag, NULL }, { "--min-sources", &mins, NULL },
		{ "--output", &output, NULL }, { "--quiet", NULL, &quiet },
		{ "--name", &name, NULL }, { "--to", &to, NULL },
		{ NULL, NULL, NULL }
	};
	char path[QUERY_MAX + sizeof("/v1/stories")], ts[RFC3339_LEN],
	    nbuf[32];
	struct http_reply reply;
	enum digest_format fmt;
	struct digest d;
	struct query q;
	enum opt_result r;
	json_t *root = NULL, *sel = NULL;
	int64_t min_sources = 1, v, prev = 0;
	int found = 0;

	if ((r = opt_parse(cmd, opts, argc, argv, NULL, 0, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (digest_format_parse(format, &fmt) == -1)
		return usage_error(cmd, "unknown --format (text, markdown, "
		    "html, json, atom, email):", format);
	if (!bookmark_name_ok(name))
		return usage_error(cmd, "invalid --name (letters, digits, "
		    "'.', '_', '-'; at most 64):", name);
	if (mins != NULL && (parse_id(mins, &min_sources) == -1 ||
	    min_sources > LIMIT_MAX))
		return usage_error(cmd, "invalid --min-sources:", mins);
	if (tag != NULL && !utf8_valid(tag, strlen(tag)))
		return usage_error(cmd, "arguments must be UTF-8", NULL);
	if (to != NULL && (*to == '\0' || !digest_header_ok(to)))
		return usage_error(cmd, "invalid --to (one line of printable "
		    "ASCII):", to);

	memset(&d, 0, sizeof(d));
	d.name = name;
	d.to = to;
	d.until = time_now();
	last = strcmp(since, "last") == 0;
	if (last) {
		if ((rc = bookmark_get(c, name, &found, &prev)) != EXIT_OK)
			return rc;
		d.since = found ? prev : d.until - DIGEST_FIRST_PERIOD;
	} else if (parse_duration(since, &v) == 0)
		d.since = d.until - v;
	else if (time_parse_rfc3339(since, &v) == 0)
		d.since = v;
	else
		return usage_error(cmd, "invalid --since (last, a duration "
		    "such as 24h, or an RFC 3339 time):", since);

	memset(&q, 0, sizeof(q));
	snprintf(nbuf, sizeof(nbuf), "%d", LIMIT_MAX);
	query_add(c, &q, "since", time_format_rfc3339(d.since, ts));
	query_add(c, &q, "limit", nbuf);
	query_add(c, &q, "tag", tag);
	if (q.overflow) {
		fprintf(stderr, "tidings: digest: query too long\n");
		return EXIT_FAILED;
	}
	snprintf(path, sizeof(path), "/v1/stories%s", q.buf);
	if ((rc = api(c, "GET", path, NULL, &reply, &root)) != EXIT_OK)
		return rc;
	http_reply_free(&reply);
	/*
	 * With --since last a story belongs to the digest that was running
	 * when it was first seen: each story once, in exactly one digest.
	 */
	if ((sel = digest_select(json_object_get(root, "stories"),
	    min_sources, last, d.since, d.until)) == NULL) {
		fprintf(stderr, "tidings: out of memory\n");
		rc = EXIT_FAILED;
		goto done;
	}
	if (json_array_size(json_object_get(root, "stories")) >= LIMIT_MAX)
		fprintf(stderr, "tidings: digest: more than %d stories in the "
		    "period; only the newest are in it\n", LIMIT_MAX);
	d.stories = sel;
	if (output != NULL) {
		if (digest_to_file(output, &d, fmt) == -1) {
			rc = EXIT_FAILED;
			goto done;
		}
		if (!quiet) {
			fprintf(stderr, "tidings: digest: %zu stories written "
			    "to ", json_array_size(sel));
			put_safe(stderr, output);
			fputc('\n', stderr);
		}
	} else if (!quiet || json_array_size(sel) > 0) {
		/* --quiet and nothing new: no output, so cron sends no mail. */
		if (digest_write(stdout, &d, fmt) == -1 || fflush(stdout) ==
		    EOF) {
			fprintf(stderr, "tidings: digest: writing: %s\n",
			    strerror(errno));
			rc = EXIT_FAILED;
			goto done;
		}
	}
	/* Only a digest that was delivered moves the bookmark. */
	if (last)
		rc = bookmark_set(c, name, found, prev, d.until);
done:
	json_decref(sel);
	json_decref(root);
	return rc;
}

static int cmd_helpcmd(struct ctx *, const struct cmd *, int, char **);

/* The filter options of items and search, which list items. */
#define ITEM_FILTERS_HELP \
	"  --since DUR|TIME      items first seen since (no default); e.g. " \
	"90m, 7d,\n" \
	"                        2023-04-26T00:00:00Z\n" \
	"  --until DUR|TIME      items first seen until\n" \
	"  --limit N             at most N (1 to 10000, default 50)\n" \
	"  --tag T               items of feeds tagged T\n" \
	"  --feed ID             items of feed ID\n" \
	"  --unread              unread items only\n" \
	"  --starred             starred items only\n" \
	"  --min-sources N       items of stories covered by at least N " \
	"feeds\n" \
	"  --no-pager            never page, even on a terminal\n" \
	"  --json                print the API's JSON\n"
/* Re-runs story clustering in the daemon over stored items. */
static int
cmd_recluster(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	struct http_reply reply = { 0, NULL, 0 };
	const char *since = NULL;
	const struct opt opts[] = { { "--since", &since, NULL }, { NULL, NULL,
	    NULL } };
	struct query q = { "", 0, 0 };
	enum opt_result r;
	json_t *root = NULL;
	char path[QUERY_MAX + 32];
	int rc, npos;

	if ((r = opt_parse(cmd, opts, argc, argv, NULL, 0, &npos)) != OPT_OK)
		return r == OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (since != NULL && !valid_when(since))
		return usage_error(cmd, "invalid --since (use e.g. 24h, 7d or "
		    "2023-04-26T00:00:00Z):", since);
	query_add(c, &q, "since", since);
	if (q.overflow)
		return usage_error(cmd, "--since is too long", NULL);
	snprintf(path, sizeof(path), "/v1/recluster%s", q.buf);
	if ((rc = api(c, "POST", path, NULL, &reply, &root)) != EXIT_OK)
		return rc;
	http_reply_free(&reply);
	printf("reclustered %lld items, %lld moved to another story, "
	    "%lld stories merged\n",
	    (long long)json_integer_value(json_object_get(root, "items")),
	    (long long)json_integer_value(json_object_get(root, "moved")),
	    (long long)json_integer_value(json_object_get(root, "merges")));
	json_decref(root);
	return EXIT_OK;
}

static const struct cmd cmds[] = {
	{ "status", cmd_status, "[--json]",
	    "", "daemon version, uptime and counts",
	    "Show the daemon's version, uptime and counts.",
	    "  --json                print the API's JSON\n", 1 },
	{ "feeds", cmd_feeds, "[--errors] [--http ID] [--no-pager] [--json]",
	    "", "subscribed feeds and their last poll",
	    "List the subscribed feeds: id, title [tags], items, result of "
	    "the last poll\n(HTTP status or error, with the consecutive "
	    "failures and the last success),\nlast fetch, next poll (or "
	    "paused), URL.  With --http, the recent requests to one feed.",
	    "  --errors              only feeds whose last poll failed\n"
	    "  --http ID             the feed's recent HTTP requests: time, "
	    "status,\n"
	    "                        conditional or not, bytes, duration\n"
	    "  --no-pager            never page, even on a terminal\n"
	    "  --json                print the API's JSON\n", 1 },
	{ "add", cmd_add, "URL [--title T] [--tags a,b] [--interval DUR]",
	    "URL", "subscribe to a feed",
	    "Subscribe to the feed at URL (http or https); it is polled at "
	    "once.",
	    "  --title T             the name to show instead of the feed's "
	    "own title\n"
	    "  --tags a,b            tags, separated by commas\n"
	    "  --interval DUR        poll interval (30m, 2h, 1d); default: the "
	    "daemon's\n"
	    "  --json                print the API's JSON\n", 1 },
	{ "remove", cmd_remove, "ID",
	    "ID", "unsubscribe from a feed",
	    "Unsubscribe from feed ID and delete its items.",
	    "  --json                print the API's JSON\n", 1 },
	{ "refresh", cmd_refresh, "[ID] [--wait] [--timeout DUR]",
	    "[ID]", "poll one feed or all now",
	    "Poll feed ID, or every active feed, now.  With --wait, wait for "
	    "the polls\nto end and print their results; the exit status is 1 "
	    "if one failed,\n5 on timeout.",
	    "  --wait                wait until the polls have ended\n"
	    "  --timeout DUR         give up waiting after DUR (default "
	    "120s)\n", 1 },
	{ "headlines", cmd_headlines, "[FILTERS] [--no-pager] [--json]",
	    "", "the front page: stories, newest first",
	    "List stories, newest first: story id, age, number of sources, "
	    "title and\noutlets.  Read one with `tidings show STORY_ID`.  "
	    "On a terminal the list\ngoes through $PAGER.",
	    "  --since DUR|TIME      stories updated since (default 24h); "
	    "e.g. 90m, 7d,\n"
	    "                        2023-04-26T00:00:00Z\n"
	    "  --until DUR|TIME      stories updated until\n"
	    "  --limit N             at most N (1 to 10000, default 50)\n"
	    "  --tag T               stories with an item from a feed tagged "
	    "T\n"
	    "  --feed ID             stories with an item from feed ID\n"
	    "  --unread              stories with an unread item\n"
	    "  --starred             stories with a starred item\n"
	    "  --min-sources N       stories covered by at least N feeds\n"
	    "  --no-pager            never page, even on a terminal\n"
	    "  --json                print the API's JSON\n", 1 },
	{ "show", cmd_show, "STORY_ID [--open] [--why] [--no-pager] [--json]",
	    "STORY_ID", "a story with every outlet's item",
	    "Show a story: its title, time, sources, then every outlet's "
	    "item with\ntime, title, link and summary.  With --open, open the "
	    "first link with\n$BROWSER (its first command) or xdg-open "
	    "instead.",
	    "  --open                open the story's first link in the "
	    "browser\n"
	    "  --why                 why each item is in the story: the "
	    "clustering\n                        score and the main shared "
	    "terms\n"
	    "  --no-pager            never page, even on a terminal\n"
	    "  --json                print the API's JSON\n", 1 },
	{ "items", cmd_items, "[FILTERS] [--no-pager] [--json]",
	    "", "single items, newest first",
	    "List single items, newest first: story id, age, outlet, title.",
	    ITEM_FILTERS_HELP, 1 },
	{ "parse", cmd_parse, "FILE|- [--url DOC_URL] [--content-type VALUE]",
	    "FILE|-", "parse a feed file locally to JSON",
	    "Parse a feed document locally, without the daemon, and print "
	    "what tidings\nmakes of it as JSON.  Exit status 0 when a feed was "
	    "recognised (\"error\"\nmay still say it was not well-formed), 6 "
	    "when not.",
	    "  --url DOC_URL         the document's URL, the base for relative "
	    "links\n"
	    "  --content-type VALUE  the HTTP Content-Type it came with (its "
	    "charset counts)\n", 0 },
	{ "search", cmd_search, "QUERY... [FILTERS] [--no-pager] [--json]",
	    "QUERY", "full-text search, best match first",
	    "Search item titles and summaries; every word must match, "
	    "\"word*\" matches\na prefix.  Best match first (bm25), each hit "
	    "with a snippet, the\nmatched words in bold (in [brackets] "
	    "without colour).",
	    ITEM_FILTERS_HELP, 1 },
	{ "read", cmd_mark, "STORY_ID... | --all [--before DUR|TIME] "
	    "[--feed ID]",
	    "ID...", "mark stories read",
	    "Mark every item of the stories read, or with --all every item "
	    "(first seen\nbefore --before, of feed --feed).  Read state "
	    "survives restarts and\nre-fetches.",
	    "  --all                 every unread item\n"
	    "  --before DUR|TIME     with --all: items first seen before "
	    "(e.g. 24h)\n"
	    "  --feed ID             with --all: items of feed ID only\n"
	    "  --json                print the API's JSON\n", 1 },
	{ "unread", cmd_mark, "STORY_ID...",
	    "ID...", "mark stories unread",
	    "Mark every item of the stories unread.",
	    "  --json                print the API's JSON\n", 1 },
	{ "star", cmd_mark, "STORY_ID...",
	    "ID...", "star stories",
	    "Star every item of the stories (see --starred on listings).",
	    "  --json                print the API's JSON\n", 1 },
	{ "unstar", cmd_mark, "STORY_ID...",
	    "ID...", "unstar stories",
	    "Take the star off every item of the stories.",
	    "  --json                print the API's JSON\n", 1 },
	{ "edit", cmd_edit, "ID [--title T] [--tags a,b] [--interval DUR] "
	    "[--url URL]",
	    "ID", "change a feed's title, tags, interval or URL",
	    "Change feed ID: what is given changes, the rest stays.  A new "
	    "URL is\npolled at once, without the old validators.  Feeds from "
	    "the config file\nget its values back when the daemon reloads; "
	    "change their URL there.",
	    "  --title T             the name to show; \"\" for the feed's "
	    "own\n"
	    "  --tags a,b            the new tags, separated by commas; \"\" "
	    "for none\n"
	    "  --interval DUR        poll interval (30m, 2h, 1d); 0 for the "
	    "daemon's\n"
	    "  --url URL             the feed's new address (http or https)\n"
	    "  --json                print the API's JSON\n", 1 },
	{ "pause", cmd_pause, "ID",
	    "ID", "stop polling a feed",
	    "Stop polling feed ID; its items stay.",
	    "  --json                print the API's JSON\n", 1 },
	{ "resume", cmd_pause, "ID",
	    "ID", "poll a paused feed again",
	    "Poll feed ID again, starting now.",
	    "  --json                print the API's JSON\n", 1 },
	{ "import", cmd_import, "FILE.opml|- [--quiet]",
	    "FILE.opml", "subscribe to the feeds of an OPML file",
	    "Subscribe to every feed of an OPML 1.0 or 2.0 file.  Nested "
	    "outlines\n(folders) and categories become tags; feeds already "
	    "subscribed are skipped\nand counted; bad entries are reported "
	    "with their line, and make the\nexit status 1.",
	    "  --quiet               no summary line when all went well\n", 1 },
	{ "export", cmd_export, "",
	    "", "the subscriptions as OPML 2.0",
	    "Print the subscriptions as an OPML 2.0 document, tags as "
	    "categories:\n`tidings export > feeds.opml`.",
	    "", 1 },
	{ "digest", cmd_digest, "[--since DUR|TIME|last] [--format F] "
	    "[--tag T]\n       [--min-sources N] [--output FILE] [--quiet] "
	    "[--name NAME] [--to ADDR]",
	    "", "the period's stories, for cron",
	    "Write the stories of a period, most covered first, each with "
	    "its sources.\nWith --since last, a digest continues where the "
	    "previous one of the same\n--name stopped: every story is in "
	    "exactly one digest (see tidings(1)).",
	    "  --since DUR|TIME|last the period (default 24h), or since the "
	    "last digest\n"
	    "  --format F            text, markdown, html, json, atom or "
	    "email\n"
	    "  --tag T               stories with an item from a feed tagged "
	    "T\n"
	    "  --min-sources N       stories with at least N sources\n"
	    "  --output FILE         write FILE (replaced atomically), not "
	    "standard output\n"
	    "  --quiet               nothing on success; no output when no "
	    "stories\n"
	    "  --name NAME           the digest's name for --since last "
	    "(default \"default\")\n"
	    "  --to ADDR             recipient of --format email (default "
	    "$LOGNAME)\n", 1 },
	{ "help", cmd_helpcmd, "[COMMAND]",
	    "[COMMAND]", "this list, or a command's options",
	    "Show the commands, or the options of COMMAND.", "", 0 },
	{ "recluster", cmd_recluster, "[--since DUR]",
	    "", "re-run story clustering over stored items",
	    "Re-run story clustering over the stored items published since "
	    "DUR (default:\nall), oldest first, in one transaction: after a "
	    "[cluster] change.  Stories\nkeep their ids and read state when "
	    "they keep an item; a story merged away\nanswers as the one it "
	    "went into.",
	    "  --since DUR           only items published since DUR (24h, 7d or "
	    "an RFC 3339\n                        time)\n", 1 },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }
};

static void
main_usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: tidings [-s SOCKET] COMMAND [ARGS]\n"
	    "       tidings COMMAND --help | tidings --help | tidings --version\n"
	    "\nCommands:\n");
	for (i = 0; cmds[i].name != NULL; i++) {
		char syn[64];

		snprintf(syn, sizeof(syn), "%s %s", cmds[i].name,
		    cmds[i].listargs);
		fprintf(fp, "  %-22s %s\n", syn, cmds[i].brief);
	}
	fprintf(fp,
	    "\nOptions:\n"
	    "  -s, --socket SOCKET    the daemon's socket; default "
	    "$TIDINGS_SOCKET, else\n"
	    "                         $XDG_RUNTIME_DIR/tidings/tidingsd.sock "
	    "or\n"
	    "                         /tmp/tidings-$UID/tidingsd.sock\n"
	    "  -h, --help             this help\n"
	    "  --version              print the version\n"
	    "\nEvery command that talks to the daemon takes --json to print "
	    "the API's\nJSON instead.  FILTERS of headlines, items and search: "
	    "--since, --until,\n--tag, --feed, --unread, --starred, "
	    "--min-sources, --limit.\n"
	    "\nExit status: 0 ok, 1 the request failed, 2 usage error, "
	    "3 daemon not\nrunning, 4 permission denied on the socket, "
	    "5 timeout, 6 bad\ninput (parse, import).\n"
	    "\nSee tidings(1).\n");
}

static int
cmd_helpcmd(struct ctx *c, const struct cmd *cmd, int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		main_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cmd_help(cmd);
		return EXIT_OK;
	}
	for (i = 0; cmds[i].name != NULL; i++)
		if (strcmp(cmds[i].name, argv[1]) == 0) {
			cmd_help(&cmds[i]);
			return EXIT_OK;
		}
	return usage_error(NULL, "unknown command", argv[1]);
}

int
main(int argc, char **argv)
{
	const struct cmd *cmd = NULL;
	const char *sock_opt = NULL;
	struct ctx c;
	int i, rc;
	size_t k;

	memset(&c, 0, sizeof(c));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			main_usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("tidings %s\n", TIDINGS_VERSION);
			return EXIT_OK;
		}
		if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
			if (i + 1 >= argc)
				return usage_error(NULL, "option needs a "
				    "value:", a);
			sock_opt = argv[++i];
		} else if (strncmp(a, "--socket=", 9) == 0)
			sock_opt = a + 9;
		else if (strncmp(a, "-s", 2) == 0)
			sock_opt = a + 2;
		else
			return usage_error(NULL, "unknown option", a);
		if (*sock_opt == '\0')
			return usage_error(NULL, "empty socket path", NULL);
	}
	if (i >= argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	for (k = 0; cmds[k].name != NULL; k++)
		if (strcmp(cmds[k].name, argv[i]) == 0)
			cmd = &cmds[k];
	if (cmd == NULL)
		return usage_error(NULL, "unknown command", argv[i]);

	output_init(&c.out, stdout);
	if (cmd->daemon) {
		socket_path(&c, sock_opt);
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "tidings: cannot initialise libcurl\n");
			return EXIT_FAILED;
		}
	}
	rc = cmd->run(&c, cmd, argc - i, argv + i);
	if (cmd->daemon) {
		http_close(c.http);
		curl_global_cleanup();
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "tidings: writing output: %s\n",
			    strerror(errno));
		return rc != EXIT_OK ? rc : EXIT_FAILED;
	}
	return rc;
}
