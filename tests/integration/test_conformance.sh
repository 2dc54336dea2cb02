#!/bin/sh
# Parser conformance: tests/conformance/check.py (a copy of the shared
# corpus, see tests/conformance/README.md) runs `tidings parse` over every
# record; each file must reach its floor, and the well-formedness verdicts
# theirs.  Floors are the goals of issue 3 (docs/CONFORMANCE.md).
# Ends with "N passed, N failed" like every test here.
cd "$(dirname "$0")/../.." || exit 1
corpus=tests/conformance
bin=client/tidings
if [ ! -f "$corpus/check.py" ]; then
	echo "($corpus absent: conformance skipped)"
	echo "0 passed, 0 failed"
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "FAIL: $bin not built"
	echo "0 passed, 1 failed"
	exit 1
fi
passed=0
failed=0
wf_ok=0
wf_total=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Floors: core-tier pass rate per file.
for spec in feedparser:0.98 realworld:0.99 synthetic_encoding:1.0; do
	name=${spec%%:*}
	floor=${spec#*:}
	python3 "$corpus/check.py" --jsonl "$corpus/$name.jsonl" --tier core \
	    --show 10 -- "$bin" parse >"$out" 2>&1
	last=$(tail -n 1 "$out")
	rate=$(printf '%s\n' "$last" | sed -n 's/^pass_rate=\([0-9.]*\) .*/\1/p')
	wf=$(printf '%s\n' "$last" | sed -n 's/.* wellformed_ok=\([0-9]*\/[0-9]*\).*/\1/p')
	if [ -z "$rate" ] || [ -z "$wf" ]; then
		echo "FAIL $name: no verdict from check.py"
		cat "$out"
		failed=$((failed + 1))
		continue
	fi
	wf_ok=$((wf_ok + ${wf%/*}))
	wf_total=$((wf_total + ${wf#*/}))
	if awk -v r="$rate" -v f="$floor" 'BEGIN { exit !(r + 0 >= f + 0) }'; then
		echo "ok   $name: $last"
		passed=$((passed + 1))
	else
		echo "FAIL $name below $floor: $last"
		cat "$out"
		failed=$((failed + 1))
	fi
done

# Well-formedness verdicts over every record that has one.
if [ "$wf_total" -gt 0 ] && awk -v a="$wf_ok" -v b="$wf_total" \
    'BEGIN { exit !(a / b >= 0.98) }'; then
	echo "ok   well-formedness verdicts: $wf_ok/$wf_total"
	passed=$((passed + 1))
else
	echo "FAIL well-formedness verdicts below 0.98: $wf_ok/$wf_total"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
