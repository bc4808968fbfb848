/*
 * closed.c — `sockhist closed`: the connections that closed in a time
 * range, from the recorder's close events (sock_diag destroy broadcasts,
 * what `ss -E` prints), including the short-lived ones no snapshot saw.
 *
 * The selection is show's (sockselect.h: table and family flags, -a/-l,
 * the FILTER), with every state by default: a closed TCP socket is
 * reported in the state the kernel freed it in, CLOSE (ss: UNCONN) for a
 * connection, LISTEN for a listener.  Rows print in close time order, as
 * ss prints them, each followed by a continuation line with when it
 * opened and closed, how long it lived and its final byte counters; JSON
 * and CSV carry show's keys plus opened_at, closed_at, bytes_sent,
 * bytes_received and short_lived.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "closedset.h"
#include "cmd.h"
#include "db.h"
#include "options.h"
#include "output.h"
#include "sock_json.h"
#include "sockselect.h"
#include "ss_table.h"
#include "ssview.h"

#define NS_PER_SEC INT64_C(1000000000)
/* Without --since: the last hour. */
#define DEFAULT_WINDOW_NS (3600 * NS_PER_SEC)

enum {
	OPT_SINCE = OPT_LONG_ONLY, OPT_UNTIL, OPT_FORMAT, OPT_DB,
	OPT_SHORT_LIVED,
};

