#!/bin/sh
# lifetimes.sh — the index tables a recording writes beside its frames
# (sql/migrate-2.sql), checked against the real sockets: sockhistd records
# every 200ms while sockmix opens TCP connections (IPv4 between distinct
# loopback addresses, and IPv6) and aborts some of them.  Then:
#   sock         every TCP socket ss listed has its row, with the cookie,
#                addresses (the 4/16-byte blobs), ports, uid and owner ss
#                printed; `first` is the first frame that lists it; a socket
#                that closed has `last` = the last frame listing it, and the
#                next frame does not; a socket still open has last NULL; the
#                open unix sockets have their rows, with their names;
#   frame_count  equals the per-state counts of `sockhist show` for a frame,
#                and those of ss taken around it while the mix was idle;
#   rollup       per-minute and per-hour state rows: `samples` of key -1 is
#                the number of frames in the bucket, sums and peaks match.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
DB="$WORK/l.db"

# A one-column answer from the database (read while the recorder writes).
q() {
	sqlite3 "$DB" "$1" 2>/dev/null
}

# Wait until the database holds more than $1 frames.
wait_frames() {
	for _ in $(seq 100); do
		[ "$(q 'SELECT count(*) FROM frame' || echo 0)" -gt "$1" ] && return 0
		sleep 0.05
	done
	fail "sockhistd wrote no more than $1 frames in 5s: $(cat "$WORK/d.err")"
	finish
}

# ss lines for TCP with owners and details (the cookie is "sk:HEX").
ss_tcp() {
	in_ns ss -tanHep 2>/dev/null
}

ip netns exec "$NS" "$SOCKHISTD" --db "$DB" --interval 200ms 2>"$WORK/d.err" &
D=$!
wait_frames 1

