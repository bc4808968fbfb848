/*
 * chain.c — frame codec version 2: keyframes and deltas (see chain.h; the
 * normative byte layout is in doc/FORMAT.md).
 *
 * A frame is a 64-byte header (CRC-32), a directory of sections and the
 * sections themselves, each stored raw or as one zstd frame; a CRC-32 in
 * the header covers directory and sections.  A section is one column: the
 * gone positions, the changed survivors, the new strings, the new rows'
 * processes, a record field for the new rows (full values) or for the
 * changed surviving rows (differences), or one 32-bit word of a raw
 * attribute (tcp_info, ...) likewise; the tcp_info "ms since" words keep
 * differences for every survivor, so clock jitter alone changes no row.  A
 * column of all zeros is left out.
 *
 * The writer keeps its own chain state and advances it by applying the
 * frame it just encoded, so writer and readers reach the same state by
 * construction.  The state keeps values rebased (absolute times); only
 * chain_materialize turns them back into what the kernel reported.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "chain.h"
#include "recfields.h"

#define HDR_LEN 72
#define HDR_MAGIC "SKHF"
#define KIND_KEY 0
#define KIND_DELTA 1
#define MAX_SECT_LEN (256u * 1024 * 1024) /* decompressed section cap */
#define MIN_ZSTD_LEN 64    /* shorter sections are stored raw */
#define MAX_RCOLS 128
#define GROUP_COLS 16      /* columns built per pass over the rows */
#define BLOB_WORDS ((MAX_BLOB_LEN + 3) / 4)
#define FD_CACHE 64        /* last fd per pid % FD_CACHE, for fd deltas */

/* Section ids (ascending in a frame). */
enum {
	SEC_GONE = 0,           /* gaps between gone positions, varints */
	SEC_STRINGS = 1,        /* new strings, each NUL-terminated */
	SEC_PROC_PID = 2,       /* new rows' processes, in row order */
	SEC_PROC_FD = 3,
	SEC_PROC_COMM = 4,
	SEC_CHANGED = 5,        /* gaps between changed surviving rows */
	SEC_COL = 16,           /* + 2 * column (+ 1 for differences) */
	SEC_BLOB = 512,         /* + 2 * (kind * BLOB_WORDS + word) (+ 1) */
};

/* The tcp_info words that count milliseconds since an event (last data
 * sent, last data received, last ACK received); all three are computed from
 * one `now`, so the differences of the last two are stored relative to the
 * first's. */
#define TI_LAST_DATA_SENT 11
#define TI_LAST_DATA_RECV 13
#define TI_LAST_ACK_RECV 14

/* How a record column is treated besides its plain value. */
enum col_kind {
	CK_PLAIN,
	CK_EXPIRES,  /* timer expiry: absolute time while a timer runs */
	CK_STRING,   /* a string pool offset: remapped into the chain's pool */
	CK_SHAPE,    /* must not change for a surviving row (else: re-added) */
};

struct ccol {
	struct rcol rc;
	enum col_kind kind;
};

/* The record columns of codec 2 with their treatment; returns how many. */
static size_t chain_columns(struct ccol *cc)
{
	struct rcol rc[MAX_RCOLS];
	size_t n = rec_columns(rc, MAX_RCOLS, CODEC_CHAIN_V2);

	for (size_t i = 0; i < n; i++) {
		size_t off = rc[i].off;
		cc[i].rc = rc[i];
		cc[i].kind = CK_PLAIN;
		if (off == offsetof(struct sock_record, expires_ms))
			cc[i].kind = CK_EXPIRES;
		else if (off == offsetof(struct sock_record, name) ||
			 off == offsetof(struct sock_record, cong))
			cc[i].kind = CK_STRING;
		else if (off == offsetof(struct sock_record, proc_count) ||
			 off == offsetof(struct sock_record, skmem_count) ||
			 off == offsetof(struct sock_record, tcpi_len) ||
			 off == offsetof(struct sock_record, ccinfo_len) ||
			 off == offsetof(struct sock_record, ccinfo_kind) ||
			 off == offsetof(struct sock_record, icons_len))
			cc[i].kind = CK_SHAPE;
	}
	return n;
}

/* The columns of the first codec-2 frames (format 2 and 3 files): the
 * fields codec 1 has.  A frame stores the first ncols columns; the later
 * ones of older frames read as zero (new rows) or unchanged. */
static size_t first_columns(void)
{
	struct rcol rc[MAX_RCOLS];

	return rec_columns(rc, MAX_RCOLS, 1);
}

/* A frame's time in milliseconds, modulo 2^32: the base of rebasing. */
static uint32_t time_ms32(int64_t time_ns)
{
	return (uint32_t)((uint64_t)time_ns / 1000000u);
}

/* Is word w of blob kind b one of the "ms since" words?  Their differences
 * are stored for every surviving row that has the word, not only for the
 * changed rows, so that a row whose only change is the kernel's clock
 * jitter in them does not count as changed. */
static bool is_since_index(size_t b, uint32_t w)
{
	return b == 0 && (w == TI_LAST_DATA_SENT || w == TI_LAST_DATA_RECV ||
			  w == TI_LAST_ACK_RECV);
}

/* Is word w of blob kind b a "ms since" field, for a blob of len bytes? */
static bool is_since_word(size_t b, uint32_t w, uint32_t len)
{
	return b == 0 && len >= 4 * w + 4 &&
	       (w == TI_LAST_DATA_SENT || w == TI_LAST_DATA_RECV ||
		w == TI_LAST_ACK_RECV);
}

