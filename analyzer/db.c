/*
 * db.c — the analyzer's access to the history file: path resolution,
 * read-only open, the recorded namespaces and --netns, and the choice of
 * a moment for --at / --snapshot.
 *
 * The namespaces are loaded once per open into a small table (a file holds
 * a handful, or a few hundred on a container host): the netns table's rows
 * (format 2 and later; pid and comm from format 4), else the frames'
 * inodes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgpath.h"
#include "db.h"
#include "options.h"
#include "timeexpr.h"

static const char *cli_path;

/* One recorded namespace. */
struct netns_entry {
	uint64_t ino;
	char *label;             /* see db_netns_label */
	bool named;              /* label is a name or PID/COMM */
	bool wanted;
};

/* The namespaces of the open file, in first-recorded order. */
static struct {
	struct netns_entry *v;
	size_t n;
	size_t nwanted;          /* 0: no --netns, every one is wanted */
	bool per_tick;           /* two namespaces' frames share a time */
} spaces;

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
	size_t nwant;
	const char *const *want = opt_netns(&nwant);
	if (db_netns_load(st, want, nwant) < 0) {
		store_close(st);
		return NULL;
	}
	cgpath_use(st);
	return st;
}

/* Forget the loaded namespaces. */
static void netns_clear(void)
{
	for (size_t i = 0; i < spaces.n; i++)
		free(spaces.v[i].label);
	free(spaces.v);
	spaces.v = NULL;
	spaces.n = spaces.nwanted = 0;
	spaces.per_tick = false;
}

/* Add namespace ino (once) with its netns row's name, pid and comm (NULL
 * or 0 when unknown).  Returns 0 or -1 when out of memory. */
static int netns_add(uint64_t ino, const char *name, int64_t pid,
		     const char *comm)
{
	char buf[64];
	struct netns_entry *v;
	const char *label = name;

	for (size_t i = 0; i < spaces.n; i++)
		if (spaces.v[i].ino == ino)
			return 0;
	if (!label && pid > 0) {
		snprintf(buf, sizeof(buf), "%" PRId64 "/%s", pid,
			 comm ? comm : "?");
		label = buf;
	} else if (!label) {
		snprintf(buf, sizeof(buf), "%" PRIu64, ino);
	}
	v = realloc(spaces.v, (spaces.n + 1) * sizeof(*v));
	if (!v)
		return -1;
	spaces.v = v;
	v[spaces.n] = (struct netns_entry){ ino, strdup(label ? label : buf),
					    label != NULL, false };
	if (!v[spaces.n].label)
		return -1;
	spaces.n++;
	return 0;
}

/* Does the file have table name? */
static bool has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *q;
	bool found = false;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE "
			       "type = 'table' AND name = ?1", -1, &q,
			       NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

/* Rows (ino, name, pid, comm) of the recorded namespaces: the netns
 * table's (also those whose frames retention deleted: their rollups and
 * lifetimes remain; format 2 and 3 lack pid and comm), or the frames'
 * inodes when the file has no netns table (format 1). */
static const char netns_sql_v4[] =
	"SELECT ino, name, pid, comm FROM netns ORDER BY id";
static const char netns_sql_v2[] =
	"SELECT ino, name, NULL, NULL FROM netns ORDER BY id";
static const char netns_sql_frames[] =
	"SELECT DISTINCT netns_ino, NULL, NULL, NULL FROM frame";

/* Run one of the netns queries and add its rows.  Returns 0 or -1. */
static int netns_query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	int rc, r = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
		r = netns_add((uint64_t)sqlite3_column_int64(q, 0),
			      (const char *)sqlite3_column_text(q, 1),
			      sqlite3_column_int64(q, 2),
			      (const char *)sqlite3_column_text(q, 3));
	sqlite3_finalize(q);
	return r == 0 && rc == SQLITE_DONE ? 0 : -1;
}

/* Set spaces.per_tick: is there a time with two frames?  A recorder of
 * several namespaces writes such a tick first thing (frame_time finds it
 * at once); only a file of namespaces recorded apart is read to its end.
 * Returns 0 or -1. */
static int netns_per_tick(sqlite3 *db)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM frame a WHERE EXISTS "
			       "(SELECT 1 FROM frame b WHERE b.time_ns = "
			       "a.time_ns AND b.id <> a.id) LIMIT 1", -1, &q,
			       NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(q);
	spaces.per_tick = rc == SQLITE_ROW;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The namespace arg names: a recorded label, an inode, or a /run/netns
 * name of this machine (for files recorded without names); or NULL. */
static struct netns_entry *netns_find(const char *arg)
{
	char *end, run[300];
	unsigned long long ino;
	struct stat sb;

