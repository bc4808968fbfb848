#!/bin/sh
# format-v1.sh — a database written by format version 1 (checked in under
# tests/fixtures, with what version 1 printed for it) must read the same
# today: by a reader, which migrates a private in-memory copy and leaves the
# file alone, and after a writer migrated it in place and appended frames of
# the current format (check_fixture_migrations in lib.sh).  A damaged frame
# of the current format must cost only its chain, and the reader must say
# which frames are lost.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
check_fixture_migrations 1
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
