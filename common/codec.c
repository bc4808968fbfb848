/*
 * codec.c — frame codec version 1: a snapshot <-> one self-contained blob.
 *
 * Layout (doc/FORMAT.md is the normative description): a 48-byte header
 * protected by a CRC-32, then exactly one zstd frame (with content checksum)
 * whose content is, in order: every record field as a column (driven by the
 * field table below), the process columns, the string pool, and the raw
 * attribute blobs (tcp_info, congestion-control info, unix pending
 * connections) as columns of little-endian 32-bit words.
 *
 * The encoder reads the records once, in row order, writing every column's
 * encoded values to a buffer of its own (a column-major pass would miss the
 * cache once per record per column), then streams the columns in format
 * order through a small staging buffer into zstd.  The decoder trusts nothing:
 * every count, length, offset and value width is checked, and any
 * inconsistency is -EBADMSG.  Decoded pools are rebuilt through the sockrec
 * API (intern, add_bytes, add_process), so offsets are canonical afterwards.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "codec.h"
#include "recfields.h"

#define HDR_LEN 48
#define HDR_MAGIC "SKHF"
#define STAGE_LEN (64 * 1024)
#define MAX_RAW_LEN (1024u * 1024 * 1024) /* decompressed payload cap */

/* Number of record fields stored by codec `version`. */
static unsigned fields_in(int version)
{
	unsigned n = 0;

	for (size_t i = 0; i < REC_NFIELDS; i++)
		n += rec_fields[i].since <= version;
	return n;
}

/* ---- encoder ----------------------------------------------------------- */

struct enc {
	ZSTD_CCtx *cctx;
	uint8_t *stage;         /* STAGE_LEN bytes of uncompressed data */
	size_t stage_len;
	uint8_t *out;           /* header + compressed frame */
	size_t out_len, out_cap;
	uint64_t raw_len;       /* uncompressed bytes flushed so far */
	int err;                /* first error, sticky */
};

/* Make room for at least `need` more output bytes. */
static int enc_reserve(struct enc *e, size_t need)
{
	if (e->out_cap - e->out_len >= need)
		return 0;
	size_t cap = e->out_cap * 2;
	if (cap < e->out_len + need)
		cap = e->out_len + need;
	uint8_t *p = realloc(e->out, cap);
	if (!p)
		return -ENOMEM;
	e->out = p;
	e->out_cap = cap;
	return 0;
}

/* Feed the staging buffer to zstd; with ZSTD_e_end also finish the frame. */
static void enc_flush(struct enc *e, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { e->stage, e->stage_len, 0 };
	size_t left;

	if (e->err)
		return;
	e->raw_len += e->stage_len;
	do {
		e->err = enc_reserve(e, ZSTD_CStreamOutSize());
		if (e->err)
			return;
		ZSTD_outBuffer out = { e->out, e->out_cap, e->out_len };
		left = ZSTD_compressStream2(e->cctx, &out, &in, mode);
		if (ZSTD_isError(left)) {
			e->err = -EIO;
			return;
		}
		e->out_len = out.pos;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	e->stage_len = 0;
}

/* Append n uncompressed bytes to the stream. */
static void enc_put(struct enc *e, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n > 0 && !e->err) {
		if (e->stage_len == STAGE_LEN)
			enc_flush(e, ZSTD_e_continue);
		size_t k = STAGE_LEN - e->stage_len;
		if (k > n)
			k = n;
		memcpy(e->stage + e->stage_len, p, k);
		e->stage_len += k;
		p += k;
		n -= k;
	}
}

/* Columns being built row by row: column c's encoded bytes are
 * buf[start[c] .. pos[c]), with room reserved for its worst case. */
struct colset {
	uint8_t *buf;
	size_t *start;
	uint8_t **pos;
	size_t n;
};

/* Free the columns; leaves cs empty. */
static void cols_free(struct colset *cs)
{
	free(cs->buf);
	free(cs->start);
	free(cs->pos);
	memset(cs, 0, sizeof(*cs));
}

