/*
 * hist_query.c — socket-count histograms from frame_count and rollup rows:
 * two GROUP BY queries (one per source) produce bucket and cell rows, and C
 * only orders the groups and fills in the zeros.  Rules: hist_query.h.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "hist_query.h"
#include "sockenum.h"

#define NS_PER_SEC 1000000000LL

/* The state name as ss's State column prints it. */
static void label_state(int64_t group, char *buf, size_t len)
{
	snprintf(buf, len, "%s", state_name((unsigned)group));
}

/* The netid name ("tcp", "u_str"...). */
static void label_netid(int64_t group, char *buf, size_t len)
{
	snprintf(buf, len, "%s", netid_name((unsigned)group));
}

/* Kind-0 rollup keys are netid * 256 + state. */
static const struct hist_key hist_keys[] = {
	{ "state", "State", "c.state", "r.key % 256", label_state },
	{ "netid", "Netid", "c.netid", "r.key / 256", label_netid },
};

#define NKEYS (sizeof(hist_keys) / sizeof(hist_keys[0]))

/* Look a key up by its --by name. */
const struct hist_key *hist_key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(hist_keys[i].name, name) == 0)
			return &hist_keys[i];
	return NULL;
}

/* The names of hist_keys[], for messages (built once). */
const char *hist_key_names(void)
{
	static char names[128];

	if (!names[0])
		for (size_t i = 0, n = 0; i < NKEYS && n < sizeof(names); i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
					      i ? ", " : "", hist_keys[i].name);
	return names;
}

/* Pick the default step; see hist_query.h. */
int64_t hist_auto_step(int64_t span_ns)
{
	static const int64_t nice_s[] = {
		10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200,
		86400, 7 * 86400,
	};
	const size_t n = sizeof(nice_s) / sizeof(nice_s[0]);

	for (size_t i = 0; i < n; i++)
		if (span_ns <= 60 * nice_s[i] * NS_PER_SEC)
			return nice_s[i] * NS_PER_SEC;
	return nice_s[n - 1] * NS_PER_SEC;
}

/* Oldest and newest data; see hist_query.h.  Every leg is a min/max over
 * an index prefix (frame_time, the rollup primary key), so this is cheap. */
int hist_bounds(struct sqlite3 *db, int64_t *oldest_ns, int64_t *newest_ns)
{
	static const char sql[] =
		"SELECT min(t), max(t) FROM ("
		" SELECT min(time_ns) AS t FROM frame"
		" UNION ALL SELECT max(time_ns) FROM frame"
		" UNION ALL SELECT min(start_ns) FROM rollup"
		"  WHERE period = 60 AND kind = 0"
		" UNION ALL SELECT max(start_ns) FROM rollup"
		"  WHERE period = 60 AND kind = 0"
		" UNION ALL SELECT min(start_ns) FROM rollup"
		"  WHERE period = 3600 AND kind = 0"
		" UNION ALL SELECT max(start_ns) FROM rollup"
		"  WHERE period = 3600 AND kind = 0)";
	sqlite3_stmt *q;
	int r = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW) {
		r = sqlite3_column_type(q, 0) == SQLITE_NULL ? 1 : 0;
		*oldest_ns = sqlite3_column_int64(q, 0);
		*newest_ns = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	return r;
}

/*
 * Both queries bind ?1 = step, ?2 = first bucket start, ?3 = end of the
 * last bucket (ns), and return rows (bucket, group, max, sum, snapshots):
 * a bucket row has group NULL and the bucket's snapshot count, a cell row
 * a group with its max and sum.  %s is the key's group expression.
 *
 * Frames: frame_time finds the range, the frame_count primary key the
 * counts of each frame; a frame's pairs are first summed per group, so max
 * is the largest per-snapshot total.
 */
static const char frames_sql[] =
	"WITH fb AS ("
	" SELECT id, time_ns - time_ns %% ?1 AS b FROM frame"
	" WHERE time_ns >= ?2 AND time_ns < ?3),"
	" per_frame AS ("
	" SELECT fb.b AS b, %s AS g, sum(c.n) AS n"
	" FROM fb JOIN frame_count c ON c.frame = fb.id"
	" GROUP BY fb.id, g)"
	" SELECT b, NULL, 0, 0, count(*) FROM fb GROUP BY b"
	" UNION ALL"
	" SELECT b, g, max(n), sum(n), 0 FROM per_frame GROUP BY b, g";

/*
 * Rollups, for buckets without frames: rb counts each usable period's
 * snapshots per bucket (the key -1 rows' samples; a period is usable when
 * it divides the step), pick keeps per bucket the period that saw the most
 * (the finer on a tie), per_set sums the group's pairs within one rollup row
 * set (one period start, one namespace), and the cells take max and sum
 * over the sets.
 */
