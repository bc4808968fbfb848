/*
 * fuzz-timeexpr.c — TIME and DURATION parsing on arbitrary text.  A parsed
 * duration is positive; a parsed time formats without overflow.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "timeexpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), iso[64];
	struct time_spec ts;
	int64_t ns;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (duration_parse(text, &ns) == 0 && ns <= 0)
		abort();
	if (time_parse(text, 1764064800000000000LL, &ts) == 0 &&
	    ts.kind == TIME_ABSOLUTE)
		time_format_iso(ts.time_ns, 1, iso, sizeof(iso));
	free(text);
	return 0;
}
