/*
 * test-chain.c — frame codec version 2: sequences of evolving random
 * snapshots (sockets opened, closed, changed, reshaped) encoded as a chain
 * and decoded by a separate reader must come back exactly, frame by frame
 * and when replayed from the keyframe; idle sockets must cost nothing;
 * keyframe cadence; refusal of damaged frames and of a delta without its
 * keyframe.
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

#include "chain.h"
#include "randsnap.h"

#define SEC 1000000000ll

/* Append a copy of record r of snapshot src to dst; returns the copy. */
static struct sock_record *copy_record(struct snapshot *dst,
				       const struct snapshot *src,
				       const struct sock_record *r)
{
	struct sock_record *n = snapshot_copy_record(dst, src, r);

	assert_non_null(n);
	return n;
}

/* Change a few fields of r the way time changes a socket: queues, a
 * counter word of tcp_info (wrapping), the timer, sometimes the state. */
static void mutate(struct snapshot *s, struct sock_record *r)
{
	r->rqueue += (uint32_t)rnd_bits(12);
	r->wqueue = (uint32_t)rnd_bits(20);
	if (rnd() % 3 == 0)
		r->state = (uint8_t)(rnd() % 12);
	if (rnd() % 3 == 0) {
		r->timer = (uint8_t)(rnd() % 5);
		r->expires_ms = (uint32_t)rnd_bits(32);
	}
	if (rnd() % 4 == 0)
		r->skmem[rnd() % SR_SKMEM_MAX] = (uint32_t)rnd();
	if (rnd() % 5 == 0)
		r->cong = rnd_string(s, 8);
	for (uint32_t w = 0; 4 * w + 4 <= r->tcpi_len; w++)
		if (rnd() % 4 == 0) {
			uint8_t *p = s->bytes + r->tcpi_off + 4 * w;
			uint32_t v;
			memcpy(&v, p, 4);
			v += (uint32_t)rnd_bits(32);
			memcpy(p, &v, 4);
		}
}

/* The next snapshot after prev: some sockets gone, some new, some changed,
 * some reshaped (a blob length or owner changed), dt later. */
static void evolve(const struct snapshot *prev, struct snapshot *next,
		   int64_t dt)
{
	assert_int_equal(snapshot_init(next), 0);
	next->time_ns = prev->time_ns + dt;
	next->netns_ino = prev->netns_ino;
	for (size_t i = 0; i < prev->nrecs; i++) {
		uint64_t dice = rnd() % 20;
		if (dice == 0)
			continue;       /* closed */
		struct sock_record *r = copy_record(next, prev, &prev->recs[i]);
		if (dice < 6)
			mutate(next, r);
		else if (dice == 6)
			rnd_blob(next, &r->tcpi_off, &r->tcpi_len, 290);
		else if (dice == 7)
			r->proc_count = 0;
	}
	for (size_t k = rnd() % (prev->nrecs / 8 + 2); k > 0; k--)
		rnd_record(next, snapshot_add_record(next));
	snapshot_sort_dedupe(next);
}

/* Encode a sequence of evolving snapshots; a reader applying every frame
 * must materialize each snapshot exactly, and a fresh reader replaying from
 * the keyframe must reach the same. */
