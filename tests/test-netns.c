/*
 * test-netns.c — the analyzer over a file of several network namespaces,
 * made with the real store (store_append of snapshots of three namespaces
 * sharing each tick's time): the namespaces and their labels, --netns by
 * name, PID/COMM label and inode (an unknown one refused), the moment at a
 * time (the frames of the latest tick <= TIME of the wanted namespaces),
 * the scan filter, and hist's counts per tick summed over the namespaces,
 * the same from the stored counts, from a scan and from the rollups once
 * the frames are gone, with and without --netns.
 *
 * The ticks: T0 records A, B and C; T0+10s A and B; T0+20s A and C.  A is
 * named "alpha", B known by a process (42, "nginx"), C by its inode only.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "db.h"
#include "hist_fold.h"
#include "hist_query.h"
#include "hist_scan.h"
#include "sockselect.h"
#include "store.h"

#define SEC 1000000000LL
#define T0 (1795600800 * SEC)
#define INO_A 4026531840u
#define INO_B 4026532100u
#define INO_C 4026532200u

static char dir[64];
static char path[128];

/* One frame of the fixture: its tick, namespace and socket count. */
static const struct {
	int64_t t;
	uint64_t ino;
	unsigned n;
} frames[] = {
	{ T0, INO_A, 5 }, { T0, INO_B, 7 }, { T0, INO_C, 2 },
	{ T0 + 10 * SEC, INO_A, 6 }, { T0 + 10 * SEC, INO_B, 3 },
	{ T0 + 20 * SEC, INO_A, 4 }, { T0 + 20 * SEC, INO_C, 9 },
};
#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

/* A snapshot of namespace ino at t with n sockets: tcp and udp, ESTAB
 * and UNCONN, cookies distinct per namespace. */
static void make_snapshot(struct snapshot *s, int64_t t, uint64_t ino,
			  unsigned n)
{
	assert_int_equal(snapshot_init(s), 0);
	s->time_ns = t;
	s->netns_ino = ino;
	for (unsigned i = 0; i < n; i++) {
		struct sock_record *r = snapshot_add_record(s);

		r->cookie = (ino % 1000) * 100 + i;
		r->inode = 1000 + i;
		r->family = 2;
		r->netid = i % 2 ? NETID_UDP : NETID_TCP;
		r->state = i % 2 ? 7 : 1;
		r->sport = (uint16_t)(2000 + i);
	}
	snapshot_sort_dedupe(s);
}

