/*
 * filter_int.h — the filter's insides shared by its three files: the
 * syntax tree (filter.c builds it), the terms' operands (filter_term.c
 * parses them the way ss's parse_hostcond & co. do) and the evaluator
 * (filter_eval.c).
 */
#ifndef SOCKHIST_FILTER_INT_H
#define SOCKHIST_FILTER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "filter.h"

/* ss's SS_ALL: every state number 0..SS_CLOSING (0 is "unknown"). */
#define FILTER_ALL_STATES ((1u << 12) - 1)

/* Addresses a host name may stand for (ss keeps them all). */
#define HOST_ADDRS_MAX 16

enum node_type {
	NODE_AND,
	NODE_OR,
	NODE_NOT,
	NODE_HOST,      /* src/dst, and sport/dport equality */
	NODE_PORT_GE,   /* sport/dport >= port */
	NODE_PORT_LE,   /* sport/dport <= port */
	NODE_DEV,       /* dev */
	NODE_MARK,      /* fwmark */
	NODE_CGROUP,    /* cgroup */
	NODE_AUTO,      /* autobound */
};

/* One address of a host condition, as ss's inet_prefix holds it: v4 in the
 * first 4 bytes, the rest zero. */
struct host_addr {
	int family;             /* AF_UNSPEC, AF_INET or AF_INET6 */
	int bits;               /* prefix length; 0: any address */
	uint8_t addr[16];
};

/* A src/dst/sport/dport condition (ss's aafilter). */
struct hostcond {
	int family;             /* AF_UNSPEC, AF_INET, AF_INET6: an inet
				 * condition; AF_UNIX: a glob; AF_PACKET,
				 * AF_NETLINK, AF_VSOCK: addrs[0] holds the
				 * protocol or CID as a host-order word */
	bool inet;              /* family is AF_UNSPEC, AF_INET or AF_INET6 */
	int port;               /* -1: any; an int, as ss keeps it */
	int naddrs;             /* 0: no address; >1: a host name's */
	struct host_addr addrs[HOST_ADDRS_MAX];
	char *pattern;          /* AF_UNIX: the glob (malloc'd) */
};

struct node {
	enum node_type type;
	bool local;                 /* src/sport (true) or dst/dport */
	struct node *left, *right;  /* AND/OR: both; NOT: left */
	struct hostcond *hc;        /* HOST, PORT_GE, PORT_LE */
	uint32_t ifindex;           /* DEV */
	uint32_t mark, mask;        /* MARK */
	uint64_t cgroup;            /* CGROUP: the live id, or 0 */
	char *cgroup_path;          /* CGROUP: relative to the cgroup2 root */
};

struct filter {
	struct node *root;          /* NULL: everything matches */
	bool states_given;          /* state/exclude terms were present */
	bool bytecode;              /* ss sends its bytecode to the kernel
				     * (false when a dev term is present) */
	bool twofold;               /* the kernel's run and ss's re-check
				     * can disagree, so both are needed */
	int port_lo, port_hi;       /* the ephemeral range (autobound) */
	bool (*cgroup_is)(uint64_t id, const char *path, uint64_t live_id);
				    /* filter_ctx.cgroup_is */
};

/* ---- filter_term.c: operands, each writing a reason into why ---- */

/* What parsing a host term needs from the parser. */
struct term_ctx {
	struct filter_ctx *ctx;     /* preferred family (updated), tables */
	const char *why;            /* the reason of the last failure */
};

/* src/dst HOST (is_port false) or sport/dport PORT (is_port true), as ss's
 * parse_hostcond: returns a malloc'd condition or NULL. */
struct hostcond *term_host(struct term_ctx *t, const char *tok, bool is_port);
void hostcond_free(struct hostcond *hc);
/* dev NAME|INDEX.  Returns 0 or -1. */
int term_dev(struct term_ctx *t, const char *tok, uint32_t *ifindex);
/* fwmark MARK[/MASK].  Returns 0 or -1. */
int term_mark(struct term_ctx *t, const char *tok, uint32_t *mark,
	      uint32_t *mask);
/* cgroup PATH: the cgroup2 id on the live mount (0 if none, accepted only
 * with ctx->cgroup_is) and the path relative to the cgroup2 root
 * (malloc'd).  Returns 0 or -1. */
int term_cgroup(struct term_ctx *t, const char *tok, uint64_t *id,
		char **path);
/* ss's state names and groups ("established", "connected", ...), any
 * case; 0 when unknown. */
uint32_t term_state(const char *name);
/* The ephemeral port range, as ss reads it (1024-4999 when unreadable). */
void term_port_range(int *lo, int *hi);

/* ---- filter_eval.c ---- */

/* Work out f->bytecode and f->twofold from the tree. */
void eval_prepare(struct filter *f);

#endif
