/*
 * main.c — sockhistd, the recorder: take a snapshot of every socket every
 * interval and append it to the database.
 *
 *   sockhistd [--db PATH] [--interval DUR] [--once] [--close-events WHICH]
 *             [--help] [--version]
 *
 * Ticks are absolute CLOCK_MONOTONIC deadlines, so the period does not
 * drift; a snapshot that overruns skips the ticks it missed.  SIGINT and
 * SIGTERM are blocked except while waiting for the next tick, so a snapshot
 * and its transaction always finish before the process exits.  Problems are
 * logged once when they start, not on every snapshot.
 *
 * Connections that close between two snapshots come from sock_diag's
 * destroy broadcasts (destroy.h): a thread reads them as they arrive; the
 * main loop stores what it read after each snapshot (so a socket the
 * snapshot showed is linked to its lifetime) and every second between
 * snapshots.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "destroy.h"
#include "store.h"
#include "timeexpr.h"

#define NS_PER_SEC 1000000000ll
/* Close events are stored at least this often, also between snapshots
 * (an empty batch writes nothing). */
#define CLOSED_FLUSH_NS NS_PER_SEC

struct options {
	const char *db;
	int64_t interval_ns;
	int once;
	unsigned close_events;  /* enum destroy_flags; 0: off */
	struct store_limits lim;
};

/* The recorder's running state. */
struct recorder {
	struct options opt;
	struct capture cap;
	struct snapshot snap;
	struct store *st;
	struct destroy_collector closers; /* reads the close events */
	struct destroy_sub closed;      /* this namespace's subscription */
	struct destroy_batch taken;     /* the events of the current tick */
	int losing;                     /* the last batch had lost events */
	int64_t next_flush;             /* when to store them next (mono) */
	int last_capture_err;   /* last logged failures, to log each once */
	int last_store_err;
	int overrunning;
};

static volatile sig_atomic_t stop_requested;

/* SIGINT/SIGTERM: ask the loop to stop after the current snapshot. */
static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Print the usage text to f. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: sockhistd [--db PATH] [--interval DUR] [--once]\n"
		"                 [--retain DUR] [--max-size SIZE] [--keep-rollups DUR]\n"
		"                 [--close-events all|tcp|off]\n"
		"\n"
		"Record every socket of this network namespace (what ss -tuwxaeimp\n"
		"shows) every DUR into an SQLite file.\n"
		"\n"
		"  --db PATH        database file (default: $SOCKHIST_DB, else\n"
		"                   ./sockhist.db)\n"
		"  --interval DUR   time between snapshots: 500ms, 10s, 1m... (default 5s)\n"
		"  --once           take one snapshot and exit (no close events)\n"
		"  --retain DUR     drop snapshots older than DUR (e.g. 14d; default:\n"
		"                   keep all), a whole chain of frames at a time\n"
		"  --max-size SIZE  keep the file under SIZE (e.g. 2G, 500M) plus one\n"
		"                   chain, dropping the oldest snapshots\n"
		"  --keep-rollups DUR  keep per-minute and per-hour counts for DUR\n"
		"                   after the snapshots are gone (default 400d)\n"
		"  --close-events WHICH  record connections as they close (sock_diag\n"
		"                   destroy events, as ss -E): all (default), tcp\n"
		"                   (leave out UDP: every DNS lookup is a UDP socket\n"
		"                   that closes), or off\n"
		"  --help           show this help\n"
		"  --version        show the version\n");
}

/* Parse a size: a number with an optional k, M, G or T suffix (powers of
 * 1024) and an optional trailing "B".  Returns 0, or -1 if it is not one
 * or is below 1 MiB (a chain must fit). */
static int size_parse(const char *s, uint64_t *out)
{
	static const char units[] = "kMGT";
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mult = 1;

	if (end == s || *s == '-')
		return -1;
	if (*end && strchr(units, *end)) {
		for (const char *u = units; u <= strchr(units, *end); u++)
			mult *= 1024;
		end++;
	}
	if (*end == 'B')
		end++;
	if (*end || v > UINT64_MAX / mult || v * mult < 1024 * 1024)
		return -1;
	*out = v * mult;
	return 0;
}

/* Parse a --close-events argument into *flags.  Returns 0 or -1. */
static int close_events_parse(const char *s, unsigned *flags)
{
	if (strcmp(s, "all") == 0)
		*flags = DESTROY_ALL;
	else if (strcmp(s, "tcp") == 0)
		*flags = DESTROY_TCP;
	else if (strcmp(s, "off") == 0)
		*flags = 0;
	else
		return -1;
	return 0;
}

