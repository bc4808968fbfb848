/*
 * options.h — the one option parser every subcommand uses, so all of them
 * accept flags the same way and print -h/--help from the same table.
 *
 * Syntax: short flags may be combined ("-tuwxan"); a short option's argument
 * may be attached ("-fjson") or follow; long options take "--name value" or
 * "--name=value"; options and operands may be mixed (as getopt permutes for
 * ss); "--" ends the options.  -h and --help are always understood, and so
 * is --netns NAME|INODE (repeatable): every subcommand reads the history
 * file through db_open, which restricts it to those namespaces.
 */
#ifndef SOCKHIST_OPTIONS_H
#define SOCKHIST_OPTIONS_H

#include <stddef.h>

#include "output.h"

/* Ids at or above this value have no short form. */
#define OPT_LONG_ONLY 256

struct opt_spec {
	int id;              /* the short letter, or >= OPT_LONG_ONLY */
	const char *name;    /* long name without "--", or NULL */
	const char *arg;     /* argument placeholder; NULL for a flag */
	const char *help;    /* one line for --help */
};

struct opt_cmd {
	const char *name;    /* subcommand name, for messages */
	const char *usage;   /* "[OPTIONS] [FILTER]" */
	const char *about;   /* one paragraph printed under the usage line */
	const struct opt_spec *opts;
	size_t nopts;
	const char *examples; /* paragraph printed after the options, or NULL */
	/* Operands are TIMEs: an argument such as -1h or -30m (a '-', a digit,
	 * and a duration with a unit) is a relative TIME operand, not flags. */
	int time_operands;
};

/* Called once per option in command-line order.  Returns 0, or non-zero to
 * stop parsing (after printing its own message). */
typedef int (*opt_handler)(void *ctx, int id, const char *arg);

/* The parse ended with --help printed: the command should exit 0. */
#define OPT_HELP (-1)
/* A usage error was printed: the command should exit 2. */
#define OPT_ERROR (-2)

/* Parse argv[1..argc).  Operands are stored in order into operands (room for
 * argc entries).  Returns the operand count, OPT_HELP, or OPT_ERROR (also when
 * the handler returns non-zero). */
int opt_parse(const struct opt_cmd *cmd, int argc, char **argv,
	      opt_handler fn, void *ctx, char **operands);

/* opt_parse for a command that takes no operands: one is a usage error
 * (printed).  Returns 0, OPT_HELP or OPT_ERROR. */
int opt_parse_no_operands(const struct opt_cmd *cmd, int argc, char **argv,
			  opt_handler fn, void *ctx);

/* The --netns arguments of the last opt_parse, in order; *n gets their
 * count. */
const char *const *opt_netns(size_t *n);

/* Parse a --format argument into *fmt; prints why not.
 * Returns 0 or -1. */
int opt_format(const char *arg, enum out_format *fmt);

/* Print "sockhist: <what>: <why>" to stderr (printf-style why). */
void err_msg(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
