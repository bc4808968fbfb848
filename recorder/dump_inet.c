/*
 * dump_inet.c — TCP, UDP, RAW, SCTP and MPTCP sockets of one address family
 * from inet_diag, decoded into socket records.
 *
 * The request asks for every TCP state ss knows (bits 0..TCP_NEW_SYN_RECV,
 * like `ss -a`) and for all eight extensions that fit the request's 8-bit
 * mask; the kernel adds CLASS_ID (with TCLASS), CGROUP_ID, SKV6ONLY and MARK
 * by itself.  Raw sockets are dumped with sdiag_protocol = IPPROTO_RAW, as ss
 * does; their idiag_sport holds the socket's IP protocol number.  MPTCP's
 * protocol number (262) does not fit the request's 8-bit field: as ss does,
 * the request names TCP and adds INET_DIAG_REQ_PROTOCOL.  SCTP sends an
 * endpoint and then its associations under the same inode (ss tells them
 * apart that way); an association's state is SCTP_STATE_* numbering.
 * INET_DIAG_INFO is kept for TCP only (MPTCP and SCTP send their own
 * structs there, which nothing prints yet).
 */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "dump_inet.h"
#include "sockenum.h"

/* The extensions of `ss -tuwaeimo --tos`, as request bits. */
#define EXT_BIT(x) (1u << ((x) - 1))
#define INET_EXTS (EXT_BIT(INET_DIAG_MEMINFO) | EXT_BIT(INET_DIAG_INFO) | \
		   EXT_BIT(INET_DIAG_VEGASINFO) | EXT_BIT(INET_DIAG_CONG) | \
		   EXT_BIT(INET_DIAG_TOS) | EXT_BIT(INET_DIAG_TCLASS) | \
		   EXT_BIT(INET_DIAG_SKMEMINFO) | EXT_BIT(INET_DIAG_SHUTDOWN))
/* Every state ss -a asks for. */
#define ALL_STATES ((1u << SS_MAX_STATE) - 1)

struct inet_dump {
	int protocol;
	uint32_t last_inode;    /* SCTP: the previous message's inode */
	struct snapshot *s;
};

/* The netid of protocol, or -1. */
static int inet_netid(int protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return NETID_TCP;
	case IPPROTO_UDP:
		return NETID_UDP;
	case IPPROTO_RAW:
		return NETID_RAW;
	case IPPROTO_MPTCP:
		return NETID_MPTCP;
	case IPPROTO_SCTP:
		return NETID_SCTP;
	default:
		return -1;
	}
}

/* Fill the fixed part of r from the inet_diag_msg header. */
static void fill_header(struct sock_record *r, const struct inet_diag_msg *m,
			int protocol)
{
	size_t alen = m->idiag_family == AF_INET ? 4 : 16;

	r->cookie = (uint64_t)m->id.idiag_cookie[0] |
		    (uint64_t)m->id.idiag_cookie[1] << 32;
	r->inode = m->idiag_inode;
	r->netid = (uint8_t)inet_netid(protocol);
	r->family = m->idiag_family;
	r->state = m->idiag_state;
	r->timer = m->idiag_timer;
	r->retrans = m->idiag_retrans;
	r->sport = ntohs(m->id.idiag_sport);
	r->dport = ntohs(m->id.idiag_dport);
	if (protocol == IPPROTO_RAW)
		r->protocol = (uint8_t)r->sport;
	r->expires_ms = m->idiag_expires;
	r->rqueue = m->idiag_rqueue;
	r->wqueue = m->idiag_wqueue;
	r->ifindex = m->id.idiag_if;
	r->uid = m->idiag_uid;
	memcpy(r->src, m->id.idiag_src, alen);
	memcpy(r->dst, m->id.idiag_dst, alen);
}

