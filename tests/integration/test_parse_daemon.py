#!/usr/bin/env python3
"""The parser's rules through the real daemon: a JSON Feed travels the
worker transport and is stored; Content-Location is the base for
relative links; a summary is stored as HTML and shown as text; a date in
the future is stored as the fetch time."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, FeedServer, FIXTURES, wait_for  # noqa: E402

ROOT = os.path.join(FIXTURES, "parse-daemon")

t = Checks("parse-daemon")
srv = FeedServer(ROOT)
d = Daemon(feeds=[("located", srv.url("located.xml")),
                  ("json", srv.url("feed.json"))])
started = time.time()
d.start()

feeds = wait_for(lambda: (lambda f: f if len(f) == 2 and
                          all(x["polls"] >= 1 for x in f) else None)(d.feeds()),
                 30)
t.check(feeds is not None, "both feeds polled", d.logtext()[-3000:])
for f in d.feeds():
    t.check(f.get("last_error") is None, "%s parsed without error" % f["url"],
            f.get("last_error"))
    t.check(f.get("items") == (2 if "located" in f["url"] else 1),
            "%s stored its items" % f["url"], f.get("items"))

items = d.json("items")["items"]
bytitle = {it["title"]: it for it in items}
base = srv.url("blog/")     # Content-Location: /blog/feed.xml

rel = bytitle.get("Relative post", {})
t.check(rel.get("link") == base + "posts/one.html",
        "relative link resolved against Content-Location", rel.get("link"))
# The XML decodes once to the HTML the publisher meant.
t.check(rel.get("summary_html") == "A <b>bold</b> claim & more",
        "summary stored as HTML", rel.get("summary_html"))
t.check(rel.get("summary") == "A bold claim & more",
        "summary served as plain text", rel.get("summary"))

fut = bytitle.get("From the future", {})
pub = fut.get("published") or ""
t.check(pub.startswith(time.strftime("%Y-", time.gmtime(started))),
        "a date in 2150 stored as the fetch time", pub)

note = bytitle.get("A JSON note", {})
t.check(note.get("link") == srv.url("notes/1"),
        "JSON Feed item stored with its link resolved", note.get("link"))
t.check(note.get("summary_html") == "Hello &amp; welcome",
        "JSON Feed summary stored as HTML", note.get("summary_html"))
t.check(note.get("summary") == "Hello & welcome",
        "JSON Feed summary served as text", note.get("summary"))

# The terminal shows the text of the HTML summary, not its markup.
out = d.client("show", str(rel.get("story"))).stdout
t.check("A bold claim & more" in out and "<b>" not in out,
        "client prints the summary's text", out[-2000:])
out = d.client("show", str(note.get("story"))).stdout
t.check("Hello & welcome" in out and "&amp;" not in out,
        "client decodes the summary's entities", out[-2000:])

d.stop()
srv.stop()
t.done()
