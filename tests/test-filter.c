/*
 * test-filter.c — the ss filter language: every term and operator, the
 * state words, filter files, the family a term leaves for the selection,
 * the kernel-and-ss evaluation (16-bit ports, family checks, host names,
 * the dev term that disables the kernel's part, RAW sockets from /proc),
 * and error messages that name the offending word.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "filter.h"
#include "sockenum.h"

#define BIT(s) (1u << (s))
#define ALL 0xfffu

/* Split a filter string at spaces into argv, as a shell would. */
static int split(const char *text, char *buf, size_t len, char **argv)
{
	int argc = 0;

	snprintf(buf, len, "%s", text);
	for (char *save, *t = strtok_r(buf, " ", &save); t;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	return argc;
}

/* A context with no preferred family and both tcp and udp selected. */
static struct filter_ctx plain(void)
{
	return (struct filter_ctx){ .preferred = AF_UNSPEC, .tcp = true,
				    .udp = true };
}

/* Parse words (split at spaces) and a file text under ctx. */
static struct filter *parse_ctx(const char *text, const char *file,
				struct filter_ctx *ctx, uint32_t *states,
				char *err, unsigned errlen)
{
	char buf[512];
	char *argv[64];
	int argc = split(text, buf, sizeof(buf), argv);

	return filter_parse_ctx(argc, argv, file, ctx, states, err, errlen);
}

/* Parse words with the plain context. */
static struct filter *parse(const char *text, uint32_t *states, char *err,
			    unsigned errlen)
{
	struct filter_ctx ctx = plain();

	return parse_ctx(text, NULL, &ctx, states, err, errlen);
}

/* Parse under a copy of ctx (which must succeed) and match r with strings
 * from s. */
static int matches_in(const char *text, const struct filter_ctx *ctx,
		      const struct snapshot *s, const struct sock_record *r)
{
	char err[256];
	uint32_t states;
	struct filter_ctx c = *ctx;
	struct filter *f = parse_ctx(text, NULL, &c, &states, err, sizeof(err));

	if (!f)
		fail_msg("unexpected parse error for '%s': %s", text, err);
	int m = filter_match(f, s, r);
	filter_free(f);
	return m;
}

/* Parse text with the plain context and match r. */
static int matches(const char *text, const struct sock_record *r)
{
	struct filter_ctx ctx = plain();

	return matches_in(text, &ctx, NULL, r);
}

/* matches() on a record passed by value. */
static int matches_v(const char *text, struct sock_record r)
{
	return matches(text, &r);
}

/* Parse text (which must fail) and check the message. */
static void expect_error_ctx(const char *text, const char *file,
			     struct filter_ctx *ctx, const char *msg)
{
	char err[256] = "";
	uint32_t states;
	struct filter *f = parse_ctx(text, file, ctx, &states, err, sizeof(err));

	if (f)
		fail_msg("'%s' parsed, expected: %s", text, msg);
	assert_string_equal(err, msg);
}

/* expect_error_ctx() with the plain context and no file. */
static void expect_error(const char *text, const char *msg)
{
	struct filter_ctx ctx = plain();

	expect_error_ctx(text, NULL, &ctx, msg);
}

/* The states text selects (which must parse). */
static uint32_t states_of(const char *text)
{
	char err[256];
	uint32_t st;
	struct filter *f = parse(text, &st, err, sizeof(err));

	if (!f)
		fail_msg("unexpected parse error for '%s': %s", text, err);
	filter_free(f);
	return st;
}

/* An inet record of netid: src:sport -> dst:dport. */
static struct sock_record inet(unsigned netid, int family, const char *src,
			       int sport, const char *dst, int dport)
{
	struct sock_record r = { .family = (uint8_t)family,
				 .netid = (uint8_t)netid,
				 .state = SS_ESTABLISHED, .cookie = 1 };

	inet_pton(family, src, r.src);
	inet_pton(family, dst, r.dst);
	r.sport = (uint16_t)sport;
	r.dport = (uint16_t)dport;
	return r;
}

/* An IPv4 TCP record. */
static struct sock_record rec4(const char *src, int sport, const char *dst,
			       int dport)
{
	return inet(NETID_TCP, AF_INET, src, sport, dst, dport);
}

/* An IPv6 TCP record. */
static struct sock_record rec6(const char *src, int sport, const char *dst,
			       int dport)
{
	return inet(NETID_TCP, AF_INET6, src, sport, dst, dport);
}

/* A RAW record as read from /proc/net/raw (ss re-checks it alone). */
static struct sock_record raw_procfs(int family, const char *src)
{
	struct sock_record r = inet(NETID_RAW, family, src, 1,
				    family == AF_INET ? "0.0.0.0" : "::", 0);

	r.cookie = SR_COOKIE_PROCNET | 77;
	r.state = SS_CLOSE;
	return r;
}

/* State words: every name and alias ss accepts, in any case, and groups;
 * state/exclude accumulate as in ss. */
static void test_states(void **unused)
{
	static const struct {
		const char *name;
		int state;
	} names[] = {
		{ "unknown", SS_UNKNOWN_ }, { "established", SS_ESTABLISHED },
		{ "syn-sent", SS_SYN_SENT }, { "syn-recv", SS_SYN_RECV },
		{ "syn-rcv", SS_SYN_RECV }, { "fin-wait-1", SS_FIN_WAIT1 },
		{ "fin-wait-2", SS_FIN_WAIT2 }, { "time-wait", SS_TIME_WAIT },
		{ "unconnected", SS_CLOSE }, { "close", SS_CLOSE },
		{ "closed", SS_CLOSE }, { "close-wait", SS_CLOSE_WAIT },
		{ "last-ack", SS_LAST_ACK }, { "listening", SS_LISTEN },
		{ "closing", SS_CLOSING },
	};
	char text[64];

	(void)unused;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(text, sizeof(text), "state %s", names[i].name);
		assert_int_equal(states_of(text), BIT(names[i].state));
		for (char *c = text; *c; c++)
			*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		memcpy(text, "state", 5);
		assert_int_equal(states_of(text), BIT(names[i].state));
	}
	assert_int_equal(states_of("state all"), ALL);
	assert_int_equal(states_of("state connected"),
			 ALL & ~(BIT(SS_CLOSE) | BIT(SS_LISTEN)));
	assert_int_equal(states_of("state Synchronized"),
			 ALL & ~(BIT(SS_CLOSE) | BIT(SS_LISTEN) | BIT(SS_SYN_SENT)));
	assert_int_equal(states_of("state bucket"),
			 BIT(SS_SYN_RECV) | BIT(SS_TIME_WAIT));
	assert_int_equal(states_of("state big"),
			 ALL & ~(BIT(SS_SYN_RECV) | BIT(SS_TIME_WAIT)));
	assert_int_equal(states_of("state established state listening"),
			 BIT(SS_ESTABLISHED) | BIT(SS_LISTEN));
	assert_int_equal(states_of("exclude time-wait"), ALL & ~BIT(SS_TIME_WAIT));
	assert_int_equal(states_of("excl bucket state closing"),
			 (ALL & ~(BIT(SS_SYN_RECV) | BIT(SS_TIME_WAIT))));
	assert_int_equal(states_of("state listening exclude listening"), 0);
	assert_int_equal(states_of(""), 0);
	assert_int_equal(states_of("state all sport = :22"), ALL);

	char err[256];
	uint32_t st;
	struct filter *f = parse("excl all", &st, err, sizeof(err));
	assert_int_equal(st, 0);
	assert_true(filter_states_given(f));
	filter_free(f);
	f = parse("sport = :22", &st, err, sizeof(err));
	assert_false(filter_states_given(f));
	filter_free(f);

	/* Names ss does not accept. */
	expect_error("state listen", "unknown state 'listen' (word 2 of the filter)");
	expect_error("state estab", "unknown state 'estab' (word 2 of the filter)");
	/* State words are whole command-line words before the expression. */
	char one[] = "state established";
	char *argv[] = { one };
	assert_null(filter_parse(1, argv, &st, err, sizeof(err)));
	assert_string_equal(err, "'state' terms come first, as separate words "
			    "before the expression (word 1 of the filter)");
}

