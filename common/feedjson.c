/*
 * feedjson.c - struct feed_doc <-> JSON (see feedjson.h for the shape).
 *
 * The decoder is the daemon's side of the parser-worker pipe: it trusts
 * nothing, checks every type and fails the whole document on the first
 * wrong one.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "feedjson.h"
#include "html.h"
#include "util.h"

/* The static format names struct feed_doc.format may point to. */
static const char *const formats[] = {
	"rss2.0", "rss0.91", "rss0.92", "rss0.93", "rss0.94", "rss0.90",
	"rss1.0", "atom1.0",
	"atom0.3", "jsonfeed1.0", "jsonfeed1.1", "cdf",
};

/* skip_days bit order: 0 = Sunday, as <skipDays> names them. */
static const char *const day_names[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};
#define NDAYS		(sizeof(day_names) / sizeof(day_names[0]))
#define NHOURS		24

/* "skip_hours": [h, ...] and "skip_days": ["Monday", ...] into feed. */
static int
encode_skips(json_t *feed, const struct feed_doc *d)
{
	json_t *hours, *days;
	size_t i;

	if ((hours = json_array()) == NULL ||
	    json_object_set_new(feed, "skip_hours", hours) == -1 ||
	    (days = json_array()) == NULL ||
	    json_object_set_new(feed, "skip_days", days) == -1)
		return -1;
	for (i = 0; i < NHOURS; i++)
		if ((d->skip_hours & (UINT32_C(1) << i)) &&
		    json_array_append_new(hours, json_integer((json_int_t)i)) == -1)
			return -1;
	for (i = 0; i < NDAYS; i++)
		if ((d->skip_days & (1u << i)) &&
		    json_array_append_new(days, json_string(day_names[i])) == -1)
			return -1;
	return 0;
}

/* The inverse of encode_skips(); absent lists are empty. -1: wrong shape. */
static int
decode_skips(const json_t *feed, struct feed_doc *d)
{
	json_t *hours = json_object_get(feed, "skip_hours");
	json_t *days = json_object_get(feed, "skip_days");
	json_t *v;
	size_t i, j;

	if (hours != NULL && !json_is_null(hours)) {
		if (!json_is_array(hours))
			return -1;
		json_array_foreach(hours, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) >= NHOURS)
				return -1;
			d->skip_hours |= UINT32_C(1) << json_integer_value(v);
		}
	}
	if (days != NULL && !json_is_null(days)) {
		if (!json_is_array(days))
			return -1;
		json_array_foreach(days, i, v) {
			if (!json_is_string(v))
				return -1;
			for (j = 0; j < NDAYS; j++)
				if (strcmp(json_string_value(v), day_names[j]) == 0)
					break;
			if (j == NDAYS)
				return -1;
			d->skip_days |= (uint8_t)(1u << j);
		}
	}
	return 0;
}

/* A string or null; NULL only on ENOMEM. */
static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
time_or_null(int64_t t)
{
	char buf[RFC3339_LEN];

	if (t == TIME_NONE)
		return json_null();
	return json_string(time_format_rfc3339(t, buf));
}

static json_t *
encode_item(const struct feed_item *it)
{
	json_t *o, *cats, *encs, *e;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "guid", str_or_null(it->guid)) == -1 ||
	    json_object_set_new(o, "title", str_or_null(it->title)) == -1 ||
	    json_object_set_new(o, "link", str_or_null(it->link)) == -1 ||
	    json_object_set_new(o, "published", time_or_null(it->published)) == -1 ||
	    json_object_set_new(o, "updated", time_or_null(it->updated)) == -1 ||
	    json_object_set_new(o, "author", str_or_null(it->author)) == -1 ||
	    json_object_set_new(o, "summary", str_or_null(it->summary)) == -1 ||
	    json_object_set_new(o, "content", str_or_null(it->content)) == -1 ||
	    json_object_set_new(o, "date_clamped",
	    json_boolean(it->date_clamped)) == -1)
		goto fail;
	if ((cats = json_array()) == NULL ||
	    json_object_set_new(o, "categories", cats) == -1)
		goto fail;
	for (i = 0; i < it->ncategories; i++)
		if (json_array_append_new(cats,
		    str_or_null(it->categories[i])) == -1)
			goto fail;
	if ((encs = json_array()) == NULL ||
	    json_object_set_new(o, "enclosures", encs) == -1)
		goto fail;
	for (i = 0; i < it->nenclosures; i++) {
		const struct feed_enclosure *en = &it->enclosures[i];

		if ((e = json_object()) == NULL ||
		    json_array_append_new(encs, e) == -1 ||
		    json_object_set_new(e, "url", str_or_null(en->url)) == -1 ||
		    json_object_set_new(e, "type", str_or_null(en->type)) == -1 ||
		    json_object_set_new(e, "length", en->length >= 0 ?
		    json_integer(en->length) : json_null()) == -1)
			goto fail;
	}
	return o;
 fail:
	json_decref(o);
	return NULL;
}

