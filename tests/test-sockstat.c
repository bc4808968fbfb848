/*
 * test-sockstat.c — reading the kernel's socket counters (recorder/
 * sockstat.c) from directories laid out like /proc/net, in
 * tests/fixtures/sockstat/:
 *   linux-6.18  real files of a test namespace holding the sockmix mix
 *               and five more connections (kernel 6.18);
 *   no-ipv6     real sockstat and snmp, no sockstat6 (a kernel without
 *               IPv6 has none);
 *   extra       unknown lines (MPTCP:, SCTP:, TIPC6:) and fields (limit,
 *               assocs), reordered fields (UDP: mem before inuse), a value
 *               that is not a number, and an snmp Tcp header with a new
 *               column before CurrEstab plus another protocol's CurrEstab.
 * Plus text cases: lines cut short, a names line without its values, and
 * a missing directory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sockstat.h"

#define ALL_V4 ((1u << KS_TCP6_INUSE) - 1)
#define ALL_V6 (((1u << KS_TCP_CURRESTAB) - 1) & ~ALL_V4)
#define ALL ((1u << KS_COUNT) - 1)

/* Read fixture directory name into ks; returns sockstat_read's result. */
static int read_fixture(const char *name, struct kstat *ks)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/sockstat/%s", FIXTURE_DIR, name);
	return sockstat_read(dir, ks);
}

/* Check every counter of ks against want (KS_COUNT values). */
static void expect(const struct kstat *ks, uint32_t present,
		   const int64_t *want)
{
	assert_int_equal(ks->present, present);
	for (int i = 0; i < KS_COUNT; i++)
		if (ks->v[i] != want[i])
			fail_msg("%s %s: %lld, expected %lld",
				 kstat_fields[i].label, kstat_fields[i].name,
				 (long long)ks->v[i], (long long)want[i]);
}

static void test_linux_6_18(void **state)
{
	struct kstat ks;
	const int64_t want[KS_COUNT] = {
		[KS_SOCKETS_USED] = 37, [KS_TCP_INUSE] = 15, [KS_TCP_TW] = 1,
		[KS_TCP_ALLOC] = 25, [KS_UDP_INUSE] = 2, [KS_RAW_INUSE] = 1,
		[KS_TCP6_INUSE] = 9, [KS_UDP6_INUSE] = 2,
		[KS_TCP_CURRESTAB] = 17,
	};

	(void)state;
	assert_int_equal(read_fixture("linux-6.18", &ks), 0);
	expect(&ks, ALL, want);
}

static void test_no_ipv6(void **state)
{
	struct kstat ks;
	const int64_t want[KS_COUNT] = {
		[KS_SOCKETS_USED] = 13, [KS_TCP_INUSE] = 1, [KS_TCP_ALLOC] = 1,
	};

	(void)state;
	assert_int_equal(read_fixture("no-ipv6", &ks), 0);
	expect(&ks, ALL & ~ALL_V6, want);
}

static void test_extra(void **state)
{
	struct kstat ks;
	const int64_t want[KS_COUNT] = {
		[KS_SOCKETS_USED] = 412, [KS_TCP_INUSE] = 27,
		[KS_TCP_ORPHAN] = 2, [KS_TCP_TW] = 14, [KS_TCP_ALLOC] = 31,
		[KS_TCP_MEM] = 5, [KS_UDP_INUSE] = 6, [KS_UDP_MEM] = 3,
		[KS_RAW_INUSE] = 2, [KS_FRAG_INUSE] = 1,
		[KS_FRAG_MEMORY] = 4096, [KS_TCP6_INUSE] = 8,
		[KS_UDP6_INUSE] = 3, [KS_RAW6_INUSE] = 1,
		[KS_TCP_CURRESTAB] = 23,
	};

	(void)state;
	assert_int_equal(read_fixture("extra", &ks), 0);
	expect(&ks, ALL & ~(1u << KS_UDPLITE6_INUSE), want);
}

static void test_text_edges(void **state)
{
	struct kstat ks = { 0 };
	const char *cut = "TCP: inuse 4 orphan\nRAW: inuse -3\nUDP:\n\n"
		"FRAG: inuse 12345678901234567890 memory 8\nsockets: used 9";
	const char *lonely = "Tcp: RtoAlgorithm CurrEstab\nUdp: InDatagrams\n"
		"Udp: 4\nTcp: CurrEstab\nTcp: 6";

	(void)state;
	sockstat_parse(cut, strlen(cut), &ks);
	assert_int_equal(ks.present, (1u << KS_TCP_INUSE) |
			 (1u << KS_RAW_INUSE) | (1u << KS_FRAG_MEMORY) |
			 (1u << KS_SOCKETS_USED));
	assert_int_equal(ks.v[KS_TCP_INUSE], 4);
	assert_int_equal(ks.v[KS_RAW_INUSE], -3);
	assert_int_equal(ks.v[KS_FRAG_MEMORY], 8);
	assert_int_equal(ks.v[KS_SOCKETS_USED], 9);

	/* A names line whose next line has another label has no values. */
	memset(&ks, 0, sizeof(ks));
	sockstat_parse_snmp(lonely, strlen(lonely), &ks);
	assert_int_equal(ks.present, 1u << KS_TCP_CURRESTAB);
	assert_int_equal(ks.v[KS_TCP_CURRESTAB], 6);
}

static void test_missing_dir(void **state)
{
	struct kstat ks;

	(void)state;
	memset(&ks, 0xff, sizeof(ks));
	assert_int_equal(read_fixture("no-such-dir", &ks), -ENOENT);
	assert_int_equal(ks.present, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_6_18),
		cmocka_unit_test(test_no_ipv6),
		cmocka_unit_test(test_extra),
		cmocka_unit_test(test_text_edges),
		cmocka_unit_test(test_missing_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