	for (size_t i = 0; i < spaces.n; i++)
		if (strcmp(spaces.v[i].label, arg) == 0)
			return &spaces.v[i];
	errno = 0;
	ino = strtoull(arg, &end, 10);
	if (end == arg || *end || errno) {
		size_t len = strlen(arg);

		if (strchr(arg, '/') || len + sizeof("/run/netns/") > sizeof(run))
			return NULL;
		memcpy(run, "/run/netns/", sizeof("/run/netns/") - 1);
		memcpy(run + sizeof("/run/netns/") - 1, arg, len + 1);
		if (stat(run, &sb) < 0)
			return NULL;
		ino = sb.st_ino;
	}
	for (size_t i = 0; i < spaces.n; i++)
		if (spaces.v[i].ino == ino)
			return &spaces.v[i];
	return NULL;
}

/* Explain an unknown --netns: the recorded namespaces, the first few. */
static void netns_unknown(const char *arg)
{
	char list[256] = "";
	size_t len = 0, i;

	for (i = 0; i < spaces.n && i < 8; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len,
					"%s%s (%" PRIu64 ")", i ? ", " : "",
					spaces.v[i].label, spaces.v[i].ino);
	if (i < spaces.n)
		snprintf(list + len, sizeof(list) - len, " and %zu more",
			 spaces.n - i);
	err_msg(arg, "no such network namespace in this file (recorded: %s)",
		spaces.n ? list : "none");
}

/* Load the namespaces and apply --netns; see db.h. */
int db_netns_load(struct store *st, const char *const *want, size_t nwant)
{
	sqlite3 *db = store_sqlite(st);
	int r = 0;

	netns_clear();
	if (!has_table(db, "netns"))
		r = netns_query(db, netns_sql_frames);
	else if (netns_query(db, netns_sql_v4) < 0)
		r = netns_query(db, netns_sql_v2);
	if (r == 0 && spaces.n > 1)
		r = netns_per_tick(db);
	if (r < 0) {
		err_msg(db_path(), "cannot read the network namespaces: %s",
			sqlite3_errmsg(db));
		return -1;
	}
	for (size_t i = 0; i < nwant; i++) {
		struct netns_entry *e = netns_find(want[i]);

		if (!e) {
			netns_unknown(want[i]);
			return -1;
		}
		if (!e->wanted)
			spaces.nwanted++;
		e->wanted = true;
	}
	return 0;
}

/* Is ino wanted; see db.h. */
bool db_netns_wanted(uint64_t ino)
{
	if (!spaces.nwanted)
		return true;
	for (size_t i = 0; i < spaces.n; i++)
		if (spaces.v[i].ino == ino)
			return spaces.v[i].wanted;
	return false;
}

/* The --netns restriction as a scan filter; see db.h. */
int db_scan_want(const struct frame_info *fi, void *arg)
{
	(void)arg;
	return db_netns_wanted(fi->netns_ino);
}

/* The wanted inodes as JSON; see db.h. */
const char *db_netns_json(void)
{
	static char *json;
	size_t len = 0, cap = 3 + 21 * spaces.n;

	free(json);
	json = NULL;
	if (!spaces.nwanted || !(json = malloc(cap)))
		return NULL;
	json[len++] = '[';
	for (size_t i = 0; i < spaces.n; i++)
		if (spaces.v[i].wanted)
			len += (size_t)snprintf(json + len, cap - len, "%s%" PRIu64,
						len > 1 ? "," : "",
						spaces.v[i].ino);
	snprintf(json + len, cap - len, "]");
	return json;
}

/* Namespaces recorded per tick; see db.h. */
bool db_netns_per_tick(void)
{
	return spaces.per_tick;
}

/* Several namespaces in view; see db.h. */
bool db_netns_several(void)
{
	return spaces.per_tick &&
	       (spaces.nwanted ? spaces.nwanted > 1 : spaces.n > 1);
}

/* The entry of ino, or NULL. */
static const struct netns_entry *netns_entry(uint64_t ino)
{
	for (size_t i = 0; i < spaces.n; i++)
		if (spaces.v[i].ino == ino)
			return &spaces.v[i];
	return NULL;
}

/* The label of ino; see db.h. */
const char *db_netns_label(uint64_t ino)
{
	static char buf[24];
	const struct netns_entry *e = netns_entry(ino);

	if (e)
		return e->label;
	snprintf(buf, sizeof(buf), "%" PRIu64, ino);
	return buf;
}

/* The name of ino; see db.h. */
const char *db_netns_name(uint64_t ino)
{
	const struct netns_entry *e = netns_entry(ino);

	return e && e->named ? e->label : NULL;
}

/* Tell the user which frames they are looking at. */
static void announce(const struct moment *m)
{
	char when[40];

	time_format_iso(m->time_ns, 0, when, sizeof(when));
	if (m->n == 1)
		fprintf(stderr, "sockhist: snapshot %" PRId64 " at %s\n",
			m->frames[0].id, when);
	else
		fprintf(stderr, "sockhist: snapshots %" PRId64 "-%" PRId64
			" at %s (%zu network namespaces)\n", m->frames[0].id,
			m->frames[m->n - 1].id, when, m->n);
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

/* Run a one-value query of ints bound to a[0..n); *out gets its value, or
 * stays as it is when the row or value is NULL.  Returns 0 or -EIO. */
static int query_int(struct store *st, const char *sql, const int64_t *a,
		     int n, int64_t *out)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &q, NULL) !=
	    SQLITE_OK)
		return -EIO;
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(q, i + 1, a[i]);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

