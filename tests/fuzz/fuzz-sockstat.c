/*
 * fuzz-sockstat.c — the /proc counter parsers (recorder/sockstat.c) on
 * arbitrary bytes, read as sockstat text and as snmp text from a buffer of
 * exactly that size.  Only known counters may be marked present, and an
 * absent counter stays 0.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sockstat.h"

/* Abort when ks breaks its invariants. */
static void check(const struct kstat *ks)
{
	if (ks->present >> KS_COUNT)
		abort();
	for (int i = 0; i < KS_COUNT; i++)
		if (!(ks->present & (1u << i)) && ks->v[i] != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	struct kstat ks;

	if (!text)
		abort();
	memcpy(text, data, size);
	memset(&ks, 0, sizeof(ks));
	sockstat_parse(text, size, &ks);
	check(&ks);
	memset(&ks, 0, sizeof(ks));
	sockstat_parse_snmp(text, size, &ks);
	check(&ks);
	free(text);
	return 0;
}