# Connections opened while recording; two of them are aborted (RST: both
# ends leave the kernel's tables at once) after a few frames.
mix_cmd connect 127.0.0.2 127.0.0.3 7001
abort1=${MIX_ANSWER#conn }
mix_cmd connect 127.0.0.4 127.0.0.5 7002
mix_cmd connect 127.1.2.3 127.0.0.1 7003
mix_cmd connect ::1 ::1 7004
abort2=${MIX_ANSWER#conn }
ss_tcp >"$WORK/ss.open"
n=$(q 'SELECT count(*) FROM frame')
wait_frames $((n + 2))
mix_cmd close "$abort1"
mix_cmd close "$abort2"
n=$(q 'SELECT count(*) FROM frame')
wait_frames $((n + 2))

# The idle end: ss before and after a window that holds frames.
in_ns ss -tuwxanH >"$WORK/ss.idle1" 2>/dev/null
ss_tcp >"$WORK/ss.final"
in_ns ss -xanH >"$WORK/ss.unix" 2>/dev/null
t1=$(date +%s%N)
n=$(q 'SELECT count(*) FROM frame')
wait_frames $((n + 2))
t2=$(date +%s%N)
in_ns ss -tuwxanH >"$WORK/ss.idle2" 2>/dev/null
kill -TERM "$D"
wait "$D" || fail "sockhistd exited non-zero on SIGTERM: $(cat "$WORK/d.err")"

# ---- sock: one row per TCP socket, as ss described it ----------------------

# One line per ss row: cookie, then what its sock row must hold: family,
# hex(laddr), lport, hex(raddr), rport, uid, pid, comm ("-": no owner).
# Addresses become the network-order bytes in hex; "*" ports are 0.
ss_expect() {
	awk '
	function v4hex(a,   p, i, h) {
		split(a, p, ".")
		for (i = 1; i <= 4; i++)
			h = h sprintf("%02X", p[i])
		return h
	}
	function v6hex(a,   n, halves, left, right, nl, nr, i, h, g, q) {
		if (a ~ /\./) {        # an embedded IPv4 address: two groups
			n = match(a, /[0-9.]+$/)
			q = v4hex(substr(a, n))
			a = substr(a, 1, n - 1) substr(q, 1, 4) ":" substr(q, 5, 4)
		}
		if (split(a, halves, "::") == 2) {
			nl = halves[1] == "" ? 0 : split(halves[1], left, ":")
			nr = halves[2] == "" ? 0 : split(halves[2], right, ":")
		} else {
			nl = split(a, left, ":")
			nr = 0
		}
		for (i = 1; i <= nl; i++)
			g[i] = left[i]
		for (; i <= 8 - nr; i++)
			g[i] = "0"
		for (n = 1; n <= nr; n++)
			g[i++] = right[n]
		for (i = 1; i <= 8; i++)
			h = h toupper(sprintf("%4s", g[i]))
		gsub(/ /, "0", h)
		return h
	}
	# "ADDR:PORT" or "[ADDR]:PORT" -> "family hex port"
	function endpoint(e,   port, host) {
		port = e
		sub(/.*:/, "", port)
		host = substr(e, 1, length(e) - length(port) - 1)
		if (port == "*")
			port = 0
		sub(/%.*/, "", host)
		if (host ~ /^\[/)
			return "10 " v6hex(substr(host, 2, length(host) - 2)) " " port
		return "2 " v4hex(host) " " port
	}
	{
		ck = ""
		pid = comm = "-"
		if (match($0, / sk:[0-9a-f]+/))
			ck = substr($0, RSTART + 4, RLENGTH - 4)
		uid = match($0, / uid:[0-9]+/) ? substr($0, RSTART + 5, RLENGTH - 5) : 0
		if (match($0, /users:\(\("[^"]*",pid=[0-9]+/)) {
			split(substr($0, RSTART + 9, RLENGTH - 9), u, "\",pid=")
			comm = u[1]
			pid = u[2]
		}
		split(endpoint($4), l, " ")
		split(endpoint($5), r, " ")
		print ck, l[1], l[2], l[3], r[2], r[3], uid, pid, comm
	}' "$1"
}

# What the database holds for the TCP socket with cookie $1 (hex), in the
# order of ss_expect.
sock_row() {
	sqlite3 -separator ' ' "$DB" "SELECT printf('%x', cookie), family,
		hex(laddr), lport, hex(raddr), rport, uid, ifnull(pid, '-'),
		ifnull((SELECT s FROM str WHERE id = comm), '-')
		FROM sock WHERE netid = 0 AND protocol = 0 AND
		printf('%x', cookie) = '$1'"
}

# Does snapshot $1 list the TCP socket with cookie $2?
lists() {
	"$SOCKHIST" --db "$DB" show --snapshot "$1" -tanHe >"$WORK/snap" 2>"$WORK/err" ||
		fail "sockhist show --snapshot $1 failed: $(cat "$WORK/err")"
	grep -q " sk:$2 " "$WORK/snap"
}

ss_expect "$WORK/ss.open" >"$WORK/expect"
ss_expect "$WORK/ss.final" | cut -d' ' -f1 >"$WORK/final.cookies"
checked=0 closed=0 new=0
while read -r ck want; do
	[ -n "$ck" ] || { fail "an ss row without a cookie"; continue; }
	got=$(sock_row "$ck")
	[ "$got" = "$ck $want" ] ||
		{ fail "sock row of cookie $ck: got '$got', ss said '$ck $want'"; continue; }
	checked=$((checked + 1))
	# shellcheck disable=SC2046
	set -- $(q "SELECT first, ifnull(last, 'open'), (SELECT netns_ino
		FROM frame WHERE id = sock.first) FROM sock WHERE netid = 0 AND
		printf('%x', cookie) = '$ck'" | tr '|' ' ')
	first=$1 last=$2 ino=$3
	lists "$first" "$ck" || fail "cookie $ck: its first frame $first does not list it"
	before=$(q "SELECT max(id) FROM frame WHERE id < $first AND netns_ino = $ino")
	if [ -n "$before" ]; then
		new=$((new + 1))
		! lists "$before" "$ck" || fail "cookie $ck: frame $before, before its first ($first), lists it"
	fi
	if grep -qx "$ck" "$WORK/final.cookies"; then
		[ "$last" = open ] || fail "cookie $ck is still open but its last is $last"
		continue
	fi
	closed=$((closed + 1))
	[ "$last" != open ] || { fail "cookie $ck closed but its last is NULL"; continue; }
	lists "$last" "$ck" || fail "cookie $ck: its last frame $last does not list it"
	next=$(q "SELECT min(id) FROM frame WHERE id > $last AND netns_ino = $ino")
	[ -n "$next" ] || { fail "cookie $ck: no frame after its last ($last)"; continue; }
	! lists "$next" "$ck" || fail "cookie $ck: frame $next, after its last ($last), still lists it"
done <"$WORK/expect"
# Guards: the mix has 13 TCP sockets; the 4 connections add 4 listeners
# and 8 ends, of which 2 connections (4 ends) closed.
[ "$checked" -ge 25 ] || fail "only $checked TCP sockets checked against ss"
[ "$closed" -ge 4 ] || fail "only $closed closed sockets checked"
[ "$new" -ge 12 ] || fail "only $new sockets opened while recording were checked"

# The open unix sockets: same netids and names as ss lists ("*": no name).
awk '{ print $1, $5 }' "$WORK/ss.unix" | LC_ALL=C sort >"$WORK/a"
q "SELECT CASE netid WHEN 3 THEN 'u_str' WHEN 4 THEN 'u_dgr'
	WHEN 5 THEN 'u_seq' END || ' ' || ifnull((SELECT s FROM str
	WHERE id = path), '*') FROM sock WHERE netid IN (3, 4, 5) AND
	last IS NULL AND laddr IS NULL AND raddr IS NULL" | LC_ALL=C sort >"$WORK/b"
same_file "$WORK/a" "$WORK/b" "open unix sockets in sock differ from ss -xan"
[ -s "$WORK/a" ] || fail "no unix sockets in the mix"

# ---- frame_count -------------------------------------------------------------

# "netid state n" counts of ss-style rows (Netid and State columns) in the
# numbering frame_count uses.
state_counts() {
	awk '
	BEGIN {
		split("tcp udp raw u_str u_dgr u_seq", names, " ")
		for (i = 1; i <= 6; i++)
			netid[names[i]] = i - 1
		split("ESTAB SYN-SENT SYN-RECV FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT " \
		      "UNCONN CLOSE-WAIT LAST-ACK LISTEN CLOSING", states, " ")
		for (i = 1; i <= 11; i++)
			state[states[i]] = i
	}
	{
		n = $1 in netid ? netid[$1] : "?" $1
		s = $2 in state ? state[$2] : "?" $2
		c[n " " s]++
	}
	END { for (k in c) print k, c[k] }' "$1" | LC_ALL=C sort
}

F=$(q "SELECT max(id) FROM frame WHERE time_ns BETWEEN $t1 AND $t2")
if [ -z "$F" ]; then
	fail "no frame between $t1 and $t2"
else
	q "SELECT netid, state, n FROM frame_count WHERE frame = $F AND netid < 6" |
		tr '|' ' ' | LC_ALL=C sort >"$WORK/fc"
	"$SOCKHIST" --db "$DB" show --snapshot "$F" -tuwxanH >"$WORK/show.F" 2>"$WORK/err" ||
		fail "sockhist show --snapshot $F failed: $(cat "$WORK/err")"
	state_counts "$WORK/show.F" >"$WORK/show.counts"
	same_file "$WORK/show.counts" "$WORK/fc" "frame_count of frame $F differs from sockhist show"
	same_file "$WORK/ss.idle1" "$WORK/ss.idle2" "the mix was not idle around frame $F"
	state_counts "$WORK/ss.idle1" >"$WORK/ss.counts"
	same_file "$WORK/ss.counts" "$WORK/fc" "frame_count of frame $F differs from ss"
	[ "$(q "SELECT tcp + udp + raw + u_str + u_dgr + u_seq FROM frame WHERE id = $F")" = "$(wc -l <"$WORK/ss.idle1")" ] ||
		fail "frame $F total differs from the $(wc -l <"$WORK/ss.idle1") rows of ss"
fi

# ---- rollup ------------------------------------------------------------------

for period in 60 3600; do
	len=$((period * 1000000000))
	# Frames per bucket against the bucket's (kind 0, key -1) row.
	q "SELECT b, count(*), sum(total), max(total), r.samples, r.sum, r.max
		FROM (SELECT time_ns - time_ns % $len AS b, total, netns_ino
		FROM frame) f LEFT JOIN rollup r ON r.period = $period AND
		r.kind = 0 AND r.key = -1 AND r.start_ns = f.b AND
		r.netns_ino = f.netns_ino GROUP BY b" >"$WORK/buckets"
	[ -s "$WORK/buckets" ] || fail "no frames to check the $period s rollups with"
	while IFS='|' read -r b frames sum max samples rsum rmax; do
		[ "$samples" = "$frames" ] ||
			fail "rollup period $period start $b: samples '$samples', the bucket has $frames frames"
		[ "$rsum|$rmax" = "$sum|$max" ] ||
			fail "rollup period $period start $b: sum|max '$rsum|$rmax', frames say $sum|$max"
	done <"$WORK/buckets"
	# Every netid x state count, summed and peaked per bucket.
	bad=$(q "SELECT count(*) FROM (SELECT fc.netid * 256 + fc.state AS k,
		f.time_ns - f.time_ns % $len AS b, f.netns_ino AS ino,
		count(*) AS n, sum(fc.n) AS s, max(fc.n) AS m FROM frame_count fc
		JOIN frame f ON f.id = fc.frame GROUP BY k, b, ino) x LEFT JOIN
		rollup r ON r.period = $period AND r.kind = 0 AND r.key = x.k AND
		r.start_ns = x.b AND r.netns_ino = x.ino WHERE r.samples IS NOT
		x.n OR r.sum IS NOT x.s OR r.max IS NOT x.m")
	[ "$bad" = 0 ] || fail "$bad per-state rollup rows (period $period) differ from frame_count"
	rows=$(q "SELECT count(*) FROM rollup WHERE period = $period AND kind = 0")
	want=$(q "SELECT count(DISTINCT (fc.netid * 256 + fc.state) || ' ' ||
		(f.time_ns - f.time_ns % $len)) + count(DISTINCT
		f.time_ns - f.time_ns % $len) FROM frame_count fc JOIN frame f
		ON f.id = fc.frame")
	[ "$rows" = "$want" ] || fail "$rows state rollup rows for period $period, frames make $want"
done

finish
