/*
 * test_api.c - the API server end to end: a real libev loop and a real
 * store in a child process, libcurl and raw sockets as clients in the
 * parent, which does all the checking.
 *
 * The scheduler is stubbed: this file defines all four functions of
 * sched.h, so the linker never needs daemon/sched.o from libdaemon.a.
 * The stubs run in the server process and record into a shared page the
 * parent reads.  (A thread would be simpler, but <pthread.h> pulls in
 * <sched.h>, which -Idaemon resolves to daemon/sched.h.)  SIGPIPE is
 * left at its default in the server on purpose: if it ever wrote to a
 * closed client without MSG_NOSIGNAL, it would die and the checks fail.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>
#include <jansson.h>

#include "api.h"
#include "log.h"
#include "sched.h"
#include "store.h"
#include "store_fts.h"
#include "util.h"
#include "test.h"

#define T_VERSION	"9.9.9-test"
#define T_UPTIME	5		/* started this long before now */
#define T_MODE		0600
#define T_SERVER_MAX	90.0		/* s: the server stops itself after */
#define T_EXIT_WAIT	20		/* s for the server to exit when asked */
#define T_EXIT_TIMEOUT	3		/* server exit status: T_SERVER_MAX hit */
#define T_CURL_TIMEOUT	20L		/* s per request */
#define T_MAX_BODY	(16 * 1024 * 1024)
#define T_RAW_WAIT	3000		/* ms for a raw reply */
#define T_STUB_QUEUED	5
#define T_STUB_POLLS	7
#define T_STUB_ERRORS	1
#define T_STUB_FLIGHT	2
/* The server's deadlines (api.c): request line 5 s, request 10 s. */
#define T_LINE_DEADLINE	5.0
#define T_REQ_DEADLINE	10.0
#define T_SLACK		3.0
#define T_BURSTS	60

/* Scheduler stubs, recording into a page shared with the parent */

struct stub_state {
	atomic_int	 kicks;
	atomic_int	 refreshes;
	atomic_int	 refresh_alls;
	atomic_int	 wrong_sched;
	atomic_llong	 last_id;
};
static struct stub_state *stub;
static char stub_sched_obj;
#define STUB_SCHED ((struct sched *)(void *)&stub_sched_obj)

int
sched_refresh(struct sched *s, int64_t feed_id)
{
	atomic_store(&stub->last_id, feed_id);
	atomic_fetch_add(&stub->refreshes, 1);
	if (s != STUB_SCHED)
		atomic_store(&stub->wrong_sched, 1);
	return STORE_OK;
}

size_t
sched_refresh_all(struct sched *s)
{
	atomic_fetch_add(&stub->refresh_alls, 1);
	if (s != STUB_SCHED)
		atomic_store(&stub->wrong_sched, 1);
	return T_STUB_QUEUED;
}

void
sched_kick(struct sched *s)
{
	atomic_fetch_add(&stub->kicks, 1);
	if (s != STUB_SCHED)
		atomic_store(&stub->wrong_sched, 1);
}

void
sched_stats(const struct sched *s, struct sched_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->in_flight = T_STUB_FLIGHT;
	st->polls = T_STUB_POLLS;
	st->errors = T_STUB_ERRORS;
}

json_t *
sched_history_json(const struct sched *s, int64_t feed_id)
{
	return json_array();
}

#define stub_get(field) atomic_load(field)

/* The server process */

static char sock_path[256];
static int srv_timed_out;

static void
srv_term_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void
srv_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	srv_timed_out = 1;
	ev_break(loop, EVBREAK_ALL);
}

/* Runs the API until SIGTERM; tells the parent through ready when up. */
static int
srv_main(const char *dbpath, int ready)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct api_ctx ctx;
	struct store *store;
	struct api *api = NULL;
	ev_signal term;
	ev_timer deadline;
	char err[256];

	if ((store = store_open(dbpath, err, sizeof(err))) == NULL)
		fprintf(stderr, "store_open: %s\n", err);
	else if (store_fts_catch_up(dbpath, err, sizeof(err)) != 0)
		fprintf(stderr, "store_fts_catch_up: %s\n", err);
	else {
		memset(&ctx, 0, sizeof(ctx));
		ctx.store = store;
		ctx.sched = STUB_SCHED;
		ctx.version = T_VERSION;
		ctx.started = time_now() - T_UPTIME;
		ctx.database = dbpath;
		if ((api = api_start(loop, sock_path, T_MODE, &ctx, err,
		    sizeof(err))) == NULL)
			fprintf(stderr, "api_start: %s\n", err);
	}
	if (write(ready, api != NULL ? "1" : "0", 1) != 1 || api == NULL) {
		store_close(store);
		return 1;
	}
	close(ready);
	ev_signal_init(&term, srv_term_cb, SIGTERM);
	ev_signal_start(loop, &term);
	ev_timer_init(&deadline, srv_deadline_cb, T_SERVER_MAX, 0);
	ev_timer_start(loop, &deadline);
	ev_run(loop, 0);
	ev_signal_stop(loop, &term);
	ev_timer_stop(loop, &deadline);
	api_stop(api);
	store_close(store);
	ev_loop_destroy(loop);
	return srv_timed_out ? T_EXIT_TIMEOUT : 0;
}

/* HTTP through libcurl */

struct resp {
	long	 status;
	char	*body;
	size_t	 len;
	char	 ctype[64];
	char	 allow[64];
	json_t	*json;
};

static CURL *curl;

