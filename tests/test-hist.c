/*
 * test-hist.c — `sockhist hist` end to end, and its fold.
 *
 * The counts path: a database made with the embedded schema holds crafted
 * frame, frame_count and rollup rows with known counts; cmd_hist runs with
 * argv and its stdout and stderr are compared byte for byte.  Covered:
 * buckets, max and mean (a group absent from some snapshots, a snapshot
 * without sockets), gaps, the rollup fallback for buckets without frames
 * (summed peaks, frames winning over rollups), minute vs hour rollups, the
 * default range and step, @ID times, the table, CSV and JSON layouts, the
 * errors and their exit codes, and the query plans (frame_time, the
 * frame_count and rollup primary keys).  Frame blobs are junk with an
 * unknown codec: these questions must never decode one.
 *
 * The scan path: hand-built snapshots appended with store_append (real
 * chains) answer --by peer/process/dport and FILTERs with hand-computed
 * rows; --top's "other" (exact per snapshot, from the unit log and from a
 * second pass); which questions take which path (the counts are tampered
 * with, so the paths disagree); a range where retention left only rollups;
 * and the fold itself on hand-fed units (out of time order, rollup units).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <time.h>

#include "cmd.h"
#include "db.h"
#include "hist_fold.h"
#include "hist_query.h"
#include "hist_scan.h"
#include "sockenum.h"
#include "sockselect.h"
#include "store.h"

#define SEC 1000000000LL

extern const char sql_schema[];
extern const char sql_migrate_2[];
extern const char sql_migrate_3[];
extern const char sql_migrate_4[];

static char dir[64];
static char path[128];

/* The fixture, all on 2026-11-25 (UTC):
 *   frames 1-3 at 10:00:00/20/40, 4-6 at 10:01:00/30/45 (6 has no sockets);
 *   minute rollups for 10:00 (junk: that bucket has frames) and 10:02;
 *   07:00 hour: two minute rollups and an hour rollup with the same sample
 *   count (junk values: the minute ones must win the tie);
 *   08:00 hour: an hour rollup only;
 *   09:00 hour: one minute rollup (09:59) and an hour rollup that saw more.
 * Counts are "netid:state=n"; netid 0 tcp, 1 udp, 3 u_str; state 1 ESTAB,
 * 6 TIME-WAIT, 7 UNCONN, 10 LISTEN.  Rollup keys are netid * 256 + state. */
static const struct { int id; const char *at, *counts; } frames[] = {
	{ 1, "10:00:00", "0:1=3 0:10=2 3:1=1" },
	{ 2, "10:00:20", "0:1=5 0:10=2" },
	{ 3, "10:00:40", "0:10=2 1:7=1" },
	{ 4, "10:01:00", "0:1=1" },
	{ 5, "10:01:30", "0:1=2 0:6=4" },
	{ 6, "10:01:45", "" },
};

static const struct {
	int period;
	const char *at;
	int key, samples, sum, max;
} rollups[] = {
	{ 60, "10:00:00", -1, 99, 999, 99 }, { 60, "10:00:00", 1, 99, 999, 99 },
	{ 60, "10:02:00", -1, 6, 48, 9 }, { 60, "10:02:00", 1, 6, 30, 7 },
	{ 60, "10:02:00", 769, 6, 6, 1 }, { 60, "10:02:00", 10, 6, 12, 2 },
	{ 60, "07:00:00", -1, 6, 12, 3 }, { 60, "07:00:00", 1, 6, 12, 3 },
	{ 60, "07:01:00", -1, 6, 18, 4 }, { 60, "07:01:00", 1, 6, 18, 4 },
	{ 3600, "07:00:00", -1, 12, 600, 50 },
	{ 3600, "07:00:00", 1, 12, 600, 50 },
	{ 3600, "08:00:00", -1, 360, 1080, 6 },
	{ 3600, "08:00:00", 1, 360, 720, 5 },
	{ 3600, "08:00:00", 10, 360, 360, 1 },
	{ 60, "09:59:00", -1, 6, 60, 10 }, { 60, "09:59:00", 1, 6, 60, 10 },
	{ 3600, "09:00:00", -1, 360, 1080, 6 },
	{ 3600, "09:00:00", 1, 360, 1080, 6 },
};

/* Run sql on db, failing the test with SQLite's message. */
static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* Create the database file with the schema (as the v2 writer does). */
static sqlite3 *create_db(void)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, sql_schema);
	exec(db, sql_migrate_2);
	exec(db, "PRAGMA application_id = 0x534b4831;"
		 "INSERT INTO boot VALUES (1, 'b00t', 0)");
	return db;
}

/* Insert frame id at HH:MM:SS with its frame_count rows. */
static void add_frame(sqlite3 *db, int id, const char *at, const char *counts)
{
	char sql[512];
	int netid, state, n, used;

	snprintf(sql, sizeof(sql), "INSERT INTO frame VALUES (%d, "
		 "strftime('%%s', '2026-11-25 %s') * 1000000000, 1, 4026531840, "
		 "99, %d, 0, 0, 0, 0, 0, 0, 0, 0, 3, X'deadbe')", id, at, id);
	exec(db, sql);
	while (sscanf(counts, "%d:%d=%d%n", &netid, &state, &n, &used) == 3) {
		snprintf(sql, sizeof(sql), "INSERT INTO frame_count VALUES "
			 "(%d, %d, %d, %d)", id, netid, state, n);
		exec(db, sql);
		counts += used;
	}
}

/* Insert one kind-0 rollup row starting at HH:MM:SS. */
static void add_rollup(sqlite3 *db, int period, const char *at, int key,
		       int samples, int sum, int max)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "INSERT INTO rollup VALUES (%d, "
		 "strftime('%%s', '2026-11-25 %s') * 1000000000, 4026531840, 0, "
		 "%d, %d, %d, %d)", period, at, key, samples, sum, max);
	exec(db, sql);
}

/* Make a fresh temporary directory and database path for one test. */
static int make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-hist-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/h.db", dir);
	db_set_path(path);
	return 0;
}

