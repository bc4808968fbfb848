/*
 * bench-storage.c — what recording costs: sockhistd's disk bytes and CPU
 * per snapshot, next to ss on the same sockets.
 *
 * Builds a private network namespace and starts the workload
 * (bench/workload.c) in it; once it is ready (and, in churn mode, after a
 * warmup so TIME-WAIT reaches its steady state) measures
 *   - the baseline: ss -tan >/dev/null run R times (median CPU user+sys and
 *     wall), and the bytes per listed socket of one
 *     `ss -tanepmio 2>/dev/null | zstd -19` and of the same with -tuwxanepmio;
 *   - the recorder: sockhistd --db FILE --interval INTERVAL until FILE holds
 *     S frames, its CPU (utime+stime) read when the first and the last
 *     frame appear, then SIGTERM;
 *   - the file, after a TRUNCATE checkpoint: its size, bytes per
 *     socket-sample (file, frame blobs, each table and index via dbstat when
 *     the library has it), the mean frame.took_us when the column exists.
 * Prints one figure per line; asserts nothing about them.  The namespace,
 * the children and the file are removed on every exit path.  Needs root.
 * It drives the real binaries and links none of the project's code.
 *
 * Usage: bench-storage -d SOCKHISTD -a SOCKHIST -w WORKLOAD [-m idle|churn]
 *                      [-n CONNS] [-s SNAPSHOTS] [-i INTERVAL] [-r SS_RUNS]
 *                      [-W WARMUP_SECONDS] [-- WORKLOAD_ARGS...]
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define USAGE "usage: bench-storage -d SOCKHISTD -a SOCKHIST -w WORKLOAD [-m idle|churn]\n" \
	      "                     [-n CONNS] [-s SNAPSHOTS] [-i INTERVAL] [-r SS_RUNS]\n" \
	      "                     [-W WARMUP_SECONDS] [-- WORKLOAD_ARGS...]"
#define POLL_MS 20              /* frame count polling period */
#define STOP_TIMEOUT_MS 30000   /* SIGTERM grace before SIGKILL */
#define MAX_WORKLOAD_ARGS 64

struct options {
	const char *sockhistd, *sockhist, *workload, *mode, *interval, *conns;
	long snapshots, runs, warmup_s;
	char **extra;           /* workload arguments after -- */
	int nextra;
};

/* Median cost of a command. */
struct cost {
	double wall_ms, cpu_ms;
};

/* One `ss FLAGS | zstd -19`. */
struct ss_size {
	double bytes;
	long sockets;
};

/* sockhistd's CPU (ms) and the frame count when the first and the last
 * awaited frame appeared. */
struct recording {
	double cpu_first, cpu_last;
	long frames_first, frames_last;
};

/* From the database: file bytes per socket-sample (0 without samples) and
 * the mean frame.took_us in ms (have_took 0 without the column). */
struct db_figures {
	double per_sample;
	double took_ms;
	int have_took;
};

/* What the cleanup must undo; the only global state besides the signal. */
static struct {
	char ns[64];
	int ns_made;
	char db[128];
	pid_t workload, recorder;
	int workload_in;        /* write end of the workload's stdin */
	int devnull;
} bench = { .workload_in = -1, .devnull = -1 };

static volatile sig_atomic_t interrupted;

/* SIGINT/SIGTERM/SIGHUP: remembered; the next wait ends the program. */
static void on_signal(int sig)
{
	interrupted = sig;
}

/* End the program (through the cleanup) if a stop signal came. */
static void check_interrupt(void)
{
	if (interrupted)
		errx(128 + interrupted, "interrupted by signal %d", (int)interrupted);
}

