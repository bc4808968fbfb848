/*
 * bench-owners.c — what owner attribution costs per snapshot when many
 * sockets are held by a few hundred processes and processes come and go.
 *
 * Builds a private network namespace with N loopback connections (2N
 * sockets) over P worker processes, starts a churner there that forks C
 * short-lived children a second (each opens a UDP socket and a UNIX
 * socketpair; a third of them fork a grandchild sharing them, a third exec
 * `sleep`; all are gone within 400 ms), then takes S snapshots in this
 * process every I ms (capture_snapshot, as sockhistd's ticks do) and prints
 * per snapshot the procmap's work (procmap_get_stats deltas): /proc entries
 * listed, fd directories listed, fd entries listed, readlinks, comm reads,
 * whether it was a full rescan, the capture time and its part after the
 * dumps (sort, dedupe, owner attachment), against the number of processes
 * and fds (all fds: counted by the last full rescan).  Last, the median wall time of `ss -tuxanp` on the
 * same sockets (R runs) and the ratio.  Needs root.
 *
 * Usage: bench-owners [-n CONNS] [-P PROCS] [-c CHURN_PER_SEC]
 *                     [-s SNAPSHOTS] [-i INTERVAL_MS] [-r SS_RUNS]
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "benchutil.h"
#include "capture.h"

#define USAGE "usage: bench-owners [-n CONNS] [-P PROCS] [-c CHURN_PER_SEC] " \
	      "[-s SNAPSHOTS] [-i INTERVAL_MS] [-r SS_RUNS]"

/* One churn child: a UDP socket and a socketpair, maybe shared with a
 * grandchild or kept across an exec, for 50-350 ms. */
static void churn_child(unsigned seed)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char ms[16];
	int sv[2], fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		_exit(1);
	snprintf(ms, sizeof(ms), "0.%03u", 50 + seed % 300);
	if (seed % 3 == 1)
		execlp("sleep", "sleep", ms, (char *)NULL);
	if (seed % 3 == 0 && fork() < 0)
		_exit(1);
	usleep(1000 * (50 + seed % 300));
	_exit(0);
}

/* Fork the churner (killed with its children at exit); returns its pid. */
static pid_t churn_start(int rate)
{
	struct timespec gap = { 0, 1000000000L / rate };
	unsigned seed = 1;
	pid_t pid = fork();

	if (pid < 0)
		err(1, "fork");
	if (pid > 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (;;) {
		seed = seed * 1103515245u + 12345u;
		if (fork() == 0)
			churn_child(seed >> 8);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		nanosleep(&gap, NULL);
	}
}

/* Stop the churner and reap it (its orphans die with their sleep). */
static void churn_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	int conns = 25000, procs = 250, churn = 200, snaps = 20, interval = 200;
	int runs = 1, opt;
	struct procmap_stats a, b;
	struct capture cap;
	struct procmap *pm = NULL;
	struct snapshot snap;

	while ((opt = getopt(argc, argv, "n:P:c:s:i:r:")) != -1) {
		switch (opt) {
		case 'n': conns = (int)parse_count(optarg, opt, 1, 1000000); break;
		case 'P': procs = (int)parse_count(optarg, opt, 1, CONN_NS_MAX_WORKERS); break;
		case 'c': churn = (int)parse_count(optarg, opt, 1, 2000); break;
		case 's': snaps = (int)parse_count(optarg, opt, 2, 1000); break;
		case 'i': interval = (int)parse_count(optarg, opt, 10, 60000); break;
		case 'r': runs = (int)parse_count(optarg, opt, 1, BENCH_MAX_RUNS); break;
		default: errx(2, USAGE);
		}
	}
	if (optind < argc)
		errx(2, USAGE);
	if (geteuid() != 0)
		errx(1, "needs root (creates a network namespace)");

	double t0 = now_ms();
	conn_ns_open(conns, procs);
	printf("setup: %d connections (%d sockets + %d listeners) over %d processes in %.1f s; churn %d processes/s\n",
	       conns, 2 * conns, procs, procs, (now_ms() - t0) / 1e3, churn);
	pid_t churner = churn_start(churn);
	usleep(500000);
	if (capture_open_current(&cap) < 0 || procmap_new(NULL, &pm) < 0 ||
	    snapshot_init(&snap) < 0)
		errx(1, "capture_open failed");

	printf("%4s %4s %7s %7s %8s %9s %6s %6s %9s %9s %8s %8s\n", "snap",
	       "full", "/proc", "fd dirs", "fds", "readlinks", "comm", "ms",
	       "attach ms", "sockets", "owners", "all fds");
	uint64_t all_fds = 0;
	double warm_ms = 0, ms[1000];
	for (int i = 0; i < snaps; i++) {
		double s0 = now_ms();

		procmap_get_stats(pm, &a);
		if (capture_snapshot(&cap, pm, &snap) < 0)
			errx(1, "capture_snapshot failed");
		ms[i] = now_ms() - s0;
		procmap_get_stats(pm, &b);
		int full = b.full_rescans > a.full_rescans;
		if (full)
			all_fds = b.fds_listed - a.fds_listed;
		printf("%4d %4s %7llu %7llu %8llu %9llu %6llu %6.1f %9.1f %9zu %8zu %8llu\n",
		       i + 1, full ? "yes" : "no",
		       (unsigned long long)(b.proc_entries - a.proc_entries),
		       (unsigned long long)(b.fd_dirs - a.fd_dirs),
		       (unsigned long long)(b.fds_listed - a.fds_listed),
		       (unsigned long long)(b.readlinks - a.readlinks),
		       (unsigned long long)(b.comm_reads - a.comm_reads),
		       ms[i], (double)cap.attach_ns / 1e6, snap.nrecs, snap.nprocs,
		       (unsigned long long)all_fds);
		fflush(stdout);
		double left = interval - (now_ms() - s0);
		if (left > 0)
			usleep((useconds_t)(left * 1000));
	}
	qsort(ms + 1, (size_t)snaps - 1, sizeof(double), cmp_double);
	warm_ms = ms[1 + (snaps - 1) / 2];

	char *ss_p[] = { "/usr/bin/ss", "-tuxanp", NULL };
	struct run_cost c = median_run(runs, ss_p, NULL);
	printf("snapshot (median of the %d after the first): %.1f ms; cold (first, full rescan): %.1f ms\n",
	       snaps - 1, warm_ms, ms[0]);
	printf("ss -tuxanp >/dev/null (median of %d): %.1f ms wall, %.1f ms cpu\n",
	       runs, c.wall_ms, c.cpu_ms);
	printf("ratio ss -tuxanp / snapshot: %.1fx (wall)\n", c.wall_ms / warm_ms);
	churn_stop(churner);
	snapshot_free(&snap);
	capture_close(&cap);
	procmap_free(pm);
	conn_ns_close();
	return 0;
}
