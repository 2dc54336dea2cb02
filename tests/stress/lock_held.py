#!/usr/bin/env python3
"""A write lock held past the retry bound (part of `make stress`, ~40 s):
a sqlite3 shell holds BEGIN IMMEDIATE for 25 s while a poll waits to be
stored.  The daemon retries 5 times, gives the poll up, keeps serving,
records "the poll could not be stored: database is locked" on the feed as
soon as the lock is gone, and stores the items at the next poll."""
import http.server
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from harness import Checks, Daemon, wait_for  # noqa: E402

LOCK_HELD = 25.0        # past the 0.5+1+2+4+8 s of retries
t = Checks("lock_held")


class Feed(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b""
    gate = threading.Event()

    def log_message(self, *a):
        pass

    def do_GET(self):
        Feed.gate.wait(60)
        self.send_response(200)
        self.send_header("Content-Length", str(len(Feed.body)))
        self.end_headers()
        self.wfile.write(Feed.body)


def rss(tag, n):
    return ("<rss version='2.0'><channel><title>t</title>%s</channel></rss>"
            % "".join("<item><title>%s %d</title><guid>%s-%d</guid></item>"
                      % (tag, i, tag, i) for i in range(n))).encode()


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()
Feed.body = rss("a", 3)
Feed.gate.set()
d = Daemon(feeds=[("held", "http://127.0.0.1:%d/f" % srv.server_address[1])])
d.start()
t.check(wait_for(lambda: d.feeds()[0]["items"] == 3, 20), "first poll")

Feed.body = rss("b", 5)
Feed.gate.clear()
t.check(d.client("refresh", "1").returncode == 0, "refresh queued")
time.sleep(0.5)
sh = subprocess.Popen(["sqlite3", d.database], stdin=subprocess.PIPE,
                      stdout=subprocess.PIPE, text=True)
sh.stdin.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n")
sh.stdin.flush()
t.check(sh.stdout.readline().strip() == "locked", "lock taken")
Feed.gate.set()
t.check(wait_for(lambda: "the poll could not be stored" in d.logtext(),
                 LOCK_HELD), "the poll is given up after the retries",
        d.logtext()[-2000:])
t.check(d.logtext().count("retry ") == 5, "exactly 5 retries")
t.check(d.client("status").returncode == 0, "API answers meanwhile")
time.sleep(max(0.0, LOCK_HELD - 18))
sh.stdin.write("COMMIT;\n.quit\n")
sh.stdin.close()
sh.wait(10)
f = wait_for(lambda: (lambda x: x if x["last_error"] else None)(
    d.feeds()[0]), 20)
t.check(f is not None and "database is locked" in f["last_error"],
        "the failure is recorded once the lock is gone",
        f and f["last_error"])
t.check(f is not None and f["items"] == 3, "nothing half-stored")
t.check(d.client("refresh", "1", "--wait", timeout=60).returncode == 0,
        "polled again")
f = d.feeds()[0]
t.check(f["items"] == 8 and f["last_error"] is None,
        "the items are stored at the next poll", (f["items"],
                                                  f["last_error"]))
t.check(d.stop() == 0, "clean exit")
srv.shutdown()
t.done()
