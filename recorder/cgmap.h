/*
 * cgmap.h — cgroup ids -> cgroup2 paths, as `ss -e` / `ss --cgroup` print
 * them, for the recorder to store with the frames (cgroups vanish, and the
 * file may be read on another machine).
 *
 * A cgroup's id (INET_DIAG_CGROUP_ID) is the inode number of its directory
 * on the cgroup2 file system; its path is that directory's, relative to the
 * cgroup2 mount, with a leading "/" ("/" for the root).  The mount is the
 * first cgroup2 line of /proc/self/mountinfo, found once.  The map of the
 * whole tree is walked again only when a snapshot holds an id the map does
 * not know, and at most once per CGMAP_RESCAN_NS; an id still unknown after
 * a walk (its cgroup was removed first) is given up.  Nothing is read
 * from /sys when a snapshot holds no new id.
 *
 * Every id a snapshot uses is handed out once as "new" (cgmap_new_entries),
 * with its path, or with no path when no cgroup2 is mounted here: the
 * recorder stores these in the file's cgroup table.
 */
#ifndef SOCKHIST_CGMAP_H
#define SOCKHIST_CGMAP_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"
#include "store.h"

#define CGMAP_RESCAN_NS (1000ll * 1000000ll)

struct cgmap;

/* Find the cgroup2 mount in mountinfo (NULL: /proc/self/mountinfo).
 * Returns 0 or -ENOMEM; no mount is no error (cgmap_mounted says). */
int cgmap_new(const char *mountinfo, struct cgmap **out);
void cgmap_free(struct cgmap *cg);
/* The cgroup2 mount point, or NULL when none was found. */
const char *cgmap_mounted(const struct cgmap *cg);

/* Note the cgroup ids of s's records (those with SR_HAS_CGROUP); walk the
 * tree if one is new and the last walk is CGMAP_RESCAN_NS old (now_ns is
 * CLOCK_MONOTONIC).  Returns 0 or -ENOMEM. */
int cgmap_update(struct cgmap *cg, const struct snapshot *s, int64_t now_ns);

/* The ids first used since the last cgmap_done(), with their paths (NULL
 * without cgroup2), for store_put_cgroups; valid until cgmap_done().
 * Returns how many. */
size_t cgmap_new_entries(const struct cgmap *cg,
			 const struct store_cgroup **out);
/* The new entries are stored: do not hand them out again. */
void cgmap_done(struct cgmap *cg);

/* Tree walks so far, for tests and benchmarks. */
uint64_t cgmap_walks(const struct cgmap *cg);

#endif
