/*
 * hist_scan.c — hist_scan.h: a store_scan whose frame callback filters the
 * replayed records with the selection and counts them per group.
 */
#include <errno.h>

#include "db.h"
#include "cgpath.h"
#include "hist_scan.h"
#include "options.h"

/* A scan in progress. */
struct scan {
	const struct sock_select *sel;
	struct hist_fold *f;
	struct hist_scan_stats *stats;
	bool warn;
	bool open;               /* a tick's unit is open */
	int64_t tick;            /* its time */
};

/* store_scan callback: one frame, counted into its tick's unit (the frames
 * of one tick, one per namespace, come one after the other).  s is the
 * chain's (rebased) state, or a version-1 frame's real values: the same
 * fields either way. */
static int scan_frame(const struct frame_info *fi, const struct snapshot *s,
		      const struct chain *c, void *arg)
{
	struct scan *x = arg;
	int r = 0;

	cgpath_frame(fi);
	(void)c;
	if (x->open && x->tick != fi->time_ns) {
		x->open = false;
		r = hist_fold_end(x->f, 1);
	}
	if (r == 0 && !x->open) {
		r = hist_fold_begin(x->f, fi->time_ns);
		x->open = r == 0;
		x->tick = fi->time_ns;
	}
	for (size_t i = 0; r == 0 && i < s->nrecs; i++) {
		const struct sock_record *rec = &s->recs[i];
		long g;

		if (!sock_select_match(x->sel, s, rec))
			continue;
		g = hist_fold_group(x->f, s, rec);
		r = g < 0 ? (int)g : hist_fold_add(x->f, g, 1, 1);
	}
	x->stats->frames++;
	x->stats->rows += s->nrecs;
	return r;
}

/* store_scan callback: a chain that cannot be read, as a warning. */
static void scan_damaged(const char *msg, void *arg)
{
	const struct scan *x = arg;

	if (x->warn)
		err_msg("warning", "%s", msg);
}

/* Scan and fold; see hist_scan.h. */
int hist_scan_fold(struct store *st, const struct sock_select *sel,
		   int64_t lo_ns, int64_t hi_ns, bool warn,
		   struct hist_fold *f, struct hist_scan_stats *stats)
{
	struct scan x = { .sel = sel, .f = f, .stats = stats, .warn = warn };
	struct scan_ops ops = { .frame = scan_frame, .damaged = scan_damaged,
				.skip_blobs = 1, .want = db_scan_want };
	int r;

	*stats = (struct hist_scan_stats){ 0, 0 };
	if (hi_ns <= lo_ns)
		return 0;
	r = store_scan(st, lo_ns, hi_ns - 1, &ops, &x);
	if (r == 0 && x.open)
		r = hist_fold_end(f, 1);
	return r;
}
