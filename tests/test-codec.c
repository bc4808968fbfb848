/*
 * test-codec.c — the frame codec: exact round trips of hand-built and
 * randomized snapshots, refusal of every truncation and of corrupted blobs
 * (a corrupted blob must decode to an error or to the original, never to
 * something else and never crash), encoder input checks, and a size/speed
 * measurement on a realistic 50k-socket snapshot.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/tcp.h>
#include <cmocka.h>

#include "codec.h"
#include "randsnap.h"


/* Encode a, decode into a fresh snapshot, compare. */
static void round_trip(const struct snapshot *a, int level)
{
	struct snapshot b;
	uint8_t *blob;
	size_t len;

	assert_int_equal(codec_encode(a, level, &blob, &len), 0);
	assert_int_equal(snapshot_init(&b), 0);
	assert_int_equal(codec_decode(CODEC_COLUMNAR_V1, blob, len, &b), 0);
	assert_snapshot_equal(a, &b);
	snapshot_free(&b);
	free(blob);
}

static void test_empty(void **state)
{
	struct snapshot s;

	(void)state;
	assert_int_equal(snapshot_init(&s), 0);
	s.time_ns = -5;
	round_trip(&s, 1);
	snapshot_free(&s);
}

/* A TCP socket with tcp_info and an owner, and an abstract unix socket. */
static void test_hand_built(void **state)
{
	struct snapshot s;
	uint8_t tcpi[233];

	(void)state;
	assert_int_equal(snapshot_init(&s), 0);
	s.time_ns = 1795600800000000000;
	s.netns_ino = 4026531840u;
	struct sock_record *r = snapshot_add_record(&s);
	r->cookie = 12345;
	r->inode = 99887;
	r->netid = NETID_TCP;
	r->family = AF_INET;
	r->state = 1;
	r->sport = 443;
	r->dport = 51234;
	r->has = SR_HAS_SKMEM | SR_HAS_CONG;
	r->skmem_count = 9;
	r->skmem[1] = 131072;
	memcpy(r->src, "\x0a\x00\x00\x01", 4);
	memcpy(r->dst, "\xc0\xa8\x01\x02", 4);
	r->cong = (uint32_t)snapshot_intern(&s, "cubic", 5);
	for (size_t i = 0; i < sizeof(tcpi); i++)
		tcpi[i] = (uint8_t)i;
	r->tcpi_off = (uint32_t)snapshot_add_bytes(&s, tcpi, sizeof(tcpi));
	r->tcpi_len = sizeof(tcpi);
	r->proc_first = 0;
	r->proc_count = 2;
	assert_int_equal(snapshot_add_process(&s, 100, 3, "nginx"), 0);
	assert_int_equal(snapshot_add_process(&s, 101, 7, "nginx"), 0);
	r = snapshot_add_record(&s);
	r->cookie = 12340;
	r->netid = NETID_U_STR;
	r->family = AF_UNIX;
	r->name = (uint32_t)snapshot_intern(&s, "@/tmp/.X11-unix/X0", 18);
	r->proc_first = 2;
	r->proc_count = 0;
	round_trip(&s, 1);
	round_trip(&s, 19);
	snapshot_free(&s);
}

/* Hundreds of random records, many seeds, several levels. */
static void test_random(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct snapshot s;
		rnd_snapshot(&s, 50 + (size_t)(seed * 13 % 400), seed);
		round_trip(&s, (int)(seed % 3) + 1);
		snapshot_free(&s);
	}
}

/* Decoding into a snapshot that already holds data replaces it. */
static void test_decode_reuses(void **state)
{
	struct snapshot a, b;
	uint8_t *blob;
	size_t len;

	(void)state;
	rnd_snapshot(&a, 100, 7);
	rnd_snapshot(&b, 300, 8);
	assert_int_equal(codec_encode(&a, 1, &blob, &len), 0);
	assert_int_equal(codec_decode(CODEC_COLUMNAR_V1, blob, len, &b), 0);
	assert_snapshot_equal(&a, &b);
	free(blob);
	snapshot_free(&a);
	snapshot_free(&b);
}

