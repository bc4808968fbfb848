/*
 * socktrace.h — the parts of `sockhist trace` that need no database: the
 * LOCAL and PEER arguments, and what one snapshot of the traced socket
 * shows (state, queues, tcp_info) with its interval values against the
 * snapshot before.
 */
#ifndef SOCKHIST_SOCKTRACE_H
#define SOCKHIST_SOCKTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "sockrec.h"

/* One end of a connection as ss prints it: ADDR:PORT (IPv4),
 * [ADDR]:PORT (IPv6), *:PORT or a bare PORT (any address); a PORT of `*`
 * is 0 (a listener's peer). */
struct endpoint {
	int family;              /* AF_INET, AF_INET6, or 0: any address */
	uint8_t addr[16];        /* network order; IPv4 in the first 4 */
	uint16_t port;
};

/* Parse text into *e.  Returns 0 or -EINVAL. */
int endpoint_parse(const char *text, struct endpoint *e);

/* What trace shows of the socket in one snapshot.  Counters are the
 * kernel's running totals; has_tcp_info is false when the kernel sent no
 * tcp_info (UDP, TIME-WAIT). */
struct trace_sample {
	int64_t snapshot, time_ns;
	uint8_t state;
	uint32_t recv_q, send_q;
	bool has_tcp_info;
	uint32_t rtt_us, snd_cwnd;
	uint64_t bytes_sent;     /* tcpi_bytes_sent, else tcpi_bytes_acked */
	uint64_t bytes_received, total_retrans;
};

/* The sample of record r (of s, real values) in snapshot id at time_ns. */
void trace_sample_of(const struct snapshot *s, const struct sock_record *r,
		     int64_t id, int64_t time_ns, struct trace_sample *out);

/* A sample against the ones before it. */
struct trace_interval {
	bool state_changed;      /* another state than the previous sample */
	bool has_counts;         /* the three counts below are known */
	uint64_t sent, received, retrans;
};

/* The interval of cur: its state against prev (NULL: cur is the first),
 * and its counters against counters (the latest earlier sample that had
 * tcp_info; NULL: none, so they count from the socket's start). */
void trace_interval_of(const struct trace_sample *prev,
		       const struct trace_sample *counters,
		       const struct trace_sample *cur,
		       struct trace_interval *out);

#endif
