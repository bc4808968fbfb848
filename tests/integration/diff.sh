#!/bin/sh
# diff.sh — `sockhist diff` against what `ss -tanHe` listed at each snapshot.
# In a private namespace sockmix opens connections, aborts some (RST),
# leaves one in CLOSE-WAIT (hangup), one in TIME-WAIT (fin), queues data
# (send), and opens IPv6 ones, with a `sockhistd --once` snapshot between
# the steps.  ss runs just before and after each snapshot (the mix is idle
# then, so both must agree).  From ss's rows alone (cookies are ss -e's
# sk:) the test computes which sockets were opened, closed and changed
# (another state, or a queue crossing the threshold; a listener's full
# accept queue), then checks `diff -ta` for several pairs and thresholds:
#   CSV   the exact set of (change, cookie, state, queues, before values),
#         and the header: change, show's columns, before_*;
#   table the rows of each section as ss printed them, each changed row's
#         "was:" line, and the exact totals line;
#   JSON  snapshot ids, list lengths, before/after of every changed socket,
#         an opened socket's object equal to show's;
#   --by  `-t --by peer state established` against the groups computed from
#         ss (CSV exactly, the table's rows);
# then FROM after TO (reversed), and the errors.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
DB="$WORK/d.db"

# One ss line per TCP socket: cookie (hex) state recv-q send-q local peer.
ss_rows() {
	in_ns ss -tanHe 2>/dev/null | awk '{
		ck = "?"
		for (i = 6; i <= NF; i++)
			if ($i ~ /^sk:/)
				ck = substr($i, 4)
		print ck, $1, $2, $3, $4, $5
	}' | LC_ALL=C sort
}


# expect A B T: the diff of ss.A and ss.B with queue threshold T, as
# "change cookie state rq sq before-state before-rq before-sq" lines.
expect() {
	awk -v T="$3" '
	function crossed(a, b) { return T > 0 && ((a >= T) != (b >= T)) }
	function changed(k,   s1, s2) {
		split(A[k], s1, " ")
		split(B[k], s2, " ")
		if (s1[1] != s2[1])
			return 1
		if (T == 0)
			return 0
		if (s2[1] == "LISTEN")
			return (s1[2] > s1[3]) != (s2[2] > s2[3])
		return crossed(s1[2], s2[2]) || crossed(s1[3], s2[3])
	}
	FNR == NR { A[$1] = $2 " " $3 " " $4; next }
	{ B[$1] = $2 " " $3 " " $4 }
	END {
		for (k in B)
			if (!(k in A))
				print "opened", k, B[k], "- - -"
		for (k in A)
			if (!(k in B))
				print "closed", k, A[k], "- - -"
			else if (changed(k))
				print "changed", k, B[k], A[k]
	}' "$WORK/ss.$1" "$WORK/ss.$2" | LC_ALL=C sort
}

# The same lines from `sockhist diff @A @B -ta [ARGS] --format csv`.
got_csv() {
	a=$1 b=$2
	shift 2
	"$SOCKHIST" --db "$DB" diff "@$a" "@$b" -ta "$@" --format csv \
		>"$WORK/csv" 2>"$WORK/err" ||
		fail "diff @$a @$b $* --format csv failed: $(cat "$WORK/err")"
	awk -F, '
	BEGIN {
		split("established syn_sent syn_recv fin_wait1 fin_wait2 " \
		      "time_wait unconnected close_wait last_ack listening " \
		      "closing", k, " ")
		split("ESTAB SYN-SENT SYN-RECV FIN-WAIT-1 FIN-WAIT-2 " \
		      "TIME-WAIT UNCONN CLOSE-WAIT LAST-ACK LISTEN CLOSING", n, " ")
		for (i in k)
			ss[k[i]] = n[i]
		ss[""] = "-"
	}
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		printf "%s %x %s %s %s %s %s %s\n", $col["change"], $col["cookie"],
		       ss[$col["state"]], $col["recv_q"], $col["send_q"],
		       ss[$col["before_state"]],
		       $col["before_recv_q"] == "" ? "-" : $col["before_recv_q"],
		       $col["before_send_q"] == "" ? "-" : $col["before_send_q"]
	}' "$WORK/csv" | LC_ALL=C sort
}

# Check the CSV of diff A B (threshold T; ARGS passed on) against ss.
check_csv() {
	a=$1 b=$2 t=$3
	shift 3
	expect "$a" "$b" "$t" >"$WORK/want"
	got_csv "$a" "$b" "$@" >"$WORK/got"
	same_file "$WORK/want" "$WORK/got" "diff @$a @$b $* (threshold $t) differs from ss"
}


