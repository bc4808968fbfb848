/*
 * tcpinfo.c — byte offsets of struct tcp_info fields, read by length.
 *
 * Offsets follow include/uapi/linux/tcp.h up to Linux 6.18 (248 bytes up to
 * tcpi_total_rto_time; 6.18 appends AccECN counters up to 280 bytes, which
 * are kept raw by the recorder but not named here).  Values are read in host
 * byte order, as the kernel writes them.
 */
#include <string.h>

#include "tcpinfo.h"

#define F(n, key, off, sz)        [TI_##n] = { key, off, sz, 0, 0 }
#define B(n, key, off, sh, nbits) [TI_##n] = { key, off, 1, sh, nbits }

const struct tcpinfo_field_desc tcpinfo_fields[TI_FIELD_COUNT] = {
	F(STATE, "state", 0, 1),
	F(CA_STATE, "ca_state", 1, 1),
	F(RETRANSMITS, "retransmits", 2, 1),
	F(PROBES, "probes", 3, 1),
	F(BACKOFF, "backoff", 4, 1),
	F(OPTIONS, "options", 5, 1),
	B(SND_WSCALE, "snd_wscale", 6, 0, 4),
	B(RCV_WSCALE, "rcv_wscale", 6, 4, 4),
	B(DELIVERY_RATE_APP_LIMITED, "delivery_rate_app_limited", 7, 0, 1),
	B(FASTOPEN_CLIENT_FAIL, "fastopen_client_fail", 7, 1, 2),
	F(RTO, "rto", 8, 4),
	F(ATO, "ato", 12, 4),
	F(SND_MSS, "snd_mss", 16, 4),
	F(RCV_MSS, "rcv_mss", 20, 4),
	F(UNACKED, "unacked", 24, 4),
	F(SACKED, "sacked", 28, 4),
	F(LOST, "lost", 32, 4),
	F(RETRANS, "retrans", 36, 4),
	F(FACKETS, "fackets", 40, 4),
	F(LAST_DATA_SENT, "last_data_sent", 44, 4),
	F(LAST_ACK_SENT, "last_ack_sent", 48, 4),
	F(LAST_DATA_RECV, "last_data_recv", 52, 4),
	F(LAST_ACK_RECV, "last_ack_recv", 56, 4),
	F(PMTU, "pmtu", 60, 4),
	F(RCV_SSTHRESH, "rcv_ssthresh", 64, 4),
	F(RTT, "rtt", 68, 4),
	F(RTTVAR, "rttvar", 72, 4),
	F(SND_SSTHRESH, "snd_ssthresh", 76, 4),
	F(SND_CWND, "snd_cwnd", 80, 4),
	F(ADVMSS, "advmss", 84, 4),
	F(REORDERING, "reordering", 88, 4),
	F(RCV_RTT, "rcv_rtt", 92, 4),
	F(RCV_SPACE, "rcv_space", 96, 4),
	F(TOTAL_RETRANS, "total_retrans", 100, 4),
	F(PACING_RATE, "pacing_rate", 104, 8),
	F(MAX_PACING_RATE, "max_pacing_rate", 112, 8),
	F(BYTES_ACKED, "bytes_acked", 120, 8),
	F(BYTES_RECEIVED, "bytes_received", 128, 8),
	F(SEGS_OUT, "segs_out", 136, 4),
	F(SEGS_IN, "segs_in", 140, 4),
	F(NOTSENT_BYTES, "notsent_bytes", 144, 4),
	F(MIN_RTT, "min_rtt", 148, 4),
	F(DATA_SEGS_IN, "data_segs_in", 152, 4),
	F(DATA_SEGS_OUT, "data_segs_out", 156, 4),
	F(DELIVERY_RATE, "delivery_rate", 160, 8),
	F(BUSY_TIME, "busy_time", 168, 8),
	F(RWND_LIMITED, "rwnd_limited", 176, 8),
	F(SNDBUF_LIMITED, "sndbuf_limited", 184, 8),
	F(DELIVERED, "delivered", 192, 4),
	F(DELIVERED_CE, "delivered_ce", 196, 4),
	F(BYTES_SENT, "bytes_sent", 200, 8),
	F(BYTES_RETRANS, "bytes_retrans", 208, 8),
	F(DSACK_DUPS, "dsack_dups", 216, 4),
	F(REORD_SEEN, "reord_seen", 220, 4),
	F(RCV_OOOPACK, "rcv_ooopack", 224, 4),
	F(SND_WND, "snd_wnd", 228, 4),
	F(RCV_WND, "rcv_wnd", 232, 4),
	F(REHASH, "rehash", 236, 4),
	F(TOTAL_RTO, "total_rto", 240, 2),
	F(TOTAL_RTO_RECOVERIES, "total_rto_recoveries", 242, 2),
	F(TOTAL_RTO_TIME, "total_rto_time", 244, 4),
};

/* Read an unaligned host-order integer of the field's size. */
static uint64_t read_uint(const uint8_t *p, uint8_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

/* Look field f up in raw; false when the recorded bytes stop before it. */
bool tcpinfo_get(const uint8_t *raw, size_t len, enum tcpinfo_field f,
		 uint64_t *val)
{
	const struct tcpinfo_field_desc *d;
	uint64_t v;

	if ((unsigned)f >= TI_FIELD_COUNT || !raw)
		return false;
	d = &tcpinfo_fields[f];
	if ((size_t)d->offset + d->size > len)
		return false;
	v = read_uint(raw + d->offset, d->size);
	if (d->bits)
		v = (v >> d->shift) & ((1u << d->bits) - 1);
	*val = v;
	return true;
}

/* Same as tcpinfo_get(), with 0 standing for an absent field. */
uint64_t tcpinfo_val(const uint8_t *raw, size_t len, enum tcpinfo_field f)
{
	uint64_t v = 0;

	if (!tcpinfo_get(raw, len, f, &v))
		return 0;
	return v;
}