/* Ports: every operator spelling, services, C integers, and ss's
 * negations. */
static void test_ports(void **unused)
{
	struct sock_record r = rec4("10.0.0.1", 22, "10.0.0.2", 40000);

	(void)unused;
	assert_true(matches("sport = :22", &r));
	assert_true(matches("sport == 22", &r));
	assert_true(matches("sport eq :ssh", &r));
	assert_true(matches("sport :22", &r));
	assert_true(matches("sport = :0x16", &r));
	assert_true(matches("sport = :026", &r));
	assert_true(matches("sport = :+22", &r));
	assert_false(matches("sport != :22", &r));
	assert_false(matches("sport ne :22", &r));
	assert_true(matches("sport neq :23", &r));
	assert_true(matches("dport > :39999", &r));
	assert_false(matches("dport gt :40000", &r));
	assert_true(matches("dport >= :40000", &r));
	assert_true(matches("dport ge :40000", &r));
	assert_true(matches("dport geq :40000", &r));
	assert_false(matches("dport < :40000", &r));
	assert_true(matches("dport lt :40001", &r));
	assert_true(matches("dport <= 40000", &r));
	assert_true(matches("dport le 0x9c40", &r));
	assert_false(matches("dport leq :1024", &r));
	assert_true(matches("sport = *", &r));
	assert_true(matches("sport = :*", &r));
	assert_true(matches("sport = -1", &r));   /* ss's "any port" */
	assert_false(matches("sport = -5", &r));
	assert_false(matches("sport = :70000", &r));
	/* The kernel compares <, >= & co. on 16 bits, ss on ints: both must
	 * pass.  70000 is 4464 for the kernel. */
	struct sock_record low = rec4("10.0.0.1", 4000, "10.0.0.2", 1);
	assert_true(matches("sport < 70000", &low));
	assert_false(matches_v("sport < 70000", rec4("10.0.0.1", 5000, "1.1.1.1", 1)));
	assert_false(matches("sport >= 70000", &low));
	assert_false(matches("sport > -1", &r));
	assert_false(matches("sport >= *", &r));
	assert_false(matches("sport <= *", &r));
	/* ss alone (RAW from /proc) compares ints: every port is > -1. */
	struct sock_record raw = raw_procfs(AF_INET, "0.0.0.0");
	assert_true(matches("sport > -1", &raw));
	assert_true(matches("sport = :1", &raw));   /* the protocol, ICMP */

	/* Service names follow the selected tables. */
	struct filter_ctx tcp = plain(), none = plain();
	tcp.udp = false;
	none.tcp = none.udp = false;
	assert_true(matches_in("sport = :ssh", &tcp, NULL, &r));
	expect_error_ctx("sport = :ssh", NULL, &none,
			 "':ssh' after 'sport': not a port number (service "
			 "names need -t or -u) (word 3 of the filter)");
}

