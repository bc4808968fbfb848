/*
 * test-hist.c — `sockhist hist` end to end: a database made with the
 * embedded schema holds crafted frame, frame_count and rollup rows with
 * known counts; cmd_hist runs with argv and its stdout and stderr are
 * compared byte for byte.  Covered: buckets, max and mean (a group absent
 * from some snapshots, a snapshot without sockets), gaps, the rollup
 * fallback for buckets without frames (summed peaks, frames winning over
 * rollups), minute vs hour rollups, the default range and step, @ID times,
 * the table, CSV and JSON layouts, the errors and their exit codes, and
 * the query plans (frame_time, the frame_count and rollup primary keys).
 *
 * Frame blobs are junk with an unknown codec: hist must never decode one.
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

#include "cmd.h"
#include "db.h"
#include "hist_query.h"

#define SEC 1000000000LL

extern const char sql_schema[];
extern const char sql_migrate_2[];

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
		  "netid)" },
		{ "--format", "xml", "sockhist: xml: unknown format" },
		{ "--bogus", "1", "sockhist: --bogus: unknown option" },
		{ "extra", NULL, "sockhist: extra: unexpected argument" },
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
static void plan_uses(enum hist_source src, const char *const *want,
		      size_t nwant)
{
	char *sql = hist_sql(hist_key_find("state"), src);
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
	sqlite3_free(sql);
	for (size_t i = 0; i < nwant; i++)
		if (!strstr(plan, want[i]))
			fail_msg("no \"%s\" in the plan:\n%s", want[i], plan);
	assert_null(strstr(plan, "SCAN frame\n"));
	assert_null(strstr(plan, "SCAN rollup\n"));
}

/* The frames query searches frame by time and frame_count by frame; the
 * rollups query searches rollup by its primary key and frame by time. */
static void test_plans(void **state)
{
	static const char *const frames_plan[] = {
		"SEARCH frame USING COVERING INDEX frame_time (time_ns>? AND "
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

	(void)state;
	plan_uses(HIST_FRAMES, frames_plan, 2);
	plan_uses(HIST_ROLLUPS, rollups_plan, 3);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
