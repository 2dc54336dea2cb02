/*
 * fuzz_url.c - libFuzzer harness for URL checks, resolution and
 * canonicalization.  Input: base, a NUL byte, reference.  A canonical
 * URL must be http(s), and canonicalization must be idempotent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

#define FUZZ_URL_MAX	(16 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_canonical(const char *u)
{
	char *c, *again;

	if ((c = url_canonical(u)) == NULL)
		return;
	if (!url_is_http(c))
		abort();
	again = url_canonical(c);
	if (again == NULL || strcmp(again, c) != 0)
		abort();	/* canonical form must be a fixed point */
	free(again);
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *ref, *r;

	if (size > FUZZ_URL_MAX)
		return 0;
	if ((buf = malloc(size + 2)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	ref = buf + strlen(buf) + 1;	/* after the first NUL, or "" */
	if (ref > buf + size)
		ref = buf + size + 1;
	(void)url_is_http(buf);
	check_canonical(buf);
	if ((r = url_resolve(buf, ref)) != NULL) {
		check_canonical(r);
		free(r);
	}
	free(buf);
	return 0;
}
