/*
 * bench-netns.c — what recording many network namespaces costs: EMPTY
 * empty namespaces (ip netns add) plus one of CONNS loopback connections
 * (benchutil's conn_ns), recorded by one sockhistd given every namespace
 * with --netns, against the same recorder given only the connections'
 * namespace; per tick over TICKS ticks after a warm-up: the recorder's
 * CPU (utime + stime from /proc/PID/stat), its wall time (the frames'
 * took_us), the database bytes in use, and the first tick (where every
 * namespace is opened); the difference divided by EMPTY is the cost of
 * one empty namespace.  The reference is what an operator would run
 * instead: `ip netns exec NS ss -tuwxan` in each empty namespace.
 *
 * Usage: bench-netns -d SOCKHISTD [-e EMPTY] [-c CONNS] [-t TICKS]
 *                    [-i INTERVAL_MS]
 * Needs root.  The namespaces are named netns-bench-PID-N and removed at
 * exit.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "benchutil.h"

#define MAX_EMPTY 500
#define WARM_TICKS 3
#define USAGE "usage: bench-netns -d SOCKHISTD [-e EMPTY] [-c CONNS] " \
	"[-t TICKS] [-i INTERVAL_MS]"

static char empty[MAX_EMPTY][64];
static int nempty;
static pid_t creator;
static char db[128];

/* Remove the empty namespaces (in the process that made them). */
static void remove_empty(void)
{
	char cmd[128];

	if (getpid() != creator)
		return;
	for (int i = 0; i < nempty; i++) {
		snprintf(cmd, sizeof(cmd), "ip netns del %.63s 2>/dev/null",
			 empty[i]);
		if (system(cmd) != 0)
			warnx("could not remove %s", empty[i]);
	}
	nempty = 0;
}

/* Create n empty namespaces. */
static void make_empty(int n)
{
	char cmd[160];

	creator = getpid();
	atexit(remove_empty);
	for (int i = 0; i < n; i++) {
		snprintf(empty[i], sizeof(empty[i]), "netns-bench-%d-%d",
			 (int)creator, i);
		snprintf(cmd, sizeof(cmd), "ip netns add %.63s", empty[i]);
		sh(cmd);
		nempty = i + 1;
	}
}

/* A process's CPU time (user + system) in ms, from /proc/PID/stat. */
static double proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f || !fgets(buf, sizeof(buf), f))
		err(1, "%s", path);
	fclose(f);
	/* Fields after the ")" that ends comm: state is field 3, utime 14. */
	const char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		errx(1, "%s: unexpected format", path);
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* The integer answer of a one-row query on the database (0 if none). */
static int64_t db_int(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *q;
	int64_t v = 0;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		errx(1, "%s: %s", db, sqlite3_errmsg(h));
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return v;
}

/* Wait until the database holds `frames` frames (at most 60 s). */
static void await_frames(int64_t frames)
{
	for (int i = 0; i < 6000; i++) {
		if (access(db, F_OK) == 0 &&
		    db_int("SELECT count(*) FROM frame") >= frames)
			return;
		usleep(10000);
	}
	errx(1, "the recorder did not write %lld frames", (long long)frames);
}

/* What recording cost per tick. */
struct rec_cost {
	double cpu_ms, wall_ms, bytes, first_ms;
	long maxrss_kib;
};

/* Bytes of the database's pages in use. */
static double used_bytes(void)
{
	return (double)db_int("SELECT (SELECT * FROM pragma_page_count) - "
			      "(SELECT * FROM pragma_freelist_count)") * 4096.0;
}

/* Record the namespaces names[0..n) for WARM_TICKS + ticks ticks. */
static struct rec_cost record(const char *sockhistd, char names[][64], int n,
			      int ticks, const char *interval)
{
	char **argv = calloc((size_t)(2 * n + 8), sizeof(*argv));
	struct rec_cost c;
	struct rusage ru;
	int a = 0, status;

	if (!argv)
		err(1, "calloc");
	unlink_db(db);
	argv[a++] = (char *)sockhistd;
	argv[a++] = "--db";
	argv[a++] = db;
	argv[a++] = "--interval";
	argv[a++] = (char *)interval;
	for (int i = 0; i < n; i++) {
		argv[a++] = "--netns";
		argv[a++] = names[i];
	}
	pid_t pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(sockhistd, argv);
		_exit(127);
	}
	await_frames((int64_t)n * WARM_TICKS);
	int64_t f0 = db_int("SELECT count(*) FROM frame");
	double cpu0 = proc_cpu_ms(pid), b0 = used_bytes();
	await_frames(f0 + (int64_t)n * ticks);
	double cpu1 = proc_cpu_ms(pid), b1 = used_bytes();
	int64_t f1 = db_int("SELECT count(*) FROM frame");
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT sum(took_us) FROM frame WHERE "
		 "id > %lld AND id <= %lld", (long long)f0, (long long)f1);
	double took_us = (double)db_int(sql);
	double elapsed = (double)(f1 - f0) / n;
	c.cpu_ms = (cpu1 - cpu0) / elapsed;
	c.wall_ms = took_us / 1e3 / elapsed;
	c.bytes = (b1 - b0) / elapsed;
	c.first_ms = (double)db_int("SELECT sum(took_us) FROM frame WHERE "
				    "time_ns = (SELECT min(time_ns) FROM "
				    "frame)") / 1e3;
	kill(pid, SIGTERM);
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(1, "%s did not exit cleanly", sockhistd);
	c.maxrss_kib = ru.ru_maxrss;
	free(argv);
	return c;
}

