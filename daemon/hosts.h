/*
 * hosts.h - per-host politeness state: requests in flight, when the next
 * request may start (spacing) and until when the host asked us to stay
 * away (Retry-After).  A hash table of host names; entries live until
 * hosts_free(), so pointers to them stay valid.
 */
#ifndef TIDINGS_HOSTS_H
#define TIDINGS_HOSTS_H

#include <stddef.h>
#include <stdint.h>

struct host {
	char		*name;		/* "host:port", lowercase */
	struct host	*next;		/* hash chain */
	long		 in_flight;
	double		 next_start;	/* ev_now() seconds: spacing */
	int64_t		 blocked_until;	/* Unix seconds: Retry-After */
};

struct hosts;

struct hosts *hosts_new(void);
void	hosts_free(struct hosts *);
/* The entry of url's host, created on first use; NULL if no host/ENOMEM. */
struct host *hosts_get(struct hosts *, const char *url);
size_t	hosts_count(const struct hosts *);

#endif
