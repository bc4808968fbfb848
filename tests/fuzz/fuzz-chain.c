/*
 * fuzz-chain.c — the codec-2 frame decoder (chain_apply) on arbitrary
 * bytes.  The input's body length and both CRC-32s are rewritten first, so
 * mutations reach the directory and section parsers that the checksums
 * shield from random frames.  Each input is applied to an empty chain (as a
 * keyframe) and to a chain holding a small real keyframe (as a delta);
 * whatever applies must materialize and survive an encode/apply round trip
 * with the same number of sockets.
 */
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "fuzz.h"
#include "recfields.h"

#define HDR_LEN 72

/* Encode the materialized state of c as a keyframe and apply it to a fresh
 * chain; abort unless the socket count survives. */
static void round_trip(const struct chain *c)
{
	struct snapshot s;
	struct chain w, r;
	uint8_t *blob;
	size_t len;
	int key;

	if (snapshot_init(&s) < 0 || chain_init(&w) < 0 || chain_init(&r) < 0 ||
	    chain_materialize(c, &s, NULL, NULL) < 0)
		abort();
	if (chain_encode(&w, &s, 1, &blob, &len, &key) != 0 || !key ||
	    chain_apply(&r, blob, len) != 0 || r.st.nrecs != s.nrecs)
		abort();
	free(blob);
	snapshot_free(&s);
	chain_free(&w);
	chain_free(&r);
}

/* A chain holding a keyframe of three sockets, one with tcp_info. */
static void base_chain(struct chain *c)
{
	struct snapshot s;
	uint8_t *blob, ti[104] = { 1, 2, 3 };
	size_t len;
	int key;

	if (chain_init(c) < 0 || snapshot_init(&s) < 0)
		abort();
	s.time_ns = 1700000000000000000ll;
	for (int i = 0; i < 3; i++) {
		struct sock_record *r = snapshot_add_record(&s);
		r->cookie = 10 + (uint64_t)i;
		r->netid = (uint8_t)i;
		r->state = 1;
		r->sport = (uint16_t)(1000 + i);
	}
	s.recs[0].tcpi_len = sizeof(ti);
	s.recs[0].tcpi_off = (uint32_t)snapshot_add_bytes(&s, ti, sizeof(ti));
	if (snapshot_add_process(&s, 42, 3, "fuzz") < 0)
		abort();
	s.recs[1].proc_first = 0;
	s.recs[1].proc_count = 1;
	if (chain_encode(c, &s, 1, &blob, &len, &key) != 0)
		abort();
	free(blob);
	snapshot_free(&s);
}

/* Apply data to c; round-trip what applies. */
static void try_apply(struct chain *c, const uint8_t *data, size_t size)
{
	if (chain_apply(c, data, size) == 0)
		round_trip(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chain empty, based;
	uint8_t *frame = malloc(size ? size : 1);

	if (!frame || chain_init(&empty) < 0)
		abort();
	memcpy(frame, data, size);
	if (size >= HDR_LEN) {
		put_le(frame + 28, size - HDR_LEN, 4);
		put_le(frame + 32, crc32_ieee(frame + HDR_LEN, size - HDR_LEN), 4);
		put_le(frame + 68, crc32_ieee(frame, 68), 4);
	}
	try_apply(&empty, frame, size);
	base_chain(&based);
	try_apply(&based, frame, size);
	chain_free(&empty);
	chain_free(&based);
	free(frame);
	return 0;
}
