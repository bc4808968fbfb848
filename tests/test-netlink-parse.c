/*
 * test-netlink-parse.c — the sock_diag decoders against recorded kernel
 * answers, and against damaged ones.
 *
 * The fixtures in tests/fixtures/netlink-*.bin are the receive buffers of
 * real dumps (sequence number 1) taken on Linux 6.18 in a fresh network
 * namespace holding only these sockets:
 *   tcp4: a listener on 127.0.0.1:4242 (backlog 16); a client (TOS 0x10,
 *         mark 7) connected to it that sent 11 bytes; the accepted socket,
 *         which did not read them and did shutdown(SHUT_WR);
 *   tcp6: a v6only listener on [::1]:4243 (backlog 8);
 *   udp4: a socket bound to 127.0.0.1:5353;
 *   unix: a stream listener on /tmp/sockhist-fixture.sock (backlog 4), a
 *         datagram socket bound to the abstract name "\0sockhist\0fx", and a
 *         seqpacket pair, one end of which holds 3 unread bytes.
 * Raw sockets come from /proc/net/raw lines (raw_diag is not built in
 * that kernel).
 *
 * netlink-destroy.bin is what a socket joined to the four
 * SKNLGRP_INET*_DESTROY groups received there (the datagrams one after the
 * other) while, in a fresh namespace: a client connected to a listener on
 * 127.0.0.1:4244 sent 11 bytes and got 5 back, then closed, then the
 * accepted socket; a UDP socket connected to 127.0.0.1:5354 sent a byte
 * and closed; a UDP socket bound to [::1]:5355 closed; the listener closed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "destroy.h"
#include "dump_inet.h"
#include "dump_unix.h"
#include "netlink.h"
#include "procnet.h"
#include "sockenum.h"
#include "tcpinfo.h"

#define FIXTURE_SEQ 1

struct parse_ctx {
	int protocol;           /* 0 for unix */
	struct snapshot s;
};

/* Read a fixture into a malloc'd, suitably aligned buffer. */
static uint8_t *load(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int parse_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct parse_ctx *c = arg;

	if (c->protocol)
		return inet_parse_msg(nlh, c->protocol, &c->s);
	return unix_parse_msg(nlh, &c->s);
}

/* Decode a whole fixture; it must end with NLMSG_DONE. */
static void parse_fixture(const char *name, int protocol, struct parse_ctx *c)
{
	uint8_t *buf;
	size_t len;

	c->protocol = protocol;
	assert_int_equal(snapshot_init(&c->s), 0);
	buf = load(name, &len);
	assert_int_equal(nl_walk(buf, len, FIXTURE_SEQ, parse_cb, c), 0);
	free(buf);
}

/* The record of netid with local port sport and state, or NULL. */
static const struct sock_record *find(const struct snapshot *s, int netid,
				      int sport, int state)
{
	size_t i;

	for (i = 0; i < s->nrecs; i++)
		if (s->recs[i].netid == netid && s->recs[i].sport == sport &&
		    (state < 0 || s->recs[i].state == state))
			return &s->recs[i];
	return NULL;
}

static void assert_v4(const uint8_t *addr, const char *text)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, text, &a), 1);
	assert_memory_equal(addr, &a, 4);
}

