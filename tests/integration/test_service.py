#!/usr/bin/env python3
"""tidingsd as a systemd service, without systemd: the sd_notify protocol
against a fake NOTIFY_SOCKET (abstract and path addresses), socket
activation with a socket passed in as LISTEN_FDS, and the unit's
`systemd-analyze security` score where systemd-analyze exists."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, ROOT, TIDINGSD, wait_for  # noqa: E402

t = Checks("service")
EXPOSURE_MAX = 2.0


class FakeManager:
    """The service manager's end of NOTIFY_SOCKET: collects datagrams."""

    def __init__(self, abstract):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "tidings-test-notify-%d-%d" % (os.getpid(), time.time_ns())
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            self.dir = tempfile.mkdtemp(prefix="tidings-notify-")
            path = os.path.join(self.dir, "notify")
            self.sock.bind(path)
            self.env = path
        # Never blocks: with a receive timeout, watchdog pings arriving
        # faster than it kept the drain loop going for as long as the
        # daemon ran (the test hung until the daemon was killed).
        self.sock.setblocking(False)
        self.messages = []

    def poll(self):
        try:
            while True:
                self.messages.append(self.sock.recv(4096).decode())
        except BlockingIOError:
            pass
        return self.messages

    def lines(self):
        return [ln for m in self.poll() for ln in m.split("\n")]

    def first(self, prefix):
        for m in self.poll():
            for ln in m.split("\n"):
                if ln.startswith(prefix):
                    return ln
        return None


def notify_case(abstract):
    kind = "abstract" if abstract else "path"
    mgr = FakeManager(abstract)
    d = Daemon(env={"NOTIFY_SOCKET": mgr.env, "WATCHDOG_USEC": "400000"})
    d.proc = subprocess.Popen([TIDINGSD, "-v", "-c", d.conf],
                              stdout=subprocess.DEVNULL,
                              stderr=open(d.logpath, "ab"), env=d.env)
    ready = wait_for(lambda: mgr.first("READY=1"), 20)
    t.check(ready is not None, "%s: READY=1 received" % kind, d.logtext())
    # READY=1 is only sent once the API listens and the database is open.
    t.check(os.path.exists(d.socket) and os.path.exists(d.database),
            "%s: socket and database exist at READY=1" % kind)
    r = d.client("status")
    t.check(r.returncode == 0, "%s: API answers right after READY=1" % kind,
            r.stderr)
    status = mgr.first("STATUS=")
    t.check(status is not None and re.search(r"\d+ feeds", status) and
            "last poll" in status,
            "%s: STATUS= names feeds and the last poll" % kind, status)
    # WATCHDOG_USEC 0.4 s: a ping every 0.2 s from the loop.
    time.sleep(1.0)
    pings = [ln for ln in mgr.lines() if ln == "WATCHDOG=1"]
    t.check(len(pings) >= 3, "%s: WATCHDOG=1 repeats" % kind, len(pings))
    d.stop()
    t.check(wait_for(lambda: mgr.first("STOPPING=1"), 5) is not None,
            "%s: STOPPING=1 on SIGTERM" % kind, mgr.messages[-3:])
    t.check(d.proc.returncode == 0, "%s: clean exit" % kind,
            d.proc.returncode)


def watchdog_for_other_pid():
    """WATCHDOG_PID naming another process: no pings meant for it."""
    mgr = FakeManager(True)
    d = Daemon(env={"NOTIFY_SOCKET": mgr.env, "WATCHDOG_USEC": "200000",
                    "WATCHDOG_PID": "1"})
    d.proc = subprocess.Popen([TIDINGSD, "-c", d.conf],
                              stdout=subprocess.DEVNULL,
                              stderr=open(d.logpath, "ab"), env=d.env)
    t.check(wait_for(lambda: mgr.first("READY=1"), 20) is not None,
            "other pid: READY=1 still sent")
    time.sleep(0.6)
    t.check("WATCHDOG=1" not in mgr.lines(),
            "other pid: no WATCHDOG=1 for someone else's watchdog")
    d.stop()


