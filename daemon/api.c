/*
 * api.c - the HTTP/1.1 JSON API on a Unix socket (see api.h, docs/API.md).
 *
 * Owns the listening socket and the libmicrohttpd daemon.  MHD runs
 * without threads of its own: its epoll descriptor is watched by one
 * ev_io and its timeout by one ev_timer, and MHD_run() is only ever
 * called from those two callbacks.  Requests read the store and ask the
 * scheduler for refreshes; nothing here touches feeds on the network.
 *
 * MHD's own connection timeout is an idle timeout: a client that sends
 * one byte every few seconds would keep a slot forever.  So every
 * connection also gets a deadline timer of ours (request line within
 * API_LINE_TIMEOUT of connecting, the whole request within
 * API_REQUEST_TIMEOUT); when it fires we shutdown() the socket, MHD sees
 * the end of the stream through epoll and closes the connection itself.
 * shutdown() rather than close(), because MHD still owns the descriptor.
 *
 * At API_MAX_CLIENTS a newcomer does not wait behind clients that sit
 * on a connection without asking anything: MHD may hold one connection
 * more than that, and accepting it evicts the oldest connection that has
 * no request under way (when all are busy or just arrived, see
 * api_evict).  So an idle or trickling flood cannot lock the real client
 * out, and nothing waits in the listen backlog while a silent client
 * holds a slot.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>
#include <jansson.h>
#include <microhttpd.h>

#include "api.h"
#include "bookmark.h"
#include "feed.h"
#include "log.h"
#include "notify.h"
#include "sched.h"
#include "store.h"
#include "util.h"

#define API_LISTEN_BACKLOG	16	/* as the systemd socket unit */
#define API_LINE_TIMEOUT	5	/* s from connect to a full request line */
#define API_REQUEST_TIMEOUT	10	/* s from connect (or request line) to its end */
/*
 * With every slot in a request, one under way this long gives way to a
 * newcomer: our client sends a request at once and is answered in
 * milliseconds, so a full house of slow requests is a slowloris.
 */
#define API_SLOW_REQUEST	0.5	/* s */
/*
 * A connection this new is not yet judged idle: a client's request may
 * follow its connect by a few milliseconds (a thread switch), and until
 * then it looks like a flood's silent connection.
 */
#define API_EVICT_GRACE		0.1	/* s */
/*
 * MHD's per-connection pool holds the request line and headers (the
 * body goes to us in pieces), so this bounds the head of a request; the
 * body is capped separately at API_MAX_REQUEST.
 */
#define API_CONN_MEMORY		((size_t)API_MAX_REQUEST)
/* A chunked body past the cap is read and dropped up to this, then cut. */
#define API_MAX_DISCARD		(1024 * 1024)
#define API_INTERVAL_MAX	(100LL * 365 * 86400)	/* as parse_duration */
#define API_PEER_UNSEEN		(-2L)	/* no client yet; -1 is SO_PEERCRED failed */
#define API_ERR_LEN		256
#define API_LOG_LEN		256
#define API_ID_DIGITS		19	/* INT64_MAX has 19 */
#define API_JSON_FLAGS		(JSON_COMPACT | JSON_ENSURE_ASCII)
#define API_SOURCES_MAX		100000	/* min_sources: more than any story */
#define API_SEARCH_MAX		1024	/* bytes of a search query */

enum api_method {
	M_GET = 1 << 0,
	M_POST = 1 << 1,
	M_DELETE = 1 << 2,
	M_OTHER = 1 << 3,
};

enum api_route_id {
	R_STATUS,
	R_FEEDS,
	R_FEED,
	R_FEED_REFRESH,
	R_REFRESH,
	R_STORIES,
	R_STORY,
	R_ITEMS,
	R_FEED_EDIT,
	R_FEED_PAUSE,
	R_FEED_RESUME,
	R_STORY_READ,
	R_STORY_STAR,
	R_READ_ALL,
	R_SEARCH,
	R_BOOKMARKS,
	R_RECLUSTER,
	R_FEED_HTTP,
};

struct api_route {
	const char	*pattern;	/* "{id}" matches one positive id */
	enum api_route_id id;
	unsigned	 methods;
};

static const struct api_route api_routes[] = {
	{ "/v1/status",			R_STATUS,	M_GET },
	{ "/v1/feeds",			R_FEEDS,	M_GET | M_POST },
	{ "/v1/feeds/{id}",		R_FEED,		M_GET | M_DELETE },
	{ "/v1/feeds/{id}/refresh",	R_FEED_REFRESH,	M_POST },
	{ "/v1/refresh",		R_REFRESH,	M_POST },
	{ "/v1/stories",		R_STORIES,	M_GET },
	{ "/v1/stories/{id}",		R_STORY,	M_GET },
	{ "/v1/items",			R_ITEMS,	M_GET },
	{ "/v1/feeds/{id}/edit",	R_FEED_EDIT,	M_POST },
	{ "/v1/feeds/{id}/pause",	R_FEED_PAUSE,	M_POST },
	{ "/v1/feeds/{id}/resume",	R_FEED_RESUME,	M_POST },
	{ "/v1/stories/{id}/read",	R_STORY_READ,	M_POST | M_DELETE },
	{ "/v1/stories/{id}/star",	R_STORY_STAR,	M_POST | M_DELETE },
	{ "/v1/read",			R_READ_ALL,	M_POST },
	{ "/v1/search",			R_SEARCH,	M_GET },
	{ "/v1/bookmarks",		R_BOOKMARKS,	M_GET | M_POST },
	{ "/v1/recluster",		R_RECLUSTER,	M_POST },
	{ "/v1/feeds/{id}/http",	R_FEED_HTTP,	M_GET },
};

struct api {
	struct ev_loop	*loop;
	struct api_ctx	*ctx;
	struct MHD_Daemon *mhd;
	char		*path;
	dev_t		 dev;		/* of the socket we bound, so that */
	ino_t		 ino;		/* api_stop unlinks only that one */
	ev_io		 io;		/* MHD's epoll descriptor */
	ev_timer	 timer;		/* MHD's timeout */
	ev_timer	 evict;		/* an eviction put off one iteration */
	TAILQ_HEAD(api_conns, api_conn) conns;	/* oldest first */
	unsigned int	 nlive;		/* connections not evicted */
	long		 peer_uid;	/* last client's credentials, */
	long		 peer_gid;	/* logged when they change */
};

