/*
 * trace.c — `sockhist trace LOCAL PEER` / `trace --cookie N`: the life of
 * one socket across the snapshots.
 *
 * The lifetimes come from the `sock` table alone (its lport and
 * (raddr, rport) indexes; for --cookie, its primary key), one per socket
 * that had that 4-tuple or cookie.  For each, store_scan visits only the
 * frames of its network namespace from its first to its last snapshot
 * (within --since/--until; other namespaces' frames are not decoded), and
 * --netns drops the lifetimes of other namespaces.  It finds the cookie
 * in the replayed chain state by binary search and materializes that one
 * row: one line per snapshot with the state (a change marked), the
 * queues, and tcp_info's rtt, cwnd and the bytes sent and received and
 * the retransmits during the interval before it.
 *
 * With --with-closed the close events (closedset.h) of the range are read
 * too: a lifetime whose socket closed ends with a line at its exact close
 * time with its final counters, and the short-lived sockets of that
 * 4-tuple or cookie, which no snapshot saw, get a lifetime of one line
 * (--netns applies to them too).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cgpath.h"
#include "closedset.h"
#include "cmd.h"
#include "db.h"
#include "options.h"
#include "output.h"
#include "sockenum.h"
#include "socktrace.h"

enum {
	OPT_COOKIE = OPT_LONG_ONLY, OPT_SINCE, OPT_UNTIL, OPT_FORMAT, OPT_DB,
	OPT_WITH_CLOSED,
};

static const struct opt_spec trace_opts[] = {
	{ OPT_COOKIE, "cookie", "N", "the socket with this cookie (ss -e's sk:, "
	  "in hex there)" },
	{ OPT_SINCE, "since", "TIME", "only snapshots from TIME" },
	{ OPT_UNTIL, "until", "TIME", "only snapshots up to TIME" },
	{ OPT_WITH_CLOSED, "with-closed", NULL, "also the close events: exact "
	  "close times, short-lived sockets" },
	{ OPT_FORMAT, "format", "FMT", "table (default), json or csv" },
	{ 'H', "no-header", NULL, "no column header line (table and csv)" },
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd trace_cmd = {
	.name = "trace",
	.usage = "LOCAL PEER | --cookie N  [--since TIME] [--until TIME] "
		 "[--format table|json|csv] [-H]",
	.about =
	"The life of one socket across the recorded snapshots: a header per\n"
	"lifetime (netid, cookie, addresses, first owner process, first and\n"
	"last seen, or still open), then one line per snapshot: time, snapshot,\n"
	"state ('*' marks a change), Recv-Q, Send-Q, and from tcp_info the\n"
	"smoothed RTT, the congestion window, and the bytes sent, bytes\n"
	"received and segments retransmitted since the line before (the first\n"
	"line counts from the socket's start).  A 4-tuple used by several\n"
	"sockets in turn lists each lifetime; with several network namespaces\n"
	"recorded, the header names the socket's (--netns picks some).\n\n"
	"LOCAL and PEER are written as ss -n prints them: ADDR:PORT,\n"
	"[IPV6ADDR]:PORT; *:PORT or a bare PORT match any address, a PORT of *\n"
	"is a listener's peer.  --cookie N takes the cookie in decimal or 0x hex\n"
	"(ss -e prints it as sk:HEX).\n\n"
	"--with-closed reads the close events sockhistd records: a lifetime\n"
	"whose socket closed ends with a \"closed\" line at the exact close time\n"
	"with the final tcp_info (the counts since the last snapshot), and\n"
	"sockets of that 4-tuple or cookie that opened and closed between two\n"
	"snapshots are shown as short-lived lifetimes of that one line.",
	.examples =
	"Examples:\n"
	"  sockhist trace 10.0.0.5:43512 10.0.0.9:443\n"
	"  sockhist trace '[2001:db8::5]:43512' '[2001:db8::9]:443' --since -1h\n"
	"  sockhist trace 43512 10.0.0.9:443 --format csv\n"
	"  sockhist trace --cookie 0x4a1f --format json\n"
	"  sockhist trace 43512 10.0.0.9:443 --with-closed",
	.opts = trace_opts,
	.nopts = sizeof(trace_opts) / sizeof(trace_opts[0]),
};

struct trace_args {
	struct endpoint local, peer;
	const char *what;             /* the socket, for messages */
	char what_buf[160];
	bool by_cookie;
	uint64_t cookie;
	struct time_spec since, until;
	bool has_since, has_until;
	enum out_format fmt;
	bool no_header;
	bool with_closed;
};

