/*
 * test-families.c — the parsers of dump_family.h and the SCTP/MPTCP paths
 * of dump_inet.c, fed hand-built netlink messages laid out as the uapi
 * headers say (the kernel here has no SCTP, vsock, XDP or TIPC diag
 * module, so these are the only tests of those parsers): every field
 * lands where the record model says, malformed messages are refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tipc_netlink.h>
#include <linux/vm_sockets_diag.h>
#include <linux/xdp_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "dump_family.h"
#include "dump_inet.h"
#include "sockenum.h"

static uint8_t buf[4096];

/* A message with a family header of len bytes copied from hdr. */
static struct nlmsghdr *msg(const void *hdr, size_t len)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	if (len)
		memcpy(mnl_nlmsg_put_extra_header(nlh, len), hdr, len);
	return nlh;
}

/* The nine skmem values 1..9. */
static void put_skmem(struct nlmsghdr *nlh, uint16_t type)
{
	uint32_t m[SK_MEMINFO_VARS];

	for (unsigned i = 0; i < SK_MEMINFO_VARS; i++)
		m[i] = i + 1;
	mnl_attr_put(nlh, type, sizeof(m), m);
}

/* Parse with fn into a fresh snapshot; returns the code. */
static int parse(int (*fn)(const struct nlmsghdr *, struct snapshot *),
		 const struct nlmsghdr *nlh, struct snapshot *s)
{
	assert_int_equal(snapshot_init(s), 0);
	return fn(nlh, s);
}

static void test_netlink(void **state)
{
	struct netlink_diag_msg m = {
		.ndiag_family = AF_NETLINK, .ndiag_protocol = NETLINK_GENERIC,
		.ndiag_state = NETLINK_CONNECTED, .ndiag_portid = 0,
		.ndiag_dst_portid = 0, .ndiag_dst_group = 1, .ndiag_ino = 77,
		.ndiag_cookie = { 5, 1 },
	};
	uint64_t groups = 0x5;
	struct nlmsghdr *nlh = msg(&m, sizeof(m));
	struct snapshot s;

	(void)state;
	mnl_attr_put(nlh, NETLINK_DIAG_GROUPS, sizeof(groups), &groups);
	put_skmem(nlh, NETLINK_DIAG_MEMINFO);
	assert_int_equal(parse(netlink_parse_msg, nlh, &s), 0);
	assert_int_equal(s.nrecs, 1);
	assert_int_equal(s.recs[0].netid, NETID_NETLINK);
	assert_int_equal(s.recs[0].cookie, (1ull << 32) | 5);
	assert_int_equal(s.recs[0].inode, 77);
	assert_int_equal(s.recs[0].protocol, NETLINK_GENERIC);
	assert_int_equal(s.recs[0].state, SS_CLOSE);
	assert_int_equal(s.recs[0].raddr32, 1);
	assert_int_equal(s.recs[0].groups, 5);
	assert_int_equal(s.recs[0].rqueue, 1);
	assert_int_equal(s.recs[0].wqueue, 3);
	assert_true(s.recs[0].has & SR_HAS_CONNECTED);
	assert_false(s.recs[0].has & SR_HAS_NAME); /* port 0: the kernel */
	snapshot_free(&s);
	m.ndiag_family = AF_INET;
	assert_int_equal(parse(netlink_parse_msg, msg(&m, sizeof(m)), &s),
			 -EBADMSG);
	snapshot_free(&s);
}

static void test_packet(void **state)
{
	struct packet_diag_msg m = {
		.pdiag_family = AF_PACKET, .pdiag_type = SOCK_DGRAM,
		.pdiag_num = 0x86dd, .pdiag_ino = 9, .pdiag_cookie = { 3, 0 },
	};
	struct packet_diag_info pi = {
		.pdi_index = 2, .pdi_version = 1, .pdi_copy_thresh = 4,
		.pdi_flags = PDI_RUNNING | PDI_LOSS,
	};
	uint32_t uid = 1000, fanout = 7 | 3u << 16;
	struct nlmsghdr *nlh = msg(&m, sizeof(m));
	struct snapshot s;

	(void)state;
	mnl_attr_put(nlh, PACKET_DIAG_INFO, sizeof(pi), &pi);
	mnl_attr_put(nlh, PACKET_DIAG_UID, sizeof(uid), &uid);
	mnl_attr_put(nlh, PACKET_DIAG_FANOUT, sizeof(fanout), &fanout);
	put_skmem(nlh, PACKET_DIAG_MEMINFO);
	assert_int_equal(parse(packet_parse_msg, nlh, &s), 0);
	assert_int_equal(s.nrecs, 1);
	assert_int_equal(s.recs[0].netid, NETID_P_DGR);
	assert_int_equal(s.recs[0].ethertype, 0x86dd);
	assert_int_equal(s.recs[0].ifindex, 2);
	assert_int_equal(s.recs[0].pkt_version, 1);
	assert_int_equal(s.recs[0].pkt_copy_thresh, 4);
	assert_int_equal(s.recs[0].pkt_flags, PDI_RUNNING | PDI_LOSS);
	assert_int_equal(s.recs[0].fanout, fanout);
	assert_int_equal(s.recs[0].uid, 1000);
	assert_int_equal(s.recs[0].rqueue, 1);
	assert_true(s.recs[0].has & SR_HAS_FANOUT);
	snapshot_free(&s);
	/* an INFO attribute too short for its struct */
	nlh = msg(&m, sizeof(m));
	mnl_attr_put(nlh, PACKET_DIAG_INFO, 8, &pi);
	assert_int_equal(parse(packet_parse_msg, nlh, &s), -EBADMSG);
	snapshot_free(&s);
	/* SOCK_PACKET sockets are not listed */
	m.pdiag_type = SOCK_PACKET;
	assert_int_equal(parse(packet_parse_msg, msg(&m, sizeof(m)), &s), 0);
	assert_int_equal(s.nrecs, 0);
	snapshot_free(&s);
}

