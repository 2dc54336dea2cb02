/*
 * evaldata.c - labelled clustering data for the evaluation tools: the
 * loaders (labels.json with summaries read through the real parser, the
 * corpus TSVs), the tuning/test split and the pairwise and B-cubed
 * scores, related pairs left out of both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster.h"
#include "date.h"
#include "evaldata.h"
#include "feed.h"
#include "parse.h"

struct ev_item *ev_items;
size_t ev_nitems;
const char *ev_progname = "cluster-eval";

static size_t citems;
static char *(*related)[2];
static size_t nrelated;
static const struct ev_opts *opts;

void
ev_die(const char *m)
{
	fprintf(stderr, "%s: %s\n", ev_progname, m);
	exit(2);
}

/*
 * The half of the data a story falls in: FNV-1a of its id, mixed (the
 * raw FNV bits of short similar ids hardly vary), even or odd.
 */
static int
story_half(const char *story)
{
	uint64_t h = 1469598103934665603ULL;

	while (*story != '\0')
		h = (h ^ (unsigned char)*story++) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (int)(h & 1);
}

static void
add_item(const char *gold, const char *title, const char *lead, int64_t t)
{
	if (opts->half >= 0 && story_half(gold) != opts->half)
		return;
	if (ev_nitems == citems) {
		citems = citems ? citems * 2 : 256;
		if ((ev_items = realloc(ev_items, citems * sizeof(*ev_items))) == NULL)
			ev_die("out of memory");
	}
	ev_items[ev_nitems].gold = strdup(gold);
	ev_items[ev_nitems].title = strdup(title);
	ev_items[ev_nitems].lead = lead != NULL ? strdup(lead) : NULL;
	ev_items[ev_nitems].t = t;
	ev_items[ev_nitems].pred = 0;
	ev_nitems++;
}

/*
 * The summary the daemon would store for the item at link in feeds/NAME
 * next to the labels (the real parser reads it); NULL when not found.
 */
static char *
feed_summary(const char *labels, const char *feed, const char *link)
{
	char path[4096], *body = NULL, *sum = NULL;
	const char *slash = strrchr(labels, '/');
	struct feed_doc doc;
	size_t len = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "%.*sfeeds/%s", slash != NULL ?
	    (int)(slash - labels + 1) : 0, labels, feed);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = (size_t)ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (body = malloc(len)) != NULL)
		len = fread(body, 1, len, f);
	fclose(f);
	if (body == NULL)
		return NULL;
	feed_doc_init(&doc);
	if (parse_feed(body, len, NULL, NULL, &doc) == 0)
		for (i = 0; i < doc.nitems; i++)
			if (doc.items[i].link != NULL && link != NULL &&
			    strcmp(doc.items[i].link, link) == 0 &&
			    doc.items[i].summary != NULL) {
				sum = strdup(doc.items[i].summary);
				break;
			}
	feed_doc_free(&doc);
	free(body);
	return sum;
}

static void
load_json(const char *path, const char *lang)
{
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err), *a, *it;
	size_t i;

	if (root == NULL)
		ev_die(err.text);
	json_array_foreach(json_object_get(root, "items"), i, it) {
		const char *l = json_string_value(json_object_get(it, "lang"));
		const char *p = json_string_value(json_object_get(it,
		    "published"));

		if (lang != NULL && (l == NULL || strcmp(l, lang) != 0))
			continue;
		char *sum = feed_summary(path,
		    json_string_value(json_object_get(it, "feed")),
		    json_string_value(json_object_get(it, "link")));

		add_item(json_string_value(json_object_get(it, "story")),
		    json_string_value(json_object_get(it, "title")),
		    opts->summaries ? sum : NULL,
		    p != NULL ? date_parse(p) : CLUSTER_TIME_UNKNOWN);
		free(sum);
	}
	a = json_object_get(root, "related");
	if ((related = calloc(json_array_size(a) + 1, sizeof(*related))) ==
	    NULL)
		ev_die("out of memory");
	json_array_foreach(a, i, it) {
		related[i][0] = strdup(json_string_value(json_array_get(it, 0)));
		related[i][1] = strdup(json_string_value(json_array_get(it, 1)));
		nrelated++;
	}
	json_decref(root);
}

