/*
 * bench-analyzer.c — how fast the analyzer answers over a long history.
 *
 * Builds a database of real snapshots quickly: the churn workload runs in a
 * private network namespace (20 s of warmup), and this process captures it
 * back to back
 * (the recorder's own capture and store code), stamping the frames 10 s
 * apart so that N frames span N * 10 s of history.  Then it times the real
 * `sockhist` binary, each command run R times (median, and the maximum):
 *   show --at TIME           at random moments (plain, and with -i, which
 *                            also replays tcp_info along the chain);
 *   hist                     a state histogram over one day of snapshots
 *                            (from the stored counts);
 *   show --since --until F   a filtered scan of every snapshot, reported
 *                            as socket-rows scanned per second;
 *   hist --by KEY [FILTER]   histograms over one day that scan the
 *                            snapshots (--by peer, --by sport of the
 *                            established sockets, CLOSE-WAIT on :8080 per
 *                            minute), with their socket-rows per second.
 * With -k the database is kept (its path is printed) for timing other
 * commands by hand.  Needs root.  Usage:
 *   bench-analyzer -a SOCKHIST -w WORKLOAD [-f FRAMES] [-r RUNS] [-k]
 *                  [-- WORKLOAD_CHURN_ARGS]
 * -k keeps the database (its path is printed) for timing other commands.
 */
#include <err.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "capture.h"
#include "store.h"
#include "timeexpr.h"

#define STEP_NS (10ll * 1000000000)
#define DAY_FRAMES 8640
#define MAX_RUNS 64

extern char **environ;

static char ns_name[64];
static pid_t workload_pid;

/* Remove the namespace and stop the workload (atexit). */
static void cleanup(void)
{
	char cmd[128];

	if (workload_pid > 0)
		kill(workload_pid, SIGTERM);
	while (wait(NULL) > 0)
		;
	snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns_name);
	if (system(cmd) != 0)
		warnx("could not delete namespace %s", ns_name);
}

/* Create the namespace, start the churn workload in it, wait for "ready"
 * and a short warmup, and move this process into the namespace. */
