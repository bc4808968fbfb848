#!/bin/sh
# filter-ss.sh — the filter language against the real ss.  A private
# namespace holds a few hundred varied sockets (sockmix's mix, connections
# over several local addresses, listeners, UDP, RAW, unix sockets with paths
# and abstract names, marked sockets, sockets bound to devices, sockets in
# a cgroup of their own); `sockhistd --once` records them; then for every
# expression tests/filtergen prints (a fixed seed, covering every term and
# operator) `sockhist show FLAGS FILTER` must list the rows `ss FLAGS FILTER`
# lists on the live, unchanged sockets, under two flag sets each, and some
# expressions again from a filter file (-F).  Rows are compared as sorted
# lines (ss prints in hash order, sockhist in cookie order); both sides run
# in the namespace (devices and the ephemeral port range are read there).
# The expressions run in chunks, each against a fresh snapshot that must
# equal what ss lists before and after the chunk (a chunk during which the
# mix's TIME-WAIT socket expired runs again), so a slow (sanitizer) build
# compares the same unchanging sockets too.
. "$TESTS_DIR/integration/lib.sh"
command -v nsenter >/dev/null || { echo "SKIP: nsenter (util-linux) not installed"; exit 77; }

SEED=20240611
COUNT=560
START=$(date +%s)

# Run a command in the namespace without ip netns exec's private /sys, so
# that the cgroup2 mount stays visible to ss and sockhist alike.
in_net() {
	nsenter --net="/run/netns/$NS" "$@"
}

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CG=
# Also take the helper out of its cgroup and remove it.
filter_cleanup() {
	if [ -n "$CG" ]; then
		while read -r p; do
			echo "$p" >"$CG2/cgroup.procs"
		done <"$CG/cgroup.procs"
		rmdir "$CG" 2>/dev/null
	fi
	cleanup
}
trap filter_cleanup EXIT

netns_create
for a in 10.0.0.1/8 10.0.0.2/8 192.168.7.1/24 192.168.7.2/24; do
	ip -n "$NS" addr add "$a" dev lo
done
for a in fd00::1/64 fd00::2/64; do
	ip -n "$NS" addr add "$a" dev lo nodad
done
ip -n "$NS" link add veth0 type veth peer name veth1 ||
	{ echo "SKIP: cannot create a veth pair"; exit 77; }
ip -n "$NS" link set veth0 up
mix_start
mkdir -p "$WORK/run"

# Connections over several addresses (about 200 sockets), and more kinds.
mix_cmd connect 10.0.0.1 10.0.0.1 7000 20
mix_cmd connect 10.0.0.2 10.0.0.1 7000 8
mix_cmd connect 192.168.7.1 192.168.7.1 8080 12
mix_cmd connect 127.0.0.1 10.0.0.2 443 8
mix_cmd connect fd00::1 fd00::1 7001 12
mix_cmd connect fd00::2 fd00::1 443 8
mix_cmd connect ::1 ::1 2222 6
mix_cmd mark 0 0x10
mix_cmd mark 1 0x21
mix_cmd mark 30 0x1f0
mix_cmd mark 50 0x10
mix_cmd bind 2 lo
mix_cmd bind 3 veth0
mix_cmd bind 51 lo
mix_cmd unix stream "$WORK/run/a.sock"
mix_cmd unix dgram "$WORK/run/B.sock"
mix_cmd unix seqpacket "$WORK/x.SOCK"
mix_cmd unix dgram @sockhist-abs2
mix_cmd unix stream @MixedCase
mix_cmd unix stream auto
mix_cmd unix dgram auto
mix_cmd raw 10.0.0.1
mix_cmd raw ::1
mix_cmd raw fd00::1
mix_cmd udp 10.0.0.1 5400
mix_cmd udp 192.168.7.1 5401 10.0.0.1 5400
mix_cmd udp fd00::1 5402
mix_cmd udp ::ffff:127.0.0.1 5403 ::ffff:127.0.0.1 5300
mix_cmd pairs 6
# Sockets opened from now on belong to a cgroup of their own.
CGARGS=
if [ -n "$CG2" ] && mkdir "$CG2/sockhist-filter-$$" 2>/dev/null; then
	CG="$CG2/sockhist-filter-$$"
	for p in $(ip netns pids "$NS"); do
		echo "$p" >"$CG/cgroup.procs"
	done
	CGARGS="/sockhist-filter-$$ $CG $CG2"
