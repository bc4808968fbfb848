/*
 * ss_table.h — print socket records exactly as iproute2's `ss` lays them out.
 *
 * Given the selected records of one snapshot and the ss-style flags, writes
 * the header line and one row per socket with ss's column alignment, followed
 * by the -e/-o/-p/-m/-i/--tos/--cgroup details in ss's order and spelling.
 * Knows nothing about SQLite or netlink: it only formats.
 */
#ifndef SOCKHIST_SS_TABLE_H
#define SOCKHIST_SS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sockrec.h"

struct ss_flags {
	bool numeric;      /* -n: no service names */
	bool extended;     /* -e */
	bool memory;       /* -m */
	bool info;         /* -i */
	bool options;      /* -o: timers */
	bool processes;    /* -p */
	bool tos;          /* --tos */
	bool cgroup;       /* --cgroup */
	bool no_header;    /* -H */
	bool show_netid;   /* Netid column: more than one netid selected */
	bool show_state;   /* State column: more than one state selected */
	int screen_width;  /* terminal width (TIOCGWINSZ on stdout); <= 0 when
			    * stdout is not a terminal: ss 6.1 then prints
			    * compact columns (no spreading to a width) */
};

/* Render rows[0..n) of snapshot s to out.  Returns 0 or -errno on a write
 * error. */
int ss_table_render(FILE *out, const struct snapshot *s,
		    const struct sock_record *const *rows, size_t n,
		    const struct ss_flags *fl);

/* ss_table_render, and after row i's details notes[i] (when notes and
 * notes[i] are not NULL) on a continuation line ("\n\t" NOTE), where ss
 * prints -m and -i. */
int ss_table_render_notes(FILE *out, const struct snapshot *s,
			  const struct sock_record *const *rows, size_t n,
			  const struct ss_flags *fl, const char *const *notes);

/* The rows of one snapshot in a table of several snapshots' rows (one per
 * network namespace of a moment). */
struct ss_block {
	const struct snapshot *s;
	const struct sock_record *const *rows;
	size_t n;
	const char *netns;       /* the Netns column (first) of these rows;
				  * NULL in the first block: no such column */
	const char *const *notes; /* as ss_table_render_notes's, or NULL */
};

/* Render the rows of b[0..nb), in order, as one table (one header, one
 * set of column widths). */
int ss_table_render_blocks(FILE *out, const struct ss_block *b, size_t nb,
			   const struct ss_flags *fl);

#endif
