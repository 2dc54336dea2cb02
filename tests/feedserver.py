#!/usr/bin/env python3
"""A loopback HTTP server for tests: serves the files of a directory as
feeds with ETag and Last-Modified, answers conditional requests with 304,
and records every request so tests can check the daemon's manners.

    feedserver.py DIR [--port N]

Prints "PORT <n>" on stdout once listening on 127.0.0.1.  GET /__log
returns the requests seen so far as JSON; POST /__touch/NAME changes a
file's validators (as if the feed had been updated) without changing it;
POST /__put/NAME with a body serves that body as NAME from then on (a
feed whose content changes), in memory, the directory left alone.
A file NAME.headers next to NAME adds its "Key: Value" lines to NAME's
200 responses.
Stops on SIGTERM or after --lifetime seconds.
"""
import argparse
import email.utils
import hashlib
import http.server
import json
import os
import signal
import threading

LOG = []
LOCK = threading.Lock()
GENERATION = {}
PUT = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def log_message(self, fmt, *args):
        pass

    def _send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if code != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if code != 304 and self.command != "HEAD":
            self.wfile.write(body)

    def _record(self, status):
        with LOCK:
            LOG.append({
                "path": self.path,
                "status": status,
                "if_none_match": self.headers.get("If-None-Match"),
                "if_modified_since": self.headers.get("If-Modified-Since"),
                "user_agent": self.headers.get("User-Agent"),
                "accept_encoding": self.headers.get("Accept-Encoding"),
            })

    def do_POST(self):
        if self.path.startswith("/__touch/"):
            name = self.path[len("/__touch/"):]
            with LOCK:
                GENERATION[name] = GENERATION.get(name, 0) + 1
            return self._send(200, b"{}")
        if self.path.startswith("/__put/"):
            name = self.path[len("/__put/"):]
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            with LOCK:
                PUT[name] = body
            return self._send(200, b"{}")
        self._send(404)

    def do_GET(self):
        if self.path == "/__log":
            with LOCK:
                body = json.dumps(LOG).encode()
            return self._send(200, body, [("Content-Type", "application/json")])
        name = self.path.lstrip("/").split("?")[0]
        path = os.path.join(self.root, name)
        with LOCK:
            put = PUT.get(name)
        if put is None and ("/" in name or not os.path.isfile(path)):
            self._record(404)
            return self._send(404, b"not found")
        if put is not None:
            body, mtime = put, 1700000000 + len(put)
        else:
            with open(path, "rb") as f:
                body = f.read()
            mtime = int(os.path.getmtime(path))
        gen = GENERATION.get(name, 0)
        etag = '"%s-%d"' % (hashlib.sha1(body).hexdigest()[:16], gen)
        mtime += gen * 60
        lastmod = email.utils.formatdate(mtime, usegmt=True)
        headers = [("ETag", etag), ("Last-Modified", lastmod)]
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (inm is not None and inm == etag) or (inm is None and ims == lastmod):
            self._record(304)
            return self._send(304, b"", headers)
        ctype = "application/xml"
        if b'encoding="iso-8859-1"' in body[:100].lower():
            ctype = "application/xml"   # the declaration decides
        # NAME.headers, if present: extra "Key: Value" response headers
        # (a Content-Type there replaces the default).
        extra = []
        if os.path.isfile(path + ".headers"):
            with open(path + ".headers") as f:
                for line in f:
                    k, sep, v = line.partition(":")
                    if sep and k.strip():
                        extra.append((k.strip(), v.strip()))
        if any(k.lower() == "content-type" for k, _ in extra):
            ctype = None
        self._record(200)
        self._send(200, body, headers + extra +
                   ([("Content-Type", ctype)] if ctype else []))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=int, default=600)
    a = ap.parse_args()
    Handler.root = a.root
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    # os._exit: serve_forever and the handler threads need no cleanup,
    # and sys.exit would wait for the lifetime timer thread.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    timer = threading.Timer(a.lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
