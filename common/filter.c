/*
 * filter.c — the ss filter language: a tokenizer, a recursive-descent parser
 * building a small AST, and an evaluator over socket records.
 *
 * Grammar (the language iproute2 6.1 `ss` accepts, same evaluation order):
 *
 *   filter   := { ("state" | "exclude" | "excl") STATE } [ exprlist ]
 *   exprlist := expr { [ AND | OR ] expr }     left to right, equal precedence
 *   expr     := "(" exprlist ")" | NOT expr | cond
 *   cond     := ("src" | "dst") [ EQ ] HOST
 *             | ("sport" | "dport") [ OP ] PORT
 *   AND := "and" | "&" | "&&"      OR := "or" | "|" | "||"    NOT := "not" | "!"
 *   OP  := EQ | "!=" ne neq | "<" lt | ">" gt | "<=" le leq | ">=" ge geq
 *   EQ  := "=" | "==" | "eq"
 *   HOST := "*" | ADDR[/LEN][:PORT] | "[" IPV6[/LEN] "]"[:PORT] | "*:"PORT
 *   PORT := [":"] (NUMBER | SERVICE | "*")
 *
 * Like ss, `a or b and c` means `(a or b) and c`, adjacency means "and", and
 * every argument is split further at blanks, so "sport = :22" may be one
 * argument.  State terms may only lead the filter (ss handles them before the
 * expression); their result is returned apart as a state bitmask.
 *
 * Evaluation follows what ss effectively applies: for inet sockets the kernel
 * bytecode semantics (a family mismatch fails, except an IPv4 condition on a
 * v4-mapped IPv6 address); for unix sockets ss's userspace matcher, where the
 * local "port" is the inode and the peer "port" the peer's inode.
 *
 * The AST has one node kind per predicate so later predicates (dev, fwmark,
 * cgroup, unix globs, autobound) are new node kinds, not new grammar paths.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "filter.h"
#include "sockenum.h"

#define ALL_STATES ((1u << SS_MAX_STATE) - 1 - (1u << SS_NEW_SYN_RECV))
#define STATE_BIT(s) (1u << (s))

enum node_type {
	NODE_AND,
	NODE_OR,
	NODE_NOT,
	NODE_HOST,      /* src/dst/sport/dport equality */
	NODE_PORT_GE,   /* sport/dport >= port */
	NODE_PORT_LE,   /* sport/dport <= port */
};

/* An address/port condition on one end of the socket. */
struct hostcond {
	bool local;            /* src/sport (true) or dst/dport (false) */
	int family;            /* AF_UNSPEC, AF_INET or AF_INET6 */
	int prefix_len;        /* 0: any address */
	int port;              /* -1: any port */
	uint8_t addr[16];
};

struct node {
	enum node_type type;
	struct node *left, *right;  /* AND/OR: both; NOT: left */
	struct hostcond hc;         /* HOST, PORT_GE, PORT_LE */
};

struct filter {
	struct node *root;          /* NULL: everything matches */
	bool states_given;          /* state/exclude terms were present */
};

/* Tokens are slices of the arguments split at blanks. */
struct token {
	char *text;
};

struct parser {
	struct token *toks;
	int ntoks, pos;
	char *err;
	unsigned errlen;
	bool failed;
};

/* Record the first error as "<reason> at '<token>'" (or at end of filter). */
static void parse_error(struct parser *p, const char *reason)
{
	if (p->failed)
		return;
	p->failed = true;
	if (p->pos < p->ntoks)
		snprintf(p->err, p->errlen, "%s at '%s'", reason,
			 p->toks[p->pos].text);
	else
		snprintf(p->err, p->errlen, "%s at end of filter", reason);
}

/* The current token's text, or NULL at the end. */
static const char *peek(const struct parser *p)
{
	return p->pos < p->ntoks ? p->toks[p->pos].text : NULL;
}

/* True if the current token is one of the NULL-terminated words. */
static bool peek_is(const struct parser *p, const char *const *words)
{
	const char *t = peek(p);

	for (; t && *words; words++)
		if (strcmp(t, *words) == 0)
			return true;
	return false;
}

