#!/bin/sh
# owners.sh — owner attribution stays complete and exact while processes
# fork, exec, exit, dup, pass and reuse fds, and while a churn of
# short-lived processes holding sockets runs between snapshots.  The
# recorder runs every 200 ms in a private namespace; at quiescent moments
# (ownmix's churn paused) the owners of every socket in a recorded frame
# must be exactly what `ss -tuxanp` lists, in ss's order.
. "$TESTS_DIR/integration/lib.sh"

# ownmix answers commands the way sockmix does (mix_start, mix_cmd).
SOCKMIX=$OWNMIX
DB="$WORK/o.db"
ROUNDS=${OWNERS_ROUNDS:-6}

netns_create
mix_start
# ip netns exec execs the recorder: REC_PID is sockhistd's.
ip netns exec "$NS" "$SOCKHISTD" --interval 200ms --db "$DB" 2>"$WORK/d.err" &
REC_PID=$!
trap 'kill $REC_PID 2>/dev/null || true; cleanup' EXIT

# The newest frame id (0 before the first).
last_frame() {
	sqlite3 "$DB" 'SELECT coalesce(max(id), 0) FROM frame' 2>/dev/null || echo 0
}

# Header first, then the rows sorted (ss prints in hash order).
normalise() {
	head -n 1 "$1"
	tail -n +2 "$1" | LC_ALL=C sort
}

# With nothing changing: ss, then a frame whose capture began after it, then
# ss again; if both ss runs agree, the frame's owners must be theirs.
# $1 names the moment in failures.
compare_quiet() {
	for _ in 1 2 3 4 5; do
		in_ns ss -tuxanp >"$WORK/ss.a"
		start=$(last_frame)
		want=$((start + 2))
		for _ in $(seq 100); do
			[ "$(last_frame)" -ge "$want" ] && break
			sleep 0.05
		done
		[ "$(last_frame)" -ge "$want" ] ||
			{ fail "$1: the recorder wrote no frame"; return; }
		in_ns ss -tuxanp >"$WORK/ss.b"
		cmp -s "$WORK/ss.a" "$WORK/ss.b" || continue
		"$SOCKHIST" --db "$DB" show --snapshot "$want" -tuxanp \
			>"$WORK/show" 2>"$WORK/show.err" ||
			{ fail "$1: show failed: $(cat "$WORK/show.err")"; return; }
		normalise "$WORK/ss.a" >"$WORK/a"
		normalise "$WORK/show" >"$WORK/b"
		same_file "$WORK/a" "$WORK/b" "$1: owners of frame $want differ from ss -p"
		COMPARED=$((COMPARED + 1))
		return
	done
	fail "$1: ss did not settle"
}
COMPARED=0

# The owners ss lists for sockets of process $1 (pid=$1 entries).
owned_by() {
	grep -o "pid=$1,fd=[0-9]*" "$WORK/ss.a" | wc -l
}

compare_quiet "start"

# A socket shared by several processes: forks after the sockets exist.
mix_cmd share 3
set -- $MIX_ANSWER
H1=$2 H2=$3 H3=$4
compare_quiet "after share"
[ "$(owned_by "$H1")" -ge 2 ] || fail "holder $H1 owns no shared socket in ss"

# An exec keeps the fds under a new name.
mix_cmd exec "$H1"
compare_quiet "after exec"
grep -q "\"sleep\",pid=$H1," "$WORK/ss.a" || fail "ss shows no sleep for $H1"

# An exit: its ownership goes, the shared sockets keep the other owners.
mix_cmd exit "$H2"
compare_quiet "after exit"
[ "$(owned_by "$H2")" = 0 ] || fail "exited $H2 still owns sockets in ss"

# dup: one socket, two fds of one process.
mix_cmd dup
compare_quiet "after dup"

# SCM_RIGHTS: a socket created in one process, held only by another.
mix_cmd pass "$H3"
compare_quiet "after pass"

# A closed socket's fd number reused by a new socket at once.
mix_cmd reuse
compare_quiet "after reuse"
mix_cmd reuse
compare_quiet "after second reuse"

# New processes with sockets of their own, one execing right away.
mix_cmd spawn
set -- $MIX_ANSWER
mix_cmd spawn
mix_cmd exec "$2"
compare_quiet "after spawn and exec"

# Churn: 200 processes a second with sockets, paused for each comparison.
mix_cmd churn 200
for r in $(seq "$ROUNDS"); do
	sleep 1.5
	mix_cmd pause
	compare_quiet "churn round $r"
	mix_cmd reuse
	mix_cmd resume
done
mix_cmd pause
compare_quiet "after churn"

# Guard against both sides being empty: shared sockets with many owners.
users=$(grep -c 'users:' "$WORK/b" || true)
[ "$users" -ge 8 ] || fail "only $users owned sockets in the last frame"
grep -q 'users:(([^)]*),([^)]*),([^)]*)' "$WORK/b" ||
	fail "no socket with three owners in the last frame"
[ "$COMPARED" -ge $((ROUNDS + 10)) ] || fail "only $COMPARED comparisons"
frames=$(last_frame)
[ "$frames" -ge 30 ] || fail "only $frames frames recorded"
kill "$REC_PID"
wait "$REC_PID" || fail "sockhistd exited with an error: $(cat "$WORK/d.err")"
finish
