/*
 * worker.c - parser worker processes and the loop's side of them (see
 * worker.h).
 *
 * Protocol on a SOCK_STREAM socketpair, one job at a time per worker:
 *   request: struct wire_req, then url, content type and body bytes;
 *   reply:   uint32 length, then that many bytes: JSON, feedjson plus
 *            "ok" (false when parse_feed refused the document), then
 *            optionally a NUL and the store's text work on the items
 *            (derive.h), done here in parallel rather than on the loop.
 * The CPU budget is a kernel timer in the worker (ITIMER_PROF, whose
 * default action kills the process), backed by a wall-clock deadline in
 * the loop for a worker that is stuck without using CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>
#include <jansson.h>

#include "derive.h"
#include "feedjson.h"
#include "log.h"
#include "parse.h"
#include "util.h"
#include "worker.h"

#define WIRE_MAGIC		0x54445031u	/* "TDP1" */
#define WIRE_MAX_URL		(64 * 1024)
#define WIRE_MAX_CTYPE		(4 * 1024)
#define WIRE_MAX_BODY		(1024LL * 1024 * 1024)
#define WIRE_MAX_REPLY		(256u * 1024 * 1024)
#define WORKER_DEADLINE_FACTOR	3	/* wall budget = CPU budget x this ... */
#define WORKER_DEADLINE_SLACK	5	/* ... plus this many seconds */
#define WORKER_MEM_LIMIT	(1024UL * 1024 * 1024)
#define WORKER_SELF_EXE		"/proc/self/exe"

struct wire_req {
	uint32_t magic;
	uint32_t url_len;
	uint32_t ctype_len;
	uint32_t reserved;
	uint64_t body_len;
};

struct job {
	void		*tag;
	char		*url;
	char		*ctype;
	char		*body;
	size_t		 len;
	struct job	*next;
};

struct worker {
	struct worker_pool *pool;
	pid_t		 pid;
	int		 fd;
	ev_io		 rio, wio;
	ev_child	 child;
	ev_timer	 deadline;
	int		 timed_out;
	struct job	*job;
	struct wire_req	 req;
	struct iovec	 iov[4];
	int		 iov_idx;
	unsigned char	 lenbuf[4];
	size_t		 got;		/* reply bytes so far, length prefix included */
	uint32_t	 reply_len;
	char		*reply;
};

struct worker_pool {
	struct ev_loop	*loop;
	int64_t		 cpu_limit;
	worker_done_fn	 done;
	struct worker	*workers;
	int		 nworkers;
	struct job	*head, *tail;
	size_t		 pending;
};

static void worker_dispatch(struct worker_pool *);

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->url);
	free(j->ctype);
	free(j->body);
	free(j);
}

/* Ends the current job with an error and frees it. */
static void
worker_fail_job(struct worker *w, const char *error)
{
	struct job *j = w->job;

	if (j == NULL)
		return;
	w->job = NULL;
	w->pool->done(j->tag, -1, NULL, error);
	job_free(j);
}

static void
worker_reset_io(struct worker *w)
{
	ev_io_stop(w->pool->loop, &w->wio);
	ev_timer_stop(w->pool->loop, &w->deadline);
	free(w->reply);
	w->reply = NULL;
	w->got = 0;
	w->reply_len = 0;
}

/* The worker's socket broke: stop using it; its ev_child ends the rest. */
static void
worker_lost(struct worker *w)
{
	worker_reset_io(w);
	ev_io_stop(w->pool->loop, &w->rio);
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	if (w->pid > 0)
		kill(w->pid, SIGKILL);
}

