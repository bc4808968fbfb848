/*
 * filter_term.c — the operands of the filter's terms, read the way iproute2
 * 6.1's ss reads them (its parse_hostcond, parse_devcond, parse_markmask,
 * parse_cgroupcond and scan_state), so that the same words select the
 * same sockets:
 *
 *   HOST   [FAMILY:]ADDR[/LEN][:PORT], [IPV6[/LEN]][:PORT], *[:PORT]; the
 *          port splits off at the last ':' after any '/'; ADDR is dotted
 *          IPv4 of 1 to 4 parts in C notation ("10" = 10.0.0.0, "012" =
 *          10), IPv6, any/all/default, or a host name (every address it
 *          resolves to); LEN is a number or a dotted netmask.  FAMILY is
 *          inet, inet6, unix (the rest is a case-insensitive glob on the
 *          socket's name), link, netlink or vsock.  Without a FAMILY the
 *          preferred family applies (-4, -6, -x, or the last FAMILY given):
 *          under -x every host is a unix glob.
 *   PORT   a C integer (any int: ports outside 0-65535 are kept, as ss
 *          keeps them), a service name (tcp when the tcp table is
 *          selected, else udp), or '*' / nothing for any port.
 *   DEV    an interface name (if_nametoindex), "ifN", or an index.
 *   MARK   C integers as scanf's %i reads them, MARK or MARK/MASK.
 *   PATH   a cgroup2 directory: a path to it, or a path under the cgroup2
 *          mount ("/" is its root).  ss tries the path as a file first even
 *          outside cgroup2 (then matching nothing) and rejects "/"; here
 *          only cgroup2 directories count and "/" is the root cgroup.  The
 *          path relative to the cgroup2 root is kept as well, for callers
 *          that match recorded paths (filter_ctx.cgroup_is): they accept a
 *          path the live mount does not have.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "filter_int.h"
#include "sockenum.h"

#define CGROUP2_MAGIC 0x63677270
#define BIT(s) (1u << (s))
#define ALL_STATES FILTER_ALL_STATES

/* Fail a term with a reason. */
static int fail(struct term_ctx *t, const char *why)
{
	t->why = why;
	return -1;
}

/* ---- numbers ---- */

/* A C integer (base 0) filling the whole string, within int: ss's
 * get_integer.  Returns 0 or -1. */
static int get_int(const char *s, int *out)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 0);
	if (end == s || *end || errno == ERANGE || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* An unsigned C integer filling the whole string, at most max: ss's
 * get_unsigned / get_u32 / get_u16.  Returns 0 or -1. */
static int get_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (end == s || *end || errno == ERANGE || v > max)
		return -1;
	*out = v;
	return 0;
}

/* ---- ports ---- */

/* A port: a C integer or a service name.  With both tables selected ss
 * looks the name up as udp and then as tcp into the same static buffer,
 * so the tcp answer wins and the two never conflict. */
static int parse_port(struct term_ctx *t, const char *s, int *port)
{
	struct servent *se;
	int found = -1;

	if (get_int(s, port) == 0)
		return 0;
	if (t->ctx->udp && (se = getservbyname(s, "udp")))
		found = ntohs((uint16_t)se->s_port);
	if (t->ctx->tcp && (se = getservbyname(s, "tcp")))
		found = ntohs((uint16_t)se->s_port);
	if (found < 0)
		return fail(t, t->ctx->tcp || t->ctx->udp ?
			    "not a port number or a service name" :
			    "not a port number (service names need -t or -u)");
	*port = found;
	return 0;
}

/* ---- inet addresses ---- */

/* Dotted IPv4 of 1 to 4 C-integer parts: ss's get_addr_ipv4. */
static int parse_ipv4(const char *s, uint8_t out[4])
{
	for (int i = 0; i < 4; i++) {
		char *end;
		unsigned long v = strtoul(s, &end, 0);

		if (v > 255 || end == s)
			return -1;
		out[i] = (uint8_t)v;
		if (*end == '\0')
			return 0;
		if (i == 3 || *end != '.')
			return -1;
		s = end + 1;
	}
	return -1;
}

/* One address without a prefix length (ss's get_addr_1).  *any is set for
 * any/all/default.  fam restricts the family unless AF_UNSPEC. */
static int parse_addr(const char *s, int fam, struct host_addr *a, bool *any)
{
	memset(a, 0, sizeof(*a));
	*any = false;
	if (strcmp(s, "default") == 0 || strcmp(s, "any") == 0 ||
	    strcmp(s, "all") == 0) {
		a->family = fam;
		*any = true;
		return 0;
	}
	if (strchr(s, ':')) {
		a->family = AF_INET6;
		if (fam != AF_UNSPEC && fam != AF_INET6)
			return -1;
		return inet_pton(AF_INET6, s, a->addr) == 1 ? 0 : -1;
	}
	a->family = AF_INET;
	if (fam != AF_UNSPEC && fam != AF_INET)
		return -1;
	return parse_ipv4(s, a->addr);
}

