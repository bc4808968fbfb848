/*
 * sockselect.h — which sockets of a snapshot a command looks at, chosen the
 * way iproute2 6.1's `ss` chooses them: table and family flags (-t -u -w -S
 * -M -x -0 -4 -6 --vsock --xdp --tipc, -A QUERY, -f FAMILY), -a / -l, and the FILTER (state terms and an expression, from the
 * operands and/or from -F FILE).  show, hist and diff share it, so a
 * FILTER means the same everywhere; they differ only in the default states
 * (ss's "connected" for show, every state for the others).
 *
 * Usage: sock_select_init(); pass every option id to sock_select_opt() (the
 * SOCK_SELECT_OPTS entries in the command's option table); then
 * sock_select_finish() with the operands; then sock_select_match() or
 * sock_select_rows() per snapshot; sock_select_free() at the end.
 */
#ifndef SOCKHIST_SOCKSELECT_H
#define SOCKHIST_SOCKSELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "filter.h"
#include "options.h"
#include "sockrec.h"

/* Long-only option ids of the selection (below ssview's). */
enum {
	SEL_OPT_VSOCK = OPT_LONG_ONLY + 64, SEL_OPT_XDP, SEL_OPT_TIPC,
};

/* The option table entries sock_select_opt() understands. */
#define SOCK_SELECT_OPTS \
	{ 't', "tcp", NULL, "display TCP sockets" }, \
	{ 'u', "udp", NULL, "display UDP sockets" }, \
	{ 'w', "raw", NULL, "display RAW sockets" }, \
	{ 'S', "sctp", NULL, "display SCTP sockets" }, \
	{ 'M', "mptcp", NULL, "display MPTCP sockets" }, \
	{ 'x', "unix", NULL, "display Unix domain sockets" }, \
	{ '0', "packet", NULL, "display PACKET sockets" }, \
	{ SEL_OPT_VSOCK, "vsock", NULL, "display vsock sockets" }, \
	{ SEL_OPT_XDP, "xdp", NULL, "display XDP sockets" }, \
	{ SEL_OPT_TIPC, "tipc", NULL, "display TIPC sockets" }, \
	{ 'f', "family", "FAMILY", "display sockets of FAMILY: inet, " \
	  "inet6, link, unix, netlink, vsock, xdp, tipc" }, \
	{ 'A', "query", "QUERY", "display the socket tables QUERY: all, " \
	  "inet, tcp, mptcp, sctp, udp, raw, unix, unix_dgram, " \
	  "unix_stream, unix_seqpacket, packet, packet_raw, packet_dgram, " \
	  "netlink, vsock, vsock_stream, vsock_dgram, xdp, tipc, dccp " \
	  "(comma-separated; !NAME leaves one out)" }, \
	{ '4', "ipv4", NULL, "display only IP version 4 sockets" }, \
	{ '6', "ipv6", NULL, "display only IP version 6 sockets" }, \
	{ 'a', "all", NULL, "display all sockets" }, \
	{ 'l', "listening", NULL, "display listening sockets" }, \
	{ 'F', "filter", "FILE", "read the FILTER from FILE" }

/* The states a command selects when neither -a, -l nor a state term says. */
enum sel_default {
	SEL_CONNECTED,   /* ss's default: every state but LISTEN, CLOSE,
			  * TIME-WAIT and SYN-RECV (-u, -w: ESTAB) */
	SEL_ALL,         /* every state, with or without table flags */
};

/* What ss's option loop accumulates, plus the parsed filter. */
struct sock_select {
	uint32_t dbs;          /* ss's table bits (sockselect.c's enum ss_db) */
	uint32_t families;     /* SEL_FAM_* bits */
	uint32_t states;       /* the final state bits (kernel numbering) */
	uint32_t state_filter; /* from -a / -l / state terms; 0 = none */
	bool do_default;       /* no table or family flag given */
	bool saw_query;        /* an -A was given */
	bool bad;              /* an option's argument was wrong (printed) */
	int preferred;         /* ss's preferred_family: the last -4/-6/-x */
	const char *filter_file; /* -F FILE */
	struct filter *filter;
};

/* Start an empty selection. */
void sock_select_init(struct sock_select *sel);

/* Apply option id (with its argument) if it is one of SOCK_SELECT_OPTS.
 * Returns true if it was. */
bool sock_select_opt(struct sock_select *sel, int id, const char *arg);

/* Parse the FILTER from operands[0..n) and the -F file (both may be given:
 * ss reads the state words from the operands, then the expression from the
 * operands and then the file), and settle the states, tables and families,
 * including the family a filter's family prefix leaves (`src unix:/run/d*`
 * lists unix sockets only).  Returns 0, or -1 after printing a one-line
 * error (a bad filter points at the offending word). */
int sock_select_finish(struct sock_select *sel, int n, char **operands,
		       enum sel_default def);

/* True if the selection (tables, families, states, filter) keeps r. */
bool sock_select_match(const struct sock_select *sel,
		       const struct snapshot *s, const struct sock_record *r);

/* sock_select_match as a sock_keep_fn, sel passed as arg (for
 * chain_materialize, store_load_matching and sock_diff). */
int sock_select_keep(const struct snapshot *s, const struct sock_record *r,
		     void *sel);

/* The records of s the selection keeps, in ss's dump order (unix, raw,
 * udp, tcp; IPv4 before IPv6; cookie order within), as a malloc'd array
 * in *out.  Returns the count, or -1 when out of memory. */
long sock_select_rows(const struct sock_select *sel, const struct snapshot *s,
		      const struct sock_record ***out);

/* The rank of r's group in ss's dump order: netlink, packet, unix, raw,
 * udp, tcp, sctp, vsock, tipc, xdp, mptcp, IPv4 before IPv6 (0 to 15).
 * Rows print by group, then cookie. */
int sock_select_group(const struct sock_record *r);

/* True if the selection keeps a record by its netid and state alone (no
 * expression, and no -4/-6 keeping one family of a table), so counts per
 * netid x state can answer it.  Then netids gets the netid bits
 * (1 << NETID_*) and states the state bits (1 << kernel state; NEW-SYN-RECV
 * with SYN-RECV) of the records it keeps. */
bool sock_select_netid_state(const struct sock_select *sel, uint32_t *netids,
			     uint32_t *states);

/* ss prints the Netid column when more than one table is selected, the
 * State column when more than one state is. */
bool sock_select_many_netids(const struct sock_select *sel);
bool sock_select_many_states(const struct sock_select *sel);

/* Free the parsed filter. */
void sock_select_free(struct sock_select *sel);

#endif