static void run_sequence(uint64_t seed, size_t n, int steps)
{
	struct snapshot *snaps = calloc((size_t)steps, sizeof(*snaps));
	uint8_t **blobs = calloc((size_t)steps, sizeof(*blobs));
	size_t *lens = calloc((size_t)steps, sizeof(*lens));
	int *keys = calloc((size_t)steps, sizeof(*keys));
	struct chain wr, rd;
	struct snapshot out;

	assert_int_equal(chain_init(&wr), 0);
	assert_int_equal(chain_init(&rd), 0);
	assert_int_equal(snapshot_init(&out), 0);
	rnd_snapshot(&snaps[0], n, seed);
	snapshot_sort_dedupe(&snaps[0]);
	snaps[0].time_ns = 1700000000 * SEC + (int64_t)(rnd() % SEC);
	for (int i = 0; i < steps; i++) {
		if (i > 0)
			evolve(&snaps[i - 1], &snaps[i],
			       (int64_t)(rnd() % (20 * SEC)));
		assert_int_equal(chain_encode(&wr, &snaps[i], 1, &blobs[i],
					      &lens[i], &keys[i]), 0);
		assert_int_equal(keys[i], i == 0 || keys[i]);
		assert_int_equal(chain_apply(&rd, blobs[i], lens[i]), 0);
		assert_int_equal(chain_materialize(&rd, &out, NULL, NULL), 0);
		assert_snapshot_equal(&snaps[i], &out);
	}
	int target = (int)(rnd() % (uint64_t)steps), key = target;
	while (!keys[key])
		key--;
	struct chain fresh;
	assert_int_equal(chain_init(&fresh), 0);
	for (int i = key; i <= target; i++)
		assert_int_equal(chain_apply(&fresh, blobs[i], lens[i]), 0);
	assert_int_equal(chain_materialize(&fresh, &out, NULL, NULL), 0);
	assert_snapshot_equal(&snaps[target], &out);
	chain_free(&fresh);
	for (int i = 0; i < steps; i++) {
		snapshot_free(&snaps[i]);
		free(blobs[i]);
	}
	free(snaps);
	free(blobs);
	free(lens);
	free(keys);
	snapshot_free(&out);
	chain_free(&wr);
	chain_free(&rd);
}

static void test_sequences(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 12; seed++)
		run_sequence(seed, 150, 25);
	run_sequence(99, 0, 5);
	run_sequence(100, 1, 10);
}

/* n idle established sockets at time t: tcp_info whose "ms since" words
 * count from fixed moments, and running keepalive timers. */
static void idle_snapshot(struct snapshot *s, size_t n, int64_t t)
{
	uint32_t t_ms = (uint32_t)((uint64_t)t / 1000000);

	assert_int_equal(snapshot_init(s), 0);
	s->time_ns = t;
	s->netns_ino = 4026531840u;
	for (size_t i = 0; i < n; i++) {
		struct sock_record *r = snapshot_add_record(s);
		uint32_t ti[58] = { 0 };
		r->cookie = 1000 + i;
		r->inode = 50000 + i;
		r->netid = NETID_TCP;
		r->family = 2;
		r->state = 1;
		r->timer = 2;
		r->expires_ms = 1000000u - t_ms % 1000000u;
		r->sport = 5000;
		r->dport = (uint16_t)(20000 + i);
		ti[2] = 204000;
		ti[11] = t_ms - (uint32_t)(1000 + i);      /* last data sent */
		ti[13] = t_ms - (uint32_t)(2000 + i);      /* last data recv */
		ti[14] = t_ms - (uint32_t)(1000 + i);      /* last ack recv */
		ti[20] = (uint32_t)(i * 7);
		r->tcpi_len = sizeof(ti);
		r->tcpi_off = (uint32_t)snapshot_add_bytes(s, ti, sizeof(ti));
		r->expires_ms = 1000000u + 3u * (uint32_t)i - t_ms % 1000000u;
	}
}

/* An idle socket costs nothing in a delta: only the header is left. */
static void test_idle_is_free(void **state)
{
	struct snapshot a, b, out;
	struct chain wr, rd;
	uint8_t *blob;
	size_t len;
	int key;

	(void)state;
	idle_snapshot(&a, 500, 1700000000 * SEC);
	idle_snapshot(&b, 500, 1700000000 * SEC + 10 * SEC + 3000000);
	assert_int_equal(chain_init(&wr), 0);
	assert_int_equal(chain_init(&rd), 0);
	assert_int_equal(snapshot_init(&out), 0);
	assert_int_equal(chain_encode(&wr, &a, 3, &blob, &len, &key), 0);
	assert_true(key);
	assert_int_equal(chain_apply(&rd, blob, len), 0);
	free(blob);
	assert_int_equal(chain_encode(&wr, &b, 3, &blob, &len, &key), 0);
	assert_false(key);
	assert_int_equal(len, 72);
	assert_int_equal(chain_apply(&rd, blob, len), 0);
	assert_int_equal(chain_materialize(&rd, &out, NULL, NULL), 0);
	assert_snapshot_equal(&b, &out);
	free(blob);
	snapshot_free(&a);
	snapshot_free(&b);
	snapshot_free(&out);
	chain_free(&wr);
	chain_free(&rd);
}

