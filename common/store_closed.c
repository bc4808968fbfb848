/*
 * store_closed.c — the writer's side of closed connections (sock_diag
 * destroy events): one transaction per batch (the events of one namespace
 * taken at one tick).
 *
 * The batch's sockets are sorted by cookie and encoded with frame codec 1
 * as a standalone snapshot (closed_batch.data), so every field the kernel
 * sent, the final tcp_info included, is kept and reads back as a snapshot
 * does.  Each socket also gets a `closed` row, the range index: its close
 * time, its batch, its byte counters, and whether a snapshot saw it (then
 * its `sock` row gets the exact close time and opened_ns is the time of the
 * first frame that showed it); for a socket no snapshot saw, opened_ns is
 * the namespace's last frame before the close: it opened after that.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "store_int.h"
#include "tcpinfo.h"

/* The batch being written. */
struct closed_tx {
	struct store *st;
	int64_t batch, netns_id;
};

/* Encode ev's records sorted by cookie as a codec-1 blob. */
static int encode_sorted(const struct snapshot *ev, uint8_t **blob,
			 size_t *len)
{
	struct snapshot tmp = *ev;
	int r;

	tmp.recs = malloc((ev->nrecs ? ev->nrecs : 1) * sizeof(*tmp.recs));
	if (!tmp.recs)
		return -ENOMEM;
	memcpy(tmp.recs, ev->recs, ev->nrecs * sizeof(*tmp.recs));
	snapshot_sort_dedupe(&tmp);   /* a socket is freed once: no dupes */
	r = codec_encode(&tmp, CODEC_DEFAULT_LEVEL, blob, len);
	free(tmp.recs);
	return r;
}

/* Step the bound statement q once, returning its first column in *out
 * when it gives a row (*found = 1); resets q.  Returns 0 or a negative
 * code. */
static int step_int(struct store *st, sqlite3_stmt *q, int64_t *out,
		    int *found)
{
	int rc = sqlite3_step(q);

	*found = rc == SQLITE_ROW;
	if (*found)
		*out = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
		store_fail_sqlite(st, rc);
}

/* Bind a tcp_info counter of r, or NULL when the kernel did not send it. */
static void bind_tcpi(sqlite3_stmt *q, int col, const struct snapshot *ev,
		      const struct sock_record *r, enum tcpinfo_field f)
{
	uint64_t v;

	if (r->tcpi_len && tcpinfo_get(ev->bytes + r->tcpi_off, r->tcpi_len,
				       f, &v))
		sqlite3_bind_int64(q, col, (int64_t)v);
	else
		sqlite3_bind_null(q, col);
}

/* The closed row of record r, closed at t; links it to its lifetime. */
static int index_event(struct closed_tx *x, const struct snapshot *ev,
		       const struct sock_record *r, int64_t t)
{
	struct store *st = x->st;
	sqlite3_stmt *seen_q = store_stmt(st, ST_CLOSED_SEEN);
	sqlite3_stmt *first = store_stmt(st, ST_CLOSED_FIRST);
	sqlite3_stmt *before = store_stmt(st, ST_CLOSED_BEFORE);
	sqlite3_stmt *q = store_stmt(st, ST_CLOSED_ADD);
	int64_t opened = 0, cookie = (int64_t)r->cookie;
	int found = 0, seen, rc;

	if (!seen_q || !first || !before || !q)
		return -EBADMSG;
	sqlite3_bind_int64(seen_q, 1, t);
	sqlite3_bind_int64(seen_q, 2, st->boot);
	sqlite3_bind_int64(seen_q, 3, x->netns_id);
	sqlite3_bind_int64(seen_q, 4, cookie);
	rc = sqlite3_step(seen_q);
	sqlite3_reset(seen_q);
	if (rc != SQLITE_DONE)
		return store_fail_sqlite(st, rc);
	seen = sqlite3_changes(st->db) > 0;
	if (seen) {
		sqlite3_bind_int64(first, 1, st->boot);
		sqlite3_bind_int64(first, 2, x->netns_id);
		sqlite3_bind_int64(first, 3, cookie);
		rc = step_int(st, first, &opened, &found);
	} else {
		sqlite3_bind_int64(before, 1, t);
		sqlite3_bind_int64(before, 2, (int64_t)ev->netns_ino);
		rc = step_int(st, before, &opened, &found);
	}
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(q, 1, t);
	sqlite3_bind_int64(q, 2, st->boot);
	sqlite3_bind_int64(q, 3, x->netns_id);
	sqlite3_bind_int64(q, 4, cookie);
	sqlite3_bind_int64(q, 5, x->batch);
	if (found)
		sqlite3_bind_int64(q, 6, opened);
	else
		sqlite3_bind_null(q, 6);
	bind_tcpi(q, 7, ev, r, TI_BYTES_SENT);
	bind_tcpi(q, 8, ev, r, TI_BYTES_RECEIVED);
	sqlite3_bind_int(q, 9, seen);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : store_fail_sqlite(st, rc);
}

