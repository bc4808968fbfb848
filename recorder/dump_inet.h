/*
 * dump_inet.h — TCP, UDP and RAW sockets over IPv4/IPv6 from inet_diag.
 *
 * Requests every state and every extension `ss -tuwaeimo --tos` prints and
 * turns each answer into one struct sock_record.  Attributes are read by
 * their length; tcp_info is kept verbatim in the snapshot's byte pool.
 */
#ifndef SOCKHIST_DUMP_INET_H
#define SOCKHIST_DUMP_INET_H

#include <linux/netlink.h>

#include "netlink.h"
#include "sockrec.h"

/* Dump all sockets of family (AF_INET, AF_INET6) and protocol (IPPROTO_TCP,
 * IPPROTO_UDP, IPPROTO_RAW) into s.  Returns 0 or a negative errno (-ENOENT
 * when the kernel has no diag module for it). */
int dump_inet(struct nl_conn *c, int family, int protocol, struct snapshot *s);

/* Decode one inet_diag answer message of a dump for protocol and append it
 * to s.  A malformed message is rejected whole with -EBADMSG and leaves s
 * without a new record; -ENOMEM when a pool cannot grow. */
int inet_parse_msg(const struct nlmsghdr *nlh, int protocol,
		   struct snapshot *s);

/* Decode one destroy broadcast (sock_diag's SKNLGRP_INET*_DESTROY groups:
 * the same header and attributes as a dump answer, the protocol in
 * INET_DIAG_PROTOCOL) and append it to s.  -EBADMSG for a malformed
 * message or one without a protocol, -EINVAL for a protocol other than TCP
 * or UDP, -ENOMEM when a pool cannot grow. */
int inet_parse_event(const struct nlmsghdr *nlh, struct snapshot *s);

/* Copy a SK_MEMINFO array attribute (u32 words, as many as the kernel sent,
 * at most SR_SKMEM_MAX) into r and set SR_HAS_SKMEM.  Shared with unix. */
/* inet_parse_msg within a dump: *last_inode carries the previous
 * message's inode, which tells SCTP associations from endpoints. */
int inet_parse_one(const struct nlmsghdr *nlh, int protocol,
		   uint32_t *last_inode, struct snapshot *s);

void diag_take_skmem(struct sock_record *r, const struct nlattr *a);

#endif
