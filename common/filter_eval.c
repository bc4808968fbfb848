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

/* A socket as ss's sockstat holds it. */
struct view {
	int family;             /* AF_INET, AF_INET6 or AF_UNIX */
	uint8_t src[16], dst[16]; /* v4 in the first 4 bytes, the rest zero */
	int lport, rport;       /* inet ports; unix inode and peer inode */
	uint32_t iface, mark;
	uint64_t cgroup;
	const char *name;       /* unix: the socket's name, NULL without */
	bool kernel_auto;       /* the kernel's autobound, estimated */
};

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

/* An IPv6 address of the ::ffff:a.b.c.d form. */
static bool v4mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* The kernel's host condition (inet sockets only). */
static bool kernel_host(const struct hostcond *hc, const struct view *v,
			bool local)
{
	const struct host_addr *e = &hc->addrs[0];
	const uint8_t *a = local ? v->src : v->dst;

	if (hc->family == AF_UNIX || hc->family == AF_PACKET ||
	    hc->family == AF_NETLINK || hc->family == AF_VSOCK)
		return false;
	if (hc->port != -1 && hc->port != (local ? v->lport : v->rport))
		return false;
	if (!hc->naddrs)
		return true;
	if (e->family != AF_UNSPEC && e->family != v->family)
		return e->family == AF_INET && v->family == AF_INET6 &&
		       v4mapped(a) && prefix_equal(a + 12, e->addr, e->bits);
	return !e->bits || prefix_equal(a, e->addr, e->bits);
}

/* ss's host condition: the bytes whatever the family; a unix glob. */
static bool user_host(const struct hostcond *hc, const struct view *v,
		      bool local)
{
	const uint8_t *a = local ? v->src : v->dst;

	if (hc->family == AF_UNIX)
		return v->family == AF_UNIX &&
		       fnmatch(hc->pattern, local && v->name ? v->name : "",
			       FNM_CASEFOLD) == 0;
	if (hc->family == AF_PACKET || hc->family == AF_NETLINK ||
	    hc->family == AF_VSOCK)
		return false;
	if (hc->port != -1 && hc->port != (local ? v->lport : v->rport))
		return false;
	if (!hc->naddrs || !hc->addrs[0].bits)
		return true;
	if (v->family == AF_UNIX && local && v->name)
		return false;
	for (int i = 0; i < hc->naddrs; i++) {
		const struct host_addr *e = &hc->addrs[i];

		if (prefix_equal(a, e->addr, e->bits) ||
		    (e->family == AF_INET && v->family == AF_INET6 &&
		     v4mapped(a) && prefix_equal(a + 12, e->addr, e->bits)))
			return true;
	}
	return false;
}

/* sport/dport >= or <= port: 16 bits in the kernel, an int in ss. */
static bool port_cmp(const struct node *n, const struct view *v, bool kernel)
{
	int have = n->local ? v->lport : v->rport;
	int want = kernel ? (uint16_t)n->hc->port : n->hc->port;

	return n->type == NODE_PORT_GE ? have >= want : have <= want;
}

/* autobound for ss: an autobind name (or none) for unix sockets, a local
 * port in the ephemeral range for inet ones. */
static bool autobound(const struct filter *f, const struct view *v)
{
	const char *p = v->name;

	if (v->family == AF_UNIX)
		return !p || (p[0] == '@' && strlen(p) == 6 &&
			      strspn(p + 1, "0123456789abcdef") == 5);
	return v->lport >= f->port_lo && v->lport <= f->port_hi;
}

/* autobound for the kernel, estimated (see the top). */
static bool kernel_autobound(const struct filter *f,
			     const struct sock_record *r)
{
	if (r->netid == NETID_TCP)
		return r->state != SS_LISTEN;
	if (r->netid == NETID_UDP)
		return r->sport >= f->port_lo && r->sport <= f->port_hi;
	return true;
}

/* Evaluate node n the kernel's way or ss's way. */
static bool eval(const struct filter *f, const struct node *n,
		 const struct view *v, bool kernel)
{
	switch (n->type) {
	case NODE_AND:
		return eval(f, n->left, v, kernel) && eval(f, n->right, v, kernel);
	case NODE_OR:
		return eval(f, n->left, v, kernel) || eval(f, n->right, v, kernel);
	case NODE_NOT:
		return !eval(f, n->left, v, kernel);
	case NODE_HOST:
		return kernel ? kernel_host(n->hc, v, n->local) :
				user_host(n->hc, v, n->local);
	case NODE_PORT_GE:
	case NODE_PORT_LE:
		return port_cmp(n, v, kernel);
	case NODE_DEV:
		return v->iface == n->ifindex;
	case NODE_MARK:
		return (v->mark & n->mask) == n->mark;
	case NODE_CGROUP:
		return v->cgroup == n->cgroup;
	case NODE_AUTO:
		return kernel ? v->kernel_auto : autobound(f, v);
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

/* The socket as ss saw it: unix sockets and RAW sockets read from
 * /proc/net/raw carry no device, mark or cgroup for ss. */
static void fill_view(const struct filter *f, struct view *v,
		      const struct snapshot *s, const struct sock_record *r,
		      bool procfs)
{
	size_t len = r->family == AF_INET6 ? 16 : 4;

	memset(v, 0, sizeof(*v));
	v->family = r->family;
	if (r->family == AF_UNIX) {
		v->lport = (int)(uint32_t)r->inode;
		v->rport = (int)r->peer_inode;
		if (r->has & SR_HAS_NAME)
			v->name = s ? snapshot_str(s, r->name) : "";
		return;
	}
	memcpy(v->src, r->src, len);
	memcpy(v->dst, r->dst, len);
	v->lport = r->sport;
	v->rport = r->dport;
	v->kernel_auto = kernel_autobound(f, r);
	if (procfs)
		return;
	v->iface = r->ifindex;
	v->mark = r->has & SR_HAS_MARK ? r->mark : 0;
	v->cgroup = r->has & SR_HAS_CGROUP ? r->cgroup_id : 0;
}

/* 1 if r matches the expression part of f; see filter.h. */
int filter_match(const struct filter *f, const struct snapshot *s,
		 const struct sock_record *r)
{
	bool procfs = r->netid == NETID_RAW && (r->cookie & SR_COOKIE_PROCNET);
	struct view v;

	if (!f || !f->root)
		return 1;
	fill_view(f, &v, s, r, procfs);
	if (r->family == AF_UNIX || procfs || !f->bytecode)
		return eval(f, f->root, &v, false);
	if (!eval(f, f->root, &v, true))
		return 0;
	return !f->twofold || eval(f, f->root, &v, false);
}