static void
load_tsv(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *col[8];
	size_t cap = 0, n;
	int first = 1;

	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", ev_progname, path,
		    strerror(errno));
		exit(2);
	}
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *save = NULL;

		line[strcspn(line, "\r\n")] = '\0';
		if (first) {
			first = 0;
			continue;
		}
		for (n = 0; n < 8 && (col[n] = strtok_r(n ? NULL : p, "\t",
		    &save)) != NULL; n++)
			;
		if (n < 5)
			continue;
		add_item(col[1], col[4], n > 6 && opts->summaries ? col[6] : NULL,
		    strtoll(col[2], NULL, 10));
	}
	free(line);
	fclose(f);
}

int
ev_related(const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < nrelated; i++)
		if ((strcmp(related[i][0], a) == 0 &&
		    strcmp(related[i][1], b) == 0) ||
		    (strcmp(related[i][0], b) == 0 &&
		    strcmp(related[i][1], a) == 0))
			return 1;
	return 0;
}


int
ev_half(const char *arg)
{
	if (strcmp(arg, "tune") == 0)
		return 0;
	if (strcmp(arg, "test") == 0)
		return 1;
	ev_die("-s takes tune or test");
}

static int
by_gold(const void *a, const void *b)
{
	return strcmp(ev_items[*(const size_t *)a].gold,
	    ev_items[*(const size_t *)b].gold);
}

/* Numbers the gold stories: scoring compares them n^2 times. */
static void
number_gold(void)
{
	size_t *ix, i, g = 0;

	if (ev_nitems == 0)
		return;
	if ((ix = malloc(ev_nitems * sizeof(*ix))) == NULL)
		ev_die("out of memory");
	for (i = 0; i < ev_nitems; i++)
		ix[i] = i;
	qsort(ix, ev_nitems, sizeof(*ix), by_gold);
	for (i = 0; i < ev_nitems; i++) {
		if (i > 0 && by_gold(&ix[i - 1], &ix[i]) != 0)
			g++;
		ev_items[ix[i]].gid = g;
	}
	free(ix);
}

void
ev_load(const char *path, const struct ev_opts *o)
{
	size_t len = strlen(path);

	opts = o;
	if (len > 5 && strcmp(path + len - 5, ".json") == 0)
		load_json(path, o->lang);
	else
		load_tsv(path);
	number_gold();
}

double
ev_f1(double p, double r)
{
	return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

void
ev_score(struct ev_score *s)
{
	size_t i, j, tp = 0, fp = 0, fn = 0;
	double bp = 0, br = 0;

	for (i = 0; i < ev_nitems; i++) {
		size_t same = 0, inpred = 0, ingold = 0;

		for (j = 0; j < ev_nitems; j++) {
			int g = ev_items[i].gid == ev_items[j].gid;
			int p = ev_items[i].pred == ev_items[j].pred;

			if (!g && nrelated > 0 &&
			    ev_related(ev_items[i].gold, ev_items[j].gold))
				continue;
			same += g && p;
			inpred += p;
			ingold += g;
			if (j <= i)
				continue;
			tp += g && p;
			fp += !g && p;
			fn += g && !p;
		}
		bp += (double)same / (double)inpred;
		br += (double)same / (double)ingold;
	}
	s->b3_p = ev_nitems ? bp / (double)ev_nitems : 0;
	s->b3_r = ev_nitems ? br / (double)ev_nitems : 0;
	s->b3_f1 = ev_f1(s->b3_p, s->b3_r);
	s->pair_p = tp + fp ? (double)tp / (double)(tp + fp) : 1;
	s->pair_r = tp + fn ? (double)tp / (double)(tp + fn) : 1;
	s->pair_f1 = ev_f1(s->pair_p, s->pair_r);
}

void
ev_free(void)
{
	size_t i;

	for (i = 0; i < ev_nitems; i++) {
		free(ev_items[i].gold);
		free(ev_items[i].title);
		free(ev_items[i].lead);
	}
	free(ev_items);
	ev_items = NULL;
	ev_nitems = citems = 0;
	for (i = 0; i < nrelated; i++) {
		free(related[i][0]);
		free(related[i][1]);
	}
	free(related);
	related = NULL;
	nrelated = 0;
}
