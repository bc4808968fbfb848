/*
 * destroy.h — sockets that close between two snapshots, from sock_diag's
 * destroy broadcasts (what `ss -E` shows).
 *
 * A subscription is one NETLINK_SOCK_DIAG socket of one network namespace
 * joined to the SKNLGRP_INET{,6}_{TCP,UDP}_DESTROY multicast groups: the
 * kernel sends every TCP or UDP socket of that namespace as it is freed,
 * with the dump's header and attributes (tcp_info included: the final
 * counters).  No privilege is needed.  destroy_open() opens it in the
 * CURRENT namespace (a caller recording several namespaces calls it while
 * setns'd into each), with a big receive buffer (SO_RCVBUFFORCE as root,
 * else SO_RCVBUF).
 *
 * The collector is one thread blocked in epoll over every added
 * subscription.  Netlink messages carry no time, so the thread stamps each
 * with CLOCK_REALTIME as it reads it: reading promptly on a thread of its
 * own keeps close times exact while the main loop is busy with a snapshot.
 * It parses each message into a socket record (recorder/dump_inet.c's
 * parser) and queues it on its subscription under the collector's mutex;
 * the main loop takes a subscription's queue once per tick with
 * destroy_take().  What the kernel could not deliver is counted, not
 * guessed: ENOBUFS answers (overruns) and the exact number of dropped
 * messages, from the socket's SK_MEMINFO_DROPS counter (SO_MEMINFO).
 * Subscriptions may be added and removed while the thread runs.
 */
#ifndef SOCKHIST_DESTROY_H
#define SOCKHIST_DESTROY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sockrec.h"

/* Which protocols a subscription listens to (sockhistd --close-events). */
enum destroy_flags {
	DESTROY_TCP = 1u << 0,
	DESTROY_UDP = 1u << 1,
	DESTROY_ALL = DESTROY_TCP | DESTROY_UDP,
};

/* The receive buffer asked for: about 20000 queued TCP events. */
#define DESTROY_RCVBUF (8 * 1024 * 1024)

/* Events of one subscription between two takes. */
struct destroy_batch {
	struct snapshot ev;      /* the sockets in arrival order; ev.netns_ino
				  * is the namespace, ev.time_ns the take */
	int64_t *closed_ns;      /* per record: CLOCK_REALTIME when read */
	size_t closed_cap;
	int64_t since_ns;        /* the previous take (or the subscription's
				  * start): the batch covers since_ns..time_ns */
	uint64_t lost;           /* events the kernel dropped in that range */
	uint64_t bad;            /* messages that did not parse */
};

/* One namespace's subscription. */
struct destroy_sub {
	int fd;                  /* -1 when closed */
	uint64_t netns_ino;
	unsigned flags;          /* enum destroy_flags */
	uint64_t id;             /* the collector's key; 0 while not added */
	/* Below: the collector's lock guards them while the sub is added. */
	struct destroy_batch pending;
	uint32_t drops_seen;     /* SK_MEMINFO_DROPS at the last read */
	uint64_t overruns;       /* ENOBUFS answers, in total */
};

/* The reading thread and the subscriptions it watches. */
struct destroy_collector {
	pthread_t thread;
	pthread_mutex_t lock;
	int epfd, wakefd;        /* wakefd: an eventfd that asks it to stop */
	struct destroy_sub **subs;
	size_t nsubs, subs_cap;
	uint64_t next_id;
	int started;
};

/* Initialise an empty batch.  Returns 0 or -ENOMEM. */
int destroy_batch_init(struct destroy_batch *b);
void destroy_batch_free(struct destroy_batch *b);

/* Open a subscription in the current network namespace, known as netns_ino,
 * for the protocols of flags.  Returns 0 or a negative errno. */
int destroy_open(struct destroy_sub *sub, uint64_t netns_ino, unsigned flags);
/* Close it (remove it from its collector first); safe when not open. */
void destroy_close(struct destroy_sub *sub);

/* Start the collector's thread with no subscriptions.  Returns 0 or a
 * negative errno. */
int destroy_start(struct destroy_collector *c);
/* Stop the thread and forget every subscription (they stay open). */
void destroy_stop(struct destroy_collector *c);

/* Watch sub from now on.  Returns 0 or a negative errno. */
int destroy_add(struct destroy_collector *c, struct destroy_sub *sub);
/* Stop watching sub; when this returns the thread no longer touches it. */
void destroy_remove(struct destroy_collector *c, struct destroy_sub *sub);

/* Move sub's queued events (and its loss count) into out, which is reset
 * first, stamping the take with now_ns; sub's queue starts again empty.
 * Returns the number of events. */
size_t destroy_take(struct destroy_collector *c, struct destroy_sub *sub,
		    int64_t now_ns, struct destroy_batch *out);

/* Read every queued message of sub now (the thread's work, exposed for the
 * tests and for callers without a thread), the caller holding the
 * collector's lock if there is one.  Returns the messages read. */
size_t destroy_drain(struct destroy_sub *sub, size_t max);

/* Append the events of buf (len bytes of netlink messages, as one read
 * returns them) to b, all stamped now_ns.  Returns the number appended;
 * messages that do not parse are counted in b->bad. */
size_t destroy_parse(struct destroy_batch *b, const void *buf, size_t len,
		     int64_t now_ns);

#endif