else
	echo "note: no cgroup2 mount: cgroup terms are not tested"
fi
mix_cmd connect 10.0.0.2 192.168.7.2 2222 8
mix_cmd connect fd00::2 fd00::2 8080 6
mix_cmd unix stream "$WORK/run/c.sock"
mix_cmd udp 10.0.0.2 5404

# shellcheck disable=SC2086  # CGARGS is several words or none
"$FILTERGEN" "$SEED" "$COUNT" "$WORK" $CGARGS >"$WORK/exprs" 2>"$WORK/gen.err"
cat "$WORK/gen.err"
grep -qx 'filtergen: uncovered:' "$WORK/gen.err" ||
	fail "the expressions do not cover every term and operator"
# Some again from a filter file ("F" lines): those without state words.
head -n 60 "$WORK/exprs" | cut -f 3 | grep -v '^state\|^excl' |
	sed 's/^/F\t-an\t/' >"$WORK/files"
cat "$WORK/exprs" "$WORK/files" | awk '{ print NR "\t" $0 }' |
	split -l 100 - "$WORK/chunk."

# Run both sides on one chunk of expressions, each under both its flag
# sets ("F" lines: -an -F FILE, the words on lines broken before and/or),
# appending "### KEY FLAGS FILTER" groups to the two output files.  The
# words are not globbed.
# shellcheck disable=SC2016  # expanded by the inner shell
run_chunk() {
	in_net sh -c '
	set -f
	while IFS="	" read -r n f1 f2 expr; do
		if [ "$f1" = F ]; then
			printf "# from the command line: %s\n" "$expr" >"$6"
			for w in $expr; do
				case $w in
				and|or|"&&"|"||") printf "\n%s " "$w" ;;
				*) printf "%s " "$w" ;;
				esac
			done >>"$6"
			set -- "$1" "$2" "$3" "$4" "$5" "$6" "$f2 -F $6"
		else
			set -- "$1" "$2" "$3" "$4" "$5" "$6" "$f1 $expr" "$f2 $expr"
		fi
		k=0
		for args in "$7" "${8:-}"; do
			[ -n "$args" ] || continue
			k=$((k + 1))
			echo "### $n.$k $args" >>"$1"
			ss $args >>"$1" 2>/dev/null || echo "!!! exit $?" >>"$1"
			echo "### $n.$k $args" >>"$2"
			"$4" --db "$3" show $args >>"$2" 2>/dev/null ||
				echo "!!! exit $?" >>"$2"
		done
	done <"$5"
	' sh "$WORK/ss.part" "$WORK/sockhist.part" "$WORK/h.db" "$SOCKHIST" \
		"$1" "$WORK/filter.txt"
}

# The sockets as ss lists them now.
live() {
	in_net ss -tuwxan 2>/dev/null | LC_ALL=C sort
}

# Each chunk against a fresh snapshot: the snapshot must be what ss lists,
# before and after the chunk; when a socket changed meanwhile (the mix's
# TIME-WAIT socket expires after 60 s) the chunk runs again.
for chunk in "$WORK"/chunk.*; do
	tries=0
	while :; do
		tries=$((tries + 1))
		in_net "$SOCKHISTD" --once --db "$WORK/h.db" 2>"$WORK/sockhistd.err" ||
			{ fail "sockhistd --once exited non-zero"; cat "$WORK/sockhistd.err"; finish; }
		live >"$WORK/live.before"
		in_net "$SOCKHIST" --db "$WORK/h.db" show -tuwxan 2>/dev/null |
			LC_ALL=C sort >"$WORK/snap"
		: >"$WORK/ss.part"
		: >"$WORK/sockhist.part"
		run_chunk "$chunk"
		live >"$WORK/live.after"
		if cmp -s "$WORK/live.before" "$WORK/snap" &&
		   cmp -s "$WORK/live.before" "$WORK/live.after"; then
			cat "$WORK/ss.part" >>"$WORK/ss.out"
			cat "$WORK/sockhist.part" >>"$WORK/sockhist.out"
			break
		fi
		if [ "$tries" -eq 3 ]; then
			same_file "$WORK/live.before" "$WORK/snap" "the snapshot differs from ss"
			same_file "$WORK/live.before" "$WORK/live.after" \
				"the sockets keep changing during the comparison"
			finish
		fi
	done
