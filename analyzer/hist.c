/*
 * hist.c — `sockhist hist`: socket counts over time, per state or netid,
 * as max and mean per time bucket.  Reads only the stored aggregates
 * (hist_query.c); this file parses the options, settles the default range
 * and step, and prints table, CSV or JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "hist_query.h"
#include "options.h"
#include "output.h"
#include "timeexpr.h"

#define NS_PER_SEC 1000000000LL
#define DEFAULT_SPAN_NS (24 * 3600 * NS_PER_SEC)
#define BAR_WIDTH 40

enum { OPT_SINCE = OPT_LONG_ONLY, OPT_UNTIL, OPT_STEP, OPT_BY, OPT_FORMAT,
       OPT_DB };

static const struct opt_spec hist_opts[] = {
	{ OPT_SINCE, "since", "TIME", "first bucket: the one holding TIME" },
	{ OPT_UNTIL, "until", "TIME", "last bucket: the one holding TIME" },
	{ OPT_STEP, "step", "DUR", "bucket length, whole seconds (10s, 5m, 1h)" },
	{ OPT_BY, "by", "KEY", "group by state (default) or netid" },
	{ OPT_FORMAT, "format", "FMT", "table (default), json or csv" },
	{ 'H', "no-header", NULL, "no header line (table and csv)" },
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd hist_cmd = {
	.name = "hist",
	.usage = "[--since TIME] [--until TIME] [--step DUR] [--by state|netid] "
		 "[--format table|csv|json] [-H]",
	.about =
	"Socket counts over time, one row per time bucket and group (state as\n"
	"ss prints it, or netid): max = the largest count in any one snapshot\n"
	"of the bucket, mean = the average over the bucket's snapshots (a\n"
	"snapshot without the group counts as 0).  Groups are ordered by their\n"
	"largest max; a bucket without snapshots is left out.\n\n"
	"Buckets start at multiples of the step since the epoch (UTC) and are\n"
	"always whole.  Defaults: --until the newest snapshot; --since 24 hours\n"
	"before --until, or the oldest data if later; --step the smallest of\n"
	"10s 30s 1m 5m 10m 15m 30m 1h 2h 6h 12h 1d 7d giving at most 60 buckets.\n\n"
	"Only the stored counts are read, never the snapshots themselves.  A\n"
	"bucket holding raw snapshots is counted from them; once retention has\n"
	"deleted them, from the minute or hour rollups (whichever saw more of\n"
	"the bucket; a rollup is used only when its period divides the step).\n"
	"From rollups, a group of several netid x state pairs (ESTAB of tcp and\n"
	"u_str...) gets the sum of their peaks as max: an upper bound.  With\n"
	"several network namespaces recorded, each namespace's snapshot counts\n"
	"as a snapshot of its own.",
	.opts = hist_opts,
	.nopts = sizeof(hist_opts) / sizeof(hist_opts[0]),
};

/* The parsed command line. */
struct hist_args {
	struct time_spec since, until;
	int has_since, has_until;
	int64_t step_ns;             /* 0: automatic */
	const struct hist_key *key;
	enum out_format fmt;
	int no_header;
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

/* Option handler: validate every argument before the database is opened. */
static int hist_opt(void *ctx, int id, const char *arg)
{
	struct hist_args *a = ctx;

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
		if (!(a->key = hist_key_find(arg))) {
			err_msg(arg, "unknown --by key (use %s)",
				hist_key_names());
			return -1;
		}
		return 0;
	case OPT_FORMAT:
		return opt_format(arg, &a->fmt);
	case 'H':
		a->no_header = 1;
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

/* Printing state shared by the row printers. */
struct printer {
	const struct hist_args *a;
	int64_t peak;            /* largest max, the full bar */
	int unicode;             /* block characters for the bar */
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
static void print_header(const struct hist_args *a)
{
	if (a->no_header || a->fmt == OUT_JSON)
		return;
	if (a->fmt == OUT_CSV)
		puts("bucket_start,group,max,mean");
	else
		printf("%-20s  %-12s %8s %9s\n", "Bucket (UTC)", a->key->title,
		       "Max", "Mean");
}

/* hist_each_row callback: print one row in the chosen format. */
static int print_row(const struct hist_row *row, void *arg)
{
	struct printer *p = arg;
	char when[40], group[64], mean[32], bar[8 * BAR_WIDTH + 8];

	time_format_iso(row->start_ns, 0, when, sizeof(when));
	p->a->key->label(row->group, group, sizeof(group));
	format_mean(row->mean, mean, sizeof(mean));
	if (p->a->fmt == OUT_CSV) {
		printf("%s,", when);
		csv_write_field(stdout, group);
		printf(",%" PRId64 ",%s\n", row->max, mean);
	} else if (p->a->fmt == OUT_JSON) {
		printf("%s{\"bucket_start\":\"%s\",\"group\":",
		       p->rows ? ",\n" : "\n", when);
		json_write_string(stdout, group);
		printf(",\"max\":%" PRId64 ",\"mean\":%s}", row->max, mean);
	} else {
		format_bar(p, row->max, bar, sizeof(bar));
		printf("%-20s  %-12s %8" PRId64 " %9.2f%s%s\n", when, group,
		       row->max, row->mean, bar[0] ? "  " : "", bar);
	}
	p->rows++;
	return ferror(stdout) ? -1 : 0;
}

/* Print the whole histogram. */
static void print_hist(const struct hist_args *a, const struct hist *h)
{
	struct printer p = {
		.a = a,
		.peak = h->ngroups ? h->groups[0].max : 0,
		.unicode = a->fmt == OUT_TABLE && isatty(STDOUT_FILENO) &&
			   utf8_locale(),
	};

	print_header(a);
	if (a->fmt == OUT_JSON)
		putchar('[');
	hist_each_row(h, print_row, &p);
	if (a->fmt == OUT_JSON)
		fputs(p.rows ? "\n]\n" : "]\n", stdout);
}

/* Compute and print the histogram of rg.  Returns an exit status. */
static int run(struct store *st, const struct hist_args *a,
	       const struct hist_range *rg)
{
	struct hist h;
	char since[40], until[40];
	int r = hist_compute(store_sqlite(st), a->key, rg->since_ns,
			     rg->until_ns, rg->step_ns, &h);

	if (r == -ENOMEM) {
		err_msg("hist", "out of memory");
		return EXIT_FAIL;
	}
	if (r < 0) {
		err_msg(db_path(), "%s", sqlite3_errmsg(store_sqlite(st)));
		return EXIT_FAIL;
	}
	if (h.nbuckets == 0) {
		time_format_iso(rg->since_ns, 0, since, sizeof(since));
		time_format_iso(rg->until_ns, 0, until, sizeof(until));
		err_msg("hist", "no snapshots between %s and %s", since, until);
		hist_free(&h);
		return EXIT_FAIL;
	}
	print_hist(a, &h);
	hist_free(&h);
	return EXIT_OK;
}

/* `sockhist hist`. */
int cmd_hist(int argc, char **argv)
{
	struct hist_args a = { .key = hist_key_find("state"), .fmt = OUT_TABLE };
	struct hist_range rg = { 0 };
	struct store *st;
	int n, status;

	n = opt_parse_no_operands(&hist_cmd, argc, argv, hist_opt, &a);
	if (n == OPT_HELP)
		return EXIT_OK;
	if (n < 0)
		return EXIT_USAGE;
	if (!(st = db_open()))
		return EXIT_FAIL;
	status = settle_range(st, &a, &rg);
	if (status == EXIT_OK)
		status = run(st, &a, &rg);
	store_close(st);
	return status;
}
