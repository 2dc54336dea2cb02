/*
 * fuzz_opml.c - libFuzzer harness for OPML import (common/opml.c, built
 * only when that module is present).  Every imported URL must be
 * http(s), and writing the import back out and reading it again must
 * give the same feeds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opml.h"
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
	 * The scheme is the security property; whether libcurl can parse
	 * the rest is checked when the feed is fetched (see
	 * fuzz/regress/opml-unparseable-host.opml, accepted on import).
	 */
	for (i = 0; i < o->nfeeds; i++)
		if (strncasecmp(o->feeds[i].url, "http://", 7) != 0 &&
		    strncasecmp(o->feeds[i].url, "https://", 8) != 0)
			abort();	/* only http(s) may be imported */
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
