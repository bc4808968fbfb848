#!/bin/sh
# netns.sh — one sockhistd records several network namespaces: two
# namespaces with different sockets (sockmix in each, more sockets in the
# first), recorded by `--netns all` and by `--netns NAME --netns NAME`;
# each namespace's frame must show what ss shows in it, all frames of a
# tick carry one time.  Then a running recorder: a namespace created
# meanwhile appears at the next tick with its name, one held only by a
# process is known by that process's pid and comm, and a namespace that
# is deleted stops appearing and is not kept alive by the recorder (none
# of its fds, nsfs file or netlink socket, is left).
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start
mix2_start
mix_cmd pairs 3
mix_cmd udp 127.0.0.1 7777
NS3="sockhist-test3-$$"
SLEEP_PID=
trap 'kill $SLEEP_PID 2>/dev/null || true; ip netns del "$NS3" 2>/dev/null || true; cleanup' EXIT

# The inode of namespace name $1.
ino_of() {
	stat -L -c %i "/run/netns/$1"
}

# Header first, then the rows sorted (ss prints in hash order).
normalise() {
	head -n 1 "$1"
	tail -n +2 "$1" | LC_ALL=C sort
}

# The newest frame of namespace $2 in database $1 must be what ss shows
# in that namespace now (the mixes are idle).
check_ns_frame() {
	ino=$(ino_of "$2")
	id=$(sqlite3 "$1" "SELECT max(id) FROM frame WHERE netns_ino = $ino")
	[ -n "$id" ] || { fail "no frame of namespace $2 in $1"; return 0; }
	ip netns exec "$2" ss -tuwxan >"$WORK/ss.raw" 2>/dev/null
	"$SOCKHIST" --db "$1" show --snapshot "$id" -tuwxan >"$WORK/show.raw" \
		2>"$WORK/show.err" || fail "show --snapshot $id: $(cat "$WORK/show.err")"
	normalise "$WORK/ss.raw" >"$WORK/a"
	normalise "$WORK/show.raw" >"$WORK/b"
	same_file "$WORK/a" "$WORK/b" "frame $id of namespace $2 ($1) vs ss"
	[ "$(sqlite3 "$1" "SELECT name FROM netns WHERE ino = $ino")" = "$2" ] ||
		fail "namespace $2 has no netns row with its name in $1"
}

# 1. --netns all, one tick: a frame per namespace, one time for all.
"$SOCKHISTD" --once --netns all --db "$WORK/all.db" 2>"$WORK/d.err" ||
	fail "sockhistd --netns all: $(cat "$WORK/d.err")"
check_ns_frame "$WORK/all.db" "$NS"
check_ns_frame "$WORK/all.db" "$NS2"
[ "$(sqlite3 "$WORK/all.db" 'SELECT count(DISTINCT time_ns) FROM frame')" = 1 ] ||
	fail "the frames of one tick have different times"
rows1=$(sqlite3 "$WORK/all.db" "SELECT total FROM frame WHERE netns_ino = $(ino_of "$NS")")
rows2=$(sqlite3 "$WORK/all.db" "SELECT total FROM frame WHERE netns_ino = $(ino_of "$NS2")")
[ "$rows1" -ge 25 ] && [ "$rows1" -gt "$rows2" ] ||
	fail "expected more sockets in $NS ($rows1) than in $NS2 ($rows2)"

# 2. --netns NAME twice, two ticks: exactly those two namespaces.
for _ in 1 2; do
	"$SOCKHISTD" --once --netns "$NS" --netns "$NS2" --db "$WORK/two.db" \
		2>"$WORK/d.err" || fail "sockhistd --netns NAME: $(cat "$WORK/d.err")"
done
[ "$(sqlite3 "$WORK/two.db" 'SELECT count(DISTINCT netns_ino) FROM frame')" = 2 ] ||
	fail "--netns NAME --netns NAME did not record exactly two namespaces"
[ "$(sqlite3 "$WORK/two.db" 'SELECT count(*) FROM frame')" = 4 ] ||
	fail "two ticks of two namespaces are not four frames"
check_ns_frame "$WORK/two.db" "$NS"
check_ns_frame "$WORK/two.db" "$NS2"

# By PATH ($SOCKHISTD_NETNS=/proc/self/ns/net, as lib.sh sets it): its
# own namespace only, named as /run/netns names it.
ip netns exec "$NS2" "$SOCKHISTD" --once --db "$WORK/self.db" 2>"$WORK/d.err" ||
	fail "sockhistd with SOCKHISTD_NETNS: $(cat "$WORK/d.err")"