/* Setup: the fixture database described above. */
static int setup(void **state)
{
	sqlite3 *db;

	(void)state;
	if (make_dir() < 0)
		return -1;
	db = create_db();
	exec(db, "BEGIN");
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		add_frame(db, frames[i].id, frames[i].at, frames[i].counts);
	for (size_t i = 0; i < sizeof(rollups) / sizeof(rollups[0]); i++)
		add_rollup(db, rollups[i].period, rollups[i].at, rollups[i].key,
			   rollups[i].samples, rollups[i].sum, rollups[i].max);
	exec(db, "COMMIT");
	sqlite3_close(db);
	return 0;
}

/* Setup: a database with the schema and no data. */
static int setup_empty(void **state)
{
	(void)state;
	if (make_dir() < 0)
		return -1;
	sqlite3_close(create_db());
	return 0;
}

/* Remove the test's directory and whatever is in it. */
static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Read the file name into buf (NUL-terminated, truncated to len - 1). */
static void slurp(const char *name, char *buf, size_t len)
{
	FILE *f = fopen(name, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Point fd at a new file name; returns the saved original fd. */
static int redirect(int fd, const char *name)
{
	int saved = dup(fd);
	int f = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(saved >= 0 && f >= 0);
	assert_true(dup2(f, fd) >= 0);
	close(f);
	return saved;
}

/* Put the saved fd back. */
static void restore(int fd, int saved)
{
	assert_true(dup2(saved, fd) >= 0);
	close(saved);
}

static char out[16384], err[1024];

/* Run `hist ARGS...` (NULL-terminated) capturing stdout into out and stderr
 * into err; returns the exit status. */
static int hist(const char *arg, ...)
{
	char *argv[32] = { (char *)"hist" };
	char oname[128], ename[128];
	int argc = 1, status, so, se;
	va_list ap;

	va_start(ap, arg);
	for (; arg && argc < 31; arg = va_arg(ap, const char *))
		argv[argc++] = (char *)arg;
	va_end(ap);
	snprintf(oname, sizeof(oname), "%s/out", dir);
	snprintf(ename, sizeof(ename), "%s/err", dir);
	fflush(stdout);
	fflush(stderr);
	so = redirect(STDOUT_FILENO, oname);
	se = redirect(STDERR_FILENO, ename);
	status = cmd_hist(argc, argv);
	fflush(stdout);
	fflush(stderr);
	restore(STDOUT_FILENO, so);
	restore(STDERR_FILENO, se);
	slurp(oname, out, sizeof(out));
	slurp(ename, err, sizeof(err));
	return status;
}

/* Both strings equal, showing both when not. */
static void same(const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("got:\n%s\nwanted:\n%s", got, want);
}

/* Frames and a minute rollup, per state: max and mean per bucket, zero rows
 * for groups absent from a bucket, frame 6 (no sockets) counted in the mean,
 * the 10:00 junk rollup ignored, the 10:02 rollup's ESTAB peaks summed. */
static void test_state_csv(void **state)
{
	(void)state;
	assert_int_equal(hist("--since", "2026-11-25T10:00:00Z", "--until",
			      "2026-11-25T10:02:59Z", "--step", "1m", "--format",
			      "csv", NULL), 0);
	same(err, "");
	same(out, "bucket_start,group,max,mean\n"
		  "2026-11-25T10:00:00Z,ESTAB,5,3\n"
		  "2026-11-25T10:00:00Z,TIME-WAIT,0,0\n"
		  "2026-11-25T10:00:00Z,LISTEN,2,2\n"
		  "2026-11-25T10:00:00Z,UNCONN,1,0.33\n"
		  "2026-11-25T10:01:00Z,ESTAB,2,1\n"
		  "2026-11-25T10:01:00Z,TIME-WAIT,4,1.33\n"
		  "2026-11-25T10:01:00Z,LISTEN,0,0\n"
		  "2026-11-25T10:01:00Z,UNCONN,0,0\n"
		  "2026-11-25T10:02:00Z,ESTAB,8,6\n"
		  "2026-11-25T10:02:00Z,TIME-WAIT,0,0\n"
		  "2026-11-25T10:02:00Z,LISTEN,2,2\n"
		  "2026-11-25T10:02:00Z,UNCONN,0,0\n");
}

/* The same per netid, without the header; udp and u_str tie on max and go
 * by netid number.  A bucket in the middle of the range is whole. */
static void test_netid_csv(void **state)
{
	(void)state;
	assert_int_equal(hist("--since", "2026-11-25T10:00:30Z", "--until",
			      "2026-11-25T10:02:00Z", "--step=60", "--by",
			      "netid", "--format=csv", "-H", NULL), 0);
	same(out, "2026-11-25T10:00:00Z,tcp,7,4.67\n"
		  "2026-11-25T10:00:00Z,udp,1,0.33\n"
		  "2026-11-25T10:00:00Z,u_str,1,0.33\n"
		  "2026-11-25T10:01:00Z,tcp,6,2.33\n"
		  "2026-11-25T10:01:00Z,udp,0,0\n"
		  "2026-11-25T10:01:00Z,u_str,0,0\n"
		  "2026-11-25T10:02:00Z,tcp,9,7\n"
		  "2026-11-25T10:02:00Z,udp,0,0\n"
		  "2026-11-25T10:02:00Z,u_str,1,1\n");
}

/* Hour steps over rollups only: 07 from the minute rollups (tie with the
 * hour row), 08 from the hour rollup (no minutes), 09 from the hour rollup
 * (it saw 360 snapshots, the minute row 6). */
static void test_hour_rollups(void **state)
{
	(void)state;
	assert_int_equal(hist("--since", "2026-11-25T07:00:00Z", "--until",
			      "2026-11-25T09:59:59Z", "--step", "1h", "--format",
			      "csv", NULL), 0);
	same(out, "bucket_start,group,max,mean\n"
		  "2026-11-25T07:00:00Z,ESTAB,4,2.5\n"
		  "2026-11-25T07:00:00Z,LISTEN,0,0\n"
		  "2026-11-25T08:00:00Z,ESTAB,5,2\n"
		  "2026-11-25T08:00:00Z,LISTEN,1,1\n"
		  "2026-11-25T09:00:00Z,ESTAB,6,3\n"
		  "2026-11-25T09:00:00Z,LISTEN,0,0\n");
}

/* An hour rollup cannot be split into minutes: nothing for 08:00 at 1m,
 * nor at 90s (hour and minute rollups both need a step they divide). */
static void test_rollup_not_split(void **state)
{
	(void)state;
	assert_int_equal(hist("--since", "2026-11-25T08:00:00Z", "--until",
			      "2026-11-25T08:59:59Z", "--step", "1m", NULL), 1);
	same(out, "");
	same(err, "sockhist: hist: no snapshots between 2026-11-25T08:00:00Z "
		  "and 2026-11-25T08:59:59Z\n");
	assert_int_equal(hist("--since", "2026-11-25T07:00:00Z", "--until",
			      "2026-11-25T07:01:59Z", "--step", "90s", NULL), 1);
	assert_int_equal(hist("--since", "2026-11-25T07:00:00Z", "--until",
			      "2026-11-25T07:01:59Z", "--step", "2m", "-H",
			      "--format", "csv", NULL), 0);
	same(out, "2026-11-25T07:00:00Z,ESTAB,4,2.5\n");
}

/* No --since/--until/--step: 07:00 (the oldest data) to 10:02 (the newest,
 * the minute rollup) is 3 h, so 5 min buckets: 08:00 (hour rollup) cannot
 * be used, 09:55 comes from its minute rollup, 10:00 from the six frames
 * (the 10:02 rollup is in a bucket with frames). */
static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(hist("--format", "csv", "-H", NULL), 0);
	same(out, "2026-11-25T07:00:00Z,ESTAB,4,2.5\n"
		  "2026-11-25T07:00:00Z,TIME-WAIT,0,0\n"
		  "2026-11-25T07:00:00Z,LISTEN,0,0\n"
		  "2026-11-25T07:00:00Z,UNCONN,0,0\n"
		  "2026-11-25T09:55:00Z,ESTAB,10,10\n"
		  "2026-11-25T09:55:00Z,TIME-WAIT,0,0\n"
		  "2026-11-25T09:55:00Z,LISTEN,0,0\n"
		  "2026-11-25T09:55:00Z,UNCONN,0,0\n"
		  "2026-11-25T10:00:00Z,ESTAB,5,2\n"
		  "2026-11-25T10:00:00Z,TIME-WAIT,4,0.67\n"
		  "2026-11-25T10:00:00Z,LISTEN,2,1\n"
		  "2026-11-25T10:00:00Z,UNCONN,1,0.17\n");
	/* --until alone: --since is the oldest data, 07:00; 1 h, so 1 min */
	assert_int_equal(hist("--until", "2026-11-25T08:00:00Z", "--format",
			      "csv", "-H", NULL), 0);
	same(out, "2026-11-25T07:00:00Z,ESTAB,3,2\n"
		  "2026-11-25T07:01:00Z,ESTAB,4,3\n");
	/* --since alone: until the newest data, 10:02; 30 s, so 10 s buckets
	 * (the 10:01:40 one holds frame 6, without sockets; the 10:02 minute
	 * rollup cannot be split) */
	assert_int_equal(hist("--since", "2026-11-25T10:01:30Z", "--format",
			      "csv", "-H", NULL), 0);
	same(out, "2026-11-25T10:01:30Z,TIME-WAIT,4,4\n"
		  "2026-11-25T10:01:30Z,ESTAB,2,2\n"
		  "2026-11-25T10:01:40Z,TIME-WAIT,0,0\n"
		  "2026-11-25T10:01:40Z,ESTAB,0,0\n");
}

/* @ID times, 10 s buckets with gaps left out, as a table (not a terminal:
 * '#' bars, 40 for the largest max). */
static void test_table(void **state)
{
	(void)state;
	assert_int_equal(hist("--since", "@4", "--until", "@5", "--step",
			      "10s", NULL), 0);
	same(out, "Bucket (UTC)          State             Max      Mean\n"
		  "2026-11-25T10:01:00Z  TIME-WAIT           0      0.00\n"
		  "2026-11-25T10:01:00Z  ESTAB               1      1.00  "
		  "##########\n"
		  "2026-11-25T10:01:30Z  TIME-WAIT           4      4.00  "
		  "########################################\n"
		  "2026-11-25T10:01:30Z  ESTAB               2      2.00  "
		  "####################\n");
	assert_int_equal(hist("--since", "@4", "--until", "@4", "-H", "--by",
			      "netid", NULL), 0);
	same(out, "2026-11-25T10:01:00Z  tcp                 1      1.00  "
		  "########################################\n");
}

/* The same rows as JSON (-H changes nothing). */
static void test_json(void **state)
{
	(void)state;
	assert_int_equal(hist("--since", "@4", "--until", "@5", "--step",
			      "30s", "--format", "json", "-H", NULL), 0);
	same(out, "[\n"
		  "{\"bucket_start\":\"2026-11-25T10:01:00Z\",\"group\":"
		  "\"TIME-WAIT\",\"max\":0,\"mean\":0},\n"
		  "{\"bucket_start\":\"2026-11-25T10:01:00Z\",\"group\":"
		  "\"ESTAB\",\"max\":1,\"mean\":1},\n"
		  "{\"bucket_start\":\"2026-11-25T10:01:30Z\",\"group\":"
		  "\"TIME-WAIT\",\"max\":4,\"mean\":2},\n"
		  "{\"bucket_start\":\"2026-11-25T10:01:30Z\",\"group\":"
		  "\"ESTAB\",\"max\":2,\"mean\":1}\n"
		  "]\n");
}

/* Each bad argument: one line on stderr, nothing on stdout, exit 2. */
static void test_bad_arguments(void **state)
{
	static const struct { const char *opt, *arg, *msg; } bad[] = {
		{ "--since", "yesterday", "sockhist: yesterday: not a time" },
		{ "--until", "25:00", "sockhist: 25:00: not a time" },
		{ "--step", "0", "sockhist: 0: not a duration" },
		{ "--step", "5x", "sockhist: 5x: not a duration" },
		{ "--step", "1500ms", "sockhist: 1500ms: the step must be a "
		  "whole number of seconds" },
		{ "--by", "port", "sockhist: port: unknown --by key (use state, "
		  "netid, family, sport, dport, local, peer, process, uid, "
		  "cgroup, netns)" },
		{ "--format", "xml", "sockhist: xml: unknown format" },
		{ "--bogus", "1", "sockhist: --bogus: unknown option" },
		{ "extra", NULL, "sockhist: filter: unknown filter term "
		  "'extra'" },
		{ "--top", "-1", "sockhist: -1: not a number of groups" },
		{ "--top", "5x", "sockhist: 5x: not a number of groups" },
		{ "-F", "/nonexistent/f", "sockhist: /nonexistent/f: No such "
		  "file" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hist(bad[i].opt, bad[i].arg, NULL), 2);
		same(out, "");
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)) != 0 ||
		    strchr(err, '\n') != err + strlen(err) - 1)
			fail_msg("%s %s: \"%s\"", bad[i].opt, bad[i].arg, err);
	}
	assert_int_equal(hist("--since", "2026-11-25T10:00:01Z", "--until",
			      "2026-11-25T10:00:00Z", NULL), 2);
	same(err, "sockhist: --since: later than --until\n");
}

