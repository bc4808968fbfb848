/*
 * show.c — `sockhist show`: one recorded moment, selected and printed the way
 * iproute2 6.1's `ss` would have printed it at that moment.
 *
 * The selection follows ss's main(): family/table flags (-t -u -w -x -4 -6)
 * each add their table's or family's default states, -a / -l / `state` /
 * `exclude` replace the states, no table or family flag means every table
 * with the "connected" states, and then tables and families complete each
 * other (filter_merge_defaults in ss).  Rows come out in ss's dump order:
 * unix, raw, udp, tcp, IPv4 before IPv6 within a table; cookie order inside.
 *
 * With --since/--until, show scans every snapshot of the range instead and
 * prints the matching sockets of each: the table under a "# TIME snapshot
 * ID" line per snapshot, JSON and CSV with "snapshot" and "time" first.
 * The scan filters the chain's state as it is replayed and materializes
 * only the rows that match, which is what makes it fast.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "filter.h"
#include "options.h"
#include "output.h"
#include "sock_json.h"
#include "sockenum.h"
#include "ss_table.h"

#define BIT(n) (1u << (n))
/* ss's SS_ALL and SS_CONN over kernel state numbers 0..SS_CLOSING. */
#define SS_ALL_MASK (BIT(SS_CLOSING + 1) - 1)
#define SS_CONN_MASK (SS_ALL_MASK & ~(BIT(SS_LISTEN) | BIT(SS_CLOSE) | \
				      BIT(SS_TIME_WAIT) | BIT(SS_SYN_RECV)))

/* Tables ("dbs" in ss) are our netids; families are bits of their own. */
#define DB_UNIX (BIT(NETID_U_STR) | BIT(NETID_U_DGR) | BIT(NETID_U_SEQ))
#define DB_INET (BIT(NETID_TCP) | BIT(NETID_UDP) | BIT(NETID_RAW))
#define DB_ALL (DB_UNIX | DB_INET)
enum { FAM_UNIX = 1, FAM_INET = 2, FAM_INET6 = 4 };

enum {
	OPT_AT = OPT_LONG_ONLY, OPT_SNAPSHOT, OPT_FORMAT, OPT_TOS, OPT_CGROUP,
	OPT_DB, OPT_SINCE, OPT_UNTIL,
};

