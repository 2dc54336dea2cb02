/* test_hosts.c - the scheduler's per-host table and per-feed history. */
#include <stdio.h>
#include <string.h>

#include "history.h"
#include "hosts.h"
#include "test.h"

#define MANY	3000	/* more than the initial buckets: forces growth */

static void
test_hosts(void)
{
	struct hosts *t = hosts_new();
	struct host *a, *b;
	char url[64];
	int i, same = 1;

	CHECK(t != NULL);
	a = hosts_get(t, "http://Example.COM/feed");
	b = hosts_get(t, "http://example.com:80/other?x=1");
	CHECK(a != NULL && a == b);	/* one host, whatever the spelling */
	CHECK_STR(a->name, "example.com:80");
	CHECK(hosts_get(t, "https://example.com/feed") != a);	/* port 443 */
	CHECK(hosts_get(t, "not a url") == NULL);
	a->in_flight = 2;
	for (i = 0; i < MANY; i++) {
		snprintf(url, sizeof(url), "http://h%d.example/", i);
		hosts_get(t, url);
	}
	CHECK_INT(hosts_count(t), MANY + 2);
	/* Entries survive growth: the pointer and its state are kept. */
	same = hosts_get(t, "http://example.com/") == a && a->in_flight == 2;
	CHECK(same);
	hosts_free(t);
	hosts_free(NULL);
}

static void
test_history(void)
{
	struct history *h = history_new();
	struct history_entry e;
	json_t *a;
	int i;

	CHECK(h != NULL);
	a = history_json(h, 1);
	CHECK(json_is_array(a) && json_array_size(a) == 0);
	json_decref(a);
	for (i = 0; i < HISTORY_LEN + 5; i++) {
		memset(&e, 0, sizeof(e));
		e.at = 1000 + i;
		e.status = (int16_t)(200 + i);
		e.flags = i > 0 ? HISTORY_CONDITIONAL : 0;
		CHECK_INT(history_add(h, 7, &e), 0);
	}
	for (i = 0; i < MANY; i++)	/* other feeds; forces growth */
		history_add(h, 100 + i, &e);
	a = history_json(h, 7);
	/* Bounded, newest first. */
	CHECK_INT(json_array_size(a), HISTORY_LEN);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(a, 0),
	    "status")), 200 + HISTORY_LEN + 4);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(a,
	    HISTORY_LEN - 1), "status")), 205);
	CHECK(json_is_true(json_object_get(json_array_get(a, 0),
	    "conditional")));
	CHECK(json_is_false(json_object_get(json_array_get(a, 0),
	    "failed")));
	json_decref(a);
	/* The packed fields come back whole. */
	memset(&e, 0, sizeof(e));
	e.at = 4000000000u;		/* past 2038 */
	e.bytes = UINT32_MAX;
	e.flags = HISTORY_FAILED;
	e.redirects = 5;
	CHECK_INT(history_add(h, 8, &e), 0);
	a = history_json(h, 8);
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0),
	    "time")), "2096-10-02T07:06:40Z");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(a, 0),
	    "bytes")), UINT32_MAX);
	CHECK(json_is_true(json_object_get(json_array_get(a, 0), "failed")));
	CHECK(json_is_false(json_object_get(json_array_get(a, 0),
	    "conditional")));
	CHECK_INT(json_integer_value(json_object_get(json_array_get(a, 0),
	    "redirects")), 5);
	json_decref(a);
	history_forget(h, 7);
	a = history_json(h, 7);
	CHECK_INT(json_array_size(a), 0);
	json_decref(a);
	a = history_json(h, 100 + MANY - 1);
	CHECK_INT(json_array_size(a), 1);
	json_decref(a);
	history_free(h);
}

int
main(void)
{
	test_hosts();
	test_history();
	return TEST_DONE();
}