/* Reserve cap[c] bytes for each of n columns.  Returns 0, or -ENOMEM with
 * cs left empty. */
static int cols_init(struct colset *cs, const size_t *cap, size_t n)
{
	size_t total = 0;

	for (size_t c = 0; c < n; c++)
		total += cap[c];
	cs->n = n;
	cs->start = malloc((n + 1) * sizeof(*cs->start));
	cs->pos = malloc((n + 1) * sizeof(*cs->pos));
	cs->buf = malloc(total ? total : 1);
	if (!cs->start || !cs->pos || !cs->buf) {
		cols_free(cs);
		return -ENOMEM;
	}
	total = 0;
	for (size_t c = 0; c < n; c++) {
		cs->start[c] = total;
		cs->pos[c] = cs->buf + total;
		total += cap[c];
	}
	return 0;
}

/* Stream the columns to the encoder in order, then free them. */
static void cols_emit(struct enc *e, struct colset *cs)
{
	for (size_t c = 0; c < cs->n; c++)
		enc_put(e, cs->buf + cs->start[c],
			(size_t)(cs->pos[c] - (cs->buf + cs->start[c])));
	cols_free(cs);
}

/* Worst-case encoded bytes of one element of `size` bytes. */
static size_t elem_max(unsigned size, enum col_enc enc)
{
	return enc == ENC_RAW8 ? 1 : (size * 8 + 6) / 7;
}

/* Append one record's element for column c. */
static inline void put_elem(uint8_t **pp, const struct rcol *c,
			    const uint8_t *rec, uint64_t *prev)
{
	uint64_t v = load_elem(rec + c->off, c->size);

	if (c->enc == ENC_RAW8) {
		*(*pp)++ = (uint8_t)v;
	} else if (c->enc == ENC_DELTA) {
		put_varint(pp, zigzag((int64_t)(v - *prev)));
		*prev = v;
	} else {
		put_varint(pp, v);
	}
}

#define MAX_RCOLS 128      /* codec v1 has 82 record columns */
#define GROUP_COLS 21      /* columns built per pass over the records */

/* Emit the n record columns rc in one pass over the records. */
static void enc_record_group(struct enc *e, const struct snapshot *s,
			     const struct rcol *rc, size_t n)
{
	uint64_t prev[GROUP_COLS] = { 0 };
	size_t cap[GROUP_COLS];
	struct colset cs = { 0 };

	for (size_t c = 0; c < n; c++)
		cap[c] = s->nrecs * elem_max(rc[c].size, rc[c].enc);
	if (cols_init(&cs, cap, n) < 0) {
		e->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < s->nrecs; i++)
		for (size_t c = 0; c < n; c++)
			put_elem(&cs.pos[c], &rc[c],
				 (const uint8_t *)&s->recs[i], &prev[c]);
	cols_emit(e, &cs);
}

/* Emit every record field column of codec version 1, a group of adjacent
 * fields per pass: each pass reads only their part of every record and
 * holds only their columns. */
static void enc_records(struct enc *e, const struct snapshot *s)
{
	struct rcol rc[MAX_RCOLS];
	size_t n = rec_columns(rc, MAX_RCOLS, CODEC_COLUMNAR_V1);

	for (size_t c = 0; c < n && !e->err; c += GROUP_COLS)
		enc_record_group(e, s, rc + c,
				 n - c < GROUP_COLS ? n - c : GROUP_COLS);
}

/* Emit the process columns (pid, fd, comm) in record order. */
static void enc_procs(struct enc *e, const struct snapshot *s)
{
	size_t np = 0, cap[3];
	struct colset cs = { 0 };

	for (size_t i = 0; i < s->nrecs; i++)
		np += s->recs[i].proc_count;
	cap[0] = cap[1] = cap[2] = np * 5;
	if (cols_init(&cs, cap, 3) < 0) {
		e->err = -ENOMEM;
	} else {
		for (size_t i = 0; i < s->nrecs; i++) {
			const struct sock_record *r = &s->recs[i];
			for (uint32_t k = 0; k < r->proc_count; k++) {
				const struct sr_process *p =
					&s->procs[r->proc_first + k];
				put_varint(&cs.pos[0], p->pid);
				put_varint(&cs.pos[1], p->fd);
				put_varint(&cs.pos[2], p->comm);
			}
		}
	}
	cols_emit(e, &cs);
}

