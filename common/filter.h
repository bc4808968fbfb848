/*
 * filter.h — the ss filter language (iproute2 6.1): parse once, evaluate
 * per record.
 *
 * FILTER := { state STATE | exclude STATE } [ EXPRESSION ].  The state
 * words are separate command-line words at the start, as ss reads them; the
 * expression may come from the command line, from a filter file, or both
 * (the command line first).  Terms of the expression:
 *   src|dst [=] HOST          sport|dport [OP] PORT       autobound
 *   dev [=|!=] NAME|INDEX     fwmark [=|!=] MARK[/MASK]   cgroup [=|!=] PATH
 * combined with and/&/&&, or/|/||, not/!, ( ) and adjacency (= and), all
 * left to right with equal precedence, as in ss's grammar.  HOST takes the
 * family prefixes inet: inet6: unix: link: netlink: vsock:, CIDR and
 * partial dotted prefixes, [IPv6], '*' and host names; unix: takes a glob.
 *
 * Evaluation reproduces what ss effectively shows: for TCP, UDP and RAW
 * sockets dumped over netlink both the kernel's bytecode run and ss's own
 * re-check must pass; RAW sockets read from /proc/net/raw and unix sockets
 * see only ss's re-check (see filter_eval.c), and so do packet, netlink,
 * vsock and XDP sockets, whose link:, netlink: and vsock: terms compare
 * the protocol or CID and the port as ss does; TIPC sockets are never
 * filtered (ss runs no filter on them).
 *
 * Resolved where sockhist runs, as ss resolves them where it runs: device
 * names (if_nametoindex), cgroup paths (the cgroup2 mount, unless the
 * caller matches them with filter_ctx.cgroup_is), service names, host
 * names, and the ephemeral port range `autobound` uses.
 */
#ifndef SOCKHIST_FILTER_H
#define SOCKHIST_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "sockrec.h"

struct filter;

/* What the expression's meaning depends on, and what it changes: ss parses
 * it after the table and family flags, and a family-setting term (a family
 * prefix, or any host term once a family is preferred) makes ss dump that
 * family alone and prefer it for the terms after it. */
struct filter_ctx {
	int preferred;      /* in/out: ss's preferred family (AF_UNSPEC, or
			     * AF_INET, AF_INET6, AF_UNIX from -4/-6/-x) */
	bool tcp, udp;      /* in: those tables are selected (service names
			     * resolve as tcp and/or udp services) */
	bool no_lookup;     /* in: no host name lookups (names are errors) */
	/* in, optional: match cgroup terms through this, by path (relative
	 * to the cgroup2 root, leading "/"): a PATH that is no cgroup of the
	 * live cgroup2 mount is then accepted, with live_id 0 */
	bool (*cgroup_is)(uint64_t id, const char *path, uint64_t live_id);
	int family;         /* out: the family the last family-setting term
			     * left, or AF_UNSPEC when there was none; may be
			     * AF_PACKET, AF_NETLINK or AF_VSOCK */
};

/* Parse argv[0..argc) as one filter expression.  On error returns NULL and
 * writes a one-line reason naming the offending word into err.  states_out
 * receives the bitmask of selected states (1u << state) from state/exclude
 * terms, or 0 when none were given (the caller then applies ss's default).
 * Same as filter_parse_ctx() with no file, no preferred family and both
 * the tcp and udp tables. */
struct filter *filter_parse(int argc, char **argv, uint32_t *states_out,
			    char *err, unsigned errlen);

/* Parse the leading state words of argv[0..argc), then the rest of argv
 * split at blanks, then file (the text of a filter file, or NULL: split
 * at newlines, lines starting with '#' or '0' skipped, as ss does) as one
 * expression.  Errors as filter_parse(). */
struct filter *filter_parse_ctx(int argc, char **argv, const char *file,
				struct filter_ctx *ctx, uint32_t *states_out,
				char *err, unsigned errlen);

void filter_free(struct filter *f);
/* 1 if the filter began with state/exclude terms (even when they selected no
 * state: ss then falls back to its default states, dropping -a and -l). */
int filter_states_given(const struct filter *f);
/* 1 if the filter has an expression besides its state terms (without one
 * every record matches filter_match). */
int filter_has_expression(const struct filter *f);
/* 1 if the record matches the expression part (states are checked apart).
 * s holds r's strings (unix names); NULL reads them as empty. */
int filter_match(const struct filter *f, const struct snapshot *s,
		 const struct sock_record *r);

#endif