static const struct opt_spec show_opts[] = {
	{ OPT_AT, "at", "TIME", "the latest snapshot at or before TIME" },
	{ OPT_SNAPSHOT, "snapshot", "ID", "the snapshot with this id" },
	{ OPT_SINCE, "since", "TIME", "every snapshot from TIME (with --until)" },
	{ OPT_UNTIL, "until", "TIME", "every snapshot up to TIME (default: now)" },
	{ OPT_FORMAT, "format", "FMT", "table (default, as ss), json or csv" },
	{ 't', "tcp", NULL, "display TCP sockets" },
	{ 'u', "udp", NULL, "display UDP sockets" },
	{ 'w', "raw", NULL, "display RAW sockets" },
	{ 'x', "unix", NULL, "display Unix domain sockets" },
	{ '4', "ipv4", NULL, "display only IP version 4 sockets" },
	{ '6', "ipv6", NULL, "display only IP version 6 sockets" },
	{ 'a', "all", NULL, "display all sockets" },
	{ 'l', "listening", NULL, "display listening sockets" },
	{ 'n', "numeric", NULL, "don't resolve service names" },
	{ 'e', "extended", NULL, "show detailed socket information" },
	{ 'm', "memory", NULL, "show socket memory usage" },
	{ 'i', "info", NULL, "show internal TCP information" },
	{ 'o', "options", NULL, "show timer information" },
	{ 'p', "processes", NULL, "show process using socket" },
	{ OPT_TOS, "tos", NULL, "show tos and priority information" },
	{ OPT_CGROUP, "cgroup", NULL, "show cgroup information" },
	{ 'H', "no-header", NULL, "suppress the header line" },
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd show_cmd = {
	.name = "show",
	.usage = "[--at TIME | --snapshot ID | --since TIME [--until TIME]] "
		 "[OPTIONS] [FILTER]",
	.about = "Print the sockets of one snapshot (default: the latest) "
		 "exactly as ss would have.\n"
		 "FILTER := [ state STATE-FILTER ] [ EXPRESSION ], as in ss(8): "
		 "src/dst ADDR[/LEN][:PORT],\n"
		 "sport/dport OP PORT, and/or/not, ( ).  TIME: ISO 8601, HH:MM, "
		 "epoch, -5m, now, @ID.",
	.opts = show_opts,
	.nopts = sizeof(show_opts) / sizeof(show_opts[0]),
};

/* What ss's option loop accumulates. */
struct selection {
	uint32_t dbs;
	uint32_t families;
	uint32_t states;       /* from table/family defaults */
	uint32_t state_filter; /* from -a / -l / state terms; 0 = none */
	bool do_default;       /* no table or family flag given */
	int preferred;         /* ss's preferred_family: the last -4/-6/-x */
};

struct show_args {
	struct selection sel;
	struct frame_sel frame;
	struct ss_flags fl;
	enum out_format fmt;
	struct time_spec since, until;  /* range mode when either is given */
	bool range, has_since, has_until;
};

/* A table flag: ss's filter_db_set(). */
static void add_db(struct selection *sel, unsigned netid, uint32_t states)
{
	sel->dbs |= BIT(netid);
	sel->states |= states;
	sel->do_default = false;
}

/* A family flag: ss's filter_af_set(). */
static void add_family(struct selection *sel, uint32_t fam, int af)
{
	sel->families |= fam;
	sel->states |= SS_CONN_MASK;
	sel->preferred = af;
	sel->do_default = false;
}

/* Table and family flags. */
static bool selection_opt(struct selection *sel, int id)
{
	switch (id) {
	case 't':
		add_db(sel, NETID_TCP, SS_CONN_MASK);
		return true;
	case 'u':
		add_db(sel, NETID_UDP, BIT(SS_ESTABLISHED));
		return true;
	case 'w':
		add_db(sel, NETID_RAW, BIT(SS_ESTABLISHED));
		return true;
	case 'x':
		add_family(sel, FAM_UNIX, AF_UNIX);
		return true;
	case '4':
		add_family(sel, FAM_INET, AF_INET);
		return true;
	case '6':
		add_family(sel, FAM_INET6, AF_INET6);
		return true;
	case 'a':
		sel->state_filter = SS_ALL_MASK;
		return true;
	case 'l':
		sel->state_filter = BIT(SS_LISTEN) | BIT(SS_CLOSE);
		return true;
	}
	return false;
}

/* Display flags. */
static bool display_opt(struct ss_flags *fl, int id)
{
	bool *flag = NULL;

	switch (id) {
	case 'n': flag = &fl->numeric; break;
	case 'e': flag = &fl->extended; break;
	case 'm': flag = &fl->memory; break;
	case 'i': flag = &fl->info; break;
	case 'o': flag = &fl->options; break;
	case 'p': flag = &fl->processes; break;
	case 'H': flag = &fl->no_header; break;
	case OPT_TOS: flag = &fl->tos; break;
	case OPT_CGROUP: flag = &fl->cgroup; break;
	}
	if (flag)
		*flag = true;
	return flag != NULL;
}

/* Option handler for show. */
static int show_opt(void *ctx, int id, const char *arg)
{
	struct show_args *a = ctx;

	if (selection_opt(&a->sel, id) || display_opt(&a->fl, id))
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

/* The families a table belongs to. */
static uint32_t db_families(unsigned netid)
{
	return BIT(netid) & DB_UNIX ? FAM_UNIX : FAM_INET | FAM_INET6;
}

/* The tables of a family. */
static uint32_t family_dbs(uint32_t fam)
{
	return fam == FAM_UNIX ? DB_UNIX : DB_INET;
}

/* Apply ss's defaults and merge tables with families (after the flags and
 * the state terms are known). */
static void selection_finish(struct selection *sel)
{
	if (sel->do_default) {
		if (!sel->state_filter)
			sel->state_filter = SS_CONN_MASK;
		sel->dbs = DB_ALL;
	}
	if (sel->state_filter)
		sel->states = sel->state_filter;
	for (unsigned n = 0; n < NETID_COUNT; n++)
		if ((sel->dbs & BIT(n)) && !(db_families(n) & sel->families))
			sel->families |= db_families(n);
	for (uint32_t fam = FAM_UNIX; fam <= FAM_INET6; fam <<= 1)
		if ((sel->families & fam) && !(family_dbs(fam) & sel->dbs))
			sel->dbs |= family_dbs(fam);
}

/* The family bit of a record. */
static uint32_t record_family(const struct sock_record *r)
{
	switch (r->family) {
	case AF_UNIX:
		return FAM_UNIX;
	case AF_INET:
		return FAM_INET;
	case AF_INET6:
		return FAM_INET6;
	}
	return 0;
}

/* ss dumps tcp and udp over netlink for its preferred family only, when it
 * has one (`-6 -4` shows IPv4 alone).  Raw sockets come from /proc/net/raw{,6}
 * whenever the kernel lacks raw_diag (as on Debian 12), which honours the
 * families but not the preferred one. */
static bool preferred_family_ok(const struct selection *sel,
				const struct sock_record *r, uint32_t fam)
{
	if (fam == FAM_UNIX || r->netid == NETID_RAW)
		return true;
	if (sel->preferred == AF_INET)
		return fam == FAM_INET;
	if (sel->preferred == AF_INET6)
		return fam == FAM_INET6;
	return true;
}

/* True if ss would have asked the kernel for r and kept it. */
static bool selected(const struct selection *sel, const struct sock_record *r)
{
	unsigned state = r->state == SS_NEW_SYN_RECV ? SS_SYN_RECV : r->state;
	uint32_t fam = record_family(r);

	if (r->netid >= NETID_COUNT || !(sel->dbs & BIT(r->netid)))
		return false;
	if (!(sel->families & fam) || state > SS_CLOSING)
		return false;
	if (!preferred_family_ok(sel, r, fam))
		return false;
	return sel->states & BIT(state);
}

/* ss's dump order: the rank of r's group (unix; raw, udp, tcp by family). */
static int group_rank(const struct sock_record *r)
{
	int v6 = r->family == AF_INET6;

	switch (r->netid) {
	case NETID_RAW:
		return 1 + v6;
	case NETID_UDP:
		return 3 + v6;
	case NETID_TCP:
		return 5 + v6;
	}
	return 0;
}

#define GROUPS 7

/* Collect the selected, matching records of s in ss's order.  Returns the
 * count, or -1 when out of memory. */
static long collect_rows(const struct snapshot *s, const struct selection *sel,
			 const struct filter *f, const struct sock_record ***out)
{
	const struct sock_record **rows = malloc(sizeof(*rows) *
						 (s->nrecs ? s->nrecs : 1));
	long n = 0;

	if (!rows)
		return -1;
	for (int g = 0; g < GROUPS; g++) {
		for (size_t i = 0; i < s->nrecs; i++) {
			const struct sock_record *r = &s->recs[i];

			if (group_rank(r) == g && selected(sel, r) &&
			    filter_match(f, s, r))
				rows[n++] = r;
		}
	}
	*out = rows;
	return n;
}

/* Count the set bits of v. */
static int popcount(uint32_t v)
{
	return __builtin_popcount(v);
}

/* The terminal width as ss measures it; 0 when stdout is not a terminal. */
static int screen_width(void)
{
	struct winsize w;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) != -1 &&
	    w.ws_col > 0)
		return w.ws_col;
	return 0;
}

