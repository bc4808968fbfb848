/*
 * hist_query.c — socket-count histograms from frame_count and rollup rows:
 * one query per source returns the units' rows (a frame's counts, a
 * rollup row set's peaks and sums) in unit order, and hist_fold folds them
 * exactly as it folds decoded snapshots.  Rules: hist_query.h.
 */
#include <errno.h>
#include <string.h>
#include <sqlite3.h>

#include "hist_query.h"

#define NS_PER_SEC 1000000000LL

/* Group keys the counts per netid x state can answer. */
bool hist_query_key(const struct sock_key *key)
{
	return strcmp(key->name, "state") == 0 ||
	       strcmp(key->name, "netid") == 0;
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
 * last bucket (ns), ?4 = the selected netid bits, ?5 the state bits, ?6
 * the counted namespaces' inodes as a JSON array (NULL: all; the frames
 * query has a variant for each, since testing ?6 would keep frame_time
 * from covering the frames).
 *
 * Frames: frame_time finds the range, the frame_count primary key the
 * counts of each frame; rows (frame, time, netid, state, n) in time order,
 * a frame's rows together, one row with a NULL netid for a frame without
 * selected counts.
 */
/* Every namespace: frame_time alone covers the frames. */
static const char frames_sql[] =
	"SELECT f.id, f.time_ns, c.netid, c.state, c.n FROM frame f"
	" LEFT JOIN frame_count c ON c.frame = f.id"
	" AND (?4 >> c.netid) & 1 AND (?5 >> c.state) & 1"
	" WHERE f.time_ns >= ?2 AND f.time_ns < ?3"
	" ORDER BY f.time_ns, f.id";
/* The --netns namespaces (?6), each searched in frame_netns_time (the
 * CROSS JOIN keeps the namespaces outside). */
static const char frames_netns_sql[] =
	"SELECT f.id, f.time_ns, c.netid, c.state, c.n FROM json_each(?6) j"
	" CROSS JOIN frame f ON f.netns_ino = j.value"
	" LEFT JOIN frame_count c ON c.frame = f.id"
	" AND (?4 >> c.netid) & 1 AND (?5 >> c.state) & 1"
	" WHERE f.time_ns >= ?2 AND f.time_ns < ?3"
	" ORDER BY f.time_ns, f.id";

/*
 * Rollups, for buckets without frames: rn counts each usable period's
 * snapshots per bucket and namespace (the key -1 rows' samples; a period
 * is usable when it divides the step), rb the bucket's ticks (the most any
 * namespace saw), pick keeps per bucket the period that saw the most (the
 * finer on a tie).  Rows: (bucket, NULL..., snapshots) per bucket, and
 * (bucket, start, netns, key, max, sum) per selected pair, the rows of one
 * period start together.
 */
static const char rollups_sql[] =
	"WITH rn AS ("
	" SELECT start_ns - start_ns % ?1 AS b, period, sum(samples) AS n"
	" FROM rollup"
	" WHERE period IN (60, 3600) AND kind = 0 AND key = -1"
	" AND start_ns >= ?2 AND start_ns < ?3"
	" AND ?1 % (period * 1000000000) = 0"
	" AND (?6 IS NULL OR netns_ino IN (SELECT value FROM json_each(?6)))"
	" GROUP BY b, period, netns_ino),"
	" rb AS (SELECT b, period, max(n) AS n FROM rn GROUP BY b, period),"
	" pick AS ("
	" SELECT b, period, n FROM ("
	"  SELECT b, period, n, row_number() OVER"
	"   (PARTITION BY b ORDER BY n DESC, period) AS rk"
	"  FROM rb WHERE n > 0 AND NOT EXISTS (SELECT 1 FROM frame f"
	"   WHERE f.time_ns >= rb.b AND f.time_ns < rb.b + ?1))"
	" WHERE rk = 1)"
	" SELECT b, NULL, NULL, NULL, NULL, NULL, n FROM pick"
	" UNION ALL"
	" SELECT p.b, r.start_ns, r.netns_ino, r.key, r.max, r.sum, 0"
	" FROM pick p JOIN rollup r ON r.period = p.period AND r.kind = 0"
	" AND r.start_ns >= p.b AND r.start_ns < p.b + ?1 AND r.key >= 0"
	" AND (?4 >> (r.key / 256)) & 1 AND (?5 >> (r.key % 256)) & 1"
	" AND (?6 IS NULL OR r.netns_ino IN (SELECT value FROM json_each(?6)))"
	" ORDER BY 1, 2, 3";

/* Rollup rows of ?1..?2 whose period holds no frame. */
static const char rollup_only_sql[] =
	"SELECT count(*) FROM rollup r"
	" WHERE r.period IN (60, 3600) AND r.kind = 0 AND r.key = -1"
	" AND r.start_ns >= ?1 AND r.start_ns < ?2"
	" AND NOT EXISTS (SELECT 1 FROM frame f WHERE f.time_ns >="
	" r.start_ns AND f.time_ns < r.start_ns + r.period * 1000000000)";