/* A prefix length: a number or a contiguous dotted netmask. */
static int parse_netmask(const char *s, unsigned long *bits)
{
	struct host_addr m;
	bool any;
	uint32_t host;

	if (get_uint(s, UINT_MAX, bits) == 0)
		return 0;
	if (parse_addr(s, AF_INET, &m, &any) < 0 || m.family != AF_INET)
		return -1;
	host = ~(((uint32_t)m.addr[0] << 24) | ((uint32_t)m.addr[1] << 16) |
		 ((uint32_t)m.addr[2] << 8) | m.addr[3]);
	if (host & (host + 1))
		return -1;
	*bits = 32 - (unsigned long)__builtin_popcount(host);
	return 0;
}

/* ADDR[/LEN] (ss's get_prefix_1). */
static int parse_prefix(char *s, int fam, struct host_addr *a)
{
	char *slash = strchr(s, '/');
	unsigned long bits;
	bool any;
	int r;

	if (slash)
		*slash = '\0';
	r = parse_addr(s, fam, a, &any);
	if (slash)
		*slash = '/';
	if (r < 0)
		return -1;
	a->bits = a->family == AF_INET ? 32 : a->family == AF_INET6 ? 128 : 0;
	if (slash) {
		if (any || parse_netmask(slash + 1, &bits) < 0 ||
		    bits > (unsigned long)a->bits)
			return -1;
		a->bits = (int)bits;
	} else if (any) {
		a->bits = 0;
	}
	return 0;
}

/* Every address a host name resolves to, IPv4 first when fam allows both
 * (ss's get_dns_host; the kernel is given only the first). */
static int lookup_host(struct hostcond *hc, const char *name, int fam)
{
	int fams[2] = { fam == AF_UNSPEC ? AF_INET : fam, AF_INET6 };

	for (int i = 0; i < (fam == AF_UNSPEC ? 2 : 1); i++) {
		struct hostent *he = gethostbyname2(name, fams[i]);
		int len;

		if (!he || (he->h_addrtype != AF_INET &&
			    he->h_addrtype != AF_INET6))
			continue;
		len = he->h_addrtype == AF_INET ? 4 : 16;
		for (char **p = he->h_addr_list;
		     *p && hc->naddrs < HOST_ADDRS_MAX; p++) {
			struct host_addr *a = &hc->addrs[hc->naddrs++];

			memset(a, 0, sizeof(*a));
			a->family = he->h_addrtype;
			a->bits = len * 8;
			memcpy(a->addr, *p, (size_t)len);
		}
	}
	return hc->naddrs ? 0 : -1;
}

/* An inet host or port with ss's splitting rules (see the top). */
static int parse_inet(struct term_ctx *t, struct hostcond *hc, char *addr,
		      int fam, bool is_port)
{
	char *port;

	if (addr[0] == '[') {
		addr++;
		if (!(port = strchr(addr, ']')))
			return fail(t, "a '[' without its ']'");
		*port++ = '\0';
	} else if (addr[0] == '*') {
		port = addr + 1;
	} else {
		char *slash = strchr(addr, '/');

		port = strrchr(slash ? slash : addr, ':');
	}
	if (is_port)
		port = addr;
	if (port && *port) {
		if (*port == ':')
			*port++ = '\0';
		if (*port && *port != '*' && parse_port(t, port, &hc->port) < 0)
			return -1;
	}
	if (is_port || !*addr || *addr == '*')
		return 0;
	if (parse_prefix(addr, fam, &hc->addrs[0]) == 0)
		hc->naddrs = 1;
	else if (t->ctx->no_lookup || lookup_host(hc, addr, fam) < 0)
		return fail(t, fam == AF_INET ? "not an IPv4 address or prefix" :
			    fam == AF_INET6 ? "not an IPv6 address or prefix" :
			    "not an address, a prefix or a known host name");
	hc->family = hc->addrs[0].family;
	return 0;
}

/* ---- the families sockhist does not record ---- */

/* ss's find_port: the port is the whole operand (sport/dport) or what
 * follows the first ':'. */
static char *find_port(char *addr, bool is_port)
{
	char *port = is_port ? addr : strchr(addr, ':');

	if (port && *port == ':')
		*port++ = '\0';
	return port;
}

/* The value of a link: or netlink: protocol: a name ss knows (its
 * llproto_names, nl_proto_tab) or a number; -1 if neither. */
