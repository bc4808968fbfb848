/*
 * cgpath.h — cgroup ids -> cgroup2 paths for the analyzer's output
 * (`-e`, `--cgroup`, `hist --by cgroup`) and the filter's `cgroup PATH`.
 *
 * A file of format 4 or later holds the paths the recorder found (the
 * cgroup table, per boot: ids are unique per boot only); an id is resolved
 * for the boot of the frame being read (cgpath_frame).  Boots without rows
 * (older files, or frames a format-3 recorder wrote before the file was
 * migrated) resolve ids on the cgroup2 mount where sockhist runs, as ss
 * does (ss_cgroup_path); so does, in a frame of the running kernel's boot
 * (ids are unique per boot, so the live tree is right about them), an id
 * without a row or recorded without a path.  Other ids the recorder could
 * not find print as ss prints an unknown id, "unreachable:HEX"; so do ids
 * recorded where no cgroup2 was mounted (`ip netns exec` hides it), with a
 * note on stderr, once.
 */
#ifndef SOCKHIST_CGPATH_H
#define SOCKHIST_CGPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* Read the cgroup table of st, if it has one (db_open calls this). */
void cgpath_use(struct store *st);
/* The frame about to be read or printed (its boot). */
void cgpath_frame(const struct frame_info *fi);
/* The path of cgroup id as ss prints it after "cgroup:". */
const char *cgpath_of(uint64_t id);
/* filter_ctx.cgroup_is: does cgroup id have this path (relative to the
 * cgroup2 root)?  Without rows for the boot: is it live_id (ss's way)? */
bool cgpath_is(uint64_t id, const char *path, uint64_t live_id);
/* Forget the table (tests). */
void cgpath_reset(void);

#endif