/* Words in a blob of len bytes (the last one may be short). */
static size_t blob_words(uint32_t len)
{
	return ((size_t)len + 3) / 4;
}

/* Room for each word column of one blob kind: 5 bytes per row whose blob
 * reaches that word.  Returns the number of word columns. */
static size_t blob_caps(const struct snapshot *s, const struct blob_field *bf,
			size_t *cap)
{
	size_t nw = 0;

	for (size_t w = 0; w < blob_words(MAX_BLOB_LEN); w++)
		cap[w] = 0;
	for (size_t i = 0; i < s->nrecs; i++) {
		size_t k = blob_words(rec_u32(&s->recs[i], bf->len));
		if (k > nw)
			nw = k;
		if (k > 0)
			cap[k - 1] += 5;
	}
	for (size_t w = nw; w-- > 1; )
		cap[w - 1] += cap[w];
	return nw;
}

/* Emit word columns w0 .. w0 + n - 1 of one blob kind (room in cap) in one
 * pass over the records. */
static void enc_blob_group(struct enc *e, const struct snapshot *s,
			   const struct blob_field *bf, const size_t *cap,
			   uint32_t w0, uint32_t n)
{
	struct colset cs = { 0 };

	if (cols_init(&cs, cap + w0, n) < 0) {
		e->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < s->nrecs; i++) {
		uint32_t len = rec_u32(&s->recs[i], bf->len);
		uint32_t end = len < 4 * (w0 + n) ? len : 4 * (w0 + n);
		const uint8_t *b = s->bytes + rec_u32(&s->recs[i], bf->off);
		for (uint32_t at = 4 * w0, w = 0; at < end; at += 4, w++)
			put_varint(&cs.pos[w], len - at >= 4 ?
				   le32(b + at) : get_le(b + at, len - at));
	}
	cols_emit(e, &cs);
}

/* Emit one blob kind as word columns: word k of every row whose blob is
 * longer than 4k bytes, a short last word holding only the bytes there are;
 * GROUP_COLS word columns per pass over the records. */
static void enc_blob(struct enc *e, const struct snapshot *s,
		     const struct blob_field *bf)
{
	size_t *cap = malloc(blob_words(MAX_BLOB_LEN) * sizeof(*cap));
	uint32_t nw;

	if (!cap) {
		e->err = -ENOMEM;
		return;
	}
	nw = (uint32_t)blob_caps(s, bf, cap);
	for (uint32_t w0 = 0; w0 < nw && !e->err; w0 += GROUP_COLS)
		enc_blob_group(e, s, bf, cap, w0,
			       nw - w0 < GROUP_COLS ? nw - w0 : GROUP_COLS);
	free(cap);
}

/* Fill the fixed header at the front of the output. */
static void enc_header(struct enc *e, const struct snapshot *s)
{
	uint8_t *h = e->out;
	uint64_t nprocs = 0, nbytes = 0;

	for (size_t i = 0; i < s->nrecs; i++) {
		nprocs += s->recs[i].proc_count;
		nbytes += rec_blob_bytes(&s->recs[i]);
	}
	memcpy(h, HDR_MAGIC, 4);
	h[4] = CODEC_COLUMNAR_V1;
	h[5] = (uint8_t)fields_in(CODEC_COLUMNAR_V1);
	put_le(h + 6, HDR_LEN, 2);
	put_le(h + 8, s->nrecs, 4);
	put_le(h + 12, nprocs, 4);
	put_le(h + 16, s->strpool_len, 4);
	put_le(h + 20, nbytes, 4);
	put_le(h + 24, e->raw_len, 4);
	put_le(h + 28, (uint64_t)s->time_ns, 8);
	put_le(h + 36, s->netns_ino, 8);
	put_le(h + 44, crc32_ieee(h, 44), 4);
}