/* Run sql on the fixture file. */
static void raw_sql(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* Setup: the fixture file described above. */
static int setup(void **state)
{
	struct store *st;
	char msg[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-netns-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/n.db", dir);
	if (store_open(path, STORE_WRITE, &st, msg, sizeof(msg)) < 0)
		return -1;
	for (size_t i = 0; i < NFRAMES; i++) {
		struct snapshot s;

		make_snapshot(&s, frames[i].t, frames[i].ino, frames[i].n);
		assert_int_equal(store_append(st, &s), (int64_t)i + 1);
		snapshot_free(&s);
	}
	store_close(st);
	raw_sql("UPDATE netns SET name = 'alpha' WHERE ino = 4026531840;"
		"UPDATE netns SET pid = 42, comm = 'nginx' WHERE ino = "
		"4026532100");
	return 0;
}

/* Remove the test's directory. */
static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* The fixture opened read-only with the namespaces want[0..n) wanted. */
static struct store *open_with(const char *const *want, size_t n)
{
	struct store *st;
	char msg[256];

	assert_int_equal(store_open(path, STORE_READ, &st, msg, sizeof(msg)),
			 0);
	assert_int_equal(db_netns_load(st, want, n), 0);
	return st;
}

/* The moment at t must be the frames with ids want[0..n). */
static void expect_moment(struct store *st, int64_t t, const int64_t *want,
			  size_t n)
{
	struct moment m = { 0 };

	assert_int_equal(db_moment_at(st, t, &m), 0);
	assert_int_equal(m.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(m.frames[i].id, want[i]);
		assert_int_equal(m.frames[i].time_ns, m.time_ns);
	}
	db_moment_free(&m);
}

/* Labels: the name, else PID/COMM, else the inode; names for JSON. */
static void test_labels(void **state)
{
	struct store *st = open_with(NULL, 0);

	(void)state;
	assert_string_equal(db_netns_label(INO_A), "alpha");
	assert_string_equal(db_netns_label(INO_B), "42/nginx");
	assert_string_equal(db_netns_label(INO_C), "4026532200");
	assert_string_equal(db_netns_name(INO_B), "42/nginx");
	assert_null(db_netns_name(INO_C));
	assert_true(db_netns_per_tick());
	assert_true(db_netns_several());
	assert_null(db_netns_json());
	store_close(st);
}

/* The moment at a time: every namespace of the latest tick at or before
 * it, in id order; none before the first tick. */
static void test_moment(void **state)
{
	static const int64_t t0[] = { 1, 2, 3 }, t1[] = { 4, 5 },
			     t2[] = { 6, 7 };
	struct store *st = open_with(NULL, 0);
	struct moment m = { 0 };

	(void)state;
	expect_moment(st, T0, t0, 3);
	expect_moment(st, T0 + 19 * SEC, t1, 2);
	expect_moment(st, INT64_MAX, t2, 2);
	assert_int_equal(db_moment_at(st, T0 - 1, &m), -ENOENT);
	assert_int_equal(m.n, 0);
	store_close(st);
}

/* --netns: by name, by PID/COMM label, by inode; the latest tick that
 * recorded a wanted namespace; several at once. */
static void test_restrict(void **state)
{
	static const int64_t a2[] = { 6 }, b1[] = { 5 }, c0[] = { 3 },
			     bc[] = { 7 }, bc1[] = { 5 };
	const char *alpha[] = { "alpha" }, *nginx[] = { "42/nginx" };
	const char *c[] = { "4026532200" }, *both[] = { "42/nginx", "4026532200" };
	struct store *st;

	(void)state;
	st = open_with(alpha, 1);
	expect_moment(st, INT64_MAX, a2, 1);
	assert_false(db_netns_several());
	assert_true(db_netns_per_tick());
	assert_string_equal(db_netns_json(), "[4026531840]");
	store_close(st);

	st = open_with(nginx, 1);
	expect_moment(st, INT64_MAX, b1, 1);
	store_close(st);

	st = open_with(c, 1);
	expect_moment(st, T0 + 15 * SEC, c0, 1);
	assert_false(db_netns_wanted(INO_A));
	assert_true(db_netns_wanted(INO_C));
	store_close(st);

	st = open_with(both, 2);
	expect_moment(st, INT64_MAX, bc, 1);
	expect_moment(st, T0 + 15 * SEC, bc1, 1);
	assert_true(db_netns_several());
	assert_string_equal(db_netns_json(), "[4026532100,4026532200]");
	store_close(st);
}

/* An unknown name or inode is refused. */
static void test_unknown(void **state)
{
	const char *bad[] = { "nope" }, *ino[] = { "123" };
	struct store *st;
	char msg[256];

	(void)state;
	assert_int_equal(store_open(path, STORE_READ, &st, msg, sizeof(msg)),
			 0);
	assert_int_equal(db_netns_load(st, bad, 1), -1);
	assert_int_equal(db_netns_load(st, ino, 1), -1);
	store_close(st);
}

/* hist_each_row callback: the counts of each bucket summed into
 * arg[bucket index], the buckets being 10 s apart from T0. */
static int bucket_sum(const struct hist_row *row, void *arg)
{
	int64_t *sum = arg;

	sum[(row->start_ns - T0) / (10 * SEC)] += row->max;
	return 0;
}

/* Fold by netid in 10 s buckets from the stored counts (counts) or a
 * scan, into per-tick sums. */
static void hist_sums(struct store *st, bool counts, int64_t sum[3])
{
	struct hist_sel hs = { .netids = ~0u, .states = ~0u,
			       .netns = db_netns_json() };
	struct hist_scan_stats stats;
	struct sock_select sel;
	struct hist_fold *f;
	struct hist h;

	sock_select_init(&sel);
	assert_int_equal(sock_select_finish(&sel, 0, NULL, SEL_ALL), 0);
	assert_int_equal(hist_fold_new(sock_key_find("netid"), 10 * SEC, 0,
				       &f), 0);
	if (counts)
		assert_int_equal(hist_query_fold(store_sqlite(st), &hs, T0,
						 T0 + 30 * SEC, 10 * SEC, f), 0);
	else
		assert_int_equal(hist_scan_fold(st, &sel, T0, T0 + 30 * SEC,
						true, f, &stats), 0);
	assert_int_equal(hist_fold_result(f, &h), 0);
	assert_int_equal(h.nbuckets, 3);
	for (size_t i = 0; i < h.nbuckets; i++)
		assert_int_equal(h.buckets[i].snapshots, 1);
	memset(sum, 0, 3 * sizeof(*sum));
	hist_each_row(&h, bucket_sum, sum);
	hist_free(&h);
	hist_fold_free(f);
	sock_select_free(&sel);
}

/* hist counts a tick once, its namespaces summed, on both paths; --netns
 * sums only the wanted ones. */
static void test_hist(void **state)
{
	const char *both[] = { "alpha", "4026532200" };
	int64_t a[3], b[3];
	struct store *st = open_with(NULL, 0);

	(void)state;
	for (int counts = 0; counts < 2; counts++) {
		hist_sums(st, counts, a);
		assert_int_equal(a[0], 5 + 7 + 2);
		assert_int_equal(a[1], 6 + 3);
		assert_int_equal(a[2], 4 + 9);
	}
	store_close(st);
	st = open_with(both, 2);
	hist_sums(st, true, a);
	hist_sums(st, false, b);
	for (int i = 0; i < 3; i++)
		assert_int_equal(a[i], b[i]);
	assert_int_equal(a[0], 5 + 2);
	assert_int_equal(a[1], 6);
	assert_int_equal(a[2], 4 + 9);
	store_close(st);
}

/* hist_each_row callback: the means of every row summed into arg. */
static int mean_sum(const struct hist_row *row, void *arg)
{
	*(double *)arg += row->mean;
	return 0;
}

/* The stored counts by netid in one minute bucket (T0's): the sum of the
 * groups' means and the bucket's snapshots. */
static double minute_mean(struct store *st, int64_t *snapshots)
{
	struct hist_sel hs = { .netids = ~0u, .states = ~0u,
			       .netns = db_netns_json() };
	struct hist_fold *f;
	struct hist h;
	double sum = 0;

	assert_int_equal(hist_fold_new(sock_key_find("netid"), 60 * SEC, 0,
				       &f), 0);
	assert_int_equal(hist_query_fold(store_sqlite(st), &hs, T0,
					 T0 + 60 * SEC, 60 * SEC, f), 0);
	assert_int_equal(hist_fold_result(f, &h), 0);
	assert_int_equal(h.nbuckets, 1);
	*snapshots = h.buckets[0].snapshots;
	hist_each_row(&h, mean_sum, &sum);
	hist_free(&h);
	hist_fold_free(f);
	return sum;
}

/* The rollups (the frames deleted, as retention does) count the minute's
 * ticks, not its frames, and sum the namespaces: the same means as the
 * frames gave; with --netns only the wanted namespaces' rows. */
static void test_hist_rollups(void **state)
{
	const char *alpha[] = { "alpha" };
	struct store *st;
	int64_t n;

	(void)state;
	st = open_with(NULL, 0);
	assert_float_equal(minute_mean(st, &n), 36.0 / 3, 1e-9);
	assert_int_equal(n, 3);
	store_close(st);
	raw_sql("DELETE FROM frame");
	st = open_with(NULL, 0);
	assert_float_equal(minute_mean(st, &n), 36.0 / 3, 1e-9);
	assert_int_equal(n, 3);
	assert_true(db_netns_load(st, alpha, 1) == 0);
	assert_float_equal(minute_mean(st, &n), 15.0 / 3, 1e-9);
	assert_int_equal(n, 3);
	store_close(st);
}

/* A store_scan that counts the frames it is given. */
static int count_frame(const struct frame_info *fi, const struct snapshot *s,
		       const struct chain *c, void *arg)
{
	(void)c;
	assert_int_equal(s->netns_ino, fi->netns_ino);
	assert_int_equal(s->nrecs, fi->total);
	(*(int *)arg)++;
	return 0;
}

/* Only frames of namespace C (its inode in the fi). */
static int want_c(const struct frame_info *fi, void *arg)
{
	(void)arg;
	return fi->netns_ino == INO_C;
}

/* scan_ops.want: the other namespaces' frames are skipped. */
static void test_scan_want(void **state)
{
	struct scan_ops ops = { .frame = count_frame, .want = want_c };
	struct store *st = open_with(NULL, 0);
	int n = 0;

	(void)state;
	assert_int_equal(store_scan(st, INT64_MIN, INT64_MAX, &ops, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	ops.want = NULL;
	assert_int_equal(store_scan(st, INT64_MIN, INT64_MAX, &ops, &n), 0);
	assert_int_equal(n, (int)NFRAMES);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restrict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hist_rollups, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scan_want, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
