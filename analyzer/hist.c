/*
 * hist.c — `sockhist hist`: socket counts over time, per group of a key
 * (state, netid, port, peer, process...), as max and mean per time bucket.
 * This file parses the options and the FILTER, settles the default range
 * and step, picks the source — the stored counts (hist_query.c) when they
 * can answer exactly, else a scan of the snapshots (hist_scan.c) — folds it
 * (hist_fold.c), keeps the top groups, and prints table, CSV or JSON.
 * With --closed the source is the close events instead (closedset.h): a
 * unit per bucket, each closed socket counted once in its group.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "closedset.h"
#include "cmd.h"
#include "db.h"
#include "hist_fold.h"
#include "hist_query.h"
#include "hist_scan.h"
#include "options.h"
#include "output.h"
#include "sockkey.h"
#include "sockselect.h"
#include "timeexpr.h"

#define NS_PER_SEC 1000000000LL
#define DEFAULT_SPAN_NS (24 * 3600 * NS_PER_SEC)
#define BAR_WIDTH 40
#define TABLE_TOP 10             /* default --top of the table */
#define GROUP_WIDTH 12           /* narrowest group column of the table */

enum { OPT_SINCE = OPT_LONG_ONLY, OPT_UNTIL, OPT_STEP, OPT_BY, OPT_TOP,
       OPT_FORMAT, OPT_DB, OPT_CLOSED };

