/*
 * ss_detail.h — the per-socket detail text `ss` prints after the addresses.
 *
 * Everything ss 6.1 writes into its last ("Process") column: users:(...)
 * for -p, timer:(...) for -o, uid/ino/sk/cgroup/v6only/shutdown for -e,
 * tos/tclass/class_id for --tos, cgroup for --cgroup, and the continuation
 * line ("\n\t...") with skmem:(...) for -m and the tcp_info summary for -i.
 * A field is printed only when its flag is set and the kernel had sent its
 * attribute (sock_record.has), exactly as ss decides.  Text is appended to a
 * growable buffer; the column layout lives in ss_table.c.
 */
#ifndef SOCKHIST_SS_DETAIL_H
#define SOCKHIST_SS_DETAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"
#include "ss_table.h"

/* A growable NUL-terminated string; err is set once an allocation failed
 * (later appends are then ignored). */
struct ss_text {
	char *s;
	size_t len, cap;
	int err;
};

/* Append printf-style text. */
void ss_text_printf(struct ss_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Empty the text, keeping its allocation. */
void ss_text_clear(struct ss_text *t);
/* Free the text; leaves it zeroed. */
void ss_text_free(struct ss_text *t);

/* Format a duration in ms as ss's timers do ("1min", "59sec", "1.500ms",
 * "200ms"); buf must hold 64 bytes.  Returns buf. */
const char *ss_format_ms(char *buf, uint32_t ms);
/* Format a rate in bits per second as ss does ("%.0f" with -n, else
 * "1.23M"-style with k/M/G/T suffixes); buf must hold 64 bytes. */
const char *ss_format_bw(char *buf, double bps, bool numeric);
/* The cgroup v2 path of id, relative to the cgroup2 mount ("/" for the
 * root), found by walking the first cgroup2 mount of /proc/self/mounts once;
 * "unreachable:<hex id>" when it is not there (as ss prints). */
const char *ss_cgroup_path(uint64_t id);
/* Drop the cgroup map; the next lookup reads the mount table at mounts
 * (NULL: /proc/self/mounts).  Lets tests run without the live cgroup2. */
void ss_cgroup_reset(const char *mounts);

/* The pieces, in the order ss prints them. */
void ss_detail_users(struct ss_text *t, const struct snapshot *s,
		     const struct sock_record *r);
void ss_detail_timer(struct ss_text *t, const struct sock_record *r);
void ss_detail_sock(struct ss_text *t, const struct sock_record *r);
void ss_detail_shutdown(struct ss_text *t, const struct sock_record *r);
void ss_detail_tos(struct ss_text *t, const struct sock_record *r);
void ss_detail_skmem(struct ss_text *t, const struct sock_record *r);
void ss_detail_tcp_info(struct ss_text *t, const struct snapshot *s,
			const struct sock_record *r,
			const struct ss_flags *fl);
void ss_detail_unix_vfs(struct ss_text *t, const struct sock_record *r);
/* -e for a unix listener: " peers:" then its pending connections' inodes. */
void ss_detail_unix_peers(struct ss_text *t, const struct snapshot *s,
			  const struct sock_record *r);

/* True for a raw socket ss would have read from /proc/net/raw (kernels
 * without raw_diag): such records carry no netlink attribute at all, and
 * ss prints nothing after their addresses but users:(...). */
bool ss_raw_from_proc(const struct sock_record *r);

/* The whole detail column of one record for the given flags. */
void ss_detail_render(struct ss_text *t, const struct snapshot *s,
		      const struct sock_record *r, const struct ss_flags *fl);

#endif
