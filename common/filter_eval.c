/*
 * filter_eval.c — does a recorded socket match the filter, as iproute2 6.1's
 * ss would have decided at that moment?
 *
 * ss decides in up to two places, and a socket is listed only when both
 * agree:
 *   - the kernel, for TCP, UDP and RAW sockets dumped over netlink, runs
 *     the bytecode ss compiles from the filter (inet_diag_bc_run): a host
 *     condition of the other family fails (except an IPv4 condition on a
 *     v4-mapped IPv6 address), ports compare as 16-bit numbers in `<`,
 *     `>=` & co., a host name stands for its first address only;
 *   - ss itself then re-runs the filter on every socket it prints
 *     (run_ssfilter): it compares the address bytes whatever the family,
 *     ports as ints, a host name as any of its addresses.
 * ss sends no bytecode when the filter has a `dev` term (it cannot compile
 * it), and none reaches RAW sockets read from /proc/net/raw (kernels
 * without raw_diag) or unix sockets: those see ss's re-check alone, with
 * device, mark and cgroup 0, as ss sees them.  So the tree is evaluated
 * the kernel's way and ss's way, the second only when they can differ.
 *
 * What the record cannot tell: for the kernel `autobound` means "the local
 * port was not bound explicitly" (no SOCK_BINDPORT_LOCK in sk_userlocks; a
 * socket accept() returns has none either), for ss "the local port is in
 * the ephemeral range".  Userlocks are not recorded, so the kernel's part
 * is estimated: false for TCP listeners (servers bind their port), the
 * ephemeral-range test for UDP sockets, true for everything else (clients
 * autobind; accepted, TIME-WAIT and SYN-RECV sockets have no userlocks).
 * It errs for a TCP client that bound its port explicitly, a listener that
 * let the kernel pick its port, and a UDP socket bound explicitly to an
 * ephemeral port (or autobound outside the range).  The ephemeral range is
 * read where sockhist runs, as ss reads it where it runs.  The kernel also
 * compares `fwmark` with the mark of a TIME-WAIT or SYN-RECV socket, which
 * is not recorded (ss itself sees 0): such sockets compare with 0 here.
 *
 * ss's view of a unix socket, as ss holds it: its local address bytes are
 * a pointer to its name (all zero without a name), its peer's are zero, so
 * an inet condition on a unix socket compares zeros (dst, or src of an
 * unnamed socket) or never matches (src of a named one); a unix glob
 * matches the name, and for dst the empty string.  Unix globs never match
 * inet sockets (ss would read an address as a pointer there, or crash).
 */
#include <fnmatch.h>
#include <string.h>
#include <sys/socket.h>

#include "filter_int.h"
#include "sockenum.h"

/* One socket being evaluated, and how: the fields below read it as ss's
 * sockstat held it (unix sockets and RAW sockets read from /proc/net/raw
 * have no device, mark or cgroup for ss). */
struct eval {
	const struct filter *f;
	const struct snapshot *s;
	const struct sock_record *r;
	bool bare;              /* unix, or RAW from /proc */
	bool kernel;            /* the kernel's way (else ss's) */
	uint8_t ends[2][16];    /* packet, netlink, vsock: the local and peer
				 * address words ss compares (below) */
};

/* Is af one of the families ss filters in user space only, comparing a
 * host condition with one 32-bit word: packet (its ethertype), netlink
 * (its protocol), vsock (its CIDs)?  XDP has no address. */
static inline bool foreign_family(int af)
{
	return af == AF_PACKET || af == AF_NETLINK || af == AF_VSOCK ||
	       af == AF_XDP;
}

/* Address bytes of a socket without any (ss's zero bytes). */
static const uint8_t zeros[16];

/* The local or remote address bytes: 16, v4 in the first 4. */
static inline const uint8_t *addr_of(const struct sock_record *r,
				     bool local)
{
	if (r->family == AF_UNIX)
		return zeros;
	return local ? r->src : r->dst;
}

/* The local or remote "port": inet ports; unix inode and peer inode;
 * what ss puts there for the other families (packet: the interface,
 * netlink: the port id and -1, vsock: the ports, xdp: the queue). */
static inline int port_of(const struct sock_record *r, bool local)
{
	switch (r->family) {
	case AF_UNIX:
		return local ? (int)(uint32_t)r->inode : (int)r->peer_inode;
	case AF_PACKET:
		return local ? (int)r->ifindex : 0;
	case AF_NETLINK:
		return local ? (int)r->lport32 : -1;
	case AF_VSOCK:
		return (int)(local ? r->lport32 : r->rport32);
	case AF_XDP:
		return local ? (int)r->lport32 : 0;
	}
	return local ? r->sport : r->dport;
}

