/*
 * closedset.c — loading the closed connections of a time range (see
 * closedset.h): the `closed` index rows in batch order, each batch decoded
 * once, the record found by cookie (a batch is sorted by cookie), kept if
 * the selection wants it, then everything ordered by close time.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "closedset.h"
#include "codec.h"
#include "db.h"
#include "options.h"
#include "timeexpr.h"

#define NS_PER_SEC INT64_C(1000000000)

int closed_set_init(struct closed_set *cs)
{
	memset(cs, 0, sizeof(*cs));
	return snapshot_init(&cs->s);
}

void closed_set_free(struct closed_set *cs)
{
	snapshot_free(&cs->s);
	free(cs->info);
	free(cs->by_cookie);
	memset(cs, 0, sizeof(*cs));
}

/* Does the file have the close event tables, and which format is it? */
static int probe(sqlite3 *db, struct closed_set *cs)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM "
		"pragma_user_version), (SELECT count(*) FROM sqlite_master "
		"WHERE name = 'closed_batch')", -1, &q, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		cs->format = sqlite3_column_int64(q, 0);
		cs->recorded = sqlite3_column_int64(q, 1) > 0;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Decode batch id into b.  Returns 0 or -1 after printing why. */
static int load_batch(sqlite3 *db, int64_t id, struct snapshot *b)
{
	sqlite3_stmt *q;
	int r = -1;
	int rc = sqlite3_prepare_v2(db, "SELECT data, netns_ino FROM "
				    "closed_batch WHERE id = ?1", -1, &q, NULL);

	if (rc != SQLITE_OK) {
		err_msg(db_path(), "%s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		const void *data = sqlite3_column_blob(q, 0);
		int e = codec_decode(CODEC_COLUMNAR_V1, data ? data : "",
				     (size_t)sqlite3_column_bytes(q, 0), b);
		if (e == 0) {
			b->netns_ino = (uint64_t)sqlite3_column_int64(q, 1);
			r = 0;
		}
	}
	if (r < 0)
		err_msg(db_path(), "close events batch %" PRId64 " is damaged",
			id);
	sqlite3_finalize(q);
	return r;
}

/* Append r of batch b with its info to cs. */
static int add_event(struct closed_set *cs, const struct snapshot *b,
		     const struct sock_record *r, const struct closed_info *ci)
{
	if (cs->s.nrecs == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 64;
		struct closed_info *p = realloc(cs->info, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		cs->info = p;
		cs->cap = cap;
	}
	if (!snapshot_copy_record(&cs->s, b, r))
		return -ENOMEM;
	cs->info[cs->s.nrecs - 1] = *ci;
	return 0;
}

/* The event of the current row of q. */
static void row_info(sqlite3_stmt *q, struct closed_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->closed_ns = sqlite3_column_int64(q, 0);
	ci->opened_ns = sqlite3_column_int64(q, 3);
	ci->has_bytes = sqlite3_column_type(q, 4) != SQLITE_NULL &&
			sqlite3_column_type(q, 5) != SQLITE_NULL;
	ci->bytes_sent = (uint64_t)sqlite3_column_int64(q, 4);
	ci->bytes_received = (uint64_t)sqlite3_column_int64(q, 5);
	ci->seen = sqlite3_column_int(q, 6) != 0;
	ci->boot = sqlite3_column_int64(q, 7);
}

/* Bind the query's conditions (?1..?6) to q. */
static void bind_query(sqlite3_stmt *q, const struct closed_query *cq)
{
	sqlite3_bind_int64(q, 1, cq->since_ns);
	sqlite3_bind_int64(q, 2, cq->until_ns);
	sqlite3_bind_int64(q, 3, (int64_t)cq->netns_ino);
	sqlite3_bind_int64(q, 4, cq->boot);
	sqlite3_bind_int64(q, 5, (int64_t)cq->cookie);
	sqlite3_bind_int(q, 6, cq->short_lived_only);
}

/* Read the index rows and copy the kept records into cs. */
static int load_events(sqlite3 *db, const struct closed_query *cq,
		       struct closed_set *cs)
{
	struct snapshot b;
	sqlite3_stmt *q;
	int64_t loaded = 0;
	int r = 0, rc;

	if (snapshot_init(&b) < 0)
		return -ENOMEM;
	rc = sqlite3_prepare_v2(db, "SELECT c.closed_ns, c.cookie, c.batch, "
		"c.opened_ns, c.bytes_sent, c.bytes_received, c.seen, c.boot "
		"FROM closed c JOIN closed_batch b ON b.id = c.batch "
		"WHERE c.closed_ns BETWEEN ?1 AND ?2 "
		"AND (?3 = 0 OR b.netns_ino = ?3) AND (?4 = 0 OR c.boot = ?4) "
		"AND (?5 = 0 OR c.cookie = ?5) AND (?6 = 0 OR c.seen = 0) "
		"ORDER BY c.batch, c.cookie", -1, &q, NULL);
	if (rc != SQLITE_OK) {
		snapshot_free(&b);
		err_msg(db_path(), "%s", sqlite3_errmsg(db));
		return -1;
	}
	bind_query(q, cq);
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t batch = sqlite3_column_int64(q, 2);
		uint64_t cookie = (uint64_t)sqlite3_column_int64(q, 1);
		struct closed_info ci;
		const struct sock_record *rec;

		if (batch != loaded) {
			r = load_batch(db, batch, &b);
			loaded = batch;
		}
		rec = r == 0 ? snapshot_find_cookie(&b, cookie) : NULL;
		if (!rec || !db_netns_wanted(b.netns_ino) ||
		    (cq->keep && !cq->keep(&b, rec, cq->arg)))
			continue;
		row_info(q, &ci);
		ci.netns_ino = b.netns_ino;
		if (add_event(cs, &b, rec, &ci) < 0) {
			err_msg("closed", "out of memory");
			r = -1;
		}
	}
	if (r == 0 && rc != SQLITE_DONE) {
		err_msg(db_path(), "%s", sqlite3_errmsg(db));
		r = -1;
	}
	sqlite3_finalize(q);
	snapshot_free(&b);
	return r;
}

/* The losses of the batches that overlap the range. */
static int load_lost(sqlite3 *db, const struct closed_query *cq,
		     struct closed_set *cs)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, "SELECT sum(lost), min(since_ns), "
		"max(time_ns) FROM closed_batch WHERE lost > 0 AND "
		"time_ns >= ?1 AND since_ns <= ?2 AND "
		"(?3 = 0 OR netns_ino = ?3) AND (?4 = 0 OR boot = ?4)",
		-1, &q, NULL);

	if (rc != SQLITE_OK) {
		err_msg(db_path(), "%s", sqlite3_errmsg(db));
		return -1;
	}
	bind_query(q, cq);
	if (sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_type(q, 0) != SQLITE_NULL) {
		cs->lost = (uint64_t)sqlite3_column_int64(q, 0);
		cs->lost_from = sqlite3_column_int64(q, 1);
		cs->lost_to = sqlite3_column_int64(q, 2);
	}
	sqlite3_finalize(q);
	return 0;
}

