/*
 * sockrec.c — building and tidying snapshots: growable record, process,
 * string and byte pools, string interning, and the cookie sort/dedupe that
 * makes a non-atomic kernel dump into one consistent set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockrec.h"

/* Grow *buf (elements of size elt) so that it holds at least need elements. */
static int grow(void **buf, size_t *cap, size_t need, size_t elt)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	void *p = realloc(*buf, ncap * elt);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = ncap;
	return 0;
}

/* FNV-1a over len bytes: cheap and good enough for short names. */
static uint32_t str_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

int snapshot_init(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	if (grow((void **)&s->strpool, &s->strpool_cap, 1, 1) < 0)
		return -ENOMEM;
	s->strpool[0] = '\0';
	s->strpool_len = 1;
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	free(s->recs);
	free(s->procs);
	free(s->strpool);
	free(s->bytes);
	free(s->str_hash);
	memset(s, 0, sizeof(*s));
}

void snapshot_reset(struct snapshot *s)
{
	s->time_ns = 0;
	s->netns_ino = 0;
	s->capture_ns = 0;
	s->nrecs = 0;
	s->nprocs = 0;
	s->nbytes = 0;
	s->strpool_len = 1;
	s->str_count = 0;
	s->kstat.present = 0;
	if (s->str_hash)
		memset(s->str_hash, 0, s->str_hash_cap * sizeof(*s->str_hash));
}