static size_t
resp_write(char *data, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;
	char *nb;

	if (r->len + len > T_MAX_BODY ||
	    (nb = realloc(r->body, r->len + len + 1)) == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static size_t
resp_header(char *data, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n, v;

	if (len > 6 && strncasecmp(data, "Allow:", 6) == 0) {
		for (v = 6; v < len && data[v] == ' '; v++)
			;
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)(len - v),
		    data + v);
		r->allow[strcspn(r->allow, "\r\n")] = '\0';
	}
	return len;
}

static void
resp_free(struct resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/* One request; body NULL for none.  Fills r (free with resp_free). */
static void
http(struct resp *r, const char *method, const char *path, const char *body,
    size_t bodylen)
{
	char url[1024];
	char *ct = NULL;
	struct curl_slist *hdrs = NULL;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, sock_path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, T_CURL_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, resp_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, resp_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)bodylen);
	}
	/*
	 * The server refuses an over-size body from its headers and
	 * closes: a client still sending it may see "Failed sending data"
	 * instead of the 413 (under TSan, where the server is slow to
	 * answer, it did).  A careful client waits for the verdict.
	 */
	if (body != NULL && bodylen > API_MAX_REQUEST) {
		hdrs = curl_slist_append(NULL, "Expect: 100-continue");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS,
		    T_CURL_TIMEOUT * 1000L);
	}
	rc = curl_easy_perform(curl);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		fprintf(stderr, "curl %s %s: %s\n", method, path,
		    curl_easy_strerror(rc));
		return;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
	if (r->len > 0)
		r->json = json_loadb(r->body, r->len, 0, NULL);
}

static void
http_str(struct resp *r, const char *method, const char *path,
    const char *body)
{
	http(r, method, path, body, body != NULL ? strlen(body) : 0);
}

static long long
jint(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : -999;
}

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An error reply: the status, JSON, and an "error" string. */
static void
check_error(const char *method, const char *path, const char *body,
    long status, const char *needle)
{
	struct resp r;
	const char *msg;

	http_str(&r, method, path, body);
	CHECK_INT(r.status, status);
	CHECK_STR(r.ctype, "application/json");
	msg = jstr(r.json, "error");
	CHECK(msg != NULL);
	if (needle != NULL && (msg == NULL || strstr(msg, needle) == NULL)) {
		fprintf(stderr, "  %s %s: error \"%s\" lacks \"%s\"\n", method,
		    path, msg != NULL ? msg : "(none)", needle);
		CHECK(0);
	}
	resp_free(&r);
}

/* Raw sockets */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
raw_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	str_copy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
raw_send(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, data, len, MSG_NOSIGNAL)) <= 0)
			return;		/* the server may cut us off: fine */
		data += n;
		len -= (size_t)n;
	}
}

