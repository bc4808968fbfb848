/*
 * store.c — the sockhist database: open/refuse/create, append, read.
 *
 * The writer opens read-write, creates the schema in one transaction on an
 * empty file (page_size and auto_vacuum are set first, application_id and
 * user_version last), switches to WAL with synchronous=NORMAL and appends one
 * frame per snapshot with cached statements inside BEGIN IMMEDIATE..COMMIT.
 * Readers open with SQLITE_OPEN_READONLY and run only short statements, so a
 * reader never blocks the writer and always sees the newest committed frame.
 * A reader that may not create the -shm file (another user than the
 * recorder's, a read-only copy) and finds no -wal file, so no writer is
 * active, reopens the file immutable.
 *
 * Refusals are classified once, at open, from SQLite's own checks (not a
 * database, malformed) and from the header pragmas (foreign application_id,
 * newer user_version), each with a fixed one-line message.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "store.h"
#include "timeexpr.h"

#define BUSY_TIMEOUT_MS 5000
#define PAGE_SIZE 4096
#define WAL_AUTOCHECKPOINT_PAGES 1000      /* ~4 MiB of WAL */
#define JOURNAL_SIZE_LIMIT (16 * 1024 * 1024)
#define EACH_BATCH 256                     /* frames per read statement */
#define STR_(x) #x
#define STR(x) STR_(x)

extern const char sql_schema[];

#define FRAME_COLS "id, time_ns, netns_ino, codec, total, " \
	"tcp, udp, raw, u_str, u_dgr, u_seq, bytes"

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_INSERT,
	ST_AT, ST_BY_ID, ST_LOAD, ST_EACH, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT] = "INSERT INTO frame (time_ns, boot, netns_ino, codec, "
		"total, tcp, udp, raw, u_str, u_dgr, u_seq, bytes, data) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_AT] = "SELECT " FRAME_COLS " FROM frame WHERE time_ns <= ?1 "
		"ORDER BY time_ns DESC, id DESC LIMIT 1",
	[ST_BY_ID] = "SELECT " FRAME_COLS " FROM frame WHERE id = ?1",
	[ST_LOAD] = "SELECT codec, data FROM frame WHERE id = ?1",
	[ST_EACH] = "SELECT " FRAME_COLS " FROM frame WHERE id > ?1 "
		"ORDER BY id LIMIT " STR(EACH_BATCH),
};

struct store {
	sqlite3 *db;
	enum store_mode mode;
	int64_t boot;                    /* boot row of this writer */
	sqlite3_stmt *stmt[ST_COUNT];
	char msg[256];
};

/* Record a printf-style message as the last error; returns code. */
static int fail(struct store *st, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* Map an SQLite result code to a negative errno with a one-line message. */
static int fail_sqlite(struct store *st, int rc)
{
	const char *why = sqlite3_errmsg(st->db);

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return fail(st, -ENOSPC, "disk full, frame not written (%s)", why);
	case SQLITE_CORRUPT:
		return fail(st, -EBADMSG, "database is damaged (%s)", why);
	case SQLITE_NOTADB:
		return fail(st, -ENOTSUP, "not a sockhist database");
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return fail(st, -EBUSY, "database is locked (%s)", why);
	case SQLITE_READONLY:
		return fail(st, -EROFS, "database is read-only (%s)", why);
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_CANTOPEN:
		return fail(st, -EACCES, "cannot open (%s)", why);
	case SQLITE_NOMEM:
		return fail(st, -ENOMEM, "out of memory");
	default:
		return fail(st, -EIO, "database error (%s)", why);
	}
}

/* Run SQL text without results; returns 0 or a mapped error. */
static int exec(struct store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail_sqlite(st, rc);
}

/* Step a cached statement expected to finish without rows, then reset it. */
static int step_done(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *q = st->stmt[id];
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : fail_sqlite(st, rc);
}

/* What the header pragmas say about an opened file. */
struct file_kind {
	int64_t app_id, version, tables;
};

/* Read application_id, user_version and the number of schema objects. */
static int read_kind(struct store *st, struct file_kind *k)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db,
		"SELECT (SELECT application_id FROM pragma_application_id), "
		"(SELECT user_version FROM pragma_user_version), "
		"(SELECT count(*) FROM sqlite_master)", -1, &q, NULL);

	if (rc != SQLITE_OK)
		return fail_sqlite(st, rc);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		k->app_id = sqlite3_column_int64(q, 0);
		k->version = sqlite3_column_int64(q, 1);
		k->tables = sqlite3_column_int64(q, 2);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : fail_sqlite(st, rc);
}

