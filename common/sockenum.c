/*
 * sockenum.c — the spelling tables for netids, states and timers, matching
 * what iproute2's ss prints and accepts.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "sockenum.h"

static const char *const netid_names[NETID_COUNT] = {
	[NETID_TCP] = "tcp", [NETID_UDP] = "udp", [NETID_RAW] = "raw",
	[NETID_U_STR] = "u_str", [NETID_U_DGR] = "u_dgr", [NETID_U_SEQ] = "u_seq",
	[NETID_MPTCP] = "mptcp", [NETID_SCTP] = "sctp", [NETID_NETLINK] = "nl",
	[NETID_P_RAW] = "p_raw", [NETID_P_DGR] = "p_dgr",
	[NETID_V_STR] = "v_str", [NETID_V_DGR] = "v_dgr", [NETID_V_SEQ] = "v_seq",
	[NETID_XDP] = "xdp", [NETID_TI_ST] = "ti_st", [NETID_TI_DG] = "ti_dg",
	[NETID_TI_RD] = "ti_rd", [NETID_TI_SQ] = "ti_sq",
};

/* ss's State column (its sstate_name table). */
static const char *const state_names[SS_MAX_STATE] = {
	[SS_UNKNOWN_] = "UNKNOWN", [SS_ESTABLISHED] = "ESTAB",
	[SS_SYN_SENT] = "SYN-SENT", [SS_SYN_RECV] = "SYN-RECV",
	[SS_FIN_WAIT1] = "FIN-WAIT-1", [SS_FIN_WAIT2] = "FIN-WAIT-2",
	[SS_TIME_WAIT] = "TIME-WAIT", [SS_CLOSE] = "UNCONN",
	[SS_CLOSE_WAIT] = "CLOSE-WAIT", [SS_LAST_ACK] = "LAST-ACK",
	[SS_LISTEN] = "LISTEN", [SS_CLOSING] = "CLOSING",
	[SS_NEW_SYN_RECV] = "NEW-SYN-RECV",
};

/* Stable snake_case keys for JSON and CSV. */
static const char *const state_keys[SS_MAX_STATE] = {
	[SS_UNKNOWN_] = "unknown", [SS_ESTABLISHED] = "established",
	[SS_SYN_SENT] = "syn_sent", [SS_SYN_RECV] = "syn_recv",
	[SS_FIN_WAIT1] = "fin_wait1", [SS_FIN_WAIT2] = "fin_wait2",
	[SS_TIME_WAIT] = "time_wait", [SS_CLOSE] = "unconnected",
	[SS_CLOSE_WAIT] = "close_wait", [SS_LAST_ACK] = "last_ack",
	[SS_LISTEN] = "listening", [SS_CLOSING] = "closing",
	[SS_NEW_SYN_RECV] = "new_syn_recv",
};

/* Names ss accepts after `state`/`exclude` for single states (its
 * scan_state), compared without regard to case. */
static const struct {
	const char *name;
	int state;
} state_aliases[] = {
	{ "unknown", SS_UNKNOWN_ }, { "established", SS_ESTABLISHED },
	{ "syn-sent", SS_SYN_SENT }, { "syn-recv", SS_SYN_RECV },
	{ "syn-rcv", SS_SYN_RECV }, { "fin-wait-1", SS_FIN_WAIT1 },
	{ "fin-wait-2", SS_FIN_WAIT2 }, { "time-wait", SS_TIME_WAIT },
	{ "unconnected", SS_CLOSE }, { "close", SS_CLOSE },
	{ "closed", SS_CLOSE }, { "close-wait", SS_CLOSE_WAIT },
	{ "last-ack", SS_LAST_ACK }, { "listening", SS_LISTEN },
	{ "closing", SS_CLOSING },
};

/* ss's netlink protocol names (its nl_proto_tab). */
static const char *const nl_protos[] = {
	"rtnl", "unused", "usersock", "fw", "tcpdiag", "nflog", "xfrm",
	"selinux", "iscsi", "audit", "fiblookup", "connector", "nft", "ip6fw",
	"dec-rt", "uevent", "genl", NULL, "scsi-trans", "ecryptfs", "rdma",
	"crypto",
};

