/*
 * codec.h — frame codec version 1: a snapshot <-> one self-contained blob.
 *
 * The frames of format-1 files, which stay readable forever; new frames use
 * codec 2 (chain.h).  Codec 1 writes a small fixed header, then one zstd
 * stream holding every record field as a column of LEB128 varints (signed
 * values zigzagged), followed by the process columns, the string pool and
 * the raw tcp_info words.  The exact layout is in doc/FORMAT.md.  The
 * encoder remains for the tests, which check the decoder on random
 * snapshots; the frame row's `codec` column says which decoder to use.
 */
#ifndef SOCKHIST_CODEC_H
#define SOCKHIST_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

#define CODEC_COLUMNAR_V1 1
/* zstd level the store writes with (chosen by measurement, doc/FORMAT.md). */
#define CODEC_DEFAULT_LEVEL 3

/* Encode s into a freshly malloc'd blob (*out, *outlen).  Records must already
 * be sorted/deduped.  Returns 0, -ENOMEM, -EIO on a compressor error, or
 * -EINVAL if s is inconsistent (an offset or range outside its pools, a netid
 * or skmem_count out of range, tcpi_len > 65535). */
int codec_encode(const struct snapshot *s, int zstd_level, uint8_t **out,
		 size_t *outlen);

/* Decode a blob written by codec `version` into s (which must be initialised;
 * it is reset first).  Never trusts the blob: any inconsistency returns
 * -EBADMSG, an unknown version -EPROTONOSUPPORT, allocation failure -ENOMEM. */
int codec_decode(int version, const uint8_t *blob, size_t len,
		 struct snapshot *s);

/* What a version-1 header says about its payload. */
struct codec_counts {
	uint32_t nrecs, nprocs, strpool_len, nbytes;
};

/* Decode an already decompressed version-1 payload of len bytes with the
 * counts a header would carry: codec_decode() after its checksums, for the
 * fuzzer, which could not otherwise reach the column parser through CRC-32
 * and zstd.  Same checks and results as codec_decode(). */
int codec_decode_payload(const struct codec_counts *c, const uint8_t *raw,
			 size_t len, struct snapshot *s);

#endif