/* Parse --cookie: decimal or 0x hex. */
static int parse_cookie(const char *arg, uint64_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(arg, &end, 0);
	if (end == arg || *end || errno || arg[0] == '-') {
		err_msg(arg, "not a socket cookie (decimal, or hex with 0x)");
		return -1;
	}
	*out = v;
	return 0;
}

/* Option handler for trace. */
static int trace_opt(void *ctx, int id, const char *arg)
{
	struct trace_args *a = ctx;

	switch (id) {
	case OPT_COOKIE:
		a->by_cookie = true;
		return parse_cookie(arg, &a->cookie);
	case OPT_SINCE:
		a->has_since = true;
		return db_parse_time(arg, &a->since);
	case OPT_UNTIL:
		a->has_until = true;
		return db_parse_time(arg, &a->until);
	case OPT_FORMAT:
		return opt_format(arg, &a->fmt);
	case 'H':
		a->no_header = true;
		return 0;
	case OPT_WITH_CLOSED:
		a->with_closed = true;
		return 0;
	case OPT_DB:
		db_set_path(arg);
		return 0;
	}
	return -1;
}

/* Check the operands: LOCAL PEER, or none with --cookie. */
static int check_operands(struct trace_args *a, int n, char **operands)
{
	if (a->by_cookie) {
		if (n > 0) {
			err_msg(operands[0], "not with --cookie");
			return -1;
		}
		snprintf(a->what_buf, sizeof(a->what_buf), "cookie %" PRIu64,
			 a->cookie);
		a->what = a->what_buf;
		return 0;
	}
	if (n != 2) {
		err_msg("trace", "needs LOCAL and PEER, or --cookie N (see "
			"'sockhist trace --help')");
		return -1;
	}
	for (int i = 0; i < 2; i++)
		if (endpoint_parse(operands[i], i ? &a->peer : &a->local) < 0) {
			err_msg(operands[i], "not an endpoint (ADDR:PORT, "
				"[IPV6ADDR]:PORT, *:PORT or PORT)");
			return -1;
		}
	snprintf(a->what_buf, sizeof(a->what_buf), "%s %s", operands[0],
		 operands[1]);
	a->what = a->what_buf;
	return 0;
}

/* One lifetime: a row of the sock table. */
struct lifetime {
	uint64_t cookie, netns_ino;
	int netid, family;
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	int64_t pid;                  /* -1: unknown */
	char comm[64];
	int64_t first, last;          /* frame ids; last 0: still open */
	int64_t boot;                 /* boot.id */
	bool short_lived;             /* from a close event alone */
	const struct closed_info *closed; /* its close event, or NULL */
	struct trace_sample *samples;
	size_t n, cap;
};

/* The lifetimes found. */
struct lifetimes {
	struct lifetime *v;
	size_t n, cap;
	struct closed_set cs;         /* --with-closed: the events read */
};

#define LIFETIME_COLS \
	"SELECT s.cookie, n.ino, s.netid, s.family, s.laddr, s.lport, " \
	"s.raddr, s.rport, s.pid, (SELECT str.s FROM str WHERE str.id = " \
	"s.comm), s.first, ifnull(s.last, 0), s.boot FROM sock s JOIN " \
	"netns n ON " \
	"n.id = s.netns WHERE "

