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
 * newer user_version), each with a fixed one-line message.  An older file
 * is migrated: in place by the writer; a reader (which may not write the
 * file) migrates a private in-memory copy of a format-1 file and reads a
 * format-2 file as it is (format 3 only adds the kernel counters, so the
 * copy, as large as the file, would buy nothing).
 *
 * Loading a frame replays its chain from the keyframe (chain.h).  The
 * frames of several namespaces interleave, each namespace with its own
 * chains, so the reader keeps a small cache of chain states (decoders,
 * keyed by keyframe id, least recently used replaced first): reading
 * frames in order costs one frame each, whatever the interleaving.
 * The writer's side is in store_append.c and store_index.c.
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
#include "store_int.h"
#include "timeexpr.h"

#define BUSY_TIMEOUT_MS 5000
#define WAL_AUTOCHECKPOINT_PAGES 1000      /* ~4 MiB of WAL */
#define JOURNAL_SIZE_LIMIT (16 * 1024 * 1024)
#define EACH_BATCH 256                     /* frames per read statement */
#define STR_(x) #x
#define STR(x) STR_(x)

extern const char sql_schema[];
extern const char sql_migrate_2[];
extern const char sql_migrate_3[];
extern const char sql_migrate_4[];

_Static_assert(KS_COUNT == 19, "ST_SOCKSTAT_ADD binds frame + KS_COUNT values");

#define FRAME_COLS "id, time_ns, netns_ino, codec, total, " \
	"tcp, udp, raw, u_str, u_dgr, u_seq, bytes, key, took_us, boot"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT] = "INSERT INTO frame (time_ns, boot, netns_ino, codec, "
		"key, total, tcp, udp, raw, u_str, u_dgr, u_seq, took_us, "
		"bytes, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		"?11, ?12, ?13, ?14, ?15)",
	[ST_SET_KEY] = "UPDATE frame SET key = id WHERE id = ?1",
	[ST_SOCKSTAT_ADD] = "INSERT INTO sockstat VALUES (?1, ?2, ?3, ?4, ?5, "
		"?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
		"?19, ?20)",
	[ST_COUNT_ROW] = "INSERT INTO frame_count (frame, netid, state, n) "
		"VALUES (?1, ?2, ?3, ?4)",
	[ST_SOCK_NEW] = "INSERT OR IGNORE INTO sock (boot, netns, cookie, "
		"netid, family, protocol, laddr, lport, raddr, rport, uid, pid, "
		"comm, path, first) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		"?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_SOCK_GONE] = "UPDATE sock SET last = ?4 WHERE boot = ?1 AND "
		"netns = ?2 AND cookie = ?3 AND last IS NULL",
	[ST_STR_ADD] = "INSERT OR IGNORE INTO str (s) VALUES (?1)",
	[ST_STR_ID] = "SELECT id FROM str WHERE s = ?1",
	[ST_ROLLUP] = "INSERT INTO rollup (period, start_ns, netns_ino, kind, "
		"key, samples, sum, max) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6) "
		"ON CONFLICT DO UPDATE SET samples = samples + 1, "
		"sum = sum + excluded.sum, max = max(max, excluded.max)",
	[ST_NETNS_ADD] = "INSERT OR IGNORE INTO netns (ino) VALUES (?1)",
	[ST_NETNS_ID] = "SELECT id FROM netns WHERE ino = ?1",
	[ST_CLOSED_BATCH] = "INSERT INTO closed_batch (time_ns, since_ns, boot, "
		"netns_ino, n, lost, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_CLOSED_SEEN] = "UPDATE sock SET closed_ns = ?1 WHERE boot = ?2 AND "
		"netns = ?3 AND cookie = ?4",
	[ST_CLOSED_FIRST] = "SELECT f.time_ns FROM sock s JOIN frame f ON "
		"f.id = s.first WHERE s.boot = ?1 AND s.netns = ?2 AND "
		"s.cookie = ?3",
	[ST_CLOSED_BEFORE] = "SELECT time_ns FROM frame WHERE time_ns <= ?1 AND "
		"netns_ino = ?2 ORDER BY time_ns DESC LIMIT 1",
	[ST_CLOSED_ADD] = "INSERT OR REPLACE INTO closed (closed_ns, boot, "
		"netns, cookie, batch, opened_ns, bytes_sent, bytes_received, "
		"seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_AT] = "SELECT " FRAME_COLS " FROM frame WHERE time_ns <= ?1 "
		"ORDER BY time_ns DESC, id DESC LIMIT 1",
	[ST_BY_ID] = "SELECT " FRAME_COLS " FROM frame WHERE id = ?1",
	[ST_CHAIN] = "SELECT id, codec, data, time_ns FROM frame WHERE key = ?1 AND "
		"id > ?2 AND id <= ?3 ORDER BY id",
	[ST_EACH] = "SELECT " FRAME_COLS " FROM frame WHERE id > ?1 "
		"ORDER BY id LIMIT " STR(EACH_BATCH),
	[ST_CHAIN_END] = "SELECT max(id) FROM frame WHERE key = ?1",
};

