/*
 * test-filter.c — the ss filter language: parsing, state selection, error
 * messages that name the offending token, and evaluation on records.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "filter.h"
#include "sockenum.h"

#define BIT(s) (1u << (s))
#define ALL 0xfffu

/* Split a filter string at blanks into argv (like a shell would, roughly). */
static struct filter *parse(const char *text, uint32_t *states, char *err,
			    unsigned errlen)
{
	char buf[512];
	char *argv[64];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *save, *t = strtok_r(buf, " ", &save); t;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	return filter_parse(argc, argv, states, err, errlen);
}

/* An IPv4 TCP record src:sport -> dst:dport. */
static struct sock_record rec4(const char *src, int sport, const char *dst,
			       int dport)
{
	struct sock_record r = { .family = AF_INET, .netid = NETID_TCP,
				 .state = SS_ESTABLISHED };

	inet_pton(AF_INET, src, r.src);
	inet_pton(AF_INET, dst, r.dst);
	r.sport = (uint16_t)sport;
	r.dport = (uint16_t)dport;
	return r;
}

/* An IPv6 TCP record. */
static struct sock_record rec6(const char *src, int sport, const char *dst,
			       int dport)
{
	struct sock_record r = { .family = AF_INET6, .netid = NETID_TCP,
				 .state = SS_ESTABLISHED };

	inet_pton(AF_INET6, src, r.src);
	inet_pton(AF_INET6, dst, r.dst);
	r.sport = (uint16_t)sport;
	r.dport = (uint16_t)dport;
	return r;
}

/* Parse text (which must succeed) and match it against r. */
static int matches(const char *text, const struct sock_record *r)
{
	char err[128];
	uint32_t states;
	struct filter *f = parse(text, &states, err, sizeof(err));

	if (!f)
		fail_msg("unexpected parse error for '%s': %s", text, err);
	int m = filter_match(f, NULL, r);
	filter_free(f);
	return m;
}

/* Parse text (which must fail) and check the message. */
static void expect_error(const char *text, const char *msg)
{
	char err[128] = "";
	uint32_t states;
	struct filter *f = parse(text, &states, err, sizeof(err));

	assert_null(f);
	assert_string_equal(err, msg);
}

