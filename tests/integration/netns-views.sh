#!/bin/sh
# netns-views.sh — the analyzer over a file holding two network namespaces
# recorded at the same ticks: show (a Netns column, --netns, JSON keys)
# against `ss -tuwxan` in each namespace, summary's blocks against `ss -s`,
# snapshots and --ticks, hist summed over the namespaces on both of its
# paths and --by netns, diff matching by (namespace, cookie), trace in the
# socket's namespace, and an unknown --netns.
#
# The file is made by the real recorder: `sockhistd --netns A --netns B
# --once` per tick when this build's sockhistd has --netns; otherwise by
# `sockhistd --once` run in each namespace in turn, the two frames of a
# tick then given the same time_ns in the scratch copy (what the
# several-namespace recorder writes).
. "$TESTS_DIR/integration/lib.sh"

NS2="$NS-b"
MIX2_PID=
DB="$WORK/n.db"

# Also stop the second mix and remove the second namespace.
cleanup2() {
	[ -n "$MIX2_PID" ] && kill "$MIX2_PID" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null || true
	cleanup
}
trap cleanup2 EXIT

netns_create
ip netns add "$NS2"
ip -n "$NS2" link set lo up
mix_start
mkdir "$WORK/b"
mkfifo "$WORK/b/mix.in"
ip netns exec "$NS2" "$SOCKMIX" "$WORK/b" <"$WORK/b/mix.in" >"$WORK/b/mix.out" &
MIX2_PID=$!
exec 8>"$WORK/b/mix.in"
for _ in $(seq 100); do
	grep -q ready "$WORK/b/mix.out" 2>/dev/null && break
	sleep 0.05
done
grep -q ready "$WORK/b/mix.out" || { echo "the second sockmix did not start"; exit 1; }

INO1=$(stat -L -c %i "/run/netns/$NS")
INO2=$(stat -L -c %i "/run/netns/$NS2")

# Record one tick of both namespaces.
tick() {
	if "$SOCKHISTD" --help 2>&1 | grep -q -- '--netns'; then
		"$SOCKHISTD" --netns "$NS" --netns "$NS2" --once --db "$DB" \
			2>>"$WORK/d.err" || fail "sockhistd --netns: $(cat "$WORK/d.err")"
		return
	fi
	last=$(sqlite3 "$DB" 'SELECT coalesce(max(id), 0) FROM frame' 2>/dev/null || echo 0)
	in_ns "$SOCKHISTD" --once --db "$DB" 2>>"$WORK/d.err" &&
		ip netns exec "$NS2" "$SOCKHISTD" --once --db "$DB" 2>>"$WORK/d.err" ||
		fail "sockhistd --once: $(cat "$WORK/d.err")"
	sqlite3 "$DB" "UPDATE frame SET time_ns = (SELECT min(time_ns) FROM frame
		WHERE id > $last) WHERE id > $last"
}

# ss's rows (header dropped) squeezed to single spaces, sorted.
rows() {
	tail -n +2 | awk '{ $1 = $1; print }' | LC_ALL=C sort
}

# The label sockhist gives namespace inode $1.
label() {
	sqlite3 "$DB" "SELECT coalesce(name, pid || '/' || coalesce(comm, '?'),
		ino) FROM netns WHERE ino = $1"
}

tick
sleep 1.1   # the ticks fall in different seconds (hist --step 1s)
# Between the ticks the second namespace opens two connections.
echo "connect 127.0.0.1 127.0.0.1 7001 2" >&8
for _ in $(seq 100); do
	[ "$(wc -l <"$WORK/b/mix.out")" -gt 1 ] && break
	sleep 0.05
done
sleep 0.2
tick
L1=$(label "$INO1")
L2=$(label "$INO2")
[ "$(sqlite3 "$DB" 'SELECT count(DISTINCT time_ns) || " " || count(*) FROM frame')" = "2 4" ] ||
	fail "the file holds $(sqlite3 "$DB" 'SELECT count(DISTINCT time_ns) || " ticks, " || count(*) FROM frame') frames"

# --- show: the latest moment, both namespaces, vs ss in each -------------
"$SOCKHIST" --db "$DB" show -tuwxan >"$WORK/show" 2>"$WORK/err" ||
	fail "show: $(cat "$WORK/err")"
grep -q "^sockhist: snapshots 3-4 at .* (2 network namespaces)$" "$WORK/err" ||
	fail "show names its moment: $(cat "$WORK/err")"
head -n 1 "$WORK/show" | grep -q '^Netns  *Netid  *State' ||
	fail "show header: $(head -n 1 "$WORK/show")"
for n in 1 2; do
	ns=$NS lab=$L1
	[ "$n" = 2 ] && ns=$NS2 lab=$L2
	ip netns exec "$ns" ss -tuwxan 2>/dev/null | rows >"$WORK/ss$n"
	awk -v l="$lab" 'NR > 1 && $1 == l { $1 = ""; sub(/^ /, ""); print }' \
		"$WORK/show" | awk '{ $1 = $1; print }' | LC_ALL=C sort >"$WORK/sh$n"
	same_file "$WORK/ss$n" "$WORK/sh$n" "show, namespace $lab, vs ss -tuwxan"