/* One client connection (MHD's socket context). */
struct api_conn {
	TAILQ_ENTRY(api_conn) entry;
	struct api	*api;
	int		 fd;		/* owned by MHD */
	long		 pid;		/* -1 when SO_PEERCRED failed */
	long		 uid;
	long		 gid;
	ev_tstamp	 accepted;
	ev_tstamp	 start;		/* of the request being read; < 0 idle */
	int		 busy;		/* a request line came, no answer sent yet */
	int		 evicted;	/* shut down, MHD has yet to close it */
	ev_timer	 deadline;
};

/* One request (MHD's request context). */
struct api_req {
	char		*body;
	size_t		 len;
	size_t		 cap;
	size_t		 discarded;
	int		 too_large;
};

/* What a handler answers: a status and a JSON body (owned). */
struct api_reply {
	unsigned	 status;
	json_t		*body;
	unsigned	 allow;		/* methods, for 405 */
};

static void	api_schedule_run(struct api *);

/* Makes msg valid UTF-8 for jansson by replacing every non-ASCII byte. */
static void
api_ascii(char *msg)
{
	unsigned char *p;

	if (utf8_valid(msg, strlen(msg)))
		return;
	for (p = (unsigned char *)msg; *p != '\0'; p++)
		if (*p >= 0x80)
			*p = '?';
}