/* Failures that are not usage errors exit 1. */
static void test_failures(void **state)
{
	(void)state;
	assert_int_equal(hist("--since", "@99", NULL), 1);
	same(err, "sockhist: @99: no snapshot with this id (see 'sockhist "
		  "snapshots')\n");
	assert_int_equal(hist("--since", "2026-11-25T11:00:00Z", NULL), 1);
	same(err, "sockhist: hist: no snapshots between 2026-11-25T11:00:00Z "
		  "and 2026-11-25T11:00:00Z\n");
	assert_int_equal(hist("--until", "2026-11-24T10:00:00Z", NULL), 1);
	same(err, "sockhist: hist: no snapshots between 2026-11-23T10:00:00Z "
		  "and 2026-11-24T10:00:00Z\n");
	same(out, "");
}

/* An empty database: nothing to default the range from. */
static void test_empty(void **state)
{
	char want[256];

	(void)state;
	assert_int_equal(hist(NULL), 1);
	snprintf(want, sizeof(want), "sockhist: %s: no snapshots recorded yet\n",
		 path);
	same(err, want);
	assert_int_equal(hist("--since", "2026-11-25T10:00:00Z", "--until",
			      "2026-11-25T11:00:00Z", NULL), 1);
	same(err, "sockhist: hist: no snapshots between 2026-11-25T10:00:00Z "
		  "and 2026-11-25T11:00:00Z\n");
}

