#!/usr/bin/env python3
"""OPML import/export and digests against a real tidingsd on the fixture
feeds: import with folders, duplicates and bad entries; malformed and
hostile OPML; export -> import into an empty database -> export
identical; every digest format checked by a parser; `--since last` over
several runs with new items in between, never repeating or skipping."""
import email
import email.policy
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, FeedServer, FIXTURES, TIDINGS  # noqa: E402

FEEDS = os.path.join(FIXTURES, "xi-zelensky", "feeds")
ATOM = "{http://www.w3.org/2005/Atom}"

t = Checks("opml_digest")
tmp = tempfile.mkdtemp(prefix="tidings-opml-")
state = os.path.join(tmp, "state")
os.environ["XDG_STATE_HOME"] = state

srv = FeedServer(FEEDS)
names = sorted(os.listdir(FEEDS))


def rss(items):
    """An RSS 2.0 feed of (guid, title, link) items."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">'
           '<channel><title>Live desk</title><link>http://127.0.0.1/</link>'
           '<description>changing</description>']
    for guid, title, link in items:
        out.append('<item><guid isPermaLink="false">%s</guid><title>%s</title>'
                   '<link>%s</link><description>%s &lt;script&gt;alert(1)'
                   '&lt;/script&gt;</description></item>'
                   % (guid, title, link, title))
    out.append("</channel></rss>\n")
    return "".join(out).encode()


def put(name, body):
    req = urllib.request.Request(srv.base + "/__put/" + name, data=body,
                                 method="POST")
    urllib.request.urlopen(req, timeout=10).read()


live = [("live-1", "Orbital ferry docks early at Lagrange hub, 3 &lt; 4 "
         "&amp; &quot;safe&quot;", "javascript:alert(1)"),
        ("live-0", "Terminal trap &#x9B;31m red &#x202E;desrever "
         "&#x9D;52;c;aGk=&#x9C; quiet", "https://example.org/0")]
UNSAFE = ("\x1b", "\x9b", "\x9c", "\x9d", "\u202e", "\x07")
put("live.xml", rss(live))


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def esc(s):
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


# --- OPML import -----------------------------------------------------------
outlines = []
for i, n in enumerate(names):
    outlines.append('      <outline text="%s" type="rss" xmlUrl="%s"/>'
                    % (esc(n[:-4].upper()), esc(srv.url(n))))
opml_lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<opml version="1.0">',
    '  <head><title>test</title></head>',
    '  <body>',
    '    <outline text="World">',
    '     <outline text="Europe">',
] + outlines[:5] + [
    '     </outline>',
] + outlines[5:] + [
    '    </outline>',
    '    <outline text="BBC again" xmlUrl="%s"/>' % esc(srv.url(names[2])),
    '    <outline text="bad" xmlUrl="ftp://127.0.0.1/feed"/>',
    '    <outline text="Live" xmlUrl="%s" category="/desk,/night shift"/>'
    % esc(srv.url("live.xml")),
    '  </body>',
    '</opml>',
]
bad_line = next(i + 1 for i, l in enumerate(opml_lines) if "ftp://" in l)
src = write(os.path.join(tmp, "in.opml"), "\n".join(opml_lines) + "\n")

a = Daemon()
a.start()
r = a.client("import", src)
t.check(r.returncode == 1, "import with a bad entry exits 1", r.returncode)
t.check("imported 14 feeds, skipped 1 duplicate, 1 bad entry" in r.stdout,
        "import counts", r.stdout + r.stderr)
t.check(":%d:" % bad_line in r.stderr and "ftp" not in r.stdout,
        "bad entry reported with its line", r.stderr)
feeds = a.feeds()
t.check(len(feeds) == 14, "14 feeds subscribed", len(feeds))
byurl = {f["url"]: f for f in feeds}
t.check(byurl.get(srv.url(names[0]), {}).get("tags") == ["World", "Europe"],
        "nested outlines become tags", byurl.get(srv.url(names[0])))
t.check(byurl.get(srv.url(names[7]), {}).get("tags") == ["World"],
        "outer folder tag", byurl.get(srv.url(names[7])))
t.check(byurl.get(srv.url("live.xml"), {}).get("tags") ==
        ["desk", "night shift"], "category becomes tags")
t.check(byurl.get(srv.url(names[0]), {}).get("title") ==
        names[0][:-4].upper(), "outline text becomes the title")

r = a.client("import", src)
t.check("imported 0 feeds, skipped 15 duplicates" in r.stdout,
        "second import skips everything", r.stdout)

# Malformed and hostile OPML: refused whole, with a reason, nothing added.
bad_docs = {
    "broken.opml": '<opml version="2.0"><body>\n<outline xmlUrl="http://x/">'
                   '\n</body></opml>\n',
    "xxe.opml": '<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY x SYSTEM '
                '"file:///etc/passwd">]>\n<opml><body><outline text="&x;" '
                'xmlUrl="http://127.0.0.1:1/x"/></body></opml>\n',
    "rss.opml": '<rss version="2.0"><channel/></rss>\n',
    "empty.opml": "",
}
for name, text in bad_docs.items():
    r = a.client("import", write(os.path.join(tmp, name), text))
    t.check(r.returncode == 6, "%s refused with exit 6" % name,
            (r.returncode, r.stderr))
    t.check(r.stderr.count("\n") == 1 and name in r.stderr,
            "%s: one line naming the file" % name, r.stderr)
t.check("line 3" in a.client("import", os.path.join(tmp, "broken.opml")).stderr,
        "malformed OPML names its line")
t.check(len(a.feeds()) == 14, "nothing subscribed from bad OPML")
t.check("passwd" not in a.client("feeds").stdout, "no external entity loaded")

# --- OPML export, round trip ------------------------------------------------
r = a.client("export")
t.check(r.returncode == 0, "export succeeds", r.stderr)
exp1 = r.stdout
root = ET.fromstring(exp1)
outs = root.findall("./body/outline")
t.check(root.tag == "opml" and root.get("version") == "2.0", "OPML 2.0")
t.check(len(outs) == 14 and all(o.get("xmlUrl") and o.get("text")
                                for o in outs), "one outline a feed")
t.check(any(o.get("category") == "/World,/Europe" for o in outs),
        "tags as category", [o.get("category") for o in outs])
exp_file = write(os.path.join(tmp, "export.opml"), exp1)

b = Daemon()
b.start()
r = b.client("import", "--quiet", exp_file)
t.check(r.returncode == 0 and r.stdout == "", "quiet import of the export",
        (r.returncode, r.stdout, r.stderr))
r2 = b.client("export")
t.check(r2.stdout == exp1, "export -> import -> export is identical",
        r2.stdout[:500])
b.stop()

# --- digests ------------------------------------------------------------------
r = a.client("refresh", "--wait", timeout=90)
t.check(r.returncode == 0, "feeds polled", r.stderr)
time.sleep(1.1)   # stories stored in the digest's own second go to the next
stories = a.json("headlines", "--since", "1d", "--limit", "10000")["stories"]
t.check(len(stories) > 20, "stories to digest", len(stories))


def digest(*args, daemon=a):
    return daemon.client("digest", *args)


r = digest("--format", "json")
t.check(r.returncode == 0, "json digest", r.stderr)
dj = json.loads(r.stdout)
t.check(dj.get("count") == len(stories) == len(dj.get("stories", [])),
        "json digest holds every story of the period",
        (dj.get("count"), len(stories)))
srcs = [s["sources"] for s in dj["stories"]]
t.check(srcs == sorted(srcs, reverse=True) and srcs[0] > 1,
        "most covered first", srcs[:10])
t.check(all("items" in s and "feeds" in s for s in dj["stories"]),
        "stories as in docs/API.md")
t.check(all(ord(c) < 128 for c in r.stdout), "json is ASCII-escaped")

r = digest("--format", "json", "--min-sources", "2")
ms = json.loads(r.stdout)["stories"]
t.check(ms and all(s["sources"] >= 2 for s in ms) and len(ms) < len(stories),
        "--min-sources", len(ms))
r = digest("--format", "json", "--tag", "desk")
tg = json.loads(r.stdout)["stories"]
t.check(len(tg) == 2 and all(s["feeds"][0]["title"] == "Live" for s in tg),
        "--tag", tg)

r = digest()
t.check(r.returncode == 0 and r.stdout.startswith('tidings digest "default"')
        and "%d stories" % len(stories) in r.stdout, "text digest",
        r.stdout[:200])
t.check("\x1b" not in r.stdout, "no colour in text")
t.check("Terminal trap" in r.stdout and
        not any(c in r.stdout for c in UNSAFE),
        "no terminal control from a feed in text", repr(r.stdout[:100]))

r = digest("--format", "markdown")
t.check(r.returncode == 0 and r.stdout.startswith("# tidings digest") and
        "\n## 1\\. " in r.stdout, "markdown digest", r.stdout[:300])
t.check("](javascript" not in r.stdout and "<script" not in r.stdout,
        "markdown has no live script or link")
t.check("Terminal trap" in r.stdout and
        not any(c in r.stdout for c in UNSAFE),
        "no terminal control from a feed in markdown")
for fmt in ("html", "atom"):
    out = digest("--format", fmt).stdout
    t.check("Terminal trap" in out and not any(c in out for c in UNSAFE),
            "no raw terminal control in %s" % fmt)

r = digest("--format", "html")
page = r.stdout
t.check(r.returncode == 0 and page.startswith("<!DOCTYPE html>"), "html")
lint = subprocess.run(["xmllint", "--html", "--noout", "-"], input=page,
                      capture_output=True, text=True)
t.check(lint.returncode == 0 and lint.stderr == "",
        "xmllint --html finds no error", lint.stderr[:500])


class Scan(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.bad = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("script", "iframe", "object", "embed", "img", "link"):
            self.bad.append(tag)
        for k, v in attrs:
            if k.startswith("on") or (k == "href" and v and not
                                      v.startswith(("http:", "https:"))):
                self.bad.append((tag, k, v))


sc = Scan()
sc.feed(page)
t.check(sc.bad == [], "no script, event attribute or bad link", sc.bad[:5])
t.check(sc.tags.count("style") == 1 and "html" in sc.tags and
        sc.tags.count("h2") == len(stories), "one story heading each")
t.check("3 &lt; 4 &amp; &quot;safe&quot;" in page, "feed text escaped",
        page[page.find("Orbital"):][:200])

r = digest("--format", "atom")
feed = ET.fromstring(r.stdout)
entries = feed.findall(ATOM + "entry")
t.check(feed.tag == ATOM + "feed", "atom root")
t.check(all(feed.find(ATOM + k) is not None for k in
            ("id", "title", "updated", "author")), "atom feed metadata")
t.check(len(entries) == len(stories), "one entry per story", len(entries))
t.check(all(all(e.find(ATOM + k) is not None and (e.find(ATOM + k).text or
                                                   "").strip()
                for k in ("id", "title", "updated")) for e in entries),
        "each entry has id, title, updated")
ids = [e.find(ATOM + "id").text for e in entries]
t.check(len(set(ids)) == len(ids), "entry ids unique")
again = ET.fromstring(digest("--format", "atom").stdout)
t.check([e.find(ATOM + "id").text for e in again.findall(ATOM + "entry")] ==
        ids, "entry ids stable across runs")
t.check(all(not (l.get("href") or "").startswith("javascript")
            for l in feed.iter(ATOM + "link")), "no javascript link in atom")

r = digest("--format", "email", "--to", "news@example.org")
msg = email.message_from_string(r.stdout, policy=email.policy.default)
t.check(r.returncode == 0 and msg.get_content_type() ==
        "multipart/alternative", "email is multipart/alternative")
parts = [p.get_content_type() for p in msg.iter_parts()]
t.check(parts == ["text/plain", "text/html"], "text and html parts", parts)
t.check("%d stories" % len(stories) in msg["Subject"] and " to " in
        msg["Subject"], "subject names count and period", msg["Subject"])
t.check(msg["To"] == "news@example.org" and msg["MIME-Version"] == "1.0" and
        msg["Date"] and msg["From"], "mail headers")
body = msg.get_body(("plain",)).get_content()
t.check(body.startswith('tidings digest "default"'), "text part decodes")
hpart = msg.get_body(("html",))
t.check(hpart.get_content_charset() == "utf-8" and
        hpart.get_content().startswith("<!DOCTYPE html>"), "html part")

out = os.path.join(tmp, "digest.html")
r = digest("--format", "html", "--output", out, "--quiet")
t.check(r.returncode == 0 and r.stdout == "" and r.stderr == "",
        "--output --quiet is silent", (r.stdout, r.stderr))
t.check(open(out).read().startswith("<!DOCTYPE html>"), "--output written")

r = subprocess.run([TIDINGS, "-s", os.path.join(tmp, "nope.sock"), "digest",
                    "--quiet"], capture_output=True, text=True)
t.check(r.returncode == 3 and r.stdout == "" and r.stderr.count("\n") == 1,
        "unreachable daemon: exit 3, one line", (r.returncode, r.stderr))
r = digest("--format", "email", "--to", "a@example.org\nBcc: x@example.org")
t.check(r.returncode == 2 and "Bcc" not in r.stdout,
        "no header injection through --to", r.stdout[:200])
r = digest("--format", "pdf")
t.check(r.returncode == 2, "unknown format is a usage error")
r = digest("--since", "last", "--name", "../x")
t.check(r.returncode == 2, "--name cannot leave the state directory")

# --- --since last: three runs with new items in between -----------------------
seen = []
runs = []


def api_get(daemon, path):
    r = subprocess.run(["curl", "-s", "--unix-socket", daemon.socket,
                        "http://localhost" + path], capture_output=True,
                       text=True)
    return json.loads(r.stdout or "{}")


def run_last():
    r = digest("--since", "last", "--name", "morning", "--format", "json")
    t.check(r.returncode == 0, "digest --since last", r.stderr)
    got = [s["id"] for s in json.loads(r.stdout)["stories"]]
    runs.append(got)
    return got


first = run_last()
t.check(sorted(first) == sorted(s["id"] for s in stories),
        "first run: the last 24 hours", (len(first), len(stories)))
mark = api_get(a, "/v1/bookmarks?name=morning")
t.check(mark.get("name") == "morning" and mark.get("until", "").endswith("Z"),
        "bookmark kept by the daemon", mark)
t.check(not os.path.exists(state), "no client-side state file")
# A bookmark only moves from where the caller saw it: a second digest of
# the same name running meanwhile gets a 409 instead of a silent repeat.
r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                    "--unix-socket", a.socket, "-d",
                    json.dumps({"name": "morning", "until": mark["until"],
                                "previous": "2001-01-01T00:00:00Z"}),
                    "http://localhost/v1/bookmarks"],
                   capture_output=True, text=True)
t.check(r.stdout == "409", "stale previous is a conflict", r.stdout)
for n in (2, 3):
    # Different events: clustering must not join them into one story.
    live.append(("live-%d" % n, ("Glacier choir number %d sings tomorrow"
                                 if n == 2 else
                                 "Harbour crane number %d toppled by gale")
                 % n,
                 "https://example.org/%d" % n))
    put("live.xml", rss(live))
    r = a.client("refresh", "--wait", timeout=90)
    t.check(r.returncode == 0, "refresh after new item", r.stderr)
    time.sleep(1.1)
    if n == 3:
        a.stop()        # the bookmark survives a restart of the daemon
        a.start()
    got = run_last()
    titles = [s["title"] for s in a.json("headlines", "--since", "1d",
                                         "--limit", "10000")["stories"]
              if s["id"] in got]
    t.check(len(got) == 1 and "number %d" % n in titles[0],
            "run %d: just the new story" % n, titles)
empty = run_last()
t.check(empty == [], "a run with nothing new is empty")
allids = [x for run in runs for x in run]
now = [s["id"] for s in a.json("headlines", "--since", "1d", "--limit",
                                "10000")["stories"]]
t.check(len(allids) == len(set(allids)), "no story in two digests")
t.check(sorted(allids) == sorted(now), "no story skipped",
        (len(allids), len(now)))
r = digest("--since", "last", "--name", "morning", "--quiet")
t.check(r.returncode == 0 and r.stdout == "" and r.stderr == "",
        "--quiet with nothing new prints nothing", (r.stdout, r.stderr))
r = digest("--since", "last", "--name", "evening", "--format", "json")
t.check(json.loads(r.stdout)["count"] == len(now),
        "another --name has its own bookmark")

a.stop()
shutil.rmtree(tmp, True)
t.done()
