#!/bin/sh
# families.sh — the socket families besides inet and unix: packet, netlink
# and MPTCP sockets opened in a private namespace are recorded with
# `sockhistd --once` and `sockhist show` must print what ss printed, for
# ss's family and table selectors (-0, -A, -M, -f, -e, -p, -n).  Families
# the kernel has no sock_diag support for (SCTP, vsock, XDP, TIPC here,
# maybe MPTCP) must be reported by a running recorder once, not per
# snapshot; their comparisons are skipped and listed.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
mix_cmd packet raw 0x0003 lo
mix_cmd packet dgram 0x86dd
mix_cmd packet raw 0
mix_cmd packet dgram 0x0800 lo
mix_cmd netlink 0 5
mix_cmd netlink 0 0 0
mix_cmd netlink 16 0 1
mix_cmd mptcp 127.0.0.1 7000
mptcp=yes
[ "$MIX_ANSWER" = "mptcp unsupported" ] && mptcp=no

# A running recorder: a missing family is reported once however many
# snapshots it takes.
# (ip netns exec waits for its child: the shell execs the recorder and
# leaves its pid to stop it by.)
in_ns sh -c 'echo $$ >"$1"; exec "$2" --db "$3" --interval 200ms' sh \
	"$WORK/d.pid" "$SOCKHISTD" "$WORK/loop.db" 2>"$WORK/loop.err" &
DPID=$!
sleep 1.5
kill "$(cat "$WORK/d.pid")"
wait "$DPID" || true
snaps=$(sqlite3 "$WORK/loop.db" 'SELECT count(*) FROM frame')
[ "$snaps" -ge 3 ] || fail "the recorder took $snaps snapshots, expected 3 or more"
skipped=
for fam in sctp vsock tipc xdp mptcp; do
	n=$(grep -c "^sockhistd: $fam dump: " "$WORK/loop.err" || true)
	case "$n" in
	0) ;;
	1) skipped="$skipped $fam" ;;
	*) fail "$fam: missing support reported $n times in $snaps snapshots" ;;
	esac
done
echo "families the kernel lacks (comparisons skipped):${skipped:- none}"
[ "$mptcp" = no ] && ! echo "$skipped" | grep -q mptcp &&
	fail "MPTCP sockets could not be opened, yet the recorder dumped MPTCP"

set -- "-0" "-0 -n" "-0 -e -p" "-0 -m" "-A packet -a" "-A packet_raw -a" \
	"-A netlink -a" "-A netlink -a -e" "-A netlink -a -n" "-f link" \
	"-f netlink" "-f netlink -m" "-a -A all" "-a" "-A all" "-A inet" \
	"-a -A netlink,packet_dgram" "-0 -a dev lo" "-0 src link:ip" \
	"-0 src link:*:lo" "-0 sport = :1" "-0 src ipv6" "-a src link:ipv6" \
	"-A netlink -a src netlink:rtnl" "-A netlink -a src netlink:genl:kernel" \
	"-f netlink sport = :0" "-f netlink ! src netlink:0" \
	"-a -A all src link:all"
[ "$mptcp" = yes ] && set -- "$@" "-M" "-Ma" "-Mae" "-Man" "-a -A mptcp,tcp"

# ss's own sock_diag sockets (and the kernel's end, whose Recv-Q is the
# dump in flight) are not the recorder's: drop the sock_diag rows
# ("tcpdiag:", "4:" with -n).  The kernel's netlink dump lists a socket
# bound to multicast groups twice; the recording has each socket once:
# rows are compared as a sorted set.  Column widths follow the longest
# value, which those rows (the recorder's "tcpdiag:sockhistd/PID", ss's
# "tcpdiag:ss/PID") can be: views with netlink rows are compared with
# blanks squeezed, the packet and MPTCP views exactly (trailing blanks
# aside).  ss -e prints cgroup paths as it resolves them in the
# namespace's mounts: left out.
squeeze() {
	case "$VIEW" in
	-0*|"-f link"|"-A packet"*|-M*) cat ;;
	*) tr -s ' ' ;;
	esac
}
normalise() {
	head -n 1 "$1" | sed 's/ *$//' | squeeze
	tail -n +2 "$1" | grep -v -E 'tcpdiag:| 4:-?[0-9]+ ' |
		sed -e 's/ cgroup:[^ ]*//' -e 's/ *$//' | squeeze |
		LC_ALL=C sort -u
}

i=0
for view in "$@"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	in_ns ss $view >"$WORK/ss.$i.before" 2>/dev/null
done
in_ns "$SOCKHISTD" --once --db "$WORK/h.db" 2>"$WORK/once.err" ||
	{ fail "sockhistd --once exited non-zero"; cat "$WORK/once.err"; }
i=0
for view in "$@"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	in_ns ss $view >"$WORK/ss.$i.after" 2>/dev/null
	VIEW=$view
	normalise "$WORK/ss.$i.before" >"$WORK/a"
	normalise "$WORK/ss.$i.after" >"$WORK/b"
	same_file "$WORK/a" "$WORK/b" "ss changed during capture for '$view'"
	# shellcheck disable=SC2086
	if ! "$SOCKHIST" --db "$WORK/h.db" show $view >"$WORK/show.$i" \
		2>"$WORK/show.$i.err"; then
		fail "sockhist show $view exited non-zero: $(cat "$WORK/show.$i.err")"
		continue
	fi
	normalise "$WORK/show.$i" >"$WORK/b"
	same_file "$WORK/a" "$WORK/b" "show '$view' differs from ss"
done

# Guard against both sides being empty: the mix's packet and netlink
# sockets are there.
[ "$(grep -c '^p_' "$WORK/show.1")" -ge 4 ] ||
	fail "expected 4 packet sockets in show -0"
grep -q 'genl:sockmix/[0-9]* *1:0' "$WORK/show.7" ||
	fail "the connected generic netlink socket is missing"
[ "$(grep -c ':lo ' "$WORK/show.19")" = 1 ] ||
	fail "show -0 src link:ip: expected the one ip socket on lo"
grep -q 'genl:kernel' "$WORK/show.25" && ! grep -q 'rtnl' "$WORK/show.25" ||
	fail "show src netlink:genl:kernel: $(cat "$WORK/show.25")"

# Counts: frame_count has the new netids; hist --by netid sees them.
n=$(sqlite3 "$WORK/h.db" "SELECT sum(n) FROM frame_count WHERE netid IN (9, 10)")
[ "$n" = 4 ] || fail "frame_count has $n packet sockets, expected 4"
"$SOCKHIST" --db "$WORK/h.db" hist --by netid --format csv -H -A packet \
	>"$WORK/hist" 2>&1 || fail "hist -A packet failed: $(cat "$WORK/hist")"
grep -q ',p_raw,2,' "$WORK/hist" && grep -q ',p_dgr,2,' "$WORK/hist" ||
	fail "hist --by netid -A packet: $(cat "$WORK/hist")"

# Bad selectors get one line and status 2... as the other usage errors.
DB="$WORK/h.db"
expect_error 2 show -A bogus
expect_error 2 show -f bogus

finish
