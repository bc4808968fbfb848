/*
 * db.c — the analyzer's access to the history file: path resolution,
 * read-only open, and the choice of one frame for --at / --snapshot.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgpath.h"
#include "db.h"
#include "options.h"
#include "timeexpr.h"

static const char *cli_path;

/* Remember --db. */
void db_set_path(const char *path)
{
	cli_path = path;
}

/* --db, then $SOCKHIST_DB, then the default. */
const char *db_path(void)
{
	const char *env = getenv("SOCKHIST_DB");

	if (cli_path)
		return cli_path;
	if (env && *env)
		return env;
	return "./sockhist.db";
}

/* Open read-only, explaining a missing file before asking the store. */
struct store *db_open(void)
{
	const char *path = db_path();
	struct store *st = NULL;
	char err[256] = "";
	struct stat sb;

	if (stat(path, &sb) < 0) {
		if (errno == ENOENT)
			err_msg(path, "no such file (record one with sockhistd, "
				"or choose one with --db PATH or $SOCKHIST_DB)");
		else
			err_msg(path, "%s", strerror(errno));
		return NULL;
	}
	if (S_ISDIR(sb.st_mode)) {
		err_msg(path, "is a directory, not a sockhist database");
		return NULL;
	}
	if (access(path, R_OK) < 0) {
		err_msg(path, "%s", strerror(errno));
		return NULL;
	}
	if (store_open(path, STORE_READ, &st, err, sizeof(err)) < 0) {
		err_msg(path, "%s", err[0] ? err : "cannot open the database");
		return NULL;
	}
	cgpath_use(st);
	return st;
}

/* Tell the user which frame they are looking at. */
static void announce(const struct frame_info *fi)
{
	char when[40];

	time_format_iso(fi->time_ns, 0, when, sizeof(when));
	fprintf(stderr, "sockhist: snapshot %" PRId64 " at %s\n", fi->id, when);
}

/* First-frame callback for store_each_frame: copy it and stop. */
static int take_first(const struct frame_info *fi, void *arg)
{
	*(struct frame_info *)arg = *fi;
	return 1;
}

/* Explain why no frame is at or before the requested time. */
static void explain_none_before(struct store *st, const char *at)
{
	struct frame_info first = { .id = 0 };
	char when[40];

	if (store_each_frame(st, take_first, &first) > 0 && first.id > 0) {
		time_format_iso(first.time_ns, 0, when, sizeof(when));
		err_msg(at, "no snapshot at or before this time (the first "
			"is %" PRId64 " at %s)", first.id, when);
	} else {
		err_msg(db_path(), "no snapshots recorded yet");
	}
}

/* Look a frame up by id, printing why it failed. */
static int pick_by_id(struct store *st, int64_t id, struct frame_info *fi)
{
	int r = store_frame_by_id(st, id, fi);
	char name[40];

	snprintf(name, sizeof(name), "snapshot %" PRId64, id);
	if (r == -ENOENT)
		err_msg(name, "no snapshot with this id (see 'sockhist snapshots')");
	else if (r < 0)
		err_msg(db_path(), "%s", store_errmsg(st));
	return r < 0 ? -1 : 0;
}

/* Parse a --snapshot argument: a positive integer, optionally "@ID". */
static int parse_id(const char *s, int64_t *id)
{
	char *end;

	if (*s == '@')
		s++;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v <= 0)
		return -1;
	*id = v;
	return 0;
}

/* Resolve --at TIME (which may itself be "@ID"). */
static int pick_at(struct store *st, const char *at, struct frame_info *fi)
{
	struct time_spec ts;
	int r;

	if (db_parse_time(at, &ts) < 0)
		return -1;
	if (ts.kind == TIME_SNAPSHOT_ID)
		return pick_by_id(st, ts.snapshot_id, fi);
	r = store_frame_at(st, ts.time_ns, fi);
	if (r == -ENOENT) {
		explain_none_before(st, at);
		return -1;
	}
	if (r < 0) {
		err_msg(db_path(), "%s", store_errmsg(st));
		return -1;
	}
	return 0;
}

/* Resolve the frame selection; see db.h. */
int db_pick_frame(struct store *st, const struct frame_sel *sel,
		  struct frame_info *fi)
{
	int64_t id;
	int r;

	if (sel->at && sel->snapshot) {
		err_msg("--at and --snapshot", "choose one of them");
		return -1;
	}
	if (sel->snapshot) {
		if (parse_id(sel->snapshot, &id) < 0) {
			err_msg(sel->snapshot, "not a snapshot id (a positive "
				"integer, see 'sockhist snapshots')");
			return -1;
		}
		r = pick_by_id(st, id, fi);
	} else if (sel->at) {
		r = pick_at(st, sel->at, fi);
	} else {
		r = store_frame_at(st, INT64_MAX, fi);
		if (r == -ENOENT)
			err_msg(db_path(), "no snapshots recorded yet");
		else if (r < 0)
			err_msg(db_path(), "%s", store_errmsg(st));
		r = r < 0 ? -1 : 0;
	}
	if (r == 0 && !sel->quiet)
		announce(fi);
	return r;
}

/* Decode one frame; see db.h. */
int db_load_frame(struct store *st, const struct frame_info *fi,
		  struct snapshot *s, sock_keep_fn keep, void *arg)
{
	char what[32];
	int r;

	cgpath_frame(fi);
	r = store_load_matching(st, fi->id, s, keep, arg);

	if (r == 0)
		return 0;
	snprintf(what, sizeof(what), "snapshot %" PRId64, fi->id);
	if (r == -EPROTONOSUPPORT)
		err_msg(what, "written by a newer sockhist (unknown codec %u)",
			fi->codec);
	else
		err_msg(what, "%s", store_errmsg(st));
	return -1;
}

/* Parse a TIME option argument; see db.h. */
int db_parse_time(const char *arg, struct time_spec *ts)
{
	if (time_parse(arg, time_now_ns(), ts) == 0)
		return 0;
	err_msg(arg, "not a time (try 2026-11-25T10:00:00Z, 10:00, -5m, now "
		"or @ID)");
	return -1;
}

/* A parsed TIME as ns; see db.h. */
int db_resolve_time(struct store *st, const struct time_spec *ts, int64_t *ns)
{
	struct frame_info fi;
	char what[40];
	int r;

	if (ts->kind == TIME_ABSOLUTE) {
		*ns = ts->time_ns;
		return 0;
	}
	r = store_frame_by_id(st, ts->snapshot_id, &fi);
	if (r == 0) {
		*ns = fi.time_ns;
		return 0;
	}
	snprintf(what, sizeof(what), "@%" PRId64, ts->snapshot_id);
	if (r == -ENOENT)
		err_msg(what, "no snapshot with this id (see 'sockhist snapshots')");
	else
		err_msg(db_path(), "%s", store_errmsg(st));
	return -1;
}
