#!/bin/sh
# Runs every unit test binary and integration test, shows the output of
# those that fail, and ends with the sum of their "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
	name=$1
	shift
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed*}
	else
		p=0
		f=1	# no verdict at all: it crashed or hung
	fi
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $name (exit $rc, $(( $(date +%s) - start ))s):"
		tail -n 60 "$log" | sed 's/^/    /'
	else
		echo "ok   $name: $p checks ($(( $(date +%s) - start ))s)"
	fi
}

# TIDINGS_BUILD=asan runs the sanitizer build's binaries (Makefile);
# TIDINGS_TESTS, when set, names the integration tests to run.
unitdir=tests/unit
[ -n "$TIDINGS_BUILD" ] && unitdir=$TIDINGS_BUILD/tests/unit
for t in "$unitdir"/test_*; do
	case $t in *.c|*.h|*.d|*.o) continue ;; esac
	[ -x "$t" ] && run "$t" "$t"
done
for t in tests/integration/test_*.py; do
	if [ -n "$TIDINGS_TESTS" ]; then
		case " $TIDINGS_TESTS " in *" ${t##*/} "*) ;; *) continue ;; esac
	fi
	run "$t" python3 "$t"
done
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	if [ -n "$TIDINGS_TESTS" ]; then
		case " $TIDINGS_TESTS " in *" ${t##*/} "*) ;; *) continue ;; esac
	fi
	run "$t" sh "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
