#!/bin/sh
# cgroups.sh — the recorder stores the cgroup2 path of every cgroup id its
# sockets use, and the analyzer prints and filters by the recorded path:
# `show --cgroup` and `-e` as ss prints them, `hist --by cgroup`, the
# `cgroup PATH` filter term; still after the cgroup is removed; and ids
# with a note when the recorder could not see cgroup2.
. "$TESTS_DIR/integration/lib.sh"

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || { echo "SKIP: no cgroup2 mount"; exit 77; }
NAME="sockhist-cgroups-$$"
CG="$CG2/$NAME"
mkdir "$CG" || { echo "SKIP: cannot create a cgroup under $CG2"; exit 77; }

# Take the holder out of the cgroup and remove it.
cg_cleanup() {
	if [ -d "$CG" ]; then
		while read -r p; do
			echo "$p" >"$CG2/cgroup.procs"
		done <"$CG/cgroup.procs"
		rmdir "$CG"
	fi
	cleanup
}
trap cg_cleanup EXIT

# ip netns exec mounts a sysfs of its own, without cgroup2: ss, ownmix and
# the recorder run in the namespace's network only (mix_start uses in_ns).
in_net() {
	nsenter --net="/run/netns/$NS" "$@"
}
in_ns() {
	in_net "$@"
}

SOCKMIX=$OWNMIX
DB="$WORK/c.db"
netns_create
mix_start
mix_cmd share 1
mix_cmd spawn "$CG"
set -- $MIX_ANSWER
HOLDER=$2

# Header first, then the rows sorted (ss prints in hash order).
normalise() {
	head -n 1 "$1"
	tail -n +2 "$1" | LC_ALL=C sort
}

# "ino cgroup" pairs of ss -e style output $1.
ino_cgroup() {
	tr ' ' '\n' <"$1" | awk -F: '$1 == "ino" { ino = $2 }
		$1 == "cgroup" { sub(/^cgroup:/, ""); print ino, $0 }' |
		LC_ALL=C sort
}

in_net ss -tuan --cgroup >"$WORK/ss.cg" 2>/dev/null
in_net ss -tuaen >"$WORK/ss.e" 2>/dev/null
in_net ss -tuan --cgroup cgroup "$CG" >"$WORK/ss.f" 2>/dev/null
in_net "$SOCKHISTD" --once --db "$DB" 2>"$WORK/d.err" ||
	fail "sockhistd --once failed: $(cat "$WORK/d.err")"

[ "$(sqlite3 "$DB" "SELECT path FROM cgroup WHERE path = '/$NAME'")" = "/$NAME" ] ||
	fail "no cgroup row for /$NAME: $(sqlite3 "$DB" 'SELECT * FROM cgroup')"
grep -q "cgroup:/$NAME" "$WORK/ss.cg" || fail "ss shows no socket in /$NAME"

# What the analyzer prints, now and after the cgroup is gone.
check_views() {
	"$SOCKHIST" --db "$DB" show -tuan --cgroup >"$WORK/show.cg" 2>"$WORK/err" ||
		fail "$1: show --cgroup failed: $(cat "$WORK/err")"
	normalise "$WORK/ss.cg" >"$WORK/a"
	normalise "$WORK/show.cg" >"$WORK/b"
	same_file "$WORK/a" "$WORK/b" "$1: show --cgroup differs from ss"

	"$SOCKHIST" --db "$DB" show -tuaen >"$WORK/show.e" 2>/dev/null
	ino_cgroup "$WORK/ss.e" >"$WORK/a"
	ino_cgroup "$WORK/show.e" >"$WORK/b"
	[ -s "$WORK/a" ] || fail "$1: ss -e shows no cgroup"
	same_file "$WORK/a" "$WORK/b" "$1: -e cgroup fields differ from ss"

	"$SOCKHIST" --db "$DB" show -tuan --cgroup cgroup "/$NAME" \
		>"$WORK/show.f" 2>"$WORK/err" ||
		fail "$1: cgroup filter failed: $(cat "$WORK/err")"
	normalise "$WORK/ss.f" >"$WORK/a"
	normalise "$WORK/show.f" >"$WORK/b"
	[ "$(wc -l <"$WORK/a")" -ge 3 ] || fail "$1: ss's cgroup filter found < 2 sockets"
	same_file "$WORK/a" "$WORK/b" "$1: cgroup /$NAME filter differs from ss"

	"$SOCKHIST" --db "$DB" hist --by cgroup -tua --format csv \
		>"$WORK/hist" 2>"$WORK/err" ||
		fail "$1: hist --by cgroup failed: $(cat "$WORK/err")"
	grep -q "/$NAME" "$WORK/hist" || fail "$1: hist --by cgroup lacks /$NAME"
	grep -v '^sockhist: snapshot' "$WORK/err" && fail "$1: unexpected stderr"
	return 0
}
check_views "live cgroup"

mix_cmd exit "$HOLDER"
rmdir "$CG" || fail "could not remove $CG"
[ -d "$CG" ] && fail "$CG still exists"
check_views "removed cgroup"

# A recorder that cannot see cgroup2 keeps the ids.  Read on this boot, ids
# the live tree still has resolve there, as ss resolves them; the others
# print as ss prints an id it cannot resolve, with a note on stderr, once.
mkdir "$CG" || fail "could not create $CG again"
gone=$(printf '%x' "$(stat -c %i "$CG")")
mix_cmd spawn "$CG"
set -- $MIX_ANSWER
DB2="$WORK/n.db"
in_net unshare -m sh -c "umount '$CG2' && exec '$SOCKHISTD' --once --db '$DB2'" \
	2>"$WORK/d2.err" || fail "sockhistd without cgroup2 failed: $(cat "$WORK/d2.err")"
mix_cmd exit "$2"
rmdir "$CG" || fail "could not remove $CG"
[ "$(sqlite3 "$DB2" "SELECT count(*) FROM cgroup WHERE path IS NULL AND printf('%x', id) = '$gone'")" = 1 ] ||
	fail "id $gone not recorded without a path: $(sqlite3 "$DB2" 'SELECT * FROM cgroup')"
[ "$(sqlite3 "$DB2" 'SELECT count(*) FROM cgroup WHERE path IS NOT NULL')" = 0 ] ||
	fail "a path recorded without cgroup2"
"$SOCKHIST" --db "$DB2" show -tuan --cgroup >"$WORK/show.n" 2>"$WORK/err.n"
grep -v '^sockhist: snapshot ' "$WORK/err.n" >"$WORK/note.n"
[ "$(grep -c "cgroup:unreachable:$gone *\$" "$WORK/show.n")" = 2 ] ||
	fail "the removed cgroup's 2 sockets do not show cgroup:unreachable:$gone"
grep -q 'cgroup:/ *$' "$WORK/show.n" ||
	fail "the root cgroup's sockets do not resolve on the live tree"
echo "sockhist: cgroup2 was not mounted where this was recorded: showing cgroup ids" >"$WORK/note.want"
same_file "$WORK/note.want" "$WORK/note.n" "the note on stderr, once"
finish
