/*
 * bench-netns.c — the analyzer over a file of several network namespaces:
 * the cost of reading a moment of N namespaces, of --netns narrowing it to
 * one, and of the scans (hist, trace) that skip other namespaces' frames.
 *
 * Builds a file with the real store: TICKS ticks of NS namespaces, each
 * frame SOCKETS TCP sockets of which one is replaced and a few change
 * queues every tick (so chains hold real deltas and the socket index has
 * lifetimes), all frames of a tick with the same time, interleaved by id
 * as the several-namespace recorder writes them.  Then times sockhist runs
 * (median of RUNS) and prints them; no asserts.  Compare -n 1 with -n 20.
 *
 *   bench-netns -a build/analyzer/sockhist [-n NS] [-t TICKS] [-s SOCKETS]
 *               [-r RUNS] [-d DB]
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "store.h"
#include "timeexpr.h"

#define STEP_NS (5 * 1000000000LL)
#define INO0 4026540000u

/* The snapshot of namespace ns at tick t: sockets cookie ns*1e7 + k for k
 * in [t, t + sockets), queues moving with t. */
static void make_frame(struct snapshot *s, int ns, int t, int sockets,
		       int64_t time_ns)
{
	snapshot_reset(s);
	s->time_ns = time_ns;
	s->netns_ino = INO0 + (uint64_t)ns;
	for (int k = t; k < t + sockets; k++) {
		struct sock_record *r = snapshot_add_record(s);

		r->cookie = (uint64_t)ns * 10000000u + (uint64_t)k;
		r->inode = (uint32_t)(100000 + k);
		r->family = 2;
		r->netid = NETID_TCP;
		r->state = 1;
		r->src[0] = 127;
		r->src[3] = 1;
		r->dst[0] = 127;
		r->dst[3] = 1;
		r->sport = (uint16_t)(10000 + k % 50000);
		r->dport = 443;
		r->rqueue = (uint32_t)((k % 7 == t % 7) ? t % 100 : 0);
	}
	snapshot_sort_dedupe(s);
}

/* Build the file; returns the first tick's time. */
static int64_t build(const char *db, int nns, int ticks, int sockets)
{
	struct snapshot s;
	struct store *st;
	char msg[256];
	int64_t t0 = time_now_ns() - (int64_t)ticks * STEP_NS;
	double start = now_ms();

	unlink(db);
	if (store_open(db, STORE_WRITE, &st, msg, sizeof(msg)) < 0)
		errx(1, "%s: %s", db, msg);
	if (snapshot_init(&s) < 0)
		errx(1, "out of memory");
	for (int t = 0; t < ticks; t++)
		for (int ns = 0; ns < nns; ns++) {
			make_frame(&s, ns, t, sockets, t0 + t * STEP_NS);
			if (store_append(st, &s) < 0)
				errx(1, "append: %s", store_errmsg(st));
		}
	snapshot_free(&s);
	store_close(st);
	printf("database: %d ticks x %d namespaces x %d sockets, built in "
	       "%.1f s\n", ticks, nns, sockets, (now_ms() - start) / 1e3);
	return t0;
}

/* Time one sockhist command line (NULL-terminated args after the db). */
static void bench(int runs, const char *what, const char *sockhist,
		  const char *db, const char *const *args)
{
	char *argv[24] = { (char *)sockhist, "--db", (char *)db };
	int argc = 3;
	struct run_cost c;

	while (*args && argc < 23)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	c = median_run(runs, argv, NULL);
	printf("%-46s median %8.1f ms wall %8.1f ms cpu\n", what, c.wall_ms,
	       c.cpu_ms);
}

int main(int argc, char **argv)
{
	const char *sockhist = NULL, *db = "/tmp/bench-netns.db";
	int nns = 20, ticks = 720, sockets = 200, runs = 5, opt;
	char mid[32], ino[32], cookie[32];

	while ((opt = getopt(argc, argv, "a:n:t:s:r:d:")) != -1) {
		switch (opt) {
		case 'a': sockhist = optarg; break;
		case 'n': nns = (int)parse_count(optarg, 'n', 1, 1000); break;
		case 't': ticks = (int)parse_count(optarg, 't', 2, 1000000); break;
		case 's': sockets = (int)parse_count(optarg, 's', 1, 100000); break;
		case 'r': runs = (int)parse_count(optarg, 'r', 1, BENCH_MAX_RUNS); break;
		case 'd': db = optarg; break;
		default:
			errx(2, "usage: bench-netns -a SOCKHIST [-n NS] [-t TICKS] "
			     "[-s SOCKETS] [-r RUNS] [-d DB]");
		}
	}
	if (!sockhist)
		errx(2, "-a SOCKHIST is required");
	int64_t t0 = build(db, nns, ticks, sockets);
	snprintf(mid, sizeof(mid), "%lld",
		 (long long)((t0 + (int64_t)(ticks / 2) * STEP_NS) / 1000000000));
	snprintf(ino, sizeof(ino), "%u", INO0 + (unsigned)nns / 2);
	snprintf(cookie, sizeof(cookie), "%llu",
		 (unsigned long long)(nns / 2) * 10000000u +
		 (unsigned long long)ticks / 2);

	bench(runs, "show --at MID -tn (every namespace)", sockhist, db,
	      (const char *const[]){ "show", "--at", mid, "-tn", NULL });
	bench(runs, "show --at MID -tn --netns INO", sockhist, db,
	      (const char *const[]){ "show", "--at", mid, "-tn", "--netns",
				     ino, NULL });
	bench(runs, "summary --at MID", sockhist, db,
	      (const char *const[]){ "summary", "--at", mid, NULL });
	bench(runs, "snapshots --ticks", sockhist, db,
	      (const char *const[]){ "snapshots", "--ticks", NULL });
	bench(runs, "hist --by netid (stored counts)", sockhist, db,
	      (const char *const[]){ "hist", "--since", "-1d", "--by",
				     "netid", NULL });
	bench(runs, "hist --by netid --netns INO (stored counts)", sockhist,
	      db, (const char *const[]){ "hist", "--since", "-1d", "--by",
					 "netid", "--netns", ino, NULL });
	bench(runs, "hist --by netns (scan)", sockhist, db,
	      (const char *const[]){ "hist", "--since", "-1d", "--by", "netns",
				     NULL });
	bench(runs, "hist --by family --netns INO (scan)", sockhist, db,
	      (const char *const[]){ "hist", "--since", "-1d", "--by",
				     "family", "--netns", ino, NULL });
	bench(runs, "trace --cookie C (one namespace's frames)", sockhist, db,
	      (const char *const[]){ "trace", "--cookie", cookie, NULL });
	unlink(db);
	return 0;
}
