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
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "capture.h"
#include "store.h"

extern char **environ;

#define MAX_WORKERS 256

struct run_cost {
	double wall_ms;
	double cpu_ms;
	long maxrss_kib;
};

/* Run a shell command line; die if it fails. */
static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		errx(1, "command failed: %s", cmd);
}

/* Worker: open `conns` connections to its own listener and hold them. */
static void worker(int idx, int conns, int ready_fd)
{
	struct rlimit rl = { (rlim_t)conns * 2 + 64, (rlim_t)conns * 2 + 64 };
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		err(1, "setrlimit");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(20000 + idx)) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 4096) < 0)
		err(1, "listener %d", idx);
	for (int i = 0; i < conns; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			err(1, "connect %d/%d", idx, i);
		if (accept(l, NULL, NULL) < 0)
			err(1, "accept");
	}
	if (write(ready_fd, "r", 1) != 1)
		err(1, "ready");
	pause();
	_exit(0);
}

/* Wait until n workers said they are ready on fd; -1 if one dies first
 * (its status is printed). */
static int wait_ready(int fd, int n)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int status;
	pid_t dead;
	char c;

	while (n > 0) {
		if (poll(&p, 1, 200) > 0 && read(fd, &c, 1) == 1) {
			n--;
			continue;
		}
		dead = waitpid(-1, &status, WNOHANG);
		if (dead > 0) {
			warnx("worker %d %s %d", (int)dead,
			      WIFSIGNALED(status) ? "killed by signal" : "exited with",
			      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			return -1;
		}
	}
	return 0;
}

/* Spawn argv with stdout to /dev/null; return its wall time and rusage. */
static struct run_cost run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	double t0 = now_ms();
	pid_t pid;
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		err(1, "spawn %s", argv[0]);
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0)
		err(1, "wait4");
	double wall = now_ms() - t0;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(1, "%s exited with status %d", argv[0], status);
	return (struct run_cost){
		.wall_ms = wall,
		.cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			  (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3,
		.maxrss_kib = ru.ru_maxrss,
	};
}

/* Median of n runs of argv (wall and CPU medians taken apart); maxrss is the
 * largest seen.  prep, if set, runs before each run (untimed). */
static struct run_cost median_of(int n, char *const argv[], void (*prep)(void))
{
	double wall[64], cpu[64];
	long rss = 0;
	for (int i = 0; i < n; i++) {
		if (prep)
			prep();
		struct run_cost c = run(argv);
		wall[i] = c.wall_ms;
		cpu[i] = c.cpu_ms;
		if (c.maxrss_kib > rss)
			rss = c.maxrss_kib;
	}
	qsort(wall, (size_t)n, sizeof(double), cmp_double);
	qsort(cpu, (size_t)n, sizeof(double), cmp_double);
	return (struct run_cost){ wall[n / 2], cpu[n / 2], rss };
}

static char db_path[256];

/* Remove the database so every sockhistd run is a cold first snapshot. */
static void fresh_db(void)
{
	char p[300];
	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
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
static void warm_one(struct capture *cap, struct snapshot *snap,
		     struct store *st, double t[5])
{
	double t0 = now_ms();
	if (capture_snapshot(cap, snap) < 0)
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
	struct snapshot snap;
	struct store *st;
	char msg[256];
	double t[5], ph[5][64];

	fresh_db();
	if (store_open(db_path, STORE_WRITE, &st, msg, sizeof(msg)) < 0)
		errx(1, "%s: %s", db_path, msg);
	if (capture_open(&cap) < 0 || snapshot_init(&snap) < 0)
		errx(1, "capture_open failed");
	warm_one(&cap, &snap, st, t);
	double cold[5] = { t[0], t[1], t[2], t[3], t[4] };
	for (int i = 0; i < n; i++) {
		warm_one(&cap, &snap, st, t);
		for (int k = 0; k < 5; k++)
			ph[k][i] = t[k];
	}
	for (int k = 0; k < 5; k++)
		qsort(ph[k], (size_t)n, sizeof(double), cmp_double);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	snapshot_free(&snap);
	capture_close(&cap);
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
	if (!sockhistd || conns < 1 || procs < 1 || procs > MAX_WORKERS || runs < 1 || runs > 64 ||
	    warm < 1 || warm > 64)
		errx(2, "usage: bench-connections [-n CONNS] [-P PROCS] [-r RUNS] [-w WARM] [-H] -d SOCKHISTD");
	if (geteuid() != 0)
		errx(1, "needs root (creates a network namespace)");

	char ns[64], cmd[400];
	snprintf(ns, sizeof(ns), "sockhist-bench-%d", getpid());
	snprintf(cmd, sizeof(cmd), "ip netns add %s && ip -n %s link set lo up", ns, ns);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "/run/netns/%s", ns);
	int nsfd = open(cmd, O_RDONLY);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
		err(1, "enter %s", ns);
	sh("sysctl -q -w net.ipv4.ip_local_port_range='1024 65000'");

	int pfd[2];
	if (pipe(pfd) < 0)
		err(1, "pipe");
	pid_t workers[MAX_WORKERS];
	double t0 = now_ms();
	for (int i = 0; i < procs; i++) {
		int share = conns / procs + (i < conns % procs);
		if ((workers[i] = fork()) == 0)
			worker(i, share, pfd[1]);
	}
	if (wait_ready(pfd[0], procs) < 0) {
		for (int i = 0; i < procs; i++)
			kill(workers[i], SIGKILL);
		snprintf(cmd, sizeof(cmd), "ip netns del %s", ns);
		sh(cmd);
		errx(1, "a worker died before its connections were open");
	}
	printf("setup: %d connections (%d sockets + %d listeners) over %d processes in %.1f s\n",
	       conns, 2 * conns, procs, procs, (now_ms() - t0) / 1e3);

	snprintf(db_path, sizeof(db_path), "/tmp/%s.db", ns);
	char *ss_mio[] = { "/usr/bin/ss", "-tanmio", NULL };
	char *ss_p[] = { "/usr/bin/ss", "-tanp", NULL };
	char *rec[] = { (char *)sockhistd, "--once", "--db", db_path, NULL };

	struct run_cost a = median_of(runs, ss_mio, NULL);
	struct run_cost b = median_of(runs < 3 ? runs : 3, ss_p, NULL);
	struct run_cost c = median_of(runs, rec, fresh_db);
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
	for (int i = 0; i < procs; i++)
		kill(workers[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	fresh_db();
	snprintf(cmd, sizeof(cmd), "ip netns del %s", ns);
	sh(cmd);
	return 0;
}
