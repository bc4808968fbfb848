/*
 * dump_netlink.c — AF_NETLINK sockets from netlink_diag, as ss -A netlink
 * lists them: protocol, port id, groups, the peer of a connected socket,
 * queues from the memory info.  ss shows every netlink socket as UNCONN;
 * the record does too, and keeps "connected" in its has bits.  The
 * recorder's own sock_diag socket is left out: it is an artefact of
 * looking (ss lists its own), and with `--once` it would be a new socket
 * in every snapshot.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink_diag.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dump_family.h"
#include "dump_inet.h"
#include "sockenum.h"

/* Longest process name in /proc/PID/stat (TASK_COMM_LEN - 1). */
#define COMM_MAX 16

int family_add_record(struct snapshot *s, const struct sock_record *r)
{
	struct sock_record *out = snapshot_add_record(s);

	if (!out)
		return -ENOMEM;
	*out = *r;
	return 0;
}

/* The name of process pid as ss reads it ("%*d (%[^)])" of its stat file)
 * into comm; false when there is no such process. */
static bool process_name(uint32_t pid, char comm[COMM_MAX + 1])
{
	char path[40], buf[128], *open_paren, *close;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	if (!open_paren)
		return false;
	close = strchr(open_paren + 1, ')');
	if (!close || close == open_paren + 1)
		return false;
	n = (size_t)(close - open_paren - 1);
	if (n > COMM_MAX)
		n = COMM_MAX;
	memcpy(comm, open_paren + 1, n);
	comm[n] = '\0';
	return true;
}

/* The port id's process name into the record's name (positive port ids
 * only: 0 is the kernel, negative ones are not pids). */
static int take_process(struct sock_record *r, struct snapshot *s)
{
	char comm[COMM_MAX + 1];
	int64_t off;

	if ((int32_t)r->lport32 <= 0 || !process_name(r->lport32, comm))
		return 0;
	off = snapshot_intern(s, comm, strlen(comm));
	if (off < 0)
		return (int)off;
	r->name = (uint32_t)off;
	r->has |= SR_HAS_NAME;
	return 0;
}

int netlink_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s)
{
	const struct nlattr *tb[NETLINK_DIAG_MAX + 1];
	const struct netlink_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *g;
	struct sock_record r;
	int err;

	if (nl_attrs(nlh, sizeof(*m), tb, NETLINK_DIAG_MAX) < 0 ||
	    m->ndiag_family != AF_NETLINK)
		return -EBADMSG;
	memset(&r, 0, sizeof(r));
	r.cookie = (uint64_t)m->ndiag_cookie[0] |
		   (uint64_t)m->ndiag_cookie[1] << 32;
	r.inode = m->ndiag_ino;
	r.netid = NETID_NETLINK;
	r.family = AF_NETLINK;
	r.state = SS_CLOSE;
	r.protocol = m->ndiag_protocol;
	r.lport32 = m->ndiag_portid;
	r.rport32 = m->ndiag_dst_portid;
	r.raddr32 = m->ndiag_dst_group;
	if (m->ndiag_state == NETLINK_CONNECTED)
		r.has |= SR_HAS_CONNECTED;
	g = tb[NETLINK_DIAG_GROUPS];
	if (g) {
		size_t n = mnl_attr_get_payload_len(g);

		memcpy(&r.groups, mnl_attr_get_payload(g),
		       n < sizeof(r.groups) ? n : sizeof(r.groups));
		r.has |= SR_HAS_GROUPS;
	}
	if (tb[NETLINK_DIAG_MEMINFO]) {
		diag_take_skmem(&r, tb[NETLINK_DIAG_MEMINFO]);
		r.rqueue = r.skmem[SK_MEMINFO_RMEM_ALLOC];
		r.wqueue = r.skmem[SK_MEMINFO_WMEM_ALLOC];
	}
	err = take_process(&r, s);
	return err < 0 ? err : family_add_record(s, &r);
}

struct netlink_dump {
	uint32_t own_inode;     /* the dumping socket's inode */
	struct snapshot *s;
};

/* nl_dump callback: one answer message (not the dumping socket's). */
static int netlink_msg(const struct nlmsghdr *nlh, void *arg)
{
	const struct netlink_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct netlink_dump *d = arg;

	if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*m)) &&
	    m->ndiag_ino == d->own_inode)
		return 0;
	return netlink_parse_msg(nlh, d->s);
}

int dump_netlink(struct nl_conn *c, struct snapshot *s)
{
	struct netlink_diag_req req;
	struct netlink_dump d = { .s = s };
	struct stat st;

	if (fstat(mnl_socket_get_fd(c->nl), &st) == 0)
		d.own_inode = (uint32_t)st.st_ino;
	memset(&req, 0, sizeof(req));
	req.sdiag_family = AF_NETLINK;
	req.sdiag_protocol = NDIAG_PROTO_ALL;
	req.ndiag_show = NDIAG_SHOW_GROUPS | NDIAG_SHOW_MEMINFO;
	return nl_dump(c, &req, sizeof(req), netlink_msg, &d);
}
