/*
 * randsnap.h — seeded random snapshots and snapshot comparison for tests.
 * Every value comes from one xorshift generator, so a failing seed
 * reproduces.  The comparisons are cmocka assertions.
 */
#ifndef SOCKHIST_RANDSNAP_H
#define SOCKHIST_RANDSNAP_H

#include <stdint.h>

#include "sockrec.h"

/* The generator's state; rnd_snapshot() seeds it. */
extern uint64_t rng_state;

/* The next random value. */
uint64_t rnd(void);
/* A random value of at most `bits` significant bits, biased to small ones. */
uint64_t rnd_bits(unsigned bits);
/* Intern a random printable string of 0..maxlen bytes; returns its offset. */
uint32_t rnd_string(struct snapshot *s, unsigned maxlen);
/* Add a blob of random length (0..maxlen) and content. */
void rnd_blob(struct snapshot *s, uint32_t *off, uint32_t *len,
	      unsigned maxlen);
/* Fill every field of r at random. */
void rnd_record(struct snapshot *s, struct sock_record *r);
/* A random snapshot of n records (not sorted), from seed. */
void rnd_snapshot(struct snapshot *s, size_t n, uint64_t seed);

/* Records equal field by field, pool references compared by content. */
void assert_record_equal(const struct snapshot *a, const struct sock_record *x,
			 const struct snapshot *b, const struct sock_record *y);
/* Same time, namespace and records in the same order. */
void assert_snapshot_equal(const struct snapshot *a, const struct snapshot *b);

#endif