static const char *const W_AND[] = { "and", "&", "&&", NULL };
static const char *const W_OR[] = { "or", "|", "||", NULL };
static const char *const W_NOT[] = { "not", "!", NULL };
static const char *const W_EQ[] = { "=", "==", "eq", NULL };
static const char *const W_NE[] = { "!=", "ne", "neq", NULL };
static const char *const W_LT[] = { "<", "lt", NULL };
static const char *const W_GT[] = { ">", "gt", NULL };
static const char *const W_LE[] = { "<=", "le", "leq", NULL };
static const char *const W_GE[] = { ">=", "ge", "geq", NULL };
static const char *const W_STATE[] = { "state", "exclude", "excl", NULL };

/* Split every argument at white space (a -F file has newlines) into a
 * freshly allocated token array whose texts live in *buf.  Returns the
 * count or -ENOMEM. */
static int tokenize(int argc, char **argv, struct token **toks, char **buf)
{
	size_t total = 0;
	int n = 0;

	for (int i = 0; i < argc; i++)
		total += strlen(argv[i]) + 1;
	*buf = malloc(total + 1);
	*toks = malloc(sizeof(**toks) * (total / 2 + 1));
	if (!*buf || !*toks)
		return -ENOMEM;
	char *w = *buf;
	for (int i = 0; i < argc; i++) {
		strcpy(w, argv[i]);
		for (char *save, *t = strtok_r(w, " \t\n\r\v\f", &save); t;
		     t = strtok_r(NULL, " \t\n\r\v\f", &save))
			(*toks)[n++].text = t;
		w += strlen(argv[i]) + 1;
	}
	return n;
}

/* Allocate a node; NULL (and an error) when out of memory. */
static struct node *node_new(struct parser *p, enum node_type type)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		parse_error(p, "out of memory");
	else
		n->type = type;
	return n;
}

/* Free an AST. */
static void node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->left);
	node_free(n->right);
	free(n);
}

/* ---- states ---- */

/* The state groups ss knows besides single state names. */
static uint32_t state_group(const char *name)
{
	static const struct {
		const char *name;
		uint32_t mask;
	} groups[] = {
		{ "all", ALL_STATES },
		{ "connected", ALL_STATES & ~(STATE_BIT(SS_CLOSE) |
					      STATE_BIT(SS_LISTEN)) },
		{ "synchronized", ALL_STATES & ~(STATE_BIT(SS_CLOSE) |
						 STATE_BIT(SS_LISTEN) |
						 STATE_BIT(SS_SYN_SENT)) },
		{ "bucket", STATE_BIT(SS_SYN_RECV) | STATE_BIT(SS_TIME_WAIT) },
		{ "big", ALL_STATES & ~(STATE_BIT(SS_SYN_RECV) |
					STATE_BIT(SS_TIME_WAIT)) },
	};

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcasecmp(name, groups[i].name) == 0)
			return groups[i].mask;
	return 0;
}

/* Mask for one state word: a group, an ss alias or a state name. */
static uint32_t state_mask(const char *name)
{
	char lower[32];
	size_t i;
	int st;

	uint32_t m = state_group(name);
	if (m)
		return m;
	for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[i] = '\0';
	if (strcmp(lower, "close") == 0 || strcmp(lower, "closed") == 0)
		return STATE_BIT(SS_CLOSE);
	if (strcmp(lower, "syn-rcv") == 0)
		return STATE_BIT(SS_SYN_RECV);
	if (strcmp(lower, "unknown") == 0)
		return STATE_BIT(SS_UNKNOWN_);
	st = state_from_name(lower);
	if (st < 0 || st >= SS_MAX_STATE || st == SS_NEW_SYN_RECV)
		return 0;
	return STATE_BIT(st);
}

/* Parse the leading state/exclude terms the way ss does: the first `state`
 * starts from nothing, the first `exclude` from all states. */
static uint32_t parse_states(struct parser *p)
{
	uint32_t states = 0;
	bool seen = false;

	while (!p->failed && peek_is(p, W_STATE)) {
		bool exclude = strcmp(peek(p), "state") != 0;

		p->pos++;
		if (!peek(p)) {
			parse_error(p, "a state name is expected");
			break;
		}
		uint32_t m = state_mask(peek(p));
		if (!m) {
			parse_error(p, "unknown state");
			break;
		}
		if (!seen)
			states = exclude ? ALL_STATES : 0;
		states = exclude ? states & ~m : states | m;
		seen = true;
		p->pos++;
	}
	return states;
}

