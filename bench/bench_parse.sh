#!/bin/sh
# make bench-parse: a farm of feeds from ../shared/bench/gen_farm.py (else
# the conformance corpus's real-world feeds), then bench_parse (tidings
# against a bare libxml2 xmlReader, same bytes, same run) and Python's
# feedparser on the same files.  Prints figures; judges nothing.
cd "$(dirname "$0")/.." || exit 1
feeds=${BENCH_FEEDS:-200}
rounds=${BENCH_ROUNDS:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ -f ../shared/bench/gen_farm.py ] &&
    python3 ../shared/bench/gen_farm.py -n "$feeds" -o "$dir" >/dev/null; then
	src="bench farm, $feeds feeds (gen_farm.py, seed 1)"
	files=$(sed "s|^|$dir/|" "$dir/files.txt")
else
	src="tests/conformance/realworld (no ../shared/bench)"
	files=$(find tests/conformance/realworld -type f | sort)
fi
echo "bench-parse: $src"
# shellcheck disable=SC2086
./bench/bench_parse -r "$rounds" $files || exit 1
if /usr/bin/python3 -c 'import feedparser' 2>/dev/null; then
	# shellcheck disable=SC2086
	/usr/bin/python3 bench/bench_feedparser.py -r 1 $files
else
	echo "feedparser: python3-feedparser not installed (skipped)"
fi
