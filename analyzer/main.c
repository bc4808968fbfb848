/*
 * main.c — the sockhist analyzer's entry point: global options, then one
 * subcommand from the table below.  The table is also the help text.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "db.h"
#include "options.h"

static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *description;
} commands[] = {
	{ "show", cmd_show, "Show the sockets of one recorded moment, as ss would" },
	{ "snapshots", cmd_snapshots, "List the recorded snapshots" },
	{ "summary", cmd_summary, "Socket counts of one recorded moment, as ss -s" },
	{ "hist", cmd_hist, "Socket counts over time, by state, port, peer, process..." },
	{ "diff", cmd_diff, "Sockets opened, closed and changed between two moments" },
	{ "closed", cmd_closed, "Connections that closed, also between snapshots (ss -E)" },
	{ "trace", cmd_trace, "The life of one connection across the snapshots" },
	{ "help", cmd_help, "Show this help, or a subcommand's ('help show')" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Print the global usage and the subcommand table. */
static void print_usage(FILE *f)
{
	fprintf(f, "usage: sockhist [--db PATH] <command> [<args>]\n\n"
		"Reads a socket history recorded by sockhistd and answers as ss "
		"would have.\n\n"
		"Global options:\n"
		"  --db PATH      the history file (default: $SOCKHIST_DB, "
		"else ./sockhist.db)\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n\n"
		"Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name,
			commands[i].description);
	fprintf(f, "\nRun 'sockhist <command> --help' for a command's "
		"options.\n");
}

/* The subcommand called name, or NULL. */
static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* `sockhist help [COMMAND]`. */
static int cmd_help(int argc, char **argv)
{
	const struct command *c;
	char help_flag[] = "--help";

	if (argc < 2) {
		print_usage(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c || c->fn == cmd_help) {
		err_msg(argv[1], "unknown command (see 'sockhist --help')");
		return EXIT_USAGE;
	}
	char *sub_argv[] = { argv[1], help_flag, NULL };
	return c->fn(2, sub_argv);
}

/* Consume the global options.  Returns the index of the subcommand, or -1
 * when main should exit with *status (help, version, or a usage error). */
static int parse_globals(int argc, char **argv, int *status)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--db") == 0) {
			if (i + 1 >= argc) {
				err_msg("--db", "needs a PATH");
				*status = EXIT_USAGE;
				return -1;
			}
			db_set_path(argv[++i]);
		} else if (strncmp(a, "--db=", 5) == 0) {
			db_set_path(a + 5);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_usage(stdout);
			*status = EXIT_OK;
			return -1;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("sockhist %s\n", SOCKHIST_VERSION);
			*status = EXIT_OK;
			return -1;
		} else {
			err_msg(a, "unknown option (see 'sockhist --help')");
			*status = EXIT_USAGE;
			return -1;
		}
	}
	return i;
}

/* Flush stdout and turn a write error (e.g. a full disk) into a failure. */
static int finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		err_msg("stdout", "write error");
		return EXIT_FAIL;
	}
	return status;
}

int main(int argc, char **argv)
{
	const struct command *c;
	int status = EXIT_OK;
	int i = parse_globals(argc, argv, &status);

	if (i < 0)
		return finish(status);
	if (i >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[i]);
	if (!c) {
		err_msg(argv[i], "unknown command (see 'sockhist --help')");
		return EXIT_USAGE;
	}
	return finish(c->fn(argc - i, argv + i));
}
