/*
 * db.h — how analyzer subcommands reach the history file: which path, opening
 * it read-only, the network namespaces it records (and the --netns
 * restriction every subcommand accepts), and turning --at TIME /
 * --snapshot ID into a moment.
 *
 * A file may hold several network namespaces: the recorder writes one frame
 * per namespace each tick, all with the same time.  The moment at TIME is
 * the frames whose time is the latest frame time <= TIME, one per namespace
 * recorded at that tick (restricted by --netns).  --snapshot ID names one
 * frame, i.e. one namespace at one tick; "@ID" as a TIME means the whole
 * moment at that frame's time.
 *
 * Every function prints its own one-line "sockhist: <what>: <why>" message on
 * failure, so a subcommand only has to return EXIT_FAIL.
 */
#ifndef SOCKHIST_DB_H
#define SOCKHIST_DB_H

#include <stdbool.h>

#include "sockrec.h"
#include "store.h"
#include "timeexpr.h"

/* Remember the --db argument (overrides $SOCKHIST_DB). */
void db_set_path(const char *path);
/* The database path: --db, else $SOCKHIST_DB, else ./sockhist.db. */
const char *db_path(void);

/* Open the database read-only and load its namespaces with the --netns
 * restriction of the command line (opt_netns).  Returns NULL after printing
 * why not (missing file, not a sockhist database, damaged, newer format,
 * unknown --netns). */
struct store *db_open(void);

/* Load the namespaces st records (its netns table, with names, pids and
 * comms; without one, the frames' inodes) and restrict the commands to those
 * the names or inodes want[0..nwant) give (nwant 0: every namespace).
 * db_open calls it.  Returns 0 or -1 after printing why not (an unknown
 * name or inode: the message lists the recorded ones). */
int db_netns_load(struct store *st, const char *const *want, size_t nwant);
/* Is namespace ino within the --netns restriction? */
bool db_netns_wanted(uint64_t ino);
/* Does the file record several namespaces per tick (frames of different
 * namespaces with the same time), whatever --netns?  JSON and CSV then
 * carry "netns" and "netns_name", the same keys for any --netns.  A file
 * whose namespaces never share a tick (older recorders, one namespace per
 * run) reads as it always did. */
bool db_netns_per_tick(void);
/* Do the commands look at more than one namespace (db_netns_per_tick, and
 * --netns does not narrow them to one)?  Tables then name the namespace. */
bool db_netns_several(void);
/* A scan_ops.want (store.h) for the --netns restriction: is fi's
 * namespace wanted?  arg is unused. */
int db_scan_want(const struct frame_info *fi, void *arg);
/* The wanted namespaces' inodes as a JSON array ("[4026531840,...]") for
 * SQL's json_each, or NULL without --netns.  Valid until the next
 * db_netns_load. */
const char *db_netns_json(void);
/* The label of namespace ino: its /run/netns name, else "PID/COMM" of a
 * process that held it, else the inode in decimal.  The string stays valid
 * until the next db_netns_load. */
const char *db_netns_label(uint64_t ino);
/* Its name for JSON and CSV: the label, or NULL when only the inode is
 * known. */
const char *db_netns_name(uint64_t ino);

/* Which moment a command looks at: at most one of the two is set; neither
 * means the latest snapshot. */
struct frame_sel {
	const char *at;        /* --at TIME */
	const char *snapshot;  /* --snapshot ID */
	bool quiet;            /* the command names the frame itself */
};

/* One recorded moment: the frames of one tick, in id order, of the wanted
 * namespaces (one frame for --snapshot ID). */
struct moment {
	int64_t time_ns;
	struct frame_info *frames;
	size_t n;                /* >= 1 once picked */
};

/* Resolve sel to a moment (the latest tick at or before TIME that recorded
 * a wanted namespace; the latest by default) and, unless quiet, name it on
 * stderr ("sockhist: snapshot 42 at 2026-11-25T10:00:00Z", or "snapshots
 * 42-44 at ... (3 network namespaces)").  Searches frame_time, and with
 * --netns frame_netns_time.  Returns 0 or -1 after printing why (bad TIME,
 * no such snapshot, a snapshot of another namespace than --netns, empty
 * database); free m with db_moment_free either way. */
int db_pick_moment(struct store *st, const struct frame_sel *sel,
		   struct moment *m);
/* The moment at time t: the frames of the latest tick <= t of the wanted
 * namespaces.  Returns 0, -ENOENT when there is none, or another negative
 * code (store_errmsg). */
int db_moment_at(struct store *st, int64_t t, struct moment *m);
void db_moment_free(struct moment *m);

/* Parse a TIME option argument into *ts.  Returns 0 or -1 after printing
 * why not. */
int db_parse_time(const char *arg, struct time_spec *ts);
/* A parsed TIME as ns: itself, or the time of snapshot @ID.  Returns 0 or
 * -1 after printing why not (no such snapshot). */
int db_resolve_time(struct store *st, const struct time_spec *ts, int64_t *ns);

/* Decode frame fi into s (initialised), only the records keep() accepts
 * (store_load_matching; keep NULL: all).  Returns 0 or -1 after printing. */
int db_load_frame(struct store *st, const struct frame_info *fi,
		  struct snapshot *s, sock_keep_fn keep, void *arg);

#endif
