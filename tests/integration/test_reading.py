#!/usr/bin/env python3
"""Reading from the terminal: every command of issue 6 (part A) in human
and JSON form against a real tidingsd polling the fixture feeds, reading
state across restarts and re-fetches, search, feed editing, the pager and
the browser, and terminal safety: titles full of escape sequences served
by the feed server must reach no human-readable output as controls."""
import json
import os
import re
import pty
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.dirname(__file__))
from harness import (Checks, Daemon, FeedServer, FIXTURES, ROOT,  # noqa: E402
                     TIDINGS, wait_for)

t = Checks("reading")

# The shared oracle when ../shared is there; else the same rule, smaller.
ORACLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                      "hostile")
try:
    sys.path.insert(0, ORACLE)
    from term_oracle import check as oracle_check  # noqa: E402
except ImportError:
    def oracle_check(data, allow_tab=True):
        bad = []
        for i, ch in enumerate(data.decode("utf-8", "replace")):
            o = ord(ch)
            if ch == "\n" or (allow_tab and ch == "\t"):
                continue
            if o < 0x20 or 0x7f <= o <= 0x9f or o in (
                    0x61c, 0x200e, 0x200f, 0x2028, 0x2029) or \
                    0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069:
                bad.append("U+%04X at %d" % (o, i))
        return bad

# Parameters of an escape sequence must go with it, not leak as text.
# (The parser already drops an ESC that HTML decoding produced, leaving
# its parameters as harmless text: only the user-given title, which keeps
# its raw escapes in the database, can show the client's sanitizer.)
LEAKS = ("dXNlcg", "[31mred", "x[1m")
# Our own attributes, the only escapes allowed on a terminal.
OUR_SGR = (b"\x1b[0m", b"\x1b[1m", b"\x1b[2m", b"\x1b[31m", b"\x1b[32m",
           b"\x1b[33m")

root = tempfile.mkdtemp(prefix="tidings-reading-")
feeddir = os.path.join(root, "feeds")
os.mkdir(feeddir)
XI = os.path.join(FIXTURES, "xi-zelensky", "feeds")
USED = ["bbc.xml", "cbc.xml", "reuters.xml", "guardian.xml"]
for n in USED:
    shutil.copy(os.path.join(XI, n), feeddir)
shutil.copy(os.path.join(XI, "dw.xml"), os.path.join(feeddir, "moved.xml"))
for n in ("hostile.xml", "wide.xml"):
    shutil.copy(os.path.join(FIXTURES, "terminal", n), feeddir)

srv = FeedServer(feeddir)
names = USED + ["hostile.xml", "wide.xml"]
d = Daemon(feeds=[(n[:-4], srv.url(n)) for n in names])
d.start()
ok = wait_for(lambda: (lambda f: len(f) == len(names) and
                       all(x["polls"] >= 1 for x in f))(d.feeds()), 60)
t.check(ok, "every feed polled once", d.logtext()[-2000:])
feeds = {f["url"].rsplit("/", 1)[1]: f for f in d.feeds()}
hostile_id = feeds["hostile.xml"]["id"]
bbc_id = feeds["bbc.xml"]["id"]


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([TIDINGS, "-s", d.socket] + list(args),
                          capture_output=True, env=e, timeout=60)


def lines(r):
    return [x for x in r.stdout.decode().splitlines() if x.strip()]


def stories(*args):
    return d.json("headlines", "--limit", "1000", *args)["stories"]


# ---- help ---------------------------------------------------------------
COMMANDS = ["status", "feeds", "add", "remove", "refresh", "headlines",
            "show", "items", "parse", "search", "read", "unread", "star",
            "unstar", "edit", "pause", "resume", "help"]
r = run("--help")
t.check(r.returncode == 0 and all((" %s " % c).encode() in r.stdout
                                  for c in COMMANDS),
        "tidings --help lists every command", r.stdout[-300:])
