/*
 * destroy.c — sock_diag destroy subscriptions and the thread that reads
 * them (see destroy.h for the design).
 *
 * Kernel facts this relies on (net/core/sock.c __sk_free, net/ipv4/
 * inet_diag.c inet_diag_handler_get_info): a full socket of a user
 * (sk_net_refcnt) is broadcast when it is freed, from a workqueue, to the
 * group of its family and protocol in its namespace.  The message is a
 * SOCK_DIAG_BY_FAMILY inet_diag_msg with family, ports, addresses,
 * interface, cookie, state (TCP_CLOSE for a connection that went through
 * FIN or RST; LISTEN for a listener) and the queues, then INET_DIAG_PROTOCOL
 * and, for TCP, INET_DIAG_INFO (the final tcp_info).  Nothing else: uid,
 * inode, timer, mark and cgroup are zero or absent.  TIME-WAIT and
 * SYN-RECV minisockets are no full sockets and are never broadcast (the
 * full socket that turned into TIME-WAIT is); the children still in a
 * closing listener's accept queue are.  Each message is one datagram.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "destroy.h"
#include "dump_inet.h"
#include "timeexpr.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Messages read per hold of the lock: keeps destroy_take() waits short. */
#define DRAIN_BATCH 256
/* One destroy message is under 400 bytes; one datagram per read. */
#define READ_BUF 8192

int destroy_batch_init(struct destroy_batch *b)
{
	memset(b, 0, sizeof(*b));
	return snapshot_init(&b->ev);
}

void destroy_batch_free(struct destroy_batch *b)
{
	snapshot_free(&b->ev);
	free(b->closed_ns);
	memset(b, 0, sizeof(*b));
}

/* Empty b for reuse, keeping its allocations. */
static void batch_reset(struct destroy_batch *b)
{
	snapshot_reset(&b->ev);
	b->lost = 0;
	b->bad = 0;
}

/* Room for one more close time in b.  Returns 0 or -ENOMEM. */
static int batch_reserve(struct destroy_batch *b)
{
	if (b->ev.nrecs < b->closed_cap)
		return 0;
	size_t cap = b->closed_cap ? b->closed_cap * 2 : 64;
	int64_t *p = realloc(b->closed_ns, cap * sizeof(*p));

	if (!p)
		return -ENOMEM;
	b->closed_ns = p;
	b->closed_cap = cap;
	return 0;
}

size_t destroy_parse(struct destroy_batch *b, const void *buf, size_t len,
		     int64_t now_ns)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;
	size_t n = 0;

	for (; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
		if (nlh->nlmsg_type == NLMSG_NOOP)
			continue;
		if (batch_reserve(b) < 0 || inet_parse_event(nlh, &b->ev) < 0) {
			b->bad++;
			continue;
		}
		b->closed_ns[b->ev.nrecs - 1] = now_ns;
		n++;
	}
	return n;
}

/* Join the multicast group grp.  Returns 0 or a negative errno. */
static int join(int fd, int grp)
{
	return setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
			  sizeof(grp)) < 0 ? -errno : 0;
}

/* The socket's drop counter (SK_MEMINFO_DROPS), or 0 if unreadable. */
static uint32_t read_drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS + 4];
	socklen_t len = sizeof(mem);

	memset(mem, 0, sizeof(mem));
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

int destroy_open(struct destroy_sub *sub, uint64_t netns_ino, unsigned flags)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int size = DESTROY_RCVBUF, err = 0;

	memset(sub, 0, sizeof(*sub));
	sub->fd = -1;
	if (destroy_batch_init(&sub->pending) < 0)
		return -ENOMEM;
	sub->netns_ino = netns_ino;
	sub->flags = flags;
	sub->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			 NETLINK_SOCK_DIAG);
	if (sub->fd < 0) {
		err = -errno;
		destroy_close(sub);
		return err;
	}
	/* Bound, so the kernel gives it a port id: a broadcast skips
	 * sockets whose port id is the sender's (0, the kernel's). */
	if (bind(sub->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		destroy_close(sub);
		return err;
	}
	if (setsockopt(sub->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)) < 0)
		setsockopt(sub->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (flags & DESTROY_TCP)
		err = join(sub->fd, SKNLGRP_INET_TCP_DESTROY);
	if (!err && (flags & DESTROY_TCP))
		err = join(sub->fd, SKNLGRP_INET6_TCP_DESTROY);
	if (!err && (flags & DESTROY_UDP))
		err = join(sub->fd, SKNLGRP_INET_UDP_DESTROY);
	if (!err && (flags & DESTROY_UDP))
		err = join(sub->fd, SKNLGRP_INET6_UDP_DESTROY);
	if (err) {
		destroy_close(sub);
		return err;
	}
	sub->drops_seen = read_drops(sub->fd);
	sub->pending.since_ns = time_now_ns();
	sub->pending.ev.netns_ino = netns_ino;
	return 0;
}

