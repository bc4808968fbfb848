/*
 * filtergen.c — test helper: prints random but reproducible ss filter
 * expressions from the grammar of common/filter.c, for the differential
 * test against the real ss (tests/integration/filter-ss.sh).
 *
 * Usage: filtergen SEED COUNT UNIXDIR [CGROUP-REL CGROUP-ABS CGROUP-ROOT]
 * Each output line is "FLAGS1<TAB>FLAGS2<TAB>EXPRESSION": the expression
 * is valid under both flag sets (-an, and one of several others), and uses
 * the test's sockets' addresses, ports, devices (lo, veth0, veth1), marks, unix
 * names under UNIXDIR and the cgroups given.  On stderr it prints the
 * terms, operators and forms it covered and, on a line of its own, those
 * it did not ("filtergen: uncovered:" followed by nothing when all were).
 *
 * Expressions avoid what ss itself cannot do (it fails, or falls back to
 * /proc and prints other columns): an inet:/inet6: term after a unix or
 * link/netlink/vsock one, host terms after a link/netlink/vsock one, an
 * IPv6 host under -4 and the reverse, service names where ss has no tcp
 * or udp table to look them up in.  They use no host names: resolving one
 * may ask DNS (the unit tests cover names with /etc/hosts).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define NFLAGS 2

/* Everything the output must use at least once. */
static const char *const items[] = {
	"state", "exclude", "excl", "st:unknown", "st:established",
	"st:syn-sent", "st:syn-recv", "st:syn-rcv", "st:fin-wait-1",
	"st:fin-wait-2", "st:time-wait", "st:unconnected", "st:close",
	"st:closed", "st:close-wait", "st:last-ack", "st:listening",
	"st:closing", "st:all", "st:connected", "st:synchronized", "st:bucket",
	"st:big", "src", "dst", "sport", "dport", "dev", "fwmark", "cgroup",
	"autobound", "=", "==", "eq", "!=", "ne", "neq", "<", "lt", ">", "gt",
	"<=", "le", "leq", ">=", "ge", "geq", "and", "&", "&&", "or", "|", "||",
	"not", "!", "(", "adjacency", "host:v4", "host:v4-cidr",
	"host:v4-partial", "host:v4-netmask", "host:v4-cnum", "host:v4-mapped",
	"host:v6", "host:v6-bracket", "host:v6-prefix", "host:star",
	"host:star-port", "host:any", "host:port", "port:service",
	"port:range", "inet:", "inet6:", "unix:", "link:", "netlink:", "vsock:",
	"unix:glob", "dev:name", "dev:index", "dev:ifN", "fwmark:mask",
	"cgroup:relative", "cgroup:absolute",
};
#define NITEMS (sizeof(items) / sizeof(items[0]))
static bool covered[NITEMS];

/* Note that an item was used. */
static void cover(const char *item)
{
	for (size_t i = 0; i < NITEMS; i++)
		if (strcmp(items[i], item) == 0)
			covered[i] = true;
}

/* The flag sets: the preferred family each leaves, and whether the tcp
 * services below resolve (ss looks names up in the tables it shows). */
static const struct flagset {
	const char *flags;
	int preferred;
	bool services;
} flagsets[] = {
	{ "-an", AF_UNSPEC, true },      /* the first of every pair */
	{ "-tuwxan", AF_UNIX, true }, { "-tan", AF_UNSPEC, true },
	{ "-xa", AF_UNIX, false }, { "-4an", AF_INET, true },
	{ "-6an", AF_INET6, true }, { "-ln", AF_UNSPEC, true },
	{ "-uwan", AF_UNSPEC, false }, { "-tn", AF_UNSPEC, true },
	{ "-4tln", AF_INET, true }, { "-6tuan", AF_INET6, true },
	{ "-wan", AF_UNSPEC, false }, { "-x", AF_UNIX, false },
};

