/*
 * store.h — the sockhist database: an SQLite file of snapshots ("frames").
 *
 * The file is identified by PRAGMA application_id and carries its format
 * version in PRAGMA user_version; older formats are migrated (in place by
 * the writer; a reader migrates a format-1 file in memory and reads a
 * format-2 file as it is, its frames having no kernel counters).  The
 * writer appends one frame per snapshot in one IMMEDIATE transaction — a
 * keyframe or a delta of the current chain of the snapshot's network
 * namespace (chain.h; each namespace has its own), with the kernel's
 * counters, the frame's counts, socket lifetimes and rollups — and
 * applies the retention limits; readers open read-only,
 * replay chains, and never hold a read transaction longer than one query,
 * so the recorder is never blocked.  Schema: sql/schema.sql and
 * sql/migrate-N.sql, embedded at build time.
 *
 * Every function returns 0 (or a count) on success and a negative errno-style
 * code on failure, with a one-line human message in store_errmsg().
 * Codes: -ENOENT no such file/frame, -ENOTSUP not a sockhist database,
 * -EBADMSG damaged database or frame, -EPROTONOSUPPORT written by a newer
 * sockhist, -ENOSPC disk (or size limit) full, -EBUSY locked, -EACCES,
 * -EROFS, -ENOMEM, -EIO for anything else.
 */
#ifndef SOCKHIST_STORE_H
#define SOCKHIST_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "sockrec.h"

#define STORE_APPLICATION_ID 0x534b4831 /* "SKH1" */
#define STORE_FORMAT_VERSION 4

enum store_mode {
	STORE_READ = 0,   /* existing file, read-only; missing file is an error */
	STORE_WRITE = 1,  /* create if missing, refuse a foreign/newer file */
};

struct store;

/* What a frame row holds without decoding its blob. */
struct frame_info {
	int64_t id;
	int64_t time_ns;                 /* wall clock UTC */
	uint32_t total;                  /* sockets in the frame */
	uint32_t counts[NETID_FRAME_COLS]; /* per netid, tcp .. u_seq (the
					    * frame table's columns) */
	uint32_t codec;
	uint64_t netns_ino;
	size_t blob_bytes;
	int64_t key;                     /* id of its chain's keyframe */
	uint32_t took_us;                /* capture + encode time; 0 unknown */
	int64_t boot;                    /* boot row (cgroup ids are per boot) */
};

/* The writer's housekeeping (sockhistd --retain, --max-size,
 * --keep-rollups); 0 means unlimited. */
struct store_limits {
	int64_t retain_ns;               /* drop chains older than this */
	uint64_t max_bytes;              /* drop oldest chains above this */
	int64_t keep_rollups_ns;         /* drop rollups older than this */
};

/* Open path.  On failure returns a negative code and writes a one-line reason
 * (without the path) into err. */
int store_open(const char *path, enum store_mode mode, struct store **out,
	       char *err, size_t errlen);
void store_close(struct store *st);
/* The message for the last failure on st. */
const char *store_errmsg(const struct store *st);

/* The SQLite handle, for read-only queries of the tables in sql/schema.sql
 * (histograms, the sock index).  Run only short statements on it. */
struct sqlite3 *store_sqlite(struct store *st);

/* Cap the file at `bytes` (whole pages; PRAGMA max_page_count) for this
 * connection: an append that would grow past it fails with -ENOSPC. */
int store_set_size_limit(struct store *st, uint64_t bytes);

/* Set the retention the writer applies.  Data goes in whole chains: expired
 * chains when a new chain starts; with max_bytes, after every append the
 * oldest chains until the live pages fit (their space is reused), so the
 * file never grows past max_bytes plus one chain. */
void store_set_limits(struct store *st, const struct store_limits *lim);

/* Append snapshot s (sorted/deduped) as a new frame in one transaction:
 * the frame (a keyframe or a delta of the writer's current chain), its
 * counts, the kernel's counters when s has them (s->kstat), the socket
 * lifetime index and the rollups.
 * Returns the new frame id (>0) or a negative code; -ENOSPC when the disk is
 * full (the database stays consistent: the transaction is rolled back, and
 * the next frame starts a new chain). */
int64_t store_append(struct store *st, const struct snapshot *s);

/* Fill the netns row of namespace ino (created when missing): its
 * /run/netns name (NULL or "" when it has none), else a process holding
 * it (pid > 0, comm).  Call when a namespace is first found.  Returns 0 or
 * a negative code. */
int store_set_netns_info(struct store *st, uint64_t ino, const char *name,
			 int64_t pid, const char *comm);

