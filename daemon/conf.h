/*
 * conf.h - tidings.conf: the daemon's settings and the feeds it declares.
 *
 * Owns parsing and validation of the INI file (inih) into struct conf.
 * Pure apart from reading the file: a reload parses into a new struct and
 * the caller swaps it in only when it is valid.
 */
#ifndef TIDINGS_CONF_H
#define TIDINGS_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONF_DEFAULT_PATH	"/etc/tidings/tidings.conf"

struct conf_feed {
	char	*name;		/* from [feed "Name"] */
	char	*url;
	char	*tags;		/* comma-separated or NULL */
	int64_t	 interval;	/* seconds, 0 = poll_interval */
	int	 no_cluster;	/* cluster = no */
	unsigned line;		/* where the section starts, for messages */
};

struct conf {
	char	*database;
	char	*socket;
	mode_t	 socket_mode;
	int64_t	 poll_interval;		/* seconds */
	int64_t	 min_interval;		/* floor for every interval, seconds */
	long	 max_connections;
	long	 max_per_host;
	char	*user_agent;
	int64_t	 timeout;		/* whole transfer, seconds */
	int64_t	 connect_timeout;	/* seconds */
	int64_t	 max_feed_size;		/* decoded bytes */
	long	 parse_workers;		/* 0: one per core */
	int64_t	 parse_cpu_limit;	/* CPU seconds per parse */
	/* [cluster] */
	int	 cluster_enabled;
	double	 cluster_threshold;	/* 0..1 */
	double	 cluster_merge_threshold; /* 0..1; 0 = no online merges */
	int64_t	 cluster_window;	/* seconds; 0 = off */
	int	 cluster_reopen;	/* reopen_on_new_source */
	long	 cluster_max_items;	/* items in the index; 0 = no cap */
	int	 allow_private_redirects;	/* see netguard.h */
	/* Polite polling (polite.h, sched.c). */
	int64_t	 max_interval;		/* ceiling for every interval, seconds */
	int64_t	 host_spacing_ms;	/* between request starts to one host */
	int64_t	 redirect_after;	/* 301/308 seen this long: learned */
	int	 adaptive;		/* follow each feed's publishing pace */
	struct conf_feed *feeds;
	size_t	 nfeeds;
};

/*
 * Loads path into out.  On error returns -1 with "FILE:LINE: what" (or
 * "FILE: what") in err; out is then freed.  Paths left unset get the
 * defaults of conf_default_paths().
 */
int	conf_load(const char *path, struct conf *out, char *err, size_t errlen);
void	conf_free(struct conf *);
/*
 * Default database and socket paths: systemd's STATE_DIRECTORY and
 * RUNTIME_DIRECTORY when set, else user mode: $XDG_DATA_HOME/tidings (or
 * ~/.local/share/tidings) and $XDG_RUNTIME_DIR/tidings (or
 * /tmp/tidings-$UID).  malloc'd; NULL on ENOMEM.
 */
char	*conf_default_database(void);
char	*conf_default_socket(void);

#endif