for c in COMMANDS:
    r = run(c, "--help")
    t.check(r.returncode == 0 and r.stdout.startswith(b"usage: tidings")
            and b"--help" in r.stdout, "%s --help" % c, r.stdout[:200])

# ---- bash completion -----------------------------------------------------
# From the source tree, whichever build the binaries come from.
COMPLETION = os.path.join(ROOT, "completion", "tidings")


def complete(*words):
    script = ('source "$1"; shift; COMP_WORDS=("$@"); '
              'COMP_CWORD=$(($# - 1)); _tidings; printf "%s\\n" '
              '"${COMPREPLY[@]}"')
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(TIDINGS) + os.pathsep + env["PATH"]
    r = subprocess.run(["bash", "-c", script, "bash", COMPLETION] +
                       list(words), capture_output=True, text=True, env=env,
                       timeout=30)
    return sorted(x for x in r.stdout.split("\n") if x)


t.check(complete("tidings", "se") == ["search"], "completes a command",
        complete("tidings", "se"))
t.check(complete("tidings", "un") == ["unread", "unstar"],
        "completes commands sharing a prefix")
t.check(complete("tidings", "headlines", "--st") == ["--starred"],
        "completes an option of the command")
t.check("--errors" in complete("tidings", "feeds", "--"),
        "completes feeds --errors")
r = run("edit", str(bbc_id), "--tags", "alpha,beta")
t.check(complete("tidings", "-s", d.socket, "headlines", "--tag", "") ==
        ["alpha", "beta"], "completes tags",
        complete("tidings", "-s", d.socket, "headlines", "--tag", ""))
run("edit", str(bbc_id), "--tags", "")
t.check(complete("tidings", "-s", d.socket, "pause", "") ==
        sorted(str(f["id"]) for f in d.feeds()), "completes feed ids")

# ---- headlines and filters ------------------------------------------------
all_stories = stories()
t.check(len(all_stories) > 5, "headlines lists the stories", len(all_stories))
r = run("headlines", "--limit", "1000")
t.check(r.returncode == 0 and len(lines(r)) == len(all_stories),
        "headlines: one line per story", (len(lines(r)), len(all_stories)))
first = lines(r)[0].split()
t.check(first[0] == str(all_stories[0]["id"]) and
        first[2] == str(all_stories[0]["sources"]),
        "headline line: id, age, sources first", first[:3])
t.check(b"\x1b" not in r.stdout, "no colour when piped")
multi = stories("--min-sources", "2")
t.check(multi and all(s["sources"] >= 2 for s in multi) and
        len(multi) < len(all_stories), "--min-sources 2", len(multi))
r = run("headlines", "--min-sources", "2", "--limit", "1000")
t.check(len(lines(r)) == len(multi), "--min-sources human", len(lines(r)))
of_bbc = stories("--feed", str(bbc_id))
t.check(of_bbc and all(any(f["id"] == bbc_id for f in s["feeds"])
                       for s in of_bbc), "--feed", len(of_bbc))
t.check(len(stories("--limit", "3")) == 3, "--limit 3")
t.check(stories("--until", "2000-01-01T00:00:00Z") == [], "--until")
t.check(stories("--since", "1d") == all_stories, "--since 1d")
t.check(stories("--since", "2000-01-01") == all_stories, "--since a date")
t.check(stories("--since", "2100-01-01") == [], "--since a future date")
r = run("headlines", "--since", "yesterday")
t.check(r.returncode == 2, "bad --since is a usage error", r.returncode)
r = run("headlines", "--min-sources", "0")
t.check(r.returncode == 2, "--min-sources 0 is a usage error", r.returncode)

t.check(all(re.match(r"^\s*\d+ +(now|\+?\d+[mhdwy]) +\d+  \S", x)
            for x in lines(r)), "every line: id, age like 3h, sources, title",
        lines(r)[:3])

# Wide and combining characters: lines fit the width in columns.


