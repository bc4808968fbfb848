/*
 * ccinfo.h — the congestion-control info a TCP record may carry.
 *
 * The kernel answers the INET_DIAG_VEGASINFO request with the struct of the
 * socket's congestion control: tcpvegas_info, tcp_dctcp_info or tcp_bbr_info.
 * The recorder keeps those bytes verbatim (sock_record.ccinfo_*); this module
 * reads them by length into one tagged struct for the ss and JSON writers.
 */
#ifndef SOCKHIST_CCINFO_H
#define SOCKHIST_CCINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "sockrec.h"

enum cc_kind { CC_NONE, CC_VEGAS, CC_DCTCP, CC_BBR };

struct cc_info {
	enum cc_kind kind;
	union {
		struct { uint32_t enabled, rttcnt, rtt_us, minrtt_us; } vegas;
		struct { uint16_t enabled, ce_state; uint32_t alpha, ab_ecn, ab_tot; } dctcp;
		struct { uint64_t bw; uint32_t min_rtt_us, pacing_gain, cwnd_gain; } bbr;
	} u;
};

/* Decode r's congestion-control info.  Returns false (kind CC_NONE) when the
 * record has none, or its bytes are too short or outside the pool. */
bool ccinfo_decode(const struct snapshot *s, const struct sock_record *r,
		   struct cc_info *out);

#endif