/* An event with its record, for sorting. */
struct closed_pair {
	struct sock_record r;
	struct closed_info i;
};

/* Order by close time, then cookie. */
static int cmp_closed(const void *a, const void *b)
{
	const struct closed_pair *x = a, *y = b;

	if (x->i.closed_ns != y->i.closed_ns)
		return x->i.closed_ns < y->i.closed_ns ? -1 : 1;
	return (x->r.cookie > y->r.cookie) - (x->r.cookie < y->r.cookie);
}

/* Put cs's events in close time order. */
static int sort_by_time(struct closed_set *cs)
{
	size_t n = cs->s.nrecs;
	struct closed_pair *p = malloc((n ? n : 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		p[i].r = cs->s.recs[i];
		p[i].i = cs->info[i];
	}
	qsort(p, n, sizeof(*p), cmp_closed);
	for (size_t i = 0; i < n; i++) {
		cs->s.recs[i] = p[i].r;
		cs->info[i] = p[i].i;
	}
	free(p);
	return 0;
}

int closed_load(struct store *st, const struct closed_query *q,
		struct closed_set *cs)
{
	sqlite3 *db = store_sqlite(st);

	snapshot_reset(&cs->s);
	free(cs->by_cookie);
	cs->by_cookie = NULL;
	cs->lost = 0;
	if (probe(db, cs) < 0) {
		err_msg(db_path(), "%s", sqlite3_errmsg(db));
		return -1;
	}
	if (!cs->recorded) {
		err_msg(db_path(), "close events are not recorded in this file "
			"(format %" PRId64 ")", cs->format);
		return -1;
	}
	if (load_events(db, q, cs) < 0 || load_lost(db, q, cs) < 0)
		return -1;
	if (sort_by_time(cs) < 0) {
		err_msg("closed", "out of memory");
		return -1;
	}
	closed_report_lost(cs);
	return 0;
}

/* Order of event indexes of the set arg by cookie, then boot. */
static int cmp_index(const void *a, const void *b, void *arg)
{
	const struct closed_set *cs = arg;
	const struct sock_record *x = &cs->s.recs[*(const size_t *)a];
	const struct sock_record *y = &cs->s.recs[*(const size_t *)b];
	int64_t bx = cs->info[*(const size_t *)a].boot;
	int64_t by = cs->info[*(const size_t *)b].boot;

	if (x->cookie != y->cookie)
		return x->cookie < y->cookie ? -1 : 1;
	return (bx > by) - (bx < by);
}

long closed_find(struct closed_set *cs, int64_t boot, uint64_t cookie)
{
	size_t n = cs->s.nrecs, lo = 0, hi = n;

	if (!cs->by_cookie && n) {
		cs->by_cookie = malloc(n * sizeof(size_t));
		if (!cs->by_cookie)
			return -1;
		for (size_t i = 0; i < n; i++)
			cs->by_cookie[i] = i;
		qsort_r(cs->by_cookie, n, sizeof(size_t), cmp_index, cs);
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, k = cs->by_cookie[mid];
		uint64_t c = cs->s.recs[k].cookie;

		if (c < cookie || (c == cookie && cs->info[k].boot < boot))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && cs->s.recs[cs->by_cookie[lo]].cookie == cookie &&
	    cs->info[cs->by_cookie[lo]].boot == boot)
		return (long)cs->by_cookie[lo];
	return -1;
}

void closed_report_lost(const struct closed_set *cs)
{
	char from[40], to[40];

	if (!cs->lost)
		return;
	time_format_iso(cs->lost_from, 1, from, sizeof(from));
	time_format_iso(cs->lost_to, 1, to, sizeof(to));
	fprintf(stderr, "sockhist: %" PRIu64 " close events were lost between "
		"%s and %s (the recorder's receive buffer overran)\n",
		cs->lost, from, to);
}

void closed_duration(const struct closed_info *ci, char *buf, size_t len)
{
	int64_t d = ci->closed_ns - ci->opened_ns;

	if (!ci->opened_ns || d < 0) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%s%" PRId64 ".%03" PRId64 "s", ci->seen ? "" : "<",
		 d / NS_PER_SEC, d % NS_PER_SEC / 1000000);
}