/* Addresses: prefixes, ports, '*', brackets, family prefixes, v4-mapped,
 * family mismatch, host names. */
static void test_addresses(void **unused)
{
	struct sock_record r4 = rec4("10.1.2.3", 22, "192.168.0.9", 5000);
	struct sock_record r6 = rec6("2001:db8::1", 443, "::ffff:192.168.0.9",
				     6000);

	(void)unused;
	assert_true(matches("src 10.1.2.3", &r4));
	assert_true(matches("src = 10.1.2.3:22", &r4));
	assert_true(matches("src == 10.1.2.3:ssh", &r4));
	assert_false(matches("src 10.1.2.3:23", &r4));
	assert_true(matches("src 10.1.2.3:", &r4));
	assert_true(matches("src 10.0.0.0/8", &r4));
	assert_true(matches("src 10/8", &r4));
	assert_true(matches("src 10.1/16", &r4));
	assert_true(matches("src 012.1.2.3", &r4));        /* octal 10 */
	assert_true(matches("src 0x0a.1.2.3", &r4));
	assert_true(matches("src 10/255.0.0.0", &r4));     /* a netmask */
	assert_true(matches("src 10/0x8", &r4));
	assert_false(matches("src 10.1.3.0/24", &r4));
	assert_true(matches("dst 192.168.0.0/16:5000", &r4));
	assert_true(matches("dst *:5000", &r4));
	assert_true(matches("dst *5000", &r4));
	assert_true(matches("dst *", &r4));
	assert_true(matches("dst [192.168.0.9]", &r4));
	assert_true(matches("dst [192.168.0.0/24]:5000", &r4));
	assert_false(matches("dst [::1]", &r4));
	assert_true(matches("src any", &r4));
	assert_true(matches("src all", &r6));
	assert_true(matches("src default", &r6));
	assert_true(matches("src [2001:db8::1]:443", &r6));
	assert_true(matches("src [2001:db8::1]443", &r6));
	assert_true(matches("src 2001:db8::/32", &r6));
	assert_true(matches("src [2001:db8::/32]:443", &r6));
	assert_true(matches("src inet6:[2001:db8::1]", &r6));
	assert_true(matches("src inet6:*", &r6));
	assert_true(matches("src inet:*", &r4));
	assert_false(matches("src 10.0.0.0/8", &r6));
	/* An IPv4 condition matches a v4-mapped IPv6 address. */
	assert_true(matches("dst 192.168.0.9", &r6));
	assert_true(matches("dst 192.168.0.0/24:6000", &r6));
	/* The kernel checks the family even with a zero prefix... */
	assert_false(matches("src 0.0.0.0/0", &r6));
	assert_false(matches("src ::/0", &r4));
	/* ...ss alone compares bytes: a RAW socket from /proc. */
	struct sock_record raw4 = raw_procfs(AF_INET, "0.0.0.0");
	struct sock_record raw6 = raw_procfs(AF_INET6, "::1");
	assert_true(matches("src ::/0", &raw4));
	assert_true(matches("src ::/8", &raw4));
	assert_true(matches("src 0.0.0.0/0", &raw6));
	assert_true(matches("src 0.0.0.0/8", &raw6));
	assert_false(matches("src 10.0.0.0/8", &raw6));
	/* A dev term stops ss sending the kernel its bytecode. */
	struct sock_record any4 = rec4("0.0.0.0", 22, "0.0.0.0", 0);
	assert_false(matches("src ::/8", &any4));
	assert_true(matches("dev 0 and src ::/8", &any4));
	/* Host names (IPv4 only: /etc/hosts answers, no DNS is asked). */
	struct sock_record lo4 = rec4("127.0.0.1", 1, "0.0.0.0", 0);
	struct sock_record lo6 = rec6("::ffff:127.0.0.1", 1, "::", 0);
	struct sock_record other = rec4("127.0.0.2", 1, "0.0.0.0", 0);
	struct filter_ctx ctx = plain();
	ctx.preferred = AF_INET;
	assert_true(matches_in("src localhost", &ctx, NULL, &lo4));
	assert_true(matches_in("src localhost:1", &ctx, NULL, &lo6));
	assert_false(matches_in("src localhost", &ctx, NULL, &other));
	ctx = plain();
	ctx.no_lookup = true;
	expect_error_ctx("src localhost", NULL, &ctx, "'localhost' after 'src': "
			 "not an address, a prefix or a known host name (word 2 "
			 "of the filter)");
}

