/*
 * summary.c — `sockhist summary`: what `ss -s` (iproute2 6.1) printed at a
 * recorded moment.
 *
 * ss -s does not count the socket list: it prints the kernel's counters of
 * its network namespace (/proc/net/sockstat, sockstat6 and snmp's Tcp
 * CurrEstab), which the recorder stores with every frame (common/kstat.h).
 * This file does ss's arithmetic on them and prints its layout.  Frames of
 * formats 1 and 2 have no counters: then the lines that follow from the
 * sockets (the transport table but FRAG, estab, timewait) are derived from
 * the decoded frame, the rest is printed as "-", and stderr says so.
 *
 * The counters are per network namespace, so a moment of several
 * namespaces prints one ss -s block per namespace, in the frames' order,
 * each under a "Netns: LABEL" line (JSON: one object per line, with
 * "netns" and "netns_name"); --netns picks namespaces.  No total over the
 * namespaces is printed: ss -s has none, and the kernel's counters of
 * different namespaces do not add up to anything ss would print.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/socket.h>

#include "cmd.h"
#include "db.h"
#include "options.h"
#include "output.h"
#include "sockenum.h"
#include "timeexpr.h"

#define UNKNOWN INT64_MIN        /* a number the sockets do not tell */
#define TIMER_TIMEWAIT 3         /* idiag_timer of a TIME-WAIT mini socket */

enum { OPT_AT = OPT_LONG_ONLY, OPT_SNAPSHOT, OPT_FORMAT, OPT_DB };

static const struct opt_spec summary_opts[] = {
	{ OPT_AT, "at", "TIME", "the latest moment at or before TIME" },
	{ OPT_SNAPSHOT, "snapshot", "ID", "the snapshot with this id (one "
	  "namespace)" },
	{ OPT_FORMAT, "format", "FMT", "table (default, as ss -s) or json" },
	{ OPT_DB, "db", "PATH", "the history file (as the global --db)" },
};

static const struct opt_cmd summary_cmd = {
	.name = "summary",
	.usage = "[--at TIME | --snapshot ID] [--format table|json]",
	.about =
	"Print what ss -s printed at one recorded moment (default: the latest\n"
	"snapshot): the kernel's socket counters of the recorded namespace,\n"
	"stored with every snapshot, in ss's layout.  Snapshots of files from\n"
	"before format 3 have no counters: the RAW, UDP, TCP and INET lines and\n"
	"estab and timewait are then counted from the recorded sockets, the\n"
	"other numbers print as -, and stderr says so.\n"
	"With several network namespaces recorded: one block per namespace,\n"
	"headed by \"Netns: LABEL\" (--netns picks some).\n"
	"TIME: ISO 8601, HH:MM, epoch, -5m, now, @ID (the moment at its time).",
	.examples =
	"Examples:\n"
	"  sockhist summary                        the latest snapshot\n"
	"  sockhist summary --at 03:12             ss -s as of 03:12 today\n"
	"  sockhist summary --at -2h --format json\n"
	"  sockhist summary --snapshot 42",
	.opts = summary_opts,
	.nopts = sizeof(summary_opts) / sizeof(summary_opts[0]),
};

/* The transport table's rows, in ss's order. */
enum { T_RAW, T_UDP, T_TCP, T_INET, T_FRAG, T_COUNT };

static const char *const row_name[T_COUNT] = { "RAW", "UDP", "TCP", "INET",
					       "FRAG" };
static const char *const row_key[T_COUNT] = { "raw", "udp", "tcp", "inet",
					      "frag" };

/* Every number ss -s prints; UNKNOWN where the record does not tell. */
struct summary {
	int64_t total;                   /* Total: */
	int64_t tcp_total, estab, closed, orphaned, timewait;
	int64_t ip[T_COUNT][2];          /* IPv4, IPv6; Total is their sum */
};

struct summary_args {
	struct frame_sel frame;
	enum out_format fmt;
};

/* Option handler. */
static int summary_opt(void *ctx, int id, const char *arg)
{
	struct summary_args *a = ctx;

	switch (id) {
	case OPT_AT:
		a->frame.at = arg;
		return 0;
	case OPT_SNAPSHOT:
		a->frame.snapshot = arg;
		return 0;
	case OPT_FORMAT:
		if (opt_format(arg, &a->fmt) < 0)
			return -1;
		if (a->fmt == OUT_CSV) {
			err_msg(arg, "not a summary format (use table or json)");
			return -1;
		}
		return 0;
	case OPT_DB:
		db_set_path(arg);
		return 0;
	}
	return -1;
}