void destroy_close(struct destroy_sub *sub)
{
	if (sub->fd >= 0)
		close(sub->fd);
	sub->fd = -1;
	destroy_batch_free(&sub->pending);
}

size_t destroy_drain(struct destroy_sub *sub, size_t max)
{
	uint8_t buf[READ_BUF];
	size_t n = 0;
	uint32_t drops;

	while (n < max) {
		ssize_t len = recv(sub->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == ENOBUFS) {
			sub->overruns++;
			continue;
		}
		if (len <= 0)
			break;
		destroy_parse(&sub->pending, buf, (size_t)len,
			      time_now_ns());
		n++;
	}
	drops = read_drops(sub->fd);
	sub->pending.lost += (uint32_t)(drops - sub->drops_seen);
	sub->drops_seen = drops;
	return n;
}

/* The added subscription with this id, or NULL (removed meanwhile). */
static struct destroy_sub *find_sub(struct destroy_collector *c, uint64_t id)
{
	for (size_t i = 0; i < c->nsubs; i++)
		if (c->subs[i]->id == id)
			return c->subs[i];
	return NULL;
}

/* The thread: wait for readable subscriptions and drain them. */
static void *collector_main(void *arg)
{
	struct destroy_collector *c = arg;
	struct epoll_event evs[16];

	for (;;) {
		int n = epoll_wait(c->epfd, evs, 16, -1);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == 0)
				return NULL;
			pthread_mutex_lock(&c->lock);
			struct destroy_sub *sub = find_sub(c, evs[i].data.u64);
			if (sub)
				destroy_drain(sub, DRAIN_BATCH);
			pthread_mutex_unlock(&c->lock);
		}
	}
}

int destroy_start(struct destroy_collector *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
	int err;

	memset(c, 0, sizeof(*c));
	c->next_id = 1;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->epfd < 0 || c->wakefd < 0 ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->wakefd, &ev) < 0) {
		err = -errno;
		goto fail;
	}
	pthread_mutex_init(&c->lock, NULL);
	err = -pthread_create(&c->thread, NULL, collector_main, c);
	if (err == 0) {
		c->started = 1;
		return 0;
	}
	pthread_mutex_destroy(&c->lock);
fail:
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->wakefd >= 0)
		close(c->wakefd);
	c->epfd = c->wakefd = -1;
	return err;
}

void destroy_stop(struct destroy_collector *c)
{
	uint64_t one = 1;

	if (!c->started)
		return;
	if (write(c->wakefd, &one, sizeof(one)) == sizeof(one))
		pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->lock);
	close(c->epfd);
	close(c->wakefd);
	for (size_t i = 0; i < c->nsubs; i++)
		c->subs[i]->id = 0;
	free(c->subs);
	memset(c, 0, sizeof(*c));
}

int destroy_add(struct destroy_collector *c, struct destroy_sub *sub)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int err = 0;

	pthread_mutex_lock(&c->lock);
	if (c->nsubs == c->subs_cap) {
		size_t cap = c->subs_cap ? c->subs_cap * 2 : 8;
		struct destroy_sub **p = realloc(c->subs, cap * sizeof(*p));
		if (!p) {
			pthread_mutex_unlock(&c->lock);
			return -ENOMEM;
		}
		c->subs = p;
		c->subs_cap = cap;
	}
	sub->id = c->next_id++;
	ev.data.u64 = sub->id;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, sub->fd, &ev) < 0) {
		err = -errno;
		sub->id = 0;
	} else {
		c->subs[c->nsubs++] = sub;
	}
	pthread_mutex_unlock(&c->lock);
	return err;
}

void destroy_remove(struct destroy_collector *c, struct destroy_sub *sub)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nsubs; i++)
		if (c->subs[i] == sub) {
			c->subs[i] = c->subs[--c->nsubs];
			epoll_ctl(c->epfd, EPOLL_CTL_DEL, sub->fd, NULL);
			break;
		}
	sub->id = 0;
	pthread_mutex_unlock(&c->lock);
}

size_t destroy_take(struct destroy_collector *c, struct destroy_sub *sub,
		    int64_t now_ns, struct destroy_batch *out)
{
	struct destroy_batch tmp;

	batch_reset(out);
	if (c->started)
		pthread_mutex_lock(&c->lock);
	tmp = sub->pending;
	sub->pending = *out;
	sub->pending.since_ns = now_ns;
	sub->pending.ev.netns_ino = sub->netns_ino;
	if (c->started)
		pthread_mutex_unlock(&c->lock);
	*out = tmp;
	out->ev.time_ns = now_ns;
	return out->ev.nrecs;
}
