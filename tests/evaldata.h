/*
 * evaldata.h - labelled clustering data for the evaluation tools
 * (cluster-eval, cluster-ceiling): loading it and scoring a grouping.
 *
 * A file is a labels.json (xi-zelensky corpus: items with title,
 * published, story, lang; "related" story pairs) or a TSV (doc_id,
 * story_id, ts, outlet, title, url[, lead]).  The loaded items and
 * related pairs are owned here until ev_free.
 */
#ifndef TIDINGS_EVALDATA_H
#define TIDINGS_EVALDATA_H

#include <stddef.h>
#include <stdint.h>

struct ev_item {
	char	*gold;		/* the labelled story */
	size_t	 gid;		/* the same as a number: equal gold, equal gid */
	char	*title;
	char	*lead;		/* NULL: none, or titles only (-T) */
	int64_t	 t;		/* published; CLUSTER_TIME_UNKNOWN when not */
	int64_t	 pred;		/* the story a tool put it in */
	uint64_t order;		/* among items of the same time */
};

struct ev_opts {
	const char *lang;	/* keep only items of it (labels.json); NULL: all */
	int	 summaries;	/* 1: TSV leads / feed summaries; 0: titles only */
	int	 half;		/* 0 tuning half, 1 test half, -1 all stories */
};

struct ev_score {
	double	 pair_p, pair_r, pair_f1;
	double	 b3_p, b3_r, b3_f1;
};

extern struct ev_item *ev_items;
extern size_t ev_nitems;

/* -s's argument: 0 for "tune", 1 for "test"; exits 2 on anything else. */
int	 ev_half(const char *arg);
/* Loads FILE (by its name: .json or TSV); exits 2 with a message on failure. */
void	 ev_load(const char *path, const struct ev_opts *);
/* 1 when two gold stories are listed as related (neither right nor wrong). */
int	 ev_related(const char *a, const char *b);
/* Pairwise and B-cubed scores of ev_items' pred against gold. */
void	 ev_score(struct ev_score *);
double	 ev_f1(double p, double r);
void	 ev_free(void);
/* Prints "cluster-eval: m"-style messages under the tool's name; exits 2. */
void	 ev_die(const char *m) __attribute__((noreturn));
extern const char *ev_progname;

#endif
