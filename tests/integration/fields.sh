#!/bin/sh
# fields.sh — the extended fields (-e -m -i -o -p --tos --cgroup) that
# sockhist recorded must print as ss prints them for the same sockets.
# The analyzer runs in the namespace too, so that both resolve cgroup ids
# and interface names against the same mounts and devices.
# Values that move with the clock between the ss run and the recording
# (timer countdowns, ms since the last send/receive/ack) are masked; every
# other character of every row, including the tcp_info line, must match.
. "$TESTS_DIR/integration/lib.sh"

netns_create
mix_start

# One logical row per socket: join ss's TAB-indented continuation lines,
# strip the padding, mask clock-driven values, sort.
canon() {
	awk '/^\t/ { sub(/^\t/, ""); line = line " " $0; next }
	     { if (NR > 1) print line; line = $0 }
	     END { print line }' "$1" |
	sed -e 's/[[:space:]]*$//' -e 's/[[:space:]][[:space:]]*/ /g' \
	    -e 's/timer:(\([a-z]*\),[^,]*,/timer:(\1,T,/' \
	    -e 's/last\(snd\|rcv\|ack\):[0-9]*/last\1:T/g' |
	LC_ALL=C sort
}

for view in "-tuwxanemiop" "-tanei --tos" "-xanep" "-uanm --cgroup" "-tano" "-tuanep --tos --cgroup"; do
	# shellcheck disable=SC2086
	in_ns ss $view >"$WORK/ss.txt" 2>/dev/null
	in_ns "$SOCKHISTD" --once --db "$WORK/h.db" 2>"$WORK/d.err" ||
		{ fail "sockhistd --once failed: $(cat "$WORK/d.err")"; continue; }
	# shellcheck disable=SC2086
	if ! in_ns "$SOCKHIST" --db "$WORK/h.db" show $view >"$WORK/show.txt" 2>"$WORK/show.err"; then
		fail "show $view failed: $(cat "$WORK/show.err")"
		continue
	fi
	canon "$WORK/ss.txt" >"$WORK/a"
	canon "$WORK/show.txt" >"$WORK/b"
	same_file "$WORK/a" "$WORK/b" "show $view differs from ss"
	case "${view%% *}" in
	*p*) grep -q 'users:(("sockmix"' "$WORK/b" || fail "no owner process in $view" ;;
	esac
done

# A chosen socket, field by field: the server end holding 3000 unread bytes
# must carry its owner, memory and tcp_info counters on one logical row.
in_ns "$SOCKHIST" --db "$WORK/h.db" show -tanemiop 'sport = :5000' >"$WORK/l.txt"
canon "$WORK/l.txt" |
	grep -E '^ESTAB 3000 0 127\.0\.0\.1:5000 .*users:\(\("sockmix",pid=[0-9]+,fd=[0-9]+\)\) .*skmem:\(r[1-9].*bytes_received:3000' >/dev/null ||
	fail "the connection with 3000 unread bytes lacks its owner or counters"

finish