/* The latest frame time <= t of a wanted namespace, or INT64_MIN. */
static int moment_time(struct store *st, int64_t t, int64_t *tick)
{
	int r = 0;

	*tick = INT64_MIN;
	if (!spaces.nwanted)
		return query_int(st, "SELECT max(time_ns) FROM frame WHERE "
				 "time_ns <= ?1", &t, 1, tick);
	for (size_t i = 0; r == 0 && i < spaces.n; i++) {
		int64_t a[2] = { t, (int64_t)spaces.v[i].ino }, v = INT64_MIN;

		if (!spaces.v[i].wanted)
			continue;
		r = query_int(st, "SELECT time_ns FROM frame WHERE netns_ino "
			      "= ?2 AND time_ns <= ?1 ORDER BY time_ns DESC "
			      "LIMIT 1", a, 2, &v);
		if (v > *tick)
			*tick = v;
	}
	return r;
}

/* Append frame fi to m.  Returns 0 or -ENOMEM. */
static int moment_add(struct moment *m, const struct frame_info *fi)
{
	struct frame_info *v = realloc(m->frames, (m->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	m->frames = v;
	v[m->n++] = *fi;
	m->time_ns = fi->time_ns;
	return 0;
}

/* The moment at t; see db.h. */
int db_moment_at(struct store *st, int64_t t, struct moment *m)
{
	sqlite3_stmt *q;
	int64_t tick;
	int rc, r = moment_time(st, t, &tick);

	m->n = 0;
	if (r < 0)
		return r;
	if (tick == INT64_MIN)
		return -ENOENT;
	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT id FROM frame WHERE "
			       "time_ns = ?1 ORDER BY id", -1, &q, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(q, 1, tick);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct frame_info fi;

		r = store_frame_by_id(st, sqlite3_column_int64(q, 0), &fi);
		if (r == 0 && db_netns_wanted(fi.netns_ino))
			r = moment_add(m, &fi);
	}
	sqlite3_finalize(q);
	if (r == 0 && rc != SQLITE_DONE)
		r = -EIO;
	return r;
}

/* Free a moment's frames. */
void db_moment_free(struct moment *m)
{
	free(m->frames);
	m->frames = NULL;
	m->n = 0;
}

/* The moment at TIME t (the text of the option, for messages). */
static int pick_time(struct store *st, int64_t t, const char *what,
		     struct moment *m)
{
	int r = db_moment_at(st, t, m);

	if (r == -ENOENT && what)
		explain_none_before(st, what);
	else if (r == -ENOENT)
		err_msg(db_path(), "no snapshots recorded yet");
	else if (r < 0)
		err_msg(db_path(), "%s", r == -EIO ?
			sqlite3_errmsg(store_sqlite(st)) : store_errmsg(st));
	return r < 0 ? -1 : 0;
}

/* The one frame --snapshot names, which --netns must allow. */
static int pick_snapshot(struct store *st, const char *arg, struct moment *m)
{
	struct frame_info fi;
	int64_t id;
	char what[40];

	if (parse_id(arg, &id) < 0) {
		err_msg(arg, "not a snapshot id (a positive integer, see "
			"'sockhist snapshots')");
		return -1;
	}
	if (pick_by_id(st, id, &fi) < 0)
		return -1;
	if (!db_netns_wanted(fi.netns_ino)) {
		snprintf(what, sizeof(what), "snapshot %" PRId64, id);
		err_msg(what, "is of network namespace %s, not of --netns",
			db_netns_label(fi.netns_ino));
		return -1;
	}
	return moment_add(m, &fi) < 0 ? -1 : 0;
}

/* Resolve the moment selection; see db.h. */
int db_pick_moment(struct store *st, const struct frame_sel *sel,
		   struct moment *m)
{
	struct time_spec ts;
	int64_t t;
	int r;

	*m = (struct moment){ 0 };
	if (sel->at && sel->snapshot) {
		err_msg("--at and --snapshot", "choose one of them");
		return -1;
	}
	if (sel->snapshot)
		r = pick_snapshot(st, sel->snapshot, m);
	else if (!sel->at)
		r = pick_time(st, INT64_MAX, NULL, m);
	else if (db_parse_time(sel->at, &ts) < 0 ||
		 db_resolve_time(st, &ts, &t) < 0)
		r = -1;
	else
		r = pick_time(st, t, sel->at, m);
	if (r == 0 && m->n == 0) {
		err_msg(sel->at ? sel->at : db_path(), "no snapshot of the "
			"--netns namespaces at or before this time");
		r = -1;
	}
	if (r == 0 && !sel->quiet)
		announce(m);
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
