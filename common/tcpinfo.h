/*
 * tcpinfo.h — reading a raw struct tcp_info by length.
 *
 * The recorder keeps tcp_info exactly as the kernel sent it; its length grows
 * with kernel versions (232 bytes in 6.1 headers, 280 on 6.18).  Readers look
 * fields up through this table: a field is present only when the recorded
 * bytes cover it, so older kernels' records and newer kernels' extra bytes are
 * both handled without a compiled-in struct size.
 */
#ifndef SOCKHIST_TCPINFO_H
#define SOCKHIST_TCPINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fields in kernel order.  TI_SND_WSCALE/TI_RCV_WSCALE and the two bit fields
 * of byte 7 are bit-fields packed into one byte. */
enum tcpinfo_field {
	TI_STATE, TI_CA_STATE, TI_RETRANSMITS, TI_PROBES, TI_BACKOFF, TI_OPTIONS,
	TI_SND_WSCALE, TI_RCV_WSCALE, TI_DELIVERY_RATE_APP_LIMITED,
	TI_FASTOPEN_CLIENT_FAIL,
	TI_RTO, TI_ATO, TI_SND_MSS, TI_RCV_MSS,
	TI_UNACKED, TI_SACKED, TI_LOST, TI_RETRANS, TI_FACKETS,
	TI_LAST_DATA_SENT, TI_LAST_ACK_SENT, TI_LAST_DATA_RECV, TI_LAST_ACK_RECV,
	TI_PMTU, TI_RCV_SSTHRESH, TI_RTT, TI_RTTVAR, TI_SND_SSTHRESH, TI_SND_CWND,
	TI_ADVMSS, TI_REORDERING,
	TI_RCV_RTT, TI_RCV_SPACE,
	TI_TOTAL_RETRANS,
	TI_PACING_RATE, TI_MAX_PACING_RATE, TI_BYTES_ACKED, TI_BYTES_RECEIVED,
	TI_SEGS_OUT, TI_SEGS_IN,
	TI_NOTSENT_BYTES, TI_MIN_RTT, TI_DATA_SEGS_IN, TI_DATA_SEGS_OUT,
	TI_DELIVERY_RATE,
	TI_BUSY_TIME, TI_RWND_LIMITED, TI_SNDBUF_LIMITED,
	TI_DELIVERED, TI_DELIVERED_CE,
	TI_BYTES_SENT, TI_BYTES_RETRANS, TI_DSACK_DUPS, TI_REORD_SEEN,
	TI_RCV_OOOPACK, TI_SND_WND,
	TI_RCV_WND, TI_REHASH,
	TI_TOTAL_RTO, TI_TOTAL_RTO_RECOVERIES, TI_TOTAL_RTO_TIME,
	TI_FIELD_COUNT
};

struct tcpinfo_field_desc {
	const char *name;   /* snake_case key without the tcpi_ prefix */
	uint16_t offset;    /* byte offset in struct tcp_info */
	uint8_t size;       /* 1, 2, 4 or 8 bytes */
	uint8_t shift;      /* bit-fields: shift and width inside the byte */
	uint8_t bits;       /* 0 for whole fields */
};

extern const struct tcpinfo_field_desc tcpinfo_fields[TI_FIELD_COUNT];

/* Read field f from raw (len bytes, any alignment).  Returns true and sets
 * *val when the bytes cover the field, false otherwise. */
bool tcpinfo_get(const uint8_t *raw, size_t len, enum tcpinfo_field f,
		 uint64_t *val);

/* Same, returning 0 when absent. */
uint64_t tcpinfo_val(const uint8_t *raw, size_t len, enum tcpinfo_field f);

#endif
