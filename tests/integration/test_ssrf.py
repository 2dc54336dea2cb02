#!/usr/bin/env python3
"""SSRF policy end to end: redirects from the configured server to another
loopback port are refused unless allow_private_redirects = yes, whatever
the spelling; the configured URL and redirects back to it still work."""
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, ROOT, wait_for  # noqa: E402

SERVER_SECONDS = 120
SPELLINGS = ["/redirect-internal", "/redirect-internal-decimal",
             "/redirect-internal-localhost", "/redirect-internal-v4mapped"]

t = Checks("ssrf")
tmp = tempfile.mkdtemp(prefix="tidings-ssrf-")
portfile = os.path.join(tmp, "port")
evil = subprocess.Popen(
    [sys.executable, os.path.join(ROOT, "tests", "hostile", "evil_server.py"),
     "--port", "0", "--port-file", portfile, "--duration",
     str(SERVER_SECONDS), "--corpus", tmp, "--bomb-bytes", "1000", "--quiet"],
    stderr=subprocess.DEVNULL)
wait_for(lambda: os.path.exists(portfile) and open(portfile).read().strip(),
         10)
base = "http://127.0.0.1:%s" % open(portfile).read().strip()


def stats():
    with urllib.request.urlopen(base + "/__stats", timeout=10) as r:
        return json.load(r)


def run(allow):
    feeds = [(p, base + p) for p in SPELLINGS]
    feeds += [("same origin", base + "/redirect-chain/3"),
              ("configured", base + "/internal-only")]
    d = Daemon(feeds=feeds, daemon_conf={"allow_private_redirects": allow,
                                         "max_per_host": "16"})
    d.start()
    got = wait_for(lambda: (lambda f: f if len(f) == len(feeds) and
                            all(x["polls"] >= 1 for x in f) else None)
                   (d.feeds()), 30)
    t.check(got is not None, "allow=%s: every feed polled" % allow)
    byurl = {f["url"]: f for f in d.feeds()}
    d.stop()
    return byurl


before = stats()["internal_listener_hits"]
byurl = run("no")
t.check(stats()["internal_listener_hits"] == before,
        "default: the internal listener saw no request",
        stats()["internal_listener_hits"])
for p in SPELLINGS:
    err = byurl.get(base + p, {}).get("last_error") or ""
    t.check("private or local address" in err and
            "allow_private_redirects" in err,
            "default: %s refused with a clear error" % p, err)
f = byurl.get(base + "/redirect-chain/3", {})
t.check(f.get("last_error") is None and f.get("items", 0) > 0,
        "redirects back to the configured host:port still work", f)
f = byurl.get(base + "/internal-only", {})
t.check(f.get("last_status") == 200,
        "the configured URL may point at loopback", f)

byurl = run("yes")
hits = stats()["internal_listener_hits"]
t.check(hits >= before + len(SPELLINGS) - 1,
        "allow_private_redirects = yes lets redirects reach it", hits)
err = byurl.get(base + "/redirect-internal", {}).get("last_error") or ""
t.check("private or local" not in err, "no refusal when allowed", err)

evil.terminate()
evil.wait(10)
t.done()