/* Every prefix of a blob is refused and leaves the output empty. */
static void test_truncated(void **state)
{
	struct snapshot a, b;
	uint8_t *blob;
	size_t len;

	(void)state;
	rnd_snapshot(&a, 60, 3);
	assert_int_equal(codec_encode(&a, 1, &blob, &len), 0);
	assert_int_equal(snapshot_init(&b), 0);
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, blob, n);
		assert_int_equal(codec_decode(CODEC_COLUMNAR_V1, copy, n, &b),
				 -EBADMSG);
		assert_int_equal(b.nrecs, 0);
		free(copy);
	}
	free(blob);
	snapshot_free(&a);
	snapshot_free(&b);
}

/* Random corruptions: flips, byte overwrites, and trailing garbage.  The
 * decoder must fail or reproduce the original exactly. */
static void test_corrupted(void **state)
{
	struct snapshot a, b;
	uint8_t *blob;
	size_t len;
	int refused = 0;

	(void)state;
	rnd_snapshot(&a, 120, 5);
	assert_int_equal(codec_encode(&a, 1, &blob, &len), 0);
	assert_int_equal(snapshot_init(&b), 0);
	uint8_t *copy = malloc(len + 8);
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(copy, blob, len);
		size_t n = len;
		int kind = iter % 3, hits = 1 + (int)(rnd() % 3);
		for (int h = 0; h < hits; h++) {
			size_t at = rnd() % len;
			if (kind == 0)
				copy[at] ^= (uint8_t)(1u << (rnd() % 8));
			else if (kind == 1)
				copy[at] = (uint8_t)rnd();
		}
		if (kind == 2)
			copy[n++] = (uint8_t)rnd();
		int r = codec_decode(CODEC_COLUMNAR_V1, copy, n, &b);
		if (r == 0 && memcmp(copy, blob, len) != 0)
			assert_snapshot_equal(&a, &b);
		refused += r < 0;
		assert_true(r == 0 || r == -EBADMSG);
	}
	assert_true(refused > 2900);
	free(copy);
	free(blob);
	snapshot_free(&a);
	snapshot_free(&b);
}

/* Pure garbage and garbage behind a valid header never crash. */
static void test_garbage(void **state)
{
	struct snapshot a, b;
	uint8_t *blob, buf[4096];
	size_t len;

	(void)state;
	rnd_snapshot(&a, 10, 11);
	assert_int_equal(codec_encode(&a, 1, &blob, &len), 0);
	assert_int_equal(snapshot_init(&b), 0);
	for (int iter = 0; iter < 500; iter++) {
		size_t n = rnd() % sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		if (iter % 2 && n > 48)
			memcpy(buf, blob, 48);
		assert_int_equal(codec_decode(CODEC_COLUMNAR_V1, buf, n, &b),
				 -EBADMSG);
	}
	assert_int_equal(codec_decode(2, blob, len, &b), -EPROTONOSUPPORT);
	assert_int_equal(codec_decode(0, blob, len, &b), -EPROTONOSUPPORT);
	free(blob);
	snapshot_free(&a);
	snapshot_free(&b);
}

/* The encoder refuses a snapshot whose references leave its pools. */
static void test_encode_invalid(void **state)
{
	struct snapshot s;
	uint8_t *blob = NULL;
	size_t len;

	(void)state;
	rnd_snapshot(&s, 20, 13);
	s.recs[5].tcpi_off = (uint32_t)s.nbytes;
	s.recs[5].tcpi_len = 4;
	assert_int_equal(codec_encode(&s, 1, &blob, &len), -EINVAL);
	s.recs[5].tcpi_len = 0;
	s.recs[6].name = (uint32_t)s.strpool_len;
	assert_int_equal(codec_encode(&s, 1, &blob, &len), -EINVAL);
	s.recs[6].name = 0;
	s.recs[7].proc_first = (uint32_t)s.nprocs;
	s.recs[7].proc_count = 1;
	assert_int_equal(codec_encode(&s, 1, &blob, &len), -EINVAL);
	s.recs[7].proc_count = 0;
	s.recs[8].netid = NETID_COUNT;
	assert_int_equal(codec_encode(&s, 1, &blob, &len), -EINVAL);
	assert_null(blob);
	snapshot_free(&s);
}

