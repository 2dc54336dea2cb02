#!/bin/sh
# make stress: kill -9 tidingsd at random moments while it ingests a large
# feed farm, restart it, and check the database after every kill
# (tests/stress/crash_loop.py: integrity_check, every reported commit
# whole, at most one unreported, feed state agreeing with its items, and
# every item the API returned before the kill still there).
#
#   tests/stress/crash.sh [ITERATIONS] [FEEDS]
#
# The farm generator lives in ../shared/bench; without it this skips.
cd "$(dirname "$0")/../.." || exit 1
iterations=${1:-50}
nfeeds=${2:-2000}
gen=../shared/bench/gen_farm.py
if [ ! -f "$gen" ]; then
	echo "skip: $gen not found"
	echo "0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d /tmp/tidings-stress.XXXXXX)
srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

python3 "$gen" -n "$nfeeds" -o "$tmp/farm" >/dev/null || exit 1
python3 tests/feedserver.py "$tmp/farm" >"$tmp/port" 2>/dev/null &
srv=$!
i=0
while ! grep -q '^PORT ' "$tmp/port" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && { echo "feed server did not start"; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/^PORT //p' "$tmp/port")

# One subscription per farm file; polled once each (interval 1 h), so the
# whole run is a first ingest interrupted 50 times.
{
	printf '[daemon]\ndatabase = %s\nsocket = %s\n' "$tmp/feeds.db" \
	    "$tmp/tidingsd.sock"
	# Few transfers at a time: each kill leaves the feeds in flight leased
	# (not due again for timeout + 60 s), and the farm must last 50 kills.
	printf 'poll_interval = 1h\nmax_connections = 8\nmax_per_host = 8\n'
	printf 'parse_workers = 2\n'
	while read -r f; do
		printf '\n[feed "%s"]\nurl = http://127.0.0.1:%s/%s\n' \
		    "$f" "$port" "$f"
	done <"$tmp/farm/files.txt"
} >"$tmp/tidings.conf"

start=$(date +%s)
python3 tests/stress/crash_loop.py --iterations "$iterations" \
    --db "$tmp/feeds.db" --api-socket "$tmp/tidingsd.sock" \
    --writer-cmd "./daemon/tidingsd -c $tmp/tidings.conf --test-commit-log=-" \
    --batch-sql 'SELECT batch, count(*) FROM items WHERE batch IS NOT NULL GROUP BY batch' \
    --state-sql 'SELECT coalesce(max(last_batch), 0) FROM feeds' \
    --min-ms 1 --max-ms 1500
rc=$?
items=$(sqlite3 "$tmp/feeds.db" 'SELECT count(*) FROM items')
feeds=$(sqlite3 "$tmp/feeds.db" 'SELECT count(*) FROM feeds WHERE polls > 0')
total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["items"])' \
    "$tmp/farm/manifest.json")
echo "farm: $nfeeds feeds, $total items;" \
    "stored after the last kill: $items items from $feeds polled feeds;" \
    "$(( $(date +%s) - start )) s"

# The search index survived the kills too: once the daemon has caught up
# (search_pending 0), it holds exactly the stored items.
./daemon/tidingsd -c "$tmp/tidings.conf" 2>/dev/null &
daemon=$!
pending=
i=0
while [ "$i" -lt 600 ] && [ "$pending" != 0 ]; do
	sleep 0.1
	i=$((i + 1))
	pending=$(./client/tidings -s "$tmp/tidingsd.sock" status --json \
	    2>/dev/null | python3 -c \
	    'import json,sys; print(json.load(sys.stdin).get("search_pending"))' \
	    2>/dev/null)
done
kill "$daemon"
wait "$daemon"
stray=$(sqlite3 "$tmp/feeds.db" "ATTACH '$tmp/feeds.db.search' AS s;
    SELECT (SELECT count(*) FROM items WHERE id NOT IN
      (SELECT rowid FROM s.items_fts)) +
    (SELECT count(*) FROM s.items_fts WHERE rowid NOT IN
      (SELECT id FROM items))")
echo "search index after the kills: pending $pending, $stray items differ"
if [ "$rc" -eq 0 ] && [ "$pending" = 0 ] && [ "$stray" = 0 ]; then
	echo "$((iterations + 1)) passed, 0 failed"
else
	echo "0 passed, 1 failed"
	rc=1
fi
exit "$rc"
