/*
 * fuzz_date.c - libFuzzer harness for date_parse (RFC 822, ISO 8601 and
 * the rest): any string in, a time or "none" out, no overflow (UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

#define FUZZ_DATE_MAX	4096	/* longer than any date a feed carries */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > FUZZ_DATE_MAX)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)date_parse(s);
	free(s);
	return 0;
}