/* Set up the compressor and output buffer for a snapshot of s's size. */
static int enc_init(struct enc *e, const struct snapshot *s, int level)
{
	memset(e, 0, sizeof(*e));
	e->cctx = ZSTD_createCCtx();
	e->stage = malloc(STAGE_LEN);
	e->out_cap = HDR_LEN + 4096 + s->nrecs * 48;
	e->out = malloc(e->out_cap);
	if (!e->cctx || !e->stage || !e->out)
		return -ENOMEM;
	e->out_len = HDR_LEN;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx,
			ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->cctx,
			ZSTD_c_checksumFlag, 1)))
		return -EIO;
	return 0;
}

/* Encode s; see codec.h. */
int codec_encode(const struct snapshot *s, int zstd_level, uint8_t **out,
		 size_t *outlen)
{
	struct enc e;
	int r = rec_validate_snapshot(s);

	if (r < 0)
		return r;
	r = enc_init(&e, s, zstd_level);
	if (r == 0) {
		enc_records(&e, s);
		enc_procs(&e, s);
		enc_put(&e, s->strpool, s->strpool_len);
		for (size_t b = 0; b < REC_NBLOBS; b++)
			enc_blob(&e, s, &rec_blobs[b]);
		enc_flush(&e, ZSTD_e_end);
		r = e.err;
	}
	if (r == 0 && e.raw_len > MAX_RAW_LEN)
		r = -EINVAL;
	ZSTD_freeCCtx(e.cctx);
	free(e.stage);
	if (r < 0) {
		free(e.out);
		return r;
	}
	enc_header(&e, s);
	*out = e.out;
	*outlen = e.out_len;
	return 0;
}

/* ---- decoder ----------------------------------------------------------- */

struct hdr {
	uint32_t nrecs, nprocs, strpool_len, nbytes, raw_len;
	int64_t time_ns;
	uint64_t netns_ino;
};

static int dec_check_counts(const struct hdr *h);

/* Parse and check the fixed header of a version-1 blob. */
static int dec_header(const uint8_t *b, size_t len, struct hdr *h)
{
	if (len < HDR_LEN || memcmp(b, HDR_MAGIC, 4) != 0 ||
	    get_le(b + 44, 4) != crc32_ieee(b, 44) ||
	    b[4] != CODEC_COLUMNAR_V1 ||
	    b[5] != fields_in(CODEC_COLUMNAR_V1) ||
	    get_le(b + 6, 2) != HDR_LEN)
		return -EBADMSG;
	h->nrecs = (uint32_t)get_le(b + 8, 4);
	h->nprocs = (uint32_t)get_le(b + 12, 4);
	h->strpool_len = (uint32_t)get_le(b + 16, 4);
	h->nbytes = (uint32_t)get_le(b + 20, 4);
	h->raw_len = (uint32_t)get_le(b + 24, 4);
	h->time_ns = (int64_t)get_le(b + 28, 8);
	h->netns_ino = get_le(b + 36, 8);
	return dec_check_counts(h);
}

/* Are a header's counts consistent with its payload length? */
static int dec_check_counts(const struct hdr *h)
{
	if (h->raw_len > MAX_RAW_LEN ||
	    (uint64_t)h->nrecs * fields_in(CODEC_COLUMNAR_V1) > h->raw_len ||
	    (uint64_t)h->nprocs * 3 > h->raw_len ||
	    h->strpool_len == 0 || h->strpool_len > h->raw_len ||
	    (uint64_t)h->nbytes > 4ull * h->raw_len)
		return -EBADMSG;
	return 0;
}

/* Decompress exactly one zstd frame of exactly raw_len bytes into *out.
 * The buffer grows with the data actually produced, so a lying header
 * cannot make us allocate more than the frame really holds (plus 2x). */
