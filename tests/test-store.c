/*
 * test-store.c — the database: create, append, reopen, list, frame_at
 * boundaries, load; the file settings; reading while a writer appends;
 * refusal of missing, foreign, truncated and newer files with the right code
 * and message; a full disk (simulated with a size limit) leaving every
 * committed frame readable; frame_at on 10k frames using the index;
 * the kernel counters stored with a frame (absent ones stay absent, a
 * format-2 file has none and a reader leaves it format 2); socket
 * lifetimes that survive a writer's restart (a raw socket's cookie
 * above 2^63 included); three namespaces' frames interleaved in one
 * file: chains of their own, every frame reads back as appended (in
 * order, backwards, by scan, after retention), lifetimes per namespace,
 * a forgotten namespace starting a new chain, the netns rows; and batches of close events (the blob, the index
 * rows, the link to a lifetime, losses).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>
#include <linux/tcp.h>

#include "chain.h"
#include "randsnap.h"
#include "codec.h"
#include "store.h"

#define SEC 1000000000LL
#define T0 (1795600800 * SEC)

static char dir[64];
static char path[128];

/* Make a fresh temporary directory and database path for one test. */
static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/h.db", dir);
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

/* A snapshot at time t with n sockets of mixed kinds and some payload. */
static void make_snapshot(struct snapshot *s, int64_t t, unsigned n)
{
	assert_int_equal(snapshot_init(s), 0);
	s->time_ns = t;
	s->netns_ino = 4026531840u;
	for (unsigned i = 0; i < n; i++) {
		struct sock_record *r = snapshot_add_record(s);
		uint8_t tcpi[104];
		r->cookie = 1000 + i * 3;
		r->inode = 50000 + i;
		r->netid = (uint8_t)(i % NETID_FRAME_COLS);
		r->sport = (uint16_t)(1000 + i);
		memset(tcpi, (int)i, sizeof(tcpi));
		r->tcpi_off = (uint32_t)snapshot_add_bytes(s, tcpi, sizeof(tcpi));
		r->tcpi_len = sizeof(tcpi);
		r->proc_first = (uint32_t)s->nprocs;
		r->proc_count = 1;
		assert_int_equal(snapshot_add_process(s, 100 + i, 3, "srv"), 0);
	}
}

static struct store *open_ok(enum store_mode mode)
{
	struct store *st = NULL;
	char err[256];

	int r = store_open(path, mode, &st, err, sizeof(err));
	if (r < 0)
		fail_msg("store_open: %s (%d)", err, r);
	return st;
}

/* Open must fail with code and a message starting with msg. */
static void open_refused(enum store_mode mode, int code, const char *msg)
{
	struct store *st = NULL;
	char err[256] = "";

	assert_int_equal(store_open(path, mode, &st, err, sizeof(err)), code);
	assert_null(st);
	if (strncmp(err, msg, strlen(msg)) != 0)
		fail_msg("message \"%s\", expected \"%s...\"", err, msg);
	printf("# refused: %s\n", err);
}

/* Append n frames 5 s apart starting at T0 with i+1 sockets each. */
static void append_frames(struct store *st, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct snapshot s;
		make_snapshot(&s, T0 + i * 5 * SEC, i + 1);
		assert_true(store_append(st, &s) > 0);
		snapshot_free(&s);
	}
}

static int count_cb(const struct frame_info *fi, void *arg)
{
	int64_t *last = arg;

	assert_true(fi->id > last[0]);
	assert_true(fi->total > 0);
	assert_int_equal(fi->counts[NETID_TCP], (fi->total + 5) / 6);
	assert_int_equal(fi->codec, CODEC_CHAIN_V2);
	assert_true(fi->blob_bytes >= 64);
	last[0] = fi->id;
	last[1]++;
	return 0;
}

/* Number of frames, checking ids ascend. */
static int64_t count_frames(struct store *st)
{
	int64_t acc[2] = { 0, 0 };

	assert_int_equal(store_each_frame(st, count_cb, acc), 0);
	return acc[1];
}

