/*
 * db.h — how analyzer subcommands reach the history file: which path, opening
 * it read-only, and turning --at TIME / --snapshot ID into one frame.
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

/* Open the database read-only.  Returns NULL after printing why not
 * (missing file, not a sockhist database, damaged, newer format). */
struct store *db_open(void);

/* Which moment a command looks at: at most one of the two is set; neither
 * means the latest snapshot. */
struct frame_sel {
	const char *at;        /* --at TIME */
	const char *snapshot;  /* --snapshot ID */
	bool quiet;            /* the command names the frame itself */
};

/* Resolve sel to a frame (the latest at or before TIME) and, unless quiet,
 * name it on stderr ("sockhist: snapshot 42 at 2026-11-25T10:00:00Z").  Returns 0 or -1
 * after printing why (bad TIME, no such snapshot, empty database). */
int db_pick_frame(struct store *st, const struct frame_sel *sel,
		  struct frame_info *fi);

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