# The totals line diff must print for the expected lines in $WORK/want.
totals() {
	printf '%s opened, %s closed, %s changed between snapshot %s (%s) and snapshot %s (%s)\n' \
		"$(grep -c '^opened' "$WORK/want")" "$(grep -c '^closed' "$WORK/want")" \
		"$(grep -c '^changed' "$WORK/want")" "$1" "$(frame_time "$1")" \
		"$2" "$(frame_time "$2")"
}

# The table of diff A B -ta: each section's rows (squeezed) and each
# changed row's "was:" line, against ss; then the totals line.
check_table() {
	a=$1 b=$2
	expect "$a" "$b" 65536 >"$WORK/want"
	"$SOCKHIST" --db "$DB" diff "@$a" "@$b" -ta >"$WORK/table" 2>"$WORK/err" ||
		fail "diff @$a @$b -ta failed: $(cat "$WORK/err")"
	awk -v A="$WORK/ss.$a" -v B="$WORK/ss.$b" '
	BEGIN {
		while ((getline l < A) > 0) { split(l, f, " "); ra[f[1]] = l }
		while ((getline l < B) > 0) { split(l, f, " "); rb[f[1]] = l }
	}
	function row(l,   f) { split(l, f, " "); return f[2] " " f[3] " " f[4] " " f[5] " " f[6] }
	function was(l,   f) { split(l, f, " "); return "was: " f[2] " Recv-Q " f[3] " Send-Q " f[4] }
	$1 == "opened" { print "opened", row(rb[$2]) }
	$1 == "closed" { print "closed", row(ra[$2]) }
	$1 == "changed" { print "changed", row(rb[$2]), "|", was(ra[$2]) }
	' "$WORK/want" | LC_ALL=C sort >"$WORK/want.rows"
	awk '
	/^# opened:/ { s = "opened"; next }
	/^# closed:/ { s = "closed"; next }
	/^# changed:/ { s = "changed"; next }
	/^State / { next }
	/^\twas: / { sub(/^\t/, ""); sub(/[ \t]+$/, ""); rows[n] = rows[n] " | " $0; next }
	/ opened, / { next }
	{ rows[++n] = s " " $1 " " $2 " " $3 " " $4 " " $5 }
	END { for (i = 1; i <= n; i++) print rows[i] }' "$WORK/table" |
		LC_ALL=C sort >"$WORK/got.rows"
	same_file "$WORK/want.rows" "$WORK/got.rows" "diff @$a @$b -ta table rows differ from ss"
	totals "$a" "$b" >"$WORK/want.total"
	tail -n 1 "$WORK/table" >"$WORK/got.total"
	same_file "$WORK/want.total" "$WORK/got.total" "diff @$a @$b totals line"
}

# One answer of sqlite3 over the JSON document in $WORK/json ("j").
jq1() {
	sqlite3 :memory: "WITH d(j) AS (SELECT CAST(readfile('$WORK/json') AS TEXT)) $1"
}