/* The family a term leaves for the selection, and the preferred family
 * under which unprefixed hosts are read. */
static void test_families(void **unused)
{
	struct sock_record r4 = rec4("10.0.0.1", 22, "10.0.0.2", 80);
	struct filter_ctx ctx;
	char err[256];
	uint32_t st;
	struct filter *f;

	(void)unused;
	static const struct {
		const char *text;
		int preferred, family;
	} cases[] = {
		{ "sport = :22", AF_UNSPEC, AF_UNSPEC },
		{ "src 10.0.0.1", AF_UNSPEC, AF_UNSPEC },
		{ "src 10.0.0.1", AF_INET, AF_INET },
		{ "src unix:/run/*", AF_UNSPEC, AF_UNIX },
		{ "src inet6:*", AF_UNIX, AF_INET6 },
		{ "src inet:1.2.3.4 or dst unix:*", AF_UNSPEC, AF_UNIX },
		{ "src link:ip", AF_UNSPEC, AF_PACKET },
		{ "src link:0x800:lo", AF_UNSPEC, AF_PACKET },
		{ "dst netlink:rtnl:kernel", AF_UNSPEC, AF_NETLINK },
		{ "src vsock:3:1024", AF_UNSPEC, AF_VSOCK },
		{ "sport = inet6:6000", AF_UNSPEC, AF_INET6 },
		{ "dev lo fwmark 1 cgroup / autobound", AF_UNSPEC, AF_UNSPEC },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctx = plain();
		ctx.preferred = cases[i].preferred;
		f = parse_ctx(cases[i].text, NULL, &ctx, &st, err, sizeof(err));
		if (!f && strstr(cases[i].text, "cgroup"))
			continue;   /* no cgroup2 mount: test_cgroup says */
		if (!f)
			fail_msg("'%s': %s", cases[i].text, err);
		assert_int_equal(ctx.family, cases[i].family);
		filter_free(f);
	}
	/* Terms of families sockhist does not record match nothing. */
	assert_false(matches("src link:*", &r4));
	assert_false(matches("src vsock:*", &r4));
	assert_true(matches("not src netlink:*", &r4));
	expect_error("src vsock:x", "'vsock:x' after 'src': not a vsock "
		     "CID[:PORT] (word 2 of the filter)");
	expect_error("src link:bogus", "'link:bogus' after 'src': not a protocol "
		     "name or number (word 2 of the filter)");
	expect_error("src netlink:bogus", "'netlink:bogus' after 'src': not a "
		     "protocol name or number (word 2 of the filter)");
	/* Under -x every host is a unix glob: sport :22 names a socket. */
	struct sock_record u = { .family = AF_UNIX, .netid = NETID_U_STR,
				 .inode = 22 };
	ctx = plain();
	ctx.preferred = AF_UNIX;
	assert_false(matches_in("sport = :22", &ctx, NULL, &u));
	assert_true(matches("sport = :22", &u));
	/* A unix prefix makes the next plain host a glob too. */
	ctx = plain();
	f = parse_ctx("src unix:/x or src 10.0.0.1", NULL, &ctx, &st, err,
		      sizeof(err));
	assert_int_equal(ctx.preferred, AF_UNIX);
	assert_false(filter_match(f, NULL, &r4));
	filter_free(f);
	/* Under -4 an IPv6 host is an error, as in ss. */
	ctx = plain();
	ctx.preferred = AF_INET;
	ctx.no_lookup = true;
	expect_error_ctx("src [::1]", NULL, &ctx, "'[::1]' after 'src': not an "
			 "IPv4 address or prefix (word 2 of the filter)");
}