/* Record a printf-style message as the last error; see store_int.h. */
int store_fail(struct store *st, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	return code;
}

/* Map an SQLite result code to a negative errno with a one-line message. */
int store_fail_sqlite(struct store *st, int rc)
{
	const char *why = sqlite3_errmsg(st->db);

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return store_fail(st, -ENOSPC, "disk full, frame not written (%s)", why);
	case SQLITE_CORRUPT:
		return store_fail(st, -EBADMSG, "database is damaged (%s)", why);
	case SQLITE_NOTADB:
		return store_fail(st, -ENOTSUP, "not a sockhist database");
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return store_fail(st, -EBUSY, "database is locked (%s)", why);
	case SQLITE_READONLY:
		return store_fail(st, -EROFS, "database is read-only (%s)", why);
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_CANTOPEN:
		return store_fail(st, -EACCES, "cannot open (%s)", why);
	case SQLITE_NOMEM:
		return store_fail(st, -ENOMEM, "out of memory");
	default:
		return store_fail(st, -EIO, "database error (%s)", why);
	}
}

/* Run SQL text without results; returns 0 or a mapped error. */
int store_exec(struct store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail_sqlite(st, rc);
}

/* Prepare a cached statement on first use; see store_int.h. */
sqlite3_stmt *store_stmt(struct store *st, enum stmt_id id)
{
	if (!st->stmt[id]) {
		int rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			store_fail(st, rc == SQLITE_ERROR ? -EBADMSG : -EIO,
				   "database is damaged (%s)",
				   sqlite3_errmsg(st->db));
			return NULL;
		}
	}
	return st->stmt[id];
}

/* A one-row integer query with two parameters; see store_int.h. */
int store_query_int(struct store *st, const char *sql, int64_t a, int64_t b,
		   int64_t def, int64_t *out)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);

	if (rc != SQLITE_OK)
		return store_fail_sqlite(st, rc);
	sqlite3_bind_int64(q, 1, a);
	sqlite3_bind_int64(q, 2, b);
	rc = sqlite3_step(q);
	*out = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL ?
		sqlite3_column_int64(q, 0) : def;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
		store_fail_sqlite(st, rc);
}

/* Step a cached statement expected to finish without rows, then reset it. */
int store_step_done(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *q = store_stmt(st, id);
	if (!q)
		return -EBADMSG;
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_fail_sqlite(st, rc);
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
		return store_fail_sqlite(st, rc);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		k->app_id = sqlite3_column_int64(q, 0);
		k->version = sqlite3_column_int64(q, 1);
		k->tables = sqlite3_column_int64(q, 2);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : store_fail_sqlite(st, rc);
}