/* Copy an address blob of 4 or 16 bytes. */
static void copy_addr(sqlite3_stmt *q, int col, uint8_t out[16])
{
	const void *p = sqlite3_column_blob(q, col);
	int len = sqlite3_column_bytes(q, col);

	memset(out, 0, 16);
	if (p && (len == 4 || len == 16))
		memcpy(out, p, (size_t)len);
}

/* A new zeroed lifetime at the end of l, or NULL. */
static struct lifetime *new_lifetime(struct lifetimes *l)
{
	struct lifetime *t;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct lifetime *v = realloc(l->v, sizeof(*v) * cap);

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	t = &l->v[l->n++];
	memset(t, 0, sizeof(*t));
	return t;
}

/* Append the lifetime of the current row of q, if --netns wants its
 * namespace. */
static int add_lifetime(struct lifetimes *l, sqlite3_stmt *q)
{
	struct lifetime *t = new_lifetime(l);
	const unsigned char *comm;

	if (!t)
		return -ENOMEM;
	t->cookie = (uint64_t)sqlite3_column_int64(q, 0);
	t->netns_ino = (uint64_t)sqlite3_column_int64(q, 1);
	t->netid = sqlite3_column_int(q, 2);
	t->family = sqlite3_column_int(q, 3);
	copy_addr(q, 4, t->laddr);
	t->lport = (uint16_t)sqlite3_column_int(q, 5);
	copy_addr(q, 6, t->raddr);
	t->rport = (uint16_t)sqlite3_column_int(q, 7);
	t->pid = sqlite3_column_type(q, 8) == SQLITE_NULL ? -1 :
		 sqlite3_column_int64(q, 8);
	comm = sqlite3_column_text(q, 9);
	snprintf(t->comm, sizeof(t->comm), "%s", comm ? (const char *)comm : "");
	t->first = sqlite3_column_int64(q, 10);
	t->last = sqlite3_column_int64(q, 11);
	t->boot = sqlite3_column_int64(q, 12);
	if (!db_netns_wanted(t->netns_ino))
		l->n--;
	return 0;
}

/* Bind an endpoint's address (when it has one) to parameter i. */
static void bind_addr(sqlite3_stmt *q, int i, const struct endpoint *e)
{
	if (e->family)
		sqlite3_bind_blob(q, i, e->addr, e->family == AF_INET ? 4 : 16,
				  SQLITE_STATIC);
}

/* Find the lifetimes in the sock table, oldest first.  Returns 0 or -1
 * after printing. */
static int find_lifetimes(struct store *st, const struct trace_args *a,
			  struct lifetimes *l)
{
	sqlite3 *db = store_sqlite(st);
	char sql[1024];
	sqlite3_stmt *q;
	int rc, r = 0;

	if (a->by_cookie)
		snprintf(sql, sizeof(sql), "%s s.cookie = ?1 AND s.boot IN "
			 "(SELECT id FROM boot) AND s.netns IN (SELECT id FROM "
			 "netns) ORDER BY s.first", LIFETIME_COLS);
	else
		snprintf(sql, sizeof(sql), "%s s.lport = ?1 AND s.rport = ?2 "
			 "AND s.family IN (%d, %d)%s%s ORDER BY s.first",
			 LIFETIME_COLS, AF_INET, AF_INET6,
			 a->local.family ? " AND s.laddr = ?3" : "",
			 a->peer.family ? " AND s.raddr = ?4" : "");
	rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK) {
		err_msg(db_path(), "%s", sqlite3_errmsg(db));
		return -1;
	}
	if (a->by_cookie) {
		sqlite3_bind_int64(q, 1, (int64_t)a->cookie);
	} else {
		sqlite3_bind_int(q, 1, a->local.port);
		sqlite3_bind_int(q, 2, a->peer.port);
		bind_addr(q, 3, &a->local);
		bind_addr(q, 4, &a->peer);
	}
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
		r = add_lifetime(l, q);
	sqlite3_finalize(q);
	if (r < 0)
		err_msg("trace", "out of memory");
	else if (rc != SQLITE_DONE)
		err_msg(db_path(), "%s", sqlite3_errmsg(db));
	return r < 0 || rc != SQLITE_DONE ? -1 : 0;
}