/* A unix record named name (NULL: unnamed) in snapshot s. */
static struct sock_record unix_rec(struct snapshot *s, const char *name,
				   uint64_t ino, uint32_t peer)
{
	struct sock_record r = { .family = AF_UNIX, .netid = NETID_U_STR,
				 .state = SS_ESTABLISHED, .inode = ino,
				 .peer_inode = peer };

	if (name) {
		r.name = (uint32_t)snapshot_intern(s, name, strlen(name));
		r.has |= SR_HAS_NAME;
	}
	return r;
}

/* Unix sockets: globs on the name (any case), peers have no name for ss,
 * ports are inodes, addresses never match unless "any". */
static void test_unix(void **unused)
{
	struct snapshot s;
	struct filter_ctx ctx = plain();

	(void)unused;
	assert_int_equal(snapshot_init(&s), 0);
	struct sock_record run = unix_rec(&s, "/run/Daemon.sock", 1234, 5678);
	struct sock_record abs = unix_rec(&s, "@sockhist", 9, 0);
	struct sock_record anon = unix_rec(&s, NULL, 10, 11);
	struct sock_record autob = unix_rec(&s, "@0001f", 12, 0);
	struct sock_record upper = unix_rec(&s, "@0001F", 13, 0);

	assert_true(matches_in("src unix:/run/*", &ctx, &s, &run));
	assert_true(matches_in("src unix:/RUN/daemon.*", &ctx, &s, &run));
	assert_true(matches_in("src unix:*.sock", &ctx, &s, &run));
	assert_false(matches_in("src unix:/run", &ctx, &s, &run));
	assert_true(matches_in("src unix:@sock?ist", &ctx, &s, &abs));
	assert_true(matches_in("src unix:[@]*", &ctx, &s, &abs));
	assert_false(matches_in("src unix:/run/*", &ctx, &s, &abs));
	assert_true(matches_in("src unix:", &ctx, &s, &anon));
	assert_false(matches_in("src unix:", &ctx, &s, &run));
	assert_true(matches_in("src unix:*", &ctx, &s, &anon));
	/* ss has no peer name to compare: only globs matching "" match. */
	assert_true(matches_in("dst unix:*", &ctx, &s, &run));
	assert_false(matches_in("dst unix:/run/*", &ctx, &s, &run));
	/* Ports are the inode and the peer's inode. */
	assert_true(matches_in("sport = :1234", &ctx, &s, &run));
	assert_true(matches_in("dport = :5678", &ctx, &s, &run));
	assert_true(matches_in("sport > :1000 and dport < 6000", &ctx, &s, &run));
	assert_false(matches_in("sport = :22", &ctx, &s, &run));
	assert_false(matches_in("src 10.0.0.1", &ctx, &s, &run));
	assert_true(matches_in("src *", &ctx, &s, &run));
	assert_true(matches_in("src 0.0.0.0/0", &ctx, &s, &run));
	/* ss's address bytes of a unix socket: zero for the peer and for an
	 * unnamed socket (a pointer to the name otherwise). */
	assert_true(matches_in("dst 0.0.0.0", &ctx, &s, &run));
	assert_true(matches_in("dst [::]", &ctx, &s, &run));
	assert_false(matches_in("dst 0.0.0.1", &ctx, &s, &run));
	assert_true(matches_in("src 0.0.0.0/8", &ctx, &s, &anon));
	assert_false(matches_in("src 0.0.0.0/8", &ctx, &s, &run));
	/* autobound: unnamed, or an autobind name (5 lowercase hex digits). */
	assert_true(matches_in("autobound", &ctx, &s, &anon));
	assert_true(matches_in("autobound", &ctx, &s, &autob));
	assert_false(matches_in("autobound", &ctx, &s, &upper));
	assert_false(matches_in("autobound", &ctx, &s, &run));
	/* Unix sockets have no device, mark or cgroup for ss. */
	run.ifindex = 3;
	run.mark = 5;
	run.cgroup_id = 7;
	run.has |= SR_HAS_MARK | SR_HAS_CGROUP;
	assert_true(matches_in("dev 0 and fwmark 0", &ctx, &s, &run));
	assert_false(matches_in("dev 3", &ctx, &s, &run));
	/* An inet condition never matches... and a glob never an inet one. */
	struct sock_record r4 = rec4("10.0.0.1", 22, "10.0.0.2", 80);
	assert_false(matches_in("src unix:*", &ctx, &s, &r4));
	snapshot_free(&s);
}