/* The default step for a range. */
static void test_auto_step(void **state)
{
	(void)state;
	assert_int_equal(hist_auto_step(0), 10 * SEC);
	assert_int_equal(hist_auto_step(600 * SEC), 10 * SEC);
	assert_int_equal(hist_auto_step(600 * SEC + 1), 30 * SEC);
	assert_int_equal(hist_auto_step(3 * 3600 * SEC), 300 * SEC);
	assert_int_equal(hist_auto_step(24 * 3600 * SEC), 1800 * SEC);
	assert_int_equal(hist_auto_step(61 * 3600 * SEC), 7200 * SEC);
	assert_int_equal(hist_auto_step(60 * 86400 * SEC), 86400 * SEC);
	assert_int_equal(hist_auto_step(3650 * 86400 * SEC), 7 * 86400 * SEC);
}

/* The query plan of src's SQL must name every string in want. */
static void plan_uses(enum hist_sql_id src, const char *const *want,
		      size_t nwant)
{
	const char *sql = hist_sql(src);
	char *explain = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
	char plan[4096] = "";
	sqlite3_stmt *q;
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, explain, -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		strncat(plan, (const char *)sqlite3_column_text(q, 3),
			sizeof(plan) - strlen(plan) - 2);
		strcat(plan, "\n");
	}
	sqlite3_finalize(q);
	sqlite3_close(db);
	sqlite3_free(explain);
	for (size_t i = 0; i < nwant; i++)
		if (!strstr(plan, want[i]))
			fail_msg("no \"%s\" in the plan:\n%s", want[i], plan);
	assert_null(strstr(plan, "SCAN frame\n"));
	assert_null(strstr(plan, "SCAN rollup\n"));
	assert_null(strstr(plan, "SCAN f\n"));
	assert_null(strstr(plan, "SCAN c\n"));
	assert_null(strstr(plan, "SCAN r\n"));
}

/* The frames query searches frame by time (with --netns by namespace and
 * time, in the format-4 index) and frame_count by frame; the rollups query searches rollup by its primary key and frame by time, and
 * so does the query for rollups without frames. */
static void test_plans(void **state)
{
	static const char *const frames_plan[] = {
		"SEARCH f USING COVERING INDEX frame_time (time_ns>? AND "
		"time_ns<?)",
		"SEARCH c USING PRIMARY KEY (frame=?)",
	};
	static const char *const rollups_plan[] = {
		"SEARCH rollup USING PRIMARY KEY (period=? AND kind=? AND "
		"start_ns>? AND start_ns<?)",
		"SEARCH r USING PRIMARY KEY (period=? AND kind=? AND "
		"start_ns>? AND start_ns<?)",
		"SEARCH f USING COVERING INDEX frame_time (time_ns>? AND "
		"time_ns<?)",
	};

	static const char *const frames_netns_plan[] = {
		"SEARCH f USING COVERING INDEX frame_netns_time (netns_ino=? AND "
		"time_ns>? AND time_ns<?)",
		"SEARCH c USING PRIMARY KEY (frame=?)",
	};

	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, sql_migrate_3);
	exec(db, sql_migrate_4);
	sqlite3_close(db);
	plan_uses(HIST_FRAMES, frames_plan, 2);
	plan_uses(HIST_FRAMES_NETNS, frames_netns_plan, 2);
	plan_uses(HIST_ROLLUPS, rollups_plan, 3);
	plan_uses(HIST_ROLLUP_ONLY, rollups_plan + 1, 2);
}

/* ---- the scan path ------------------------------------------------------ */

/* The scan fixture, on 2026-11-25 (UTC), one namespace.  A socket is
 * "COOKIE NETID STATE LOCAL PEER PROCESS" (addresses with :port; "*" for a
 * unix socket's; process "-" for none); a cookie in several snapshots is
 * the same socket (the frames are chain deltas).  Server 10.0.0.1:8080
 * (nginx), a unix socket of app, peers 10.0.0.5/7/8/9. */
