#!/bin/sh
# closed.sh — connections that open and close between two snapshots:
# sockhistd records the kernel's destroy events, `sockhist closed` lists
# them (both ends, short-lived, final byte counters), a connection a
# snapshot saw gets its exact close time, --close-events tcp leaves UDP
# out, the FILTER selects as ss does, JSON/CSV keys, one-line errors.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
DB="$WORK/c.db"
N=50
SEND=1000
RECV=300

# Poll until `SQL` on $DB answers at least $2 (the recorder stores close
# events within a second); fail after 15 s.
wait_rows() {
	for _ in $(seq 150); do
		[ "$(sqlite3 "$DB" "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "timed out waiting for $2 rows of: $1"
}

# A connection that the first snapshot will see, closed after it.
mix_cmd connect 127.0.0.1 127.0.0.1 7200
seen_conn=${MIX_ANSWER#conn }
ip netns exec "$NS" "$SOCKHISTD" --db "$DB" --interval 30s 2>"$WORK/d.err" &
D=$!
wait_rows 'SELECT count(*) FROM frame' 1

# The burst: N connections opened and closed within one interval, and
# five UDP sockets; then the seen connection is aborted.
mix_cmd burst tcp 127.0.0.1 7100 $N $SEND $RECV
mix_cmd burst udp 127.0.0.1 7300 5 10 0
mix_cmd close "$seen_conn"
wait_rows 'SELECT count(*) FROM closed' $((2 * N + 5 + 2))
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM frame')" = 1 ] ||
	fail "more than one snapshot: the burst was not between two snapshots"

# Every burst connection, both ends, short-lived, with its bytes: a
# client sent SEND and received RECV plus the server's FIN; the server the
# other way round.
"$SOCKHIST" --db "$DB" closed -tn --format csv 'dport = :7100' \
	>"$WORK/clients.csv" 2>"$WORK/err" || fail "closed (clients) failed: $(cat "$WORK/err")"
"$SOCKHIST" --db "$DB" closed -tn --format csv 'sport = :7100' \
	>"$WORK/servers.csv" 2>>"$WORK/err" || fail "closed (servers) failed: $(cat "$WORK/err")"
# The column numbers of the keys this test reads.
col() { head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }
for side in clients servers; do
	f="$WORK/$side.csv"
	[ "$(tail -n +2 "$f" | wc -l)" = $N ] ||
		fail "$side: $(tail -n +2 "$f" | wc -l) rows, expected $N"
	s=$(col "$f" bytes_sent) r=$(col "$f" bytes_received) l=$(col "$f" short_lived)
	if [ $side = clients ]; then want="$SEND $((RECV + 1))"; else want="$RECV $((SEND + 1))"; fi
	bad=$(tail -n +2 "$f" | awk -F, -v s="$s" -v r="$r" -v l="$l" -v w="$want" \
		'$s " " $r != w || $l != "true"' | wc -l)
	[ "$bad" = 0 ] || fail "$side: $bad rows without bytes '$want' or not short-lived"
done
# The client ports are the ones the servers talked to.
cut -d, -f"$(col "$WORK/clients.csv" local_port)" "$WORK/clients.csv" |
	tail -n +2 | sort >"$WORK/cports"
cut -d, -f"$(col "$WORK/servers.csv" peer_port)" "$WORK/servers.csv" |
	tail -n +2 | sort >"$WORK/sports"
same_file "$WORK/cports" "$WORK/sports" "client ports vs the servers' peers"

# --short-lived lists them all; the seen connection is not among them.
n_short=$("$SOCKHIST" --db "$DB" closed --short-lived --format csv -H -t | wc -l)
[ "$n_short" = $((2 * N)) ] || fail "--short-lived: $n_short rows, expected $((2 * N))"

# The seen connection: not short-lived, its close time exact and on its
# lifetime row, opened at the first snapshot.
"$SOCKHIST" --db "$DB" closed -tn --format json 'dport = :7200 or sport = :7200' \
	>"$WORK/seen.json" || fail "closed (seen) failed"
[ "$(grep -c '"short_lived":false' "$WORK/seen.json")" = 2 ] ||
	fail "the seen connection's two ends are not listed as seen: $(cat "$WORK/seen.json")"
t_frame=$(sqlite3 "$DB" 'SELECT time_ns FROM frame WHERE id = 1')
linked=$(sqlite3 "$DB" "SELECT count(*) FROM sock s JOIN closed c ON
	c.boot = s.boot AND c.netns = s.netns AND c.cookie = s.cookie
	WHERE s.closed_ns = c.closed_ns AND c.seen = 1 AND c.opened_ns = $t_frame
	AND s.closed_ns > $t_frame AND (s.lport = 7200 OR s.rport = 7200)")
[ "$linked" = 2 ] || fail "seen connection: $linked lifetime rows with the exact close time, expected 2"

# UDP is recorded under --close-events all (the default).
n_udp=$("$SOCKHIST" --db "$DB" closed -u -H --format csv 'dport = :7300' | wc -l)
[ "$n_udp" = 5 ] || fail "UDP: $n_udp close events, expected 5"
grep -q '"bytes_sent":null' "$WORK/seen.json" && fail "TCP rows with null bytes"
"$SOCKHIST" --db "$DB" closed -u --format json 'dport = :7300' | grep -q '"bytes_sent":null' ||
	fail "UDP rows without bytes_sent null"

# The FILTER selects as in ss: compare a few filters with what they must
# keep of the burst.
for f in 'sport = :7100|50' 'dport = :7100|50' 'dport > :7000 and dport < :7200|50' \
	'src 127.0.0.1 and ( sport = :7100 or dport = :7100 )|100' \
	'dst 127.0.0.2|0'; do
	want=${f##*|}
	got=$("$SOCKHIST" --db "$DB" closed -t -H --format csv "${f%|*}" | wc -l)
	[ "$got" = "$want" ] || fail "filter '${f%|*}': $got rows, expected $want"
done

# State terms: a closed TCP connection is in state closed (ss: UNCONN).
got=$("$SOCKHIST" --db "$DB" closed -H --format csv state closed 'sport = :7100' | wc -l)
[ "$got" = $N ] || fail "state closed: $got rows, expected $N"
got=$("$SOCKHIST" --db "$DB" closed -t -H --format csv state established | wc -l)
[ "$got" = 0 ] || fail "TCP state established: $got rows, expected 0"
# A connected UDP socket is freed in ss's ESTAB.
got=$("$SOCKHIST" --db "$DB" closed -H --format csv state established | wc -l)
[ "$got" = 5 ] || fail "state established: $got rows, expected the 5 UDP ones"

# JSON and CSV carry show's keys plus the event's.
"$SOCKHIST" --db "$DB" show -tan --format csv | head -1 >"$WORK/show.keys"
"$SOCKHIST" --db "$DB" closed -t --format csv | head -1 >"$WORK/closed.keys"
[ "$(cat "$WORK/closed.keys")" = "$(cat "$WORK/show.keys"),opened_at,closed_at,bytes_sent,bytes_received,short_lived" ] ||
	fail "CSV keys: $(cat "$WORK/closed.keys")"
"$SOCKHIST" --db "$DB" closed -t --format json 'sport = :7100' | sed -n 2p >"$WORK/row.json"
for k in cookie netid state local_port peer_port tcpi_bytes_sent opened_at closed_at bytes_sent bytes_received short_lived; do
	grep -q "\"$k\":" "$WORK/row.json" || fail "JSON key $k missing"
done

# The table: ss's rows with the event's line under each.
"$SOCKHIST" --db "$DB" closed -tn 'sport = :7100' >"$WORK/table"
[ "$(grep -c '^tcp *UNCONN\|^UNCONN' "$WORK/table")" = $N ] || fail "table: not $N rows"
[ "$(grep -c 'duration <.* sent 300 received 1001 short-lived' "$WORK/table")" = $N ] ||
	fail "table: event lines: $(sed -n 2,3p "$WORK/table")"

# Bad input: one line, non-zero.
expect_error 2 closed --since yesterday-ish
expect_error 2 closed 'sport = :notaport'
expect_error 2 closed --format xml
expect_error 1 closed --since 10:00 --until 09:00

kill -TERM "$D"
wait "$D" || fail "sockhistd exited non-zero"
# (Dumps this kernel has no sock_diag module for are said once: no error.)
[ -s "$WORK/d.err" ] && grep -v 'recording every' "$WORK/d.err" |
	grep -v 'has no sock_diag support for it' | grep . &&
	fail "sockhistd logged: $(cat "$WORK/d.err")"

# Lost events are reported for the range they fall in (a batch row as
# the recorder writes one when the kernel dropped events).
cp "$DB" "$WORK/lost.db"
now=$(date +%s%N)
sqlite3 "$WORK/lost.db" "INSERT INTO closed_batch (time_ns, since_ns, boot,
	netns_ino, n, lost) SELECT $now, $now - 1000000000, boot, netns_ino, 0,
	7 FROM closed_batch LIMIT 1"
"$SOCKHIST" --db "$WORK/lost.db" closed -t -H >/dev/null 2>"$WORK/err" ||
	fail "closed on lost.db failed"
grep -q '^sockhist: 7 close events were lost between ' "$WORK/err" ||
	fail "lost events not reported: $(cat "$WORK/err")"
"$SOCKHIST" --db "$WORK/lost.db" closed --until -1h -H >/dev/null 2>"$WORK/err"
[ -s "$WORK/err" ] && fail "lost events reported outside their range: $(cat "$WORK/err")"

# diff --with-closed: a second snapshot, then the burst is the short-lived
# section between the two, and the seen connection's row has its close.
in_ns "$SOCKHISTD" --once --db "$DB" 2>/dev/null || fail "sockhistd --once failed"
"$SOCKHIST" --db "$DB" diff @1 @2 -tn --with-closed \
	'sport = :7100 or dport = :7100 or sport = :7200 or dport = :7200' \
	>"$WORK/diff" 2>"$WORK/err" || fail "diff --with-closed failed: $(cat "$WORK/err")"
grep -q "^# short-lived: opened and closed between snapshot 1 and snapshot 2" "$WORK/diff" ||
	fail "diff: no short-lived section"
grep -q ", $((2 * N)) short-lived between snapshot 1" "$WORK/diff" ||
	fail "diff totals: $(tail -1 "$WORK/diff")"
[ "$(grep -c 'short-lived$' "$WORK/diff")" = $((2 * N)) ] || fail "diff: not $((2 * N)) short-lived notes"
sed -n '/^# closed:/,/^# changed:/p' "$WORK/diff" | grep -q '^	opened .* closed .* duration [0-9]' ||
	fail "diff: the seen connection's close is not under its row"
n=$("$SOCKHIST" --db "$DB" diff @1 @2 -t --with-closed --format csv 'dport = :7100' |
	grep -c '^short-lived,')
[ "$n" = $N ] || fail "diff CSV: $n short-lived rows, expected $N"
"$SOCKHIST" --db "$DB" diff @1 @2 -t --with-closed --format json 'dport = :7100' |
	grep -q '"short_lived":\[' || fail "diff JSON: no short_lived list"

# hist --closed: the burst's connections per bucket (they may straddle a
# bucket boundary: the maxes of group 7100 add up).
"$SOCKHIST" --db "$DB" hist --closed -t --by dport --step 1m --format csv \
	'dport = :7100' >"$WORK/hist.csv" 2>"$WORK/err" || fail "hist --closed failed: $(cat "$WORK/err")"
sum=$(awk -F, '$2 == "7100" { s += $3 } END { print s + 0 }' "$WORK/hist.csv")
[ "$sum" = $N ] || fail "hist --closed: $sum connections to 7100, expected $N"

# trace --with-closed: a burst client is found (no snapshot saw it) with
# its close time and final counters; the seen connection's trace ends
# with its close.
cport=$(sed -n 2p "$WORK/clients.csv" | cut -d, -f"$(col "$WORK/clients.csv" local_port)")
"$SOCKHIST" --db "$DB" trace "$cport" 127.0.0.1:7100 --with-closed --format csv \
	>"$WORK/trace.csv" 2>"$WORK/err" || fail "trace --with-closed failed: $(cat "$WORK/err")"
# (snapshot 2 may show the client's TIME-WAIT, a lifetime of its own)
[ "$(awk -F, '$2 == ""' "$WORK/trace.csv" | cut -d, -f10,11)" = "$SEND,$((RECV + 1))" ] ||
	fail "trace of a short-lived client: $(cat "$WORK/trace.csv")"
"$SOCKHIST" --db "$DB" trace "$cport" 127.0.0.1:7100 --format csv 2>/dev/null |
	awk -F, '$2 == ""' | grep -q . &&
	fail "trace without --with-closed shows a close event"
cookie=$(sqlite3 "$DB" "SELECT cookie FROM sock WHERE lport = 7200 AND closed_ns IS NOT NULL")
"$SOCKHIST" --db "$DB" trace --cookie "$cookie" --with-closed >"$WORK/trace" ||
	fail "trace --cookie --with-closed failed"
tail -1 "$WORK/trace" | grep -q ' closed ' || fail "seen trace does not end closed: $(cat "$WORK/trace")"

# --close-events tcp: no UDP events (a TCP burst after the UDP one marks
# the point by which they would have been stored).
DB="$WORK/tcp.db"
ip netns exec "$NS" "$SOCKHISTD" --db "$DB" --interval 30s --close-events tcp 2>/dev/null &
D=$!
wait_rows 'SELECT count(*) FROM frame' 1
mix_cmd burst udp 127.0.0.1 7301 5 10 0
mix_cmd burst tcp 127.0.0.1 7101 3 10 10
wait_rows 'SELECT count(*) FROM closed' 6
n_udp=$("$SOCKHIST" --db "$DB" closed -u -H --format csv | wc -l)
[ "$n_udp" = 0 ] || fail "--close-events tcp recorded $n_udp UDP events"
kill -TERM "$D"
wait "$D" || true

# --close-events off: no events at all; a bad value is refused.
DB="$WORK/off.db"
ip netns exec "$NS" "$SOCKHISTD" --db "$DB" --interval 30s --close-events off 2>/dev/null &
D=$!
wait_rows 'SELECT count(*) FROM frame' 1
mix_cmd burst tcp 127.0.0.1 7102 3 10 10
kill -TERM "$D"
wait "$D" || true
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM closed')" = 0 ] || fail "--close-events off recorded events"
"$SOCKHISTD" --close-events udp --once --db "$WORK/x.db" 2>"$WORK/e" && fail "--close-events udp accepted"
[ "$(wc -l <"$WORK/e")" = 1 ] || fail "--close-events udp: $(cat "$WORK/e")"

# A format-3 file has no close events: said in one line.
cp "$FIX/format-v3.db" "$WORK/v3.db"
DB="$WORK/v3.db"
expect_error 1 closed
grep -q 'not recorded in this file (format 3)' "$WORK/err" || fail "format 3: $(cat "$WORK/err")"

finish
