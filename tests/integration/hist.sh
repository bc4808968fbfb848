#!/bin/sh
# hist.sh — `sockhist hist` over real sockets, checked against ss.  sockmix
# holds its mix in a private namespace; between snapshots (`sockhistd
# --once`, one frame each, a second apart) the test opens connections to
# 127.0.0.3:8080 and 127.0.0.5:9090, aborts some (RST), closes some
# gracefully (the client end in TIME-WAIT) and leaves some half closed (the
# client end in CLOSE-WAIT).  Right after each snapshot ss lists the
# namespace's sockets, and every expected row is computed from those
# lists: per snapshot the count of each group, folded into buckets as hist
# documents it (max over the bucket's snapshots, mean with a snapshot
# without the group counting 0), for
#   --by state             every socket (the stored counts), 1 s buckets
#                          (one snapshot each) and 1 h buckets (max, mean);
#   the same by a scan     an always-true expression forces a scan: the
#                          rows must be the same;
#   --by dport / sport     CLOSE-WAIT and ESTAB TCP sockets (scans);
#   --by peer              every TCP socket to port 8080 (a scan);
#   the one-liner          `state close-wait dport = :8080` per bucket.
. "$TESTS_DIR/integration/lib.sh"

command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

netns_create
mix_start
DB="$WORK/h.db"
N=0

# ss in the namespace, numeric, no header.
ss_ns() {
	in_ns ss -nH "$@" 2>/dev/null
}

# Take snapshot N+1 and, right after, ss's lists of it; then wait for the
# next second, so every snapshot has a 1 s bucket of its own.
snap() {
	N=$((N + 1))
	in_ns "$SOCKHISTD" --once --db "$DB" 2>"$WORK/d.err" ||
		{ fail "sockhistd --once: $(cat "$WORK/d.err")"; finish; }
	ss_ns -tuwxa >"$WORK/all.$N"
	ss_ns -t state close-wait >"$WORK/cw.$N"
	ss_ns -t state established >"$WORK/est.$N"
	ss_ns -ta 'dport = :8080' >"$WORK/to8080.$N"
	ss_ns -t state close-wait 'dport = :8080' >"$WORK/cw8080.$N"
	t=$(date +%s)
	while [ "$(date +%s)" = "$t" ]; do sleep 0.05; done
}

mix_cmd connect 127.0.0.2 127.0.0.3 8080 6    # connections 0-5
mix_cmd connect 127.0.0.4 127.0.0.5 9090 2    # 6-7
snap
mix_cmd close 0
mix_cmd hangup 1
mix_cmd hangup 2
mix_cmd fin 3
mix_cmd fin 6
snap
mix_cmd close 1
mix_cmd hangup 4
mix_cmd connect 127.0.0.2 127.0.0.3 8080 3    # 8-10
snap
mix_cmd fin 8
mix_cmd fin 9
mix_cmd hangup 7
mix_cmd hangup 10
snap

# The snapshots' times in seconds, in order.
sqlite3 "$DB" "SELECT time_ns / 1000000000 FROM frame ORDER BY id" \
	>"$WORK/times"
[ "$(wc -l <"$WORK/times")" -eq "$N" ] ||
	{ fail "expected $N frames, got $(wc -l <"$WORK/times")"; finish; }
SINCE=$(head -n 1 "$WORK/times")
UNTIL=$(tail -n 1 "$WORK/times")

# counts FILE AWK-EXPR: "snapshot group n" lines, one per group the
# expression (a field of each of ss's lines) names in FILE.1 .. FILE.N.
counts() {
	for i in $(seq "$N"); do
		awk -v i="$i" "{ n[$2]++ } END { for (g in n) print i, g, n[g] }" \
			"$WORK/$1.$i"
	done
}

