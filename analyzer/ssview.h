/*
 * ssview.h — the ss display options (-n -e -m -i -o -p -H --tos --cgroup)
 * and the table flags that follow from a selection, shared by every command
 * that prints sockets in ss's layout (show, diff), so they parse and print
 * the same way.
 */
#ifndef SOCKHIST_SSVIEW_H
#define SOCKHIST_SSVIEW_H

#include <stdbool.h>

#include "options.h"
#include "output.h"
#include "sockselect.h"
#include "ss_table.h"

/* Ids of the long-only display options; a command numbers its own long
 * options from OPT_LONG_ONLY, below these. */
enum { SS_OPT_TOS = OPT_LONG_ONLY + 128, SS_OPT_CGROUP };

/* The option table entries ss_view_opt() understands. */
#define SS_VIEW_OPTS \
	{ 'n', "numeric", NULL, "don't resolve service names" }, \
	{ 'e', "extended", NULL, "show detailed socket information" }, \
	{ 'm', "memory", NULL, "show socket memory usage" }, \
	{ 'i', "info", NULL, "show internal TCP information" }, \
	{ 'o', "options", NULL, "show timer information" }, \
	{ 'p', "processes", NULL, "show process using socket" }, \
	{ SS_OPT_TOS, "tos", NULL, "show tos and priority information" }, \
	{ SS_OPT_CGROUP, "cgroup", NULL, "show cgroup information" }, \
	{ 'H', "no-header", NULL, "suppress the header line" }

/* Apply option id if it is one of SS_VIEW_OPTS.  Returns true if it was. */
bool ss_view_opt(struct ss_flags *fl, int id);

/* Set the flags that depend on the selection and the terminal: the Netid
 * and State columns (printed when sel selects more than one), and the
 * terminal width (0 when stdout is not a terminal). */
void ss_view_settle(struct ss_flags *fl, const struct sock_select *sel);

/* Does output in fmt with flags fl print raw attribute bytes (tcp_info and
 * congestion control with -i, a unix listener's pending connections with
 * -e; JSON and CSV always)?  If not, loads may skip them. */
bool ss_view_needs_blobs(const struct ss_flags *fl, enum out_format fmt);

#endif