static void test_tcp4(void **state)
{
	const struct sock_record *l, *srv, *cli;
	struct parse_ctx c;

	(void)state;
	parse_fixture("netlink-tcp4.bin", IPPROTO_TCP, &c);
	assert_int_equal(c.s.nrecs, 3);
	l = find(&c.s, NETID_TCP, 4242, SS_LISTEN);
	assert_non_null(l);
	assert_int_equal(l->family, AF_INET);
	assert_v4(l->src, "127.0.0.1");
	assert_int_equal(l->wqueue, 16);        /* listen backlog */
	assert_int_not_equal(l->inode, 0);
	assert_int_not_equal(l->cookie, 0);
	assert_true(l->has & SR_HAS_SKMEM);
	assert_true(l->skmem_count >= 9);

	srv = find(&c.s, NETID_TCP, 4242, SS_FIN_WAIT2);
	assert_non_null(srv);
	assert_int_equal(srv->rqueue, 11);
	assert_true(srv->has & SR_HAS_SHUTDOWN);
	assert_int_equal(srv->shutdown, 2);     /* SEND_SHUTDOWN */

	cli = NULL;
	for (size_t i = 0; i < c.s.nrecs; i++)
		if (c.s.recs[i].dport == 4242)
			cli = &c.s.recs[i];
	assert_non_null(cli);
	assert_int_equal(cli->state, SS_CLOSE_WAIT);
	assert_v4(cli->dst, "127.0.0.1");
	assert_int_equal(cli->sport, srv->dport);
	assert_true(cli->has & SR_HAS_TOS);
	assert_int_equal(cli->tos, 0x10);
	assert_true(cli->has & SR_HAS_MARK);
	assert_int_equal(cli->mark, 7);
	assert_true(cli->has & SR_HAS_CONG);
	assert_string_equal(snapshot_str(&c.s, cli->cong), "bbr");
	assert_true(cli->has & SR_HAS_MEMINFO);
	/* the kernel's tcp_info is longer than the installed headers' */
	assert_int_equal(cli->tcpi_len, 280);
	assert_int_equal(tcpinfo_val(c.s.bytes + cli->tcpi_off, cli->tcpi_len,
				     TI_STATE), SS_CLOSE_WAIT);
	assert_true(cli->has & SR_HAS_CGROUP);
	/* bbr's own info is kept verbatim for `ss -i`'s bbr:(...); the kernel
	 * sends it only below TIME-WAIT, so not for CLOSE-WAIT */
	assert_int_equal(cli->ccinfo_len, 0);
	assert_int_equal(srv->ccinfo_kind, INET_DIAG_BBRINFO);
	assert_true(srv->ccinfo_len >= sizeof(struct tcp_bbr_info));
	assert_int_not_equal(cli->cookie, srv->cookie);
	snapshot_free(&c.s);
}

static void test_tcp6(void **state)
{
	const struct sock_record *l;
	struct in6_addr lo = IN6ADDR_LOOPBACK_INIT;
	struct parse_ctx c;

	(void)state;
	parse_fixture("netlink-tcp6.bin", IPPROTO_TCP, &c);
	assert_int_equal(c.s.nrecs, 1);
	l = find(&c.s, NETID_TCP, 4243, SS_LISTEN);
	assert_non_null(l);
	assert_int_equal(l->family, AF_INET6);
	assert_memory_equal(l->src, &lo, 16);
	assert_true(l->has & SR_HAS_V6ONLY);
	assert_int_equal(l->v6only, 1);
	assert_true(l->has & SR_HAS_TCLASS);
	assert_int_equal(l->wqueue, 8);
	snapshot_free(&c.s);
}

static void test_udp4(void **state)
{
	const struct sock_record *u;
	struct parse_ctx c;

	(void)state;
	parse_fixture("netlink-udp4.bin", IPPROTO_UDP, &c);
	assert_int_equal(c.s.nrecs, 1);
	u = find(&c.s, NETID_UDP, 5353, SS_CLOSE);
	assert_non_null(u);
	assert_v4(u->src, "127.0.0.1");
	assert_int_equal(u->tcpi_len, 0);
	assert_int_equal(u->protocol, 0);
	assert_true(u->has & SR_HAS_SKMEM);
	snapshot_free(&c.s);
}

/* The unix record whose name is name, or NULL. */
static const struct sock_record *find_name(const struct snapshot *s,
					   const char *name)
{
	size_t i;

	for (i = 0; i < s->nrecs; i++)
		if ((s->recs[i].has & SR_HAS_NAME) &&
		    strcmp(snapshot_str(s, s->recs[i].name), name) == 0)
			return &s->recs[i];
	return NULL;
}

static void test_unix(void **state)
{
	const struct sock_record *l, *a, *p0 = NULL, *p1 = NULL;
	struct parse_ctx c;
	size_t i;

	(void)state;
	parse_fixture("netlink-unix.bin", 0, &c);
	assert_int_equal(c.s.nrecs, 4);
	l = find_name(&c.s, "/tmp/sockhist-fixture.sock");
	assert_non_null(l);
	assert_int_equal(l->netid, NETID_U_STR);
	assert_int_equal(l->state, SS_LISTEN);
	assert_int_equal(l->family, AF_UNIX);
	assert_true(l->has & SR_HAS_VFS);
	assert_int_not_equal(l->vfs_ino, 0);
	assert_int_equal(l->wqueue, 4);
	assert_true(l->has & SR_HAS_ICONS);     /* ss: "peers:" (none) */
	assert_int_equal(l->icons_len, 0);
	a = find_name(&c.s, "@sockhist@fx");
	assert_non_null(a);
	assert_int_equal(a->netid, NETID_U_DGR);
	assert_false(a->has & SR_HAS_VFS);
	assert_false(a->has & SR_HAS_ICONS);
	for (i = 0; i < c.s.nrecs; i++) {
		if (c.s.recs[i].netid != NETID_U_SEQ)
			continue;
		if (!p0)
			p0 = &c.s.recs[i];
		else
			p1 = &c.s.recs[i];
	}
	assert_non_null(p1);
	assert_int_equal(p0->peer_inode, p1->inode);
	assert_int_equal(p1->peer_inode, p0->inode);
	assert_int_equal(p0->rqueue + p1->rqueue, 3);
	assert_true(p0->has & SR_HAS_SKMEM);
	assert_true(p0->has & SR_HAS_SHUTDOWN);
	assert_int_not_equal(p0->cookie, 0);
	snapshot_free(&c.s);
}

