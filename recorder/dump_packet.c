/*
 * dump_packet.c — AF_PACKET sockets from packet_diag (ss -0): type, the
 * protocol (ethertype), the bound interface and the PACKET_DIAG_INFO
 * details ss -e prints (version, copy threshold, flags), the fanout, uid,
 * memory.  ss shows every packet socket as UNCONN with Recv-Q the receive
 * memory in use; the record does the same.  Ring configuration and the
 * BPF filter (ss -e, ss -b) are not recorded.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include "dump_family.h"
#include "dump_inet.h"
#include "sockenum.h"

/* PACKET_DIAG_INFO into the record; -EBADMSG when too short. */
static int take_info(struct sock_record *r, const struct nlattr *a)
{
	struct packet_diag_info pi;

	if (nl_attr_scalar(a, &pi, sizeof(pi)) < 0)
		return -EBADMSG;
	r->ifindex = pi.pdi_index;
	r->pkt_version = pi.pdi_version;
	r->pkt_copy_thresh = pi.pdi_copy_thresh;
	r->pkt_flags = pi.pdi_flags;
	r->has |= SR_HAS_PKTINFO;
	return 0;
}

int packet_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s)
{
	const struct nlattr *tb[PACKET_DIAG_MAX + 1];
	const struct packet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_record r;

	if (nl_attrs(nlh, sizeof(*m), tb, PACKET_DIAG_MAX) < 0 ||
	    m->pdiag_family != AF_PACKET)
		return -EBADMSG;
	if (m->pdiag_type != SOCK_RAW && m->pdiag_type != SOCK_DGRAM)
		return 0;
	memset(&r, 0, sizeof(r));
	r.cookie = (uint64_t)m->pdiag_cookie[0] |
		   (uint64_t)m->pdiag_cookie[1] << 32;
	r.inode = m->pdiag_ino;
	r.netid = m->pdiag_type == SOCK_RAW ? NETID_P_RAW : NETID_P_DGR;
	r.family = AF_PACKET;
	r.state = SS_CLOSE;
	r.ethertype = m->pdiag_num;
	if (tb[PACKET_DIAG_INFO] && take_info(&r, tb[PACKET_DIAG_INFO]) < 0)
		return -EBADMSG;
	if (tb[PACKET_DIAG_UID] &&
	    nl_attr_scalar(tb[PACKET_DIAG_UID], &r.uid, 4) < 0)
		return -EBADMSG;
	if (tb[PACKET_DIAG_FANOUT]) {
		if (nl_attr_scalar(tb[PACKET_DIAG_FANOUT], &r.fanout, 4) < 0)
			return -EBADMSG;
		r.has |= SR_HAS_FANOUT;
	}
	if (tb[PACKET_DIAG_MEMINFO]) {
		diag_take_skmem(&r, tb[PACKET_DIAG_MEMINFO]);
		r.rqueue = r.skmem[SK_MEMINFO_RMEM_ALLOC];
	}
	return family_add_record(s, &r);
}

/* nl_dump callback: one answer message. */
static int packet_msg(const struct nlmsghdr *nlh, void *arg)
{
	return packet_parse_msg(nlh, arg);
}

int dump_packet(struct nl_conn *c, struct snapshot *s)
{
	struct packet_diag_req req;

	memset(&req, 0, sizeof(req));
	req.sdiag_family = AF_PACKET;
	req.pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO |
			 PACKET_SHOW_FANOUT;
	return nl_dump(c, &req, sizeof(req), packet_msg, s);
}