done
# Rows by namespace: every row of the first before any of the second.
awk -v a="$L1" -v b="$L2" 'NR > 1 { if ($1 == b) seen = 1;
	else if ($1 == a && seen) bad = 1 } END { exit bad }' "$WORK/show" ||
	fail "show rows are not grouped by namespace"

# --netns narrows to one: ss's own table, no Netns column.
"$SOCKHIST" --db "$DB" show --netns "$NS2" -tuwxan >"$WORK/one" 2>"$WORK/err" ||
	fail "show --netns: $(cat "$WORK/err")"
ip netns exec "$NS2" ss -tuwxan 2>/dev/null >"$WORK/ss.raw"
for f in ss one; do
	src=$WORK/$f
	[ "$f" = ss ] && src=$WORK/ss.raw
	{ head -n 1 "$src"; tail -n +2 "$src" | LC_ALL=C sort; } >"$WORK/$f.now"
done
same_file "$WORK/ss.now" "$WORK/one.now" "show --netns $NS2 vs ss -tuwxan"
"$SOCKHIST" --db "$DB" show --netns "$INO1" -tuwxan 2>/dev/null | rows >"$WORK/one1"
same_file "$WORK/ss1" "$WORK/one1" "show --netns INODE vs ss -tuwxan"

# JSON: every row carries its namespace, even with --netns.
"$SOCKHIST" --db "$DB" show -tuwxan --format json >"$WORK/j" 2>/dev/null
[ "$(grep -c "^{\"netns\":$INO2," "$WORK/j")" = "$(wc -l <"$WORK/ss2")" ] ||
	fail "JSON rows of $NS2: $(grep -c "\"netns\":$INO2," "$WORK/j")"
"$SOCKHIST" --db "$DB" show --netns "$NS" -tuwxan --format csv >"$WORK/c" 2>/dev/null
head -n 1 "$WORK/c" | grep -q '^netns,netns_name,netid,' ||
	fail "CSV header: $(head -n 1 "$WORK/c")"
[ "$(tail -n +2 "$WORK/c" | grep -vc "^$INO1,")" = 0 ] ||
	fail "CSV rows of another namespace under --netns"

# --snapshot ID stays one frame: the second namespace's of tick 2.
"$SOCKHIST" --db "$DB" show --snapshot 4 -tuwxan 2>/dev/null | rows >"$WORK/s4"
id4=$(sqlite3 "$DB" 'SELECT netns_ino FROM frame WHERE id = 4')
[ "$id4" = "$INO2" ] && same_file "$WORK/ss2" "$WORK/s4" "show --snapshot 4"

# --- summary: a block per namespace ------------------------------------
"$SOCKHIST" --db "$DB" summary >"$WORK/sum" 2>/dev/null
[ "$(grep -c '^Netns: ' "$WORK/sum")" = 2 ] && grep -qx "Netns: $L2" "$WORK/sum" ||
	fail "summary blocks: $(grep '^Netns' "$WORK/sum")"
for n in 1 2; do
	ns=$NS
	[ "$n" = 2 ] && ns=$NS2
	ip netns exec "$ns" ss -s 2>/dev/null | grep -E '^(TCP|UDP)	' >"$WORK/sss"
	"$SOCKHIST" --db "$DB" summary --netns "$ns" 2>/dev/null |
		grep -E '^(TCP|UDP)	' >"$WORK/sus"
	same_file "$WORK/sss" "$WORK/sus" "summary --netns $ns transport rows vs ss -s"
done

# --- snapshots ----------------------------------------------------------
"$SOCKHIST" --db "$DB" snapshots >"$WORK/snaps"
awk -v l="$L2" 'NR > 1 && $3 == l' "$WORK/snaps" | wc -l | grep -qx 2 ||
	fail "snapshots Netns column: $(cat "$WORK/snaps")"
"$SOCKHIST" --db "$DB" snapshots --ticks --format csv -H >"$WORK/ticks"
want=$(sqlite3 -csv "$DB" 'SELECT min(id), count(*), sum(total) FROM frame GROUP BY time_ns ORDER BY time_ns')
got=$(cut -d, -f1,3,4 "$WORK/ticks")
[ "$got" = "$want" ] || fail "snapshots --ticks: $got, expected $want"
[ "$("$SOCKHIST" --db "$DB" snapshots --netns "$NS" -H | wc -l)" = 2 ] ||
	fail "snapshots --netns lists other namespaces"