static void api_error(struct api_reply *, unsigned, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* Sets an {"error": ...} reply. */
static void
api_error(struct api_reply *r, unsigned status, const char *fmt, ...)
{
	char msg[API_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_ascii(msg);
	json_decref(r->body);
	r->status = status;
	r->body = json_pack("{s:s}", "error", msg);
}

/* The store failed: 500 with its message, logged once here. */
static void
api_store_error(struct api *a, struct api_reply *r, int rc, const char *what)
{
	const char *msg = rc == STORE_ERR ? store_errmsg(a->ctx->store) : NULL;
	char esc[API_LOG_LEN];

	if (msg == NULL)
		msg = "unexpected result";
	log_warn("api: %s: storage error: %s", what,
	    log_escape(msg, esc, sizeof(esc)));
	api_error(r, 500, "storage error: %s", msg);
}

/*
 * Strict id: decimal digits only, 1..INT64_MAX, nothing else.  Returns
 * the number of characters used (stopping at stop or the end), 0 if bad.
 */
static size_t
api_parse_id(const char *s, char stop, int64_t *id)
{
	int64_t v = 0;
	size_t n;

	for (n = 0; s[n] != '\0' && s[n] != stop; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= API_ID_DIGITS)
			return 0;
		if (v > (INT64_MAX - (s[n] - '0')) / 10)
			return 0;
		v = v * 10 + (s[n] - '0');
	}
	if (n == 0 || v == 0)
		return 0;
	*id = v;
	return n;
}

/* Matches url against pattern, taking the "{id}" if there is one. */
static int
api_match(const char *pattern, const char *url, int64_t *id)
{
	static const char idtok[] = "{id}";
	const char *p = pattern, *u = url;
	size_t n;

	while (*p != '\0') {
		if (strncmp(p, idtok, sizeof(idtok) - 1) == 0) {
			if ((n = api_parse_id(u, '/', id)) == 0)
				return 0;
			p += sizeof(idtok) - 1;
			u += n;
		} else if (*p++ != *u++)
			return 0;
	}
	return *u == '\0';
}

static const struct api_route *
api_route_find(const char *url, int64_t *id)
{
	size_t i;

	for (i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++)
		if (api_match(api_routes[i].pattern, url, id))
			return &api_routes[i];
	return NULL;
}

/* HEAD is GET without the body, which MHD leaves out by itself. */
static unsigned
api_method(const char *m)
{
	if (strcmp(m, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(m, MHD_HTTP_METHOD_HEAD) == 0)
		return M_GET;
	if (strcmp(m, MHD_HTTP_METHOD_POST) == 0)
		return M_POST;
	if (strcmp(m, MHD_HTTP_METHOD_DELETE) == 0)
		return M_DELETE;
	return M_OTHER;
}

static void
api_allow(unsigned methods, char *buf, size_t n)
{
	buf[0] = '\0';
	if (methods & M_GET)
		snprintf(buf + strlen(buf), n - strlen(buf), "GET, HEAD");
	if (methods & M_POST)
		snprintf(buf + strlen(buf), n - strlen(buf), "%sPOST",
		    buf[0] ? ", " : "");
	if (methods & M_DELETE)
		snprintf(buf + strlen(buf), n - strlen(buf), "%sDELETE",
		    buf[0] ? ", " : "");
}

/* A listing from the store as {"name": [...]}, whichever shape it gave. */
static json_t *
api_wrap(const char *name, json_t *v)
{
	if (v == NULL || !json_is_array(v))
		return v;
	return json_pack("{s:o}", name, v);
}

/* Query parameters */

/* The value of a query parameter; an empty one counts as absent. */
static const char *
api_arg(struct MHD_Connection *mc, const char *name)
{
	const char *v = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND,
	    name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* since/until: a duration back from now, or an RFC 3339 time. */
static int
api_arg_time(struct MHD_Connection *mc, const char *name, int64_t now,
    int64_t *t, struct api_reply *r)
{
	const char *v = api_arg(mc, name);
	int64_t secs;

	*t = TIME_NONE;
	if (v == NULL)
		return 0;
	if (parse_duration(v, &secs) == 0) {
		*t = now - secs;
		return 0;
	}
	if (time_parse_rfc3339(v, t) == 0)
		return 0;
	api_error(r, 400, "bad %s: expected a duration (90s, 30m, 24h, 7d) "
	    "or an RFC 3339 time", name);
	return -1;
}

/* A boolean parameter: 1/true or 0/false; absent leaves *on at 0. */
static int
api_arg_flag(struct MHD_Connection *mc, const char *name, int *on,
    struct api_reply *r)
{
	const char *v = api_arg(mc, name);

	*on = 0;
	if (v == NULL || strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
		return 0;
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
		*on = 1;
		return 0;
	}
	api_error(r, 400, "bad %s: expected 1, true, 0 or false", name);
	return -1;
}

static int
api_query(struct MHD_Connection *mc, struct store_query *q,
    struct api_reply *r)
{
	const char *v;
	int64_t now = time_now(), n;

	memset(q, 0, sizeof(*q));
	if (api_arg_time(mc, "since", now, &q->since, r) == -1 ||
	    api_arg_time(mc, "until", now, &q->until, r) == -1)
		return -1;
	if ((v = api_arg(mc, "limit")) != NULL) {
		if (api_parse_id(v, '\0', &n) == 0 || n > STORE_LIMIT_MAX) {
			api_error(r, 400, "bad limit: expected 1 to %d",
			    STORE_LIMIT_MAX);
			return -1;
		}
		q->limit = (int)n;
	}
	if ((v = api_arg(mc, "feed")) != NULL &&
	    api_parse_id(v, '\0', &q->feed_id) == 0) {
		api_error(r, 400, "bad feed: expected a feed id");
		return -1;
	}
	if (api_arg_flag(mc, "unread", &q->unread, r) == -1 ||
	    api_arg_flag(mc, "starred", &q->starred, r) == -1)
		return -1;
	if ((v = api_arg(mc, "min_sources")) != NULL) {
		if (api_parse_id(v, '\0', &n) == 0 || n > API_SOURCES_MAX) {
			api_error(r, 400, "bad min_sources: expected 1 to %d",
			    API_SOURCES_MAX);
			return -1;
		}
		q->min_sources = (int)n;
	}
	if ((v = api_arg(mc, "tag")) != NULL) {
		if (!utf8_valid(v, strlen(v))) {
			api_error(r, 400, "bad tag: not UTF-8");
			return -1;
		}
		q->tag = v;
	}
	return 0;
}

/* Endpoints */

static void
api_status(struct api *a, struct api_reply *r)
{
	struct api_ctx *c = a->ctx;
	struct sched_stats st;
	char started[RFC3339_LEN];
	json_t *o, *db;
	int64_t up = time_now() - c->started;
	int rc;

	memset(&st, 0, sizeof(st));
	sched_stats(c->sched, &st);
	/* A path that is not UTF-8 cannot be a JSON string. */
	db = c->database != NULL ? json_string(c->database) : NULL;
	o = json_pack("{s:s, s:s, s:I, s:o, s:I, s:I, s:I}",
	    "version", c->version != NULL ? c->version : "",
	    "started", time_format_rfc3339(c->started, started),
	    "uptime", (json_int_t)(up > 0 ? up : 0),
	    "database", db != NULL ? db : json_null(),
	    "in_flight", (json_int_t)st.in_flight,
	    "polls", (json_int_t)st.polls,
	    "errors", (json_int_t)st.errors);
	if (o == NULL) {
		api_error(r, 500, "out of memory");
		return;
	}
	if ((rc = store_json_status(c->store, o)) != STORE_OK) {
		json_decref(o);
		api_store_error(a, r, rc, "status");
		return;
	}
	r->status = 200;
	r->body = o;
}

static void
api_feeds(struct api *a, struct api_reply *r)
{
	json_t *v = NULL;
	int rc;

	if ((rc = store_json_feeds(a->ctx->store, &v)) != STORE_OK) {
		json_decref(v);
		api_store_error(a, r, rc, "list feeds");
		return;
	}
	r->status = 200;
	if ((r->body = api_wrap("feeds", v)) == NULL)
		api_error(r, 500, "out of memory");
}

/* GET of one object by id: a Feed or a Story. */
static void
api_one(struct api *a, struct api_reply *r, int64_t id, int story)
{
	json_t *v = NULL;
	int rc;

	rc = story ? store_json_story(a->ctx->store, id, &v) :
	    store_json_feed(a->ctx->store, id, &v);
	if (rc == STORE_NOTFOUND) {
		json_decref(v);
		api_error(r, 404, "no %s with id %" PRId64,
		    story ? "story" : "feed", id);
		return;
	}
	if (rc != STORE_OK || v == NULL) {
		json_decref(v);
		api_store_error(a, r, rc, story ? "get story" : "get feed");
		return;
	}
	r->status = 200;
	r->body = v;
}

static void
api_listing(struct api *a, struct MHD_Connection *mc, struct api_reply *r,
    int stories)
{
	struct store_query q;
	json_t *v = NULL;
	int rc;

	if (api_query(mc, &q, r) == -1)
		return;
	rc = stories ? store_json_stories(a->ctx->store, &q, &v) :
	    store_json_items(a->ctx->store, &q, &v);
	if (rc != STORE_OK) {
		json_decref(v);
		api_store_error(a, r, rc, stories ? "list stories" :
		    "list items");
		return;
	}
	r->status = 200;
	if ((r->body = api_wrap(stories ? "stories" : "items", v)) == NULL)
		api_error(r, 500, "out of memory");
}

/* The "tags" member: an array of non-empty strings, joined with ','. */
static int
api_tags(json_t *tags, char **out, struct api_reply *r)
{
	size_t i, len = 0;
	json_t *t;
	char *s;

	*out = NULL;
	if (tags == NULL || json_is_null(tags))
		return 0;
	if (!json_is_array(tags)) {
		api_error(r, 400, "tags: expected an array of strings");
		return -1;
	}
	json_array_foreach(tags, i, t) {
		if (!json_is_string(t) || json_string_length(t) == 0 ||
		    strchr(json_string_value(t), ',') != NULL) {
			api_error(r, 400, "tags: expected non-empty strings "
			    "without commas");
			return -1;
		}
		len += json_string_length(t) + 1;
	}
	if (json_array_size(tags) == 0)
		return 0;
	if ((s = malloc(len)) == NULL) {
		api_error(r, 500, "out of memory");
		return -1;
	}
	s[0] = '\0';
	json_array_foreach(tags, i, t) {
		if (i > 0)
			strcat(s, ",");
		strcat(s, json_string_value(t));
	}
	*out = s;
	return 0;
}

/* The "interval" member: a duration string or whole seconds, >= 0. */
static int
api_interval(json_t *v, int64_t *secs, struct api_reply *r)
{
	*secs = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v) &&
	    parse_duration(json_string_value(v), secs) == 0)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= API_INTERVAL_MAX) {
		*secs = json_integer_value(v);
		return 0;
	}
	api_error(r, 400, "interval: expected a duration (\"30m\") or "
	    "seconds");
	return -1;
}

/*
 * The body of a POST as a JSON object with only the given fields; NULL
 * after a 400 reply.
 */
static json_t *
api_body_object(struct api_req *q, const char *const *fields, size_t n,
    struct api_reply *r)
{
	json_error_t jerr;
	json_t *root, *v;
	const char *key;
	size_t i;

