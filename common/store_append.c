/*
 * store_append.c — the writer: one transaction per snapshot holding the
 * frame (a keyframe or a delta of the current chain), the kernel's
 * counters read with it, its index rows (store_index.c) and the
 * housekeeping retention asks for; and the migration of version-1 frames,
 * which indexes them the same way.
 *
 * Retention works in whole chains, so every kept frame stays readable:
 * --retain drops the chains whose newest frame is older than the limit (and
 * rollups older than --keep-rollups) each time a new chain starts;
 * --max-size drops the oldest chains after each append until the pages in
 * use fit.  Freed pages go to SQLite's freelist (auto_vacuum=INCREMENTAL)
 * and are reused by the next frames, so the file stops growing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "store_int.h"
#include "timeexpr.h"

/* Set the writer's retention; see store.h. */
void store_set_limits(struct store *st, const struct store_limits *lim)
{
	st->lim = *lim;
}

/* Insert the frame row; returns its id or a negative code. */
static int64_t insert_frame(struct store *st, const struct snapshot *s,
			    int codec, int64_t key, const uint8_t *blob,
			    size_t len, int64_t took_ns)
{
	sqlite3_stmt *q = store_stmt(st, ST_INSERT);
	uint32_t counts[NETID_COUNT];

	if (!q)
		return -EBADMSG;
	snapshot_count(s, counts);
	sqlite3_bind_int64(q, 1, s->time_ns);
	sqlite3_bind_int64(q, 2, st->boot);
	sqlite3_bind_int64(q, 3, (int64_t)s->netns_ino);
	sqlite3_bind_int(q, 4, codec);
	sqlite3_bind_int64(q, 5, key);
	sqlite3_bind_int64(q, 6, (int64_t)s->nrecs);
	for (int i = 0; i < NETID_COUNT; i++)
		sqlite3_bind_int64(q, 7 + i, counts[i]);
	sqlite3_bind_int64(q, 13, took_ns / 1000);
	sqlite3_bind_int64(q, 14, (int64_t)len);
	sqlite3_bind_blob64(q, 15, blob, len, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return store_fail_sqlite(st, rc);
	return sqlite3_last_insert_rowid(st->db);
}

/* Insert the row of the kernel's counters of frame id, if s has them;
 * an absent counter is NULL. */
static int insert_kstat(struct store *st, int64_t id, const struct snapshot *s)
{
	sqlite3_stmt *q;

	if (!s->kstat.present)
		return 0;
	if (!(q = store_stmt(st, ST_SOCKSTAT_ADD)))
		return -EBADMSG;
	sqlite3_bind_int64(q, 1, id);
	for (int i = 0; i < KS_COUNT; i++) {
		if (s->kstat.present & (1u << i))
			sqlite3_bind_int64(q, 2 + i, s->kstat.v[i]);
		else
			sqlite3_bind_null(q, 2 + i);
	}
	return store_step_done(st, ST_SOCKSTAT_ADD);
}

/* The tables with rows per frame (column `frame`), deleted with it. */
static const char *const per_frame_tables[] = { "frame_count", "sockstat" };

/* Delete the chains whose keyframe id is in the result of `keys_sql`
 * (binding ?1 = a), their rows in per_frame_tables, and the lifetimes
 * that ended before the oldest frame left. */
static int drop_chains(struct store *st, const char *keys_sql, int64_t a)
{
	char sql[512];
	int64_t ignored;
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(per_frame_tables) /
	     sizeof(per_frame_tables[0]); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE frame IN "
			 "(SELECT id FROM frame WHERE key IN (%s))",
			 per_frame_tables[i], keys_sql);
		r = store_query_int(st, sql, a, 0, 0, &ignored);
	}
	snprintf(sql, sizeof(sql), "DELETE FROM frame WHERE key IN (%s)",
		 keys_sql);
	if (r == 0)
		r = store_query_int(st, sql, a, 0, 0, &ignored);
	if (r == 0)
		r = store_query_int(st, "DELETE FROM sock WHERE last < "
				    "(SELECT min(id) FROM frame)", 0, 0, 0,
				    &ignored);
	/* Close events go with the frames of their time. */
	if (r == 0)
		r = store_query_int(st, "DELETE FROM closed WHERE closed_ns < "
				    "(SELECT min(time_ns) FROM frame)", 0, 0,
				    0, &ignored);
	if (r == 0)
		r = store_query_int(st, "DELETE FROM closed_batch WHERE "
				    "time_ns < (SELECT min(time_ns) FROM "
				    "frame)", 0, 0, 0, &ignored);
	return r;
}