/* All-ones in the low `bits` bits. */
static uint64_t width_mask(unsigned bits)
{
	return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

/* The signed difference a - b in a field of `bits` bits. */
static int64_t wrap_diff(uint64_t a, uint64_t b, unsigned bits)
{
	uint64_t d = (a - b) & width_mask(bits);

	if (bits < 64 && (d >> (bits - 1)))
		d |= ~width_mask(bits);
	return (int64_t)d;
}

/* ---- state ------------------------------------------------------------- */

int chain_init(struct chain *c)
{
	memset(c, 0, sizeof(*c));
	c->cctx = ZSTD_createCCtx();
	c->dctx = ZSTD_createDCtx();
	if (!c->cctx || !c->dctx || snapshot_init(&c->st) < 0) {
		chain_free(c);
		return -ENOMEM;
	}
	return 0;
}

void chain_free(struct chain *c)
{
	snapshot_free(&c->st);
	free(c->merge);
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	memset(c, 0, sizeof(*c));
}

void chain_reset(struct chain *c)
{
	snapshot_reset(&c->st);
	c->frames = 0;
	c->key_bytes = 0;
	c->delta_bytes = 0;
}

/* ---- growable byte buffer ------------------------------------------------ */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

/* Make room for n more bytes.  Returns 0 or -ENOMEM. */
static int buf_reserve(struct buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return 0;
	size_t cap = b->cap ? b->cap * 2 : 4096;
	while (cap - b->len < n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_put(struct buf *b, const void *data, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -ENOMEM;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

static int buf_varint(struct buf *b, uint64_t v)
{
	if (buf_reserve(b, 10) < 0)
		return -ENOMEM;
	uint8_t *p = b->p + b->len;
	put_varint(&p, v);
	b->len = (size_t)(p - b->p);
	return 0;
}

/* ---- encoder ------------------------------------------------------------- */

/* One section being written: its id and uncompressed bytes. */
struct wsect {
	uint32_t id;
	struct buf raw;
};

struct enc {
	struct chain *c;
	const struct snapshot *s;
	uint32_t t_ms;                  /* the rebasing base (ms) */
	uint32_t *map;                  /* s string offset -> chain offset */
	struct buf strings;             /* SEC_STRINGS */
	uint32_t *gone, *newr;          /* gone state rows, new rows of s */
	uint32_t *mp, *mc, *chg;        /* changed survivors: state row, row
					 * of s, index among the survivors */
	uint32_t *sp, *sc;              /* every survivor: state row, row */
	size_t ngone, nnew, nsurv, nchg;
	struct wsect *sect;
	size_t nsect, sect_cap;
	int level;
	int err;
};

/* Add a section (takes over raw); an empty section is dropped. */
static void add_section(struct enc *e, uint32_t id, struct buf *raw)
{
	if (e->err || raw->len == 0) {
		free(raw->p);
		return;
	}
	if (e->nsect == e->sect_cap) {
		size_t cap = e->sect_cap ? e->sect_cap * 2 : 256;
		struct wsect *p = realloc(e->sect, cap * sizeof(*p));
		if (!p) {
			free(raw->p);
			e->err = -ENOMEM;
			return;
		}
		e->sect = p;
		e->sect_cap = cap;
	}
	e->sect[e->nsect].id = id;
	e->sect[e->nsect++].raw = *raw;
}

/* Intern every string of s into the chain's pool (new ones also go to the
 * STRINGS section, in pool order) and fill map for string starts. */
static int map_strings(struct enc *e)
{
	const struct snapshot *s = e->s;
	struct snapshot *st = &e->c->st;

	e->map = calloc(s->strpool_len, sizeof(*e->map));
	if (!e->map)
		return -ENOMEM;
	for (size_t at = 1; at < s->strpool_len;) {
		size_t n = strlen(s->strpool + at);
		size_t before = st->strpool_len;
		int64_t o = snapshot_intern(st, s->strpool + at, n);
		if (o < 0)
			return (int)o;
		if (st->strpool_len != before &&
		    buf_put(&e->strings, s->strpool + at, n + 1) < 0)
			return -ENOMEM;
		e->map[at] = (uint32_t)o;
		at += n + 1;
	}
	return 0;
}

/* Do a surviving socket's process lists match (same pid, fd and name)? */
static bool same_procs(const struct snapshot *st, const struct sock_record *p,
		       const struct snapshot *s, const struct sock_record *r,
		       const uint32_t *map)
{
	for (uint32_t k = 0; k < r->proc_count; k++) {
		const struct sr_process *a = &st->procs[p->proc_first + k];
		const struct sr_process *b = &s->procs[r->proc_first + k];
		if (a->pid != b->pid || a->fd != b->fd || a->comm != map[b->comm])
			return false;
	}
	return true;
}

/* Can row r of s be stored as differences against state row p? */
static bool same_shape(const struct enc *e, const struct sock_record *p,
		       const struct sock_record *r)
{
	return p->proc_count == r->proc_count &&
	       p->skmem_count == r->skmem_count &&
	       p->tcpi_len == r->tcpi_len && p->ccinfo_len == r->ccinfo_len &&
	       p->ccinfo_kind == r->ccinfo_kind &&
	       p->icons_len == r->icons_len &&
	       same_procs(&e->c->st, p, e->s, r, e->map);
}

static uint32_t blob_word(const uint8_t *p, size_t b, uint32_t w, uint32_t len,
			  uint32_t t_ms);

/* The byte ranges of a record that the columns store, adjacent columns
 * merged: a record compares equal by these, never by its padding. */
struct run {
	uint16_t off, len;
};

/* Fill runs (room for MAX_RCOLS) from the columns; returns how many. */
static size_t column_runs(struct run *runs)
{
	struct ccol cc[MAX_RCOLS];
	size_t n = chain_columns(cc), k = 0;

	for (size_t c = 0; c < n; c++) {
		uint16_t off = cc[c].rc.off, len = cc[c].rc.size;
		if (k > 0 && runs[k - 1].off + runs[k - 1].len == off)
			runs[k - 1].len += len;
		else
			runs[k++] = (struct run){ off, len };
	}
	return k;
}

/* Does surviving row r of s differ from state row p in any stored value
 * (after rebasing)?  Same shape is already known. */
static bool row_changed(const struct enc *e, const struct run *runs,
			size_t nruns, const struct sock_record *p,
			const struct sock_record *r)
{
	struct sock_record c = *r;

	c.name = e->map[r->name];
	c.cong = e->map[r->cong];
	if (c.timer != 0)
		c.expires_ms = e->t_ms + r->expires_ms;
	for (size_t k = 0; k < nruns; k++)
		if (memcmp((const uint8_t *)&c + runs[k].off,
			   (const uint8_t *)p + runs[k].off, runs[k].len) != 0)
			return true;
	for (size_t b = 0; b < REC_NBLOBS; b++) {
		uint32_t len = rec_u32(r, rec_blobs[b].len);
		if (len == 0)
			continue;
		const uint8_t *x = e->s->bytes + rec_u32(r, rec_blobs[b].off);
		const uint8_t *y = e->c->st.bytes + rec_u32(p, rec_blobs[b].off);
		uint32_t from = 0;
		for (uint32_t w = TI_LAST_DATA_SENT; b == 0 && 4 * w < len; w++) {
			if (!is_since_index(b, w))
				continue;
			if (memcmp(x + from, y + from, 4 * w - from) != 0)
				return true;
			from = 4 * w + 4 < len ? 4 * w + 4 : len;
		}
		if (memcmp(x + from, y + from, len - from) != 0)
			return true;
	}
	return false;
}

/* The rebasing base for s: its time in ms, corrected by the difference
 * most surviving sockets' last_data_sent moved by beyond that time.  The
 * kernel counts "ms since" on its own clock (jiffies), which drifts from
 * the wall clock between two snapshots by the same few ms for every
 * socket; absorbing that into the base leaves idle sockets unchanged.
 * The majority vote (Boyer-Moore) finds the common difference in one pass;
 * without a majority there is no correction. */
static uint32_t since_base(const struct enc *e)
{
	const struct snapshot *st = &e->c->st, *s = e->s;
	uint32_t t_ms = time_ms32(s->time_ns), cand = 0;
	size_t votes = 0, n = 0, i = 0, j = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (i = 0, j = 0, n = 0; i < st->nrecs && j < s->nrecs;) {
			const struct sock_record *p = &st->recs[i], *r = &s->recs[j];
			if (p->cookie != r->cookie) {
				p->cookie < r->cookie ? i++ : j++;
				continue;
			}
			i++, j++;
			if (!is_since_word(0, TI_LAST_DATA_SENT, r->tcpi_len) ||
			    p->tcpi_len != r->tcpi_len)
				continue;
			uint32_t d = le32(st->bytes + p->tcpi_off +
					  4 * TI_LAST_DATA_SENT) -
				(t_ms - le32(s->bytes + r->tcpi_off +
					     4 * TI_LAST_DATA_SENT));
			n++;
			if (pass == 1)
				votes += d == cand;
			else if (votes == 0)
				cand = d, votes = 1;
			else
				votes += d == cand ? 1 : (size_t)-1;
		}
		if (pass == 0)
			votes = 0;
	}
	return votes * 2 > n ? t_ms + cand : t_ms;
}

/* Split the rows into gone (state), new (s) and surviving pairs; keep the
 * surviving pairs that changed. */
static int classify(struct enc *e)
{
	const struct snapshot *st = &e->c->st, *s = e->s;
	size_t i = 0, j = 0;

	struct run runs[MAX_RCOLS];
	size_t nruns = column_runs(runs);

	e->gone = malloc((st->nrecs + 1) * sizeof(*e->gone));
	e->mp = malloc((st->nrecs + 1) * sizeof(*e->mp));
	e->mc = malloc((st->nrecs + 1) * sizeof(*e->mc));
	e->chg = malloc((st->nrecs + 1) * sizeof(*e->chg));
	e->sp = malloc((st->nrecs + 1) * sizeof(*e->sp));
	e->sc = malloc((st->nrecs + 1) * sizeof(*e->sc));
	e->newr = malloc((s->nrecs + 1) * sizeof(*e->newr));
	if (!e->gone || !e->mp || !e->mc || !e->chg || !e->sp || !e->sc ||
	    !e->newr)
		return -ENOMEM;
	while (i < st->nrecs || j < s->nrecs) {
		const struct sock_record *p = i < st->nrecs ? &st->recs[i] : NULL;
		const struct sock_record *r = j < s->nrecs ? &s->recs[j] : NULL;
		if (p && (!r || p->cookie < r->cookie)) {
			e->gone[e->ngone++] = (uint32_t)i++;
		} else if (!p || r->cookie < p->cookie) {
			e->newr[e->nnew++] = (uint32_t)j++;
		} else if (same_shape(e, p, r)) {
			if (row_changed(e, runs, nruns, p, r)) {
				e->mp[e->nchg] = (uint32_t)i;
				e->mc[e->nchg] = (uint32_t)j;
				e->chg[e->nchg++] = (uint32_t)e->nsurv;
			}
			e->sp[e->nsurv] = (uint32_t)i;
			e->sc[e->nsurv++] = (uint32_t)j;
			i++;
			j++;
		} else {
			e->gone[e->ngone++] = (uint32_t)i++;
			e->newr[e->nnew++] = (uint32_t)j++;
		}
	}
	return 0;
}

/* Column c's value for row r of s, as the chain stores it. */
static uint64_t cur_value(const struct enc *e, const struct ccol *c,
			  const struct sock_record *r)
{
	uint64_t v = load_elem((const uint8_t *)r + c->rc.off, c->rc.size);

	if (c->kind == CK_STRING)
		return e->map[v];
	if (c->kind == CK_EXPIRES && r->timer != 0)
		return (uint32_t)(e->t_ms + v);
	return v;
}

/* Ascending positions pos[0..n) as gaps (pos[0], then the distance to
 * the one before less one): section id. */
static void enc_gaps(struct enc *e, uint32_t id, const uint32_t *pos, size_t n)
{
	struct buf b = { 0 };
	uint32_t next = 0;

	for (size_t k = 0; k < n && !e->err; k++) {
		if (buf_varint(&b, pos[k] - next) < 0)
			e->err = -ENOMEM;
		next = pos[k] + 1;
	}
	add_section(e, id, &b);
}

/* The new rows' processes: pid, fd and name columns.  pid is stored as
 * the difference from the process before (owners come in runs), fd as the
 * difference from the last fd of a pid in the same FD_CACHE slot (a
 * process's sockets come in fd order). */
static void enc_procs(struct enc *e)
{
	struct buf b[3] = { { 0 } };
	uint32_t pid = 0, fd[FD_CACHE] = { 0 };

	for (size_t k = 0; k < e->nnew && !e->err; k++) {
		const struct sock_record *r = &e->s->recs[e->newr[k]];
		for (uint32_t i = 0; i < r->proc_count; i++) {
			const struct sr_process *p = &e->s->procs[r->proc_first + i];
			int64_t dpid = wrap_diff(p->pid, pid, 32);
			int64_t dfd = wrap_diff(p->fd, fd[p->pid % FD_CACHE], 32);
			pid = p->pid;
			fd[p->pid % FD_CACHE] = p->fd;
			if (buf_varint(&b[0], zigzag(dpid)) < 0 ||
			    buf_varint(&b[1], zigzag(dfd)) < 0 ||
			    buf_varint(&b[2], e->map[p->comm]) < 0)
				e->err = -ENOMEM;
		}
	}
	for (int i = 0; i < 3; i++)
		add_section(e, SEC_PROC_PID + (uint32_t)i, &b[i]);
}

/* Is every byte of a column a zero (all values 0)? */
static bool all_zero(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->p[i])
			return false;
	return true;
}

/* Add a column section unless it only holds zeros. */
static void add_column(struct enc *e, uint32_t id, struct buf *b)
{
	if (all_zero(b))
		b->len = 0;
	add_section(e, id, b);
}

/* Full values of the new rows for columns cc[0..n), one pass. */
static void enc_new_group(struct enc *e, const struct ccol *cc, size_t c0,
			  size_t n)
{
	struct buf b[GROUP_COLS] = { { 0 } };
	uint64_t prev[GROUP_COLS] = { 0 };

	for (size_t c = 0; c < n; c++)
		if (buf_reserve(&b[c], e->nnew * 10 + 1) < 0)
			e->err = -ENOMEM;
	for (size_t k = 0; k < e->nnew && !e->err; k++) {
		const struct sock_record *r = &e->s->recs[e->newr[k]];
		for (size_t c = 0; c < n; c++) {
			const struct ccol *col = &cc[c0 + c];
			uint64_t v = cur_value(e, col, r);
			uint8_t *p = b[c].p + b[c].len;
			if (col->rc.enc == ENC_RAW8)
				*p++ = (uint8_t)v;
			else if (col->rc.enc == ENC_DELTA)
				put_varint(&p, zigzag((int64_t)(v - prev[c])));
			else
				put_varint(&p, v);
			prev[c] = v;
			b[c].len = (size_t)(p - b[c].p);
		}
	}
	for (size_t c = 0; c < n; c++)
		add_column(e, SEC_COL + 2 * (uint32_t)(c0 + c), &b[c]);
}

/* Differences of the surviving rows for columns cc[c0..c0+n), one pass. */
static void enc_upd_group(struct enc *e, const struct ccol *cc, size_t c0,
			  size_t n)
{
	struct buf b[GROUP_COLS] = { { 0 } };
	const struct snapshot *st = &e->c->st;

	for (size_t c = 0; c < n; c++)
		if (buf_reserve(&b[c], e->nchg * 10 + 1) < 0)
			e->err = -ENOMEM;
	for (size_t k = 0; k < e->nchg && !e->err; k++) {
		const struct sock_record *p = &st->recs[e->mp[k]];
		const struct sock_record *r = &e->s->recs[e->mc[k]];
		for (size_t c = 0; c < n; c++) {
			const struct ccol *col = &cc[c0 + c];
			uint64_t old = load_elem((const uint8_t *)p + col->rc.off,
						 col->rc.size);
			uint8_t *q = b[c].p + b[c].len;
			put_varint(&q, zigzag(wrap_diff(cur_value(e, col, r), old,
							8u * col->rc.size)));
			b[c].len = (size_t)(q - b[c].p);
		}
	}
	for (size_t c = 0; c < n; c++) {
		/* A shape column never differs: same_shape() said so. */
		if (cc[c0 + c].kind == CK_SHAPE)
			b[c].len = 0;
		add_column(e, SEC_COL + 2 * (uint32_t)(c0 + c) + 1, &b[c]);
	}
}

/* Word w (n bytes) of a blob at p, rebased when it counts "ms since". */
static uint32_t blob_word(const uint8_t *p, size_t b, uint32_t w, uint32_t len,
			  uint32_t t_ms)
{
	uint32_t n = len - 4 * w < 4 ? len - 4 * w : 4;
	uint32_t v = (uint32_t)get_le(p + 4 * w, n);

	return is_since_word(b, w, len) ? t_ms - v : v;
}

/* The differences of tcp_info "ms since" word w for every survivor that
 * has it, into b (rebased; words 13 and 14 relative to word 11's). */
static void enc_since_word(struct enc *e, uint32_t w, struct buf *b)
{
	const struct snapshot *st = &e->c->st, *s = e->s;

	b->len = 0;
	if (buf_reserve(b, e->nsurv * 5 + 1) < 0) {
		e->err = -ENOMEM;
		return;
	}
	for (size_t k = 0; k < e->nsurv; k++) {
		const struct sock_record *r = &s->recs[e->sc[k]];
		uint32_t len = r->tcpi_len;
		if (4 * w >= len)
			continue;
		const uint8_t *p = s->bytes + r->tcpi_off;
		const uint8_t *o = st->bytes + st->recs[e->sp[k]].tcpi_off;
		uint32_t nbytes = len - 4 * w < 4 ? len - 4 * w : 4;
		int64_t d = wrap_diff(blob_word(p, 0, w, len, e->t_ms),
				      get_le(o + 4 * w, nbytes), 8 * nbytes);
		if (w != TI_LAST_DATA_SENT && is_since_word(0, w, len))
			d = wrap_diff((uint64_t)d, (uint64_t)wrap_diff(
				blob_word(p, 0, TI_LAST_DATA_SENT, len, e->t_ms),
				le32(o + 4 * TI_LAST_DATA_SENT), 32), 32);
		uint8_t *q = b->p + b->len;
		put_varint(&q, zigzag(d));
		b->len = (size_t)(q - b->p);
	}
}

/* Word columns [w0, w0+n) of blob kind b: new rows' values and surviving
 * rows' differences, one pass each. */
static void enc_blob_group(struct enc *e, size_t b, uint32_t w0, uint32_t n)
{
	const struct blob_field *bf = &rec_blobs[b];
	const struct snapshot *st = &e->c->st, *s = e->s;
	struct buf nb[GROUP_COLS] = { { 0 } }, ub[GROUP_COLS] = { { 0 } };

	for (uint32_t w = 0; w < n; w++)
		if (buf_reserve(&nb[w], e->nnew * 5 + 1) < 0 ||
		    buf_reserve(&ub[w], e->nchg * 5 + 1) < 0)
			e->err = -ENOMEM;
	uint32_t prev[GROUP_COLS] = { 0 };
	for (size_t k = 0; k < e->nnew && !e->err; k++) {
		const struct sock_record *r = &s->recs[e->newr[k]];
		uint32_t len = rec_u32(r, bf->len);
		if (len <= 4 * w0)
			continue;
		const uint8_t *p = s->bytes + rec_u32(r, bf->off);
		for (uint32_t w = w0; w < w0 + n && 4 * w < len; w++) {
			uint8_t *q = nb[w - w0].p + nb[w - w0].len;
			uint32_t v = blob_word(p, b, w, len, e->t_ms);
			uint32_t base = prev[w - w0];
			if (w != TI_LAST_DATA_SENT && is_since_word(b, w, len))
				base = blob_word(p, b, TI_LAST_DATA_SENT, len,
						 e->t_ms);
			put_varint(&q, zigzag(wrap_diff(v, base, 32)));
			prev[w - w0] = v;
			nb[w - w0].len = (size_t)(q - nb[w - w0].p);
		}
	}
	for (size_t k = 0; k < e->nchg && !e->err; k++) {
		const struct sock_record *r = &s->recs[e->mc[k]];
		uint32_t len = rec_u32(r, bf->len);
		if (len <= 4 * w0)
			continue;
		const uint8_t *p = s->bytes + rec_u32(r, bf->off);
		const uint8_t *o = st->bytes + rec_u32(&st->recs[e->mp[k]], bf->off);
		for (uint32_t w = w0; w < w0 + n && 4 * w < len; w++) {
			if (is_since_index(b, w))
				continue;
			uint32_t nbytes = len - 4 * w < 4 ? len - 4 * w : 4;
			int64_t d = wrap_diff(get_le(p + 4 * w, nbytes),
					      get_le(o + 4 * w, nbytes),
					      8 * nbytes);
			uint8_t *q = ub[w - w0].p + ub[w - w0].len;
			put_varint(&q, zigzag(d));
			ub[w - w0].len = (size_t)(q - ub[w - w0].p);
		}
	}
	for (uint32_t w = w0; w < w0 + n; w++)
		if (is_since_index(b, w))
			enc_since_word(e, w, &ub[w - w0]);
	for (uint32_t w = 0; w < n; w++) {
		uint32_t id = SEC_BLOB + 2 * (uint32_t)(b * BLOB_WORDS + w0 + w);
		add_column(e, id, &nb[w]);
		add_column(e, id + 1, &ub[w]);
	}
}

/* Every word column of blob kind b. */
static void enc_blob(struct enc *e, size_t b)
{
	uint32_t maxlen = 0;

	for (size_t i = 0; i < e->s->nrecs; i++)
		if (rec_u32(&e->s->recs[i], rec_blobs[b].len) > maxlen)
			maxlen = rec_u32(&e->s->recs[i], rec_blobs[b].len);
	uint32_t words = (maxlen + 3) / 4;
	for (uint32_t w0 = 0; w0 < words && !e->err; w0 += GROUP_COLS)
		enc_blob_group(e, b, w0, words - w0 < GROUP_COLS ?
			       words - w0 : GROUP_COLS);
}

/* Every record column: new rows' values, then surviving rows' differences
 * (section ids interleave; sections are sorted before writing). */
static void enc_columns(struct enc *e)
{
	struct ccol cc[MAX_RCOLS];
	size_t n = chain_columns(cc);

	for (size_t c = 0; c < n && !e->err; c += GROUP_COLS) {
		size_t k = n - c < GROUP_COLS ? n - c : GROUP_COLS;
		enc_new_group(e, cc, c, k);
		enc_upd_group(e, cc, c, k);
	}
}

static int cmp_sect(const void *a, const void *b)
{
	uint32_t x = ((const struct wsect *)a)->id;
	uint32_t y = ((const struct wsect *)b)->id;

	return x < y ? -1 : x > y;
}

/* Fill the fixed header at out. */
static void put_header(uint8_t *h, const struct enc *e, int key,
		       uint64_t nprocs, size_t body_len, uint32_t body_crc)
{
	memset(h, 0, HDR_LEN);
	memcpy(h, HDR_MAGIC, 4);
	h[4] = CODEC_CHAIN_V2;
	h[5] = key ? KIND_KEY : KIND_DELTA;
	put_le(h + 6, HDR_LEN, 2);
	put_le(h + 8, e->s->nrecs, 4);
	put_le(h + 12, e->ngone, 4);
	put_le(h + 16, e->nnew, 4);
	put_le(h + 20, nprocs, 4);
	put_le(h + 24, e->nsect, 4);
	put_le(h + 28, body_len, 4);
	put_le(h + 32, body_crc, 4);
	struct ccol cc[MAX_RCOLS];
	h[36] = (uint8_t)chain_columns(cc);
	put_le(h + 40, (uint64_t)e->s->time_ns, 8);
	put_le(h + 48, e->s->netns_ino, 8);
	put_le(h + 56, e->nchg, 4);
	put_le(h + 60, e->t_ms, 4);
	put_le(h + 68, crc32_ieee(h, 68), 4);
}

/* Compress the sections and lay out header, directory and data. */
static int assemble(struct enc *e, int key, struct buf *out)
{
	struct buf dir = { 0 }, data = { 0 };
	uint64_t nprocs = 0;
	int r = 0;

	if (e->nsect > 1)
		qsort(e->sect, e->nsect, sizeof(*e->sect), cmp_sect);
	for (size_t k = 0; k < e->nnew; k++)
		nprocs += e->s->recs[e->newr[k]].proc_count;
	for (size_t i = 0; r == 0 && i < e->nsect; i++) {
		const struct buf *raw = &e->sect[i].raw;
		size_t bound = ZSTD_compressBound(raw->len), z = 0;
		r = buf_reserve(&data, bound);
		if (r == 0 && raw->len >= MIN_ZSTD_LEN) {
			z = ZSTD_compressCCtx(e->c->cctx, data.p + data.len,
					      bound, raw->p, raw->len,
					      e->level);
			if (ZSTD_isError(z))
				r = -EIO;
		}
		int zstd = r == 0 && z > 0 && z < raw->len;
		if (r == 0 && !zstd)
			memcpy(data.p + data.len, raw->p, raw->len);
		size_t stored = zstd ? z : raw->len;
		data.len += stored;
		if (r == 0 && (buf_varint(&dir, e->sect[i].id) < 0 ||
			       buf_varint(&dir, (uint64_t)zstd) < 0 ||
			       buf_varint(&dir, stored) < 0 ||
			       buf_varint(&dir, raw->len) < 0))
			r = -ENOMEM;
	}
	if (r == 0)
		r = buf_reserve(out, HDR_LEN + dir.len + data.len);
	if (r == 0) {
		if (dir.len)
			memcpy(out->p + HDR_LEN, dir.p, dir.len);
		if (data.len)
			memcpy(out->p + HDR_LEN + dir.len, data.p, data.len);
		out->len = HDR_LEN + dir.len + data.len;
		put_header(out->p, e, key, nprocs, dir.len + data.len,
			   crc32_ieee(out->p + HDR_LEN, dir.len + data.len));
	}
	free(dir.p);
	free(data.p);
	return r;
}

/* Release the encoder's scratch. */
static void enc_free(struct enc *e)
{
	free(e->map);
	free(e->strings.p);
	free(e->gone);
	free(e->newr);
	free(e->mp);
	free(e->mc);
	free(e->chg);
	free(e->sp);
	free(e->sc);
	for (size_t i = 0; i < e->nsect; i++)
		free(e->sect[i].raw.p);
	free(e->sect);
}

/* Should the next frame start a new chain? */
static bool wants_keyframe(const struct chain *c)
{
	return c->frames == 0 || c->frames >= CHAIN_MAX_FRAMES ||
	       c->delta_bytes > c->key_bytes;
}

/* Encode the next frame; see chain.h. */
int chain_encode(struct chain *c, const struct snapshot *s, int zstd_level,
		 uint8_t **out, size_t *outlen, int *key)
{
	struct enc e = { .c = c, .s = s, .level = zstd_level };
	struct buf ob = { 0 };
	int r = rec_validate_snapshot(s);

	if (r < 0)
		return r;
	*key = wants_keyframe(c);
	if (*key)
		chain_reset(c);
	e.t_ms = since_base(&e);
	r = map_strings(&e);
	if (r == 0)
		r = classify(&e);
	if (r == 0) {
		enc_gaps(&e, SEC_GONE, e.gone, e.ngone);
		enc_gaps(&e, SEC_CHANGED, e.chg, e.nchg);
		add_section(&e, SEC_STRINGS, &e.strings);
		memset(&e.strings, 0, sizeof(e.strings));
		enc_procs(&e);
		enc_columns(&e);
		for (size_t b = 0; b < REC_NBLOBS && !e.err; b++)
			enc_blob(&e, b);
		r = e.err;
	}
	if (r == 0)
		r = assemble(&e, *key, &ob);
	enc_free(&e);
	if (r == 0)
		r = chain_apply(c, ob.p, ob.len);
	if (r < 0) {
		chain_reset(c);
		free(ob.p);
		return r == -EBADMSG ? -EIO : r;
	}
	*out = ob.p;
	*outlen = ob.len;
	return 0;
}

/* ---- decoder ------------------------------------------------------------- */

struct rsect {
	uint32_t id;
	int zstd;
	const uint8_t *data;
	size_t stored, raw;
};

struct hdr {
	int key;
	uint32_t nrows, ngone, nnew, nprocs, nsect, body_len, body_crc, nchg;
	uint32_t base_ms;
	uint32_t ncols;
	int64_t time_ns;
	uint64_t netns_ino;
};

struct dec {
	struct chain *c;
	struct hdr h;
	struct rsect *sect;
	uint8_t *gone;                  /* per state row: 1 if gone */
	uint32_t *pos;                  /* surviving row k -> new row index */
	size_t nsurv;
	uint32_t *chg;                  /* changed survivors' indices */
	struct sock_record *newrecs;
	int32_t *d11;                   /* per surviving row: last_data_sent
					 * difference */
};

/* Parse and check the fixed header. */
static int dec_header(const uint8_t *b, size_t len, struct hdr *h)
{
	struct ccol cc[MAX_RCOLS];

	if (len < HDR_LEN || memcmp(b, HDR_MAGIC, 4) != 0)
		return -EBADMSG;
	if (b[4] != CODEC_CHAIN_V2)
		return -EPROTONOSUPPORT;
	if (get_le(b + 68, 4) != crc32_ieee(b, 68) || b[5] > KIND_DELTA ||
	    get_le(b + 6, 2) != HDR_LEN)
		return -EBADMSG;
	h->key = b[5] == KIND_KEY;
	h->nrows = (uint32_t)get_le(b + 8, 4);
	h->ngone = (uint32_t)get_le(b + 12, 4);
	h->nnew = (uint32_t)get_le(b + 16, 4);
	h->nprocs = (uint32_t)get_le(b + 20, 4);
	h->nsect = (uint32_t)get_le(b + 24, 4);
	h->body_len = (uint32_t)get_le(b + 28, 4);
	h->body_crc = (uint32_t)get_le(b + 32, 4);
	h->ncols = b[36];
	h->time_ns = (int64_t)get_le(b + 40, 8);
	h->netns_ino = get_le(b + 48, 8);
	h->nchg = (uint32_t)get_le(b + 56, 4);
	h->base_ms = (uint32_t)get_le(b + 60, 4);
	if (h->ncols > chain_columns(cc) || h->ncols < first_columns() ||
	    h->body_len != len - HDR_LEN ||
	    crc32_ieee(b + HDR_LEN, h->body_len) != h->body_crc ||
	    h->nnew > h->nrows || (h->key && (h->ngone || h->nnew != h->nrows)))
		return -EBADMSG;
	return 0;
}

/* Parse the directory: ids strictly ascending, data inside the frame. */
static int dec_directory(struct dec *d, const uint8_t *blob, size_t len)
{
	struct rd rd = { blob + HDR_LEN, blob + len };
	uint64_t id, z, stored, raw;
	int64_t last = -1;

	if (d->h.nsect > d->h.body_len)
		return -EBADMSG;
	d->sect = calloc(d->h.nsect + 1, sizeof(*d->sect));
	if (!d->sect)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->h.nsect; i++) {
		if (rd_varint(&rd, &id) < 0 || rd_varint(&rd, &z) < 0 ||
		    rd_varint(&rd, &stored) < 0 || rd_varint(&rd, &raw) < 0 ||
		    (int64_t)id <= last || id > UINT32_MAX || z > 1 ||
		    raw > MAX_SECT_LEN || (!z && stored != raw))
			return -EBADMSG;
		last = (int64_t)id;
		d->sect[i] = (struct rsect){ (uint32_t)id, (int)z, NULL,
					     (size_t)stored, (size_t)raw };
	}
	for (uint32_t i = 0; i < d->h.nsect; i++) {
		if ((size_t)(rd.end - rd.p) < d->sect[i].stored)
			return -EBADMSG;
		d->sect[i].data = rd.p;
		rd.p += d->sect[i].stored;
	}
	return rd.p == rd.end ? 0 : -EBADMSG;
}

/* The section with this id, or NULL. */
static const struct rsect *find_sect(const struct dec *d, uint32_t id)
{
	size_t lo = 0, hi = d->h.nsect;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->sect[mid].id == id)
			return &d->sect[mid];
		if (d->sect[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A column being read: an absent section reads as zeros. */
struct col {
	uint8_t *buf;                   /* decompressed copy, if any */
	struct rd rd;
	bool absent;
};

/* Open section id for reading (decompressing it when needed). */
static int col_open(struct dec *d, uint32_t id, struct col *cl)
{
	const struct rsect *s = find_sect(d, id);

	memset(cl, 0, sizeof(*cl));
	if (!s) {
		cl->absent = true;
		return 0;
	}
	if (!s->zstd) {
		cl->rd = (struct rd){ s->data, s->data + s->raw };
		return 0;
	}
	unsigned long long csz = ZSTD_getFrameContentSize(s->data, s->stored);
	if (csz != s->raw)
		return -EBADMSG;
	cl->buf = malloc(s->raw ? s->raw : 1);
	if (!cl->buf)
		return -ENOMEM;
	size_t n = ZSTD_decompressDCtx(d->c->dctx, cl->buf, s->raw, s->data,
				       s->stored);
	if (ZSTD_isError(n) || n != s->raw)
		return -EBADMSG;
	cl->rd = (struct rd){ cl->buf, cl->buf + s->raw };
	return 0;
}

/* Next varint of a column (0 when absent). */
static int col_varint(struct col *cl, uint64_t *v)
{
	if (cl->absent) {
		*v = 0;
		return 0;
	}
	return rd_varint(&cl->rd, v);
}

/* Next byte of a column (0 when absent). */
static int col_byte(struct col *cl, uint64_t *v)
{
	if (cl->absent) {
		*v = 0;
		return 0;
	}
	if (cl->rd.p == cl->rd.end)
		return -EBADMSG;
	*v = *cl->rd.p++;
	return 0;
}

/* Finish a column: every byte must have been read.  Returns r, or -EBADMSG
 * for left-over bytes when r is 0. */
static int col_close(struct col *cl, int r)
{
	if (r == 0 && !cl->absent && cl->rd.p != cl->rd.end)
		r = -EBADMSG;
	free(cl->buf);
	return r;
}

/* Read n ascending positions below limit, stored as gaps, into out. */
static int dec_gaps(struct dec *d, uint32_t id, size_t n, size_t limit,
		    uint32_t *out)
{
	struct col cl;
	uint64_t gap, at = 0;
	int r = col_open(d, id, &cl);

	for (size_t k = 0; r == 0 && k < n; k++) {
		r = col_varint(&cl, &gap);
		if (r == 0 && (cl.absent || gap >= limit - at))
			r = -EBADMSG;
		at += gap;
		out[k] = (uint32_t)at++;
	}
	return col_close(&cl, r);
}

/* Mark the gone rows of the state. */
static int dec_gone(struct dec *d)
{
	size_t nprev = d->c->st.nrecs;
	uint32_t *pos;
	int r;

	if (d->h.ngone > nprev ||
	    (uint64_t)nprev - d->h.ngone + d->h.nnew != d->h.nrows)
		return -EBADMSG;
	d->gone = calloc(nprev + 1, 1);
	pos = malloc((d->h.ngone + 1) * sizeof(*pos));
	r = d->gone && pos ? dec_gaps(d, SEC_GONE, d->h.ngone, nprev, pos) :
		-ENOMEM;
	for (uint32_t k = 0; r == 0 && k < d->h.ngone; k++)
		d->gone[pos[k]] = 1;
	free(pos);
	d->nsurv = nprev - d->h.ngone;
	return r;
}

/* Read which surviving rows changed. */
static int dec_changed(struct dec *d)
{
	if (d->h.nchg > d->nsurv)
		return -EBADMSG;
	d->chg = malloc((d->h.nchg + 1) * sizeof(*d->chg));
	if (!d->chg)
		return -ENOMEM;
	return dec_gaps(d, SEC_CHANGED, d->h.nchg, d->nsurv, d->chg);
}

/* Intern the new strings into the chain's pool. */
static int dec_strings(struct dec *d)
{
	const struct rsect *s = find_sect(d, SEC_STRINGS);
	struct col cl;
	int r;

	if (!s)
		return 0;
	r = col_open(d, SEC_STRINGS, &cl);
	if (r == 0 && cl.rd.end[-1] != '\0')
		r = -EBADMSG;
	while (r == 0 && cl.rd.p < cl.rd.end) {
		size_t n = strlen((const char *)cl.rd.p);
		if (n == 0) {
			r = -EBADMSG;
			break;
		}
		int64_t o = snapshot_intern(&d->c->st, (const char *)cl.rd.p, n);
		if (o < 0)
			r = (int)o;
		cl.rd.p += n + 1;
	}
	return col_close(&cl, r);
}

/* Is off the start of a string in the chain's pool? */
static bool is_string_start(const struct snapshot *st, uint64_t off)
{
	return off == 0 || (off < st->strpool_len && st->strpool[off - 1] == '\0');
}

/* Read new-row column c into the new records. */
static int dec_new_column(struct dec *d, const struct ccol *cc, size_t c)
{
	struct col cl;
	uint64_t v, prev = 0;
	int r = col_open(d, SEC_COL + 2 * (uint32_t)c, &cl);
	unsigned bits = 8u * cc[c].rc.size;

	for (uint32_t k = 0; r == 0 && k < d->h.nnew; k++) {
		if (cc[c].rc.enc == ENC_RAW8)
			r = col_byte(&cl, &v);
		else
			r = col_varint(&cl, &v);
		if (r == 0 && cc[c].rc.enc == ENC_DELTA)
			v = prev + (uint64_t)unzigzag(v);
		if (r == 0 && (v & ~width_mask(bits)))
			r = -EBADMSG;
		if (r == 0 && cc[c].kind == CK_STRING &&
		    !is_string_start(&d->c->st, v))
			r = -EBADMSG;
		prev = v;
		if (r == 0)
			store_elem((uint8_t *)&d->newrecs[k] + cc[c].rc.off,
				   cc[c].rc.size, v);
	}
	return col_close(&cl, r);
}

/* Check a new record's invariants (the rest hold by construction). */
static int check_new_record(const struct sock_record *r)
{
	if (r->netid >= NETID_COUNT || r->skmem_count > SR_SKMEM_MAX)
		return -EBADMSG;
	for (size_t b = 0; b < REC_NBLOBS; b++)
		if (rec_u32(r, rec_blobs[b].len) > MAX_BLOB_LEN)
			return -EBADMSG;
	return 0;
}

/* Read the new rows: their columns, processes and attribute storage. */
static int dec_new_rows(struct dec *d, const struct ccol *cc, size_t ncols)
{
	struct snapshot *st = &d->c->st;
	uint64_t nprocs = 0;
	uint32_t pid = 0, fd[FD_CACHE] = { 0 };
	int r = 0;

	d->newrecs = calloc(d->h.nnew + 1, sizeof(*d->newrecs));
	if (!d->newrecs)
		return -ENOMEM;
	for (size_t c = 0; r == 0 && c < ncols; c++)
		r = dec_new_column(d, cc, c);
	for (uint32_t k = 0; r == 0 && k < d->h.nnew; k++) {
		r = check_new_record(&d->newrecs[k]);
		nprocs += d->newrecs[k].proc_count;
	}
	if (r == 0 && nprocs != d->h.nprocs)
		r = -EBADMSG;
	struct col pc[3] = { { 0 } };
	for (int i = 0; r == 0 && i < 3; i++)
		r = col_open(d, SEC_PROC_PID + (uint32_t)i, &pc[i]);
	for (uint32_t k = 0; r == 0 && k < d->h.nnew; k++) {
		struct sock_record *nr = &d->newrecs[k];
		nr->proc_first = (uint32_t)st->nprocs;
		for (uint32_t i = 0; r == 0 && i < nr->proc_count; i++) {
			uint64_t dpid, dfd, comm;
			r = col_varint(&pc[0], &dpid);
			if (r == 0)
				r = col_varint(&pc[1], &dfd);
			if (r == 0)
				r = col_varint(&pc[2], &comm);
			if (r == 0 && !is_string_start(st, comm))
				r = -EBADMSG;
			pid += (uint32_t)unzigzag(dpid);
			fd[pid % FD_CACHE] += (uint32_t)unzigzag(dfd);
			if (r == 0)
				r = snapshot_add_process(st, pid,
					fd[pid % FD_CACHE], st->strpool + comm);
		}
		for (size_t b = 0; r == 0 && b < REC_NBLOBS; b++) {
			uint32_t len = rec_u32(nr, rec_blobs[b].len);
			int64_t off = len ? snapshot_add_bytes(st, NULL, len) : 0;
			if (off < 0)
				r = (int)off;
			else
				rec_set_u32(nr, rec_blobs[b].off, (uint32_t)off);
		}
	}
	for (int i = 0; i < 3; i++)
		r = col_close(&pc[i], r);
	return r;
}

/* Merge the surviving state rows and the new rows by cookie into the new
 * state; pos[k] is where surviving row k went. */
static int dec_merge(struct dec *d)
{
	struct chain *c = d->c;
	struct snapshot *st = &c->st;
	size_t nrows = d->h.nrows, i = 0, j = 0, k = 0;

	d->pos = malloc((d->nsurv + 1) * sizeof(*d->pos));
	if (!d->pos)
		return -ENOMEM;
	if (d->h.ngone == 0 && d->h.nnew == 0) {
		for (k = 0; k < d->nsurv; k++)
			d->pos[k] = (uint32_t)k;
		return 0;
	}
	if (nrows > c->merge_cap) {
		struct sock_record *p = realloc(c->merge, nrows * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->merge = p;
		c->merge_cap = nrows;
	}
	for (size_t out = 0; out < nrows; out++) {
		while (i < st->nrecs && d->gone[i])
			i++;
		bool take_old = i < st->nrecs &&
			(j == d->h.nnew || st->recs[i].cookie < d->newrecs[j].cookie);
		if (take_old) {
			d->pos[k++] = (uint32_t)out;
			c->merge[out] = st->recs[i++];
		} else {
			c->merge[out] = d->newrecs[j++];
		}
		if (out > 0 && c->merge[out].cookie <= c->merge[out - 1].cookie)
			return -EBADMSG;
	}
	struct sock_record *old = st->recs;
	size_t cap = st->recs_cap;
	st->recs = c->merge;
	st->recs_cap = c->merge_cap;
	st->nrecs = nrows;
	c->merge = old;
	c->merge_cap = cap;
	return 0;
}

/* Apply the differences of record column c to the surviving rows. */
static int dec_upd_column(struct dec *d, const struct ccol *cc, size_t c)
{
	struct snapshot *st = &d->c->st;
	const struct rsect *s = find_sect(d, SEC_COL + 2 * (uint32_t)c + 1);
	unsigned bits = 8u * cc[c].rc.size;
	struct col cl;
	uint64_t x;
	int r;

	if (!s)
		return 0;
	if (cc[c].kind == CK_SHAPE)
		return -EBADMSG;
	r = col_open(d, s->id, &cl);
	for (size_t k = 0; r == 0 && k < d->h.nchg; k++) {
		uint8_t *p = (uint8_t *)&st->recs[d->pos[d->chg[k]]] + cc[c].rc.off;
		r = col_varint(&cl, &x);
		if (r < 0)
			break;
		uint64_t v = (load_elem(p, cc[c].rc.size) +
			      (uint64_t)unzigzag(x)) & width_mask(bits);
		if (cc[c].kind == CK_STRING && !is_string_start(st, v))
			r = -EBADMSG;
		store_elem(p, cc[c].rc.size, v);
	}
	return col_close(&cl, r);
}

/* Check every surviving row's invariants after the differences. */
static int check_rows(const struct snapshot *st)
{
	for (size_t i = 0; i < st->nrecs; i++)
		if (st->recs[i].netid >= NETID_COUNT)
			return -EBADMSG;
	return 0;
}

/* Read word w of blob kind b: new rows' values, surviving rows'
 * differences. */
static int dec_blob_word(struct dec *d, size_t b, uint32_t w)
{
	struct snapshot *st = &d->c->st;
	const struct blob_field *bf = &rec_blobs[b];
	uint32_t id = SEC_BLOB + 2 * (uint32_t)(b * BLOB_WORDS + w);
	struct col nc, uc;
	uint64_t v;
	int r = col_open(d, id, &nc);

	uint32_t prev = 0;
	for (uint32_t k = 0; r == 0 && k < d->h.nnew; k++) {
		const struct sock_record *nr = &d->newrecs[k];
		uint32_t len = rec_u32(nr, bf->len);
		if (len <= 4 * w)
			continue;
		uint32_t n = len - 4 * w < 4 ? len - 4 * w : 4;
		r = col_varint(&nc, &v);
		uint32_t base = prev;
		if (w != TI_LAST_DATA_SENT && is_since_word(b, w, len))
			base = (uint32_t)get_le(st->bytes + rec_u32(nr, bf->off) +
						4 * TI_LAST_DATA_SENT, 4);
		v = (base + (uint64_t)unzigzag(v)) & 0xffffffffu;
		prev = (uint32_t)v;
		if (r == 0 && (v & ~width_mask(8 * n)))
			r = -EBADMSG;
		if (r == 0)
			put_le(st->bytes + rec_u32(nr, bf->off) + 4 * w, v, n);
	}
	r = col_close(&nc, r);
	if (r == 0)
		r = col_open(d, id + 1, &uc);
	else
		return r;
	/* The "ms since" words hold a value for every survivor, the others
	 * for the changed ones; an absent word 13 or 14 still moves with
	 * word 11. */
	bool since = is_since_index(b, w);
	bool follows = since && w != TI_LAST_DATA_SENT;
	size_t rows = since ? d->nsurv : d->h.nchg;
	for (size_t k = 0; r == 0 && (!uc.absent || follows) && k < rows; k++) {
		const struct sock_record *sr =
			&st->recs[d->pos[since ? k : d->chg[k]]];
		uint32_t len = rec_u32(sr, bf->len);
		if (len <= 4 * w)
			continue;
		uint32_t n = len - 4 * w < 4 ? len - 4 * w : 4;
		r = col_varint(&uc, &v);
		if (r < 0)
			break;
		int64_t diff = unzigzag(v);
		if (w == TI_LAST_DATA_SENT && is_since_word(b, w, len))
			d->d11[k] = (int32_t)diff;
		else if (is_since_word(b, w, len))
			diff += d->d11[k];
		uint8_t *p = st->bytes + rec_u32(sr, bf->off) + 4 * w;
		put_le(p, (get_le(p, n) + (uint64_t)diff) & width_mask(8 * n), n);
	}
	return col_close(&uc, r);
}

/* The longest blob of each kind among the state's rows, in one pass. */
static void max_blob_lens(const struct snapshot *st, uint32_t *max)
{
	for (size_t b = 0; b < REC_NBLOBS; b++)
		max[b] = 0;
	for (size_t i = 0; i < st->nrecs; i++)
		for (size_t b = 0; b < REC_NBLOBS; b++)
			if (rec_u32(&st->recs[i], rec_blobs[b].len) > max[b])
				max[b] = rec_u32(&st->recs[i], rec_blobs[b].len);
}

/* Every blob word section; sections for words no row has are damage. */
static int dec_blobs(struct dec *d)
{
	uint32_t max[REC_NBLOBS];
	int r = 0;

	d->d11 = calloc(d->nsurv + 1, sizeof(*d->d11));
	if (!d->d11)
		return -ENOMEM;
	max_blob_lens(&d->c->st, max);
	for (size_t b = 0; r == 0 && b < REC_NBLOBS; b++)
		for (uint32_t w = 0; r == 0 && 4 * w < max[b]; w++)
			r = dec_blob_word(d, b, w);
	for (uint32_t i = 0; r == 0 && i < d->h.nsect; i++) {
		uint32_t id = d->sect[i].id;
		if (id >= SEC_BLOB) {
			uint32_t kw = (id - SEC_BLOB) / 2;
			if (kw / BLOB_WORDS >= REC_NBLOBS ||
			    4 * (kw % BLOB_WORDS) >= max[kw / BLOB_WORDS])
				r = -EBADMSG;
		}
	}
	return r;
}

/* Are all section ids known ones? */
static int check_ids(const struct dec *d, size_t ncols)
{
	for (uint32_t i = 0; i < d->h.nsect; i++) {
		uint32_t id = d->sect[i].id;
		if ((id > SEC_CHANGED && id < SEC_COL) ||
		    (id >= SEC_COL + 2 * ncols && id < SEC_BLOB))
			return -EBADMSG;
	}
	return 0;
}

/* Apply a parsed frame to the chain state. */
static int dec_apply(struct dec *d)
{
	struct ccol cc[MAX_RCOLS];
	size_t ncols = d->h.ncols;
	int r = chain_columns(cc) >= ncols ? check_ids(d, ncols) : -EBADMSG;

	if (r == 0)
		r = dec_gone(d);
	if (r == 0)
		r = dec_changed(d);
	if (r == 0)
		r = dec_strings(d);
	if (r == 0)
		r = dec_new_rows(d, cc, ncols);
	if (r == 0)
		r = dec_merge(d);
	for (size_t c = 0; r == 0 && c < ncols; c++)
		r = dec_upd_column(d, cc, c);
	if (r == 0)
		r = check_rows(&d->c->st);
	if (r == 0 && !d->c->skip_blobs)
		r = dec_blobs(d);
	return r;
}

/* Apply one frame; see chain.h. */
int chain_apply(struct chain *c, const uint8_t *blob, size_t len)
{
	struct dec d = { .c = c };
	int r = dec_header(blob, len, &d.h);

	if (r == 0 && !d.h.key && c->frames == 0)
		r = -EBADMSG;
	if (r == 0 && d.h.key)
		chain_reset(c);
	if (r == 0)
		r = dec_directory(&d, blob, len);
	if (r == 0)
		r = dec_apply(&d);
	free(d.sect);
	free(d.gone);
	free(d.pos);
	free(d.chg);
	free(d.newrecs);
	free(d.d11);
	if (r < 0) {
		chain_reset(c);
		return r;
	}
	c->st.time_ns = d.h.time_ns;
	c->base_ms = d.h.base_ms;
	c->st.netns_ino = d.h.netns_ino;
	c->frames++;
	if (d.h.key)
		c->key_bytes = d.h.body_len;
	else
		c->delta_bytes += d.h.body_len;
	return 0;
}

/* ---- materialize --------------------------------------------------------- */

/* Turn rebased values of record r (whose blobs are in out) back into what
 * the kernel reported, t_ms being the frame's rebasing base. */
static void unrebase(struct snapshot *out, struct sock_record *r, uint32_t t_ms)
{
	if (r->timer != 0)
		r->expires_ms -= t_ms;
	if (r->tcpi_len == 0)
		return;
	uint8_t *p = out->bytes + r->tcpi_off;
	const uint32_t since[] = { TI_LAST_DATA_SENT, TI_LAST_DATA_RECV,
				   TI_LAST_ACK_RECV };
	for (size_t i = 0; i < 3; i++)
		if (is_since_word(0, since[i], r->tcpi_len))
			put_le(p + 4 * since[i],
			       t_ms - (uint32_t)get_le(p + 4 * since[i], 4), 4);
}

/* Make out's string pool a copy of st's (offsets stay valid); its
 * interning hash is rebuilt from the pool if anything is interned. */
static int copy_strings(struct snapshot *out, const struct snapshot *st)
{
	if (out->strpool_cap < st->strpool_len) {
		char *p = realloc(out->strpool, st->strpool_len);
		if (!p)
			return -ENOMEM;
		out->strpool = p;
		out->strpool_cap = st->strpool_len;
	}
	memcpy(out->strpool, st->strpool, st->strpool_len);
	out->strpool_len = st->strpool_len;
	out->str_count = st->str_count;
	free(out->str_hash);
	out->str_hash = NULL;
	out->str_hash_cap = 0;
	return 0;
}

/* Append state record r to out with its blobs and processes. */
static int copy_record(struct snapshot *out, const struct snapshot *st,
		       const struct sock_record *r, uint32_t t_ms)
{
	struct sock_record *nr = snapshot_add_record(out);

	if (!nr)
		return -ENOMEM;
	*nr = *r;
	for (size_t b = 0; b < REC_NBLOBS; b++) {
		uint32_t len = rec_u32(r, rec_blobs[b].len);
		int64_t off = len ? snapshot_add_bytes(out, st->bytes +
				rec_u32(r, rec_blobs[b].off), len) : 0;
		if (off < 0)
			return (int)off;
		rec_set_u32(nr, rec_blobs[b].off, (uint32_t)off);
	}
	nr->proc_first = (uint32_t)out->nprocs;
	for (uint32_t k = 0; k < r->proc_count; k++) {
		const struct sr_process *p = &st->procs[r->proc_first + k];
		int e = snapshot_add_process(out, p->pid, p->fd,
					     st->strpool + p->comm);
		if (e < 0)
			return e;
	}
	unrebase(out, nr, t_ms);
	return 0;
}

/* Materialize the current snapshot; see chain.h. */
int chain_materialize(const struct chain *c, struct snapshot *out,
		      sock_keep_fn keep, void *arg)
{
	const struct snapshot *st = &c->st;
	int r;

	snapshot_reset(out);
	r = copy_strings(out, st);
	out->time_ns = st->time_ns;
	out->netns_ino = st->netns_ino;
	for (size_t i = 0; r == 0 && i < st->nrecs; i++)
		if (!keep || keep(st, &st->recs[i], arg))
			r = copy_record(out, st, &st->recs[i], c->base_ms);
	if (r < 0)
		snapshot_reset(out);
	return r;
}
