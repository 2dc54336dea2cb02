/*
 * fetch.c - libcurl multi socket API on libev (see fetch.h).
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and
 * when to call it back (CURLMOPT_TIMERFUNCTION); we map both onto ev_io
 * and one ev_timer.  Safety settings follow ../shared/hostile/NOTES.md
 * section 4: libcurl 7.88's defaults allow unlimited redirects, FTP on
 * redirect and unbounded decoded bodies, so each is set explicitly and the
 * body size is enforced here, on the decoded bytes, as they stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>

#include "fetch.h"
#include "keepalive.h"
#include "log.h"
#include "url.h"
#include "netguard.h"
#include "util.h"

#define FETCH_PROTOCOLS		"http,https"
#define FETCH_ACCEPT_ENCODING	"gzip, deflate"
#define FETCH_ACCEPT		"Accept: application/rss+xml, " \
				"application/atom+xml, application/rdf+xml, " \
				"application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
#define FETCH_HDR_MAX		1024	/* longest validator we echo back */
#define FETCH_HTTP1		"HTTP/1."	/* a status line's start */
#define FETCH_BODY_INITIAL	(64 * 1024)

struct fetch {
	struct ev_loop	*loop;
	CURLM		*multi;
	ev_timer	 timer;
	struct fetch_opts opts;
	char		*user_agent;
	fetch_done_fn	 done;
	void		*done_arg;
	size_t		 active;
	struct xfer	*xfers;		/* every transfer in flight */
	struct keepalive *kept;		/* every socket libcurl has open */
};

struct xfer {
	struct fetch	*f;
	CURL		*easy;
	struct curl_slist *headers;
	struct xfer	*next, *prev;
	int		 too_big;
	int		 temp_redirect;	/* a 301/308-only chain learns its URL */
	char		 errbuf[CURL_ERROR_SIZE];
	struct fetch_result res;
	size_t		 body_cap;
	struct netguard	 guard;		/* SSRF policy of this transfer */
};

struct sockinfo {
	ev_io		 io;
	struct fetch	*f;
};

static void fetch_check_done(struct fetch *);

/* Keeps printable text only: error strings can quote the server. */
static void
sanitize_into(char *dst, size_t n, const char *src)
{
	size_t i;

	str_copy(dst, src, n);
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = ' ';
}

static size_t
fetch_write(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	struct fetch_result *r = &x->res;
	size_t n = size * nmemb;

	if ((int64_t)(r->body_len + n) > x->f->opts.max_size) {
		x->too_big = 1;
		return 0;	/* CURLE_WRITE_ERROR: a bomb is cut, not inflated */
	}
	if (r->body_len + n + 1 > x->body_cap) {
		size_t cap = x->body_cap ? x->body_cap : FETCH_BODY_INITIAL;
		char *nb;

		while (cap < r->body_len + n + 1)
			cap *= 2;
		if ((nb = realloc(r->body, cap)) == NULL)
			return 0;
		r->body = nb;
		x->body_cap = cap;
	}
	memcpy(r->body + r->body_len, ptr, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

/* The connection this response comes on is HTTP/1 (keepalive.h). */
static void
fetch_note_http1(struct xfer *x)
{
	char *lip = NULL, *pip = NULL;
	long lport = 0, pport = 0;

	if (curl_easy_getinfo(x->easy, CURLINFO_LOCAL_IP, &lip) == CURLE_OK &&
	    curl_easy_getinfo(x->easy, CURLINFO_LOCAL_PORT, &lport) ==
	    CURLE_OK &&
	    curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_IP, &pip) == CURLE_OK &&
	    curl_easy_getinfo(x->easy, CURLINFO_PRIMARY_PORT, &pport) ==
	    CURLE_OK && lip != NULL && pip != NULL)
		keepalive_http1(x->f->kept, lip, (int)lport, pip, (int)pport);
}

/*
 * Sees the status line of every response of a redirect chain: only a
 * chain made of permanent redirects (301, 308) may move a feed, and
 * each HTTP/1 one tells the keep-alive table what its connection is.
 */
static size_t
fetch_header_cb(char *buf, size_t size, size_t nitems, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nitems, i = 0;
	int code = 0, digits = 0;

	if (n < 5 || memcmp(buf, "HTTP/", 5) != 0)
		return n;
	for (i = 5; i < n && buf[i] != ' '; i++)
		;
	for (i++; i < n && digits < 3 && buf[i] >= '0' && buf[i] <= '9'; i++)
		code = code * 10 + (buf[i] - '0'), digits++;
	/* 304 at the end of a chain is an answer, not a redirect. */
	if (digits == 3 && (code == 302 || code == 303 || code == 307))
		x->temp_redirect = 1;
	if (n >= sizeof(FETCH_HTTP1) - 1 &&
	    memcmp(buf, FETCH_HTTP1, sizeof(FETCH_HTTP1) - 1) == 0)
		fetch_note_http1(x);
	return n;
}

/* The last response's header name, copied, or NULL. */
static char *
fetch_header(CURL *easy, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) !=
	    CURLHE_OK || h->value == NULL)
		return NULL;
	return strdup(h->value);
}

