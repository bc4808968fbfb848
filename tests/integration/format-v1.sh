#!/bin/sh
# format-v1.sh — a database written by format version 1 (checked in under
# tests/fixtures, with what version 1 printed for it) must read the same
# today: by a reader, which migrates a private in-memory copy and leaves the
# file alone, and after a writer migrated it in place and appended frames of
# the current format.  A damaged frame of the current format must cost only
# its chain, and the reader must say which frames are lost.
. "$TESTS_DIR/integration/lib.sh"

FIX="$TESTS_DIR/fixtures"
netns_create
mix_start

# Every version-1 snapshot, as JSON with every field, and the snapshot list.
check_v1_frames() {
	for id in 1 2 3; do
		"$SOCKHIST" --db "$1" show --snapshot "$id" -tuwxaeimop \
			--format json >"$WORK/show$id.json" 2>/dev/null ||
			fail "show --snapshot $id failed on $2"
		same_file "$FIX/format-v1-show$id.json" "$WORK/show$id.json" \
			"snapshot $id of the v1 fixture ($2)"
	done
	"$SOCKHIST" --db "$1" show --snapshot 3 -tuwxaneimop \
		>"$WORK/show3.txt" 2>/dev/null
	same_file "$FIX/format-v1-show3.txt" "$WORK/show3.txt" \
		"ss table of snapshot 3 ($2)"
	"$SOCKHIST" --db "$1" snapshots --format csv | head -4 \
		>"$WORK/snapshots.csv"
	same_file "$FIX/format-v1-snapshots.csv" "$WORK/snapshots.csv" \
		"snapshot list ($2)"
}

# Reader: the file stays version 1, byte for byte.
cp "$FIX/format-v1.db" "$WORK/v1.db"
chmod a-w "$WORK/v1.db"
check_v1_frames "$WORK/v1.db" "reader"
cmp -s "$FIX/format-v1.db" "$WORK/v1.db" || fail "a reader changed the v1 file"

# Writer: migrates in place, then appends current-format frames.
cp "$FIX/format-v1.db" "$WORK/w.db"
for _ in 1 2 3; do
	in_ns "$SOCKHISTD" --once --db "$WORK/w.db" 2>/dev/null ||
		fail "sockhistd could not append to a v1 database"
done
[ "$(sqlite3 "$WORK/w.db" 'PRAGMA user_version')" = 2 ] ||
	fail "the writer did not migrate the file to version 2"
check_v1_frames "$WORK/w.db" "after migration"
# The migration indexed the v1 frames: counts per state and lifetimes.
for id in 1 2 3; do
	n=$(sqlite3 "$WORK/w.db" "SELECT sum(n) FROM frame_count WHERE frame = $id")
	total=$(sqlite3 "$WORK/w.db" "SELECT total FROM frame WHERE id = $id")
	[ "$n" = "$total" ] || fail "frame_count of v1 frame $id: $n, expected $total"
done
[ "$(sqlite3 "$WORK/w.db" 'SELECT count(*) FROM sock WHERE first = 1')" -gt 0 ] ||
	fail "no lifetimes indexed for the v1 frames"
[ "$(sqlite3 "$WORK/w.db" 'SELECT group_concat(codec) FROM frame')" = "1,1,1,2,2,2" ] ||
	fail "frames after migration: $(sqlite3 "$WORK/w.db" 'SELECT group_concat(codec) FROM frame')"
# The new frames read as what ss shows now (the mix is idle): header
# first, rows sorted (ss prints in hash order, sockhist by cookie).
normalise() {
	head -n 1 "$1"
	tail -n +2 "$1" | LC_ALL=C sort
}
in_ns ss -tuwxan >"$WORK/ss.raw"
"$SOCKHIST" --db "$WORK/w.db" show -tuwxan >"$WORK/new.raw" 2>/dev/null
normalise "$WORK/ss.raw" >"$WORK/ss.now"
normalise "$WORK/new.raw" >"$WORK/new.rows"
same_file "$WORK/ss.now" "$WORK/new.rows" "newest frame after migration vs ss"

# A chain of three current-format frames with a damaged middle frame: the
# keyframe still reads, the damaged frame and the rest of its chain do not,
# and the message names them.
rm -f "$WORK/c.db"
ip netns exec "$NS" "$SOCKHISTD" --db "$WORK/c.db" --interval 100ms 2>/dev/null &
rec=$!
for _ in $(seq 100); do
	[ "$(sqlite3 "$WORK/c.db" 'SELECT count(*) FROM frame' 2>/dev/null || echo 0)" -ge 4 ] && break
	sleep 0.1
done
kill "$rec"
wait "$rec" || true
sqlite3 "$WORK/c.db" "UPDATE frame SET data = CAST(zeroblob(100) AS BLOB) WHERE id = 2"
"$SOCKHIST" --db "$WORK/c.db" show --snapshot 1 >/dev/null 2>&1 ||
	fail "the keyframe of a chain with a damaged delta does not read"
last=$(sqlite3 "$WORK/c.db" 'SELECT max(id) FROM frame WHERE key = 1')
"$SOCKHIST" --db "$WORK/c.db" show --snapshot 3 >/dev/null 2>"$WORK/err" &&
	fail "a frame after a damaged one read"
grep -q "frame 2 is damaged: frames 2 to $last cannot be read" "$WORK/err" ||
	fail "damage message: $(cat "$WORK/err")"
# stderr: the line naming the snapshot picked, then the one error line.
[ "$(grep -vc '^sockhist: snapshot 3 at ' "$WORK/err")" -eq 1 ] ||
	fail "damage message is not one line: $(cat "$WORK/err")"

finish