static const char rollups_sql[] =
	"WITH rb AS ("
	" SELECT start_ns - start_ns %% ?1 AS b, period, sum(samples) AS n"
	" FROM rollup"
	" WHERE period IN (60, 3600) AND kind = 0 AND key = -1"
	" AND start_ns >= ?2 AND start_ns < ?3"
	" AND ?1 %% (period * 1000000000) = 0"
	" GROUP BY b, period),"
	" pick AS ("
	" SELECT b, period, n FROM ("
	"  SELECT b, period, n, row_number() OVER"
	"   (PARTITION BY b ORDER BY n DESC, period) AS rk"
	"  FROM rb WHERE n > 0 AND NOT EXISTS (SELECT 1 FROM frame f"
	"   WHERE f.time_ns >= rb.b AND f.time_ns < rb.b + ?1))"
	" WHERE rk = 1),"
	" per_set AS ("
	" SELECT p.b AS b, %s AS g, sum(r.sum) AS s, sum(r.max) AS m"
	" FROM pick p JOIN rollup r ON r.period = p.period AND r.kind = 0"
	" AND r.start_ns >= p.b AND r.start_ns < p.b + ?1 AND r.key >= 0"
	" GROUP BY p.b, r.start_ns, r.netns_ino, g)"
	" SELECT b, NULL, 0, 0, n FROM pick"
	" UNION ALL"
	" SELECT b, g, max(m), sum(s), 0 FROM per_set GROUP BY b, g";

/* The SQL for one source; see hist_query.h. */
char *hist_sql(const struct hist_key *key, enum hist_source src)
{
	if (src == HIST_FRAMES)
		return sqlite3_mprintf(frames_sql, key->frame_expr);
	return sqlite3_mprintf(rollups_sql, key->rollup_expr);
}

/* Room for element n of size sz in arr (capacity *cap, doubled when full).
 * Returns arr, perhaps moved, or NULL when out of memory (arr intact). */
static void *reserve(void *arr, size_t n, size_t *cap, size_t sz)
{
	size_t ncap = *cap ? *cap * 2 : 64;
	void *p;

	if (n < *cap)
		return arr;
	if (!(p = realloc(arr, ncap * sz)))
		return NULL;
	*cap = ncap;
	return p;
}

/* Growth state while the query rows are read. */
struct hist_build {
	struct hist *h;
	size_t bcap, gcap, ccap;
};

/* Index of group id in h->groups, appending it if new; -1 on ENOMEM. */
static int64_t group_index(struct hist_build *hb, int64_t id)
{
	struct hist *h = hb->h;
	struct hist_group *g;

	for (size_t i = 0; i < h->ngroups; i++)
		if (h->groups[i].id == id)
			return (int64_t)i;
	if (!(g = reserve(h->groups, h->ngroups, &hb->gcap, sizeof(*g))))
		return -1;
	h->groups = g;
	h->groups[h->ngroups] = (struct hist_group){ .id = id, .max = 0 };
	return (int64_t)h->ngroups++;
}

/* Record a bucket row: its start and snapshot count. */
static int take_bucket(struct hist_build *hb, sqlite3_stmt *q)
{
	struct hist *h = hb->h;
	struct hist_bucket *b = reserve(h->buckets, h->nbuckets, &hb->bcap,
					sizeof(*b));

	if (!b)
		return -ENOMEM;
	h->buckets = b;
	h->buckets[h->nbuckets++] = (struct hist_bucket){
		.start_ns = sqlite3_column_int64(q, 0),
		.snapshots = sqlite3_column_int64(q, 4),
	};
	return 0;
}

/* Record a cell row, raising its group's overall max. */
static int take_cell(struct hist_build *hb, sqlite3_stmt *q)
{
	struct hist *h = hb->h;
	struct hist_cell *c = reserve(h->cells, h->ncells, &hb->ccap,
				      sizeof(*c));
	int64_t gi;

	if (!c)
		return -ENOMEM;
	h->cells = c;
	if ((gi = group_index(hb, sqlite3_column_int64(q, 1))) < 0)
		return -ENOMEM;
	c = &h->cells[h->ncells++];
	*c = (struct hist_cell){
		.start_ns = sqlite3_column_int64(q, 0),
		.group = (size_t)gi,
		.max = sqlite3_column_int64(q, 2),
		.sum = sqlite3_column_int64(q, 3),
	};
	if (c->max > h->groups[gi].max)
		h->groups[gi].max = c->max;
	return 0;
}