/* Reads until EOF, a full buffer or ms; returns the bytes (NUL-ended). */
static size_t
raw_read(int fd, char *out, size_t outsz, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double end = now_s() + ms / 1000.0;
	size_t len = 0;
	ssize_t n;

	while (len + 1 < outsz) {
		int left = (int)((end - now_s()) * 1000);

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		if ((n = recv(fd, out + len, outsz - 1 - len, 0)) <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	return len;
}

/* Sends req on a new connection and returns what came back. */
static size_t
raw_exchange(const char *req, size_t len, char *out, size_t outsz)
{
	int fd;
	size_t n;

	out[0] = '\0';
	if ((fd = raw_connect(sock_path)) == -1)
		return 0;
	raw_send(fd, req, len);
	n = raw_read(fd, out, outsz, T_RAW_WAIT);
	close(fd);
	return n;
}

static void
check_alive(void)
{
	struct resp r;

	http_str(&r, "GET", "/v1/status", NULL);
	CHECK_INT(r.status, 200);
	resp_free(&r);
}

/* Socket creation, outside the running loop */

static void
test_socket(const char *dir, struct api_ctx *ctx)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char path[512], longp[300], err[256];
	struct sockaddr_un sun;
	struct api *a;
	struct stat st;
	mode_t old;
	int fd;

	CHECK(loop != NULL);

	/* Too long for sun_path. */
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	err[0] = '\0';
	CHECK(api_start(loop, longp, T_MODE, ctx, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "too long") != NULL);

	/* A regular file is never removed. */
	snprintf(path, sizeof(path), "%s/plain", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1);
	close(fd);
	err[0] = '\0';
	CHECK(api_start(loop, path, T_MODE, ctx, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a socket") != NULL);
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	unlink(path);

	/* Somebody listens there: refuse, leave it alone. */
	snprintf(path, sizeof(path), "%s/busy.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	str_copy(sun.sun_path, path, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd != -1 && bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    listen(fd, 4) == 0);
	err[0] = '\0';
	CHECK(api_start(loop, path, T_MODE, ctx, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "another tidingsd is listening on") != NULL);
	CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode));
	close(fd);

	/*
	 * The same socket, now stale (nobody listens): replaced.  A
	 * permissive umask must not widen the mode, a strict one must not
	 * narrow it, and the process umask comes back unchanged.
	 */
	old = umask(0);
	a = api_start(loop, path, T_MODE, ctx, err, sizeof(err));
	CHECK(a != NULL);
	if (a == NULL)
		fprintf(stderr, "  api_start: %s\n", err);
	CHECK_INT(umask(0077), 0);
	CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK_INT(st.st_mode & 07777, T_MODE);
	fd = raw_connect(path);
	CHECK(fd != -1);
	if (fd != -1)
		close(fd);
	api_stop(a);
	CHECK(lstat(path, &st) == -1 && errno == ENOENT);

	a = api_start(loop, path, 0660, ctx, err, sizeof(err));
	CHECK(a != NULL);
	CHECK_INT(umask(old), 0077);
	CHECK(lstat(path, &st) == 0 && (st.st_mode & 07777) == 0660);
	api_stop(a);
	CHECK(lstat(path, &st) == -1 && errno == ENOENT);
	api_stop(NULL);

	ev_loop_destroy(loop);
}

/* Endpoints */

static void
test_status(const char *dbpath)
{
	struct resp r;
	const char *s;

	http_str(&r, "GET", "/v1/status", NULL);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.ctype, "application/json");
	CHECK(json_is_object(r.json));
	CHECK_STR(jstr(r.json, "version"), T_VERSION);
	CHECK_STR(jstr(r.json, "database"), dbpath);
	CHECK(jint(r.json, "uptime") >= T_UPTIME &&
	    jint(r.json, "uptime") < T_UPTIME + 60);
	s = jstr(r.json, "started");
	CHECK(s != NULL && strlen(s) == 20 && s[19] == 'Z');
	CHECK_INT(jint(r.json, "in_flight"), T_STUB_FLIGHT);
	CHECK_INT(jint(r.json, "polls"), T_STUB_POLLS);
	CHECK_INT(jint(r.json, "errors"), T_STUB_ERRORS);
	CHECK(jint(r.json, "feeds") >= 0);
	CHECK(jint(r.json, "items") >= 0);
	CHECK(jint(r.json, "stories") >= 0);
	CHECK(jint(r.json, "unread") >= 0);
	/* One line of JSON, ending with a newline. */
	CHECK(r.len > 0 && r.body[r.len - 1] == '\n' &&
	    memchr(r.body, '\n', r.len - 1) == NULL);
	resp_free(&r);

	http_str(&r, "HEAD", "/v1/status", NULL);
	CHECK_INT(r.status, 200);
	CHECK_INT(r.len, 0);
	resp_free(&r);
}

static long long
feed_count(void)
{
	struct resp r;
	long long n;

	http_str(&r, "GET", "/v1/feeds", NULL);
	n = json_is_array(json_object_get(r.json, "feeds")) ?
	    (long long)json_array_size(json_object_get(r.json, "feeds")) : -1;
	resp_free(&r);
	return n;
}

/* Builds a POST /v1/feeds body of exactly size bytes (space padded). */
static char *
padded_body(const char *json, size_t size)
{
	char *b = malloc(size + 1);
	size_t n = strlen(json);

	if (b == NULL)
		return NULL;
	memcpy(b, json, n);
	memset(b + n, ' ', size - n);
	b[size] = '\0';
	return b;
}

static int64_t
test_feed_add(void)
{
	struct resp r;
	json_t *tags;
	char *big;
	int64_t id;
	int kicks = stub_get(&stub->kicks);

	http_str(&r, "POST", "/v1/feeds",
	    "{\"url\": \"https://example.org/feed.xml\", \"title\": "
	    "\"Example\", \"tags\": [\"news\", \"world\"], \"interval\": "
	    "\"30m\"}");
	CHECK_INT(r.status, 201);
	CHECK_STR(r.ctype, "application/json");
	id = jint(r.json, "id");
	CHECK(id > 0);
	CHECK_STR(jstr(r.json, "url"), "https://example.org/feed.xml");
	CHECK_STR(jstr(r.json, "title"), "Example");
	CHECK_INT(jint(r.json, "interval"), 1800);
	tags = json_object_get(r.json, "tags");
	CHECK(json_is_array(tags) && json_array_size(tags) == 2);
	CHECK_STR(json_string_value(json_array_get(tags, 0)), "news");
	CHECK_STR(json_string_value(json_array_get(tags, 1)), "world");
	CHECK_INT(stub_get(&stub->kicks), kicks + 1);
	resp_free(&r);

	check_error("POST", "/v1/feeds",
	    "{\"url\": \"https://example.org/feed.xml\"}", 409, "exists");
	CHECK_INT(stub_get(&stub->kicks), kicks + 1);
	check_error("POST", "/v1/feeds", "{\"url\": \"ftp://example.org/f\"}",
	    400, "url");
	check_error("POST", "/v1/feeds", "{\"url\": \"file:///etc/passwd\"}",
	    400, "url");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\"",
	    400, "JSON");
	check_error("POST", "/v1/feeds", "not json", 400, "JSON");
	check_error("POST", "/v1/feeds", "", 400, "JSON");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\", "
	    "\"url\": \"https://b.example/\"}", 400, "JSON");
	check_error("POST", "/v1/feeds", "[\"https://a.example/\"]", 400,
	    "object");
	check_error("POST", "/v1/feeds", "{}", 400, "url");
	check_error("POST", "/v1/feeds", "{\"url\": 5}", 400, "url");
	check_error("POST", "/v1/feeds", "{\"url\": \"\"}", 400, "url");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\", "
	    "\"title\": 3}", 400, "title");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\", "
	    "\"tags\": \"a\"}", 400, "tags");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\", "
	    "\"tags\": [\"a,b\"]}", 400, "tags");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\", "
	    "\"tags\": [1]}", 400, "tags");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\", "
	    "\"interval\": \"soon\"}", 400, "interval");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\", "
	    "\"interval\": -1}", 400, "interval");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\", "
	    "\"interval\": 1.5}", 400, "interval");
	check_error("POST", "/v1/feeds", "{\"url\": \"https://a.example/\", "
	    "\"colour\": \"red\"}", 400, "colour");
	CHECK_INT(stub_get(&stub->kicks), kicks + 1);

	/*
	 * Integer seconds, no tags; a title with a C0 and a C1 control and
	 * an accent comes back escaped, the output plain printable ASCII.
	 */
	http_str(&r, "POST", "/v1/feeds",
	    "{\"url\": \"http://second.example/rss\", \"interval\": 600, "
	    "\"title\": \"Caf\\u00e9 \\u001b[31m \\u009b\", \"tags\": null}");
	CHECK_INT(r.status, 201);
	CHECK(jint(r.json, "id") > id);
	CHECK_INT(jint(r.json, "interval"), 600);
	CHECK_STR(jstr(r.json, "title"), "Caf\xc3\xa9 \x1b[31m \xc2\x9b");
	CHECK(r.body != NULL && strstr(r.body, "Caf\\u00E9 \\u001B[31m "
	    "\\u009B") != NULL);
	{
		size_t k, bad = 0;

		for (k = 0; k + 1 < r.len; k++)
			if ((unsigned char)r.body[k] < 0x20 ||
			    (unsigned char)r.body[k] >= 0x7f)
				bad++;
		CHECK_INT(bad, 0);
	}
	resp_free(&r);

	/* A body of exactly API_MAX_REQUEST bytes is fine ... */
	big = padded_body("{\"url\": \"https://pad.example/\"}",
	    API_MAX_REQUEST);
	CHECK(big != NULL);
	http(&r, "POST", "/v1/feeds", big, API_MAX_REQUEST);
	CHECK_INT(r.status, 201);
	resp_free(&r);
	free(big);
	/* ... one more is not, and nothing is added. */
	big = padded_body("{\"url\": \"https://toobig.example/\"}",
	    API_MAX_REQUEST + 1);
	CHECK(big != NULL);
	http(&r, "POST", "/v1/feeds", big, API_MAX_REQUEST + 1);
	CHECK_INT(r.status, 413);
	CHECK_STR(r.ctype, "application/json");
	CHECK(jstr(r.json, "error") != NULL);
	resp_free(&r);
	free(big);
	CHECK_INT(feed_count(), 3);
	CHECK_INT(stub_get(&stub->kicks), kicks + 3);
	return id;
}