	root = json_loadb(q->body != NULL ? q->body : "", q->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		api_error(r, 400, "bad JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		api_error(r, 400, "expected a JSON object");
		json_decref(root);
		return NULL;
	}
	json_object_foreach(root, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(key, fields[i]) == 0)
				break;
		if (i == n) {
			api_error(r, 400, "unknown field \"%.64s\"", key);
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

static void
api_feed_add(struct api *a, struct api_req *q, struct api_reply *r)
{
	static const char *const fields[] = { "url", "title", "tags",
	    "interval" };
	json_t *root, *url, *title, *feed = NULL;
	char *tags = NULL;
	int64_t interval, id = 0;
	int rc;

	if ((root = api_body_object(q, fields, sizeof(fields) /
	    sizeof(fields[0]), r)) == NULL)
		return;
	url = json_object_get(root, "url");
	if (!json_is_string(url) || json_string_length(url) == 0) {
		api_error(r, 400, "url: required, a string");
		goto done;
	}
	title = json_object_get(root, "title");
	if (title != NULL && !json_is_null(title) && !json_is_string(title)) {
		api_error(r, 400, "title: expected a string");
		goto done;
	}
	if (api_tags(json_object_get(root, "tags"), &tags, r) == -1 ||
	    api_interval(json_object_get(root, "interval"), &interval,
	    r) == -1)
		goto done;

	rc = store_feed_add(a->ctx->store, json_string_value(url),
	    json_is_string(title) ? json_string_value(title) : NULL, tags,
	    interval, &id);
	switch (rc) {
	case STORE_OK:
		break;
	case STORE_INVALID:
		api_error(r, 400, "url: expected an absolute http or https "
		    "URL");
		goto done;
	case STORE_EXISTS:
		api_error(r, 409, "a feed with this URL exists already");
		goto done;
	default:
		api_store_error(a, r, rc, "add feed");
		goto done;
	}
	sched_kick(a->ctx->sched);
	if ((rc = store_json_feed(a->ctx->store, id, &feed)) != STORE_OK ||
	    feed == NULL) {
		json_decref(feed);
		api_store_error(a, r, rc, "get new feed");
		goto done;
	}
	r->status = 201;
	r->body = feed;
 done:
	free(tags);
	json_decref(root);
}

static void
api_feed_delete(struct api *a, int64_t id, struct api_reply *r)
{
	int rc;

	if ((rc = store_feed_delete(a->ctx->store, id)) == STORE_NOTFOUND) {
		api_error(r, 404, "no feed with id %" PRId64, id);
		return;
	}
	if (rc != STORE_OK) {
		api_store_error(a, r, rc, "delete feed");
		return;
	}
	sched_kick(a->ctx->sched);
	r->status = 200;
	if ((r->body = json_pack("{s:I}", "deleted", (json_int_t)id)) == NULL)
		api_error(r, 500, "out of memory");
}

static void
api_feed_refresh(struct api *a, int64_t id, struct api_reply *r)
{
	struct store_feed f;
	int64_t polls;
	int rc, paused;

	memset(&f, 0, sizeof(f));
	rc = store_feed_get(a->ctx->store, id, &f);
	polls = f.polls;
	paused = f.paused;
	store_feed_free(&f);
	if (rc == STORE_OK && paused) {
		/* It would never be polled: say so rather than queue it. */
		api_error(r, 409, "feed %" PRId64 " is paused; resume it first",
		    id);
		return;
	}
	if (rc == STORE_OK)
		rc = sched_refresh(a->ctx->sched, id);
	if (rc == STORE_NOTFOUND) {
		api_error(r, 404, "no feed with id %" PRId64, id);
		return;
	}
	if (rc != STORE_OK) {
		api_store_error(a, r, rc, "refresh feed");
		return;
	}
	r->status = 202;
	r->body = json_pack("{s:i, s:I}", "queued", 1, "polls",
	    (json_int_t)polls);
	if (r->body == NULL)
		api_error(r, 500, "out of memory");
}

static void
api_refresh_all(struct api *a, struct api_reply *r)
{
	size_t n = sched_refresh_all(a->ctx->sched);

	r->status = 202;
	if ((r->body = json_pack("{s:I}", "queued", (json_int_t)n)) == NULL)
		api_error(r, 500, "out of memory");
}

/* A reply of one Feed or Story after a change; 404 if it went meanwhile. */
static void
api_one_after(struct api *a, struct api_reply *r, int64_t id, int story,
    int rc, const char *what)
{
	if (rc == STORE_NOTFOUND) {
		api_error(r, 404, "no %s with id %" PRId64,
		    story ? "story" : "feed", id);
		return;
	}
	if (rc != STORE_OK) {
		api_store_error(a, r, rc, what);
		return;
	}
	api_one(a, r, id, story);
}

/* POST /v1/feeds/{id}/edit: the members present change, the rest stay. */
static void
api_feed_edit(struct api *a, int64_t id, struct api_req *q,
    struct api_reply *r)
{
	static const char *const fields[] = { "url", "title", "tags",
	    "interval" };
	struct store_feed_edit e;
	json_t *root, *v;
	char *tags = NULL;
	int rc;

	memset(&e, 0, sizeof(e));
	if ((root = api_body_object(q, fields, sizeof(fields) /
	    sizeof(fields[0]), r)) == NULL)
		return;
	if ((v = json_object_get(root, "url")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0) {
			api_error(r, 400, "url: expected a string");
			goto done;
		}
		e.url = json_string_value(v);
	}
	if ((v = json_object_get(root, "title")) != NULL) {
		if (!json_is_null(v) && !json_is_string(v)) {
			api_error(r, 400, "title: expected a string or null");
			goto done;
		}
		e.set_title = 1;
		e.title = json_string_value(v);
	}
	if ((v = json_object_get(root, "tags")) != NULL) {
		if (api_tags(v, &tags, r) == -1)
			goto done;
		e.set_tags = 1;
		e.tags = tags;
	}
	if ((v = json_object_get(root, "interval")) != NULL) {
		if (api_interval(v, &e.interval, r) == -1)
			goto done;
		e.set_interval = 1;
	}
	rc = store_feed_edit(a->ctx->store, id, &e);
	if (rc == STORE_INVALID)
		api_error(r, 400, "url: expected an absolute http or https "
		    "URL");
	else if (rc == STORE_EXISTS)
		api_error(r, 409, "%s", store_errmsg(a->ctx->store));
	else {
		if (rc == STORE_OK)
			sched_kick(a->ctx->sched);
		api_one_after(a, r, id, 0, rc, "edit feed");
	}
 done:
	free(tags);
	json_decref(root);
}

static void
api_feed_pause(struct api *a, int64_t id, int pause, struct api_reply *r)
{
	int rc = store_feed_pause(a->ctx->store, id, pause);

	if (rc == STORE_OK)
		sched_kick(a->ctx->sched);
	api_one_after(a, r, id, 0, rc, pause ? "pause feed" : "resume feed");
}

/* POST marks a story's items read (starred), DELETE unmarks them. */
static void
api_story_mark(struct api *a, int64_t id, enum store_mark what, int on,
    struct api_reply *r)
{
	api_one_after(a, r, id, 1, store_story_mark(a->ctx->store, id, what,
	    on), "mark story");
}

/* POST /v1/read?before=&feed=: everything (so far) read. */
static void
api_read_all(struct api *a, struct MHD_Connection *mc, struct api_reply *r)
{
	const char *v;
	int64_t before, feed = 0, n = 0;
	int rc;

	if (api_arg_time(mc, "before", time_now(), &before, r) == -1)
		return;
	if ((v = api_arg(mc, "feed")) != NULL &&
	    api_parse_id(v, '\0', &feed) == 0) {
		api_error(r, 400, "bad feed: expected a feed id");
		return;
	}
	if ((rc = store_mark_all_read(a->ctx->store, before, feed, &n)) !=
	    STORE_OK) {
		api_store_error(a, r, rc, "mark read");
		return;
	}
	r->status = 200;
	if ((r->body = json_pack("{s:I}", "marked", (json_int_t)n)) == NULL)
		api_error(r, 500, "out of memory");
}

/* GET /v1/search?q=WORDS and the listing filters. */
static void
api_search(struct api *a, struct MHD_Connection *mc, struct api_reply *r)
{
	struct store_query q;
	const char *words = api_arg(mc, "q");
	json_t *v = NULL;
	int rc;

	if (words == NULL || strlen(words) > API_SEARCH_MAX ||
	    !utf8_valid(words, strlen(words))) {
		api_error(r, 400, "bad q: expected 1 to %d bytes of UTF-8",
		    API_SEARCH_MAX);
		return;
	}
	if (api_query(mc, &q, r) == -1)
		return;
	rc = store_json_search(a->ctx->store, words, &q, &v);
	if (rc == STORE_INVALID) {
		api_error(r, 400, "bad q: no words to search for");
		return;
	}
	if (rc != STORE_OK) {
		json_decref(v);
		api_store_error(a, r, rc, "search");
		return;
	}
	r->status = 200;
	r->body = v;
}

/* {"name": ..., "until": RFC 3339}, or a 500 reply. */
static void
api_bookmark_reply(struct api_reply *r, const char *name, int64_t until)
{
	char t[RFC3339_LEN];

	r->status = 200;
	if ((r->body = json_pack("{s:s, s:s}", "name", name, "until",
	    time_format_rfc3339(until, t))) == NULL)
		api_error(r, 500, "out of memory");
}

/* A bookmark time member: an RFC 3339 string. */
static int
api_bookmark_time(json_t *v, const char *what, int64_t *t,
    struct api_reply *r)
{
	if (!json_is_string(v) || time_parse_rfc3339(json_string_value(v),
	    t) == -1) {
		api_error(r, 400, "%s: expected an RFC 3339 time", what);
		return -1;
	}
	return 0;
}

/*
 * GET ?name=: where digest name stopped.  POST {"name", "until",
 * "previous"}: moves it, only from previous when that is given (null:
 * only when there is none yet), so that two digests of one name cannot
 * both deliver the same stories unnoticed (409).
 */
static void
api_bookmarks(struct api *a, struct MHD_Connection *mc, struct api_req *q,
    unsigned method, struct api_reply *r)
{
	json_error_t jerr;
	json_t *root = NULL, *prev, *v;
	const char *name, *key;
	int64_t until, pt = STORE_BOOKMARK_NONE;
	int rc;

	if (method != M_POST) {
		if (!bookmark_name_ok(name = api_arg(mc, "name"))) {
			api_error(r, 400, "name: 1 to %d letters, digits, '.', "
			    "'_' or '-'", BOOKMARK_NAME_MAX);
			return;
		}
		rc = store_bookmark_get(a->ctx->store, name, &until);
		if (rc == STORE_NOTFOUND)
			api_error(r, 404, "no bookmark named %s", name);
		else if (rc != STORE_OK)
			api_store_error(a, r, rc, "bookmark");
		else
			api_bookmark_reply(r, name, until);
		return;
	}
	root = json_loadb(q->body != NULL ? q->body : "", q->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		api_error(r, 400, "expected a JSON object");
		goto done;
	}
	json_object_foreach(root, key, v)
		if (strcmp(key, "name") != 0 && strcmp(key, "until") != 0 &&
		    strcmp(key, "previous") != 0) {
			api_error(r, 400, "unknown field \"%.64s\"", key);
			goto done;
		}
	name = json_string_value(json_object_get(root, "name"));
	if (!bookmark_name_ok(name)) {
		api_error(r, 400, "name: 1 to %d letters, digits, '.', '_' or "
		    "'-'", BOOKMARK_NAME_MAX);
		goto done;
	}
	if (api_bookmark_time(json_object_get(root, "until"), "until",
	    &until, r) == -1)
		goto done;
	prev = json_object_get(root, "previous");
	if (prev != NULL && !json_is_null(prev) &&
	    api_bookmark_time(prev, "previous", &pt, r) == -1)
		goto done;
	rc = store_bookmark_set(a->ctx->store, name, until, prev != NULL, pt);
	if (rc == STORE_EXISTS)
		api_error(r, 409, "bookmark %s moved meanwhile: another digest "
		    "of this name ran", name);
	else if (rc != STORE_OK)
		api_store_error(a, r, rc, "bookmark");
	else
		api_bookmark_reply(r, name, until);
done:
	json_decref(root);
}

/* POST /v1/recluster[?since=]: clustering again, one transaction. */
static void
api_recluster(struct api *a, struct MHD_Connection *mc, struct api_reply *r)
{
	struct store_recluster st;
	int64_t since;
	int rc;

	if (api_arg_time(mc, "since", time_now(), &since, r) == -1)
		return;
	rc = store_recluster(a->ctx->store, since, &st);
	if (rc == STORE_INVALID) {
		api_error(r, 409, "%s", store_errmsg(a->ctx->store));
		return;
	}
	if (rc != STORE_OK) {
		api_store_error(a, r, rc, "recluster");
		return;
	}
	r->status = 200;
	if ((r->body = json_pack("{s:I,s:I,s:I}", "items",
	    (json_int_t)st.items, "moved", (json_int_t)st.moved, "merges",
	    (json_int_t)st.merges)) == NULL)
		api_error(r, 500, "out of memory");
}

/* The self-audit: the feed's recent requests, newest first. */
static void
api_feed_http(struct api *a, int64_t id, struct api_reply *r)
{
	struct store_feed f;
	json_t *reqs;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = store_feed_get(a->ctx->store, id, &f);
	if (rc == STORE_NOTFOUND) {
		api_error(r, 404, "no feed with id %" PRId64, id);
		return;
	}
	if (rc != STORE_OK) {
		api_store_error(a, r, rc, "read feed");
		return;
	}
	if ((reqs = sched_history_json(a->ctx->sched, id)) == NULL ||
	    (r->body = json_pack("{s:I, s:s, s:o}", "feed_id", (json_int_t)id,
	    "url", f.url, "requests", reqs)) == NULL)
		api_error(r, 500, "out of memory");
	else
		r->status = 200;
	store_feed_free(&f);
}

static void
api_dispatch(struct api *a, struct MHD_Connection *mc,
    const struct api_route *rt, int64_t id, struct api_req *q,
    unsigned method, struct api_reply *r)
{
	switch (rt->id) {
	case R_STATUS:
		api_status(a, r);
		break;
	case R_FEEDS:
		if (method == M_POST)
			api_feed_add(a, q, r);
		else
			api_feeds(a, r);
		break;
	case R_FEED:
		if (method == M_DELETE)
			api_feed_delete(a, id, r);
		else
			api_one(a, r, id, 0);
		break;
	case R_FEED_REFRESH:
		api_feed_refresh(a, id, r);
		break;
	case R_REFRESH:
		api_refresh_all(a, r);
		break;
	case R_STORIES:
		api_listing(a, mc, r, 1);
		break;
	case R_STORY:
		api_one(a, r, id, 1);
		break;
	case R_ITEMS:
		api_listing(a, mc, r, 0);
		break;
	case R_FEED_EDIT:
		api_feed_edit(a, id, q, r);
		break;
	case R_FEED_PAUSE:
	case R_FEED_RESUME:
		api_feed_pause(a, id, rt->id == R_FEED_PAUSE, r);
		break;
	case R_STORY_READ:
	case R_STORY_STAR:
		api_story_mark(a, id, rt->id == R_STORY_READ ?
		    STORE_MARK_READ : STORE_MARK_STARRED, method == M_POST, r);
		break;
	case R_READ_ALL:
		api_read_all(a, mc, r);
		break;
	case R_SEARCH:
		api_search(a, mc, r);
		break;
	case R_BOOKMARKS:
		api_bookmarks(a, mc, q, method, r);
		break;
	case R_RECLUSTER:
		api_recluster(a, mc, r);
		break;
	case R_FEED_HTTP:
		api_feed_http(a, id, r);
		break;
	}
}

/* MHD plumbing */

/* Dumps the reply as one line of JSON and queues it; frees r->body. */
static enum MHD_Result
api_send(struct MHD_Connection *mc, struct api_conn *c, const char *method,
    const char *url, struct api_reply *r)
{
	static const char oom[] = "{\"error\":\"out of memory\"}\n";
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char allow[64], m[API_LOG_LEN], u[API_LOG_LEN], *buf = NULL, *nbuf;
	size_t len = 0;

	if (r->body != NULL &&
	    (buf = json_dumps(r->body, API_JSON_FLAGS)) != NULL) {
		len = strlen(buf);
		/* A final newline, for people reading it with curl. */
		if ((nbuf = realloc(buf, len + 2)) == NULL) {
			free(buf);
			buf = NULL;
		} else {
			buf = nbuf;
			buf[len++] = '\n';
			buf[len] = '\0';
		}
	}
	json_decref(r->body);
	r->body = NULL;
	if (buf != NULL)
		resp = MHD_create_response_from_buffer(len, buf,
		    MHD_RESPMEM_MUST_FREE);
	else {
		r->status = 500;
		resp = MHD_create_response_from_buffer(sizeof(oom) - 1,
		    (void *)oom, MHD_RESPMEM_PERSISTENT);
	}
	if (resp == NULL) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	if (r->status == 405) {
		api_allow(r->allow, allow, sizeof(allow));
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	ret = MHD_queue_response(mc, r->status, resp);
	MHD_destroy_response(resp);
	log_debug("api: pid %ld uid %ld: %s %s: %u", c != NULL ? c->pid : -1L,
	    c != NULL ? c->uid : -1L, log_escape(method, m, sizeof(m)),
	    log_escape(url, u, sizeof(u)), r->status);
	return ret;
}

/* Appends a piece of the body; past the cap it is counted and dropped. */
static int
api_body_add(struct api_req *q, const char *data, size_t n)
{
	char *nb;
	size_t ncap;

	if (q->too_large || n > API_MAX_REQUEST - q->len) {
		q->too_large = 1;
		q->discarded += n;
		return q->discarded <= API_MAX_DISCARD ? 0 : -1;
	}
	if (q->len + n > q->cap) {
		ncap = q->cap != 0 ? q->cap : 1024;
		while (ncap < q->len + n)
			ncap *= 2;
		if (ncap > API_MAX_REQUEST)
			ncap = API_MAX_REQUEST;
		if ((nb = realloc(q->body, ncap)) == NULL)
			return -1;
		q->body = nb;
		q->cap = ncap;
	}
	memcpy(q->body + q->len, data, n);
	q->len += n;
	return 0;
}

static struct api_conn *
api_conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

static void
api_deadline_set(struct api_conn *c, ev_tstamp after)
{
	ev_timer_stop(c->api->loop, &c->deadline);
	ev_timer_set(&c->deadline, after > 0 ? after : 0, 0);
	ev_timer_start(c->api->loop, &c->deadline);
}

static enum MHD_Result
api_handler(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct api *a = cls;
	struct api_conn *c = api_conn_of(mc);
	struct api_req *q = *req_cls;
	struct api_reply r = { 0, NULL, 0 };
	const struct api_route *rt;
	const char *cl;
	unsigned m = api_method(method);
	int64_t id = 0;

	rt = api_route_find(url, &id);
	if (q == NULL) {
		/* Headers complete: refuse what we can before any body. */
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		*req_cls = q;
		cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (rt == NULL)
			api_error(&r, 404, "no such path");
		else if ((rt->methods & m) == 0) {
			api_error(&r, 405, "method not allowed");
			r.allow = rt->methods;
		} else if (cl != NULL &&
		    strtoull(cl, NULL, 10) > API_MAX_REQUEST)
			/* MHD has checked it is a number; huge ones saturate. */
			api_error(&r, 413, "request body larger than %d bytes",
			    API_MAX_REQUEST);
		else
			return MHD_YES;
		if (c != NULL)
			ev_timer_stop(a->loop, &c->deadline);
		return api_send(mc, c, method, url, &r);
	}
	if (*upload_size != 0) {
		if (api_body_add(q, upload, *upload_size) == -1)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	/* The whole request is in; what is left is our answer. */
	if (c != NULL)
		ev_timer_stop(a->loop, &c->deadline);
	if (q->too_large)
		api_error(&r, 413, "request body larger than %d bytes",
		    API_MAX_REQUEST);
	else
		api_dispatch(a, mc, rt, id, q, m, &r);
	if (r.body == NULL && r.status == 0)
		api_error(&r, 500, "no answer");
	return api_send(mc, c, method, url, &r);
}

/* A request ended (answered or not): free it, wait for the next. */
static void
api_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct api_req *q = *req_cls;
	struct api_conn *c = api_conn_of(mc);

	if (q != NULL) {
		free(q->body);
		free(q);
		*req_cls = NULL;
	}
	if (c != NULL && !c->evicted) {
		/* Idle between requests; bytes trickling in do not count. */
		c->start = -1;
		c->busy = 0;
		api_deadline_set(c, API_IDLE_TIMEOUT);
	}
}

/* The request line is in: the rest must follow within the deadline. */
static void *
api_uri_log(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct api_conn *c = api_conn_of(mc);
	ev_tstamp now;

	if (c != NULL && !c->evicted) {
		now = ev_now(c->api->loop);
		c->busy = 1;
		if (c->start < 0)
			c->start = now;
		api_deadline_set(c, c->start + API_REQUEST_TIMEOUT - now);
	}
	return NULL;
}

/* Ends a connection MHD owns: it sees the end of the stream and closes. */
static void
api_close(struct api_conn *c, const char *why)
{
	log_debug("api: pid %ld uid %ld: %s, closing", c->pid, c->uid, why);
	shutdown(c->fd, SHUT_RDWR);
	if (!c->evicted) {
		c->evicted = 1;
		c->api->nlive--;
	}
	ev_timer_stop(c->api->loop, &c->deadline);
	api_schedule_run(c->api);
}

static void
api_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	api_close(w->data, "request too slow");
}

/* Bytes wait to be read: a request MHD has not looked at yet. */
static int
api_conn_talking(const struct api_conn *c)
{
	struct pollfd pfd;

	pfd.fd = c->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/*
 * Over the limit.  First a client that has hung up while MHD has not
 * looked yet; else the oldest connection not in a request and with
 * nothing waiting to be read, else the oldest not in a request.  Those
 * accepted less than API_EVICT_GRACE ago may not have been heard yet and
 * are spared: when only they are left, the choice waits that long
 * (`final` 0).  Then the request under way longest, if it has been
 * longer than API_SLOW_REQUEST; else the newest that has sent nothing;
 * else the newest.  A flood's connections are silent or trickle bytes
 * MHD has already read, while a real client's request is waiting by the
 * time the choice is made.
 */
static void
api_evict(struct api *a, int final)
{
	struct api_conn *c, *slow;
	struct pollfd pfd;
	ev_tstamp now = ev_now(a->loop), heard = now - API_EVICT_GRACE;

	TAILQ_FOREACH(c, &a->conns, entry) {
		pfd.fd = c->fd;
		pfd.events = 0;		/* POLLHUP comes anyway */
		if (!c->evicted && poll(&pfd, 1, 0) == 1 &&
		    (pfd.revents & (POLLHUP | POLLERR))) {
			api_close(c, "client gone");
			return;
		}
	}
	TAILQ_FOREACH(c, &a->conns, entry)
		if (!c->evicted && !c->busy && c->accepted <= heard &&
		    !api_conn_talking(c)) {
			api_close(c, "idle while clients wait");
			return;
		}
	TAILQ_FOREACH(c, &a->conns, entry)
		if (!c->evicted && !c->busy && c->accepted <= heard) {
			api_close(c, "idle while clients wait");
			return;
		}
	if (!final) {
		/* MHD holds one connection over the limit until then. */
		if (!ev_is_active(&a->evict)) {
			ev_timer_set(&a->evict, API_EVICT_GRACE, 0.);
			ev_timer_start(a->loop, &a->evict);
		}
		return;
	}
	slow = NULL;
	TAILQ_FOREACH(c, &a->conns, entry)
		if (!c->evicted && c->busy && c->start < now - API_SLOW_REQUEST &&
		    (slow == NULL || c->start < slow->start))
			slow = c;
	if (slow != NULL) {
		api_close(slow, "request too slow while clients wait");
		return;
	}
	TAILQ_FOREACH_REVERSE(c, &a->conns, api_conns, entry)
		if (!c->evicted && !c->busy && !api_conn_talking(c)) {
			api_close(c, "too many clients, and silent");
			return;
		}
	api_close(TAILQ_LAST(&a->conns, api_conns), "too many clients");
}

static void
api_evict_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct api *a = w->data;

	(void)loop;
	(void)revents;
	if (a->nlive > API_MAX_CLIENTS)
		api_evict(a, 1);
}

/*
 * Who uses the API is worth a line in the log, but once per change of
 * user rather than once per request, so a busy client cannot flood it.
 */
static void
api_note_peer(struct api *a, const struct api_conn *c)
{
	if (c->uid == a->peer_uid && c->gid == a->peer_gid)
		return;
	log_info("api: client uid %ld gid %ld (pid %ld)", c->uid, c->gid,
	    c->pid);
	a->peer_uid = c->uid;
	a->peer_gid = c->gid;
}

static void
api_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct api *a = cls;
	struct api_conn *c;
	const union MHD_ConnectionInfo *ci;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if ((c = *socket_context) != NULL) {
			ev_timer_stop(a->loop, &c->deadline);
			TAILQ_REMOVE(&a->conns, c, entry);
			if (!c->evicted)
				a->nlive--;
			free(c);
			*socket_context = NULL;
		}
		return;
	}
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		/* Without a deadline the client may not stay. */
		shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	c->api = a;
	c->fd = ci->connect_fd;
	c->pid = c->uid = c->gid = -1;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->pid = (long)cred.pid;
		c->uid = (long)cred.uid;
		c->gid = (long)cred.gid;
	}
	api_note_peer(a, c);
	c->accepted = c->start = ev_now(a->loop);
	ev_timer_init(&c->deadline, api_deadline_cb, API_LINE_TIMEOUT, 0);
	c->deadline.data = c;
	ev_timer_start(a->loop, &c->deadline);
	*socket_context = c;
	TAILQ_INSERT_TAIL(&a->conns, c, entry);
	if (++a->nlive > API_MAX_CLIENTS)
		api_evict(a, 0);
}

