/*
 * sockenum.h — names `ss` uses for socket kinds, states and timers.
 *
 * One table per enumeration so the recorder, the analyzer, the filter and the
 * JSON/CSV writers all spell things the same way.
 */
#ifndef SOCKHIST_SOCKENUM_H
#define SOCKHIST_SOCKENUM_H

#include <stdint.h>

#include "sockrec.h"

/* Kernel socket states (include/net/tcp_states.h); UNIX sockets reuse them. */
enum sk_state {
	SS_UNKNOWN_ = 0,
	SS_ESTABLISHED = 1,
	SS_SYN_SENT,
	SS_SYN_RECV,
	SS_FIN_WAIT1,
	SS_FIN_WAIT2,
	SS_TIME_WAIT,
	SS_CLOSE,
	SS_CLOSE_WAIT,
	SS_LAST_ACK,
	SS_LISTEN,
	SS_CLOSING,
	SS_NEW_SYN_RECV,
	SS_MAX_STATE
};

/* "tcp", "udp", "raw", "u_str", "u_dgr", "u_seq", "mptcp", "sctp", "nl",
 * "p_raw", "p_dgr", "v_str", "v_dgr", "v_seq", "xdp", "ti_st", "ti_dg",
 * "ti_rd", "ti_sq"; "?" when out of range. */
const char *netid_name(unsigned netid);
/* Netid from its name; -1 if unknown. */
int netid_from_name(const char *name);

/* State as `ss` prints it in the State column: "ESTAB", "LISTEN", "UNCONN"... */
const char *state_name(unsigned state);
/* State as a snake_case key for JSON/CSV: "established", "listen"... */
const char *state_key(unsigned state);
/* State from any single-state name `ss` accepts in `state X`
 * ("established", "syn-sent", "syn-rcv", "time-wait", "closed",
 * "listening", "unknown"...), in any case; -1 if unknown. */
int state_from_name(const char *name);

/* ss's name of a netlink protocol ("rtnl", "genl"...), or NULL; and the
 * protocol of a name, or -1. */
const char *netlink_proto_name(unsigned proto);
int netlink_proto_from_name(const char *name);
/* ss's name of an ethertype (host order: "ip", "ipv6"...), or NULL; and
 * the ethertype of a name (any case, as ss reads them), or -1. */
const char *ethertype_name(unsigned type);
int ethertype_from_name(const char *name);

/* Timer name as ss -o prints it: "on", "keepalive", "timewait", "persist"... */
const char *timer_name(unsigned timer);

#endif