/* One expression being written. */
struct gen {
	uint64_t rng;
	const struct flagset *fs[NFLAGS];
	int pref[NFLAGS];       /* preferred family under each flag set */
	bool unix_cond;         /* a unix condition exists: no inet: after */
	bool foreign;           /* a link/netlink/vsock term: no hosts after */
	const char *unixdir, *cg_rel, *cg_abs, *cg_root;
	char out[4096];
	size_t len;
};

/* xorshift64*: the next random number. */
static uint64_t next(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ull;
}

/* A random number below n. */
static unsigned below(struct gen *g, unsigned n)
{
	return (unsigned)(next(g) >> 33) % n;
}

/* A random element of a NULL-free array. */
#define PICK(g, arr) ((arr)[below(g, sizeof(arr) / sizeof((arr)[0]))])

/* Append a word (and cover it when it is an item). */
static void word(struct gen *g, const char *w)
{
	int n;

	if (!*w)
		return;
	n = snprintf(g->out + g->len, sizeof(g->out) - g->len, "%s%s",
		     g->len ? " " : "", w);

	if (n > 0 && (size_t)n < sizeof(g->out) - g->len)
		g->len += (size_t)n;
	cover(w);
}

/* Does any flag set prefer this family? */
static bool pref_is(const struct gen *g, int af)
{
	for (int i = 0; i < NFLAGS; i++)
		if (g->pref[i] == af)
			return true;
	return false;
}

/* Does every flag set prefer this family? */
static bool pref_all(const struct gen *g, int af)
{
	for (int i = 0; i < NFLAGS; i++)
		if (g->pref[i] != af)
			return false;
	return true;
}

/* Service names resolve for every flag set that reads the port as a
 * port (not as a unix glob). */
static bool services_ok(const struct gen *g)
{
	for (int i = 0; i < NFLAGS; i++)
		if (g->pref[i] != AF_UNIX && !g->fs[i]->services)
			return false;
	return true;
}

/* Set every flag set's preferred family (a family prefix was used). */
static void prefer(struct gen *g, int af)
{
	for (int i = 0; i < NFLAGS; i++)
		g->pref[i] = af;
	if (af == AF_UNIX)
		g->unix_cond = true;
}

/* A plain host or port term was used: under -x it is a unix glob. */
static void plain_term(struct gen *g)
{
	if (pref_is(g, AF_UNIX))
		g->unix_cond = true;
}

/* A port: numbers (some outside 16 bits), services, '*'. */
static void port_text(struct gen *g, char *buf, size_t len, bool colon)
{
	static const char *const nums[] = {
		"22", "5000", "6000", "7000", "7001", "443", "80", "8080",
		"2222", "5300", "5301", "0", "1", "32768", "60999", "40000",
		"0x1388", "017500",
	};
	static const char *const services[] = { "ssh", "http", "https", "bbs" };
	unsigned r = below(g, 20);
	const char *p = PICK(g, nums);

	if (r == 0)
		p = "*";
	else if (r < 4 && services_ok(g)) {
		p = PICK(g, services);
		cover("port:service");
	}
	snprintf(buf, len, "%s%s", colon ? ":" : "", p);
}