[ "$(sqlite3 "$WORK/self.db" 'SELECT group_concat(name) FROM netns')" = "$NS2" ] ||
	fail "SOCKHISTD_NETNS=/proc/self/ns/net did not record $NS2 alone, by name"
check_ns_frame "$WORK/self.db" "$NS2"

# 3. A running recorder over all namespaces.
DB="$WORK/run.db"
"$SOCKHISTD" --netns all --interval 200ms --db "$DB" 2>"$WORK/run.err" &
D=$!

# Wait (up to 5 s) until the SQL $1 on $DB answers $2.
wait_for() {
	for _ in $(seq 50); do
		[ "$(sqlite3 "$DB" "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# "dev:ino" of every file the recorder holds open.
held_files() {
	for f in /proc/"$D"/fd/*; do
		stat -L -c '%d:%i' "$f" 2>/dev/null
	done
}

# The recorder's sockets that are netlink sockets of the namespace that
# command prefix "$@" enters (from that namespace's /proc/net/netlink).
held_netlink() {
	"$@" cat /proc/net/netlink | awk 'NR > 1 { print $NF }' | sort >"$WORK/nl"
	ls -l /proc/"$D"/fd | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' |
		sort | comm -12 - "$WORK/nl"
}

ip netns add "$NS3"
ino3=$(ino_of "$NS3")
wait_for "SELECT name FROM netns WHERE ino = $ino3" "$NS3" ||
	fail "a namespace created while recording has no netns row with its name"
wait_for "SELECT count(*) > 0 FROM frame WHERE netns_ino = $ino3" 1 ||
	fail "a namespace created while recording is not recorded"

unshare -n sleep 1000 &
SLEEP_PID=$!
sleep 0.2
ino4=$(stat -L -c %i /proc/$SLEEP_PID/ns/net)
wait_for "SELECT pid || ' ' || comm FROM netns WHERE ino = $ino4" "$SLEEP_PID sleep" ||
	fail "a namespace held by a process has no netns row with its pid and comm"
wait_for "SELECT count(*) > 0 FROM frame WHERE netns_ino = $ino4" 1 ||
	fail "a namespace held by a process is not recorded"

# While they exist, the recorder holds files in them: the checks below
# can see them.
nsdev=$(stat -L -c %d "/run/netns/$NS3")
held_files | grep -qx "$nsdev:$ino3" ||
	fail "the recorder holds no nsfs file of $NS3 (check cannot fail)"
[ -n "$(held_netlink ip netns exec "$NS3")" ] ||
	fail "the recorder holds no netlink socket in $NS3 (check cannot fail)"
held_netlink ip netns exec "$NS3" >"$WORK/nl3"
held_netlink nsenter -t "$SLEEP_PID" -n >"$WORK/nl4"
[ -s "$WORK/nl4" ] ||
	fail "the recorder holds no netlink socket in the process's namespace"

ip netns del "$NS3"
kill "$SLEEP_PID"
wait "$SLEEP_PID" 2>/dev/null || true
# Released at the next tick: wait for two.
sleep 0.6
# A namespace's inode number is reused once it is freed: one that names
# a live namespace again proves nothing (the sockets below still do).
live_ns() {
	stat -L -c '%d:%i' /proc/[0-9]*/ns/net /run/netns/* 2>/dev/null | sort -u
}
for ino in $ino3 $ino4; do
	if live_ns | grep -qx "$nsdev:$ino"; then
		echo "note: namespace inode $ino was reused at once"
	elif held_files | grep -qx "$nsdev:$ino"; then
		fail "the recorder keeps namespace $ino open after it was deleted"
	fi
done
for nl in $(cat "$WORK/nl3" "$WORK/nl4"); do
	ls -l /proc/"$D"/fd | grep -q "socket:\[$nl\]" &&
		fail "the recorder keeps netlink socket $nl of a deleted namespace"
done
n3=$(sqlite3 "$DB" "SELECT count(*) FROM frame WHERE netns_ino IN ($ino3, $ino4)")
sleep 0.6
[ "$(sqlite3 "$DB" "SELECT count(*) FROM frame WHERE netns_ino IN ($ino3, $ino4)")" = "$n3" ] ||
	fail "deleted namespaces are still recorded"
wait_for "SELECT count(*) > 0 FROM frame WHERE netns_ino = $(ino_of "$NS") AND id > (SELECT max(id) FROM frame WHERE netns_ino = $ino3)" 1 ||
	fail "the recorder stopped recording the other namespaces"
kill "$D"
wait "$D" || fail "sockhistd exited non-zero: $(cat "$WORK/run.err")"
check_ns_frame "$DB" "$NS"
check_ns_frame "$DB" "$NS2"

finish
