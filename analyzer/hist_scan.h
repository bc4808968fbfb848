/*
 * hist_scan.h — socket counts over time from the snapshots themselves, for
 * what the stored counts cannot answer (hist_query.h): every frame of a
 * range is replayed (store_scan: each chain once), the records a selection
 * keeps are grouped by a key, and each tick (the frames of one time, one
 * per network namespace of the --netns restriction) is folded as a unit
 * of one snapshot (hist_fold.h): counts are summed over the namespaces.
 *
 * The selection (ss's flags and filter) and the keys read only fields the
 * chain state holds as recorded: netid, state, family, ports, addresses,
 * unix names, owners, uid, cgroup, netns (chain.h rebases only timer
 * expiries and tcp_info's "ms since" words).  So the replayed state is
 * filtered and grouped in place and nothing is materialized, and the raw
 * attribute words (tcp_info, ...) are not even decoded.
 */
#ifndef SOCKHIST_HIST_SCAN_H
#define SOCKHIST_HIST_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "hist_fold.h"
#include "sockselect.h"
#include "store.h"

/* What a scan went through. */
struct hist_scan_stats {
	uint64_t frames;         /* snapshots folded */
	uint64_t rows;           /* socket records looked at */
};

/* Fold the records sel keeps of every frame with lo_ns <= time < hi_ns
 * into f.  A chain that cannot be read is reported as a one-line warning
 * when warn is set (a second pass over the same range stays quiet), and
 * the scan goes on.  Returns 0, -ENOMEM, or a store code (store_errmsg). */
int hist_scan_fold(struct store *st, const struct sock_select *sel,
		   int64_t lo_ns, int64_t hi_ns, bool warn,
		   struct hist_fold *f, struct hist_scan_stats *stats);

#endif
