/*
 * bench_parse.c - parse throughput of parse_feed() against a bare libxml2
 * xmlReader pass over the same bytes, in the same run.
 *
 * usage: bench_parse [-r ROUNDS] FILE...
 * Loads every file into memory first (no I/O is timed), then times each
 * pass ROUNDS times and keeps the median.  Prints MB/s for both and their
 * ratio; the machine is shared, so only the ratio is comparable between
 * runs.  No assertion on speed: `make bench` reports, it does not judge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlreader.h>

#include "feed.h"
#include "parse.h"

#define DEFAULT_ROUNDS	5
#define MAX_ROUNDS	101
#define MB		(1024.0 * 1024.0)

struct file {
	char	*buf;
	size_t	 len;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
load(const char *path, struct file *f)
{
	FILE *fp = fopen(path, "rb");
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (f->buf = malloc((size_t)n + 1)) == NULL ||
	    fread(f->buf, 1, (size_t)n, fp) != (size_t)n) {
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	f->buf[n] = '\0';
	f->len = (size_t)n;
	fclose(fp);
	return 0;
}

/* The floor: every node of every document read once, nothing kept. */
static size_t
pass_reader(const struct file *fs, int n)
{
	size_t nodes = 0;
	int i;

	for (i = 0; i < n; i++) {
		xmlTextReaderPtr r = xmlReaderForMemory(fs[i].buf,
		    (int)fs[i].len, NULL, NULL, XML_PARSE_NONET |
		    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

		if (r == NULL)
			continue;
		while (xmlTextReaderRead(r) == 1)
			nodes++;
		xmlFreeTextReader(r);
	}
	return nodes;
}

static size_t
pass_parse(const struct file *fs, int n)
{
	struct feed_doc d;
	size_t items = 0;
	int i;

	for (i = 0; i < n; i++) {
		feed_doc_init(&d);
		if (parse_feed(fs[i].buf, fs[i].len, NULL, NULL, &d) == 0)
			items += d.nitems;
		feed_doc_free(&d);
	}
	return items;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	double tr[MAX_ROUNDS], tp[MAX_ROUNDS], t0, mr, mp, total = 0;
	size_t nodes = 0, items = 0;
	struct file *fs;
	int rounds = DEFAULT_ROUNDS, c, i, n = 0;

	while ((c = getopt(argc, argv, "r:")) != -1) {
		if (c != 'r' || (rounds = atoi(optarg)) < 1 ||
		    rounds > MAX_ROUNDS) {
			fprintf(stderr, "usage: bench_parse [-r ROUNDS] "
			    "FILE...\n");
			return 2;
		}
	}
	if (optind >= argc ||
	    (fs = calloc((size_t)(argc - optind), sizeof(*fs))) == NULL) {
		fprintf(stderr, "usage: bench_parse [-r ROUNDS] FILE...\n");
		return 2;
	}
	for (i = optind; i < argc; i++) {
		if (load(argv[i], &fs[n]) == -1) {
			fprintf(stderr, "bench_parse: cannot read %s\n",
			    argv[i]);
			return 1;
		}
		total += (double)fs[n++].len;
	}
	parse_init();
	/* Interleaved, so drift on a shared machine hits both alike. */
	for (i = 0; i < rounds; i++) {
		t0 = now_s();
		nodes = pass_reader(fs, n);
		tr[i] = now_s() - t0;
		t0 = now_s();
		items = pass_parse(fs, n);
		tp[i] = now_s() - t0;
	}
	qsort(tr, (size_t)rounds, sizeof(double), cmp_double);
	qsort(tp, (size_t)rounds, sizeof(double), cmp_double);
	mr = total / MB / tr[rounds / 2];
	mp = total / MB / tp[rounds / 2];
	printf("files=%d bytes=%.0f rounds=%d nodes=%zu items=%zu\n", n,
	    total, rounds, nodes, items);
	printf("xmlreader_mbps=%.1f\n", mr);
	printf("parse_feed_mbps=%.1f\n", mp);
	printf("ratio_parse_to_xmlreader=%.2f\n", mp / mr);
	for (i = 0; i < n; i++)
		free(fs[i].buf);
	free(fs);
	return 0;
}