/* The SQL of a query; see hist_query.h. */
const char *hist_sql(enum hist_sql_id q)
{
	switch (q) {
	case HIST_FRAMES:
		return frames_sql;
	case HIST_FRAMES_NETNS:
		return frames_netns_sql;
	case HIST_ROLLUPS:
		return rollups_sql;
	case HIST_ROLLUP_ONLY:
		break;
	}
	return rollup_only_sql;
}

/* Add n sockets of (netid, state) to the current unit: peak and sum. */
static int add_pair(struct hist_fold *f, int64_t netid, int64_t state,
		    int64_t peak, int64_t sum)
{
	static const struct snapshot none;
	struct sock_record r = { .netid = (uint8_t)netid,
				 .state = (uint8_t)state };
	long g = hist_fold_group(f, &none, &r);

	return g < 0 ? (int)g : hist_fold_add(f, g, peak, sum);
}

/* Fold the frames query's rows: one unit per tick (the frames of one
 * time, one per namespace). */
static int fold_frames(sqlite3_stmt *q, struct hist_fold *f)
{
	int64_t tick = 0;
	int rc = SQLITE_DONE, r = 0;
	bool open = false;

	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(q, 1);

		if (!open || t != tick) {
			if (open && (r = hist_fold_end(f, 1)) < 0)
				break;
			if ((r = hist_fold_begin(f, t)))
				break;
			tick = t;
			open = true;
		}
		if (sqlite3_column_type(q, 2) != SQLITE_NULL) {
			int64_t n = sqlite3_column_int64(q, 4);

			r = add_pair(f, sqlite3_column_int64(q, 2),
				     sqlite3_column_int64(q, 3), n, n);
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		return -EIO;
	if (r == 0 && open)
		r = hist_fold_end(f, 1);
	return r;
}

/* Fold the rollups query's rows: a unit per bucket row (its snapshots),
 * and one per period start (its row sets of every namespace). */
static int fold_rollups(sqlite3_stmt *q, struct hist_fold *f)
{
	int64_t start = 0;
	int rc = SQLITE_DONE, r = 0;
	bool open = false;

	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(q, 0);

		if (open && (sqlite3_column_type(q, 1) == SQLITE_NULL ||
			     sqlite3_column_int64(q, 1) != start)) {
			open = false;
			if ((r = hist_fold_end(f, 0)) < 0)
				break;
		}
		if (sqlite3_column_type(q, 1) == SQLITE_NULL) {
			if ((r = hist_fold_begin(f, b)) == 0)
				r = hist_fold_end(f, sqlite3_column_int64(q, 6));
			continue;
		}
		if (!open) {
			start = sqlite3_column_int64(q, 1);
			open = true;
			if ((r = hist_fold_begin(f, start)) < 0)
				break;
		}
		r = add_pair(f, sqlite3_column_int64(q, 3) / 256,
			     sqlite3_column_int64(q, 3) % 256,
			     sqlite3_column_int64(q, 4),
			     sqlite3_column_int64(q, 5));
	}
	if (r == 0 && rc != SQLITE_DONE)
		return -EIO;
	if (r == 0 && open)
		r = hist_fold_end(f, 0);
	return r;
}

/* Run one source's query and fold its rows. */
static int run_source(struct sqlite3 *db, enum hist_sql_id src,
		      const int64_t bind[5], const char *netns,
		      struct hist_fold *f)
{
	sqlite3_stmt *q = NULL;
	int r;

	if (sqlite3_prepare_v2(db, hist_sql(src), -1, &q, NULL) != SQLITE_OK)
		return -EIO;
	for (int i = 0; i < 5; i++)
		sqlite3_bind_int64(q, i + 1, bind[i]);
	if (netns)
		sqlite3_bind_text(q, 6, netns, -1, SQLITE_STATIC);
	r = src == HIST_ROLLUPS ? fold_rollups(q, f) : fold_frames(q, f);
	sqlite3_finalize(q);
	return r;
}

/* Fold both sources; see hist_query.h. */
int hist_query_fold(struct sqlite3 *db, const struct hist_sel *sel,
		    int64_t lo_ns, int64_t hi_ns, int64_t step_ns,
		    struct hist_fold *f)
{
	const int64_t bind[5] = { step_ns, lo_ns, hi_ns, sel->netids,
				  sel->states };
	int r = run_source(db, sel->netns ? HIST_FRAMES_NETNS : HIST_FRAMES,
			   bind, sel->netns, f);

	return r < 0 ? r : run_source(db, HIST_ROLLUPS, bind, sel->netns, f);
}

/* Rollup rows without frames; see hist_query.h.  Searches rollup by its
 * primary key and frame by frame_time. */
int64_t hist_rollup_only(struct sqlite3 *db, int64_t lo_ns, int64_t hi_ns)
{
	sqlite3_stmt *q;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, hist_sql(HIST_ROLLUP_ONLY), -1, &q,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, lo_ns);
	sqlite3_bind_int64(q, 2, hi_ns);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}