def columns(text):
    w = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in (
                "Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


WIDE_OUTLET = "世界新闻 🌐 Wide Outlet Name"
r = run("edit", str(feeds["wide.xml"]["id"]), "--title", WIDE_OUTLET)
t.check(r.returncode == 0, "a wide outlet name", r.stderr)
for width in (40, 60, 100):
    r = run("headlines", "--limit", "1000", env={"COLUMNS": str(width)})
    out = r.stdout.decode()
    wide = [x for x in out.splitlines() if any(ord(c) > 0x2e80 for c in x)]
    t.check(len(wide) >= 3 and all(columns(x) <= width
                                   for x in out.splitlines()),
            "headlines fit %d columns with wide characters" % width,
            [(columns(x), x) for x in out.splitlines() if columns(x) > width])
    t.check("\ufffd" not in out, "no character cut in half at %d" % width)
r = run("headlines", "--limit", "1000", env={"COLUMNS": "60"})
cut = [x for x in r.stdout.decode().splitlines() if "\u2026" in x]
t.check(cut, "a title too long for the width ends in an ellipsis")
r = run("headlines", "--limit", "1000", env={"COLUMNS": "200"})
t.check("(%s)" % WIDE_OUTLET in r.stdout.decode(),
        "outlets shown in full when there is room")

# ---- tags through edit, then --tag ----------------------------------------
r = run("edit", str(bbc_id), "--tags", "world, uk", "--title", "The BBC")
t.check(r.returncode == 0, "edit --tags --title", r.stderr)
f = d.json("feeds")["feeds"]
bbc = [x for x in f if x["id"] == bbc_id][0]
t.check(bbc["tags"] == ["world", "uk"] and bbc["title"] == "The BBC",
        "edit changed tags and title", (bbc["tags"], bbc["title"]))
t.check([x["id"] for x in stories("--tag", "uk")] ==
        [x["id"] for x in of_bbc], "--tag follows the edit")
t.check(stories("--tag", "nosuchtag") == [], "--tag with no feed")
r = run("feeds")
t.check(r.returncode == 0 and b"The BBC [world, uk]" in r.stdout,
        "feeds shows title and tags", r.stdout[:400])
e = d.json("edit", str(bbc_id), "--interval", "2h")
t.check(e.get("interval") == 7200, "edit --interval", e.get("interval"))
r = run("edit", str(bbc_id), "--url", srv.url("moved.xml"))
t.check(r.returncode == 1 and b"config file" in r.stderr,
        "edit --url of a feed from the config file is refused", r.stderr)
r = run("edit", str(bbc_id), "--url", "ftp://example.com/feed")
t.check(r.returncode == 1, "edit --url refuses non-http", r.stderr)
r = run("edit", "99999", "--title", "x")
t.check(r.returncode == 1 and b"no feed" in r.stderr, "edit unknown feed",
        r.stderr)
r = run("edit", str(bbc_id))
t.check(r.returncode == 2, "edit with nothing to change", r.returncode)
r = run("edit", str(bbc_id), "--title", "")
t.check(r.returncode == 0 and [x for x in d.feeds() if x["id"] == bbc_id][0]
        ["title"] != "The BBC", "edit --title '' gives the feed's own back")

# ---- read, unread, star, unstar -----------------------------------------
s0 = all_stories[0]["id"]
s1 = all_stories[1]["id"]
r = run("read", str(s0), str(s1))
t.check(r.returncode == 0 and r.stdout.count(b"marked read") == 2,
        "read two stories", r.stdout + r.stderr)
one = d.json("show", str(s0))
t.check(all(i["read"] for i in one["items"]) and not one["unread"],
        "reading a story marks all its items", one["unread"])
unread = [s["id"] for s in stories("--unread")]
t.check(s0 not in unread and s1 not in unread and
        len(unread) == len(all_stories) - 2, "--unread leaves them out")
t.check(d.json("unread", str(s1))["unread"] is True, "unread --json")
t.check(s1 in [s["id"] for s in stories("--unread")], "unread brings it back")
r = run("star", str(s1))
t.check(r.returncode == 0 and b"starred" in r.stdout, "star", r.stderr)
t.check([s["id"] for s in stories("--starred")] == [s1], "--starred")
items_starred = d.json("items", "--starred", "--limit", "1000")["items"]
t.check(items_starred and all(i["story"] == s1 and i["starred"]
                              for i in items_starred), "items --starred")
r = run("read", "99999")
t.check(r.returncode == 1 and b"no story" in r.stderr, "read unknown story")
r = run("read", "abc")
t.check(r.returncode == 2, "read bad id is a usage error")
r = run("read")
t.check(r.returncode == 2, "read without id is a usage error")

# State survives a re-fetch that brings the same items back with a 200.
import urllib.request  # noqa: E402
for n in names:
    urllib.request.urlopen(urllib.request.Request(
        srv.base + "/__touch/" + n, method="POST"), timeout=10).read()
r = d.client("refresh", "--wait", timeout=90)
t.check(r.returncode == 0, "refresh --wait after touching the feeds",
        r.stderr)
t.check(d.json("show", str(s0))["unread"] is False, "read survives a re-fetch")
t.check([s["id"] for s in stories("--starred")] == [s1],
        "star survives a re-fetch")

# ---- read --all -----------------------------------------------------------
r = run("read", "--all", "--feed", str(bbc_id))
t.check(r.returncode == 0 and b"marked read" in r.stdout, "read --all --feed",
        r.stderr)
bbc_items = d.json("items", "--feed", str(bbc_id), "--limit", "1000")["items"]
t.check(bbc_items and all(i["read"] for i in bbc_items),
        "every item of the feed read")
t.check(d.json("items", "--unread", "--limit", "1000")["items"],
        "other feeds still have unread items")
r = d.json("read", "--all", "--before", "2000-01-01T00:00:00Z")
t.check(r == {"marked": 0}, "read --all --before the past marks nothing", r)
r = run("read", "--all", "--before", "soon")
t.check(r.returncode == 2, "bad --before is a usage error")

# ---- pause and resume ------------------------------------------------------
r = run("pause", str(bbc_id))
t.check(r.returncode == 0 and b"paused" in r.stdout, "pause", r.stderr)
t.check([x for x in d.feeds() if x["id"] == bbc_id][0]["paused"] is True,
        "paused in JSON")
r = run("feeds")
row = [x for x in r.stdout.decode().splitlines() if "bbc.xml" in x]
t.check(row and " paused " in row[0], "feeds shows paused", row)
polls = [x for x in d.feeds() if x["id"] == bbc_id][0]["polls"]
r = run("refresh", str(bbc_id))
t.check(r.returncode == 1 and b"paused" in r.stderr,
        "refreshing a paused feed says so", r.stderr)
r = d.client("refresh", "--wait", timeout=90)
t.check(r.returncode == 0 and [x for x in d.feeds() if x["id"] == bbc_id][0]
        ["polls"] == polls, "refresh all skips the paused feed", r.stderr)
r = run("resume", str(bbc_id))
t.check(r.returncode == 0 and b"resumed" in r.stdout, "resume", r.stderr)
t.check(wait_for(lambda: [x for x in d.feeds() if x["id"] == bbc_id][0]
                 ["polls"] > polls, 30), "a resumed feed is polled at once")
r = run("pause", "99999")
t.check(r.returncode == 1, "pause unknown feed")

# ---- feeds --errors ----------------------------------------------------------
r = run("add", srv.url("missing.xml"))
t.check(r.returncode == 0, "add a feed that will fail", r.stderr)
wait_for(lambda: any(x["url"].endswith("missing.xml") and x["polls"] >= 1
                     for x in d.feeds()), 30)
errs = d.json("feeds", "--errors")["feeds"]
t.check(len(errs) == 1 and errs[0]["url"].endswith("missing.xml") and
        errs[0]["last_status"] == 404, "feeds --errors --json", errs)
r = run("feeds", "--errors")
t.check(r.returncode == 0 and len(lines(r)) == 2 and b"404" in r.stdout and
        b"missing.xml" in r.stdout, "feeds --errors", r.stdout)
mid = errs[0]["id"] if errs else 0
r = run("edit", str(mid), "--url", srv.url("cbc.xml"))
t.check(r.returncode == 1 and b"exists" in r.stderr,
        "edit --url to another feed's URL fails", r.stderr)
r = run("edit", str(mid), "--url", srv.url("moved.xml"))
t.check(r.returncode == 0, "edit --url of a feed added by hand", r.stderr)
t.check(wait_for(lambda: d.json("feeds", "--errors")["feeds"] == [], 30),
        "the new URL is polled at once and works")
r = run("feeds", "--errors")
t.check(r.returncode == 0 and r.stdout == b"" and b"no failing" in r.stderr,
        "feeds --errors with none failing", r.stderr)

# ---- search -----------------------------------------------------------------
t.check(d.wait_indexed(), "the search index catches up (search_pending 0)")
hits = d.json("search", "zelenskiy")["items"]
t.check(len(hits) > 2, "search finds items", len(hits))
t.check(all("\x02" in h["snippet"] and "\x03" in h["snippet"] for h in hits),
        "every hit has a highlighted snippet", hits[:1])
t.check([h["rank"] for h in hits] == sorted(h["rank"] for h in hits),
        "best match (lowest bm25) first")
r = run("search", "zelenskiy")
out = r.stdout.decode()
t.check(r.returncode == 0 and out.count("\n") == 2 * len(hits) and
        "[" in out and "]" in out, "search human: a line and a snippet each",
        out[:300])
fid = hits[0]["feed"]["id"]
only = d.json("search", "zelenskiy", "--feed", str(fid))["items"]
t.check(only and all(h["feed"]["id"] == fid for h in only) and
        len(only) < len(hits), "search --feed", len(only))
d.json("read", str(hits[0]["story"]))
unread_hits = [h["id"] for h in d.json("search", "zelenskiy", "--unread")
               ["items"]]
t.check(hits[0]["id"] not in unread_hits and
        len(unread_hits) < len(hits), "search --unread drops the read ones")
t.check(d.json("search", "xi", "zelensky")["items"], "two words")
t.check(len(d.json("search", "zelensk*")["items"]) > len(hits),
        "prefix search finds both spellings")
t.check(d.json("search", "qwertyuiopnothing")["items"] == [], "no match")
for q in ['"', "-", "AND", "a:b", "NEAR(", "*", "'; DROP TABLE items;--"]:
    r = run("search", q, "--json")
    t.check(r.returncode in (0, 1), "odd query %r answered" % q, r.stderr)
t.check(d.client("status").returncode == 0, "daemon alive after odd queries")
r = run("search")
t.check(r.returncode == 2, "search without QUERY is a usage error")

# ---- show and --open --------------------------------------------------------
r = run("show", str(s0))
t.check(r.returncode == 0 and one["title"].encode()[:20] in r.stdout and
        b"story %d" % s0 in r.stdout, "show human", r.stdout[:300])
bindir = os.path.join(root, "bin")
os.mkdir(bindir)
opened = os.path.join(root, "opened")
browser = os.path.join(bindir, "fake-browser")
with open(browser, "w") as fp:
    fp.write("#!/bin/sh\nprintf '%%s\\n' \"$#\" \"$@\" > %s\n" % opened)
os.chmod(browser, stat.S_IRWXU)
link = one["items"][0]["link"]
r = run("show", str(s0), "--open", env={"BROWSER": browser + " --new-tab:ignored"})
got = open(opened).read().splitlines() if os.path.exists(opened) else []
t.check(r.returncode == 0 and got == ["2", "--new-tab", link],
        "show --open runs the first $BROWSER command with the link", got)
r = run("show", str(s0), "--open", env={"BROWSER": "/nonexistent/browser"})
t.check(r.returncode == 1 and b"cannot open" in r.stderr,
        "show --open with a missing browser fails", r.stderr)

# ---- pager --------------------------------------------------------------------


def in_pty(args, env=None):
    """Runs the client on a pseudo-terminal; returns what it printed."""
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update({"COLUMNS": "100", "TERM": "xterm"})
    e.update(env or {})
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(TIDINGS, [TIDINGS, "-s", d.socket] + list(args), e)
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    return out.replace(b"\r\n", b"\n")


paged = os.path.join(root, "paged")
out = in_pty(["headlines"], {"PAGER": "tee " + paged})
t.check(os.path.exists(paged) and b"\x1b[" in open(paged, "rb").read(),
        "on a terminal headlines go through $PAGER, in colour")
os.unlink(paged)
out = in_pty(["headlines", "--no-pager"], {"PAGER": "tee " + paged})
t.check(not os.path.exists(paged) and b"\x1b[" in out,
        "--no-pager: straight to the terminal", out[:200])
out = in_pty(["headlines"], {"PAGER": "/nonexistent/pager"})
t.check(len(out.splitlines()) == len(lines(run("headlines"))),
        "a pager that cannot start: the listing still comes out",
        out[:200])
out = in_pty(["search", "zelenskiy", "--no-pager"])
t.check(re.search(rb"\x1b\[1m[Zz]elenskiy\x1b\[0m", out) is not None and
        b"[Zelenskiy]" not in out, "search matches in bold on a terminal",
        out[:300])
out = in_pty(["headlines", "--no-pager"], {"NO_COLOR": "1"})
t.check(out and b"\x1b" not in out, "NO_COLOR: no colour on a terminal",
        out[:200])

# ---- terminal safety --------------------------------------------------------
# A user-given title with raw escapes reaches the client as it is.
evil_title = "Mine \x1b]52;c;dXNlcg==\x07 \x1b[31mred\u202e"
r = run("edit", str(hostile_id), "--title", evil_title, "--tags", "x\x1b[1m")
t.check(r.returncode == 0, "a title with escapes is stored", r.stderr)
hostile_stories = [s["id"] for s in stories("--feed", str(hostile_id))]
t.check(len(hostile_stories) == 6, "six hostile stories", hostile_stories)
runs = [["headlines", "--limit", "1000"], ["items", "--limit", "1000"],
        ["feeds"], ["status"], ["search", "pwned"], ["search", "evil"],
        ["search", "bidi"], ["refresh", str(hostile_id), "--wait"],
        ["refresh", "--wait"], ["read", str(hostile_stories[0])],
        ["headlines", "--feed", str(hostile_id)]]
runs += [["show", str(s)] for s in hostile_stories]
for args in runs:
    r = run(*args)
    both = r.stdout + r.stderr
    v = oracle_check(both)
    leaked = [x for x in LEAKS if x in both.decode("utf-8", "replace")]
    t.check(r.returncode == 0 and not v and not leaked,
            "safe: tidings %s" % " ".join(args), (r.returncode, v[:3],
                                                  leaked, both[:300]))
for args in (["headlines", "--no-pager", "--limit", "1000"],
             ["show", str(hostile_stories[0]), "--no-pager"],
             ["feeds", "--no-pager"], ["search", "evil", "--no-pager"]):
    out = in_pty(args)
    for s in OUR_SGR:
        out = out.replace(s, b"")
    v = oracle_check(out)
    t.check(out and not v, "safe on a terminal: %s" % " ".join(args),
            (v[:3], out[:300]))
# JSON keeps the text, escaped.
raw = run("show", str(hostile_stories[0]), "--json").stdout
t.check(b"\x1b" not in raw and b"\xc2\x9b" not in raw and
        b"\\u" in raw, "JSON escapes the controls", raw[:200])

r = d.client("status")
t.check(r.returncode == 0, "daemon alive at the end")
# Read state survives a restart.
d.stop()
d.start()
t.check(d.json("show", str(s0))["unread"] is False and
        [s["id"] for s in stories("--starred")] == [s1],
        "read and starred survive a restart")
t.check(d.json("search", "zelenskiy")["items"], "search works after restart")
d.stop()
shutil.rmtree(root, True)
t.done()