/* Insert the batch row; sets x->batch. */
static int insert_batch(struct closed_tx *x, const struct snapshot *ev,
			int64_t since_ns, uint64_t lost)
{
	struct store *st = x->st;
	uint8_t *blob = NULL;
	size_t len = 0;
	sqlite3_stmt *q;
	int r = ev->nrecs ? encode_sorted(ev, &blob, &len) : 0;

	if (r < 0)
		return store_fail(st, r, "cannot encode close events: %s",
				  strerror(-r));
	int rc;

	q = store_stmt(st, ST_CLOSED_BATCH);
	if (!q) {
		free(blob);
		return -EBADMSG;
	}
	sqlite3_bind_int64(q, 1, ev->time_ns);
	sqlite3_bind_int64(q, 2, since_ns);
	sqlite3_bind_int64(q, 3, st->boot);
	sqlite3_bind_int64(q, 4, (int64_t)ev->netns_ino);
	sqlite3_bind_int64(q, 5, (int64_t)ev->nrecs);
	sqlite3_bind_int64(q, 6, (int64_t)lost);
	if (blob)
		sqlite3_bind_blob64(q, 7, blob, len, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 7);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);     /* the blob is freed next */
	free(blob);
	if (rc != SQLITE_DONE)
		return store_fail_sqlite(st, rc);
	x->batch = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Everything a batch writes, inside the open transaction. */
static int append_closed_tx(struct closed_tx *x, const struct snapshot *ev,
			    const int64_t *closed_ns, int64_t since_ns,
			    uint64_t lost)
{
	int r = store_netns_id(x->st, ev->netns_ino, &x->netns_id);

	if (r == 0)
		r = insert_batch(x, ev, since_ns, lost);
	for (size_t i = 0; r == 0 && i < ev->nrecs; i++)
		r = index_event(x, ev, &ev->recs[i], closed_ns[i]);
	return r;
}

/* Append a batch of close events; see store.h. */
int64_t store_append_closed(struct store *st, const struct snapshot *ev,
			    const int64_t *closed_ns, int64_t since_ns,
			    uint64_t lost)
{
	struct closed_tx x = { .st = st };
	int r;

	if (st->mode != STORE_WRITE)
		return store_fail(st, -EBADF, "database is open read-only");
	if (ev->nrecs == 0 && lost == 0)
		return 0;
	r = store_step_done(st, ST_BEGIN);
	if (r == 0)
		r = append_closed_tx(&x, ev, closed_ns, since_ns, lost);
	if (r == 0)
		r = store_step_done(st, ST_COMMIT);
	if (r < 0) {
		if (!sqlite3_get_autocommit(st->db))
			store_step_done(st, ST_ROLLBACK);
		return r;
	}
	return x.batch;
}
