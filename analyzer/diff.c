/*
 * diff.c — `sockhist diff FROM TO`: the sockets opened, closed and changed
 * between two snapshots (sockdiff.h says what each means), in ss's layout
 * with a totals line, per --by group, or as JSON/CSV.
 *
 * FROM and TO are TIMEs (the moment at or before each, db.h) or @IDs (the
 * moment at that snapshot's time).  FROM after TO is allowed: the diff then
 * runs backwards in time (opened means present in TO, i.e. at the earlier
 * moment).  Sockets are matched by (namespace, cookie): each namespace of
 * either moment is compared on its own, a namespace recorded on one side
 * only against nothing (all its sockets opened, or closed).  With several
 * namespaces in view each gets its own output under a "# netns LABEL"
 * line (JSON: one object per namespace).  In a file of several namespaces
 * per tick (db_netns_per_tick) JSON and CSV carry "netns" and
 * "netns_name" (CSV: the first columns); with one the output is as it
 * always was.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "closedset.h"
#include "cmd.h"
#include "db.h"
#include "options.h"
#include "output.h"
#include "sock_json.h"
#include "sockdiff.h"
#include "sockenum.h"
#include "sockkey.h"
#include "sockselect.h"
#include "ss_table.h"
#include "ssview.h"

enum {
	OPT_BY = OPT_LONG_ONLY, OPT_QUEUE, OPT_FORMAT, OPT_DB, OPT_WITH_CLOSED,
};

static const struct opt_spec diff_opts[] = {
	{ OPT_BY, "by", "KEY", "counts per group of state, netid, family, "
	  "sport, dport,\n" "                             local, peer, process, "
	  "uid, cgroup or netns" },
	{ OPT_QUEUE, "queue", "BYTES", "queue threshold for \"changed\" "
	  "(default 65536; 0: queues never count)" },
	{ OPT_WITH_CLOSED, "with-closed", NULL, "also the short-lived "
	  "connections and exact close times\n"
	  "                             (the recorder's close events)" },
	{ OPT_FORMAT, "format", "FMT", "table (default, as ss), json or csv" },
	SOCK_SELECT_OPTS,
	SS_VIEW_OPTS,
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd diff_cmd = {
	.name = "diff",
	.usage = "FROM TO [--by KEY] [--queue BYTES] [OPTIONS] [FILTER]",
	.about =
	"The sockets that changed between two moments, FROM and TO (each a\n"
	"TIME: the latest snapshot at or before it, or @ID: the moment at that\n"
	"snapshot's time), matched by network namespace and socket cookie\n"
	"(sockets of different boots never match; a namespace recorded on one\n"
	"side only has all its sockets opened or closed; with several\n"
	"namespaces, one diff per namespace under \"# netns LABEL\"):\n"
	"  opened   in TO, not in FROM;\n"
	"  closed   in FROM, not in TO;\n"
	"  changed  in both, with another state, or a Recv-Q or Send-Q that\n"
	"           crossed --queue BYTES (below it on one side, at or above on\n"
	"           the other), or a listener whose accept queue became full\n"
	"           (Recv-Q > Send-Q) or stopped being so.\n"
	"The default threshold, 64 KiB, is about the initial receive window of a\n"
	"Linux TCP socket: a queue that size means a reader or a peer is not\n"
	"keeping up, while the ordinary traffic of busy sockets stays below it.\n"
	"Each list is printed as ss prints sockets, changed rows with what they\n"
	"were on a continuation line, then a totals line.  With --by, one row per\n"
	"group: sockets in FROM and in TO, their difference, opened, closed and\n"
	"changed, the largest difference first.  FROM may be later than TO (the\n"
	"diff then runs backwards).  The selection and FILTER are ss's, with\n"
	"every state by default.  A relative TIME such as -1h is read as FROM\n"
	"or TO, not as flags (write -6 -m apart, not -6m).\n"
	"With --with-closed (from the close events sockhistd records): a\n"
	"short-lived section, the connections that opened and closed between\n"
	"FROM and TO (no snapshot saw them), and under each closed socket its\n"
	"exact close time and final byte counters, as `sockhist closed` prints\n"
	"them; JSON gets a \"short_lived\" list and the event's keys on closed\n"
	"rows, CSV rows with change \"short-lived\" and the event's columns.",
	.examples =
	"Examples:\n"
	"  sockhist diff @4 @9\n"
	"  sockhist diff 10:00 10:05 -t dport = :443\n"
	"  sockhist diff @40 @90 --by peer state established\n"
	"  sockhist diff -1h now -t --queue 0 --format json",
	.time_operands = 1,
	.opts = diff_opts,
	.nopts = sizeof(diff_opts) / sizeof(diff_opts[0]),
};

struct diff_args {
	struct sock_select sel;
	struct ss_flags fl;
	enum out_format fmt;
	const struct sock_key *by;
	uint32_t queue;
	const char *from, *to;
	bool with_closed;
};

/* Parse --queue: a whole number of bytes. */
static int parse_queue(const char *arg, uint32_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (end == arg || *end || errno || arg[0] == '-' || v > UINT32_MAX) {
		err_msg(arg, "not a byte count for --queue (0 to %" PRIu32 ")",
			UINT32_MAX);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Option handler for diff. */
static int diff_opt(void *ctx, int id, const char *arg)
{
	struct diff_args *a = ctx;

	if (sock_select_opt(&a->sel, id, arg) || ss_view_opt(&a->fl, id))
		return 0;
	switch (id) {
	case OPT_BY:
		if (!(a->by = sock_key_find(arg))) {
			err_msg(arg, "unknown --by key (use %s)",
				sock_key_names());
			return -1;
		}
		return 0;
	case OPT_QUEUE:
		return parse_queue(arg, &a->queue);
	case OPT_WITH_CLOSED:
		a->with_closed = true;
		return 0;
	case OPT_FORMAT:
		return opt_format(arg, &a->fmt);
	case OPT_DB:
		db_set_path(arg);
		return 0;
	}
	return -1;
}

/* The two snapshots of one namespace compared; a side whose id is 0 was
 * not recorded (its snapshot is empty). */
struct diff_pair {
	struct frame_info from, to;
	struct snapshot s_from, s_to;
	bool same_boot;
	bool several;                /* more namespaces are printed */
	bool netns_keys;             /* JSON, CSV: "netns", "netns_name" */
	int64_t boot_from;           /* boot.id of FROM */
	struct closed_set cs;        /* --with-closed: the range's events */
	size_t nshort;               /* of which short-lived */
};

/* The boot id of frame id.  Returns 0 or -1 after printing. */
static int frame_boot(struct store *st, int64_t id, int64_t *boot)
{
	sqlite3 *db = store_sqlite(st);
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(db, "SELECT boot FROM frame WHERE id = ?1",
				    -1, &q, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, id);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			*boot = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	if (rc == SQLITE_ROW)
		return 0;
	err_msg(db_path(), "%s", sqlite3_errmsg(db));
	return -1;
}

/* Resolve FROM and TO to moments and check they differ. */
static int pick_moments(struct store *st, const struct diff_args *a,
			struct moment *from, struct moment *to)
{
	struct frame_sel f = { .at = a->from, .quiet = true };
	struct frame_sel t = { .at = a->to, .quiet = true };
	int r = db_pick_moment(st, &f, from);

	if (r == 0)
		r = db_pick_moment(st, &t, to);
	if (r == 0 && from->time_ns == to->time_ns) {
		err_msg("diff", "FROM and TO are both snapshot %" PRId64
			" (no snapshot between the two times)",
			from->frames[0].id);
		r = -1;
	}
	return r;
}

/* --with-closed: the selected close events between the two snapshots
 * of their namespace.  Returns 0 or -1 after printing. */
static int load_closed(struct store *st, const struct diff_args *a,
		       struct diff_pair *p)
{
	bool fwd = p->from.time_ns <= p->to.time_ns;
	struct closed_query q = {
		.since_ns = (fwd ? p->from.time_ns : p->to.time_ns) + 1,
		.until_ns = fwd ? p->to.time_ns : p->from.time_ns,
		.keep = sock_select_keep, .arg = (void *)&a->sel,
		.netns_ino = p->from.netns_ino,
	};

	if (closed_load(st, &q, &p->cs) < 0)
		return -1;
	for (size_t i = 0; i < p->cs.s.nrecs; i++)
		p->nshort += !p->cs.info[i].seen;
	return 0;
}

/* Load the recorded sides of pair p, checking their boots. */
static int load_pair(struct store *st, const struct diff_args *a,
		     struct diff_pair *p)
{
	int64_t boot_from = 0, boot_to = 0;

	if ((p->from.id && frame_boot(st, p->from.id, &boot_from) < 0) ||
	    (p->to.id && frame_boot(st, p->to.id, &boot_to) < 0))
		return -1;
	p->same_boot = boot_from == boot_to;
	p->boot_from = boot_from;
	store_set_skip_blobs(st, !ss_view_needs_blobs(&a->fl, a->fmt));
	if ((p->from.id &&
	     db_load_frame(st, &p->from, &p->s_from, NULL, NULL) < 0) ||
	    (p->to.id && db_load_frame(st, &p->to, &p->s_to, NULL, NULL) < 0))
		return -1;
	return a->with_closed ? load_closed(st, a, p) : 0;
}

/* "snapshot 4 (2026-11-25T10:00:00Z)", or "no snapshot" for a side that
 * did not record the namespace. */
static void name_frame(const struct frame_info *fi, char *buf, size_t len)
{
	char when[40];

	if (!fi->id) {
		snprintf(buf, len, "no snapshot");
		return;
	}
	time_format_iso(fi->time_ns, 0, when, sizeof(when));
	snprintf(buf, len, "snapshot %" PRId64 " (%s)", fi->id, when);
}

/* "snapshot 4", or "no snapshot" (as name_frame). */
static void id_frame(const struct frame_info *fi, char *buf, size_t len)
{
	if (fi->id)
		snprintf(buf, len, "snapshot %" PRId64, fi->id);
	else
		snprintf(buf, len, "no snapshot");
}

/* The totals line. */
static void print_totals(const struct diff_pair *p, const struct sock_diff *d)
{
	char from[80], to[80];

	name_frame(&p->from, from, sizeof(from));
	name_frame(&p->to, to, sizeof(to));
	printf("%zu opened, %zu closed, %zu changed", d->nopened, d->nclosed,
	       d->nchanged);
	if (p->cs.recorded)
		printf(", %zu short-lived", p->nshort);
	printf(" between %s and %s\n", from, to);
}

/* One section of the table: a heading, then the rows as ss prints them
 * (the records of s; notes, when not NULL, under each row). */
static int print_section(const struct diff_args *a, const char *heading,
			 const struct snapshot *s,
			 const struct sock_record **rows, size_t n,
			 const char *const *notes)
{
	struct ss_flags fl = a->fl;

	if (!n)
		return 0;
	ss_view_settle(&fl, &a->sel);
	if (notes)
		fl.show_state = true;  /* the new state, whatever is selected */
	printf("# %s\n", heading);
	return ss_table_render_notes(stdout, s, rows, n, &fl, notes);
}

/* Room for one row's note. */
#define CLOSED_NOTE 192

/* A closed row's note: its close event (buf holds CLOSED_NOTE bytes), or
 * NULL when none was recorded. */
static const char *closed_row_note(struct diff_pair *p,
				   const struct sock_record *r, char *buf)
{
	long k = p->cs.recorded ? closed_find(&p->cs, p->boot_from,
					      r->cookie) : -1;

	if (k < 0)
		return NULL;
	closed_note(&p->cs.info[k], buf, CLOSED_NOTE);
	return buf;
}

/* The short-lived section of the table (rows, notes and note have room
 * for p->nshort; from and to name the two sides). */
static int print_short_lived(const struct diff_args *a, struct diff_pair *p,
			     const struct sock_record **rows, char *notes,
			     const char **note, const char *from,
			     const char *to)
{
	char heading[160];
	size_t n = 0;

	for (size_t i = 0; i < p->cs.s.nrecs; i++) {
		if (p->cs.info[i].seen)
			continue;
		rows[n] = &p->cs.s.recs[i];
		note[n] = notes + n * CLOSED_NOTE;
		closed_note(&p->cs.info[i], notes + n * CLOSED_NOTE,
			    CLOSED_NOTE);
		n++;
	}
	snprintf(heading, sizeof(heading), "short-lived: opened and closed "
		 "between %s and %s", from, to);
	return print_section(a, heading, &p->cs.s, rows, n, note);
}

/* The table: opened, closed, changed and short-lived sections, then the
 * totals. */
static int print_table(const struct diff_args *a, struct diff_pair *p,
		       const struct sock_diff *d)
{
	size_t most = d->nopened + d->nclosed + d->nchanged + p->nshort;
	const struct sock_record **rows = malloc(sizeof(*rows) * (most + 1));
	char *notes = malloc((most + 1) * CLOSED_NOTE);
	const char **note = malloc(sizeof(*note) * (most + 1));
	char heading[160], from[40], to[40];
	int r = -ENOMEM;

	if (!rows || !notes || !note)
		goto out;
	id_frame(&p->from, from, sizeof(from));
	id_frame(&p->to, to, sizeof(to));
	for (size_t i = 0; i < d->nopened; i++)
		rows[i] = d->opened[i].after;
	snprintf(heading, sizeof(heading), "opened: in %s, not in %s", to,
		 from);
	r = print_section(a, heading, &p->s_to, rows, d->nopened, NULL);
	for (size_t i = 0; i < d->nclosed; i++) {
		rows[i] = d->closed[i].before;
		note[i] = closed_row_note(p, rows[i], notes + i * CLOSED_NOTE);
	}
	snprintf(heading, sizeof(heading), "closed: in %s, not in %s", from,
		 to);
	if (r == 0)
		r = print_section(a, heading, &p->s_from, rows, d->nclosed,
				  p->cs.recorded ? note : NULL);
	for (size_t i = 0; i < d->nchanged; i++) {
		const struct sock_record *b = d->changed[i].before;

		rows[i] = d->changed[i].after;
		note[i] = notes + i * CLOSED_NOTE;
		snprintf(notes + i * CLOSED_NOTE, 64, "was: %s Recv-Q %" PRIu32
			 " Send-Q %" PRIu32, state_name(b->state), b->rqueue,
			 b->wqueue);
	}
	snprintf(heading, sizeof(heading), "changed: as in %s, and what it "
		 "was in %s", to, from);
	if (r == 0)
		r = print_section(a, heading, &p->s_to, rows, d->nchanged, note);
	if (r == 0)
		r = print_short_lived(a, p, rows, notes, note, from, to);
	if (r == 0)
		print_totals(p, d);
out:
	free(rows);
	free(notes);
	free(note);
	return r;
}

/* A snapshot id as JSON: null for a side that was not recorded. */
static void json_id(const char *key, const struct frame_info *fi)
{
	if (fi->id)
		printf("\"%s\":%" PRId64, key, fi->id);
	else
		printf("\"%s\":null", key);
}

/* The top-level keys naming the two snapshots (and the namespace, with
 * several) (JSON). */
static void json_frames(const struct diff_args *a, const struct diff_pair *p)
{
	char from[40], to[40];
	uint64_t ino = p->to.id ? p->to.netns_ino : p->from.netns_ino;
	const char *name = db_netns_name(ino);

	time_format_iso(p->from.time_ns, 0, from, sizeof(from));
	time_format_iso(p->to.time_ns, 0, to, sizeof(to));
	putchar('{');
	if (p->netns_keys) {
		printf("\"netns\":%" PRIu64 ",\"netns_name\":", ino);
		if (name)
			json_write_string(stdout, name);
		else
			fputs("null", stdout);
		putchar(',');
	}
	json_id("from_snapshot", &p->from);
	printf(",\"from_time\":\"%s\",", from);
	json_id("to_snapshot", &p->to);
	printf(",\"to_time\":\"%s\",\"queue_threshold\":%" PRIu32, to,
	       a->queue);
}

/* The "before"/"after" values of a changed socket, into kv[2] (using
 * sub[6]); absent for the other lists. */
static void before_after(const struct sock_delta *x, struct sock_kv kv[2],
			 struct sock_kv sub[6])
{
	const struct sock_record *side[2] = { x->before, x->after };
	bool changed = x->before && x->after;

	for (int i = 0; i < 2; i++) {
		const struct sock_record *r = side[i];

		sub[3 * i] = (struct sock_kv){ .key = "state", .present = changed,
			.str = changed ? state_key(r->state) : NULL };
		sub[3 * i + 1] = (struct sock_kv){ .key = "recv_q",
			.present = changed, .num = changed ? r->rqueue : 0 };
		sub[3 * i + 2] = (struct sock_kv){ .key = "send_q",
			.present = changed, .num = changed ? r->wqueue : 0 };
		kv[i] = (struct sock_kv){ .key = i ? "after" : "before",
			.present = changed, .sub = &sub[3 * i], .nsub = 3 };
	}
}

/* The lead CSV values: in a file of several namespaces per tick "netns" and
 * "netns_name"
 * (of ino), then "change"; into lead[3].  Returns how many. */
static size_t csv_lead(const struct diff_pair *p, uint64_t ino,
		       const char *change, struct sock_kv lead[3])
{
	const char *name = db_netns_name(ino);
	size_t n = 0;

	if (p->netns_keys) {
		lead[n++] = (struct sock_kv){ .key = "netns", .num = ino,
					      .present = true };
		lead[n++] = (struct sock_kv){ .key = "netns_name", .str = name,
					      .present = name != NULL };
	}
	lead[n++] = (struct sock_kv){ .key = "change", .str = change };
	return n;
}

/* The close event's values of closed record r (NULL: none) into kv[5]:
 * absent when no event was recorded for it. */
static void event_kv(struct diff_pair *p, const struct sock_record *r,
		     struct sock_kv kv[5], char buf[2][40])
{
	long k = r && p->cs.recorded ? closed_find(&p->cs, p->boot_from,
						   r->cookie) : -1;
	struct closed_info none = { 0 };

	closed_event_kv(k >= 0 ? &p->cs.info[k] : &none, kv, buf);
	if (k >= 0)
		return;
	for (int i = 0; i < 5; i++)
		kv[i] = (struct sock_kv){ .key = kv[i].key };
}

/* The short-lived sockets: JSON objects or CSV rows (change
 * "short-lived", after the netns lead values), with absent before/after
 * values. */
static void short_lived_rows(enum out_format fmt, const struct diff_pair *p)
{
	struct sock_delta none = { 0 };
	struct sock_kv lead[3], kv[7], sub[6];
	struct sock_extra x = { .tail = kv, .ntail = 7 };
	struct json_stream js;
	char buf[2][40];

	if (fmt == OUT_JSON) {
		printf(",\n\"short_lived\":");
		sock_json_begin(&js, stdout);
	}
	before_after(&none, kv, sub);
	if (fmt == OUT_CSV) {           /* CSV: "before" then the event's */
		x.lead = lead;
		x.nlead = csv_lead(p, p->from.netns_ino, "short-lived", lead);
		kv[1] = kv[0];
		x.tail = kv + 1;
		x.ntail = 6;
	}
	for (size_t i = 0; i < p->cs.s.nrecs; i++) {
		if (p->cs.info[i].seen)
			continue;
		closed_event_kv(&p->cs.info[i], kv + 2, buf);
		if (fmt == OUT_JSON)
			sock_json_row(&js, &p->cs.s, &p->cs.s.recs[i], &x);
		else
			sock_csv_row(stdout, &p->cs.s, &p->cs.s.recs[i], &x);
	}
	if (fmt == OUT_JSON)
		fputs(p->nshort ? "\n]" : "]", stdout);
}

/* One list as a JSON array member. */
static void json_list(const char *name, struct diff_pair *p,
		      const struct sock_delta *v, size_t n)
{
	struct json_stream js;
	struct sock_kv kv[7], sub[6];
	char buf[2][40];

	printf(",\n\"%s\":", name);
	sock_json_begin(&js, stdout);
	for (size_t i = 0; i < n; i++) {
		struct sock_extra x = { .tail = kv,
					.ntail = p->cs.recorded ? 7 : 2 };
		bool closed = !v[i].after;

		before_after(&v[i], kv, sub);
		event_kv(p, closed ? v[i].before : NULL, kv + 2, buf);
		sock_json_row(&js, closed ? &p->s_from : &p->s_to,
			      closed ? v[i].before : v[i].after, &x);
	}
	fputs(n ? "\n]" : "]", stdout);
}

/* The JSON object of a diff. */
static int print_json(const struct diff_args *a, struct diff_pair *p,
		      const struct sock_diff *d)
{
	json_frames(a, p);
	json_list("opened", p, d->opened, d->nopened);
	json_list("closed", p, d->closed, d->nclosed);
	json_list("changed", p, d->changed, d->nchanged);
	if (p->cs.recorded)
		short_lived_rows(OUT_JSON, p);
	fputs("\n}\n", stdout);
	return ferror(stdout) ? -EIO : 0;
}

/* CSV rows of one list, "change" first and the before_ values last. */
static void csv_list(const char *change, struct diff_pair *p,
		     const struct sock_delta *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sock_kv lead[3], kv[7], sub[6];
		char buf[2][40];
		bool closed = !v[i].after;
		const struct snapshot *s = closed ? &p->s_from : &p->s_to;
		struct sock_extra x = { .lead = lead, .tail = kv + 1,
			.ntail = p->cs.recorded ? 6 : 1,
			.nlead = csv_lead(p, s->netns_ino, change, lead) };

		before_after(&v[i], kv + 1, sub);
		event_kv(p, closed ? v[i].before : NULL, kv + 2, buf);
		sock_csv_row(stdout, s, closed ? v[i].before : v[i].after, &x);
	}
}

/* The CSV of a diff: one row per socket (the header before the first
 * namespace's). */
static int print_csv(const struct diff_args *a, struct diff_pair *p,
		     const struct sock_diff *d, bool header)
{
	if (header && !a->fl.no_header) {
		struct sock_kv lead[3], kv[7], sub[6];
		struct sock_delta none = { 0 };
		char buf[2][40];
		struct sock_extra x = { .lead = lead, .tail = kv,
			.ntail = p->cs.recorded ? 6 : 1,
			.nlead = csv_lead(p, 0, NULL, lead) };

		before_after(&none, kv, sub);
		event_kv(p, NULL, kv + 1, buf);
		sock_csv_header(stdout, &x);
	}
	csv_list("opened", p, d->opened, d->nopened);
	csv_list("closed", p, d->closed, d->nclosed);
	csv_list("changed", p, d->changed, d->nchanged);
	if (p->cs.recorded)
		short_lived_rows(OUT_CSV, p);
	return ferror(stdout) ? -EIO : 0;
}

/* The difference TO - FROM of a group, signed ("+2", "-1", "0"). */
static void format_delta(const struct sock_diff_group *g, char *buf,
			 size_t len)
{
	int64_t v = (int64_t)g->to - (int64_t)g->from;

	snprintf(buf, len, v > 0 ? "+%" PRId64 : "%" PRId64, v);
}

/* The --by groups as a table. */
static void groups_table(const struct diff_args *a,
			 const struct sock_diff_group *g, size_t n)
{
	int w = (int)strlen(a->by->title);
	char delta[24];

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(g[i].label) > w)
			w = (int)strlen(g[i].label);
	if (!a->fl.no_header)
		printf("%-*s %8s %8s %8s %8s %8s %8s\n", w, a->by->title,
		       "From", "To", "Delta", "Opened", "Closed", "Changed");
	for (size_t i = 0; i < n; i++) {
		format_delta(&g[i], delta, sizeof(delta));
		printf("%-*s %8" PRIu32 " %8" PRIu32 " %8s %8" PRIu32 " %8"
		       PRIu32 " %8" PRIu32 "\n", w, g[i].label, g[i].from,
		       g[i].to, delta, g[i].opened, g[i].closed, g[i].changed);
	}
}

