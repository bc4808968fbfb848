/*
 * cmd.h — the analyzer's subcommands.  Each lives in its own file, takes the
 * arguments after the global options (argv[0] is the subcommand's name) and
 * returns the process exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef SOCKHIST_CMD_H
#define SOCKHIST_CMD_H

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

/* closed.c: the connections that closed in a time range. */
int cmd_closed(int argc, char **argv);
/* diff.c: the sockets opened, closed and changed between two snapshots. */
int cmd_diff(int argc, char **argv);
/* hist.c: socket counts per state or netid over time. */
int cmd_hist(int argc, char **argv);
/* show.c: one recorded moment, as ss would print it. */
int cmd_show(int argc, char **argv);
/* snapshots.c: the list of recorded frames. */
int cmd_snapshots(int argc, char **argv);
/* summary.c: one recorded moment, as ss -s would print it. */
int cmd_summary(int argc, char **argv);
/* trace.c: the life of one socket across the snapshots. */
int cmd_trace(int argc, char **argv);

#endif
