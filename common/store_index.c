/*
 * store_index.c — what a frame adds to the database besides itself, so
 * that counts over weeks and "who talked to X" need no decoding:
 *   frame_count  sockets per netid x state of this frame;
 *   sock         one row per socket lifetime: inserted when a cookie first
 *                appears, closed (last = the frame it was last seen in) when
 *                it is gone; found by comparing with the sockets open in the
 *                namespace's previous frame, which are kept in memory;
 *   rollup       per-minute and per-hour sums and peaks of the counts per
 *                state, per local port and per process, and of the queues.
 * Everything runs inside the writer's open transaction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "store_int.h"

#define ROLLUP_TOP 32              /* ports / processes kept per snapshot */
#define NSTATES 256

enum rollup_kind { RK_STATE = 0, RK_PORT = 1, RK_PROCESS = 2, RK_QUEUE = 3 };

/* ---- frame_count --------------------------------------------------------- */

/* Insert the non-zero netid x state counts of s for frame id. */
static int count_rows(struct store *st, int64_t id, const struct snapshot *s,
		      uint32_t (*counts)[NSTATES])
{
	sqlite3_stmt *q = store_stmt(st, ST_COUNT_ROW);
	int r = q ? 0 : -EBADMSG;

	for (size_t i = 0; i < s->nrecs; i++)
		counts[s->recs[i].netid % NETID_COUNT][s->recs[i].state]++;
	for (int n = 0; r == 0 && n < NETID_COUNT; n++) {
		for (int k = 0; r == 0 && k < NSTATES; k++) {
			if (!counts[n][k])
				continue;
			sqlite3_bind_int64(q, 1, id);
			sqlite3_bind_int(q, 2, n);
			sqlite3_bind_int(q, 3, k);
			sqlite3_bind_int64(q, 4, counts[n][k]);
			r = store_step_done(st, ST_COUNT_ROW);
		}
	}
	return r;
}

/* ---- interned strings ------------------------------------------------------ */

/* The str.id of string `off` of s's pool, adding it when new (cached per
 * frame in st->str_ids). */
static int str_id(struct store *st, const struct snapshot *s, uint32_t off,
		  int64_t *out)
{
	if (off == 0 || off >= s->strpool_len) {
		*out = 0;
		return 0;
	}
	if (st->str_ids[off]) {
		*out = st->str_ids[off];
		return 0;
	}
	sqlite3_stmt *add = store_stmt(st, ST_STR_ADD);
	sqlite3_stmt *get = store_stmt(st, ST_STR_ID);
	if (!add || !get)
		return -EBADMSG;
	sqlite3_bind_text(add, 1, s->strpool + off, -1, SQLITE_STATIC);
	int r = store_step_done(st, ST_STR_ADD);
	if (r < 0)
		return r;
	sqlite3_bind_text(get, 1, s->strpool + off, -1, SQLITE_STATIC);
	int rc = sqlite3_step(get);
	if (rc == SQLITE_ROW)
		*out = st->str_ids[off] = sqlite3_column_int64(get, 0);
	sqlite3_reset(get);
	return rc == SQLITE_ROW ? 0 : store_fail_sqlite(st, rc);
}

/* Size the per-frame string id cache for s's pool and clear it. */
static int str_cache_reset(struct store *st, const struct snapshot *s)
{
	if (s->strpool_len > st->str_ids_cap) {
		int64_t *p = realloc(st->str_ids, s->strpool_len * sizeof(*p));
		if (!p)
			return store_fail(st, -ENOMEM, "out of memory");
		st->str_ids = p;
		st->str_ids_cap = s->strpool_len;
	}
	memset(st->str_ids, 0, s->strpool_len * sizeof(*st->str_ids));
	return 0;
}

/* ---- socket lifetimes ------------------------------------------------------ */

