/*
 * store_append.c — the writer: one transaction per snapshot holding the
 * frame (a keyframe or a delta of the current chain), the kernel's
 * counters read with it, its index rows (store_index.c) and the
 * housekeeping retention asks for; and the migration of version-1 frames,
 * which indexes them the same way.
 *
 * Each network namespace has its own writer state (a small table keyed by
 * namespace inode): its current chain and its lifetime index state, so
 * the frames of several namespaces interleave in the file as chains of
 * their own, each within the chain limits.
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

/* The writer state of namespace ino; see store_int.h. */
struct ns_writer *store_ns_writer(struct store *st, uint64_t ino)
{
	struct ns_writer *w;

	for (size_t i = 0; i < st->nns; i++)
		if (st->ns[i].ino == ino)
			return &st->ns[i];
	if (st->nns == st->ns_cap) {
		size_t cap = st->ns_cap ? 2 * st->ns_cap : 8;
		w = realloc(st->ns, cap * sizeof(*w));
		if (!w) {
			store_fail(st, -ENOMEM, "out of memory");
			return NULL;
		}
		st->ns = w;
		st->ns_cap = cap;
	}
	w = &st->ns[st->nns];
	memset(w, 0, sizeof(*w));
	if (chain_init(&w->enc) < 0) {
		store_fail(st, -ENOMEM, "out of memory");
		return NULL;
	}
	w->ino = ino;
	st->nns++;
	return w;
}

/* Free one namespace's writer state. */
static void ns_writer_free(struct ns_writer *w)
{
	chain_free(&w->enc);
	index_free(&w->lt);
}

/* Free every namespace's writer state; see store_int.h. */
void store_ns_free_all(struct store *st)
{
	for (size_t i = 0; i < st->nns; i++)
		ns_writer_free(&st->ns[i]);
	free(st->ns);
	st->ns = NULL;
	st->nns = st->ns_cap = 0;
	st->cur = NULL;
}

/* Drop the writer state of a namespace that is gone; see store.h. */
void store_forget_netns(struct store *st, uint64_t ino)
{
	for (size_t i = 0; i < st->nns; i++) {
		if (st->ns[i].ino != ino)
			continue;
		ns_writer_free(&st->ns[i]);
		st->ns[i] = st->ns[--st->nns];
		return;
	}
}

/* Record who a namespace is; see store.h. */
int store_set_netns_info(struct store *st, uint64_t ino, const char *name,
			 int64_t pid, const char *comm)
{
	sqlite3_stmt *q;
	int64_t id;
	int r = store_netns_id(st, ino, &id);
	int rc;

	if (r < 0)
		return r;
	rc = sqlite3_prepare_v2(st->db, "UPDATE netns SET name = ?2, pid = ?3, "
				"comm = ?4 WHERE id = ?1", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sqlite(st, rc);
	sqlite3_bind_int64(q, 1, id);
	if (name && *name)
		sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	if (pid > 0)
		sqlite3_bind_int64(q, 3, pid);
	if (pid > 0 && comm)
		sqlite3_bind_text(q, 4, comm, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : store_fail_sqlite(st, rc);
}

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
	for (int i = 0; i < NETID_FRAME_COLS; i++)
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

/* Are two sets of counters the same (present ones and their values)? */
static int kstat_same(const struct kstat *a, const struct kstat *b)
{
	if (a->present != b->present)
		return 0;
	for (int i = 0; i < KS_COUNT; i++)
		if ((a->present & (1u << i)) && a->v[i] != b->v[i])
			return 0;
	return 1;
}

/* Insert the row of the kernel's counters of frame id (an absent counter
 * is NULL): in a keyframe when s has them, in a delta only when they
 * differ from the chain's last row (a row of NULLs when they could no
 * longer be read); a frame without a row has its chain's last row. */
static int insert_kstat(struct store *st, int64_t id, const struct snapshot *s,
			int key)
{
	struct ns_writer *w = st->cur;
	sqlite3_stmt *q;

	if (!key && kstat_same(&s->kstat, &w->kstat))
		return 0;
	w->kstat = s->kstat;
	if (!s->kstat.present && key)
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

/* After chains were dropped: a namespace whose current chain went with
 * them (it wrote nothing for --retain) starts a new chain. */
static int restart_dropped(struct store *st)
{
	int64_t left;
	int r = 0;

	for (size_t i = 0; r == 0 && i < st->nns; i++) {
		struct ns_writer *w = &st->ns[i];
		if (!w->key_id)
			continue;
		r = store_query_int(st, "SELECT count(*) FROM frame WHERE "
				    "id = ?1", w->key_id, 0, 0, &left);
		if (r == 0 && !left) {
			chain_reset(&w->enc);
			w->key_id = 0;
		}
	}
	return r;
}

/* Is key the keyframe of a chain some namespace is still writing? */
static int current_chain(const struct store *st, int64_t key)
{
	for (size_t i = 0; i < st->nns; i++)
		if (st->ns[i].key_id == key)
			return 1;
	return 0;
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
	return r == 0 ? restart_dropped(st) : r;
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

/* Drop the oldest chains (never one a namespace is writing) until the
 * pages in use fit under --max-size. */
static int enforce_size(struct store *st)
{
	int64_t used, oldest, after = 0;
	int r = used_bytes(st, &used);

	while (r == 0 && (uint64_t)used > st->lim.max_bytes) {
		r = store_query_int(st, "SELECT min(key) FROM frame WHERE "
				    "key > ?1", after, 0, 0, &oldest);
		if (r < 0 || oldest == 0)
			break;
		if (current_chain(st, oldest)) {
			after = oldest;
			continue;
		}
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
	struct ns_writer *w = st->cur;
	uint8_t *blob;
	size_t len;
	int key, was_empty = w->enc.frames > 0 && w->enc.st.nrecs == 0;
	int r = chain_encode(&w->enc, s, CODEC_DEFAULT_LEVEL, &blob, &len, &key);

	if (r < 0)
		return store_fail(st, r, "cannot encode snapshot: %s",
				  strerror(-r));
	/* An empty frame after an empty frame (an idle namespace) is stored
	 * as no bytes at all: "still empty". */
	if (!key && was_empty && s->nrecs == 0)
		len = 0;
	int64_t id = insert_frame(st, s, CODEC_CHAIN_V2, key ? 0 : w->key_id,
				  blob, len, s->capture_ns + time_mono_ns() - t0);
	free(blob);
	if (id > 0)
		r = insert_kstat(st, id, s, key);
	if (id > 0 && r == 0 && key) {
		sqlite3_stmt *q = store_stmt(st, ST_SET_KEY);
		sqlite3_bind_int64(q, 1, id);
		r = store_step_done(st, ST_SET_KEY);
		if (r == 0)
			w->key_id = id;
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
	if (!(st->cur = store_ns_writer(st, s->netns_ino)))
		return -ENOMEM;
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
		/* The frame is not in the file: the namespace's next one
		 * starts afresh (chains dropped by the rolled-back retention
		 * are back, so the others go on). */
		chain_reset(&st->cur->enc);
		st->cur->key_id = 0;
		index_forget(&st->cur->lt);
	}
	st->cur = NULL;
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
				 (size_t)sqlite3_column_bytes(q, 2), &s) == 0) {
			st->cur = store_ns_writer(st, s.netns_ino);
			r = st->cur ? index_frame(st, id, &s) : -ENOMEM;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail_sqlite(st, rc);
	sqlite3_finalize(q);
	st->boot = boot;
	store_ns_free_all(st);
	snapshot_free(&s);
	return r;
}
