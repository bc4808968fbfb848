/*
 * otab.h — a small open-addressing hash table keyed by a non-zero uint64.
 *
 * Entries are fixed-size structs whose first member is the uint64_t key;
 * key 0 marks an empty slot.  Linear probing, power-of-two capacity kept at
 * most half full, no deletion: users rebuild or clear tables instead, which
 * is what a per-snapshot index wants.  Clearing keeps the allocation.
 */
#ifndef SOCKHIST_OTAB_H
#define SOCKHIST_OTAB_H

#include <stddef.h>
#include <stdint.h>

struct otab {
	uint8_t *ents;
	size_t esz;     /* entry size, key first */
	size_t cap;     /* slots, a power of two, or 0 */
	size_t n;       /* used slots */
};

/* Set up an empty table of entries of esz bytes (no allocation yet). */
void otab_init(struct otab *t, size_t esz);
/* Free the slots. */
void otab_free(struct otab *t);
/* Empty the table, keeping its allocation. */
void otab_clear(struct otab *t);
/* Make room for at least n entries without regrowing.  0 or -ENOMEM. */
int otab_reserve(struct otab *t, size_t n);
/* The entry of key (non-zero), or NULL. */
void *otab_find(const struct otab *t, uint64_t key);
/* The entry of key, inserting a zeroed one (key set) if absent and setting
 * *created.  NULL on ENOMEM.  Pointers die at the next insert. */
void *otab_insert(struct otab *t, uint64_t key, int *created);
/* Entry at slot i (0 <= i < cap), or NULL for an empty slot. */
void *otab_slot(const struct otab *t, size_t i);

/* Swap two tables' contents (double buffering). */
void otab_swap(struct otab *a, struct otab *b);

#endif
