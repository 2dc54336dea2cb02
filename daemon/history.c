/*
 * history.c - per-feed rings of recent requests (see history.h).
 *
 * A hash from feed id to a fixed ring; the ring of a feed is allocated on
 * its first request, so memory follows the feeds actually polled.
 */
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "util.h"

#define HISTORY_BUCKETS	1024	/* initial; a power of two */
#define HISTORY_LOAD	2	/* rings per bucket before growing */

struct ring {
	int64_t		 feed_id;
	struct ring	*next;
	uint8_t		 head;		/* next slot to write */
	uint8_t		 n;
	struct history_entry e[HISTORY_LEN];
};

_Static_assert(HISTORY_LEN <= UINT8_MAX, "ring positions are uint8_t");

struct history {
	struct ring	**b;
	size_t		 nb;
	size_t		 n;
};

static size_t
slot(int64_t id, size_t nb)
{
	/* Ids are sequential: multiplying spreads them over the buckets. */
	return (size_t)(((uint64_t)id * 11400714819323198485ULL) >> 32) &
	    (nb - 1);
}

struct history *
history_new(void)
{
	struct history *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->b = calloc(HISTORY_BUCKETS, sizeof(*h->b))) == NULL) {
		free(h);
		return NULL;
	}
	h->nb = HISTORY_BUCKETS;
	return h;
}

void
history_free(struct history *h)
{
	struct ring *r, *next;
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nb; i++)
		for (r = h->b[i]; r != NULL; r = next) {
			next = r->next;
			free(r);
		}
	free(h->b);
	free(h);
}

static struct ring *
ring_find(const struct history *h, int64_t id)
{
	struct ring *r;

	for (r = h->b[slot(id, h->nb)]; r != NULL; r = r->next)
		if (r->feed_id == id)
			return r;
	return NULL;
}

static void
history_grow(struct history *h)
{
	struct ring **nb, *r, *next;
	size_t i, n = h->nb * 2, k;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;		/* longer chains, still correct */
	for (i = 0; i < h->nb; i++)
		for (r = h->b[i]; r != NULL; r = next) {
			next = r->next;
			k = slot(r->feed_id, n);
			r->next = nb[k];
			nb[k] = r;
		}
	free(h->b);
	h->b = nb;
	h->nb = n;
}

int
history_add(struct history *h, int64_t id, const struct history_entry *e)
{
	struct ring *r = ring_find(h, id);
	size_t k;

	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return -1;
		r->feed_id = id;
		k = slot(id, h->nb);
		r->next = h->b[k];
		h->b[k] = r;
		if (++h->n > h->nb * HISTORY_LOAD)
			history_grow(h);
	}
	r->e[r->head] = *e;
	r->head = (uint8_t)((r->head + 1) % HISTORY_LEN);
	if (r->n < HISTORY_LEN)
		r->n++;
	return 0;
}

void
history_forget(struct history *h, int64_t id)
{
	struct ring **pp, *r;

	for (pp = &h->b[slot(id, h->nb)]; (r = *pp) != NULL; pp = &r->next)
		if (r->feed_id == id) {
			*pp = r->next;
			free(r);
			h->n--;
			return;
		}
}

static json_t *
entry_json(const struct history_entry *e)
{
	char t[RFC3339_LEN];

	return json_pack("{s:s, s:i, s:b, s:I, s:f, s:i, s:b}",
	    "time", time_format_rfc3339((int64_t)e->at, t),
	    "status", (int)e->status,
	    "conditional", (e->flags & HISTORY_CONDITIONAL) != 0,
	    "bytes", (json_int_t)e->bytes,
	    "seconds", (double)e->seconds,
	    "redirects", (int)e->redirects,
	    "failed", (e->flags & HISTORY_FAILED) != 0);
}

json_t *
history_json(const struct history *h, int64_t id)
{
	const struct ring *r = ring_find(h, id);
	json_t *a = json_array(), *o;
	unsigned i;

	if (a == NULL || r == NULL)
		return a;
	for (i = 0; i < r->n; i++) {
		o = entry_json(&r->e[(r->head + HISTORY_LEN - 1 - i) %
		    HISTORY_LEN]);
		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
