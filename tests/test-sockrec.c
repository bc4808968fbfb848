/*
 * test-sockrec.c — unit tests for snapshot building: interning, pools,
 * cookie sort/dedupe and counting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sockenum.h"
#include "sockrec.h"

static void intern_dedupes_and_survives_growth(void **state)
{
	(void)state;
	struct snapshot s;
	assert_int_equal(snapshot_init(&s), 0);
	assert_int_equal(snapshot_intern(&s, "", 0), 0);
	int64_t a = snapshot_intern(&s, "cubic", 5);
	int64_t b = snapshot_intern(&s, "cubicX", 5);
	assert_true(a > 0);
	assert_int_equal(a, b);
	char name[32];
	int64_t offs[5000];
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "/run/sock.%d", i);
		offs[i] = snapshot_intern(&s, name, strlen(name));
		assert_true(offs[i] > 0);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "/run/sock.%d", i);
		assert_int_equal(snapshot_intern(&s, name, strlen(name)), offs[i]);
		assert_string_equal(snapshot_str(&s, (uint32_t)offs[i]), name);
	}
	assert_int_equal(s.str_count, 5001);
	assert_string_equal(snapshot_str(&s, (uint32_t)a), "cubic");
	assert_string_equal(snapshot_str(&s, 0), "");
	assert_string_equal(snapshot_str(&s, UINT32_MAX), "");
	snapshot_reset(&s);
	assert_int_equal(snapshot_intern(&s, "bbr", 3), 1);
	snapshot_free(&s);
}

static void sort_dedupe_keeps_one_per_cookie(void **state)
{
	(void)state;
	struct snapshot s;
	assert_int_equal(snapshot_init(&s), 0);
	const uint64_t cookies[] = { 9, 3, 7, 3, 1, 9, 9, 2 };
	for (size_t i = 0; i < sizeof(cookies) / sizeof(cookies[0]); i++) {
		struct sock_record *r = snapshot_add_record(&s);
		assert_non_null(r);
		r->cookie = cookies[i];
		r->netid = (uint8_t)(cookies[i] % NETID_FRAME_COLS);
	}
	snapshot_sort_dedupe(&s);
	assert_int_equal(s.nrecs, 5);
	const uint64_t want[] = { 1, 2, 3, 7, 9 };
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(s.recs[i].cookie, want[i]);
	uint32_t counts[NETID_COUNT];
	snapshot_count(&s, counts);
	uint32_t total = 0;
	for (int i = 0; i < NETID_COUNT; i++)
		total += counts[i];
	assert_int_equal(total, 5);
	assert_int_equal(counts[1], 2); /* cookies 1 and 7 */
	snapshot_free(&s);
}

static void processes_and_bytes(void **state)
{
	(void)state;
	struct snapshot s;
	assert_int_equal(snapshot_init(&s), 0);
	uint8_t raw[7] = { 1, 2, 3, 4, 5, 6, 7 };
	assert_int_equal(snapshot_add_bytes(&s, raw, 7), 0);
	assert_int_equal(snapshot_add_bytes(&s, raw, 3), 7);
	assert_int_equal(s.nbytes, 10);
	assert_int_equal(snapshot_add_process(&s, 10, 3, "nginx"), 0);
	assert_int_equal(snapshot_add_process(&s, 11, 4, "nginx"), 0);
	assert_int_equal(s.nprocs, 2);
	assert_int_equal(s.procs[0].comm, s.procs[1].comm);
	assert_string_equal(snapshot_str(&s, s.procs[1].comm), "nginx");
	snapshot_free(&s);
}

static void names_match_ss(void **state)
{
	(void)state;
	assert_string_equal(state_name(SS_ESTABLISHED), "ESTAB");
	assert_string_equal(state_name(SS_CLOSE), "UNCONN");
	assert_string_equal(state_name(200), "UNKNOWN");
	assert_int_equal(state_from_name("time-wait"), SS_TIME_WAIT);
	assert_int_equal(state_from_name("bogus"), -1);
	assert_string_equal(netid_name(NETID_U_SEQ), "u_seq");
	assert_int_equal(netid_from_name("raw"), NETID_RAW);
	assert_int_equal(netid_from_name("sctp"), NETID_SCTP);
	assert_string_equal(netid_name(NETID_NETLINK), "nl");
	assert_int_equal(netid_from_name("p_dgr"), NETID_P_DGR);
	assert_int_equal(netid_from_name("dccp"), -1);
	assert_string_equal(timer_name(3), "timewait");
	assert_string_equal(timer_name(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(intern_dedupes_and_survives_growth),
		cmocka_unit_test(sort_dedupe_keeps_one_per_cookie),
		cmocka_unit_test(processes_and_bytes),
		cmocka_unit_test(names_match_ss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
