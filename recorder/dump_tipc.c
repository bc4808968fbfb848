/*
 * dump_tipc.c — AF_TIPC sockets from the TIPC sock_diag dump (ss --tipc).
 * An answer has no fixed header: its payload is a TIPC_NLA_SOCK nest
 * holding the socket's node address and reference, type, state (TIPC's
 * states are TCP numbers: TIPC_LISTEN is TCP_LISTEN...), uid, inode,
 * cookie, the queues (in the TIPC_NLA_SOCK_STAT nest) and, when connected,
 * the peer's node and reference (TIPC_NLA_SOCK_CON).
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/tipc_netlink.h>
#include <linux/tipc_sockets_diag.h>
#include <sys/socket.h>

#include "dump_family.h"

/* The largest attribute type any of the nests below is indexed by. */
#define NEST_MAX 16

_Static_assert(TIPC_NLA_SOCK_MAX < NEST_MAX && TIPC_NLA_CON_MAX < NEST_MAX &&
	       TIPC_NLA_SOCK_STAT_MAX < NEST_MAX, "NEST_MAX too small");

/* The netid of a TIPC socket type, or -1. */
static int tipc_netid(unsigned type)
{
	switch (type) {
	case SOCK_STREAM:
		return NETID_TI_ST;
	case SOCK_DGRAM:
		return NETID_TI_DG;
	case SOCK_RDM:
		return NETID_TI_RD;
	case SOCK_SEQPACKET:
		return NETID_TI_SQ;
	default:
		return -1;
	}
}

/* Index the attributes nested in a (each length checked); tb has
 * NEST_MAX + 1 slots.  Returns 0 or -EBADMSG. */
static int nest_attrs(const struct nlattr *a, const struct nlattr **tb)
{
	const uint8_t *p = mnl_attr_get_payload(a);
	size_t rem = mnl_attr_get_payload_len(a);

	memset(tb, 0, (NEST_MAX + 1) * sizeof(*tb));
	while (rem >= NLA_HDRLEN) {
		const struct nlattr *n = (const struct nlattr *)p;
		unsigned type = n->nla_type & NLA_TYPE_MASK;
		size_t step = NLA_ALIGN(n->nla_len);

		if (n->nla_len < NLA_HDRLEN || n->nla_len > rem)
			return -EBADMSG;
		if (type <= NEST_MAX)
			tb[type] = n;
		if (step >= rem)
			break;
		p += step;
		rem -= step;
	}
	return 0;
}

/* The u32 attribute a into *v when present; -EBADMSG when too short. */
static int get_u32(const struct nlattr *a, uint32_t *v)
{
	return a ? nl_attr_scalar(a, v, 4) : 0;
}

/* The queues and the peer of a socket. */
static int take_nests(struct sock_record *r, const struct nlattr **sk)
{
	const struct nlattr *tb[NEST_MAX + 1];
	int err = 0;

	if (sk[TIPC_NLA_SOCK_STAT]) {
		if (nest_attrs(sk[TIPC_NLA_SOCK_STAT], tb) < 0)
			return -EBADMSG;
		err |= get_u32(tb[TIPC_NLA_SOCK_STAT_RCVQ], &r->rqueue);
		err |= get_u32(tb[TIPC_NLA_SOCK_STAT_SENDQ], &r->wqueue);
	}
	if (sk[TIPC_NLA_SOCK_CON]) {
		if (nest_attrs(sk[TIPC_NLA_SOCK_CON], tb) < 0)
			return -EBADMSG;
		err |= get_u32(tb[TIPC_NLA_CON_NODE], &r->raddr32);
		err |= get_u32(tb[TIPC_NLA_CON_SOCK], &r->rport32);
		r->has |= SR_HAS_CONNECTED;
	}
	return err ? -EBADMSG : 0;
}

int tipc_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s)
{
	const struct nlattr *top[TIPC_NLA_MAX + 1], *sk[NEST_MAX + 1];
	struct sock_record r;
	uint32_t type = 0, state = 0, ino = 0;
	int netid, err = 0;

	if (nl_attrs(nlh, 0, top, TIPC_NLA_MAX) < 0)
		return -EBADMSG;
	if (!top[TIPC_NLA_SOCK])
		return 0;
	if (nest_attrs(top[TIPC_NLA_SOCK], sk) < 0 || !sk[TIPC_NLA_SOCK_TYPE])
		return -EBADMSG;
	memset(&r, 0, sizeof(r));
	err |= get_u32(sk[TIPC_NLA_SOCK_TYPE], &type);
	err |= get_u32(sk[TIPC_NLA_SOCK_TIPC_STATE], &state);
	err |= get_u32(sk[TIPC_NLA_SOCK_INO], &ino);
	err |= get_u32(sk[TIPC_NLA_SOCK_UID], &r.uid);
	err |= get_u32(sk[TIPC_NLA_SOCK_ADDR], &r.laddr32);
	err |= get_u32(sk[TIPC_NLA_SOCK_REF], &r.lport32);
	if (sk[TIPC_NLA_SOCK_COOKIE])
		err |= nl_attr_scalar(sk[TIPC_NLA_SOCK_COOKIE], &r.cookie, 8);
	if (err || take_nests(&r, sk) < 0)
		return -EBADMSG;
	netid = tipc_netid(type);
	if (netid < 0)
		return 0;
	r.inode = ino;
	r.netid = (uint8_t)netid;
	r.family = AF_TIPC;
	r.state = (uint8_t)state;
	return family_add_record(s, &r);
}

/* nl_dump callback: one answer message. */
static int tipc_msg(const struct nlmsghdr *nlh, void *arg)
{
	return tipc_parse_msg(nlh, arg);
}

int dump_tipc(struct nl_conn *c, struct snapshot *s)
{
	struct tipc_sock_diag_req req;

	memset(&req, 0, sizeof(req));
	req.sdiag_family = AF_TIPC;
	req.tidiag_states = ~0u;
	return nl_dump(c, &req, sizeof(req), tipc_msg, s);
}
