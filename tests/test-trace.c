/*
 * test-trace.c — the database-free parts of `sockhist trace`
 * (analyzer/socktrace.c): LOCAL and PEER as ss prints them (and what is
 * refused), samples read from a recorded tcp_info by field name, and the
 * interval values: state changes, bytes and retransmits since the
 * previous sample that had tcp_info (from the socket's start for the
 * first), across a sample without tcp_info (TIME-WAIT).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "sockenum.h"
#include "socktrace.h"
#include "tcpinfo.h"

static void test_endpoints(void **state)
{
	struct endpoint e;
	uint8_t v4[4] = { 127, 0, 0, 2 }, v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	(void)state;
	assert_int_equal(endpoint_parse("127.0.0.2:40000", &e), 0);
	assert_int_equal(e.family, AF_INET);
	assert_memory_equal(e.addr, v4, 4);
	assert_int_equal(e.port, 40000);
	v6[15] = 5;
	assert_int_equal(endpoint_parse("[2001:db8::5]:443", &e), 0);
	assert_int_equal(e.family, AF_INET6);
	assert_memory_equal(e.addr, v6, 16);
	assert_int_equal(e.port, 443);
	assert_int_equal(endpoint_parse("[::ffff:127.0.0.1]:1", &e), 0);
	assert_int_equal(e.family, AF_INET6);
	assert_int_equal(endpoint_parse("*:22", &e), 0);
	assert_int_equal(e.family, 0);
	assert_int_equal(e.port, 22);
	assert_int_equal(endpoint_parse("8080", &e), 0);
	assert_int_equal(e.family, 0);
	assert_int_equal(e.port, 8080);
	assert_int_equal(endpoint_parse("0.0.0.0:*", &e), 0);
	assert_int_equal(e.family, AF_INET);
	assert_int_equal(e.port, 0);

	const char *bad[] = {
		"", "x", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3:80",
		"::1:80", "[::1]", "[::1:80", "[1.2.3.4]:80", "host:80",
		"1.2.3.4:-1", "1.2.3.4:+5", "1.2.3.4:80x", "[]:80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (endpoint_parse(bad[i], &e) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

/* Put value v into field f of a raw tcp_info. */
static void put(uint8_t *ti, enum tcpinfo_field f, uint64_t v)
{
	const struct tcpinfo_field_desc *d = &tcpinfo_fields[f];

	if (d->size == 8)
		memcpy(ti + d->offset, &v, 8);
	else {
		uint32_t w = (uint32_t)v;
		memcpy(ti + d->offset, &w, 4);
	}
}

/* A record of s in state st with a tcp_info of len bytes (0: none). */
static const struct sock_record *record(struct snapshot *s, int st,
					size_t len, uint64_t sent,
					uint64_t received, uint32_t retrans)
{
	uint8_t ti[280] = { 0 };
	struct sock_record *r;
	int64_t off;

	put(ti, TI_RTT, 1500);
	put(ti, TI_SND_CWND, 10);
	put(ti, TI_BYTES_ACKED, sent + 1000000);
	put(ti, TI_BYTES_SENT, sent);
	put(ti, TI_BYTES_RECEIVED, received);
	put(ti, TI_TOTAL_RETRANS, retrans);
	off = len ? snapshot_add_bytes(s, ti, len) : 0;
	r = snapshot_add_record(s);
	r->state = (uint8_t)st;
	r->rqueue = 7;
	r->wqueue = 9;
	r->tcpi_off = (uint32_t)off;
	r->tcpi_len = (uint32_t)len;
	return r;
}

static void test_samples(void **state)
{
	struct snapshot s;
	struct trace_sample x[5];
	struct trace_interval iv;

	(void)state;
	assert_int_equal(snapshot_init(&s), 0);
	trace_sample_of(&s, record(&s, SS_ESTABLISHED, 280, 100, 3000, 0), 4,
			40, &x[0]);
	assert_true(x[0].has_tcp_info);
	assert_int_equal(x[0].snapshot, 4);
	assert_int_equal(x[0].time_ns, 40);
	assert_int_equal(x[0].recv_q, 7);
	assert_int_equal(x[0].send_q, 9);
	assert_int_equal(x[0].rtt_us, 1500);
	assert_int_equal(x[0].snd_cwnd, 10);
	assert_int_equal(x[0].bytes_sent, 100);
	assert_int_equal(x[0].bytes_received, 3000);
	trace_sample_of(&s, record(&s, SS_ESTABLISHED, 280, 150, 3500, 2), 5,
			50, &x[1]);
	trace_sample_of(&s, record(&s, SS_CLOSE_WAIT, 280, 150, 3501, 3), 6,
			60, &x[2]);
	trace_sample_of(&s, record(&s, SS_TIME_WAIT, 0, 0, 0, 0), 7, 70, &x[3]);
	assert_false(x[3].has_tcp_info);
	/* a kernel older than tcpi_bytes_sent: bytes_acked instead */
	trace_sample_of(&s, record(&s, SS_CLOSE_WAIT, 160, 180, 3600, 3), 8,
			80, &x[4]);
	assert_true(x[4].has_tcp_info);
	assert_int_equal(x[4].bytes_sent, 1000180);
	assert_int_equal(x[4].bytes_received, 3600);

	trace_interval_of(NULL, NULL, &x[0], &iv);
	assert_false(iv.state_changed);
	assert_true(iv.has_counts);
	assert_int_equal(iv.sent, 100);
	assert_int_equal(iv.received, 3000);
	assert_int_equal(iv.retrans, 0);
	trace_interval_of(&x[0], &x[0], &x[1], &iv);
	assert_false(iv.state_changed);
	assert_int_equal(iv.sent, 50);
	assert_int_equal(iv.received, 500);
	assert_int_equal(iv.retrans, 2);
	trace_interval_of(&x[1], &x[1], &x[2], &iv);
	assert_true(iv.state_changed);
	assert_int_equal(iv.received, 1);
	trace_interval_of(&x[2], &x[2], &x[3], &iv);
	assert_true(iv.state_changed);
	assert_false(iv.has_counts);
	/* counted against the last sample with tcp_info */
	trace_interval_of(&x[3], &x[2], &x[1], &iv);
	assert_true(iv.state_changed);
	assert_int_equal(iv.received, 3500);
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