#define LISTENER "1 tcp listening 0.0.0.0:8080 0.0.0.0:0 nginx"
#define UNIXSOCK "9 u_str established * * app"
static const struct { const char *at; const char *socks[6]; } snaps[] = {
	{ "12:00:00", { LISTENER,
		"2 tcp established 10.0.0.1:8080 10.0.0.9:40002 nginx",
		"3 tcp established 10.0.0.1:8080 10.0.0.8:40003 nginx",
		"4 tcp close-wait 10.0.0.1:8080 10.0.0.9:40004 nginx",
		UNIXSOCK } },
	{ "12:00:20", { LISTENER,
		"2 tcp established 10.0.0.1:8080 10.0.0.9:40002 nginx",
		"4 tcp close-wait 10.0.0.1:8080 10.0.0.9:40004 nginx",
		"5 tcp close-wait 10.0.0.1:8080 10.0.0.7:40005 nginx",
		UNIXSOCK } },
	{ "12:00:40", { LISTENER,
		"6 tcp established 10.0.0.1:50000 10.0.0.5:5432 app",
		UNIXSOCK } },
	{ "12:01:10", { LISTENER,
		"7 tcp close-wait 10.0.0.1:8080 10.0.0.9:40007 nginx",
		"8 tcp close-wait 10.0.0.1:8080 10.0.0.9:40008 nginx",
		"10 tcp close-wait 10.0.0.1:8080 10.0.0.9:40010 -" } },
	{ "12:01:50", { LISTENER,
		"11 tcp established [2001:db8:aaaa::1]:443 "
		"[2001:db8:aaaa::2]:50001 -" } },
};

/* Nanoseconds of 2026-11-25 HH:MM:SS UTC. */
static int64_t at_ns(const char *hms)
{
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 25 };

	assert_int_equal(sscanf(hms, "%d:%d:%d", &tm.tm_hour, &tm.tm_min,
				&tm.tm_sec), 3);
	return (int64_t)timegm(&tm) * SEC;
}

/* Parse "ADDR:PORT" or "[ADDR]:PORT" into r's address a and *port. */
static void endpoint(struct sock_record *r, const char *text, uint8_t *a,
		     uint16_t *port)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	size_t n = (size_t)(colon - text);

	if (text[0] == '[') {
		memcpy(host, text + 1, n - 2);
		host[n - 2] = '\0';
		r->family = AF_INET6;
	} else {
		memcpy(host, text, n);
		host[n] = '\0';
		r->family = AF_INET;
	}
	assert_int_equal(inet_pton(r->family, host, a), 1);
	*port = (uint16_t)atoi(colon + 1);
}

/* Add the socket described by spec (see snaps[]) to s. */
static void add_sock(struct snapshot *s, const char *spec)
{
	char netid[16], st[16], local[64], peer[64], proc[16];
	unsigned long long cookie;
	struct sock_record *r = snapshot_add_record(s);

	assert_non_null(r);
	assert_int_equal(sscanf(spec, "%llu %15s %15s %63s %63s %15s", &cookie,
				netid, st, local, peer, proc), 6);
	r->cookie = cookie;
	r->inode = 7000 + cookie;
	r->netid = (uint8_t)netid_from_name(netid);
	assert_true(state_from_name(st) >= 0);
	r->state = (uint8_t)state_from_name(st);
	if (strcmp(local, "*") == 0) {
		r->family = AF_UNIX;
	} else {
		endpoint(r, local, r->src, &r->sport);
		endpoint(r, peer, r->dst, &r->dport);
	}
	if (strcmp(proc, "-") != 0) {
		r->proc_first = (uint32_t)s->nprocs;
		r->proc_count = 1;
		assert_int_equal(snapshot_add_process(s, 100 + (uint32_t)cookie,
						      3, proc), 0);
	}
}

/* Setup: the scan fixture, written by the recorder's own store code. */
static int setup_scan(void **state)
{
	struct snapshot s;
	struct store *st;
	char msg[256];

	(void)state;
	if (make_dir() < 0 ||
	    store_open(path, STORE_WRITE, &st, msg, sizeof(msg)) < 0)
		return -1;
	assert_int_equal(snapshot_init(&s), 0);
	for (size_t i = 0; i < sizeof(snaps) / sizeof(snaps[0]); i++) {
		snapshot_reset(&s);
		s.time_ns = at_ns(snaps[i].at);
		s.netns_ino = 4026531840u;
		for (size_t k = 0; k < 6 && snaps[i].socks[k]; k++)
			add_sock(&s, snaps[i].socks[k]);
		snapshot_sort_dedupe(&s);
		assert_true(store_append(st, &s) > 0);
	}
	snapshot_free(&s);
	store_close(st);
	return 0;
}

/* Run sql on the fixture file. */
static void alter(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, sql);
	sqlite3_close(db);
}

#define SCAN_RANGE "--since", "2026-11-25T12:00:00Z", "--until", \
		   "2026-11-25T12:01:59Z"

/* CLOSE-WAIT on :8080 per minute, the one-liner: 12:00 holds three
 * snapshots with 1, 2 and 0 of them, 12:01 two with 3 and 0. */
static void test_scan_close_wait(void **state)
{
	char file[160];
	FILE *f;

	(void)state;
	assert_int_equal(hist(SCAN_RANGE, "--step", "1m", "--format", "csv",
			      "state", "close-wait", "sport", "=", ":8080",
			      NULL), 0);
	same(err, "");
	same(out, "bucket_start,group,max,mean\n"
		  "2026-11-25T12:00:00Z,CLOSE-WAIT,2,1\n"
		  "2026-11-25T12:01:00Z,CLOSE-WAIT,3,1.5\n");
	/* the same FILTER from -F, per local port */
	snprintf(file, sizeof(file), "%s/filter", dir);
	assert_non_null(f = fopen(file, "w"));
	fputs("sport = :8080\n", f);
	fclose(f);
	assert_int_equal(hist(SCAN_RANGE, "--step", "1m", "--format", "csv",
			      "--by", "sport", "-H", "-F", file, "state",
			      "close-wait", NULL), 0);
	same(out, "2026-11-25T12:00:00Z,8080,2,1\n"
		  "2026-11-25T12:01:00Z,8080,3,1.5\n");
	/* per peer port, each its own group */
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--format", "csv",
			      "--by", "dport", "-H", "-t", "state",
			      "close-wait", NULL), 0);
	same(out, "2026-11-25T12:00:00Z,40004,1,0.4\n"
		  "2026-11-25T12:00:00Z,40005,1,0.2\n"
		  "2026-11-25T12:00:00Z,40007,1,0.2\n"
		  "2026-11-25T12:00:00Z,40008,1,0.2\n"
		  "2026-11-25T12:00:00Z,40010,1,0.2\n");
}

