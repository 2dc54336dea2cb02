/*
 * fuzz_parse.c - libFuzzer harness for the feed parser (parse_feed).
 *
 * Bytes in as a feed body, served with each content type the parser
 * treats differently; the result must be freeable and every stored link
 * http(s).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "parse.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

static const char *const content_types[] = {
	"application/rss+xml", "application/feed+json", NULL,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	parse_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed_doc doc;
	char *body;
	size_t i, j;

	/* parse_feed reads a NUL-terminated copy, as fetch.c hands it one */
	if ((body = malloc(size + 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	for (i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
		feed_doc_init(&doc);
		if (parse_feed(body, size, "http://fuzz.example/feed",
		    content_types[i], &doc) == 0) {
			for (j = 0; j < doc.nitems; j++)
				if (doc.items[j].link != NULL &&
				    !url_is_http(doc.items[j].link))
					abort();	/* a non-http link got through */
		}
		feed_doc_free(&doc);
	}
	free(body);
	return 0;
}
