/*
 * hist_fold.c — the fold of hist_fold.h.  Groups live in an open-addressing
 * hash table keyed by their idents, so a unit's rows cost a hash and a
 * compare of three words each (longer idents compare the rest too); per
 * output group, one accumulator holds the current unit's and the current
 * bucket's counts, and a bucket's cells are appended when a unit of another
 * bucket starts.  Cells of a bucket met twice (units out of time order) are
 * merged when the result is built.
 *
 * The first pass also logs every unit's counts per group (varints, up to
 * log_max bytes), so hist_fold_top can usually refold from the log instead
 * of asking the source for a second pass.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hist_fold.h"
#include "recfields.h"

#define WORDS 3                          /* ident words kept in a group */
#define LOG_ENTRY_MAX (3 * 10)           /* three varints */

struct fgroup {
	uint64_t w[WORDS];               /* the ident's first words, 0-padded */
	uint64_t hash;
	size_t ident_off, ident_len;     /* into hist_fold.idents, in words */
	size_t label_off;                /* into hist_fold.labels */
	size_t out;                      /* its output group */
};

/* Per output group: the current unit's and the current bucket's counts,
 * valid while their stamps equal the unit's and the bucket's serials. */
struct acc {
	int64_t upeak, usum, cmax, csum;
	uint64_t ustamp, cstamp;
};

struct hist_fold {
	const struct sock_key *key;
	int64_t step_ns;
	struct fgroup *groups;
	size_t ngroups, gcap;
	size_t *slots;                   /* group index + 1; 0 is empty */
	size_t nslots;                   /* a power of two, > 2 * ngroups */
	uint64_t *idents;
	size_t idents_len, idents_cap;
	char *labels;
	size_t labels_len, labels_cap;
	/* Output groups: one per group, or after hist_fold_top the top
	 * groups (top_groups[i]) and "other" (index ntop). */
	bool collapsed;
	size_t *top_groups, ntop;
	struct acc *acc;
	size_t nout, acc_cap;
	/* The current unit and bucket. */
	uint64_t unit, serial;
	int64_t bucket, snapshots;
	bool in_bucket;
	size_t *utouched, nutouched, utcap;
	size_t *btouched, nbtouched, btcap;
	/* What the buckets seen so far produced. */
	struct hist_bucket *buckets;
	size_t nbuckets, bcap;
	struct hist_cell *cells;
	size_t ncells, ccap;
	/* The first pass's units: time, snapshots, their (group, peak, sum)
	 * entries; freed (and off) once it would pass log_max. */
	uint8_t *log;
	size_t log_len, log_cap, log_max;
	bool log_off;
	int64_t unit_time;
};

/* Room for element n of size sz in the array whose pointer is at arrp
 * (capacity *cap, doubled until it fits).  Returns 0 or -ENOMEM (the array
 * intact).  The pointer is read and written with memcpy, so one function
 * serves arrays of every type. */
static int reserve(void *arrp, size_t n, size_t *cap, size_t sz)
{
	size_t ncap = *cap ? *cap * 2 : 64;
	void *arr, *p;

	if (n < *cap)
		return 0;
	while (ncap <= n)
		ncap *= 2;
	memcpy(&arr, arrp, sizeof(arr));
	if (!(p = realloc(arr, ncap * sz)))
		return -ENOMEM;
	memcpy(arrp, &p, sizeof(p));
	*cap = ncap;
	return 0;
}

/* A new fold; see hist_fold.h. */
int hist_fold_new(const struct sock_key *key, int64_t step_ns, size_t log_max,
		  struct hist_fold **out)
{
	struct hist_fold *f = calloc(1, sizeof(*f));