static int dec_inflate(const uint8_t *src, size_t len, uint32_t raw_len,
		       uint8_t **out)
{
	size_t fsz = ZSTD_findFrameCompressedSize(src, len);
	unsigned long long csz = ZSTD_getFrameContentSize(src, len);

	if (ZSTD_isError(fsz) || fsz != len || csz == ZSTD_CONTENTSIZE_ERROR ||
	    (csz != ZSTD_CONTENTSIZE_UNKNOWN && csz != raw_len))
		return -EBADMSG;
	ZSTD_DCtx *d = ZSTD_createDCtx();
	size_t cap = raw_len < 65536 ? raw_len : 65536;
	uint8_t *buf = malloc(cap ? cap : 1);
	int r = (d && buf) ? 0 : -ENOMEM;
	ZSTD_inBuffer in = { src, len, 0 };
	ZSTD_outBuffer ob = { buf, cap, 0 };
	size_t left = 1;

	while (r == 0 && left != 0) {
		if (ob.pos == ob.size && ob.size < raw_len) {
			size_t ncap = ob.size * 2 < raw_len ? ob.size * 2 : raw_len;
			uint8_t *p = realloc(buf, ncap);
			if (!p) {
				r = -ENOMEM;
				break;
			}
			buf = p;
			ob.dst = buf;
			ob.size = ncap;
		}
		size_t before_in = in.pos, before_out = ob.pos;
		left = ZSTD_decompressStream(d, &ob, &in);
		if (ZSTD_isError(left) || (left != 0 && in.pos == before_in &&
					  ob.pos == before_out))
			r = -EBADMSG;
	}
	ZSTD_freeDCtx(d);
	if (r == 0 && (ob.pos != raw_len || in.pos != len))
		r = -EBADMSG;
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

/* Read the record columns into s->recs (already nrecs zeroed records). */
static int dec_records(struct rd *rd, int version, struct snapshot *s)
{
	for (size_t f = 0; f < REC_NFIELDS; f++) {
		const struct field *fd = &rec_fields[f];
		if (fd->since > version)
			continue;
		for (unsigned j = 0; j < fd->count; j++) {
			size_t off = fd->offset + (size_t)j * fd->size;
			uint64_t v, prev = 0;
			for (size_t i = 0; i < s->nrecs; i++) {
				uint8_t *rp = (uint8_t *)&s->recs[i];
				if (fd->enc == ENC_RAW8) {
					if (rd->p == rd->end)
						return -EBADMSG;
					v = *rd->p++;
				} else if (rd_varint(rd, &v) < 0) {
					return -EBADMSG;
				}
				if (fd->enc == ENC_DELTA)
					v = prev + (uint64_t)unzigzag(v);
				if (fd->size < 8 && (v >> (8 * fd->size)) != 0)
					return -EBADMSG;
				prev = v;
				store_elem(rp + off, fd->size, v);
			}
		}
	}
	return 0;
}

/* Check per-record invariants and that the counts add up to the header. */
static int dec_check_records(const struct snapshot *s, const struct hdr *h)
{
	uint64_t nprocs = 0, nbytes = 0;

	for (size_t i = 0; i < s->nrecs; i++) {
		const struct sock_record *r = &s->recs[i];
		if (r->netid >= NETID_COUNT || r->skmem_count > SR_SKMEM_MAX ||
		    r->name >= h->strpool_len || r->cong >= h->strpool_len)
			return -EBADMSG;
		for (size_t b = 0; b < REC_NBLOBS; b++)
			if (rec_u32(r, rec_blobs[b].len) > MAX_BLOB_LEN)
				return -EBADMSG;
		nprocs += r->proc_count;
		nbytes += rec_blob_bytes(r);
	}
	if (nprocs != h->nprocs || nbytes != h->nbytes)
		return -EBADMSG;
	return 0;
}

/* Intern every string of the decoded pool into s; map[old] = new offset for
 * string starts, UINT32_MAX elsewhere.  The pool must start and end with
 * NUL (checked by the caller). */
static int dec_strpool(const char *pool, uint32_t len, struct snapshot *s,
		       uint32_t *map)
{
	for (uint32_t i = 0; i < len; i++)
		map[i] = UINT32_MAX;
	for (uint32_t at = 0; at < len;) {
		size_t n = strlen(pool + at);
		int64_t o = snapshot_intern(s, pool + at, n);
		if (o < 0)
			return (int)o;
		map[at] = (uint32_t)o;
		at += (uint32_t)n + 1;
	}
	return 0;
}

/* Translate a decoded string offset through map; -EBADMSG if it is not the
 * start of a string. */
static int dec_remap(const uint32_t *map, uint32_t len, uint32_t *off)
{
	if (*off >= len || map[*off] == UINT32_MAX)
		return -EBADMSG;
	*off = map[*off];
	return 0;
}

/* Read the process columns and the string pool, then rebuild s's string
 * pool and process list in record order. */
static int dec_procs_strings(struct rd *rd, const struct hdr *h,
			     struct snapshot *s)
{
	uint32_t *pp = malloc(((size_t)h->nprocs * 3 + 1) * sizeof(*pp));
	uint32_t *map = malloc((size_t)h->strpool_len * sizeof(*map));
	int r = (pp && map) ? 0 : -ENOMEM;
	uint64_t v;

	for (size_t i = 0; r == 0 && i < (size_t)h->nprocs * 3; i++) {
		r = rd_uint(rd, 4, &v);
		pp[i] = (uint32_t)v;
	}
	const char *pool = (const char *)rd->p;
	if (r == 0 && ((size_t)(rd->end - rd->p) < h->strpool_len ||
		       pool[0] != '\0' || pool[h->strpool_len - 1] != '\0'))
		r = -EBADMSG;
	if (r == 0) {
		rd->p += h->strpool_len;
		r = dec_strpool(pool, h->strpool_len, s, map);
	}
	for (size_t i = 0; r == 0 && i < s->nrecs; i++) {
		r = dec_remap(map, h->strpool_len, &s->recs[i].name);
		if (r == 0)
			r = dec_remap(map, h->strpool_len, &s->recs[i].cong);
	}
	for (size_t i = 0; r == 0 && i < h->nprocs; i++) {
		uint32_t comm = pp[2 * (size_t)h->nprocs + i];
		if (comm >= h->strpool_len || map[comm] == UINT32_MAX)
			r = -EBADMSG;
		else
			r = snapshot_add_process(s, pp[i], pp[h->nprocs + i],
						 pool + comm);
	}
	uint32_t first = 0;
	for (size_t i = 0; r == 0 && i < s->nrecs; i++) {
		s->recs[i].proc_first = first;
		first += s->recs[i].proc_count;
	}
	free(pp);
	free(map);
	return r;
}

/* Lay the blobs out in buf: record by record, each record's blobs in table
 * order.  Sets every *_off to its position in buf (0 when empty). */
static void dec_blob_layout(struct snapshot *s)
{
	uint32_t at = 0;

	for (size_t i = 0; i < s->nrecs; i++) {
		for (size_t b = 0; b < REC_NBLOBS; b++) {
			uint32_t len = rec_u32(&s->recs[i], rec_blobs[b].len);
			rec_set_u32(&s->recs[i], rec_blobs[b].off, len ? at : 0);
			at += len;
		}
	}
}

/* Read one blob kind's word columns into buf at the laid-out offsets. */
static int dec_blob(struct rd *rd, const struct blob_field *bf,
		    struct snapshot *s, uint8_t *buf)
{
	uint32_t maxlen = 0;

	for (size_t i = 0; i < s->nrecs; i++)
		if (rec_u32(&s->recs[i], bf->len) > maxlen)
			maxlen = rec_u32(&s->recs[i], bf->len);
	for (uint32_t w = 0; w < maxlen; w += 4) {
		for (size_t i = 0; i < s->nrecs; i++) {
			uint32_t len = rec_u32(&s->recs[i], bf->len);
			if (len <= w)
				continue;
			unsigned n = len - w < 4 ? len - w : 4;
			uint64_t v;
			if (rd_uint(rd, n, &v) < 0)
				return -EBADMSG;
			put_le(buf + rec_u32(&s->recs[i], bf->off) + w, v, n);
		}
	}
	return 0;
}

/* Read every blob kind and add the bytes to s's byte pool, rebasing the
 * records' offsets onto it. */
static int dec_blobs(struct rd *rd, const struct hdr *h, struct snapshot *s)
{
	uint8_t *buf = malloc(h->nbytes ? h->nbytes : 1);
	int r = buf ? 0 : -ENOMEM;
	int64_t base = 0;

	dec_blob_layout(s);
	for (size_t b = 0; r == 0 && b < REC_NBLOBS; b++)
		r = dec_blob(rd, &rec_blobs[b], s, buf);
	if (r == 0 && h->nbytes > 0) {
		base = snapshot_add_bytes(s, buf, h->nbytes);
		if (base < 0)
			r = (int)base;
	}
	for (size_t i = 0; r == 0 && base > 0 && i < s->nrecs; i++) {
		for (size_t b = 0; b < REC_NBLOBS; b++) {
			struct sock_record *rec = &s->recs[i];
			if (rec_u32(rec, rec_blobs[b].len))
				rec_set_u32(rec, rec_blobs[b].off, (uint32_t)(base +
					rec_u32(rec, rec_blobs[b].off)));
		}
	}
	free(buf);
	return r;
}

/* Parse a decompressed version-1 payload into s (already reset). */
static int dec_payload(const uint8_t *raw, const struct hdr *h,
		       struct snapshot *s)
{
	struct rd rd = { raw, raw + h->raw_len };
	int r = 0;

	for (uint32_t i = 0; r == 0 && i < h->nrecs; i++)
		if (!snapshot_add_record(s))
			r = -ENOMEM;
	if (r == 0)
		r = dec_records(&rd, CODEC_COLUMNAR_V1, s);
	if (r == 0)
		r = dec_check_records(s, h);
	if (r == 0)
		r = dec_procs_strings(&rd, h, s);
	if (r == 0)
		r = dec_blobs(&rd, h, s);
	if (r == 0 && rd.p != rd.end)
		r = -EBADMSG;
	return r;
}

/* Decode a decompressed payload; see codec.h. */
int codec_decode_payload(const struct codec_counts *c, const uint8_t *raw,
			 size_t len, struct snapshot *s)
{
	struct hdr h = {
		.nrecs = c->nrecs, .nprocs = c->nprocs,
		.strpool_len = c->strpool_len, .nbytes = c->nbytes,
		.raw_len = (uint32_t)len,
	};
	int r = len > MAX_RAW_LEN ? -EBADMSG : dec_check_counts(&h);

	snapshot_reset(s);
	if (r == 0)
		r = dec_payload(raw, &h, s);
	if (r < 0)
		snapshot_reset(s);
	return r;
}

/* Decode a blob; see codec.h. */
int codec_decode(int version, const uint8_t *blob, size_t len,
		 struct snapshot *s)
{
	struct hdr h;
	uint8_t *raw = NULL;
	int r;

	if (version != CODEC_COLUMNAR_V1)
		return -EPROTONOSUPPORT;
	snapshot_reset(s);
	r = dec_header(blob, len, &h);
	if (r == 0)
		r = dec_inflate(blob + HDR_LEN, len - HDR_LEN, h.raw_len, &raw);
	if (r == 0)
		r = dec_payload(raw, &h, s);
	free(raw);
	if (r < 0) {
		snapshot_reset(s);
		return r;
	}
	s->time_ns = h.time_ns;
	s->netns_ino = h.netns_ino;
	return 0;
}
