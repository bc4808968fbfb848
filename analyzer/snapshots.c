/*
 * snapshots.c — `sockhist snapshots`: list the recorded frames with their
 * time and socket counts, from the frame rows alone (no blob is decoded).
 *
 * With several network namespaces recorded each frame is one namespace at
 * one tick: a Netns column (JSON and CSV: "netns" and "netns_name") names
 * it.  --ticks folds the frames of one tick into one line (the first
 * frame's id, the number of namespaces, the sums), which keeps the list
 * short with dozens of namespaces; --netns keeps some namespaces.
 */
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>

#include "cmd.h"
#include "db.h"
#include "options.h"
#include "output.h"
#include "sockenum.h"
#include "timeexpr.h"

enum { OPT_FORMAT = OPT_LONG_ONLY, OPT_TICKS, OPT_DB };

static const struct opt_spec snapshot_opts[] = {
	{ OPT_FORMAT, "format", "FMT", "table (default), json or csv" },
	{ OPT_TICKS, "ticks", NULL, "one line per tick: its namespaces summed" },
	{ 'H', "no-header", NULL, "no header line (table and csv)" },
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd snapshots_cmd = {
	.name = "snapshots",
	.usage = "[--ticks] [--format table|json|csv] [-H]",
	.about = "List every recorded snapshot: id, time (UTC), total sockets "
		 "and sockets per netid.\n"
		 "With several network namespaces recorded, a snapshot is one "
		 "namespace at one tick,\nnamed in a Netns column; --ticks "
		 "prints one line per tick instead (its first\nsnapshot, "
		 "how many namespaces, their sums).\n"
		 "Reads only the frame rows, never the snapshots themselves.",
	.examples =
		 "Examples:\n"
		 "  sockhist snapshots                  every snapshot, as a table\n"
		 "  sockhist snapshots --format csv -H  for a spreadsheet or awk\n"
		 "  sockhist snapshots --ticks          a line per tick, all namespaces\n"
		 "  sockhist snapshots --netns web      one namespace's snapshots\n"
		 "  sockhist --db /var/lib/sockhist.db snapshots | tail",
	.opts = snapshot_opts,
	.nopts = sizeof(snapshot_opts) / sizeof(snapshot_opts[0]),
};

struct list_state {
	enum out_format fmt;
	int no_header;
	bool ticks;              /* --ticks */
	bool netns;              /* a namespace column (not with --ticks): in
				  * tables with several in view, in JSON and
				  * CSV when the file records several
				  * per tick */
	size_t rows;
	struct frame_info tick;  /* --ticks: the sums of the open tick */
	uint32_t nframes;        /* its frames; 0: none open */
};

/* Option handler. */
static int snapshots_opt(void *ctx, int id, const char *arg)
{
	struct list_state *ls = ctx;

	switch (id) {
	case OPT_FORMAT:
		return opt_format(arg, &ls->fmt);
	case 'H':
		ls->no_header = 1;
		return 0;
	case OPT_TICKS:
		ls->ticks = true;
		return 0;
	case OPT_DB:
		db_set_path(arg);
		return 0;
	}
	return -1;
}

/* The header line for table and CSV output. */
static void print_header(const struct list_state *ls)
{
	if (ls->no_header || ls->fmt == OUT_JSON)
		return;
	if (ls->fmt == OUT_CSV) {
		fputs("id,time", stdout);
		if (ls->netns)
			fputs(",netns,netns_name", stdout);
		if (ls->ticks)
			fputs(",netns_count", stdout);
		fputs(",sockets", stdout);
		for (unsigned n = 0; n < NETID_FRAME_COLS; n++)
			printf(",%s", netid_name(n));
	} else {
		printf("%-8s %-20s ", "ID", "Time");
		if (ls->netns)
			printf("%-16s ", "Netns");
		if (ls->ticks)
			printf("%5s ", "Netns");
		printf("%8s", "Sockets");
		for (unsigned n = 0; n < NETID_FRAME_COLS; n++)
			printf(" %7s", netid_name(n));
	}
	putchar('\n');
}

/* One frame as a JSON object (comma-separated from the previous one). */
static void print_json(const struct list_state *ls, const struct frame_info *fi,
		       const char *when)
{
	const char *name = db_netns_name(fi->netns_ino);

	printf("%s{\"id\":%" PRId64 ",\"time\":", ls->rows ? ",\n" : "\n",
	       fi->id);
	json_write_string(stdout, when);
	if (ls->netns) {
		printf(",\"netns\":%" PRIu64 ",\"netns_name\":", fi->netns_ino);
		if (name)
			json_write_string(stdout, name);
		else
			fputs("null", stdout);
	}
	if (ls->ticks)
		printf(",\"netns_count\":%" PRIu32, ls->nframes);
	printf(",\"sockets\":%" PRIu32, fi->total);
	for (unsigned n = 0; n < NETID_FRAME_COLS; n++)
		printf(",\"%s\":%" PRIu32, netid_name(n), fi->counts[n]);
	putchar('}');
}

/* Print one line: a frame, or a tick's sums. */
static int print_line(struct list_state *ls, const struct frame_info *fi)
{
	char when[40];
	const char *sep = ls->fmt == OUT_CSV ? "," : " ";
	const char *name = db_netns_name(fi->netns_ino);

	time_format_iso(fi->time_ns, 0, when, sizeof(when));
	if (ls->fmt == OUT_JSON) {
		print_json(ls, fi, when);
	} else {
		if (ls->fmt == OUT_CSV)
			printf("%" PRId64 ",%s", fi->id, when);
		else
			printf("%-8" PRId64 " %-20s", fi->id, when);
		if (ls->netns && ls->fmt == OUT_CSV) {
			printf(",%" PRIu64 ",", fi->netns_ino);
			if (name)
				csv_write_field(stdout, name);
		} else if (ls->netns) {
			printf(" %-16s", db_netns_label(fi->netns_ino));
		}
		if (ls->ticks)
			printf(ls->fmt == OUT_CSV ? ",%" PRIu32 : " %5" PRIu32,
			       ls->nframes);
		printf(ls->fmt == OUT_CSV ? ",%" PRIu32 : " %8" PRIu32,
		       fi->total);
		for (unsigned n = 0; n < NETID_FRAME_COLS; n++)
			printf("%s%*" PRIu32, sep, ls->fmt == OUT_CSV ? 0 : 7,
			       fi->counts[n]);
		putchar('\n');
	}
	ls->rows++;
	return ferror(stdout) ? -1 : 0;
}

/* Print the open tick's line, if any. */
static int flush_tick(struct list_state *ls)
{
	int r = ls->nframes ? print_line(ls, &ls->tick) : 0;

	ls->nframes = 0;
	return r;
}

/* store_each_frame callback: print one frame, or add it to its tick. */
static int print_frame(const struct frame_info *fi, void *arg)
{
	struct list_state *ls = arg;

	if (!db_netns_wanted(fi->netns_ino))
		return 0;
	if (!ls->ticks)
		return print_line(ls, fi);
	if (ls->nframes && ls->tick.time_ns != fi->time_ns &&
	    flush_tick(ls) < 0)
		return -1;
	if (!ls->nframes++) {
		ls->tick = *fi;
		return 0;
	}
	ls->tick.total += fi->total;
	for (unsigned n = 0; n < NETID_FRAME_COLS; n++)
		ls->tick.counts[n] += fi->counts[n];
	return 0;
}

/* `sockhist snapshots`. */
int cmd_snapshots(int argc, char **argv)
{
	struct list_state ls = { .fmt = OUT_TABLE };
	struct store *st;
	int n, r;

	n = opt_parse_no_operands(&snapshots_cmd, argc, argv, snapshots_opt, &ls);
	if (n == OPT_HELP)
		return EXIT_OK;
	if (n < 0)
		return EXIT_USAGE;
	if (!(st = db_open()))
		return EXIT_FAIL;
	ls.netns = !ls.ticks && (ls.fmt == OUT_TABLE ? db_netns_several() :
				 db_netns_per_tick());
	print_header(&ls);
	if (ls.fmt == OUT_JSON)
		putchar('[');
	r = store_each_frame(st, print_frame, &ls);
	if (r == 0)
		r = flush_tick(&ls);
	if (ls.fmt == OUT_JSON)
		fputs(ls.rows ? "\n]\n" : "]\n", stdout);
	if (r < 0 && !ferror(stdout))
		err_msg(db_path(), "%s", store_errmsg(st));
	else if (r == 0 && ls.rows == 0)
		err_msg(db_path(), "no snapshots recorded yet");
	store_close(st);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
