#!/usr/bin/env python3
"""Online story merges through the real daemon and client: two stories of
one event (a threshold nothing reaches keeps them apart), then, with the
normal thresholds after SIGHUP, a new item that matches both merges the
later story into the earlier.  The daemon logs the merge; `tidings show`
of the old id shows the survivor; read and star state stay on the items;
`tidings read OLD` still marks the story."""
import atexit
import os
import shutil
import signal
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, FeedServer, wait_for  # noqa: E402

DATE = "Wed, 26 Apr 2023 %02d:00:00 GMT"


def rss(items):
    out = ['<?xml version="1.0"?><rss version="2.0"><channel>'
           '<title>t</title><link>https://example.org/</link>']
    for guid, title, hour in items:
        out.append('<item><guid isPermaLink="false">%s</guid>'
                   '<title>%s</title><link>https://example.org/%s</link>'
                   '<pubDate>%s</pubDate></item>'
                   % (guid, title, guid, DATE % hour))
    out.append("</channel></rss>\n")
    return "".join(out).encode()


t = Checks("merge")
root = tempfile.mkdtemp(prefix="tidings-merge-feeds-")
atexit.register(shutil.rmtree, root, True)
feeds = {
    "a.xml": [("a1", "Xi and Zelensky hold phone call", 10),
              ("a0", "Harry Belafonte dies at 96", 8)],
    "b.xml": [("b1", "Zelenskyy calls China's Xi: first talks since the "
               "invasion", 11),
              ("b0", "Biden and Yoon sign nuclear deterrence pact", 8)],
    "c.xml": [("c0", "Sudan truce holds as evacuations continue", 8)],
}
for name, items in feeds.items():
    with open(os.path.join(root, name), "wb") as f:
        f.write(rss(items))
srv = FeedServer(root)
d = Daemon(feeds=[(n[:-4], srv.url(n)) for n in sorted(feeds)])
with open(d.conf) as f:
    base = f.read()


def cluster_conf(threshold, merge):
    with open(d.conf, "w") as f:
        f.write(base + "\n[cluster]\nthreshold = %s\nmerge_threshold = %s\n"
                % (threshold, merge))


def story_of(guid):
    for s in d.json("headlines", "--limit", "100")["stories"]:
        for it in s["items"]:
            if it["link"].endswith("/" + guid):
                return s["id"]
    return None


cluster_conf("0.99", "0")
d.start()
polled = wait_for(lambda: (lambda f: f if len(f) == 3 and
                           all(x["polls"] >= 1 for x in f) else None)
                  (d.feeds()), 60)
t.check(polled is not None, "all feeds polled", d.logtext()[-2000:])
sa, sb = story_of("a1"), story_of("b1")
t.check(sa is not None and sb is not None and sa != sb,
        "two stories of one event", (sa, sb))
# The feeds are polled in any order: the earlier id survives.
keep, gone = min(sa or 0, sb or 0), max(sa or 0, sb or 0)
t.check(d.client("read", str(sa)).returncode == 0, "read the first story")
t.check(d.client("star", str(sb)).returncode == 0, "star the second story")

# Normal thresholds, then an item that matches both stories.
cluster_conf("0.25", "0.5")
d.proc.send_signal(signal.SIGHUP)
t.check(wait_for(lambda: d.logtext().count("configuration reloaded") >= 1,
                 10), "config reloaded", d.logtext()[-1500:])
req = urllib.request.Request(
    srv.base + "/__put/c.xml", method="POST",
    data=rss(feeds["c.xml"] + [("c1", "Xi and Zelensky hold phone call, "
                                "first talks since invasion", 12)]))
urllib.request.urlopen(req, timeout=10).read()
c = [f for f in d.feeds() if f["url"].endswith("/c.xml")][0]
r = d.client("refresh", str(c["id"]), "--wait", timeout=90)
t.check(r.returncode == 0, "refresh --wait", r.stderr)

line = [ln for ln in d.logtext().splitlines() if "merged into" in ln]
t.check(len(line) == 1 and ("story %d merged into %d: item" % (gone, keep))
        in line[0] and "matched both" in line[0], "the merge is logged",
        line or d.logtext()[-1500:])
t.check(story_of("a1") == keep and story_of("b1") == keep and
        story_of("c1") == keep, "all three items in the earlier story",
        (story_of("a1"), story_of("b1"), story_of("c1")))
old = d.json("show", str(gone))
t.check(old.get("id") == keep and len(old.get("items", [])) == 3,
        "show OLD_ID shows the survivor", old)
state = {it["link"].rsplit("/", 1)[1]: (it["read"], it["starred"])
         for it in old.get("items", [])}
t.check(state.get("a1") == (True, False) and state.get("b1") == (False, True),
        "read and star state stay on the items", state)
t.check(d.client("read", str(gone)).returncode == 0, "read OLD_ID succeeds")
t.check(all(it["read"] for it in d.json("show", str(keep))["items"]),
        "read OLD_ID marked the survivor")
t.check(d.stop() == 0, "clean exit")
srv.stop()
t.done()
