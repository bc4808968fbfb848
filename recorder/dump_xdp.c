/*
 * dump_xdp.c — AF_XDP sockets from xdp_diag (ss --xdp): the interface and
 * queue the socket is bound to, uid, memory (Recv-Q is the receive memory
 * in use, as ss shows it; every XDP socket is UNCONN).  Rings, umem and
 * statistics (ss -e) are not recorded.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>
#include <linux/xdp_diag.h>
#include <sys/socket.h>

#include "dump_family.h"
#include "dump_inet.h"
#include "sockenum.h"

int xdp_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s)
{
	const struct nlattr *tb[XDP_DIAG_MAX + 1];
	const struct xdp_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct xdp_diag_info info;
	struct sock_record r;

	if (nl_attrs(nlh, sizeof(*m), tb, XDP_DIAG_MAX) < 0 ||
	    m->xdiag_family != AF_XDP)
		return -EBADMSG;
	memset(&r, 0, sizeof(r));
	r.cookie = (uint64_t)m->xdiag_cookie[0] |
		   (uint64_t)m->xdiag_cookie[1] << 32;
	r.inode = m->xdiag_ino;
	r.netid = NETID_XDP;
	r.family = AF_XDP;
	r.state = SS_CLOSE;
	if (tb[XDP_DIAG_INFO]) {
		if (nl_attr_scalar(tb[XDP_DIAG_INFO], &info, sizeof(info)) < 0)
			return -EBADMSG;
		r.ifindex = info.ifindex;
		r.lport32 = info.queue_id;
		r.has |= SR_HAS_XDPINFO;
	}
	if (tb[XDP_DIAG_UID] && nl_attr_scalar(tb[XDP_DIAG_UID], &r.uid, 4) < 0)
		return -EBADMSG;
	if (tb[XDP_DIAG_MEMINFO]) {
		diag_take_skmem(&r, tb[XDP_DIAG_MEMINFO]);
		r.rqueue = r.skmem[SK_MEMINFO_RMEM_ALLOC];
	}
	return family_add_record(s, &r);
}

/* nl_dump callback: one answer message. */
static int xdp_msg(const struct nlmsghdr *nlh, void *arg)
{
	return xdp_parse_msg(nlh, arg);
}

int dump_xdp(struct nl_conn *c, struct snapshot *s)
{
	struct xdp_diag_req req;

	memset(&req, 0, sizeof(req));
	req.sdiag_family = AF_XDP;
	req.xdiag_show = XDP_SHOW_INFO | XDP_SHOW_MEMINFO;
	return nl_dump(c, &req, sizeof(req), xdp_msg, s);
}
