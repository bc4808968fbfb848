/*
 * kstat.c — where each kernel counter of kstat.h is found in its /proc
 * file, and the lookup the recorder's parser uses.
 */
#include <string.h>

#include "kstat.h"

const struct kstat_field kstat_fields[KS_COUNT] = {
	[KS_SOCKETS_USED] = { "sockets:", "used" },
	[KS_TCP_INUSE] = { "TCP:", "inuse" },
	[KS_TCP_ORPHAN] = { "TCP:", "orphan" },
	[KS_TCP_TW] = { "TCP:", "tw" },
	[KS_TCP_ALLOC] = { "TCP:", "alloc" },
	[KS_TCP_MEM] = { "TCP:", "mem" },
	[KS_UDP_INUSE] = { "UDP:", "inuse" },
	[KS_UDP_MEM] = { "UDP:", "mem" },
	[KS_UDPLITE_INUSE] = { "UDPLITE:", "inuse" },
	[KS_RAW_INUSE] = { "RAW:", "inuse" },
	[KS_FRAG_INUSE] = { "FRAG:", "inuse" },
	[KS_FRAG_MEMORY] = { "FRAG:", "memory" },
	[KS_TCP6_INUSE] = { "TCP6:", "inuse" },
	[KS_UDP6_INUSE] = { "UDP6:", "inuse" },
	[KS_UDPLITE6_INUSE] = { "UDPLITE6:", "inuse" },
	[KS_RAW6_INUSE] = { "RAW6:", "inuse" },
	[KS_FRAG6_INUSE] = { "FRAG6:", "inuse" },
	[KS_FRAG6_MEMORY] = { "FRAG6:", "memory" },
	[KS_TCP_CURRESTAB] = { "Tcp:", "CurrEstab" },
};

/* Set one counter; see kstat.h. */
void kstat_set(struct kstat *ks, enum kstat_id id, int64_t v)
{
	ks->v[id] = v;
	ks->present |= 1u << id;
}

/* Is s (len bytes) exactly the string z? */
static int equals(const char *s, size_t len, const char *z)
{
	return strlen(z) == len && memcmp(s, z, len) == 0;
}

/* Look a counter up by label and name; see kstat.h. */
int kstat_find(const char *label, size_t label_len, const char *name,
	       size_t name_len)
{
	for (int i = 0; i < KS_COUNT; i++)
		if (equals(label, label_len, kstat_fields[i].label) &&
		    equals(name, name_len, kstat_fields[i].name))
			return i;
	return -1;
}