/* A new chain starts: drop expired chains and rollups. */
static int expire(struct store *st, int64_t now)
{
	int64_t ignored;
	int r = 0;

	if (st->lim.retain_ns > 0)
		r = drop_chains(st, "SELECT key FROM frame GROUP BY key "
				"HAVING max(time_ns) < ?1",
				now - st->lim.retain_ns);
	if (r == 0 && st->lim.keep_rollups_ns > 0)
		r = store_query_int(st, "DELETE FROM rollup WHERE start_ns < ?1",
				    now - st->lim.keep_rollups_ns, 0, 0,
				    &ignored);
	return r;
}

/* Bytes of the pages in use (the file less its free pages). */
static int used_bytes(struct store *st, int64_t *used)
{
	int64_t pages, free_pages;
	int r = store_query_int(st, "SELECT * FROM pragma_page_count", 0, 0, 0,
				&pages);

	if (r == 0)
		r = store_query_int(st, "SELECT * FROM pragma_freelist_count",
				    0, 0, 0, &free_pages);
	*used = (pages - free_pages) * STORE_PAGE_SIZE;
	return r;
}

/* Drop the oldest chains (never the one being written) until the pages in
 * use fit under --max-size. */
static int enforce_size(struct store *st)
{
	int64_t used, oldest;
	int r = used_bytes(st, &used);

	while (r == 0 && (uint64_t)used > st->lim.max_bytes) {
		r = store_query_int(st, "SELECT min(key) FROM frame", 0, 0,
				    st->key_id, &oldest);
		if (r < 0 || oldest >= st->key_id)
			break;
		r = drop_chains(st, "SELECT ?1", oldest);
		if (r == 0)
			r = used_bytes(st, &used);
	}
	return r;
}

/* Everything a snapshot writes, inside the open transaction; returns the
 * frame id or a negative code. */
static int64_t append_in_tx(struct store *st, const struct snapshot *s,
			    int64_t t0)
{
	uint8_t *blob;
	size_t len;
	int key;
	int r = chain_encode(&st->enc, s, CODEC_DEFAULT_LEVEL, &blob, &len, &key);

	if (r < 0)
		return store_fail(st, r, "cannot encode snapshot: %s",
				  strerror(-r));
	int64_t id = insert_frame(st, s, CODEC_CHAIN_V2, key ? 0 : st->key_id,
				  blob, len, s->capture_ns + time_mono_ns() - t0);
	free(blob);
	if (id > 0)
		r = insert_kstat(st, id, s);
	if (id > 0 && r == 0 && key) {
		sqlite3_stmt *q = store_stmt(st, ST_SET_KEY);
		sqlite3_bind_int64(q, 1, id);
		r = store_step_done(st, ST_SET_KEY);
		if (r == 0)
			st->key_id = id;
		if (r == 0)
			r = expire(st, s->time_ns);
	}
	if (id > 0 && r == 0)
		r = index_frame(st, id, s);
	if (id > 0 && r == 0 && st->lim.max_bytes > 0)
		r = enforce_size(st);
	return r < 0 ? r : id;
}

/* Append s as a new frame; see store.h. */
int64_t store_append(struct store *st, const struct snapshot *s)
{
	int64_t t0 = time_mono_ns();

	if (st->mode != STORE_WRITE)
		return store_fail(st, -EBADF, "database is open read-only");
	int64_t id = store_step_done(st, ST_BEGIN);
	if (id == 0)
		id = append_in_tx(st, s, t0);
	if (id > 0) {
		int r = store_step_done(st, ST_COMMIT);
		if (r < 0)
			id = r;
	}
	if (id < 0) {
		if (!sqlite3_get_autocommit(st->db))
			store_step_done(st, ST_ROLLBACK);
		/* The frame is not in the file: the next one starts afresh. */
		chain_reset(&st->enc);
		index_forget(st);
	}
	return id;
}

/* Migration: index every version-1 frame (codec 1) in order. */
int store_migrate_v1(struct store *st)
{
	struct snapshot s;
	sqlite3_stmt *q;
	int r = snapshot_init(&s);

	if (r < 0)
		return store_fail(st, r, "out of memory");
	int rc = sqlite3_prepare_v2(st->db, "SELECT id, boot, data FROM frame "
				    "WHERE codec = 1 ORDER BY id", -1, &q, NULL);
	if (rc != SQLITE_OK)
		r = store_fail_sqlite(st, rc);
	int64_t boot = st->boot;
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		const void *data = sqlite3_column_blob(q, 2);
		st->boot = sqlite3_column_int64(q, 1);
		/* A damaged frame stays unindexed (and unreadable), like any
		 * damaged frame; the others are still worth having. */
		if (codec_decode(CODEC_COLUMNAR_V1, data ? data : "",
				 (size_t)sqlite3_column_bytes(q, 2), &s) == 0)
			r = index_frame(st, id, &s);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail_sqlite(st, rc);
	sqlite3_finalize(q);
	st->boot = boot;
	index_forget(st);
	snapshot_free(&s);
	return r;
}
