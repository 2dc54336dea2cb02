#!/usr/bin/env python3
"""Hostile feeds and evil servers: every file of the hostile corpus and
every misbehaving path of tests/hostile/evil_server.py polled by a real
tidingsd beside a control feed.

Checks: the daemon stays up and answers the API, the control feed keeps
updating, every feed ends with either a clear error in words or (where
the content is legal) stored items, peak memory stays bounded, nothing
reaches an internal address, no entity is expanded and no local file is
read, no dangerous link scheme is stored, and no control character
reaches the log or the terminal.
"""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, ROOT, wait_for  # noqa: E402

HOSTILE = os.path.join(ROOT, "tests", "hostile")
PEAK_RSS_KB = 128 * 1024	# the bound for the whole corpus poll
CONTROL_POLLS = 3		# the control feed must update at least this often
CONTROL_INTERVAL = "2s"
BOMB_BYTES = 100 * 1000 * 1000	# inflated bomb size: well past max_feed_size
SERVER_SECONDS = 300		# evil_server stops by itself after this
SETTLE_SECONDS = 45		# every feed has finished its first fetch by then
SERVER_CONNS = 512		# evil_server answers 503 Busy past this; all
				# ~120 feeds connect at once, some twice

# Content the manifest calls legal: stored, with at least this many items.
LEGAL = {
    "control_ok.xml": 1, "windows1252.xml": 1, "utf16le_bom.xml": 1,
    "utf16be_bom.xml": 1, "rss091_netscape_dtd_nbsp.xml": 1,
    "external_dtd_file.xml": 1, "xml_stylesheet_pi.xml": 1,
    "terminal_legal_controls.xml": 1, "links_dangerous_schemes.xml": 1,
    "atom_xml_base_javascript.xml": 1, "content_xss.xml": 1,
    "feed_url_hijack.xml": 1, "injection_strings.xml": 1,
    "shell_metachar_enclosures.xml": 1, "feed_controls_polling.xml": 1,
    "duplicate_guids_10k.xml": 1, "timestamps_rss_out_of_range.xml": 1,
    "timestamps_atom_out_of_range.xml": 1, "items_100k.xml": 1,
    "item_100k_categories.xml": 1, "huge_title_5mb.xml": 1,
    "xinclude.xml": 1, "charset_conflict_http_vs_xml.xml": 1,
    "terminal_html_entity_escapes.xml": 1, "huge_attribute_5mb.xml": 1,
    "external_dtd_network.xml": 1,
}
# Where the manifest allows either a clean rejection or a sanitised,
# truncated store: UTF-7 (decoded, shown sanitised) and an 11 MB text node
# (truncated to the field cap).
# UTF-16 without a BOM is decoded or refused; a body longer than its
# Content-Length is cut by libcurl and then fails to parse, or not.
EITHER = {"exotic_encoding_utf7.xml", "huge_text_node_11mb.xml",
          "utf16le_no_bom.xml", "/wrong-length-long"}
# Evil paths that serve a valid feed in the end.
LEGAL_PATHS = {"/ok", "/redirect-chain/5", "/content-length-conflict",
               "/gzip-unrequested", "/chunked-and-length",
               "/redirect-301-permanent"}
# Paths that are not feeds to poll: the index, stats, and the SSRF oracle
# stand-in (fetching it directly is what the user asked for).
SKIP_PATHS = {"/", "/__index", "/__stats", "/internal-only",
              "/redirect-chain/*", "/corpus/*", "/ok"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")
# A control character in text meant for a terminal or a log line: C0 but
# tab and newline, DEL, C1 (as UTF-8), and the bidi overrides.
BAD_CHARS = [chr(c) for c in range(0x20) if c not in (9, 10)] + \
    [chr(0x7f)] + [chr(c) for c in range(0x80, 0xa0)] + \
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
     "\u2066", "\u2067", "\u2068", "\u2069"]

t = Checks("hostile")
tmp = tempfile.mkdtemp(prefix="tidings-hostile-")
corpus = os.path.join(tmp, "corpus")
subprocess.run([sys.executable, os.path.join(HOSTILE, "make_corpus.py"),
                "--out", corpus, "--no-bombs"], check=True,
               stdout=subprocess.DEVNULL)
