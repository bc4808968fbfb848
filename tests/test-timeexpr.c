/*
 * test-timeexpr.c — TIME and DURATION parsing and ISO formatting.  TZ is set
 * to a POSIX rule for Central Europe (CET/CEST) so local-time cases are
 * deterministic without tzdata.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "timeexpr.h"

#define SEC 1000000000LL
#define UTC_2026_11_25_10 1795600800LL /* 2026-11-25T10:00:00Z */
#define UTC_2026_07_01_10 1782900000LL /* 2026-07-01T10:00:00Z */
#define NOW ((UTC_2026_11_25_10 + 5 * 3600) * SEC) /* 16:00 CET */

/* Parse s as an absolute TIME and return its ns. */
static int64_t abs_ns(const char *s)
{
	struct time_spec t;

	if (time_parse(s, NOW, &t) != 0)
		fail_msg("time_parse(\"%s\") failed", s);
	assert_int_equal(t.kind, TIME_ABSOLUTE);
	return t.time_ns;
}

static void bad_time(const char *s)
{
	struct time_spec t = { .kind = TIME_SNAPSHOT_ID, .snapshot_id = 77 };

	if (time_parse(s, NOW, &t) != -EINVAL)
		fail_msg("time_parse(\"%s\") accepted", s);
	assert_int_equal(t.snapshot_id, 77);
}