/* Refuse a file that is not ours or not readable by this build. */
static int check_kind(struct store *st, const struct file_kind *k)
{
	if (k->app_id != STORE_APPLICATION_ID)
		return store_fail(st, -ENOTSUP, "not a sockhist database");
	if (k->version > STORE_FORMAT_VERSION)
		return store_fail(st, -EPROTONOSUPPORT,
			    "written by a newer sockhist (format %lld, this "
			    "build reads up to %d)", (long long)k->version,
			    STORE_FORMAT_VERSION);
	if (k->version < 1)
		return store_fail(st, -EBADMSG,
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
		return store_fail_sqlite(st, rc);
	sqlite3_bind_text(q, 1, t1, -1, SQLITE_TRANSIENT);
	if (t2)
		sqlite3_bind_text(q, 2, t2, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(q, 2, i2);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : store_fail_sqlite(st, rc);
}

/* Create the version-1 schema and the meta rows; runs inside the writer's
 * first transaction on an empty file.  Opening then migrates it like any
 * version-1 file, so every migration runs on every new file. */
static int create_schema(struct store *st)
{
	char sql[128], host[256] = "", boot_id[64], now[32];
	int r = store_exec(st, sql_schema);

	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; "
		 "PRAGMA user_version = 1", STORE_APPLICATION_ID);
	if (r == 0)
		r = store_exec(st, sql);
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
		 "PRAGMA auto_vacuum = INCREMENTAL", STORE_PAGE_SIZE);
	int r = store_exec(st, sql);
	if (r == 0)
		r = store_exec(st, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = read_kind(st, &k);
	if (r == 0 && k.app_id == 0 && k.tables == 0)
		r = create_schema(st);
	if (r == 0)
		return store_exec(st, "COMMIT");
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
	int r = store_exec(st, sql);
	read_boot_id(boot_id, sizeof(boot_id));
	if (r == 0)
		r = store_exec(st, "BEGIN IMMEDIATE");
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
		r = store_fail_sqlite(st, sqlite3_errcode(st->db));
	if (r == 0)
		return store_exec(st, "COMMIT");
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Prepare the readers' statements now: proves the schema is there. */
static int prepare_readers(struct store *st)
{
	for (int i = ST_WRITER_END; i < ST_COUNT; i++)
		if (!store_stmt(st, (enum stmt_id)i))
			return -EBADMSG;
	return 0;
}

/* Bring a file of format `from` to the current format in one transaction:
 * every migration after it, in order. */
static int migrate_in_place(struct store *st, int64_t from)
{
	int r = store_exec(st, "BEGIN IMMEDIATE");

	if (r < 0)
		return r;
	if (from < 2)
		r = store_exec(st, sql_migrate_2);
	if (r == 0 && from < 2)
		r = store_migrate_v1(st);
	if (r == 0 && from < 3)
		r = store_exec(st, sql_migrate_3);
	if (r == 0 && from < 4)
		r = store_exec(st, sql_migrate_4);
	if (r == 0) {
		st->version = STORE_FORMAT_VERSION;
		return store_exec(st, "COMMIT");
	}
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* A reader cannot migrate a format-1 file: copy it into memory and migrate
 * the copy (format 1 files are small: they come from development builds). */
static int migrate_copy(struct store *st)
{
	sqlite3 *mem;
	int rc = sqlite3_open(":memory:", &mem);

	if (rc != SQLITE_OK) {
		sqlite3_close(mem);
		return store_fail(st, -ENOMEM, "out of memory");
	}
	sqlite3_backup *b = sqlite3_backup_init(mem, "main", st->db, "main");
	rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(mem);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		sqlite3_close(mem);
		return store_fail_sqlite(st, rc);
	}
	sqlite3_close(st->db);
	st->db = mem;
	sqlite3_extended_result_codes(st->db, 1);
	return migrate_in_place(st, 1);
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
		return errno == ENOENT ? store_fail(st, -ENOENT, "no such file") :
			store_fail(st, -errno, "%s", strerror(errno));
	if (immutable) {
		uri = immutable_uri(path);
		if (!uri)
			return store_fail(st, -ENOMEM, "out of memory");
		flags |= SQLITE_OPEN_URI;
	}
	int rc = sqlite3_open_v2(uri ? uri : path, &st->db, flags, NULL);
	sqlite3_free(uri);
	if (rc != SQLITE_OK)
		return st->db ? store_fail_sqlite(st, rc) :
			store_fail(st, -ENOMEM, "out of memory");
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
		st->version = k.version;
	/* A reader reads a format-2 file as it is: format 3 only adds the
	 * kernel counters, which its frames do not have. */
	if (r == 0 && st->mode == STORE_WRITE && k.version < STORE_FORMAT_VERSION)
		r = migrate_in_place(st, k.version);
	else if (r == 0 && k.version == 1)
		r = migrate_copy(st);
	if (r == 0)
		r = prepare_readers(st);
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
	store_ns_free_all(st);
	for (int i = 0; i < STORE_DECODERS; i++)
		if (st->dec[i].ready)
			chain_free(&st->dec[i].c);
	free(st->str_ids);
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
		 (unsigned long long)(bytes / STORE_PAGE_SIZE));
	return store_exec(st, sql);
}

/* Fill a frame_info from a row of FRAME_COLS. */
static void row_info(sqlite3_stmt *q, struct frame_info *fi)
{
	fi->id = sqlite3_column_int64(q, 0);
	fi->time_ns = sqlite3_column_int64(q, 1);
	fi->netns_ino = (uint64_t)sqlite3_column_int64(q, 2);
	fi->codec = (uint32_t)sqlite3_column_int64(q, 3);
	fi->total = (uint32_t)sqlite3_column_int64(q, 4);
	for (int i = 0; i < NETID_FRAME_COLS; i++)
		fi->counts[i] = (uint32_t)sqlite3_column_int64(q, 5 + i);
	fi->blob_bytes = (size_t)sqlite3_column_int64(q, 11);
	fi->key = sqlite3_column_int64(q, 12);
	fi->took_us = (uint32_t)sqlite3_column_int64(q, 13);
	fi->boot = sqlite3_column_int64(q, 14);
}

/* Run a cached one-row query bound to v; fills *fi.  -ENOENT if no row. */
static int query_one(struct store *st, enum stmt_id id, int64_t v,
		     struct frame_info *fi)
{
	sqlite3_stmt *q = store_stmt(st, id);

	sqlite3_bind_int64(q, 1, v);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		row_info(q, fi);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return store_fail(st, -ENOENT, "no such frame");
	return store_fail_sqlite(st, rc);
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
	sqlite3_stmt *q = store_stmt(st, ST_EACH);
	int n = 0, rc;

	sqlite3_bind_int64(q, 1, after);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		row_info(q, &fi[n++]);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? n : store_fail_sqlite(st, rc);
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
		return store_fail(st, -ENOMEM, "out of memory");
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

/* Say which frames a damaged frame makes unreadable: from it to the end
 * of its chain.  Returns -EBADMSG. */
static int chain_damaged(struct store *st, int64_t key, int64_t bad)
{
	sqlite3_stmt *q = store_stmt(st, ST_CHAIN_END);
	int64_t end = bad;

	sqlite3_bind_int64(q, 1, key);
	if (sqlite3_step(q) == SQLITE_ROW)
		end = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return store_fail(st, -EBADMSG, "frame %lld is damaged: frames %lld to "
			  "%lld cannot be read", (long long)bad,
			  (long long)bad, (long long)end);
}

/* Apply a frame of no bytes, which the writer stores for an empty
 * snapshot after an empty one: the chain stays empty, at time time_ns.
 * -EBADMSG when the chain is not at an empty frame. */
static int still_empty(struct chain *c, int64_t time_ns)
{
	if (c->frames == 0 || c->st.nrecs != 0) {
		chain_reset(c);
		return -EBADMSG;
	}
	c->frames++;
	c->st.time_ns = time_ns;
	return 0;
}

/* Apply the frames of chain `key` after d->at up to frame `id`. */
static int replay(struct store *st, struct decoder *d, int64_t key, int64_t id)
{
	sqlite3_stmt *q = store_stmt(st, ST_CHAIN);
	int rc, r = 0;
	int64_t fid = 0;

	sqlite3_bind_int64(q, 1, key);
	sqlite3_bind_int64(q, 2, d->at);
	sqlite3_bind_int64(q, 3, id);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		fid = sqlite3_column_int64(q, 0);
		const void *data = sqlite3_column_blob(q, 2);
		size_t len = (size_t)sqlite3_column_bytes(q, 2);
		if (sqlite3_column_int(q, 1) != CODEC_CHAIN_V2)
			r = -EBADMSG;
		else if (len == 0)
			r = still_empty(&d->c, sqlite3_column_int64(q, 3));
		else
			r = chain_apply(&d->c, data, len);
		if (r == 0)
			d->at = fid;
	}
	sqlite3_reset(q);
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail_sqlite(st, rc);
	else if (r == 0 && d->at != id)
		r = chain_damaged(st, key, d->at + 1);
	else if (r == -EBADMSG)
		r = chain_damaged(st, key, fid);
	else if (r < 0)
		r = store_fail(st, r, "cannot read frame %lld: %s",
			       (long long)fid, strerror(-r));
	if (r < 0)
		d->key = 0;
	return r;
}

/* Decode a standalone version-1 frame. */
static int load_v1(struct store *st, int64_t id, struct snapshot *s)
{
	sqlite3_stmt *q = store_stmt(st, ST_CHAIN);
	int r;

	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, id - 1);
	sqlite3_bind_int64(q, 3, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(q, 2);
		r = codec_decode(sqlite3_column_int(q, 1), data ? data : "",
				 (size_t)sqlite3_column_bytes(q, 2), s);
		if (r < 0)
			store_fail(st, r, "frame %lld is damaged (%s)",
				   (long long)id, strerror(-r));
	} else {
		r = rc == SQLITE_DONE ? store_fail(st, -ENOENT, "no such frame") :
			store_fail_sqlite(st, rc);
	}
	sqlite3_reset(q);
	return r;
}