static void
api_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[API_LOG_LEN], esc[API_LOG_LEN];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* Client-caused noise mostly: debug, so clients cannot flood logs. */
	log_debug("api: libmicrohttpd: %s", log_escape(msg, esc, sizeof(esc)));
}

static unsigned int
api_nconns(struct api *a)
{
	const union MHD_DaemonInfo *di;

	di = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di != NULL ? di->num_connections : 0;
}

/* Runs MHD, then arms the timer for when it next needs to run. */
static void
api_run(struct api *a)
{
	MHD_UNSIGNED_LONG_LONG ms;
	unsigned int before = api_nconns(a);

	MHD_run(a->mhd);
	/*
	 * At its connection limit MHD takes the listening socket out of its
	 * epoll set, and puts it back only at the start of a later
	 * MHD_run().  When the run that closed connections leaves nothing
	 * else to wait for (all clients gone at once), no event would ever
	 * come and the API would be deaf for good; so run once more, which
	 * is cheap when there is nothing to do.
	 */
	if (api_nconns(a) < before)
		MHD_run(a->mhd);
	ev_timer_stop(a->loop, &a->timer);
	if (MHD_get_timeout(a->mhd, &ms) == MHD_YES) {
		ev_timer_set(&a->timer, (ev_tstamp)ms / 1000.0, 0);
		ev_timer_start(a->loop, &a->timer);
	}
}