static void test_raw_proc(void **state)
{
	struct snapshot s;

	(void)state;
	assert_int_equal(snapshot_init(&s), 0);
	assert_int_equal(procnet_parse_line(" 242: 0100007F:0001 00000000:0000 07 00000000:00000020 00:00000000 00000000     0        0 12430 2 00000000a7873832 0\n",
					    AF_INET, &s), 0);
	assert_int_equal(procnet_parse_line("  127: 00000000000000000000000001000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12431 2 000000009b6a0d06 0\n",
					    AF_INET6, &s), 0);
	assert_int_equal(procnet_parse_line("  sl  local_address rem_address   st tx_queue\n",
					    AF_INET, &s), -EBADMSG);
	assert_int_equal(procnet_parse_line(" 1: 0100007F:00", AF_INET, &s),
			 -EBADMSG);
	assert_int_equal(s.nrecs, 2);
	assert_int_equal(s.recs[0].netid, NETID_RAW);
	assert_int_equal(s.recs[0].protocol, IPPROTO_ICMP);
	assert_v4(s.recs[0].src, "127.0.0.1");
	assert_int_equal(s.recs[0].rqueue, 0x20);
	assert_int_equal(s.recs[0].inode, 12430);
	assert_int_equal(s.recs[0].cookie, PROCNET_COOKIE_BIT | 12430);
	assert_int_equal(s.recs[1].family, AF_INET6);
	assert_int_equal(s.recs[1].protocol, IPPROTO_ICMPV6);
	assert_int_equal(s.recs[1].src[15], 1);
	snapshot_free(&s);
}

/* Whether off is where a message of buf starts. */
static int is_boundary(const uint8_t *buf, size_t len, size_t off)
{
	size_t at = 0;
	uint32_t mlen;

	while (at < off && at + sizeof(mlen) <= len) {
		memcpy(&mlen, buf + at, sizeof(mlen));
		at += NLMSG_ALIGN(mlen);
	}
	return at == off;
}

/* A buffer cut anywhere inside a message is rejected, not read past its
 * end; cut between messages it is a valid, unfinished dump. */
static void test_truncated(void **state)
{
	struct parse_ctx c;
	uint8_t *buf, *cut;
	size_t len, n;

	(void)state;
	buf = load("netlink-tcp4.bin", &len);
	c.protocol = IPPROTO_TCP;
	for (n = 1; n < len; n++) {
		assert_int_equal(snapshot_init(&c.s), 0);
		cut = malloc(n);
		assert_non_null(cut);
		memcpy(cut, buf, n);
		assert_int_equal(nl_walk(cut, n, FIXTURE_SEQ, parse_cb, &c),
				 is_boundary(buf, len, n) ? 1 : -EBADMSG);
		free(cut);
		snapshot_free(&c.s);
	}
	free(buf);
}

/* One inet message built by hand: header plus the given attribute bytes. */
static struct nlmsghdr *make_inet(uint8_t *buf, size_t cap, const void *attrs,
				  size_t alen, uint8_t family)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct inet_diag_msg *m = NLMSG_DATA(nlh);

	assert_true(NLMSG_LENGTH(sizeof(*m)) + alen <= cap);
	memset(buf, 0, cap);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*m)) + (uint32_t)alen;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m->idiag_family = family;
	m->idiag_state = SS_ESTABLISHED;
	m->id.idiag_cookie[0] = 42;
	if (alen)
		memcpy((uint8_t *)m + sizeof(*m), attrs, alen);
	return nlh;
}