static void
xfer_free(struct xfer *x)
{
	if (x->easy != NULL) {
		curl_multi_remove_handle(x->f->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	free(x->res.body);
	free(x->res.content_type);
	free(x->res.etag);
	free(x->res.last_modified);
	free(x->res.effective_url);
	free(x->res.cache_control);
	free(x->res.expires);
	free(x->res.retry_after);
	free(x->res.moved_url);
	free(x);
}

static void
xfer_unlink(struct xfer *x)
{
	struct fetch *f = x->f;

	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		f->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	f->active--;
}

/*
 * Content-Location names the document's own URL (RFC 9110 8.7), the base
 * for its relative links when no xml:base applies: it replaces the
 * effective URL as the parser's document URL when it resolves to http(s).
 * Takes loc.
 */
static void
xfer_content_location(struct fetch_result *r, char *loc)
{
	char *u;

	if (loc == NULL)
		return;
	u = url_resolve(r->effective_url, loc);
	free(loc);
	if (u == NULL || !url_is_http(u)) {
		free(u);
		return;
	}
	free(r->effective_url);
	r->effective_url = u;
}

/* Fills x->res from a finished transfer. */
static void
xfer_finish(struct xfer *x, CURLcode code)
{
	struct fetch_result *r = &x->res;
	char *url = NULL;
	char msg[CURL_ERROR_SIZE + 64];
	long redirects = 0;
	curl_off_t dl;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->http_status);
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &r->seconds);
	if (curl_easy_getinfo(x->easy, CURLINFO_SIZE_DOWNLOAD_T, &dl) ==
	    CURLE_OK)
		r->bytes = (int64_t)dl;
	if (curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url) ==
	    CURLE_OK && url != NULL)
		r->effective_url = strdup(url);
	if (code == CURLE_OK) {
		r->ok = 1;
		r->content_type = fetch_header(x->easy, "Content-Type");
		r->etag = fetch_header(x->easy, "ETag");
		r->last_modified = fetch_header(x->easy, "Last-Modified");
		r->cache_control = fetch_header(x->easy, "Cache-Control");
		r->expires = fetch_header(x->easy, "Expires");
		r->retry_after = fetch_header(x->easy, "Retry-After");
		curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT,
		    &r->redirects);
		if (r->redirects > 0 && !x->temp_redirect &&
		    r->effective_url != NULL)
			r->moved_url = strdup(r->effective_url);
		/* After moved_url: Content-Location is no redirect. */
		xfer_content_location(r, fetch_header(x->easy,
		    "Content-Location"));
		return;
	}
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_COUNT, &redirects);
	if (x->guard.refused)
		snprintf(msg, sizeof(msg), "redirected to %s, a private or "
		    "local address (allow_private_redirects = no)",
		    x->guard.refused_addr);
	else if (x->too_big)
		snprintf(msg, sizeof(msg), "feed is larger than %lld bytes "
		    "(max_feed_size)", (long long)x->f->opts.max_size);
	else if (code == CURLE_TOO_MANY_REDIRECTS)
		snprintf(msg, sizeof(msg), "more than %d redirects",
		    FETCH_MAX_REDIRS);
	else if (code == CURLE_UNSUPPORTED_PROTOCOL && redirects > 0 &&
	    r->effective_url != NULL && !url_is_http(r->effective_url))
		/* Not a reply without a status line after a redirect. */
		snprintf(msg, sizeof(msg), "redirected to a scheme other "
		    "than http or https");
	else
		snprintf(msg, sizeof(msg), "%s", x->errbuf[0] ? x->errbuf :
		    curl_easy_strerror(code));
	sanitize_into(r->error, sizeof(r->error), msg);
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