# --- hist: counts per tick summed over the namespaces ------------------------
# The stored counts (--by netid) and a scan (--by family) must agree with
# the ticks' totals.
want=$(sqlite3 "$DB" 'SELECT sum(total) FROM frame GROUP BY time_ns ORDER BY time_ns' | tr '\n' ' ')
for q in netid family; do
	"$SOCKHIST" --db "$DB" hist --step 1s --by $q --format csv -H -a \
		>"$WORK/h" 2>"$WORK/err" || fail "hist $q: $(cat "$WORK/err")"
	got=$(awk -F, '{ s[$1] += $4 } END { for (t in s) print t, s[t] }' "$WORK/h" |
		LC_ALL=C sort | awk '{ printf "%s ", $2 }')
	[ "$got" = "$want" ] || fail "hist '$q' per tick: $got, expected $want"
done
"$SOCKHIST" --db "$DB" hist --step 1s --by netns --format csv -H -a >"$WORK/hn"
want=$(sqlite3 "$DB" "SELECT total FROM frame WHERE netns_ino = $INO2 ORDER BY id" | tr '\n' ' ')
got=$(awk -F, -v l="$L2" '$2 == l { printf "%d ", $4 }' "$WORK/hn")
[ "$got" = "$want" ] || fail "hist --by netns ($L2): $got, expected $want"
"$SOCKHIST" --db "$DB" hist --step 1s --netns "$NS2" --by netid --format csv -H -a >"$WORK/h2"
got=$(awk -F, '{ s[$1] += $4 } END { for (t in s) print t, s[t] }' "$WORK/h2" |
	LC_ALL=C sort | awk '{ printf "%s ", $2 }')
[ "$got" = "$want" ] || fail "hist --netns $NS2: $got, expected $want"

# --- diff: matched by (namespace, cookie) ----------------------------------
"$SOCKHIST" --db "$DB" diff @1 @3 >"$WORK/d" 2>"$WORK/err" ||
	fail "diff: $(cat "$WORK/err")"
grep -qx "# netns $L1" "$WORK/d" && grep -qx "# netns $L2" "$WORK/d" ||
	fail "diff names the namespaces: $(cat "$WORK/d")"
# The second namespace: the connections' sockets (and the listener made
# for them) opened.
n=$(sqlite3 "$DB" 'SELECT (SELECT total FROM frame WHERE id = 4) -
	(SELECT total FROM frame WHERE id = 2)')
awk -v l="$L2" '/^# netns / { on = ($3 == l) } on && / opened, /' "$WORK/d" |
	grep -q "^$n opened, 0 closed, 0 changed" ||
	fail "diff of $NS2: $(cat "$WORK/d")"
awk -v l="$L1" '/^# netns / { on = ($3 == l) } on && / opened, /' "$WORK/d" |
	grep -q '^0 opened, 0 closed, 0 changed' ||
	fail "diff of $NS: $(cat "$WORK/d")"
"$SOCKHIST" --db "$DB" diff @1 @3 --netns "$NS" >"$WORK/d1" 2>/dev/null
grep -q '^# netns' "$WORK/d1" && fail "diff --netns names a namespace"
grep -q '^0 opened, 0 closed, 0 changed between snapshot 1 ' "$WORK/d1" ||
	fail "diff --netns $NS: $(cat "$WORK/d1")"
# Against a tick without the second namespace, its sockets are all opened.
cp "$DB" "$WORK/gone.db"
sqlite3 "$WORK/gone.db" "DELETE FROM frame WHERE id = 2"
n2=$(sqlite3 "$DB" "SELECT total FROM frame WHERE id = 4")
"$SOCKHIST" --db "$WORK/gone.db" diff @1 @3 >"$WORK/dg" 2>"$WORK/err" ||
	fail "diff with a namespace on one side: $(cat "$WORK/err")"
grep -q "^$n2 opened, 0 closed, 0 changed between no snapshot and snapshot 4 " "$WORK/dg" ||
	fail "diff with a namespace on one side: $(cat "$WORK/dg")"

# --- trace: the socket's namespace ------------------------------------------
cookie=$(ip netns exec "$NS2" ss -tane 2>/dev/null | awk '/ESTAB/ && / sk:/ {
	sub(/.* sk:/, ""); sub(/ .*/, ""); print; exit }')
if [ -n "$cookie" ]; then
	"$SOCKHIST" --db "$DB" trace --cookie "0x$cookie" >"$WORK/t" 2>"$WORK/err" ||
		fail "trace: $(cat "$WORK/err")"
	head -n 1 "$WORK/t" | grep -q ", netns $L2\$" ||
		fail "trace header: $(head -n 1 "$WORK/t")"
	[ "$(grep -c '^  *20' "$WORK/t")" -le 2 ] || fail "trace: $(cat "$WORK/t")"
	expect_error 1 trace --cookie "0x$cookie" --netns "$NS"
else
	fail "no ESTAB socket with a cookie in $NS2"
fi

# --- bad input --------------------------------------------------------------
expect_error 1 show --netns no-such-namespace
grep -q "recorded: .*($INO1).*($INO2)" "$WORK/err" ||
	fail "unknown --netns lists the namespaces: $(cat "$WORK/err")"
expect_error 1 show --snapshot 4 --netns "$NS"
expect_error 2 show --netns

finish
