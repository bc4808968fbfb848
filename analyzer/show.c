/*
 * show.c — `sockhist show`: one recorded moment, selected and printed the way
 * iproute2 6.1's `ss` would have printed it at that moment.
 *
 * The selection and row order are ss's (sockselect.h): table and family
 * flags, -a/-l, the FILTER, with ss's "connected" states by default.  Only
 * the selected sockets are materialized from the chain's state.  A moment
 * of several network namespaces (db.h) is printed namespace by namespace
 * in the frames' order, in one table with a first Netns column (only when
 * the file records several namespaces per tick and --netns leaves more
 * than one, db_netns_several, and not for --snapshot's one frame).  JSON
 * and CSV rows carry "netns" and "netns_name" whenever the file records
 * several per tick (whatever --netns, db_netns_per_tick).
 *
 * With --since/--until, show scans every snapshot of the range instead and
 * prints the matching sockets of each: the table under a "# TIME snapshot
 * ID" line per snapshot (and "netns LABEL" with several namespaces), JSON
 * and CSV with "snapshot" and "time" first.
 * The scan filters the chain's state as it is replayed and materializes
 * only the rows that match, which is what makes it fast.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "cgpath.h"
#include "cmd.h"
#include "db.h"
#include "options.h"
#include "output.h"
#include "sock_json.h"
#include "sockselect.h"
#include "ss_table.h"
#include "ssview.h"

enum {
	OPT_AT = OPT_LONG_ONLY, OPT_SNAPSHOT, OPT_FORMAT, OPT_DB, OPT_SINCE,
	OPT_UNTIL,
};

static const struct opt_spec show_opts[] = {
	{ OPT_AT, "at", "TIME", "the latest moment at or before TIME" },
	{ OPT_SNAPSHOT, "snapshot", "ID", "the snapshot with this id (one "
	  "namespace)" },
	{ OPT_SINCE, "since", "TIME", "every snapshot from TIME (with --until)" },
	{ OPT_UNTIL, "until", "TIME", "every snapshot up to TIME (default: now)" },
	{ OPT_FORMAT, "format", "FMT", "table (default, as ss), json or csv" },
	SOCK_SELECT_OPTS,
	SS_VIEW_OPTS,
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd show_cmd = {
	.name = "show",
	.usage = "[--at TIME | --snapshot ID | --since TIME [--until TIME]] "
		 "[OPTIONS] [FILTER]",
	.about = "Print the sockets of one moment (default: the latest) "
		 "exactly as ss would have.\n"
		 "A moment of several network namespaces (one snapshot each, "
		 "the same time) prints\nthem in turn in one table with a "
		 "first Netns column; --netns picks some,\n--snapshot ID is "
		 "one namespace's snapshot.\n"
		 "FILTER := { state|exclude STATE } [ EXPRESSION ], ss(8)'s, "
		 "from the operands and/or -F FILE:\n"
		 "  src|dst [=] [inet:|inet6:|unix:]HOST  HOST: ADDR[/LEN][:PORT], "
		 "[IPV6][:PORT], *:PORT, a unix glob\n"
		 "  sport|dport [= != < > <= >=] PORT   dev|fwmark|cgroup [=|!=] "
		 "NAME|MARK[/MASK]|PATH   autobound\n"
		 "  and (&&), or (||), not (!), ( ), left to right.  "
		 "STATE: a state or all, connected, synchronized,\n"
		 "  bucket, big.  Devices and the ephemeral range (autobound) "
		 "are looked up here;\n  cgroup paths as recorded (files "
		 "before format 4: here).\n"
		 "TIME: ISO 8601, HH:MM, epoch, -5m, now, @ID (the moment at "
		 "its time).",
	.opts = show_opts,
	.nopts = sizeof(show_opts) / sizeof(show_opts[0]),
	.examples =
	"Examples:\n"
	"  sockhist show -tan                          the latest snapshot, as ss -tan\n"
	"  sockhist show --at 03:12 -tanp state established\n"
	"  sockhist show --at -2h -temio 'dport = :443'  two hours ago, with details\n"
	"  sockhist show -xa 'src unix:/run/*'          unix sockets by path glob\n"
	"  sockhist show --since -1h -tan 'dst 10.0.0.0/8 and sport = :5432'\n"
	"  sockhist show --snapshot 42 -tuwxa --format json\n"
	"  sockhist show --netns web -tan              one namespace's sockets",
};

struct show_args {
	struct sock_select sel;
	struct frame_sel frame;
	struct ss_flags fl;
	enum out_format fmt;
	struct time_spec since, until;  /* range mode when either is given */
	bool range, has_since, has_until;
};