/* Parse argv into o.  Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ "retain", required_argument, NULL, 'r' },
		{ "max-size", required_argument, NULL, 's' },
		{ "keep-rollups", required_argument, NULL, 'k' },
		{ "close-events", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->db = getenv("SOCKHIST_DB");
	if (!o->db || !*o->db)
		o->db = "./sockhist.db";
	o->interval_ns = 5 * NS_PER_SEC;
	o->close_events = DESTROY_ALL;
	o->lim.keep_rollups_ns = 400 * 86400 * NS_PER_SEC;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->db = optarg;
			break;
		case 'i':
			if (duration_parse(optarg, &o->interval_ns) < 0) {
				fprintf(stderr, "sockhistd: --interval %s: not a duration (try 500ms, 10s, 1m)\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			o->once = 1;
			break;
		case 'c':
			if (close_events_parse(optarg, &o->close_events) < 0) {
				fprintf(stderr, "sockhistd: --close-events %s: not all, tcp or off\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
		case 'k':
			if (duration_parse(optarg, c == 'r' ? &o->lim.retain_ns :
					   &o->lim.keep_rollups_ns) < 0 ||
			    (c == 'r' ? o->lim.retain_ns : o->lim.keep_rollups_ns) <= 0) {
				fprintf(stderr, "sockhistd: --%s %s: not a duration (try 14d, 12h)\n",
					c == 'r' ? "retain" : "keep-rollups", optarg);
				return 2;
			}
			break;
		case 's':
			if (size_parse(optarg, &o->lim.max_bytes) < 0) {
				fprintf(stderr, "sockhistd: --max-size %s: not a size (try 2G, 500M)\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sockhistd %s\n", SOCKHIST_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sockhistd: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* Block SIGINT/SIGTERM (they are let in only while waiting) and install
 * the handler that asks the loop to stop.  Saves the old mask in waitmask. */
static void setup_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
}

/* Store the close events read since the last tick (after the snapshot,
 * so that a socket it showed is linked to its lifetime); losses are
 * logged when they start. */
static void store_closed(struct recorder *r)
{
	struct destroy_batch *b = &r->taken;
	int64_t id;

	if (r->closed.fd < 0)
		return;
	r->next_flush = time_mono_ns() + CLOSED_FLUSH_NS;
	destroy_take(&r->closers, &r->closed, time_now_ns(), b);
	if (b->lost && !r->losing)
		fprintf(stderr, "sockhistd: %llu close events lost (the kernel dropped them: the receive buffer overran)\n",
			(unsigned long long)b->lost);
	r->losing = b->lost > 0;
	id = store_append_closed(r->st, &b->ev, b->closed_ns, b->since_ns,
				 b->lost);
	if (id < 0 && (int)id != r->last_store_err) {
		fprintf(stderr, "sockhistd: %s: %s (%zu close events not stored)\n",
			r->opt.db, store_errmsg(r->st), b->ev.nrecs);
		r->last_store_err = (int)id;
	}
}

/* Take one snapshot and append it, then the close events; failures are
 * logged when they start and the recorder carries on. */
static void tick(struct recorder *r)
{
	int64_t id;
	int err;

	int64_t t0 = time_mono_ns();

	err = capture_snapshot(&r->cap, &r->snap);
	r->snap.capture_ns = time_mono_ns() - t0;
	if (err < 0) {
		if (err != r->last_capture_err)
			fprintf(stderr, "sockhistd: snapshot: %s\n", strerror(-err));
		r->last_capture_err = err;
		store_closed(r);
		return;
	}
	r->last_capture_err = 0;
	id = store_append(r->st, &r->snap);
	if (id < 0) {
		if ((int)id != r->last_store_err)
			fprintf(stderr, "sockhistd: %s: %s (will retry)\n",
				r->opt.db, store_errmsg(r->st));
		r->last_store_err = (int)id;
		return;
	}
	if (r->last_store_err)
		fprintf(stderr, "sockhistd: %s: writing again\n", r->opt.db);
	r->last_store_err = 0;
	store_closed(r);
}

/* Sleep until the monotonic deadline or a stop signal, storing the close
 * events every CLOSED_FLUSH_NS meanwhile. */
static void wait_until(struct recorder *r, int64_t deadline,
		       const sigset_t *waitmask)
{
	struct timespec ts;
	int64_t now, until;

	while (!stop_requested && (now = time_mono_ns()) < deadline) {
		until = deadline;
		if (r->closed.fd >= 0 && r->next_flush < until)
			until = r->next_flush;
		if (now >= until) {
			store_closed(r);
			continue;
		}
		ts.tv_sec = (until - now) / NS_PER_SEC;
		ts.tv_nsec = (until - now) % NS_PER_SEC;
		ppoll(NULL, 0, &ts, waitmask);
	}
}

/* The deadline after `deadline` that is still ahead of now, logging once
 * when a snapshot took longer than the interval. */
static int64_t next_deadline(struct recorder *r, int64_t deadline)
{
	int64_t now = time_mono_ns(), next = deadline + r->opt.interval_ns;

	if (now < next) {
		r->overrunning = 0;
		return next;
	}
	if (!r->overrunning)
		fprintf(stderr, "sockhistd: snapshot took %lld ms, longer than the %lld ms interval: skipping ticks\n",
			(long long)((now - deadline) / 1000000),
			(long long)(r->opt.interval_ns / 1000000));
	r->overrunning = 1;
	return next + (now - next) / r->opt.interval_ns * r->opt.interval_ns +
	       r->opt.interval_ns;
}