/* dev, fwmark, cgroup and autobound. */
static void test_values(void **unused)
{
	struct sock_record r = rec4("10.0.0.1", 22, "10.0.0.2", 80);
	unsigned lo = if_nametoindex("lo");
	char text[64];

	(void)unused;
	r.ifindex = 7;
	assert_true(matches("dev 7", &r));
	assert_true(matches("dev = if7", &r));
	assert_true(matches("dev == 0x7", &r));
	assert_true(matches("dev eq 07", &r));
	assert_false(matches("dev != 7", &r));
	assert_true(matches("dev ne 8", &r));
	assert_true(matches("dev neq 0", &r));
	assert_false(matches("dev 0", &r));
	if (lo) {
		r.ifindex = lo;
		assert_true(matches("dev lo", &r));
		snprintf(text, sizeof(text), "dev if%u", lo);
		assert_true(matches(text, &r));
	}
	expect_error("dev if0", "'if0' after 'dev': no such device here, and "
		     "not an index (word 2 of the filter)");
	expect_error("dev nosuchdev0", "'nosuchdev0' after 'dev': no such device "
		     "here, and not an index (word 2 of the filter)");

	/* fwmark: (mark & mask) == value, read with %i. */
	r.mark = 0x1234;
	r.has |= SR_HAS_MARK;
	assert_true(matches("fwmark 0x1234", &r));
	assert_true(matches("fwmark = 4660", &r));
	assert_true(matches("fwmark 0x30/0xf0", &r));
	assert_false(matches("fwmark 0x31/0xf0", &r));   /* bits outside */
	assert_true(matches("fwmark != 0x1235", &r));
	assert_true(matches("fwmark 0x1234junk", &r));   /* as scanf reads */
	assert_true(matches("fwmark 0/0", &r));
	expect_error("fwmark /5", "'/5' after 'fwmark': not a MARK or MARK/MASK "
		     "(word 2 of the filter)");
	expect_error("fwmark x", "'x' after 'fwmark': not a MARK or MARK/MASK "
		     "(word 2 of the filter)");
	/* Without the mark attribute ss sees 0. */
	r.has &= ~SR_HAS_MARK;
	assert_true(matches("fwmark 0", &r));

	/* autobound: a local port in this namespace's ephemeral range. */
	int rlo = 1024, rhi = 4999;
	FILE *pr = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (pr) {
		assert_int_equal(fscanf(pr, "%d %d", &rlo, &rhi), 2);
		fclose(pr);
	}
	assert_true(matches_v("autobound", rec4("1.1.1.1", rlo, "2.2.2.2", 1)));
	assert_true(matches_v("autobound", rec4("1.1.1.1", rhi, "2.2.2.2", 1)));
	assert_false(matches_v("autobound", rec4("1.1.1.1", rlo - 1, "2.2.2.2", 1)));
	assert_false(matches_v("not autobound", rec6("::1", rlo, "::1", 1)));
	/* The kernel's part: a TCP socket other than a listener has no
	 * SOCK_BINDPORT_LOCK (an accepted one neither), so it is never "not
	 * autobound"; a listener is, whatever its port. */
	struct sock_record acc = rec4("1.1.1.1", 80, "2.2.2.2", rlo);
	assert_false(matches("autobound", &acc));
	assert_false(matches("not autobound", &acc));
	acc.state = SS_LISTEN;
	assert_true(matches("not autobound", &acc));
	acc.sport = (uint16_t)rlo;
	assert_false(matches("autobound", &acc));
	assert_false(matches("not autobound", &acc));
	/* UDP: the ephemeral range on both sides. */
	struct sock_record udp = inet(NETID_UDP, AF_INET, "1.1.1.1", 53,
				      "0.0.0.0", 0);
	assert_true(matches("not autobound", &udp));
	udp.sport = (uint16_t)rlo;
	assert_true(matches("autobound", &udp));
}

