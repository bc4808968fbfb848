/*
 * capture.h — one complete snapshot of the current network namespace: every
 * sock_diag dump, deduplicated and sorted by cookie, with owner processes,
 * wall-clock time, namespace inode and the kernel's socket counters.
 *
 * The capture keeps its netlink socket and process index across snapshots;
 * each snapshot walks /proc on a second thread while the dumps run.
 * A dump that fails (a diag module missing, IPv6 disabled...) is left out of
 * the snapshot and reported on stderr once, not on every snapshot.
 */
#ifndef SOCKHIST_CAPTURE_H
#define SOCKHIST_CAPTURE_H

#include <stdint.h>

#include "netlink.h"
#include "procmap.h"
#include "sockrec.h"

#define CAPTURE_NDUMPS 16
/* Snapshots to leave out a dump the kernel has no diag module for
 * (ENOENT) before asking again: each request makes the kernel try to load
 * the module (a modprobe run). */
#define CAPTURE_RETRY_MISSING 60

struct capture {
	struct nl_conn nl;
	struct procmap *pm;
	uint64_t netns_ino;
	int last_err[CAPTURE_NDUMPS];   /* last reported failure per dump */
	int retry_in[CAPTURE_NDUMPS];   /* snapshots to skip a missing one */
	int last_kstat_err;             /* and of reading the counters */
	int64_t dump_ns;        /* last snapshot's wall time in the dumps */
	int64_t attach_ns;      /* after them (and the /proc walk running
				 * alongside): sorting and owner attachment */
	int64_t kstat_ns;       /* reading the kernel's counters */
};

/* Open the netlink socket in the current network namespace and the process
 * index.  Returns 0 or a negative errno. */
int capture_open(struct capture *c);
void capture_close(struct capture *c);

/* Reset s and fill it with a snapshot taken now.  Returns 0 (also when some
 * dumps failed: they were reported) or a negative errno when no dump worked
 * or memory ran out. */
int capture_snapshot(struct capture *c, struct snapshot *s);

#endif