/* Drop the writer's state of namespace ino (it vanished): its current
 * chain and lifetime index state.  Should it reappear, its next frame
 * starts a new chain. */
void store_forget_netns(struct store *st, uint64_t ino);

/* One cgroup id's path, for store_put_cgroups (path NULL: no cgroup2 was
 * mounted where the recorder runs). */
struct store_cgroup {
	uint64_t id;
	const char *path;
};

/* Record the paths of cgroup ids first seen in this boot (the cgroup
 * table; ids already there are kept) in one transaction.  Returns 0 or a
 * negative code. */
int store_put_cgroups(struct store *st, const struct store_cgroup *v,
		      size_t n);
/* Append one batch of close events (store_closed.c): the sockets of ev
 * (one namespace, ev->netns_ino; ev->time_ns the take) in arrival order,
 * closed_ns[i] the close time of ev->recs[i], covering since_ns ..
 * ev->time_ns, with `lost` events the kernel dropped in that range; in one
 * transaction of its own.  Links each socket a snapshot saw to its
 * lifetime.  Returns the batch id, 0 when there was nothing to write
 * (no event, nothing lost), or a negative code. */
int64_t store_append_closed(struct store *st, const struct snapshot *ev,
			    const int64_t *closed_ns, int64_t since_ns,
			    uint64_t lost);

/* Call fn for every frame in id order; stops early if fn returns non-zero and
 * returns that value.  Returns 0 or a negative code. */
int store_each_frame(struct store *st,
		     int (*fn)(const struct frame_info *fi, void *arg),
		     void *arg);

/* Latest frame with time_ns <= t.  Returns 0, -ENOENT if none. */
int store_frame_at(struct store *st, int64_t t, struct frame_info *out);
/* Frame by id.  Returns 0, -ENOENT if none. */
int store_frame_by_id(struct store *st, int64_t id, struct frame_info *out);

/* The kernel's counters (ss -s) recorded with frame id into *out.
 * Returns 0, or -ENOENT when none were (frames of formats 1 and 2, or the
 * recorder could not read them). */
int store_frame_kstat(struct store *st, int64_t id, struct kstat *out);

/* Decode frame id into s (initialised by the caller), replaying its chain
 * from the keyframe (loads along a chain continue where the last load of
 * that chain stopped: up to STORE_DECODERS chains are kept, least recently
 * used dropped first).  Returns 0, -ENOENT, or -EBADMSG for a damaged frame; the
 * message then names the frames that cannot be read. */
int store_load(struct store *st, int64_t id, struct snapshot *s);
/* store_load, materializing only the records keep() accepts (it judges the
 * chain's rebased state: filter on fields that are not time fields, as
 * store_scan's callers do); a version-1 frame loads whole.  Cheaper when
 * few records are wanted.  keep NULL keeps every record. */
int store_load_matching(struct store *st, int64_t id, struct snapshot *s,
			sock_keep_fn keep, void *arg);

/* What store_scan() calls.  frame is called for every readable frame with
 * the snapshot reached at it: with c == NULL, s holds real values (a
 * version-1 frame); else s is c's state, whose rows are rebased: filter on
 * it, and get real values with chain_materialize(c, ...).  A non-zero
 * return stops the scan and is returned.  damaged is called once per chain
 * that cannot be read to its end, with a one-line message naming the lost
 * frames. */
struct scan_ops {
	int (*frame)(const struct frame_info *fi, const struct snapshot *s,
		     const struct chain *c, void *arg);
	void (*damaged)(const char *msg, void *arg);
	int skip_blobs;                  /* leave tcp_info & co. undecoded */
	/* NULL, or which frames to visit (a non-zero return): the others,
	 * e.g. other network namespaces', are neither decoded nor passed to
	 * frame. */
	int (*want)(const struct frame_info *fi, void *arg);
};

/* For the loads that follow: leave the raw attribute words (tcp_info,
 * congestion-control info, unix pending connections) undecoded, which
 * makes replaying a chain cheaper when they are not printed.  The records
 * then have their lengths but zero bytes. */
void store_set_skip_blobs(struct store *st, int skip);

/* Visit every frame with since_ns <= time_ns <= until_ns, in id order,
 * replaying each chain once (when at most STORE_DECODERS chains
 * interleave: more namespaces than that are replayed from their
 * keyframes).  Returns 0, the callback's non-zero value, or
 * a negative code (database errors; not damaged frames). */
int store_scan(struct store *st, int64_t since_ns, int64_t until_ns,
	       const struct scan_ops *ops, void *arg);

#endif