json_t *
feedjson_encode(const struct feed_doc *d)
{
	json_t *root, *feed, *items, *it;
	size_t i;

	if ((root = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(root, "error", d->error != NULL ?
	    json_string(d->error) : json_false()) == -1)
		goto fail;
	if ((feed = json_object()) == NULL ||
	    json_object_set_new(root, "feed", feed) == -1)
		goto fail;
	if (json_object_set_new(feed, "title", str_or_null(d->title)) == -1 ||
	    json_object_set_new(feed, "link", str_or_null(d->link)) == -1 ||
	    json_object_set_new(feed, "description",
	    str_or_null(d->description)) == -1 ||
	    json_object_set_new(feed, "language",
	    str_or_null(d->language)) == -1 ||
	    json_object_set_new(feed, "format", str_or_null(d->format)) == -1 ||
	    json_object_set_new(feed, "ttl", d->ttl >= 0 ?
	    json_integer(d->ttl) : json_null()) == -1 ||
	    encode_skips(feed, d) == -1)
		goto fail;
	if ((items = json_array()) == NULL ||
	    json_object_set_new(root, "items", items) == -1)
		goto fail;
	for (i = 0; i < d->nitems; i++)
		if ((it = encode_item(&d->items[i])) == NULL ||
		    json_array_append_new(items, it) == -1)
			goto fail;
	return root;
 fail:
	json_decref(root);
	return NULL;
}

/*
 * Optional string member: absent or null leaves *dst NULL.  Returns -1 on
 * a wrong type or ENOMEM.
 */
static int
get_str(const json_t *o, const char *key, char **dst)
{
	json_t *v = json_object_get(o, key);

	*dst = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	if ((*dst = str_ndup(json_string_value(v), json_string_length(v))) ==
	    NULL)
		return -1;
	return 0;
}

static int
get_time(const json_t *o, const char *key, int64_t *dst)
{
	json_t *v = json_object_get(o, key);

	*dst = TIME_NONE;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	return time_parse_rfc3339(json_string_value(v), dst);
}

static int
decode_item(const json_t *o, struct feed_item *it)
{
	json_t *cats, *encs, *v;
	size_t i, n;

	if (!json_is_object(o))
		return -1;
	if (get_str(o, "guid", &it->guid) == -1 ||
	    get_str(o, "title", &it->title) == -1 ||
	    get_str(o, "link", &it->link) == -1 ||
	    get_str(o, "author", &it->author) == -1 ||
	    get_str(o, "summary", &it->summary) == -1 ||
	    get_str(o, "content", &it->content) == -1 ||
	    get_time(o, "published", &it->published) == -1 ||
	    get_time(o, "updated", &it->updated) == -1)
		return -1;
	v = json_object_get(o, "date_clamped");
	if (v != NULL && !json_is_boolean(v))
		return -1;
	it->date_clamped = json_is_true(v);
	cats = json_object_get(o, "categories");
	if (cats != NULL && !json_is_null(cats)) {
		if (!json_is_array(cats))
			return -1;
		n = json_array_size(cats);
		if (n > 0 && (it->categories = calloc(n, sizeof(char *))) ==
		    NULL)
			return -1;
		for (i = 0; i < n; i++) {
			v = json_array_get(cats, i);
			if (!json_is_string(v))
				return -1;
			if ((it->categories[i] = str_ndup(json_string_value(v),
			    json_string_length(v))) == NULL)
				return -1;
			it->ncategories++;
		}
	}
	encs = json_object_get(o, "enclosures");
	if (encs != NULL && !json_is_null(encs)) {
		if (!json_is_array(encs))
			return -1;
		n = json_array_size(encs);
		if (n > 0 && (it->enclosures = calloc(n,
		    sizeof(struct feed_enclosure))) == NULL)
			return -1;
		for (i = 0; i < n; i++) {
			struct feed_enclosure *en = &it->enclosures[i];

			v = json_array_get(encs, i);
			en->length = -1;
			it->nenclosures++;
			if (!json_is_object(v) ||
			    get_str(v, "url", &en->url) == -1 ||
			    get_str(v, "type", &en->type) == -1)
				return -1;
			v = json_object_get(v, "length");
			if (v != NULL && !json_is_null(v)) {
				if (!json_is_integer(v))
					return -1;
				en->length = json_integer_value(v);
			}
		}
	}
	return 0;
}

int
feedjson_decode(const json_t *root, struct feed_doc *d)
{
	json_t *feed, *items, *v;
	char *format = NULL;
	size_t i;

	if (!json_is_object(root))
		return -1;
	v = json_object_get(root, "error");
	if (v != NULL && json_is_string(v)) {
		if ((d->error = strdup(json_string_value(v))) == NULL)
			goto fail;
	} else if (v != NULL && !json_is_false(v) && !json_is_null(v))
		goto fail;
	feed = json_object_get(root, "feed");
	if (feed != NULL && !json_is_null(feed)) {
		if (!json_is_object(feed))
			goto fail;
		if (get_str(feed, "title", &d->title) == -1 ||
		    get_str(feed, "link", &d->link) == -1 ||
		    get_str(feed, "description", &d->description) == -1 ||
		    get_str(feed, "language", &d->language) == -1 ||
		    get_str(feed, "format", &format) == -1)
			goto fail;
		/* format points to a static name, never to decoded memory. */
		for (i = 0; format != NULL &&
		    i < sizeof(formats) / sizeof(formats[0]); i++)
			if (strcmp(format, formats[i]) == 0)
				d->format = formats[i];
		free(format);
		format = NULL;
		v = json_object_get(feed, "ttl");
		if (v != NULL && !json_is_null(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				goto fail;
			d->ttl = json_integer_value(v);
		}
		if (decode_skips(feed, d) == -1)
			goto fail;
	}
	items = json_object_get(root, "items");
	if (items != NULL && !json_is_null(items)) {
		if (!json_is_array(items))
			goto fail;
		for (i = 0; i < json_array_size(items); i++) {
			struct feed_item *it = feed_doc_add_item(d);

			if (it == NULL ||
			    decode_item(json_array_get(items, i), it) == -1)
				goto fail;
		}
	}
	return 0;
 fail:
	free(format);
	feed_doc_free(d);
	return -1;
}

int
feedjson_add_text(json_t *obj, const char *html_key, const char *text_key)
{
	json_t *v = json_object_get(obj, html_key);
	char *text;
	int rc;

	if (!json_is_string(v))
		return json_object_set_new(obj, text_key, json_null());
	text = html_to_text(json_string_value(v), json_string_length(v));
	if (text == NULL)
		return -1;
	rc = json_object_set_new(obj, text_key, json_string(text));
	free(text);
	return rc;
}

json_t *
feedjson_encode_public(const struct feed_doc *d)
{
	json_t *root, *it;
	size_t i;

	if ((root = feedjson_encode(d)) == NULL)
		return NULL;
	if (feedjson_add_text(json_object_get(root, "feed"), "description",
	    "description_text") == -1)
		goto fail;
	json_array_foreach(json_object_get(root, "items"), i, it)
		if (feedjson_add_text(it, "summary", "summary_text") == -1)
			goto fail;
	return root;
 fail:
	json_decref(root);
	return NULL;
}
