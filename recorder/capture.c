/*
 * capture.c — run every dump in ss order (netlink, packet, unix, raw, udp,
 * tcp, sctp, vsock, tipc, xdp, mptcp; IPv4 before IPv6; raw from
 * /proc/net/raw{,6} when the kernel lacks raw_diag) while a
 * second thread brings the owner cache up to date from /proc, read the
 * kernel's socket counters right after the dumps, then put the records in
 * cookie order, drop the duplicates a non-atomic dump can produce, and
 * attach owner processes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "capture.h"
#include "dump_family.h"
#include "dump_inet.h"
#include "dump_unix.h"
#include "procnet.h"
#include "sockstat.h"

struct dump_kind {
	const char *name;
	int family;             /* AF_INET(6): inet_diag; else the family's
				 * own diag */
	int protocol;
};

static const struct dump_kind dumps[CAPTURE_NDUMPS] = {
	{ "netlink", AF_NETLINK, 0 },
	{ "packet", AF_PACKET, 0 },
	{ "unix", AF_UNIX, 0 },
	{ "raw", AF_INET, IPPROTO_RAW },
	{ "raw6", AF_INET6, IPPROTO_RAW },
	{ "udp", AF_INET, IPPROTO_UDP },
	{ "udp6", AF_INET6, IPPROTO_UDP },
	{ "tcp", AF_INET, IPPROTO_TCP },
	{ "tcp6", AF_INET6, IPPROTO_TCP },
	{ "sctp", AF_INET, IPPROTO_SCTP },
	{ "sctp6", AF_INET6, IPPROTO_SCTP },
	{ "vsock", AF_VSOCK, 0 },
	{ "tipc", AF_TIPC, 0 },
	{ "xdp", AF_XDP, 0 },
	{ "mptcp", AF_INET, IPPROTO_MPTCP },
	{ "mptcp6", AF_INET6, IPPROTO_MPTCP },
};

/* Run dump i's request into s. */
static int dispatch(struct capture *c, size_t i, struct snapshot *s)
{
	switch (dumps[i].family) {
	case AF_UNIX:
		return dump_unix(&c->nl, s);
	case AF_NETLINK:
		return dump_netlink(&c->nl, s);
	case AF_PACKET:
		return dump_packet(&c->nl, s);
	case AF_VSOCK:
		return dump_vsock(&c->nl, s);
	case AF_TIPC:
		return dump_tipc(&c->nl, s);
	case AF_XDP:
		return dump_xdp(&c->nl, s);
	default:
		return dump_inet(&c->nl, dumps[i].family, dumps[i].protocol, s);
	}
}

/* The inode of the network namespace we run in, 0 if unknown. */
static uint64_t current_netns(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}

/* The time on clock id in ns. */
static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int capture_open(struct capture *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	err = nl_open(&c->nl);
	if (err < 0)
		return err;
	err = procmap_new(NULL, &c->pm);
	if (err < 0) {
		nl_close(&c->nl);
		return err;
	}
	c->netns_ino = current_netns();
	return 0;
}

void capture_close(struct capture *c)
{
	nl_close(&c->nl);
	procmap_free(c->pm);
	memset(c, 0, sizeof(*c));
}

/* Run dump i into s; on failure drop its partial records, and after an
 * error that may have left a dump half read (the kernel refuses new dumps
 * until the old one ends) close the netlink socket: the next dump opens a
 * fresh one. */
static int run_dump(struct capture *c, size_t i, struct snapshot *s)
{
	size_t before = s->nrecs;
	int err;

	if (!c->nl.nl) {
		err = nl_open(&c->nl);
		if (err < 0)
			return err;
	}
	err = dispatch(c, i, s);
	if (err < 0)
		s->nrecs = before;
	if (err == -ENOENT && dumps[i].protocol == IPPROTO_RAW)
		return procnet_dump_raw(dumps[i].family, s);
	if (err < 0 && err != -ENOENT && err != -ENOMEM)
		nl_close(&c->nl);
	return err;
}

/* Report a dump's failure when it differs from the last one reported. */
static void report(struct capture *c, size_t i, int err)
{
	if (err < 0 && err != c->last_err[i])
		fprintf(stderr, "sockhistd: %s dump: %s%s\n", dumps[i].name,
			strerror(-err), err == -ENOENT ?
			" (the kernel has no sock_diag support for it; "
			"left out)" : "");
	c->last_err[i] = err;
}

/* Read the kernel's socket counters into s (the snapshot then goes without
 * them when they cannot be read: reported when that starts). */
static void read_counters(struct capture *c, struct snapshot *s)
{
	int err = sockstat_read(SOCKSTAT_DIR, &s->kstat);

	if (err < 0 && err != c->last_kstat_err)
		fprintf(stderr, "sockhistd: kernel socket counters (%s): %s\n",
			SOCKSTAT_DIR "/sockstat", strerror(-err));
	c->last_kstat_err = err;
}

/* Thread body: phase 1 of the owner search (procmap_refresh). */
static void *refresh_owners(void *arg)
{
	struct capture *c = arg;

	procmap_refresh(c->pm, clock_ns(CLOCK_MONOTONIC));
	return NULL;
}

/* Run every dump into s.  Returns 0, -ENOMEM, or -EIO when none worked. */
static int run_dumps(struct capture *c, struct snapshot *s)
{
	size_t i, ok = 0;
	int err;

	for (i = 0; i < CAPTURE_NDUMPS; i++) {
		if (c->retry_in[i] > 0) {
			c->retry_in[i]--;
			continue;
		}
		err = run_dump(c, i, s);
		if (err == -ENOMEM)
			return err;
		if (err == -ENOENT)
			c->retry_in[i] = CAPTURE_RETRY_MISSING;
		report(c, i, err);
		if (err == 0)
			ok++;
	}
	return ok ? 0 : -EIO;
}

/*
 * The /proc walk (owners) and the netlink dumps are independent kernel work
 * of about the same size on a cold start, so they run on two threads; the
 * match of owners to sockets waits for both.  Sockets opened during the walk
 * are unknown to it and are searched for by procmap_attach.
 */
int capture_snapshot(struct capture *c, struct snapshot *s)
{
	int64_t t0 = clock_ns(CLOCK_MONOTONIC), t1;
	pthread_t walker;
	int threaded, err;

	snapshot_reset(s);
	s->time_ns = clock_ns(CLOCK_REALTIME);
	s->netns_ino = c->netns_ino;
	threaded = pthread_create(&walker, NULL, refresh_owners, c) == 0;
	if (!threaded)
		refresh_owners(c);
	err = run_dumps(c, s);
	t1 = clock_ns(CLOCK_MONOTONIC);
	c->dump_ns = t1 - t0;
	if (err == 0)
		read_counters(c, s);
	c->kstat_ns = clock_ns(CLOCK_MONOTONIC) - t1;
	if (threaded)
		pthread_join(walker, NULL);
	if (err < 0)
		return err;
	t1 = clock_ns(CLOCK_MONOTONIC);
	snapshot_sort_dedupe(s);
	err = procmap_attach(c->pm, s);
	c->attach_ns = clock_ns(CLOCK_MONOTONIC) - t1;
	return err;
}