static void test_vsock(void **state)
{
	struct vsock_diag_msg m = {
		.vdiag_family = AF_VSOCK, .vdiag_type = SOCK_STREAM,
		.vdiag_state = SS_LISTEN, .vdiag_shutdown = 2,
		.vdiag_src_cid = UINT32_MAX, .vdiag_src_port = 1024,
		.vdiag_dst_cid = 3, .vdiag_dst_port = UINT32_MAX,
		.vdiag_ino = 11, .vdiag_cookie = { 8, 0 },
	};
	struct snapshot s;

	(void)state;
	assert_int_equal(parse(vsock_parse_msg, msg(&m, sizeof(m)), &s), 0);
	assert_int_equal(s.nrecs, 1);
	assert_int_equal(s.recs[0].netid, NETID_V_STR);
	assert_int_equal(s.recs[0].state, SS_LISTEN);
	assert_int_equal(s.recs[0].shutdown, 2);
	assert_int_equal(s.recs[0].laddr32, UINT32_MAX);
	assert_int_equal(s.recs[0].lport32, 1024);
	assert_int_equal(s.recs[0].raddr32, 3);
	assert_int_equal(s.recs[0].rport32, UINT32_MAX);
	snapshot_free(&s);
	/* cut short */
	assert_int_equal(parse(vsock_parse_msg, msg(&m, 8), &s), -EBADMSG);
	snapshot_free(&s);
}

static void test_xdp(void **state)
{
	struct xdp_diag_msg m = {
		.xdiag_family = AF_XDP, .xdiag_type = SOCK_RAW,
		.xdiag_ino = 12, .xdiag_cookie = { 9, 0 },
	};
	struct xdp_diag_info info = { .ifindex = 1, .queue_id = 3 };
	uint32_t uid = 5;
	struct nlmsghdr *nlh = msg(&m, sizeof(m));
	struct snapshot s;

	(void)state;
	mnl_attr_put(nlh, XDP_DIAG_INFO, sizeof(info), &info);
	mnl_attr_put(nlh, XDP_DIAG_UID, sizeof(uid), &uid);
	put_skmem(nlh, XDP_DIAG_MEMINFO);
	assert_int_equal(parse(xdp_parse_msg, nlh, &s), 0);
	assert_int_equal(s.nrecs, 1);
	assert_int_equal(s.recs[0].netid, NETID_XDP);
	assert_int_equal(s.recs[0].state, SS_CLOSE);
	assert_int_equal(s.recs[0].ifindex, 1);
	assert_int_equal(s.recs[0].lport32, 3);
	assert_int_equal(s.recs[0].uid, 5);
	assert_int_equal(s.recs[0].rqueue, 1);
	snapshot_free(&s);
}

/* A TIPC answer: TIPC_NLA_SOCK { type, state, ino, uid, addr, ref,
 * cookie, STAT { rcvq, sendq }, CON { node, sock } }. */
static struct nlmsghdr *tipc_msg(uint32_t type, bool connected)
{
	struct nlmsghdr *nlh = msg(NULL, 0);
	struct nlattr *sock = mnl_attr_nest_start(nlh, TIPC_NLA_SOCK), *n;
	uint64_t cookie = 0x1234;

