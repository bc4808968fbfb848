/*
 * chain.h — frame codec version 2: chains of a keyframe and delta frames.
 *
 * A chain starts with a keyframe holding every socket of a snapshot; each
 * following frame stores only what changed since the frame before it:
 * the sockets gone (by position), the sockets new (in full), and, per field,
 * the difference of each changed socket's value (columnar, zigzag varints,
 * one compressed section per field, absent when all are zero).
 * Before taking differences, fields that count time ("ms since the last
 * data was sent") become absolute times and timers become absolute expiry
 * times, so an idle socket encodes as "unchanged".  Counters use wrap-safe
 * differences in their own width.  The byte layout is in doc/FORMAT.md.
 *
 * Both sides hold a `struct chain`: the state the chain has reached (the
 * last frame's sockets, in that rebased form).  The writer encodes the next
 * snapshot against it; a reader applies frames to it in order, then
 * materializes the snapshot of the frame it stopped at.
 */
#ifndef SOCKHIST_CHAIN_H
#define SOCKHIST_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

#define CODEC_CHAIN_V2 2
/* Longest chain: a keyframe and at most CHAIN_MAX_FRAMES - 1 deltas (so at
 * most that many frames to apply to reach any frame); a chain also ends
 * once its deltas add up to more than its keyframe (doc/FORMAT.md). */
#define CHAIN_MAX_FRAMES 100

struct chain {
	/* The sockets of the last frame applied, in cookie order, with
	 * rebased values.  Its pools only grow within a chain: a socket that
	 * survives keeps its strings, processes and attribute bytes where
	 * they are. */
	struct snapshot st;
	struct sock_record *merge;      /* scratch records for a merge */
	size_t merge_cap;
	uint32_t frames;                /* frames applied; 0: none yet */
	uint32_t base_ms;               /* the last frame's rebasing base */
	uint64_t key_bytes;             /* size of the chain's keyframe */
	uint64_t delta_bytes;           /* sum of its deltas' sizes */
	int skip_blobs;                 /* reader: leave raw attribute words
					 * (tcp_info, ...) zero: faster when
					 * they are not printed */
	void *cctx, *dctx;              /* zstd contexts, kept for reuse */
};

/* Initialise an empty chain.  Returns 0 or -ENOMEM. */
int chain_init(struct chain *c);
void chain_free(struct chain *c);
/* Forget the state: the next frame encoded will be a keyframe, and a
 * reader must apply a keyframe next. */
void chain_reset(struct chain *c);

/* Encode snapshot s (sorted, deduped) as the next frame of c: a keyframe
 * when the chain is empty, at its length limit, or its deltas outweigh its
 * keyframe; else a delta.  On success *out (malloc'd) holds the frame, *key
 * says whether it is a keyframe, and c has advanced to s.  On failure c is
 * reset.  Returns 0, -EINVAL (inconsistent s), -ENOMEM or -EIO. */
int chain_encode(struct chain *c, const struct snapshot *s, int zstd_level,
		 uint8_t **out, size_t *outlen, int *key);

/* Apply one frame to c: a keyframe replaces the state, a delta must follow
 * the frame c is at.  Never trusts the bytes.  Returns 0, -EBADMSG
 * (damaged, or a delta on an empty chain), -EPROTONOSUPPORT (not codec 2)
 * or -ENOMEM; after a failure c is reset. */
int chain_apply(struct chain *c, const uint8_t *blob, size_t len);

/* Copy c's current snapshot into out (initialised; reset first), with real
 * (un-rebased) values.  When keep is not NULL only records it accepts are
 * copied.  Returns 0 or -ENOMEM. */
int chain_materialize(const struct chain *c, struct snapshot *out,
		      sock_keep_fn keep, void *arg);

#endif