static const struct opt_spec hist_opts[] = {
	{ OPT_SINCE, "since", "TIME", "first bucket: the one holding TIME" },
	{ OPT_UNTIL, "until", "TIME", "last bucket: the one holding TIME" },
	{ OPT_STEP, "step", "DUR", "bucket length, whole seconds (10s, 5m, 1h)" },
	{ OPT_BY, "by", "KEY", "group by KEY (default state)" },
	{ OPT_TOP, "top", "N", "the N largest groups and \"other\" (0: all; "
	  "default 10 in a table)" },
	{ OPT_CLOSED, "closed", NULL, "count the connections that closed "
	  "in each bucket" },
	{ OPT_FORMAT, "format", "FMT", "table (default), json or csv" },
	{ 'H', "no-header", NULL, "no header line (table and csv)" },
	SOCK_SELECT_OPTS,
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd hist_cmd = {
	.name = "hist",
	.usage = "[--since TIME] [--until TIME] [--step DUR] [--by KEY] "
		 "[--top N]\n       [--format table|csv|json] [-H] "
		 "[-tuwx46al] [FILTER | -F FILE]",
	.about =
	"Socket counts over time, one row per time bucket and group.  KEY:\n"
	"state (as ss prints it; the default), netid, family, sport, dport,\n"
	"local, peer (addresses), process (the first owner), uid, cgroup,\n"
	"netns.  max = the largest count in any one snapshot of the bucket,\n"
	"mean = the average over the bucket's snapshots (a snapshot without\n"
	"the group counts as 0).  Groups are ordered by their largest max;\n"
	"--top keeps the N largest and sums the rest per snapshot into\n"
	"\"other\".  A bucket without snapshots is left out.  FILTER selects\n"
	"sockets as show's does (state terms, an expression, -F FILE, -t -u -w\n"
	"-x -4 -6 -a -l), but every state unless -a, -l or state terms say.\n\n"
	"Buckets start at multiples of the step since the epoch (UTC) and are\n"
	"always whole.  Defaults: --until the newest snapshot; --since 24 hours\n"
	"before --until, or the oldest data if later; --step the smallest of\n"
	"10s 30s 1m 5m 10m 15m 30m 1h 2h 6h 12h 1d 7d giving at most 60 buckets.\n\n"
	"No snapshot is decoded, only the stored counts are read, for --by\n"
	"state or netid with a FILTER of state terms and -t -u -w -x -a -l\n"
	"alone (no expression, no -4 or -6).  A bucket holding raw snapshots\n"
	"is counted from them; once retention has deleted them, from the\n"
	"minute or hour rollups (whichever saw more of the bucket; a rollup is\n"
	"used only when its period divides the step).  From rollups, a group\n"
	"of several netid x state pairs (ESTAB of tcp and u_str...) gets the\n"
	"sum of their peaks as max: an upper bound.  Every other question\n"
	"decodes the snapshots of the range; where retention left only the\n"
	"counts it cannot be answered, and says so.  With several network\n"
	"namespaces recorded, a tick's counts are summed over its namespaces\n"
	"(--netns picks some) and the tick counts as one snapshot; --by netns\n"
	"groups by namespace.\n\n"
	"--closed counts closed connections instead of open sockets: from the\n"
	"close events sockhistd records (also the short-lived connections no\n"
	"snapshot saw), every TCP or UDP socket FILTER selects is counted once,\n"
	"in the bucket holding its close time; max and mean are both that\n"
	"count, and a bucket where nothing closed is left out.  A closed socket\n"
	"is in the state the kernel freed it in (closed for a TCP connection).",
	.opts = hist_opts,
	.nopts = sizeof(hist_opts) / sizeof(hist_opts[0]),
	.examples =
	"Examples:\n"
	"  sockhist hist --since -1d --step 1h         states per hour (counts only)\n"
	"  sockhist hist --by netid -x -t --format csv\n"
	"  sockhist hist --since -1d --step 1m state close-wait sport = :8080\n"
	"  sockhist hist --by peer -t state established --top 5\n"
	"  sockhist hist --by process --since -6h 'dport = :5432'\n"
	"  sockhist hist --closed --by dport --step 1m -t    connections closed per minute",
};

/* The parsed command line. */
struct hist_args {
	struct sock_select sel;
	struct time_spec since, until;
	int has_since, has_until;
	int64_t step_ns;             /* 0: automatic */
	const struct sock_key *key;
	long top;                    /* -1: the format's default */
	enum out_format fmt;
	int no_header;
	bool closed;                 /* --closed */
};

/* Parse --step: a duration of whole seconds. */
static int parse_step(const char *arg, int64_t *step_ns)
{
	if (duration_parse(arg, step_ns) < 0) {
		err_msg(arg, "not a duration (try 10s, 5m, 1h)");
		return -1;
	}
	if (*step_ns % NS_PER_SEC != 0) {
		err_msg(arg, "the step must be a whole number of seconds");
		return -1;
	}
	return 0;
}

/* Parse --top: a count of groups, 0 for all. */
static int parse_top(const char *arg, long *top)
{
	char *end;

	errno = 0;
	*top = strtol(arg, &end, 10);
	if (end == arg || *end || errno || *top < 0) {
		err_msg(arg, "not a number of groups (0 for all)");
		return -1;
	}
	return 0;
}

/* Option handler: validate every argument before the database is opened. */
static int hist_opt(void *ctx, int id, const char *arg)
{
	struct hist_args *a = ctx;

	if (sock_select_opt(&a->sel, id, arg))
		return 0;
	switch (id) {
	case OPT_SINCE:
		a->has_since = 1;
		return db_parse_time(arg, &a->since);
	case OPT_UNTIL:
		a->has_until = 1;
		return db_parse_time(arg, &a->until);
	case OPT_STEP:
		return parse_step(arg, &a->step_ns);
	case OPT_BY:
		if (!(a->key = sock_key_find(arg))) {
			err_msg(arg, "unknown --by key (use %s)",
				sock_key_names());
			return -1;
		}
		return 0;
	case OPT_TOP:
		return parse_top(arg, &a->top);
	case OPT_FORMAT:
		return opt_format(arg, &a->fmt);
	case 'H':
		a->no_header = 1;
		return 0;
	case OPT_CLOSED:
		a->closed = true;
		return 0;
	case OPT_DB:
		db_set_path(arg);
		return 0;
	}
	return -1;
}

/* The range and step a run covers. */
struct hist_range {
	int64_t since_ns, until_ns, step_ns;
};

/* Fill in the defaults documented in --help.  Returns an exit status. */
static int apply_defaults(struct store *st, const struct hist_args *a,
			  struct hist_range *rg)
{
	int64_t oldest = 0, newest = 0;
	int r = 0;

	if (!a->has_since || !a->has_until) {
		r = hist_bounds(store_sqlite(st), &oldest, &newest);
		if (r < 0) {
			err_msg(db_path(), "%s", sqlite3_errmsg(store_sqlite(st)));
			return EXIT_FAIL;
		}
		if (r > 0) {
			err_msg(db_path(), "no snapshots recorded yet");
			return EXIT_FAIL;
		}
	}
	if (!a->has_until)    /* after --since: an empty range, not an error */
		rg->until_ns = a->has_since && rg->since_ns > newest ?
			       rg->since_ns : newest;
	if (!a->has_since) {
		rg->since_ns = rg->until_ns - DEFAULT_SPAN_NS;
		if (oldest > rg->since_ns && oldest <= rg->until_ns)
			rg->since_ns = oldest;
	}
	if (rg->since_ns > rg->until_ns) {
		err_msg("--since", "later than --until");
		return EXIT_USAGE;
	}
	if (rg->since_ns < 0)    /* no snapshot predates the epoch */
		rg->since_ns = 0;
	if (rg->until_ns < 0)
		rg->until_ns = 0;
	if (!rg->step_ns)
		rg->step_ns = hist_auto_step(rg->until_ns - rg->since_ns);
	return EXIT_OK;
}

/* Resolve --since/--until (which may name snapshots) and the defaults. */
static int settle_range(struct store *st, const struct hist_args *a,
			struct hist_range *rg)
{
	rg->step_ns = a->step_ns;
	if (a->has_since && db_resolve_time(st, &a->since, &rg->since_ns) < 0)
		return EXIT_FAIL;
	if (a->has_until && db_resolve_time(st, &a->until, &rg->until_ns) < 0)
		return EXIT_FAIL;
	return apply_defaults(st, a, rg);
}

/* Where the counts come from, and the buckets [lo_ns, hi_ns) they cover. */
struct source {
	struct store *st;
	const struct hist_args *a;
	bool counts;                 /* the stored counts, else a scan */
	struct hist_sel sel;         /* what the counts are restricted to */
	int64_t lo_ns, hi_ns, step_ns;
	int passes;
	struct hist_scan_stats stats;
	struct closed_set *cs;       /* --closed: the events of the range */
};

/* Choose the source for a and the whole buckets of rg. */
static void pick_source(struct source *src, struct store *st,
			const struct hist_args *a, const struct hist_range *rg)
{
	int64_t last = rg->until_ns - rg->until_ns % rg->step_ns;

	*src = (struct source){ .st = st, .a = a, .step_ns = rg->step_ns };
	src->counts = hist_query_key(a->key) &&
		      sock_select_netid_state(&a->sel, &src->sel.netids,
					      &src->sel.states);
	src->sel.netns = db_netns_json();
	src->lo_ns = rg->since_ns - rg->since_ns % rg->step_ns;
	src->hi_ns = last > INT64_MAX - rg->step_ns ? INT64_MAX :
		     last + rg->step_ns;
}

/* Feed f the close events: a unit per bucket, each socket counted once.
 * The events are in close time order.  Returns 0 or -ENOMEM. */
static int fold_closed(const struct source *src, struct hist_fold *f)
{
	const struct closed_set *cs = src->cs;
	int64_t bucket = -1;
	int r = 0;

	for (size_t i = 0; r == 0 && i < cs->s.nrecs; i++) {
		int64_t t = cs->info[i].closed_ns;
		int64_t b = t - t % src->step_ns;
		long g;

		if (b != bucket && bucket >= 0)
			r = hist_fold_end(f, 1);
		if (r == 0 && b != bucket)
			r = hist_fold_begin(f, t);
		bucket = b;
		g = r == 0 ? hist_fold_group(f, &cs->s, &cs->s.recs[i]) : r;
		r = g < 0 ? (int)g : hist_fold_add(f, g, 1, 1);
	}
	if (r == 0 && bucket >= 0)
		r = hist_fold_end(f, 1);
	return r;
}

/* Feed f one pass over the source; prints why not.  Returns 0 or -1. */
static int feed(struct source *src, struct hist_fold *f)
{
	int r;

	if (src->cs)
		r = fold_closed(src, f);
	else if (src->counts)
		r = hist_query_fold(store_sqlite(src->st), &src->sel,
				    src->lo_ns, src->hi_ns, src->step_ns, f);
	else
		r = hist_scan_fold(src->st, &src->a->sel, src->lo_ns,
				   src->hi_ns, src->passes == 0, f,
				   &src->stats);
	src->passes++;
	if (r == -ENOMEM)
		err_msg("hist", "out of memory");
	else if (r < 0)
		err_msg(db_path(), "%s", src->counts ?
			sqlite3_errmsg(store_sqlite(src->st)) :
			store_errmsg(src->st));
	return r < 0 ? -1 : 0;
}

/* The --top in effect: as given, else 10 for the table and all for CSV
 * and JSON. */
static size_t top_groups(const struct hist_args *a)
{
	if (a->top >= 0)
		return (size_t)a->top;
	return a->fmt == OUT_TABLE ? TABLE_TOP : 0;
}

/* Fold the source into h, then again when --top leaves groups out (from
 * the fold's log of units, or a second pass over the source).  Returns 0
 * or -1 after printing why. */
static int compute(struct source *src, struct hist *h)
{
	struct hist_fold *f;
	size_t top = top_groups(src->a);
	int r;

	if (hist_fold_new(src->a->key, src->step_ns, HIST_LOG_MAX, &f) < 0) {
		err_msg("hist", "out of memory");
		return -1;
	}
	r = feed(src, f);
	if (r == 0 && top > 0 && hist_fold_ngroups(f) > top) {
		r = hist_fold_top(f, top);
		if (r == 1)
			r = feed(src, f);
		else if (r < 0)
			err_msg("hist", "%s", strerror(-r));
	}
	if (r == 0 && (r = hist_fold_result(f, h)) < 0)
		err_msg("hist", "%s", strerror(-r));
	hist_fold_free(f);
	return r < 0 ? -1 : 0;
}

/* Printing state shared by the row printers. */
struct printer {
	const struct hist_args *a;
	int64_t peak;            /* largest max, the full bar */
	int unicode;             /* block characters for the bar */
	int width;               /* the group column's */
	size_t rows;
};

/* Does the locale environment ask for UTF-8? */
static int utf8_locale(void)
{
	const char *vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return strcasestr(v, "UTF-8") || strcasestr(v, "utf8");
	}
	return 0;
}