static void
fetch_check_done(struct fetch *f)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		xfer_finish(x, m->data.result);
		xfer_unlink(x);
		f->done(f->done_arg, &x->res);
		xfer_free(x);
	}
}

static void
fetch_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fetch *f = w->data;
	int running;

	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	fetch_check_done(f);
}

static void
fetch_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	/* Read f now: socket_action may REMOVE this socket and free si. */
	struct fetch *f = ((struct sockinfo *)w)->f;
	int action = 0, running;

	if (revents & EV_READ)
		action |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(f->multi, w->fd, action, &running);
	fetch_check_done(f);
}

static int
fetch_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct fetch *f = userp;
	struct sockinfo *si = socketp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (si != NULL) {
			ev_io_stop(f->loop, &si->io);
			free(si);
		}
		curl_multi_assign(f->multi, s, NULL);
		return 0;
	}
	if (si == NULL) {
		if ((si = calloc(1, sizeof(*si))) == NULL)
			return -1;	/* curl fails this transfer */
		si->f = f;
		ev_init(&si->io, fetch_io_cb);
		curl_multi_assign(f->multi, s, si);
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	ev_io_stop(f->loop, &si->io);
	ev_io_set(&si->io, s, events);
	ev_io_start(f->loop, &si->io);
	return 0;
}

/* Arms a timer only: calling libcurl from here is not allowed. */
static int
fetch_timer_set_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetch *f = userp;

	ev_timer_stop(f->loop, &f->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&f->timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(f->loop, &f->timer);
	}
	return 0;
}

void
fetch_set_opts(struct fetch *f, const struct fetch_opts *o)
{
	char *ua = strdup(o->user_agent);

	if (ua != NULL) {
		free(f->user_agent);
		f->user_agent = ua;
	}
	f->opts = *o;
	f->opts.user_agent = f->user_agent;
	curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    o->max_connections);
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    o->max_per_host);
	/* Keep-alive: idle connections stay cached for the next polls. */
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, o->max_connections);
	curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
}

struct fetch *
fetch_new(struct ev_loop *loop, const struct fetch_opts *o, fetch_done_fn done,
    void *arg)
{
	struct fetch *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((f->multi = curl_multi_init()) == NULL) {
		free(f);
		return NULL;
	}
	f->loop = loop;
	f->done = done;
	f->done_arg = arg;
	ev_timer_init(&f->timer, fetch_timer_cb, 0., 0.);
	f->timer.data = f;
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, fetch_socket_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, fetch_timer_set_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	fetch_set_opts(f, o);
	if ((f->kept = keepalive_new()) == NULL) {
		fetch_free(f);
		return NULL;
	}
	return f;
}

/*
 * Before each request: the address policy for a pooled connection, then
 * a kept HTTP/1 connection with bytes waiting is not reused (keepalive.h).
 */
static int
fetch_prereq(void *clientp, char *primary_ip, char *local_ip,
    int primary_port, int local_port)
{
	struct xfer *x = clientp;
	char *scheme = NULL;

	if (netguard_prereq(&x->guard, primary_ip, local_ip, primary_port,
	    local_port) != CURL_PREREQFUNC_OK)
		return CURL_PREREQFUNC_ABORT;
	curl_easy_getinfo(x->easy, CURLINFO_SCHEME, &scheme);
	if (keepalive_check(x->f->kept, local_ip, local_port, primary_ip,
	    primary_port, scheme != NULL && strcasecmp(scheme, "https") == 0) ==
	    KEEPALIVE_SURPLUS)
		log_info("fetch: %s port %d sent bytes after a response; "
		    "not reusing that connection", primary_ip, primary_port);
	return CURL_PREREQFUNC_OK;
}

/*
 * A new connection: the address policy first (netguard), then the
 * keep-alive table learns the socket (unchecked if it cannot).
 */
