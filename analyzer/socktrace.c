/*
 * socktrace.c — endpoint arguments, per-snapshot samples and interval
 * values for `sockhist trace`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "socktrace.h"
#include "tcpinfo.h"

/* A port: digits up to 65535, or "*" for 0.  Returns 0 or -EINVAL. */
static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (strcmp(s, "*") == 0) {
		*port = 0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Parse an endpoint; see socktrace.h. */
int endpoint_parse(const char *text, struct endpoint *e)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	size_t len;

	memset(e, 0, sizeof(*e));
	if (!colon)
		return parse_port(text, &e->port);
	if (parse_port(colon + 1, &e->port) < 0)
		return -EINVAL;
	len = (size_t)(colon - text);
	if (len >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, len);
	host[len] = '\0';
	if (strcmp(host, "*") == 0)
		return 0;
	if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
		host[len - 1] = '\0';
		e->family = AF_INET6;
		return inet_pton(AF_INET6, host + 1, e->addr) == 1 ? 0 : -EINVAL;
	}
	e->family = AF_INET;
	return inet_pton(AF_INET, host, e->addr) == 1 ? 0 : -EINVAL;
}

/* One sample; see socktrace.h. */
void trace_sample_of(const struct snapshot *s, const struct sock_record *r,
		     int64_t id, int64_t time_ns, struct trace_sample *out)
{
	const uint8_t *ti = NULL;
	size_t len = 0;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	out->snapshot = id;
	out->time_ns = time_ns;
	out->state = r->state;
	out->recv_q = r->rqueue;
	out->send_q = r->wqueue;
	if (r->tcpi_len && r->tcpi_off <= s->nbytes &&
	    r->tcpi_len <= s->nbytes - r->tcpi_off) {
		ti = s->bytes + r->tcpi_off;
		len = r->tcpi_len;
	}
	if (!ti || !tcpinfo_get(ti, len, TI_RTT, &v))
		return;
	out->has_tcp_info = true;
	out->rtt_us = (uint32_t)v;
	out->snd_cwnd = (uint32_t)tcpinfo_val(ti, len, TI_SND_CWND);
	if (!tcpinfo_get(ti, len, TI_BYTES_SENT, &out->bytes_sent))
		out->bytes_sent = tcpinfo_val(ti, len, TI_BYTES_ACKED);
	out->bytes_received = tcpinfo_val(ti, len, TI_BYTES_RECEIVED);
	out->total_retrans = tcpinfo_val(ti, len, TI_TOTAL_RETRANS);
}

/* A 64-bit counter's growth since prev; one that went down (which a
 * socket's counters do not) counts from zero. */
static uint64_t growth(uint64_t prev, uint64_t cur)
{
	return cur >= prev ? cur - prev : cur;
}

/* The interval values; see socktrace.h. */
void trace_interval_of(const struct trace_sample *prev,
		       const struct trace_sample *counters,
		       const struct trace_sample *cur,
		       struct trace_interval *out)
{
	memset(out, 0, sizeof(*out));
	out->state_changed = prev && prev->state != cur->state;
	if (!cur->has_tcp_info)
		return;
	out->has_counts = true;
	if (!counters) {
		out->sent = cur->bytes_sent;
		out->received = cur->bytes_received;
		out->retrans = cur->total_retrans;
		return;
	}
	out->sent = growth(counters->bytes_sent, cur->bytes_sent);
	out->received = growth(counters->bytes_received, cur->bytes_received);
	out->retrans = (uint32_t)(cur->total_retrans - counters->total_retrans);
}