/* cgroup PATH: the cgroup2 directory's id, under the mount or by path. */
static void test_cgroup(void **unused)
{
	char mnt[4096] = "", type[128], err[256], text[4200];
	struct stat st;
	uint32_t states;
	FILE *f = fopen("/proc/mounts", "r");

	(void)unused;
	while (f && fscanf(f, "%*s %4095s %127s %*s %*d %*d\n", mnt, type) == 2 &&
	       strcmp(type, "cgroup2") != 0)
		mnt[0] = '\0';
	if (f)
		fclose(f);
	if (!mnt[0] || stat(mnt, &st) < 0) {
		expect_error("cgroup /", "'/' after 'cgroup': no cgroup2 file "
			     "system is mounted here (word 2 of the filter)");
		skip();
	}
	/* A cgroup2 directory's inode number is its cgroup id. */
	struct sock_record r = rec4("10.0.0.1", 22, "10.0.0.2", 80);
	r.cgroup_id = st.st_ino;
	r.has |= SR_HAS_CGROUP;
	assert_true(matches("cgroup /", &r));
	assert_true(matches("cgroup = ///", &r));
	snprintf(text, sizeof(text), "cgroup %s", mnt);
	assert_true(matches(text, &r));
	assert_false(matches("cgroup != /", &r));
	r.cgroup_id++;
	assert_false(matches("cgroup /", &r));
	assert_null(parse("cgroup /no-such-cgroup-here", &states, err,
			  sizeof(err)));
	assert_string_equal(err, "'/no-such-cgroup-here' after 'cgroup': no such "
			    "cgroup under the cgroup2 mount (word 2 of the filter)");
}

/* Boolean structure: ss's left-to-right evaluation and adjacency. */
static void test_logic(void **unused)
{
	struct sock_record r = rec4("10.0.0.1", 22, "10.0.0.2", 80);

	(void)unused;
	assert_true(matches("sport = :22 dport = :80", &r));
	assert_false(matches("sport = :22 dport = :81", &r));
	assert_true(matches("sport = :22 and dport = :80", &r));
	assert_true(matches("sport = :22 & dport = :80", &r));
	assert_true(matches("sport = :22 && dport = :80", &r));
	assert_true(matches("sport = :1 or dport = :80", &r));
	assert_true(matches("sport = :1 | dport = :80", &r));
	assert_true(matches("sport = :1 || dport = :80", &r));
	assert_true(matches("not sport = :1", &r));
	assert_true(matches("! sport = :1", &r));
	assert_true(matches("! ! sport = :22", &r));
	assert_true(matches("autobound or sport = :22", &r));
	/* (true or x) and false == false: left to right, like ss. */
	assert_false(matches("sport = :22 or sport = :1 and dport = :1", &r));
	assert_true(matches("sport = :22 or ( sport = :1 and dport = :1 )",
			    &r));
	/* not binds to the next expression only. */
	assert_false(matches("! sport = :1 and dport = :1", &r));
	assert_true(matches("( ( sport = :22 ) )", &r));
	assert_false(matches("! ( sport = :22 or dport = :1 )", &r));
	/* One argument holding several words, as ss splits it. */
	char arg[] = "sport = :22 and\tdport = :80";
	char *argv[] = { arg };
	char err[64];
	uint32_t st;
	struct filter *f = filter_parse(1, argv, &st, err, sizeof(err));
	assert_non_null(f);
	assert_true(filter_match(f, NULL, &r));
	filter_free(f);
}