/* An IPv4 host form. */
static void host_v4(struct gen *g, char *buf, size_t len)
{
	static const char *const addrs[] = {
		"10.0.0.1", "10.0.0.2", "127.0.0.1", "192.168.7.1",
		"192.168.7.2", "0.0.0.0", "10.1.2.3",
	};
	static const char *const cidrs[] = {
		"10.0.0.0/8", "10.0.0.0/30", "127.0.0.0/8", "192.168.7.0/24",
		"0.0.0.0/0", "10.0.0.2/31", "192.168.7.0/25", "0.0.0.0/32",
	};
	static const char *const partial[] = { "10/8", "127/8", "192.168.7/24",
					       "10.0/16", "10/7" };
	static const char *const masks[] = { "10.0.0.0/255.0.0.0",
					     "192.168.7.0/255.255.255.0",
					     "0/0.0.0.0" };
	static const char *const cnum[] = { "012.0.0.1", "0x7f.0.0.1",
					    "10.0x0.0.02" };
	char port[32] = "";
	const char *a;

	switch (below(g, 6)) {
	case 0:
		a = PICK(g, cidrs);
		cover("host:v4-cidr");
		break;
	case 1:
		a = PICK(g, partial);
		cover("host:v4-partial");
		break;
	case 2:
		a = PICK(g, masks);
		cover("host:v4-netmask");
		break;
	case 3:
		a = PICK(g, cnum);
		cover("host:v4-cnum");
		break;
	default:
		a = PICK(g, addrs);
		cover("host:v4");
	}
	if (below(g, 3) == 0) {
		port_text(g, port, sizeof(port), true);
		cover("host:port");
	}
	snprintf(buf, len, below(g, 6) == 0 ? "[%s]%s" : "%s%s", a, port);
}

/* An IPv6 host form. */
static void host_v6(struct gen *g, char *buf, size_t len)
{
	static const char *const addrs[] = { "::1", "fd00::1", "fd00::2", "::",
					     "::ffff:127.0.0.1" };
	static const char *const prefixes[] = {
		"fd00::/64", "fd00::2/128", "::/0", "::/128", "::1/128",
		"fd00::/8", "::ffff:127.0.0.0/104", "::ffff:0:0/96",
	};
	char port[32] = "";
	const char *a = PICK(g, addrs);

	if (below(g, 2)) {
		snprintf(buf, len, "%s", PICK(g, prefixes));
		cover(strstr(buf, "ffff") ? "host:v4-mapped" : "host:v6-prefix");
		return;
	}
	if (below(g, 2)) {
		port_text(g, port, sizeof(port), true);
		cover("host:port");
	}
	cover(strstr(a, "ffff") ? "host:v4-mapped" : "host:v6");
	cover("host:v6-bracket");
	snprintf(buf, len, "[%s]%s", a, port);
}

/* A unix glob under the test's directory, or an abstract name. */
static void unix_glob(struct gen *g, char *buf, size_t len)
{
	static const char *const tails[] = {
		"/*", "/run/*", "/run/*.sock", "/RUN/A*", "/*.SOCK", "/x.sock",
		"/stream.sock", "/run/[ab]*", "/run/?.sock",
	};
	static const char *const names[] = { "@sockhist*", "@MIXED*", "*",
					     "@?????", "@sockhist-test-abstract",
					     "*sock*" };

	cover("unix:glob");
	if (below(g, 2))
		snprintf(buf, len, "%s%s", g->unixdir, PICK(g, tails));
	else
		snprintf(buf, len, "%s", PICK(g, names));
}