/* A scan of one lifetime in progress. */
struct tracer {
	struct lifetime *t;
	struct snapshot out;          /* the one materialized row */
};

/* chain_materialize's filter: the traced cookie only. */
static int keep_cookie(const struct snapshot *s, const struct sock_record *r,
		       void *arg)
{
	(void)s;
	return r->cookie == *(const uint64_t *)arg;
}

/* Append a sample to t. */
static int add_sample(struct lifetime *t, const struct trace_sample *x)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct trace_sample *v = realloc(t->samples, sizeof(*v) * cap);

		if (!v)
			return -ENOMEM;
		t->samples = v;
		t->cap = cap;
	}
	t->samples[t->n++] = *x;
	return 0;
}

/* store_scan callback: the traced socket in one frame of its lifetime. */
static int trace_frame(const struct frame_info *fi, const struct snapshot *s,
		       const struct chain *c, void *arg)
{
	struct tracer *x = arg;
	struct lifetime *t = x->t;
	const struct sock_record *r;
	struct trace_sample sample;

	cgpath_frame(fi);
	if (!(r = snapshot_find_cookie(s, t->cookie)))
		return 0;
	if (c) {
		if (chain_materialize(c, &x->out, keep_cookie, &t->cookie) < 0)
			return -ENOMEM;
		if (x->out.nrecs != 1)
			return 0;
		s = &x->out;
		r = &x->out.recs[0];
	}
	trace_sample_of(s, r, fi->id, fi->time_ns, &sample);
	return add_sample(t, &sample);
}

/* store_scan filter: the frames of the lifetime, in its namespace. */
static int trace_want(const struct frame_info *fi, void *arg)
{
	const struct lifetime *t = ((struct tracer *)arg)->t;

	return fi->netns_ino == t->netns_ino && fi->id >= t->first &&
	       (!t->last || fi->id <= t->last);
}

/* store_scan callback: a chain that cannot be read, as a warning. */
static void trace_damaged(const char *msg, void *arg)
{
	(void)arg;
	err_msg("warning", "%s", msg);
}

/* The time of frame id, or fallback when it is no longer stored. */
static int64_t frame_time(struct store *st, int64_t id, int64_t fallback)
{
	struct frame_info fi;

	return store_frame_by_id(st, id, &fi) == 0 ? fi.time_ns : fallback;
}

/* Collect the samples of lifetime t within [since, until]. */
static int scan_lifetime(struct store *st, struct lifetime *t, int64_t since,
			 int64_t until)
{
	struct scan_ops ops = { .frame = trace_frame, .damaged = trace_damaged,
				.want = trace_want };
	struct tracer x = { .t = t };
	int64_t lo = frame_time(st, t->first, INT64_MIN);
	int64_t hi = t->last ? frame_time(st, t->last, INT64_MAX) : INT64_MAX;
	int r;

	if (lo < since)
		lo = since;
	if (hi > until)
		hi = until;
	if (lo > hi)
		return 0;
	if (snapshot_init(&x.out) < 0)
		return -ENOMEM;
	r = store_scan(st, lo, hi, &ops, &x);
	snapshot_free(&x.out);
	return r;
}

/* ---- close events (--with-closed) ------------------------------------------ */

/* Does record r have the traced endpoints (closed_load's filter)? */
static int keep_endpoints(const struct snapshot *s, const struct sock_record *r,
			  void *arg)
{
	const struct trace_args *a = arg;
	const struct endpoint *e[2] = { &a->local, &a->peer };
	const uint8_t *addr[2] = { r->src, r->dst };
	uint16_t port[2] = { r->sport, r->dport };

	(void)s;
	for (int i = 0; i < 2; i++) {
		if (port[i] != e[i]->port)
			return 0;
		if (e[i]->family && (r->family != e[i]->family ||
		    memcmp(addr[i], e[i]->addr,
			   e[i]->family == AF_INET ? 4 : 16) != 0))
			return 0;
	}
	return r->family == AF_INET || r->family == AF_INET6;
}