struct sock_record *snapshot_add_record(struct snapshot *s)
{
	if (grow((void **)&s->recs, &s->recs_cap, s->nrecs + 1, sizeof(*s->recs)) < 0)
		return NULL;
	struct sock_record *r = &s->recs[s->nrecs++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* Insert pool offset off into the open-addressing hash (capacity power of 2). */
static void hash_insert(uint32_t *tab, size_t cap, const char *pool, uint32_t off)
{
	const char *str = pool + off;
	size_t i = str_hash(str, strlen(str)) & (cap - 1);
	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = off;
}

/* Keep the hash at most half full; rebuild it from the pool when it grows. */
static int hash_reserve(struct snapshot *s, size_t nstrings)
{
	if (nstrings * 2 < s->str_hash_cap)
		return 0;
	size_t ncap = s->str_hash_cap ? s->str_hash_cap * 2 : 256;
	while (nstrings * 2 >= ncap)
		ncap *= 2;
	uint32_t *tab = calloc(ncap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (size_t off = 1; off < s->strpool_len; off += strlen(s->strpool + off) + 1)
		hash_insert(tab, ncap, s->strpool, (uint32_t)off);
	free(s->str_hash);
	s->str_hash = tab;
	s->str_hash_cap = ncap;
	return 0;
}

int64_t snapshot_intern(struct snapshot *s, const char *str, size_t len)
{
	const char *nul = memchr(str, '\0', len);
	if (nul)
		len = (size_t)(nul - str);
	if (len == 0)
		return 0;
	if (hash_reserve(s, s->str_count + 1) < 0)
		return -ENOMEM;
	size_t mask = s->str_hash_cap - 1;
	size_t i = str_hash(str, len) & mask;
	for (; s->str_hash[i]; i = (i + 1) & mask) {
		const char *cand = s->strpool + s->str_hash[i];
		if (strncmp(cand, str, len) == 0 && cand[len] == '\0')
			return s->str_hash[i];
	}
	if (s->strpool_len + len + 1 > UINT32_MAX)
		return -ENOMEM;
	if (grow((void **)&s->strpool, &s->strpool_cap, s->strpool_len + len + 1, 1) < 0)
		return -ENOMEM;
	uint32_t off = (uint32_t)s->strpool_len;
	memcpy(s->strpool + off, str, len);
	s->strpool[off + len] = '\0';
	s->strpool_len += len + 1;
	s->str_count++;
	s->str_hash[i] = off;
	return off;
}

int64_t snapshot_add_bytes(struct snapshot *s, const void *data, size_t len)
{
	if (len == 0)
		return (int64_t)s->nbytes;
	if (s->nbytes + len > UINT32_MAX)
		return -ENOMEM;
	if (grow((void **)&s->bytes, &s->bytes_cap, s->nbytes + len, 1) < 0)
		return -ENOMEM;
	int64_t off = (int64_t)s->nbytes;
	if (data)
		memcpy(s->bytes + s->nbytes, data, len);
	else
		memset(s->bytes + s->nbytes, 0, len);
	s->nbytes += len;
	return off;
}

int snapshot_add_process(struct snapshot *s, uint32_t pid, uint32_t fd,
			 const char *comm)
{
	int64_t c = snapshot_intern(s, comm, strlen(comm));
	if (c < 0)
		return (int)c;
	if (grow((void **)&s->procs, &s->procs_cap, s->nprocs + 1, sizeof(*s->procs)) < 0)
		return -ENOMEM;
	s->procs[s->nprocs++] = (struct sr_process){ .pid = pid, .fd = fd, .comm = (uint32_t)c };
	return 0;
}

/* Intern the string at offset off of src into s; its offset or -ENOMEM. */
static int64_t copy_str(struct snapshot *s, const struct snapshot *src,
			uint32_t off)
{
	const char *str = snapshot_str(src, off);

	return snapshot_intern(s, str, strlen(str));
}

/* Copy len bytes at offset off of src's byte pool into s's (nothing when
 * they are out of range); the new offset, or -ENOMEM. */
static int64_t copy_bytes(struct snapshot *s, const struct snapshot *src,
			  uint32_t off, uint32_t len)
{
	if (!len || off > src->nbytes || len > src->nbytes - off)
		return 0;
	return snapshot_add_bytes(s, src->bytes + off, len);
}

struct sock_record *snapshot_copy_record(struct snapshot *s,
					 const struct snapshot *src,
					 const struct sock_record *r)
{
	int64_t name = copy_str(s, src, r->name), cong = copy_str(s, src, r->cong);
	int64_t tcpi = copy_bytes(s, src, r->tcpi_off, r->tcpi_len);
	int64_t cc = copy_bytes(s, src, r->ccinfo_off, r->ccinfo_len);
	int64_t icons = copy_bytes(s, src, r->icons_off, r->icons_len);
	size_t first = s->nprocs;
	struct sock_record *n;

	if (name < 0 || cong < 0 || tcpi < 0 || cc < 0 || icons < 0)
		return NULL;
	for (uint32_t k = 0; k < r->proc_count; k++) {
		const struct sr_process *p = &src->procs[r->proc_first + k];

		if (snapshot_add_process(s, p->pid, p->fd,
					 snapshot_str(src, p->comm)) < 0)
			return NULL;
	}
	n = snapshot_add_record(s);
	if (!n)
		return NULL;
	*n = *r;
	n->name = (uint32_t)name;
	n->cong = (uint32_t)cong;
	n->tcpi_off = (uint32_t)tcpi;
	n->ccinfo_off = (uint32_t)cc;
	n->icons_off = (uint32_t)icons;
	n->proc_first = (uint32_t)first;
	return n;
}

const char *snapshot_str(const struct snapshot *s, uint32_t off)
{
	if (off == 0 || off >= s->strpool_len)
		return "";
	return s->strpool + off;
}

/* qsort comparator: by cookie. */
static int cmp_cookie(const void *a, const void *b)
{
	const struct sock_record *x = a, *y = b;
	return (x->cookie > y->cookie) - (x->cookie < y->cookie);
}

/*
 * A socket that moved between hash buckets during a dump is reported twice
 * with the same cookie; both copies describe the same socket moments apart,
 * so which one survives does not matter.  Process ranges are indices into
 * procs, which does not move, so they stay valid.
 */
void snapshot_sort_dedupe(struct snapshot *s)
{
	if (s->nrecs == 0)
		return;
	qsort(s->recs, s->nrecs, sizeof(*s->recs), cmp_cookie);
	size_t out = 0;
	for (size_t i = 0; i < s->nrecs; i++) {
		if (out > 0 && s->recs[out - 1].cookie == s->recs[i].cookie)
			continue;
		s->recs[out++] = s->recs[i];
	}
	s->nrecs = out;
}

const struct sock_record *snapshot_find_cookie(const struct snapshot *s,
					       uint64_t cookie)
{
	size_t lo = 0, hi = s->nrecs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->recs[mid].cookie < cookie)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nrecs && s->recs[lo].cookie == cookie ?
		&s->recs[lo] : NULL;
}

void snapshot_count(const struct snapshot *s, uint32_t counts[NETID_COUNT])
{
	memset(counts, 0, sizeof(uint32_t) * NETID_COUNT);
	for (size_t i = 0; i < s->nrecs; i++)
		if (s->recs[i].netid < NETID_COUNT)
			counts[s->recs[i].netid]++;
}