/* The operand of src/dst. */
static void host(struct gen *g)
{
	static const char *const foreign[] = {
		"link:ip", "link:*", "link:0x800:lo", "netlink:rtnl",
		"netlink:*:kernel", "vsock:*", "vsock:3:1024",
	};
	char buf[512], inner[400], port[32];
	unsigned r = below(g, 26);
	bool v4 = !pref_is(g, AF_INET6), v6 = !pref_is(g, AF_INET);

	if (r < 2 && !g->unix_cond) {
		host_v4(g, inner, sizeof(inner));
		snprintf(buf, sizeof(buf), "inet:%s", inner);
		word(g, buf);
		cover("inet:");
		prefer(g, AF_INET);
	} else if (r < 4 && !g->unix_cond) {
		host_v6(g, inner, sizeof(inner));
		snprintf(buf, sizeof(buf), "inet6:%s", inner);
		word(g, buf);
		cover("inet6:");
		prefer(g, AF_INET6);
	} else if (r < 7) {
		unix_glob(g, inner, sizeof(inner));
		snprintf(buf, sizeof(buf), "unix:%s", below(g, 8) ? inner : "");
		word(g, buf);
		cover("unix:");
		prefer(g, AF_UNIX);
	} else if (r < 9) {
		const char *f = PICK(g, foreign);
		word(g, f);
		cover(f[0] == 'l' ? "link:" : f[0] == 'n' ? "netlink:" : "vsock:");
		g->foreign = true;
	} else if (r < 11) {
		port_text(g, port, sizeof(port), true);
		snprintf(buf, sizeof(buf), below(g, 2) ? "*" : "*%s", port);
		cover(buf[1] ? "host:star-port" : "host:star");
		word(g, buf);
		plain_term(g);
	} else if (r == 11) {
		word(g, below(g, 2) ? "any" : "default");
		cover("host:any");
		plain_term(g);
	} else {
		if (pref_all(g, AF_UNIX) && below(g, 3) == 0)
			unix_glob(g, buf, sizeof(buf));
		else if (v4 && (!v6 || below(g, 2)))
			host_v4(g, buf, sizeof(buf));
		else
			host_v6(g, buf, sizeof(buf));
		word(g, buf);
		plain_term(g);
	}
}

/* One term: a keyword, its operator and its operand. */
static void term(struct gen *g)
{
	static const char *const eqs[] = { "", "=", "==", "eq" };
	static const char *const ports_ops[] = {
		"", "=", "==", "eq", "!=", "ne", "neq", "<", "lt", ">", "gt",
		"<=", "le", "leq", ">=", "ge", "geq",
	};
	static const char *const value_ops[] = { "", "=", "==", "eq", "!=",
						 "ne", "neq" };
	static const char *const devs[] = { "lo", "veth0", "veth1", "1", "2",
					    "3", "0", "if1", "if3", "0x3" };
	static const char *const marks[] = {
		"0x10", "0x21", "0x1f0", "16", "0", "0x10/0xf0", "0x1/0x1",
		"0/0", "0x20/0x20", "0x100/0x100", "0x1f0/0xffff",
	};
	static const char *const ranges[] = { ":70000", ":-1", "65536", ":-5" };
	unsigned r = below(g, g->foreign ? 4 : 14);
	char buf[512];
	const char *op, *v;

	if (r < 4) {
		switch (r) {
		case 0:
			word(g, "dev");
			word(g, PICK(g, value_ops));
			v = PICK(g, devs);
			cover(v[0] >= 'a' ? (v[0] == 'i' ? "dev:ifN" : "dev:name") :
					    "dev:index");
			word(g, v);
			return;
		case 1:
			word(g, "fwmark");
			word(g, PICK(g, value_ops));
			v = PICK(g, marks);
			if (strchr(v, '/'))
				cover("fwmark:mask");
			word(g, v);
			return;
		case 2:
			if (g->cg_rel) {
				word(g, "cgroup");
				word(g, PICK(g, value_ops));
				v = below(g, 3) == 0 ? g->cg_root :
				    below(g, 2) ? g->cg_rel : g->cg_abs;
				cover(v == g->cg_rel ? "cgroup:relative" :
						       "cgroup:absolute");
				word(g, v);
				return;
			}
			/* fall through */
		default:
			word(g, "autobound");
			return;
		}
	}
	if (r < 9) {
		word(g, below(g, 2) ? "src" : "dst");
		op = PICK(g, eqs);
		if (*op)
			word(g, op);
		host(g);
		return;
	}
	word(g, below(g, 2) ? "sport" : "dport");
	op = PICK(g, ports_ops);
	if (*op)
		word(g, op);
	if (below(g, 8) == 0 && op[0] != '!' && op[0] != 'n' && op[0] &&
	    op[0] != '=' && op[0] != 'e') {
		word(g, PICK(g, ranges));
		cover("port:range");
	} else {
		port_text(g, buf, sizeof(buf), below(g, 2));
		word(g, buf);
	}
	plain_term(g);
}