/* The short-lived lifetime of event k of cs. */
static int add_short_lived(struct lifetimes *l, const struct closed_set *cs,
			   size_t k)
{
	const struct sock_record *r = &cs->s.recs[k];
	struct lifetime *t = new_lifetime(l);

	if (!t)
		return -ENOMEM;
	t->cookie = r->cookie;
	t->netns_ino = cs->info[k].netns_ino;
	t->netid = r->netid;
	t->family = r->family;
	memcpy(t->laddr, r->src, 16);
	memcpy(t->raddr, r->dst, 16);
	t->lport = r->sport;
	t->rport = r->dport;
	t->pid = -1;
	t->boot = cs->info[k].boot;
	t->short_lived = true;
	return 0;
}

/* End each lifetime whose socket closed with a sample of its event, and
 * add the short-lived sockets. */
static int add_closed(struct lifetimes *l, struct closed_set *cs)
{
	struct trace_sample x;
	int r = 0;

	for (size_t k = 0; r == 0 && k < cs->s.nrecs; k++)
		if (!cs->info[k].seen)
			r = add_short_lived(l, cs, k);
	for (size_t i = 0; r == 0 && i < l->n; i++) {
		struct lifetime *t = &l->v[i];
		long k = closed_find(cs, t->boot, t->cookie);

		if (k < 0)
			continue;
		t->closed = &cs->info[k];
		trace_sample_of(&cs->s, &cs->s.recs[k], 0, t->closed->closed_ns,
				&x);
		r = add_sample(t, &x);
	}
	return r;
}

/* Order of lifetimes by their first sample's time. */
static int cmp_lifetime(const void *a, const void *b)
{
	const struct lifetime *x = a, *y = b;
	int64_t tx = x->n ? x->samples[0].time_ns : INT64_MAX;
	int64_t ty = y->n ? y->samples[0].time_ns : INT64_MAX;

	return (tx > ty) - (tx < ty);
}

/* --with-closed: read the close events of the range and add them.
 * Returns 0 or -1 after printing. */
static int with_closed(struct store *st, const struct trace_args *a,
		       struct lifetimes *l, int64_t since, int64_t until)
{
	struct closed_query q = {
		.since_ns = since, .until_ns = until,
		.keep = a->by_cookie ? NULL : keep_endpoints, .arg = (void *)a,
		.cookie = a->by_cookie ? a->cookie : 0,
	};
	struct closed_set *cs = &l->cs;
	int r = -1;

