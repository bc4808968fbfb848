/*
 * sockdiff.h — what changed between two snapshots (`sockhist diff`): the
 * sockets opened, closed and changed, matched by cookie, and their counts
 * per --by group.  Pure logic over two decoded snapshots; diff.c reads the
 * frames and prints.
 *
 * A socket is its cookie: cookies are unique within a boot, so the two
 * snapshots' sockets match only when both come from the same boot (else
 * every socket of FROM is closed and every socket of TO opened).
 *   opened   in TO, not in FROM, and selected in TO;
 *   closed   in FROM, not in TO, and selected in FROM;
 *   changed  in both, selected in either, and its state differs or one of
 *            its queues crossed the threshold (sock_diff_changed).
 */
#ifndef SOCKHIST_SOCKDIFF_H
#define SOCKHIST_SOCKDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockkey.h"
#include "sockrec.h"

/* The default queue threshold, bytes (diff --queue). */
#define SOCK_DIFF_QUEUE_DEFAULT 65536u

struct sock_diff_opts {
	uint32_t queue_bytes;   /* queue threshold; 0: queues never count */
	bool same_boot;         /* FROM and TO were recorded in one boot */
	sock_keep_fn keep;      /* which sockets count (the selection);
				 * NULL: every one */
	void *arg;
};

/* One socket of a diff: its record in FROM (NULL when opened) and in TO
 * (NULL when closed), and whether the selection kept it on each side. */
struct sock_delta {
	const struct sock_record *before, *after;
	bool kept_before, kept_after;
};

/* The three lists, each in ss's row order (sockselect.h) of the record a
 * table prints: after for opened and changed, before for closed. */
struct sock_diff {
	struct sock_delta *opened, *closed, *changed;
	size_t nopened, nclosed, nchanged;
};

/* The queue rule for one queue (not a listener's): did it cross the
 * threshold, i.e. is one value below it and the other at or above? */
bool sock_diff_queue_crossed(uint32_t before, uint32_t after,
			     uint32_t threshold);

/* Is the same socket "changed" between before and after: another state,
 * or a Recv-Q or Send-Q that crossed the threshold; for a listener (whose
 * Recv-Q counts pending connections and Send-Q is the backlog) an accept
 * queue that became full (Recv-Q > Send-Q) or stopped being so.  A
 * threshold of 0 leaves queues out. */
bool sock_diff_changed(const struct sock_record *before,
		       const struct sock_record *after, uint32_t threshold);

/* Compare from (FROM) with to (TO) into d.  Records may come in any
 * order; d points into from and to.  Returns 0 or -ENOMEM. */
int sock_diff_compute(const struct snapshot *from, const struct snapshot *to,
		      const struct sock_diff_opts *o, struct sock_diff *d);
void sock_diff_free(struct sock_diff *d);

/* Counts for one --by group. */
struct sock_diff_group {
	char *label;
	uint32_t from, to;          /* selected sockets in FROM, in TO */
	uint32_t opened, closed, changed;
};

/* The groups of key over d (computed from from and to with o): from and
 * to count the selected sockets of each snapshot in the group; opened
 * counts by the label in TO, closed by the label in FROM; a changed socket
 * counts in its group on each side where it is selected (once when that is
 * the same group).  Sorted by the largest |to - from| first, then by
 * opened + closed + changed, then by label.  Returns the count (*out
 * malloc'd, free with sock_diff_groups_free) or -ENOMEM. */
long sock_diff_groups(const struct snapshot *from, const struct snapshot *to,
		      const struct sock_diff_opts *o, const struct sock_diff *d,
		      const struct sock_key *key, struct sock_diff_group **out);
void sock_diff_groups_free(struct sock_diff_group *g, size_t n);

#endif