static void exprlist(struct gen *g, int depth);

/* expr := ( exprlist ) | NOT expr | term */
static void expr(struct gen *g, int depth)
{
	unsigned r = below(g, 100);

	if (r < 15 && depth < 3) {
		word(g, "(");
		exprlist(g, depth + 1);
		word(g, ")");
	} else if (r < 30) {
		word(g, below(g, 2) ? "not" : "!");
		expr(g, depth + 1);
	} else {
		term(g);
	}
}

/* exprlist := expr { [AND|OR] expr } */
static void exprlist(struct gen *g, int depth)
{
	static const char *const ops[] = { "and", "&", "&&", "or", "|", "||",
					   "" };
	unsigned n = 1 + below(g, depth ? 2 : 3);

	expr(g, depth);
	for (unsigned i = 1; i < n; i++) {
		const char *op = PICK(g, ops);

		if (*op)
			word(g, op);
		else
			cover("adjacency");
		expr(g, depth);
	}
}

/* Leading state words, sometimes. */
static void states(struct gen *g)
{
	static const char *const names[] = {
		"unknown", "established", "syn-sent", "syn-recv", "syn-rcv",
		"fin-wait-1", "fin-wait-2", "time-wait", "unconnected", "close",
		"closed", "close-wait", "last-ack", "listening", "closing", "all",
		"connected", "synchronized", "bucket", "big",
	};
	static const char *const words[] = { "state", "exclude", "excl" };
	unsigned n = below(g, 4) == 0 ? 1 + below(g, 2) : 0;

	for (unsigned i = 0; i < n; i++) {
		char name[32], item[40];

		snprintf(name, sizeof(name), "%s", PICK(g, names));
		snprintf(item, sizeof(item), "st:%s", name);
		cover(item);
		if (below(g, 5) == 0)
			name[0] = (char)(name[0] - 32);
		word(g, PICK(g, words));
		word(g, name);
	}
}

int main(int argc, char **argv)
{
	struct gen g = { 0 };
	unsigned long count;

	if (argc != 4 && argc != 7) {
		fprintf(stderr, "usage: filtergen SEED COUNT UNIXDIR "
			"[CGROUP-REL CGROUP-ABS CGROUP-ROOT]\n");
		return 2;
	}
	g.rng = strtoull(argv[1], NULL, 0) | 1;
	count = strtoul(argv[2], NULL, 0);
	g.unixdir = argv[3];
	if (argc == 7) {
		g.cg_rel = argv[4];
		g.cg_abs = argv[5];
		g.cg_root = argv[6];
	}
	for (unsigned long i = 0; i < count; i++) {
		g.fs[0] = &flagsets[0];
		g.fs[1] = &flagsets[1 + below(&g, sizeof(flagsets) /
					      sizeof(flagsets[0]) - 1)];
		for (int k = 0; k < NFLAGS; k++)
			g.pref[k] = g.fs[k]->preferred;
		g.unix_cond = g.foreign = false;
		g.len = 0;
		g.out[0] = '\0';
		states(&g);
		if (g.len == 0 || below(&g, 8))
			exprlist(&g, 0);
		printf("%s\t%s\t%s\n", g.fs[0]->flags, g.fs[1]->flags, g.out);
	}
	fprintf(stderr, "filtergen: covered:");
	for (size_t i = 0; i < NITEMS; i++)
		if (covered[i])
			fprintf(stderr, " %s", items[i]);
	if (!g.cg_rel)
		fprintf(stderr, "\nfiltergen: no cgroups given: cgroup terms "
			"skipped");
	fprintf(stderr, "\nfiltergen: uncovered:");
	for (size_t i = 0; i < NITEMS; i++)
		if (!covered[i] && (g.cg_rel || strncmp(items[i], "cgroup", 6)))
			fprintf(stderr, " %s", items[i]);
	fprintf(stderr, "\n");
	return 0;
}