def start_activated(d, fd):
    """Starts d's daemon with fd passed as fd 3 and LISTEN_FDS=1."""
    os.set_inheritable(fd, True)

    def child():
        if fd != 3:         # sd_listen_fds(3): the first fd is 3
            os.dup2(fd, 3)

    # LISTEN_PID must be the daemon's pid: sh's $$ survives the exec.
    d.proc = subprocess.Popen(
        ["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -v -c "$1"',
         TIDINGSD, d.conf], preexec_fn=child, close_fds=False,
        stdout=subprocess.DEVNULL, stderr=open(d.logpath, "ab"))


def socket_activation():
    """LISTEN_FDS=1: the daemon serves the socket it was given, binds none
    of its own, and leaves the passed socket in place when it stops."""
    d = Daemon()
    path = os.path.join(d.dir, "activated.sock")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(16)
    start_activated(d, lsock.fileno())
    lsock.close()
    ok = wait_for(lambda: subprocess.run(
        [os.path.join(ROOT, "client", "tidings"), "-s", path, "status"],
        capture_output=True).returncode == 0, 20)
    t.check(ok, "activation: API answers on the passed socket", d.logtext())
    t.check(not os.path.exists(d.socket),
            "activation: no socket of its own bound")
    d.stop()
    t.check(d.proc.returncode == 0, "activation: clean exit",
            d.proc.returncode)
    t.check(os.path.exists(path),
            "activation: the passed socket is not unlinked")


def activation_without_socket():
    """LISTEN_FDS=1 but fd 3 is a plain file: ignored, own socket bound."""
    d = Daemon()
    junk = open(os.path.join(d.dir, "not-a-socket"), "w")
    start_activated(d, junk.fileno())
    junk.close()
    ok = wait_for(lambda: d.client("status").returncode == 0, 20)
    t.check(ok, "bad activation fd: daemon binds its own socket",
            d.logtext()[-2000:])
    d.stop()
    t.check(d.proc.returncode == 0, "bad activation fd: clean exit",
            d.proc.returncode)


def security_score():
    exe = shutil.which("systemd-analyze")
    if exe is None:
        print("skip: systemd-analyze not installed")
        return
    tmp = tempfile.mkdtemp(prefix="tidings-unit-")
    unit = os.path.join(tmp, "tidingsd.service")
    with open(os.path.join(ROOT, "systemd", "tidingsd.service")) as f:
        text = f.read().replace("@SBINDIR@", "/usr/sbin")
    with open(unit, "w") as f:
        f.write(text)
    r = subprocess.run([exe, "security", "--offline=true", "--no-pager",
                        unit], capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    if m is None and "offline" in r.stderr:
        print("skip: this systemd-analyze has no --offline")
        shutil.rmtree(tmp, True)
        return
    t.check(m is not None, "systemd-analyze scored the unit",
            r.stdout[-500:] + r.stderr[-500:])
    if m:
        score = float(m.group(1))
        print("systemd-analyze security exposure: %.1f" % score)
        t.check(score <= EXPOSURE_MAX, "exposure <= %.1f" % EXPOSURE_MAX,
                score)
    for key in ("Type=notify", "WatchdogSec=", "DynamicUser=yes",
                "StateDirectory=", "RuntimeDirectory=",
                "ConfigurationDirectory=", "ProtectSystem=strict",
                "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
                "NoNewPrivileges=yes", "MemoryDenyWriteExecute=yes",
                "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                "SystemCallFilter=@system-service"):
        t.check(re.search("^" + re.escape(key), text, re.M),
                "unit sets %s" % key)
    t.check(re.search(r"^CapabilityBoundingSet=$", text, re.M),
            "unit empties CapabilityBoundingSet")
    t.check(not re.search(r"^PrivateUsers=yes", text, re.M),
            "unit does not set PrivateUsers=yes (SO_PEERCRED)")
    shutil.rmtree(tmp, True)


notify_case(True)
notify_case(False)
watchdog_for_other_pid()
socket_activation()
activation_without_socket()
security_score()
t.done()
