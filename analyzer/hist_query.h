/*
 * hist_query.h — socket counts over time from the stored aggregates
 * (frame x frame_count, and the rollup table once raw frames are gone),
 * grouped into time buckets and by a key such as the state or the netid.
 * No frame blob is ever decoded.
 *
 * A bucket is [start, start + step) with start a multiple of step since the
 * epoch.  For every bucket and group: max = the largest count in any one
 * snapshot of the bucket, mean = the average over the bucket's snapshots (a
 * snapshot without the group counts as 0).  Sources, per bucket:
 *   - the bucket holds raw frames: those frames and their frame_count rows;
 *   - else the kind-0 rollups of the period (60 or 3600 s, only a period that
 *     divides the step: a rollup row cannot be split across buckets) whose
 *     (key -1) rows saw the most snapshots of the bucket, the minute rollups
 *     on a tie; mean = sum / samples; max = the largest, over the bucket's
 *     rollup rows, of the group's peaks summed within one row set (a group
 *     made of several netid x state pairs gets an upper bound: a rollup does
 *     not say whether the pairs peaked together).
 * Each frame, and each namespace's rollup row set, is one snapshot: several
 * recorded namespaces are not summed.
 */
#ifndef SOCKHIST_HIST_QUERY_H
#define SOCKHIST_HIST_QUERY_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

/* What the counts are grouped by.  The SQL fragments are fixed strings from
 * hist_keys[] (never user input) and are pasted into the queries. */
struct hist_key {
	const char *name;        /* the --by value */
	const char *title;       /* table column heading */
	const char *frame_expr;  /* group id from frame_count c */
	const char *rollup_expr; /* group id from a kind-0 rollup r (key >= 0) */
	/* The group's display name into buf. */
	void (*label)(int64_t group, char *buf, size_t len);
};

/* The key called name ("state", "netid"), or NULL. */
const struct hist_key *hist_key_find(const char *name);
/* The known key names, comma-separated ("state, netid"), for messages. */
const char *hist_key_names(void);

struct hist_bucket {
	int64_t start_ns;
	int64_t snapshots;       /* snapshots folded into the bucket, > 0 */
};

struct hist_group {
	int64_t id;              /* as computed by the key's expressions */
	int64_t max;             /* largest max over all buckets */
};

struct hist_cell {
	int64_t start_ns;        /* the bucket */
	size_t group;            /* index into hist.groups */
	int64_t max;
	int64_t sum;             /* sum of the counts over the snapshots */
};

/* A computed histogram: buckets in time order, groups by overall max
 * (descending, then id), cells sorted by bucket then group order.  Only
 * non-empty cells are stored; hist_each_row fills in the zeros. */
struct hist {
	struct hist_bucket *buckets;
	size_t nbuckets;
	struct hist_group *groups;
	size_t ngroups;
	struct hist_cell *cells;
	size_t ncells;
};

/* One output row: a bucket x group, present in every bucket that has
 * snapshots for every group seen anywhere in the range. */
struct hist_row {
	int64_t start_ns;
	int64_t group;
	int64_t max;
	double mean;
};

/* The oldest and newest instants holding data: frame times and kind-0
 * rollup bucket starts.  Returns 0, 1 when the database holds neither, or
 * -1 on an SQLite error (message in sqlite3_errmsg). */
int hist_bounds(struct sqlite3 *db, int64_t *oldest_ns, int64_t *newest_ns);

/* The default step for a range of span_ns: the smallest of 10s, 30s, 1m,
 * 5m, 10m, 15m, 30m, 1h, 2h, 6h, 12h, 1d, 7d giving at most 60 buckets
 * (7d for anything longer). */
int64_t hist_auto_step(int64_t span_ns);

/* Compute the histogram of the buckets holding since_ns through until_ns
 * (whole buckets; since_ns >= 0, step_ns > 0) into h (zeroed by the call).
 * Returns 0, -ENOMEM, or -EIO on an SQLite error (sqlite3_errmsg). */
int hist_compute(struct sqlite3 *db, const struct hist_key *key,
		 int64_t since_ns, int64_t until_ns, int64_t step_ns,
		 struct hist *h);

/* Call fn for every row in order; stops at and returns fn's first non-zero
 * return value, else returns 0. */
int hist_each_row(const struct hist *h,
		  int (*fn)(const struct hist_row *row, void *arg), void *arg);

/* The two sources hist_compute queries. */
enum hist_source { HIST_FRAMES, HIST_ROLLUPS };

/* The SQL hist_compute runs for src (sqlite3_malloc'd, NULL when out of
 * memory; sqlite3_free it), exposed so tests can EXPLAIN it. */
char *hist_sql(const struct hist_key *key, enum hist_source src);

/* Free what hist_compute allocated; h may be zeroed or partly filled. */
void hist_free(struct hist *h);

#endif
