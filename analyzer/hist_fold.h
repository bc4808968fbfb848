/*
 * hist_fold.h — socket counts folded into time buckets and groups, the one
 * way every source of `sockhist hist` is counted: snapshots decoded by a
 * scan (hist_scan.h), frame_count rows and rollup rows (hist_query.h).
 *
 * A source feeds units.  A unit is one snapshot, or one rollup row set (one
 * period start and namespace), and belongs to the time bucket
 * [start, start + step) holding its time, start a multiple of the step
 * since the epoch.  Within a unit the source adds counts to groups, each
 * with a peak and a sum (for a snapshot both are the group's count), then
 * ends the unit with the number of snapshots it stands for.  For every
 * bucket and group: max = the largest of the group's per-unit peaks, sum =
 * the sum of its per-unit sums, mean = sum / the bucket's snapshots (a
 * snapshot without the group counts as 0).  Units may come in any order.
 *
 * Groups are a sockkey.h key's: found by ident, labelled when first seen,
 * ordered by their largest max (descending, then by ident).  To keep only
 * the N largest, hist_fold_top() after a first pass maps every other group
 * to one group "other" (last) and counts every unit again, so "other" is
 * counted per unit like any group (its max is the largest per-snapshot
 * total of the rest, not a sum of maxes).
 */
#ifndef SOCKHIST_HIST_FOLD_H
#define SOCKHIST_HIST_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "sockkey.h"
#include "sockrec.h"

/* The label of the group that gathers the rest with --top. */
#define HIST_OTHER "other"

struct hist_fold;

/* The unit log's size limit hist uses. */
#define HIST_LOG_MAX (64u << 20)

/* A new fold of key's groups into buckets of step_ns (> 0), logging the
 * first pass's units up to log_max bytes (see hist_fold_top).  Returns 0
 * or -ENOMEM. */
int hist_fold_new(const struct sock_key *key, int64_t step_ns, size_t log_max,
		  struct hist_fold **out);
void hist_fold_free(struct hist_fold *f);

/* Start a unit at time_ns (>= 0).  Returns 0 or -ENOMEM. */
int hist_fold_begin(struct hist_fold *f, int64_t time_ns);
/* The group of record r of s (created and labelled if new).  Returns its
 * index, or -ENOMEM. */
long hist_fold_group(struct hist_fold *f, const struct snapshot *s,
		     const struct sock_record *r);
/* Add peak and sum to group g (from hist_fold_group) in the current unit.
 * Returns 0 or -ENOMEM. */
int hist_fold_add(struct hist_fold *f, long g, int64_t peak, int64_t sum);
/* End the current unit; it stands for `snapshots` snapshots of its bucket
 * (1 for a snapshot; a rollup source counts its buckets' snapshots in a
 * unit of their own).  Returns 0 or -ENOMEM. */
int hist_fold_end(struct hist_fold *f, int64_t snapshots);

/* How many groups were seen (before any hist_fold_top). */
size_t hist_fold_ngroups(const struct hist_fold *f);
/* Keep the top groups with the largest max so far and map the others to
 * "other", then count again: from the first pass's log of units when it
 * stayed within log_max (returns 0), else the counts are cleared and the
 * source must feed the same units again (returns 1).  Returns -ENOMEM when
 * out of memory. */
int hist_fold_top(struct hist_fold *f, size_t top);

struct hist_bucket {
	int64_t start_ns;
	int64_t snapshots;       /* snapshots folded into the bucket, > 0 */
};

struct hist_group {
	const char *label;       /* into hist.labels */
	int64_t max;             /* largest max over all buckets */
};

struct hist_cell {
	int64_t start_ns;        /* the bucket */
	size_t group;            /* index into hist.groups */
	int64_t max;
	int64_t sum;             /* sum over the bucket's units */
};

/* A folded histogram: buckets in time order, groups in output order,
 * cells (only the non-empty ones) by bucket then group. */
struct hist {
	struct hist_bucket *buckets;
	size_t nbuckets;
	struct hist_group *groups;
	size_t ngroups;
	struct hist_cell *cells;
	size_t ncells;
	char *labels;
};

/* One output row: every group seen in the range, in every bucket that has
 * snapshots; zero where the group had no count. */
struct hist_row {
	int64_t start_ns;
	const char *group;
	int64_t max;
	double mean;
};

/* The histogram of what was fed since hist_fold_new or hist_fold_top, into
 * h (zeroed by the call, owned by the caller).  Returns 0 or -ENOMEM. */
int hist_fold_result(struct hist_fold *f, struct hist *h);

/* Call fn for every row in order; stops at and returns fn's first non-zero
 * return value, else returns 0. */
int hist_each_row(const struct hist *h,
		  int (*fn)(const struct hist_row *row, void *arg), void *arg);

/* Free what hist_fold_result allocated; h may be zeroed. */
void hist_free(struct hist *h);

#endif