	mnl_attr_put_u32(nlh, TIPC_NLA_SOCK_TYPE, type);
	mnl_attr_put_u32(nlh, TIPC_NLA_SOCK_TIPC_STATE, SS_ESTABLISHED);
	mnl_attr_put_u32(nlh, TIPC_NLA_SOCK_INO, 13);
	mnl_attr_put_u32(nlh, TIPC_NLA_SOCK_UID, 7);
	mnl_attr_put_u32(nlh, TIPC_NLA_SOCK_ADDR, 0x1001);
	mnl_attr_put_u32(nlh, TIPC_NLA_SOCK_REF, 42);
	mnl_attr_put(nlh, TIPC_NLA_SOCK_COOKIE, sizeof(cookie), &cookie);
	n = mnl_attr_nest_start(nlh, TIPC_NLA_SOCK_STAT);
	mnl_attr_put_u32(nlh, TIPC_NLA_SOCK_STAT_RCVQ, 100);
	mnl_attr_put_u32(nlh, TIPC_NLA_SOCK_STAT_SENDQ, 200);
	mnl_attr_nest_end(nlh, n);
	if (connected) {
		n = mnl_attr_nest_start(nlh, TIPC_NLA_SOCK_CON);
		mnl_attr_put_u32(nlh, TIPC_NLA_CON_NODE, 0x2002);
		mnl_attr_put_u32(nlh, TIPC_NLA_CON_SOCK, 43);
		mnl_attr_nest_end(nlh, n);
	}
	mnl_attr_nest_end(nlh, sock);
	return nlh;
}

static void test_tipc(void **state)
{
	struct snapshot s;

	(void)state;
	assert_int_equal(parse(tipc_parse_msg, tipc_msg(SOCK_RDM, true), &s),
			 0);
	assert_int_equal(s.nrecs, 1);
	assert_int_equal(s.recs[0].netid, NETID_TI_RD);
	assert_int_equal(s.recs[0].family, AF_TIPC);
	assert_int_equal(s.recs[0].cookie, 0x1234);
	assert_int_equal(s.recs[0].inode, 13);
	assert_int_equal(s.recs[0].state, SS_ESTABLISHED);
	assert_int_equal(s.recs[0].laddr32, 0x1001);
	assert_int_equal(s.recs[0].lport32, 42);
	assert_int_equal(s.recs[0].raddr32, 0x2002);
	assert_int_equal(s.recs[0].rport32, 43);
	assert_int_equal(s.recs[0].rqueue, 100);
	assert_int_equal(s.recs[0].wqueue, 200);
	assert_true(s.recs[0].has & SR_HAS_CONNECTED);
	snapshot_free(&s);
	assert_int_equal(parse(tipc_parse_msg, tipc_msg(SOCK_STREAM, false),
			       &s), 0);
	assert_int_equal(s.recs[0].netid, NETID_TI_ST);
	assert_false(s.recs[0].has & SR_HAS_CONNECTED);
	snapshot_free(&s);
	/* a nest whose attribute runs past it */
	struct nlmsghdr *nlh = tipc_msg(SOCK_DGRAM, false);
	struct nlattr *sock = mnl_nlmsg_get_payload(nlh);
	struct nlattr *first = mnl_attr_get_payload(sock);
	first->nla_len = 200;
	assert_int_equal(parse(tipc_parse_msg, nlh, &s), -EBADMSG);
	snapshot_free(&s);
}

/* An inet_diag answer of inode ino with an INET_DIAG_INFO of 16 bytes. */
static struct nlmsghdr *inet_msg(uint32_t ino, uint8_t state)
{
	struct inet_diag_msg m = {
		.idiag_family = AF_INET, .idiag_state = state,
		.idiag_inode = ino,
	};
	uint8_t info[16] = { 1 };
	struct nlmsghdr *nlh = msg(&m, sizeof(m));

	mnl_attr_put(nlh, INET_DIAG_INFO, sizeof(info), info);
	return nlh;
}

static void test_sctp_mptcp(void **state)
{
	struct snapshot s;
	uint32_t last = 0;

	(void)state;
	assert_int_equal(snapshot_init(&s), 0);
	assert_int_equal(inet_parse_one(inet_msg(20, SS_LISTEN), IPPROTO_SCTP,
					&last, &s), 0);
	assert_int_equal(inet_parse_one(inet_msg(20, 4), IPPROTO_SCTP,
					&last, &s), 0);
	assert_int_equal(inet_parse_one(inet_msg(21, SS_CLOSE), IPPROTO_SCTP,
					&last, &s), 0);
	assert_int_equal(inet_parse_msg(inet_msg(22, SS_ESTABLISHED),
					IPPROTO_MPTCP, &s), 0);
	assert_int_equal(s.nrecs, 4);
	assert_int_equal(s.recs[0].netid, NETID_SCTP);
	assert_false(s.recs[0].has & SR_HAS_ASSOC);
	assert_true(s.recs[1].has & SR_HAS_ASSOC);   /* same inode */
	assert_false(s.recs[2].has & SR_HAS_ASSOC);
	assert_int_equal(s.recs[3].netid, NETID_MPTCP);
	for (size_t i = 0; i < 4; i++)   /* not a tcp_info: not kept */
		assert_int_equal(s.recs[i].tcpi_len, 0);
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netlink),
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_vsock),
		cmocka_unit_test(test_xdp),
		cmocka_unit_test(test_tipc),
		cmocka_unit_test(test_sctp_mptcp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
