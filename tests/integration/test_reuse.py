#!/usr/bin/env python3
"""A kept-alive connection never carries one response's leftovers into
the next request (daemon/keepalive.c).

A server on 127.0.0.1 keeps HTTP/1.1 connections open between requests.
One of its feeds (/junk.xml) sends a whole second response after its own
body, beyond its Content-Length: a feed titled "injected".  The daemon
polls it beside three honest feeds of the same host, one connection per
host (max_per_host = 1), twice.  libcurl 7.88 reuses a connection with
bytes waiting, so without the daemon's check the request after /junk.xml
read the leftover as its reply: the next feed stored "injected" (or
failed with "Received HTTP/0.9").  Each honest feed must store its own
item and no error, and the server must see the junk connection dropped
(more than one connection).  A second server writes a whole response
LATE_SECONDS after its feed's reply, on an idle kept connection: the
next poll of that feed must not read it as its reply.  A third sends
surplus after a redirect's body: the redirect's next hop must not read it.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Daemon, wait_for  # noqa: E402

HONEST = ["a.xml", "b.xml", "c.xml"]
ROUNDS = 2
IDLE_SECONDS = 30	# the server keeps an idle connection this long
SPLIT_SECONDS = 0.05	# between the junk response's head and the rest
LATE_SECONDS = 0.2	# after late.xml's reply, its server writes again


def feed(title):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0"><channel><title>%s</title>'
            '<link>http://127.0.0.1/</link><description>d</description>'
            '<item><title>%s item</title><link>http://127.0.0.1/%s</link>'
            '<guid>urn:%s</guid></item></channel></rss>\n'
            % (title, title, title, title)).encode()


def head(body):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Content-Length: %d\r\nConnection: keep-alive\r\n\r\n"
            % len(body))


def response(body):
    return head(body) + body


class KeepAliveServer:
    """HTTP/1.1 with keep-alive; counts connections and requests."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.requests = {}
        self.lock = threading.Lock()
        self.stopping = False
        self.late_written = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.port, name)

    def accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self.serve, args=(conn,),
                             daemon=True).start()

    def serve(self, conn):
        conn.settimeout(IDLE_SECONDS)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(4096)
                    if not data:
                        return
                    buf += data
                req, buf = buf.split(b"\r\n\r\n", 1)
                path = req.split(b" ")[1].decode().lstrip("/")
                with self.lock:
                    self.requests[path] = self.requests.get(path, 0) + 1
                if path == "junk.xml":
                    # Its own feed, then a whole response nobody asked
                    # for.  The head goes alone first: libcurl then reads
                    # the body up to its Content-Length and leaves the
                    # rest in the socket (read together, it would see the
                    # excess and close the connection itself).
                    body = feed("junk")
                    conn.sendall(head(body))
                    time.sleep(SPLIT_SECONDS)
                    conn.sendall(body + response(feed("injected")))
                elif path == "hop.xml":
                    # A redirect whose body is followed by a response
                    # nobody asked for; the next hop reuses the connection.
                    body = b"moved\n"
                    conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /d.xml\r\n"
                                 b"Content-Length: %d\r\n"
                                 b"Connection: keep-alive\r\n\r\n" % len(body))
                    time.sleep(SPLIT_SECONDS)
                    conn.sendall(body + response(feed("injected hop")))
                elif path == "d.xml":
                    conn.sendall(response(feed("honest d.xml")))
                elif path == "late.xml":
                    conn.sendall(response(feed("late")))
                    time.sleep(LATE_SECONDS)
                    conn.sendall(response(feed("injected late")))
                    self.late_written.set()
                elif path in HONEST:
                    conn.sendall(response(feed("honest " + path)))
                else:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\n"
                                 b"Content-Length: 0\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopping = True
        self.sock.close()


t = Checks("reuse")
srv = KeepAliveServer()
late = KeepAliveServer()
names = ["junk.xml"] + HONEST
hop = KeepAliveServer()
d = Daemon(feeds=[(n, srv.url(n)) for n in names] +
           [("late.xml", late.url("late.xml")), ("hop.xml", hop.url("hop.xml"))],
           daemon_conf={"max_per_host": "1"})
names += ["late.xml", "hop.xml"]
d.start()
for rnd in range(1, ROUNDS + 1):
    if rnd > 1:
        # The late bytes are waiting on the idle connection (on a loaded
        # machine the server's thread may write them late).
        t.check(late.late_written.wait(30), "late.xml's server wrote again")
        time.sleep(LATE_SECONDS)
        r = d.client("refresh")
        t.check(r.returncode == 0, "refresh all", r.stderr)
    polled = wait_for(lambda: (lambda f: f if len(f) == len(names) and
                               all(x["polls"] >= rnd for x in f) else None)(
                                   d.feeds()), 60)
    t.check(polled is not None, "round %d: every feed polled" % rnd,
            d.logtext()[-2000:])
feeds = {f["url"]: f for f in d.feeds()}
for n in HONEST:
    f = feeds.get(srv.url(n), {})
    t.check(f.get("last_error") is None,
            "%s: no error after a junk response on its host" % n,
            f.get("last_error"))
titles = [i["title"] for i in d.json("items", "--limit", "100")["items"]]
for n in HONEST:
    t.check(titles.count("honest %s item" % n) == 1,
            "%s: stores its own item, not the leftover" % n, titles)
t.check(not any("injected" in x for x in titles),
        "no item of the leftover response is stored", titles)
t.check(any(x == "junk item" for x in titles),
        "the junk feed's own item is stored", titles)
t.check(srv.requests.get("junk.xml", 0) >= ROUNDS,
        "the junk feed was fetched each round", srv.requests)
t.check(srv.connections > 1,
        "the connection with leftovers was not reused", srv.connections)
t.check(titles.count("late item") == 1 and late.requests.get("late.xml") ==
        ROUNDS, "late.xml polled each round, its own item stored",
        (titles, late.requests))
f = feeds.get(hop.url("hop.xml"), {})
t.check(f.get("last_error") is None and
        titles.count("honest d.xml item") == 1 and
        "injected hop item" not in titles,
        "a redirect's surplus does not reach the next hop",
        (f.get("last_error"), titles))
t.check(late.connections == ROUNDS,
        "a connection with bytes written after the reply is not reused",
        late.connections)
t.check("sent bytes after a response" in d.logtext(),
        "the log says why a connection was dropped", d.logtext()[-2000:])
t.check(d.stop() == 0, "daemon stops cleanly")
srv.stop()
late.stop()
hop.stop()
t.done()
