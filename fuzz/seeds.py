#!/usr/bin/env python3
"""Builds the seed corpus of one fuzz target in DIR (existing files are
kept, so what the fuzzer learnt in earlier runs stays):

  parse  tests/fixtures feeds, the hostile corpus (generated, files under
         MAX_SEED bytes), ../shared/corpus/conformance feeds if present
  date   fuzz/seeds/date.txt, ../shared/corpus/conformance/dates.jsonl
  url    fuzz/seeds/url.txt, with base/reference pairs
  conf   conf/tidings.conf, fuzz/seeds/conf.txt
  api    fuzz/seeds/api-*.http
  opml   fuzz/seeds/*.opml, the hostile corpus's OPML files
  sanitize  the HTML of the fixture feeds' summaries, a few XSS vectors
  derive a few derived blocks of parser worker replies (daemon/derive.h)
"""
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
SHARED = os.path.join(ROOT, "..", "shared", "corpus", "conformance")
MAX_SEED = 256 * 1024	# bigger inputs only slow the fuzzer down


def put(out, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if len(data) > MAX_SEED:
        return 0
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    return 1


def files(pattern):
    for p in sorted(glob.glob(pattern, recursive=True)):
        if os.path.isfile(p):
            with open(p, "rb") as f:
                yield f.read()


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [x.rstrip("\n") for x in f if x.strip()]


def hostile(pattern):
    """The hostile corpus files matching pattern (generated, 0.5 s)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, "tests",
                                                     "hostile",
                                                     "make_corpus.py"),
                        "--out", tmp, "--no-bombs"], check=True,
                       stdout=subprocess.DEVNULL)
        return [d for d in files(os.path.join(tmp, pattern))
                if not d.startswith(b"[{")]	# not manifest.json


def parse_seeds(out):
    n = sum(put(out, d) for d in files(os.path.join(ROOT, "tests",
                                                    "fixtures", "**",
                                                    "*.xml")))
    n += sum(put(out, d) for d in hostile("*"))
    for ext in ("xml", "rss", "atom", "rdf", "json"):
        n += sum(put(out, d) for d in files(os.path.join(SHARED, "**",
                                                         "*." + ext)))
    return n


def date_seeds(out):
    n = sum(put(out, x) for x in lines(os.path.join(SEEDS, "date.txt")))
    path = os.path.join(SHARED, "dates.jsonl")
    if os.path.exists(path):
        for x in lines(path):
            n += put(out, json.loads(x)["input"])
    return n


def url_seeds(out):
    urls = lines(os.path.join(SEEDS, "url.txt"))
    n = sum(put(out, u) for u in urls)
    for base in urls[:3]:
        for ref in urls:
            n += put(out, base + "\0" + ref)
    return n


def conf_seeds(out):
    return sum(put(out, d) for d in
               list(files(os.path.join(ROOT, "conf", "*.conf"))) +
               list(files(os.path.join(SEEDS, "conf.txt"))))


def api_seeds(out):
    return sum(put(out, d) for d in files(os.path.join(SEEDS, "api-*.http")))


def opml_seeds(out):
    return sum(put(out, d) for d in
               list(files(os.path.join(SEEDS, "*.opml"))) +
               [d[:MAX_SEED] for d in hostile("*.opml")])


# The digest sanitizer's classic attacks, beside real feed HTML.
XSS = [
    '<p onclick="alert(1)">x</p>', '<a href="javascript:alert(1)">x</a>',
    '<img src=x onerror=alert(1)>', '<script>alert(1)</script>',
    '<style>*{}</style><b>b</b>', '<a href=" jav&#x09;ascript:x">x</a>',
    '<svg><script>x</script></svg>', '<iframe src="data:text/html,x">',
]


def sanitize_seeds(out):
    import html
    import re
    n = sum(put(out, x) for x in XSS)
    for d in files(os.path.join(ROOT, "tests", "fixtures", "**", "*.xml")):
        text = d.decode("utf-8", "replace")
        for m in re.finditer(r"<description>(.*?)</description>", text, re.S):
            n += put(out, html.unescape(m.group(1)))
    return n


# A derived block: per item a flag byte, then five native uint32-length
# strings (0xffffffff: NULL), after a byte giving the number of items.
DERIVE_NULL = 0xffffffff


def derive_block(items):
    import struct
    b = bytes([len(items)])
    for it in items:
        if it is None:
            b += b"\0"
            continue
        b += b"\1"
        for f in it:
            if f is None:
                b += struct.pack("=I", DERIVE_NULL)
            else:
                f = f.encode("utf-8")
                b += struct.pack("=I", len(f)) + f
    return b


def derive_seeds(out):
    xi = ("Xi and Zelensky talk", "xi and zelensky talk",
          "https://e.example/a", "xi zelens talk", "")
    accents = ("Caf\u00e9 cr\u00e8me", "cafe creme", None, "cafe creme",
               "caf\u00e9")
    return sum(put(out, derive_block(b)) for b in
               [[], [None], [xi], [None, xi, accents],
                [(None,) * 5, xi], [xi] * 15])


def main():
    target, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = globals()[target + "_seeds"](out)
    print("fuzz %s: %d seeds in %s" % (target, n, out))


if __name__ == "__main__":
    main()
