#!/bin/sh
# retention.sh — sockhistd's housekeeping on a real recording: --retain
# drops whole chains once their newest frame is older than DUR (checked
# when a new chain starts), rollups outlive the frames they summarise (and
# go after --keep-rollups), --max-size keeps the file at the cap plus about
# one chain by reusing freed pages, and bad values are refused.
# Chains must end quickly for any of this to happen, so sockmix keeps data
# moving over TCP connections ("churn"): every frame is a sizeable delta.
. "$TESTS_DIR/integration/lib.sh"

MiB=1048576
SEC=1000000000

netns_create
mix_start

# A one-column answer from database $1 (read while the recorder writes).
q() {
	sqlite3 "$1" "$2" 2>/dev/null
}

# Frame ids and times of database $1 seen so far, appended to $1.seen.
note_frames() {
	q "$1" 'SELECT id, time_ns FROM frame' >>"$1.seen" || true
}

# Wait until database $1 holds a frame, noting the frames.
wait_first_frame() {
	for _ in $(seq 100); do
		note_frames "$1"
		[ -s "$1.seen" ] && return 0
		sleep 0.05
	done
	fail "no frame in $1 after 5s: $(cat "$1.err")"
	finish
}

# Stop recorder $1 (a pid); it must exit 0.
stop() {
	kill -TERM "$1"
	wait "$1" || fail "sockhistd exited non-zero on SIGTERM"
}

# Checks every retention must pass on database $1: some frames were dropped
# (frame 1 is gone), only whole chains (each remaining chain still starts
# with its keyframe), the remaining ids are contiguous (the oldest went
# first), the oldest and newest frames decode to their `total` sockets,
# no lifetime ended before the oldest remaining frame, and the kernel
# counters went with their frames.
whole_chains() {
	db=$1
	# shellcheck disable=SC2046
	set -- $(q "$db" 'SELECT min(id), max(id), count(*) FROM frame' | tr '|' ' ')
	lo=$1 hi=$2 n=$3
	[ "$lo" -gt 1 ] || fail "$db: frame 1 is still there: nothing was dropped"
	[ "$n" -eq $((hi - lo + 1)) ] || fail "$db: frames $lo..$hi are not contiguous ($n rows)"
	bad=$(q "$db" 'SELECT group_concat(key) FROM (SELECT key FROM frame
		GROUP BY key HAVING min(id) != key OR
		NOT EXISTS (SELECT 1 FROM frame k WHERE k.id = frame.key))')
	[ -z "$bad" ] || fail "$db: chains without their keyframe: $bad"
	for id in "$lo" "$hi"; do
		if "$SOCKHIST" --db "$db" show --snapshot "$id" -anH -A all,tipc >"$WORK/show" 2>"$WORK/err"; then
			total=$(q "$db" "SELECT total FROM frame WHERE id = $id")
			[ "$(wc -l <"$WORK/show")" -eq "$total" ] ||
				fail "$db: snapshot $id shows $(wc -l <"$WORK/show") sockets, its frame says $total"
		else
			fail "$db: sockhist show --snapshot $id failed: $(cat "$WORK/err")"
		fi
	done
	stale=$(q "$db" "SELECT count(*) FROM sock WHERE last < $lo")
	[ "$stale" = 0 ] || fail "$db: $stale sock rows ended before the oldest frame $lo"
	# Counters: a row for every keyframe (a delta has one only when they
	# changed), none left of the frames dropped.
	counters=$(q "$db" "SELECT (SELECT count(*) FROM frame WHERE id = key AND
		id NOT IN (SELECT frame FROM sockstat)), (SELECT count(*) FROM
		sockstat WHERE frame NOT IN (SELECT id FROM frame)), min(frame)
		FROM sockstat")
	[ "$counters" = "0|0|$lo" ] ||
		fail "$db: sockstat rows (keyframes without|without frame|oldest) $counters, oldest frame $lo"
	[ "$(q "$db" 'PRAGMA integrity_check')" = ok ] || fail "$db: integrity_check failed"
}

# ---- bad values ----------------------------------------------------------------

for bad in "--max-size 0" "--max-size abc" "--retain -1s" "--keep-rollups x"; do
	# shellcheck disable=SC2086
	"$SOCKHISTD" --once --db "$WORK/bad.db" $bad >/dev/null 2>"$WORK/e" && st=0 || st=$?
	[ "$st" -eq 2 ] || fail "sockhistd $bad: exit $st, expected 2"
	[ "$(wc -l <"$WORK/e")" -eq 1 ] || fail "sockhistd $bad: expected one error line, got: $(cat "$WORK/e")"
	grep -q "^sockhistd: ${bad%% *}" "$WORK/e" || fail "sockhistd $bad: the error does not name the option: $(cat "$WORK/e")"
	[ ! -e "$WORK/bad.db" ] || { fail "sockhistd $bad created the database"; rm -f "$WORK/bad.db"; }
done

# ---- --retain and --keep-rollups ---------------------------------------------

# The mix (~30 sockets) plus 20 churning connections: small keyframes that
# deltas outweigh within a few frames, so chains last well under a second.
mix_cmd connect 127.0.0.1 127.0.0.2 7000 20
mix_cmd churn