/* ss -s's arithmetic (misc/ss.c print_summary) on the kernel counters. */
static void from_kstat(const struct kstat *k, struct summary *m)
{
	const int64_t *v = k->v;

	m->total = v[KS_SOCKETS_USED];
	m->tcp_total = v[KS_TCP_ALLOC] + v[KS_TCP_TW];
	m->estab = v[KS_TCP_CURRESTAB];
	m->closed = v[KS_TCP_ALLOC] -
		(v[KS_TCP_INUSE] + v[KS_TCP6_INUSE] - v[KS_TCP_TW]);
	m->orphaned = v[KS_TCP_ORPHAN];
	m->timewait = v[KS_TCP_TW];
	m->ip[T_RAW][0] = v[KS_RAW_INUSE];
	m->ip[T_RAW][1] = v[KS_RAW6_INUSE];
	m->ip[T_UDP][0] = v[KS_UDP_INUSE];
	m->ip[T_UDP][1] = v[KS_UDP6_INUSE];
	m->ip[T_TCP][0] = v[KS_TCP_INUSE];
	m->ip[T_TCP][1] = v[KS_TCP6_INUSE];
	m->ip[T_FRAG][0] = v[KS_FRAG_INUSE];
	m->ip[T_FRAG][1] = v[KS_FRAG6_INUSE];
}

/* Does the kernel count a TCP socket in this state as "inuse" (hashed)?
 * Not TIME-WAIT or request sockets, nor closed unhashed ones. */
static int tcp_hashed(unsigned state)
{
	return state != SS_TIME_WAIT && state != SS_SYN_RECV &&
	       state != SS_NEW_SYN_RECV && state != SS_CLOSE;
}

/* What the recorded sockets tell: inuse per family (hashed TCP, every UDP
 * and RAW socket), TIME-WAIT mini sockets, and CurrEstab (the kernel counts
 * ESTABLISHED and CLOSE-WAIT). */
static void from_sockets(const struct snapshot *s, struct summary *m)
{
	*m = (struct summary){ .total = UNKNOWN, .tcp_total = UNKNOWN,
			       .closed = UNKNOWN, .orphaned = UNKNOWN,
			       .ip[T_FRAG] = { UNKNOWN, UNKNOWN } };
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct sock_record *r = &s->recs[i];
		int v6 = r->family == AF_INET6;

		if (r->netid == NETID_RAW || r->netid == NETID_UDP)
			m->ip[r->netid == NETID_RAW ? T_RAW : T_UDP][v6]++;
		if (r->netid != NETID_TCP)
			continue;
		if (r->timer == TIMER_TIMEWAIT) {
			m->timewait++;
			continue;
		}
		if (tcp_hashed(r->state))
			m->ip[T_TCP][v6]++;
		if (r->state == SS_ESTABLISHED || r->state == SS_CLOSE_WAIT)
			m->estab++;
	}
}

/* n in decimal, or "-" when unknown, into buf. */
static const char *num(int64_t n, char *buf, size_t len)
{
	if (n == UNKNOWN)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRId64, n);
	return buf;
}

/* a + b, unknown when either is. */
static int64_t add(int64_t a, int64_t b)
{
	return a == UNKNOWN || b == UNKNOWN ? UNKNOWN : a + b;
}

/* The INET row: RAW + UDP + TCP per family. */
static void sum_inet(struct summary *m)
{
	for (int f = 0; f < 2; f++)
		m->ip[T_INET][f] = add(add(m->ip[T_RAW][f], m->ip[T_UDP][f]),
				       m->ip[T_TCP][f]);
}

/* ss -s's layout, byte for byte (misc/ss.c print_summary). */
static void print_table(const struct summary *m)
{
	char a[24], b[24], c[24], d[24], e[24];

	printf("Total: %s\n", num(m->total, a, sizeof(a)));
	printf("TCP:   %s (estab %s, closed %s, orphaned %s, timewait %s)\n",
	       num(m->tcp_total, a, sizeof(a)), num(m->estab, b, sizeof(b)),
	       num(m->closed, c, sizeof(c)), num(m->orphaned, d, sizeof(d)),
	       num(m->timewait, e, sizeof(e)));
	printf("\nTransport Total     IP        IPv6\n");
	for (int t = 0; t < T_COUNT; t++)
		printf("%s\t  %-9s %-9s %-9s\n", row_name[t],
		       num(add(m->ip[t][0], m->ip[t][1]), a, sizeof(a)),
		       num(m->ip[t][0], b, sizeof(b)),
		       num(m->ip[t][1], c, sizeof(c)));
	putchar('\n');
}