/* Read an optional scalar attribute into dst and set flag in r->has. */
static int take_scalar(struct sock_record *r, const struct nlattr *a,
		       void *dst, size_t size, uint32_t flag)
{
	if (!a)
		return 0;
	if (nl_attr_scalar(a, dst, size) < 0)
		return -EBADMSG;
	r->has |= flag;
	return 0;
}

/* The scalar attributes: each present one sets its field and has bit. */
static int fill_scalars(struct sock_record *r, const struct nlattr **tb)
{
	int err = 0;

	err |= take_scalar(r, tb[INET_DIAG_TOS], &r->tos, 1, SR_HAS_TOS);
	err |= take_scalar(r, tb[INET_DIAG_TCLASS], &r->tclass, 1,
			   SR_HAS_TCLASS);
	err |= take_scalar(r, tb[INET_DIAG_CLASS_ID], &r->class_id, 4,
			   SR_HAS_CLASS_ID);
	err |= take_scalar(r, tb[INET_DIAG_SHUTDOWN], &r->shutdown, 1,
			   SR_HAS_SHUTDOWN);
	err |= take_scalar(r, tb[INET_DIAG_MARK], &r->mark, 4, SR_HAS_MARK);
	err |= take_scalar(r, tb[INET_DIAG_CGROUP_ID], &r->cgroup_id, 8,
			   SR_HAS_CGROUP);
	err |= take_scalar(r, tb[INET_DIAG_SKV6ONLY], &r->v6only, 1,
			   SR_HAS_V6ONLY);
	return err ? -EBADMSG : 0;
}

void diag_take_skmem(struct sock_record *r, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a) / sizeof(uint32_t);

	if (n > SR_SKMEM_MAX)
		n = SR_SKMEM_MAX;
	memcpy(r->skmem, mnl_attr_get_payload(a), n * sizeof(uint32_t));
	r->skmem_count = (uint8_t)n;
	r->has |= SR_HAS_SKMEM;
}

/* The memory attributes: tcp "mem:" and "skmem:". */
static void fill_memory(struct sock_record *r, const struct nlattr **tb)
{
	const struct nlattr *a = tb[INET_DIAG_MEMINFO];
	size_t n;

	if (a) {
		n = mnl_attr_get_payload_len(a);
		if (n > sizeof(r->meminfo))
			n = sizeof(r->meminfo);
		memcpy(r->meminfo, mnl_attr_get_payload(a), n);
		r->has |= SR_HAS_MEMINFO;
	}
	if (tb[INET_DIAG_SKMEMINFO])
		diag_take_skmem(r, tb[INET_DIAG_SKMEMINFO]);
}

/* Keep the congestion control's own info (vegas, dctcp or bbr: the kernel
 * sends at most one) verbatim in the byte pool.  Returns 0 or -ENOMEM. */
static int fill_ccinfo(struct sock_record *r, const struct nlattr **tb,
		       struct snapshot *s)
{
	static const uint8_t kinds[] = {
		INET_DIAG_VEGASINFO, INET_DIAG_DCTCPINFO, INET_DIAG_BBRINFO,
	};
	const struct nlattr *a;
	int64_t off;
	size_t i;

	for (i = 0; i < sizeof(kinds); i++) {
		a = tb[kinds[i]];
		if (!a || mnl_attr_get_payload_len(a) == 0)
			continue;
		off = snapshot_add_bytes(s, mnl_attr_get_payload(a),
					 mnl_attr_get_payload_len(a));
		if (off < 0)
			return (int)off;
		r->ccinfo_off = (uint32_t)off;
		r->ccinfo_len = mnl_attr_get_payload_len(a);
		r->ccinfo_kind = kinds[i];
		return 0;
	}
	return 0;
}

/* Put the pooled attributes (congestion name, raw tcp_info and congestion
 * info) into s and their offsets into r.  Returns 0 or -ENOMEM. */
static int fill_pooled(struct sock_record *r, const struct nlattr **tb,
		       struct snapshot *s)
{
	const struct nlattr *a;
	int64_t off;

