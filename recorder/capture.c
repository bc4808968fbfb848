/*
 * capture.c — per namespace, read the kernel's socket counters, then run
 * every dump in ss order (netlink, packet, unix, raw, udp, tcp, sctp,
 * vsock, tipc, xdp, mptcp; IPv4 before IPv6; raw from /proc/net/raw{,6}
 * when the kernel lacks raw_diag) but those the counters say would find
 * nothing (no TCP socket in use nor in TIME-WAIT, no UDP, no raw socket:
 * the kernel walks its global hash tables for each namespace's dump, so an
 * empty namespace costs little only this way; a socket opened meanwhile is
 * seen at the next tick, as one opened just after a dump), while a
 * second thread brings the owner cache up to date from /proc; then put
 * each namespace's records in cookie order, drop the duplicates a
 * non-atomic dump can produce, and attach owner processes to all of them
 * at once.  The per-namespace fds are opened once, inside the namespace
 * (capture_open_inside), and kept: a tick enters no namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
	uint32_t empty_when;    /* kstat ids (bits): when the namespace's
				 * counters read all of them as 0, the dump
				 * would find nothing and is skipped; 0:
				 * always dump */
};

#define KS(id) (1u << (id))
#define TCP_COUNTERS (KS(KS_TCP_INUSE) | KS(KS_TCP6_INUSE) | KS(KS_TCP_TW))
#define UDP_COUNTERS (KS(KS_UDP_INUSE) | KS(KS_UDP6_INUSE))
#define RAW_COUNTERS (KS(KS_RAW_INUSE) | KS(KS_RAW6_INUSE))

