/*
 * bench-connections.c — how a full-fidelity sockhistd snapshot compares with
 * ss on many established TCP connections.
 *
 * Builds a private network namespace, spreads N loopback connections (2N
 * sockets) over P worker processes, then in the same run times, R times each:
 *   ss -tanmio >/dev/null, ss -tanp >/dev/null, sockhistd --once (cold start:
 * netlink dumps of every family, process attribution, encode, commit),
 * and prints medians, the ratios, sockhistd's peak RSS and the database's
 * bytes per socket.  Then, in this process, the recorder's steady state:
 * after one cold snapshot, W consecutive warm ones (capture + store append,
 * as the daemon's ticks do), with the median wall time of each phase and
 * the peak RSS.  Needs root.
 *
 * Usage: bench-connections [-n CONNS] [-P PROCS] [-r RUNS] [-w WARM] [-H]
 *                          -d SOCKHISTD
 * -H holds the namespace after measuring until stdin closes, for profiling
 * (`ip netns exec sockhist-bench-PID perf record ...`).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchutil.h"
#include "capture.h"
#include "store.h"

static char db_path[256];

/* Remove the database so every sockhistd run is a cold first snapshot. */
static void fresh_db(void)
{
	unlink_db(db_path);
}

/* Median wall ms of each steady-state phase. */
struct warm_cost {
	double dump_ms;         /* netlink dumps */
	double attach_ms;       /* sort and owner attachment */
	double store_ms;        /* encode and commit */
	double total_ms;
	double kstat_ms;        /* reading the kernel's socket counters */
	double maxrss_mib;      /* this process's peak RSS */
	double cold[5];         /* the first (cold) snapshot's phases */
};

/* Take and append one snapshot; fill the phase times in ms (the order of
 * struct warm_cost). */
static void warm_one(struct capture *cap, struct procmap *pm,
		     struct snapshot *snap, struct store *st, double t[5])
{
	double t0 = now_ms();
	if (capture_snapshot(cap, pm, snap) < 0)
		errx(1, "capture_snapshot failed");
	double t1 = now_ms();
	if (store_append(st, snap) < 0)
		errx(1, "store_append: %s", store_errmsg(st));
	t[0] = (double)cap->dump_ns / 1e6;
	t[1] = (double)cap->attach_ns / 1e6;
	t[2] = now_ms() - t1;
	t[3] = now_ms() - t0;
	t[4] = (double)cap->kstat_ns / 1e6;
}

/* One cold snapshot, then n warm ones into a fresh database; medians. */
static struct warm_cost warm_runs(int n)
{
	struct capture cap;
	struct procmap *pm;
	struct snapshot snap;
	struct store *st;
	char msg[256];
	double t[5], ph[5][64];

	fresh_db();
	if (store_open(db_path, STORE_WRITE, &st, msg, sizeof(msg)) < 0)
		errx(1, "%s: %s", db_path, msg);
	if (capture_open_current(&cap) < 0 || procmap_new(NULL, &pm) < 0 ||
	    snapshot_init(&snap) < 0)
		errx(1, "capture_open failed");
	warm_one(&cap, pm, &snap, st, t);
	double cold[5] = { t[0], t[1], t[2], t[3], t[4] };
	for (int i = 0; i < n; i++) {
		warm_one(&cap, pm, &snap, st, t);
		for (int k = 0; k < 5; k++)
			ph[k][i] = t[k];
	}
	for (int k = 0; k < 5; k++)
		qsort(ph[k], (size_t)n, sizeof(double), cmp_double);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	snapshot_free(&snap);
	capture_close(&cap);
	procmap_free(pm);
	store_close(st);
	return (struct warm_cost){ ph[0][n / 2], ph[1][n / 2], ph[2][n / 2],
				   ph[3][n / 2], ph[4][n / 2], ru.ru_maxrss / 1024.0,
				   { cold[0], cold[1], cold[2], cold[3], cold[4] } };
}