# The JSON of diff A B -ta against ss (and show's objects).
check_json() {
	a=$1 b=$2
	expect "$a" "$b" 65536 >"$WORK/want"
	"$SOCKHIST" --db "$DB" diff "@$a" "@$b" -ta --format json >"$WORK/json" 2>"$WORK/err" ||
		fail "diff @$a @$b --format json failed: $(cat "$WORK/err")"
	[ "$(jq1 "SELECT json_valid(j) FROM d")" = 1 ] || { fail "diff @$a @$b: invalid JSON"; return; }
	got=$(jq1 "SELECT json_extract(j, '\$.from_snapshot'), json_extract(j, '\$.to_snapshot'),
		json_array_length(j, '\$.opened'), json_array_length(j, '\$.closed'),
		json_array_length(j, '\$.changed'), json_extract(j, '\$.queue_threshold') FROM d")
	want="$a|$b|$(grep -c '^opened' "$WORK/want")|$(grep -c '^closed' "$WORK/want")|$(grep -c '^changed' "$WORK/want")|65536"
	[ "$got" = "$want" ] || fail "diff @$a @$b JSON: '$got', expected '$want'"
	jq1 "SELECT printf('%x', json_extract(value, '\$.cookie')),
		json_extract(value, '\$.after.state') = json_extract(value, '\$.state'),
		json_extract(value, '\$.before.state'), json_extract(value, '\$.before.recv_q'),
		json_extract(value, '\$.before.send_q'), json_extract(value, '\$.after.recv_q')
		FROM d, json_each(j, '\$.changed')" | LC_ALL=C sort >"$WORK/got.changed"
	awk '$1 == "changed" {
		m["ESTAB"] = "established"; m["CLOSE-WAIT"] = "close_wait"
		m["TIME-WAIT"] = "time_wait"; m["FIN-WAIT-2"] = "fin_wait2"
		m["FIN-WAIT-1"] = "fin_wait1"; m["LAST-ACK"] = "last_ack"
		m["LISTEN"] = "listening"; m["CLOSING"] = "closing"
		print $2 "|1|" m[$6] "|" $7 "|" $8 "|" $4
	}' "$WORK/want" | LC_ALL=C sort >"$WORK/want.changed"
	same_file "$WORK/want.changed" "$WORK/got.changed" "diff @$a @$b JSON changed before/after"
	n=$(jq1 "SELECT count(*) FROM d, json_each(j, '\$.opened') WHERE
		json_type(value, '\$.before') IS NOT NULL OR json_type(value, '\$.after') IS NOT NULL")
	[ "$n" = 0 ] || fail "diff @$a @$b JSON: $n opened sockets carry before/after"
	ck=$(jq1 "SELECT json_extract(j, '\$.opened[0].cookie') FROM d")
	[ -n "$ck" ] || return 0
	"$SOCKHIST" --db "$DB" show --snapshot "$b" -ta --format json 2>/dev/null |
		grep "\"cookie\":$ck," >"$WORK/show.obj"
	grep "\"cookie\":$ck," "$WORK/json" >"$WORK/diff.obj"
	same_file "$WORK/show.obj" "$WORK/diff.obj" "diff @$a @$b: an opened socket's JSON differs from show's"
}

# The groups of `diff A B -t --by peer state established` from ss: CSV
# lines ordered by |delta|, then opened + closed + changed, then peer.
expect_by_peer() {
	awk '
	function peer(e) { sub(/:[^:]*$/, "", e); gsub(/[][]/, "", e); return e }
	function tally(g, what) { G[g] = 1; C[g, what]++ }
	FNR == NR { A[$1] = $2; QA[$1] = $3 " " $4; PA[$1] = peer($6); next }
	{ B[$1] = $2; QB[$1] = $3 " " $4; PB[$1] = peer($6) }
	END {
		for (k in A) if (A[k] == "ESTAB") tally(PA[k], "from")
		for (k in B) if (B[k] == "ESTAB") tally(PB[k], "to")
		for (k in B) if (!(k in A) && B[k] == "ESTAB") tally(PB[k], "opened")
		for (k in A) {
			if (!(k in B)) {
				if (A[k] == "ESTAB") tally(PA[k], "closed")
				continue
			}
			split(QA[k], qa, " "); split(QB[k], qb, " ")
			ch = A[k] != B[k] || (qa[1] >= 65536) != (qb[1] >= 65536) ||
			     (qa[2] >= 65536) != (qb[2] >= 65536)
			if (!ch || (A[k] != "ESTAB" && B[k] != "ESTAB"))
				continue
			if (A[k] == "ESTAB") tally(PA[k], "changed")
			if (B[k] == "ESTAB" && (A[k] != "ESTAB" || PA[k] != PB[k]))
				tally(PB[k], "changed")
		}
		for (g in G) {
			d = C[g, "to"] - C[g, "from"]
			act = C[g, "opened"] + C[g, "closed"] + C[g, "changed"]
			printf "%d %d %s %s,%d,%d,%d,%d,%d,%d\n", d < 0 ? -d : d, act, g,
			       g, C[g, "from"], C[g, "to"], d, C[g, "opened"],
			       C[g, "closed"], C[g, "changed"]
		}
	}' "$WORK/ss.$1" "$WORK/ss.$2" | LC_ALL=C sort -k1,1nr -k2,2nr -k3,3 | cut -d' ' -f4
}

# --by peer: CSV exactly, and the table's rows.
check_by() {
	a=$1 b=$2
	{ echo "group,from,to,delta,opened,closed,changed"; expect_by_peer "$a" "$b"; } >"$WORK/want.by"
	"$SOCKHIST" --db "$DB" diff "@$a" "@$b" -t --by peer state established \
		--format csv >"$WORK/got.by" 2>"$WORK/err" ||
		fail "diff --by peer --format csv failed: $(cat "$WORK/err")"
	same_file "$WORK/want.by" "$WORK/got.by" "diff @$a @$b --by peer (CSV) differs from ss"
	[ "$(wc -l <"$WORK/want.by")" -ge 3 ] || fail "diff @$a @$b --by peer: fewer than 2 groups to check"
	{
		echo "Peer address From To Delta Opened Closed Changed"
		tail -n +2 "$WORK/want.by" | awk -F, '{ print $1, $2, $3, ($4 > 0 ? "+" : "") $4, $5, $6, $7 }'
	} >"$WORK/want.bytable"
	"$SOCKHIST" --db "$DB" diff "@$a" "@$b" -t --by peer state established \
		>"$WORK/bytable" 2>"$WORK/err" || fail "diff --by peer failed: $(cat "$WORK/err")"
	sed '$d' "$WORK/bytable" | tr -s ' ' >"$WORK/got.bytable"
	same_file "$WORK/want.bytable" "$WORK/got.bytable" "diff @$a @$b --by peer table"
}

# ---- the scenario -------------------------------------------------------------

snap                                            # 1: the mix
mix_cmd connect 127.0.0.2 127.0.0.3 7001 6      # connections 0..5
snap                                            # 2
mix_cmd close 0
mix_cmd close 1
mix_cmd hangup 2
mix_cmd fin 3
mix_cmd send 4 3000
mix_cmd send 5 65536
snap                                            # 3
mix_cmd connect ::1 ::1 7002 2                  # connections 6, 7
mix_cmd close 4
mix_cmd drain 5
snap                                            # 4

for pair in "1 2" "2 3" "3 4" "1 4" "3 2" "4 1"; do
	# shellcheck disable=SC2086
	check_csv $pair 65536
	# shellcheck disable=SC2086
	check_table $pair
done
check_csv 2 3 3000 --queue 3000
check_csv 2 3 3001 --queue 3001
check_csv 2 3 0 --queue 0
check_csv 3 4 0 --queue=0
check_json 2 3
check_json 3 4
check_by 2 3
check_by 1 4

# Guards: the steps did what they are for.
expect 2 3 65536 >"$WORK/w23"
grep -q '^changed .* CLOSE-WAIT 1 0 ESTAB 0 0$' "$WORK/w23" || fail "no ESTAB -> CLOSE-WAIT in 2..3"
grep -q '^changed .* ESTAB 65536 0 ESTAB 0 0$' "$WORK/w23" || fail "no queue over 64 KiB in 2..3"
[ "$(grep -c '^closed' "$WORK/w23")" -ge 4 ] || fail "fewer than 4 sockets closed in 2..3"
grep -q ' TIME-WAIT ' "$WORK/ss.3" || fail "no TIME-WAIT in snapshot 3"

# The CSV header: change, show's columns, the before values.
"$SOCKHIST" --db "$DB" show --snapshot 2 --format csv 2>/dev/null | head -n 1 >"$WORK/show.head"
head -n 1 "$WORK/csv" >"$WORK/diff.head"
echo "change,$(cat "$WORK/show.head"),before_state,before_recv_q,before_send_q" >"$WORK/want.head"
same_file "$WORK/want.head" "$WORK/diff.head" "diff CSV header"

# The default selection is every table: TCP alone changed in the mix.
"$SOCKHIST" --db "$DB" diff @2 @3 --format csv 2>/dev/null | tail -n +2 | cut -d, -f1,2 >"$WORK/all"
grep -qv ',tcp$' "$WORK/all" && fail "diff @2 @3 lists non-TCP sockets: $(grep -v ',tcp$' "$WORK/all" | head -3)"
[ "$(wc -l <"$WORK/all")" = "$(got_csv 2 3 | wc -l)" ] || fail "diff @2 @3 and diff @2 @3 -ta list different sockets"

# A relative TIME is FROM or TO, not flags: a second after the last
# snapshot, -1s is snapshot 4; -1h is before every snapshot.
sleep 1.1
"$SOCKHIST" --db "$DB" diff -ta @1 @4 --format csv >"$WORK/abs" 2>/dev/null
"$SOCKHIST" --db "$DB" diff -ta @1 -1s --format csv >"$WORK/rel" 2>/dev/null ||
	fail "diff -ta @1 -1s failed"
same_file "$WORK/abs" "$WORK/rel" "diff @1 -1s (a relative TIME operand)"
"$SOCKHIST" --db "$DB" diff -1h @2 -t >/dev/null 2>"$WORK/err" &&
	fail "diff -1h @2 succeeded"
grep -q 'unknown option' "$WORK/err" && fail "diff -1h @2 read -1h as flags"

# ---- errors: one line on stderr, the exit status ----------------------------------

# err STATUS ARGS...: diff ARGS must fail with STATUS and one line on stderr.
err() {
	want=$1
	shift
	expect_error "$want" diff "$@"
}
err 2
err 2 @1
err 2 @1 nonsense-time
err 2 @1 @2 dport = :notaport
err 2 @1 @2 --by colour
err 2 @1 @2 --queue -5
err 2 @1 @2 --format xml
err 1 @1 @99
err 1 @3 @3
"$SOCKHIST" --db "$DB" diff @1 @1 2>&1 | grep -q 'FROM and TO are both snapshot 1' ||
	fail "diff @1 @1 does not say why"
err 1 2000-01-01T00:00:00Z @2
: >"$WORK/empty.db"
"$SOCKHIST" --db "$WORK/empty.db" diff @1 @2 >/dev/null 2>&1 && fail "diff on an empty file succeeded"

finish