/* A plausible tcp_info for an established connection. */
static void real_tcpinfo(struct snapshot *s, struct sock_record *r)
{
	struct tcp_info ti = { 0 };

	ti.tcpi_state = 1;
	ti.tcpi_options = 7;
	ti.tcpi_snd_wscale = 7;
	ti.tcpi_rcv_wscale = 7;
	ti.tcpi_rto = 204000 + (uint32_t)(rnd() % 4) * 4000;
	ti.tcpi_ato = 40000;
	ti.tcpi_snd_mss = 1448;
	ti.tcpi_rcv_mss = rnd() % 2 ? 1448 : 536;
	ti.tcpi_last_data_sent = (uint32_t)(rnd() % 600000);
	ti.tcpi_last_data_recv = (uint32_t)(rnd() % 600000);
	ti.tcpi_last_ack_recv = (uint32_t)(rnd() % 600000);
	ti.tcpi_pmtu = 1500;
	ti.tcpi_rcv_ssthresh = 64076;
	ti.tcpi_rtt = 200 + (uint32_t)(rnd() % 80000);
	ti.tcpi_rttvar = ti.tcpi_rtt / 2;
	ti.tcpi_snd_ssthresh = rnd() % 4 ? 0x7fffffff : 20;
	ti.tcpi_snd_cwnd = 10 + (uint32_t)(rnd() % 4);
	ti.tcpi_advmss = 1448;
	ti.tcpi_reordering = 3;
	ti.tcpi_rcv_space = 14480;
	ti.tcpi_total_retrans = rnd() % 10 ? 0 : (uint32_t)(rnd() % 5);
	ti.tcpi_pacing_rate = rnd() % 50000000;
	ti.tcpi_max_pacing_rate = UINT64_MAX;
	ti.tcpi_bytes_acked = rnd() % 100000000;
	ti.tcpi_bytes_received = rnd() % 10000000;
	ti.tcpi_segs_out = (uint32_t)(ti.tcpi_bytes_acked / 1000 + 3);
	ti.tcpi_segs_in = (uint32_t)(ti.tcpi_bytes_received / 800 + 3);
	ti.tcpi_min_rtt = ti.tcpi_rtt / 3;
	ti.tcpi_data_segs_out = ti.tcpi_segs_out - 2;
	ti.tcpi_data_segs_in = ti.tcpi_segs_in - 2;
	ti.tcpi_delivery_rate = rnd() % 20000000;
	ti.tcpi_busy_time = rnd() % 1000000;
	ti.tcpi_delivered = ti.tcpi_data_segs_out;
	ti.tcpi_bytes_sent = ti.tcpi_bytes_acked;
	ti.tcpi_snd_wnd = 64256 + (uint32_t)(rnd() % 4) * 1024;
	r->tcpi_off = (uint32_t)snapshot_add_bytes(s, &ti, sizeof(ti));
	r->tcpi_len = sizeof(ti);
}

/* One socket of a busy HTTPS front end: mostly established TCP to :443
 * from many clients, some TIME-WAIT, listeners, UDP, and unix sockets. */