manifest = json.load(open(os.path.join(corpus, "manifest.json")))

# The corpus points external entities, DTDs and stylesheets at
# 127.0.0.1:9; point them at a listener of ours instead, which counts
# every connection: the parser must never make one.
oracle_sock = socket.socket()
oracle_sock.bind(("127.0.0.1", 0))
oracle_sock.listen(16)
oracle_hits = []


def oracle_accept():
    while True:
        try:
            c, _ = oracle_sock.accept()
        except OSError:
            return
        oracle_hits.append(1)
        c.close()


threading.Thread(target=oracle_accept, daemon=True).start()
oracle_addr = b"127.0.0.1:%d/" % oracle_sock.getsockname()[1]
for e in manifest:
    path = os.path.join(corpus, e["name"])
    with open(path, "rb") as f:
        data = f.read()
    if b"127.0.0.1:9/" in data:
        with open(path, "wb") as f:
            f.write(data.replace(b"127.0.0.1:9/", oracle_addr))

portfile = os.path.join(tmp, "port")
evil = subprocess.Popen(
    [sys.executable, os.path.join(HOSTILE, "evil_server.py"), "--port", "0",
     "--port-file", portfile, "--duration", str(SERVER_SECONDS),
     "--corpus", corpus, "--bomb-bytes", str(BOMB_BYTES),
     "--max-conns", str(SERVER_CONNS), "--quiet"],
    stderr=open(os.path.join(tmp, "evil.log"), "wb"))
wait_for(lambda: os.path.exists(portfile) and open(portfile).read().strip(),
         10)
base = "http://127.0.0.1:%s" % open(portfile).read().strip()