/* The --by groups as JSON or CSV rows. */
static void groups_data(const struct diff_args *a,
			const struct sock_diff_group *g, size_t n)
{
	char delta[24];

	if (a->fmt == OUT_CSV && !a->fl.no_header)
		puts("group,from,to,delta,opened,closed,changed");
	if (a->fmt == OUT_JSON)
		printf(",\"by\":\"%s\",\n\"groups\":[", a->by->name);
	for (size_t i = 0; i < n; i++) {
		format_delta(&g[i], delta, sizeof(delta));
		if (a->fmt == OUT_CSV) {
			csv_write_field(stdout, g[i].label);
		} else {
			printf("%s{\"group\":", i ? ",\n" : "\n");
			json_write_string(stdout, g[i].label);
		}
		printf(a->fmt == OUT_CSV ? ",%" PRIu32 ",%" PRIu32 ",%s,%"
		       PRIu32 ",%" PRIu32 ",%" PRIu32 "\n" :
		       ",\"from\":%" PRIu32 ",\"to\":%" PRIu32 ",\"delta\":%s,"
		       "\"opened\":%" PRIu32 ",\"closed\":%" PRIu32
		       ",\"changed\":%" PRIu32 "}", g[i].from, g[i].to,
		       delta + (delta[0] == '+'), g[i].opened, g[i].closed,
		       g[i].changed);
	}
	if (a->fmt == OUT_JSON)
		fputs(n ? "\n]}\n" : "]}\n", stdout);
}

