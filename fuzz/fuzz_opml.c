/*
 * fuzz_opml.c - libFuzzer harness for OPML import (common/opml.c, built
 * only when that module is present).  Every imported URL must be
 * http(s), and writing the import back out and reading it again must
 * give the same feeds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opml.h"
#include "url.h"
#include "parse.h"

#define FUZZ_OPML_ERR	256

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	parse_init();	/* the deny-all external entity loader */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[FUZZ_OPML_ERR];
	struct opml *o, *again;
	char *out;
	size_t i;

	if ((o = opml_parse((const char *)data, size, err, sizeof(err))) ==
	    NULL)
		return 0;
	/*
	 * Only URLs the fetcher can use are imported: http(s), and parsed
	 * by libcurl (fuzz/regress/opml-unparseable-host.opml was once
	 * accepted with a host libcurl refuses).
	 */
	for (i = 0; i < o->nfeeds; i++)
		if (!url_is_http(o->feeds[i].url))
			abort();
	if ((out = opml_write(o->feeds, o->nfeeds, "fuzz")) != NULL) {
		again = opml_parse(out, strlen(out), err, sizeof(err));
		if (again == NULL || again->nfeeds != o->nfeeds)
			abort();	/* our own export must read back */
		for (i = 0; i < o->nfeeds; i++)
			if (strcmp(again->feeds[i].url, o->feeds[i].url) != 0)
				abort();
		opml_free(again);
		free(out);
	}
	opml_free(o);
	return 0;
}