static const struct opt_spec closed_opts[] = {
	{ OPT_SINCE, "since", "TIME", "closed from TIME (default: an hour "
	  "before --until)" },
	{ OPT_UNTIL, "until", "TIME", "closed up to TIME (default: now)" },
	{ OPT_SHORT_LIVED, "short-lived", NULL, "only connections no "
	  "snapshot saw" },
	{ OPT_FORMAT, "format", "FMT", "table (default, as ss), json or csv" },
	SOCK_SELECT_OPTS,
	SS_VIEW_OPTS,
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd closed_cmd = {
	.name = "closed",
	.usage = "[--since TIME] [--until TIME] [--short-lived] [OPTIONS] "
		 "[FILTER]",
	.about =
	"The TCP and UDP sockets that closed between --since and --until, from\n"
	"the close events sockhistd records (as ss -E prints them), also those\n"
	"that opened and closed between two snapshots (short-lived).  Each row\n"
	"is printed as ss prints it, with the state the kernel freed it in\n"
	"(UNCONN for a connection), then a line: opened, closed, duration,\n"
	"bytes sent and received (tcp_info's final bytes_sent and\n"
	"bytes_received; a received FIN counts one).  The close time is exact\n"
	"(when the recorder read the event).  The open time of a socket a\n"
	"snapshot saw is that of the first snapshot that showed it; of a\n"
	"short-lived one it is unknown: it opened after the snapshot before\n"
	"its close, so its duration prints as a bound (\"<4.210s\").  The\n"
	"events carry no owner, uid, inode, mark or cgroup.  Selection and\n"
	"FILTER are show's, with every state by default.\n"
	"TIME: ISO 8601, HH:MM, epoch, -5m, now, @ID.",
	.examples =
	"Examples:\n"
	"  sockhist closed                               the last hour\n"
	"  sockhist closed --since -10m -tn 'dport = :443'\n"
	"  sockhist closed --since 09:00 --until 09:05 --short-lived\n"
	"  sockhist closed -t --format json",
	.opts = closed_opts,
	.nopts = sizeof(closed_opts) / sizeof(closed_opts[0]),
};

struct closed_args {
	struct sock_select sel;
	struct ss_flags fl;
	enum out_format fmt;
	struct time_spec since, until;
	bool has_since, has_until, short_lived;
};

/* Option handler for closed. */
static int closed_opt(void *ctx, int id, const char *arg)
{
	struct closed_args *a = ctx;

	if (sock_select_opt(&a->sel, id, arg) || ss_view_opt(&a->fl, id))
		return 0;
	switch (id) {
	case OPT_SINCE:
		a->has_since = true;
		return db_parse_time(arg, &a->since);
	case OPT_UNTIL:
		a->has_until = true;
		return db_parse_time(arg, &a->until);
	case OPT_SHORT_LIVED:
		a->short_lived = true;
		return 0;
	case OPT_DB:
		db_set_path(arg);
		return 0;
	case OPT_FORMAT:
		return opt_format(arg, &a->fmt);
	}
	return -1;
}

/* The table: the rows as ss prints them, each with its event's note. */
static int print_table(const struct closed_args *a,
		       const struct closed_set *cs)
{
	size_t n = cs->s.nrecs;
	const struct sock_record **rows = malloc((n + 1) * sizeof(*rows));
	const char **notes = malloc((n + 1) * sizeof(*notes));
	char *text = malloc((n + 1) * 192);
	struct ss_flags fl = a->fl;
	int r = -1;

	if (rows && notes && text) {
		for (size_t i = 0; i < n; i++) {
			rows[i] = &cs->s.recs[i];
			notes[i] = text + i * 192;
			closed_note(&cs->info[i], text + i * 192, 192);
		}
		ss_view_settle(&fl, &a->sel);
		r = ss_table_render_notes(stdout, &cs->s, rows, n, &fl, notes);
	}
	free(rows);
	free(notes);
	free(text);
	return r;
}

/* JSON or CSV rows. */
static int print_data(const struct closed_args *a, const struct closed_set *cs)
{
	struct json_stream js;
	struct closed_info none = { .opened_ns = 0 };
	struct sock_kv kv[5];
	char buf[2][40];
	struct sock_extra x = { .tail = kv, .ntail = 5 };

	closed_event_kv(&none, kv, buf);
	if (a->fmt == OUT_JSON)
		sock_json_begin(&js, stdout);
	else if (!a->fl.no_header)
		sock_csv_header(stdout, &x);
	for (size_t i = 0; i < cs->s.nrecs; i++) {
		closed_event_kv(&cs->info[i], kv, buf);
		if (a->fmt == OUT_JSON)
			sock_json_row(&js, &cs->s, &cs->s.recs[i], &x);
		else
			sock_csv_row(stdout, &cs->s, &cs->s.recs[i], &x);
	}
	if (a->fmt == OUT_JSON)
		return sock_json_end(&js);
	return ferror(stdout) ? -1 : 0;
}

/* Resolve the range: --until (default now), --since (default an hour
 * before it). */
static int resolve_range(struct store *st, const struct closed_args *a,
			 struct closed_query *q)
{
	q->until_ns = time_now_ns();
	if (a->has_until && db_resolve_time(st, &a->until, &q->until_ns) < 0)
		return -1;
	q->since_ns = q->until_ns - DEFAULT_WINDOW_NS;
	if (a->has_since && db_resolve_time(st, &a->since, &q->since_ns) < 0)
		return -1;
	if (q->since_ns > q->until_ns) {
		err_msg("--since", "is after --until");
		return -1;
	}
	return 0;
}

/* Load and print the closed connections. */
static int run(const struct closed_args *a)
{
	struct closed_query q = { .keep = sock_select_keep,
				  .arg = (void *)&a->sel,
				  .short_lived_only = a->short_lived };
	struct closed_set cs;
	struct store *st = db_open();
	int status = EXIT_FAIL;

	if (!st)
		return EXIT_FAIL;
	if (closed_set_init(&cs) < 0) {
		err_msg("closed", "out of memory");
		store_close(st);
		return EXIT_FAIL;
	}
	if (resolve_range(st, a, &q) < 0 || closed_load(st, &q, &cs) < 0)
		goto out;
	if ((a->fmt == OUT_TABLE ? print_table(a, &cs) :
	     print_data(a, &cs)) < 0)
		err_msg("stdout", "cannot write the output");
	else
		status = EXIT_OK;
out:
	closed_set_free(&cs);
	store_close(st);
	return status;
}

/* `sockhist closed`. */
int cmd_closed(int argc, char **argv)
{
	struct closed_args a = { .fmt = OUT_TABLE };
	char *operands[argc > 0 ? argc : 1];
	int n, status;

	sock_select_init(&a.sel);
	n = opt_parse(&closed_cmd, argc, argv, closed_opt, &a, operands);
	if (n == OPT_HELP)
		return EXIT_OK;
	if (n < 0)
		return EXIT_USAGE;
	if (sock_select_finish(&a.sel, n, operands, SEL_ALL) < 0)
		return EXIT_USAGE;
	status = run(&a);
	sock_select_free(&a.sel);
	return status;
}