/* The --by output. */
static int print_groups(const struct diff_args *a, const struct diff_pair *p,
			const struct sock_diff_opts *o,
			const struct sock_diff *d)
{
	struct sock_diff_group *g;
	long n = sock_diff_groups(&p->s_from, &p->s_to, o, d, a->by, &g);

	if (n < 0)
		return -ENOMEM;
	if (a->fmt == OUT_TABLE) {
		groups_table(a, g, (size_t)n);
		print_totals(p, d);
	} else {
		if (a->fmt == OUT_JSON)
			json_frames(a, p);
		groups_data(a, g, (size_t)n);
	}
	sock_diff_groups_free(g, (size_t)n);
	return ferror(stdout) ? -EIO : 0;
}

/* Compare the two snapshots of one namespace and print (the CSV header
 * when header).  Returns an exit status. */
static int run(const struct diff_args *a, struct diff_pair *p, bool header)
{
	struct sock_diff_opts o = {
		.queue_bytes = a->queue, .same_boot = p->same_boot,
		.keep = sock_select_keep, .arg = (void *)&a->sel,
	};
	struct sock_diff d;
	int r;

	if (sock_diff_compute(&p->s_from, &p->s_to, &o, &d) < 0) {
		err_msg("diff", "out of memory");
		return EXIT_FAIL;
	}
	if (p->several && a->fmt == OUT_TABLE)
		printf("# netns %s\n", db_netns_label(p->to.id ?
			p->to.netns_ino : p->from.netns_ino));
	if (a->by)
		r = print_groups(a, p, &o, &d);
	else if (a->fmt == OUT_JSON)
		r = print_json(a, p, &d);
	else if (a->fmt == OUT_CSV)
		r = print_csv(a, p, &d, header);
	else
		r = print_table(a, p, &d);
	sock_diff_free(&d);
	if (r == -ENOMEM)
		err_msg("diff", "out of memory");
	else if (r < 0)
		err_msg("stdout", "write error");
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

/* The frame of namespace ino in m, or NULL. */
static const struct frame_info *frame_of(const struct moment *m,
					 uint64_t ino)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->frames[i].netns_ino == ino)
			return &m->frames[i];
	return NULL;
}