/* States: names, aliases, groups, state/exclude accumulation as in ss. */
static void test_states(void **unused)
{
	char err[128];
	uint32_t st;
	struct filter *f;

	(void)unused;
	f = parse("", &st, err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(st, 0);
	filter_free(f);

	f = parse("state established", &st, err, sizeof(err));
	assert_int_equal(st, BIT(SS_ESTABLISHED));
	filter_free(f);

	f = parse("state ESTABLISHED state listening", &st, err, sizeof(err));
	assert_int_equal(st, BIT(SS_ESTABLISHED) | BIT(SS_LISTEN));
	filter_free(f);

	f = parse("exclude time-wait", &st, err, sizeof(err));
	assert_int_equal(st, ALL & ~BIT(SS_TIME_WAIT));
	filter_free(f);

	f = parse("state connected", &st, err, sizeof(err));
	assert_int_equal(st, ALL & ~(BIT(SS_CLOSE) | BIT(SS_LISTEN)));
	filter_free(f);

	f = parse("state synchronized", &st, err, sizeof(err));
	assert_int_equal(st, ALL & ~(BIT(SS_CLOSE) | BIT(SS_LISTEN) |
				     BIT(SS_SYN_SENT)));
	filter_free(f);

	f = parse("state bucket", &st, err, sizeof(err));
	assert_int_equal(st, BIT(SS_SYN_RECV) | BIT(SS_TIME_WAIT));
	filter_free(f);

	f = parse("state big", &st, err, sizeof(err));
	assert_int_equal(st, ALL & ~(BIT(SS_SYN_RECV) | BIT(SS_TIME_WAIT)));
	filter_free(f);

	f = parse("state closed state unconnected state syn-rcv", &st, err,
		  sizeof(err));
	assert_int_equal(st, BIT(SS_CLOSE) | BIT(SS_SYN_RECV));
	filter_free(f);

	f = parse("excl all", &st, err, sizeof(err));
	assert_int_equal(st, 0);
	assert_true(filter_states_given(f));
	filter_free(f);

	f = parse("sport = :22", &st, err, sizeof(err));
	assert_false(filter_states_given(f));
	filter_free(f);

	f = parse("state all sport = :22", &st, err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(st, ALL);
	filter_free(f);
}

/* Ports: every operator spelling, services, and ss's negations. */
static void test_ports(void **unused)
{
	struct sock_record r = rec4("10.0.0.1", 22, "10.0.0.2", 40000);

	(void)unused;
	assert_true(matches("sport = :22", &r));
	assert_true(matches("sport == 22", &r));
	assert_true(matches("sport eq :ssh", &r));
	assert_true(matches("sport :22", &r));
	assert_false(matches("sport != :22", &r));
	assert_false(matches("sport ne :22", &r));
	assert_true(matches("sport neq :23", &r));
	assert_true(matches("dport > :39999", &r));
	assert_false(matches("dport gt :40000", &r));
	assert_true(matches("dport >= :40000", &r));
	assert_true(matches("dport ge :40000", &r));
	assert_false(matches("dport < :40000", &r));
	assert_true(matches("dport lt :40001", &r));
	assert_true(matches("dport <= 40000", &r));
	assert_true(matches("dport le 0x9c40", &r));
	assert_false(matches("dport le :1024", &r));
	assert_true(matches("sport = *", &r));
}

/* Addresses: prefixes, ports, '*', brackets, v4-mapped, family mismatch. */
static void test_addresses(void **unused)
{
	struct sock_record r4 = rec4("10.1.2.3", 22, "192.168.0.9", 5000);
	struct sock_record r6 = rec6("2001:db8::1", 443, "::ffff:192.168.0.9",
				     6000);

	(void)unused;
	assert_true(matches("src 10.1.2.3", &r4));
	assert_true(matches("src = 10.1.2.3:22", &r4));
	assert_false(matches("src 10.1.2.3:23", &r4));
	assert_true(matches("src 10.0.0.0/8", &r4));
	assert_true(matches("src 10/8", &r4));
	assert_false(matches("src 10.1.3.0/24", &r4));
	assert_true(matches("dst 192.168.0.0/16:5000", &r4));
	assert_true(matches("dst *:5000", &r4));
	assert_true(matches("dst *", &r4));
	assert_false(matches("dst [::1]", &r4));
	assert_true(matches("src [2001:db8::1]:443", &r6));
	assert_true(matches("src 2001:db8::/32", &r6));
	assert_true(matches("src [2001:db8::/32]:443", &r6));
	assert_false(matches("src 10.0.0.0/8", &r6));
	/* An IPv4 condition matches a v4-mapped IPv6 address. */
	assert_true(matches("dst 192.168.0.9", &r6));
	assert_true(matches("dst 192.168.0.0/24:6000", &r6));
	/* A family mismatch fails even with a zero prefix, as in the kernel. */
	assert_false(matches("src 0.0.0.0/0", &r6));
	assert_true(matches("src any", &r6));
}

/* Unix sockets: ports are inodes; addresses never match unless "any". */
static void test_unix(void **unused)
{
	struct sock_record u = { .family = AF_UNIX, .netid = NETID_U_STR,
				 .inode = 1234, .peer_inode = 5678 };

	(void)unused;
	assert_true(matches("sport = :1234", &u));
	assert_true(matches("dport = :5678", &u));
	assert_false(matches("sport = :22", &u));
	assert_false(matches("src 10.0.0.1", &u));
	assert_true(matches("src *", &u));
}

/* Boolean structure: ss's left-to-right evaluation and adjacency. */
static void test_logic(void **unused)
{
	struct sock_record r = rec4("10.0.0.1", 22, "10.0.0.2", 80);

	(void)unused;
	assert_true(matches("sport = :22 dport = :80", &r));
	assert_false(matches("sport = :22 dport = :81", &r));
	assert_true(matches("sport = :22 and dport = :80", &r));
	assert_true(matches("sport = :22 && dport = :80", &r));
	assert_true(matches("sport = :1 or dport = :80", &r));
	assert_true(matches("sport = :1 || dport = :80", &r));
	assert_true(matches("not sport = :1", &r));
	assert_true(matches("! sport = :1", &r));
	/* (true or x) and false == false: left to right, like ss. */
	assert_false(matches("sport = :22 or sport = :1 and dport = :1", &r));
	assert_true(matches("sport = :22 or ( sport = :1 and dport = :1 )",
			    &r));
	assert_true(matches("( ( sport = :22 ) )", &r));
	assert_false(matches("! ( sport = :22 or dport = :1 )", &r));
	/* One argument holding several tokens, as ss splits it. */
	char arg[] = "sport = :22 and dport = :80";
	char *argv[] = { arg };
	char err[64];
	uint32_t st;
	struct filter *f = filter_parse(1, argv, &st, err, sizeof(err));
	assert_non_null(f);
	assert_true(filter_match(f, NULL, &r));
	filter_free(f);
	/* A -F file's text: lines, tabs, a final newline. */
	char file[] = "sport = :22\n\tand dport = :81\n";
	argv[0] = file;
	f = filter_parse(1, argv, &st, err, sizeof(err));
	assert_non_null(f);
	assert_false(filter_match(f, NULL, &r));
	filter_free(f);
}

/* Errors name the token (or the end of the filter). */
static void test_errors(void **unused)
{
	(void)unused;
	expect_error("state bogus", "unknown state at 'bogus'");
	expect_error("state", "a state name is expected at end of filter");
	expect_error("sport = :22 state established",
		     "state terms must come before the expression at 'state'");
	expect_error("frobnicate", "unknown filter term at 'frobnicate'");
	expect_error("sport = :notaservice",
		     "a port number or service name is expected at ':notaservice'");
	expect_error("sport = :70000",
		     "a port number or service name is expected at ':70000'");
	expect_error("sport =", "a port is expected at end of filter");
	expect_error("src 1.2.3.400",
		     "an address[/prefix][:port] is expected at '1.2.3.400'");
	expect_error("src ::1", "an address[/prefix][:port] is expected at '::1'");
	expect_error("src [::1", "an address[/prefix][:port] is expected at '[::1'");
	expect_error("src 10.0.0.0/33",
		     "an address[/prefix][:port] is expected at '10.0.0.0/33'");
	expect_error("src != 1.2.3.4",
		     "an address[/prefix][:port] is expected at '!='");
	expect_error("( sport = :22", "')' is expected at end of filter");
	expect_error("sport = :22 )", "unbalanced ')' at ')'");
	expect_error("sport = :22 and", "an expression is expected at end of filter");
	expect_error("( )", "unknown filter term at ')'");
	expect_error("not", "an expression is expected at end of filter");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
