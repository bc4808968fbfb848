/*
 * options.c — the shared option parser and the one-line error printer.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "timeexpr.h"

/* Room for --netns arguments; more is a usage error. */
#define NETNS_MAX 64

static const char *netns_args[NETNS_MAX];
static size_t netns_nargs;

/* Print "sockhist: <what>: <why>" on one line to stderr. */
void err_msg(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sockhist: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Print the command's usage and option table to stdout. */
static void print_help(const struct opt_cmd *cmd)
{
	printf("usage: sockhist [--db PATH] %s %s\n\n%s\n\n", cmd->name,
	       cmd->usage, cmd->about);
	for (size_t i = 0; i < cmd->nopts; i++) {
		const struct opt_spec *o = &cmd->opts[i];
		char left[64];
		int n = 0;

		if (o->id < OPT_LONG_ONLY)
			n += snprintf(left + n, sizeof(left) - (size_t)n,
				      "-%c%s", o->id, o->name ? ", " : "");
		else
			n += snprintf(left + n, sizeof(left) - (size_t)n, "    ");
		if (o->name)
			n += snprintf(left + n, sizeof(left) - (size_t)n,
				      "--%s", o->name);
		if (o->arg)
			snprintf(left + n, sizeof(left) - (size_t)n, " %s",
				 o->arg);
		printf("  %-26s %s\n", left, o->help);
	}
	printf("  %-26s %s\n", "    --netns NAME|INODE",
	       "only this network namespace (repeatable)");
	printf("  %-26s %s\n", "-h, --help", "show this help");
	if (cmd->examples)
		printf("\n%s\n", cmd->examples);
}

/* The spec with this short letter, or NULL. */
static const struct opt_spec *find_short(const struct opt_cmd *cmd, int c)
{
	for (size_t i = 0; i < cmd->nopts; i++)
		if (cmd->opts[i].id == c)
			return &cmd->opts[i];
	return NULL;
}

/* The spec with this long name (len bytes of name), or NULL. */
static const struct opt_spec *find_long(const struct opt_cmd *cmd,
					const char *name, size_t len)
{
	for (size_t i = 0; i < cmd->nopts; i++) {
		const char *n = cmd->opts[i].name;

		if (n && strlen(n) == len && strncmp(n, name, len) == 0)
			return &cmd->opts[i];
	}
	return NULL;
}

/* Report a usage error and point at the help. */
static int usage_error(const struct opt_cmd *cmd, const char *opt,
		       const char *why)
{
	fprintf(stderr, "sockhist: %s: %s (see 'sockhist %s --help')\n", opt,
		why, cmd->name);
	return OPT_ERROR;
}

/* Handle --netns[=value] at argv[*i]: remember the namespace. */
static int parse_netns(const struct opt_cmd *cmd, int argc, char **argv,
		       int *i, const char *eq)
{
	const char *arg;

	if (eq)
		arg = eq + 1;
	else if (*i + 1 < argc)
		arg = argv[++*i];
	else
		return usage_error(cmd, argv[*i], "needs a NAME or INODE");
	if (!*arg)
		return usage_error(cmd, "--netns", "needs a NAME or INODE");
	if (netns_nargs == NETNS_MAX)
		return usage_error(cmd, "--netns", "given too many times");
	netns_args[netns_nargs++] = arg;
	return 0;
}

/* Handle "--name[=value]" at argv[*i]; may consume the next argument. */
static int parse_long(const struct opt_cmd *cmd, int argc, char **argv,
		      int *i, opt_handler fn, void *ctx)
{
	const char *name = argv[*i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt_spec *o = find_long(cmd, name, len);
	const char *arg = NULL;

	if (len == 4 && strncmp(name, "help", 4) == 0 && !eq) {
		print_help(cmd);
		return OPT_HELP;
	}
	if (len == 5 && strncmp(name, "netns", 5) == 0)
		return parse_netns(cmd, argc, argv, i, eq);
	if (!o)
		return usage_error(cmd, argv[*i], "unknown option");
	if (o->arg) {
		if (eq)
			arg = eq + 1;
		else if (*i + 1 < argc)
			arg = argv[++*i];
		else
			return usage_error(cmd, argv[*i], "needs an argument");
	} else if (eq) {
		return usage_error(cmd, argv[*i], "takes no argument");
	}
	return fn(ctx, o->id, arg) ? OPT_ERROR : 0;
}

/* Handle a cluster of short flags "-abc" at argv[*i]. */
static int parse_short(const struct opt_cmd *cmd, int argc, char **argv,
		       int *i, opt_handler fn, void *ctx)
{
	const char *p = argv[*i] + 1;

	for (; *p; p++) {
		const struct opt_spec *o = find_short(cmd, (unsigned char)*p);
		const char *arg = NULL;
		char opt[3] = { '-', *p, '\0' };

		if (*p == 'h') {
			print_help(cmd);
			return OPT_HELP;
		}
		if (!o)
			return usage_error(cmd, opt, "unknown option");
		if (o->arg) {
			if (p[1])
				arg = p + 1;
			else if (*i + 1 < argc)
				arg = argv[++*i];
			else
				return usage_error(cmd, opt, "needs an argument");
		}
		if (fn(ctx, o->id, arg))
			return OPT_ERROR;
		if (arg)
			break;
	}
	return 0;
}

/* Is a a relative TIME ("-1h", "-90s", "-1h30m") rather than flags?  A
 * bare "-4" stays a flag: a unit letter is required. */
static bool relative_time(const char *a)
{
	int64_t ns;

	return a[0] == '-' && a[1] >= '0' && a[1] <= '9' &&
	       strpbrk(a, "smhdwu") && duration_parse(a + 1, &ns) == 0;
}

/* Parse all of argv; see options.h. */
int opt_parse(const struct opt_cmd *cmd, int argc, char **argv,
	      opt_handler fn, void *ctx, char **operands)
{
	int nops = 0;
	bool options_done = false;

	netns_nargs = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = 0;

		if (options_done || a[0] != '-' || a[1] == '\0' ||
		    (cmd->time_operands && relative_time(a)))
			operands[nops++] = argv[i];
		else if (strcmp(a, "--") == 0)
			options_done = true;
		else if (a[1] == '-')
			r = parse_long(cmd, argc, argv, &i, fn, ctx);
		else
			r = parse_short(cmd, argc, argv, &i, fn, ctx);
		if (r)
			return r;
	}
	return nops;
}

/* Parse options of a command without operands; see options.h. */
int opt_parse_no_operands(const struct opt_cmd *cmd, int argc, char **argv,
			  opt_handler fn, void *ctx)
{
	char *operands[argc > 0 ? argc : 1];
	int n = opt_parse(cmd, argc, argv, fn, ctx, operands);

	if (n > 0) {
		err_msg(operands[0], "unexpected argument (see 'sockhist %s "
			"--help')", cmd->name);
		return OPT_ERROR;
	}
	return n;
}

/* The --netns arguments; see options.h. */
const char *const *opt_netns(size_t *n)
{
	*n = netns_nargs;
	return netns_args;
}

/* Parse --format; see options.h. */
int opt_format(const char *arg, enum out_format *fmt)
{
	if (out_format_parse(arg, fmt) == 0)
		return 0;
	err_msg(arg, "unknown format (use table, json or csv)");
	return -1;
}