/* Refuse a file that is not ours or not readable by this build. */
static int check_kind(struct store *st, const struct file_kind *k)
{
	if (k->app_id != STORE_APPLICATION_ID)
		return fail(st, -ENOTSUP, "not a sockhist database");
	if (k->version > STORE_FORMAT_VERSION)
		return fail(st, -EPROTONOSUPPORT,
			    "written by a newer sockhist (format %lld, this "
			    "build reads up to %d)", (long long)k->version,
			    STORE_FORMAT_VERSION);
	if (k->version < 1)
		return fail(st, -EBADMSG,
			    "database is damaged (no format version)");
	return 0;
}

/* Read the kernel's boot id into buf (NUL-terminated, newline stripped). */
static void read_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	else
		snprintf(buf, len, "unknown");
	fclose(f);
}

/* Run a one-off statement with up to two text/int64 parameters. */
static int exec_bind(struct store *st, const char *sql, const char *t1,
		     const char *t2, int64_t i2)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);

	if (rc != SQLITE_OK)
		return fail_sqlite(st, rc);
	sqlite3_bind_text(q, 1, t1, -1, SQLITE_TRANSIENT);
	if (t2)
		sqlite3_bind_text(q, 2, t2, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(q, 2, i2);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail_sqlite(st, rc);
}

/* Create the schema and the meta rows; runs inside the writer's first
 * transaction on an empty file. */
static int create_schema(struct store *st)
{
	char sql[128], host[256] = "", boot_id[64], now[32];
	int r = exec(st, sql_schema);

	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; "
		 "PRAGMA user_version = %d", STORE_APPLICATION_ID,
		 STORE_FORMAT_VERSION);
	if (r == 0)
		r = exec(st, sql);
	gethostname(host, sizeof(host) - 1);
	read_boot_id(boot_id, sizeof(boot_id));
	snprintf(now, sizeof(now), "%lld", (long long)time_now_ns());
	const char *ins = "INSERT INTO meta (key, value) VALUES (?1, ?2)";
	if (r == 0)
		r = exec_bind(st, ins, "created_ns", now, 0);
	if (r == 0)
		r = exec_bind(st, ins, "hostname", host, 0);
	if (r == 0)
		r = exec_bind(st, ins, "boot_id", boot_id, 0);
	return r;
}

/* Initialise an empty file: page size and auto_vacuum before the first
 * table, then the schema in one IMMEDIATE transaction (re-checking that no
 * other writer got there first). */