/* Write the rows in the chosen format. */
static int render(const struct show_args *a, const struct snapshot *s,
		  const struct sock_record **rows, size_t n)
{
	struct ss_flags fl = a->fl;

	switch (a->fmt) {
	case OUT_JSON:
		return sock_json_write(stdout, s, rows, n);
	case OUT_CSV:
		return sock_csv_write(stdout, s, rows, n, fl.no_header, NULL);
	case OUT_TABLE:
		break;
	}
	fl.show_netid = popcount(a->sel.dbs) > 1;
	fl.show_state = popcount(a->sel.states) > 1;
	fl.screen_width = screen_width();
	return ss_table_render(stdout, s, rows, n, &fl);
}

/* Does the output print raw attribute bytes (tcp_info and congestion
 * control with -i, a unix listener's pending connections with -e; JSON and
 * CSV always)? */
static bool needs_blobs(const struct show_args *a)
{
	return a->fmt != OUT_TABLE || a->fl.info || a->fl.extended;
}

/* Load the chosen frame and print its selected sockets. */
static int show_frame(const struct show_args *a, const struct filter *f)
{
	struct snapshot s;
	struct frame_info fi;
	const struct sock_record **rows = NULL;
	struct store *st = db_open();
	int status = EXIT_FAIL;
	long n;

	if (!st)
		return EXIT_FAIL;
	if (snapshot_init(&s) < 0) {
		err_msg("show", "out of memory");
		store_close(st);
		return EXIT_FAIL;
	}
	store_set_skip_blobs(st, !needs_blobs(a));
	if (db_pick_frame(st, &a->frame, &fi) == 0 &&
	    db_load_frame(st, &fi, &s) == 0) {
		n = collect_rows(&s, &a->sel, f, &rows);
		if (n < 0)
			err_msg("show", "out of memory");
		else if (render(a, &s, rows, (size_t)n) == 0)
			status = EXIT_OK;
	}
	free(rows);
	snapshot_free(&s);
	store_close(st);
	return status;
}