/* Keyframes start chains: at the first frame, then every CHAIN_MAX_FRAMES
 * frames while idle, and sooner when the deltas outweigh the keyframe. */
static void test_keyframe_cadence(void **state)
{
	struct chain wr;
	struct snapshot s;
	uint8_t *blob;
	size_t len;
	int key;

	(void)state;
	assert_int_equal(chain_init(&wr), 0);
	for (int i = 0; i < 2 * CHAIN_MAX_FRAMES + 1; i++) {
		idle_snapshot(&s, 20, 1700000000 * SEC + i * 10 * SEC);
		assert_int_equal(chain_encode(&wr, &s, 1, &blob, &len, &key), 0);
		assert_int_equal(key, i % CHAIN_MAX_FRAMES == 0);
		free(blob);
		snapshot_free(&s);
	}
	chain_reset(&wr);
	int keys = 0;
	rnd_snapshot(&s, 50, 7);
	snapshot_sort_dedupe(&s);
	for (int i = 0; i < 20; i++) {
		struct snapshot next;
		evolve(&s, &next, 10 * SEC);
		for (size_t k = 0; k < next.nrecs; k++)
			rnd_blob(&next, &next.recs[k].tcpi_off,
				 &next.recs[k].tcpi_len, 290);
		assert_int_equal(chain_encode(&wr, &next, 1, &blob, &len, &key), 0);
		keys += key;
		free(blob);
		snapshot_free(&s);
		s = next;
	}
	assert_true(keys >= 5);
	snapshot_free(&s);
	chain_free(&wr);
}

/* A keyframe and a delta of a random sequence, for the damage tests. */
static void two_frames(uint8_t **k, size_t *klen, uint8_t **d, size_t *dlen)
{
	struct chain wr;
	struct snapshot a, b;
	int key;

	assert_int_equal(chain_init(&wr), 0);
	rnd_snapshot(&a, 40, 3);
	snapshot_sort_dedupe(&a);
	evolve(&a, &b, 10 * SEC);
	assert_int_equal(chain_encode(&wr, &a, 1, k, klen, &key), 0);
	assert_int_equal(chain_encode(&wr, &b, 1, d, dlen, &key), 0);
	assert_false(key);
	snapshot_free(&a);
	snapshot_free(&b);
	chain_free(&wr);
}

/* Every truncation and every single bit flip of a delta is refused, and
 * the reader's chain is reset after it; a delta alone is refused. */
static void test_damage(void **state)
{
	uint8_t *k, *d;
	size_t klen, dlen;
	struct chain rd;

	(void)state;
	two_frames(&k, &klen, &d, &dlen);
	assert_int_equal(chain_init(&rd), 0);
	assert_int_equal(chain_apply(&rd, d, dlen), -EBADMSG);
	for (size_t n = 0; n < dlen; n++) {
		assert_int_equal(chain_apply(&rd, k, klen), 0);
		assert_int_equal(chain_apply(&rd, d, n), -EBADMSG);
		assert_int_equal(rd.frames, 0);
	}
	for (size_t bit = 0; bit < dlen * 8; bit += 3) {
		d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(chain_apply(&rd, k, klen), 0);
		int r = chain_apply(&rd, d, dlen);
		assert_true(r == -EBADMSG || (bit / 8 == 4 &&
					      r == -EPROTONOSUPPORT));
		d[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_int_equal(chain_apply(&rd, k, klen), 0);
	assert_int_equal(chain_apply(&rd, d, dlen), 0);
	free(k);
	free(d);
	chain_free(&rd);
}

/* Garbage never crashes the decoder. */
static void test_garbage(void **state)
{
	uint8_t buf[4096];
	struct chain rd;

	(void)state;
	assert_int_equal(chain_init(&rd), 0);
	rng_state = 42;
	for (int i = 0; i < 2000; i++) {
		size_t n = (size_t)(rnd() % sizeof(buf));
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rnd();
		if (n >= 4)
			memcpy(buf, "SKHF", 4);
		assert_true(chain_apply(&rd, buf, n) < 0);
	}
	chain_free(&rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_idle_is_free),
		cmocka_unit_test(test_keyframe_cadence),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