static void test_iso(void **state)
{
	const int64_t t = UTC_2026_11_25_10 * SEC;

	(void)state;
	assert_int_equal(abs_ns("2026-11-25T10:00:00Z"), t);
	assert_int_equal(abs_ns("2026-11-25 10:00:00z"), t);
	assert_int_equal(abs_ns("2026-11-25T10:00Z"), t);
	assert_int_equal(abs_ns("2026-11-25T12:00:00+02:00"), t);
	assert_int_equal(abs_ns("2026-11-25T12:00:00+0200"), t);
	assert_int_equal(abs_ns("2026-11-25T12:00:00+02"), t);
	assert_int_equal(abs_ns("2026-11-25T04:30:00-05:30"), t);
	assert_int_equal(abs_ns("2026-11-25T10:00:00.5Z"), t + SEC / 2);
	assert_int_equal(abs_ns("2026-11-25T10:00:00.123456789Z"), t + 123456789);
	/* local: CET in November (+1), CEST in July (+2) */
	assert_int_equal(abs_ns("2026-11-25T11:00:00"), t);
	assert_int_equal(abs_ns("2026-11-25 11:00"), t);
	assert_int_equal(abs_ns("2026-07-01T12:00:00"), UTC_2026_07_01_10 * SEC);
	assert_int_equal(abs_ns("2026-11-25"), t - 11 * 3600 * SEC);
	assert_int_equal(abs_ns("2028-02-29T00:00:00Z") / SEC, 1835395200LL);
	assert_int_equal(abs_ns("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(abs_ns("1969-12-31T23:59:59Z"), -SEC);
	/* the DST gap and the repeated hour still resolve */
	abs_ns("2026-03-29T02:30:00");
	abs_ns("2026-10-25T02:30:00");
}

static void test_iso_errors(void **state)
{
	(void)state;
	bad_time("2026-02-29T00:00:00Z");
	bad_time("2026-13-01");
	bad_time("2026-00-10");
	bad_time("2026-11-31");
	bad_time("2026-11-25T24:00:00");
	bad_time("2026-11-25T10:60");
	bad_time("2026-11-25T10:00:60");
	bad_time("2026-11-25T10");
	bad_time("2026-11-25T");
	bad_time("2026-11-25T10:00:00.");
	bad_time("2026-11-25T10:00:00.1234567890Z");
	bad_time("2026-11-25T10:00:00+24:00");
	bad_time("2026-11-25T10:00:00+02:60");
	bad_time("2026-11-25T10:00:00 Z");
	bad_time("2026-11-25T10:00:00Zjunk");
	bad_time("2026-1-25");
	bad_time("20261125");
	bad_time("999999999999-11-25");
}

static void test_clock(void **state)
{
	(void)state;
	/* NOW is 2026-11-25 16:00 local */
	assert_int_equal(abs_ns("10:00"), (UTC_2026_11_25_10 - 3600) * SEC);
	assert_int_equal(abs_ns("10:00:30.25"),
			 (UTC_2026_11_25_10 - 3600 + 30) * SEC + SEC / 4);
	assert_int_equal(abs_ns("00:00"), (UTC_2026_11_25_10 - 11 * 3600) * SEC);
	bad_time("24:00");
	bad_time("10:61");
	bad_time("1:00");
	bad_time("10:00:");
	bad_time("10:00x");
}

static void test_epoch_relative_now(void **state)
{
	struct time_spec t;

	(void)state;
	assert_int_equal(abs_ns("1795600800"), UTC_2026_11_25_10 * SEC);
	assert_int_equal(abs_ns("1795600800.25"), UTC_2026_11_25_10 * SEC + SEC / 4);
	assert_int_equal(abs_ns("123456789"), 123456789 * SEC);
	assert_int_equal(abs_ns("000000000"), 0);
	bad_time("0");
	bad_time("12345678");
	assert_int_equal(abs_ns("now"), NOW);
	assert_int_equal(abs_ns("-5m"), NOW - 300 * SEC);
	assert_int_equal(abs_ns("-90s"), NOW - 90 * SEC);
	assert_int_equal(abs_ns("-2h"), NOW - 7200 * SEC);
	assert_int_equal(abs_ns("-1d"), NOW - 86400 * SEC);
	assert_int_equal(abs_ns("-1h30m"), NOW - 5400 * SEC);
	assert_int_equal(abs_ns("-500ms"), NOW - SEC / 2);
	assert_int_equal(time_parse("@42", NOW, &t), 0);
	assert_int_equal(t.kind, TIME_SNAPSHOT_ID);
	assert_int_equal(t.snapshot_id, 42);
	bad_time("");
	bad_time("junk");
	bad_time("Now");
	bad_time("now ");
	bad_time("-");
	bad_time("-0s");
	bad_time("-5x");
	bad_time("--5m");
	bad_time("+5m");
	bad_time("@");
	bad_time("@0");
	bad_time("@-1");
	bad_time("@12x");
	bad_time("@99999999999999999999");
	bad_time("99999999999999999999");
	bad_time("9999999999999");
	bad_time("12.");
	bad_time(" 12");
}

/* Parse s as a DURATION and return its ns. */
static int64_t dur(const char *s)
{
	int64_t ns = -1;

	if (duration_parse(s, &ns) != 0)
		fail_msg("duration_parse(\"%s\") failed", s);
	return ns;
}

static void bad_dur(const char *s)
{
	int64_t ns = -1;

	if (duration_parse(s, &ns) != -EINVAL)
		fail_msg("duration_parse(\"%s\") accepted", s);
	assert_int_equal(ns, -1);
}

static void test_duration(void **state)
{
	(void)state;
	assert_int_equal(dur("1ns"), 1);
	assert_int_equal(dur("7us"), 7000);
	assert_int_equal(dur("500ms"), SEC / 2);
	assert_int_equal(dur("10s"), 10 * SEC);
	assert_int_equal(dur("90"), 90 * SEC);
	assert_int_equal(dur("1m"), 60 * SEC);
	assert_int_equal(dur("2h"), 7200 * SEC);
	assert_int_equal(dur("1d"), 86400 * SEC);
	assert_int_equal(dur("2w"), 14 * 86400 * SEC);
	assert_int_equal(dur("1h30m"), 5400 * SEC);
	assert_int_equal(dur("1m1s1ms"), 61 * SEC + SEC / 1000);
	assert_int_equal(dur("0s5ms"), SEC / 200);
	assert_int_equal(dur("106751d"), 106751LL * 86400 * SEC);
	bad_dur("");
	bad_dur("0");
	bad_dur("0s");
	bad_dur("0h0m");
	bad_dur("-5s");
	bad_dur("s");
	bad_dur("5x");
	bad_dur("5 s");
	bad_dur("1h30");
	bad_dur("1.5s");
	bad_dur("5S");
	bad_dur("106752d");
	bad_dur("9223372036854775807s");
	bad_dur("9223372036854775808");
	bad_dur("99999999999999999999ns");
	bad_dur("9223372036854775807ns1ns");
}

static void test_format(void **state)
{
	char buf[32];

	(void)state;
	time_format_iso(UTC_2026_11_25_10 * SEC + 123456789, 0, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-25T10:00:00Z");
	time_format_iso(UTC_2026_11_25_10 * SEC + 123456789, 1, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-25T10:00:00.123Z");
	time_format_iso(0, 1, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	time_format_iso(-1, 1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	assert_int_equal(abs_ns(buf), -SEC / 1000);
	assert_true(time_now_ns() > 1700000000 * SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_iso_errors),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_epoch_relative_now),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_format),
	};

	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
