#!/usr/bin/env python3
"""bench_poll.py - `make bench-poll`: tidings against newsboat and sfeed on
the same local feed farm (../shared/bench), in the same run.

For each farm size: a first full poll (every feed new) and a second poll
(every feed unchanged, all 304 for readers that send validators), with
wall seconds, CPU seconds, peak RSS and items stored, then a table with
ratios against each peer.  While tidings polls, a client thread asks the
API for /v1/status and reports the p99 latency.

Everything listens on 127.0.0.1; the farm, nginx and peer state live
under BENCH_DIR.  No assertion on speed: numbers are printed for
docs/PERFORMANCE.md.

    bench_poll.py [--sizes 1000,10000] [--dir DIR] [--shared ../shared]
                  [--peer-timeout SECS] [--peers newsboat,sfeed]
                  [--peer-first-only]

--peer-first-only skips the peers' second poll: newsboat needs tens of
minutes for a first poll of 10,000 feeds, and measuring it to the end
(with a long --peer-timeout) should not take as long again.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# TIDINGSD=PATH measures another build (A/B runs of a change).
TIDINGSD = os.environ.get("TIDINGSD", os.path.join(ROOT, "daemon", "tidingsd"))
TIDINGS = os.path.join(ROOT, "client", "tidings")
PORT_BASE = 18090
API_PAUSE = 0.02        # seconds between two API probes
MEM_PERIOD = 0.2        # seconds between two samples of worker memory
CLK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def proc_tree(pid):
    """pid and its children (parser workers)."""
    pids = [pid]
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    st = f.read().rsplit(")", 1)[1].split()
                if int(st[1]) == pid:
                    pids.append(int(p))
            except OSError:
                pass
    return pids


def cpu_of(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                st = f.read().rsplit(")", 1)[1].split()
            total += int(st[11]) + int(st[12])
        except OSError:
            pass
    return total / CLK


def status_mb(pid, field):
    """A kB field of /proc/PID/status in MB (0 when gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(field + r":\s+(\d+) kB", f.read())
        return int(m.group(1)) / 1024 if m else 0.0
    except OSError:
        return 0.0


def hwm_of(pid):
    return status_mb(pid, "VmHWM")


def anon_of(pid):
    return status_mb(pid, "RssAnon")


class WorkerMemory(threading.Thread):
    """Peak private memory of each parser worker, sampled.

    A worker maps the same libraries as the daemon; those pages are in
    memory once, and the daemon's VmHWM already counts them.  What a
    worker adds is its anonymous memory, which the kernel keeps no peak
    of, so it is sampled."""

    def __init__(self, daemon_pid):
        super().__init__(daemon=True)
        self.daemon_pid = daemon_pid
        self.peak = {}
        self.stop = False

    def run(self):
        while not self.stop:
            for q in proc_tree(self.daemon_pid)[1:]:
                self.peak[q] = max(self.peak.get(q, 0.0), anon_of(q))
            time.sleep(MEM_PERIOD)


class ApiProbe(threading.Thread):
    """GET /v1/status over the Unix socket, again and again."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.lat = []
        self.stop = False

    def once(self):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        t0 = time.monotonic()
        s.connect(self.path)
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: tidingsd\r\n"
                  b"Connection: close\r\n\r\n")
        while s.recv(65536):
            pass
        s.close()
        return time.monotonic() - t0

    def run(self):
        while not self.stop:
            try:
                self.lat.append(self.once())
            except OSError:
                pass
            time.sleep(API_PAUSE)

    def p99(self):
        if not self.lat:
            return float("nan")
        v = sorted(self.lat)
        return v[min(len(v) - 1, int(len(v) * 0.99))] * 1000


def tidings_run(farm, n, port, work):
    d = tempfile.mkdtemp(prefix="tidings-bench-", dir=work)
    conf = os.path.join(d, "tidings.conf")
    sock = os.path.join(d, "tidingsd.sock")
    with open(conf, "w") as f:
        f.write("[daemon]\ndatabase = %s/t.db\nsocket = %s\n"
                "poll_interval = 1h\nmin_interval = 1s\n"
                "max_connections = 64\nmax_per_host = 64\n"
                "host_spacing = 0\ntimeout = 60s\n" % (d, sock))
        with open(os.path.join(farm, "urls.txt")) as u:
            for i, url in enumerate(u.read().split()):
                f.write('[feed "f%d"]\nurl = %s\n' % (i, url))
    t0 = time.monotonic()
    p = subprocess.Popen([TIDINGSD, "-c", conf], stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(d, "log"), "w"),
                         text=True)
    probe = None
    mem = WorkerMemory(p.pid)
    mem.start()
    res = {}

    def wait_commits(k):
        # Polls stored (or failed) so far, from the daemon's counters: the
        # COMMITTED test log names only commits that added items, so a
        # round of 304s would print nothing.
        while True:
            if p.poll() is not None:
                raise RuntimeError("tidingsd exited; see %s/log" % d)
            st = subprocess.run([TIDINGS, "-s", sock, "status", "--json"],
                                capture_output=True, text=True)
            if st.returncode == 0 and json.loads(st.stdout)["polls"] >= k:
                return
            time.sleep(0.05)

    try:
        while not os.path.exists(sock):
            time.sleep(0.01)
        probe = ApiProbe(sock)
        probe.start()
        wait_commits(n)
        res["first"] = time.monotonic() - t0
        pids = proc_tree(p.pid)
        res["first_cpu"] = cpu_of(pids)
        probe.stop = True
        probe.join()
        res["api_p99_ms"] = probe.p99()
        res["api_n"] = len(probe.lat)
        t1 = time.monotonic()
        subprocess.run([TIDINGS, "-s", sock, "refresh"], check=True,
                       capture_output=True)
        wait_commits(2 * n)
        res["second"] = time.monotonic() - t1
        res["second_cpu"] = cpu_of(pids) - res["first_cpu"]
        res["rss_daemon"] = hwm_of(p.pid)
        res["rss_worker"] = max(hwm_of(q) for q in pids[1:]) if \
            len(pids) > 1 else 0.0
        st = subprocess.run([TIDINGS, "-s", sock, "status", "--json"],
                            capture_output=True, text=True, check=True)
        res["items"] = json.loads(st.stdout)["items"]
    finally:
        if probe is not None:
            probe.stop = True
        mem.stop = True
        p.send_signal(signal.SIGTERM)
        p.wait(60)
    # The daemon's peak RSS and each worker's peak private memory: the
    # physical memory tidings needed.  rss_naive, the daemon's and one
    # worker's VmHWM summed, counts the shared libraries twice.
    res["rss_workers_anon"] = sum(mem.peak.values())
    res["rss"] = res.get("rss_daemon", 0) + res["rss_workers_anon"]
    res["rss_naive"] = res.get("rss_daemon", 0) + res.get("rss_worker", 0)
    # A failed run keeps its directory (log, database) for a look.
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(d, ignore_errors=True)
    return res


def timed(cmd, timeout):
    """Wall, CPU seconds, max RSS (MB) of cmd via /usr/bin/time -v."""
    t0 = time.monotonic()
    # Its own session: at the timeout the whole tree goes (a peer's
    # script and the reader it runs), not only /usr/bin/time, which left
    # newsboat running beside the next peer's measurement.
    p = subprocess.Popen(["/usr/bin/time", "-v"] + cmd, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return {"wall": time.monotonic() - t0, "cpu": float("nan"),
                "rss": float("nan"), "timeout": True}
    wall = time.monotonic() - t0
    r = subprocess.CompletedProcess(p.args, p.returncode, "", err)
    u = float(re.search(r"User time \(seconds\): ([\d.]+)", r.stderr).group(1))
    s = float(re.search(r"System time \(seconds\): ([\d.]+)",
                        r.stderr).group(1))
    m = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                      r.stderr).group(1))
    return {"wall": wall, "cpu": u + s, "rss": m / 1024, "timeout": False}


def peer_run(name, farm, work, timeout, shared, first_only=False):
    script = os.path.join(shared, "bench", "peers", name + ".sh")
    st = os.path.join(work, "peer-" + name)
    urls = os.path.join(farm, "urls.txt")
    if name == "newsboat":
        subprocess.run(["sh", script, "reset", st, urls], check=True)
    else:
        subprocess.run(["sh", script, "reset", st, urls, "etag"], check=True)
    res = {}
    a = timed(["sh", script, "poll", st], timeout)
    res.update(first=a["wall"], first_cpu=a["cpu"], rss=a["rss"],
               first_timeout=a["timeout"])
    if a["timeout"]:
        res.update(second=float("nan"), second_cpu=float("nan"),
                   items=float("nan"), second_timeout=True)
        return res
    if first_only:
        res.update(second=float("nan"), second_cpu=float("nan"),
                   second_timeout=False)
    else:
        b = timed(["sh", script, "poll", st], timeout)
        res.update(second=b["wall"], second_cpu=b["cpu"],
                   second_timeout=b["timeout"])
        res["rss"] = max(res["rss"], b["rss"])
    try:
        out = subprocess.run(["sh", script, "items", st], capture_output=True,
                             text=True, timeout=60).stdout.strip()
        res["items"] = int(out.split()[-1])
    except (ValueError, IndexError, subprocess.TimeoutExpired):
        res["items"] = float("nan")
    return res


def fmt(v, timeout=False):
    if v != v:
        return "-"
    return (">" if timeout else "") + ("%.2f" % v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--dir", default=os.environ.get("BENCH_DIR",
                                                    "/tmp/tidings-bench"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--peer-timeout", type=float, default=300)
    ap.add_argument("--peers", default="newsboat,sfeed")
    ap.add_argument("--peer-first-only", action="store_true")
    a = ap.parse_args()
    gen = os.path.join(a.shared, "bench", "gen_farm.py")
    serve = os.path.join(a.shared, "bench", "serve.sh")
    if not os.path.exists(gen):
        log("bench-poll: %s not found; skipped" % gen)
        return 0
    os.makedirs(a.dir, exist_ok=True)
    rows = []
    for n in [int(x) for x in a.sizes.split(",") if x]:
        port = PORT_BASE + len(str(n))
        farm = os.path.join(a.dir, "farm-%d" % n)
        if not os.path.exists(os.path.join(farm, "manifest.json")):
            log("generating %d feeds in %s" % (n, farm))
            subprocess.run([sys.executable, gen, "-n", str(n), "-o", farm,
                            "--base-url", "http://127.0.0.1:%d/" % port],
                           check=True)
        env = dict(os.environ, BENCH_RUN=os.path.join(a.dir, "nginx-%d" % n))
        subprocess.run(["sh", serve, "start", farm, str(port), "2"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        try:
            log("tidings, %d feeds" % n)
            r = {"reader": "tidings", "n": n}
            r.update(tidings_run(farm, n, port, a.dir))
            rows.append(r)
            for peer in [x for x in a.peers.split(",") if x]:
                log("%s, %d feeds" % (peer, n))
                pr = {"reader": peer, "n": n}
                pr.update(peer_run(peer, farm, a.dir, a.peer_timeout,
                                   a.shared, a.peer_first_only))
                rows.append(pr)
        finally:
            subprocess.run(["sh", serve, "stop"], env=env,
                           stdout=subprocess.DEVNULL)
    print("%-9s %6s %10s %9s %10s %9s %8s %9s %9s" % (
        "reader", "feeds", "first s", "cpu s", "304 s", "cpu s", "RSS MB",
        "items", "API p99"))
    for r in rows:
        print("%-9s %6d %10s %9s %10s %9s %8s %9s %9s" % (
            r["reader"], r["n"], fmt(r["first"], r.get("first_timeout")),
            fmt(r["first_cpu"]), fmt(r["second"], r.get("second_timeout")),
            fmt(r["second_cpu"]), fmt(r["rss"]),
            r["items"] if r["items"] == r["items"] else "-",
            ("%.1f ms" % r["api_p99_ms"]) if "api_p99_ms" in r else ""))
    print()
    print("ratios (peer / tidings; > 1: tidings faster or smaller; "
          "'>' a lower bound when the peer hit --peer-timeout)")
    for r in rows:
        if r["reader"] == "tidings":
            continue
        t = [x for x in rows if x["reader"] == "tidings" and
             x["n"] == r["n"]][0]

        def ratio(k, tk=None):
            v = r[k] / t[k] if t[k] else float("nan")
            return fmt(v, r.get(tk)) + "x"
        print("%-9s %6d first %s  304 %s  cpu(first) %s  RSS %s" % (
            r["reader"], r["n"], ratio("first", "first_timeout"),
            ratio("second", "second_timeout"), ratio("first_cpu"),
            ratio("rss")))
    with open(os.path.join(a.dir, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
