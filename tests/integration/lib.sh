# lib.sh — shared by the integration tests: a private network namespace with
# loopback up, the sockmix helper holding a known mix of sockets in it, and
# small assertion helpers.  Tests source this file; they need root and skip
# (exit 77) without it.
set -eu

[ "$(id -u)" = 0 ] || { echo "SKIP: integration tests need root (ip netns)"; exit 77; }
command -v ip >/dev/null && command -v ss >/dev/null ||
	{ echo "SKIP: iproute2 (ip, ss) not installed"; exit 77; }

NS="sockhist-test-$$"
# A second namespace, for the tests of several (mix2_start).
NS2="sockhist-test2-$$"
FIX="$TESTS_DIR/fixtures"
# The store format this build writes (PRAGMA user_version of a new file).
FORMAT_VERSION=4
WORK=$(mktemp -d /tmp/sockhist-test.XXXXXX)
# The recorder records the namespace it runs in (a test starts it with
# in_ns); tests of several namespaces pass --netns, which wins.
export SOCKHISTD_NETNS=/proc/self/ns/net
MIX_PID=
MIX2_PID=
FAILURES=0

# Remove the namespace, stop helpers and delete the scratch directory.
cleanup() {
	for p in $MIX_PID $MIX2_PID; do
		kill "$p" 2>/dev/null || true
	done
	ip netns del "$NS" 2>/dev/null || true
	ip netns del "$NS2" 2>/dev/null || true
	for m in "$WORK"/*; do
		mountpoint -q "$m" 2>/dev/null && umount "$m"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

# Create the namespace with loopback up.
netns_create() {
	ip netns add "$NS"
	ip -n "$NS" link set lo up
}

# Run a command inside the namespace.
in_ns() {
	ip netns exec "$NS" "$@"
}

# Wait until the sockmix writing to file $1 has its sockets open.
mix_wait_ready() {
	for _ in $(seq 100); do
		grep -q ready "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "sockmix did not start"; exit 1
}

# Start sockmix in the namespace and wait until its sockets are open.
mix_start() {
	mkfifo "$WORK/mix.in"
	in_ns "$SOCKMIX" "$WORK" <"$WORK/mix.in" >"$WORK/mix.out" &
	MIX_PID=$!
	exec 9>"$WORK/mix.in"
	mix_wait_ready "$WORK/mix.out"
}

# Create the second namespace, $NS2, with loopback up, and start another
# sockmix in it (its files in $WORK/ns2; it takes no commands).
mix2_start() {
	ip netns add "$NS2"
	ip -n "$NS2" link set lo up
	mkdir "$WORK/ns2"
	mkfifo "$WORK/ns2/mix.in"
	ip netns exec "$NS2" "$SOCKMIX" "$WORK/ns2" <"$WORK/ns2/mix.in" \
		>"$WORK/ns2/mix.out" &
	MIX2_PID=$!
	exec 8>"$WORK/ns2/mix.in"
	mix_wait_ready "$WORK/ns2/mix.out"
}

# Send one command line to sockmix (see tests/sockmix.c) and wait for its
# one-line answer, left in MIX_ANSWER; exits the test if none comes.
mix_cmd() {
	before=$(wc -l <"$WORK/mix.out")
	echo "$*" >&9
	for _ in $(seq 500); do
		if [ "$(wc -l <"$WORK/mix.out")" -gt "$before" ]; then
			# shellcheck disable=SC2034  # read by the tests
			MIX_ANSWER=$(tail -n 1 "$WORK/mix.out")
			return 0
		fi
		sleep 0.02
	done
	echo "sockmix did not answer '$*'"
	exit 1
}

# Scripted snapshots (diff.sh, trace.sh): the test defines ss_rows (one
# line per socket: cookie state recv-q send-q ...) and DB; N counts the
# snapshots taken.
N=0

# Wait until ss_rows is steady and no connected socket has data in flight
# (a large send takes a moment on loopback).
wait_idle() {
	for _ in $(seq 100); do
		ss_rows >"$WORK/idle.a"
		sleep 0.1
		ss_rows >"$WORK/idle.b"
		if cmp -s "$WORK/idle.a" "$WORK/idle.b" &&
			awk '$2 != "LISTEN" && $4 > 0 { exit 1 }' "$WORK/idle.b"; then
			return 0
		fi
	done
	fail "the sockets did not settle"
}

# Take snapshot N+1 into $DB with `sockhistd --once`, ss_rows saved just
# before it as $WORK/ss.N and compared with a run just after.
snap() {
	N=$((N + 1))
	wait_idle
	ss_rows >"$WORK/ss.$N"
	in_ns "$SOCKHISTD" --once --db "$DB" 2>>"$WORK/d.err" ||
		fail "sockhistd --once failed: $(cat "$WORK/d.err")"
	ss_rows >"$WORK/ss.$N.after"
	same_file "$WORK/ss.$N" "$WORK/ss.$N.after" "ss changed during snapshot $N"
	[ "$(sqlite3 "$DB" 'SELECT max(id) FROM frame')" = "$N" ] ||
		fail "snapshot $N is not frame $N"
}

# The ISO 8601 UTC time (whole seconds) of snapshot $1 of $DB.
frame_time() {
	ns=$(sqlite3 "$DB" "SELECT time_ns FROM frame WHERE id = $1")
	date -u -d "@$((ns / 1000000000))" +%Y-%m-%dT%H:%M:%SZ
}

# Report a failed check and remember it.
fail() {
	echo "FAIL: $*"
	FAILURES=$((FAILURES + 1))
}

# Compare two files; on a difference print it and fail with a label.
same_file() {
	if ! diff -u "$1" "$2" >"$WORK/diff.out"; then
		fail "$3"
		head -60 "$WORK/diff.out"
	fi
}

# Every snapshot of the format-$1 fixture (tests/fixtures/format-v$1.db)
# read from the database $2, as JSON with every field, snapshot 3 as an ss
# table, and the snapshot list, must be what the format-$1 build printed;
# $3 names the case in failures.
check_fixture_frames() {
	for id in 1 2 3; do
		"$SOCKHIST" --db "$2" show --snapshot "$id" -tuwxaeimop \
			--format json >"$WORK/show$id.json" 2>/dev/null ||
			fail "show --snapshot $id failed on $3"
		same_file "$FIX/format-v$1-show$id.json" "$WORK/show$id.json" \
			"snapshot $id of the v$1 fixture ($3)"
	done
	"$SOCKHIST" --db "$2" show --snapshot 3 -tuwxaneimop \
		>"$WORK/show3.txt" 2>/dev/null
	same_file "$FIX/format-v$1-show3.txt" "$WORK/show3.txt" \
		"ss table of snapshot 3 ($3)"
	"$SOCKHIST" --db "$2" snapshots --format csv | head -4 \
		>"$WORK/snapshots.csv"
	same_file "$FIX/format-v$1-snapshots.csv" "$WORK/snapshots.csv" \
		"snapshot list ($3)"
}

# The format-$1 fixture reads as that build printed it: by a reader, which
# migrates a private in-memory copy and leaves the file alone (it stays
# byte for byte, read-only), and after sockhistd, run three times in the
# test namespace, migrated it in place and appended three frames of the
# current format.  The migrated file is left in $WORK/w.db.
check_fixture_migrations() {
	cp "$FIX/format-v$1.db" "$WORK/v$1.db"
	chmod a-w "$WORK/v$1.db"
	check_fixture_frames "$1" "$WORK/v$1.db" "reader"
	cmp -s "$FIX/format-v$1.db" "$WORK/v$1.db" ||
		fail "a reader changed the v$1 file"

	cp "$FIX/format-v$1.db" "$WORK/w.db"
	for _ in 1 2 3; do
		in_ns "$SOCKHISTD" --once --db "$WORK/w.db" 2>/dev/null ||
			fail "sockhistd could not append to a v$1 database"
	done
	[ "$(sqlite3 "$WORK/w.db" 'PRAGMA user_version')" = "$FORMAT_VERSION" ] ||
		fail "the writer did not migrate the v$1 file to version $FORMAT_VERSION"
	check_fixture_frames "$1" "$WORK/w.db" "after migration"
	# The new frames read as what ss shows now (the mix is idle): header
	# first, rows sorted (ss prints in hash order, sockhist by cookie).
	in_ns ss -tuwxan >"$WORK/ss.raw"
	"$SOCKHIST" --db "$WORK/w.db" show -tuwxan >"$WORK/new.raw" 2>/dev/null
	for f in ss new; do
		{ head -n 1 "$WORK/$f.raw"; tail -n +2 "$WORK/$f.raw" |
			LC_ALL=C sort; } >"$WORK/$f.now"
	done
	same_file "$WORK/ss.now" "$WORK/new.now" \
		"newest frame after migration vs ss"
}

# End the test: the closing line and the exit status.
finish() {
	if [ "$FAILURES" -eq 0 ]; then
		echo "1 passed, 0 failed"
		exit 0
	fi
	echo "0 passed, 1 failed: $FAILURES check(s)"
	exit 1
}

# expect_error STATUS COMMAND ARGS...: `sockhist --db $DB COMMAND ARGS` must
# exit STATUS with one "sockhist: " line on stderr (left in $WORK/err) and
# nothing on stdout.
expect_error() {
	want=$1
	shift
	"$SOCKHIST" --db "$DB" "$@" >"$WORK/out" 2>"$WORK/err" && st=0 || st=$?
	[ "$st" = "$want" ] || fail "$*: exit $st, expected $want"
	[ "$(wc -l <"$WORK/err")" = 1 ] || fail "$*: not one line on stderr: $(cat "$WORK/err")"
	grep -q '^sockhist: ' "$WORK/err" || fail "$*: message '$(cat "$WORK/err")'"
	[ -s "$WORK/out" ] && fail "$*: printed on stdout"
	return 0
}