/* Makes MHD run on the next loop iteration (not from inside MHD). */
static void
api_schedule_run(struct api *a)
{
	ev_timer_stop(a->loop, &a->timer);
	ev_timer_set(&a->timer, 0, 0);
	ev_timer_start(a->loop, &a->timer);
}

static void
api_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	api_run(w->data);
}

static void
api_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	api_run(w->data);
}

/* Socket */

/*
 * Makes room for a new socket at path: nothing there, or a stale socket
 * nobody answers on (removed).  Refuses anything else.
 */
static int
api_clear_path(const char *path, const struct sockaddr_un *sun, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, rc, saved;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full is a listener. */
	if (rc == 0 || saved == EAGAIN || saved == EINPROGRESS) {
		snprintf(err, errlen, "another tidingsd is listening on %s",
		    path);
		return -1;
	}
	if (saved == ENOENT)
		return 0;
	if (saved != ECONNREFUSED) {
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove stale socket %s: %s",
		    path, strerror(errno));
		return -1;
	}
	log_info("api: removed stale socket %s", path);
	return 0;
}

/* Binds and listens on path with exactly mode; -1 on failure. */
static int
api_listen(struct api *a, const char *path, mode_t mode, char *err,
    size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, rc, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] == '\0' ||
	    str_copy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long or empty "
		    "(at most %zu bytes): %s", sizeof(sun.sun_path) - 1, path);
		return -1;
	}
	if (api_clear_path(path, &sun, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* The socket is born with mode: no moment where it is wider. */
	old = umask(~mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	umask(old);
	if (rc == -1) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(saved));
		close(fd);
		return -1;
	}
	if (chmod(path, mode & 0777) == -1 || lstat(path, &st) == -1 ||
	    listen(fd, API_LISTEN_BACKLOG) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	return fd;
}

/* Removes our socket, unless someone has replaced it meanwhile. */
static void
api_unlink(struct api *a)
{
	struct stat st;

	if (lstat(a->path, &st) == 0 && st.st_dev == a->dev &&
	    st.st_ino == a->ino)
		unlink(a->path);
}

struct api *
api_start(struct ev_loop *loop, const char *path, mode_t mode,
    struct api_ctx *ctx, char *err, size_t errlen)
{
	struct api *a;
	const union MHD_DaemonInfo *di;
	int fd;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(a);
		return NULL;
	}
	a->loop = loop;
	a->ctx = ctx;
	TAILQ_INIT(&a->conns);
	a->peer_uid = a->peer_gid = API_PEER_UNSEEN;
	/*
	 * A socket from systemd (tidingsd.socket) has its owner and mode
	 * from the unit; dev/ino stay 0, so api_stop never unlinks it.
	 */
	if ((fd = notify_listen_fd()) == -1 &&
	    (fd = api_listen(a, path, mode, err, errlen)) == -1) {
		free(a->path);
		free(a);
		return NULL;
	}
	/*
	 * MHD suppresses SIGPIPE itself on Linux (MSG_NOSIGNAL), which
	 * MHD_FEATURE_AUTOSUPPRESS_SIGPIPE reports; tidingsd ignores
	 * SIGPIPE as well.  We use no file responses, so there is no
	 * sendfile() to unlock with MHD_OPTION_SIGPIPE_HANDLED_BY_APP.
	 */
	a->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, api_handler, a,
	    MHD_OPTION_EXTERNAL_LOGGER, api_mhd_log, a,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_MAX_CLIENTS + 1,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_IDLE_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, API_CONN_MEMORY,
	    MHD_OPTION_NOTIFY_CONNECTION, api_notify, a,
	    MHD_OPTION_NOTIFY_COMPLETED, api_completed, a,
	    MHD_OPTION_URI_LOG_CALLBACK, api_uri_log, a,
	    MHD_OPTION_END);
	if (a->mhd == NULL ||
	    (di = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_EPOLL_FD)) ==
	    NULL) {
		snprintf(err, errlen, "cannot start libmicrohttpd on %s", path);
		if (a->mhd != NULL)
			MHD_stop_daemon(a->mhd);	/* closes fd */
		else if (fcntl(fd, F_GETFD) != -1)
			close(fd);	/* MHD gave it back */
		api_unlink(a);
		free(a->path);
		free(a);
		return NULL;
	}
	ev_io_init(&a->io, api_io_cb, di->epoll_fd, EV_READ);
	a->io.data = a;
	/*
	 * Clients first: when a request and finished polls are ready in
	 * the same loop iteration, the request is answered before the
	 * polls are stored, so it waits for at most the commit under way.
	 */
	ev_set_priority(&a->io, EV_MAXPRI);
	ev_io_start(loop, &a->io);
	ev_init(&a->timer, api_timer_cb);
	a->timer.data = a;
	ev_set_priority(&a->timer, EV_MAXPRI);
	ev_timer_init(&a->evict, api_evict_cb, API_EVICT_GRACE, 0.);
	a->evict.data = a;
	ev_set_priority(&a->evict, EV_MAXPRI);
	api_run(a);
	return a;
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	/* Closes every connection (our callbacks free them) and the socket. */
	MHD_stop_daemon(a->mhd);
	ev_io_stop(a->loop, &a->io);
	ev_timer_stop(a->loop, &a->timer);
	ev_timer_stop(a->loop, &a->evict);
	api_unlink(a);
	free(a->path);
	free(a);
}