/* ---- addresses and ports ---- */

/* Parse a port: a number, a service name (tcp or udp), "*" or "" for any.
 * Returns 0 and sets *port, or -1. */
static int parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (*s == '\0' || strcmp(s, "*") == 0) {
		*port = -1;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 0);
	if (end != s && *end == '\0' && errno == 0) {
		if (v < 0 || v > 65535)
			return -1;
		*port = (int)v;
		return 0;
	}
	struct servent *tcp = getservbyname(s, "tcp");
	int tport = tcp ? ntohs((uint16_t)tcp->s_port) : -1;
	struct servent *udp = getservbyname(s, "udp");
	int uport = udp ? ntohs((uint16_t)udp->s_port) : -1;
	if (tport < 0 && uport < 0)
		return -1;
	if (tport >= 0 && uport >= 0 && tport != uport)
		return -1;
	*port = tport >= 0 ? tport : uport;
	return 0;
}

/* Parse dotted IPv4 with one to four parts ("10" = 10.0.0.0), as ss does. */
static int parse_ipv4(const char *s, uint8_t out[4])
{
	int parts = 0;

	memset(out, 0, 4);
	while (*s) {
		char *end;
		unsigned long v;

		if (parts == 4 || !isdigit((unsigned char)*s))
			return -1;
		v = strtoul(s, &end, 10);
		if (v > 255)
			return -1;
		out[parts++] = (uint8_t)v;
		s = end;
		if (*s == '.' && s[1])
			s++;
		else if (*s)
			return -1;
	}
	return parts ? 0 : -1;
}

/* Parse ADDR[/LEN] (no port) into hc.  Returns 0 or -1. */
static int parse_prefix(const char *s, struct hostcond *hc)
{
	char addr[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	int maxlen;

	if (strlen(s) >= sizeof(addr))
		return -1;
	strcpy(addr, s);
	if (strcmp(addr, "any") == 0 || strcmp(addr, "all") == 0 ||
	    strcmp(addr, "default") == 0)
		return 0;
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = '\0';
	if (strchr(addr, ':')) {
		if (inet_pton(AF_INET6, addr, hc->addr) != 1)
			return -1;
		hc->family = AF_INET6;
		maxlen = 128;
	} else {
		if (parse_ipv4(addr, hc->addr) < 0)
			return -1;
		hc->family = AF_INET;
		maxlen = 32;
	}
	hc->prefix_len = maxlen;
	if (slash) {
		long v = strtol(slash, &end, 10);

		if (end == slash || *end || v < 0 || v > maxlen)
			return -1;
		hc->prefix_len = (int)v;
	}
	return 0;
}

/* Split a src/dst operand into its address and port parts, as ss does:
 * "[v6]:port", "*:port", or the last ':' after any '/'.  Works in place on
 * buf; sets *addr and *port (port may be NULL).  Returns 0 or -1. */
static int split_host(char *buf, char **addr, char **port)
{
	*addr = buf;
	*port = NULL;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			return -1;
		*addr = buf + 1;
		*close = '\0';
		*port = close + 1;
		if (**port && **port != ':')
			return -1;
	} else if (buf[0] == '*') {
		if (buf[1] && buf[1] != ':')
			return -1;
		*port = buf + 1;
		buf[0] = '\0';
	} else {
		char *slash = strchr(buf, '/');

		*port = strrchr(slash ? slash : buf, ':');
	}
	if (*port && **port == ':')
		*(*port)++ = '\0';
	return 0;
}

/* Parse a src/dst operand into hc. */
static int parse_host(const char *tok, struct hostcond *hc)
{
	char buf[128];
	char *addr, *port;

	if (strlen(tok) >= sizeof(buf))
		return -1;
	strcpy(buf, tok);
	if (split_host(buf, &addr, &port) < 0)
		return -1;
	if (port && parse_port(port, &hc->port) < 0)
		return -1;
	if (*addr && strcmp(addr, "*") != 0 && parse_prefix(addr, hc) < 0)
		return -1;
	return 0;
}

/* ---- expressions ---- */

static struct node *parse_exprlist(struct parser *p);

