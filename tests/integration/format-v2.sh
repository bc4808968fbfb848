#!/bin/sh
# format-v2.sh — a database written by format version 2 (checked in under
# tests/fixtures with what version 2 printed for it, made by
# tests/fixtures/make-format-fixture.sh: one chain of a keyframe and two
# deltas) must read the same today, by a reader and after a writer migrated
# it in place (check_fixture_migrations in lib.sh); frames appended after
# the migration carry the kernel's counters (format 3), the old ones not.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
check_fixture_migrations 2
# The old chain is kept as it was; each --once run started a chain.
[ "$(sqlite3 "$WORK/w.db" 'SELECT group_concat(codec || ":" || key) FROM frame')" = \
	"2:1,2:1,2:1,2:4,2:5,2:6" ] ||
	fail "frames after migration: $(sqlite3 "$WORK/w.db" 'SELECT group_concat(codec || ":" || key) FROM frame')"
# The kernel counters: recorded with the new frames only; the old deltas
# get rows of NULLs (format 4: a delta without a row has its chain's last).
[ "$(sqlite3 "$WORK/w.db" 'SELECT group_concat(frame || ":" || (sockets_used IS NOT NULL)) FROM sockstat')" = "2:0,3:0,4:1,5:1,6:1" ] ||
	fail "sockstat rows after migration: $(sqlite3 "$WORK/w.db" 'SELECT group_concat(frame || ":" || (sockets_used IS NOT NULL)) FROM sockstat')"
# summary of a v2 frame counts its sockets, of a new frame reads the
# counters; a reader of the v2 file leaves it alone.
"$SOCKHIST" --db "$WORK/v2.db" summary --snapshot 3 >/dev/null 2>"$WORK/err" &&
	grep -q 'counters were not recorded' "$WORK/err" ||
	fail "summary of the v2 fixture: $(cat "$WORK/err")"
cmp -s "$FIX/format-v2.db" "$WORK/v2.db" || fail "summary changed the v2 file"
"$SOCKHIST" --db "$WORK/w.db" summary --snapshot 6 >"$WORK/sum" 2>"$WORK/err" &&
	! grep -q 'not recorded' "$WORK/err" && grep -q '^Total: [0-9]' "$WORK/sum" ||
	fail "summary of a frame appended to the v2 file: $(cat "$WORK/sum" "$WORK/err")"

finish
