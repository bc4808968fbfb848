/*
 * main.c — sockhistd, the recorder: take a snapshot of every socket of
 * every network namespace recorded every interval and append them to the
 * database, one frame per namespace, all frames of a tick with the same
 * time.
 *
 *   sockhistd [--db PATH] [--interval DUR] [--once] [--netns all|NAME|PATH]...
 *             [--retain DUR] [--max-size SIZE] [--keep-rollups DUR]
 *             [--close-events WHICH]
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
#include <unistd.h>

#include <sys/resource.h>

#include "capture.h"
#include "cgmap.h"
#include "destroy.h"
#include "netns.h"
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
	const char **netns;     /* --netns arguments (or the default) */
	size_t nnetns;
};

/* The recorder's running state. */
struct recorder {
	struct options opt;
	struct netns_set ns;
	struct procmap *pm;
	struct store *st;
	/* per tick, one slot per namespace */
	struct capture **caps;
	struct snapshot **snaps;
	int *ok;
	size_t slots;
	struct cgmap *cg;       /* cgroup id -> path, stored once per id */
	struct destroy_collector closers; /* reads every namespace's close
					   * events */
	struct destroy_batch taken;     /* the events of one namespace */
	int losing;                     /* the last batch had lost events */
	int64_t next_flush;             /* when to store them next (mono) */
	int last_capture_err;   /* last logged failures, to log each once */
	int last_store_err;
	int last_info_err;
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
		"                 [--netns all|NAME|PATH]...\n"
		"                 [--retain DUR] [--max-size SIZE] [--keep-rollups DUR]\n"
		"                 [--close-events all|tcp|off]\n"
		"\n"
		"Record every socket of the network namespaces (what ss -tuwxaeimp\n"
		"shows in each) every DUR into an SQLite file, one snapshot per\n"
		"namespace.\n"
		"\n"
		"  --db PATH        database file (default: $SOCKHIST_DB, else\n"
		"                   ./sockhist.db)\n"
		"  --netns NS       the namespaces to record, may be repeated: all\n"
		"                   (every namespace, looked for again every DUR),\n"
		"                   NAME (/run/netns/NAME) or PATH (/proc/PID/ns/net);\n"
		"                   default: $SOCKHISTD_NETNS, else all as root and\n"
		"                   our own namespace otherwise\n"
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
		{ "netns", required_argument, NULL, 'n' },
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
	o->netns = calloc((size_t)argc + 1, sizeof(*o->netns));
	if (!o->netns) {
		fprintf(stderr, "sockhistd: out of memory\n");
		return 1;
	}
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
		case 'n':
			o->netns[o->nnetns++] = optarg;
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
	if (!o->nnetns) {
		const char *env = getenv("SOCKHISTD_NETNS");
		o->netns[o->nnetns++] = env && *env ? env :
			geteuid() == 0 ? "all" : "/proc/self/ns/net";
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

/* Store the close events of namespace c read since the last take (after
 * the snapshot, so that a socket it showed is linked to its lifetime);
 * losses are logged when they start (r->losing: they had not).  Returns
 * the events lost. */
static uint64_t store_closed_of(struct recorder *r, struct capture *c)
{
	struct destroy_batch *b = &r->taken;
	int64_t id;

	if (c->closed.fd < 0 || !c->closers)
		return 0;
	destroy_take(c->closers, &c->closed, time_now_ns(), b);
	if (b->lost && !r->losing)
		fprintf(stderr, "sockhistd: %s: %llu close events lost (the kernel dropped them: the receive buffer overran)\n",
			c->label, (unsigned long long)b->lost);
	id = store_append_closed(r->st, &b->ev, b->closed_ns, b->since_ns,
				 b->lost);
	if (id < 0 && (int)id != r->last_store_err) {
		fprintf(stderr, "sockhistd: %s: %s (%zu close events not stored)\n",
			r->opt.db, store_errmsg(r->st), b->ev.nrecs);
		r->last_store_err = (int)id;
	}
	return b->lost;
}

/* Store the close events of every namespace (store_closed_of); losses are
 * logged when they start. */
static void store_closed(struct recorder *r)
{
	uint64_t lost = 0;

	if (!r->closers.started)
		return;
	r->next_flush = time_mono_ns() + CLOSED_FLUSH_NS;
	for (size_t i = 0; i < r->ns.n; i++)
		lost += store_closed_of(r, &r->ns.ents[i]->cap);
	r->losing = lost > 0;
}

/* Store the paths of the cgroup ids snapshot s uses for the first time.
 * Returns 0 or a negative code (the ids are stored at the next try). */
static int store_cgroups(struct recorder *r, const struct snapshot *s)
{
	const struct store_cgroup *v;
	size_t n;
	int err = cgmap_update(r->cg, s, time_mono_ns());

	if (err < 0)
		return err;
	n = cgmap_new_entries(r->cg, &v);
	err = store_put_cgroups(r->st, v, n);
	if (err == 0)
		cgmap_done(r->cg);
	return err;
}

/* A namespace vanished: the store forgets its writer state. */
static void forget_netns(uint64_t ino, void *arg)
{
	struct recorder *r = arg;

	for (size_t i = 0; i < r->ns.n; i++)
		if (r->ns.ents[i]->ino == ino)
			store_closed_of(r, &r->ns.ents[i]->cap);
	store_forget_netns(r->st, ino);
}

/* Write the netns rows of the namespaces found (or named) in this tick;
 * a row not written is tried again at the next tick. */
static void note_new_netns(struct recorder *r)
{
	for (size_t i = 0; i < r->ns.n; i++) {
		struct netns_entry *e = r->ns.ents[i];
		if (!e->fresh && !e->unsaved)
			continue;
		int err = store_set_netns_info(r->st, e->ino, e->name, e->pid,
					       e->comm);
		if (err < 0 && err != r->last_info_err)
			fprintf(stderr, "sockhistd: %s: %s (will retry)\n",
				r->opt.db, store_errmsg(r->st));
		r->last_info_err = err;
		e->unsaved = err < 0;
	}
}

/* Make room for one slot per namespace.  Returns 0 or -ENOMEM. */
static int size_slots(struct recorder *r, size_t n)
{
	if (n <= r->slots)
		return 0;
	struct capture **c = realloc(r->caps, n * sizeof(*c));
	if (c)
		r->caps = c;
	struct snapshot **s = realloc(r->snaps, n * sizeof(*s));
	if (s)
		r->snaps = s;
	int *ok = realloc(r->ok, n * sizeof(*ok));
	if (ok)
		r->ok = ok;
	if (!c || !s || !ok)
		return -ENOMEM;
	r->slots = n;
	return 0;
}

/* Append the snapshots the tick took, logging store failures once. */
static void append_all(struct recorder *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!r->ok[i])
			continue;
		int64_t id = store_cgroups(r, r->snaps[i]);

		if (id == 0)
			id = store_append(r->st, r->snaps[i]);
		if (id < 0) {
			if ((int)id != r->last_store_err)
				fprintf(stderr, "sockhistd: %s: %s (will retry)\n",
					r->opt.db, store_errmsg(r->st));
			r->last_store_err = (int)id;
			continue;
		}
		if (r->last_store_err)
			fprintf(stderr, "sockhistd: %s: writing again\n",
				r->opt.db);
		r->last_store_err = 0;
	}
}

