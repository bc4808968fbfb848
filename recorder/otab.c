/*
 * otab.c — open-addressing hash table with linear probing (see otab.h).
 * The recorder's indexes hold tens of thousands of entries per snapshot; a
 * flat array and a multiplicative hash keep them cache-friendly and free of
 * per-entry allocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "otab.h"

#define OTAB_MIN_CAP 64

void otab_init(struct otab *t, size_t esz)
{
	memset(t, 0, sizeof(*t));
	t->esz = esz;
}

void otab_free(struct otab *t)
{
	free(t->ents);
	otab_init(t, t->esz);
}

void otab_clear(struct otab *t)
{
	if (t->ents)
		memset(t->ents, 0, t->cap * t->esz);
	t->n = 0;
}

/* Home slot of key in a table of cap slots (Fibonacci hashing). */
static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

/* The key in slot i (0 when empty). */
static uint64_t key_at(const struct otab *t, size_t i)
{
	uint64_t key;

	memcpy(&key, t->ents + i * t->esz, sizeof(key));
	return key;
}

void *otab_slot(const struct otab *t, size_t i)
{
	return key_at(t, i) ? t->ents + i * t->esz : NULL;
}

/* Rehash every entry into a fresh array of cap slots. */
static int rehash(struct otab *t, size_t cap)
{
	uint8_t *ents = calloc(cap, t->esz);
	size_t i, j;

	if (!ents)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		uint64_t key = key_at(t, i);

		if (!key)
			continue;
		for (j = slot_of(key, cap); ; j = (j + 1) & (cap - 1)) {
			uint64_t k;

			memcpy(&k, ents + j * t->esz, sizeof(k));
			if (!k)
				break;
		}
		memcpy(ents + j * t->esz, t->ents + i * t->esz, t->esz);
	}
	free(t->ents);
	t->ents = ents;
	t->cap = cap;
	return 0;
}

int otab_reserve(struct otab *t, size_t n)
{
	size_t cap = t->cap ? t->cap : OTAB_MIN_CAP;

	while (cap < 2 * n)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	return rehash(t, cap);
}

/* The slot holding key, or the empty slot where it would go (t->cap > 0
 * and the table never full, which otab_reserve guarantees). */
static size_t probe(const struct otab *t, uint64_t key)
{
	size_t i;
	uint64_t k;

	for (i = slot_of(key, t->cap); ; i = (i + 1) & (t->cap - 1)) {
		k = key_at(t, i);
		if (k == key || !k)
			return i;
	}
}

void *otab_find(const struct otab *t, uint64_t key)
{
	size_t i;

	if (!t->cap)
		return NULL;
	i = probe(t, key);
	return key_at(t, i) == key ? t->ents + i * t->esz : NULL;
}

void *otab_insert(struct otab *t, uint64_t key, int *created)
{
	uint8_t *e;
	size_t i;

	*created = 0;
	if (otab_reserve(t, t->n + 1) < 0)
		return NULL;
	i = probe(t, key);
	e = t->ents + i * t->esz;
	if (key_at(t, i) == key)
		return e;
	memset(e, 0, t->esz);
	memcpy(e, &key, sizeof(key));
	t->n++;
	*created = 1;
	return e;
}

void otab_swap(struct otab *a, struct otab *b)
{
	struct otab tmp = *a;

	*a = *b;
	*b = tmp;
}
