/*
 * main.c - tidingsd: start-up order, signals, reload and shutdown.
 *
 * Order matters: the parser workers are started before the database is
 * opened (no SQLite connection may cross a fork), the socket last, once
 * everything it serves exists.  SIGHUP parses the config into a new
 * struct and swaps it in only when valid; SIGINT and SIGTERM cancel the
 * transfers in flight and close the database cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>
#include <libxml/parser.h>

#include "api.h"
#include "checkpoint.h"
#include "cluster.h"
#include "ingest.h"
#include "conf.h"
#include "log.h"
#include "notify.h"
#include "sched.h"
#include "service.h"
#include "store.h"
#include "store_fts.h"
#include "util.h"
#include "worker.h"

#define EXIT_USAGE	2
#define EXIT_CONFIG	78	/* sysexits' EX_CONFIG, as systemd expects */
#define DIR_MODE	0700
#define ERR_LEN		512
#define COMMIT_LOG_MODE	0600
#define LOOP_CACHE_KIB	512	/* the loop connection's page cache */

/* Long options only; their values are past the range of single letters. */
enum { OPT_TEST_COMMIT_LOG = 256 };
static const struct option long_opts[] = {
	{ "test-commit-log", required_argument, NULL, OPT_TEST_COMMIT_LOG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct daemon_state {
	const char	*conf_path;
	struct conf	 conf;
	struct ev_loop	*loop;
	struct store	*store;		/* the loop's */
	struct ingest	*ingest;	/* owns the ingest thread's store */
	struct checkpointer *ckpt;	/* copies the WAL, or NULL */
	struct store_fts *fts;		/* the search indexer, or NULL */
	struct sched	*sched;
	struct worker_pool *pool;
	struct api	*api;
	struct service	*service;
	struct api_ctx	 ctx;
	char		*database;	/* owned copy: conf may be swapped */
	const char	*commit_log;	/* --test-commit-log FILE, or NULL */
	int		 commit_log_fd;
	ev_signal	 sighup, sigint, sigterm;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: tidingsd [-v] [-t] [-c FILE] [--test-commit-log=FILE]\n"
	    "\n"
	    "News feed aggregator daemon: polls the feeds, stores their items\n"
	    "and serves the tidings(1) client on a Unix socket.\n"
	    "\n"
	    "  -c FILE   configuration file (default " CONF_DEFAULT_PATH ")\n"
	    "  -t        check the configuration and exit\n"
	    "  -v        more log output (debug)\n"
	    "  -V, --version  print the version and exit\n"
	    "  -h, --help     this help\n"
	    "  --test-commit-log=FILE  (tests only) write \"COMMITTED batch n\"\n"
	    "            to FILE (- for standard output) after each commit\n"
	    "\n"
	    "Exit status: 0 clean shutdown, 1 runtime error, 2 usage error,\n"
	    "78 configuration error.  See tidingsd(8) and tidings.conf(5).\n");
}

/* mkdir -p for the parent directories of path, refusing foreign ones. */
static int
make_parent_dirs(const char *path, char *err, size_t errlen)
{
	char buf[4096];
	char *p;
	struct stat st;

	if (str_copy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((p = strrchr(buf, '/')) == NULL || p == buf)
		return 0;
	*p = '\0';
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(buf, DIR_MODE) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %.400s: %s", buf,
			    strerror(errno));
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	/* The innermost directory holds our socket or database: it must be ours. */
	if (lstat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%.400s is not a directory", buf);
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "%.400s belongs to another user (uid %u)",
		    buf, (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

/* The [cluster] settings, for a store that may be on another thread. */
struct cluster_job {
	struct ingest_job	 job;
	struct cluster_params	 params;
	int			 enabled, reopen;
};

static void
cluster_settings(const struct conf *c, struct cluster_job *cj)
{
	cj->params.threshold = c->cluster_threshold;
	cj->params.window = c->cluster_window;
	cj->params.merge_threshold = c->cluster_merge_threshold;
	cj->params.max_items = (size_t)c->cluster_max_items;
	cj->enabled = c->cluster_enabled;
	cj->reopen = c->cluster_reopen;
	cj->job.arg = cj;
}

static int
cluster_apply(struct store *s, struct ingest_job *j)
{
	struct cluster_job *cj = j->arg;

	store_cluster_configure(s, &cj->params, cj->enabled, cj->reopen);
	store_cluster_limit(s, cj->params.max_items);
	return STORE_OK;
}

static void
cluster_applied(struct ingest_job *j)
{
	free(j->arg);
}

static void
sync_config(struct daemon_state *d, const struct conf *c)
{
	struct store_conf_feed *cf;
	struct cluster_job cj, *ij;
	size_t i;

	/* Before the feeds: their sync may not yet cluster, but polls will. */
	cluster_settings(c, &cj);
	cluster_apply(d->store, &cj.job);
	if (d->ingest != NULL && (ij = malloc(sizeof(*ij))) != NULL) {
		*ij = cj;
		ij->job.run = cluster_apply;
		ij->job.done = cluster_applied;
		ij->job.arg = ij;
		ingest_submit(d->ingest, &ij->job);
	} else if (d->ingest != NULL)
		log_err("cannot apply the [cluster] settings: out of memory");

	if ((cf = calloc(c->nfeeds + 1, sizeof(*cf))) == NULL) {
		log_err("cannot sync the config feeds: out of memory");
		return;
	}
	for (i = 0; i < c->nfeeds; i++) {
		cf[i].name = c->feeds[i].name;
		cf[i].url = c->feeds[i].url;
		cf[i].tags = c->feeds[i].tags;
		cf[i].interval = c->feeds[i].interval;
		cf[i].no_cluster = c->feeds[i].no_cluster;
	}
	if (store_sync_config(d->store, cf, c->nfeeds) != STORE_OK)
		log_err("cannot sync the config feeds: %s",
		    store_errmsg(d->store));
	free(cf);
}

static void
on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon_state *d = w->data;
	struct conf nc;
	char err[ERR_LEN];

	service_reloading(d->service);
	if (conf_load(d->conf_path, &nc, err, sizeof(err)) != 0) {
		log_err("reload failed, keeping the running config: %s", err);
		service_reloaded(d->service);
		return;
	}
	if (strcmp(nc.database, d->conf.database) != 0 ||
	    strcmp(nc.socket, d->conf.socket) != 0 ||
	    nc.socket_mode != d->conf.socket_mode)
		log_warn("database and socket changes take effect at restart");
	sync_config(d, &nc);
	sched_set_conf(d->sched, &nc);
	conf_free(&d->conf);
	d->conf = nc;
	log_info("configuration reloaded: %zu feeds in %s", d->conf.nfeeds,
	    d->conf_path);
	service_reloaded(d->service);
}

static void
on_sigterm(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon_state *d = w->data;

	log_info("received signal %d, shutting down", w->signum);
	service_stopping(d->service);
	ev_break(loop, EVBREAK_ALL);
}

static int
daemon_run(struct daemon_state *d)
{
	char err[ERR_LEN];
	struct store *is;
	struct cluster_job cj;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int nworkers = d->conf.parse_workers > 0 ? (int)d->conf.parse_workers :
	    (ncpu > 0 ? (int)ncpu : 1);

	d->loop = EV_DEFAULT;
	/* Workers first: no SQLite connection may cross a fork. */
	d->pool = worker_pool_new(d->loop, nworkers, d->conf.parse_cpu_limit,
	    sched_parsed, err, sizeof(err));
	if (d->pool == NULL) {
		log_err("%s", err);
		return 1;
	}
	if (make_parent_dirs(d->conf.database, err, sizeof(err)) != 0 ||
	    make_parent_dirs(d->conf.socket, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return 1;
	}
	if ((d->store = store_open(d->conf.database, err, sizeof(err))) == NULL) {
		log_err("cannot open the database %s: %s", d->conf.database, err);
		return 1;
	}
	/* The loop's connection only reads small answers: a small cache. */
	if (store_set_cache(d->store, LOOP_CACHE_KIB) != STORE_OK)
		log_warn("cannot size the database cache: %s",
		    store_errmsg(d->store));
	sync_config(d, &d->conf);
	if ((is = store_open(d->conf.database, err, sizeof(err))) == NULL) {
		log_err("cannot open the database %s: %s", d->conf.database, err);
		return 1;
	}
	/*
	 * html_text() runs libxml2 on the ingest and indexer threads: its
	 * global set-up must happen once, here, before either starts.
	 */
	xmlInitParser();
	/* Without its index the daemon still polls; searches fail. */
	if ((d->fts = store_fts_start(d->conf.database, err, sizeof(err))) ==
	    NULL)
		log_err("no full-text search: %s", err);
	store_set_indexer(d->store, d->fts);
	store_set_indexer(is, d->fts);
	/* Without it SQLite checkpoints inside the commits, as before. */
	if ((d->ckpt = checkpointer_start(d->conf.database,
	    CHECKPOINT_FRAMES, err, sizeof(err))) == NULL)
		log_warn("checkpoints on the committing threads: %s", err);
	store_set_checkpointer(d->store, d->ckpt, 0);
	store_set_checkpointer(is, d->ckpt, 1);
	cluster_settings(&d->conf, &cj);
	cluster_apply(is, &cj.job);
	if ((d->ingest = ingest_new(d->loop, is, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		return 1;
	}
	if ((d->sched = sched_new(d->loop, d->store, d->ingest, &d->conf,
	    d->pool)) == NULL) {
		log_err("cannot start the scheduler: out of memory");
		return 1;
	}
	if ((d->database = strdup(d->conf.database)) == NULL)
		return 1;
	if (d->commit_log != NULL) {
		d->commit_log_fd = strcmp(d->commit_log, "-") == 0 ?
		    STDOUT_FILENO : open(d->commit_log, O_WRONLY | O_APPEND |
		    O_CREAT | O_CLOEXEC, COMMIT_LOG_MODE);
		if (d->commit_log_fd == -1) {
			log_err("%s: %s", d->commit_log, strerror(errno));
			return 1;
		}
		sched_set_commit_log(d->sched, d->commit_log_fd);
	}
	d->ctx.store = d->store;
	d->ctx.sched = d->sched;
	d->ctx.version = TIDINGS_VERSION;
	d->ctx.started = time_now();
	d->ctx.database = d->database;
	d->api = api_start(d->loop, d->conf.socket, d->conf.socket_mode,
	    &d->ctx, err, sizeof(err));
	if (d->api == NULL) {
		log_err("cannot serve the API on %s: %s", d->conf.socket, err);
		return 1;
	}
	ev_signal_init(&d->sighup, on_sighup, SIGHUP);
	ev_signal_init(&d->sigint, on_sigterm, SIGINT);
	ev_signal_init(&d->sigterm, on_sigterm, SIGTERM);
	d->sighup.data = d;
	d->sigint.data = d;
	d->sigterm.data = d;
	ev_signal_start(d->loop, &d->sighup);
	ev_signal_start(d->loop, &d->sigint);
	ev_signal_start(d->loop, &d->sigterm);
	log_info("tidingsd %s started: %zu config feeds, %d parser workers, "
	    "database %s, socket %s", TIDINGS_VERSION, d->conf.nfeeds,
	    nworkers, d->conf.database, d->conf.socket);
	/* Database open, API listening: now we are ready. */
	d->service = service_ready(d->loop, d->store, d->sched);
	ev_run(d->loop, 0);
	return 0;
}

static void
daemon_cleanup(struct daemon_state *d)
{
	service_free(d->service);
	api_stop(d->api);
	ingest_free(d->ingest);		/* commits what is queued */
	sched_free(d->sched);		/* cancels transfers in flight */
	worker_pool_free(d->pool);
	store_close(d->store);
	store_fts_stop(d->fts);		/* after the last commit's kick */
	checkpointer_stop(d->ckpt);	/* after the stores' last commits */
	conf_free(&d->conf);
	free(d->database);
	if (d->commit_log_fd > STDERR_FILENO)
		close(d->commit_log_fd);
}

int
main(int argc, char **argv)
{
	struct daemon_state d;
	enum log_level lvl = LOG_LVL_INFO;
	char err[ERR_LEN];
	int ch, check_only = 0, rc;

	if (argc == 4 && strcmp(argv[1], "--parse-worker") == 0) {
		/* Internal: a parser process started by worker.c. */
		log_init("tidingsd-parser", LOG_LVL_WARN);
		return worker_main(atoi(argv[2]), strtoll(argv[3], NULL, 10));
	}
	/* Before anything can open a descriptor that lands on fd 3. */
	notify_listen_init();
	memset(&d, 0, sizeof(d));
	d.conf_path = CONF_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "c:tvVh", long_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_TEST_COMMIT_LOG:
			d.commit_log = optarg;
			break;
		case 'c':
			d.conf_path = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'v':
			lvl = LOG_LVL_DEBUG;
			break;
		case 'V':
			printf("tidingsd %s\n", TIDINGS_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_init("tidingsd", lvl);
	if (conf_load(d.conf_path, &d.conf, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return EXIT_CONFIG;
	}
	if (check_only) {
		printf("%s: ok, %zu feeds\n", d.conf_path, d.conf.nfeeds);
		conf_free(&d.conf);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
#ifdef M_ARENA_MAX
	/*
	 * One malloc arena for the loop and the ingest thread: what one
	 * frees (the clustering index's evicted stories, a stored poll's
	 * document) the other can reuse.  Two arenas peaked 3.5 MB higher
	 * at 10,000 feeds, and the lock is not contended (docs/PERFORMANCE.md).
	 */
	mallopt(M_ARENA_MAX, 1);
#endif
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("cannot initialise libcurl");
		conf_free(&d.conf);
		return 1;
	}
	rc = daemon_run(&d);
	daemon_cleanup(&d);
	curl_global_cleanup();
	if (rc == 0)
		log_info("stopped");
	return rc;
}
