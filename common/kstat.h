/*
 * kstat.h — the kernel's socket counters that `ss -s` prints, as recorded
 * with every snapshot: the lines of /proc/net/sockstat and sockstat6
 * ("TCP: inuse 5 orphan 0 tw 2 alloc 9 mem 1") and Tcp CurrEstab of
 * /proc/net/snmp, all of one network namespace (some are kernel-wide:
 * TCP orphan, alloc and every mem).  ss -s does not count the socket list;
 * it prints these.
 *
 * Every counter is named by its line's label and its field name in the
 * file; the database column is both, lower case, joined by "_"
 * ("TCP:" "inuse" -> tcp_inuse, "Tcp:" "CurrEstab" -> tcp_currestab).
 * The enum order is the column order of the `sockstat` table
 * (sql/migrate-3.sql): append new counters, never reorder.
 */
#ifndef SOCKHIST_KSTAT_H
#define SOCKHIST_KSTAT_H

#include <stddef.h>
#include <stdint.h>

enum kstat_id {
	KS_SOCKETS_USED,        /* sockstat  sockets: used */
	KS_TCP_INUSE,           /*           TCP: inuse orphan tw alloc mem */
	KS_TCP_ORPHAN,
	KS_TCP_TW,
	KS_TCP_ALLOC,
	KS_TCP_MEM,
	KS_UDP_INUSE,           /*           UDP: inuse mem */
	KS_UDP_MEM,
	KS_UDPLITE_INUSE,       /*           UDPLITE: inuse */
	KS_RAW_INUSE,           /*           RAW: inuse */
	KS_FRAG_INUSE,          /*           FRAG: inuse memory */
	KS_FRAG_MEMORY,
	KS_TCP6_INUSE,          /* sockstat6 TCP6: inuse */
	KS_UDP6_INUSE,          /*           UDP6: inuse */
	KS_UDPLITE6_INUSE,      /*           UDPLITE6: inuse */
	KS_RAW6_INUSE,          /*           RAW6: inuse */
	KS_FRAG6_INUSE,         /*           FRAG6: inuse memory */
	KS_FRAG6_MEMORY,
	KS_TCP_CURRESTAB,       /* snmp      Tcp: CurrEstab */
	KS_COUNT
};

/* The counters of one moment.  A counter the kernel did not report (no
 * IPv6: no sockstat6) has its bit clear in `present` and value 0, which is
 * what ss prints for it; present == 0: nothing was recorded. */
struct kstat {
	uint32_t present;               /* 1u << enum kstat_id */
	int64_t v[KS_COUNT];
};

/* Where a counter is found: the line label and the field name. */
struct kstat_field {
	const char *label;              /* "TCP:", "Tcp:" */
	const char *name;               /* "inuse", "CurrEstab" */
};

extern const struct kstat_field kstat_fields[KS_COUNT];

/* Set counter id to v and mark it present. */
void kstat_set(struct kstat *ks, enum kstat_id id, int64_t v);

/* The counter at (label, name) — label with its colon, both exact — or
 * -1 when it is not one of ours. */
int kstat_find(const char *label, size_t label_len, const char *name,
	       size_t name_len);

#endif
