/*
 * sockdiff.c — two snapshots merged by cookie into opened, closed and
 * changed sockets, and the per-group counts of diff --by.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockdiff.h"
#include "sockenum.h"
#include "sockselect.h"

/* The queue rule; see sockdiff.h. */
bool sock_diff_queue_crossed(uint32_t before, uint32_t after,
			     uint32_t threshold)
{
	return (before >= threshold) != (after >= threshold);
}

/* The change rule; see sockdiff.h. */
bool sock_diff_changed(const struct sock_record *before,
		       const struct sock_record *after, uint32_t threshold)
{
	if (before->state != after->state)
		return true;
	if (!threshold)
		return false;
	if (after->state == SS_LISTEN)
		return (before->rqueue > before->wqueue) !=
		       (after->rqueue > after->wqueue);
	return sock_diff_queue_crossed(before->rqueue, after->rqueue,
				       threshold) ||
	       sock_diff_queue_crossed(before->wqueue, after->wqueue,
				       threshold);
}

/* qsort comparator: record pointers by cookie. */
static int cmp_cookie(const void *a, const void *b)
{
	const struct sock_record *x = *(const struct sock_record *const *)a;
	const struct sock_record *y = *(const struct sock_record *const *)b;

	return (x->cookie > y->cookie) - (x->cookie < y->cookie);
}

/* s's records as pointers in cookie order (malloc'd), or NULL. */
static const struct sock_record **by_cookie(const struct snapshot *s)
{
	const struct sock_record **p = malloc(sizeof(*p) *
					      (s->nrecs ? s->nrecs : 1));

	if (!p)
		return NULL;
	for (size_t i = 0; i < s->nrecs; i++)
		p[i] = &s->recs[i];
	if (s->nrecs)
		qsort(p, s->nrecs, sizeof(*p), cmp_cookie);
	return p;
}

/* Does the selection keep r of s? */
static bool kept(const struct sock_diff_opts *o, const struct snapshot *s,
		 const struct sock_record *r)
{
	return !o->keep || o->keep(s, r, o->arg);
}

/* Append a delta to one of d's lists (each has room for every socket). */
static void add(struct sock_delta *list, size_t *n,
		const struct sock_record *before, const struct sock_record *after,
		bool kb, bool ka)
{
	list[(*n)++] = (struct sock_delta){ before, after, kb, ka };
}

/* The record a table prints for a delta. */
static const struct sock_record *shown(const struct sock_delta *x)
{
	return x->after ? x->after : x->before;
}

/* qsort comparator: deltas in ss's row order of their shown record. */
static int cmp_row(const void *a, const void *b)
{
	const struct sock_record *x = shown(a), *y = shown(b);
	int gx = sock_select_group(x), gy = sock_select_group(y);

	if (gx != gy)
		return gx - gy;
	return (x->cookie > y->cookie) - (x->cookie < y->cookie);
}

/* Walk both cookie-ordered lists and sort the deltas into d. */
static void merge(const struct snapshot *from, const struct snapshot *to,
		  const struct sock_record **a, const struct sock_record **b,
		  const struct sock_diff_opts *o, struct sock_diff *d)
{
	size_t i = 0, j = 0, na = from->nrecs, nb = to->nrecs;

	while (i < na || j < nb) {
		bool take_a = j == nb || (i < na && (!o->same_boot ||
			      a[i]->cookie < b[j]->cookie));
		bool take_b = i == na || (j < nb && (!o->same_boot ||
			      b[j]->cookie < a[i]->cookie) && !take_a);

		if (take_a) {
			if (kept(o, from, a[i]))
				add(d->closed, &d->nclosed, a[i], NULL, true,
				    false);
			i++;
		} else if (take_b) {
			if (kept(o, to, b[j]))
				add(d->opened, &d->nopened, NULL, b[j], false,
				    true);
			j++;
		} else {
			bool kb = kept(o, from, a[i]), ka = kept(o, to, b[j]);

			if ((kb || ka) && sock_diff_changed(a[i], b[j],
							    o->queue_bytes))
				add(d->changed, &d->nchanged, a[i], b[j], kb,
				    ka);
			i++;
			j++;
		}
	}
}

/* Merge from and to; see sockdiff.h. */
int sock_diff_compute(const struct snapshot *from, const struct snapshot *to,
		      const struct sock_diff_opts *o, struct sock_diff *d)
{
	size_t most = from->nrecs > to->nrecs ? from->nrecs : to->nrecs;
	const struct sock_record **a = by_cookie(from), **b = by_cookie(to);
	int r = -ENOMEM;

	memset(d, 0, sizeof(*d));
	d->opened = malloc(sizeof(*d->opened) * (to->nrecs ? to->nrecs : 1));
	d->closed = malloc(sizeof(*d->closed) *
			   (from->nrecs ? from->nrecs : 1));
	d->changed = malloc(sizeof(*d->changed) * (most ? most : 1));
	if (a && b && d->opened && d->closed && d->changed) {
		merge(from, to, a, b, o, d);
		qsort(d->opened, d->nopened, sizeof(*d->opened), cmp_row);
		qsort(d->closed, d->nclosed, sizeof(*d->closed), cmp_row);
		qsort(d->changed, d->nchanged, sizeof(*d->changed), cmp_row);
		r = 0;
	}
	free(a);
	free(b);
	if (r < 0)
		sock_diff_free(d);
	return r;
}

