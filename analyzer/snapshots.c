/*
 * snapshots.c — `sockhist snapshots`: list the recorded frames with their
 * time and socket counts, from the frame rows alone (no blob is decoded).
 */
#include <inttypes.h>
#include <stdio.h>

#include "cmd.h"
#include "db.h"
#include "options.h"
#include "output.h"
#include "sockenum.h"
#include "timeexpr.h"

enum { OPT_FORMAT = OPT_LONG_ONLY, OPT_DB };

static const struct opt_spec snapshot_opts[] = {
	{ OPT_FORMAT, "format", "FMT", "table (default), json or csv" },
	{ 'H', "no-header", NULL, "no header line (table and csv)" },
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd snapshots_cmd = {
	.name = "snapshots",
	.usage = "[--format table|json|csv] [-H]",
	.about = "List every recorded snapshot: id, time (UTC), total sockets "
		 "and sockets per netid.\n"
		 "Reads only the frame rows, never the snapshots themselves.",
	.examples =
		 "Examples:\n"
		 "  sockhist snapshots                  every snapshot, as a table\n"
		 "  sockhist snapshots --format csv -H  for a spreadsheet or awk\n"
		 "  sockhist --db /var/lib/sockhist.db snapshots | tail",
	.opts = snapshot_opts,
	.nopts = sizeof(snapshot_opts) / sizeof(snapshot_opts[0]),
};

struct list_state {
	enum out_format fmt;
	int no_header;
	size_t rows;
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
		fputs("id,time,sockets", stdout);
		for (unsigned n = 0; n < NETID_FRAME_COLS; n++)
			printf(",%s", netid_name(n));
	} else {
		printf("%-8s %-20s %8s", "ID", "Time", "Sockets");
		for (unsigned n = 0; n < NETID_FRAME_COLS; n++)
			printf(" %7s", netid_name(n));
	}
	putchar('\n');
}

/* One frame as a JSON object (comma-separated from the previous one). */
static void print_json(const struct list_state *ls, const struct frame_info *fi,
		       const char *when)
{
	printf("%s{\"id\":%" PRId64 ",\"time\":", ls->rows ? ",\n" : "\n",
	       fi->id);
	json_write_string(stdout, when);
	printf(",\"sockets\":%" PRIu32, fi->total);
	for (unsigned n = 0; n < NETID_FRAME_COLS; n++)
		printf(",\"%s\":%" PRIu32, netid_name(n), fi->counts[n]);
	putchar('}');
}

/* store_each_frame callback: print one frame. */
static int print_frame(const struct frame_info *fi, void *arg)
{
	struct list_state *ls = arg;
	char when[40];
	const char *sep = ls->fmt == OUT_CSV ? "," : " ";

	time_format_iso(fi->time_ns, 0, when, sizeof(when));
	if (ls->fmt == OUT_JSON) {
		print_json(ls, fi, when);
	} else {
		if (ls->fmt == OUT_CSV)
			printf("%" PRId64 ",%s,%" PRIu32, fi->id, when, fi->total);
		else
			printf("%-8" PRId64 " %-20s %8" PRIu32, fi->id, when,
			       fi->total);
		for (unsigned n = 0; n < NETID_FRAME_COLS; n++)
			printf("%s%*" PRIu32, sep, ls->fmt == OUT_CSV ? 0 : 7,
			       fi->counts[n]);
		putchar('\n');
	}
	ls->rows++;
	return ferror(stdout) ? -1 : 0;
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
	print_header(&ls);
	if (ls.fmt == OUT_JSON)
		putchar('[');
	r = store_each_frame(st, print_frame, &ls);
	if (ls.fmt == OUT_JSON)
		fputs(ls.rows ? "\n]\n" : "]\n", stdout);
	if (r < 0 && !ferror(stdout))
		err_msg(db_path(), "%s", store_errmsg(st));
	else if (r == 0 && ls.rows == 0)
		err_msg(db_path(), "no snapshots recorded yet");
	store_close(st);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