/* The bar for value into buf: '#' per 1/BAR_WIDTH of the peak, rounded up
 * so any non-zero value shows; or Unicode blocks in eighths. */
static void format_bar(const struct printer *p, int64_t value, char *buf,
		       size_t len)
{
	static const char *const eighths[] = {
		"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a",
		"\u2589",
	};
	int64_t units = p->unicode ? 8 * BAR_WIDTH : BAR_WIDTH;
	int64_t n = p->peak > 0 ? (value * units + p->peak - 1) / p->peak : 0;
	size_t off = 0;

	buf[0] = '\0';
	for (int64_t i = 0; i < (p->unicode ? n / 8 : n) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s",
					p->unicode ? "\u2588" : "#");
	if (p->unicode && off < len)
		snprintf(buf + off, len - off, "%s", eighths[n % 8]);
}

/* The mean with up to two decimals and no trailing zeros ("1.5", "2"). */
static void format_mean(double mean, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%.2f", mean);

	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
}

/* The header line for table and CSV output. */
static void print_header(const struct printer *p)
{
	const struct hist_args *a = p->a;

	if (a->no_header || a->fmt == OUT_JSON)
		return;
	if (a->fmt == OUT_CSV)
		puts("bucket_start,group,max,mean");
	else
		printf("%-20s  %-*s %8s %9s\n", "Bucket (UTC)", p->width,
		       a->key->title, "Max", "Mean");
}

