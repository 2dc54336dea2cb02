#!/usr/bin/env python3
"""kill -9 crash loop for an SQLite-backed daemon.  Stdlib only.

Each iteration starts the writer, lets it run for a random time (sometimes
only milliseconds, to hit WAL recovery at open), sends SIGKILL, then opens
the database read-only and checks:

  1. PRAGMA integrity_check returns 'ok' (and foreign_key_check is empty);
  2. durability: every transaction the writer REPORTED as committed is in
     the database (SQLite: "Transactions are durable across application
     crashes regardless of the synchronous setting or journal mode");
  3. atomicity: every batch present is complete (no partial transaction);
  4. consistency: the feed's state row agrees with its items (state and
     items are written in the same transaction);
  5. at most one batch beyond the last reported commit (committed but
     killed before it could report).

The oracle is a line protocol on the writer's stdout, written only AFTER
COMMIT returned SQLITE_OK:
    COMMITTED <batch_id> <n_items>
A real daemon provides the same lines behind a test-only switch (e.g.
--test-commit-log=/dev/stdout); the check queries are set with --count-sql
etc.  With no --writer-cmd the built-in stand-in writer below is used, which
makes the harness self-testing.

Usage:
    python3 crash_loop.py --iterations 200                  # self test
    python3 crash_loop.py --iterations 500 --sync FULL
    python3 crash_loop.py --writer-cmd './daemon/tidingsd --db {db} --test-commit-log=-' \
        --batch-sql 'SELECT batch, count(*) FROM items GROUP BY batch' \
        --state-sql 'SELECT last_batch FROM feeds WHERE id=1'

Copied from ../shared/hostile/crash/crash_loop.py so `make stress` does
not depend on ../shared; the one addition is --api-socket: just before
each kill the items the daemon's API returns are noted, and after the
kill every one of them must still be in the database.
"""
import argparse
import http.client
import json
import socket
import os
import random
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

WRITER = r'''
import os, random, sqlite3, sys
db, sync = sys.argv[1], sys.argv[2]
buggy = len(sys.argv) > 3 and sys.argv[3] == "buggy"
c = sqlite3.connect(db, isolation_level=None, timeout=30)
c.execute("PRAGMA journal_mode=WAL")
c.execute("PRAGMA synchronous=" + sync)
c.execute("PRAGMA foreign_keys=ON")
c.execute("""CREATE TABLE IF NOT EXISTS feeds(id INTEGER PRIMARY KEY,
             last_batch INTEGER NOT NULL DEFAULT 0, etag TEXT)""")
c.execute("""CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY,
             feed INTEGER NOT NULL REFERENCES feeds(id), batch INTEGER NOT NULL,
             guid TEXT NOT NULL, title TEXT, body BLOB,
             UNIQUE(feed, guid))""")
c.execute("INSERT OR IGNORE INTO feeds(id) VALUES (1)")
batch = c.execute("SELECT last_batch FROM feeds WHERE id=1").fetchone()[0]
rnd = random.Random(os.getpid())
while True:
    batch += 1
    n = rnd.randint(1, 50)
    c.execute("BEGIN IMMEDIATE")
    for i in range(n):
        c.execute("INSERT INTO items(feed,batch,guid,title,body) VALUES "
                  "(1,?,?,?,?)", (batch, "g-%d-%d" % (batch, i),
                                  "t%d" % i, os.urandom(rnd.randint(0, 4096))))
    c.execute("UPDATE feeds SET last_batch=?, etag=? WHERE id=1",
              (batch, "e%d" % batch))
    if buggy:   # negative control: reports before the commit is done
        sys.stdout.write("COMMITTED %d %d\n" % (batch, n))
        sys.stdout.flush()
    c.execute("COMMIT")
    if not buggy:
        sys.stdout.write("COMMITTED %d %d\n" % (batch, n))
        sys.stdout.flush()
    r = rnd.random()
    if r < 0.05:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    elif r < 0.06:
        c.execute("DELETE FROM items WHERE batch < ?", (batch - 200,))
    elif r < 0.062:
        c.execute("VACUUM")
'''


