/*
 * benchutil.h — the small pieces every benchmark program needs: a
 * monotonic clock in milliseconds, a qsort comparator for medians, a
 * bounded number option, timed runs of a command, and a private network
 * namespace full of idle loopback TCP connections.
 */
#ifndef SOCKHIST_BENCHUTIL_H
#define SOCKHIST_BENCHUTIL_H

/* The most timed runs median_run takes, and the most conn_ns workers. */
#define BENCH_MAX_RUNS 64
#define CONN_NS_MAX_WORKERS 256
/* Worker i's listener port is CONN_NS_PORT + i. */
#define CONN_NS_PORT 20000

/* What one run of a command cost. */
struct run_cost {
	double wall_ms;
	double cpu_ms;
	long maxrss_kib;
};

/* CLOCK_MONOTONIC in milliseconds. */
double now_ms(void);
/* qsort comparator for doubles, ascending. */
int cmp_double(const void *a, const void *b);
/* Option opt's decimal argument s, in [min, max]; exits 2 otherwise. */
long parse_count(const char *s, int opt, long min, long max);
/* Run a shell command line; die if it fails. */
void sh(const char *cmd);
/* Remove an SQLite database and its -wal and -shm files (if there). */
void unlink_db(const char *path);

/* Spawn argv (argv[0] a path) with stdout and stderr to /dev/null; its
 * wall time and rusage.  Dies unless it exits 0. */
struct run_cost timed_run(char *const argv[]);
/* Median of n (1..BENCH_MAX_RUNS) runs of argv, wall and CPU medians taken
 * apart; maxrss is the largest seen.  prep, if set, runs before each run
 * (untimed). */
struct run_cost median_run(int n, char *const argv[], void (*prep)(void));

/* Create the network namespace "sockhist-bench-PID" with lo up, move this
 * process into it, widen its ephemeral port range and open conns loopback
 * TCP connections (2 * conns sockets) spread over procs (1..
 * CONN_NS_MAX_WORKERS) worker processes, each holding its own listener on
 * port CONN_NS_PORT + i.  Returns the namespace's name once every
 * connection is open; dies (removing the namespace) otherwise.  The
 * namespace is removed at exit if conn_ns_close was not called. */
const char *conn_ns_open(int conns, int procs);
/* Stop the workers and delete the namespace (once; later calls do nothing). */
void conn_ns_close(void);

#endif
