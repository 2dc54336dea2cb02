#!/usr/bin/env python3
"""Database trouble: another process holding the write lock (a sqlite3
shell), a reader holding a read transaction, and a full disk (the
database on a small tmpfs; skipped where mount is not permitted).  The
daemon must keep serving, retry a locked commit with a bound, record a
clear error when a poll cannot be stored, never corrupt the database,
and store the poll once the trouble is gone."""
import http.server
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, wait_for  # noqa: E402

t = Checks("dbtrouble")
LOCK_HELD = 3.0         # seconds the sqlite3 shell keeps the write lock
TMPFS_SIZE = "3m"
BIG_ITEM_TEXT = 2000    # bytes of text per item of the disk-full feed


def rss(tag, n, text=""):
    items = "".join(
        "<item><title>%s item %d</title><link>http://example.com/%s/%d</link>"
        "<guid>%s-%d</guid><description>%s</description></item>"
        % (tag, i, tag, i, tag, i, text) for i in range(n))
    return ("<?xml version='1.0'?><rss version='2.0'><channel>"
            "<title>%s</title><link>http://example.com/</link>%s"
            "</channel></rss>" % (tag, items)).encode()


class Feeds(http.server.BaseHTTPRequestHandler):
    """Serves Feeds.body; while Feeds.gate is clear, requests wait."""
    protocol_version = "HTTP/1.1"
    body = b""
    gate = threading.Event()
    requests = 0

    def log_message(self, *a):
        pass

    def do_GET(self):
        Feeds.requests += 1
        Feeds.gate.wait(30)
        body = Feeds.body
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()
URL = "http://127.0.0.1:%d/feed.xml" % srv.server_address[1]


def feed(d):
    return d.feeds()[0]


def poll_behind_gate(d, body):
    """Starts a poll that waits at the server until the gate opens."""
    Feeds.gate.clear()
    Feeds.body = body
    seen = Feeds.requests
    before = feed(d)["polls"]
    r = d.client("refresh", str(feed(d)["id"]))
    t.check(r.returncode == 0, "refresh accepted", r.stderr)
    t.check(wait_for(lambda: Feeds.requests > seen, 10),
            "the poll reached the server")
    return before


def integrity(path):
    c = sqlite3.connect(path, timeout=10)
    try:
        return c.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        c.close()


def locked_case():
    Feeds.gate.set()
    Feeds.body = rss("one", 5)
    d = Daemon(feeds=[("locked", URL)])
    d.start()
    t.check(wait_for(lambda: feed(d)["items"] == 5, 20), "first poll stored")

    # A sqlite3 shell takes the write lock while the next poll is on its way.
    before = poll_behind_gate(d, rss("two", 8))
    sh = subprocess.Popen(["sqlite3", d.database], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
    sh.stdin.write(".timeout 5000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n")
    sh.stdin.flush()
    t.check(sh.stdout.readline().strip() == "locked",
            "the shell holds the write lock")
    Feeds.gate.set()
    t.check(wait_for(lambda: "retry 1 of" in d.logtext(), 10),
            "the locked commit is retried", d.logtext()[-1500:])
    t.check(d.client("status").returncode == 0,
            "the API answers while the database is locked")
    time.sleep(LOCK_HELD)
    t.check(d.proc.poll() is None, "daemon still running")
    t.check(feed(d)["items"] == 5, "nothing half-stored while locked")
    sh.stdin.write("COMMIT;\n.quit\n")
    sh.stdin.close()
    sh.wait(10)
    t.check(wait_for(lambda: feed(d)["polls"] > before, 20),
            "the poll is stored once the lock is gone", d.logtext()[-1500:])
    f = feed(d)
    t.check(f["items"] == 13 and f["last_error"] is None,
            "every item of the batch kept, no error",
            (f["items"], f["last_error"]))
    t.check("after the database was locked" in d.logtext(),
            "the log says the commit waited")

    # A reader holding a read transaction does not stop a commit (WAL).
    rd = sqlite3.connect(d.database, timeout=10, isolation_level=None)
    rd.execute("BEGIN")
    n_before = rd.execute("SELECT count(*) FROM items").fetchone()[0]
    before = poll_behind_gate(d, rss("three", 4))
    Feeds.gate.set()
    t.check(wait_for(lambda: feed(d)["polls"] > before, 20),
            "a poll commits while a reader holds a snapshot")
    t.check(feed(d)["items"] == 17, "its items are stored", feed(d)["items"])
    t.check(rd.execute("SELECT count(*) FROM items").fetchone()[0] ==
            n_before, "the reader keeps its snapshot")
    rd.execute("COMMIT")
    rd.close()
    t.check(d.stop() == 0, "clean exit")
    t.check(integrity(d.database) == "ok", "integrity_check ok")


def disk_full_case():
    if os.geteuid() != 0 or shutil.which("mount") is None:
        print("skip: disk full needs root to mount a tmpfs")
        return
    mnt = tempfile.mkdtemp(prefix="tidings-tmpfs-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + TMPFS_SIZE,
                        "tmpfs", mnt], capture_output=True, text=True)
    if r.returncode != 0:
        print("skip: cannot mount a tmpfs here: %s" % r.stderr.strip())
        os.rmdir(mnt)
        return
    try:
        disk_full_on(mnt)
    finally:
        subprocess.run(["umount", "-l", mnt])
        os.rmdir(mnt)


def disk_full_on(mnt):
    db = os.path.join(mnt, "tidings.db")
    Feeds.gate.set()
    Feeds.body = rss("small", 3)
    d = Daemon(feeds=[("full", URL)], daemon_conf={"database": db})
    d.start()
    t.check(wait_for(lambda: feed(d)["items"] == 3, 20), "first poll stored")
    # What the WAL holds goes into the database; the WAL's space stays.
    c = sqlite3.connect(db, timeout=10)
    c.execute("PRAGMA wal_checkpoint(PASSIVE)")
    c.close()
    filler = os.path.join(mnt, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    for chunk in (65536, 1):            # down to the last byte
        try:
            while True:
                os.write(fd, b"\0" * chunk)
        except OSError:
            pass
    os.close(fd)

    before = poll_behind_gate(d, rss("big", 400, "x" * BIG_ITEM_TEXT))
    Feeds.gate.set()
    t.check(wait_for(lambda: feed(d)["polls"] > before or
                     "cannot record the failure" in d.logtext(), 20),
            "the failed poll is finished", d.logtext()[-1500:])
    t.check(d.proc.poll() is None, "daemon survives a full disk")
    t.check(d.client("status").returncode == 0, "API answers on a full disk")
    log = d.logtext()
    t.check("could not be stored" in log and "full" in log,
            "the log says the disk is full", log[-1500:])
    f = feed(d)
    t.check(f["items"] == 3, "no partial batch", f["items"])
    t.check(f["last_error"] is not None and "full" in f["last_error"],
            "the feed records a clear error", f["last_error"])
    print("recorded on a full disk: %s" % f["last_error"])
    t.check(integrity(db) == "ok", "integrity_check ok on a full disk")

    os.unlink(filler)
    before = feed(d)["polls"]
    r = d.client("refresh", str(f["id"]))
    t.check(wait_for(lambda: feed(d)["polls"] > before, 20),
            "polled again once space returns")
    f = feed(d)
    t.check(f["items"] == 403 and f["last_error"] is None,
            "ingestion resumes: the whole batch stored, error cleared",
            (f["items"], f["last_error"]))
    t.check(d.stop() == 0, "clean exit")
    t.check(integrity(db) == "ok", "integrity_check ok at the end")


locked_case()
disk_full_case()
srv.shutdown()
t.done()
