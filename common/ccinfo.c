/*
 * ccinfo.c — decoding the congestion-control info kept raw in a record.
 * Layouts are the kernel's uapi structs (linux/inet_diag.h), native endian.
 */
#include <linux/inet_diag.h>
#include <string.h>

#include "ccinfo.h"

/* A native-endian u32 at p, any alignment. */
static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* A native-endian u16 at p, any alignment. */
static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

bool ccinfo_decode(const struct snapshot *s, const struct sock_record *r,
		   struct cc_info *out)
{
	const uint8_t *p = s->bytes + r->ccinfo_off;

	memset(out, 0, sizeof(*out));
	if (!r->ccinfo_len || r->ccinfo_off > s->nbytes ||
	    r->ccinfo_len > s->nbytes - r->ccinfo_off)
		return false;
	if (r->ccinfo_kind == INET_DIAG_VEGASINFO && r->ccinfo_len >= 16) {
		out->kind = CC_VEGAS;
		out->u.vegas.enabled = rd32(p);
		out->u.vegas.rttcnt = rd32(p + 4);
		out->u.vegas.rtt_us = rd32(p + 8);
		out->u.vegas.minrtt_us = rd32(p + 12);
	} else if (r->ccinfo_kind == INET_DIAG_DCTCPINFO && r->ccinfo_len >= 16) {
		out->kind = CC_DCTCP;
		out->u.dctcp.enabled = rd16(p);
		out->u.dctcp.ce_state = rd16(p + 2);
		out->u.dctcp.alpha = rd32(p + 4);
		out->u.dctcp.ab_ecn = rd32(p + 8);
		out->u.dctcp.ab_tot = rd32(p + 12);
	} else if (r->ccinfo_kind == INET_DIAG_BBRINFO && r->ccinfo_len >= 20) {
		out->kind = CC_BBR;
		out->u.bbr.bw = (uint64_t)rd32(p + 4) << 32 | rd32(p);
		out->u.bbr.min_rtt_us = rd32(p + 8);
		out->u.bbr.pacing_gain = rd32(p + 12);
		out->u.bbr.cwnd_gain = rd32(p + 16);
	}
	return out->kind != CC_NONE;
}
