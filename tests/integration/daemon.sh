#!/bin/sh
# daemon.sh — sockhistd as a daemon: drift-free ticks at a sub-second
# interval, clean exit on SIGTERM and SIGINT, quiet logs, the analyzer
# reading while the recorder writes, and the default/env database paths.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
DB="$WORK/d.db"

# Record for about 3 seconds at 200ms while the analyzer reads the same
# file (longer when the reads are slow, as under a sanitizer: the run is
# timed).
t0=$(date +%s%N)
ip netns exec "$NS" "$SOCKHISTD" --db "$DB" --interval 200ms 2>"$WORK/d.err" &
D=$!
# Read only once the first snapshot is committed (the file exists earlier).
for _ in $(seq 50); do
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM frame' 2>/dev/null || echo 0)" -ge 1 ] && break
	sleep 0.1
done
reads=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
	if "$SOCKHIST" --db "$DB" show -tan >/dev/null 2>>"$WORK/reader.err" &&
	   "$SOCKHIST" --db "$DB" snapshots >/dev/null 2>>"$WORK/reader.err"; then
		reads=$((reads + 1))
	fi
	sleep 0.2
done
[ "$reads" -eq 10 ] || fail "analyzer failed $((10 - reads)) of 10 reads during recording: $(head -3 "$WORK/reader.err")"
sleep 0.5
kill -TERM "$D"
t1=$(date +%s%N)
wait "$D" && st=0 || st=$?
[ "$st" -eq 0 ] || fail "sockhistd exited $st on SIGTERM"

# One tick per 200 ms of the run, the first immediate.  A drifting loop
# (sleep after work) loses ticks; allow one for start-up and scheduling.
ticks=$(( (t1 - t0) / 200000000 + 1 ))
n=$("$SOCKHIST" --db "$DB" snapshots --format csv | tail -n +2 | wc -l)
[ "$n" -ge $((ticks - 2)) ] && [ "$n" -le "$ticks" ] ||
	fail "expected $((ticks - 2))-$ticks snapshots in $(( (t1 - t0) / 1000000 )) ms at 200ms, got $n"

# One log line at start (where it writes), none per snapshot; a family the
# kernel has no sock_diag support for is reported once (families.sh).
lines=$(grep -vc 'no sock_diag support for it; left out)$' "$WORK/d.err" || true)
[ "$lines" -le 2 ] || { fail "sockhistd logged $lines lines for $n quiet snapshots"; cat "$WORK/d.err"; }
grep -q "$DB" "$WORK/d.err" || fail "start-up line does not say where it writes"

# Every snapshot holds the mix.
"$SOCKHIST" --db "$DB" snapshots --format csv >"$WORK/snaps.csv"
head -n 1 "$WORK/snaps.csv" | grep -q '^id,time,sockets,' || fail "snapshots CSV header: $(head -n 1 "$WORK/snaps.csv")"
awk -F, 'NR > 1 && $3 < 25 { bad++ } END { exit bad > 0 }' "$WORK/snaps.csv" ||
	fail "a snapshot holds fewer than 25 sockets"

# SIGINT finishes too, with status 0.
ip netns exec "$NS" "$SOCKHISTD" --db "$DB" --interval 1s 2>/dev/null &
D=$!
sleep 0.3
kill -INT "$D"
wait "$D" && st=0 || st=$?
[ "$st" -eq 0 ] || fail "sockhistd exited $st on SIGINT"

# --once writes exactly one snapshot into ./sockhist.db by default, and
# $SOCKHIST_DB is honoured by both programs.
mkdir "$WORK/cwd"
(cd "$WORK/cwd" && in_ns "$SOCKHISTD" --once 2>/dev/null) || fail "--once into the default path failed"
[ -s "$WORK/cwd/sockhist.db" ] || fail "no ./sockhist.db after --once"
n=$(cd "$WORK/cwd" && "$SOCKHIST" snapshots --format csv | tail -n +2 | wc -l)
[ "$n" -eq 1 ] || fail "--once wrote $n snapshots"
SOCKHIST_DB="$WORK/env.db" in_ns "$SOCKHISTD" --once 2>/dev/null || fail "--once with SOCKHIST_DB failed"
SOCKHIST_DB="$WORK/env.db" "$SOCKHIST" snapshots >/dev/null || fail "sockhist with SOCKHIST_DB failed"

# Another user can read a root-owned history in a directory it may not
# write to (so it cannot create a -shm file of its own): while it is being
# written, and after the recorder is gone.  The analyzer is copied where
# that user may run it.
chmod 711 "$WORK"
mkdir -m 755 "$WORK/ro"
cp "$SOCKHIST" "$WORK/ro/sockhist"
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
ip netns exec "$NS" "$SOCKHISTD" --db "$WORK/ro/h.db" --interval 200ms 2>/dev/null &
D=$!
sleep 0.6
as_nobody "$WORK/ro/sockhist" --db "$WORK/ro/h.db" show -tan >/dev/null 2>"$WORK/ro.err" ||
	fail "another user cannot read while recording: $(cat "$WORK/ro.err")"
kill -TERM "$D"
wait "$D" || fail "sockhistd exited non-zero on SIGTERM"
[ ! -e "$WORK/ro/h.db-shm" ] || fail "the -shm file outlived the recorder"
as_nobody "$WORK/ro/sockhist" --db "$WORK/ro/h.db" show -tan >"$WORK/ro.out" 2>"$WORK/ro.err" ||
	fail "another user cannot read after recording: $(cat "$WORK/ro.err")"
grep -q ':5000' "$WORK/ro.out" || fail "another user's view lacks the mix"

# Bad intervals are refused with one line and a non-zero exit.
for bad in 0s -1s 10x abc ""; do
	if "$SOCKHISTD" --once --interval "$bad" --db "$WORK/x.db" 2>"$WORK/e"; then
		fail "--interval '$bad' accepted"
	fi
	[ "$(wc -l <"$WORK/e")" -eq 1 ] || fail "--interval '$bad': expected one error line, got: $(cat "$WORK/e")"
done

finish