static void real_record(struct snapshot *s, struct sock_record *r, size_t i,
			uint64_t *cookie, uint64_t *inode)
{
	unsigned kind = (unsigned)(rnd() % 100);

	*cookie += 1 + rnd() % 8;
	*inode += 1 + rnd() % 4;
	r->cookie = *cookie;
	r->family = AF_INET;
	r->src[0] = 10, r->src[3] = 5;
	if (kind < 70) {
		r->netid = NETID_TCP;
		r->state = 1;
		r->inode = *inode;
		r->uid = 33;
		r->sport = 443;
		r->dport = (uint16_t)(32768 + rnd() % 28000);
		uint32_t ip = (uint32_t)rnd();
		memcpy(r->dst, &ip, 4);
		r->has = SR_HAS_SKMEM | SR_HAS_CONG | SR_HAS_CGROUP | SR_HAS_TOS;
		r->cgroup_id = 4242;
		r->timer = 2;
		r->expires_ms = (uint32_t)(rnd() % 7200000);
		r->skmem_count = 9;
		r->skmem[1] = 131072;
		r->skmem[3] = 87040;
		r->skmem[4] = rnd() % 3 ? 0 : 4096;
		r->cong = (uint32_t)snapshot_intern(s, "cubic", 5);
		real_tcpinfo(s, r);
		r->proc_first = (uint32_t)s->nprocs;
		r->proc_count = 1;
		snapshot_add_process(s, 2000 + (uint32_t)(i % 8), 10 + (uint32_t)(i / 8),
				     "nginx");
	} else if (kind < 85) {
		r->netid = NETID_TCP;
		r->state = 6;
		r->timer = 3;
		r->expires_ms = (uint32_t)(rnd() % 60000);
		r->sport = 443;
		r->dport = (uint16_t)(32768 + rnd() % 28000);
		uint32_t ip = (uint32_t)rnd();
		memcpy(r->dst, &ip, 4);
	} else if (kind < 88) {
		r->netid = NETID_UDP;
		r->state = 7;
		r->inode = *inode;
		r->sport = (uint16_t)(rnd() % 65536);
		r->has = SR_HAS_SKMEM;
		r->skmem_count = 9;
		r->skmem[1] = 212992;
	} else {
		r->netid = NETID_U_STR;
		r->family = AF_UNIX;
		memset(r->src, 0, 4);
		r->state = rnd() % 10 ? 1 : 10;
		r->inode = *inode;
		r->peer_inode = (uint32_t)(*inode + 1);
		r->has = SR_HAS_PEER | SR_HAS_RQLEN | SR_HAS_SHUTDOWN;
		if (r->state == 10)
			r->name = (uint32_t)snapshot_intern(s,
				"/run/systemd/journal/stdout", 27);
	}
}

/* Build a realistic snapshot of n sockets, sorted by cookie. */
static void real_snapshot(struct snapshot *s, size_t n)
{
	uint64_t cookie = 1u << 20, inode = 100000;

	rng_state = 42;
	assert_int_equal(snapshot_init(s), 0);
	s->time_ns = 1795600800000000000;
	for (size_t i = 0; i < n; i++)
		real_record(s, snapshot_add_record(s), i, &cookie, &inode);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
		(double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Print bytes/socket and encode/decode time per level for 50k sockets;
 * checks the round trip but not the timing (sanitizer builds are slow). */
static void test_measure(void **state)
{
	struct snapshot s, d;
	const size_t n = 50000;

	(void)state;
	real_snapshot(&s, n);
	assert_int_equal(snapshot_init(&d), 0);
	for (int level = 1; level <= 3; level++) {
		uint8_t *blob;
		size_t len;
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(codec_encode(&s, level, &blob, &len), 0);
		double enc = ms_since(&t0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(codec_decode(CODEC_COLUMNAR_V1, blob, len, &d), 0);
		double dec = ms_since(&t0);
		uint32_t raw;
		memcpy(&raw, blob + 24, 4);
		printf("# level %d: %zu sockets, %zu bytes (raw %u), %.1f "
		       "B/socket, encode %.1f ms (%.0f MB/s raw), decode %.1f "
		       "ms\n", level, n, len, raw, (double)len / (double)n,
		       enc, raw / enc / 1e3, dec);
		assert_snapshot_equal(&s, &d);
		free(blob);
	}
	snapshot_free(&s);
	snapshot_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_hand_built),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_decode_reuses),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_encode_invalid),
		cmocka_unit_test(test_measure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
