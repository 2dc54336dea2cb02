#!/usr/bin/env python3
"""kill -9 during a schema migration (part of `make stress`): an old
database (schema version 1, made by undoing every later step on a fresh
one) is opened by the new daemon, which is killed at a random moment of
its start-up, again and again.  Every time the database must pass
integrity_check and be wholly at the version it says (checked by the
columns of step 4: there from version 4 on, never before)."""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from harness import Checks, Daemon, TIDINGSD  # noqa: E402

ITERATIONS = 100
t = Checks("migrate_kill")
rnd = random.Random(7)

d = Daemon()
d.start()
d.stop()
old = os.path.join(tempfile.mkdtemp(prefix="tidings-v1-"), "v1.db")
c = sqlite3.connect(d.database)
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
c.close()
shutil.copy(d.database, old)
# Back to version 1: every later step undone (a new step must be undone
# here too, as in tests/unit/test_reading.c).
c = sqlite3.connect(old)
c.executescript("""
DROP INDEX feeds_last_batch; DROP INDEX items_story;
CREATE INDEX items_story ON items(story_id);
DROP TABLE fts_todo; DROP TABLE bookmarks;
ALTER TABLE stories DROP COLUMN title_item;
ALTER TABLE items DROP COLUMN batch; ALTER TABLE feeds DROP COLUMN last_batch;
ALTER TABLE items DROP COLUMN cluster_score;
ALTER TABLE items DROP COLUMN cluster_terms;
ALTER TABLE feeds DROP COLUMN cluster; DROP TABLE story_merges;
ALTER TABLE feeds DROP COLUMN poll_every; ALTER TABLE feeds DROP COLUMN feed_ttl;
ALTER TABLE feeds DROP COLUMN skip_hours; ALTER TABLE feeds DROP COLUMN skip_days;
ALTER TABLE feeds DROP COLUMN moved_url; ALTER TABLE feeds DROP COLUMN moved_since;
DROP TRIGGER counts_item_add; DROP TRIGGER counts_item_del;
DROP TRIGGER counts_item_read; DROP TRIGGER counts_story_add;
DROP TRIGGER counts_story_del; DROP TABLE counts;
PRAGMA user_version = 1;
""")
c.commit()
c.close()
# Step 4 adds the batch columns: whatever step a kill stops at, they are
# there exactly from version 4 on.
BATCH_STEP = 4


def columns(c, table):
    return {r[1] for r in c.execute("PRAGMA table_info(%s)" % table)}


def fresh_copy():
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(d.database + suffix):
            os.unlink(d.database + suffix)
    shutil.copy(old, d.database)


def startup_seconds():
    """How long this machine, now, takes from exec to a listening socket."""
    fresh_copy()
    start = time.time()
    p = subprocess.Popen([TIDINGSD, "-c", d.conf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    while not os.path.exists(d.socket) and time.time() - start < 20:
        time.sleep(0.001)
    took = time.time() - start
    p.kill()
    p.wait()
    if os.path.exists(d.socket):
        os.unlink(d.socket)
    return took


# Kill moments spread over the whole start-up, however slow the machine.
window_ms = max(2, int(1500 * startup_seconds()))
versions = {}
for i in range(ITERATIONS):
    fresh_copy()
    p = subprocess.Popen([TIDINGSD, "-c", d.conf],
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(rnd.randint(1, window_ms) / 1000.0)
    p.send_signal(signal.SIGKILL)
    p.wait()
    c = sqlite3.connect(d.database)
    ic = c.execute("PRAGMA integrity_check").fetchone()[0]
    v = c.execute("PRAGMA user_version").fetchone()[0]
    has = ("batch" in columns(c, "items"), "last_batch" in columns(c, "feeds"))
    c.close()
    ok = ic == "ok" and v >= 1 and has == (v >= BATCH_STEP,) * 2
    t.check(ok, "kill %d: whole version" % i, (ic, v, has))
    versions[v] = versions.get(v, 0) + 1
    if os.path.exists(d.socket):
        os.unlink(d.socket)
print("killed %d times within %d ms of start; left at versions: %s" % (
    ITERATIONS, window_ms, ", ".join("%d: %d" % (k, versions[k])
                                     for k in sorted(versions))))
shutil.rmtree(os.path.dirname(old), True)
t.done()