	a = tb[INET_DIAG_CONG];
	if (a) {
		const char *name = mnl_attr_get_payload(a);

		off = snapshot_intern(s, name,
				      strnlen(name, mnl_attr_get_payload_len(a)));
		if (off < 0)
			return (int)off;
		r->cong = (uint32_t)off;
		r->has |= SR_HAS_CONG;
	}
	a = tb[INET_DIAG_INFO];
	if (a && mnl_attr_get_payload_len(a) > 0 && r->netid == NETID_TCP) {
		off = snapshot_add_bytes(s, mnl_attr_get_payload(a),
					 mnl_attr_get_payload_len(a));
		if (off < 0)
			return (int)off;
		r->tcpi_off = (uint32_t)off;
		r->tcpi_len = mnl_attr_get_payload_len(a);
	}
	return fill_ccinfo(r, tb, s);
}

int inet_parse_msg(const struct nlmsghdr *nlh, int protocol,
		   struct snapshot *s)
{
	return inet_parse_one(nlh, protocol, NULL, s);
}

int inet_parse_one(const struct nlmsghdr *nlh, int protocol,
		   uint32_t *last_inode, struct snapshot *s)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1];
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_record r, *out;
	int err;

	if (inet_netid(protocol) < 0)
		return -EINVAL;
	if (nl_attrs(nlh, sizeof(*m), tb, INET_DIAG_MAX) < 0)
		return -EBADMSG;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EBADMSG;
	memset(&r, 0, sizeof(r));
	fill_header(&r, m, protocol);
	if (protocol == IPPROTO_SCTP && last_inode) {
		if (*last_inode && *last_inode == m->idiag_inode)
			r.has |= SR_HAS_ASSOC;
		*last_inode = m->idiag_inode;
	}
	if (fill_scalars(&r, tb) < 0)
		return -EBADMSG;
	fill_memory(&r, tb);
	err = fill_pooled(&r, tb, s);
	if (err < 0)
		return err;
	out = snapshot_add_record(s);
	if (!out)
		return -ENOMEM;
	*out = r;
	return 0;
}

int inet_parse_event(const struct nlmsghdr *nlh, struct snapshot *s)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1];
	uint8_t protocol;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nl_attrs(nlh, sizeof(struct inet_diag_msg), tb, INET_DIAG_MAX) < 0 ||
	    !tb[INET_DIAG_PROTOCOL] ||
	    nl_attr_scalar(tb[INET_DIAG_PROTOCOL], &protocol, 1) < 0)
		return -EBADMSG;
	if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)
		return -EINVAL;
	return inet_parse_msg(nlh, protocol, s);
}

/* nl_dump callback: one answer message. */
static int inet_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct inet_dump *d = arg;

	return inet_parse_one(nlh, d->protocol, &d->last_inode, d->s);
}

int dump_inet(struct nl_conn *c, int family, int protocol, struct snapshot *s)
{
	struct {
		struct inet_diag_req_v2 req;
		struct nlattr proto_hdr;
		uint32_t proto;
	} q;
	struct inet_dump d = { .protocol = protocol, .s = s };
	size_t len = sizeof(q.req);

	if (inet_netid(protocol) < 0)
		return -EINVAL;
	memset(&q, 0, sizeof(q));
	q.req.sdiag_family = (uint8_t)family;
	q.req.sdiag_protocol = (uint8_t)protocol;
	q.req.idiag_ext = (uint8_t)INET_EXTS;
	q.req.idiag_states = ALL_STATES;
	if (protocol > 255) {
		q.req.sdiag_protocol = IPPROTO_TCP;
		q.proto_hdr.nla_len = NLA_HDRLEN + sizeof(q.proto);
		q.proto_hdr.nla_type = INET_DIAG_REQ_PROTOCOL;
		q.proto = (uint32_t)protocol;
		len = sizeof(q);
	}
	return nl_dump(c, &q, len, inet_msg, &d);
}