/* A range scan in progress. */
struct scan {
	const struct show_args *a;
	const struct filter *f;
	struct snapshot out;            /* the matching rows, real values */
	struct json_stream js;
	size_t frames;
	bool csv_header_done;
};

/* Would show print r?  (chain_materialize's row filter.) */
static int keep_row(const struct snapshot *s, const struct sock_record *r,
		    void *arg)
{
	const struct scan *x = arg;

	return selected(&x->a->sel, r) && filter_match(x->f, s, r);
}

/* Print one snapshot's matching rows in range mode. */
static int scan_print(struct scan *x, const struct frame_info *fi,
		      const struct snapshot *s)
{
	const struct sock_record **rows;
	struct row_tag tag = { fi->id, fi->time_ns };
	long n = collect_rows(s, &x->a->sel, x->f, &rows);
	int r = 0;

	if (n < 0)
		return -ENOMEM;
	if (x->a->fmt == OUT_JSON) {
		sock_json_rows(&x->js, s, rows, (size_t)n, &tag);
	} else if (x->a->fmt == OUT_CSV) {
		r = sock_csv_write(stdout, s, rows, (size_t)n,
				   x->a->fl.no_header || x->csv_header_done, &tag);
		x->csv_header_done = true;
	} else {
		char when[40];
		time_format_iso(fi->time_ns, 0, when, sizeof(when));
		printf("# %s snapshot %" PRId64 "\n", when, fi->id);
		r = render(x->a, s, rows, (size_t)n);
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

	x->frames++;
	while (i < s->nrecs && !keep_row(s, &s->recs[i], x))
		i++;
	if (i == s->nrecs)
		return 0;
	if (c) {
		if (chain_materialize(c, &x->out, keep_row, x) < 0)
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
static int show_range(const struct show_args *a, const struct filter *f)
{
	struct scan x = { .a = a, .f = f };
	struct scan_ops ops = { scan_frame, scan_damaged, !needs_blobs(a) };
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
		sock_json_begin(&x.js, stdout);
	r = store_scan(st, since, until, &ops, &x);
	if (a->fmt == OUT_JSON && sock_json_end(&x.js) < 0 && r == 0)
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
	struct show_args a = { .sel = { .do_default = true }, .fmt = OUT_TABLE };
	char *operands[argc > 0 ? argc : 1];
	char err[256];
	uint32_t states;
	struct filter *f;
	int n, status;

	n = opt_parse(&show_cmd, argc, argv, show_opt, &a, operands);
	if (n == OPT_HELP)
		return EXIT_OK;
	if (n < 0)
		return EXIT_USAGE;
	f = filter_parse(n, operands, &states, err, sizeof(err));
	if (!f) {
		err_msg("filter", "%s", err);
		return EXIT_USAGE;
	}
	if (filter_states_given(f))
		a.sel.state_filter = states;
	selection_finish(&a.sel);
	status = a.range ? show_range(&a, f) : show_frame(&a, f);
	filter_free(f);
	return status;
}
