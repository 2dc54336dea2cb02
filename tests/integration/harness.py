"""Shared pieces of the integration tests: a checker that counts, the
fixture feed server, a daemon on a private config, and the client.

Everything listens on 127.0.0.1 or a Unix socket in a temporary
directory, and everything started is stopped at exit.
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# TIDINGS_BUILD=asan: the sanitizer build of the binaries (Makefile).
BUILD = os.path.join(ROOT, os.environ.get("TIDINGS_BUILD", ""))
TIDINGSD = os.path.join(BUILD, "daemon", "tidingsd")
TIDINGS = os.path.join(BUILD, "client", "tidings")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


class Checks:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL %s: %s %s" % (self.name, what, detail), flush=True)
        return cond

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def wait_for(pred, timeout=30.0, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class FeedServer:
    def __init__(self, root):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "feedserver.py"), root],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError("feed server did not start")
        self.port = int(line.split()[1])
        self.base = "http://127.0.0.1:%d" % self.port
        atexit.register(self.stop)

    def url(self, name):
        return "%s/%s" % (self.base, name)

    def log(self):
        import urllib.request
        with urllib.request.urlopen(self.base + "/__log", timeout=10) as r:
            return json.load(r)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Daemon:
    """tidingsd on a temporary directory: config, database, socket, log."""

    def __init__(self, feeds=(), daemon_conf=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="tidings-test-")
        atexit.register(shutil.rmtree, self.dir, True)
        self.socket = os.path.join(self.dir, "tidingsd.sock")
        self.database = os.path.join(self.dir, "tidings.db")
        self.conf = os.path.join(self.dir, "tidings.conf")
        self.logpath = os.path.join(self.dir, "tidingsd.log")
        settings = {
            "database": self.database,
            "socket": self.socket,
            "poll_interval": "1h",
            "min_interval": "1s",
            "parse_workers": "2",
            "timeout": "20s",
        }
        settings.update(daemon_conf or {})
        with open(self.conf, "w") as f:
            f.write("[daemon]\n")
            for k, v in settings.items():
                f.write("%s = %s\n" % (k, v))
            for name, url in feeds:
                f.write('\n[feed "%s"]\nurl = %s\n' % (name, url))
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        atexit.register(self.kill)

    def start(self):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen([TIDINGSD, "-v", "-c", self.conf],
                                     stdout=self.log, stderr=self.log,
                                     env=self.env)
        if not wait_for(lambda: self.client("status").returncode == 0, 20):
            raise RuntimeError("tidingsd did not start:\n" + self.logtext())

    def logtext(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def client(self, *args, timeout=60):
        return subprocess.run([TIDINGS, "-s", self.socket] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def json(self, *args):
        r = self.client(*(list(args) + ["--json"]))
        if r.returncode != 0:
            raise RuntimeError("tidings %s failed: %s" % (args, r.stderr))
        return json.loads(r.stdout)

    def feeds(self):
        return self.json("feeds")["feeds"]

    def wait_indexed(self, timeout=30):
        """Until the search index has every committed change (it is
        written by its own thread a moment after each commit)."""
        return wait_for(lambda: self.json("status").get("search_pending")
                        == 0, timeout)
