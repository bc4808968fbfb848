/*
 * fuzz-codec.c — codec_decode on arbitrary bytes.  Whatever decodes must
 * re-encode and decode to the same record count (the decoder accepted it, so
 * it must be a consistent snapshot).
 */
#include <stdlib.h>

#include "codec.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s, again;
	uint8_t *blob = NULL;
	size_t len = 0;

	if (snapshot_init(&s) < 0 || snapshot_init(&again) < 0)
		abort();
	if (codec_decode(CODEC_COLUMNAR_V1, data, size, &s) == 0) {
		if (codec_encode(&s, 1, &blob, &len) != 0)
			abort();
		if (codec_decode(CODEC_COLUMNAR_V1, blob, len, &again) != 0 ||
		    again.nrecs != s.nrecs || again.nprocs != s.nprocs)
			abort();
		free(blob);
	}
	snapshot_free(&s);
	snapshot_free(&again);
	return 0;
}