/* A wait status in words, in a static buffer. */
static const char *status_text(int status)
{
	static char s[48];

	if (WIFSIGNALED(status))
		snprintf(s, sizeof(s), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(s, sizeof(s), "exit status %d", WEXITSTATUS(status));
	return s;
}

/* Fork and exec argv (PATH searched) with stdin, stdout, stderr from in,
 * out, errfd (-1: inherited).  The child dies with this process; with
 * own_group it gets its own process group, so a terminal's Ctrl-C reaches
 * only this process, which then stops it. */
static pid_t spawn(char *const argv[], int in, int out, int errfd, int own_group)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		err(1, "fork");
	if (pid > 0)
		return pid;
	if (own_group)
		setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
	if ((in >= 0 && dup2(in, 0) < 0) || (out >= 0 && dup2(out, 1) < 0) ||
	    (errfd >= 0 && dup2(errfd, 2) < 0))
		_exit(127);
	execvp(argv[0], argv);
	dprintf(2, "bench-storage: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Wait for child pid, filling ru if not NULL; its wait status.  A stop
 * signal meanwhile kills it and ends the program. */
static int wait_child(pid_t pid, struct rusage *ru)
{
	int status;

	while (wait4(pid, &status, 0, ru) < 0) {
		if (errno != EINTR)
			err(1, "wait4");
		if (interrupted) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			check_interrupt();
		}
	}
	check_interrupt();
	return status;
}

/* Die unless status is a clean exit of command what. */
static void require_success(const char *what, int status)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(1, "%s failed (%s)", what, status_text(status));
}

/* Run argv to completion; die if it fails. */
static void run_ok(char *const argv[])
{
	require_success(argv[0], wait_child(spawn(argv, -1, -1, -1, 0), NULL));
}

/* Die if the child *pid has ended (it is reaped and forgotten). */
static void check_alive(pid_t *pid, const char *what)
{
	int status;

	if (*pid > 0 && waitpid(*pid, &status, WNOHANG) == *pid) {
		*pid = 0;
		errx(1, "%s ended early (%s)", what, status_text(status));
	}
}

/* Wait up to ms milliseconds, dying on a stop signal or if the workload
 * or the recorder ends. */
static void pause_checked(int ms)
{
	poll(NULL, 0, ms);
	check_interrupt();
	check_alive(&bench.workload, "workload");
	check_alive(&bench.recorder, "sockhistd");
}

/* Send sig to child *pid, give it STOP_TIMEOUT_MS to exit, then SIGKILL;
 * its wait status (-1 if there was no child).  *pid is forgotten. */
static int stop_child(pid_t *pid, int sig)
{
	double deadline = now_ms() + STOP_TIMEOUT_MS;
	int status = -1;

	if (*pid <= 0)
		return -1;
	kill(*pid, sig);
	while (waitpid(*pid, &status, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(*pid, SIGKILL);
			waitpid(*pid, &status, 0);
			break;
		}
		poll(NULL, 0, 50);
	}
	*pid = 0;
	return status;
}

/* Remove the database and its -wal and -shm files. */
static void remove_db(void)
{
	unlink_db(bench.db);
}

/* Ask the workload to stop (EOF on its stdin, SIGTERM) and wait; its wait
 * status, -1 if it was not running. */
static int stop_workload(void)
{
	if (bench.workload_in >= 0)
		close(bench.workload_in);
	bench.workload_in = -1;
	return stop_child(&bench.workload, SIGTERM);
}

/* atexit: stop the children, delete the namespace and the database. */
static void cleanup(void)
{
	stop_child(&bench.recorder, SIGTERM);
	stop_workload();
	if (bench.ns_made) {
		char *del[] = { "ip", "netns", "del", bench.ns, NULL };

		bench.ns_made = 0;
		if (waitpid(spawn(del, -1, -1, -1, 0), NULL, 0) < 0)
			warn("ip netns del %s", bench.ns);
	}
	if (bench.db[0])
		remove_db();
}

/* Catch the stop signals without SA_RESTART, so waits see them. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Create the namespace sockhist-bench-PID with lo up, and move this
 * process into it, so every child starts there. */
