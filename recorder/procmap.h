/*
 * procmap.h — which processes own each socket, as `ss -p` shows them.
 *
 * A socket's owners are every (pid, fd) whose /proc/PID/fd/FD link reads
 * "socket:[INODE]", with the process name from /proc/PID/comm.  ss re-reads
 * every fd link on every run; the procmap keeps a (pid, fd) -> inode cache
 * across snapshots instead:
 *   - every snapshot lists /proc, and lists the fd directory (getdents, no
 *     readlink) of the processes that are new (forks) or whose number of
 *     open fds changed (dup, close, exec; the size of /proc/PID/fd, Linux
 *     >= 6.2);
 *   - a socket with no known owner makes procmap_attach list /proc again
 *     and the fd directories of the processes forked, or whose fd count
 *     changed, since procmap_refresh (during the dumps); all fd directories
 *     are listed only for a socket that had no known owner in the last
 *     snapshot either (a socket whose owner exited between the dump and
 *     the search, common under process churn, is gone by then);
 *   - an fd is readlink'ed only when it is new, when its cached socket is
 *     shared by several owners (a close or exec in one of them must not leave
 *     a ghost), when its cached socket just vanished from the snapshot (its
 *     number is often reused at once), or when the snapshot has sockets
 *     unowned twice in a row: then every fd not known to hold a live socket;
 *   - a socket still unowned after two such searches is remembered as
 *     ownerless and not searched for again until the periodic full rescan
 *     (every PROCMAP_RESCAN_NS), which drops the whole cache and reads every
 *     fd link, on two threads each walking half of the processes;
 *   - comm is re-read every snapshot for the processes that own sockets, so
 *     an exec shows its new name at once.
 * So a snapshot lists every fd directory only at a full rescan or for a
 * socket unowned twice in a row (bench/bench-owners measures this).
 * Known limits: when a process's fd count does not change, an fd number that
 * held a non-socket file and is reused (dup2, SCM_RIGHTS) for a socket that
 * already has other known owners is seen only at the next listing of all fd
 * directories or full rescan; a new socket held only through such a reused
 * fd number is found one snapshot late.  Other new sockets are found at
 * once.
 */
#ifndef SOCKHIST_PROCMAP_H
#define SOCKHIST_PROCMAP_H

#include <stdint.h>

#include "sockrec.h"

#define PROCMAP_RESCAN_NS (300ll * 1000000000ll)

struct procmap;

/* Work counters, for tests and benchmarks. */
struct procmap_stats {
	uint64_t snapshots;
	uint64_t full_rescans;
	uint64_t proc_entries;  /* /proc entries listed (processes) */
	uint64_t fd_dirs;       /* /proc/PID/fd directories listed */
	uint64_t fds_listed;
	uint64_t readlinks;
	uint64_t comm_reads;
};

/* Create an empty procmap reading proc_root ("/proc" if NULL).
 * Returns 0 or -ENOMEM. */
int procmap_new(const char *proc_root, struct procmap **out);
void procmap_free(struct procmap *pm);

/* Phase 1 of a snapshot: bring the (pid, fd) -> inode cache up to date
 * from /proc (a full rescan when one is due: the first time, after an error,
 * every PROCMAP_RESCAN_NS).  Needs no snapshot and touches only pm, so it
 * may run in another thread while the caller dumps the sockets.  now_ns is a
 * CLOCK_MONOTONIC time.  Returns 0 or -ENOMEM (kept for procmap_attach). */
int procmap_refresh(struct procmap *pm, int64_t now_ns);

/* Phase 2, after procmap_refresh(): attach owner processes to the records
 * of s, which must be sorted and deduplicated (snapshot_sort_dedupe) and
 * have no processes yet.  Sockets the cache does not know (opened while
 * phase 1 ran, or fds reused) are searched for here.  For each record with
 * an inode, proc_first/proc_count cover its owners, ordered like ss prints
 * them (descending pid, then descending fd).  Returns 0 or -ENOMEM;
 * unreadable /proc entries are skipped, as ss does. */
int procmap_attach(struct procmap *pm, struct snapshot *s);

/* procmap_attach() for every snapshot of one tick (one per network
 * namespace) after one procmap_refresh(): the n snapshots are one set —
 * a socket "vanished from the snapshot" or "ownerless" is judged against
 * all of them (socket inodes are unique across namespaces), so the
 * guarantees above hold for each.  Returns 0 or -ENOMEM. */
int procmap_attach_all(struct procmap *pm, struct snapshot **snaps, size_t n);

/* Counters since procmap_new(). */
void procmap_get_stats(const struct procmap *pm, struct procmap_stats *st);

#endif
