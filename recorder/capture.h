/*
 * capture.h — the snapshots of one tick: for every network namespace
 * recorded, every sock_diag dump, deduplicated and sorted by cookie, with
 * the kernel's socket counters; then owner processes for all of them from
 * one /proc walk, and one wall-clock time for all.
 *
 * A `struct capture` is one namespace's capture state: its netlink socket
 * and its /proc/thread-self/net files (counters, raw sockets), all opened
 * once, inside the namespace (setns there, open, setns back: a netlink
 * socket and a /proc net file belong to the namespace they were opened
 * in), and kept, so a tick enters no namespace.  They hold a reference on
 * the namespace: capture_close() as soon as it vanishes.  Anything else
 * that must be opened inside the namespace goes in capture_open_inside()
 * (capture.c) and is closed in capture_close(): so is the namespace's
 * subscription to close events (destroy.h), added to the collector set
 * with capture_set_close_events() and removed from it on close.
 *
 * A dump that fails (a diag module missing, IPv6 disabled...) is left out of
 * the snapshot and reported on stderr once, not on every snapshot.
 */
#ifndef SOCKHIST_CAPTURE_H
#define SOCKHIST_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "destroy.h"
#include "netlink.h"
#include "procmap.h"
#include "sockrec.h"
#include "sockstat.h"

#define CAPTURE_NDUMPS 16
/* Snapshots to leave out a dump the kernel has no diag module for
 * (ENOENT) before asking again: each request makes the kernel try to load
 * the module (a modprobe run). */
#define CAPTURE_RETRY_MISSING 60

struct capture {
	uint64_t netns_ino;
	char label[320];                /* the namespace in messages */
	int nsfd;                       /* the namespace (nsfs), to reopen */
	struct nl_conn nl;
	int kfd[SOCKSTAT_NFILES];       /* sockstat, sockstat6, snmp */
	int rawfd[2];                   /* /proc/net/raw, raw6 */
	int last_err[CAPTURE_NDUMPS];   /* last reported failure per dump */
	int retry_in[CAPTURE_NDUMPS];   /* snapshots to skip a missing one */
	int last_kstat_err;             /* and of reading the counters */
	struct destroy_collector *closers; /* where closed is added, or NULL */
	struct destroy_sub closed;      /* its close events (fd -1: none) */
	int64_t dump_ns;        /* last snapshot's time in the dumps */
	int64_t kstat_ns;       /* reading the kernel's counters */
	int64_t attach_ns;      /* the tick's sorting and owner attachment
				 * (after the dumps and the /proc walk
				 * running alongside), for all namespaces */
};

/* From now on, every capture opened also subscribes to its namespace's
 * close events for the protocols of flags (enum destroy_flags) and adds
 * the subscription to col (a started collector); col NULL: none.  A
 * subscription that fails is logged and the capture goes on without. */
void capture_set_close_events(struct destroy_collector *col, unsigned flags);

/* Open c for the namespace nsfd (an open nsfs file, which c keeps and
 * closes) of inode ino: setns into it on the calling thread, open the
 * netlink socket and the /proc files, setns back to home (an nsfs fd of
 * the recorder's own namespace).  label names it in messages.  Returns 0
 * or a negative errno (nsfd is closed then too). */
int capture_open(struct capture *c, int nsfd, int home, uint64_t ino,
		 const char *label);
/* Open c for the calling thread's own namespace (no setns).  Returns 0
 * or a negative errno. */
int capture_open_current(struct capture *c);
/* Close every fd c holds (so the namespace is not kept alive). */
void capture_close(struct capture *c);

/* One tick: snapshot every namespace caps[i] into snaps[i] (reset first)
 * while a second thread brings pm's owner cache up to date, then attach
 * owners to all snapshots at once; every snapshot gets time_ns.  ok[i]
 * says whether snapshot i was taken (a namespace where no dump worked is
 * reported and left out).  home is the recorder's namespace (a netlink
 * socket closed after a failed dump is reopened inside its namespace).
 * Returns 0 or -ENOMEM. */
int capture_tick(struct procmap *pm, struct capture *const *caps,
		 struct snapshot *const *snaps, int *ok, size_t n, int home,
		 int64_t time_ns);

/* capture_tick() of the one namespace c, at the current time.  Returns 0,
 * -EIO when no dump worked, or -ENOMEM. */
int capture_snapshot(struct capture *c, struct procmap *pm,
		     struct snapshot *s);

#endif