/* hist_each_row callback: print one row in the chosen format. */
static int print_row(const struct hist_row *row, void *arg)
{
	struct printer *p = arg;
	char when[40], mean[32], bar[8 * BAR_WIDTH + 8];

	time_format_iso(row->start_ns, 0, when, sizeof(when));
	format_mean(row->mean, mean, sizeof(mean));
	if (p->a->fmt == OUT_CSV) {
		printf("%s,", when);
		csv_write_field(stdout, row->group);
		printf(",%" PRId64 ",%s\n", row->max, mean);
	} else if (p->a->fmt == OUT_JSON) {
		printf("%s{\"bucket_start\":\"%s\",\"group\":",
		       p->rows ? ",\n" : "\n", when);
		json_write_string(stdout, row->group);
		printf(",\"max\":%" PRId64 ",\"mean\":%s}", row->max, mean);
	} else {
		format_bar(p, row->max, bar, sizeof(bar));
		printf("%-20s  %-*s %8" PRId64 " %9.2f%s%s\n", when, p->width,
		       row->group, row->max, row->mean, bar[0] ? "  " : "",
		       bar);
	}
	p->rows++;
	return ferror(stdout) ? -1 : 0;
}

/* Print the whole histogram. */
static void print_hist(const struct hist_args *a, const struct hist *h)
{
	struct printer p = {
		.a = a,
		.unicode = a->fmt == OUT_TABLE && isatty(STDOUT_FILENO) &&
			   utf8_locale(),
		.width = GROUP_WIDTH,
	};

	for (size_t g = 0; g < h->ngroups; g++) {
		int len = (int)strlen(h->groups[g].label);

		if (h->groups[g].max > p.peak)
			p.peak = h->groups[g].max;
		if (len > p.width)
			p.width = len;
	}
	print_header(&p);
	if (a->fmt == OUT_JSON)
		putchar('[');
	hist_each_row(h, print_row, &p);
	if (a->fmt == OUT_JSON)
		fputs(p.rows ? "\n]\n" : "]\n", stdout);
}

