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

const char *timer_name(unsigned timer)
{
	size_t n = sizeof(timer_names) / sizeof(timer_names[0]);
	return timer_names[timer < n ? timer : n - 1];
}