/* Print one recorder's figures. */
static void print_cost(const char *what, const struct rec_cost *c)
{
	printf("%-34s %9.2f %9.2f %10.0f %9.1f %8.1f\n", what, c->cpu_ms,
	       c->wall_ms, c->bytes, c->first_ms, c->maxrss_kib / 1024.0);
}

int main(int argc, char **argv)
{
	const char *sockhistd = NULL;
	int n = 50, conns = 1000, ticks = 50, interval_ms = 100, opt;
	char interval[32];

	while ((opt = getopt(argc, argv, "d:e:c:t:i:")) != -1) {
		switch (opt) {
		case 'd': sockhistd = optarg; break;
		case 'e': n = (int)parse_count(optarg, 'e', 1, MAX_EMPTY - 1); break;
		case 'c': conns = (int)parse_count(optarg, 'c', 1, 100000); break;
		case 't': ticks = (int)parse_count(optarg, 't', 1, 10000); break;
		case 'i': interval_ms = (int)parse_count(optarg, 'i', 10, 60000); break;
		default: errx(2, USAGE);
		}
	}
	if (!sockhistd || optind != argc)
		errx(2, USAGE);
	if (access(sockhistd, X_OK) < 0)
		err(2, "%s", sockhistd);
	snprintf(interval, sizeof(interval), "%dms", interval_ms);
	snprintf(db, sizeof(db), "/tmp/bench-netns-%d.db", (int)getpid());

	make_empty(n);
	const char *conn = conn_ns_open(conns, 4);
	snprintf(empty[n], sizeof(empty[n]), "%s", conn);

	printf("%d empty namespaces + %s (%d connections), %d ticks every %s\n",
	       n, conn, conns, ticks, interval);
	printf("%-34s %9s %9s %10s %9s %8s\n", "per tick", "cpu ms", "wall ms",
	       "db bytes", "1st ms", "RSS MiB");
	struct rec_cost all = record(sockhistd, empty, n + 1, ticks, interval);
	print_cost("sockhistd, all namespaces", &all);
	struct rec_cost one = record(sockhistd, &empty[n], 1, ticks, interval);
	print_cost("sockhistd, the connections' only", &one);
	printf("per empty namespace: %.3f ms cpu, %.3f ms wall, %.0f bytes per "
	       "tick; %.2f ms to open (first tick); %.1f KiB RSS\n",
	       (all.cpu_ms - one.cpu_ms) / n, (all.wall_ms - one.wall_ms) / n,
	       (all.bytes - one.bytes) / n, (all.first_ms - one.first_ms) / n,
	       (double)(all.maxrss_kib - one.maxrss_kib) / n);

	/* The reference: ss in every empty namespace. */
	double wall = 0, cpu = 0;
	for (int i = 0; i < n; i++) {
		char *ss[] = { "/usr/sbin/ip", "netns", "exec", empty[i],
			       "ss", "-tuwxan", NULL };
		struct run_cost r = timed_run(ss);
		wall += r.wall_ms;
		cpu += r.cpu_ms;
	}
	printf("ip netns exec NS ss -tuwxan, per empty namespace: %.2f ms "
	       "wall, %.2f ms cpu\n", wall / n, cpu / n);
	printf("ratio ss / sockhistd per empty namespace: %.0fx (wall), "
	       "%.0fx (cpu)\n", (wall / n) / ((all.wall_ms - one.wall_ms) / n),
	       (cpu / n) / ((all.cpu_ms - one.cpu_ms) / n));
	unlink_db(db);
	conn_ns_close();
	return 0;
}
