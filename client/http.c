/*
 * http.c - HTTP/1.1 requests to tidingsd over its Unix socket (see http.h).
 *
 * One easy handle per process, reused so that polling loops (refresh
 * --wait) keep one connection.  Classifies connect failures so the client
 * can tell "no daemon" from "no permission" from anything else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <curl/curl.h>

#include "http.h"

/* The host part is ignored on a Unix socket; the daemon sees it in Host. */
#define HTTP_URL_BASE	"http://localhost"
#define HTTP_URL_MAX	8192

struct http {
	CURL	*curl;
	char	*path;
	char	 errbuf[CURL_ERROR_SIZE];
};

/* Growing reply body, capped at HTTP_MAX_REPLY. */
struct http_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 too_big;
};

struct http *
http_open(const char *path)
{
	struct http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->path = strdup(path)) == NULL ||
	    (h->curl = curl_easy_init()) == NULL) {
		http_close(h);
		return NULL;
	}
	return h;
}

void
http_close(struct http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->path);
	free(h);
}

void
http_reply_free(struct http_reply *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
	r->status = 0;
}

static size_t
http_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_buf *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > (size_t)HTTP_MAX_REPLY - b->len) {
		b->too_big = 1;
		return 0;	/* makes libcurl fail with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->data, cap)) == NULL)
			return 0;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Maps a failed transfer to a result, with a message for HTTP_FAILED. */
static enum http_result
http_classify(struct http *h, CURLcode rc, const struct http_buf *b,
    char *err, size_t errlen)
{
	long oserr = 0;

	curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		if (oserr == ENOENT || oserr == ECONNREFUSED ||
		    oserr == ENOTDIR)
			return HTTP_NO_DAEMON;
		if (oserr == EACCES || oserr == EPERM)
			return HTTP_DENIED;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen, "no reply from tidingsd within %d "
		    "seconds", HTTP_REQUEST_TIMEOUT);
		return HTTP_TIMEOUT;
	case CURLE_WRITE_ERROR:
		if (b->too_big) {
			snprintf(err, errlen, "reply from tidingsd larger "
			    "than %ld bytes", HTTP_MAX_REPLY);
			return HTTP_FAILED;
		}
		break;
	default:
		break;
	}
	if (oserr != 0)
		snprintf(err, errlen, "%s: %s", h->errbuf[0] ? h->errbuf :
		    curl_easy_strerror(rc), strerror((int)oserr));
	else
		snprintf(err, errlen, "%s", h->errbuf[0] ? h->errbuf :
		    curl_easy_strerror(rc));
	return HTTP_FAILED;
}

enum http_result
http_request(struct http *h, const char *method, const char *path,
    const char *body, struct http_reply *reply, char *err, size_t errlen)
{
	struct http_buf b = { NULL, 0, 0, 0 };
	struct curl_slist *hdrs = NULL, *tmp;
	struct sockaddr_un sun;
	enum http_result res = HTTP_FAILED;
	char url[HTTP_URL_MAX];
	CURL *c = h->curl;
	CURLcode rc;

	memset(reply, 0, sizeof(*reply));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (strlen(h->path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path longer than %zu bytes",
		    sizeof(sun.sun_path) - 1);
		return HTTP_FAILED;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s%s", HTTP_URL_BASE,
	    path) >= sizeof(url)) {
		snprintf(err, errlen, "request too long");
		return HTTP_FAILED;
	}

	curl_easy_reset(c);
	h->errbuf[0] = '\0';
	/*
	 * Only HTTP to the socket: no proxy from the environment, no
	 * redirects, no other protocol.  "Expect:" stops libcurl from
	 * waiting for a 100-continue the daemon will not send.
	 */
	if ((tmp = curl_slist_append(hdrs, "Expect:")) == NULL)
		goto nomem;
	hdrs = tmp;
	if (body != NULL) {
		tmp = curl_slist_append(hdrs, "Content-Type: application/json");
		if (tmp == NULL)
			goto nomem;
		hdrs = tmp;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->path);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)HTTP_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)HTTP_REQUEST_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tidings/" TIDINGS_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(body));
	}
	if (strcmp(method, "POST") == 0) {
		if (body == NULL) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)0);
		}
	} else if (strcmp(method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		res = http_classify(h, rc, &b, err, errlen);
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
	if (b.data == NULL && (b.data = strdup("")) == NULL)
		goto nomem;
	reply->body = b.data;
	reply->len = b.len;
	b.data = NULL;
	res = HTTP_OK;
	goto done;
nomem:
	snprintf(err, errlen, "out of memory");
	res = HTTP_FAILED;
done:
	/* The handle keeps pointers to these until the next reset. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
	curl_slist_free_all(hdrs);
	free(b.data);
	return res;
}

char *
http_escape(struct http *h, const char *s)
{
	char *e, *copy;

	if ((e = curl_easy_escape(h->curl, s, 0)) == NULL)
		return NULL;
	/* Hand back memory the caller can free() like everything else. */
	copy = strdup(e);
	curl_free(e);
	return copy;
}
