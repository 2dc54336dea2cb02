/*
 * why.c - `tidings show ID --why` (see why.h).  Items clustering joined
 * carry a "cluster" object (score, terms); the others started the story
 * or joined by the same link or the same headline.
 */
#include <stdio.h>
#include <string.h>

#include "why.h"

/* Room for the main shared terms of one item, comma-separated. */
#define WHY_TERMS_LEN	256

static const char *
jstr0(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

void
output_story_why(const struct out *o, const json_t *st)
{
	const json_t *items = json_object_get(st, "items"), *it, *cl, *t;
	char line[WHY_TERMS_LEN + 64], terms[WHY_TERMS_LEN];
	size_t i, j;

	snprintf(line, sizeof(line), "story %lld: %lld sources",
	    (long long)json_integer_value(json_object_get(st, "id")),
	    (long long)json_integer_value(json_object_get(st, "sources")));
	output_line_safe(o->fp, line);
	output_line_safe(o->fp, jstr0(st, "title"));
	json_array_foreach(items, i, it) {
		cl = json_object_get(it, "cluster");
		fputc('\n', o->fp);
		if (json_is_object(cl))
			snprintf(line, sizeof(line), "  score %.2f  %s",
			    json_number_value(json_object_get(cl, "score")),
			    jstr0(json_object_get(it, "feed"), "title"));
		else
			snprintf(line, sizeof(line), "  first, same link or same "
			    "headline  %s",
			    jstr0(json_object_get(it, "feed"), "title"));
		output_line_safe(o->fp, line);
		fputs("    ", o->fp);
		output_line_safe(o->fp, jstr0(it, "title"));
		if (!json_is_object(cl))
			continue;
		terms[0] = '\0';
		json_array_foreach(json_object_get(cl, "terms"), j, t) {
			if (j > 0)
				strncat(terms, ", ", sizeof(terms) -
				    strlen(terms) - 1);
			strncat(terms, json_string_value(t) ? json_string_value(t)
			    : "", sizeof(terms) - strlen(terms) - 1);
		}
		snprintf(line, sizeof(line), "    shared: %s", terms);
		output_line_safe(o->fp, line);
	}
}