R="$WORK/r.db" K="$WORK/k.db"
ip netns exec "$NS" "$SOCKHISTD" --db "$R" --interval 100ms --retain 1s 2>"$R.err" &
DR=$!
ip netns exec "$NS" "$SOCKHISTD" --db "$K" --interval 100ms --retain 1s --keep-rollups 1s 2>"$K.err" &
DK=$!
wait_first_frame "$R"
first_ns=$(q "$R" 'SELECT time_ns FROM frame WHERE id = 1')
for _ in $(seq 16); do
	sleep 0.25
	note_frames "$R"
done
stop "$DR"
stop "$DK"

whole_chains "$R"
whole_chains "$K"
chains=$(q "$R" 'SELECT count(DISTINCT key) FROM frame')
[ "$chains" -ge 2 ] || fail "only $chains chain(s) left in 1s of frames: chains are not short"

# The last cut happened when the newest chain started: every chain whose
# newest frame was older than that keyframe - 1s is gone, and the newest
# frame dropped (the one before the oldest left) was older than that.
last_key=$(q "$R" 'SELECT time_ns FROM frame WHERE id = (SELECT max(key) FROM frame)')
limit=$((last_key - SEC))
old=$(q "$R" "SELECT group_concat(key) FROM (SELECT key FROM frame GROUP BY key
	HAVING max(time_ns) < $limit)")
[ -z "$old" ] || fail "chains older than the last keyframe - 1s are still there: $old"
lo=$(q "$R" 'SELECT min(id) FROM frame')
dropped=$(sort -u "$R.seen" | awk -F'|' -v id=$((lo - 1)) '$1 == id { print $2 }')
if [ -z "$dropped" ]; then
	fail "frame $((lo - 1)) (dropped) was never seen while recording"
elif [ "$dropped" -ge "$limit" ]; then
	fail "frame $((lo - 1)) was dropped though it is younger than the last keyframe - 1s"
fi

# Rollups outlive the frames: with the default --keep-rollups, the buckets
# (minute and hour) still count every frame ever written, frame 1's among
# them; with --keep-rollups 1s, old buckets went (rows older than 1s are
# dropped whenever a chain starts), so they count fewer.
written=$(q "$R" 'SELECT max(id) FROM frame')
for period in 60 3600; do
	samples=$(q "$R" "SELECT sum(samples) FROM rollup WHERE period = $period
		AND kind = 0 AND key = -1")
	[ "$samples" = "$written" ] ||
		fail "period $period rollups count '$samples' snapshots, $written were written"
	bucket=$((first_ns - first_ns % (period * SEC)))
	n=$(q "$R" "SELECT samples FROM rollup WHERE period = $period AND kind = 0
		AND key = -1 AND start_ns = $bucket")
	[ "${n:-0}" -ge 1 ] || fail "the period $period rollup of frame 1 (start $bucket) is gone"
	samples=$(q "$K" "SELECT ifnull(sum(samples), 0) FROM rollup WHERE
		period = $period AND kind = 0 AND key = -1")
	written=$(q "$K" 'SELECT max(id) FROM frame')
	[ "$samples" -lt "$written" ] ||
		fail "--keep-rollups 1s: period $period rollups still count all $written snapshots"
	written=$(q "$R" 'SELECT max(id) FROM frame')
done

# ---- --max-size ---------------------------------------------------------------

# 2000 unix socketpairs and 400 churning connections: ~55 KB keyframes,
# ~8 KB of delta per frame, chains of ~8 frames.  Record at 50ms with a
# 1 MiB cap until frames were dropped (frame 1 gone, at the newest id N),
# then until all of frames 1..N are gone: more than a cap's worth of frames
# went through the reused space.
mix_cmd pairs 2000
mix_cmd connect 127.0.0.1 127.0.0.3 7001 380
M="$WORK/m.db"
ip netns exec "$NS" "$SOCKHISTD" --db "$M" --interval 50ms --max-size 1M 2>"$M.err" &
DM=$!
wait_first_frame "$M"
turnover=
for _ in $(seq 120); do
	sleep 0.25
	# shellcheck disable=SC2046
	set -- $(q "$M" 'SELECT min(id), max(id) FROM frame' | tr '|' ' ')
	[ $# -eq 2 ] || continue
	[ -z "$turnover" ] && [ "$1" -gt 1 ] && turnover=$2
	[ -n "$turnover" ] && [ "$1" -gt "$turnover" ] && break
done
stop "$DM"
if [ -z "$turnover" ] || [ "$1" -le "$turnover" ]; then
	fail "--max-size 1M: frames 1..${turnover:-?} not all dropped in 30s (oldest frame now ${1:-?})"
fi

q "$M" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
size=$(stat -c %s "$M")
chain=$(q "$M" 'SELECT max(b) FROM (SELECT sum(bytes) AS b FROM frame GROUP BY key)')
# The cap is checked after each append, so the file may exceed it by what
# the append added: at most one chain's frames (the bound the format
# promises).  Slack: 16 pages of 4 KiB for the b-tree pages an append adds
# beyond the frame bytes -- a leaf and its parent split in each of the 8
# b-trees a frame writes to (frame, frame_key, frame_time, frame_count, sock,
# sock_local, sock_peer, rollup).  A file that does not reuse freed pages
# outgrows this by the whole turnover (about 600 KB here).
slack=$((16 * 4096))
[ "$size" -le $((MiB + chain + slack)) ] ||
	fail "--max-size 1M: the file is $size bytes, over 1 MiB + the largest chain ($chain) + $slack"
whole_chains "$M"

finish