/* The decoder to reach frame fi with: one already on its chain at or
 * before it, else the least recently used one, reset (initialised on
 * first use).  NULL when memory ran out. */
static struct decoder *pick_decoder(struct store *st,
				    const struct frame_info *fi)
{
	struct decoder *d = NULL, *lru = &st->dec[0];

	for (int i = 0; i < STORE_DECODERS && !d; i++) {
		if (st->dec[i].key == fi->key && st->dec[i].at <= fi->id)
			d = &st->dec[i];
		else if (st->dec[i].used < lru->used)
			lru = &st->dec[i];
	}
	if (!d) {
		d = lru;
		if (!d->ready && chain_init(&d->c) < 0)
			return NULL;
		d->ready = 1;
		chain_reset(&d->c);
		d->c.skip_blobs = st->skip_blobs;
		d->key = fi->key;
		d->at = fi->key - 1;
	}
	d->used = ++st->dec_clock;
	return d;
}

/* Bring a decoder to frame fi, continuing the replay of its chain when
 * one has it; *out is that decoder.  -EBADMSG when it is damaged (st->msg
 * names the lost frames). */
static int reach_frame(struct store *st, const struct frame_info *fi,
		       struct decoder **out)
{
	struct decoder *d = pick_decoder(st, fi);

	if (!d)
		return store_fail(st, -ENOMEM, "out of memory");
	*out = d;
	return replay(st, d, fi->key, fi->id);
}

