/*
 * closedset.h — the connections that closed in a time range, from the
 * recorder's close events (sock_diag destroy broadcasts; doc/FORMAT.md,
 * tables closed and closed_batch), for `closed` and the --with-closed of
 * diff, hist and trace.
 *
 * The `closed` index gives the events of the range; each batch they are in
 * is decoded once (a codec-1 snapshot) and the selected records are copied
 * into one snapshot, so they print and filter like any snapshot's.  Losses
 * (events the kernel dropped) of the batches that overlap the range are
 * summed.  Files of formats 2 and 3 have no such tables: loading says so.
 */
#ifndef SOCKHIST_CLOSEDSET_H
#define SOCKHIST_CLOSEDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sock_json.h"
#include "sockrec.h"
#include "store.h"

/* What the event adds to its record. */
struct closed_info {
	int64_t closed_ns;       /* read from the kernel at (wall clock) */
	int64_t opened_ns;       /* seen: the first frame that showed it;
				  * else it opened after this; 0: unknown */
	bool seen;               /* a snapshot showed it; false: short-lived */
	bool has_bytes;          /* TCP with the counters */
	uint64_t bytes_sent, bytes_received;
	int64_t boot;            /* boot.id */
	uint64_t netns_ino;
};

struct closed_set {
	bool recorded;           /* the file has close events at all */
	int64_t format;          /* the file's format (user_version) */
	struct snapshot s;       /* the selected closed sockets */
	struct closed_info *info; /* info[i] goes with s.recs[i] */
	size_t cap;
	size_t *by_cookie;       /* indexes sorted by cookie (closed_find) */
	uint64_t lost;           /* events lost in batches overlapping the
				  * range; lost_from..lost_to spans them */
	int64_t lost_from, lost_to;
};

/* Which events closed_load() keeps. */
struct closed_query {
	int64_t since_ns, until_ns;  /* closed_ns in [since, until] */
	sock_keep_fn keep;           /* NULL: every record */
	void *arg;
	bool short_lived_only;       /* only sockets no snapshot showed */
	uint64_t netns_ino;          /* 0: every namespace */
	int64_t boot;                /* 0: every boot */
	uint64_t cookie;             /* 0: every socket */
};

/* Initialise an empty set.  Returns 0 or -ENOMEM. */
int closed_set_init(struct closed_set *cs);
void closed_set_free(struct closed_set *cs);

/* Load the events q selects into cs (initialised; emptied first), ordered
 * by close time, and report their losses on stderr (closed_report_lost).
 * Returns 0, or -1 after printing why (a file of format 3 or older, which
 * has no close events; database error; damaged batch). */
int closed_load(struct store *st, const struct closed_query *q,
		struct closed_set *cs);

/* The index in cs of the event of socket (boot, cookie), or -1. */
long closed_find(struct closed_set *cs, int64_t boot, uint64_t cookie);

/* Print "sockhist: N close events were lost between A and B" to stderr
 * when cs counts any. */
void closed_report_lost(const struct closed_set *cs);

/* A closed socket's lifetime as text: "1.234s", or "<5.0s" when only a
 * bound is known (short-lived: opened after opened_ns), "?" when nothing
 * is.  buf holds at least 32 bytes. */
void closed_duration(const struct closed_info *ci, char *buf, size_t len);

/* The event as one line of text: "opened [after] T closed T duration D
 * [sent N received N] [short-lived]" (buf: 192 bytes fit). */
void closed_note(const struct closed_info *ci, char *buf, size_t len);

/* The event's JSON/CSV values into kv[5]: opened_at (null when unknown),
 * closed_at, bytes_sent, bytes_received (null without tcp_info's
 * counters: UDP), short_lived; their strings live in buf. */
void closed_event_kv(const struct closed_info *ci, struct sock_kv kv[5],
		     char buf[2][40]);

#endif