def get_json(path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return json.load(r)


paths = [p for p in wait_for(lambda: get_json("/"), 10)
         if p not in SKIP_PATHS]
paths += ["/redirect-chain/5", "/redirect-chain/6"]
feeds = [("corpus " + e["name"], base + "/corpus/" + e["name"])
         for e in manifest]
feeds += [("evil " + p, base + p) for p in paths]
# The control feed is on another host name of the same server: a 429 or
# 503 with Retry-After rightly holds back every feed of the evil host
# (issue 4), and the point here is that feeds elsewhere keep flowing.
control_url = base.replace("127.0.0.1", "localhost") + "/ok?n=control"

# Every feed is on one host: let them all fetch at once, unspaced, so a
# slow path holding a connection cannot make the others wait out their
# timeout.
d = Daemon(feeds=feeds, daemon_conf={"timeout": "15s",
                                     "max_per_host": "200",
                                     "host_spacing": "0",
                                     "max_connections": "200"})
with open(d.conf, "a") as f:
    f.write('\n[feed "control"]\nurl = %s\ninterval = %s\n'
            % (control_url, CONTROL_INTERVAL))
d.start()
pid = d.proc.pid


def status_kb(p, field):
    try:
        for line in open("/proc/%s/status" % p):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(p):
    """Peak RSS (VmHWM) of the daemon, the largest of its parser workers,
    and the RSS of all of them together now, in kB."""
    try:
        kids = open("/proc/%d/task/%d/children" % (p, p)).read().split()
    except OSError:
        kids = []
    return (status_kb(p, "VmHWM"),
            max([status_kb(k, "VmHWM") for k in kids] or [0]),
            status_kb(p, "VmRSS") + sum(status_kb(k, "VmRSS") for k in kids))


# Poll until every feed has been fetched once, sampling memory and
# checking the API answers all along.
peak = worker_peak = total_peak = 0
api_fail = 0
end = time.time() + SETTLE_SECONDS
listing = []
while time.time() < end:
    main_kb, worker_kb, total_kb = rss_kb(pid)
    total_peak = max(total_peak, total_kb)
    peak = max(peak, main_kb)
    worker_peak = max(worker_peak, worker_kb)
    r = d.client("feeds", "--json", timeout=10)
    if r.returncode != 0:
        api_fail += 1
    else:
        listing = json.loads(r.stdout)["feeds"]
        if len(listing) == len(feeds) + 1 and \
                all(x["polls"] >= 1 for x in listing):
            break
    time.sleep(0.5)
t.check(d.proc.poll() is None, "daemon still running", d.logtext()[-2000:])
t.check(api_fail == 0, "API answered every request during the poll",
        api_fail)
# ASan's shadow memory and quarantine multiply RSS: bound the real build.
# The sum of daemon and workers is printed, not bounded: it varies with
# which large bodies and parses happen to overlap (93-112 MB measured).
if not os.environ.get("TIDINGS_SANITIZED"):
    t.check(0 < peak < PEAK_RSS_KB, "daemon peak RSS under 128 MB",
            "%d kB" % peak)
    t.check(worker_peak < PEAK_RSS_KB,
            "parser worker peak RSS under 128 MB", "%d kB" % worker_peak)
print("peak RSS: daemon %d kB, largest parser worker %d kB, "
      "all together (sampled) %d kB" % (peak, worker_peak, total_peak))
byurl = {f["url"]: f for f in listing}
t.check(all(f["polls"] >= 1 for f in listing) and
        len(listing) == len(feeds) + 1, "every feed polled at least once",
        [f["url"] for f in listing if f["polls"] < 1])

control = wait_for(lambda: (lambda f: f if f and f["polls"] >= CONTROL_POLLS
                            else None)
                   ({x["url"]: x for x in d.feeds()}.get(control_url)), 20)
t.check(control is not None and control.get("last_error") is None,
        "control feed keeps updating beside the hostile ones",
        control)


def clean_text(s):
    return s is None or not any(c in s for c in BAD_CHARS)


# Every feed: a clear error, or stored items where the content is legal.
for name, url in feeds:
    f = byurl.get(url)
    if not t.check(f is not None, "%s listed" % name):
        continue
    err = f.get("last_error")
    short = name.split(" ", 1)[1]
    legal = LEGAL.get(short) if name.startswith("corpus ") else \
        (1 if short in LEGAL_PATHS else None)
    if short in EITHER:
        t.check((err is None) == (f.get("items", 0) > 0),
                "%s stored or refused, not half of each" % name,
                (err, f.get("items")))
    elif legal:
        t.check(err is None and f.get("items", 0) >= legal,
                "%s stored" % name, (err, f.get("items")))
    else:
        t.check(err is not None and len(err) >= 8,
                "%s has an error in words" % name,
                (f.get("last_status"), f.get("items")))
    t.check(clean_text(err), "%s error has no control characters" % name,
            repr(err))

# What some errors must say, in words.
EXPECT_ERROR = {
    "/corpus/billion_laughs.xml": "entity declarations are not allowed",
    "/corpus/xxe_file.xml": "entity declarations are not allowed",
    "/corpus/deep_nesting_100k.xml": "nested deeper than",
    "/corpus/many_attributes_50k.xml": "more than 256 attributes",
    "/corpus/empty.xml": "empty document",
    "/corpus/html_instead_of_xml.html": "not a feed",
    "/gzip-bomb": "max_feed_size",
    "/endless-body": "max_feed_size",
    "/redirect-loop": "more than 5 redirects",
    "/redirect-file": "redirected to a scheme other than http or https",
    "/http09": "HTTP/0.9",
    "/redirect-http09": "HTTP/0.9",
    "/410": "410",
}
for p, want in EXPECT_ERROR.items():
    err = byurl.get(base + p, {}).get("last_error") or ""
    t.check(want in err, "%s error says %r" % (p, want), err)

dup = byurl.get(base + "/corpus/duplicate_guids_10k.xml", {})
t.check(dup.get("items") == 1, "10k duplicate GUIDs stored once",
        dup.get("items"))

# The SSRF oracle and the redirect errors.
stats = get_json("/__stats")
t.check(stats.get("internal_listener_hits") == 0,
        "no request reached the internal listener", stats)
for p in ("/redirect-internal", "/redirect-internal-decimal",
          "/redirect-internal-localhost", "/redirect-metadata"):
    err = byurl.get(base + p, {}).get("last_error") or ""
    t.check("private or local address" in err or "connect" in err.lower(),
            "%s refused" % p, err)
err = byurl.get(base + "/redirect-internal", {}).get("last_error") or ""
t.check("allow_private_redirects" in err, "SSRF refusal names the setting",
        err)

t.check(not oracle_hits, "the XML parser made no network request",
        len(oracle_hits))

# Stored data: no entity expansion, no local file, no dangerous link.
db = sqlite3.connect("file:%s?mode=ro" % d.database, uri=True)
passwd = open("/etc/passwd").read().splitlines()[0]
leaks = 0
bad_links = []
longest = 0
for table, in db.execute("SELECT name FROM sqlite_master WHERE type='table'"
                         " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE "
                         "'%fts%'"):
    cols = [c[1] for c in db.execute("PRAGMA table_info(%s)" % table)]
    for row in db.execute("SELECT * FROM %s" % table):
        for col, v in zip(cols, row):
            if not isinstance(v, str):
                continue
            if passwd in v or "root:x:0:0" in v:
                leaks += 1
            longest = max(longest, len(v))
            if any(k in col for k in ("link", "url", "href")) and \
                    v.strip().lower().startswith(BAD_SCHEMES):
                bad_links.append((table, col, v[:60]))
t.check(leaks == 0, "no local file content stored", leaks)
t.check(not bad_links, "no javascript:/data:/vbscript:/file: link stored",
        bad_links[:5])
lol = db.execute("SELECT count(*) FROM items WHERE title LIKE '%lollollol%'"
                 ).fetchone()[0]
t.check(lol == 0, "no entity expansion stored", lol)
db.close()

# Nothing from feed text reaches the log or the terminal unescaped.
log = d.logtext()
bad = [c for c in BAD_CHARS if c in log]
t.check(not bad, "log lines carry no control characters",
        [hex(ord(c)) for c in bad])
oracle = os.path.join(HOSTILE, "term_oracle.py")
for args in (["headlines", "--limit", "500"], ["feeds"]):
    r = d.client(*args, timeout=30)
    t.check(r.returncode == 0, "tidings %s works" % args[0], r.stderr)
    o = subprocess.run([sys.executable, oracle, "--check"], input=r.stdout,
                       capture_output=True, text=True)
    t.check(o.returncode == 0, "tidings %s output is terminal-safe" % args[0],
            o.stdout[-800:])

# The stories of the feeds that carry terminal and injection payloads,
# in full (`show`) and as JSON, where controls must come escaped.
TERMINAL_FEEDS = ["terminal_legal_controls.xml",
                  "terminal_html_entity_escapes.xml",
                  "xml11_control_charrefs.xml", "injection_strings.xml",
                  "exotic_encoding_utf7.xml", "content_xss.xml"]
shown = 0
for name in TERMINAL_FEEDS:
    f = byurl.get(base + "/corpus/" + name)
    if f is None or not f.get("items"):
        continue
    r = d.client("headlines", "--feed", str(f["id"]), "--since", "36500d",
                 "--json", timeout=30)
    t.check(r.returncode == 0, "headlines --json for %s" % name, r.stderr)
    raw_bad = [c for c in BAD_CHARS if c in r.stdout]
    t.check(not raw_bad, "%s: JSON output escapes control characters"
            % name, [hex(ord(c)) for c in raw_bad])
    stories = json.loads(r.stdout).get("stories", []) if r.stdout else []
    for st in stories[:5]:
        r = d.client("show", str(st["id"]), timeout=30)
        o = subprocess.run([sys.executable, oracle, "--check"],
                           input=r.stdout, capture_output=True, text=True)
        t.check(r.returncode == 0 and o.returncode == 0,
                "show %s of %s is terminal-safe" % (st["id"], name),
                (r.stderr[-200:], o.stdout[-500:]))
        shown += 1
t.check(shown >= len(TERMINAL_FEEDS) // 2,
        "the terminal payload stories were shown", shown)

t.check(d.proc.poll() is None, "daemon still running at the end")
t.check(d.stop() == 0, "daemon exits cleanly")
evil.terminate()
evil.wait(10)
t.done()