/* Decode frame id into s; see store.h. */
int store_load(struct store *st, int64_t id, struct snapshot *s)
{
	return store_load_matching(st, id, s, NULL, NULL);
}

/* Decode frame id, only the records keep() accepts; see store.h. */
int store_load_matching(struct store *st, int64_t id, struct snapshot *s,
			sock_keep_fn keep, void *arg)
{
	struct frame_info fi;
	int r = store_frame_by_id(st, id, &fi);

	if (r < 0)
		return r;
	if (fi.codec == CODEC_COLUMNAR_V1)
		return load_v1(st, id, s);
	if (fi.codec != CODEC_CHAIN_V2)
		return store_fail(st, -EPROTONOSUPPORT, "frame %lld uses codec "
				  "%u, this build reads up to %d",
				  (long long)id, fi.codec, CODEC_CHAIN_V2);
	struct decoder *d;
	r = reach_frame(st, &fi, &d);
	if (r == 0 && chain_materialize(&d->c, s, keep, arg) < 0)
		r = store_fail(st, -ENOMEM, "out of memory");
	return r;
}

/* The kernel's counters recorded with frame id; see store.h. */
int store_frame_kstat(struct store *st, int64_t id, struct kstat *out)
{
	sqlite3_stmt *q;
	int rc;

	memset(out, 0, sizeof(*out));
	if (st->version < 3)
		return store_fail(st, -ENOENT, "format %lld records no kernel "
				  "counters", (long long)st->version);
	/* From format 4 a frame whose counters did not change since the
	 * frame before it in its chain has no row of its own. */
	rc = sqlite3_prepare_v2(st->db, st->version < 4 ?
				"SELECT * FROM sockstat WHERE frame = ?1" :
				"SELECT * FROM sockstat WHERE frame = (SELECT "
				"max(s.frame) FROM sockstat s JOIN frame f ON "
				"f.id = s.frame WHERE f.key = (SELECT key FROM "
				"frame WHERE id = ?1) AND s.frame <= ?1)",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sqlite(st, rc);
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	for (int i = 0; rc == SQLITE_ROW && i < KS_COUNT; i++)
		if (sqlite3_column_type(q, 1 + i) != SQLITE_NULL)
			kstat_set(out, (enum kstat_id)i,
				  sqlite3_column_int64(q, 1 + i));
	sqlite3_finalize(q);
	if (rc == SQLITE_ROW && out->present)
		return 0;
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return store_fail(st, -ENOENT, "no kernel counters were "
				  "recorded with frame %lld", (long long)id);
	return store_fail_sqlite(st, rc);
}

/* The first frame id at or after `since` and the last at or before
 * `until` (ids follow time within a recorder's run). */
static int scan_bounds(struct store *st, int64_t since, int64_t until,
		       int64_t *lo, int64_t *hi)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, "SELECT (SELECT min(id) FROM frame "
		"WHERE time_ns >= ?1), (SELECT max(id) FROM frame WHERE "
		"time_ns <= ?2)", -1, &q, NULL);

	if (rc != SQLITE_OK)
		return store_fail_sqlite(st, rc);
	sqlite3_bind_int64(q, 1, since);
	sqlite3_bind_int64(q, 2, until);
	rc = sqlite3_step(q);
	*lo = sqlite3_column_type(q, 0) == SQLITE_NULL ? 1 :
		sqlite3_column_int64(q, 0);
	*hi = sqlite3_column_type(q, 1) == SQLITE_NULL ? 0 :
		sqlite3_column_int64(q, 1);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : store_fail_sqlite(st, rc);
}