static curl_socket_t
fetch_opensocket(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *address)
{
	struct xfer *x = clientp;
	curl_socket_t fd = netguard_opensocket(&x->guard, purpose, address);

	if (fd != CURL_SOCKET_BAD)
		(void)keepalive_opened(x->f->kept, fd);
	return fd;
}

/*
 * libcurl closes a socket: the connection leaves the keep-alive table
 * (the number may soon be another socket's).  Set on every transfer
 * with the fetch, not the transfer: connections outlive transfers.
 */
static int
fetch_closesocket(void *clientp, curl_socket_t fd)
{
	struct fetch *f = clientp;

	keepalive_closed(f->kept, fd);
	return close(fd);
}

/* A validator goes out verbatim, so it must be one clean header line. */
static int
header_safe(const char *v)
{
	size_t i;

	if (strlen(v) > FETCH_HDR_MAX)
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
			return 0;
	return 1;
}

static int
xfer_add_header(struct xfer *x, const char *name, const char *value)
{
	char line[FETCH_HDR_MAX + 64];
	struct curl_slist *l;

	if (value == NULL || !header_safe(value))
		return 0;
	snprintf(line, sizeof(line), "%s: %s", name, value);
	if ((l = curl_slist_append(x->headers, line)) == NULL)
		return -1;
	x->headers = l;
	return 0;
}

static int
xfer_setup(struct xfer *x, const struct fetch_request *req)
{
	const struct fetch_opts *o = &x->f->opts;
	CURL *e = x->easy;
	struct curl_slist *l;

	if ((l = curl_slist_append(NULL, FETCH_ACCEPT)) == NULL)
		return -1;
	x->headers = l;
	if (xfer_add_header(x, "If-None-Match", req->etag) != 0 ||
	    xfer_add_header(x, "If-Modified-Since", req->last_modified) != 0)
		return -1;
	if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, FETCH_PROTOCOLS) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, FETCH_PROTOCOLS) != CURLE_OK ||
	    netguard_attach(&x->guard, e, req->url, !req->from_content,
	    o->allow_private_redirects) != 0)
		return -1;
	if (curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, fetch_opensocket) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, fetch_prereq) !=
	    CURLE_OK || curl_easy_setopt(e, CURLOPT_PREREQDATA, x) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, fetch_closesocket) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, x->f) != CURLE_OK)
		return -1;
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRS);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)o->connect_timeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)o->timeout);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)FETCH_LOW_SPEED_LIMIT);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)FETCH_LOW_SPEED_TIME);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, FETCH_ACCEPT_ENCODING);
	curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");	/* ignore *_proxy variables */
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, fetch_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	/* Manners: no Referer on redirects; no cookie engine is ever set. */
	curl_easy_setopt(e, CURLOPT_AUTOREFERER, 0L);
	/*
	 * HTTP/2 when a TLS server offers it; one connection, many feeds.
	 * No CURLOPT_PIPEWAIT: with libcurl 7.88 transfers waiting for a
	 * connection to multiplex on failed with "Failed to resolve host
	 * ... after 0 ms" once a hundred feeds of one host started at once
	 * (tests/integration/test_hostile.py).
	 */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	return 0;
}

int
fetch_start(struct fetch *f, const struct fetch_request *req)
{
	struct xfer *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -1;
	x->f = f;
	x->res.feed_id = req->feed_id;
	if ((x->easy = curl_easy_init()) == NULL || xfer_setup(x, req) != 0)
		goto fail;
	if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK)
		goto fail;
	x->next = f->xfers;
	if (f->xfers != NULL)
		f->xfers->prev = x;
	f->xfers = x;
	f->active++;
	return 0;
fail:
	if (x->easy != NULL) {
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	xfer_free(x);
	return -1;
}

size_t
fetch_active(const struct fetch *f)
{
	return f->active;
}

void
fetch_free(struct fetch *f)
{
	struct xfer *x, *next;

	if (f == NULL)
		return;
	for (x = f->xfers; x != NULL; x = next) {
		next = x->next;
		xfer_free(x);	/* removing the handle releases its sockets */
	}
	ev_timer_stop(f->loop, &f->timer);
	curl_multi_cleanup(f->multi);
	keepalive_free(f->kept);
	free(f->user_agent);
	free(f);
}