/* Append a cookie to the open set. */
static int open_add(struct lifetimes *lt, uint64_t cookie)
{
	if (lt->nopen == lt->cap) {
		size_t cap = lt->cap ? lt->cap * 2 : 1024;
		uint64_t *p = realloc(lt->open, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		lt->open = p;
		lt->cap = cap;
	}
	lt->open[lt->nopen++] = cookie;
	return 0;
}

/* qsort comparator: cookies as the unsigned numbers they are. */
static int cmp_cookie(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The netns.id of namespace ino; see store_int.h. */
int store_netns_id(struct store *st, uint64_t ino, int64_t *id)
{
	sqlite3_stmt *add = store_stmt(st, ST_NETNS_ADD);
	sqlite3_stmt *get = store_stmt(st, ST_NETNS_ID);
	int rc;

	if (!add || !get)
		return -EBADMSG;
	sqlite3_bind_int64(add, 1, (int64_t)ino);
	rc = sqlite3_step(add);
	sqlite3_reset(add);
	if (rc != SQLITE_DONE)
		return store_fail_sqlite(st, rc);
	sqlite3_bind_int64(get, 1, (int64_t)ino);
	rc = sqlite3_step(get);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(get, 0);
	sqlite3_reset(get);
	return rc == SQLITE_ROW ? 0 : store_fail_sqlite(st, rc);
}

/* First frame of a namespace and boot in this session: its netns row, the
 * frame before this one, the lifetimes still open in the file; lifetimes of
 * earlier boots that were left open end at their boot's last frame. */
static int lt_load(struct store *st, int64_t id, const struct snapshot *s)
{
	struct lifetimes *lt = &st->cur->lt;
	sqlite3_stmt *q;
	int64_t ino = (int64_t)s->netns_ino, ignored;
	int r = store_netns_id(st, s->netns_ino, &lt->netns_id);

	if (r == 0)
		r = store_query_int(st, "SELECT max(id) FROM frame WHERE "
				    "id < ?1 AND netns_ino = ?2", id, ino,
				    id - 1, &lt->prev_frame);
	if (r == 0)
		r = store_query_int(st, "UPDATE sock SET last = (SELECT "
				    "max(f.id) FROM frame f WHERE f.boot = "
				    "sock.boot) WHERE boot != ?1 AND last IS NULL",
				    st->boot, 0, 0, &ignored);
	if (r < 0)
		return r;
	/* SQLite orders cookies as signed integers, so a raw socket's
	 * (1 << 63 | inode) would come first: sort them in C. */
	int rc = sqlite3_prepare_v2(st->db, "SELECT cookie FROM sock WHERE "
		"boot = ?1 AND netns = ?2 AND last IS NULL", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sqlite(st, rc);
	sqlite3_bind_int64(q, 1, st->boot);
	sqlite3_bind_int64(q, 2, lt->netns_id);
	lt->nopen = 0;
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
		if (open_add(lt, (uint64_t)sqlite3_column_int64(q, 0)) < 0)
			r = store_fail(st, -ENOMEM, "out of memory");
	sqlite3_finalize(q);
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail_sqlite(st, rc);
	if (r == 0 && lt->nopen)
		qsort(lt->open, lt->nopen, sizeof(*lt->open), cmp_cookie);
	lt->valid = r == 0;
	lt->boot = st->boot;
	return r;
}

/* Bind an address column: 4 or 16 bytes, NULL for unix sockets. */
static void bind_addr(sqlite3_stmt *q, int col, const struct sock_record *r,
		      const uint8_t *addr)
{
	if (r->family == AF_INET)
		sqlite3_bind_blob(q, col, addr, 4, SQLITE_TRANSIENT);
	else if (r->family == AF_INET6)
		sqlite3_bind_blob(q, col, addr, 16, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, col);
}

/* A socket seen for the first time, in frame id. */
static int sock_new(struct store *st, int64_t id, const struct snapshot *s,
		    const struct sock_record *r)
{
	sqlite3_stmt *q = store_stmt(st, ST_SOCK_NEW);
	int64_t comm = 0, path = 0;
	int e = q ? 0 : -EBADMSG;

	if (e == 0 && r->proc_count)
		e = str_id(st, s, s->procs[r->proc_first].comm, &comm);
	if (e == 0)
		e = str_id(st, s, r->name, &path);
	if (e < 0)
		return e;
	sqlite3_bind_int64(q, 1, st->boot);
	sqlite3_bind_int64(q, 2, st->cur->lt.netns_id);
	sqlite3_bind_int64(q, 3, (int64_t)r->cookie);
	sqlite3_bind_int(q, 4, r->netid);
	sqlite3_bind_int(q, 5, r->family);
	sqlite3_bind_int(q, 6, r->protocol);
	bind_addr(q, 7, r, r->src);
	sqlite3_bind_int(q, 8, r->sport);
	bind_addr(q, 9, r, r->dst);
	sqlite3_bind_int(q, 10, r->dport);
	sqlite3_bind_int64(q, 11, r->uid);
	if (r->proc_count) {
		sqlite3_bind_int64(q, 12, s->procs[r->proc_first].pid);
		sqlite3_bind_int64(q, 13, comm);
	} else {
		sqlite3_bind_null(q, 12);
		sqlite3_bind_null(q, 13);
	}
	if (path)
		sqlite3_bind_int64(q, 14, path);
	else
		sqlite3_bind_null(q, 14);
	sqlite3_bind_int64(q, 15, id);
	return store_step_done(st, ST_SOCK_NEW);
}

/* A socket open in the previous frame and gone from this one. */
static int sock_gone(struct store *st, uint64_t cookie)
{
	sqlite3_stmt *q = store_stmt(st, ST_SOCK_GONE);

	if (!q)
		return -EBADMSG;
	sqlite3_bind_int64(q, 1, st->boot);
	sqlite3_bind_int64(q, 2, st->cur->lt.netns_id);
	sqlite3_bind_int64(q, 3, (int64_t)cookie);
	sqlite3_bind_int64(q, 4, st->cur->lt.prev_frame);
	return store_step_done(st, ST_SOCK_GONE);
}

/* Open and close lifetimes by comparing s with the previous frame. */
static int lifetimes(struct store *st, int64_t id, const struct snapshot *s)
{
	struct lifetimes *lt = &st->cur->lt;
	size_t i = 0, j = 0, nold;
	int r = 0;

	if (!lt->valid || lt->boot != st->boot)
		r = lt_load(st, id, s);
	nold = lt->nopen;
	while (r == 0 && (i < nold || j < s->nrecs)) {
		if (j == s->nrecs || (i < nold && lt->open[i] < s->recs[j].cookie))
			r = sock_gone(st, lt->open[i++]);
		else if (i == nold || s->recs[j].cookie < lt->open[i])
			r = sock_new(st, id, s, &s->recs[j++]);
		else
			i++, j++;
	}
	lt->nopen = 0;
	for (j = 0; r == 0 && j < s->nrecs; j++)
		if (open_add(lt, s->recs[j].cookie) < 0)
			r = store_fail(st, -ENOMEM, "out of memory");
	lt->prev_frame = id;
	if (r < 0)
		lt->valid = 0;
	return r;
}

/* ---- rollups ------------------------------------------------------------- */

/* Fold value into the minute and hour buckets of (kind, key). */
static int rollup_put(struct store *st, const struct snapshot *s, int kind,
		      int64_t key, int64_t value)
{
	static const int64_t periods[] = { 60, 3600 };
	sqlite3_stmt *q = store_stmt(st, ST_ROLLUP);
	int r = q ? 0 : -EBADMSG;

	for (size_t p = 0; r == 0 && p < 2; p++) {
		int64_t len = periods[p] * 1000000000;
		int64_t start = s->time_ns - ((s->time_ns % len) + len) % len;
		sqlite3_bind_int64(q, 1, periods[p]);
		sqlite3_bind_int64(q, 2, start);
		sqlite3_bind_int64(q, 3, (int64_t)s->netns_ino);
		sqlite3_bind_int(q, 4, kind);
		sqlite3_bind_int64(q, 5, key);
		sqlite3_bind_int64(q, 6, value);
		r = store_step_done(st, ST_ROLLUP);
	}
	return r;
}

/* A key and how many sockets have it. */
struct tally {
	uint32_t key;
	uint32_t n;
};

static int cmp_tally(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return (x->key > y->key) - (x->key < y->key);
}

/* Count keys[0..n) into distinct tallies, largest first; returns how many
 * distinct keys, or -ENOMEM.  *out is malloc'd. */
static long tally_keys(const uint32_t *keys, size_t n, struct tally **out)
{
	size_t cap = 64;

	while (cap < 2 * n)
		cap *= 2;
	struct tally *tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++) {
		size_t h = (keys[i] * 2654435761u) & (cap - 1);
		while (tab[h].n && tab[h].key != keys[i])
			h = (h + 1) & (cap - 1);
		distinct += tab[h].n == 0;
		tab[h].key = keys[i];
		tab[h].n++;
	}
	size_t k = 0;
	for (size_t h = 0; h < cap; h++)
		if (tab[h].n)
			tab[k++] = tab[h];
	qsort(tab, k, sizeof(*tab), cmp_tally);
	*out = tab;
	return (long)distinct;
}

/* Fold the ROLLUP_TOP largest tallies under their own key (mapped by
 * key_of) and the rest under -1. */
static int rollup_top(struct store *st, const struct snapshot *s, int kind,
		      const uint32_t *keys, size_t n,
		      int (*key_of)(struct store *, const struct snapshot *,
				    uint32_t, int64_t *))
{
	struct tally *t;
	long distinct = tally_keys(keys, n, &t);
	int64_t others = 0, key;
	int r = 0;

	if (distinct < 0)
		return store_fail(st, -ENOMEM, "out of memory");
	for (long i = 0; r == 0 && i < distinct; i++) {
		if (i >= ROLLUP_TOP) {
			others += t[i].n;
			continue;
		}
		r = key_of(st, s, t[i].key, &key);
		if (r == 0)
			r = rollup_put(st, s, kind, key, t[i].n);
	}
	if (r == 0 && others)
		r = rollup_put(st, s, kind, -1, others);
	free(t);
	return r;
}

/* Port rollup key: netid * 65536 + port, as tallied. */
static int port_key(struct store *st, const struct snapshot *s, uint32_t k,
		    int64_t *key)
{
	(void)st;
	(void)s;
	*key = k;
	return 0;
}

/* Process rollup key: the str.id of the name (0: no owner). */
static int process_key(struct store *st, const struct snapshot *s,
		       uint32_t k, int64_t *key)
{
	return str_id(st, s, k, key);
}

/* All rollups of snapshot s. */
static int rollups(struct store *st, const struct snapshot *s,
		   uint32_t (*counts)[NSTATES])
{
	uint32_t *keys = malloc((s->nrecs + 1) * sizeof(*keys));
	uint32_t maxq[2] = { 0 };
	int64_t sumq[2] = { 0 };
	size_t n = 0;
	int r = keys ? 0 : store_fail(st, -ENOMEM, "out of memory");

	if (r == 0)
		r = rollup_put(st, s, RK_STATE, -1, (int64_t)s->nrecs);
	for (int i = 0; r == 0 && i < NETID_COUNT; i++)
		for (int k = 0; r == 0 && k < NSTATES; k++)
			if (counts[i][k])
				r = rollup_put(st, s, RK_STATE, i * 256 + k,
					       counts[i][k]);
	for (size_t i = 0; r == 0 && i < s->nrecs; i++) {
		const struct sock_record *rec = &s->recs[i];
		if (rec->netid <= NETID_RAW)
			keys[n++] = (uint32_t)rec->netid * 65536u + rec->sport;
		maxq[0] = rec->rqueue > maxq[0] ? rec->rqueue : maxq[0];
		maxq[1] = rec->wqueue > maxq[1] ? rec->wqueue : maxq[1];
		sumq[0] += rec->rqueue;
		sumq[1] += rec->wqueue;
	}
	if (r == 0)
		r = rollup_top(st, s, RK_PORT, keys, n, port_key);
	for (size_t i = 0; r == 0 && i < s->nrecs; i++)
		keys[i] = s->recs[i].proc_count ?
			s->procs[s->recs[i].proc_first].comm : 0;
	if (r == 0)
		r = rollup_top(st, s, RK_PROCESS, keys, s->nrecs, process_key);
	for (int q = 0; r == 0 && q < 2; q++) {
		r = rollup_put(st, s, RK_QUEUE, q, maxq[q]);
		if (r == 0)
			r = rollup_put(st, s, RK_QUEUE, 2 + q, sumq[q]);
	}
	free(keys);
	return r;
}

/* ---- entry points ---------------------------------------------------------- */

/* Index frame id; see store_int.h. */
int index_frame(struct store *st, int64_t id, const struct snapshot *s)
{
	uint32_t (*counts)[NSTATES] = calloc(NETID_COUNT, sizeof(*counts));
	int r = counts ? str_cache_reset(st, s) :
		store_fail(st, -ENOMEM, "out of memory");

	if (r == 0)
		r = count_rows(st, id, s, counts);
	if (r == 0)
		r = lifetimes(st, id, s);
	if (r == 0)
		r = rollups(st, s, counts);
	free(counts);
	return r;
}

/* Forget a lifetime state; see store_int.h. */
void index_forget(struct lifetimes *lt)
{
	lt->valid = 0;
}

/* Free a lifetime state's memory. */
void index_free(struct lifetimes *lt)
{
	free(lt->open);
	memset(lt, 0, sizeof(*lt));
}
