#!/bin/sh
# Dumps the items of a tidings database, in the order they were stored,
# as the TSV `tests/cluster-bench -r` replays: published (empty when
# undated), first seen, title, summary (tabs and newlines made spaces).
# The database is opened read-only and immutable: a bench-poll run's
# copy is never written to.
#
#   tests/cluster-farm.sh DB OUT
set -e
if [ $# -ne 2 ] || [ ! -f "$1" ]; then
	echo "usage: tests/cluster-farm.sh DB OUT" >&2
	exit 2
fi
db=$(realpath "$1")
# One field cannot hold the separators of the TSV.
flat() {
	echo "replace(replace(replace(coalesce($1, ''), char(9), ' '), char(10), ' '), char(13), ' ')"
}
sqlite3 -batch -noheader -separator "$(printf '\t')" \
    "file:$db?mode=ro&immutable=1" \
    "SELECT coalesce(published, ''), first_seen, $(flat title), $(flat summary) FROM items ORDER BY id" \
    > "$2.tmp"
mv "$2.tmp" "$2"
echo "$(wc -l < "$2") items of $1 in $2"