static void enter_netns(void)
{
	char path[128];
	char *add[] = { "ip", "netns", "add", bench.ns, NULL };
	char *up[] = { "ip", "-n", bench.ns, "link", "set", "lo", "up", NULL };
	int fd;

	snprintf(bench.ns, sizeof(bench.ns), "sockhist-bench-%d", (int)getpid());
	run_ok(add);
	bench.ns_made = 1;
	run_ok(up);
	snprintf(path, sizeof(path), "/run/netns/%s", bench.ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		err(1, "enter %s", path);
	close(fd);
}

/* Wait until the workload prints "ready" on fd. */
static void await_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256] = "";
	size_t len = 0;
	ssize_t n;

	while (!strstr(buf, "ready\n")) {
		if (poll(&p, 1, 200) <= 0) {
			pause_checked(0);
			continue;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			pid_t pid = bench.workload;

			bench.workload = 0;
			errx(1, "workload ended before it was ready (%s)",
			     status_text(wait_child(pid, NULL)));
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (len == sizeof(buf) - 1)
			errx(1, "workload printed something other than \"ready\"");
	}
}

/* Start the workload in the namespace and wait until it is ready. */
static void start_workload(const struct options *o)
{
	char *argv[MAX_WORKLOAD_ARGS + 5];
	int in[2], out[2], n = 0;

	argv[n++] = (char *)o->workload;
	argv[n++] = (char *)o->mode;
	if (strcmp(o->mode, "idle") == 0) {
		argv[n++] = "-n";
		argv[n++] = (char *)o->conns;
	}
	for (int i = 0; i < o->nextra; i++)
		argv[n++] = o->extra[i];
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		err(1, "pipe");
	bench.workload = spawn(argv, in[0], out[1], -1, 1);
	bench.workload_in = in[1];
	close(in[0]);
	close(out[1]);
	await_ready(out[0]);
	close(out[0]);
}

/* Median wall and CPU (user+sys) of runs runs of argv, output discarded;
 * the two medians are taken apart. */
static struct cost median_cost(char *const argv[], long runs)
{
	double *wall = calloc((size_t)runs, sizeof(double));
	double *cpu = calloc((size_t)runs, sizeof(double));
	struct rusage ru;
	struct cost c;

	if (!wall || !cpu)
		err(1, "out of memory");
	for (long i = 0; i < runs; i++) {
		double t0 = now_ms();

		require_success(argv[0], wait_child(spawn(argv, -1, bench.devnull,
							  bench.devnull, 0), &ru));
		wall[i] = now_ms() - t0;
		cpu[i] = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	}
	qsort(wall, (size_t)runs, sizeof(double), cmp_double);
	qsort(cpu, (size_t)runs, sizeof(double), cmp_double);
	c = (struct cost){ wall[runs / 2], cpu[runs / 2] };
	free(wall);
	free(cpu);
	return c;
}

/* Sockets in ss output held in fd: lines not indented (continuation lines
 * are), less the header. */
static long count_sockets(int fd)
{
	char buf[65536];
	long lines = 0;
	int bol = 1;
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (bol && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n')
				lines++;
			bol = buf[i] == '\n';
		}
	}
	return lines > 0 ? lines - 1 : 0;
}

/* Bytes that `zstd -19` makes of the whole of fd. */
static double zstd_bytes(int fd)
{
	char *argv[] = { "zstd", "-19", "-q", "-c", NULL };
	char buf[65536];
	double bytes = 0;
	int p[2];
	ssize_t n;
	pid_t pid;

	lseek(fd, 0, SEEK_SET);
	if (pipe2(p, O_CLOEXEC) < 0)
		err(1, "pipe");
	pid = spawn(argv, fd, p[1], -1, 0);
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR)
			err(1, "read from zstd");
		bytes += n > 0 ? (double)n : 0;
	}
	close(p[0]);
	require_success("zstd", wait_child(pid, NULL));
	return bytes;
}