static void start_workload(const char *workload, char **extra, int nextra)
{
	char cmd[256], path[128], line[64];
	int out[2], in[2];

	snprintf(ns_name, sizeof(ns_name), "sockhist-abench-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "ip netns add %s && ip -n %s link set lo up",
		 ns_name, ns_name);
	if (system(cmd) != 0)
		errx(1, "cannot create namespace %s", ns_name);
	atexit(cleanup);
	char *argv[32] = { "ip", "netns", "exec", ns_name, (char *)workload,
			   "churn" };
	int argc = 6;
	for (int i = 0; i < nextra && argc < 31; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	posix_spawn_file_actions_t fa;
	/* The workload runs until its stdin closes: keep the write end open
	 * (close-on-exec) for as long as this process lives. */
	if (pipe(out) < 0 || pipe2(in, O_CLOEXEC) < 0)
		err(1, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	if (posix_spawnp(&workload_pid, "ip", &fa, NULL, argv, environ) != 0)
		err(1, "spawn workload");
	close(out[1]);
	close(in[0]);
	FILE *f = fdopen(out[0], "r");
	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "ready", 5))
		errx(1, "the workload did not start");
	sleep(20);
	snprintf(path, sizeof(path), "/run/netns/%s", ns_name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		err(1, "setns %s", path);
	close(fd);
}

/* Capture `frames` snapshots back to back into a fresh database, stamped
 * STEP_NS apart ending now; *rows counts their sockets, *day_rows those of
 * the last DAY_FRAMES.  Returns the first frame's time. */
static int64_t build_db(const char *db, int frames, uint64_t *rows,
			uint64_t *day_rows)
{
	struct capture cap;
	struct procmap *pm;
	struct snapshot snap;
	struct store *st;
	char msg[256];
	int64_t t0 = time_now_ns() - (int64_t)frames * STEP_NS;
	double start = now_ms();

	unlink(db);
	if (store_open(db, STORE_WRITE, &st, msg, sizeof(msg)) < 0)
		errx(1, "%s: %s", db, msg);
	if (capture_open_current(&cap) < 0 || procmap_new(NULL, &pm) < 0 ||
	    snapshot_init(&snap) < 0)
		errx(1, "capture_open failed");
	*rows = *day_rows = 0;
	for (int i = 0; i < frames; i++) {
		if (capture_snapshot(&cap, pm, &snap) < 0)
			errx(1, "capture failed");
		snap.time_ns = t0 + i * STEP_NS;
		if (store_append(st, &snap) < 0)
			errx(1, "append: %s", store_errmsg(st));
		*rows += snap.nrecs;
		if (i >= frames - DAY_FRAMES)
			*day_rows += snap.nrecs;
	}
	printf("database: %d snapshots, %.0f sockets each on average, built "
	       "in %.1f s\n", frames, (double)*rows / frames,
	       (now_ms() - start) / 1e3);
	snapshot_free(&snap);
	capture_close(&cap);
	procmap_free(pm);
	store_close(st);
	return t0;
}

/* Print the median and maximum of n timings. */
static void report(const char *what, double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	printf("%-44s median %8.1f ms   max %8.1f ms\n", what, ms[n / 2],
	       ms[n - 1]);
}

/* show --at at n random moments of the history. */
static void bench_show_at(const char *sockhist, const char *db, int64_t t0,
			  int frames, int n, const char *flags)
{
	double ms[MAX_RUNS];
	char at[32], what[64];

	for (int i = 0; i < n; i++) {
		int64_t t = t0 + (int64_t)(rand() % frames) * STEP_NS +
			STEP_NS / 2;
		snprintf(at, sizeof(at), "%" PRId64, t / 1000000000);
		char *argv[] = { (char *)sockhist, "--db", (char *)db, "show",
				 "--at", at, (char *)flags, NULL };
		ms[i] = timed_run(argv).wall_ms;
	}
	snprintf(what, sizeof(what), "show --at TIME %s", flags);
	report(what, ms, n);
}

/* The hist questions that scan a day of snapshots: each run `runs` times,
 * with the day's socket-rows per second at the median. */
static void bench_hist_scans(const char *sockhist, const char *db,
			     const char *since, const char *until, int runs,
			     uint64_t day_rows)
{
	static const struct { const char *what; const char *args[8]; } q[] = {
		{ "hist --by peer (day)", { "--by", "peer" } },
		{ "hist --by sport state established (day)",
		  { "--by", "sport", "state", "established" } },
		{ "hist state close-wait sport = :8080 (1m)",
		  { "--step", "1m", "state", "close-wait", "sport", "=",
		    ":8080" } },
	};
	double ms[MAX_RUNS];

	for (size_t k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
		char *argv[20] = { (char *)sockhist, "--db", (char *)db, "hist",
				   "--since", (char *)since, "--until",
				   (char *)until };
		int argc = 8;

		for (int i = 0; i < 8 && q[k].args[i]; i++)
			argv[argc++] = (char *)q[k].args[i];
		for (int i = 0; i < runs; i++)
			ms[i] = timed_run(argv).wall_ms;
		report(q[k].what, ms, runs);
		printf("  %.1f M socket-rows/s\n",
		       (double)day_rows / ms[runs / 2] / 1e3);
	}
}

int main(int argc, char **argv)
{
	const char *sockhist = NULL, *workload = NULL;
	int frames = 10000, runs = 15, keep = 0, opt;
	char db[128], since[32], until[32];
	uint64_t rows, day_rows;

	while ((opt = getopt(argc, argv, "a:w:f:r:k")) != -1) {
		switch (opt) {
		case 'a': sockhist = optarg; break;
		case 'w': workload = optarg; break;
		case 'f': frames = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 'k': keep = 1; break;
		default:
			errx(2, "usage: bench-analyzer -a SOCKHIST -w WORKLOAD "
			     "[-f FRAMES] [-r RUNS] [-k] [-- CHURN_ARGS]");
		}
	}
	if (!sockhist || !workload || frames < DAY_FRAMES || runs < 1 ||
	    runs > MAX_RUNS)
		errx(2, "need -a and -w, FRAMES >= %d, 1 <= RUNS <= %d",
		     DAY_FRAMES, MAX_RUNS);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("command:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	start_workload(workload, argv + optind, argc - optind);
	snprintf(db, sizeof(db), "/tmp/%s.db", ns_name);
	int64_t t0 = build_db(db, frames, &rows, &day_rows);
	srand(1);

	bench_show_at(sockhist, db, t0, frames, runs, "-tan");
	bench_show_at(sockhist, db, t0, frames, runs, "-tanei");

	double ms[MAX_RUNS];
	int64_t day0 = t0 + (int64_t)(frames - DAY_FRAMES) * STEP_NS;
	snprintf(since, sizeof(since), "%" PRId64, day0 / 1000000000);
	snprintf(until, sizeof(until), "%" PRId64,
		 (int64_t)(day0 + DAY_FRAMES * STEP_NS) / 1000000000);
	for (int i = 0; i < runs; i++) {
		char *hv[] = { (char *)sockhist, "--db", db, "hist", "--since",
			       since, "--until", until, "--step", "5m", "--format",
			       "csv", NULL };
		ms[i] = timed_run(hv).wall_ms;
	}
	report("hist over one day (8640 snapshots, 5m step)", ms, runs);

	for (int i = 0; i < 3; i++) {
		char *sv[] = { (char *)sockhist, "--db", db, "show", "--since",
			       "@1", "-tan", "dport", "=", ":443", NULL };
		ms[i] = timed_run(sv).wall_ms;
	}
	report("show --since @1 -tan dport = :443 (all)", ms, 3);
	printf("filtered scan: %" PRIu64 " socket-rows in %.0f ms = %.1f M "
	       "socket-rows/s\n", rows, ms[1], (double)rows / ms[1] / 1e3);
	bench_hist_scans(sockhist, db, since, until, runs, day_rows);
	if (keep)
		printf("database kept: %s\n", db);
	else
		unlink(db);
	return 0;
}