static int init_file(struct store *st)
{
	char sql[96];
	struct file_kind k;

	snprintf(sql, sizeof(sql), "PRAGMA page_size = %d; "
		 "PRAGMA auto_vacuum = INCREMENTAL", PAGE_SIZE);
	int r = exec(st, sql);
	if (r == 0)
		r = exec(st, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = read_kind(st, &k);
	if (r == 0 && k.app_id == 0 && k.tables == 0)
		r = create_schema(st);
	if (r == 0)
		return exec(st, "COMMIT");
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Writer setup on a file of ours: WAL, durability, WAL bounds, this boot's
 * row and the writer version. */
static int writer_setup(struct store *st)
{
	char boot_id[64], sql[160];
	sqlite3_stmt *q;

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = WAL; "
		 "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = %d; "
		 "PRAGMA journal_size_limit = %d", WAL_AUTOCHECKPOINT_PAGES,
		 JOURNAL_SIZE_LIMIT);
	int r = exec(st, sql);
	read_boot_id(boot_id, sizeof(boot_id));
	if (r == 0)
		r = exec(st, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = exec_bind(st, "INSERT OR IGNORE INTO boot (boot_id, first_ns) "
		      "VALUES (?1, ?2)", boot_id, NULL, time_now_ns());
	if (r == 0)
		r = exec_bind(st, "INSERT OR REPLACE INTO meta (key, value) "
			      "VALUES (?1, ?2)", "writer_version",
			      SOCKHIST_VERSION, 0);
	if (r == 0 && sqlite3_prepare_v2(st->db, "SELECT id FROM boot "
			"WHERE boot_id = ?1", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, boot_id, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			st->boot = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	if (r == 0 && st->boot == 0)
		r = fail_sqlite(st, sqlite3_errcode(st->db));
	if (r == 0)
		return exec(st, "COMMIT");
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Prepare every cached statement (also proves the schema is there). */
static int prepare_all(struct store *st)
{
	for (int i = 0; i < ST_COUNT; i++) {
		if (st->mode == STORE_READ && i <= ST_INSERT)
			continue;
		int rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[i], NULL);
		if (rc == SQLITE_ERROR)
			return fail(st, -EBADMSG, "database is damaged (%s)",
				    sqlite3_errmsg(st->db));
		if (rc != SQLITE_OK)
			return fail_sqlite(st, rc);
	}
	return 0;
}

/* path as an SQLite URI opening the file immutable (read-only, no locks,
 * no -wal/-shm); NULL when out of memory.  Free with sqlite3_free(). */
static char *immutable_uri(const char *path)
{
	sqlite3_str *u = sqlite3_str_new(NULL);

	sqlite3_str_appendall(u, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f)
			sqlite3_str_appendf(u, "%%%02X", *p);
		else
			sqlite3_str_appendchar(u, 1, (char)*p);
	}
	sqlite3_str_appendall(u, "?immutable=1");
	return sqlite3_str_finish(u);
}

/* Open the SQLite handle for path in st->mode; a reader may ask for the
 * file to be opened immutable. */
static int open_db(struct store *st, const char *path, int immutable)
{
	struct stat sb;
	int flags = st->mode == STORE_READ ? SQLITE_OPEN_READONLY :
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	char *uri = NULL;

	if (st->mode == STORE_READ && stat(path, &sb) < 0)
		return errno == ENOENT ? fail(st, -ENOENT, "no such file") :
			fail(st, -errno, "%s", strerror(errno));
	if (immutable) {
		uri = immutable_uri(path);
		if (!uri)
			return fail(st, -ENOMEM, "out of memory");
		flags |= SQLITE_OPEN_URI;
	}
	int rc = sqlite3_open_v2(uri ? uri : path, &st->db, flags, NULL);
	sqlite3_free(uri);
	if (rc != SQLITE_OK)
		return st->db ? fail_sqlite(st, rc) :
			fail(st, -ENOMEM, "out of memory");
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	return 0;
}

/* Did the last failure come from a read-only open of a WAL database whose
 * -shm file this process may not create? */
static int needs_shm_write(struct store *st)
{
	int ec = sqlite3_extended_errcode(st->db) & 0xff;

	return ec == SQLITE_READONLY || ec == SQLITE_CANTOPEN;
}

/* Is there a -wal file beside path (a writer is, or was, mid-work)? */
static int wal_exists(const char *path)
{
	char wal[PATH_MAX];

	return snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal) ||
	       access(wal, F_OK) == 0;
}

/* Open, classify, create or set up; see store.h. */
static int open_store(struct store *st, const char *path)
{
	struct file_kind k;
	int r = open_db(st, path, 0);

	if (r == 0)
		r = read_kind(st, &k);
	if (r < 0 && st->mode == STORE_READ && st->db && needs_shm_write(st) &&
	    !wal_exists(path)) {
		/* A reader that may not create the -shm file (a root-owned
		 * database read by another user, a read-only copy) and no
		 * -wal file: no writer has the file open, so it cannot change
		 * under us; read it immutable. */
		sqlite3_close(st->db);
		st->db = NULL;
		r = open_db(st, path, 1);
		if (r == 0)
			r = read_kind(st, &k);
	}
	if (r == 0 && st->mode == STORE_WRITE && k.app_id == 0 &&
	    k.tables == 0) {
		r = init_file(st);
		if (r == 0)
			r = read_kind(st, &k);
	}
	if (r == 0)
		r = check_kind(st, &k);
	if (r == 0 && st->mode == STORE_WRITE)
		r = writer_setup(st);
	if (r == 0)
		r = prepare_all(st);
	return r;
}

/* Open path; see store.h. */
int store_open(const char *path, enum store_mode mode, struct store **out,
	       char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->mode = mode;
	int r = open_store(st, path);
	if (r < 0) {
		snprintf(err, errlen, "%s", st->msg);
		store_close(st);
		return r;
	}
	*out = st;
	return 0;
}

/* Finalize statements and close the handle; NULL is a no-op. */
void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

/* The message for the last failure on st. */
const char *store_errmsg(const struct store *st)
{
	return st->msg;
}

/* The SQLite handle; see store.h. */
struct sqlite3 *store_sqlite(struct store *st)
{
	return st->db;
}

/* Cap the database at `bytes` (rounded down to whole pages); see store.h. */
int store_set_size_limit(struct store *st, uint64_t bytes)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %llu",
		 (unsigned long long)(bytes / PAGE_SIZE));
	return exec(st, sql);
}

/* Bind and run the INSERT for one encoded frame inside the open
 * transaction; returns the new id or a negative code. */
