#!/usr/bin/env python3
"""The API socket under abuse: permissions, peer credentials in the log,
413 and 400, a second daemon refused, and tests/hostile/sock_abuse.py
(slowloris, idle, oversize, garbage, no-read, half-close, fd flood) with
pings answered throughout."""
import json
import os
import socket
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, ROOT, TIDINGSD, wait_for  # noqa: E402

ABUSE_SECONDS = 2	# per attack; the daemon's deadlines are longer, so
			# this checks pings are answered while slots are held
MAX_REQUEST = 64 * 1024	# API_MAX_REQUEST in daemon/api.h
PING = "GET /v1/status HTTP/1.1\\r\\nHost: tidings\\r\\n" \
       "Connection: close\\r\\n\\r\\n"

t = Checks("api-socket")
d = Daemon()
d.start()

st = os.lstat(d.socket)
t.check(stat.S_ISSOCK(st.st_mode), "socket is a socket")
t.check(stat.S_IMODE(st.st_mode) == 0o660, "socket mode 0660 by default",
        oct(stat.S_IMODE(st.st_mode)))


def raw(payload, timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(d.socket)
    try:
        s.sendall(payload)
    except OSError:
        pass
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except OSError:
        pass
    s.close()
    return data


r = raw(b"GARBAGE\x01\x02 nonsense\r\n\r\n")
t.check(r.startswith(b"HTTP/1.1 400 "), "malformed HTTP answered 400",
        r[:80])
r = raw(b"POST /v1/feeds HTTP/1.1\r\nHost: x\r\nContent-Type: "
        b"application/json\r\nContent-Length: %d\r\nConnection: close"
        b"\r\n\r\n" % (MAX_REQUEST + 1) + b" " * (MAX_REQUEST + 1))
t.check(r.startswith(b"HTTP/1.1 413 "), "oversized body answered 413",
        r[:80])
r = raw(PING.encode().decode("unicode_escape").encode())
t.check(r.startswith(b"HTTP/1.1 200 "), "a valid request still answers",
        r[:80])

line = "api: client uid %d gid %d" % (os.getuid(), os.getgid())
t.check(d.logtext().count(line) == 1,
        "peer uid/gid logged once, not per request", d.logtext()[-800:])

# A second daemon on the same socket must refuse, and leave ours alone.
second = subprocess.run([TIDINGSD, "-c", d.conf], capture_output=True,
                        text=True, timeout=20)
t.check(second.returncode != 0, "second daemon on the socket refuses",
        second.returncode)
t.check("another tidingsd is listening" in second.stderr,
        "and says why", second.stderr[-300:])
t.check(d.client("status").returncode == 0, "first daemon still answers")
t.check(os.path.exists(d.socket), "socket still there")

r = subprocess.run(
    [sys.executable, os.path.join(ROOT, "tests", "hostile", "sock_abuse.py"),
     "--socket", d.socket, "--ping", PING, "--ping-expect", "200 OK",
     "--ping-timeout", "2", "--duration", str(ABUSE_SECONDS),
     "--conns", "100", "--size", str(8 << 20), "--max-fds", "1000", "all"],
    capture_output=True, text=True, timeout=120)
results = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
t.check(len(results) == 7, "all seven attacks ran", r.stderr[-500:])
for res in results:
    t.check(res["daemon_ok"], "pings answered during %s" % res["attack"],
            res)
over = [x for x in results if x["attack"] == "oversize"]
t.check(over and over[0]["result"]["cut_by_daemon"],
        "an endless request is cut by the daemon", over)
t.check(d.proc.poll() is None, "daemon survived the abuse")
t.check(d.stop() == 0, "daemon exits cleanly after the abuse")
t.done()
