/*
 * hist_query.h — socket counts over time from the stored aggregates
 * (frame x frame_count, and the rollup table once raw frames are gone),
 * fed into a hist_fold (hist_fold.h).  No frame blob is ever decoded, so
 * only keys that depend on the netid and the state alone (state, netid)
 * and selections of netids and states can be answered here.
 *
 * Sources, per bucket:
 *   - the bucket holds raw frames: each frame is a unit of one snapshot,
 *     its frame_count rows of the selected netid x state pairs the counts;
 *   - else the kind-0 rollups of the period (60 or 3600 s, only a period that
 *     divides the step: a rollup row cannot be split across buckets) whose
 *     (key -1) rows saw the most snapshots of the bucket, the minute rollups
 *     on a tie.  Each rollup row set (one period start, one namespace) is a
 *     unit adding the pairs' peaks and sums: mean = sum / samples is exact,
 *     but max is the largest, over the sets, of the group's peaks summed
 *     within one set, an upper bound when a group (or "other") holds several
 *     netid x state pairs, since a rollup does not say whether they peaked
 *     together.  The bucket's snapshots are the (key -1) rows' samples.
 * Counts are summed over the namespaces (those of the --netns restriction):
 * a tick's frames (all of one time) are one unit, and so are the rollup
 * row sets of one period start, all namespaces together; a bucket's
 * snapshots are then its ticks, the most samples any one namespace's
 * (key -1) rows saw.
 */
#ifndef SOCKHIST_HIST_QUERY_H
#define SOCKHIST_HIST_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "hist_fold.h"
#include "sockkey.h"

struct sqlite3;

/* The sockets the stored counts are restricted to. */
struct hist_sel {
	uint32_t netids;         /* 1 << NETID_* */
	uint32_t states;         /* 1 << kernel state */
	const char *netns;       /* JSON array of the namespace inodes counted
				  * (db_netns_json), or NULL: all */
};

/* Can the stored counts group by key (its group depends on the netid and
 * the state alone)? */
bool hist_query_key(const struct sock_key *key);

/* The oldest and newest instants holding data: frame times and kind-0
 * rollup bucket starts.  Returns 0, 1 when the database holds neither, or
 * -1 on an SQLite error (message in sqlite3_errmsg). */
int hist_bounds(struct sqlite3 *db, int64_t *oldest_ns, int64_t *newest_ns);

/* The default step for a range of span_ns: the smallest of 10s, 30s, 1m,
 * 5m, 10m, 15m, 30m, 1h, 2h, 6h, 12h, 1d, 7d giving at most 60 buckets
 * (7d for anything longer). */
int64_t hist_auto_step(int64_t span_ns);

/* Feed f (whose key hist_query_key accepts, whose step is step_ns) the
 * counts of sel in the buckets from lo_ns to hi_ns (bucket starts: lo_ns
 * of the first, hi_ns just past the last).  Returns 0, -ENOMEM, or -EIO on
 * an SQLite error (sqlite3_errmsg). */
int hist_query_fold(struct sqlite3 *db, const struct hist_sel *sel,
		    int64_t lo_ns, int64_t hi_ns, int64_t step_ns,
		    struct hist_fold *f);

/* How many kind-0 rollup rows in [lo_ns, hi_ns) cover a period that has no
 * frame left: there retention kept only the counts.  Returns the count, or
 * -1 on an SQLite error (sqlite3_errmsg). */
int64_t hist_rollup_only(struct sqlite3 *db, int64_t lo_ns, int64_t hi_ns);

/* The queries: hist_query_fold's two sources (the frames of every
 * namespace, or of --netns's), and hist_rollup_only's. */
enum hist_sql_id { HIST_FRAMES, HIST_FRAMES_NETNS, HIST_ROLLUPS,
		   HIST_ROLLUP_ONLY };

/* The SQL of a query, exposed so tests can EXPLAIN it. */
const char *hist_sql(enum hist_sql_id q);

#endif