/* Established TCP sockets per peer: ties on max go by address, IPv4
 * before IPv6; a group absent from a bucket shows 0. */
static void test_scan_peer(void **state)
{
	(void)state;
	assert_int_equal(hist(SCAN_RANGE, "--step", "1m", "--by", "peer",
			      "--format", "csv", "-H", "-t", "state",
			      "established", NULL), 0);
	same(out, "2026-11-25T12:00:00Z,10.0.0.5,1,0.33\n"
		  "2026-11-25T12:00:00Z,10.0.0.8,1,0.33\n"
		  "2026-11-25T12:00:00Z,10.0.0.9,1,0.67\n"
		  "2026-11-25T12:00:00Z,2001:db8:aaaa::2,0,0\n"
		  "2026-11-25T12:01:00Z,10.0.0.5,0,0\n"
		  "2026-11-25T12:01:00Z,10.0.0.8,0,0\n"
		  "2026-11-25T12:01:00Z,10.0.0.9,0,0\n"
		  "2026-11-25T12:01:00Z,2001:db8:aaaa::2,1,0.5\n");
	/* as a table: the group column widens to the longest label */
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--by", "peer",
			      "state", "established", "dst", "2001:db8::/32",
			      NULL), 0);
	same(out, "Bucket (UTC)          Peer address          Max      Mean\n"
		  "2026-11-25T12:00:00Z  2001:db8:aaaa::2        1      0.20  "
		  "########################################\n");
}

/* Five snapshots in one bucket, per first owner ("-": none); JSON. */
static void test_scan_process(void **state)
{
	(void)state;
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--by", "process",
			      "--format", "json", NULL), 0);
	same(out, "[\n"
		  "{\"bucket_start\":\"2026-11-25T12:00:00Z\",\"group\":"
		  "\"nginx\",\"max\":4,\"mean\":2.6},\n"
		  "{\"bucket_start\":\"2026-11-25T12:00:00Z\",\"group\":"
		  "\"app\",\"max\":2,\"mean\":0.8},\n"
		  "{\"bucket_start\":\"2026-11-25T12:00:00Z\",\"group\":"
		  "\"-\",\"max\":1,\"mean\":0.4}\n"
		  "]\n");
}

/* The rows --by peer --top 1 must give: 10.0.0.9 and, per snapshot, the
 * rest (0.0.0.0, 10.0.0.8/7/5, the unix "*", the IPv6 peer), whose max is
 * 3, not the 5 that summing the rest's maxes would give. */
static const char top1_rows[] =
	"2026-11-25T12:00:00Z,10.0.0.9,2,1.33\n"
	"2026-11-25T12:00:00Z,other,3,3\n"
	"2026-11-25T12:01:00Z,10.0.0.9,3,1.5\n"
	"2026-11-25T12:01:00Z,other,2,1.5\n";

/* --top 1: one group and "other", folded from the unit log. */
static void test_scan_top(void **state)
{
	(void)state;
	assert_int_equal(hist(SCAN_RANGE, "--step", "1m", "--by", "peer",
			      "--top", "1", "--format", "csv", "-H", NULL), 0);
	same(out, top1_rows);
	/* --top 0 and a --top above the group count keep every group */
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--by", "peer",
			      "--top", "0", "--format", "csv", "-H", NULL), 0);
	same(out, "2026-11-25T12:00:00Z,10.0.0.9,3,1.4\n"
		  "2026-11-25T12:00:00Z,*,1,0.6\n"
		  "2026-11-25T12:00:00Z,0.0.0.0,1,1\n"
		  "2026-11-25T12:00:00Z,10.0.0.5,1,0.2\n"
		  "2026-11-25T12:00:00Z,10.0.0.7,1,0.2\n"
		  "2026-11-25T12:00:00Z,10.0.0.8,1,0.2\n"
		  "2026-11-25T12:00:00Z,2001:db8:aaaa::2,1,0.2\n");
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--by", "peer",
			      "--top", "7", "--format", "csv", "-H", NULL), 0);
	assert_null(strstr(out, "other"));
	/* the table keeps 10 by default: 7 groups, no "other" */
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--by", "peer",
			      "-H", NULL), 0);
	assert_null(strstr(out, "other"));
}

/* hist_each_row callback: append the row as CSV to the string arg. */
static int row_csv(const struct hist_row *row, void *arg)
{
	char *buf = arg, when[40];
	size_t n = strlen(buf);

	time_format_iso(row->start_ns, 0, when, sizeof(when));
	snprintf(buf + n, 4096 - n, "%s,%s,%lld,%.3g\n", when, row->group,
		 (long long)row->max, row->mean);
	return 0;
}

/* --top 1 without a unit log: hist_fold_top asks for a second pass over
 * the snapshots, which gives the same rows. */
static void test_scan_top_second_pass(void **state)
{
	struct hist_fold *f;
	struct hist_scan_stats stats;
	struct sock_select sel;
	struct store *st;
	struct hist h;
	char msg[256], rows[4096] = "";
	int64_t lo = at_ns("12:00:00"), hi = at_ns("12:02:00");

	(void)state;
	sock_select_init(&sel);
	assert_int_equal(sock_select_finish(&sel, 0, NULL, SEL_ALL), 0);
	assert_int_equal(store_open(path, STORE_READ, &st, msg, sizeof(msg)),
			 0);
	assert_int_equal(hist_fold_new(sock_key_find("peer"), 60 * SEC, 0, &f),
			 0);
	assert_int_equal(hist_scan_fold(st, &sel, lo, hi, true, f, &stats), 0);
	assert_int_equal(stats.frames, 5);
	assert_int_equal(stats.rows, 19);
	assert_int_equal(hist_fold_ngroups(f), 7);
	assert_int_equal(hist_fold_top(f, 1), 1);
	assert_int_equal(hist_scan_fold(st, &sel, lo, hi, false, f, &stats), 0);
	assert_int_equal(hist_fold_result(f, &h), 0);
	hist_each_row(&h, row_csv, rows);
	same(rows, top1_rows);
	hist_free(&h);
	hist_fold_free(f);
	store_close(st);
	sock_select_free(&sel);
}

/* Both paths give the same rows on untouched counts: per state from the
 * counts, and per state with an always-true expression from a scan. */
