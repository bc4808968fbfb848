/*
 * bench-closed.c — what recording every closed connection costs: sockhistd
 * (close events on, interval 5 s) against `ss -E -tn`, on the same
 * workload of short loopback connections.
 *
 * In a private network namespace, this process opens RATE connections per
 * second for SECS seconds, each a small exchange (64 bytes each way) and a
 * close on both ends, paced by absolute deadlines.  First with sockhistd
 * recording the namespace: once the workload is done and every event is
 * stored (polled in the database), its CPU time (utime + stime from
 * /proc/PID/stat, start-up excluded) per second of workload and per 1000
 * events, the events recorded against the sockets closed (two per
 * connection), the events lost, the snapshots taken, and the database
 * bytes per event (dbstat: the pages of the closed and closed_batch tables
 * and index).  Then the same workload with `ss -E -tn >/dev/null` listening
 * instead: its CPU, and the ratio.  Needs root.
 *
 * Usage: bench-closed [-r RATE] [-s SECS] [-N NSNAME] -d SOCKHISTD
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define PORT 7400
#define EXCHANGE 64

static char ns_name[128];
static char db_path[256];

/* Remove the namespace and the database at exit. */
static void cleanup(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null; rm -f %s %s-wal "
		 "%s-shm", ns_name, db_path, db_path, db_path);
	if (system(cmd) != 0)
		warnx("cleanup: %s", cmd);
}

/* Create the namespace (lo up, wide ephemeral range) and enter it. */
static void enter_ns(void)
{
	char cmd[1024], path[256];

	snprintf(cmd, sizeof(cmd), "ip netns add %s && ip -n %s link set lo up "
		 "&& ip netns exec %s sysctl -qw net.ipv4.ip_local_port_range="
		 "'1024 65000'", ns_name, ns_name, ns_name);
	sh(cmd);
	atexit(cleanup);
	snprintf(path, sizeof(path), "/run/netns/%s", ns_name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		err(1, "setns %s", path);
	close(fd);
}

/* utime + stime of pid in ms. */
static double cpu_ms(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")) || !fgets(buf, sizeof(buf), f))
		err(1, "%s", path);
	fclose(f);
	char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		errx(1, "%s: unreadable", path);
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* Start argv (stdout and stderr to /dev/null); its pid. */
static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* SIGTERM pid and reap it. */
static void stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* One integer answer of sql on the database (-1 when unreadable). */
static long long db_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	long long v = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			v = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
	return v;
}

/* Wait until sql answers at least want, or it stops growing for 3 s. */
static void wait_db(const char *sql, long long want)
{
	long long last = -1, v;
	double since = now_ms();

	while ((v = db_int(sql)) < want) {
		if (v != last) {
			last = v;
			since = now_ms();
		} else if (now_ms() - since > 3000) {
			return;
		}
		usleep(50000);
	}
}

/* Send n bytes and read n back on fd (a client) with peer server. */
static void exchange(int client, int server)
{
	char buf[EXCHANGE];

	memset(buf, 'x', sizeof(buf));
	if (send(client, buf, sizeof(buf), 0) != sizeof(buf) ||
	    recv(server, buf, sizeof(buf), MSG_WAITALL) != sizeof(buf) ||
	    send(server, buf, sizeof(buf), 0) != sizeof(buf) ||
	    recv(client, buf, sizeof(buf), MSG_WAITALL) != sizeof(buf))
		err(1, "exchange");
}

/* The workload: rate connections per second for secs seconds.  Returns
 * the connections made. */
static long workload(int listener, long rate, long secs)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timespec next;
	long n = rate * secs, made = 0;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			err(1, "connect");
		int s = accept(listener, NULL, NULL);
		if (s < 0)
			err(1, "accept");
		exchange(c, s);
		close(c);
		close(s);
		made++;
		next.tv_nsec += 1000000000L / rate;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return made;
}

