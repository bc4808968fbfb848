/*
 * recfields.h — the record's fields as codec columns, shared by both frame
 * codecs (codec.c, version 1; chain.c, version 2): the column table, the
 * raw-attribute (blob) table, and the small integer helpers both encoders
 * and decoders use (little-endian access, zigzag, LEB128 varints, CRC-32).
 */
#ifndef SOCKHIST_RECFIELDS_H
#define SOCKHIST_RECFIELDS_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sockrec.h"

/* Longest raw attribute: a netlink attribute cannot be longer. */
#define MAX_BLOB_LEN 65535u

/* How a column stores its values. */
enum col_enc {
	ENC_RAW8,   /* one byte per row, verbatim */
	ENC_VARINT, /* unsigned LEB128 */
	ENC_DELTA,  /* LEB128 of zigzag(value - previous row's value) */
};

/* One record field; arrays become `count` consecutive columns. */
struct field {
	const char *name;
	uint16_t offset;
	uint8_t size;   /* bytes per element: 1, 2, 4 or 8 */
	uint8_t count;  /* elements; 1 for scalars */
	uint8_t enc;    /* enum col_enc */
	uint8_t since;  /* first codec version that stores this field */
};

/* The record columns in format order, and how many there are. */
extern const struct field rec_fields[];
extern const size_t REC_NFIELDS;

/* Raw attribute bytes a record points into the byte pool for, in the order
 * their word columns are stored. */
struct blob_field {
	const char *name;
	uint16_t off;   /* offsetof the uint32_t byte-pool offset */
	uint16_t len;   /* offsetof the uint32_t length */
};

/* The blob kinds in format order: tcp_info, ccinfo, icons. */
extern const struct blob_field rec_blobs[];
#define REC_NBLOBS 3

/* Store/load little-endian integers of n bytes. */
static inline void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The little-endian 32-bit word at p. */
static inline uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

/* Read one element of `size` bytes from a record field into a u64. */
static inline uint64_t load_elem(const void *p, unsigned size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	default: memcpy(&u64, p, 8); return u64;
	}
}

/* Write v (already known to fit) into a record field element. */
static inline void store_elem(void *p, unsigned size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	default: memcpy(p, &v, 8); break;
	}
}

/* The uint32_t at byte offset off of a record. */
static inline uint32_t rec_u32(const struct sock_record *r, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)r + off, 4);
	return v;
}

static inline void rec_set_u32(struct sock_record *r, size_t off, uint32_t v)
{
	memcpy((uint8_t *)r + off, &v, 4);
}

/* Total blob bytes of one record. */
static inline uint64_t rec_blob_bytes(const struct sock_record *r)
{
	uint64_t n = 0;

	for (size_t b = 0; b < REC_NBLOBS; b++)
		n += rec_u32(r, rec_blobs[b].len);
	return n;
}

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Append v as an unsigned LEB128 varint at *pp. */
static inline void put_varint(uint8_t **pp, uint64_t v)
{
	uint8_t *p = *pp;

	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	*pp = p;
}

/* One record column: where its element is and how it is stored. */
struct rcol {
	uint16_t off;
	uint8_t size;
	uint8_t enc;
};

/* The record columns stored by codec `version`, in format order (an array
 * field is one column per element); returns how many (at most max). */
size_t rec_columns(struct rcol *rc, size_t max, int version);

/* A bounded reader over decoded bytes. */
struct rd {
	const uint8_t *p, *end;
};

/* Read one unsigned LEB128 varint of at most 64 bits; -EBADMSG if it is
 * cut short or too long. */
int rd_varint(struct rd *r, uint64_t *v);
/* Read a varint that must fit in `size` bytes. */
int rd_uint(struct rd *r, unsigned size, uint64_t *v);

/* CRC-32 (IEEE 802.3, reflected) of n bytes. */
uint32_t crc32_ieee(const uint8_t *p, size_t n);

/* Check what an encoder relies on: every offset and range of s inside its
 * pools, every netid and skmem count in range.  Returns 0 or -EINVAL. */
int rec_validate_snapshot(const struct snapshot *s);

#endif