def verify(db, expected, state_sql, batch_sql):
    """expected: {batch: n} reported by the writer. Returns (ok, message)."""
    if not os.path.exists(db):
        return (not expected, "no database file")
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        ic = c.execute("PRAGMA integrity_check").fetchall()
        if ic != [("ok",)]:
            return False, "integrity_check: %r" % ic[:5]
        fk = c.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            return False, "foreign_key_check: %r" % fk[:5]
        try:
            present = dict(c.execute(batch_sql).fetchall())
            row = c.execute(state_sql).fetchone()
        except sqlite3.OperationalError as e:      # schema not created yet
            return (not expected, "schema missing: %s" % e)
        state = row[0] if row else 0
    finally:
        c.close()
    # batches may have been pruned by the writer: only the recent ones count
    floor = max(expected) - 150 if expected else 0
    for b, n in expected.items():
        if b <= floor:
            continue
        if present.get(b) != n:
            return False, "LOST/PARTIAL committed batch %d: want %d items, " \
                          "have %r" % (b, n, present.get(b))
    last = max(expected) if expected else 0
    extra = sorted(b for b in present if b > last)
    if len(extra) > 1:
        return False, "more than one unreported batch: %r" % extra[:5]
    top = max(present) if present else 0
    if state != top:
        return False, "state row says last_batch=%r, items say %r" % (state,
                                                                       top)
    return True, "ok (%d reported, top=%d, unreported=%d)" % (
        len(expected), top, len(extra))


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def api_item_ids(path, limit):
    """Ids of the newest items the API returns, or None when it is not up."""
    try:
        c = UnixHTTP(path, 2)
        c.request("GET", "/v1/items?limit=%d" % limit)
        r = c.getresponse()
        if r.status != 200:
            return None
        return {it["id"] for it in json.load(r)["items"]}
    except (OSError, ValueError, http.client.HTTPException):
        return None


def missing_ids(db, ids):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        have = {r[0] for r in c.execute("SELECT id FROM items")}
    finally:
        c.close()
    return sorted(ids - have)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--db", help="database path (default: temp dir)")
    ap.add_argument("--sync", default="NORMAL",
                    choices=["OFF", "NORMAL", "FULL", "EXTRA"],
                    help="synchronous setting for the built-in writer")
    ap.add_argument("--writer-cmd", help="command; {db} is replaced by the "
                                         "database path")
    ap.add_argument("--min-ms", type=int, default=1)
    ap.add_argument("--max-ms", type=int, default=400)
    ap.add_argument("--batch-sql",
                    default="SELECT batch, count(*) FROM items GROUP BY batch")
    ap.add_argument("--state-sql",
                    default="SELECT last_batch FROM feeds WHERE id=1")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--buggy-writer", action="store_true",
                    help="negative control: the built-in writer reports "
                         "COMMITTED before COMMIT; the harness must fail")
    ap.add_argument("--api-socket", help="daemon API socket: items it "
                    "returned before a kill must survive the kill")
    ap.add_argument("--api-limit", type=int, default=10000)
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="crashloop-")
    db = a.db or os.path.join(tmp, "feeds.db")
    if a.writer_cmd:
        cmd = shlex.split(a.writer_cmd.replace("{db}", db))
    else:
        script = os.path.join(tmp, "writer.py")
        with open(script, "w") as f:
            f.write(WRITER)
        cmd = [sys.executable, script, db, a.sync] + (
            ["buggy"] if a.buggy_writer else [])

    expected = {}
    failures = 0
    api_seen = 0
    t_start = time.time()
    for it in range(1, a.iterations + 1):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(p.stdout),
                                  daemon=True)
        reader.start()
        # mostly mid-run kills, sometimes immediate ones (recovery at open)
        ms = rnd.randint(a.min_ms, 20) if rnd.random() < 0.2 else \
            rnd.randint(a.min_ms, a.max_ms)
        time.sleep(ms / 1000.0)
        seen = api_item_ids(a.api_socket, a.api_limit) if a.api_socket \
            else None
        p.send_signal(signal.SIGKILL)
        p.wait()
        reader.join(timeout=5)
        for line in lines:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "COMMITTED":
                expected[int(parts[1])] = int(parts[2])
        ok, msg = verify(db, expected, a.state_sql, a.batch_sql)
        if ok and seen:
            api_seen += 1
            lost = missing_ids(db, seen)
            if lost:
                ok, msg = False, "items the API returned are gone: %r" % \
                    lost[:10]
        if not ok:
            failures += 1
            print("iteration %d (killed after %d ms): FAIL %s" % (it, ms, msg))
            break
        if it % 25 == 0 or it == a.iterations:
            print("iteration %d: %s" % (it, msg))
    print("%d iterations, %d failures, %.1f s, db=%s" % (
        it, failures, time.time() - t_start, db))
    if a.api_socket:
        print("%d kills right after an API listing was checked" % api_seen)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