/* n as a JSON number, or null when unknown. */
static void json_num(const char *key, int64_t n, const char *sep)
{
	if (n == UNKNOWN)
		printf("\"%s\":null%s", key, sep);
	else
		printf("\"%s\":%" PRId64 "%s", key, n, sep);
}

/* The same numbers as one JSON object (keys in doc/OUTPUT.md). */
static void print_json(const struct frame_info *fi, int counted,
		       const struct summary *m)
{
	char when[40];

	time_format_iso(fi->time_ns, 0, when, sizeof(when));
	printf("{\"snapshot\":%" PRId64 ",\"time\":", fi->id);
	json_write_string(stdout, when);
	if (db_netns_per_tick()) {
		const char *name = db_netns_name(fi->netns_ino);

		printf(",\"netns\":%" PRIu64 ",\"netns_name\":", fi->netns_ino);
		if (name)
			json_write_string(stdout, name);
		else
			fputs("null", stdout);
	}
	printf(",\"source\":\"%s\",", counted ? "sockets" : "kernel");
	json_num("total", m->total, ",\"tcp\":{");
	json_num("total", m->tcp_total, ",");
	json_num("estab", m->estab, ",");
	json_num("closed", m->closed, ",");
	json_num("orphaned", m->orphaned, ",");
	json_num("timewait", m->timewait, "},\"transport\":{");
	for (int t = 0; t < T_COUNT; t++) {
		printf("\"%s\":{", row_key[t]);
		json_num("total", add(m->ip[t][0], m->ip[t][1]), ",");
		json_num("ip", m->ip[t][0], ",");
		json_num("ipv6", m->ip[t][1], t + 1 < T_COUNT ? "}," : "}");
	}
	printf("}}\n");
}

/* The summary of frame fi: from its kernel counters, else from its
 * sockets (*counted set, stderr told).  Returns 0 or -1 after printing. */
static int build(struct store *st, const struct frame_info *fi,
		 struct summary *m, int *counted)
{
	struct kstat k;
	struct snapshot s;
	int r = store_frame_kstat(st, fi->id, &k);

	*counted = r == -ENOENT;
	if (r == 0) {
		from_kstat(&k, m);
	} else if (r != -ENOENT) {
		err_msg(db_path(), "%s", store_errmsg(st));
		return -1;
	} else {
		if (snapshot_init(&s) < 0) {
			err_msg("summary", "out of memory");
			return -1;
		}
		store_set_skip_blobs(st, 1);
		r = db_load_frame(st, fi, &s, NULL, NULL);
		if (r == 0)
			from_sockets(&s, m);
		snapshot_free(&s);
		if (r < 0)
			return -1;
		fprintf(stderr, "sockhist: snapshot %" PRId64 ": the kernel's "
			"socket counters were not recorded: RAW, UDP, TCP, INET, "
			"estab and timewait are counted from its sockets, - is "
			"unknown\n", fi->id);
	}
	sum_inet(m);
	return 0;
}

/* Print the summary of frame fi: a block, or a JSON line.  Returns 0 or
 * -1 after printing why not. */
static int summarize(struct store *st, const struct summary_args *a,
		     const struct frame_info *fi)
{
	struct summary m;
	int counted;

	if (build(st, fi, &m, &counted) < 0)
		return -1;
	if (a->fmt == OUT_JSON) {
		print_json(fi, counted, &m);
		return 0;
	}
	if (db_netns_several())
		printf("Netns: %s\n", db_netns_label(fi->netns_ino));
	print_table(&m);
	return 0;
}

/* `sockhist summary`. */
int cmd_summary(int argc, char **argv)
{
	struct summary_args a = { .fmt = OUT_TABLE };
	struct moment mo;
	struct store *st;
	int n, r;

	n = opt_parse_no_operands(&summary_cmd, argc, argv, summary_opt, &a);
	if (n == OPT_HELP)
		return EXIT_OK;
	if (n < 0)
		return EXIT_USAGE;
	if (!(st = db_open()))
		return EXIT_FAIL;
	r = db_pick_moment(st, &a.frame, &mo);
	for (size_t i = 0; r == 0 && i < mo.n; i++)
		r = summarize(st, &a, &mo.frames[i]);
	db_moment_free(&mo);
	store_close(st);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}