/* Diff namespace ino: its frames of from and to (either may be missing).
 * Returns an exit status. */
static int diff_netns(struct store *st, const struct diff_args *a,
		      const struct moment *from, const struct moment *to,
		      uint64_t ino, bool first)
{
	const struct frame_info *f = frame_of(from, ino), *t = frame_of(to, ino);
	struct diff_pair p = { .several = db_netns_several(),
			       .netns_keys = db_netns_per_tick() };
	int status = EXIT_FAIL;

	p.from = f ? *f : (struct frame_info){ .time_ns = from->time_ns,
					       .netns_ino = ino };
	p.to = t ? *t : (struct frame_info){ .time_ns = to->time_ns,
					     .netns_ino = ino };
	if (snapshot_init(&p.s_from) < 0 || snapshot_init(&p.s_to) < 0 ||
	    closed_set_init(&p.cs) < 0)
		err_msg("diff", "out of memory");
	else if (load_pair(st, a, &p) == 0)
		status = run(a, &p, first);
	snapshot_free(&p.s_from);
	snapshot_free(&p.s_to);
	closed_set_free(&p.cs);
	return status;
}

/* Diff the two moments, namespace by namespace: TO's in order, then those
 * only FROM recorded.  Returns an exit status. */
static int diff_moments(struct store *st, const struct diff_args *a,
			const struct moment *from, const struct moment *to)
{
	int status = EXIT_OK;
	size_t k = 0;

	for (size_t i = 0; status == EXIT_OK && i < to->n; i++)
		status = diff_netns(st, a, from, to, to->frames[i].netns_ino,
				    k++ == 0);
	for (size_t i = 0; status == EXIT_OK && i < from->n; i++)
		if (!frame_of(to, from->frames[i].netns_ino))
			status = diff_netns(st, a, from, to,
					    from->frames[i].netns_ino,
					    k++ == 0);
	return status;
}