int main(int argc, char **argv)
{
	long rate = 1000, secs = 10;
	const char *sockhistd = NULL, *prefix = "sockhist-bench-closed";
	int opt;

	while ((opt = getopt(argc, argv, "r:s:d:N:")) != -1) {
		switch (opt) {
		case 'r': rate = parse_count(optarg, 'r', 1, 100000); break;
		case 's': secs = parse_count(optarg, 's', 1, 3600); break;
		case 'd': sockhistd = optarg; break;
		case 'N': prefix = optarg; break;
		default:
			errx(2, "usage: bench-closed [-r RATE] [-s SECS] [-N NSNAME] -d SOCKHISTD");
		}
	}
	if (!sockhistd)
		errx(2, "usage: bench-closed [-r RATE] [-s SECS] [-N NSNAME] -d SOCKHISTD");
	if (geteuid() != 0)
		errx(1, "needs root (creates a network namespace)");
	snprintf(ns_name, sizeof(ns_name), "%s-%d", prefix, (int)getpid());
	snprintf(db_path, sizeof(db_path), "/tmp/%s.db", ns_name);
	enter_ns();

	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 128) < 0)
		err(1, "listener");

	/* sockhistd */
	char *rec[] = { (char *)sockhistd, "--db", db_path, "--interval", "5s",
			NULL };
	pid_t d = spawn(rec);
	wait_db("SELECT count(*) FROM frame", 1);
	double c0 = cpu_ms(d), t0 = now_ms();
	long made = workload(l, rate, secs);
	double wall = (now_ms() - t0) / 1e3;
	wait_db("SELECT count(*) FROM closed", 2 * made);
	double rec_cpu = cpu_ms(d) - c0;
	stop(d);
	long long events = db_int("SELECT count(*) FROM closed WHERE batch IN "
				  "(SELECT id FROM closed_batch)");
	long long lost = db_int("SELECT ifnull(sum(lost), 0) FROM closed_batch");
	long long frames = db_int("SELECT count(*) FROM frame");
	long long batches = db_int("SELECT count(*) FROM closed_batch");
	long long bytes = db_int("SELECT sum(pgsize) FROM dbstat WHERE name IN "
				 "('closed', 'closed_batch', 'closed_batch_time')");
	long long blob = db_int("SELECT sum(length(data)) FROM closed_batch");

	printf("workload: %ld connections (%ld/s for %ld s, %d bytes each way), "
	       "%.1f s wall\n", made, rate, secs, EXCHANGE, wall);
	printf("sockhistd: %lld events recorded of %ld sockets closed, %lld lost, "
	       "%lld batches, %lld snapshots\n", events, 2 * made, lost,
	       batches, frames);
	printf("sockhistd: CPU %.0f ms = %.1f ms per second, %.1f ms per 1000 "
	       "events\n", rec_cpu, rec_cpu / wall,
	       events > 0 ? rec_cpu * 1000.0 / (double)events : 0.0);
	if (events > 0 && bytes > 0)
		printf("database: %.1f bytes per event (pages of closed, "
		       "closed_batch and its index; blobs %.1f)\n",
		       (double)bytes / (double)events,
		       (double)blob / (double)events);

	/* ss -E, the reference */
	char *ss[] = { "/usr/bin/ss", "-E", "-tn", NULL };
	pid_t e = spawn(ss);
	usleep(300000);                 /* ss subscribes before it waits */
	double e0 = cpu_ms(e);
	t0 = now_ms();
	made = workload(l, rate, secs);
	wall = (now_ms() - t0) / 1e3;
	usleep(500000);                 /* the last events reach it */
	double ss_cpu = cpu_ms(e) - e0;
	stop(e);
	printf("ss -E -tn >/dev/null: CPU %.0f ms = %.1f ms per second, %.1f ms "
	       "per 1000 events (%ld connections)\n", ss_cpu, ss_cpu / wall,
	       ss_cpu * 1000.0 / (2.0 * (double)made), made);
	printf("ratio sockhistd / ss -E: %.2fx CPU\n",
	       ss_cpu > 0 ? rec_cpu / ss_cpu : 0.0);
	close(l);
	return 0;
}