/* Filter files: lines, comments, backslashes, the command line first. */
static void test_file(void **unused)
{
	struct sock_record r = rec4("10.0.0.1", 22, "10.0.0.2", 80);
	struct filter_ctx ctx = plain();
	char err[256];
	uint32_t st;
	struct filter *f;

	(void)unused;
	f = parse_ctx("", "# a comment\nsport\n=\n:22\n\n0 skipped too\n"
		      "or dport = :1\n", &ctx, &st, err, sizeof(err));
	assert_non_null(f);
	assert_true(filter_match(f, NULL, &r));
	filter_free(f);
	/* The command line first, then the file: adjacency is "and". */
	f = parse_ctx("state listening dport = :81", "sport = :22", &ctx, &st,
		      err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(st, BIT(SS_LISTEN));
	assert_false(filter_match(f, NULL, &r));
	filter_free(f);
	/* A backslash keeps a blank inside a word. */
	expect_error_ctx("", "src 10.0.0.1\\ x", &ctx, "'10.0.0.1 x' after 'src': "
			 "not an address, a prefix or a known host name (line 1 "
			 "of the filter file)");
	/* A comment only at the start of a line; state words not in files. */
	expect_error_ctx("", "sport = :22\n  # no\n", &ctx,
			 "unknown filter term '#' (line 2 of the filter file)");
	expect_error_ctx("", "state listening\n", &ctx, "'state' terms come "
			 "first, as separate words before the expression (line 1 "
			 "of the filter file)");
	expect_error_ctx("sport = :22", "\n\nand", &ctx, "an expression is "
			 "expected (at the end of the filter)");
}

/* Errors name the word (or the end of the filter). */
static void test_errors(void **unused)
{
	(void)unused;
	expect_error("state bogus", "unknown state 'bogus' (word 2 of the filter)");
	expect_error("state", "a state name is expected after 'state' (at the "
		     "end of the filter)");
	expect_error("sport = :22 state established", "'state' terms come first, "
		     "as separate words before the expression (word 4 of the "
		     "filter)");
	expect_error("state established spor = 22", "unknown filter term 'spor' "
		     "(word 3 of the filter)");
	expect_error("sport = :notaservice", "':notaservice' after 'sport': not a "
		     "port number or a service name (word 3 of the filter)");
	expect_error("sport =", "a port is expected after 'sport' (at the end of "
		     "the filter)");
	expect_error("sport = and", "a port is expected after 'sport', not 'and' "
		     "(word 3 of the filter)");
	expect_error("src", "an address is expected after 'src' (at the end of "
		     "the filter)");
	expect_error("src 1.2.3.400", "'1.2.3.400' after 'src': not an address, a "
		     "prefix or a known host name (word 2 of the filter)");
	expect_error("src ::1", "'::1' after 'src': not an address, a prefix or a "
		     "known host name (word 2 of the filter)");
	expect_error("src [::1", "'[::1' after 'src': a '[' without its ']' (word "
		     "2 of the filter)");
	expect_error("src 10.0.0.0/33", "'10.0.0.0/33' after 'src': not an "
		     "address, a prefix or a known host name (word 2 of the "
		     "filter)");
	expect_error("src 10.", "'10.' after 'src': not an address, a prefix or a "
		     "known host name (word 2 of the filter)");
	expect_error("src any/8", "'any/8' after 'src': not an address, a prefix "
		     "or a known host name (word 2 of the filter)");
	expect_error("src != 1.2.3.4", "an address is expected after 'src', not "
		     "'!=' (word 2 of the filter)");
	expect_error("dev", "a device is expected after 'dev' (at the end of the "
		     "filter)");
	expect_error("fwmark = or", "a mark is expected after 'fwmark', not 'or' "
		     "(word 3 of the filter)");
	expect_error("cgroup", "a cgroup path is expected after 'cgroup' (at the "
		     "end of the filter)");
	expect_error("autobound x", "unknown filter term 'x' (word 2 of the "
		     "filter)");
	expect_error("( sport = :22", "')' is expected (at the end of the filter)");
	expect_error("sport = :22 )", "')' without its '(' (word 4 of the filter)");
	expect_error("sport = :22 and", "an expression is expected (at the end of "
		     "the filter)");
	expect_error("( )", "an expression is expected before ')' (word 2 of the "
		     "filter)");
	expect_error("or sport = :22", "an expression is expected before 'or' "
		     "(word 1 of the filter)");
	expect_error("not", "an expression is expected (at the end of the "
		     "filter)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