static void
worker_deliver(struct worker *w)
{
	struct job *j = w->job;
	struct feed_doc doc;
	json_error_t jerr;
	json_t *root, *ok, *err;
	char *reply = w->reply, *nul;
	size_t jlen = w->reply_len, blen = 0;

	w->job = NULL;
	w->reply = NULL;	/* ours until the derived block is read */
	feed_doc_init(&doc);
	/* JSON never holds a raw NUL: the first one ends it. */
	if ((nul = memchr(reply, '\0', jlen)) != NULL) {
		blen = jlen - (size_t)(nul - reply) - 1;
		jlen = (size_t)(nul - reply);
	}
	root = json_loadb(reply, jlen, 0, &jerr);
	worker_reset_io(w);
	ok = json_object_get(root, "ok");
	if (root == NULL || !json_is_boolean(ok))
		w->pool->done(j->tag, -1, NULL, "parser sent a malformed reply");
	else if (!json_is_true(ok)) {
		err = json_object_get(root, "error");
		w->pool->done(j->tag, -1, NULL, json_is_string(err) ?
		    json_string_value(err) : "not a feed");
	} else if (feedjson_decode(root, &doc) != 0 ||
	    derive_decode(nul != NULL ? nul + 1 : NULL, blen, &doc) != 0)
		w->pool->done(j->tag, -1, NULL, "parser sent a malformed reply");
	else
		w->pool->done(j->tag, 0, &doc, NULL);
	feed_doc_free(&doc);
	json_decref(root);
	free(reply);
	job_free(j);
}

static void
worker_read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	ssize_t n;

	for (;;) {
		if (w->got < sizeof(w->lenbuf))
			n = read(w->fd, w->lenbuf + w->got,
			    sizeof(w->lenbuf) - w->got);
		else
			n = read(w->fd, w->reply + (w->got - sizeof(w->lenbuf)),
			    w->reply_len - (w->got - sizeof(w->lenbuf)));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0 || w->job == NULL) {
			worker_lost(w);	/* EOF, error, or talk out of turn */
			return;
		}
		w->got += (size_t)n;
		if (w->got == sizeof(w->lenbuf)) {
			memcpy(&w->reply_len, w->lenbuf, sizeof(w->reply_len));
			if (w->reply_len == 0 || w->reply_len > WIRE_MAX_REPLY ||
			    (w->reply = malloc(w->reply_len)) == NULL) {
				worker_lost(w);
				return;
			}
		}
		if (w->got > sizeof(w->lenbuf) &&
		    w->got == sizeof(w->lenbuf) + w->reply_len) {
			worker_deliver(w);
			worker_dispatch(w->pool);
			return;
		}
	}
}

static void
worker_write_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	ssize_t n;

	while (w->iov_idx < 4) {
		n = writev(w->fd, &w->iov[w->iov_idx], 4 - w->iov_idx);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			worker_lost(w);
			return;
		}
		while (n > 0 && w->iov_idx < 4) {
			struct iovec *v = &w->iov[w->iov_idx];
			size_t k = (size_t)n < v->iov_len ? (size_t)n : v->iov_len;

			v->iov_base = (char *)v->iov_base + k;
			v->iov_len -= k;
			n -= (ssize_t)k;
			if (v->iov_len == 0)
				w->iov_idx++;
		}
		while (w->iov_idx < 4 && w->iov[w->iov_idx].iov_len == 0)
			w->iov_idx++;
	}
	ev_io_stop(loop, &w->wio);
}

static void
worker_deadline_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;

	w->timed_out = 1;
	if (w->pid > 0)
		kill(w->pid, SIGKILL);
}

static void
worker_start_job(struct worker *w, struct job *j)
{
	struct ev_loop *loop = w->pool->loop;
	double wall = (double)(w->pool->cpu_limit * WORKER_DEADLINE_FACTOR +
	    WORKER_DEADLINE_SLACK);

	w->job = j;
	w->timed_out = 0;
	memset(&w->req, 0, sizeof(w->req));
	w->req.magic = WIRE_MAGIC;
	w->req.url_len = (uint32_t)strlen(j->url);
	w->req.ctype_len = (uint32_t)strlen(j->ctype);
	w->req.body_len = j->len;
	w->iov[0].iov_base = &w->req;
	w->iov[0].iov_len = sizeof(w->req);
	w->iov[1].iov_base = j->url;
	w->iov[1].iov_len = w->req.url_len;
	w->iov[2].iov_base = j->ctype;
	w->iov[2].iov_len = w->req.ctype_len;
	w->iov[3].iov_base = j->body;
	w->iov[3].iov_len = j->len;
	w->iov_idx = 0;
	ev_timer_set(&w->deadline, wall, 0.);
	ev_timer_start(loop, &w->deadline);
	ev_io_start(loop, &w->wio);
}

