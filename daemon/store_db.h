/*
 * store_db.h - for store*.c modules only: the settings every connection
 * of the daemon gets (store.c), shared with the index's (store_fts.c).
 */
#ifndef TIDINGS_STORE_DB_H
#define TIDINGS_STORE_DB_H

#include <stddef.h>

struct sqlite3;

/*
 * Hardening, limits, pragmas (WAL, synchronous = FULL, no attached
 * databases), a quick_check when check is set (it reads the whole file),
 * and the html_text() SQL function.
 */
int	store_db_setup(struct sqlite3 *, int check, char *err, size_t errlen);

#endif
