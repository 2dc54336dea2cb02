/*
 * test_bookmark.c - digest bookmarks: the name rule shared by client and
 * daemon, and the store's compare-and-set that keeps two digests of one
 * name from both moving it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bookmark.h"
#include "store.h"
#include "test.h"

static void
test_names(void)
{
	char longname[BOOKMARK_NAME_MAX + 2];

	CHECK(bookmark_name_ok("default"));
	CHECK(bookmark_name_ok("morning-2.world_news"));
	CHECK(!bookmark_name_ok(""));
	CHECK(!bookmark_name_ok(NULL));
	CHECK(!bookmark_name_ok(".hidden"));
	CHECK(!bookmark_name_ok("../x"));
	CHECK(!bookmark_name_ok("a b"));
	CHECK(!bookmark_name_ok("a&name=b"));
	CHECK(!bookmark_name_ok("caf\xc3\xa9"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!bookmark_name_ok(longname));
	longname[BOOKMARK_NAME_MAX] = '\0';
	CHECK(bookmark_name_ok(longname));
}

static void
test_store(const char *path)
{
	char err[256];
	struct store *s = store_open(path, err, sizeof(err));
	int64_t t = 0;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(store_bookmark_get(s, "m", &t), STORE_NOTFOUND);
	/* First save: only when there is none yet. */
	CHECK_INT(store_bookmark_set(s, "m", 100, 1, STORE_BOOKMARK_NONE),
	    STORE_OK);
	CHECK_INT(store_bookmark_set(s, "m", 150, 1, STORE_BOOKMARK_NONE),
	    STORE_EXISTS);
	CHECK_INT(store_bookmark_get(s, "m", &t), STORE_OK);
	CHECK_INT(t, 100);
	/* Moves only from where the caller saw it. */
	CHECK_INT(store_bookmark_set(s, "m", 200, 1, 99), STORE_EXISTS);
	CHECK_INT(store_bookmark_set(s, "m", 200, 1, 100), STORE_OK);
	CHECK_INT(store_bookmark_get(s, "m", &t), STORE_OK);
	CHECK_INT(t, 200);
	/* Unchecked: set whatever was there; names are separate. */
	CHECK_INT(store_bookmark_set(s, "other", 5, 0, 0), STORE_OK);
	CHECK_INT(store_bookmark_set(s, "other", 7, 0, 0), STORE_OK);
	CHECK_INT(store_bookmark_get(s, "other", &t), STORE_OK);
	CHECK_INT(t, 7);
	store_close(s);
	/* Kept across a reopen. */
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(store_bookmark_get(s, "m", &t), STORE_OK);
	CHECK_INT(t, 200);
	store_close(s);
}

int
main(void)
{
	char dir[] = "/tmp/tidings-bookmark-XXXXXX", path[64];

	test_names();
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	test_store(path);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/t.db-shm", dir);
	unlink(path);
	rmdir(dir);
	return TEST_DONE();
}
