#!/usr/bin/env python3
"""Signals: SIGHUP with a broken config keeps the running config and logs
file:line of the error (then a fixed config is taken); SIGTERM during a
full poll of feeds whose server never answers exits cleanly within a few
seconds and leaves a sound database."""
import http.server
import os
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, FeedServer, FIXTURES, wait_for  # noqa: E402

t = Checks("signals")
STOP_WITHIN = 5.0       # seconds for a clean exit after SIGTERM
SLOW_FEEDS = 40


def write_conf(d, lines):
    with open(d.conf, "w") as f:
        f.write("\n".join(lines) + "\n")


def base_conf(d):
    return ["[daemon]", "database = %s" % d.database,
            "socket = %s" % d.socket, "poll_interval = 1h",
            "min_interval = 1s", "parse_workers = 2", "timeout = 20s"]


def sighup_case():
    feeds_dir = os.path.join(FIXTURES, "xi-zelensky", "feeds")
    names = sorted(os.listdir(feeds_dir))[:2]
    srv = FeedServer(feeds_dir)
    d = Daemon()
    good = base_conf(d) + ['', '[feed "one"]', "url = %s" % srv.url(names[0])]
    write_conf(d, good)
    d.start()
    t.check(len(d.feeds()) == 1, "one feed before the reload")

    # The last line of the new file is the bad one.
    bad = good + ['', '[feed "two"]', "url = %s" % srv.url(names[1]),
                  "interval = not-a-duration"]
    write_conf(d, bad)
    bad_line = len(bad)
    d.proc.send_signal(signal.SIGHUP)
    where = "%s:%d" % (d.conf, bad_line)
    t.check(wait_for(lambda: "keeping the running config" in d.logtext(), 10),
            "broken reload is refused", d.logtext()[-1500:])
    line = [ln for ln in d.logtext().splitlines()
            if "keeping the running config" in ln]
    t.check(line and where in line[-1], "the error names file:line",
            (where, line[-1:]))
    t.check(d.proc.poll() is None, "daemon still running")
    t.check(d.client("status").returncode == 0, "API still answers")
    feeds = d.feeds()
    t.check(len(feeds) == 1 and feeds[0]["title"] == "one",
            "the old config's feeds are kept", [f["title"] for f in feeds])

    write_conf(d, good + ['', '[feed "two"]', "url = %s" % srv.url(names[1])])
    d.proc.send_signal(signal.SIGHUP)
    t.check(wait_for(lambda: len(d.feeds()) == 2, 10),
            "a fixed config is then taken", d.logtext()[-1500:])
    t.check(d.stop() == 0, "clean exit after the reloads")
    srv.stop()


class Hang(http.server.BaseHTTPRequestHandler):
    """Accepts every request and never answers (until the test ends)."""
    protocol_version = "HTTP/1.1"
    release = threading.Event()
    seen = 0
    lock = threading.Lock()

    def log_message(self, *a):
        pass

    def do_GET(self):
        with Hang.lock:
            Hang.seen += 1
        Hang.release.wait(60)


class HangServer(http.server.ThreadingHTTPServer):
    request_queue_size = 128    # the default 5 drops a full poll's SYNs
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass                    # connections the daemon dropped at exit


def sigterm_case():
    srv = HangServer(("127.0.0.1", 0), Hang)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    feeds_dir = os.path.join(FIXTURES, "xi-zelensky", "feeds")
    fast = FeedServer(feeds_dir)
    names = sorted(os.listdir(feeds_dir))
    feeds = [("slow%d" % i, "http://127.0.0.1:%d/f%d.xml" % (port, i))
             for i in range(SLOW_FEEDS)]
    feeds += [(n[:-4], fast.url(n)) for n in names]
    d = Daemon(feeds=feeds, daemon_conf={"max_connections": "64",
                                          "max_per_host": "64",
                                          "timeout": "60s"})
    d.start()
    st = wait_for(lambda: (lambda x: x if x.get("in_flight", 0) >= SLOW_FEEDS
                           else None)(d.json("status")), 20)
    t.check(st is not None, "a full poll in flight", d.json("status"))
    t.check(wait_for(lambda: Hang.seen >= SLOW_FEEDS // 2, 20),
            "the slow server holds the requests", Hang.seen)
    start = time.time()
    d.proc.send_signal(signal.SIGTERM)
    try:
        rc = d.proc.wait(STOP_WITHIN)
    except Exception:
        rc = None
    took = time.time() - start
    t.check(rc == 0, "SIGTERM mid-poll: exit 0 within %.0f s" % STOP_WITHIN,
            (rc, round(took, 2), d.logtext()[-1500:]))
    t.check("stopped" in d.logtext(), "logged a clean stop")
    t.check(not os.path.exists(d.socket), "socket removed")
    c = sqlite3.connect(d.database)
    t.check(c.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
            "database sound after the stop")
    c.close()
    # The fetches cancelled by the stop are polled again after a restart.
    Hang.release.set()
    d.kill()
    fast.stop()
    srv.shutdown()


sighup_case()
sigterm_case()
t.done()