# expect STEP: the rows hist must print (sorted CSV without header) for
# the "snapshot group n" lines on stdin, snapshots at the times in
# $WORK/times and buckets of STEP seconds: every group in every bucket,
# max over the bucket's snapshots, mean over them (two decimals at most,
# no trailing zeros; a snapshot without the group counts as 0).
expect() {
	while read -r t; do
		date -u -d "@$((t - t % $1))" +%Y-%m-%dT%H:%M:%SZ
	done <"$WORK/times" >"$WORK/buckets"
	awk -v buckets="$WORK/buckets" '
	function mean(x,   s) {
		s = sprintf("%.2f", x)
		sub(/0+$/, "", s)
		sub(/\.$/, "", s)
		return s
	}
	BEGIN {
		while ((getline b <buckets) > 0) {
			bucket[++k] = b
			if (!(b in snaps))
				order[++nb] = b
			snaps[b]++
		}
	}
	{
		b = bucket[$1]
		groups[$2] = 1
		sum[b, $2] += $3
		if ($3 > max[b, $2])
			max[b, $2] = $3
	}
	END {
		for (j = 1; j <= nb; j++)
			for (g in groups) {
				b = order[j]
				printf "%s,%s,%d,%s\n", b, g, max[b, g] + 0,
				       mean(sum[b, g] / snaps[b])
			}
	}' | sort
}

# check LABEL STEP EXPECTED-FILE HIST-ARGS...: hist's CSV rows (sorted) must
# equal the expected ones.
check() {
	label=$1 step=$2 want=$3
	shift 3
	if ! "$SOCKHIST" --db "$DB" hist --since "$SINCE" --until "$UNTIL" \
		--step "$step" --format csv -H "$@" >"$WORK/got.raw" \
		2>"$WORK/got.err"; then
		fail "$label: hist failed: $(cat "$WORK/got.err")"
		return
	fi
	sort "$WORK/got.raw" >"$WORK/got"
	same_file "$want" "$WORK/got" "$label"
	[ -s "$want" ] || fail "$label: nothing expected (the scenario is wrong)"
}

# ---- by state: every inet and unix socket (ss -tuwxa; -A sets no
# preferred family as -x would), from the stored counts and by a scan ----
counts all '$2' >"$WORK/c.state"
for step in 1 3600; do
	expect "$step" <"$WORK/c.state" >"$WORK/want.state.$step"
	check "--by state, step $step" "$step" "$WORK/want.state.$step" -A inet,unix
	check "--by state by a scan, step $step" "$step" \
		"$WORK/want.state.$step" -A inet,unix 'sport >= :0'
done

# ---- by port and peer: scans with filters ---------------------------------
counts cw 'substr($4, match($4, /[0-9]+$/))' >"$WORK/c.cw"
expect 1 <"$WORK/c.cw" >"$WORK/want.cw"
check "--by dport, state close-wait" 1 "$WORK/want.cw" \
	--by dport -t state close-wait

counts est 'substr($3, match($3, /[0-9]+$/))' >"$WORK/c.est"
expect 1 <"$WORK/c.est" >"$WORK/want.est"
check "--by sport, state established" 1 "$WORK/want.est" \
	--by sport -t state established

counts to8080 'substr($5, 1, match($5, /:[0-9]+$/) - 1)' >"$WORK/c.peer"
expect 1 <"$WORK/c.peer" >"$WORK/want.peer"
check "--by peer, dport = :8080" 1 "$WORK/want.peer" \
	--by peer -t 'dport = :8080'

# ---- the one-liner: CLOSE-WAIT on port 8080 -------------------------------
for i in $(seq "$N"); do
	echo "$i CLOSE-WAIT $(wc -l <"$WORK/cw8080.$i")"
done | awk '$3 > 0' >"$WORK/c.cw8080"
for step in 1 3600; do
	expect "$step" <"$WORK/c.cw8080" >"$WORK/want.cw8080.$step"
	check "state close-wait dport = :8080, step $step" "$step" \
		"$WORK/want.cw8080.$step" state close-wait dport = :8080
done

# The scenario itself: CLOSE-WAIT on 8080 went 0, 2, 2, 3.
got=$(cut -d' ' -f3 "$WORK/c.cw8080" | tr '\n' ' ')
[ "$got" = "2 2 3 " ] || fail "ss saw CLOSE-WAIT on :8080 as '$got', not 2 2 3"

finish