/* One `ss FLAGS 2>/dev/null | zstd -19`: compressed bytes, sockets listed. */
static struct ss_size ss_zstd(const char *flags)
{
	char *argv[] = { "ss", (char *)flags, NULL };
	struct ss_size s;
	int tmp = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (tmp < 0)
		err(1, "temporary file in /tmp");
	require_success("ss", wait_child(spawn(argv, -1, tmp, bench.devnull, 0), NULL));
	s.sockets = count_sockets(tmp);
	s.bytes = zstd_bytes(tmp);
	close(tmp);
	return s;
}

/* Frames in the database so far (0 while it is not readable yet). */
static long frame_count(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	long n = 0;

	if (sqlite3_open_v2(bench.db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM frame", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* Wait until the database holds at least n frames; the count then. */
static long await_frames(long n)
{
	long have;

	while ((have = frame_count()) < n)
		pause_checked(POLL_MS);
	return have;
}

/* CPU time (utime + stime, ms) of process pid so far. */
static double process_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		err(1, "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		errx(1, "%s: unexpected format", path);
	return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

/* Run sockhistd in the namespace until the database holds o->snapshots
 * frames, reading its CPU at the first and the last; then stop it. */
static struct recording record(const struct options *o)
{
	char *argv[] = { (char *)o->sockhistd, "--db", bench.db,
			 "--netns", "/proc/self/ns/net",
			 "--interval", (char *)o->interval, NULL };
	struct recording r;
	int status;

	remove_db();
	bench.recorder = spawn(argv, -1, -1, -1, 1);
	r.frames_first = await_frames(1);
	r.cpu_first = process_cpu_ms(bench.recorder);
	r.frames_last = await_frames(o->snapshots > r.frames_first ? o->snapshots
								     : r.frames_first + 1);
	r.cpu_last = process_cpu_ms(bench.recorder);
	status = stop_child(&bench.recorder, SIGTERM);
	require_success("sockhistd", status);
	return r;
}

/* The first column of the single-row query sql as a double; -1 if the
 * query does not prepare (a missing table or column) or gives NULL. */
static int query_double(sqlite3 *db, const char *sql, double *out)
{
	sqlite3_stmt *q;
	int rc = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
		*out = sqlite3_column_double(q, 0);
		rc = 0;
	}
	sqlite3_finalize(q);
	return rc;
}

/* Size of file path in bytes, -1 if it does not exist. */
static double file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (double)st.st_size : -1;
}

/* Print one report line: a label and a formatted figure. */
static void line(const char *label, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void line(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-48s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Print each table's and index's pages per socket-sample, from dbstat;
 * nothing if the library lacks it. */
static void print_dbstat(sqlite3 *db, double samples)
{
	sqlite3_stmt *q;
	char label[96];

	if (sqlite3_prepare_v2(db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name "
			       "ORDER BY 2 DESC, 1", -1, &q, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(q) == SQLITE_ROW) {
		double bytes = sqlite3_column_double(q, 1);

		snprintf(label, sizeof(label), "  dbstat %s:", (const char *)sqlite3_column_text(q, 0));
		line(label, "%.0f bytes = %.3f bytes/socket-sample", bytes, bytes / samples);
	}
	sqlite3_finalize(q);
}

/* Checkpoint the (closed) database, print what it holds and return the
 * figures the later lines need. */
static struct db_figures report_db(void)
{
	double frames = 0, mean = 0, samples = 0, blobs, took, size, wal;
	struct db_figures f = { 0 };
	char wal_path[160];
	sqlite3 *db;

	if (sqlite3_open_v2(bench.db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		errx(1, "%s: %s", bench.db, sqlite3_errmsg(db));
	if (sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
		warnx("%s: checkpoint: %s", bench.db, sqlite3_errmsg(db));
	snprintf(wal_path, sizeof(wal_path), "%s-wal", bench.db);
	size = file_size(bench.db);
	wal = file_size(wal_path);
	query_double(db, "SELECT count(*) FROM frame", &frames);
	query_double(db, "SELECT avg(total) FROM frame", &mean);
	query_double(db, "SELECT sum(total) FROM frame", &samples);
	line("snapshots:", "%.0f", frames);
	line("sockets per snapshot (mean frame.total):", "%.1f", mean);
	line("database file (after checkpoint):", "%.0f bytes", size);
	if (wal > 0)
		line("database -wal file:", "%.0f bytes", wal);
	if (query_double(db, "SELECT avg(took_us) FROM frame", &took) == 0) {
		f.took_ms = took / 1e3;
		f.have_took = 1;
	}
	if (samples > 0) {
		f.per_sample = size / samples;
		line("bytes per socket-sample (file):", "%.3f bytes", f.per_sample);
		if (query_double(db, "SELECT sum(bytes) FROM frame", &blobs) == 0)
			line("bytes per socket-sample (frame blobs):", "%.3f bytes", blobs / samples);
		print_dbstat(db, samples);
	}
	sqlite3_close(db);
	return f;
}

/* Snapshots the analyzer lists for the database (a check that it reads
 * the file). */
static long analyzer_snapshots(const char *sockhist)
{
	char *argv[] = { (char *)sockhist, "--db", bench.db, "snapshots",
			 "--format", "csv", "-H", NULL };
	char buf[65536];
	long lines = 0;
	int p[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		err(1, "pipe");
	pid = spawn(argv, -1, p[1], -1, 0);
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) != 0) {
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
		if (n < 0 && errno != EINTR)
			err(1, "read from %s", sockhist);
	}
	close(p[0]);
	require_success(sockhist, wait_child(pid, NULL));
	return lines;
}

/* Print the command line, quoting arguments the shell would split. */
static void print_command(int argc, char **argv)
{
	fputs("command:", stdout);
	for (int i = 0; i < argc; i++) {
		if (argv[i][0] && strspn(argv[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789_-+=./:,@%") == strlen(argv[i]))
			printf(" %s", argv[i]);
		else
			printf(" '%s'", argv[i]);
	}
	putchar('\n');
	fflush(stdout);
}

/* Exit 2 unless path, if it names a file (has a slash), is executable;
 * bare names are left to the PATH search. */
static void require_executable(const char *path)
{
	if (strchr(path, '/') && access(path, X_OK) != 0)
		err(2, "%s", path);
}

/* Parse argv into o, or exit 2 with the usage. */
static void parse_args(int argc, char **argv, struct options *o)
{
	int opt;

	*o = (struct options){ .mode = "churn", .interval = "5s", .conns = "25000",
			       .snapshots = 20, .runs = 5, .warmup_s = -1 };
	while ((opt = getopt(argc, argv, "+d:a:w:m:n:s:i:r:W:")) != -1) {
		switch (opt) {
		case 'd': o->sockhistd = optarg; break;
		case 'a': o->sockhist = optarg; break;
		case 'w': o->workload = optarg; break;
		case 'm': o->mode = optarg; break;
		case 'n': o->conns = optarg; parse_count(optarg, opt, 1, 10000000); break;
		case 's': o->snapshots = parse_count(optarg, opt, 2, 1000000); break;
		case 'i': o->interval = optarg; break;
		case 'r': o->runs = parse_count(optarg, opt, 1, 1000); break;
		case 'W': o->warmup_s = parse_count(optarg, opt, 0, 86400); break;
		default: errx(2, USAGE);
		}
	}
	if (!o->sockhistd || !o->sockhist || !o->workload ||
	    (strcmp(o->mode, "idle") != 0 && strcmp(o->mode, "churn") != 0) ||
	    argc - optind > MAX_WORKLOAD_ARGS)
		errx(2, USAGE);
	require_executable(o->sockhistd);
	require_executable(o->sockhist);
	require_executable(o->workload);
	if (o->warmup_s < 0)
		o->warmup_s = strcmp(o->mode, "churn") == 0 ? 60 : 0;
	o->extra = argv + optind;
	o->nextra = argc - optind;
}

/* Print the baseline figures. */
static void report_baseline(const struct options *o, struct cost ss, struct ss_size tcp,
			    struct ss_size all)
{
	char label[64];

	snprintf(label, sizeof(label), "ss -tan >/dev/null CPU (median of %ld):", o->runs);
	line(label, "%.2f ms", ss.cpu_ms);
	snprintf(label, sizeof(label), "ss -tan >/dev/null wall (median of %ld):", o->runs);
	line(label, "%.2f ms", ss.wall_ms);
	line("ss -tanepmio | zstd -19:", "%.0f bytes / %ld sockets = %.3f bytes/socket",
	     tcp.bytes, tcp.sockets, tcp.sockets ? tcp.bytes / (double)tcp.sockets : 0);
	line("ss -tuwxanepmio | zstd -19:", "%.0f bytes / %ld sockets = %.3f bytes/socket",
	     all.bytes, all.sockets, all.sockets ? all.bytes / (double)all.sockets : 0);
}

/* Print the recorder's CPU and wall figures. */
static void report_recorder(const struct recording *r, struct cost ss,
			    const struct db_figures *f)
{
	double per = (r->cpu_last - r->cpu_first) / (double)(r->frames_last - r->frames_first);
	char label[80];

	line("recorder CPU, start and first snapshot:", "%.1f ms", r->cpu_first);
	snprintf(label, sizeof(label), "recorder CPU per snapshot (frames %ld-%ld):",
		 r->frames_first, r->frames_last);
	line(label, "%.2f ms", per);
	line("recorder CPU / ss -tan CPU:", "%.2fx", ss.cpu_ms > 0 ? per / ss.cpu_ms : 0);
	if (f->have_took)
		line("recorder wall per snapshot (mean took_us):", "%.2f ms", f->took_ms);
	else
		line("recorder wall per snapshot (mean took_us):", "n/a (no frame.took_us column)");
}

int main(int argc, char **argv)
{
	struct options o;
	struct recording rec;
	struct ss_size tcp, all;
	struct cost ss;
	char *ss_tan[] = { "ss", "-tan", NULL };
	struct db_figures db;
	double t0;
	int status;

	parse_args(argc, argv, &o);
	if (geteuid() != 0)
		errx(1, "needs root (creates a network namespace)");
	print_command(argc, argv);
	bench.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (bench.devnull < 0)
		err(1, "/dev/null");
	snprintf(bench.db, sizeof(bench.db), "/tmp/sockhist-bench-%d.db", (int)getpid());
	catch_signals();
	atexit(cleanup);
	enter_netns();

	t0 = now_ms();
	start_workload(&o);
	line("workload:", "%s, ready in %.1f s, then %ld s warmup", o.mode,
	     (now_ms() - t0) / 1e3, o.warmup_s);
	fflush(stdout);
	for (t0 = now_ms(); now_ms() - t0 < (double)o.warmup_s * 1e3;)
		pause_checked(200);

	ss = median_cost(ss_tan, o.runs);
	tcp = ss_zstd("-tanepmio");
	all = ss_zstd("-tuwxanepmio");
	rec = record(&o);
	status = stop_workload();
	require_success("workload", status);

	report_baseline(&o, ss, tcp, all);
	db = report_db();
	report_recorder(&rec, ss, &db);
	line("storage ratio to ss -tuwxanepmio | zstd -19:",
	     "%.3fx (file bytes per socket-sample / zstd bytes per socket)",
	     all.sockets && all.bytes > 0 ? db.per_sample / (all.bytes / (double)all.sockets) : 0);
	line("snapshots listed by sockhist:", "%ld", analyzer_snapshots(o.sockhist));
	return 0;
}
