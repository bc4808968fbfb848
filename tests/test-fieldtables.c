/*
 * test-fieldtables.c — the by-length readers (tcpinfo, ccinfo) against the
 * kernel's own uapi structs, and the JSON/CSV/format helpers of output.c.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ccinfo.h"
#include "output.h"
#include "tcpinfo.h"

#define CHECK_OFFSET(field, member) \
	assert_int_equal(tcpinfo_fields[field].offset, offsetof(struct tcp_info, member))

/* Every field the installed headers know sits where the kernel puts it. */
static void tcpinfo_offsets_match_uapi(void **state)
{
	(void)state;
	CHECK_OFFSET(TI_RTO, tcpi_rto);
	CHECK_OFFSET(TI_SND_MSS, tcpi_snd_mss);
	CHECK_OFFSET(TI_LAST_DATA_SENT, tcpi_last_data_sent);
	CHECK_OFFSET(TI_LAST_ACK_RECV, tcpi_last_ack_recv);
	CHECK_OFFSET(TI_RTT, tcpi_rtt);
	CHECK_OFFSET(TI_SND_CWND, tcpi_snd_cwnd);
	CHECK_OFFSET(TI_TOTAL_RETRANS, tcpi_total_retrans);
	CHECK_OFFSET(TI_PACING_RATE, tcpi_pacing_rate);
	CHECK_OFFSET(TI_BYTES_ACKED, tcpi_bytes_acked);
	CHECK_OFFSET(TI_BYTES_RECEIVED, tcpi_bytes_received);
	CHECK_OFFSET(TI_MIN_RTT, tcpi_min_rtt);
	CHECK_OFFSET(TI_DELIVERY_RATE, tcpi_delivery_rate);
	CHECK_OFFSET(TI_BUSY_TIME, tcpi_busy_time);
	CHECK_OFFSET(TI_DELIVERED_CE, tcpi_delivered_ce);
	CHECK_OFFSET(TI_BYTES_SENT, tcpi_bytes_sent);
	CHECK_OFFSET(TI_BYTES_RETRANS, tcpi_bytes_retrans);
	CHECK_OFFSET(TI_REORD_SEEN, tcpi_reord_seen);
	CHECK_OFFSET(TI_RCV_OOOPACK, tcpi_rcv_ooopack);
	CHECK_OFFSET(TI_SND_WND, tcpi_snd_wnd);
	for (int f = 1; f < TI_FIELD_COUNT; f++)
		assert_true(tcpinfo_fields[f].offset >= tcpinfo_fields[f - 1].offset);
}

/* Values come back as written; fields past the length are absent. */
static void tcpinfo_reads_by_length(void **state)
{
	(void)state;
	struct tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_snd_wscale = 7;
	ti.tcpi_rcv_wscale = 10;
	ti.tcpi_delivery_rate_app_limited = 1;
	ti.tcpi_fastopen_client_fail = 2;
	ti.tcpi_rtt = 12345;
	ti.tcpi_bytes_acked = 0x123456789abcULL;
	ti.tcpi_snd_wnd = 65536;
	uint8_t raw[sizeof(ti) + 48];
	memset(raw, 0xee, sizeof(raw));
	memcpy(raw + 1, &ti, sizeof(ti)); /* misaligned on purpose */
	const uint8_t *p = raw + 1;
	uint64_t v;

	assert_int_equal(tcpinfo_val(p, sizeof(ti), TI_SND_WSCALE), 7);
	assert_int_equal(tcpinfo_val(p, sizeof(ti), TI_RCV_WSCALE), 10);
	assert_int_equal(tcpinfo_val(p, sizeof(ti), TI_DELIVERY_RATE_APP_LIMITED), 1);
	assert_int_equal(tcpinfo_val(p, sizeof(ti), TI_FASTOPEN_CLIENT_FAIL), 2);
	assert_int_equal(tcpinfo_val(p, sizeof(ti), TI_RTT), 12345);
	assert_int_equal(tcpinfo_val(p, sizeof(ti), TI_BYTES_ACKED), 0x123456789abcULL);
	assert_true(tcpinfo_get(p, sizeof(ti), TI_SND_WND, &v));
	assert_int_equal(v, 65536);
	/* a 104-byte (old kernel) tcp_info has rtt but not bytes_acked */
	assert_true(tcpinfo_get(p, 104, TI_RTT, &v));
	assert_false(tcpinfo_get(p, 104, TI_BYTES_ACKED, &v));
	assert_int_equal(tcpinfo_val(p, 104, TI_BYTES_ACKED), 0);
	/* a field cut in half is absent, not half-read */
	assert_false(tcpinfo_get(p, offsetof(struct tcp_info, tcpi_rtt) + 2, TI_RTT, &v));
	/* fields newer than the installed headers exist when the bytes do */
	assert_false(tcpinfo_get(p, sizeof(ti), TI_TOTAL_RTO_TIME, &v));
	assert_true(tcpinfo_get(p, sizeof(ti) + 48, TI_TOTAL_RTO_TIME, &v));
}

