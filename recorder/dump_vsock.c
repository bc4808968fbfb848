/*
 * dump_vsock.c — AF_VSOCK sockets from vsock_diag (ss --vsock): type,
 * state, shutdown, local and peer CID and port.  The kernel sends no
 * attributes (no queues, uid or memory).
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/vm_sockets_diag.h>
#include <sys/socket.h>

#include "dump_family.h"
#include "sockenum.h"

/* The netid of a vsock socket type, or -1. */
static int vsock_netid(unsigned type)
{
	switch (type) {
	case SOCK_STREAM:
		return NETID_V_STR;
	case SOCK_DGRAM:
		return NETID_V_DGR;
	case SOCK_SEQPACKET:
		return NETID_V_SEQ;
	default:
		return -1;
	}
}

int vsock_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s)
{
	const struct vsock_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_record r;
	int netid;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
	    m->vdiag_family != AF_VSOCK)
		return -EBADMSG;
	netid = vsock_netid(m->vdiag_type);
	if (netid < 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.cookie = (uint64_t)m->vdiag_cookie[0] |
		   (uint64_t)m->vdiag_cookie[1] << 32;
	r.inode = m->vdiag_ino;
	r.netid = (uint8_t)netid;
	r.family = AF_VSOCK;
	r.state = m->vdiag_state;
	r.shutdown = m->vdiag_shutdown;
	r.has |= SR_HAS_SHUTDOWN;
	r.laddr32 = m->vdiag_src_cid;
	r.lport32 = m->vdiag_src_port;
	r.raddr32 = m->vdiag_dst_cid;
	r.rport32 = m->vdiag_dst_port;
	return family_add_record(s, &r);
}

/* nl_dump callback: one answer message. */
static int vsock_msg(const struct nlmsghdr *nlh, void *arg)
{
	return vsock_parse_msg(nlh, arg);
}

int dump_vsock(struct nl_conn *c, struct snapshot *s)
{
	struct vsock_diag_req req;

	memset(&req, 0, sizeof(req));
	req.sdiag_family = AF_VSOCK;
	req.vdiag_states = ~0u;
	return nl_dump(c, &req, sizeof(req), vsock_msg, s);
}