/* Option handler for show. */
static int show_opt(void *ctx, int id, const char *arg)
{
	struct show_args *a = ctx;

	if (sock_select_opt(&a->sel, id, arg) || ss_view_opt(&a->fl, id))
		return 0;
	switch (id) {
	case OPT_AT:
		a->frame.at = arg;
		return 0;
	case OPT_SNAPSHOT:
		a->frame.snapshot = arg;
		return 0;
	case OPT_SINCE:
		a->range = a->has_since = true;
		return db_parse_time(arg, &a->since);
	case OPT_UNTIL:
		a->range = a->has_until = true;
		return db_parse_time(arg, &a->until);
	case OPT_DB:
		db_set_path(arg);
		return 0;
	case OPT_FORMAT:
		return opt_format(arg, &a->fmt);
	}
	return -1;
}

/* Where show's rows go: one table, or a JSON array / CSV. */
struct emit {
	const struct show_args *a;
	struct json_stream js;
	bool csv_header_done;
};

/* Write rows of s (one namespace) as JSON or CSV, with its namespace's
 * keys when the file records several per tick, tagged when tag is not
 * NULL.  Returns 0 or -EIO. */
static int emit_data(struct emit *e, const struct snapshot *s,
		     const struct sock_record **rows, size_t n,
		     const struct row_tag *tag)
{
	const char *name = db_netns_name(s->netns_ino);
	const struct sock_kv lead[2] = {
		{ .key = "netns", .num = s->netns_ino, .present = true },
		{ .key = "netns_name", .str = name, .present = name != NULL },
	};
	const struct sock_extra x = { .tag = tag, .lead = lead,
				      .nlead = db_netns_per_tick() ? 2 : 0 };

	if (e->a->fmt == OUT_JSON) {
		for (size_t i = 0; i < n; i++)
			sock_json_row(&e->js, s, rows[i], &x);
		return ferror(stdout) ? -EIO : 0;
	}
	if (!e->csv_header_done && !e->a->fl.no_header)
		sock_csv_header(stdout, &x);
	e->csv_header_done = true;
	for (size_t i = 0; i < n; i++)
		sock_csv_row(stdout, s, rows[i], &x);
	return ferror(stdout) ? -EIO : 0;
}

/* Write the rows of one table: b[0..nb), one block per namespace. */
static int render_table(const struct show_args *a, const struct ss_block *b,
			size_t nb)
{
	struct ss_flags fl = a->fl;

	ss_view_settle(&fl, &a->sel);
	return ss_table_render_blocks(stdout, b, nb, &fl);
}

/* Does the output print raw attribute bytes (see ssview.h)? */
static bool needs_blobs(const struct show_args *a)
{
	return ss_view_needs_blobs(&a->fl, a->fmt);
}

/* Print the selected rows of the moment's snapshots s[0..n): the table
 * with a Netns column when several namespaces are in view (not for the one
 * frame of --snapshot). */
static int print_moment(const struct show_args *a, struct snapshot *s,
			size_t n)
{
	struct emit e = { .a = a };
	struct ss_block *b = calloc(n, sizeof(*b));
	bool labels = db_netns_several() && !a->frame.snapshot;
	size_t i;
	int r = b ? 0 : -ENOMEM;

	for (i = 0; r == 0 && i < n; i++) {
		const struct sock_record **rows;
		long k = sock_select_rows(&a->sel, &s[i], &rows);

		if (k < 0)
			r = -ENOMEM;
		else
			b[i] = (struct ss_block){ .s = &s[i], .rows = rows,
				.n = (size_t)k, .netns = labels ?
				db_netns_label(s[i].netns_ino) : NULL };
	}
	if (r == 0 && a->fmt == OUT_TABLE) {
		r = render_table(a, b, n);
	} else if (r == 0) {
		if (a->fmt == OUT_JSON)
			sock_json_begin(&e.js, stdout);
		for (i = 0; r == 0 && i < n; i++)
			r = emit_data(&e, b[i].s, (const struct sock_record **)
				      b[i].rows, b[i].n, NULL);
		if (a->fmt == OUT_JSON && sock_json_end(&e.js) < 0)
			r = -EIO;
	}
	if (r == -ENOMEM)
		err_msg("show", "out of memory");
	for (i = 0; b && i < n; i++)
		free((void *)b[i].rows);
	free(b);
	return r;
}

/* Load the chosen moment, materializing only the selected sockets of each
 * of its frames, and print them. */
static int show_moment(const struct show_args *a)
{
	struct moment m = { 0 };
	struct snapshot *s = NULL;
	struct store *st = db_open();
	size_t loaded = 0;
	int status = EXIT_FAIL;

	if (!st)
		return EXIT_FAIL;
	store_set_skip_blobs(st, !needs_blobs(a));
	if (db_pick_moment(st, &a->frame, &m) < 0)
		goto out;
	if (!(s = calloc(m.n, sizeof(*s)))) {
		err_msg("show", "out of memory");
		goto out;
	}
	for (; loaded < m.n; loaded++) {
		if (snapshot_init(&s[loaded]) < 0) {
			err_msg("show", "out of memory");
			goto out;
		}
		if (db_load_frame(st, &m.frames[loaded], &s[loaded],
				  sock_select_keep, (void *)&a->sel) < 0) {
			loaded++;
			goto out;
		}
	}
	if (print_moment(a, s, m.n) == 0)
		status = EXIT_OK;
out:
	for (size_t i = 0; i < loaded; i++)
		snapshot_free(&s[i]);
	free(s);
	db_moment_free(&m);
	store_close(st);
	return status;
}