done
# The filter applies to range scans too: show --since over the last
# snapshot prints what show prints of it, under a "# TIME snapshot ID" line
# (and nothing when no socket matches).
last=$("$SOCKHIST" --db "$WORK/h.db" snapshots | awk 'END { print $1 }')
# shellcheck disable=SC2016  # expanded by the inner shell
ranged=$(head -n 80 "$WORK/exprs" | in_net sh -c '
set -f
bad=0
while IFS="	" read -r f1 f2 expr; do
	"$1" --db "$2" show $f1 $expr >"$3.a" 2>/dev/null
	"$1" --db "$2" show --since "@$4" $f1 $expr 2>/dev/null | grep -v "^# " >"$3.b"
	[ "$(wc -l <"$3.a")" -gt 1 ] || : >"$3.a"
	cmp -s "$3.a" "$3.b" || { bad=$((bad + 1)); echo "range: $f1 $expr" >&2; }
done
echo "$bad"
' sh "$SOCKHIST" "$WORK/h.db" "$WORK/range" "$last")
[ "$ranged" = 0 ] || fail "$ranged filters differ between show and show --since"

rows=$(wc -l <"$WORK/snap")
[ "$rows" -ge 200 ] || fail "expected at least 200 sockets, got $((rows - 1))"

# Key every line by its group, sort, and compare everything at once.
# Blanks are squeezed (ss sizes its columns over rows of tables sockhist
# does not record yet: netlink, packet, vsock, which are dropped).
keyed() {
	awk '/^### /{ g = $2 }
		/^(nl|p_raw|p_dgr|v_str|v_dgr|tipc|xdp) / { next }
		{ gsub(/ +/, " "); sub(/ $/, ""); print g "\t" $0 }' "$1" |
		LC_ALL=C sort
}
keyed "$WORK/ss.out" >"$WORK/ss.keyed"
keyed "$WORK/sockhist.out" >"$WORK/sockhist.keyed"
diff "$WORK/ss.keyed" "$WORK/sockhist.keyed" >"$WORK/diff.out" || true
total=$(grep -c '^### ' "$WORK/ss.out")
bad=$(awk -F '\t' '/^[<>]/ { sub(/^[<>] /, "", $1); print $1 }' "$WORK/diff.out" |
	sort -u | wc -l)
errors=$(grep -c '^!!! ' "$WORK/ss.out" || true)
listing=$(awk '/^### /{ if (n > 1) k++; n = 0; next } { n++ } END { if (n > 1) k++; print k + 0 }' \
	"$WORK/ss.out")
echo "filter-ss: $COUNT expressions, $total comparisons, $((total - bad)) agree;" \
	"$listing list sockets; $(($(date +%s) - START)) s"
if [ "$bad" -gt 0 ]; then
	fail "$bad comparisons disagree with ss"
	awk -F '\t' '/^[<>]/ { k = $1; sub(/^[<>] /, "", k); if (!(k in seen) && n++ < 10) seen[k]; if (k in seen) print }' \
		"$WORK/diff.out" | head -80
	for g in $(awk -F '\t' '/^[<>]/ { sub(/^[<>] /, "", $1); print $1 }' "$WORK/diff.out" | sort -u | head -10); do
		grep -m1 "^### $g " "$WORK/ss.out"
	done
fi
[ "$errors" -eq 0 ] || fail "ss rejected $errors generated expressions"
[ "$listing" -ge $((total / 3)) ] ||
	fail "only $listing of $total comparisons list any socket"
finish
