# lib.sh — shared by the integration tests: a private network namespace with
# loopback up, the sockmix helper holding a known mix of sockets in it, and
# small assertion helpers.  Tests source this file; they need root and skip
# (exit 77) without it.
set -eu

[ "$(id -u)" = 0 ] || { echo "SKIP: integration tests need root (ip netns)"; exit 77; }
command -v ip >/dev/null && command -v ss >/dev/null ||
	{ echo "SKIP: iproute2 (ip, ss) not installed"; exit 77; }

NS="sockhist-test-$$"
WORK=$(mktemp -d /tmp/sockhist-test.XXXXXX)
MIX_PID=
FAILURES=0

# Remove the namespace, stop helpers and delete the scratch directory.
cleanup() {
	[ -n "$MIX_PID" ] && kill "$MIX_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null || true
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

# Start sockmix in the namespace and wait until its sockets are open.
mix_start() {
	mkfifo "$WORK/mix.in"
	in_ns "$SOCKMIX" "$WORK" <"$WORK/mix.in" >"$WORK/mix.out" &
	MIX_PID=$!
	exec 9>"$WORK/mix.in"
	for _ in $(seq 100); do
		grep -q ready "$WORK/mix.out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "sockmix did not start"; exit 1
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

# End the test: the closing line and the exit status.
finish() {
	if [ "$FAILURES" -eq 0 ]; then
		echo "1 passed, 0 failed"
		exit 0
	fi
	echo "0 passed, 1 failed: $FAILURES check(s)"
	exit 1
}
