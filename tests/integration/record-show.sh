#!/bin/sh
# record-show.sh — record a known mix of sockets in a private namespace with
# `sockhistd --once`, then check that `sockhist show` prints the same rows as
# `ss` printed at that moment, for a set of flag and filter combinations.
# Rows are compared as exact lines (spacing included); only their order is
# normalised, since ss prints in kernel hash order and sockhist by cookie.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start

# The views to compare: ss arguments, the same for sockhist show.
set -- \
	"-tuwxan" "-tan" "-uan" "-xan" "-wan" "-tln" "-uln" "-xln" "-tun" \
	"-tuwxa" "-ta" "-4tan" "-6tuan" "-Htan" "-tn" "-xn" "-n" "" \
	"-tan state established" "-tan state time-wait" \
	"-tan exclude established" "-tan sport = :5000" \
	"-tan dport = :5000" "-tan dst 127.0.0.1" "-uan src 127.0.0.1/8" \
	"-tan ( sport = :5000 or dport = :6000 )" "-tan state connected" \
	"-tan state listening" "-tuwxan state unconnected"

# Snapshot every view with ss, record, and again with ss: the mix is idle, so
# both ss runs must agree, else the recording moment is ambiguous.
i=0
for view in "$@"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	in_ns ss $view >"$WORK/ss.$i.before"
done
in_ns "$SOCKHISTD" --once --db "$WORK/h.db" 2>"$WORK/sockhistd.err" ||
	{ fail "sockhistd --once exited non-zero"; cat "$WORK/sockhistd.err"; }
i=0
for view in "$@"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	in_ns ss $view >"$WORK/ss.$i.after"
	same_file "$WORK/ss.$i.before" "$WORK/ss.$i.after" "ss changed during capture for '$view'"
done

# Header first, then the rows sorted.
normalise() {
	head -n 1 "$1"
	tail -n +2 "$1" | LC_ALL=C sort
}

i=0
for view in "$@"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	if ! "$SOCKHIST" --db "$WORK/h.db" show $view >"$WORK/show.$i" 2>"$WORK/show.$i.err"; then
		fail "sockhist show $view exited non-zero: $(cat "$WORK/show.$i.err")"
		continue
	fi
	if [ "$view" = "-Htan" ]; then
		LC_ALL=C sort "$WORK/ss.$i.before" >"$WORK/a"
		LC_ALL=C sort "$WORK/show.$i" >"$WORK/b"
	else
		normalise "$WORK/ss.$i.before" >"$WORK/a"
		normalise "$WORK/show.$i" >"$WORK/b"
	fi
	same_file "$WORK/a" "$WORK/b" "show '$view' differs from ss"
done

# The mix itself must be there: guard against both sides being empty.
rows=$(tail -n +2 "$WORK/show.1" | wc -l)
[ "$rows" -ge 25 ] || fail "expected at least 25 sockets in the mix, got $rows"

finish