/* Check FROM and TO before the database is opened.  Returns 0 or -1. */
static int check_times(struct diff_args *a, int n, char **operands)
{
	struct time_spec ts;

	if (n < 2) {
		err_msg("diff", "needs FROM and TO (see 'sockhist diff --help')");
		return -1;
	}
	a->from = operands[0];
	a->to = operands[1];
	return db_parse_time(a->from, &ts) < 0 || db_parse_time(a->to, &ts) < 0 ?
	       -1 : 0;
}

/* `sockhist diff`. */
int cmd_diff(int argc, char **argv)
{
	struct diff_args a = { .fmt = OUT_TABLE,
			       .queue = SOCK_DIFF_QUEUE_DEFAULT };
	struct moment from = { 0 }, to = { 0 };
	char *operands[argc > 0 ? argc : 1];
	struct store *st = NULL;
	int n, status = EXIT_FAIL;

	sock_select_init(&a.sel);
	n = opt_parse(&diff_cmd, argc, argv, diff_opt, &a, operands);
	if (n == OPT_HELP)
		return EXIT_OK;
	if (n < 0 || check_times(&a, n, operands) < 0 ||
	    sock_select_finish(&a.sel, n - 2, operands + 2, SEL_ALL) < 0) {
		sock_select_free(&a.sel);
		return EXIT_USAGE;
	}
	if (a.with_closed && a.by) {
		err_msg("--with-closed", "not with --by");
		sock_select_free(&a.sel);
		return EXIT_USAGE;
	}
	if ((st = db_open()) && pick_moments(st, &a, &from, &to) == 0)
		status = diff_moments(st, &a, &from, &to);
	db_moment_free(&from);
	db_moment_free(&to);
	store_close(st);
	sock_select_free(&a.sel);
	return status;
}