static long foreign_proto(const char *s, int fam)
{
	unsigned long v;
	int n = fam == AF_PACKET ? ethertype_from_name(s) :
		netlink_proto_from_name(s);

	if (n >= 0)
		return n;
	return get_uint(s, fam == AF_PACKET ? 0xffff : 255, &v) == 0 ?
	       (long)v : -1;
}

/* link:PROTO[:DEV], netlink:PROTO[:PORT], vsock:CID[:PORT] as ss reads
 * them (parse_hostcond): the port (a device's index for link:, "kernel"
 * is 0 for netlink:) and the protocol or CID as a 32-bit word in host
 * order, the first word of the socket's address ss compares it with. */
static int parse_foreign(struct term_ctx *t, struct hostcond *hc, char *addr,
			 int fam, bool is_port)
{
	char *port = find_port(addr, is_port);
	bool has_addr = !is_port && addr[0] && strcmp(addr, "*") != 0;
	unsigned long v;
	uint32_t idx, word;
	long proto;

	if (port && *port && strcmp(port, "*") != 0) {
		if (fam == AF_VSOCK) {
			if (get_uint(port, UINT32_MAX, &v) < 0)
				return fail(t, "not a vsock CID[:PORT]");
			hc->port = (int)(uint32_t)v;
		} else if (get_int(port, &hc->port) == 0) {
			;
		} else if (fam == AF_PACKET && term_dev(t, port, &idx) == 0 &&
			   idx > 0) {
			hc->port = (int)idx;
		} else if (fam == AF_NETLINK && strcmp(port, "kernel") == 0) {
			hc->port = 0;
		} else {
			return fail(t, fam == AF_PACKET ? "no such device" :
				    "not a netlink port");
		}
	}
	if (!has_addr)
		return 0;
	if (fam == AF_VSOCK) {
		if (get_uint(addr, UINT32_MAX, &v) < 0)
			return fail(t, "not a vsock CID[:PORT]");
		proto = (long)v;
	} else if ((proto = foreign_proto(addr, fam)) < 0) {
		return fail(t, "not a protocol name or number");
	}
	word = (uint32_t)proto;
	hc->naddrs = 1;
	hc->addrs[0].family = fam;
	hc->addrs[0].bits = 32;
	memcpy(hc->addrs[0].addr, &word, 4);
	return 0;
}

/* ---- terms ---- */

/* src/dst/sport/dport operands; see filter_int.h. */
struct hostcond *term_host(struct term_ctx *t, const char *tok, bool is_port)
{
	static const struct {
		const char *prefix;
		int family;
	} prefixes[] = {
		{ "unix:", AF_UNIX }, { "link:", AF_PACKET },
		{ "netlink:", AF_NETLINK }, { "vsock:", AF_VSOCK },
		{ "inet:", AF_INET }, { "inet6:", AF_INET6 },
	};
	struct hostcond *hc = calloc(1, sizeof(*hc));
	char *copy = strdup(tok), *addr = copy;
	int fam = t->ctx->preferred, r = 0;

	if (!hc || !copy) {
		free(hc);
		free(copy);
		fail(t, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i].prefix);

		if (strncmp(addr, prefixes[i].prefix, n) == 0) {
			fam = prefixes[i].family;
			addr += n;
			break;
		}
	}
	hc->port = -1;
	hc->family = fam;
	if (fam == AF_UNIX)
		r = (hc->pattern = strdup(addr)) ? 0 : fail(t, "out of memory");
	else if (fam == AF_PACKET || fam == AF_NETLINK || fam == AF_VSOCK)
		r = parse_foreign(t, hc, addr, fam, is_port);
	else
		r = parse_inet(t, hc, addr, fam, is_port);
	free(copy);
	if (r < 0) {
		hostcond_free(hc);
		return NULL;
	}
	hc->inet = hc->family == AF_UNSPEC || hc->family == AF_INET ||
		   hc->family == AF_INET6;
	if (fam != AF_UNSPEC) {
		t->ctx->family = fam;
		t->ctx->preferred = fam;
	}
	return hc;
}

/* Free a host condition. */
void hostcond_free(struct hostcond *hc)
{
	if (hc)
		free(hc->pattern);
	free(hc);
}

/* dev operands: a name here, "ifN", or a C integer (ss's parse_devcond). */
int term_dev(struct term_ctx *t, const char *tok, uint32_t *ifindex)
{
	unsigned long v;
	unsigned idx = if_nametoindex(tok);

	if (!idx && sscanf(tok, "if%u", &idx) != 1)
		idx = 0;
	if (!idx) {
		if (get_uint(tok, UINT_MAX, &v) < 0)
			return fail(t, "no such device here, and not an index");
		idx = (unsigned)v;
	}
	*ifindex = idx;
	return 0;
}

