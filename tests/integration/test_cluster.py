#!/usr/bin/env python3
"""Story clustering end to end: the xi-zelensky feeds polled by a real
tidingsd; the call is one story from a dozen outlets while the other
stories of the same days and names stay apart.  Then the evaluation tool
on the same labels, with a floor on its score."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, FeedServer, FIXTURES, wait_for  # noqa: E402

FEEDS = os.path.join(FIXTURES, "xi-zelensky", "feeds")
LABELS = os.path.join(FIXTURES, "xi-zelensky", "labels.json")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EVAL = os.path.join(ROOT, "tests", "cluster-eval")
CEILING = os.path.join(ROOT, "tests", "cluster-ceiling")
# Quality floor for `make test`: below the measured score (docs/CLUSTERING.md)
# so a regression fails, not a rounding change.
FLOOR = "0.98"
# The corpora of real headlines (copies in tests/fixtures/clusters), as
# docs/CLUSTERING.md evaluates them, with floors just under the measured
# B-cubed F1 (AllSides 0.712, UCI 0.821, file order): UCI's at its goal.
CORPORA = os.path.join(FIXTURES, "clusters")
CORPUS_FLOORS = [
    ("allsides_roundups_2021_lead.tsv", "0", "0.70"),
    ("uci_news_aggregator_prefix.tsv", "86400", "0.80"),
]

t = Checks("cluster")
labels = json.load(open(LABELS))
gold = {it["link"]: it for it in labels["items"]}

srv = FeedServer(FEEDS)
names = sorted(os.listdir(FEEDS))
d = Daemon(feeds=[(n[:-4], srv.url(n)) for n in names])
d.start()
feeds = wait_for(lambda: (lambda f: f if all(x["polls"] >= 1 for x in f)
                          and len(f) == len(names) else None)(d.feeds()), 60)
t.check(feeds is not None, "all feeds polled", d.logtext()[-3000:])



def gold_stories(stories):
    """Labelled story -> the ids of the stories holding its items."""
    out = {}
    for s in stories:
        for it in s["items"]:
            g = gold.get(it["link"])
            if g is not None:
                out.setdefault(g["story"], set()).add(s["id"])
    return out


stories = d.json("headlines", "--limit", "1000")["stories"]
story_of = gold_stories(stories)
call_ids = set()
for s in stories:
    for it in s["items"]:
        g = gold.get(it["link"])
        if g is not None and g["story"] == "xi-zelensky-call" and \
                g["lang"] == "en":
            call_ids.add(s["id"])
t.check(len(call_ids) == 1, "every English call item in one story",
        sorted(call_ids))
call = [s for s in stories if s["id"] in call_ids]
if call:
    c = call[0]
    t.check(c["sources"] >= 12, "the call has at least 12 sources",
            c["sources"])
    for other in ("kupiansk-museum", "macron-xi", "biden-yoon-summit"):
        ids = story_of.get(other, set())
        t.check(ids and not (ids & call_ids), "%s is not the call" % other,
                (ids, call_ids))
    # --why: the joined items say by how much and on which words.
    r = d.client("show", str(c["id"]), "--why")
    t.check(r.returncode == 0 and "score" in r.stdout,
            "show --why prints scores", r.stdout + r.stderr)
    one = d.json("show", str(c["id"]))
    joined = [it for it in one.get("items", []) if "cluster" in it]
    t.check(len(joined) >= 5, "joined items carry a cluster object",
            len(joined))
    t.check(all(0 < it["cluster"]["score"] <= 1.0001 and
                it["cluster"]["terms"] for it in joined),
            "cluster scores in (0, 1] with shared terms",
            [it["cluster"] for it in joined])
for a, b in (("kupiansk-museum", "macron-xi"),
             ("macron-xi", "biden-yoon-summit")):
    t.check(not (story_of.get(a, set()) & story_of.get(b, set())),
            "%s and %s apart" % (a, b))

# recluster: the same grouping again, story ids kept.
before = {s["id"]: sorted(i["id"] for i in s["items"]) for s in stories}
r = d.client("recluster")
t.check(r.returncode == 0 and "reclustered" in r.stdout,
        "recluster succeeds", r.stdout + r.stderr)
after = {s["id"]: sorted(i["id"] for i in s["items"])
         for s in d.json("headlines", "--limit", "1000")["stories"]}
t.check(call_ids and list(call_ids)[0] in after and
        len(after[list(call_ids)[0]]) == len(before[list(call_ids)[0]]),
        "the call keeps its id and items after recluster")
# Published-time order may group a related item (Moscow's reaction) that
# arrival order kept apart; the hard negatives must stay apart.
stories2 = d.json("headlines", "--limit", "1000")["stories"]
sid = gold_stories(stories2)
for other in ("kupiansk-museum", "macron-xi", "biden-yoon-summit"):
    t.check(not (sid.get(other, set()) & sid.get("xi-zelensky-call", set())),
            "%s is not the call after recluster" % other)
t.check(abs(len(after) - len(before)) <= 2, "recluster keeps the grouping",
        [sorted(gold.get(i["link"], {}).get("story", "?")
                for i in s["items"]) for s in stories2
         if len(s["items"]) > 1])
r = d.client("recluster", "--since", "nonsense")
t.check(r.returncode != 0, "recluster rejects a bad --since")
d.stop()
srv.stop()

# The evaluation tool: same code path, labelled score with a floor.
if os.path.exists(EVAL):
    r = subprocess.run([EVAL, "-l", "en", "-f", FLOOR, "-1",
                        "xi-zelensky-call", LABELS],
                       capture_output=True, text=True, timeout=60)
    t.check(r.returncode == 0, "cluster-eval English above the floor, "
            "call in one story, nothing merged", r.stdout + r.stderr)
    t.check("b-cubed" in r.stdout, "cluster-eval prints b-cubed", r.stdout)
    for name, window, floor in CORPUS_FLOORS:
        r = subprocess.run([EVAL, "-w", window, "-F", floor,
                            os.path.join(CORPORA, name)],
                           capture_output=True, text=True, timeout=120)
        t.check(r.returncode == 0, "cluster-eval %s above %s" % (name, floor),
                "\n".join(r.stdout.splitlines()[-4:]) + r.stderr)
    r = subprocess.run([EVAL, "-w", "0", "-F", "0.99",
                        os.path.join(CORPORA, CORPUS_FLOORS[0][0])],
                       capture_output=True, text=True, timeout=120)
    t.check(r.returncode == 1, "cluster-eval -F fails below its floor",
            r.stdout[-300:])
else:
    t.check(False, "tests/cluster-eval is built", EVAL)

# The ceiling tool on the same labels: every English item with a mate has
# it for nearest neighbour, and average link reaches the online score's
# neighbourhood (measured 0.986); a tool that stopped reading the labels,
# the summaries or the weights would print less.
if os.path.exists(CEILING):
    r = subprocess.run([CEILING, "-l", "en", LABELS],
                       capture_output=True, text=True, timeout=60)
    out = r.stdout
    t.check(r.returncode == 0 and "items 50 " in out,
            "cluster-ceiling reads the 50 English items", out + r.stderr)
    t.check("nearest item a mate: 1.000 (43 of 43" in out,
            "cluster-ceiling: each item's nearest is a mate", out)
    f1 = [float(x.split("F1 ")[1]) for x in out.splitlines()
          if x.startswith("average link")]
    t.check(len(f1) == 1 and f1[0] >= 0.95,
            "cluster-ceiling: average link above 0.95", out)
    r = subprocess.run([CEILING, "-s", "nonsense", LABELS],
                       capture_output=True, text=True, timeout=60)
    t.check(r.returncode == 2 and "tune or test" in r.stderr,
            "cluster-ceiling rejects a bad -s", r.stderr)
else:
    t.check(False, "tests/cluster-ceiling is built", CEILING)
t.done()
