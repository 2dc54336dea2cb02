#!/usr/bin/python3
"""Python feedparser's parse throughput over the same files as bench_parse.

usage: bench_feedparser.py [-r ROUNDS] FILE...
Loads the files first, times feedparser.parse() on the bytes, prints the
median MB/s.  For comparison only (make bench-parse).
"""
import statistics
import sys
import time

import feedparser

MB = 1024.0 * 1024.0


def main():
    args = sys.argv[1:]
    rounds = 1
    if len(args) >= 2 and args[0] == "-r":
        rounds = int(args[1])
        args = args[2:]
    blobs = []
    for path in args:
        with open(path, "rb") as f:
            blobs.append(f.read())
    total = sum(len(b) for b in blobs)
    times = []
    for _ in range(rounds):
        t0 = time.monotonic()
        items = sum(len(feedparser.parse(b).entries) for b in blobs)
        times.append(time.monotonic() - t0)
    print(f"feedparser_files={len(blobs)} items={items}")
    print(f"feedparser_mbps={total / MB / statistics.median(times):.2f}")


if __name__ == "__main__":
    main()