/* Record one result row: a bucket row has a NULL group. */
static int take_row(struct hist_build *hb, sqlite3_stmt *q)
{
	if (sqlite3_column_type(q, 1) == SQLITE_NULL)
		return take_bucket(hb, q);
	return take_cell(hb, q);
}

/* Run one source's query over [lo, hi) and record its rows. */
static int run_source(struct sqlite3 *db, const struct hist_key *key,
		      enum hist_source src, const int64_t bind[3],
		      struct hist_build *hb)
{
	char *sql = hist_sql(key, src);
	sqlite3_stmt *q = NULL;
	int rc, r = 0;

	if (!sql)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return -EIO;
	for (int i = 0; i < 3; i++)
		sqlite3_bind_int64(q, i + 1, bind[i]);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
		r = take_row(hb, q);
	sqlite3_finalize(q);
	if (r == 0 && rc != SQLITE_DONE)
		r = -EIO;
	return r;
}

/* qsort: buckets by start. */
static int cmp_bucket(const void *a, const void *b)
{
	const struct hist_bucket *x = a, *y = b;

	return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/* qsort: groups by overall max descending, then id. */
static int cmp_group(const void *a, const void *b)
{
	const struct hist_group *x = a, *y = b;

	if (x->max != y->max)
		return x->max < y->max ? 1 : -1;
	return (x->id > y->id) - (x->id < y->id);
}

/* qsort: cells by bucket, then group order. */
static int cmp_cell(const void *a, const void *b)
{
	const struct hist_cell *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return (x->group > y->group) - (x->group < y->group);
}

/* qsort, but never with the NULL base of an empty array. */
static void sort_array(void *base, size_t n, size_t sz,
		       int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, sz, cmp);
}

/* Sort everything into output order.  Cells hold indexes into groups, so
 * sorting the groups needs the old-to-new index map. */
static int order(struct hist *h)
{
	int64_t *old_ids = malloc((h->ngroups ? h->ngroups : 1) *
				  sizeof(*old_ids));

	if (!old_ids)
		return -ENOMEM;
	for (size_t i = 0; i < h->ngroups; i++)
		old_ids[i] = h->groups[i].id;
	sort_array(h->buckets, h->nbuckets, sizeof(*h->buckets), cmp_bucket);
	sort_array(h->groups, h->ngroups, sizeof(*h->groups), cmp_group);
	for (size_t c = 0; c < h->ncells; c++) {
		int64_t id = old_ids[h->cells[c].group];
		size_t g = 0;

		while (h->groups[g].id != id)
			g++;
		h->cells[c].group = g;
	}
	free(old_ids);
	sort_array(h->cells, h->ncells, sizeof(*h->cells), cmp_cell);
	return 0;
}

/* Compute the histogram; see hist_query.h. */
int hist_compute(struct sqlite3 *db, const struct hist_key *key,
		 int64_t since_ns, int64_t until_ns, int64_t step_ns,
		 struct hist *h)
{
	struct hist_build hb = { .h = h };
	int64_t last = until_ns - until_ns % step_ns;
	const int64_t bind[3] = {
		step_ns, since_ns - since_ns % step_ns,
		last > INT64_MAX - step_ns ? INT64_MAX : last + step_ns,
	};
	int r;

	assert(since_ns >= 0 && step_ns > 0);
	memset(h, 0, sizeof(*h));
	r = run_source(db, key, HIST_FRAMES, bind, &hb);
	if (r == 0)
		r = run_source(db, key, HIST_ROLLUPS, bind, &hb);
	if (r == 0)
		r = order(h);
	if (r < 0)
		hist_free(h);
	return r;
}

/* Walk buckets x groups, taking each cell in turn; see hist_query.h. */
int hist_each_row(const struct hist *h,
		  int (*fn)(const struct hist_row *row, void *arg), void *arg)
{
	size_t c = 0;

	for (size_t b = 0; b < h->nbuckets; b++) {
		const struct hist_bucket *bk = &h->buckets[b];

		for (size_t g = 0; g < h->ngroups; g++) {
			struct hist_row row = { bk->start_ns, h->groups[g].id,
						0, 0.0 };
			int r;

			if (c < h->ncells && h->cells[c].start_ns == bk->start_ns &&
			    h->cells[c].group == g) {
				row.max = h->cells[c].max;
				row.mean = (double)h->cells[c].sum /
					   (double)bk->snapshots;
				c++;
			}
			if ((r = fn(&row, arg)) != 0)
				return r;
		}
	}
	assert(c == h->ncells);
	return 0;
}

/* Free the arrays and zero h. */
void hist_free(struct hist *h)
{
	free(h->buckets);
	free(h->groups);
	free(h->cells);
	memset(h, 0, sizeof(*h));
}