/* Combine two subtrees under a binary node (frees both on failure). */
static struct node *node_join(struct parser *p, enum node_type type,
			      struct node *l, struct node *r)
{
	struct node *n;

	if (!l || !r || !(n = node_new(p, type))) {
		node_free(l);
		node_free(r);
		return NULL;
	}
	n->left = l;
	n->right = r;
	return n;
}

/* src/dst [=] HOST */
static struct node *parse_host_cond(struct parser *p, bool local)
{
	struct node *n;

	p->pos++;
	if (peek_is(p, W_EQ))
		p->pos++;
	if (!peek(p)) {
		parse_error(p, "an address is expected");
		return NULL;
	}
	if (!(n = node_new(p, NODE_HOST)))
		return NULL;
	n->hc.local = local;
	n->hc.port = -1;
	if (parse_host(peek(p), &n->hc) < 0) {
		parse_error(p, "an address[/prefix][:port] is expected");
		free(n);
		return NULL;
	}
	p->pos++;
	return n;
}

/* Build the node for `port OP value`: <, >, != become negations as in ss. */
static struct node *port_node(struct parser *p, enum node_type type,
			      bool negate, const struct hostcond *hc)
{
	struct node *n = node_new(p, type);
	struct node *no;

	if (!n)
		return NULL;
	n->hc = *hc;
	if (!negate)
		return n;
	if (!(no = node_new(p, NODE_NOT))) {
		free(n);
		return NULL;
	}
	no->left = n;
	return no;
}

/* sport/dport [OP] PORT */
static struct node *parse_port_cond(struct parser *p, bool local)
{
	struct hostcond hc = { .local = local, .port = -1 };
	enum node_type type = NODE_HOST;
	bool negate = false;

	p->pos++;
	if (peek_is(p, W_EQ)) {
		p->pos++;
	} else if (peek_is(p, W_NE)) {
		negate = true;
		p->pos++;
	} else if (peek_is(p, W_GE) || peek_is(p, W_LT)) {
		negate = peek_is(p, W_LT);
		type = NODE_PORT_GE;
		p->pos++;
	} else if (peek_is(p, W_LE) || peek_is(p, W_GT)) {
		negate = peek_is(p, W_GT);
		type = NODE_PORT_LE;
		p->pos++;
	}
	if (!peek(p)) {
		parse_error(p, "a port is expected");
		return NULL;
	}
	const char *t = peek(p);
	if (parse_port(t[0] == ':' ? t + 1 : t, &hc.port) < 0) {
		parse_error(p, "a port number or service name is expected");
		return NULL;
	}
	p->pos++;
	return port_node(p, type, negate, &hc);
}

/* expr := "(" exprlist ")" | NOT expr | cond */
static struct node *parse_expr(struct parser *p)
{
	const char *t = peek(p);

	if (!t) {
		parse_error(p, "an expression is expected");
		return NULL;
	}
	if (strcmp(t, "(") == 0) {
		p->pos++;
		struct node *n = parse_exprlist(p);
		if (n && !(peek(p) && strcmp(peek(p), ")") == 0)) {
			parse_error(p, "')' is expected");
			node_free(n);
			return NULL;
		}
		p->pos++;
		return n;
	}
	if (peek_is(p, W_NOT)) {
		p->pos++;
		struct node *sub = parse_expr(p);
		struct node *n = sub ? node_new(p, NODE_NOT) : NULL;
		if (!n) {
			node_free(sub);
			return NULL;
		}
		n->left = sub;
		return n;
	}
	if (strcmp(t, "src") == 0 || strcmp(t, "dst") == 0)
		return parse_host_cond(p, t[0] == 's');
	if (strcmp(t, "sport") == 0 || strcmp(t, "dport") == 0)
		return parse_port_cond(p, t[0] == 's');
	if (peek_is(p, W_STATE))
		parse_error(p, "state terms must come before the expression");
	else
		parse_error(p, "unknown filter term");
	return NULL;
}

/* exprlist := expr { [AND|OR] expr }, strictly left to right. */
static struct node *parse_exprlist(struct parser *p)
{
	struct node *n = parse_expr(p);

