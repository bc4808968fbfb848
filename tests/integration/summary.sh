#!/bin/sh
# summary.sh — `sockhist summary` against the real `ss -s` in the same
# namespace at the same moment: the sockmix mix plus more connections,
# recorded by a running sockhistd (ss -s taken while the recorder holds its
# netlink socket, as any ss -s run beside it would see), byte for byte.
# TCP alloc and orphans are kernel-wide, so other activity on the machine
# may move them between the recorder's read and ss's: the pair is retried
# until one matches exactly, and the namespace's own lines must match every
# time.  Then: the same lines counted from the sockets when a frame has no
# counters, --at choosing between two snapshots, the v1 fixture's counted
# summary, JSON, and bad input.
. "$TESTS_DIR/integration/lib.sh"

TRIES=8

netns_create
mix_start
mix_cmd connect 127.0.0.1 127.0.0.1 7001 3
mix_cmd connect ::1 ::1 7002 2

# The lines of an ss -s output that depend only on the namespace: Total,
# estab and timewait, and the transport table.
local_lines() {
	sed -n -e 1p -e 's/.*(estab \([0-9-]*\),.*timewait \([0-9-]*\))$/estab \1 timewait \2/p' \
		-e '3,$p' "$1"
}

# The newest frame id of database $1 (0 when none).
newest() {
	sqlite3 "$1" 'SELECT coalesce(max(id), 0) FROM frame' 2>/dev/null || echo 0
}

# Wait until database $1 holds a frame newer than $2.
wait_newer() {
	for _ in $(seq 200); do
		[ "$(newest "$1")" -gt "$2" ] && return 0
		sleep 0.02
	done
	echo "the recorder wrote no frame after $2"
	exit 1
}

# --- kernel counters: sockhist summary vs ss -s --------------------------
DB="$WORK/s.db"
ip netns exec "$NS" "$SOCKHISTD" --db "$DB" --interval 200ms 2>/dev/null &
rec=$!
wait_newer "$DB" 0
matched=
for try in $(seq "$TRIES"); do
	last=$(newest "$DB")
	in_ns ss -s >"$WORK/ss1"
	wait_newer "$DB" "$last"
	f=$(newest "$DB")
	in_ns ss -s >"$WORK/ss2"
	"$SOCKHIST" --db "$DB" summary --snapshot "$f" >"$WORK/sum" 2>"$WORK/err" ||
		fail "summary --snapshot $f failed: $(cat "$WORK/err")"
	local_lines "$WORK/ss1" >"$WORK/ss1.local"
	local_lines "$WORK/sum" >"$WORK/sum.local"
	same_file "$WORK/ss1.local" "$WORK/sum.local" \
		"namespace lines of snapshot $f vs ss -s (try $try)"
	if cmp -s "$WORK/ss1" "$WORK/ss2" && cmp -s "$WORK/ss1" "$WORK/sum"; then
		matched=$f
		break
	fi
done
kill "$rec"
wait "$rec" || true
[ -n "$matched" ] || { fail "no exact match with ss -s in $TRIES tries"; cat "$WORK/ss1" "$WORK/sum"; }
[ "$(grep -vc '^sockhist: snapshot [0-9]* at ' "$WORK/err")" -eq 0 ] ||
	fail "summary of a recorded frame said more: $(cat "$WORK/err")"
grep -q '^TCP	  [1-9]' "$WORK/ss1" && grep -q 'timewait [1-9]' "$WORK/ss1" ||
	fail "the test's mix has no TCP or TIME-WAIT sockets: $(cat "$WORK/ss1")"