static const struct dump_kind dumps[CAPTURE_NDUMPS] = {
	{ "netlink", AF_NETLINK, 0, 0 },
	{ "packet", AF_PACKET, 0, 0 },
	{ "unix", AF_UNIX, 0, 0 },
	{ "raw", AF_INET, IPPROTO_RAW, RAW_COUNTERS },
	{ "raw6", AF_INET6, IPPROTO_RAW, RAW_COUNTERS },
	{ "udp", AF_INET, IPPROTO_UDP, UDP_COUNTERS },
	{ "udp6", AF_INET6, IPPROTO_UDP, UDP_COUNTERS },
	{ "tcp", AF_INET, IPPROTO_TCP, TCP_COUNTERS },
	{ "tcp6", AF_INET6, IPPROTO_TCP, TCP_COUNTERS },
	{ "sctp", AF_INET, IPPROTO_SCTP, 0 },
	{ "sctp6", AF_INET6, IPPROTO_SCTP, 0 },
	{ "vsock", AF_VSOCK, 0, 0 },
	{ "tipc", AF_TIPC, 0, 0 },
	{ "xdp", AF_XDP, 0, 0 },
	{ "mptcp", AF_INET, IPPROTO_MPTCP, TCP_COUNTERS },
	{ "mptcp6", AF_INET6, IPPROTO_MPTCP, TCP_COUNTERS },
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

/* The time on clock id in ns. */
static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* capture_set_close_events()'s collector and protocols. */
static struct destroy_collector *close_collector;
static unsigned close_flags;

void capture_set_close_events(struct destroy_collector *col, unsigned flags)
{
	close_collector = flags ? col : NULL;
	close_flags = flags;
}

/* Subscribe c to its namespace's close events (inside it), when asked
 * to; a failure is logged and c goes on with snapshots alone. */
static void open_close_events(struct capture *c)
{
	int err;

	if (!close_collector)
		return;
	err = destroy_open(&c->closed, c->netns_ino, close_flags);
	if (err == 0 && (err = destroy_add(close_collector, &c->closed)) < 0)
		destroy_close(&c->closed);
	if (err < 0) {
		fprintf(stderr, "sockhistd: %s: close events (sock_diag destroy): %s; recording snapshots only\n",
			c->label, strerror(-err));
		return;
	}
	c->closers = close_collector;
}

/* Everything that must be opened inside the namespace, called while the
 * calling thread is in it: the netlink socket, the kernel's counters, the
 * raw socket tables and the close events' subscription.  (More
 * per-namespace sockets belong here, and their close in capture_close().)
 * Returns 0 or a negative errno. */
static int capture_open_inside(struct capture *c)
{
	int err = nl_open(&c->nl);

	if (err < 0)
		return err;
	/* A missing file is reported when a snapshot needs it. */
	sockstat_open(SOCKSTAT_DIR, c->kfd);
	c->rawfd[0] = procnet_open_raw(AF_INET);
	c->rawfd[1] = procnet_open_raw(AF_INET6);
	open_close_events(c);
	return 0;
}

/* Mark every fd of c closed. */
static void capture_clear(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->nsfd = -1;
	for (int i = 0; i < SOCKSTAT_NFILES; i++)
		c->kfd[i] = -1;
	c->rawfd[0] = c->rawfd[1] = -1;
	c->closed.fd = -1;
}

/* Run fn(c) with the calling thread inside c's namespace, then come back
 * home.  Returns fn's result, or a negative errno of setns. */
static int inside(struct capture *c, int home, int (*fn)(struct capture *))
{
	int err;

	if (setns(c->nsfd, CLONE_NEWNET) < 0)
		return -errno;
	err = fn(c);
	if (setns(home, CLONE_NEWNET) < 0) {
		/* Cannot happen short of a kernel bug; carrying on in the
		 * wrong namespace would record it under another's name. */
		fprintf(stderr, "sockhistd: cannot return to our network namespace: %s\n",
			strerror(errno));
		abort();
	}
	return err;
}

int capture_open(struct capture *c, int nsfd, int home, uint64_t ino,
		 const char *label)
{
	int err;

	capture_clear(c);
	c->nsfd = nsfd;
	c->netns_ino = ino;
	snprintf(c->label, sizeof(c->label), "%s", label);
	err = inside(c, home, capture_open_inside);
	if (err < 0)
		capture_close(c);
	return err;
}

int capture_open_current(struct capture *c)
{
	struct stat st;
	int err;

	capture_clear(c);
	c->nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (c->nsfd < 0 || fstat(c->nsfd, &st) < 0) {
		err = -errno;
	} else {
		c->netns_ino = (uint64_t)st.st_ino;
		err = capture_open_inside(c);
	}
	if (err < 0)
		c->netns_ino = 0;
	if (err < 0)
		capture_close(c);
	return err;
}

void capture_close(struct capture *c)
{
	if (c->closers && c->closed.id)
		destroy_remove(c->closers, &c->closed);
	destroy_close(&c->closed);
	nl_close(&c->nl);
	sockstat_close(c->kfd);
	for (int i = 0; i < 2; i++)
		if (c->rawfd[i] >= 0)
			close(c->rawfd[i]);
	if (c->nsfd >= 0)
		close(c->nsfd);
	capture_clear(c);
}

/* Reopen c's netlink socket inside its namespace (inside()'s fn). */
static int reopen_nl(struct capture *c)
{
	return nl_open(&c->nl);
}

/* Run dump i into s; on failure drop its partial records, and after an
 * error that may have left a dump half read (the kernel refuses new dumps
 * until the old one ends) close the netlink socket: the next dump opens a
 * fresh one, inside the namespace. */
static int run_dump(struct capture *c, size_t i, struct snapshot *s, int home)
{
	size_t before = s->nrecs;
	int err;

	if (!c->nl.nl) {
		err = inside(c, home, reopen_nl);
		if (err < 0)
			return err;
	}
	err = dispatch(c, i, s);
	if (err < 0)
		s->nrecs = before;
	if (err == -ENOENT && dumps[i].protocol == IPPROTO_RAW) {
		int fd = c->rawfd[dumps[i].family == AF_INET6];
		return fd < 0 ? fd : procnet_dump_raw(fd, dumps[i].family, s);
	}
	if (err < 0 && err != -ENOENT && err != -ENOMEM)
		nl_close(&c->nl);
	return err;
}

/* Report a dump's failure when it differs from the last one reported for
 * this namespace; a family the kernel lacks (ENOENT) is the same in every
 * namespace and is reported once per process. */
static void report(struct capture *c, size_t i, int err)
{
	static int missing_reported[CAPTURE_NDUMPS];

	if (err == -ENOENT && missing_reported[i]) {
		c->last_err[i] = err;
		return;
	}
	if (err == -ENOENT)
		missing_reported[i] = 1;
	if (err < 0 && err != c->last_err[i])
		fprintf(stderr, "sockhistd: %s: %s dump: %s%s\n", c->label,
			dumps[i].name, strerror(-err), err == -ENOENT ?
			" (the kernel has no sock_diag support for it; "
			"left out)" : "");
	c->last_err[i] = err;
}

/* Read the kernel's counters into s (the snapshot then goes without
 * them when they cannot be read: reported when that starts). */
static void read_counters(struct capture *c, struct snapshot *s)
{
	int err = sockstat_read_fds(c->kfd, &s->kstat);

	if (err < 0 && err != c->last_kstat_err)
		fprintf(stderr, "sockhistd: %s: kernel socket counters (%s): %s\n",
			c->label, SOCKSTAT_DIR "/sockstat", strerror(-err));
	c->last_kstat_err = err;
}

/* Would dump i find nothing, by the namespace's counters in ks?  (The
 * kernel walks its global hash tables for every namespace's TCP and UDP
 * dump: most of what an empty namespace costs.) */
static int known_empty(size_t i, const struct kstat *ks)
{
	uint32_t want = dumps[i].empty_when;

	if (!want || (ks->present & want) != want)
		return 0;
	for (int k = 0; k < KS_COUNT; k++)
		if ((want & KS(k)) && ks->v[k] != 0)
			return 0;
	return 1;
}

/* Read c's counters into s, then run every dump of c into s but those
 * the counters say are empty.  Returns 0, -ENOMEM, or -EIO when no dump
 * worked. */
static int run_dumps(struct capture *c, struct snapshot *s, int home)
{
	int64_t t0 = clock_ns(CLOCK_MONOTONIC), t1;
	size_t i, ok = 0;
	int err;

	read_counters(c, s);
	t1 = clock_ns(CLOCK_MONOTONIC);
	c->kstat_ns = t1 - t0;
	for (i = 0; i < CAPTURE_NDUMPS; i++) {
		if (c->retry_in[i] > 0) {
			c->retry_in[i]--;
			continue;
		}
		err = known_empty(i, &s->kstat) ? 0 : run_dump(c, i, s, home);
		if (err == -ENOMEM)
			return err;
		if (err == -ENOENT)
			c->retry_in[i] = CAPTURE_RETRY_MISSING;
		report(c, i, err);
		if (err == 0)
			ok++;
	}
	c->dump_ns = clock_ns(CLOCK_MONOTONIC) - t1;
	if (!ok)
		memset(&s->kstat, 0, sizeof(s->kstat));
	return ok ? 0 : -EIO;
}

/* Thread body: phase 1 of the owner search (procmap_refresh). */
static void *refresh_owners(void *arg)
{
	struct procmap *pm = arg;

	procmap_refresh(pm, clock_ns(CLOCK_MONOTONIC));
	return NULL;
}

/*
 * The /proc walk (owners) and the netlink dumps are independent kernel work
 * of about the same size on a cold start, so they run on two threads; the
 * match of owners to sockets waits for both, and is one match for all the
 * namespaces (socket inodes are unique across them).  Sockets opened
 * during the walk are unknown to it and are searched for by
 * procmap_attach_all.
 */
int capture_tick(struct procmap *pm, struct capture *const *caps,
		 struct snapshot *const *snaps, int *ok, size_t n, int home,
		 int64_t time_ns)
{
	struct snapshot **taken = malloc((n ? n : 1) * sizeof(*taken));
	size_t i, ntaken = 0;
	pthread_t walker;
	int threaded, err = taken ? 0 : -ENOMEM;
	int64_t t1;

	threaded = err == 0 && pthread_create(&walker, NULL, refresh_owners,
					      pm) == 0;
	if (err == 0 && !threaded)
		refresh_owners(pm);
	for (i = 0; err == 0 && i < n; i++) {
		snapshot_reset(snaps[i]);
		snaps[i]->time_ns = time_ns;
		snaps[i]->netns_ino = caps[i]->netns_ino;
		int e = run_dumps(caps[i], snaps[i], home);
		if (e == -ENOMEM)
			err = e;
		ok[i] = e == 0;
		if (ok[i])
			taken[ntaken++] = snaps[i];
	}
	if (threaded)
		pthread_join(walker, NULL);
	t1 = clock_ns(CLOCK_MONOTONIC);
	for (i = 0; err == 0 && i < ntaken; i++)
		snapshot_sort_dedupe(taken[i]);
	if (err == 0)
		err = procmap_attach_all(pm, taken, ntaken);
	t1 = clock_ns(CLOCK_MONOTONIC) - t1;
	for (i = 0; i < n; i++)
		caps[i]->attach_ns = t1;
	free(taken);
	return err;
}

int capture_snapshot(struct capture *c, struct procmap *pm,
		     struct snapshot *s)
{
	int ok = 0, err, home = open("/proc/thread-self/ns/net",
				     O_RDONLY | O_CLOEXEC);

	if (home < 0)
		return -errno;
	err = capture_tick(pm, &c, &s, &ok, 1, home, clock_ns(CLOCK_REALTIME));
	close(home);
	return err < 0 ? err : ok ? 0 : -EIO;
}
