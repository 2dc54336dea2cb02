#!/usr/bin/env python3
"""Polite polling against a server that records every request: validators
echoed byte for byte and kept current, one unconditional request per new
feed, honest identity, Retry-After per host, per-host concurrency, 410,
backoff, permanent redirects learned only after the configured time, and
trickling, endless and gzip-bomb bodies cut off while other feeds flow."""
import atexit
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, Checks, Daemon, wait_for  # noqa: E402

REDIRECT_AFTER = 3      # permanent_redirect_after, seconds
RETRY_AFTER = 3         # seconds the limited feed asks for
TIMEOUT = 3             # transfer timeout: cuts trickles and endless bodies
SLACK = 0.05            # clock granularity between server and daemon logs


class Server:
    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "politeserver.py")],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError("polite server did not start")
        self.base = "http://127.0.0.1:%d" % int(line.split()[1])
        atexit.register(self.stop)

    def url(self, path):
        return self.base + path

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=10) as r:
            return json.load(r)

    def log(self, path=None):
        return [x for x in self.get("/__log")
                if path is None or x["path"] == path]

    def set(self, name, **state):
        req = urllib.request.Request(self.base + "/__set/" + name,
                                     data=json.dumps(state).encode(),
                                     method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


t = Checks("polite")
A, B, C, D = Server(), Server(), Server(), Server()
WEIRD_ETAG = 'W/"v a;l,1 \\"q\\""'
WEIRD_LM = "Sat, 28 Nov 2026 10:00:00 GMT"
A.set("val", etag=WEIRD_ETAG, last_modified=WEIRD_LM)
feeds = {
    "val": A.url("/v/val"), "ok": A.url("/v/ok"), "gone": A.url("/gone"),
    "fail": A.url("/fail"),
    "slow": D.url("/slow"), "endless": D.url("/endless"),
    "bomb": D.url("/bomb"),
}
for i in range(6):
    feeds["c%d" % i] = C.url("/conc/c%d" % i)
d = Daemon(feeds=sorted(feeds.items()), daemon_conf={
    "timeout": "%ds" % TIMEOUT, "connect_timeout": "2s",
    "max_feed_size": "1M", "max_per_host": "2", "host_spacing": "0",
    "permanent_redirect_after": "%ds" % REDIRECT_AFTER})
d.start()


def byname():
    fs = {f["url"]: f for f in d.feeds()}
    out = {}
    for n, u in feeds.items():
        for f in fs.values():
            if f["title"] == n:
                out[n] = f
    return out


def feed(name):
    return byname().get(name, {})


# Other feeds flow while three transfers hang or explode.
got = wait_for(lambda: feed("ok").get("polls", 0) >= 1, 20)
t.check(got, "a good feed is polled", d.logtext()[-2000:])
t.check(feed("slow").get("polls") == 0,
        "... while the trickling transfer still runs", feed("slow"))
wait_for(lambda: all(feed(n).get("polls", 0) >= 1
                     for n in ("slow", "endless", "bomb")), TIMEOUT + 15)
for n in ("slow", "endless"):
    f = feed(n)
    t.check(f.get("polls", 0) >= 1 and f.get("last_error"),
            "%s body cut off by the limits" % n, f)
f = feed("bomb")
t.check("max_feed_size" in (f.get("last_error") or ""),
        "gzip bomb cut on its decoded size", f)
t.check(f.get("items") == 0, "nothing stored from the bomb", f.get("items"))

# Validators: byte for byte, current after every 200, one unconditional.
vid = feed("val")["id"]
f = feed("val")
t.check(f.get("etag") == WEIRD_ETAG and f.get("last_modified") == WEIRD_LM,
        "validators stored verbatim", (f.get("etag"), f.get("last_modified")))
d.client("refresh", str(vid), "--wait")
req = A.log("/v/val")[-1]
t.check(req["headers"].get("if-none-match") == WEIRD_ETAG,
        "If-None-Match echoed byte for byte", req["headers"])
t.check(req["headers"].get("if-modified-since") == WEIRD_LM,
        "If-Modified-Since echoed byte for byte", req["headers"])
t.check(req["status"] == 304, "answered 304", req["status"])
A.set("val", etag='"val-2"')            # only the ETag changes
d.client("refresh", str(vid), "--wait")
f = feed("val")
t.check(f.get("etag") == '"val-2"' and f.get("last_modified") == WEIRD_LM,
        "a new ETag alone is taken", (f.get("etag"), f.get("last_modified")))
d.client("refresh", str(vid), "--wait")
req = A.log("/v/val")[-1]
t.check(req["headers"].get("if-none-match") == '"val-2"' and
        req["status"] == 304, "the new ETag is echoed", req)
NEW_LM = "Sun, 29 Nov 2026 01:02:03 GMT"
A.set("val", etag=None, last_modified=NEW_LM)   # only Last-Modified now
d.client("refresh", str(vid), "--wait")
f = feed("val")
t.check(f.get("etag") is None and f.get("last_modified") == NEW_LM,
        "validators follow the 200 (ETag gone, new Last-Modified)",
        (f.get("etag"), f.get("last_modified")))
d.client("refresh", str(vid), "--wait")
req = A.log("/v/val")[-1]
t.check("if-none-match" not in req["headers"] and
        req["headers"].get("if-modified-since") == NEW_LM,
        "the new Last-Modified is echoed, no stale ETag", req["headers"])
reqs = A.log("/v/val")
uncond = [r for r in reqs if "if-none-match" not in r["headers"] and
          "if-modified-since" not in r["headers"]]
t.check(len(uncond) == 1, "exactly one unconditional request for the feed",
        len(uncond))
everything = A.log() + B.log() + C.log() + D.log()
ua = re.compile(r"^tidings/\S+ \(\+https?://\S+\)$")
t.check(all(ua.match(r["headers"].get("user-agent", "")) for r in everything),
        "User-Agent is tidings/VERSION (+URL)",
        {r["headers"].get("user-agent") for r in everything})
t.check(not any("cookie" in r["headers"] for r in everything),
        "no cookies sent back")
t.check(not any("referer" in r["headers"] for r in everything),
        "no Referer")
firsts = {}
for r in everything:
    firsts.setdefault(r["path"], r)
t.check(all("if-none-match" not in r["headers"] for r in firsts.values()),
        "first request of every feed unconditional")

# The self-audit: the request history of the feed.
h = d.json("feeds", "--http", str(vid))
rs = h.get("requests", [])
t.check(len(rs) == len(reqs), "history has every request", (len(rs), len(reqs)))
t.check(rs and rs[-1]["conditional"] is False and rs[0]["conditional"] is True,
        "history: oldest unconditional, newest conditional", rs)
t.check([r["status"] for r in rs][::-1] == [r["status"] for r in reqs],
        "history statuses match the server's", rs)
out = d.client("feeds", "--http", str(vid)).stdout
t.check("conditional" in out and "304" in out and "full" in out,
        "tidings feeds --http prints the history", out)
r = d.client("feeds", "--http", "999999")
t.check(r.returncode != 0, "--http of an unknown feed fails", r.stdout)

# 410 stops; other errors back off and are counted.
f = feed("gone")
t.check("gone" in (f.get("last_error") or "") and f.get("next_poll") is None,
        "410 stops the feed and says so", f)
f = feed("fail")
t.check(f.get("failures") == 1 and f.get("last_success") is None,
        "failure counted", f)
nxt = f.get("next_poll")
out = d.client("feeds").stdout
t.check("1 failed, never ok" in out, "tidings feeds shows failures", out)

# Per-host concurrency.
st = C.get("/__stats")
t.check(st["max_concurrent"] == 2, "at most max_per_host=2 at once on a host",
        st)
t.check(all(feed("c%d" % i).get("last_status") == 200 for i in range(6)),
        "every feed of the busy host polled")

# Retry-After: nothing more to that host before it has passed.
r = d.client("add", B.url("/limit/429/%d/l1" % RETRY_AFTER), "--title",
             "lim")
wait_for(lambda: len(B.log()) >= 1, 10)
first429 = B.log()
t.check(len(first429) == 1 and first429[0]["status"] == 429,
        "429 with Retry-After", first429)
t429 = first429[0]["time"] if first429 else time.time()
r = d.client("add", B.url("/v/other"), "--title", "other")
t.check(r.returncode == 0, "a second feed on the limited host added",
        r.stderr)
lid = feed("lim").get("id")
d.client("refresh", str(lid))
wait_for(lambda: len(B.log()) >= 3, RETRY_AFTER + 10)
time.sleep(0.5)     # anything early would have come by now
later = B.log()[1:]
t.check(len(later) == 2, "both feeds polled after the wait", later)
t.check(all(r["time"] >= t429 + RETRY_AFTER - SLACK for r in later),
        "no request before Retry-After passed",
        [round(r["time"] - t429, 2) for r in later])

# Permanent redirects: learned only after REDIRECT_AFTER seconds of them.
feeds.update({"m301": A.url("/r301/m1"), "m302": A.url("/r302/m2"),
              "m308": A.url("/r308/m3")})
for n in ("m301", "m302", "m308"):
    d.client("add", feeds[n], "--title", n)
wait_for(lambda: all(feed(n).get("polls", 0) >= 1
                     for n in ("m301", "m302", "m308")), 10)
first = A.log("/r301/m1")[0]["time"]
ids = {n: feed(n)["id"] for n in ("m301", "m302", "m308")}
snapshots = []
end = time.time() + REDIRECT_AFTER + 8
while time.time() < end:
    for n in ids:
        d.client("refresh", str(ids[n]), "--wait")
    fs = byname()
    snapshots.append((time.time(), {n: fs[n]["url"] for n in ids}))
    if fs["m301"]["url"].endswith("/v/m1") and \
            fs["m308"]["url"].endswith("/v/m3"):
        break
    time.sleep(0.5)
# Until the time has passed the daemon kept asking the old URL (whole
# seconds on the daemon's side: at least REDIRECT_AFTER - 1 of them).
old = A.log("/r301/m1")
t.check(len(old) >= 2 and old[-1]["time"] >= first + REDIRECT_AFTER - 1,
        "301 not learned early", [round(r["time"] - first, 2) for r in old])
final = snapshots[-1][1] if snapshots else {}
t.check(final.get("m301") == A.url("/v/m1"), "301 learned after the time",
        snapshots)
t.check(final.get("m308") == A.url("/v/m3"), "308 learned after the time",
        final)
t.check(final.get("m302") == feeds["m302"], "302 never learned", final)
t.check("moved permanently" in d.logtext(), "the move is logged")

d.stop()
t.done()
