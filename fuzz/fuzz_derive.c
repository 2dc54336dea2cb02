/*
 * fuzz_derive.c - libFuzzer harness for the derived block of a parser
 * worker's reply (daemon/derive.c), which the event loop reads from
 * another process.  Input: a byte, the number of items of the document
 * (modulo FUZZ_DERIVE_ITEMS), then the block.  A block that decodes
 * must encode back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "feed.h"

#define FUZZ_DERIVE_ITEMS	16

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_doc d;
	size_t i, n, len;
	char *out;

	if (size == 0)
		return 0;
	feed_doc_init(&d);
	n = data[0] % FUZZ_DERIVE_ITEMS;
	for (i = 0; i < n; i++)
		if (feed_doc_add_item(&d) == NULL)
			goto done;
	if (derive_decode((const char *)data + 1, size - 1, &d) != 0 ||
	    size == 1)
		goto done;
	if (derive_encode(&d, &out, &len) != 0)
		goto done;
	if (len != size - 1 || memcmp(out, data + 1, len) != 0)
		abort();	/* what was read is what is written */
	free(out);
 done:
	feed_doc_free(&d);
	return 0;
}