	if (closed_set_init(cs) < 0) {
		err_msg("trace", "out of memory");
		return -1;
	}
	if (closed_load(st, &q, cs) < 0)
		return -1;
	r = add_closed(l, cs);
	if (r < 0) {
		err_msg("trace", "out of memory");
		return -1;
	}
	qsort(l->v, l->n, sizeof(*l->v), cmp_lifetime);
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

/* "ADDR:PORT" or "[ADDR]:PORT" as ss -n prints an end. */
static void format_end(const struct lifetime *t, const uint8_t *addr,
		       uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(t->family, addr, a, sizeof(a));
	if (t->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
}

/* "2026-11-25T10:00:00Z (snapshot 4)", or that the frame is gone. */
static void format_seen(struct store *st, int64_t id, char *buf, size_t len)
{
	struct frame_info fi;
	char when[40];

	if (store_frame_by_id(st, id, &fi) == 0) {
		time_format_iso(fi.time_ns, 0, when, sizeof(when));
		snprintf(buf, len, "%s (snapshot %" PRId64 ")", when, id);
	} else {
		snprintf(buf, len, "snapshot %" PRId64 " (no longer stored)",
			 id);
	}
}

/* The table header of one lifetime. */
static void table_lifetime(struct store *st, const struct trace_args *a,
			   const struct lifetime *t)
{
	char local[64], peer[64], first[80] = "", last[80], owner[96];
	char note[192];

	format_end(t, t->laddr, t->lport, local, sizeof(local));
	format_end(t, t->raddr, t->rport, peer, sizeof(peer));
	if (t->first)
		format_seen(st, t->first, first, sizeof(first));
	if (t->last)
		format_seen(st, t->last, last, sizeof(last));
	if (t->pid >= 0)
		snprintf(owner, sizeof(owner), "process %s pid %" PRId64,
			 t->comm[0] ? t->comm : "?", t->pid);
	else
		snprintf(owner, sizeof(owner), "process unknown");
	printf("# %s cookie %" PRIu64 " %s -> %s, %s", netid_name(t->netid),
	       t->cookie, local, peer, owner);
	if (db_netns_several())
		printf(", netns %s", db_netns_label(t->netns_ino));
	putchar('\n');
	if (t->closed) {
		closed_note(t->closed, note, sizeof(note));
		if (t->short_lived)
			printf("# short-lived (no snapshot saw it): %s\n", note);
		else
			printf("# first seen %s, last seen %s, %s\n", first,
			       t->last ? last : "in the newest snapshot",
			       note);
	} else {
		printf("# first seen %s, %s%s\n", first, t->last ?
		       "last seen " : "still open", t->last ? last : "");
	}
	if (!a->no_header)
		printf("  %-20s %8s %-11s %7s %7s %9s %6s %10s %10s %7s\n",
		       "Time", "Snapshot", "State", "Recv-Q", "Send-Q",
		       "RTT(ms)", "Cwnd", "Sent", "Received", "Retrans");
}

/* One table line. */
static void table_sample(const struct trace_sample *x,
			 const struct trace_interval *iv)
{
	char when[40], rtt[24] = "-", cwnd[16] = "-", sent[24] = "-",
	     recv[24] = "-", retr[24] = "-", snap[24] = "closed";

	/* the close event's line: "closed" for a snapshot (its exact time,
	 * to the millisecond, is in the lifetime's header) */
	time_format_iso(x->time_ns, 0, when, sizeof(when));
	if (x->snapshot)
		snprintf(snap, sizeof(snap), "%" PRId64, x->snapshot);
	if (x->has_tcp_info) {
		snprintf(rtt, sizeof(rtt), "%.3f", x->rtt_us / 1000.0);
		snprintf(cwnd, sizeof(cwnd), "%" PRIu32, x->snd_cwnd);
	}
	if (iv->has_counts) {
		snprintf(sent, sizeof(sent), "%" PRIu64, iv->sent);
		snprintf(recv, sizeof(recv), "%" PRIu64, iv->received);
		snprintf(retr, sizeof(retr), "%" PRIu64, iv->retrans);
	}
	printf("%c %-20s %8s %-11s %7" PRIu32 " %7" PRIu32
	       " %9s %6s %10s %10s %7s\n", iv->state_changed ? '*' : ' ',
	       when, snap, state_name(x->state), x->recv_q, x->send_q,
	       rtt, cwnd, sent, recv, retr);
}

/* The JSON object of one lifetime, before its samples. */
static void json_lifetime(struct store *st, const struct lifetime *t,
			  size_t index)
{
	char la[INET6_ADDRSTRLEN] = "?", ra[INET6_ADDRSTRLEN] = "?";
	char when[40];
	struct frame_info fi;

	inet_ntop(t->family, t->laddr, la, sizeof(la));
	inet_ntop(t->family, t->raddr, ra, sizeof(ra));
	printf("%s{\"cookie\":%" PRIu64 ",\"netid\":\"%s\",\"family\":\"%s\","
	       "\"local_addr\":\"%s\",\"local_port\":%u,\"peer_addr\":\"%s\","
	       "\"peer_port\":%u,\"netns\":%" PRIu64, index ? ",\n" : "\n",
	       t->cookie, netid_name(t->netid),
	       t->family == AF_INET6 ? "inet6" : "inet", la, t->lport, ra,
	       t->rport, t->netns_ino);
	if (db_netns_name(t->netns_ino)) {
		printf(",\"netns_name\":");
		json_write_string(stdout, db_netns_name(t->netns_ino));
	}
	if (t->pid >= 0) {
		printf(",\"pid\":%" PRId64 ",\"comm\":", t->pid);
		json_write_string(stdout, t->comm);
	}
	if (t->closed) {
		char b[2][40];
		struct closed_info ci = *t->closed;

		time_format_iso(ci.closed_ns, 1, b[1], sizeof(b[1]));
		printf(",\"closed_at\":\"%s\",\"short_lived\":%s", b[1],
		       t->short_lived ? "true" : "false");
		if (ci.opened_ns) {
			time_format_iso(ci.opened_ns, 1, b[0], sizeof(b[0]));
			printf(",\"opened_at\":\"%s\"", b[0]);
		}
		if (ci.has_bytes)
			printf(",\"final_bytes_sent\":%" PRIu64
			       ",\"final_bytes_received\":%" PRIu64,
			       ci.bytes_sent, ci.bytes_received);
	}
	if (t->first)
		printf(",\"first_snapshot\":%" PRId64, t->first);
	if (t->first && store_frame_by_id(st, t->first, &fi) == 0) {
		time_format_iso(fi.time_ns, 0, when, sizeof(when));
		printf(",\"first_time\":\"%s\"", when);
	}
	if (t->last)
		printf(",\"last_snapshot\":%" PRId64, t->last);
	if (t->last && store_frame_by_id(st, t->last, &fi) == 0) {
		time_format_iso(fi.time_ns, 0, when, sizeof(when));
		printf(",\"last_time\":\"%s\"", when);
	}
	printf(",\"still_open\":%s,\"samples\":[",
	       t->last || t->closed ? "false" : "true");
}

/* One sample as JSON or CSV. */
static void data_sample(const struct trace_args *a, const struct lifetime *t,
			const struct trace_sample *x,
			const struct trace_interval *iv, size_t index)
{
	char when[40], snap[24] = "";
	bool csv = a->fmt == OUT_CSV, tcp = x->has_tcp_info;

	/* the close event's sample: no snapshot (empty, null), exact time */
	time_format_iso(x->time_ns, !x->snapshot, when, sizeof(when));
	if (x->snapshot || !csv)
		snprintf(snap, sizeof(snap), x->snapshot ? "%" PRId64 : "null",
			 x->snapshot);
	if (csv)
		printf("%" PRIu64 ",%s,%s,%s,%d,%" PRIu32 ",%" PRIu32,
		       t->cookie, snap, when, state_key(x->state),
		       iv->state_changed, x->recv_q, x->send_q);
	else
		printf("%s{\"snapshot\":%s,\"time\":\"%s\",\"state\":"
		       "\"%s\",\"state_changed\":%s,\"recv_q\":%" PRIu32
		       ",\"send_q\":%" PRIu32, index ? ",\n" : "\n",
		       snap, when, state_key(x->state),
		       iv->state_changed ? "true" : "false", x->recv_q,
		       x->send_q);
	if (csv && !tcp)
		fputs(",,", stdout);
	else if (tcp)
		printf(csv ? ",%" PRIu32 ",%" PRIu32 :
		       ",\"rtt_us\":%" PRIu32 ",\"snd_cwnd\":%" PRIu32,
		       x->rtt_us, x->snd_cwnd);
	if (csv && !iv->has_counts)
		fputs(",,,", stdout);
	else if (iv->has_counts)
		printf(csv ? ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 :
		       ",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%"
		       PRIu64 ",\"retrans\":%" PRIu64, iv->sent, iv->received,
		       iv->retrans);
	fputs(csv ? "\n" : "}", stdout);
}

/* Print every lifetime that has samples. */
static void print_trace(struct store *st, const struct trace_args *a,
			  const struct lifetimes *l)
{
	size_t shown = 0;

	if (a->fmt == OUT_CSV && !a->no_header)
		puts("cookie,snapshot,time,state,state_changed,recv_q,send_q,"
		     "rtt_us,snd_cwnd,bytes_sent,bytes_received,retrans");
	if (a->fmt == OUT_JSON)
		putchar('[');
	for (size_t i = 0; i < l->n; i++) {
		const struct lifetime *t = &l->v[i];
		const struct trace_sample *counters = NULL;

		if (!t->n)
			continue;
		if (a->fmt == OUT_TABLE)
			printf("%s", shown ? "\n" : "");
		if (a->fmt == OUT_TABLE)
			table_lifetime(st, a, t);
		else if (a->fmt == OUT_JSON)
			json_lifetime(st, t, shown);
		for (size_t k = 0; k < t->n; k++) {
			struct trace_interval iv;

			trace_interval_of(k ? &t->samples[k - 1] : NULL,
					  counters, &t->samples[k], &iv);
			if (t->samples[k].has_tcp_info)
				counters = &t->samples[k];
			if (a->fmt == OUT_TABLE)
				table_sample(&t->samples[k], &iv);
			else
				data_sample(a, t, &t->samples[k], &iv, k);
		}
		if (a->fmt == OUT_JSON)
			fputs("\n]}", stdout);
		shown++;
	}
	if (a->fmt == OUT_JSON)
		fputs("\n]\n", stdout);
}

/* The --since/--until range as ns.  Returns 0 or -1 after printing. */
static int time_range(struct store *st, const struct trace_args *a,
		      int64_t *since, int64_t *until)
{
	*since = INT64_MIN;
	*until = INT64_MAX;
	if (a->has_since && db_resolve_time(st, &a->since, since) < 0)
		return -1;
	if (a->has_until && db_resolve_time(st, &a->until, until) < 0)
		return -1;
	if (*since > *until) {
		err_msg("--since", "later than --until");
		return -1;
	}
	return 0;
}

/* Find, scan and print.  Returns an exit status. */
static int run(struct store *st, const struct trace_args *a)
{
	struct lifetimes l = { 0 };
	int64_t since, until;
	size_t samples = 0;
	int r = 0, status = EXIT_FAIL;

	if (time_range(st, a, &since, &until) < 0 ||
	    find_lifetimes(st, a, &l) < 0)
		goto out;
	for (size_t i = 0; r == 0 && i < l.n; i++)
		r = scan_lifetime(st, &l.v[i], since, until);
	if (r == 0 && a->with_closed && with_closed(st, a, &l, since, until) < 0)
		goto out;
	if (!l.n) {
		err_msg(a->what, "no such socket was recorded");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		samples += l.v[i].n;
	if (r < 0) {
		err_msg(db_path(), "%s", r == -ENOMEM ? "out of memory" :
			store_errmsg(st));
	} else if (!samples) {
		err_msg(a->what, "no snapshot of this socket in that range");
	} else {
		print_trace(st, a, &l);
		status = EXIT_OK;
	}
out:
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].samples);
	free(l.v);
	closed_set_free(&l.cs);
	return status;
}

/* `sockhist trace`. */
int cmd_trace(int argc, char **argv)
{
	struct trace_args a = { .fmt = OUT_TABLE };
	char *operands[argc > 0 ? argc : 1];
	struct store *st;
	int n, status;

	n = opt_parse(&trace_cmd, argc, argv, trace_opt, &a, operands);
	if (n == OPT_HELP)
		return EXIT_OK;
	if (n < 0 || check_operands(&a, n, operands) < 0)
		return EXIT_USAGE;
	if (!(st = db_open()))
		return EXIT_FAIL;
	status = run(st, &a);
	store_close(st);
	return status;
}
