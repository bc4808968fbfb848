#!/bin/sh
# bad-input.sh — every kind of bad input gets one clear line on stderr and a
# non-zero exit, never a crash: missing, foreign, garbage, truncated and
# future-version databases, bad filters and times, an unwritable path, and a
# disk that fills up while recording (earlier snapshots stay readable).
. "$TESTS_DIR/integration/lib.sh"

# Run "$@"; it must fail with exactly one stderr line matching a pattern and
# must not die of a signal.
refuses() {
	pattern=$1
	shift
	"$@" >/dev/null 2>"$WORK/err" && st=0 || st=$?
	if [ "$st" -eq 0 ]; then
		fail "accepted: $*"
	elif [ "$st" -ge 128 ]; then
		fail "crashed ($st): $*"
	elif [ "$(wc -l <"$WORK/err")" -ne 1 ]; then
		fail "expected one error line from: $* -- got: $(cat "$WORK/err")"
	elif ! grep -qiE "$pattern" "$WORK/err"; then
		fail "error for '$*' does not match /$pattern/: $(cat "$WORK/err")"
	fi
}

netns_create
mix_start
in_ns "$SOCKHISTD" --once --db "$WORK/good.db" 2>/dev/null
in_ns "$SOCKHISTD" --once --db "$WORK/good.db" 2>/dev/null

refuses 'no such file|does not exist' "$SOCKHIST" --db "$WORK/missing.db" show
head -c 65536 /dev/urandom >"$WORK/garbage.db"
refuses 'not a sockhist database' "$SOCKHIST" --db "$WORK/garbage.db" show
refuses 'not a sockhist database' "$SOCKHISTD" --once --db "$WORK/garbage.db"
sqlite3 "$WORK/foreign.db" 'CREATE TABLE t(x); INSERT INTO t VALUES (1);'
refuses 'not a sockhist database' "$SOCKHIST" --db "$WORK/foreign.db" snapshots
refuses 'not a sockhist database' "$SOCKHISTD" --once --db "$WORK/foreign.db"
[ "$(sqlite3 "$WORK/foreign.db" 'SELECT x FROM t')" = 1 ] || fail "sockhistd touched a foreign database"

cp "$WORK/good.db" "$WORK/future.db"
sqlite3 "$WORK/future.db" 'PRAGMA user_version = 99;'
refuses 'newer' "$SOCKHIST" --db "$WORK/future.db" show
refuses 'newer' "$SOCKHISTD" --once --db "$WORK/future.db"

size=$(stat -c %s "$WORK/good.db")
head -c $((size / 2)) "$WORK/good.db" >"$WORK/truncated.db"
refuses 'damaged|malformed|truncated|corrupt' "$SOCKHIST" --db "$WORK/truncated.db" show -tan

refuses "'bogus'" "$SOCKHIST" --db "$WORK/good.db" show state bogus
refuses "'\\)'" "$SOCKHIST" --db "$WORK/good.db" show '( sport = :22'
refuses 'port' "$SOCKHIST" --db "$WORK/good.db" show sport = :notaport
refuses 'time' "$SOCKHIST" --db "$WORK/good.db" show --at yesterdayish
refuses 'no snapshot' "$SOCKHIST" --db "$WORK/good.db" show --at 2001-01-01T00:00:00Z
refuses 'no snapshot' "$SOCKHIST" --db "$WORK/good.db" show --snapshot 999
refuses 'format' "$SOCKHIST" --db "$WORK/good.db" snapshots --format xml
refuses 'unknown|usage' "$SOCKHIST" --db "$WORK/good.db" frobnicate
refuses 'sockhistd' "$SOCKHISTD" --once --db /proc/sockhist.db

# A full disk: record into a tiny tmpfs until it fills.  The recorder must
# say so (once), keep running, and leave every committed snapshot readable.
mkdir "$WORK/small"
mount -t tmpfs -o size=384k tmpfs "$WORK/small"
ip netns exec "$NS" "$SOCKHISTD" --db "$WORK/small/h.db" --interval 20ms 2>"$WORK/full.err" &
D=$!
for _ in $(seq 100); do
	grep -qi 'full\|space' "$WORK/full.err" && break
	sleep 0.1
done
sleep 0.3
kill -TERM "$D"
wait "$D" && st=0 || st=$?
grep -qi 'full\|space' "$WORK/full.err" || fail "no disk-full message from sockhistd: $(cat "$WORK/full.err")"
[ "$st" -lt 128 ] || fail "sockhistd crashed ($st) on a full disk"
cp "$WORK/small/h.db"* "$WORK/" 2>/dev/null
umount "$WORK/small"
[ "$(sqlite3 "$WORK/h.db" 'PRAGMA integrity_check')" = ok ] || fail "database damaged after disk full"
n=$("$SOCKHIST" --db "$WORK/h.db" snapshots --format csv | tail -n +2 | wc -l)
[ "$n" -ge 1 ] || fail "no snapshot survived the full disk"
"$SOCKHIST" --db "$WORK/h.db" show --snapshot "$n" -tan >/dev/null || fail "last snapshot unreadable after disk full"

# Every subcommand (the table in --help) has --help, with examples, and
# exits 0 with it.
cmds=$("$SOCKHIST" --help | awk '/^Commands:/ { on = 1; next } on && NF { print $1 }' | grep -v '^Run$')
[ "$(echo "$cmds" | wc -w)" -ge 6 ] || fail "sockhist --help lists too few commands: $cmds"
for c in $cmds; do
	[ "$c" = help ] && continue
	"$SOCKHIST" "$c" --help >"$WORK/help" 2>&1 || fail "sockhist $c --help failed"
	grep -q '^Examples:' "$WORK/help" || fail "sockhist $c --help has no examples"
	grep -q "^  sockhist $c " "$WORK/help" || fail "sockhist $c --help: no example of $c"
done

finish