static void test_paths_agree(void **state)
{
	char counts[sizeof(out)];

	(void)state;
	assert_int_equal(hist(SCAN_RANGE, "--step", "1m", "--format", "csv",
			      NULL), 0);
	strcpy(counts, out);
	assert_int_equal(hist(SCAN_RANGE, "--step", "1m", "--format", "csv",
			      "sport", ">=", ":0", NULL), 0);
	same(out, counts);
	same(out, "bucket_start,group,max,mean\n"
		  "2026-11-25T12:00:00Z,ESTAB,3,2.33\n"
		  "2026-11-25T12:00:00Z,CLOSE-WAIT,2,1\n"
		  "2026-11-25T12:00:00Z,LISTEN,1,1\n"
		  "2026-11-25T12:01:00Z,ESTAB,1,0.5\n"
		  "2026-11-25T12:01:00Z,CLOSE-WAIT,3,1.5\n"
		  "2026-11-25T12:01:00Z,LISTEN,1,1\n");
}

/* Which questions read the counts: with every stored CLOSE-WAIT count
 * raised by 100 (the frames holding some: 101, 102, 103 of 5), state and
 * netid questions with state terms and table flags show it; an
 * expression, -4/-6 or another key scan the snapshots (1, 2, 3). */
static void test_path_choice(void **state)
{
	(void)state;
	alter("UPDATE frame_count SET n = n + 100 WHERE state = 8");
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--format", "csv",
			      "-H", "-t", "state", "close-wait", NULL), 0);
	same(out, "2026-11-25T12:00:00Z,CLOSE-WAIT,103,61.2\n");
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--format", "csv",
			      "-H", "--by", "netid", "-t", "-x", "state",
			      "close-wait", NULL), 0);
	same(out, "2026-11-25T12:00:00Z,tcp,103,61.2\n");
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--format", "csv",
			      "-H", "-4", "state", "close-wait", NULL), 0);
	same(out, "2026-11-25T12:00:00Z,CLOSE-WAIT,3,1.2\n");
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--format", "csv",
			      "-H", "state", "close-wait", "dport", ">", ":0",
			      NULL), 0);
	same(out, "2026-11-25T12:00:00Z,CLOSE-WAIT,3,1.2\n");
	assert_int_equal(hist(SCAN_RANGE, "--step", "2m", "--format", "csv",
			      "-H", "--by", "family", "state", "close-wait",
			      NULL), 0);
	same(out, "2026-11-25T12:00:00Z,inet,3,1.2\n");
}

/* Retention left only rollups for 11:00: the counts answer from them, a
 * scan says the snapshots are gone, or warns and leaves that bucket out. */
static void test_scan_gone(void **state)
{
	(void)state;
	alter("INSERT INTO rollup VALUES (60, strftime('%s', "
	      "'2026-11-25 11:00:00') * 1000000000, 4026531840, 0, -1, 6, 30,"
	      " 5), (60, strftime('%s', '2026-11-25 11:00:00') * 1000000000,"
	      " 4026531840, 0, 1, 6, 24, 4)");
	assert_int_equal(hist("--since", "2026-11-25T11:00:00Z", "--until",
			      "2026-11-25T11:00:59Z", "--step", "1m", "--format",
			      "csv", "-H", NULL), 0);
	same(out, "2026-11-25T11:00:00Z,ESTAB,4,4\n");
	assert_int_equal(hist("--since", "2026-11-25T11:00:00Z", "--until",
			      "2026-11-25T11:00:59Z", "--by", "peer", NULL), 1);
	same(out, "");
	same(err, "sockhist: hist: the snapshots of this range are gone "
		  "(retention), and the counts kept instead answer only --by "
		  "state or netid with no address, port or family filter\n");
	assert_int_equal(hist("--since", "2026-11-25T11:00:00Z", "--until",
			      "2026-11-25T12:00:59Z", "--step", "1m", "--by",
			      "peer", "--format", "csv", "-H", "state",
			      "close-wait", NULL), 0);
	same(err, "sockhist: warning: retention left only counts for part of "
		  "the range, which this question cannot use: those buckets "
		  "are left out\n");
	same(out, "2026-11-25T12:00:00Z,10.0.0.7,1,0.33\n"
		  "2026-11-25T12:00:00Z,10.0.0.9,1,0.67\n");
}

/* Snapshots without any matching socket: said on stderr, exit 0; a range
 * without snapshots is an error as on the counts path. */
static void test_scan_empty(void **state)
{
	(void)state;
	assert_int_equal(hist(SCAN_RANGE, "--step", "1m", "--by", "peer",
			      "--format", "csv", "state", "syn-sent", NULL), 0);
	same(out, "bucket_start,group,max,mean\n");
	same(err, "sockhist: hist: no socket matched in the 2 buckets between "
		  "2026-11-25T12:00:00Z and 2026-11-25T12:01:59Z\n");
	assert_int_equal(hist("--since", "2026-11-25T13:00:00Z", "--by", "peer",
			      NULL), 1);
	same(err, "sockhist: hist: no snapshots between 2026-11-25T13:00:00Z "
		  "and 2026-11-25T13:00:00Z\n");
}

/* A scan of frames it cannot decode (the counts fixture's junk blobs)
 * warns once per chain and has no snapshot left. */
static void test_scan_junk(void **state)
{
	(void)state;
	assert_int_equal(hist("--since", "@1", "--until", "@2", "--by", "sport",
			      NULL), 1);
	same(out, "");
	same(err, "sockhist: warning: frame 3 is damaged: frames 3 to 6 cannot "
		  "be read\n"
		  "sockhist: hist: no snapshots between 2026-11-25T10:00:00Z "
		  "and 2026-11-25T10:00:20Z\n");
}

/* ---- the fold on hand-fed units ---------------------------------------- */

/* Feed a unit at time t of the given states (count per state). */
static void feed_unit(struct hist_fold *f, int64_t t, const char *states,
		      int64_t snapshots)
{
	static const struct snapshot none;
	char name[32];
	int n, used;

	assert_int_equal(hist_fold_begin(f, t), 0);
	while (sscanf(states, "%31[a-z-]=%d%n", name, &n, &used) == 2) {
		int st = state_from_name(name);
		struct sock_record r = { .state = (uint8_t)st };
		long g = hist_fold_group(f, &none, &r);

		assert_true(st >= 0);
		assert_true(g >= 0);
		assert_int_equal(hist_fold_add(f, g, n, n), 0);
		states += used;
		while (*states == ' ')
			states++;
	}
	assert_int_equal(hist_fold_end(f, snapshots), 0);
}