static int64_t insert_frame(struct store *st, const struct snapshot *s,
			    const uint8_t *blob, size_t len)
{
	sqlite3_stmt *q = st->stmt[ST_INSERT];
	uint32_t counts[NETID_COUNT];

	snapshot_count(s, counts);
	sqlite3_bind_int64(q, 1, s->time_ns);
	sqlite3_bind_int64(q, 2, st->boot);
	sqlite3_bind_int64(q, 3, (int64_t)s->netns_ino);
	sqlite3_bind_int(q, 4, CODEC_CURRENT);
	sqlite3_bind_int64(q, 5, (int64_t)s->nrecs);
	for (int i = 0; i < NETID_COUNT; i++)
		sqlite3_bind_int64(q, 6 + i, counts[i]);
	sqlite3_bind_int64(q, 12, (int64_t)len);
	sqlite3_bind_blob64(q, 13, blob, len, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return fail_sqlite(st, rc);
	return sqlite3_last_insert_rowid(st->db);
}

/* Append s as a new frame; see store.h. */
int64_t store_append(struct store *st, const struct snapshot *s)
{
	uint8_t *blob;
	size_t len;

	if (st->mode != STORE_WRITE)
		return fail(st, -EBADF, "database is open read-only");
	int r = codec_encode(s, CODEC_DEFAULT_LEVEL, &blob, &len);
	if (r < 0)
		return fail(st, r, "cannot encode snapshot: %s", strerror(-r));
	int64_t id = step_done(st, ST_BEGIN);
	if (id == 0)
		id = insert_frame(st, s, blob, len);
	if (id > 0) {
		r = step_done(st, ST_COMMIT);
		if (r < 0)
			id = r;
	}
	if (id < 0 && !sqlite3_get_autocommit(st->db))
		step_done(st, ST_ROLLBACK);
	free(blob);
	return id;
}

/* Fill a frame_info from a row of FRAME_COLS. */
static void row_info(sqlite3_stmt *q, struct frame_info *fi)
{
	fi->id = sqlite3_column_int64(q, 0);
	fi->time_ns = sqlite3_column_int64(q, 1);
	fi->netns_ino = (uint64_t)sqlite3_column_int64(q, 2);
	fi->codec = (uint32_t)sqlite3_column_int64(q, 3);
	fi->total = (uint32_t)sqlite3_column_int64(q, 4);
	for (int i = 0; i < NETID_COUNT; i++)
		fi->counts[i] = (uint32_t)sqlite3_column_int64(q, 5 + i);
	fi->blob_bytes = (size_t)sqlite3_column_int64(q, 11);
}

/* Run a cached one-row query bound to v; fills *fi.  -ENOENT if no row. */
static int query_one(struct store *st, enum stmt_id id, int64_t v,
		     struct frame_info *fi)
{
	sqlite3_stmt *q = st->stmt[id];

	sqlite3_bind_int64(q, 1, v);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		row_info(q, fi);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return fail(st, -ENOENT, "no such frame");
	return fail_sqlite(st, rc);
}

/* Latest frame at or before t; see store.h. */
int store_frame_at(struct store *st, int64_t t, struct frame_info *out)
{
	return query_one(st, ST_AT, t, out);
}

/* Frame by id; see store.h. */
int store_frame_by_id(struct store *st, int64_t id, struct frame_info *out)
{
	return query_one(st, ST_BY_ID, id, out);
}

/* Read up to EACH_BATCH frames with id > after into fi; returns how many.
 * The statement is reset before returning, so no read transaction is held
 * while the caller's callback runs. */
static int each_batch(struct store *st, int64_t after, struct frame_info *fi)
{
	sqlite3_stmt *q = st->stmt[ST_EACH];
	int n = 0, rc;

	sqlite3_bind_int64(q, 1, after);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		row_info(q, &fi[n++]);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? n : fail_sqlite(st, rc);
}

/* Call fn for every frame in id order; see store.h. */
int store_each_frame(struct store *st,
		     int (*fn)(const struct frame_info *fi, void *arg),
		     void *arg)
{
	struct frame_info *fi = malloc(EACH_BATCH * sizeof(*fi));
	int64_t after = INT64_MIN;
	int n, r = 0;

	if (!fi)
		return fail(st, -ENOMEM, "out of memory");
	do {
		n = each_batch(st, after, fi);
		for (int i = 0; r == 0 && i < n; i++)
			r = fn(&fi[i], arg);
		if (n > 0)
			after = fi[n - 1].id;
	} while (r == 0 && n == EACH_BATCH);
	free(fi);
	return n < 0 ? n : r;
}

/* Decode frame id into s; see store.h. */
int store_load(struct store *st, int64_t id, struct snapshot *s)
{
	sqlite3_stmt *q = st->stmt[ST_LOAD];
	int r;

	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		int codec = sqlite3_column_int(q, 0);
		const void *data = sqlite3_column_blob(q, 1);
		size_t len = (size_t)sqlite3_column_bytes(q, 1);
		r = codec_decode(codec, data ? data : "", len, s);
		if (r == -EPROTONOSUPPORT)
			fail(st, r, "frame %lld uses codec %d, this build "
			     "reads up to %d", (long long)id, codec,
			     CODEC_CURRENT);
		else if (r < 0)
			fail(st, r, "frame %lld is damaged (%s)",
			     (long long)id, strerror(-r));
	} else if (rc == SQLITE_DONE) {
		r = fail(st, -ENOENT, "no such frame");
	} else {
		r = fail_sqlite(st, rc);
	}
	sqlite3_reset(q);
	return r;
}
