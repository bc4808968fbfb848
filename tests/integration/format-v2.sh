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
# The kernel counters: recorded with the new frames only.
[ "$(sqlite3 "$WORK/w.db" 'SELECT group_concat(frame) FROM sockstat')" = "4,5,6" ] ||
	fail "sockstat rows after migration: $(sqlite3 "$WORK/w.db" 'SELECT group_concat(frame) FROM sockstat')"

finish