/* Snapshot loop until a stop signal (or one snapshot with --once). */
static void run(struct recorder *r, const sigset_t *waitmask)
{
	int64_t deadline = time_mono_ns();

	for (;;) {
		tick(r);
		if (r->opt.once || stop_requested)
			break;
		deadline = next_deadline(r, deadline);
		wait_until(r, deadline, waitmask);
		if (stop_requested)
			break;
	}
	/* What closed since the last tick is not lost at exit. */
	if (r->closed.fd >= 0) {
		pthread_mutex_lock(&r->closers.lock);
		destroy_drain(&r->closed, SIZE_MAX);
		pthread_mutex_unlock(&r->closers.lock);
		store_closed(r);
	}
}

/* Format a duration the way users type it ("5s", "500ms", "2m"). */
static void format_duration(int64_t ns, char *buf, size_t len)
{
	static const struct { int64_t ns; const char *unit; } units[] = {
		{ 3600 * NS_PER_SEC, "h" }, { 60 * NS_PER_SEC, "m" },
		{ NS_PER_SEC, "s" }, { 1000000, "ms" }, { 1000, "us" },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ns % units[i].ns == 0) {
			snprintf(buf, len, "%lld%s", (long long)(ns / units[i].ns),
				 units[i].unit);
			return;
		}
	snprintf(buf, len, "%lldns", (long long)ns);
}

/* Say on stderr where we write and how to look at it. */
static void announce(const struct options *o)
{
	char every[32];

	if (o->once) {
		fprintf(stderr, "sockhistd: recording one snapshot into %s; view with: sockhist --db %s show\n",
			o->db, o->db);
		return;
	}
	format_duration(o->interval_ns, every, sizeof(every));
	fprintf(stderr, "sockhistd: recording every %s into %s; view with: sockhist --db %s show\n",
		every, o->db, o->db);
}

/* Subscribe to the close events of the current network namespace, known
 * as netns_ino (the recorder's own today; a recorder of several
 * namespaces calls this in each).  A failure is logged and the recorder
 * goes on with snapshots alone. */
static void open_close_events(struct recorder *r, uint64_t netns_ino)
{
	int ret = destroy_open(&r->closed, netns_ino, r->opt.close_events);

	if (ret == 0 && (ret = destroy_add(&r->closers, &r->closed)) < 0)
		destroy_close(&r->closed);
	if (ret < 0)
		fprintf(stderr, "sockhistd: close events (sock_diag destroy): %s; recording snapshots only\n",
			strerror(-ret));
}

/* Open the store and the capture.  Returns 0 or logs and returns -1. */
static int open_all(struct recorder *r)
{
	char err[256] = "";
	int ret;

	ret = store_open(r->opt.db, STORE_WRITE, &r->st, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "sockhistd: %s: %s\n", r->opt.db,
			*err ? err : strerror(-ret));
		return -1;
	}
	store_set_limits(r->st, &r->opt.lim);
	ret = capture_open(&r->cap);
	if (ret < 0) {
		fprintf(stderr, "sockhistd: netlink sock_diag: %s\n", strerror(-ret));
		return -1;
	}
	ret = snapshot_init(&r->snap);
	if (ret == 0)
		ret = destroy_batch_init(&r->taken);
	if (ret < 0) {
		fprintf(stderr, "sockhistd: snapshot: %s\n", strerror(-ret));
		return -1;
	}
	if (!r->opt.close_events || r->opt.once)
		return 0;
	ret = destroy_start(&r->closers);
	if (ret < 0)
		fprintf(stderr, "sockhistd: close events thread: %s; recording snapshots only\n",
			strerror(-ret));
	else
		open_close_events(r, r->cap.netns_ino);
	return 0;
}

/* Close what open_all() opened. */
static void close_all(struct recorder *r)
{
	if (r->closed.id)
		destroy_remove(&r->closers, &r->closed);
	destroy_stop(&r->closers);
	destroy_close(&r->closed);
	destroy_batch_free(&r->taken);
	snapshot_free(&r->snap);
	capture_close(&r->cap);
	if (r->st)
		store_close(r->st);
}

int main(int argc, char **argv)
{
	struct recorder r;
	sigset_t waitmask;
	int ret;

	memset(&r, 0, sizeof(r));
	r.closed.fd = -1;
	ret = parse_args(argc, argv, &r.opt);
	if (ret >= 0)
		return ret;
	setup_signals(&waitmask);
	if (open_all(&r) < 0) {
		close_all(&r);
		return 1;
	}
	announce(&r.opt);
	run(&r, &waitmask);
	close_all(&r);
	return 0;
}