static void test_create_reopen(void **state)
{
	struct frame_info fi;
	struct snapshot s, orig;

	(void)state;
	struct store *st = open_ok(STORE_WRITE);
	append_frames(st, 5);
	store_close(st);
	st = open_ok(STORE_WRITE);
	append_frames(st, 300);
	store_close(st);

	st = open_ok(STORE_READ);
	assert_int_equal(count_frames(st), 305);
	assert_int_equal(store_frame_at(st, T0 - 1, &fi), -ENOENT);
	assert_int_equal(store_frame_at(st, INT64_MIN, &fi), -ENOENT);
	/* frames 1..5 and 6..305 share times: the later id wins */
	assert_int_equal(store_frame_at(st, T0, &fi), 0);
	assert_int_equal(fi.id, 6);
	assert_int_equal(store_frame_at(st, T0 + 5 * SEC - 1, &fi), 0);
	assert_int_equal(fi.id, 6);
	assert_int_equal(store_frame_at(st, T0 + 20 * SEC, &fi), 0);
	assert_int_equal(fi.id, 10);
	assert_int_equal(store_frame_at(st, T0 + 25 * SEC, &fi), 0);
	assert_int_equal(fi.id, 11);
	assert_int_equal(store_frame_at(st, INT64_MAX, &fi), 0);
	assert_int_equal(fi.id, 305);
	assert_int_equal(fi.time_ns, T0 + 299 * 5 * SEC);
	assert_int_equal(fi.total, 300);
	assert_int_equal(fi.counts[NETID_TCP], 50);
	assert_int_equal(fi.counts[NETID_U_SEQ], 50);
	assert_int_equal(fi.netns_ino, 4026531840u);

	assert_int_equal(store_frame_by_id(st, 7, &fi), 0);
	assert_int_equal(fi.time_ns, T0 + 5 * SEC);
	assert_int_equal(store_frame_by_id(st, 306, &fi), -ENOENT);

	assert_int_equal(snapshot_init(&s), 0);
	assert_int_equal(store_load(st, 305, &s), 0);
	make_snapshot(&orig, T0 + 299 * 5 * SEC, 300);
	assert_int_equal(s.nrecs, 300);
	assert_int_equal(s.time_ns, orig.time_ns);
	for (size_t i = 0; i < s.nrecs; i++) {
		assert_int_equal(s.recs[i].cookie, orig.recs[i].cookie);
		assert_int_equal(s.recs[i].sport, orig.recs[i].sport);
		assert_memory_equal(s.bytes + s.recs[i].tcpi_off,
				    orig.bytes + orig.recs[i].tcpi_off, 104);
		assert_string_equal(snapshot_str(&s,
			s.procs[s.recs[i].proc_first].comm), "srv");
	}
	assert_int_equal(store_load(st, 999, &s), -ENOENT);
	assert_int_equal(store_append(st, &orig), -EBADF);
	snapshot_free(&s);
	snapshot_free(&orig);
	store_close(st);
}

