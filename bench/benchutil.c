/*
 * benchutil.c — clock, median comparator, option parsing, timed command
 * runs and the namespace of loopback connections shared by the benchmark
 * programs (see benchutil.h).
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

extern char **environ;

/* The one namespace conn_ns_open made: its name, workers and creator. */
static struct {
	char name[64];
	int procs;
	pid_t owner;
	pid_t workers[CONN_NS_MAX_WORKERS];
} ns;

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

long parse_count(const char *s, int opt, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		errx(2, "-%c %s: expected a number from %ld to %ld", opt, s,
		     min, max);
	return v;
}

void sh(const char *cmd)
{
	if (system(cmd) != 0)
		errx(1, "command failed: %s", cmd);
}

void unlink_db(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[4200];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

struct run_cost timed_run(char *const argv[])
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

struct run_cost median_run(int n, char *const argv[], void (*prep)(void))
{
	double wall[BENCH_MAX_RUNS], cpu[BENCH_MAX_RUNS];
	long rss = 0;
	for (int i = 0; i < n; i++) {
		if (prep)
			prep();
		struct run_cost c = timed_run(argv);
		wall[i] = c.wall_ms;
		cpu[i] = c.cpu_ms;
		if (c.maxrss_kib > rss)
			rss = c.maxrss_kib;
	}
	qsort(wall, (size_t)n, sizeof(double), cmp_double);
	qsort(cpu, (size_t)n, sizeof(double), cmp_double);
	return (struct run_cost){ wall[n / 2], cpu[n / 2], rss };
}

/* Worker: open `conns` connections to its own listener and hold them. */
static void worker(int idx, int conns, int ready_fd)
{
	struct rlimit rl = { (rlim_t)conns * 2 + 64, (rlim_t)conns * 2 + 64 };
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		err(1, "setrlimit");
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)(CONN_NS_PORT + idx)) };
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

void conn_ns_close(void)
{
	char cmd[128];

	if (ns.owner != getpid())
		return;
	ns.owner = 0;
	for (int i = 0; i < ns.procs; i++)
		kill(ns.workers[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	snprintf(cmd, sizeof(cmd), "ip netns del %s", ns.name);
	if (system(cmd) != 0)
		warnx("could not delete namespace %s", ns.name);
}

const char *conn_ns_open(int conns, int procs)
{
	char cmd[256];
	int pfd[2];

	snprintf(ns.name, sizeof(ns.name), "sockhist-bench-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "ip netns add %s && ip -n %s link set lo up",
		 ns.name, ns.name);
	sh(cmd);
	ns.owner = getpid();
	atexit(conn_ns_close);
	snprintf(cmd, sizeof(cmd), "/run/netns/%s", ns.name);
	int nsfd = open(cmd, O_RDONLY);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
		err(1, "enter %s", ns.name);
	close(nsfd);
	/* Wide, but above the listeners' ports: a connection opened before
	 * a later worker binds CONN_NS_PORT + i must not hold that port. */
	char range[96];
	snprintf(range, sizeof(range), "sysctl -q -w "
		 "net.ipv4.ip_local_port_range='%d 65000'",
		 CONN_NS_PORT + CONN_NS_MAX_WORKERS);
	sh(range);

	if (pipe(pfd) < 0)
		err(1, "pipe");
	for (ns.procs = 0; ns.procs < procs; ns.procs++) {
		int share = conns / procs + (ns.procs < conns % procs);
		pid_t pid = fork();
		if (pid < 0)
			err(1, "fork");
		if (pid == 0)
			worker(ns.procs, share, pfd[1]);
		ns.workers[ns.procs] = pid;
	}
	close(pfd[1]);
	if (wait_ready(pfd[0], procs) < 0)
		errx(1, "a worker died before its connections were open");
	close(pfd[0]);
	return ns.name;
}
