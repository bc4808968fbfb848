#!/bin/sh
# trace.sh — `sockhist trace` against what `ss -tanHeip` listed at each
# snapshot.  In a private namespace sockmix opens a connection from a fixed
# client port, sends 1000 and then 2500 bytes that the server leaves
# unread, reads it and hangs up (the client end goes ESTAB -> CLOSE-WAIT),
# aborts it,
# and opens the same 4-tuple again, with a `sockhistd --once` snapshot
# between the steps.  From ss's rows alone (cookies are sk:, the counters
# ss -i's bytes_sent, bytes_received and retrans) the test builds the
# expected lines of both ends and checks:
#   table  the lifetime headers (cookie, addresses, owner, first/last seen
#          or still open), one line per snapshot: time, snapshot, state with
#          the change marked, queues, rtt, cwnd, bytes and retransmits per
#          interval (the server received 1000 then 2500; its orphaned
#          FIN-WAIT-2 end has no tcp_info, and the next counts skip it);
#   reuse  the client's 4-tuple lists two lifetimes with different cookies;
#   JSON and CSV: their keys and values; --since/--until, --cookie, bare
#   ports; the errors.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
DB="$WORK/t.db"
CLIENT=127.0.0.2:45000
SERVER=127.0.0.3:7002

# One line per TCP socket: cookie (hex) state recv-q send-q local peer rtt
# cwnd bytes_sent bytes_received total-retrans comm pid ("-" when absent).
ss_rows() {
	in_ns ss -tanHeip 2>/dev/null | awk '
	function flush() {
		if (row != "")
			print row, rtt, cwnd, sent + 0, recv + 0, retr + 0, comm, pid
		row = ""
	}
	/^[A-Z]/ {
		flush()
		ck = "?"; comm = pid = rtt = cwnd = "-"; sent = recv = retr = 0
		for (i = 6; i <= NF; i++)
			if ($i ~ /^sk:/)
				ck = substr($i, 4)
		if (match($0, /users:\(\("[^"]*",pid=[0-9]+/)) {
			split(substr($0, RSTART + 9, RLENGTH - 9), u, "\",pid=")
			comm = u[1]; pid = u[2]
		}
		row = ck " " $1 " " $2 " " $3 " " $4 " " $5
		next
	}
	{
		for (i = 1; i <= NF; i++) {
			split($i, kv, ":")
			if (kv[1] == "rtt") { split(kv[2], r, "/"); rtt = sprintf("%.3f", r[1]) }
			if (kv[1] == "cwnd") cwnd = kv[2]
			if (kv[1] == "bytes_sent") sent = kv[2]
			if (kv[1] == "bytes_received") recv = kv[2]
			if (kv[1] == "retrans") { split(kv[2], r, "/"); retr = r[2] }
		}
	}
	END { flush() }' | LC_ALL=C sort
}



# The ss rows of the socket LOCAL PEER ($1 $2) in snapshots $3 to $4
# (default: all), each prefixed with the snapshot id and time.
history() {
	for i in $(seq "${3:-1}" "${4:-$N}"); do
		awk -v l="$1" -v p="$2" -v i="$i" -v t="$(frame_time "$i")" \
			'$5 == l && $6 == p { print i, t, $0 }' "$WORK/ss.$i"
	done
}

# The expected trace table of LOCAL PEER from its ss history: per cookie a
# header, then "MARK TIME SNAPSHOT STATE RQ SQ RTT CWND SENT RECV RETR"
# ("-" for no mark), intervals against the previous line.
expect_table() {
	history "$@" | awk -v last="$N" '
	function header(   d) {
		d = sprintf("%d", strtonum_hex(ck))
		print "# tcp cookie " d " " local " -> " peer ", process " comm " pid " pid
	}
	function strtonum_hex(h,   i, v, c) {
		v = 0
		for (i = 1; i <= length(h); i++) {
			c = index("0123456789abcdef", substr(h, i, 1)) - 1
			v = v * 16 + c
		}
		return v
	}
	function lifetime_end() {
		if (ck == "")
			return
		seen[++nl] = ck
		printf "# first seen %s (snapshot %s), %s\n", ft, fs,
		       ls == last ? "still open" : "last seen " lt " (snapshot " ls ")"
		for (k = 1; k <= nr; k++)
			print lines[k]
		nr = 0
	}
	{
		# $1 snap, $2 time, $3 cookie, $4 state, $5 rq, $6 sq, $7 local,
		# $8 peer, $9 rtt, $10 cwnd, $11 sent, $12 recv, $13 retr, $14
		# comm, $15 pid
		if ($3 != ck) {
			lifetime_end()
			ck = $3; local = $7; peer = $8; comm = $14; pid = $15
			ft = $2; fs = $1; state = ""
			ps = pr = pt = 0
			header()
		}
		mark = state != "" && state != $4 ? "*" : "-"
		counts = $11 - ps " " $12 - pr " " $13 - pt
		if ($9 == "-")          # no tcp_info: no counts, none to count from
			counts = "- - -"
		else {
			ps = $11; pr = $12; pt = $13
		}
		lines[++nr] = mark " " $2 " " $1 " " $4 " " $5 " " $6 " " $9 " " $10 \
			" " counts
		state = $4
		lt = $2; ls = $1
	}
	END { lifetime_end() }'
}

# The trace table as printed, headers kept, sample lines squeezed with the
# mark as "-" when there is none.
got_table() {
	"$SOCKHIST" --db "$DB" trace "$@" >"$WORK/trace" 2>"$WORK/err" ||
		fail "trace $* failed: $(cat "$WORK/err")"
	awk '/^#/ { print; next }
	     /^  Time / { next }
	     /^$/ { next }
	     { m = substr($0, 1, 1) == "*" ? "*" : "-"; $0 = substr($0, 2)
	       $1 = $1; print m, $0 }' "$WORK/trace"
}

# ---- the scenario -------------------------------------------------------------

mix_cmd connectfrom 127.0.0.2 45000 127.0.0.3 7002      # connection 0
snap                                                    # 1
mix_cmd send 0 1000
snap                                                    # 2
mix_cmd send 0 2500
snap                                                    # 3
snap                                                    # 4
mix_cmd drain 0         # a close with unread data would send an RST
mix_cmd hangup 0
snap                                                    # 5
snap                                                    # 6
mix_cmd close 0
snap                                                    # 7
mix_cmd connectfrom 127.0.0.2 45000 127.0.0.3 7002      # connection 1
snap                                                    # 8
mix_cmd send 1 700
snap                                                    # 9

# ---- the two ends against ss ------------------------------------------------------

expect_table "$CLIENT" "$SERVER" >"$WORK/want.client"
got_table "$CLIENT" "$SERVER" >"$WORK/got.client"
same_file "$WORK/want.client" "$WORK/got.client" "trace of the client end differs from ss"
expect_table "$SERVER" "$CLIENT" >"$WORK/want.server"
got_table "$SERVER" "$CLIENT" >"$WORK/got.server"
same_file "$WORK/want.server" "$WORK/got.server" "trace of the server end differs from ss"

# What the scenario is for, stated directly.
states=$(grep -v '^#' "$WORK/got.client" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 $4 }')
[ "$states" = "-ESTAB -ESTAB -ESTAB -ESTAB *CLOSE-WAIT -CLOSE-WAIT -ESTAB -ESTAB" ] ||
	fail "client states: '$states'"
[ "$(grep -c '^# tcp cookie' "$WORK/got.client")" = 2 ] || fail "the reused 4-tuple does not list two lifetimes"
c1=$(grep '^# tcp cookie' "$WORK/got.client" | sed -n 1p | cut -d' ' -f4)
c2=$(grep '^# tcp cookie' "$WORK/got.client" | sed -n 2p | cut -d' ' -f4)
[ -n "$c1" ] && [ "$c1" != "$c2" ] || fail "the two lifetimes share cookie $c1"
grep -q "^# first seen .* (snapshot 1), last seen .* (snapshot 6)$" "$WORK/got.client" ||
	fail "the first lifetime is not snapshots 1 to 6"
grep -q "^# first seen .* (snapshot 8), still open$" "$WORK/got.client" ||
	fail "the second lifetime is not from snapshot 8, still open"
received=$(grep -v '^#' "$WORK/got.server" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $10 }')
[ "$received" = "0 1000 2500 0 - - 0 700" ] || fail "server bytes received per interval: '$received'"

# Bare ports and the cookie find the same lifetimes.
got_table 45000 "$SERVER" >"$WORK/b1"
same_file "$WORK/got.client" "$WORK/b1" "trace 45000 $SERVER"
got_table "$CLIENT" 7002 >"$WORK/b2"
same_file "$WORK/got.client" "$WORK/b2" "trace $CLIENT 7002"
got_table '*:45000' '*:7002' >"$WORK/b3"
same_file "$WORK/got.client" "$WORK/b3" "trace *:45000 *:7002"
hex=$(awk -v l="$CLIENT" '$5 == l { print $1; exit }' "$WORK/ss.1")
got_table --cookie "0x$hex" >"$WORK/c1"
sed -n '1,8p' "$WORK/got.client" >"$WORK/first"
same_file "$WORK/first" "$WORK/c1" "trace --cookie 0x$hex"

# --since/--until keep the lines of the range (and the lifetimes in it);
# the first line counts from the socket's start, as no line precedes it.
got_table "$CLIENT" "$SERVER" --since @3 --until @5 >"$WORK/r"
{ sed -n '1,2p' "$WORK/got.client"; expect_table "$CLIENT" "$SERVER" 3 5 | grep -v '^#'; } >"$WORK/want.r"
same_file "$WORK/want.r" "$WORK/r" "trace --since @3 --until @5"
got_table "$CLIENT" "$SERVER" --since @8 >"$WORK/r8"
sed -n '9,$p' "$WORK/got.client" >"$WORK/want.r8"
same_file "$WORK/want.r8" "$WORK/r8" "trace --since @8"

# ---- JSON and CSV -------------------------------------------------------------------

"$SOCKHIST" --db "$DB" trace "$SERVER" "$CLIENT" --format json >"$WORK/json" 2>"$WORK/err" ||
	fail "trace --format json failed: $(cat "$WORK/err")"
jq1() {
	sqlite3 :memory: "WITH d(j) AS (SELECT CAST(readfile('$WORK/json') AS TEXT)) $1"
}
[ "$(jq1 "SELECT json_valid(j) FROM d")" = 1 ] || fail "trace JSON is not valid"
got=$(jq1 "SELECT json_array_length(j), json_extract(j, '\$[0].first_snapshot'),
	json_extract(j, '\$[0].last_snapshot'), json_extract(j, '\$[0].still_open'),
	json_extract(j, '\$[1].first_snapshot'), json_type(j, '\$[1].last_snapshot'),
	json_extract(j, '\$[1].still_open'), json_extract(j, '\$[0].local_addr'),
	json_extract(j, '\$[0].local_port'), json_extract(j, '\$[0].peer_port'),
	json_extract(j, '\$[0].comm'), json_array_length(j, '\$[0].samples'),
	json_array_length(j, '\$[1].samples') FROM d")
[ "$got" = "2|1|6|0|8||1|127.0.0.3|7002|45000|sockmix|6|2" ] || fail "trace JSON lifetimes: '$got'"
jq1 "SELECT json_extract(value, '\$.snapshot'), json_extract(value, '\$.state'),
	json_extract(value, '\$.state_changed'), json_extract(value, '\$.recv_q'),
	json_extract(value, '\$.bytes_received') FROM d, json_each(j, '\$[0].samples')" >"$WORK/got.js"
grep -v '^#' "$WORK/got.server" | head -6 | awk '
	BEGIN { m["ESTAB"] = "established"; m["FIN-WAIT-2"] = "fin_wait2" }
	{ print $3 "|" m[$4] "|" ($1 == "*") "|" $5 "|" ($10 == "-" ? "" : $10) }' >"$WORK/want.js"
same_file "$WORK/want.js" "$WORK/got.js" "trace JSON samples of the server end"

"$SOCKHIST" --db "$DB" trace "$SERVER" "$CLIENT" --format csv >"$WORK/csv" 2>"$WORK/err" ||
	fail "trace --format csv failed: $(cat "$WORK/err")"
[ "$(head -n 1 "$WORK/csv")" = "cookie,snapshot,time,state,state_changed,recv_q,send_q,rtt_us,snd_cwnd,bytes_sent,bytes_received,retrans" ] ||
	fail "trace CSV header: $(head -n 1 "$WORK/csv")"
[ "$(tail -n +2 "$WORK/csv" | cut -d, -f11 | tr '\n' ' ')" = "0 1000 2500 0   0 700 " ] ||
	fail "trace CSV bytes_received: $(tail -n +2 "$WORK/csv" | cut -d, -f11 | tr '\n' ' ')"
[ "$(tail -n +2 "$WORK/csv" | cut -d, -f2 | tr '\n' ' ')" = "1 2 3 4 5 6 8 9 " ] ||
	fail "trace CSV snapshots: $(tail -n +2 "$WORK/csv" | cut -d, -f2 | tr '\n' ' ')"

# ---- errors -------------------------------------------------------------------------

# err STATUS ARGS...: trace ARGS must fail with STATUS and one line on stderr.
err() {
	want=$1
	shift
	expect_error "$want" trace "$@"
}
err 1 127.0.0.2:1 127.0.0.3:2
grep -q 'no such socket was recorded' "$WORK/err" || fail "a socket never recorded: '$(cat "$WORK/err")'"
err 1 --cookie 1
err 1 "$CLIENT" "$SERVER" --since @7 --until @7
err 1 "$CLIENT" "$SERVER" --since @9 --until @3
err 1 "$CLIENT" "$SERVER" --since @99
err 2 "$CLIENT"
err 2 "$CLIENT" "$SERVER" extra
err 2 host:80 "$SERVER"
err 2 "$CLIENT" 127.0.0.3:70000
err 2 --cookie 12 "$CLIENT" "$SERVER"
err 2 --cookie nope
err 2 "$CLIENT" "$SERVER" --since yesterday
err 2 "$CLIENT" "$SERVER" --format yaml

finish
