/*
 * ss_family.c — ss 6.1's columns and details for netlink, packet, vsock,
 * XDP and TIPC sockets (netlink_show_one, packet_stats_print,
 * vsock_stats_print, xdp_stats_print, tipc_show_sock); the protocol
 * names are sockenum's.  Interface names are looked up when printing, as
 * the inet columns do.
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sockenum.h"
#include "ss_family.h"

/* Column indexes of the address part handed in (Local Address, Port,
 * Peer Address, Port). */
enum { A_ADDR, A_SERV, A_RADDR, A_RSERV };

/* ss's SCTP association states (sctp_sstate_name). */
static const char *const sctp_states[] = {
	"CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTAB", "SHUTDOWN_PENDING",
	"SHUTDOWN_SENT", "SHUTDOWN_RECEIVED", "ACK_SENT",
};

/* Packet fanout types ss names. */
static const char *const fanout_types[] = {
	"hash", "lb", "cpu", "roll", "random", "qm",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

bool ss_family_other(const struct sock_record *r)
{
	return r->family == AF_NETLINK || r->family == AF_PACKET ||
	       r->family == AF_VSOCK || r->family == AF_XDP ||
	       r->family == AF_TIPC;
}

const char *ss_state_name(const struct sock_record *r)
{
	if ((r->has & SR_HAS_ASSOC) && r->state < COUNT(sctp_states))
		return sctp_states[r->state];
	return state_name(r->state);
}

/* An interface name, "if%u" when it is gone (ll_index_to_name). */
static void ifname(char *buf, unsigned ifindex)
{
	char name[IF_NAMESIZE];

	if (if_indextoname(ifindex, name))
		snprintf(buf, 128, "%s", name);
	else
		snprintf(buf, 128, "if%u", ifindex);
}

/* netlink: "PROTO:" and the port's process ("comm/pid", "kernel", or
 * the number); the peer "GROUP:PORTID" when connected, else "*". */
static void netlink_columns(char (*v)[128], const struct snapshot *s,
			    const struct sock_record *r, bool numeric)
{
	const char *proto = numeric ? NULL : netlink_proto_name(r->protocol);
	int32_t pid = (int32_t)r->lport32;

	if (proto)
		snprintf(v[A_ADDR], 128, "%s:", proto);
	else
		snprintf(v[A_ADDR], 128, "%u:", r->protocol);
	if (pid == -1)
		snprintf(v[A_SERV], 128, "*");
	else if (!numeric && pid == 0)
		snprintf(v[A_SERV], 128, "kernel");
	else if (!numeric && (r->has & SR_HAS_NAME))
		snprintf(v[A_SERV], 128, "%s/%d", snapshot_str(s, r->name),
			 pid);
	else
		snprintf(v[A_SERV], 128, "%d", pid);
	if (r->has & SR_HAS_CONNECTED) {
		snprintf(v[A_RADDR], 128, "%d:", (int)r->raddr32);
		snprintf(v[A_RSERV], 128, "%d", (int)r->rport32);
	} else {
		snprintf(v[A_RADDR], 128, "*");
		v[A_RSERV][0] = '\0';
	}
}

/* packet: "PROTO:" ("*" for all, a name, or "[N]") and the interface. */
static void packet_columns(char (*v)[128], const struct sock_record *r,
			   bool numeric)
{
	const char *name = numeric ? NULL : ethertype_name(r->ethertype);

	if (r->ethertype == 3)
		snprintf(v[A_ADDR], 128, "*:");
	else if (name)
		snprintf(v[A_ADDR], 128, "%s:", name);
	else
		snprintf(v[A_ADDR], 128, "[%u]:", r->ethertype);
	if (r->ifindex)
		ifname(v[A_SERV], r->ifindex);
	else
		snprintf(v[A_SERV], 128, "*");
	snprintf(v[A_RADDR], 128, "*");
	v[A_RSERV][0] = '\0';
}

/* A vsock CID or port: "*" for the any value (~0). */
static void vsock_part(char *buf, uint32_t v, const char *suffix)
{
	if (v == UINT32_MAX)
		snprintf(buf, 128, "*%s", suffix);
	else
		snprintf(buf, 128, "%u%s", v, suffix);
}

/* The address columns of netlink, packet, vsock, XDP, TIPC. */
void ss_family_columns(char (*v)[128], const struct snapshot *s,
		       const struct sock_record *r, const struct ss_flags *fl)
{
	switch (r->family) {
	case AF_NETLINK:
		netlink_columns(v, s, r, fl->numeric);
		return;
	case AF_PACKET:
		packet_columns(v, r, fl->numeric);
		return;
	case AF_VSOCK:
		vsock_part(v[A_ADDR], r->laddr32, ":");
		vsock_part(v[A_SERV], r->lport32, "");
		vsock_part(v[A_RADDR], r->raddr32, ":");
		vsock_part(v[A_RSERV], r->rport32, "");
		return;
	case AF_XDP:
		if (r->ifindex) {
			ifname(v[A_ADDR], r->ifindex);
			strncat(v[A_ADDR], ":", 127 - strlen(v[A_ADDR]));
			snprintf(v[A_SERV], 128, "q%d", (int)r->lport32);
		} else {
			snprintf(v[A_ADDR], 128, "*");
			v[A_SERV][0] = '\0';
		}
		snprintf(v[A_RADDR], 128, "*");
		v[A_RSERV][0] = '\0';
		return;
	default: /* AF_TIPC */
		snprintf(v[A_ADDR], 128, "%u:", r->laddr32);
		snprintf(v[A_SERV], 128, "%u", r->lport32);
		if (r->has & SR_HAS_CONNECTED) {
			snprintf(v[A_RADDR], 128, "%u:", r->raddr32);
			snprintf(v[A_RSERV], 128, "%u", r->rport32);
		} else {
			snprintf(v[A_RADDR], 128, "-");
			v[A_RSERV][0] = '\0';
		}
	}
}

/* packet -e: version, copy threshold, flags, fanout (packet_show_sock). */
static void packet_extended(struct ss_text *t, const struct sock_record *r)
{
	static const char *const flag_names[] = {
		"running", " auxdata", " origdev", " vnethdr", " loss",
	};

	if (r->has & SR_HAS_PKTINFO) {
		ss_text_printf(t, "\n\tver:%d cpy_thresh:%d flags( ",
			       (int)r->pkt_version, (int)r->pkt_copy_thresh);
		for (unsigned i = 0; i < COUNT(flag_names); i++)
			if (r->pkt_flags & (1u << i))
				ss_text_printf(t, "%s", flag_names[i]);
		ss_text_printf(t, "%s )", r->pkt_flags ? "" : "0");
	}
	if (r->has & SR_HAS_FANOUT) {
		unsigned type = r->fanout >> 16;

		ss_text_printf(t, "\n\tfanout(id:%d,type:", (int)(r->fanout &
							       0xffff));
		if (type < COUNT(fanout_types))
			ss_text_printf(t, "%s)", fanout_types[type]);
		else
			ss_text_printf(t, "0x%x)", type);
	}
}

/* The detail text of netlink, packet, vsock, XDP and TIPC records. */
void ss_family_detail(struct ss_text *t, const struct snapshot *s,
		      const struct sock_record *r, const struct ss_flags *fl)
{
	switch (r->family) {
	case AF_NETLINK:
		if (fl->extended)
			ss_text_printf(t, " sk=0 cb=0 groups=0x%08x",
				       (unsigned)r->groups);
		if (fl->memory) {
			ss_text_printf(t, "\t");
			ss_detail_skmem(t, r);
		}
		return;
	case AF_TIPC:
		if (fl->extended)
			ss_detail_sock(t, r);
		if (fl->processes)
			ss_detail_users(t, s, r);
		return;
	}
	if (fl->processes)
		ss_detail_users(t, s, r);
	if (r->family == AF_VSOCK)
		return;
	if (fl->extended) {
		ss_detail_sock(t, r);
		if (r->family == AF_PACKET)
			packet_extended(t, r);
	}
	if (fl->memory)
		ss_detail_skmem(t, r);
}