/* Free the lists; leaves d empty. */
void sock_diff_free(struct sock_diff *d)
{
	free(d->opened);
	free(d->closed);
	free(d->changed);
	memset(d, 0, sizeof(*d));
}

/* ---- --by groups ---------------------------------------------------------- */

enum { EV_FROM, EV_TO, EV_OPENED, EV_CLOSED, EV_CHANGED };

/* One socket counted in one group. */
struct event {
	char *label;
	int kind;
};

/* The events of a grouping, growing. */
struct events {
	struct event *v;
	size_t n, cap;
	const struct sock_key *key;
};

/* Count r of s under its label.  Returns 0 or -ENOMEM. */
static int event(struct events *e, const struct snapshot *s,
		 const struct sock_record *r, int kind)
{
	char label[SOCK_KEY_LABEL_MAX];

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		struct event *v = realloc(e->v, sizeof(*v) * cap);

		if (!v)
			return -ENOMEM;
		e->v = v;
		e->cap = cap;
	}
	e->key->label(s, r, label, sizeof(label));
	if (!(e->v[e->n].label = strdup(label)))
		return -ENOMEM;
	e->v[e->n++].kind = kind;
	return 0;
}

/* A changed socket: in its group on each side where it is selected. */
static int changed_events(struct events *e, const struct snapshot *from,
			  const struct snapshot *to, const struct sock_delta *x)
{
	char b[SOCK_KEY_LABEL_MAX], a[SOCK_KEY_LABEL_MAX];

	if (x->kept_before && event(e, from, x->before, EV_CHANGED) < 0)
		return -ENOMEM;
	if (!x->kept_after)
		return 0;
	if (x->kept_before) {
		e->key->label(from, x->before, b, sizeof(b));
		e->key->label(to, x->after, a, sizeof(a));
		if (strcmp(a, b) == 0)
			return 0;
	}
	return event(e, to, x->after, EV_CHANGED);
}

/* Every event of the grouping. */
static int collect(struct events *e, const struct snapshot *from,
		   const struct snapshot *to, const struct sock_diff_opts *o,
		   const struct sock_diff *d)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < from->nrecs; i++)
		if (kept(o, from, &from->recs[i]))
			r = event(e, from, &from->recs[i], EV_FROM);
	for (size_t i = 0; r == 0 && i < to->nrecs; i++)
		if (kept(o, to, &to->recs[i]))
			r = event(e, to, &to->recs[i], EV_TO);
	for (size_t i = 0; r == 0 && i < d->nopened; i++)
		r = event(e, to, d->opened[i].after, EV_OPENED);
	for (size_t i = 0; r == 0 && i < d->nclosed; i++)
		r = event(e, from, d->closed[i].before, EV_CLOSED);
	for (size_t i = 0; r == 0 && i < d->nchanged; i++)
		r = changed_events(e, from, to, &d->changed[i]);
	return r;
}

/* qsort comparator: events by label. */
static int cmp_event(const void *a, const void *b)
{
	return strcmp(((const struct event *)a)->label,
		      ((const struct event *)b)->label);
}

/* |to - from| of a group. */
static int64_t swing(const struct sock_diff_group *g)
{
	int64_t v = (int64_t)g->to - (int64_t)g->from;

	return v < 0 ? -v : v;
}

/* qsort comparator: the largest change first. */
static int cmp_group(const void *a, const void *b)
{
	const struct sock_diff_group *x = a, *y = b;
	int64_t sx = swing(x), sy = swing(y);
	int64_t ax = (int64_t)x->opened + x->closed + x->changed;
	int64_t ay = (int64_t)y->opened + y->closed + y->changed;

	if (sx != sy)
		return sx < sy ? 1 : -1;
	if (ax != ay)
		return ax < ay ? 1 : -1;
	return strcmp(x->label, y->label);
}

/* Fold the label-sorted events into groups (labels move to the groups). */
static long fold(struct events *e, struct sock_diff_group **out)
{
	struct sock_diff_group *g = calloc(e->n ? e->n : 1, sizeof(*g));
	size_t n = 0;

	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < e->n; i++) {
		struct event *v = &e->v[i];

		if (n == 0 || strcmp(g[n - 1].label, v->label) != 0) {
			g[n++].label = v->label;
			v->label = NULL;
		}
		uint32_t *c[] = { &g[n - 1].from, &g[n - 1].to,
				  &g[n - 1].opened, &g[n - 1].closed,
				  &g[n - 1].changed };
		(*c[v->kind])++;
	}
	qsort(g, n, sizeof(*g), cmp_group);
	*out = g;
	return (long)n;
}

/* Group counts; see sockdiff.h. */
long sock_diff_groups(const struct snapshot *from, const struct snapshot *to,
		      const struct sock_diff_opts *o, const struct sock_diff *d,
		      const struct sock_key *key, struct sock_diff_group **out)
{
	struct events e = { .key = key };
	long n = collect(&e, from, to, o, d);

	if (n == 0) {
		if (e.n)
			qsort(e.v, e.n, sizeof(*e.v), cmp_event);
		n = fold(&e, out);
	}
	for (size_t i = 0; i < e.n; i++)
		free(e.v[i].label);
	free(e.v);
	return n;
}

/* Free the groups and their labels. */
void sock_diff_groups_free(struct sock_diff_group *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++)
		free(g[i].label);
	free(g);
}