/* Chunked bodies: assembled from pieces, and capped without a length. */
static void
test_chunked(void)
{
	static const char head[] = "POST /v1/feeds HTTP/1.1\r\n"
	    "Host: localhost\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n";
	static const char ok[] = "POST /v1/feeds HTTP/1.1\r\n"
	    "Host: localhost\r\nTransfer-Encoding: chunked\r\n"
	    "Connection: close\r\n\r\n"
	    "d\r\n{\"url\": \"http\r\n"
	    "16\r\ns://chunked.example/\"}\r\n"
	    "0\r\n\r\n";
	char out[4096], chunk[8192 + 16], *req;
	size_t len, i, n;

	raw_exchange(ok, sizeof(ok) - 1, out, sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 201 ", 13) == 0);
	CHECK(strstr(out, "\"https://chunked.example/\"") != NULL);

	/* 9 chunks of 8 KiB: past the cap with no Content-Length to see. */
	len = sizeof(head) - 1;
	req = malloc(len + 9 * sizeof(chunk) + 8);
	CHECK(req != NULL);
	if (req == NULL)
		return;
	memcpy(req, head, len);
	n = (size_t)snprintf(chunk, sizeof(chunk), "2000\r\n");
	memset(chunk + n, ' ', 8192);
	memcpy(chunk + n + 8192, "\r\n", 2);
	n += 8192 + 2;
	for (i = 0; i < 9; i++) {
		memcpy(req + len, chunk, n);
		len += n;
	}
	memcpy(req + len, "0\r\n\r\n", 5);
	len += 5;
	raw_exchange(req, len, out, sizeof(out));
	CHECK(strncmp(out, "HTTP/1.1 413 ", 13) == 0);
	CHECK(strstr(out, "application/json") != NULL);
	free(req);
}

static void
test_feeds(int64_t id)
{
	struct resp r;
	json_t *feeds, *f;
	char path[128];
	size_t i;
	int found = 0, refreshes, alls;

	http_str(&r, "GET", "/v1/feeds", NULL);
	CHECK_INT(r.status, 200);
	feeds = json_object_get(r.json, "feeds");
	CHECK(json_is_array(feeds) && json_array_size(feeds) == 4);
	json_array_foreach(feeds, i, f)
		if (jint(f, "id") == id &&
		    strcmp(jstr(f, "url"), "https://example.org/feed.xml") == 0)
			found = 1;
	CHECK(found);
	resp_free(&r);

	snprintf(path, sizeof(path), "/v1/feeds/%lld", (long long)id);
	http_str(&r, "GET", path, NULL);
	CHECK_INT(r.status, 200);
	CHECK_INT(jint(r.json, "id"), id);
	CHECK(jint(r.json, "polls") >= 0);
	resp_free(&r);

	check_error("GET", "/v1/feeds/999999", NULL, 404, "999999");
	check_error("GET", "/v1/feeds/0", NULL, 404, NULL);
	check_error("GET", "/v1/feeds/-1", NULL, 404, NULL);
	check_error("GET", "/v1/feeds/1x", NULL, 404, NULL);
	check_error("GET", "/v1/feeds/+1", NULL, 404, NULL);
	check_error("GET", "/v1/feeds/99999999999999999999", NULL, 404, NULL);
	check_error("GET", "/v1/feeds/", NULL, 404, NULL);
	check_error("GET", "/v1/feeds//refresh", NULL, 404, NULL);

	/* Refresh one: the counter before the poll, and the stub called. */
	refreshes = stub_get(&stub->refreshes);
	http_str(&r, "GET", path, NULL);
	snprintf(path, sizeof(path), "/v1/feeds/%lld/refresh", (long long)id);
	{
		long long polls = jint(r.json, "polls");
		struct resp r2;

		http_str(&r2, "POST", path, "");
		CHECK_INT(r2.status, 202);
		CHECK_INT(jint(r2.json, "queued"), 1);
		CHECK_INT(jint(r2.json, "polls"), polls);
		resp_free(&r2);
	}
	resp_free(&r);
	CHECK_INT(stub_get(&stub->refreshes), refreshes + 1);
	CHECK_INT(stub_get(&stub->last_id), id);
	check_error("POST", "/v1/feeds/999999/refresh", "", 404, NULL);
	check_error("GET", path, NULL, 405, NULL);
	CHECK_INT(stub_get(&stub->refreshes), refreshes + 1);

	alls = stub_get(&stub->refresh_alls);
	http_str(&r, "POST", "/v1/refresh", NULL);
	CHECK_INT(r.status, 202);
	CHECK_INT(jint(r.json, "queued"), T_STUB_QUEUED);
	resp_free(&r);
	CHECK_INT(stub_get(&stub->refresh_alls), alls + 1);
}

static void
test_routes(void)
{
	struct resp r;

	check_error("GET", "/v1/nope", NULL, 404, NULL);
	check_error("GET", "/", NULL, 404, NULL);
	check_error("GET", "/v1/status/", NULL, 404, NULL);
	check_error("GET", "/v2/status", NULL, 404, NULL);
	check_error("POST", "/v1/nope", "{}", 404, NULL);

	http_str(&r, "GET", "/v1/refresh", NULL);
	CHECK_INT(r.status, 405);
	CHECK_STR(r.allow, "POST");
	CHECK(jstr(r.json, "error") != NULL);
	resp_free(&r);
	http_str(&r, "PUT", "/v1/feeds", "{}");
	CHECK_INT(r.status, 405);
	CHECK_STR(r.allow, "GET, HEAD, POST");
	resp_free(&r);
	http_str(&r, "PATCH", "/v1/feeds/1", "{}");
	CHECK_INT(r.status, 405);
	CHECK_STR(r.allow, "GET, HEAD, DELETE");
	resp_free(&r);
	check_error("DELETE", "/v1/feeds", NULL, 405, NULL);
	check_error("POST", "/v1/status", "{}", 405, NULL);
	check_error("DELETE", "/v1/stories/1", NULL, 405, NULL);
}

static void
test_listings(int64_t id)
{
	struct resp r;
	char path[256];

	http_str(&r, "GET", "/v1/stories", NULL);
	CHECK_INT(r.status, 200);
	CHECK(json_is_array(json_object_get(r.json, "stories")));
	CHECK_INT(json_array_size(json_object_get(r.json, "stories")), 0);
	resp_free(&r);
	http_str(&r, "GET", "/v1/items", NULL);
	CHECK_INT(r.status, 200);
	CHECK(json_is_array(json_object_get(r.json, "items")));
	CHECK_INT(json_array_size(json_object_get(r.json, "items")), 0);
	resp_free(&r);

	snprintf(path, sizeof(path), "/v1/stories?since=24h&until="
	    "2030-01-01T00:00:00Z&limit=5&unread=1&tag=news&feed=%lld",
	    (long long)id);
	http_str(&r, "GET", path, NULL);
	CHECK_INT(r.status, 200);
	CHECK(json_is_array(json_object_get(r.json, "stories")));
	resp_free(&r);
	snprintf(path, sizeof(path), "/v1/items?since=2023-04-26&until=90s&"
	    "limit=10000&unread=false&tag=&feed=%lld", (long long)id);
	http_str(&r, "GET", path, NULL);
	CHECK_INT(r.status, 200);
	CHECK(json_is_array(json_object_get(r.json, "items")));
	resp_free(&r);

	check_error("GET", "/v1/stories?limit=0", NULL, 400, "limit");
	check_error("GET", "/v1/stories?limit=10001", NULL, 400, "limit");
	check_error("GET", "/v1/stories?limit=abc", NULL, 400, "limit");
	check_error("GET", "/v1/items?limit=5x", NULL, 400, "limit");
	check_error("GET", "/v1/items?limit=-5", NULL, 400, "limit");
	check_error("GET", "/v1/stories?since=yesterday", NULL, 400, "since");
	check_error("GET", "/v1/items?until=2023-13-01", NULL, 400, "until");
	check_error("GET", "/v1/items?since=7w", NULL, 400, "since");
	check_error("GET", "/v1/stories?unread=maybe", NULL, 400, "unread");
	check_error("GET", "/v1/items?feed=abc", NULL, 400, "feed");
	check_error("GET", "/v1/items?feed=0", NULL, 400, "feed");
	check_error("GET", "/v1/items?tag=%ff", NULL, 400, "tag");

	check_error("GET", "/v1/stories/1", NULL, 404, "story");
	check_error("GET", "/v1/stories/abc", NULL, 404, NULL);
}

static void
test_delete(int64_t id)
{
	struct resp r;
	char path[128];
	int kicks = stub_get(&stub->kicks);

	snprintf(path, sizeof(path), "/v1/feeds/%lld", (long long)id);
	http_str(&r, "DELETE", path, NULL);
	CHECK_INT(r.status, 200);
	CHECK_INT(jint(r.json, "deleted"), id);
	resp_free(&r);
	CHECK_INT(stub_get(&stub->kicks), kicks + 1);
	check_error("GET", path, NULL, 404, NULL);
	check_error("DELETE", path, NULL, 404, NULL);
	CHECK_INT(stub_get(&stub->kicks), kicks + 1);
}

/* Garbage, huge heads and clients that hang up never hurt the server. */
static void
test_abuse(void)
{
	char out[4096], *req;
	size_t n, i;
	int fd;

	req = malloc(1025);
	CHECK(req != NULL);
	if (req != NULL) {
		memset(req, 0, 1024);
		req[1024] = '\n';
		raw_exchange(req, 1025, out, sizeof(out));
		CHECK(out[0] == '\0' || strncmp(out, "HTTP/1.1 4", 10) == 0);
		free(req);
	}
	check_alive();

	/* A head far beyond the per-connection memory. */
	n = 100 * 1024;
	if ((req = malloc(n + 64)) != NULL) {
		size_t len = (size_t)snprintf(req, 64,
		    "GET /v1/status HTTP/1.1\r\nX-Big: ");

		memset(req + len, 'a', n);
		len += n;
		memcpy(req + len, "\r\n\r\n", 4);
		len += 4;
		raw_exchange(req, len, out, sizeof(out));
		CHECK(strncmp(out, "HTTP/1.1 4", 10) == 0);
		free(req);
	}
	check_alive();

	/* Request, then close before the answer (EPIPE on the server). */
	for (i = 0; i < 50; i++) {
		static const char ping[] = "GET /v1/feeds HTTP/1.1\r\n"
		    "Host: localhost\r\n\r\n";

		if ((fd = raw_connect(sock_path)) == -1)
			continue;
		raw_send(fd, ping, sizeof(ping) - 1);
		if (i % 2)
			shutdown(fd, SHUT_WR);
		close(fd);
	}
	check_alive();
}

/*
 * A full server whose clients all leave at once must listen again: MHD
 * drops the listening socket from its epoll set at its limit, and
 * without api.c's second MHD_run nothing would ever put it back.  To
 * reach the limit every slot must be busy (a request line in, the rest
 * missing).  A newcomer is then settled at once: turned away, or served
 * in the place of the slowest request once it has taken longer than
 * API_SLOW_REQUEST (which of the two depends on timing).
 */
static void
test_refill(void)
{
	static const char ping[] = "GET /v1/status HTTP/1.1\r\n"
	    "Host: localhost\r\nConnection: close\r\n\r\n";
	static const char line[] = "GET /v1/status HTTP/1.1\r\n";
	int fds[API_MAX_CLIENTS], waiter, round, i, answered = 0, settled = 0;
	char out[4096];
	double t;

	for (round = 0; round < 4; round++) {
		for (i = 0; i < API_MAX_CLIENTS; i++)
			if ((fds[i] = raw_connect(sock_path)) != -1)
				raw_send(fds[i], line, sizeof(line) - 1);
		usleep(300 * 1000);	/* the server has read every line */
		t = now_s();
		waiter = raw_connect(sock_path);
		raw_send(waiter, ping, sizeof(ping) - 1);
		if (waiter != -1 && (raw_read(waiter, out, sizeof(out),
		    T_RAW_WAIT) == 0 || strncmp(out, "HTTP/1.1 200 ", 13) == 0) &&
		    now_s() - t < 1.0)
			settled++;
		if (waiter != -1)
			close(waiter);
		for (i = 0; i < API_MAX_CLIENTS; i++)
			if (fds[i] != -1)
				close(fds[i]);
		raw_exchange(ping, sizeof(ping) - 1, out, sizeof(out));
		if (strncmp(out, "HTTP/1.1 200 ", 13) == 0)
			answered++;
		else
			fprintf(stderr, "  refill round %d: no answer\n", round);
	}
	CHECK_INT(settled, round);
	CHECK_INT(answered, round);

	/*
	 * Bursts: one connection over the limit, all gone at once.  Whether
	 * MHD closes them all in one run is up to timing, so try often.
	 */
	for (round = 0; round < T_BURSTS; round++) {
		for (i = 0; i < API_MAX_CLIENTS; i++)
			if ((fds[i] = raw_connect(sock_path)) != -1 &&
			    i < API_MAX_CLIENTS - round % 3)
				raw_send(fds[i], line, sizeof(line) - 1);
		waiter = raw_connect(sock_path);
		usleep(10 * 1000 * (round % 4));
		for (i = 0; i < API_MAX_CLIENTS; i++)
			if (fds[i] != -1)
				close(fds[i]);
		if (waiter != -1)
			close(waiter);
		raw_exchange(ping, sizeof(ping) - 1, out, sizeof(out));
		if (strncmp(out, "HTTP/1.1 200 ", 13) != 0) {
			fprintf(stderr, "  burst %d: no answer\n", round);
			break;
		}
	}
	CHECK_INT(round, T_BURSTS);
}

struct slow {
	int	 fd;
	double	 closed;	/* s after start, 0 while open */
};

/*
 * Slow and silent clients are cut at the deadlines, whatever MHD's idle
 * timer thinks; and a newcomer to a full server is answered at once, the
 * oldest silent client making room.
 */
static void
test_deadlines(void)
{
	static const char line[] = "GET /v1/status HTTP/1.1\r\n";
	static const char ping[] = "GET /v1/status HTTP/1.1\r\n"
	    "Host: localhost\r\nConnection: close\r\n\r\n";
	struct slow s[API_MAX_CLIENTS];
	char buf[4096];
	size_t wlen = 0, sent_line = 0;
	double start, next_trickle, answered = 0, t;
	int waiter, i, open_n;
	ssize_t n;

	start = now_s();
	memset(s, 0, sizeof(s));
	/* Oldest first: s[2] .. s[31] silent, then the two tricklers. */
	for (i = 2; i < API_MAX_CLIENTS + 2; i++) {
		s[i % API_MAX_CLIENTS].fd = raw_connect(sock_path);
		CHECK(s[i % API_MAX_CLIENTS].fd != -1);
	}
	/* s[0] trickles a request line, s[1] has one and trickles headers. */
	raw_send(s[1].fd, line, sizeof(line) - 1);
	usleep(200 * 1000);
	waiter = raw_connect(sock_path);
	CHECK(waiter != -1);
	raw_send(waiter, ping, sizeof(ping) - 1);
	for (i = 0; i < API_MAX_CLIENTS; i++)
		fcntl(s[i].fd, F_SETFL, O_NONBLOCK);
	fcntl(waiter, F_SETFL, O_NONBLOCK);

	next_trickle = start;
	while ((t = now_s() - start) < T_REQ_DEADLINE + T_SLACK + 1) {
		if (now_s() >= next_trickle) {
			next_trickle += 0.5;
			if (s[0].closed == 0 && sent_line < sizeof(line) - 3)
				send(s[0].fd, line + sent_line++, 1,
				    MSG_NOSIGNAL);
			if (s[1].closed == 0)
				send(s[1].fd, "x", 1, MSG_NOSIGNAL);
		}
		open_n = 0;
		for (i = 0; i < API_MAX_CLIENTS; i++) {
			if (s[i].closed != 0 || s[i].fd == -1)
				continue;
			n = recv(s[i].fd, buf, sizeof(buf), 0);
			if (n == 0 || (n < 0 && errno != EAGAIN))
				s[i].closed = t;
			else
				open_n++;
		}
		if (answered == 0 && wlen + 1 < sizeof(buf) &&
		    (n = recv(waiter, buf + wlen, sizeof(buf) - 1 - wlen,
		    0)) > 0) {
			wlen += (size_t)n;
			buf[wlen] = '\0';
			if (strstr(buf, "\"version\"") != NULL)
				answered = t;
		}
		if (open_n == 0 && answered != 0)
			break;
		usleep(50 * 1000);
	}

	/* The oldest silent client made room for the waiter ... */
	CHECK(s[2].closed > 0 && s[2].closed < 1.5);
	CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
	CHECK(answered > 0 && answered < 1.5);
	/* ... the other silent ones and the tricklers met their deadlines. */
	for (i = 3; i < API_MAX_CLIENTS; i++)
		if (s[i].closed < T_LINE_DEADLINE - 1 ||
		    s[i].closed > T_LINE_DEADLINE + T_SLACK) {
			fprintf(stderr, "  idle client %d closed at %.2f s\n",
			    i, s[i].closed);
			CHECK(0);
			break;
		}
	CHECK(i == API_MAX_CLIENTS);
	CHECK(s[0].closed >= T_LINE_DEADLINE - 1 &&
	    s[0].closed <= T_LINE_DEADLINE + T_SLACK);
	CHECK(s[1].closed >= T_REQ_DEADLINE - 1 &&
	    s[1].closed <= T_REQ_DEADLINE + T_SLACK);
	if (s[0].closed < T_LINE_DEADLINE - 1 || s[1].closed <
	    T_REQ_DEADLINE - 1 || answered == 0 || s[2].closed == 0)
		fprintf(stderr, "  closed at %.2f, %.2f and %.2f s, answered "
		    "at %.2f s\n", s[0].closed, s[1].closed, s[2].closed,
		    answered);
	for (i = 0; i < API_MAX_CLIENTS; i++)
		if (s[i].fd != -1)
			close(s[i].fd);
	if (waiter != -1)
		close(waiter);
	raw_exchange(ping, sizeof(ping) - 1, buf, sizeof(buf));
	CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0);
}

