/*
 * dump_family.h — the sock_diag families without IP addresses: netlink
 * (dump_netlink.c), packet (dump_packet.c), vsock (dump_vsock.c), XDP
 * (dump_xdp.c) and TIPC (dump_tipc.c), each a dump request with the
 * attributes `ss -e -m` asks for and a parser of one answer message into a
 * socket record.
 *
 * Every dump returns what nl_dump() returns: -ENOENT when the kernel has no
 * diag module for the family (capture.c reports that once).  The parsers
 * are exposed for the tests, which feed them hand-built messages; they
 * return 0, -EBADMSG for a malformed message, or -ENOMEM.
 */
#ifndef SOCKHIST_DUMP_FAMILY_H
#define SOCKHIST_DUMP_FAMILY_H

#include <linux/netlink.h>

#include "netlink.h"
#include "sockrec.h"

/* Netlink sockets of every protocol (NDIAG_PROTO_ALL) but the dumping one
 * (c's own socket).  The Local Address
 * ss prints names the process whose pid is the port id: its name is
 * read from /proc/PID/stat at capture time into the record's name. */
int dump_netlink(struct nl_conn *c, struct snapshot *s);
int netlink_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s);

/* Packet sockets (p_raw, p_dgr). */
int dump_packet(struct nl_conn *c, struct snapshot *s);
int packet_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s);

/* vsock sockets of every state (v_str, v_dgr, v_seq). */
int dump_vsock(struct nl_conn *c, struct snapshot *s);
int vsock_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s);

/* AF_XDP sockets. */
int dump_xdp(struct nl_conn *c, struct snapshot *s);
int xdp_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s);

/* TIPC sockets of every state (ti_st, ti_dg, ti_rd, ti_sq). */
int dump_tipc(struct nl_conn *c, struct snapshot *s);
int tipc_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s);

/* Append a copy of r to s: 0 or -ENOMEM. */
int family_add_record(struct snapshot *s, const struct sock_record *r);

#endif