	assert(step_ns > 0);
	if (!f)
		return -ENOMEM;
	f->key = key;
	f->step_ns = step_ns;
	f->log_max = log_max;
	f->nslots = 64;
	if (!(f->slots = calloc(f->nslots, sizeof(*f->slots)))) {
		free(f);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

/* Free the fold and everything it holds. */
void hist_fold_free(struct hist_fold *f)
{
	if (!f)
		return;
	free(f->groups);
	free(f->slots);
	free(f->idents);
	free(f->labels);
	free(f->top_groups);
	free(f->acc);
	free(f->utouched);
	free(f->btouched);
	free(f->buckets);
	free(f->cells);
	free(f->log);
	free(f);
}

/* Append the current bucket's row and cells, and leave the bucket. */
static int flush_bucket(struct hist_fold *f)
{
	if (!f->in_bucket)
		return 0;
	if (reserve(&f->buckets, f->nbuckets, &f->bcap, sizeof(*f->buckets)) ||
	    reserve(&f->cells, f->ncells + f->nbtouched, &f->ccap,
		    sizeof(*f->cells)))
		return -ENOMEM;
	f->buckets[f->nbuckets++] = (struct hist_bucket){ f->bucket,
							  f->snapshots };
	for (size_t i = 0; i < f->nbtouched; i++) {
		const struct acc *a = &f->acc[f->btouched[i]];

		f->cells[f->ncells++] = (struct hist_cell){
			f->bucket, f->btouched[i], a->cmax, a->csum };
	}
	f->in_bucket = false;
	return 0;
}

/* Start a unit; see hist_fold.h.  A unit of another bucket than the
 * current one closes that bucket. */
int hist_fold_begin(struct hist_fold *f, int64_t time_ns)
{
	int64_t b = time_ns - time_ns % f->step_ns;

	assert(time_ns >= 0);
	if (f->in_bucket && f->bucket != b && flush_bucket(f) < 0)
		return -ENOMEM;
	if (!f->in_bucket) {
		f->in_bucket = true;
		f->bucket = b;
		f->snapshots = 0;
		f->nbtouched = 0;
		f->serial++;
	}
	f->unit++;
	f->unit_time = time_ns;
	f->nutouched = 0;
	return 0;
}

/* The hash of an ident of n words (the first WORDS zero-padded). */
static uint64_t hash_ident(const uint64_t *id, size_t n)
{
	uint64_t h = n;

	for (size_t i = 0; i < (n > WORDS ? n : WORDS); i++) {
		h = (h ^ id[i]) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	return h;
}

/* Double the hash table and re-insert every group. */
static int grow_slots(struct hist_fold *f)
{
	size_t n = f->nslots * 2, *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t g = 0; g < f->ngroups; g++) {
		size_t i = f->groups[g].hash & (n - 1);

		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = g + 1;
	}
	free(f->slots);
	f->slots = slots;
	f->nslots = n;
	return 0;
}

/* Room for output group o's accumulator. */
static int reserve_out(struct hist_fold *f, size_t o)
{
	size_t old = f->acc_cap;

	if (reserve(&f->acc, o, &f->acc_cap, sizeof(*f->acc)) < 0)
		return -ENOMEM;
	memset(f->acc + old, 0, (f->acc_cap - old) * sizeof(*f->acc));
	return 0;
}

/* Append a group with ident id (n words, hash h), labelled from r, at
 * slot i.  Returns its index or -ENOMEM. */
static long add_group(struct hist_fold *f, const uint64_t *id, size_t n,
		      uint64_t h, size_t i, const struct snapshot *s,
		      const struct sock_record *r)
{
	char label[SOCK_KEY_LABEL_MAX];
	size_t len, out = f->collapsed ? f->ntop : f->ngroups;

	f->key->label(s, r, label, sizeof(label));
	len = strlen(label) + 1;
	if (reserve(&f->groups, f->ngroups, &f->gcap, sizeof(*f->groups)) ||
	    reserve(&f->idents, f->idents_len + n, &f->idents_cap,
		    sizeof(*f->idents)) ||
	    reserve(&f->labels, f->labels_len + len, &f->labels_cap, 1) ||
	    reserve_out(f, out))
		return -ENOMEM;
	f->groups[f->ngroups] = (struct fgroup){
		{ id[0], id[1], id[2] }, h, f->idents_len, n, f->labels_len,
		out };
	memcpy(f->idents + f->idents_len, id, n * sizeof(*id));
	f->idents_len += n;
	memcpy(f->labels + f->labels_len, label, len);
	f->labels_len += len;
	f->slots[i] = ++f->ngroups;
	if (!f->collapsed)
		f->nout = f->ngroups;
	if (2 * f->ngroups >= f->nslots && grow_slots(f) < 0)
		return -ENOMEM;
	return (long)f->ngroups - 1;
}

/* Same ident?  g's first words, then the rest. */
static bool same_ident(const struct hist_fold *f, const struct fgroup *g,
		       const uint64_t *id, size_t n, uint64_t h)
{
	return g->hash == h && g->ident_len == n && g->w[0] == id[0] &&
	       g->w[1] == id[1] && g->w[2] == id[2] &&
	       (n <= WORDS ||
		memcmp(f->idents + g->ident_off + WORDS, id + WORDS,
		       (n - WORDS) * sizeof(*id)) == 0);
}

/* The group of r; see hist_fold.h. */
long hist_fold_group(struct hist_fold *f, const struct snapshot *s,
		     const struct sock_record *r)
{
	uint64_t id[SOCK_KEY_IDENT_WORDS], h;
	size_t n, i;

	id[0] = id[1] = id[2] = 0;
	n = f->key->ident(s, r, id);
	h = hash_ident(id, n);
	for (i = h & (f->nslots - 1); f->slots[i]; i = (i + 1) & (f->nslots - 1))
		if (same_ident(f, &f->groups[f->slots[i] - 1], id, n, h))
			return (long)f->slots[i] - 1;
	return add_group(f, id, n, h, i, s, r);
}

/* Count in the current unit; see hist_fold.h. */
int hist_fold_add(struct hist_fold *f, long g, int64_t peak, int64_t sum)
{
	size_t o = f->groups[g].out;
	struct acc *a = &f->acc[o];

	if (a->ustamp != f->unit) {
		if (reserve(&f->utouched, f->nutouched, &f->utcap,
			    sizeof(*f->utouched)) < 0)
			return -ENOMEM;
		f->utouched[f->nutouched++] = o;
		a->ustamp = f->unit;
		a->upeak = a->usum = 0;
	}
	a->upeak += peak;
	a->usum += sum;
	return 0;
}

/* Log the current unit (first pass only), or stop logging once the log
 * would outgrow log_max. */
static void log_unit(struct hist_fold *f, int64_t snapshots)
{
	size_t need = f->log_len + LOG_ENTRY_MAX * (1 + f->nutouched);
	uint8_t *p;

	if (f->log_off || f->collapsed)
		return;
	if (need > f->log_max || reserve(&f->log, need, &f->log_cap, 1) < 0) {
		free(f->log);
		f->log = NULL;
		f->log_len = f->log_cap = 0;
		f->log_off = true;
		return;
	}
	p = f->log + f->log_len;
	put_varint(&p, (uint64_t)f->unit_time);
	put_varint(&p, zigzag(snapshots));
	put_varint(&p, f->nutouched);
	for (size_t i = 0; i < f->nutouched; i++) {
		const struct acc *a = &f->acc[f->utouched[i]];

		put_varint(&p, f->utouched[i]);
		put_varint(&p, zigzag(a->upeak));
		put_varint(&p, zigzag(a->usum));
	}
	f->log_len = (size_t)(p - f->log);
}

/* Fold the unit into its bucket; see hist_fold.h.  In the first pass an
 * output group is its group, so the log holds group indexes. */
int hist_fold_end(struct hist_fold *f, int64_t snapshots)
{
	log_unit(f, snapshots);
	for (size_t i = 0; i < f->nutouched; i++) {
		struct acc *a = &f->acc[f->utouched[i]];

		if (a->cstamp != f->serial) {
			if (reserve(&f->btouched, f->nbtouched, &f->btcap,
				    sizeof(*f->btouched)) < 0)
				return -ENOMEM;
			f->btouched[f->nbtouched++] = f->utouched[i];
			a->cstamp = f->serial;
			a->cmax = a->upeak;
			a->csum = a->usum;
		} else {
			if (a->upeak > a->cmax)
				a->cmax = a->upeak;
			a->csum += a->usum;
		}
	}
	f->nutouched = 0;
	f->snapshots += snapshots;
	return 0;
}

/* Groups seen; see hist_fold.h. */
size_t hist_fold_ngroups(const struct hist_fold *f)
{
	return f->ngroups;
}

/* An output group as the ordering sees it. */
struct out_order {
	int64_t max;
	const uint64_t *ident;           /* NULL for "other" */
	size_t len;
	size_t out;
};

/* qsort: largest max first, then by ident (word by word, then length);
 * "other" last. */
static int cmp_order(const void *a, const void *b)
{
	const struct out_order *x = a, *y = b;

	if (!x->ident || !y->ident)
		return !x->ident - !y->ident;
	if (x->max != y->max)
		return x->max < y->max ? 1 : -1;
	for (size_t i = 0; i < x->len && i < y->len; i++)
		if (x->ident[i] != y->ident[i])
			return x->ident[i] < y->ident[i] ? -1 : 1;
	return (x->len > y->len) - (x->len < y->len);
}

/* The group an output group stands for; SIZE_MAX for "other". */
static size_t out_group(const struct hist_fold *f, size_t o)
{
	if (!f->collapsed)
		return o;
	return o < f->ntop ? f->top_groups[o] : SIZE_MAX;
}

/* The output groups in order, with their largest max over the cells, as a
 * malloc'd array of f->nout entries (NULL when out of memory). */
static struct out_order *order_outs(const struct hist_fold *f)
{
	struct out_order *v = malloc((f->nout ? f->nout : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t o = 0; o < f->nout; o++) {
		size_t g = out_group(f, o);

		v[o] = (struct out_order){ 0, NULL, 0, o };
		if (g != SIZE_MAX) {
			v[o].ident = f->idents + f->groups[g].ident_off;
			v[o].len = f->groups[g].ident_len;
		}
	}
	for (size_t c = 0; c < f->ncells; c++)
		if (f->cells[c].max > v[f->cells[c].group].max)
			v[f->cells[c].group].max = f->cells[c].max;
	if (f->nout > 1)
		qsort(v, f->nout, sizeof(*v), cmp_order);
	return v;
}

/* Forget the counts (not the groups) for another pass. */
static void clear_counts(struct hist_fold *f)
{
	f->nbuckets = f->ncells = 0;
	f->in_bucket = false;
	memset(f->acc, 0, f->acc_cap * sizeof(*f->acc));
}

/* Feed the logged units again (their groups now map to the top groups
 * and "other"). */
static int replay_log(struct hist_fold *f)
{
	struct rd rd = { f->log, f->log + f->log_len };
	uint64_t t, snapshots, n, g, peak, sum;
	int r = 0;

	while (r == 0 && rd.p < rd.end) {
		if (rd_varint(&rd, &t) || rd_varint(&rd, &snapshots) ||
		    rd_varint(&rd, &n))
			return -EIO;
		r = hist_fold_begin(f, (int64_t)t);
		for (uint64_t i = 0; r == 0 && i < n; i++) {
			if (rd_varint(&rd, &g) || rd_varint(&rd, &peak) ||
			    rd_varint(&rd, &sum) || g >= f->ngroups)
				return -EIO;
			r = hist_fold_add(f, (long)g, unzigzag(peak),
					  unzigzag(sum));
		}
		if (r == 0)
			r = hist_fold_end(f, unzigzag(snapshots));
	}
	return r;
}

/* Keep the top groups; see hist_fold.h. */
int hist_fold_top(struct hist_fold *f, size_t top)
{
	struct out_order *v;

	assert(!f->collapsed);
	if (flush_bucket(f) < 0 || !(v = order_outs(f)))
		return -ENOMEM;
	if (top > f->nout)
		top = f->nout;
	if (!(f->top_groups = malloc((top ? top : 1) * sizeof(size_t))) ||
	    reserve_out(f, top)) {
		free(v);
		return -ENOMEM;
	}
	for (size_t g = 0; g < f->ngroups; g++)
		f->groups[g].out = top;
	for (size_t i = 0; i < top; i++) {
		f->top_groups[i] = v[i].out;
		f->groups[v[i].out].out = i;
	}
	free(v);
	f->collapsed = true;
	f->ntop = top;
	f->nout = top + 1;
	clear_counts(f);
	if (f->log_off)
		return 1;
	return replay_log(f);
}

/* qsort: buckets by start. */
static int cmp_bucket(const void *a, const void *b)
{
	const struct hist_bucket *x = a, *y = b;

	return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
}

/* qsort: cells by bucket, then group. */
static int cmp_cell(const void *a, const void *b)
{
	const struct hist_cell *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return (x->group > y->group) - (x->group < y->group);
}

/* Sort buckets and cells and merge the entries of a bucket met more than
 * once; a bucket without snapshots goes, with its cells. */
static void merge(struct hist_fold *f)
{
	size_t nb = 0, nc = 0, c = 0;

	if (f->nbuckets > 1)
		qsort(f->buckets, f->nbuckets, sizeof(*f->buckets), cmp_bucket);
	if (f->ncells > 1)
		qsort(f->cells, f->ncells, sizeof(*f->cells), cmp_cell);
	for (size_t b = 0; b < f->nbuckets; b++) {
		if (nb && f->buckets[nb - 1].start_ns == f->buckets[b].start_ns)
			f->buckets[nb - 1].snapshots += f->buckets[b].snapshots;
		else
			f->buckets[nb++] = f->buckets[b];
	}
	f->nbuckets = 0;
	for (size_t b = 0; b < nb; b++) {
		const struct hist_bucket *bk = &f->buckets[b];

		if (bk->snapshots > 0)
			f->buckets[f->nbuckets++] = *bk;
		for (; c < f->ncells && f->cells[c].start_ns == bk->start_ns;
		     c++) {
			struct hist_cell *last = nc ? &f->cells[nc - 1] : NULL;

			if (bk->snapshots <= 0)
				continue;
			if (last && last->start_ns == f->cells[c].start_ns &&
			    last->group == f->cells[c].group) {
				if (f->cells[c].max > last->max)
					last->max = f->cells[c].max;
				last->sum += f->cells[c].sum;
			} else {
				f->cells[nc++] = f->cells[c];
			}
		}
	}
	f->ncells = nc;
}

/* Copy the labels into h in output order, "other" included. */
static int take_labels(const struct hist_fold *f, const struct out_order *v,
		       struct hist *h)
{
	size_t len = f->labels_len + sizeof(HIST_OTHER);

	if (!(h->labels = malloc(len)))
		return -ENOMEM;
	if (f->labels_len)
		memcpy(h->labels, f->labels, f->labels_len);
	memcpy(h->labels + f->labels_len, HIST_OTHER, sizeof(HIST_OTHER));
	for (size_t i = 0; i < h->ngroups; i++) {
		size_t g = out_group(f, v[i].out);

		h->groups[i] = (struct hist_group){
			h->labels + (g == SIZE_MAX ? f->labels_len :
				     f->groups[g].label_off), v[i].max };
	}
	return 0;
}

/* Build the histogram; see hist_fold.h.  Only output groups that have a
 * cell are kept (after hist_fold_top, "other" may have none). */
int hist_fold_result(struct hist_fold *f, struct hist *h)
{
	struct out_order *v;
	size_t *rank;
	size_t n = 0;

	memset(h, 0, sizeof(*h));
	if (flush_bucket(f) < 0)
		return -ENOMEM;
	merge(f);
	if (!(v = order_outs(f)))
		return -ENOMEM;
	rank = malloc((f->nout ? f->nout : 1) * sizeof(*rank));
	h->groups = malloc((f->nout ? f->nout : 1) * sizeof(*h->groups));
	h->buckets = malloc((f->nbuckets ? f->nbuckets : 1) *
			    sizeof(*h->buckets));
	h->cells = malloc((f->ncells ? f->ncells : 1) * sizeof(*h->cells));
	if (!rank || !h->groups || !h->buckets || !h->cells)
		goto nomem;
	for (size_t o = 0; o < f->nout; o++)
		rank[o] = SIZE_MAX;
	for (size_t c = 0; c < f->ncells; c++)
		rank[f->cells[c].group] = 0;
	for (size_t i = 0; i < f->nout; i++)
		if (rank[v[i].out] == 0)
			v[n++] = v[i];
	for (size_t i = 0; i < n; i++)
		rank[v[i].out] = i;
	h->ngroups = n;
	if (take_labels(f, v, h) < 0)
		goto nomem;
	for (size_t b = 0; b < f->nbuckets; b++)
		h->buckets[b] = f->buckets[b];
	h->nbuckets = f->nbuckets;
	for (size_t c = 0; c < f->ncells; c++) {
		h->cells[c] = f->cells[c];
		h->cells[c].group = rank[f->cells[c].group];
	}
	h->ncells = f->ncells;
	if (h->ncells > 1)
		qsort(h->cells, h->ncells, sizeof(*h->cells), cmp_cell);
	free(rank);
	free(v);
	return 0;
nomem:
	free(rank);
	free(v);
	hist_free(h);
	return -ENOMEM;
}

/* Walk buckets x groups, taking each cell in turn; see hist_fold.h. */
int hist_each_row(const struct hist *h,
		  int (*fn)(const struct hist_row *row, void *arg), void *arg)
{
	size_t c = 0;

	for (size_t b = 0; b < h->nbuckets; b++) {
		const struct hist_bucket *bk = &h->buckets[b];

		for (size_t g = 0; g < h->ngroups; g++) {
			struct hist_row row = { bk->start_ns,
						h->groups[g].label, 0, 0.0 };
			int r;

			if (c < h->ncells && h->cells[c].start_ns == bk->start_ns &&
			    h->cells[c].group == g) {
				row.max = h->cells[c].max;
				row.mean = (double)h->cells[c].sum /
					   (double)bk->snapshots;
				c++;
			}
			if ((r = fn(&row, arg)) != 0)
				return r;
		}
	}
	assert(c == h->ncells);
	return 0;
}

/* Free the arrays and zero h. */
void hist_free(struct hist *h)
{
	free(h->buckets);
	free(h->groups);
	free(h->cells);
	free(h->labels);
	memset(h, 0, sizeof(*h));
}