/* A range scan in progress. */
struct scan {
	const struct show_args *a;
	struct snapshot out;            /* the matching rows, real values */
	struct emit e;
	size_t frames;
};

/* Print one snapshot's matching rows in range mode. */
static int scan_print(struct scan *x, const struct frame_info *fi,
		      const struct snapshot *s)
{
	const struct sock_record **rows;
	struct row_tag tag = { fi->id, fi->time_ns };
	long n = sock_select_rows(&x->a->sel, s, &rows);
	int r;

	if (n < 0)
		return -ENOMEM;
	if (x->a->fmt != OUT_TABLE) {
		r = emit_data(&x->e, s, rows, (size_t)n, &tag);
	} else {
		struct ss_block b = { .s = s, .rows = rows, .n = (size_t)n };
		char when[40];

		time_format_iso(fi->time_ns, 0, when, sizeof(when));
		printf("# %s snapshot %" PRId64, when, fi->id);
		if (db_netns_several())
			printf(" netns %s", db_netns_label(fi->netns_ino));
		putchar('\n');
		r = render_table(x->a, &b, 1);
	}
	free(rows);
	return r;
}

/* store_scan callback: filter the state, print what matches. */
static int scan_frame(const struct frame_info *fi, const struct snapshot *s,
		      const struct chain *c, void *arg)
{
	struct scan *x = arg;
	size_t i = 0;

	cgpath_frame(fi);
	x->frames++;
	while (i < s->nrecs && !sock_select_match(&x->a->sel, s, &s->recs[i]))
		i++;
	if (i == s->nrecs)
		return 0;
	if (c) {
		if (chain_materialize(c, &x->out, sock_select_keep,
				      (void *)&x->a->sel) < 0)
			return -ENOMEM;
		s = &x->out;
	}
	return scan_print(x, fi, s) < 0 ? -EIO : 0;
}

/* store_scan callback: a chain that cannot be read, as a warning. */
static void scan_damaged(const char *msg, void *arg)
{
	(void)arg;
	err_msg("warning", "%s", msg);
}

/* The range of --since/--until as ns; the defaults are the first frame and
 * now. */
static int scan_range(struct store *st, const struct show_args *a,
		      int64_t *since, int64_t *until)
{
	*since = INT64_MIN;
	*until = INT64_MAX;
	if (a->has_since && db_resolve_time(st, &a->since, since) < 0)
		return -1;
	if (a->has_until && db_resolve_time(st, &a->until, until) < 0)
		return -1;
	return 0;
}

/* Scan every snapshot of the range and print what matches. */
static int show_range(const struct show_args *a)
{
	struct scan x = { .a = a, .e = { .a = a } };
	struct scan_ops ops = { scan_frame, scan_damaged, !needs_blobs(a),
				db_scan_want };
	struct store *st;
	int64_t since, until;
	int r, status = EXIT_FAIL;

	if (a->frame.at || a->frame.snapshot) {
		err_msg("--since/--until", "not with --at or --snapshot");
		return EXIT_USAGE;
	}
	if (!(st = db_open()))
		return EXIT_FAIL;
	if (snapshot_init(&x.out) < 0 || scan_range(st, a, &since, &until) < 0)
		goto out;
	if (a->fmt == OUT_JSON)
		sock_json_begin(&x.e.js, stdout);
	r = store_scan(st, since, until, &ops, &x);
	if (a->fmt == OUT_JSON && sock_json_end(&x.e.js) < 0 && r == 0)
		r = -EIO;
	if (r < 0)
		err_msg(db_path(), "%s", r == -EIO ? "cannot write the output" :
			store_errmsg(st));
	else if (x.frames == 0)
		err_msg("show", "no snapshots in that range");
	else
		status = EXIT_OK;
out:
	snapshot_free(&x.out);
	store_close(st);
	return status;
}

/* `sockhist show`. */
int cmd_show(int argc, char **argv)
{
	struct show_args a = { .fmt = OUT_TABLE };
	char *operands[argc > 0 ? argc : 1];
	int n, status;

	sock_select_init(&a.sel);
	n = opt_parse(&show_cmd, argc, argv, show_opt, &a, operands);
	if (n == OPT_HELP)
		return EXIT_OK;
	if (n < 0)
		return EXIT_USAGE;
	if (sock_select_finish(&a.sel, n, operands, SEL_CONNECTED) < 0)
		return EXIT_USAGE;
	status = a.range ? show_range(&a) : show_moment(&a);
	sock_select_free(&a.sel);
	return status;
}
