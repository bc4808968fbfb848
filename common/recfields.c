/*
 * recfields.c — the column and blob tables of the record (see recfields.h)
 * and the shared checks: varint reading, CRC-32, snapshot validation.
 */
#include <errno.h>

#include "recfields.h"

#define MEMBER(f) (((struct sock_record *)0)->f)
#define SCALAR(f, e) \
	{ #f, offsetof(struct sock_record, f), sizeof(MEMBER(f)), 1, e, 1 }
/* A field codec 2 stores since format 4 (frames of older files have fewer
 * columns: the decoder leaves these zero). */
#define SINCE2(f, e) \
	{ #f, offsetof(struct sock_record, f), sizeof(MEMBER(f)), 1, e, 2 }
#define ARRAY(f, e) \
	{ #f, offsetof(struct sock_record, f), sizeof(MEMBER(f)[0]), \
	  sizeof(MEMBER(f)) / sizeof(MEMBER(f)[0]), e, 1 }

/* Column order of codec version 1.  Frames using it are on disk: never
 * reorder or remove an entry; a new field gets a new line with since = the
 * codec version that introduces it.  proc_first and the *_off fields are not
 * stored: the decoder derives them from proc_count and the *_len fields. */
const struct field rec_fields[] = {
	SCALAR(cookie, ENC_DELTA),
	SCALAR(inode, ENC_DELTA),
	SCALAR(cgroup_id, ENC_VARINT),
	SCALAR(has, ENC_VARINT),
	SCALAR(netid, ENC_RAW8),
	SCALAR(family, ENC_RAW8),
	SCALAR(state, ENC_RAW8),
	SCALAR(timer, ENC_RAW8),
	SCALAR(retrans, ENC_RAW8),
	SCALAR(shutdown, ENC_RAW8),
	SCALAR(tos, ENC_RAW8),
	SCALAR(tclass, ENC_RAW8),
	SCALAR(v6only, ENC_RAW8),
	SCALAR(protocol, ENC_RAW8),
	SCALAR(sport, ENC_VARINT),
	SCALAR(dport, ENC_VARINT),
	SCALAR(expires_ms, ENC_VARINT),
	SCALAR(rqueue, ENC_VARINT),
	SCALAR(wqueue, ENC_VARINT),
	SCALAR(ifindex, ENC_VARINT),
	SCALAR(uid, ENC_VARINT),
	SCALAR(class_id, ENC_VARINT),
	SCALAR(mark, ENC_VARINT),
	SCALAR(peer_inode, ENC_VARINT),
	SCALAR(vfs_ino, ENC_VARINT),
	SCALAR(vfs_dev, ENC_VARINT),
	ARRAY(meminfo, ENC_VARINT),
	ARRAY(skmem, ENC_VARINT),
	SCALAR(skmem_count, ENC_RAW8),
	ARRAY(src, ENC_RAW8),
	ARRAY(dst, ENC_RAW8),
	SCALAR(name, ENC_VARINT),
	SCALAR(cong, ENC_VARINT),
	SCALAR(tcpi_len, ENC_VARINT),
	SCALAR(ccinfo_len, ENC_VARINT),
	SCALAR(ccinfo_kind, ENC_RAW8),
	SCALAR(icons_len, ENC_VARINT),
	SCALAR(proc_count, ENC_VARINT),
	SINCE2(lport32, ENC_VARINT),
	SINCE2(rport32, ENC_VARINT),
	SINCE2(laddr32, ENC_VARINT),
	SINCE2(raddr32, ENC_VARINT),
	SINCE2(groups, ENC_VARINT),
	SINCE2(ethertype, ENC_VARINT),
	SINCE2(pkt_version, ENC_VARINT),
	SINCE2(pkt_copy_thresh, ENC_VARINT),
	SINCE2(pkt_flags, ENC_VARINT),
	SINCE2(fanout, ENC_VARINT),
};

const size_t REC_NFIELDS = sizeof(rec_fields) / sizeof(rec_fields[0]);

#define BLOB(o, l, what) \
	{ what, offsetof(struct sock_record, o), \
	  offsetof(struct sock_record, l) }

const struct blob_field rec_blobs[] = {
	BLOB(tcpi_off, tcpi_len, "tcp_info"),
	BLOB(ccinfo_off, ccinfo_len, "ccinfo"),
	BLOB(icons_off, icons_len, "icons"),
};

_Static_assert(sizeof(rec_blobs) / sizeof(rec_blobs[0]) == REC_NBLOBS,
	       "REC_NBLOBS is out of date");

/* A change to the record layout must be a conscious codec decision. */
_Static_assert(sizeof(struct sock_record) == 280,
	       "struct sock_record changed: update the codec field table");

/* The flattened record columns of a codec version; see recfields.h. */
size_t rec_columns(struct rcol *rc, size_t max, int version)
{
	size_t n = 0;

	for (size_t f = 0; f < REC_NFIELDS; f++) {
		if (rec_fields[f].since > version)
			continue;
		for (unsigned j = 0; j < rec_fields[f].count && n < max; j++)
			rc[n++] = (struct rcol){
				(uint16_t)(rec_fields[f].offset +
					   j * rec_fields[f].size),
				rec_fields[f].size, rec_fields[f].enc };
	}
	return n;
}

/* CRC-32 of n bytes, four bits at a time; see recfields.h. */
uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	static const uint32_t nibble[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		c = (c >> 4) ^ nibble[c & 15];
		c = (c >> 4) ^ nibble[c & 15];
	}
	return ~c;
}

/* Read one unsigned LEB128 varint of at most 64 bits. */
int rd_varint(struct rd *r, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (r->p == r->end)
			return -EBADMSG;
		uint8_t b = *r->p++;
		if (shift == 63 && b > 1)
			return -EBADMSG;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EBADMSG;
}

/* Read a varint that must fit in `size` bytes. */
int rd_uint(struct rd *r, unsigned size, uint64_t *v)
{
	int e = rd_varint(r, v);

	if (e == 0 && size < 8 && (*v >> (8 * size)) != 0)
		return -EBADMSG;
	return e;
}

/* Validate a snapshot before encoding; see recfields.h. */
int rec_validate_snapshot(const struct snapshot *s)
{
	uint64_t nprocs = 0, nbytes = 0;

	if (s->strpool_len == 0 || s->strpool[s->strpool_len - 1] != '\0' ||
	    s->nrecs > UINT32_MAX)
		return -EINVAL;
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct sock_record *r = &s->recs[i];
		if (r->name >= s->strpool_len || r->cong >= s->strpool_len ||
		    r->netid >= NETID_COUNT || r->skmem_count > SR_SKMEM_MAX ||
		    (uint64_t)r->proc_first + r->proc_count > s->nprocs)
			return -EINVAL;
		for (size_t b = 0; b < REC_NBLOBS; b++) {
			uint32_t len = rec_u32(r, rec_blobs[b].len);
			if (len > MAX_BLOB_LEN || (uint64_t)rec_u32(r,
					rec_blobs[b].off) + len > s->nbytes)
				return -EINVAL;
		}
		for (uint32_t k = 0; k < r->proc_count; k++)
			if (s->procs[r->proc_first + k].comm >= s->strpool_len)
				return -EINVAL;
		nprocs += r->proc_count;
		nbytes += rec_blob_bytes(r);
	}
	if (nprocs > UINT32_MAX || nbytes > UINT32_MAX)
		return -EINVAL;
	return 0;
}
