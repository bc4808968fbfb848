#!/bin/sh
# setup.sh — the quick start: install what is missing, build, then either
# record (`./setup.sh record [sockhistd options]`) or run the whole test
# suite (`./setup.sh test`): a -Werror build, then the same suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and under ThreadSanitizer
# (the recorder dumps and walks /proc on several threads).
set -eu
cd "$(dirname "$0")"

PACKAGES="build-essential meson ninja-build pkg-config libmnl-dev libzstd-dev
libsqlite3-dev libcmocka-dev iproute2 sqlite3 util-linux procps"

# Install the Debian packages that are not installed yet.
install_missing() {
	missing=
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "setup: installing$missing"
	as_root=
	[ "$(id -u)" = 0 ] || as_root=sudo
	$as_root apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq $missing >/dev/null
}

# Configure (once) and build one build directory with extra meson options.
build() {
	dir=$1
	shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" --werror "$@" >/dev/null
	ninja -C "$dir" >/dev/null
}

# Run the suite in one build directory; print meson's log tail on failure.
run_suite() {
	meson test -C "$1" --print-errorlogs --num-processes 2 >"$1/suite.out" 2>&1 && ok=0 || ok=1
	grep -E '^(Ok|Fail|Skipped|Expected Fail|Unexpected Pass|Timeout):' "$1/suite.out" | sed "s|^|$1: |"
	[ "$ok" -eq 0 ] || { grep -E 'FAIL|TIMEOUT' "$1/suite.out"; tail -80 "$1/suite.out"; }
	return "$ok"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
record)
	install_missing
	build build
	echo "setup: built ./build/recorder/sockhistd and ./build/analyzer/sockhist;" \
		"look with e.g. './build/analyzer/sockhist show -tan' from another shell; Ctrl-C stops recording"
	exec ./build/recorder/sockhistd "$@"
	;;
test)
	install_missing
	build build
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false
	build build-tsan -Db_sanitize=thread
	status=0
	run_suite build || status=1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_suite build-asan || status=1
	TSAN_OPTIONS=halt_on_error=1 run_suite build-tsan || status=1
	logs="build/suite.out build-asan/suite.out build-tsan/suite.out"
	# shellcheck disable=SC2086
	pass=$(grep -hoE '^Ok: +[0-9]+' $logs | awk '{s += $2} END {print s + 0}')
	# shellcheck disable=SC2086
	failed=$(grep -hoE '^(Fail|Timeout|Unexpected Pass): +[0-9]+' $logs | awk '{s += $NF} END {print s + 0}')
	# shellcheck disable=SC2086
	skipped=$(grep -hoE '^Skipped: +[0-9]+' $logs | awk '{s += $2} END {print s + 0}')
	echo "tests: $pass passed, $failed failed, $skipped skipped"
	exit "$status"
	;;
*)
	echo "usage: ./setup.sh record [sockhistd options] | ./setup.sh test" >&2
	exit 2
	;;
esac