static void
worker_dispatch(struct worker_pool *p)
{
	int i;

	for (i = 0; i < p->nworkers && p->head != NULL; i++) {
		struct worker *w = &p->workers[i];
		struct job *j;

		if (w->fd < 0 || w->job != NULL)
			continue;
		j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->pending--;
		j->next = NULL;
		worker_start_job(w, j);
	}
}

static int worker_spawn(struct worker *);

static void
worker_child_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	struct worker *w = c->data;
	int st = c->rstatus;
	char msg[128];

	ev_child_stop(loop, c);
	w->pid = -1;
	worker_lost(w);
	if (w->timed_out)
		snprintf(msg, sizeof(msg), "parser did not finish within %lld s",
		    (long long)(w->pool->cpu_limit * WORKER_DEADLINE_FACTOR +
		    WORKER_DEADLINE_SLACK));
	else if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGPROF ||
	    WTERMSIG(st) == SIGXCPU))
		snprintf(msg, sizeof(msg), "parsing took more than %lld s of "
		    "CPU time; feed rejected", (long long)w->pool->cpu_limit);
	else if (WIFSIGNALED(st))
		snprintf(msg, sizeof(msg), "parser process died (signal %d)",
		    WTERMSIG(st));
	else
		snprintf(msg, sizeof(msg), "parser process exited (status %d)",
		    WEXITSTATUS(st));
	if (w->job != NULL)
		log_warn("%s", msg);
	worker_fail_job(w, msg);
	if (worker_spawn(w) != 0)
		log_err("cannot restart a parser worker: %s", strerror(errno));
	worker_dispatch(w->pool);
}

static int
worker_spawn(struct worker *w)
{
	struct worker_pool *p = w->pool;
	char fdarg[16], cpuarg[32];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	snprintf(cpuarg, sizeof(cpuarg), "%lld", (long long)p->cpu_limit);
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* A fresh image: no SQLite, curl or API state crosses over. */
		fcntl(sv[1], F_SETFD, 0);
		execl(WORKER_SELF_EXE, "tidingsd", "--parse-worker", fdarg,
		    cpuarg, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	w->pid = pid;
	w->fd = sv[0];
	ev_io_init(&w->rio, worker_read_cb, w->fd, EV_READ);
	ev_io_init(&w->wio, worker_write_cb, w->fd, EV_WRITE);
	w->rio.data = w->wio.data = w;
	ev_io_start(p->loop, &w->rio);
	ev_child_init(&w->child, worker_child_cb, pid, 0);
	w->child.data = w;
	ev_child_start(p->loop, &w->child);
	return 0;
}

struct worker_pool *
worker_pool_new(struct ev_loop *loop, int nworkers, int64_t cpu_limit,
    worker_done_fn done, char *err, size_t errlen)
{
	struct worker_pool *p;
	int i;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->workers = calloc((size_t)nworkers, sizeof(*p->workers))) == NULL) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->loop = loop;
	p->cpu_limit = cpu_limit;
	p->done = done;
	p->nworkers = nworkers;
	for (i = 0; i < nworkers; i++) {
		struct worker *w = &p->workers[i];

		w->pool = p;
		w->fd = -1;
		w->pid = -1;
		ev_timer_init(&w->deadline, worker_deadline_cb, 0., 0.);
		w->deadline.data = w;
		if (worker_spawn(w) != 0) {
			snprintf(err, errlen, "cannot start parser worker: %s",
			    strerror(errno));
			worker_pool_free(p);
			return NULL;
		}
	}
	return p;
}

int
worker_pool_submit(struct worker_pool *p, void *tag, const char *url,
    const char *ctype, char *body, size_t len)
{
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->url = strdup(url ? url : "")) == NULL ||
	    (j->ctype = strdup(ctype ? ctype : "")) == NULL) {
		if (j != NULL)
			free(j->url);
		free(j);
		free(body);
		return -1;
	}
	j->tag = tag;
	j->body = body;
	j->len = len;
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->pending++;
	worker_dispatch(p);
	return 0;
}

