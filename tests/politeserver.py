#!/usr/bin/env python3
"""A loopback HTTP server that misbehaves on request, for the polite
polling tests: it records every request (time, path, headers) and each
path picks a behaviour.

    politeserver.py

Prints "PORT <n>" once listening on 127.0.0.1; stops on SIGTERM.

    /v/NAME          a feed with ETag/Last-Modified from the state of NAME
                     (304 when If-None-Match or If-Modified-Since match);
                     also sends Set-Cookie, which must never come back
    /r301/NAME ...   redirect (301, 302, 307, 308) to /v/NAME
    /gone            410 Gone
    /limit/CODE/SECS/NAME  CODE (429 or 503) with Retry-After: SECS the
                     first time, then behaves as /v/NAME
    /fail            500 every time
    /slow            headers, then one byte every half second, forever
    /endless         an endless body at full speed
    /bomb            a small gzip body that inflates to 64 MB
    /conc/NAME       /v/NAME after a pause, counting requests in progress
    GET  /__log      the requests so far, as JSON
    GET  /__stats    {"max_concurrent": n}
    POST /__set/NAME JSON {"etag": .., "last_modified": .., "items": n}
                     (a key set to null drops the header)
"""
import gzip
import http.server
import json
import signal
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
LOG = []
STATE = {}
LIMITED = set()
CONC = {"now": 0, "max": 0}
BOMB_BYTES = 64 * 1024 * 1024
BOMB = gzip.compress(b"\0" * BOMB_BYTES, 9)
CONC_PAUSE = 0.4
TRICKLE_PAUSE = 0.5


def feed_state(name):
    with LOCK:
        return dict(STATE.setdefault(name, {
            "etag": '"%s-1"' % name,
            "last_modified": "Sat, 28 Nov 2026 10:00:00 GMT",
            "items": 2,
        }))


def feed_body(name, items):
    out = ['<?xml version="1.0"?><rss version="2.0"><channel>'
           '<title>%s</title><link>http://example.com/%s</link>' % (name, name)]
    for i in range(items):
        out.append('<item><title>%s item %d</title><guid>%s-%d</guid>'
                   '<link>http://example.com/%s/%d</link></item>'
                   % (name, i, name, i, name, i))
    out.append("</channel></rss>")
    return "".join(out).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, status):
        with LOCK:
            LOG.append({"time": time.time(), "path": self.path,
                        "status": status,
                        "headers": {k.lower(): v for k, v in
                                    self.headers.items()}})

    def send(self, code, body=b"", headers=()):
        self.record(code)
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if code != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if code != 304:
            self.wfile.write(body)

    def feed(self, name):
        st = feed_state(name)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        hdrs = [("Content-Type", "application/rss+xml"),
                ("Set-Cookie", "tracker=1; Path=/")]
        if st["etag"] is not None:
            hdrs.append(("ETag", st["etag"]))
        if st["last_modified"] is not None:
            hdrs.append(("Last-Modified", st["last_modified"]))
        if (inm is not None and inm == st["etag"]) or \
                (inm is None and ims is not None and
                 ims == st["last_modified"]):
            return self.send(304, b"", hdrs)
        return self.send(200, feed_body(name, st["items"]), hdrs)

    def do_GET(self):
        p = self.path.split("/")
        if self.path == "/__log":
            with LOCK:
                body = json.dumps(LOG).encode()
            return self.send_plain(body)
        if self.path == "/__stats":
            with LOCK:
                body = json.dumps({"max_concurrent": CONC["max"]}).encode()
            return self.send_plain(body)
        if len(p) == 3 and p[1] == "v":
            return self.feed(p[2])
        if len(p) == 3 and p[1] in ("r301", "r302", "r307", "r308"):
            return self.send(int(p[1][1:]), b"",
                             [("Location", "/v/" + p[2])])
        if self.path == "/gone":
            return self.send(410, b"gone")
        if self.path == "/fail":
            return self.send(500, b"broken")
        if len(p) == 5 and p[1] == "limit":
            with LOCK:
                first = self.path not in LIMITED
                LIMITED.add(self.path)
            if first:
                return self.send(int(p[2]), b"later",
                                 [("Retry-After", p[3])])
            return self.feed(p[4])
        if len(p) == 3 and p[1] == "conc":
            with LOCK:
                CONC["now"] += 1
                CONC["max"] = max(CONC["max"], CONC["now"])
            time.sleep(CONC_PAUSE)
            with LOCK:
                CONC["now"] -= 1
            return self.feed(p[2])
        if self.path == "/bomb":
            return self.send(200, BOMB, [("Content-Type",
                                          "application/rss+xml"),
                                         ("Content-Encoding", "gzip")])
        if self.path in ("/slow", "/endless"):
            return self.stream(self.path == "/slow")
        return self.send(404, b"no such path")

    def send_plain(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream(self, slow):
        self.record(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()
        chunk = b"<" if slow else b"<!-- endless -->" * 4096
        try:
            self.wfile.write(b'<?xml version="1.0"?><rss><channel>')
            while True:
                self.wfile.write(chunk)
                self.wfile.flush()
                if slow:
                    time.sleep(TRICKLE_PAUSE)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_POST(self):
        p = self.path.split("/")
        if len(p) == 3 and p[1] == "__set":
            n = int(self.headers.get("Content-Length", "0"))
            upd = json.loads(self.rfile.read(n) or b"{}")
            feed_state(p[2])
            with LOCK:
                STATE[p[2]].update(upd)
            return self.send_plain(b"{}")
        return self.send(404, b"")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass    # clients hanging up on /slow and /endless is the point


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
