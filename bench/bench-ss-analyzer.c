/*
 * bench-ss-analyzer.c — how fast the analyzer answers from one recorded
 * snapshot against `ss` answering live, on the same sockets in the same run.
 *
 * Builds a private network namespace with N loopback TCP connections (2N
 * sockets) and their listeners, records ONE snapshot of it with
 * `sockhistd --once`, then, with the sockets unchanged, times R runs each
 * (stdout to /dev/null) of, in the namespace:
 *   ss -tan            against  sockhist show -tan
 *   ss -tan FILTER     against  sockhist show -tan FILTER, for a simple
 *                      filter (dport of a listener), a compound expression
 *                      and a state filter with an expression;
 *   ss -s              against  sockhist summary
 *   ss -tanei          against  sockhist show -tanei (tcp_info decoding).
 * It prints the medians, the ratio sockhist/ss and the rows each printed
 * (lines that do not start with a blank, less the header; all lines for
 * the summaries), with a warning where the table rows disagree.  Needs root.
 *
 * Usage: bench-ss-analyzer [-n CONNS] [-r RUNS] -a SOCKHIST -d SOCKHISTD
 */
#include <err.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"

#define PROCS 8
#define MAX_ARGS 32
#define USAGE "usage: bench-ss-analyzer [-n CONNS] [-r RUNS] -a SOCKHIST -d SOCKHISTD"

extern char **environ;

/* One question asked of both: the shared flags and filter words. */
struct question {
	const char *name;
	const char *ss_cmd;       /* ss's flags */
	const char *sockhist_cmd; /* sockhist's subcommand and flags */
	const char *filter[20];   /* the filter's words, NULL-terminated */
	bool table;               /* rows must agree */
};

static char db_path[256];

/* Remove the database and its WAL files. */
static void remove_db(void)
{
	unlink_db(db_path);
}

/* Split the space-separated words of s (a copy kept in buf) onto argv
 * from position n; the new count. */
static int add_words(char **argv, int n, char *buf, size_t size, const char *s)
{
	snprintf(buf, size, "%s", s);
	for (char *w = strtok(buf, " "); w; w = strtok(NULL, " "))
		argv[n++] = w;
	return n;
}

/* Lines of argv's stdout (stderr to /dev/null): those that do not start
 * with a blank, less the header line when table is set, else all.  Dies
 * unless it exits 0. */
static long count_rows(char *const argv[], bool table)
{
	posix_spawn_file_actions_t fa;
	int fd[2], status;
	pid_t pid;

	if (pipe(fd) < 0)
		err(1, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		err(1, "spawn %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	FILE *f = fdopen(fd[0], "r");
	if (!f)
		err(1, "fdopen");
	char *line = NULL;
	size_t cap = 0;
	long rows = 0;
	while (getline(&line, &cap, f) > 0)
		if (!table || (line[0] != ' ' && line[0] != '\t'))
			rows++;
	free(line);
	fclose(f);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		errx(1, "%s exited with status %d", argv[0], status);
	return table && rows > 0 ? rows - 1 : rows;
}

/* Ask q of ss and of sockhist: count the rows once, then time runs of
 * each; print its table line. */
static void ask(const struct question *q, const char *sockhist, int runs)
{
	char *ss[MAX_ARGS] = { "/usr/bin/ss" }, *sh[MAX_ARGS] = {
		(char *)sockhist, "--db", db_path };
	char ssbuf[64], shbuf[64];
	int ns = add_words(ss, 1, ssbuf, sizeof(ssbuf), q->ss_cmd);
	int nh = add_words(sh, 3, shbuf, sizeof(shbuf), q->sockhist_cmd);

	for (int i = 0; q->filter[i]; i++) {
		ss[ns++] = (char *)q->filter[i];
		sh[nh++] = (char *)q->filter[i];
	}
	ss[ns] = sh[nh] = NULL;
	long ss_rows = count_rows(ss, q->table);
	long sh_rows = count_rows(sh, q->table);
	double ss_ms = median_run(runs, ss, NULL).wall_ms;
	double sh_ms = median_run(runs, sh, NULL).wall_ms;
	printf("%-18s %10.1f %12.1f %7.2f %9ld %13ld\n", q->name, ss_ms, sh_ms,
	       sh_ms / ss_ms, ss_rows, sh_rows);
	if (q->table && ss_rows != sh_rows)
		printf("WARNING: %s: ss printed %ld rows, sockhist %ld\n",
		       q->name, ss_rows, sh_rows);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *sockhist = NULL, *sockhistd = NULL;
	int conns = 25000, runs = 5, opt;

	while ((opt = getopt(argc, argv, "a:d:n:r:")) != -1) {
		switch (opt) {
		case 'a': sockhist = optarg; break;
		case 'd': sockhistd = optarg; break;
		case 'n': conns = (int)parse_count(optarg, 'n', 1, 1000000); break;
		case 'r': runs = (int)parse_count(optarg, 'r', 1, BENCH_MAX_RUNS); break;
		default: errx(2, USAGE);
		}
	}
	if (!sockhist || !sockhistd || optind != argc)
		errx(2, USAGE);
	if (access(sockhist, X_OK) < 0 || access(sockhistd, X_OK) < 0)
		err(2, "%s or %s", sockhist, sockhistd);
	if (geteuid() != 0)
		errx(1, "needs root (creates a network namespace)");

	double t0 = now_ms();
	const char *ns = conn_ns_open(conns, PROCS);
	printf("setup: %d connections (%d sockets + %d listeners) in %.1f s\n",
	       conns, 2 * conns, PROCS, (now_ms() - t0) / 1e3);

	snprintf(db_path, sizeof(db_path), "/tmp/%s.db", ns);
	remove_db();
	atexit(remove_db);
	char *rec[] = { (char *)sockhistd, "--once", "--netns", "/proc/self/ns/net",
			"--db", db_path, NULL };
	struct run_cost snap = timed_run(rec);
	struct stat st;
	printf("snapshot: sockhistd --once in %.1f ms, database %.1f MiB\n",
	       snap.wall_ms, stat(db_path, &st) == 0 ? st.st_size / 1048576.0 : 0);

	char port[16], either[64];
	snprintf(port, sizeof(port), ":%d", CONN_NS_PORT);
	snprintf(either, sizeof(either), "( sport = %s or dport = %s )", port,
		 port);
	const struct question qs[] = {
		{ "all (-tan)", "-tan", "show -tan", { NULL }, true },
		{ "simple filter", "-tan", "show -tan", { "dport", "=", port, NULL }, true },
		{ "compound filter", "-tan", "show -tan",
		  { "(", "sport", ">=", ":30000", "and", "sport", "<", ":40000",
		    ")", "or", "dst", "127.0.0.0/8", "and", "not", "dport", "=",
		    port, NULL }, true },
		{ "state filter", "-tan", "show -tan",
		  { "state", "established", either, NULL }, true },
		{ "summary (-s)", "-s", "summary", { NULL }, false },
		{ "tcp_info (-tanei)", "-tanei", "show -tanei", { NULL }, true },
	};
	printf("filters: simple: dport = %s; compound: ( sport >= :30000 and "
	       "sport < :40000 ) or dst 127.0.0.0/8 and not dport = %s; "
	       "state: state established '%s'\n", port, port, either);
	printf("median of %d runs, stdout to /dev/null; rows: table rows "
	       "(summary: lines)\n", runs);
	printf("%-18s %10s %12s %7s %9s %13s\n", "question", "ss ms",
	       "sockhist ms", "ratio", "ss rows", "sockhist rows");
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		ask(&qs[i], sockhist, runs);
	return 0;
}
