/*
 * checkpoint.h - the store's WAL checkpoints, on a thread of their own.
 *
 * A checkpoint copies the WAL into the database and syncs both files:
 * most of the disk time of a first poll (17% of the ingest thread's
 * wall time at 10,000 feeds, in fdatasync).  SQLite runs it inside the
 * commit that finds the WAL over 1,000 pages, so the one thread that
 * stores polls waited for the disk.  Now the store's connections only
 * note the size of the WAL after each commit (checkpointer_note); this
 * thread copies it with its own connection while they go on writing.
 *
 * A WAL starts again from its beginning only when a write begins with
 * all of it copied, which never happens while a writer commits faster
 * than a checkpoint runs.  So once the thread has copied almost all of
 * it, the next commit of a writer that may wait copies the few pages
 * left itself (checkpointer_note answers 1): the WAL then restarts and
 * stays small.  If the thread falls far behind (a reader holding an old
 * snapshot), such a writer checkpoints as SQLite would have.  The
 * scheduler's checkpoint a second after polls (what bounds a power
 * loss) is asked of this thread too (checkpointer_ask).
 */
#ifndef TIDINGS_CHECKPOINT_H
#define TIDINGS_CHECKPOINT_H

#include <stddef.h>

struct checkpointer;

/*
 * WAL pages (4 KiB) after which a commit asks for a checkpoint: as many
 * as stay under the size the WAL is cut back to (STORE_JOURNAL_LIMIT,
 * 16 MiB).  Fewer, larger checkpoints write a page changed by many
 * polls once and sync less often than SQLite's 1,000 pages.
 */
#define CHECKPOINT_FRAMES	3500

/*
 * Starts the thread with its own connection to the store at path;
 * frames: CHECKPOINT_FRAMES, or fewer in tests.
 */
struct checkpointer *checkpointer_start(const char *path, int frames,
	    char *err, size_t errlen);
/*
 * After a commit that left `frames` pages in the WAL.  1: the caller
 * (which may block: may_block) should run a PASSIVE checkpoint now.
 * Any thread.
 */
int	 checkpointer_note(struct checkpointer *, int frames, int may_block);
/*
 * A checkpoint now, whatever the WAL's size: what is committed so far
 * goes to disk without the caller waiting for it.  Any thread.
 */
void	 checkpointer_ask(struct checkpointer *);
/* Checkpoints the thread has run so far (tests).  Any thread. */
long	 checkpointer_passes(struct checkpointer *);
/* Stops the thread after the checkpoint under way.  NULL ok. */
void	 checkpointer_stop(struct checkpointer *);

#endif