int main(int argc, char **argv)
{
	int conns = 25000, procs = 8, runs = 5, warm = 10, hold = 0, opt;
	const char *sockhistd = NULL;
	while ((opt = getopt(argc, argv, "n:P:r:w:d:H")) != -1) {
		switch (opt) {
		case 'H': hold = 1; break;
		case 'n': conns = atoi(optarg); break;
		case 'P': procs = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 'd': sockhistd = optarg; break;
		default:
			errx(2, "usage: bench-connections [-n CONNS] [-P PROCS] [-r RUNS] [-w WARM] [-H] -d SOCKHISTD");
		}
	}
	if (!sockhistd || conns < 1 || procs < 1 || procs > CONN_NS_MAX_WORKERS || runs < 1 || runs > BENCH_MAX_RUNS ||
	    warm < 1 || warm > 64)
		errx(2, "usage: bench-connections [-n CONNS] [-P PROCS] [-r RUNS] [-w WARM] [-H] -d SOCKHISTD");
	if (geteuid() != 0)
		errx(1, "needs root (creates a network namespace)");

	char cmd[400];
	double t0 = now_ms();
	const char *ns = conn_ns_open(conns, procs);
	printf("setup: %d connections (%d sockets + %d listeners) over %d processes in %.1f s\n",
	       conns, 2 * conns, procs, procs, (now_ms() - t0) / 1e3);

	snprintf(db_path, sizeof(db_path), "/tmp/%s.db", ns);
	char *ss_mio[] = { "/usr/bin/ss", "-tanmio", NULL };
	char *ss_p[] = { "/usr/bin/ss", "-tanp", NULL };
	char *rec[] = { (char *)sockhistd, "--once", "--netns", "/proc/self/ns/net",
			"--db", db_path, NULL };

	struct run_cost a = median_run(runs, ss_mio, NULL);
	struct run_cost b = median_run(runs < 3 ? runs : 3, ss_p, NULL);
	struct run_cost c = median_run(runs, rec, fresh_db);
	struct stat st;
	double db_bytes = stat(db_path, &st) == 0 ? (double)st.st_size : 0;
	snprintf(cmd, sizeof(cmd), "%s-wal", db_path);
	if (stat(cmd, &st) == 0)
		db_bytes += (double)st.st_size;

	printf("%-28s %10s %10s %10s\n", "command (median)", "wall ms", "cpu ms", "maxrss MiB");
	printf("%-28s %10.1f %10.1f %10.1f\n", "ss -tanmio >/dev/null", a.wall_ms, a.cpu_ms, a.maxrss_kib / 1024.0);
	printf("%-28s %10.1f %10.1f %10.1f\n", "ss -tanp >/dev/null", b.wall_ms, b.cpu_ms, b.maxrss_kib / 1024.0);
	printf("%-28s %10.1f %10.1f %10.1f\n", "sockhistd --once (cold)", c.wall_ms, c.cpu_ms, c.maxrss_kib / 1024.0);
	printf("ratio ss -tanmio / sockhistd: %.2fx (wall)\n", a.wall_ms / c.wall_ms);
	printf("ratio ss -tanp / sockhistd:   %.2fx (wall)\n", b.wall_ms / c.wall_ms);
	printf("database: %.0f bytes for %d sockets = %.1f bytes/socket (one snapshot)\n",
	       db_bytes, 2 * conns + procs, db_bytes / (2 * conns + procs));

	struct warm_cost w = warm_runs(warm);
	printf("in-process cold snapshot (wall ms): dumps %.1f, owners %.1f, "
	       "encode+commit %.1f, total %.1f; kernel counters %.0f us\n",
	       w.cold[0], w.cold[1], w.cold[2], w.cold[3], w.cold[4] * 1e3);
	printf("steady state, median of %d warm snapshots (wall ms): dumps %.1f, "
	       "owners %.1f, encode+commit %.1f, total %.1f; kernel counters "
	       "%.0f us; peak RSS %.1f MiB\n", warm, w.dump_ms, w.attach_ms,
	       w.store_ms, w.total_ms, w.kstat_ms * 1e3, w.maxrss_mib);
	printf("ratio ss -tanmio / warm snapshot: %.2fx (wall)\n", a.wall_ms / w.total_ms);
	printf("ratio ss -tanp / warm snapshot:   %.2fx (wall)\n", b.wall_ms / w.total_ms);

	if (hold) {
		printf("holding namespace %s; close stdin to end\n", ns);
		fflush(stdout);
		char buf[64];
		while (read(0, buf, sizeof(buf)) > 0)
			;
	}
	conn_ns_close();
	fresh_db();
	return 0;
}
