/*
 * dump_unix.h — AF_UNIX stream, datagram and seqpacket sockets from
 * unix_diag, with everything `ss -xaemp` prints.
 */
#ifndef SOCKHIST_DUMP_UNIX_H
#define SOCKHIST_DUMP_UNIX_H

#include <linux/netlink.h>

#include "netlink.h"
#include "sockrec.h"

/* Dump all unix sockets into s.  Returns 0 or a negative errno. */
int dump_unix(struct nl_conn *c, struct snapshot *s);

/* Decode one unix_diag answer message and append it to s.  A malformed
 * message is rejected whole with -EBADMSG; -ENOMEM when a pool cannot grow.
 * Socket types ss does not list are skipped (returns 0). */
int unix_parse_msg(const struct nlmsghdr *nlh, struct snapshot *s);

#endif