/* The range as "A and B", for messages. */
static void range_text(const struct hist_range *rg, char *buf, size_t len)
{
	char since[40], until[40];

	time_format_iso(rg->since_ns, 0, since, sizeof(since));
	time_format_iso(rg->until_ns, 0, until, sizeof(until));
	snprintf(buf, len, "%s and %s", since, until);
}

/* A scan of a range where retention left only counts: an error when
 * nothing else is left (returns -1), a warning when some buckets are
 * left out.  Returns 0 otherwise. */
static int check_gone(const struct source *src, const struct hist *h)
{
	int64_t n = hist_rollup_only(store_sqlite(src->st), src->lo_ns,
				     src->hi_ns);

	if (n <= 0)
		return 0;
	if (h->nbuckets == 0) {
		err_msg("hist", "the snapshots of this range are gone "
			"(retention), and the counts kept instead answer only "
			"--by state or netid with no address, port or family "
			"filter");
		return -1;
	}
	err_msg("warning", "retention left only counts for part of the range, "
		"which this question cannot use: those buckets are left out");
	return 0;
}

/* --closed: load the events of the buckets, fold and print them.
 * Returns an exit status. */
static int run_closed(struct source *src, const struct hist_args *a,
		      const struct hist_range *rg)
{
	struct closed_query q = {
		.since_ns = src->lo_ns, .until_ns = src->hi_ns - 1,
		.keep = sock_select_keep, .arg = (void *)&a->sel,
	};
	struct closed_set cs;
	struct hist h;
	char range[96];
	int status = EXIT_FAIL;

	if (closed_set_init(&cs) < 0) {
		err_msg("hist", "out of memory");
		return EXIT_FAIL;
	}
	src->cs = &cs;
	if (closed_load(src->st, &q, &cs) < 0)
		goto out;
	if (compute(src, &h) < 0)
		goto out;
	range_text(rg, range, sizeof(range));
	if (h.ngroups == 0)
		err_msg("hist", "no connection closed between %s", range);
	print_hist(a, &h);
	hist_free(&h);
	status = EXIT_OK;
out:
	closed_set_free(&cs);
	return status;
}

/* Compute and print the histogram of rg.  Returns an exit status. */
static int run(struct store *st, const struct hist_args *a,
	       const struct hist_range *rg)
{
	struct source src;
	struct hist h;
	char range[96];

	pick_source(&src, st, a, rg);
	if (a->closed)
		return run_closed(&src, a, rg);
	if (compute(&src, &h) < 0)
		return EXIT_FAIL;
	if (!src.counts && check_gone(&src, &h) < 0) {
		hist_free(&h);
		return EXIT_FAIL;
	}
	range_text(rg, range, sizeof(range));
	if (h.nbuckets == 0) {
		err_msg("hist", "no snapshots between %s", range);
		hist_free(&h);
		return EXIT_FAIL;
	}
	if (h.ngroups == 0)
		err_msg("hist", "no socket matched in the %zu buckets between "
			"%s", h.nbuckets, range);
	print_hist(a, &h);
	hist_free(&h);
	return EXIT_OK;
}

/* `sockhist hist`. */
int cmd_hist(int argc, char **argv)
{
	struct hist_args a = { .key = sock_key_find("state"), .top = -1,
			       .fmt = OUT_TABLE };
	struct hist_range rg = { 0 };
	char *operands[argc > 0 ? argc : 1];
	struct store *st;
	int n, status;

	sock_select_init(&a.sel);
	n = opt_parse(&hist_cmd, argc, argv, hist_opt, &a, operands);
	if (n == OPT_HELP)
		return EXIT_OK;
	if (n < 0)
		return EXIT_USAGE;
	if (sock_select_finish(&a.sel, n, operands, SEL_ALL) < 0)
		return EXIT_USAGE;
	status = EXIT_FAIL;
	if ((st = db_open())) {
		status = settle_range(st, &a, &rg);
		if (status == EXIT_OK)
			status = run(st, &a, &rg);
		store_close(st);
	}
	sock_select_free(&a.sel);
	return status;
}