static void test_garbage_messages(void **state)
{
	uint8_t buf[256] __attribute__((aligned(8)));
	/* MARK attribute claiming 8 bytes, then a 4-byte header only */
	const uint8_t long_attr[] = { 12, 0, INET_DIAG_MARK, 0, 1, 0, 0, 0 };
	const uint8_t tiny_attr[] = { 2, 0, INET_DIAG_MARK, 0 };
	const uint8_t short_mark[] = { 6, 0, INET_DIAG_MARK, 0, 7, 0, 0, 0 };
	const uint8_t good_mark[] = { 8, 0, INET_DIAG_MARK, 0, 7, 0, 0, 0 };
	struct nlmsghdr *nlh;
	struct snapshot s;

	(void)state;
	assert_int_equal(snapshot_init(&s), 0);
	nlh = make_inet(buf, sizeof(buf), long_attr, sizeof(long_attr), AF_INET);
	assert_int_equal(inet_parse_msg(nlh, IPPROTO_TCP, &s), -EBADMSG);
	nlh = make_inet(buf, sizeof(buf), tiny_attr, sizeof(tiny_attr), AF_INET);
	assert_int_equal(inet_parse_msg(nlh, IPPROTO_TCP, &s), -EBADMSG);
	nlh = make_inet(buf, sizeof(buf), short_mark, sizeof(short_mark), AF_INET);
	assert_int_equal(inet_parse_msg(nlh, IPPROTO_TCP, &s), -EBADMSG);
	nlh = make_inet(buf, sizeof(buf), good_mark, sizeof(good_mark), 77);
	assert_int_equal(inet_parse_msg(nlh, IPPROTO_TCP, &s), -EBADMSG);
	nlh = make_inet(buf, sizeof(buf), NULL, 0, AF_INET);
	nlh->nlmsg_len = NLMSG_LENGTH(4);       /* shorter than inet_diag_msg */
	assert_int_equal(inet_parse_msg(nlh, IPPROTO_TCP, &s), -EBADMSG);
	assert_int_equal(unix_parse_msg(nlh, &s), -EBADMSG);
	assert_int_equal(s.nrecs, 0);
	nlh = make_inet(buf, sizeof(buf), good_mark, sizeof(good_mark), AF_INET);
	assert_int_equal(inet_parse_msg(nlh, IPPROTO_TCP, &s), 0);
	assert_int_equal(s.nrecs, 1);
	assert_int_equal(s.recs[0].mark, 7);
	assert_int_equal(s.recs[0].cookie, 42);
	assert_int_equal(unix_parse_msg(nlh, &s), -EBADMSG); /* not AF_UNIX */
	snapshot_free(&s);
}

static void test_control_messages(void **state)
{
	uint8_t buf[64] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct parse_ctx c = { .protocol = IPPROTO_TCP };
	int32_t code;

	(void)state;
	memset(buf, 0, sizeof(buf));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = FIXTURE_SEQ;
	code = -ENOENT;
	memcpy(NLMSG_DATA(nlh), &code, sizeof(code));
	assert_int_equal(nl_walk(buf, nlh->nlmsg_len, FIXTURE_SEQ, parse_cb, &c),
			 -ENOENT);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(code));
	code = -EINTR;
	memcpy(NLMSG_DATA(nlh), &code, sizeof(code));
	assert_int_equal(nl_walk(buf, nlh->nlmsg_len, FIXTURE_SEQ, parse_cb, &c),
			 -EINTR);
	/* another request's answer is skipped */
	assert_int_equal(nl_walk(buf, nlh->nlmsg_len, FIXTURE_SEQ + 1, parse_cb,
				 &c), 1);
	nlh->nlmsg_len = 3;
	assert_int_equal(nl_walk(buf, 16, FIXTURE_SEQ, parse_cb, &c), -EBADMSG);
}

/* tcp_info counter f of record r of s. */
static uint64_t tcpi(const struct snapshot *s, const struct sock_record *r,
		     enum tcpinfo_field f)
{
	uint64_t v = 0;

	assert_true(tcpinfo_get(s->bytes + r->tcpi_off, r->tcpi_len, f, &v));
	return v;
}

/* The recorded destroy events: five sockets in close order, the state the
 * kernel freed them in, the final tcp_info, no uid, inode or owners. */