/* The text line of an event; see closedset.h. */
void closed_note(const struct closed_info *ci, char *buf, size_t len)
{
	char opened[40], closed[40], dur[32], bytes[64] = "";

	if (ci->opened_ns)
		time_format_iso(ci->opened_ns, 1, opened, sizeof(opened));
	else
		snprintf(opened, sizeof(opened), "?");
	time_format_iso(ci->closed_ns, 1, closed, sizeof(closed));
	closed_duration(ci, dur, sizeof(dur));
	if (ci->has_bytes)
		snprintf(bytes, sizeof(bytes), " sent %" PRIu64 " received %"
			 PRIu64, ci->bytes_sent, ci->bytes_received);
	snprintf(buf, len, "opened %s%s closed %s duration %s%s%s",
		 ci->seen ? "" : "after ", opened, closed, dur, bytes,
		 ci->seen ? "" : " short-lived");
}

/* The JSON/CSV values of an event; see closedset.h. */
void closed_event_kv(const struct closed_info *ci, struct sock_kv kv[5],
		     char buf[2][40])
{
	if (ci->opened_ns)
		time_format_iso(ci->opened_ns, 1, buf[0], 40);
	time_format_iso(ci->closed_ns, 1, buf[1], 40);
	kv[0] = (struct sock_kv){ .key = "opened_at",
		.str = ci->opened_ns ? buf[0] : NULL,
		.lit = ci->opened_ns ? NULL : "null" };
	kv[1] = (struct sock_kv){ .key = "closed_at", .str = buf[1] };
	kv[2] = (struct sock_kv){ .key = "bytes_sent",
		.present = ci->has_bytes, .num = ci->bytes_sent,
		.lit = ci->has_bytes ? NULL : "null" };
	kv[3] = (struct sock_kv){ .key = "bytes_received",
		.present = ci->has_bytes, .num = ci->bytes_received,
		.lit = ci->has_bytes ? NULL : "null" };
	kv[4] = (struct sock_kv){ .key = "short_lived",
		.lit = ci->seen ? "false" : "true" };
}
