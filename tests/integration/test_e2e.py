#!/usr/bin/env python3
"""End to end: thirteen outlets' feeds served on 127.0.0.1, polled by a
real tidingsd, read back with the real client."""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, FeedServer, FIXTURES, wait_for  # noqa: E402

FEEDS = os.path.join(FIXTURES, "xi-zelensky", "feeds")
LABELS = os.path.join(FIXTURES, "xi-zelensky", "labels.json")

t = Checks("e2e")
labels = json.load(open(LABELS))
expected = {}
for it in labels["items"]:
    expected[it["feed"]] = expected.get(it["feed"], 0) + 1

srv = FeedServer(FEEDS)
names = sorted(os.listdir(FEEDS))
d = Daemon(feeds=[(n[:-4], srv.url(n)) for n in names])
d.start()

# First poll of every feed: one unconditional request each.
feeds = wait_for(lambda: (lambda f: f if all(x["polls"] >= 1 for x in f)
                          and len(f) == len(names) else None)(d.feeds()), 60)
t.check(feeds is not None, "all 13 feeds polled", d.logtext()[-3000:])
feeds = d.feeds()
t.check(len(feeds) == 13, "13 feeds listed", len(feeds))
byurl = {f["url"]: f for f in feeds}
for n in names:
    f = byurl.get(srv.url(n), {})
    t.check(f.get("last_status") == 200, "%s fetched with 200" % n,
            (f.get("last_status"), f.get("last_error")))
    t.check(f.get("last_error") is None, "%s has no error" % n,
            f.get("last_error"))
    t.check(f.get("items") == expected[n], "%s stored every item once" % n,
            (f.get("items"), expected[n]))
    t.check(f.get("etag", "").startswith('"'), "%s keeps the ETag verbatim" % n,
            f.get("etag"))

status = d.json("status")
total = sum(expected.values())
t.check(status.get("items") == total, "status counts every item once",
        (status.get("items"), total))
first = srv.log()
t.check(all(r["if_none_match"] is None for r in first),
        "first requests are unconditional")
t.check(all(r["user_agent"].startswith("tidings/") for r in first),
        "honest User-Agent")
t.check(all("gzip" in (r["accept_encoding"] or "") for r in first),
        "gzip accepted")

# A second poll: conditional requests, 304s, nothing new.
r = d.client("refresh", "--wait", timeout=90)
t.check(r.returncode == 0, "refresh --wait succeeds", r.stderr)
log = srv.log()[len(first):]
t.check(len(log) == 13, "second poll asked each feed once", len(log))
t.check(all(x["status"] == 304 for x in log), "second poll got 304s",
        [x["status"] for x in log])
t.check(all(x["if_none_match"] and x["if_none_match"].startswith('"')
            for x in log), "validators echoed verbatim")
status2 = d.json("status")
t.check(status2.get("items") == total, "304s add nothing",
        status2.get("items"))
feeds2 = d.feeds()
t.check(all(f["polls"] >= 2 and f["last_status"] == 304 for f in feeds2),
        "every feed shows its 304")

# Stories: the identical Reuters and CBC headlines are one story.
stories = d.json("headlines", "--limit", "1000")["stories"]
same = [s for s in stories
        if s["title"] == "China's Xi holds first call with Zelenskiy since Russia's invasion"]
t.check(len(same) == 1, "identical headline is one story", len(same))
if same:
    s = same[0]
    outlets = sorted(i["feed"]["title"] for i in s["items"])
    t.check(s["sources"] >= 2, "story has both sources", s["sources"])
    t.check(any("reuters" in o.lower() for o in outlets) and
            any("cbc" in o.lower() for o in outlets),
            "Reuters and CBC in that story", outlets)
    one = d.json("show", str(s["id"]))
    t.check(one.get("id") == s["id"] and len(one.get("items", [])) >= 2,
            "show returns the story with its items")
t.check(len(stories) < total, "some items share stories",
        (len(stories), total))

# The documented JSON fields.
for s in stories:
    for k in ("id", "title", "first_seen", "updated", "sources", "items"):
        if not t.check(k in s, "story has %s" % k):
            break
    for it in s["items"]:
        ok = all(k in it for k in ("id", "feed", "title", "link", "guid",
                                   "published", "author", "summary"))
        if not t.check(ok, "item has the documented fields", it.keys()):
            break
        t.check(set(it["feed"]) >= {"id", "title"}, "item feed has id, title")
        break
rferl = [it for s in stories for it in s["items"] if "rferl" in (it["link"] or "")]
t.check(rferl and all(it["published"] is None for it in rferl),
        "RSS 0.91 items without dates have published null")

# Human output works and is one line per headline.
r = d.client("headlines", "--limit", "5")
t.check(r.returncode == 0 and len(r.stdout.strip().splitlines()) == 5,
        "headlines prints five lines", r.stdout + r.stderr)

# Add and remove through the client.
r = d.client("add", srv.url("missing.xml"), "--title", "Missing", "--tags", "a,b")
t.check(r.returncode == 0, "add succeeds", r.stderr)
r = d.client("add", srv.url("missing.xml"))
t.check(r.returncode != 0, "adding the same URL twice fails")
mid = [f for f in d.feeds() if f["url"] == srv.url("missing.xml")]
t.check(len(mid) == 1 and mid[0]["tags"] == ["a", "b"], "added feed listed with tags")
if mid:
    f = wait_for(lambda: [x for x in d.feeds() if x["id"] == mid[0]["id"]
                          and x["polls"] >= 1], 30)
    t.check(f and f[0]["last_status"] == 404 and "404" in (f[0]["last_error"] or ""),
            "a 404 is recorded on the feed", f)
    r = d.client("remove", str(mid[0]["id"]))
    t.check(r.returncode == 0, "remove succeeds", r.stderr)
    t.check(all(x["id"] != mid[0]["id"] for x in d.feeds()), "removed feed gone")

rc = d.stop(signal.SIGTERM)
t.check(rc == 0, "SIGTERM stops tidingsd with exit 0", rc)
t.check(not os.path.exists(d.socket), "socket removed at exit")
r = d.client("status")
t.check(r.returncode == 3, "client says the daemon is not running (exit 3)",
        r.returncode)
t.done()