/* fwmark operands, read with %i as ss reads them. */
int term_mark(struct term_ctx *t, const char *tok, uint32_t *mark,
	      uint32_t *mask)
{
	int m, k = -1;

	if (strchr(tok, '/') ? sscanf(tok, "%i/%i", &m, &k) != 2 :
			       sscanf(tok, "%i", &m) != 1)
		return fail(t, "not a MARK or MARK/MASK");
	*mark = (uint32_t)m;
	*mask = (uint32_t)k;
	return 0;
}

/* The first cgroup2 mount point in /proc/mounts (malloc'd), or NULL. */
static char *cgroup2_mount(void)
{
	char path[4096], type[128];
	char *mnt = NULL;
	FILE *f = fopen("/proc/mounts", "re");

	if (!f)
		return NULL;
	while (!mnt && fscanf(f, "%*s %4095s %127s %*s %*d %*d\n", path,
			      type) == 2)
		if (strcmp(type, "cgroup2") == 0)
			mnt = strdup(path);
	fclose(f);
	return mnt;
}

/* The cgroup2 id of a directory on a cgroup2 file system (its file
 * handle, as ss reads it), or 0. */
static uint64_t cgroup2_id(const char *path)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	struct statfs sf;
	uint64_t id;
	int mnt_id;

	if (statfs(path, &sf) < 0 || sf.f_type != CGROUP2_MAGIC)
		return 0;
	h.fh.handle_bytes = sizeof(uint64_t);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt_id, 0) < 0 ||
	    h.fh.handle_bytes != sizeof(uint64_t))
		return 0;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	return id;
}

/* tok as a cgroup path relative to the cgroup2 root (malloc'd): the mount
 * point mnt (if set) dropped from its front, slashes collapsed, a leading
 * "/" and no trailing one ("/" for the root). */
static char *cgroup_rel(const char *tok, const char *mnt)
{
	size_t n = mnt ? strlen(mnt) : 0;
	char *out, *o;

	if (n && strncmp(tok, mnt, n) == 0 && (tok[n] == '/' || !tok[n]))
		tok += n;
	if (!(out = malloc(strlen(tok) + 2)))
		return NULL;
	o = out;
	for (; *tok; tok++)
		if (*tok != '/' || (o > out && o[-1] != '/'))
			*o++ = *tok;
		else if (o == out)
			*o++ = '/';
	if (o == out || out[0] != '/') {
		memmove(out + 1, out, (size_t)(o - out));
		out[0] = '/';
		o++;
	}
	if (o > out + 1 && o[-1] == '/')
		o--;
	*o = '\0';
	return out;
}

/* cgroup operands: see the top. */
int term_cgroup(struct term_ctx *t, const char *tok, uint64_t *id,
		char **path)
{
	char *mnt = cgroup2_mount(), *full = NULL;
	const char *rel = tok;
	bool mounted = mnt != NULL;

	*id = cgroup2_id(tok);
	if (!*id && mnt) {
		while (*rel == '/')
			rel++;
		if (asprintf(&full, "%s/%s", mnt, rel) < 0)
			full = NULL;
		*id = full ? cgroup2_id(full) : 0;
		free(full);
	}
	*path = cgroup_rel(tok, mnt);
	free(mnt);
	if (!*path)
		return fail(t, "out of memory");
	if (*id || t->ctx->cgroup_is)
		return 0;
	free(*path);
	*path = NULL;
	return fail(t, mounted ? "no such cgroup under the cgroup2 mount" :
		    "no cgroup2 file system is mounted here");
}

/* ss's state words (scan_state): its groups, then single states. */
uint32_t term_state(const char *name)
{
	static const struct {
		const char *name;
		uint32_t mask;
	} groups[] = {
		{ "all", ALL_STATES },
		{ "connected", ALL_STATES & ~(BIT(SS_CLOSE) | BIT(SS_LISTEN)) },
		{ "synchronized", ALL_STATES & ~(BIT(SS_CLOSE) | BIT(SS_LISTEN) |
						 BIT(SS_SYN_SENT)) },
		{ "bucket", BIT(SS_SYN_RECV) | BIT(SS_TIME_WAIT) },
		{ "big", ALL_STATES & ~(BIT(SS_SYN_RECV) | BIT(SS_TIME_WAIT)) },
	};
	int st;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcasecmp(name, groups[i].name) == 0)
			return groups[i].mask;
	st = state_from_name(name);
	return st < 0 ? 0 : BIT(st);
}

/* The ephemeral port range of the network namespace sockhist runs in. */
void term_port_range(int *lo, int *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (!f || fscanf(f, "%d %d", lo, hi) != 2) {
		*lo = 1024;
		*hi = 4999;
	}
	if (f)
		fclose(f);
}