size_t
worker_pool_pending(const struct worker_pool *p)
{
	size_t n = p->pending;
	int i;

	for (i = 0; i < p->nworkers; i++)
		n += p->workers[i].job != NULL;
	return n;
}

void
worker_pool_free(struct worker_pool *p)
{
	struct job *j, *next;
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nworkers; i++) {
		struct worker *w = &p->workers[i];
		pid_t pid = w->pid;

		ev_child_stop(p->loop, &w->child);
		worker_lost(w);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		job_free(w->job);
	}
	for (j = p->head; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	free(p->workers);
	free(p);
}

/* ---- the worker process ---- */

static int
read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
cpu_budget(int64_t secs)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)secs;
	setitimer(ITIMER_PROF, &it, NULL);
}

/* Parses one request's body and writes the reply. */
static int
worker_serve(int fd, const struct wire_req *rq, int64_t cpu_limit)
{
	char *url = NULL, *ctype = NULL, *body = NULL, *out = NULL;
	char *block = NULL;
	struct feed_doc doc;
	json_t *root = NULL;
	size_t jlen, blen = 0;
	uint32_t len;
	int rc = -1, prc;

	feed_doc_init(&doc);
	if ((url = calloc(1, rq->url_len + 1)) == NULL ||
	    (ctype = calloc(1, rq->ctype_len + 1)) == NULL ||
	    (body = malloc(rq->body_len + 1)) == NULL)
		goto done;
	if (read_full(fd, url, rq->url_len) != 0 ||
	    read_full(fd, ctype, rq->ctype_len) != 0 ||
	    read_full(fd, body, rq->body_len) != 0)
		goto done;
	body[rq->body_len] = '\0';
	cpu_budget(cpu_limit);
	prc = parse_feed(body, rq->body_len, *url ? url : NULL,
	    *ctype ? ctype : NULL, &doc);
	/* The store's share of the text work, within the same budget. */
	if (prc == 0)
		derive_doc(&doc);
	cpu_budget(0);
	if (prc == 0)
		parse_clamp_future(&doc, time_now());
	if ((root = feedjson_encode(&doc)) == NULL)
		goto done;
	json_object_set_new(root, "ok", json_boolean(prc == 0));
	if (prc != 0 && doc.error == NULL)
		json_object_set_new(root, "error", json_string("not a feed"));
	if ((out = json_dumps(root, JSON_COMPACT)) == NULL)
		goto done;
	jlen = strlen(out);
	/*
	 * Without the block (out of memory, or a reply it would make too
	 * big for the loop, which took it before) the store does the work.
	 */
	if (prc == 0 && derive_encode(&doc, &block, &blen) == 0 &&
	    jlen + 1 + blen > WIRE_MAX_REPLY) {
		free(block);
		block = NULL;
	}
	len = (uint32_t)(jlen + (block != NULL ? 1 + blen : 0));
	if (write_full(fd, &len, sizeof(len)) == 0 &&
	    write_full(fd, out, jlen) == 0 &&
	    (block == NULL || (write_full(fd, "", 1) == 0 &&
	    write_full(fd, block, blen) == 0)))
		rc = 0;
done:
	free(block);
	free(out);
	json_decref(root);
	feed_doc_free(&doc);
	free(url);
	free(ctype);
	free(body);
	return rc;
}

int
worker_main(int fd, int64_t cpu_limit)
{
	struct wire_req rq;

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	{
		/* Contain a parser gone wild; sanitizers need the space. */
		struct rlimit rl = { WORKER_MEM_LIMIT, WORKER_MEM_LIMIT };

		setrlimit(RLIMIT_AS, &rl);
	}
#endif
	parse_init();
	while (read_full(fd, &rq, sizeof(rq)) == 0) {
		if (rq.magic != WIRE_MAGIC || rq.url_len > WIRE_MAX_URL ||
		    rq.ctype_len > WIRE_MAX_CTYPE ||
		    rq.body_len > (uint64_t)WIRE_MAX_BODY)
			return 2;
		if (worker_serve(fd, &rq, cpu_limit) != 0)
			return 1;
	}
	return 0;
}
