/*
 * dump_unix.c — AF_UNIX sockets from unix_diag, decoded into socket records.
 *
 * One dump returns stream, datagram and seqpacket sockets alike; udiag_type
 * says which.  Abstract names (first byte NUL) are stored the way ss prints
 * them: every NUL byte of the name becomes '@'.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "dump_inet.h"
#include "dump_unix.h"
#include "sockenum.h"

#define UNIX_SHOW (UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | \
		   UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN | UDIAG_SHOW_MEMINFO | \
		   UDIAG_SHOW_UID)
#define ALL_STATES ((1u << SS_MAX_STATE) - 1)
#define UNIX_NAME_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* The netid of a unix socket type, or -1 for types ss does not list. */
static int unix_netid(unsigned type)
{
	switch (type) {
	case SOCK_STREAM:
		return NETID_U_STR;
	case SOCK_DGRAM:
		return NETID_U_DGR;
	case SOCK_SEQPACKET:
		return NETID_U_SEQ;
	default:
		return -1;
	}
}

/* Intern the socket's name as ss prints it.  Returns 0 or -ENOMEM. */
static int take_name(struct sock_record *r, const struct nlattr *a,
		     struct snapshot *s)
{
	char name[UNIX_NAME_MAX];
	size_t len = mnl_attr_get_payload_len(a), i;
	int64_t off;

	if (len > sizeof(name))
		len = sizeof(name);
	memcpy(name, mnl_attr_get_payload(a), len);
	if (len > 0 && name[0] == '\0') {
		for (i = 0; i < len; i++)
			if (name[i] == '\0')
				name[i] = '@';
	} else {
		len = strnlen(name, len);
	}
	off = snapshot_intern(s, name, len);
	if (off < 0)
		return (int)off;
	r->name = (uint32_t)off;
	r->has |= SR_HAS_NAME;
	return 0;
}

/* The fixed-size attributes: vfs, peer, queues, uid, shutdown, skmem. */
static int fill_attrs(struct sock_record *r, const struct nlattr **tb)
{
	struct unix_diag_vfs vfs;
	struct unix_diag_rqlen rq;

	if (tb[UNIX_DIAG_VFS]) {
		if (nl_attr_scalar(tb[UNIX_DIAG_VFS], &vfs, sizeof(vfs)) < 0)
			return -EBADMSG;
		r->vfs_ino = vfs.udiag_vfs_ino;
		r->vfs_dev = vfs.udiag_vfs_dev;
		r->has |= SR_HAS_VFS;
	}
	if (tb[UNIX_DIAG_PEER]) {
		if (nl_attr_scalar(tb[UNIX_DIAG_PEER], &r->peer_inode, 4) < 0)
			return -EBADMSG;
		r->has |= SR_HAS_PEER;
	}
	if (tb[UNIX_DIAG_RQLEN]) {
		if (nl_attr_scalar(tb[UNIX_DIAG_RQLEN], &rq, sizeof(rq)) < 0)
			return -EBADMSG;
		r->rqueue = rq.udiag_rqueue;
		r->wqueue = rq.udiag_wqueue;
		r->has |= SR_HAS_RQLEN;
	}
	if (tb[UNIX_DIAG_UID] &&
	    nl_attr_scalar(tb[UNIX_DIAG_UID], &r->uid, 4) < 0)
		return -EBADMSG;
	if (tb[UNIX_DIAG_SHUTDOWN]) {
		if (nl_attr_scalar(tb[UNIX_DIAG_SHUTDOWN], &r->shutdown, 1) < 0)
			return -EBADMSG;
		r->has |= SR_HAS_SHUTDOWN;
	}
	if (tb[UNIX_DIAG_MEMINFO])
		diag_take_skmem(r, tb[UNIX_DIAG_MEMINFO]);
	return 0;
}

/* Keep a listener's pending connections (u32 inodes) verbatim; the
 * attribute is present, maybe empty, on every listener.  0 or -ENOMEM. */
static int take_icons(struct sock_record *r, const struct nlattr *a,
		      struct snapshot *s)
{
	size_t len = mnl_attr_get_payload_len(a);
	int64_t off;

	r->has |= SR_HAS_ICONS;
	if (len == 0)
		return 0;
	off = snapshot_add_bytes(s, mnl_attr_get_payload(a), len);
	if (off < 0)
		return (int)off;
	r->icons_off = (uint32_t)off;
	r->icons_len = (uint32_t)len;
	return 0;
}

int unix_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s)
{
	const struct nlattr *tb[UNIX_DIAG_MAX + 1];
	const struct unix_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_record r, *out;
	int netid, err;

	if (nl_attrs(nlh, sizeof(*m), tb, UNIX_DIAG_MAX) < 0)
		return -EBADMSG;
	if (m->udiag_family != AF_UNIX)
		return -EBADMSG;
	netid = unix_netid(m->udiag_type);
	if (netid < 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.cookie = (uint64_t)m->udiag_cookie[0] |
		   (uint64_t)m->udiag_cookie[1] << 32;
	r.inode = m->udiag_ino;
	r.netid = (uint8_t)netid;
	r.family = AF_UNIX;
	r.state = m->udiag_state;
	if (fill_attrs(&r, tb) < 0)
		return -EBADMSG;
	if (tb[UNIX_DIAG_NAME]) {
		err = take_name(&r, tb[UNIX_DIAG_NAME], s);
		if (err < 0)
			return err;
	}
	if (tb[UNIX_DIAG_ICONS]) {
		err = take_icons(&r, tb[UNIX_DIAG_ICONS], s);
		if (err < 0)
			return err;
	}
	out = snapshot_add_record(s);
	if (!out)
		return -ENOMEM;
	*out = r;
	return 0;
}

/* nl_dump callback: one answer message. */
static int unix_msg(const struct nlmsghdr *nlh, void *arg)
{
	return unix_parse_msg(nlh, arg);
}

int dump_unix(struct nl_conn *c, struct snapshot *s)
{
	struct unix_diag_req req;

	memset(&req, 0, sizeof(req));
	req.sdiag_family = AF_UNIX;
	req.udiag_states = ALL_STATES;
	req.udiag_show = UNIX_SHOW;
	return nl_dump(c, &req, sizeof(req), unix_msg, s);
}