/* Starts the server process; its pid, or -1. */
static pid_t
srv_spawn(const char *dbpath)
{
	int p[2];
	char c = '0';
	pid_t pid;

	if (pipe(p) == -1)
		return -1;
	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(p[0]);
		/* exit, not _exit: the sanitizers check for leaks at exit. */
		exit(srv_main(dbpath, p[1]));
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1 || c != '1') {
		close(p[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(p[0]);
	return pid;
}

/* Asks the server to stop; its exit status, or -1 if it had to be killed. */
static int
srv_reap(pid_t pid)
{
	int status, i;

	kill(pid, SIGTERM);
	for (i = 0; i < T_EXIT_WAIT * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
		usleep(100 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

/* Issue 6: search, filters, reading state, edit, pause and resume. */
static void
test_reading(int64_t id)
{
	struct resp r;
	char path[256];

	check_error("GET", "/v1/search", NULL, 400, "q");
	check_error("GET", "/v1/search?q=%20%20", NULL, 400, "no words");
	http_str(&r, "GET", "/v1/search?q=nothing%22here&starred=1&"
	    "min_sources=2", NULL);
	CHECK_INT(r.status, 200);
	CHECK(json_is_array(json_object_get(r.json, "items")));
	resp_free(&r);
	check_error("GET", "/v1/stories?starred=maybe", NULL, 400, "starred");
	check_error("GET", "/v1/items?unread=2", NULL, 400, "unread");
	check_error("GET", "/v1/stories?min_sources=0", NULL, 400,
	    "min_sources");
	http_str(&r, "GET", "/v1/stories?min_sources=2&starred=true", NULL);
	CHECK_INT(r.status, 200);
	CHECK_INT(json_array_size(json_object_get(r.json, "stories")), 0);
	resp_free(&r);

	check_error("POST", "/v1/stories/999999/read", NULL, 404, "story");
	check_error("DELETE", "/v1/stories/999999/star", NULL, 404, "story");
	http_str(&r, "GET", "/v1/stories/1/read", NULL);
	CHECK_INT(r.status, 405);
	CHECK_STR(r.allow, "POST, DELETE");
	resp_free(&r);
	check_error("POST", "/v1/read?before=soon", NULL, 400, "before");
	check_error("POST", "/v1/read?feed=x", NULL, 400, "feed");
	http_str(&r, "POST", "/v1/read", NULL);
	CHECK_INT(r.status, 200);
	CHECK(json_is_integer(json_object_get(r.json, "marked")));
	resp_free(&r);

	snprintf(path, sizeof(path), "/v1/feeds/%lld/edit", (long long)id);
	check_error("POST", path, "{\"nope\": 1}", 400, "unknown field");
	check_error("POST", path, "not json", 400, "JSON");
	check_error("POST", path, "{\"url\": \"ftp://x.example/\"}", 400,
	    "url");
	check_error("POST", path, "{\"title\": 5}", 400, "title");
	check_error("POST", path, "{\"interval\": -1}", 400, "interval");
	check_error("POST", "/v1/feeds/999999/edit", "{\"title\": \"T\"}",
	    404, "feed");
	http_str(&r, "POST", path, "{\"title\": \"Edited\", \"tags\": "
	    "[\"a\"], \"interval\": \"2h\"}");
	CHECK_INT(r.status, 200);
	CHECK_STR(jstr(r.json, "title"), "Edited");
	CHECK_INT(jint(r.json, "interval"), 7200);
	CHECK_INT(json_array_size(json_object_get(r.json, "tags")), 1);
	resp_free(&r);

	check_error("POST", "/v1/feeds/999999/pause", NULL, 404, "feed");
	snprintf(path, sizeof(path), "/v1/feeds/%lld/pause", (long long)id);
	http_str(&r, "POST", path, NULL);
	CHECK_INT(r.status, 200);
	CHECK(json_is_true(json_object_get(r.json, "paused")));
	resp_free(&r);
	snprintf(path, sizeof(path), "/v1/feeds/%lld/refresh", (long long)id);
	check_error("POST", path, NULL, 409, "paused");
	snprintf(path, sizeof(path), "/v1/feeds/%lld/resume", (long long)id);
	http_str(&r, "POST", path, NULL);
	CHECK_INT(r.status, 200);
	CHECK(json_is_false(json_object_get(r.json, "paused")));
	resp_free(&r);
}

int
main(void)
{
	char dir[] = "/tmp/test_api.XXXXXX", dbpath[512], err[256];
	struct ev_loop *loop;
	struct api_ctx ctx;
	struct resp r;
	struct stat st;
	pid_t pid;
	int64_t id;

	log_init("test_api", getenv("TEST_API_DEBUG") != NULL ?
	    LOG_LVL_DEBUG : LOG_LVL_WARN);
	stub = mmap(NULL, sizeof(*stub), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stub == MAP_FAILED || mkdtemp(dir) == NULL) {
		perror("test_api setup");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/tidings.db", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/api.sock", dir);
	/* Socket handling needs no store: api_start does not touch it. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.sched = STUB_SCHED;
	ctx.version = T_VERSION;
	test_socket(dir, &ctx);

	if ((pid = srv_spawn(dbpath)) == -1) {
		fprintf(stderr, "cannot start the server\n");
		CHECK(0);
		return TEST_DONE();
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();

	test_status(dbpath);
	id = test_feed_add();
	test_chunked();
	test_feeds(id);
	test_routes();
	test_listings(id);
	test_reading(id);
	test_delete(id);
	test_abuse();

	/* A second daemon on the live socket is refused; ours keeps it. */
	loop = ev_loop_new(EVFLAG_AUTO);
	err[0] = '\0';
	CHECK(api_start(loop, sock_path, T_MODE, &ctx, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "another tidingsd is listening") != NULL);
	ev_loop_destroy(loop);
	check_alive();

	/* The curl connection kept alive would take a slot. */
	curl_easy_cleanup(curl);
	usleep(200 * 1000);
	test_refill();
	test_deadlines();
	curl = curl_easy_init();

	http_str(&r, "GET", "/v1/status", NULL);
	CHECK_INT(r.status, 200);
	resp_free(&r);
	curl_easy_cleanup(curl);
	curl_global_cleanup();

	/* A clean exit (no sanitizer report, no SIGPIPE) that unlinks. */
	CHECK_INT(srv_reap(pid), 0);
	CHECK(lstat(sock_path, &st) == -1 && errno == ENOENT);
	CHECK(!stub_get(&stub->wrong_sched));
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	munmap(stub, sizeof(*stub));
	return TEST_DONE();
}