static void test_destroy_events(void **state)
{
	struct destroy_batch b;
	const struct sock_record *r;
	size_t len;
	uint8_t *buf = load("netlink-destroy.bin", &len);

	(void)state;
	assert_int_equal(destroy_batch_init(&b), 0);
	assert_int_equal(destroy_parse(&b, buf, len, 42), 5);
	assert_int_equal(b.bad, 0);
	assert_int_equal(b.ev.nrecs, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(b.closed_ns[i], 42);
		assert_int_not_equal(b.ev.recs[i].cookie, 0);
		assert_int_equal(b.ev.recs[i].inode, 0);
	}
	r = &b.ev.recs[0];              /* the client */
	assert_int_equal(r->netid, NETID_TCP);
	assert_int_equal(r->family, AF_INET);
	assert_int_equal(r->state, SS_CLOSE);
	assert_int_equal(r->dport, 4244);
	assert_int_equal(tcpi(&b.ev, r, TI_BYTES_SENT), 11);
	/* It closed first: freed in FIN-WAIT-2, before the server's FIN */
	assert_int_equal(tcpi(&b.ev, r, TI_BYTES_RECEIVED), 5);
	r = &b.ev.recs[1];              /* the accepted end */
	assert_int_equal(r->sport, 4244);
	assert_int_equal(r->dport, b.ev.recs[0].sport);
	assert_int_equal(tcpi(&b.ev, r, TI_BYTES_SENT), 5);
	/* the client's FIN counts one */
	assert_int_equal(tcpi(&b.ev, r, TI_BYTES_RECEIVED), 11 + 1);
	r = &b.ev.recs[2];              /* connected UDP: ss's ESTAB */
	assert_int_equal(r->netid, NETID_UDP);
	assert_int_equal(r->state, SS_ESTABLISHED);
	assert_int_equal(r->dport, 5354);
	assert_int_equal(r->tcpi_len, 0);
	r = &b.ev.recs[3];
	assert_int_equal(r->netid, NETID_UDP);
	assert_int_equal(r->family, AF_INET6);
	assert_int_equal(r->sport, 5355);
	r = &b.ev.recs[4];              /* the listener */
	assert_int_equal(r->netid, NETID_TCP);
	assert_int_equal(r->sport, 4244);
	assert_int_equal(r->dport, 0);

	/* A message without INET_DIAG_PROTOCOL, or cut short, is counted as
	 * bad and leaves no record. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	size_t first = NLMSG_ALIGN(nlh->nlmsg_len);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg));
	assert_int_equal(destroy_parse(&b, buf, first, 7), 0);
	assert_int_equal(b.bad, 1);
	nlh->nlmsg_len = 20;
	assert_int_equal(destroy_parse(&b, buf, first, 7), 0);
	assert_int_equal(b.ev.nrecs, 5);
	destroy_batch_free(&b);
	free(buf);
}

/* Random byte damage anywhere in real answers and events never crashes the
 * decoders (run under ASan/UBSan to make that check strict). */
static void test_mutations(void **state)
{
	static const char *const names[] = {
		"netlink-tcp4.bin", "netlink-tcp6.bin", "netlink-udp4.bin",
		"netlink-unix.bin",
	};
	struct parse_ctx c;
	uint8_t *buf, *copy;
	size_t len, n, k;
	int round;

	(void)state;
	srand(1);
	for (n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		buf = load(names[n], &len);
		copy = malloc(len);
		c.protocol = n == 3 ? 0 : IPPROTO_TCP;
		for (round = 0; round < 2000; round++) {
			assert_int_equal(snapshot_init(&c.s), 0);
			memcpy(copy, buf, len);
			for (k = 0; k < 4; k++)
				copy[(size_t)rand() % len] = (uint8_t)rand();
			(void)nl_walk(copy, len, FIXTURE_SEQ, parse_cb, &c);
			snapshot_free(&c.s);
		}
		free(copy);
		free(buf);
	}
	buf = load("netlink-destroy.bin", &len);
	copy = malloc(len);
	for (round = 0; round < 2000; round++) {
		struct destroy_batch b;

		assert_int_equal(destroy_batch_init(&b), 0);
		memcpy(copy, buf, len);
		for (k = 0; k < 4; k++)
			copy[(size_t)rand() % len] = (uint8_t)rand();
		(void)destroy_parse(&b, copy, len, 1);
		destroy_batch_free(&b);
	}
	free(copy);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_udp4),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_raw_proc),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage_messages),
		cmocka_unit_test(test_control_messages),
		cmocka_unit_test(test_destroy_events),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