/* Put one congestion-control struct into a snapshot record. */
static struct sock_record *cc_record(struct snapshot *s, uint8_t kind,
				     const void *data, size_t len)
{
	struct sock_record *r = snapshot_add_record(s);
	assert_non_null(r);
	int64_t off = snapshot_add_bytes(s, data, len);
	assert_true(off >= 0);
	r->ccinfo_kind = kind;
	r->ccinfo_off = (uint32_t)off;
	r->ccinfo_len = (uint32_t)len;
	return r;
}

/* vegas, dctcp and bbr structs decode field by field; short ones do not. */
static void ccinfo_decodes_uapi_structs(void **state)
{
	(void)state;
	struct snapshot s;
	struct cc_info cc;
	assert_int_equal(snapshot_init(&s), 0);

	struct tcp_bbr_info bbr = { .bbr_bw_lo = 5, .bbr_bw_hi = 1, .bbr_min_rtt = 18,
				    .bbr_pacing_gain = 739, .bbr_cwnd_gain = 512 };
	assert_true(ccinfo_decode(&s, cc_record(&s, INET_DIAG_BBRINFO, &bbr, sizeof(bbr)), &cc));
	assert_int_equal(cc.kind, CC_BBR);
	assert_int_equal(cc.u.bbr.bw, (1ULL << 32) | 5);
	assert_int_equal(cc.u.bbr.min_rtt_us, 18);
	assert_int_equal(cc.u.bbr.pacing_gain, 739);
	assert_int_equal(cc.u.bbr.cwnd_gain, 512);

	struct tcp_dctcp_info d = { .dctcp_enabled = 1, .dctcp_ce_state = 2,
				    .dctcp_alpha = 3, .dctcp_ab_ecn = 4, .dctcp_ab_tot = 5 };
	assert_true(ccinfo_decode(&s, cc_record(&s, INET_DIAG_DCTCPINFO, &d, sizeof(d)), &cc));
	assert_int_equal(cc.kind, CC_DCTCP);
	assert_int_equal(cc.u.dctcp.ce_state, 2);
	assert_int_equal(cc.u.dctcp.ab_tot, 5);

	struct tcpvegas_info vg = { .tcpv_enabled = 1, .tcpv_rttcnt = 9,
				    .tcpv_rtt = 700, .tcpv_minrtt = 600 };
	assert_true(ccinfo_decode(&s, cc_record(&s, INET_DIAG_VEGASINFO, &vg, sizeof(vg)), &cc));
	assert_int_equal(cc.kind, CC_VEGAS);
	assert_int_equal(cc.u.vegas.rtt_us, 700);

	assert_false(ccinfo_decode(&s, cc_record(&s, INET_DIAG_BBRINFO, &bbr, 12), &cc));
	assert_int_equal(cc.kind, CC_NONE);
	struct sock_record *bad = cc_record(&s, INET_DIAG_BBRINFO, &bbr, sizeof(bbr));
	bad->ccinfo_off = (uint32_t)s.nbytes - 4; /* runs past the pool */
	assert_false(ccinfo_decode(&s, bad, &cc));
	snapshot_free(&s);
}

/* Run a writer into a memory stream and return what it wrote. */
static char *capture(void (*fn)(FILE *, const char *), const char *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fn(f, arg);
	fclose(f);
	return buf;
}

/* JSON escaping and CSV quoting of awkward strings. */
static void json_and_csv_escaping(void **state)
{
	(void)state;
	char *out = capture(json_write_string, "a\"b\\c\n\x01\x7f\xc3\xa9");
	assert_string_equal(out, "\"a\\\"b\\\\c\\n\\u0001\\u007f\xc3\xa9\"");
	free(out);
	out = capture(json_write_string, NULL);
	assert_string_equal(out, "\"\"");
	free(out);
	out = capture(csv_write_field, "plain");
	assert_string_equal(out, "plain");
	free(out);
	out = capture(csv_write_field, "a,\"b\"\nc");
	assert_string_equal(out, "\"a,\"\"b\"\"\nc\"");
	free(out);
	enum out_format fmt;
	assert_int_equal(out_format_parse("csv", &fmt), 0);
	assert_int_equal(fmt, OUT_CSV);
	assert_int_equal(out_format_parse("JSON", &fmt), -EINVAL);
	assert_int_equal(out_format_parse(NULL, &fmt), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcpinfo_offsets_match_uapi),
		cmocka_unit_test(tcpinfo_reads_by_length),
		cmocka_unit_test(ccinfo_decodes_uapi_structs),
		cmocka_unit_test(json_and_csv_escaping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