/* One tick: find the namespaces, snapshot them all (one wall time for
 * all), append a frame per namespace; failures are logged when they
 * start and the recorder carries on. */
static void tick(struct recorder *r)
{
	int64_t t0 = time_mono_ns(), took;
	size_t i, n;
	int err = netns_refresh(&r->ns, forget_netns, r);

	n = r->ns.n;
	if (err == 0)
		err = size_slots(r, n);
	if (err == 0) {
		note_new_netns(r);
		for (i = 0; i < n; i++) {
			r->caps[i] = &r->ns.ents[i]->cap;
			r->snaps[i] = &r->ns.ents[i]->snap;
		}
		err = capture_tick(r->pm, r->caps, r->snaps, r->ok, n,
				   r->ns.home, time_now_ns());
	}
	if (err < 0) {
		if (err != r->last_capture_err)
			fprintf(stderr, "sockhistd: snapshot: %s\n", strerror(-err));
		r->last_capture_err = err;
		store_closed(r);
		return;
	}
	r->last_capture_err = 0;
	took = time_mono_ns() - t0;
	for (i = 0; i < n; i++)
		r->snaps[i]->capture_ns = took / (int64_t)n;
	append_all(r, n);
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
		if (r->closers.started && r->next_flush < until)
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
	if (r->closers.started) {
		pthread_mutex_lock(&r->closers.lock);
		for (size_t i = 0; i < r->ns.n; i++)
			if (r->ns.ents[i]->cap.closed.fd >= 0)
				destroy_drain(&r->ns.ents[i]->cap.closed,
					      SIZE_MAX);
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

/* Every namespace holds a few fds (netns.h): allow as many as the hard
 * limit does. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Start the close events' thread (not with --once or --close-events off)
 * and have every namespace's capture subscribe to its close events
 * (capture_open_inside).  A failure is logged and the recorder goes on
 * with snapshots alone.  Returns 0 or logs and returns -1. */
static int open_close_events(struct recorder *r)
{
	int ret = destroy_batch_init(&r->taken);

	if (ret < 0) {
		fprintf(stderr, "sockhistd: close events: %s\n", strerror(-ret));
		return -1;
	}
	if (!r->opt.close_events || r->opt.once)
		return 0;
	ret = destroy_start(&r->closers);
	if (ret < 0)
		fprintf(stderr, "sockhistd: close events thread: %s; recording snapshots only\n",
			strerror(-ret));
	else
		capture_set_close_events(&r->closers, r->opt.close_events);
	return 0;
}

/* Open the store and the owner index.  Returns 0 or logs and returns -1. */
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
	ret = procmap_new(NULL, &r->pm);
	if (ret < 0) {
		fprintf(stderr, "sockhistd: %s\n", strerror(-ret));
		return -1;
	}
	ret = cgmap_new(NULL, &r->cg);
	if (ret < 0) {
		fprintf(stderr, "sockhistd: cgroup map: %s\n", strerror(-ret));
		return -1;
	}
	return 0;
}

/* The namespaces to record, from the options.  Returns 0 or logs and
 * returns -1. */
static int open_netns(struct recorder *r)
{
	const char *why;
	int ret = netns_init(&r->ns);

	if (ret < 0) {
		fprintf(stderr, "sockhistd: our network namespace: %s\n",
			strerror(-ret));
		return -1;
	}
	for (size_t i = 0; i < r->opt.nnetns; i++) {
		ret = netns_add_spec(&r->ns, r->opt.netns[i], &why);
		if (ret < 0) {
			fprintf(stderr, "sockhistd: --netns %s: %s\n",
				r->opt.netns[i], why ? why : strerror(-ret));
			return -1;
		}
	}
	return 0;
}

/* Close what open_close_events(), open_all() and open_netns() opened. */
static void close_all(struct recorder *r)
{
	netns_free(&r->ns);     /* removes each subscription first */
	destroy_stop(&r->closers);
	destroy_batch_free(&r->taken);
	procmap_free(r->pm);
	free(r->caps);
	free(r->snaps);
	free(r->ok);
	free(r->opt.netns);
	cgmap_free(r->cg);
	if (r->st)
		store_close(r->st);
}

int main(int argc, char **argv)
{
	struct recorder r;
	sigset_t waitmask;
	int ret;

	memset(&r, 0, sizeof(r));
	ret = parse_args(argc, argv, &r.opt);
	if (ret >= 0) {
		free(r.opt.netns);
		return ret;
	}
	setup_signals(&waitmask);
	raise_fd_limit();
	if (open_close_events(&r) < 0 || open_netns(&r) < 0 ||
	    open_all(&r) < 0) {
		close_all(&r);
		return 1;
	}
	announce(&r.opt);
	run(&r, &waitmask);
	close_all(&r);
	return 0;
}
