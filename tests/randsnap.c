/*
 * randsnap.c — seeded random snapshots and field-by-field snapshot
 * comparison, shared by the codec tests (test-codec.c, test-chain.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "randsnap.h"

/* xorshift64*: a seeded generator so failures reproduce. */
uint64_t rng_state;

uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* A random value of `bits` significant bits, biased towards small ones so
 * every varint length occurs. */
uint64_t rnd_bits(unsigned bits)
{
	unsigned b = (unsigned)(rnd() % (bits + 1));
	return b == 64 ? rnd() : rnd() & ((1ull << b) - 1);
}

/* Intern a random printable string of 0..maxlen bytes. */
uint32_t rnd_string(struct snapshot *s, unsigned maxlen)
{
	char buf[64];
	unsigned n = (unsigned)(rnd() % (maxlen + 1));

	for (unsigned i = 0; i < n; i++)
		buf[i] = (char)(' ' + rnd() % 95);
	int64_t off = snapshot_intern(s, buf, n);
	assert_true(off >= 0);
	return (uint32_t)off;
}

/* Add a blob of random length (0, odd, multiple of 4) and random bytes. */
void rnd_blob(struct snapshot *s, uint32_t *off, uint32_t *len,
		     unsigned maxlen)
{
	uint8_t buf[512] = { 0 };
	unsigned n = (unsigned)(rnd() % 4 == 0 ? 0 : rnd() % (maxlen + 1));

	*off = 0;
	*len = n;
	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++)
		buf[i] = (uint8_t)(rnd() % 3 ? rnd() : 0);
	int64_t o = snapshot_add_bytes(s, buf, n);
	assert_true(o >= 0);
	*off = (uint32_t)o;
}

/* Fill one record with random values in every field. */
void rnd_record(struct snapshot *s, struct sock_record *r)
{
	r->cookie = rnd_bits(64);
	r->inode = rnd_bits(64);
	r->cgroup_id = rnd_bits(64);
	r->has = (uint32_t)rnd_bits(32);
	r->netid = (uint8_t)(rnd() % NETID_COUNT);
	r->family = (uint8_t)rnd();
	r->state = (uint8_t)rnd();
	r->timer = (uint8_t)rnd();
	r->retrans = (uint8_t)rnd();
	r->shutdown = (uint8_t)rnd();
	r->tos = (uint8_t)rnd();
	r->tclass = (uint8_t)rnd();
	r->v6only = (uint8_t)rnd();
	r->protocol = (uint8_t)rnd();
	r->sport = (uint16_t)rnd_bits(16);
	r->dport = (uint16_t)rnd_bits(16);
	uint32_t *u32s[] = { &r->expires_ms, &r->rqueue, &r->wqueue,
		&r->ifindex, &r->uid, &r->class_id, &r->mark, &r->peer_inode,
		&r->vfs_ino, &r->vfs_dev };
	for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++)
		*u32s[i] = (uint32_t)rnd_bits(32);
	for (int i = 0; i < 4; i++)
		r->meminfo[i] = (uint32_t)rnd_bits(32);
	for (int i = 0; i < SR_SKMEM_MAX; i++)
		r->skmem[i] = (uint32_t)rnd_bits(32);
	r->skmem_count = (uint8_t)(rnd() % (SR_SKMEM_MAX + 1));
	for (int i = 0; i < SR_ADDR_LEN; i++) {
		r->src[i] = (uint8_t)rnd();
		r->dst[i] = (uint8_t)rnd();
	}
	r->name = rnd_string(s, 40);
	r->cong = rnd_string(s, 8);
	rnd_blob(s, &r->tcpi_off, &r->tcpi_len, 290);
	rnd_blob(s, &r->ccinfo_off, &r->ccinfo_len, 21);
	r->ccinfo_kind = (uint8_t)rnd();
	rnd_blob(s, &r->icons_off, &r->icons_len, 41);
}

/* Build a random snapshot of n records.  Processes are added in a shuffled
 * record order so proc ranges are not in record order (as after
 * snapshot_sort_dedupe), and some blobs are left unreferenced. */
void rnd_snapshot(struct snapshot *s, size_t n, uint64_t seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	assert_int_equal(snapshot_init(s), 0);
	s->time_ns = (int64_t)rnd();
	s->netns_ino = rnd();
	for (size_t i = 0; i < n; i++) {
		struct sock_record *r = snapshot_add_record(s);
		assert_non_null(r);
		rnd_record(s, r);
	}
	for (size_t k = 0; k < n; k++) {
		struct sock_record *r = &s->recs[(k * 7919) % n];
		r->proc_first = (uint32_t)s->nprocs;
		r->proc_count = (uint32_t)(rnd() % 4);
		for (uint32_t p = 0; p < r->proc_count; p++) {
			char comm[16];
			snprintf(comm, sizeof(comm), "proc%u", (unsigned)(rnd() % 50));
			assert_int_equal(snapshot_add_process(s, (uint32_t)rnd(),
				(uint32_t)rnd_bits(32), rnd() % 5 ? comm : ""), 0);
		}
	}
}

/* Compare one blob of two records by content. */
static void assert_blob_equal(const struct snapshot *a, uint32_t aoff,
			      uint32_t alen, const struct snapshot *b,
			      uint32_t boff, uint32_t blen)
{
	assert_int_equal(alen, blen);
	if (alen)
		assert_memory_equal(a->bytes + aoff, b->bytes + boff, alen);
}

/* Every field of two records equal, pool references compared by content. */
void assert_record_equal(const struct snapshot *a,
				const struct sock_record *x,
				const struct snapshot *b,
				const struct sock_record *y)
{
	struct sock_record cx = *x, cy = *y;

	assert_string_equal(snapshot_str(a, x->name), snapshot_str(b, y->name));
	assert_string_equal(snapshot_str(a, x->cong), snapshot_str(b, y->cong));
	assert_blob_equal(a, x->tcpi_off, x->tcpi_len, b, y->tcpi_off, y->tcpi_len);
	assert_blob_equal(a, x->ccinfo_off, x->ccinfo_len, b, y->ccinfo_off,
			  y->ccinfo_len);
	assert_blob_equal(a, x->icons_off, x->icons_len, b, y->icons_off,
			  y->icons_len);
	assert_int_equal(x->proc_count, y->proc_count);
	for (uint32_t k = 0; k < x->proc_count; k++) {
		const struct sr_process *p = &a->procs[x->proc_first + k];
		const struct sr_process *q = &b->procs[y->proc_first + k];
		assert_int_equal(p->pid, q->pid);
		assert_int_equal(p->fd, q->fd);
		assert_string_equal(snapshot_str(a, p->comm),
				    snapshot_str(b, q->comm));
	}
	cx.name = cy.name = cx.cong = cy.cong = 0;
	cx.tcpi_off = cy.tcpi_off = cx.ccinfo_off = cy.ccinfo_off = 0;
	cx.icons_off = cy.icons_off = cx.proc_first = cy.proc_first = 0;
	assert_memory_equal(&cx, &cy, sizeof(cx));
}

/* Two snapshots hold the same sockets in the same order. */
void assert_snapshot_equal(const struct snapshot *a,
				  const struct snapshot *b)
{
	assert_int_equal(a->time_ns, b->time_ns);
	assert_int_equal(a->netns_ino, b->netns_ino);
	assert_int_equal(a->nrecs, b->nrecs);
	for (size_t i = 0; i < a->nrecs; i++)
		assert_record_equal(a, &a->recs[i], b, &b->recs[i]);
}