/* Fill ev->ends for a packet, netlink or vsock socket: the word ss puts
 * first in its local and remote address. */
static void foreign_ends(struct eval *ev)
{
	const struct sock_record *r = ev->r;
	uint32_t w[2] = { 0, 0 };

	if (r->family == AF_PACKET) {
		w[0] = r->ethertype;
	} else if (r->family == AF_NETLINK) {
		w[0] = r->protocol;
	} else if (r->family == AF_VSOCK) {
		w[0] = r->laddr32;
		w[1] = r->raddr32;
	}
	memset(ev->ends, 0, sizeof(ev->ends));
	memcpy(ev->ends[0], &w[0], 4);
	memcpy(ev->ends[1], &w[1], 4);
}

/* A unix socket's name for ss, NULL without one. */
static const char *name_of(const struct eval *e)
{
	if (!(e->r->has & SR_HAS_NAME))
		return NULL;
	return e->s ? snapshot_str(e->s, e->r->name) : "";
}

/* True if the first bits of a and b agree (a byte loop: prefixes are a
 * few bytes, and a call to memcmp costs more). */
static inline bool prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	for (int i = 0; i < bytes; i++)
		if (a[i] != b[i])
			return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

/* An IPv6 address of the ::ffff:a.b.c.d form. */
static bool v4mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* The kernel's host condition (inet sockets only). */
static bool kernel_host(const struct hostcond *hc,
			const struct sock_record *r, bool local)
{
	const struct host_addr *e = &hc->addrs[0];
	const uint8_t *a = addr_of(r, local);

	if (!hc->inet ||
	    (hc->port != -1 && hc->port != port_of(r, local)))
		return false;
	if (!hc->naddrs)
		return true;
	if (e->family != AF_UNSPEC && e->family != r->family)
		return e->family == AF_INET && r->family == AF_INET6 &&
		       v4mapped(a) && prefix_equal(a + 12, e->addr, e->bits);
	return !e->bits || prefix_equal(a, e->addr, e->bits);
}

/* ss's byte comparison of a socket address with a condition's: an IPv4
 * address is 4 bytes followed by zeros for ss. */
static bool user_bytes(const struct sock_record *r, const uint8_t *a,
		       const struct host_addr *e)
{
	if (r->family != AF_INET || e->bits <= 32)
		return prefix_equal(a, e->addr, e->bits);
	return prefix_equal(a, e->addr, 32) &&
	       prefix_equal(zeros, e->addr + 4, e->bits - 32);
}

/* ss's host condition: the bytes whatever the family; a unix glob. */
static bool user_host(const struct eval *ev, const struct hostcond *hc,
		      bool local)
{
	const struct sock_record *r = ev->r;
	const uint8_t *a = foreign_family(r->family) ? ev->ends[!local] :
			   addr_of(r, local);
	const char *name;

	if (hc->family == AF_UNIX) {
		if (r->family != AF_UNIX)
			return false;
		name = local ? name_of(ev) : NULL;
		return fnmatch(hc->pattern, name ? name : "", FNM_CASEFOLD) == 0;
	}
	if (!(hc->inet || foreign_family(hc->family)) ||
	    (hc->port != -1 && hc->port != port_of(r, local)))
		return false;
	if (!hc->naddrs || !hc->addrs[0].bits)
		return true;
	if (r->family == AF_UNIX && local && (r->has & SR_HAS_NAME))
		return false;
	for (int i = 0; i < hc->naddrs; i++) {
		const struct host_addr *e = &hc->addrs[i];

		if (user_bytes(r, a, e) ||
		    (e->family == AF_INET && r->family == AF_INET6 &&
		     v4mapped(a) && prefix_equal(a + 12, e->addr, e->bits)))
			return true;
	}
	return false;
}

/* sport/dport >= or <= port: 16 bits in the kernel, an int in ss. */
static bool port_cmp(const struct eval *ev, const struct node *n)
{
	int have = port_of(ev->r, n->local);
	int want = ev->kernel ? (uint16_t)n->hc->port : n->hc->port;

	return n->type == NODE_PORT_GE ? have >= want : have <= want;
}

/* autobound for ss: an autobind name (or none) for unix sockets, a local
 * port in the ephemeral range for inet ones. */