/* ss's ethertype names (iproute2's llproto_names). */
static const struct {
	unsigned short id;
	const char *name;
} ethertypes[] = {
	{ 0x0060, "loop" }, { 0x0200, "pup" }, { 0x0201, "pupat" },
	{ 0x0800, "ip" }, { 0x0805, "x25" }, { 0x0806, "arp" },
	{ 0x08ff, "bpq" }, { 0x0a00, "ieeepup" }, { 0x0a01, "ieeepupat" },
	{ 0x6000, "dec" }, { 0x6001, "dna_dl" }, { 0x6002, "dna_rc" },
	{ 0x6003, "dna_rt" }, { 0x6004, "lat" }, { 0x6005, "diag" },
	{ 0x6006, "cust" }, { 0x6007, "sca" }, { 0x8035, "rarp" },
	{ 0x809b, "atalk" }, { 0x80f3, "aarp" }, { 0x8137, "ipx" },
	{ 0x86dd, "ipv6" }, { 0x8863, "ppp_disc" }, { 0x8864, "ppp_ses" },
	{ 0x884c, "atmmpoa" }, { 0x8884, "atmfate" }, { 0x0001, "802_3" },
	{ 0x0002, "ax25" }, { 0x0003, "all" }, { 0x0004, "802_2" },
	{ 0x0005, "snap" }, { 0x0006, "ddcmp" }, { 0x0007, "wan_ppp" },
	{ 0x0008, "ppp_mp" }, { 0x0009, "localtalk" }, { 0x000c, "can" },
	{ 0x0010, "ppptalk" }, { 0x0011, "tr_802_2" }, { 0x0015, "mobitex" },
	{ 0x0016, "control" }, { 0x0017, "irda" }, { 0x0018, "econet" },
	{ 0x88ca, "tipc" }, { 0x8892, "profinet" }, { 0x88a2, "aoe" },
	{ 0x88a4, "ethercat" }, { 0x8100, "802.1Q" }, { 0x88a8, "802.1ad" },
	{ 0x8847, "mpls_uc" }, { 0x8848, "mpls_mc" }, { 0x6558, "teb" },
	{ 0x8902, "cfm" }, { 0x88cc, "LLDP" },
};

/* ss -o timer names, indexed by idiag_timer. */
static const char *const timer_names[] = {
	"off", "on", "keepalive", "timewait", "persist", "unknown",
};

const char *netid_name(unsigned netid)
{
	return netid < NETID_COUNT ? netid_names[netid] : "?";
}

int netid_from_name(const char *name)
{
	for (unsigned i = 0; i < NETID_COUNT; i++)
		if (strcmp(name, netid_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *state_name(unsigned state)
{
	return state < SS_MAX_STATE ? state_names[state] : "UNKNOWN";
}

const char *state_key(unsigned state)
{
	return state < SS_MAX_STATE ? state_keys[state] : "unknown";
}

int state_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(state_aliases) / sizeof(state_aliases[0]); i++)
		if (strcasecmp(name, state_aliases[i].name) == 0)
			return state_aliases[i].state;
	return -1;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *netlink_proto_name(unsigned proto)
{
	return proto < COUNT(nl_protos) ? nl_protos[proto] : NULL;
}

int netlink_proto_from_name(const char *name)
{
	for (size_t i = 0; i < COUNT(nl_protos); i++)
		if (nl_protos[i] && strcmp(name, nl_protos[i]) == 0)
			return (int)i;
	return -1;
}

const char *ethertype_name(unsigned type)
{
	for (size_t i = 0; i < COUNT(ethertypes); i++)
		if (ethertypes[i].id == type)
			return ethertypes[i].name;
	return NULL;
}

int ethertype_from_name(const char *name)
{
	for (size_t i = 0; i < COUNT(ethertypes); i++)
		if (strcasecmp(name, ethertypes[i].name) == 0)
			return ethertypes[i].id;
	return strcasecmp(name, "ipv4") == 0 ? 0x0800 : -1;
}

const char *timer_name(unsigned timer)
{
	size_t n = sizeof(timer_names) / sizeof(timer_names[0]);
	return timer_names[timer < n ? timer : n - 1];
}
