/*
 * ss_family.h — how ss prints the families without IP ports: netlink,
 * packet, vsock, XDP and TIPC (their Local/Peer Address:Port columns and
 * their detail text), and SCTP associations' state names.  ss_table and
 * ss_detail call it for records of these families; sock_json uses the
 * name tables.
 */
#ifndef SOCKHIST_SS_FAMILY_H
#define SOCKHIST_SS_FAMILY_H

#include <stdbool.h>
#include <stddef.h>

#include "ss_detail.h"
#include "ss_table.h"
#include "sockrec.h"

/* True for a record of netlink, packet, vsock, XDP or TIPC. */
bool ss_family_other(const struct sock_record *r);

/* The four address columns (local address with its ":", local port, peer
 * address, peer port) of such a record, each of len bytes. */
void ss_family_columns(char (*v)[128], const struct snapshot *s,
		       const struct sock_record *r, const struct ss_flags *fl);

/* Its detail text (after the peer column), as ss prints it. */
void ss_family_detail(struct ss_text *t, const struct snapshot *s,
		      const struct sock_record *r, const struct ss_flags *fl);

/* The State column of record r (an SCTP association's own names). */
const char *ss_state_name(const struct sock_record *r);

#endif