# JSON: the same numbers as the table.
f=${matched:-$f}
"$SOCKHIST" --db "$DB" summary --snapshot "$f" --format json >"$WORK/sum.json" 2>/dev/null
want=$(awk -v id="$f" '
	/^Total:/ { total = $2 }
	/^TCP: / { gsub(/[(),]/, ""); tcp = sprintf("\"tcp\":{\"total\":%s,\"estab\":%s,\"closed\":%s,\"orphaned\":%s,\"timewait\":%s}", $2, $4, $6, $8, $10) }
	/\t/ { rows = rows sprintf("%s\"%s\":{\"total\":%s,\"ip\":%s,\"ipv6\":%s}", rows ? "," : "", tolower($1), $2, $3, $4) }
	END { printf "{\"snapshot\":%s,\"time\":\"\",\"source\":\"kernel\",\"total\":%s,%s,\"transport\":{%s}}\n", id, total, tcp, rows }
	' "$WORK/sum")
got=$(sed 's/"time":"[^"]*"/"time":""/' "$WORK/sum.json")
[ "$got" = "$want" ] || fail "JSON summary: $got, expected $want"
grep -q '"time":"[0-9-]*T[0-9:]*Z"' "$WORK/sum.json" || fail "JSON time: $(cat "$WORK/sum.json")"

# --- no counters: counted from the sockets ------------------------------
# The frame that matched ss -s, with a row of NULLs for its counters (what
# the recorder writes when it cannot read them): the lines that follow
# from the sockets are ss's, the others are "-".
cp "$DB" "$WORK/nok.db"
sqlite3 "$WORK/nok.db" "INSERT OR REPLACE INTO sockstat (frame) VALUES ($f)"
"$SOCKHIST" --db "$WORK/nok.db" summary --snapshot "$f" >"$WORK/counted" 2>"$WORK/err" ||
	fail "summary without counters failed: $(cat "$WORK/err")"
sed -e 's/^Total: .*/Total: -/' \
	-e 's/^TCP:   [0-9]* (\(estab [0-9]*\), closed [0-9-]*, orphaned [0-9]*,/TCP:   - (\1, closed -, orphaned -,/' \
	-e 's/^FRAG	.*/FRAG	  -         -         -        /' "$WORK/ss1" >"$WORK/counted.want"
same_file "$WORK/counted.want" "$WORK/counted" "summary counted from the sockets vs ss -s"
[ "$(grep -c 'counters were not recorded' "$WORK/err")" -eq 1 ] &&
	[ "$(wc -l <"$WORK/err")" -eq 2 ] ||
	fail "stderr without counters: $(cat "$WORK/err")"
"$SOCKHIST" --db "$WORK/nok.db" summary --snapshot "$f" --format json 2>/dev/null |
	grep -q '"source":"sockets","total":null,"tcp":{"total":null,' ||
	fail "JSON without counters: unknown numbers are not null"

# --- --at picks the snapshot of its time --------------------------------
A="$WORK/at.db"
in_ns "$SOCKHISTD" --once --db "$A" 2>/dev/null || fail "sockhistd --once"
in_ns ss -s >"$WORK/ssA"
mix_cmd connect 127.0.0.1 127.0.0.1 7003 4
sleep 1
in_ns "$SOCKHISTD" --once --db "$A" 2>/dev/null || fail "sockhistd --once"
in_ns ss -s >"$WORK/ssB"
t1=$(sqlite3 "$A" 'SELECT time_ns FROM frame WHERE id = 1')
t2=$(sqlite3 "$A" 'SELECT time_ns FROM frame WHERE id = 2')
mid=$(( (t1 + t2) / 2 ))
at="$(date -u -d "@$((mid / 1000000000))" +%Y-%m-%dT%H:%M:%S).$(printf %09d $((mid % 1000000000)))Z"
# summary with the arguments after $1 must print the transport table,
# estab and timewait of ss -s taken after snapshot $1 (A or B); Total
# counts the recorder's own netlink socket, gone when ss ran.
check_at() {
	want=$1
	shift
	"$SOCKHIST" --db "$A" summary "$@" >"$WORK/sum$want" 2>/dev/null ||
		fail "summary $*"
	local_lines "$WORK/ss$want" | tail -n +2 >"$WORK/want.local"
	local_lines "$WORK/sum$want" | tail -n +2 >"$WORK/got.local"
	same_file "$WORK/want.local" "$WORK/got.local" \
		"summary $* vs ss -s after snapshot $want"
}
check_at A --at "$at"
check_at B --at now
check_at B
cmp -s "$WORK/sumA" "$WORK/sumB" && fail "the two snapshots of the --at test do not differ"
"$SOCKHIST" --db "$A" summary --at "$at" 2>&1 >/dev/null | grep -q '^sockhist: snapshot 1 at ' ||
	fail "summary --at does not name snapshot 1"

# --- the v1 fixture: counted from its sockets ---------------------------
cp "$FIX/format-v1.db" "$WORK/v1.db"
chmod a-w "$WORK/v1.db"
"$SOCKHIST" --db "$WORK/v1.db" summary --snapshot 3 >"$WORK/v1sum" 2>"$WORK/err" ||
	fail "summary of the v1 fixture failed: $(cat "$WORK/err")"
grep -q 'snapshot 3: the kernel.s socket counters were not recorded' "$WORK/err" ||
	fail "v1 summary stderr: $(cat "$WORK/err")"
# Expected from the fixture's recorded JSON (format-v1-show3.json): UDP
# and RAW sockets per family, TCP hashed ones (not TIME-WAIT, SYN-RECV or
# closed), ESTAB + CLOSE-WAIT, TIME-WAIT mini sockets.
awk '
	function fam(l) { return l ~ /"family":"inet6"/ ? 2 : 1 }
	/"netid":"raw"/ { n["RAW", fam($0)]++ }
	/"netid":"udp"/ { n["UDP", fam($0)]++ }
	/"netid":"tcp"/ && /"timer":"timewait"/ { tw++; next }
	/"netid":"tcp"/ && !/"state":"(time_wait|syn_recv|unconnected)"/ { n["TCP", fam($0)]++ }
	/"netid":"tcp"/ && /"state":"(established|close_wait)"/ { estab++ }
	function row(name, a, b) { printf "%s\t  %-9d %-9d %-9d\n", name, a + b, a, b }
	END {
		printf "Total: -\nTCP:   - (estab %d, closed -, orphaned -, timewait %d)\n\n", estab, tw
		print "Transport Total     IP        IPv6"
		row("RAW", n["RAW", 1], n["RAW", 2]); row("UDP", n["UDP", 1], n["UDP", 2])
		row("TCP", n["TCP", 1], n["TCP", 2])
		row("INET", n["RAW", 1] + n["UDP", 1] + n["TCP", 1], n["RAW", 2] + n["UDP", 2] + n["TCP", 2])
		printf "FRAG\t  %-9s %-9s %-9s\n\n", "-", "-", "-"
	}' "$FIX/format-v1-show3.json" >"$WORK/v1sum.want"
same_file "$WORK/v1sum.want" "$WORK/v1sum" "summary of the v1 fixture's snapshot 3"
cmp -s "$FIX/format-v1.db" "$WORK/v1.db" || fail "summary changed the v1 file"

# --- bad input: one line on stderr, exit 2 for usage, 1 for the rest ----
# Run sockhist summary with the arguments after $1 and check that it exits
# with status $1 and says why in one line.
expect_error() {
	want=$1
	shift
	rc=0
	"$SOCKHIST" --db "$DB" summary "$@" >/dev/null 2>"$WORK/err" || rc=$?
	[ "$rc" = "$want" ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] ||
		fail "summary $*: exit $rc, expected $want; stderr: $(cat "$WORK/err")"
}
expect_error 1 --snapshot 99999
expect_error 1 --at nonsense
expect_error 1 --at -1h --snapshot 1
expect_error 2 --format csv
expect_error 2 extra

finish