/* The pragmas and meta rows a new file gets. */
static void test_file_settings(void **state)
{
	sqlite3 *db;
	sqlite3_stmt *q;

	(void)state;
	store_close(open_ok(STORE_WRITE));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT (SELECT application_id FROM pragma_application_id),"
		"(SELECT user_version FROM pragma_user_version),"
		"(SELECT page_size FROM pragma_page_size),"
		"(SELECT auto_vacuum FROM pragma_auto_vacuum),"
		"(SELECT journal_mode FROM pragma_journal_mode),"
		"(SELECT count(*) FROM meta WHERE key IN ('created_ns',"
		"'hostname','boot_id','writer_version')),"
		"(SELECT count(*) FROM boot)", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), STORE_APPLICATION_ID);
	assert_int_equal(sqlite3_column_int(q, 1), STORE_FORMAT_VERSION);
	assert_int_equal(sqlite3_column_int(q, 2), 4096);
	assert_int_equal(sqlite3_column_int(q, 3), 2);
	assert_string_equal((const char *)sqlite3_column_text(q, 4), "wal");
	assert_int_equal(sqlite3_column_int(q, 5), 4);
	assert_int_equal(sqlite3_column_int(q, 6), 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* A reader opened before more appends sees them on its next query. */
static void test_read_while_writing(void **state)
{
	struct frame_info fi;

	(void)state;
	struct store *w = open_ok(STORE_WRITE);
	append_frames(w, 2);
	struct store *r = open_ok(STORE_READ);
	assert_int_equal(store_frame_at(r, INT64_MAX, &fi), 0);
	assert_int_equal(fi.id, 2);
	struct snapshot s;
	make_snapshot(&s, T0 + 100 * SEC, 3);
	assert_int_equal(store_append(w, &s), 3);
	assert_int_equal(store_frame_at(r, INT64_MAX, &fi), 0);
	assert_int_equal(fi.id, 3);
	assert_int_equal(store_load(r, 3, &s), 0);
	assert_int_equal(s.nrecs, 3);
	snapshot_free(&s);
	store_close(r);
	store_close(w);
}

static void test_missing(void **state)
{
	(void)state;
	open_refused(STORE_READ, -ENOENT, "no such file");
}

/* Write n bytes of data to path (replacing it). */
static void write_file(const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void test_not_a_database(void **state)
{
	uint8_t junk[8192];

	(void)state;
	srand(1);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	write_file(junk, sizeof(junk));
	open_refused(STORE_READ, -ENOTSUP, "not a sockhist database");
	open_refused(STORE_WRITE, -ENOTSUP, "not a sockhist database");
	write_file("hello\n", 6);
	open_refused(STORE_READ, -ENOTSUP, "not a sockhist database");
	write_file("", 0);
	open_refused(STORE_READ, -ENOTSUP, "not a sockhist database");
}

/* Run SQL on the file with a plain SQLite connection. */
/* SQL that takes what migrate-4.sql added out of a current file, so that
 * it can pose as an older one. */
#define UNDO_FORMAT_4 \
	"ALTER TABLE netns DROP COLUMN pid; ALTER TABLE netns DROP COLUMN comm; " \
	"DROP INDEX frame_netns_time; " \
	"DROP TABLE cgroup; " \
	"DROP TABLE closed_batch; DROP TABLE closed; " \
	"ALTER TABLE sock DROP COLUMN closed_ns; "

static void raw_sql(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The integer answer of a one-row query on the file. */
static int64_t raw_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

/* Valid SQLite files of another application are refused and untouched. */
static void test_foreign_sqlite(void **state)
{
	(void)state;
	raw_sql("PRAGMA application_id = 42; CREATE TABLE t (x)");
	open_refused(STORE_READ, -ENOTSUP, "not a sockhist database");
	open_refused(STORE_WRITE, -ENOTSUP, "not a sockhist database");
	raw_sql("PRAGMA application_id = 0");
	open_refused(STORE_WRITE, -ENOTSUP, "not a sockhist database");
	raw_sql("SELECT count(*) FROM t");
}

static void test_newer_version(void **state)
{
	(void)state;
	store_close(open_ok(STORE_WRITE));
	char want[128];

	raw_sql("PRAGMA user_version = 7");
	snprintf(want, sizeof(want), "written by a newer sockhist (format 7, "
		 "this build reads up to %d)", STORE_FORMAT_VERSION);
	open_refused(STORE_READ, -EPROTONOSUPPORT, want);
	open_refused(STORE_WRITE, -EPROTONOSUPPORT, "written by a newer");
}

static void test_truncated(void **state)
{

	(void)state;
	struct store *st = open_ok(STORE_WRITE);
	append_frames(st, 200);
	store_close(st);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	assert_true(size > 40000);
	assert_int_equal(truncate(path, size / 2 + 1000), 0);
	open_refused(STORE_READ, -EBADMSG, "database is damaged (");
	open_refused(STORE_WRITE, -EBADMSG, "database is damaged (");
	assert_int_equal(truncate(path, 50), 0);
	open_refused(STORE_READ, -EBADMSG, "database is damaged (");
}

/* A full disk (a size limit) fails the append with -ENOSPC, rolls it back,
 * and leaves every committed frame readable. */
static void test_enospc(void **state)
{
	struct snapshot s;
	int64_t id, ok = 0;

	(void)state;
	struct store *st = open_ok(STORE_WRITE);
	assert_int_equal(store_set_size_limit(st, 256 * 1024), 0);
	for (int i = 0; i < 1000; i++) {
		make_snapshot(&s, T0 + i * SEC, 400);
		id = store_append(st, &s);
		snapshot_free(&s);
		if (id < 0)
			break;
		assert_int_equal(id, ++ok);
	}
	assert_int_equal(id, -ENOSPC);
	assert_non_null(strstr(store_errmsg(st), "disk full"));
	assert_true(ok > 3);
	assert_int_equal(count_frames(st), ok);
	assert_int_equal(store_set_size_limit(st, 64 * 1024 * 1024), 0);
	make_snapshot(&s, T0 + 2000 * SEC, 2);
	assert_int_equal(store_append(st, &s), ok + 1);
	snapshot_free(&s);
	store_close(st);

	st = open_ok(STORE_READ);
	assert_int_equal(count_frames(st), ok + 1);
	assert_int_equal(snapshot_init(&s), 0);
	for (int64_t i = 1; i <= ok; i++) {
		assert_int_equal(store_load(st, i, &s), 0);
		assert_int_equal(s.nrecs, 400);
	}
	snapshot_free(&s);
	store_close(st);
}

/* frame_at on 10k frames is an index lookup. */
static void test_frame_at_fast(void **state)
{
	struct snapshot s;
	struct frame_info fi;
	struct timespec t0, t1;
	sqlite3 *db;
	sqlite3_stmt *q;

	(void)state;
	struct store *st = open_ok(STORE_WRITE);
	make_snapshot(&s, 0, 1);
	for (int i = 0; i < 10000; i++) {
		s.time_ns = T0 + i * SEC;
		assert_int_equal(store_append(st, &s), i + 1);
	}
	snapshot_free(&s);
	store_close(st);
	st = open_ok(STORE_READ);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(store_frame_at(st, T0 + i * SEC + SEC / 2, &fi), 0);
		assert_int_equal(fi.id, i + 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("# 10000 frame_at lookups on 10000 frames: %.1f ms\n", ms);
	store_close(st);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT id "
		"FROM frame WHERE time_ns <= 5 ORDER BY time_ns DESC, id DESC "
		"LIMIT 1", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_non_null(strstr((const char *)sqlite3_column_text(q, 3),
			       "INDEX frame_time"));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* The counters of frame id read back by st: rc and, when 0, *want. */
static void expect_kstat(struct store *st, int64_t id, int rc,
			 const struct kstat *want)
{
	struct kstat got;

	assert_int_equal(store_frame_kstat(st, id, &got), rc);
	if (rc == 0) {
		assert_int_equal(got.present, want->present);
		assert_memory_equal(got.v, want->v, sizeof(got.v));
	}
}

static void test_kstat(void **state)
{
	struct snapshot s;
	struct kstat full = { 0 }, part = { 0 };
	int64_t ids[3];

	(void)state;
	for (int i = 0; i < KS_COUNT; i++) {
		kstat_set(&full, (enum kstat_id)i, i == KS_TCP_MEM ?
			  -5 : (int64_t)i * 1000003 + 1);
		if (i < KS_TCP6_INUSE || i == KS_TCP_CURRESTAB)
			kstat_set(&part, (enum kstat_id)i, 7 * i);
	}
	struct store *st = open_ok(STORE_WRITE);
	for (int f = 0; f < 3; f++) {
		make_snapshot(&s, T0 + f * SEC, 3);
		s.kstat = f == 0 ? full : part;
		if (f == 2)
			s.kstat.present = 0;
		ids[f] = store_append(st, &s);
		assert_true(ids[f] > 0);
		snapshot_free(&s);
	}
	expect_kstat(st, ids[0], 0, &full);
	store_close(st);
	st = open_ok(STORE_READ);
	expect_kstat(st, ids[0], 0, &full);
	expect_kstat(st, ids[1], 0, &part);
	expect_kstat(st, ids[2], -ENOENT, NULL);
	assert_non_null(strstr(store_errmsg(st), "no kernel counters"));
	store_close(st);

	/* Format 2: no table.  A reader reads it as it is. */
	raw_sql(UNDO_FORMAT_4 "DROP TABLE sockstat; PRAGMA user_version = 2");
	st = open_ok(STORE_READ);
	expect_kstat(st, ids[0], -ENOENT, NULL);
	assert_string_equal(store_errmsg(st),
			    "format 2 records no kernel counters");
	store_close(st);
	assert_int_equal(raw_int("SELECT user_version FROM pragma_user_version"), 2);
	assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE "
				 "name = 'sockstat'"), 0);
	/* A writer migrates it to the current format; its frames stay
	 * without. */
	st = open_ok(STORE_WRITE);
	assert_int_equal(raw_int("SELECT user_version FROM pragma_user_version"),
			 STORE_FORMAT_VERSION);
	expect_kstat(st, ids[0], -ENOENT, NULL);
	make_snapshot(&s, T0 + 9 * SEC, 3);
	s.kstat = full;
	int64_t id = store_append(st, &s);
	snapshot_free(&s);
	expect_kstat(st, id, 0, &full);
	store_close(st);
}

/* One writer session appending one frame of the given cookies. */
static void append_cookies(const uint64_t *cookies, size_t n)
{
	struct store *st = open_ok(STORE_WRITE);
	struct snapshot s;

	assert_int_equal(snapshot_init(&s), 0);
	s.time_ns = T0;
	s.netns_ino = 4026531840u;
	for (size_t i = 0; i < n; i++)
		snapshot_add_record(&s)->cookie = cookies[i];
	assert_true(store_append(st, &s) > 0);
	snapshot_free(&s);
	store_close(st);
}

/* "cookie:last" of every sock row, by cookie (last 0: still open). */
static void sock_rows(char *buf, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	size_t used = 0;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT cookie, ifnull(last, "
		"0) FROM sock ORDER BY cookie", -1, &q, NULL), SQLITE_OK);
	buf[0] = '\0';
	while (sqlite3_step(q) == SQLITE_ROW)
		used += (size_t)snprintf(buf + used, len - used, "%llu:%lld ",
			(unsigned long long)sqlite3_column_int64(q, 0),
			(long long)sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* Each frame from a new writer (sockhistd --once): a socket still there
 * stays open, whatever its cookie; one gone ends at the frame before. */
static void test_lifetimes_across_writers(void **state)
{
	const uint64_t raw = 1ull << 63 | 77;
	const uint64_t both[] = { 5, 9, raw }, one[] = { 5, raw };
	char rows[256];

	(void)state;
	append_cookies(both, 3);
	append_cookies(both, 3);
	sock_rows(rows, sizeof(rows));
	assert_string_equal(rows, "9223372036854775885:0 5:0 9:0 ");
	append_cookies(one, 2);
	sock_rows(rows, sizeof(rows));
	assert_string_equal(rows, "9223372036854775885:0 5:0 9:2 ");
}

#define NS_N 3
#define NS_TICKS 230

/* The snapshot of namespace ns at tick t: random sockets that change
 * every 60 ticks (so chains hold deltas that are mostly "unchanged"). */
static void ns_snapshot(struct snapshot *s, unsigned ns, unsigned t)
{
	rnd_snapshot(s, 5 + 10 * ns, 1000 * (ns + 1) + t / 60);
	snapshot_sort_dedupe(s);
	s->time_ns = T0 + t * SEC;
	s->netns_ino = 4026532000u + ns;
}

/* Tick and namespace of frame id, as interleaved by append_ns(). */
static void ns_of_frame(int64_t id, int64_t first, unsigned *ns, unsigned *t)
{
	*ns = (unsigned)((id - first) % NS_N);
	*t = (unsigned)((id - first) / NS_N);
}

/* Append NS_TICKS ticks of NS_N namespaces, one frame each per tick;
 * returns the first frame id. */
static int64_t append_ns(struct store *st)
{
	int64_t first = 0;

	for (unsigned t = 0; t < NS_TICKS; t++)
		for (unsigned ns = 0; ns < NS_N; ns++) {
			struct snapshot s;
			ns_snapshot(&s, ns, t);
			int64_t id = store_append(st, &s);
			assert_true(id > 0);
			if (!first)
				first = id;
			snapshot_free(&s);
		}
	return first;
}

/* store_load of frame id equals what was appended. */
static void load_equal(struct store *st, int64_t id, int64_t first)
{
	struct snapshot want, got;
	unsigned ns, t;

	ns_of_frame(id, first, &ns, &t);
	ns_snapshot(&want, ns, t);
	assert_int_equal(snapshot_init(&got), 0);
	if (store_load(st, id, &got) < 0)
		fail_msg("frame %lld: %s", (long long)id, store_errmsg(st));
	got.time_ns = want.time_ns;
	got.netns_ino = want.netns_ino;
	assert_snapshot_equal(&want, &got);
	snapshot_free(&want);
	snapshot_free(&got);
}

struct ns_scan {
	int64_t first, seen;
};

/* Scan callback: the replayed state is the appended snapshot. */
static int ns_scan_frame(const struct frame_info *fi, const struct snapshot *s,
			 const struct chain *c, void *arg)
{
	struct ns_scan *sc = arg;
	struct snapshot want, got;
	unsigned ns, t;

	(void)s;
	ns_of_frame(fi->id, sc->first, &ns, &t);
	assert_int_equal(fi->netns_ino, 4026532000u + ns);
	ns_snapshot(&want, ns, t);
	assert_int_equal(snapshot_init(&got), 0);
	assert_int_equal(chain_materialize(c, &got, NULL, NULL), 0);
	got.time_ns = want.time_ns;
	got.netns_ino = want.netns_ino;
	assert_snapshot_equal(&want, &got);
	snapshot_free(&want);
	snapshot_free(&got);
	sc->seen++;
	return 0;
}

/* Scan callback for damaged chains: there must be none. */
static void ns_scan_damaged(const char *msg, void *arg)
{
	(void)arg;
	fail_msg("damaged: %s", msg);
}

/* Every frame id in [lo, hi] loads equal, forwards then backwards, and a
 * scan visits each once with the appended sockets. */
static void ns_check_all(struct store *st, int64_t first, int64_t lo,
			 int64_t hi)
{
	const struct scan_ops ops = { .frame = ns_scan_frame, .damaged = ns_scan_damaged };
	struct ns_scan sc = { first, 0 };

	struct frame_info fi;
	int64_t n = 0;

	for (int64_t id = lo; id <= hi; id++)
		if (store_frame_by_id(st, id, &fi) == 0 && ++n)
			load_equal(st, id, first);
	for (int64_t id = hi; id >= lo; id--)
		if (store_frame_by_id(st, id, &fi) == 0)
			load_equal(st, id, first);
	assert_int_equal(store_scan(st, INT64_MIN, INT64_MAX, &ops, &sc), 0);
	assert_int_equal(sc.seen, n);
	assert_int_equal(n, raw_int("SELECT count(*) FROM frame"));
}

/* Three namespaces interleaved in one file: each namespace's frames form
 * chains of their own within the limits, every frame reads back equal
 * (also after retention dropped whole chains), and the lifetimes of one
 * namespace are not closed by another's frames. */
static void test_netns_interleaved(void **state)
{
	struct store *st = open_ok(STORE_WRITE);
	int64_t first = append_ns(st), last = first + NS_N * NS_TICKS - 1;

	(void)state;
	assert_int_equal(raw_int("SELECT count(*) FROM frame f JOIN frame k "
				 "ON k.id = f.key WHERE k.netns_ino != "
				 "f.netns_ino"), 0);
	assert_true(raw_int("SELECT max(n) FROM (SELECT count(*) n FROM "
			    "frame GROUP BY key)") <= CHAIN_MAX_FRAMES);
	assert_true(raw_int("SELECT count(DISTINCT key) FROM frame") >=
		    NS_N * ((NS_TICKS + CHAIN_MAX_FRAMES - 1) /
			    CHAIN_MAX_FRAMES));
	/* Sockets of the last tick are open, each in its namespace. */
	assert_int_equal(raw_int("SELECT count(*) FROM sock s JOIN netns n "
				 "ON n.id = s.netns WHERE s.last IS NULL AND "
				 "n.ino NOT BETWEEN 4026532000 AND 4026532002"),
			 0);
	assert_int_equal(raw_int("SELECT count(DISTINCT netns) FROM sock "
				 "WHERE last IS NULL"), NS_N);
	ns_check_all(st, first, first, last);

	/* A namespace forgotten starts a new chain; the new chain makes
	 * retention drop the chains that ended before tick 150, whole. */
	struct store_limits lim = { .retain_ns = 80 * SEC };
	store_set_limits(st, &lim);
	store_forget_netns(st, 4026532001u);
	for (unsigned ns = 0; ns < NS_N; ns++) {
		struct snapshot s;
		ns_snapshot(&s, ns, NS_TICKS);
		int64_t id = store_append(st, &s);
		assert_true(id > 0);
		snapshot_free(&s);
		if (ns == 1)
			assert_int_equal(raw_int("SELECT key = id FROM frame "
						 "ORDER BY id DESC LIMIT 1"), 1);
	}
	store_close(st);
	last += NS_N;
	int64_t lo = raw_int("SELECT min(id) FROM frame");
	assert_true(lo > first);
	assert_true(raw_int("SELECT min(time_ns) FROM frame") <= T0 + 150 * SEC);
	assert_int_equal(raw_int("SELECT count(*) FROM frame f WHERE NOT "
				 "EXISTS (SELECT 1 FROM frame k WHERE "
				 "k.id = f.key)"), 0);
	st = open_ok(STORE_READ);
	ns_check_all(st, first, lo, last);
	store_close(st);
}

/* Counters that did not change since the chain's last row get no row of
 * their own, and read as that row; absent ones after present ones get a
 * row of NULLs. */
static void test_kstat_unchanged(void **state)
{
	struct store *st = open_ok(STORE_WRITE);
	struct kstat a = { 0 }, b = { 0 };
	struct snapshot s;
	int64_t ids[6];

	(void)state;
	kstat_set(&a, KS_TCP_INUSE, 3);
	kstat_set(&b, KS_TCP_INUSE, 4);
	const struct kstat *seq[6] = { &a, &a, &b, &b, NULL, &a };
	for (int f = 0; f < 6; f++) {
		make_snapshot(&s, T0 + f * SEC, 2);
		if (seq[f])
			s.kstat = *seq[f];
		ids[f] = store_append(st, &s);
		assert_true(ids[f] > 0);
		snapshot_free(&s);
	}
	store_close(st);
	assert_int_equal(raw_int("SELECT count(*) FROM sockstat"), 4);
	st = open_ok(STORE_READ);
	for (int f = 0; f < 6; f++) {
		struct kstat got;
		int r = store_frame_kstat(st, ids[f], &got);
		if (!seq[f]) {
			assert_int_equal(r, -ENOENT);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(got.present, seq[f]->present);
		assert_int_equal(got.v[KS_TCP_INUSE], seq[f]->v[KS_TCP_INUSE]);
	}
	store_close(st);
}

/* An empty frame after an empty frame is stored as no bytes, and every
 * frame reads back: empty ones, and the sockets that come and go. */
static void test_empty_frames(void **state)
{
	struct store *st = open_ok(STORE_WRITE);
	const unsigned socks[7] = { 0, 0, 0, 4, 0, 0, 0 };
	struct snapshot s, got;
	int64_t ids[7];

	(void)state;
	for (int f = 0; f < 7; f++) {
		make_snapshot(&s, T0 + f * SEC, socks[f]);
		ids[f] = store_append(st, &s);
		assert_true(ids[f] > 0);
		snapshot_free(&s);
	}
	store_close(st);
	assert_int_equal(raw_int("SELECT count(*) FROM frame WHERE bytes = 0 "
				 "AND length(data) = 0"), 4);
	st = open_ok(STORE_READ);
	for (int pass = 0; pass < 2; pass++)
		for (int f = 0; f < 7; f++) {
			int k = pass ? 6 - f : f;
			make_snapshot(&s, T0 + k * SEC, socks[k]);
			assert_int_equal(snapshot_init(&got), 0);
			assert_int_equal(store_load(st, ids[k], &got), 0);
			assert_int_equal(got.time_ns, s.time_ns);
			assert_snapshot_equal(&s, &got);
			snapshot_free(&s);
			snapshot_free(&got);
		}
	store_close(st);
}

/* store_set_netns_info fills the netns row of a namespace. */
static void test_netns_info(void **state)
{
	struct store *st = open_ok(STORE_WRITE);

	(void)state;
	assert_int_equal(store_set_netns_info(st, 77, "blue", 0, NULL), 0);
	assert_int_equal(store_set_netns_info(st, 78, NULL, 4242, "sleep"), 0);
	assert_int_equal(store_set_netns_info(st, 77, "blue", 0, NULL), 0);
	store_close(st);
	assert_int_equal(raw_int("SELECT count(*) FROM netns"), 2);
	assert_int_equal(raw_int("SELECT count(*) FROM netns WHERE ino = 77 "
				 "AND name = 'blue' AND pid IS NULL"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM netns WHERE ino = 78 "
				 "AND name IS NULL AND pid = 4242 AND "
				 "comm = 'sleep'"), 1);
}

/* Add a closed TCP socket with cookie c and final byte counters to ev. */
static void add_closed(struct snapshot *ev, uint64_t c, uint64_t sent,
		       uint64_t received)
{
	struct tcp_info ti;
	struct sock_record *r = snapshot_add_record(ev);

	assert_non_null(r);
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_bytes_sent = sent;
	ti.tcpi_bytes_received = received;
	r->cookie = c;
	r->state = 7;
	r->tcpi_off = (uint32_t)snapshot_add_bytes(ev, &ti, sizeof(ti));
	r->tcpi_len = sizeof(ti);
}

/* A batch of close events: a socket a frame showed gets its close time on
 * its lifetime and the frame's time as its open time, a short-lived one
 * the last frame before its close as a bound; the blob holds both sorted
 * by cookie; losses are kept, also without events. */
static void test_closed_events(void **state)
{
	struct snapshot s, ev, back;
	struct store *st = open_ok(STORE_WRITE);
	int64_t t[2] = { T0 + 2 * SEC, T0 + 3 * SEC };

	(void)state;
	make_snapshot(&s, T0, 3);               /* cookies 1000, 1003, 1006 */
	assert_true(store_append(st, &s) > 0);
	assert_int_equal(snapshot_init(&ev), 0);
	ev.time_ns = T0 + 4 * SEC;
	ev.netns_ino = s.netns_ino;
	add_closed(&ev, 1003, 100, 38);
	add_closed(&ev, 5, 7, 9);
	assert_true(store_append_closed(st, &ev, t, T0 + SEC, 3) > 0);
	assert_int_equal(raw_int("SELECT closed_ns FROM sock WHERE cookie = 1003"),
			 T0 + 2 * SEC);
	assert_int_equal(raw_int("SELECT count(*) FROM sock WHERE closed_ns IS "
				 "NOT NULL"), 1);
	assert_int_equal(raw_int("SELECT seen * 1000 + bytes_sent FROM closed "
				 "WHERE cookie = 1003"), 1100);
	assert_int_equal(raw_int("SELECT seen * 1000 + bytes_received FROM "
				 "closed WHERE cookie = 5"), 9);
	assert_int_equal(raw_int("SELECT count(*) FROM closed WHERE opened_ns "
				 "= 1795600800000000000"), 2);
	assert_int_equal(raw_int("SELECT n * 100 + lost FROM closed_batch"), 203);
	/* the blob: a codec-1 snapshot of both, by cookie */
	sqlite3 *db = store_sqlite(st);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM closed_batch",
					    -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(snapshot_init(&back), 0);
	assert_int_equal(codec_decode(CODEC_COLUMNAR_V1, sqlite3_column_blob(q, 0),
				      (size_t)sqlite3_column_bytes(q, 0), &back), 0);
	sqlite3_finalize(q);
	assert_int_equal(back.nrecs, 2);
	assert_int_equal(back.recs[0].cookie, 5);
	assert_int_equal(back.recs[1].cookie, 1003);
	assert_int_equal(back.recs[1].tcpi_len, sizeof(struct tcp_info));
	/* nothing to write: no row; losses alone: a row without data */
	snapshot_reset(&ev);
	assert_int_equal(store_append_closed(st, &ev, t, T0, 0), 0);
	assert_true(store_append_closed(st, &ev, t, T0, 4) > 0);
	assert_int_equal(raw_int("SELECT count(*) FROM closed_batch WHERE n = 0 "
				 "AND lost = 4 AND data IS NULL"), 1);
	store_close(st);
	st = open_ok(STORE_READ);
	assert_int_equal(store_append_closed(st, &ev, t, T0, 4), -EBADF);
	store_close(st);
	snapshot_free(&back);
	snapshot_free(&ev);
	snapshot_free(&s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_reopen),
		T(test_file_settings),
		T(test_read_while_writing),
		T(test_missing),
		T(test_not_a_database),
		T(test_foreign_sqlite),
		T(test_newer_version),
		T(test_truncated),
		T(test_enospc),
		T(test_frame_at_fast),
		T(test_kstat),
		T(test_lifetimes_across_writers),
		T(test_netns_interleaved),
		T(test_netns_info),
		T(test_kstat_unchanged),
		T(test_empty_frames),
		T(test_closed_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