static bool user_autobound(const struct eval *ev)
{
	const struct sock_record *r = ev->r;
	const char *p;

	if (r->family != AF_UNIX)
		return r->sport >= ev->f->port_lo && r->sport <= ev->f->port_hi;
	p = name_of(ev);
	return !p || (p[0] == '@' && strlen(p) == 6 &&
		      strspn(p + 1, "0123456789abcdef") == 5);
}

/* autobound for the kernel, estimated (see the top). */
static bool kernel_autobound(const struct eval *ev)
{
	const struct sock_record *r = ev->r;

	if (r->netid == NETID_TCP)
		return r->state != SS_LISTEN;
	if (r->netid == NETID_UDP)
		return r->sport >= ev->f->port_lo && r->sport <= ev->f->port_hi;
	return true;
}

/* Evaluate node n on the socket, the kernel's way or ss's. */
static bool eval(const struct eval *ev, const struct node *n)
{
	const struct sock_record *r = ev->r;

	switch (n->type) {
	case NODE_AND:
		return eval(ev, n->left) && eval(ev, n->right);
	case NODE_OR:
		return eval(ev, n->left) || eval(ev, n->right);
	case NODE_NOT:
		return !eval(ev, n->left);
	case NODE_HOST:
		return ev->kernel ? kernel_host(n->hc, r, n->local) :
				    user_host(ev, n->hc, n->local);
	case NODE_PORT_GE:
	case NODE_PORT_LE:
		return port_cmp(ev, n);
	case NODE_DEV:
		return (ev->bare ? 0 : r->ifindex) == n->ifindex;
	case NODE_MARK:
		return ((ev->bare || !(r->has & SR_HAS_MARK) ? 0 : r->mark) &
			n->mask) == n->mark;
	case NODE_CGROUP: {
		uint64_t id = ev->bare || !(r->has & SR_HAS_CGROUP) ? 0 :
			      r->cgroup_id;

		return ev->f->cgroup_is ?
		       ev->f->cgroup_is(id, n->cgroup_path, n->cgroup) :
		       id == n->cgroup;
	}
	case NODE_AUTO:
		return ev->kernel ? kernel_autobound(ev) : user_autobound(ev);
	}
	return false;
}

/* Does the tree hold a node of this type? */
static bool has_type(const struct node *n, enum node_type type)
{
	return n && (n->type == type || has_type(n->left, type) ||
		     has_type(n->right, type));
}

/* Can the kernel's way and ss's way disagree on an inet socket?  Only on
 * an address of a family (the kernel checks it) or of a host name (the
 * kernel has its first), on a port outside 0-65535 in <, >= & co., or on
 * autobound. */
static bool twofold(const struct node *n)
{
	if (!n)
		return false;
	switch (n->type) {
	case NODE_HOST:
		return n->hc->naddrs > 1 ||
		       (n->hc->naddrs == 1 && n->hc->addrs[0].family != AF_UNSPEC);
	case NODE_PORT_GE:
	case NODE_PORT_LE:
		return n->hc->port < 0 || n->hc->port > 65535;
	case NODE_AUTO:
		return true;
	default:
		return twofold(n->left) || twofold(n->right);
	}
}

/* See filter_int.h. */
void eval_prepare(struct filter *f)
{
	f->bytecode = !has_type(f->root, NODE_DEV);
	f->twofold = twofold(f->root);
	if (has_type(f->root, NODE_AUTO))
		term_port_range(&f->port_lo, &f->port_hi);
}

/* 1 if r matches the expression part of f; see filter.h. */
int filter_match(const struct filter *f, const struct snapshot *s,
		 const struct sock_record *r)
{
	struct eval ev = { f, s, r, false, true, { { 0 } } };

	if (!f || !f->root || r->family == AF_TIPC)
		return 1;   /* ss runs no filter on TIPC sockets */
	if (foreign_family(r->family)) {
		ev.kernel = false;
		foreign_ends(&ev);
		return eval(&ev, f->root);
	}
	ev.bare = r->family == AF_UNIX ||
		  (r->netid == NETID_RAW && (r->cookie & SR_COOKIE_PROCNET));
	if (ev.bare || !f->bytecode) {
		ev.kernel = false;
		return eval(&ev, f->root);
	}
	if (!eval(&ev, f->root))
		return 0;
	ev.kernel = false;
	return !f->twofold || eval(&ev, f->root);
}