/* The fold's rows as CSV into buf. */
static void fold_rows(struct hist_fold *f, char *buf)
{
	struct hist h;

	buf[0] = '\0';
	assert_int_equal(hist_fold_result(f, &h), 0);
	hist_each_row(&h, row_csv, buf);
	hist_free(&h);
}

/* Units out of time order fold as if in order; a bucket met twice merges;
 * a rollup-like unit (peak and sum apart, its snapshots counted in a unit
 * of their own) takes its peak as max. */
static void test_fold_units(void **state)
{
	struct hist_fold *f;
	char rows[4096];
	int64_t t0 = at_ns("12:00:00");

	(void)state;
	assert_int_equal(hist_fold_new(sock_key_find("state"), 60 * SEC,
				       HIST_LOG_MAX, &f), 0);
	feed_unit(f, t0 + 10 * SEC, "established=2", 1);
	feed_unit(f, t0 + 70 * SEC, "listening=1", 1);
	feed_unit(f, t0 + 20 * SEC, "established=5 listening=1", 1);
	feed_unit(f, t0 + 30 * SEC, "", 1);
	assert_int_equal(hist_fold_begin(f, t0 + 120 * SEC), 0);
	{
		static const struct snapshot none;
		struct sock_record r = { .state = SS_ESTABLISHED };
		long g = hist_fold_group(f, &none, &r);

		assert_int_equal(hist_fold_add(f, g, 7, 20), 0);
		assert_int_equal(hist_fold_add(f, g, 2, 4), 0);
	}
	assert_int_equal(hist_fold_end(f, 0), 0);
	feed_unit(f, t0 + 120 * SEC, "", 6);
	fold_rows(f, rows);
	same(rows, "2026-11-25T12:00:00Z,ESTAB,5,2.33\n"
		   "2026-11-25T12:00:00Z,LISTEN,1,0.333\n"
		   "2026-11-25T12:01:00Z,ESTAB,0,0\n"
		   "2026-11-25T12:01:00Z,LISTEN,1,1\n"
		   "2026-11-25T12:02:00Z,ESTAB,9,4\n"
		   "2026-11-25T12:02:00Z,LISTEN,0,0\n");
	hist_fold_free(f);
}

/* --top on hand-fed units: "other" sums the rest per unit (max 4, where
 * the rest's maxes add up to 6), from the log or from a second feed. */
static void test_fold_top(void **state)
{
	static const char want[] =
		"2026-11-25T12:00:00Z,TIME-WAIT,9,6\n"
		"2026-11-25T12:00:00Z,other,4,3.5\n";
	char rows[4096];
	int64_t t0 = at_ns("12:00:00");

	(void)state;
	for (size_t log_max = 0; log_max <= HIST_LOG_MAX;
	     log_max += HIST_LOG_MAX) {
		struct hist_fold *f;

		assert_int_equal(hist_fold_new(sock_key_find("state"),
					       60 * SEC, log_max, &f), 0);
		for (int pass = 0; pass < 2; pass++) {
			feed_unit(f, t0, "time-wait=9 established=3 listening=1",
				  1);
			feed_unit(f, t0 + SEC, "time-wait=3 listening=3", 1);
			if (pass == 0 && hist_fold_top(f, 1) == 0)
				break;
		}
		fold_rows(f, rows);
		same(rows, want);
		hist_fold_free(f);
	}
}

/* Which selections the counts per netid x state can answer. */
static void test_netid_state_selection(void **state)
{
	static const struct {
		const char *args[4];
		bool ok;
		uint32_t netids, states;
	} cases[] = {
		{ { NULL }, true, 0x7fff, 0x1fff }, /* ss's "all": no tipc */
		{ { "-t", "state", "listening" }, true, 0x1, 1u << 10 },
		{ { "-t", "-x" }, true, 0x39, 0x1fff },
		{ { "-u", "state", "syn-recv" }, true, 0x2, 0x1008 },
		{ { "-l" }, true, 0x7fff, (1u << 10) | (1u << 7) },
		{ { "-0" }, true, 0x600, 0x1fff },
		{ { "-M", "-S" }, true, 0xc0, 0x1fff },
		{ { "-4" }, false, 0, 0 },
		{ { "-t", "-6" }, false, 0, 0 },
		{ { "-x", "-4" }, false, 0, 0 },
		{ { "-w", "-4" }, false, 0, 0 },
		{ { "sport", "=", ":80" }, false, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sock_select sel;
		char *ops[4];
		int n = 0;
		uint32_t netids = 0, states = 0;

		sock_select_init(&sel);
		for (int k = 0; k < 4 && cases[i].args[k]; k++) {
			const char *a = cases[i].args[k];

			if (a[0] == '-')
				assert_true(sock_select_opt(&sel, a[1], NULL));
			else
				ops[n++] = (char *)a;
		}
		assert_int_equal(sock_select_finish(&sel, n, ops, SEL_ALL), 0);
		if (sock_select_netid_state(&sel, &netids, &states) !=
		    cases[i].ok || netids != cases[i].netids ||
		    states != cases[i].states)
			fail_msg("case %zu: netids %#x states %#x", i, netids,
				 states);
		sock_select_free(&sel);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define S(f) cmocka_unit_test_setup_teardown(f, setup_scan, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_state_csv),
		T(test_netid_csv),
		T(test_hour_rollups),
		T(test_rollup_not_split),
		T(test_defaults),
		T(test_table),
		T(test_json),
		T(test_bad_arguments),
		T(test_failures),
		cmocka_unit_test_setup_teardown(test_empty, setup_empty,
						teardown),
		cmocka_unit_test(test_auto_step),
		T(test_plans),
		S(test_scan_close_wait),
		S(test_scan_peer),
		S(test_scan_process),
		S(test_scan_top),
		S(test_scan_top_second_pass),
		S(test_paths_agree),
		S(test_path_choice),
		S(test_scan_gone),
		S(test_scan_empty),
		T(test_scan_junk),
		cmocka_unit_test(test_fold_units),
		cmocka_unit_test(test_fold_top),
		cmocka_unit_test(test_netid_state_selection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
