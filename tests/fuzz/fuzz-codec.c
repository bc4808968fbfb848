/*
 * fuzz-codec.c — the frame decoder on arbitrary bytes, twice: as a whole
 * blob (header, CRC, zstd), and as a decompressed payload whose counts come
 * from the input's first 16 bytes, which reaches the column parser that the
 * checksums shield from random blobs.  Whatever decodes must survive an
 * encode/decode round trip with the same counts.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fuzz.h"

/* Encode s and decode it again; abort unless the counts survive. */
static void round_trip(const struct snapshot *s)
{
	struct snapshot again;
	uint8_t *blob = NULL;
	size_t len = 0;

	if (snapshot_init(&again) < 0 || codec_encode(s, 1, &blob, &len) != 0)
		abort();
	if (codec_decode(CODEC_COLUMNAR_V1, blob, len, &again) != 0 ||
	    again.nrecs != s->nrecs || again.nprocs != s->nprocs)
		abort();
	free(blob);
	snapshot_free(&again);
}

/* A little-endian u32 of the input, reduced to a plausible size. */
static uint32_t count_at(const uint8_t *p, uint32_t mod)
{
	return (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24) % mod;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s;

	if (snapshot_init(&s) < 0)
		abort();
	if (codec_decode(CODEC_COLUMNAR_V1, data, size, &s) == 0)
		round_trip(&s);
	if (size >= 16) {
		struct codec_counts c = {
			.nrecs = count_at(data, 64), .nprocs = count_at(data + 4, 64),
			.strpool_len = count_at(data + 8, 4096),
			.nbytes = count_at(data + 12, 1 << 16),
		};
		if (codec_decode_payload(&c, data + 16, size - 16, &s) == 0)
			round_trip(&s);
	}
	snapshot_free(&s);
	return 0;
}