/* One frame of a scan: decode it and call the callback. */
static int scan_frame(struct store *st, const struct frame_info *fi,
		      struct snapshot *v1, const struct scan_ops *ops,
		      void *arg)
{
	int r;

	if (fi->codec == CODEC_COLUMNAR_V1) {
		r = load_v1(st, fi->id, v1);
		return r < 0 ? r : ops->frame(fi, v1, NULL, arg);
	}
	struct decoder *d;
	r = reach_frame(st, fi, &d);
	return r < 0 ? r : ops->frame(fi, &d->c.st, &d->c, arg);
}

/* Skip raw attribute words in loads; see store.h. */
void store_set_skip_blobs(struct store *st, int skip)
{
	if (st->skip_blobs == skip)
		return;
	st->skip_blobs = skip;
	for (int i = 0; i < STORE_DECODERS; i++)
		st->dec[i].key = 0;
}

/* Visit the frames of a time range; see store.h. */
int store_scan(struct store *st, int64_t since_ns, int64_t until_ns,
	       const struct scan_ops *ops, void *arg)
{
	struct frame_info *fi = malloc(EACH_BATCH * sizeof(*fi));
	struct snapshot v1 = { 0 };
	int64_t lo = 1, hi = 0, lost_key = 0;
	int n = 0, r = fi && snapshot_init(&v1) == 0 ? 0 :
		store_fail(st, -ENOMEM, "out of memory");

	if (r == 0)
		r = scan_bounds(st, since_ns, until_ns, &lo, &hi);
	store_set_skip_blobs(st, ops->skip_blobs);
	for (int64_t after = lo - 1; r == 0 && after < hi; ) {
		n = each_batch(st, after, fi);
		if (n <= 0) {
			r = n;
			break;
		}
		for (int i = 0; r == 0 && i < n && fi[i].id <= hi; i++) {
			if (fi[i].time_ns < since_ns || fi[i].time_ns > until_ns ||
			    (lost_key && fi[i].key == lost_key) ||
			    (ops->want && !ops->want(&fi[i], arg)))
				continue;
			r = scan_frame(st, &fi[i], &v1, ops, arg);
			if (r == -EBADMSG) {
				ops->damaged(st->msg, arg);
				lost_key = fi[i].key;
				r = 0;
			}
		}
		after = fi[n - 1].id;
	}
	free(fi);
	snapshot_free(&v1);
	return r;
}
