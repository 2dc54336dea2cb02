/*
 * fuzz_opml.c - libFuzzer harness for the OPML reader and writer: any
 * bytes in must give a list or an error, never a crash or a leak, and
 * what it writes must read back to the same feeds.
 *
 *   make fuzz && fuzz/fuzz_opml -max_len=65536 corpus_dir
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opml.h"
#include "parse.h"

#define FUZZ_ERRLEN	256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char err[FUZZ_ERRLEN], *w;
	struct opml *o, *back;

	if (!ready) {
		parse_init();
		ready = 1;
	}
	if ((o = opml_parse((const char *)data, size, err, sizeof(err))) ==
	    NULL)
		return 0;
	if ((w = opml_write(o->feeds, o->nfeeds, "fuzz")) != NULL) {
		back = opml_parse(w, strlen(w), err, sizeof(err));
		if (back == NULL || back->nfeeds != o->nfeeds)
			abort();	/* our own output must read back */
		opml_free(back);
		free(w);
	}
	opml_free(o);
	return 0;
}