	while (n && peek(p) && strcmp(peek(p), ")") != 0) {
		enum node_type type = NODE_AND;

		if (peek_is(p, W_OR) || peek_is(p, W_AND)) {
			type = peek_is(p, W_OR) ? NODE_OR : NODE_AND;
			p->pos++;
		}
		n = node_join(p, type, n, parse_expr(p));
	}
	return n;
}

/* Parse the whole filter; see filter.h. */
struct filter *filter_parse(int argc, char **argv, uint32_t *states_out,
			    char *err, unsigned errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	struct filter *f = calloc(1, sizeof(*f));
	char *buf = NULL;

	*states_out = 0;
	p.ntoks = f ? tokenize(argc, argv, &p.toks, &buf) : -ENOMEM;
	if (p.ntoks < 0) {
		snprintf(err, errlen, "out of memory");
		p.failed = true;
	}
	if (!p.failed) {
		f->states_given = peek_is(&p, W_STATE);
		*states_out = parse_states(&p);
	}
	if (!p.failed && peek(&p)) {
		f->root = parse_exprlist(&p);
		if (!p.failed && peek(&p))
			parse_error(&p, "unbalanced ')'");
	}
	free(p.toks);
	free(buf);
	if (p.failed) {
		filter_free(f);
		return NULL;
	}
	return f;
}

/* Free a parsed filter (NULL is fine). */
void filter_free(struct filter *f)
{
	if (!f)
		return;
	node_free(f->root);
	free(f);
}

/* Whether state terms were given; see filter.h. */
int filter_states_given(const struct filter *f)
{
	return f && f->states_given;
}

/* An expression besides the state terms?  See filter.h. */
int filter_has_expression(const struct filter *f)
{
	return f && f->root;
}

/* ---- evaluation ---- */

/* True if the first bits of a and b agree. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)bytes) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

/* The port ss compares for one end: inet ports, or the unix inodes. */
static uint32_t rec_port(const struct sock_record *r, bool local)
{
	if (r->family == AF_UNIX)
		return local ? (uint32_t)r->inode : r->peer_inode;
	return local ? r->sport : r->dport;
}

/* Address condition on an inet socket, as the kernel's bytecode does it. */
static bool inet_addr_match(const struct hostcond *hc,
			    const struct sock_record *r)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					      0xff, 0xff };
	const uint8_t *a = hc->local ? r->src : r->dst;

	if (hc->family == AF_UNSPEC)
		return true;
	if (hc->family != r->family) {
		return hc->family == AF_INET && r->family == AF_INET6 &&
		       memcmp(a, v4mapped, 12) == 0 &&
		       prefix_equal(a + 12, hc->addr, hc->prefix_len);
	}
	return prefix_equal(a, hc->addr, hc->prefix_len);
}

/* src/dst/sport/dport equality. */
static bool host_match(const struct hostcond *hc, const struct sock_record *r)
{
	if (hc->port != -1 && (uint32_t)hc->port != rec_port(r, hc->local))
		return false;
	if (r->family == AF_UNIX)
		return hc->prefix_len == 0;
	return inet_addr_match(hc, r);
}

/* Port ordering; an "any" port compares as 65535 (the kernel's u16). */
static bool port_cmp(const struct hostcond *hc, const struct sock_record *r,
		     bool ge)
{
	uint32_t want = hc->port < 0 ? 65535u : (uint32_t)hc->port;
	uint32_t have = rec_port(r, hc->local);

	return ge ? have >= want : have <= want;
}

/* Evaluate one node. */
static bool node_match(const struct node *n, const struct sock_record *r)
{
	switch (n->type) {
	case NODE_AND:
		return node_match(n->left, r) && node_match(n->right, r);
	case NODE_OR:
		return node_match(n->left, r) || node_match(n->right, r);
	case NODE_NOT:
		return !node_match(n->left, r);
	case NODE_HOST:
		return host_match(&n->hc, r);
	case NODE_PORT_GE:
		return port_cmp(&n->hc, r, true);
	case NODE_PORT_LE:
		return port_cmp(&n->hc, r, false);
	}
	return false;
}

/* 1 if r matches the expression part of f; see filter.h. */
int filter_match(const struct filter *f, const struct snapshot *s,
		 const struct sock_record *r)
{
	(void)s;
	if (!f || !f->root)
		return 1;
	return node_match(f->root, r);
}
