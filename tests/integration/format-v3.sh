#!/bin/sh
# format-v3.sh — a database written by format version 3 (checked in under
# tests/fixtures with what version 3 printed for it, made by
# tests/fixtures/make-format-fixture.sh: one chain of a keyframe and two
# deltas) must read the same today, by a reader and after a writer migrated
# it in place (check_fixture_migrations in lib.sh).
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
check_fixture_migrations 3
# The old chain is kept as it was; each --once run started a chain, and the
# old frames keep their kernel counters.
[ "$(sqlite3 "$WORK/w.db" 'SELECT group_concat(codec || ":" || key) FROM frame')" = \
	"2:1,2:1,2:1,2:4,2:5,2:6" ] ||
	fail "frames after migration: $(sqlite3 "$WORK/w.db" 'SELECT group_concat(codec || ":" || key) FROM frame')"
[ "$(sqlite3 "$WORK/w.db" 'SELECT group_concat(frame) FROM sockstat')" = "1,2,3,4,5,6" ] ||
	fail "sockstat rows after migration: $(sqlite3 "$WORK/w.db" 'SELECT group_concat(frame) FROM sockstat')"
"$SOCKHIST" --db "$WORK/v3.db" summary --snapshot 3 >"$WORK/sum" 2>"$WORK/err" &&
	! grep -q 'not recorded' "$WORK/err" && grep -q '^Total: [0-9]' "$WORK/sum" ||
	fail "summary of the v3 fixture: $(cat "$WORK/sum" "$WORK/err")"
cmp -s "$FIX/format-v3.db" "$WORK/v3.db" || fail "summary changed the v3 file"

finish
