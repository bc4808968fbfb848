/*
 * workload.c — a steady socket workload for the benchmarks.  Run it inside a
 * private network namespace (`ip netns exec NS workload ...`).
 *
 *   workload idle -n CONNS [-P PROCS]
 *   workload churn [-l LONG] [-t TRAFFIC_MS] [-r SHORT_PER_SEC] [-u UDP]
 *                  [-x UNIX]
 *
 * idle: CONNS idle loopback TCP connections (2*CONNS sockets, plus the
 * listeners) spread over PROCS worker processes (default 4); each worker
 * connects to listeners of its own, one per CONNS_PER_PORT connections.
 *
 * churn: a server process (echo on two TCP listeners and one abstract UNIX
 * stream listener) and a client process holding
 *   - LONG (2000) long-lived TCP connections, each sending MSG_LEN bytes
 *     (echoed back) every TRAFFIC_MS (1000) ms, their phases spread evenly;
 *   - SHORT_PER_SEC (200) short TCP connections a second at a steady rate
 *     (connect, MSG_LEN bytes there and back, the client closes first), so
 *     about 60 s worth of them sit in TIME-WAIT;
 *   - UDP (500) UDP sockets: half of them in connected pairs exchanging a
 *     datagram every UDP_PERIOD_MS, the rest bound and idle;
 *   - UNIX (500) UNIX sockets: the listener, connections to it with echo
 *     traffic and datagram socketpairs with traffic every UNIX_PERIOD_MS,
 *     idle stream socketpairs, and idle bound (autobind) datagram sockets.
 *
 * Both modes print "ready" on stdout once every socket is set up, then run
 * until stdin reaches EOF (so </dev/null ends it at once) or SIGTERM/SIGINT,
 * stop their workers and exit 0; 1 if a worker dies.  Listeners use ports
 * PORT_BASE and up, above the ephemeral range, which is widened to
 * 1024-65000 (and TIME-WAIT reuse turned off) unless this is the initial
 * network namespace.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define MAX_WORKERS 64
#define PORT_BASE 65001         /* listeners, above the widened ephemeral range */
#define PORT_LAST 65535
#define CONNS_PER_PORT 16000    /* idle connections per listening port */
#define MSG_LEN 100             /* bytes per message, echoed back */
#define UDP_PERIOD_MS 5000
#define UNIX_PERIOD_MS 2000
#define TICK_MS 5               /* event loop wakeup for the timed traffic */
#define EVENTS 256

#define USAGE "usage: workload idle -n CONNS [-P PROCS]\n" \
	      "       workload churn [-l LONG] [-t TRAFFIC_MS] [-r SHORT_PER_SEC] [-u UDP] [-x UNIX]"

/* What an epoll event's fd is, kept in the upper half of data.u64. */
enum fd_kind { K_LISTEN, K_ECHO, K_DRAIN, K_SHORT };

/* One idle worker's part of the connections. */
struct idle_share {
	long conns;
	int first_port, nports;
};

/* The churn settings, shared by the server and the client. */
struct churn_opts {
	long nlong, traffic_ms, short_rate, udp, unix_socks;
	struct sockaddr_un unix_addr;   /* the server's abstract listener */
	socklen_t unix_len;
};

/* Spreads n items evenly over each period: item serial k (counting up
 * forever, index k % n) is due at start + k * period / n. */
struct ticker {
	double start_ms, period_ms;
	long n;
	long done;              /* serials served so far */
};

/* A set of sockets sending MSG_LEN bytes each on a ticker.  Paired sets
 * hold 2n fds (both ends of n pairs) and alternate the sending end. */
struct pinger {
	int *fd;
	int paired;
	struct ticker t;
};

/* The churn client's state. */
struct client {
	int ep;
	struct pinger tcp, udp, uconn, udgram;
	struct ticker shorts;
	struct sockaddr_in short_addr;
	unsigned char *got;     /* per short connection fd: 0 connecting, else 1 + echo bytes */
	int warned;
};

/* The supervisor (the first process) and its workers. */
static struct {
	pid_t self;
	pid_t pid[MAX_WORKERS];
	int n;
	int ready[2];           /* workers write one byte when set up */
	int sigfd;              /* SIGTERM, SIGINT, SIGCHLD */
} sup;

static const char msg[MSG_LEN];

/* Raise RLIMIT_NOFILE to at least n; return the soft limit now in force. */
static long raise_nofile(long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		err(1, "getrlimit");
	if (rl.rlim_cur < (rlim_t)n) {
		rl.rlim_cur = (rlim_t)n;
		if (rl.rlim_max < (rlim_t)n)
			rl.rlim_max = (rlim_t)n;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			err(1, "raise the open file limit to %ld", n);
	}
	return (long)rl.rlim_cur;
}

/* Is this process in the initial network namespace (that of pid 1)? */
static int in_initial_netns(void)
{
	struct stat self, init;

	return stat("/proc/self/ns/net", &self) == 0 &&
	       stat("/proc/1/ns/net", &init) == 0 &&
	       self.st_dev == init.st_dev && self.st_ino == init.st_ino;
}

/* Write value to the sysctl file at path; warn if that fails. */
static void set_sysctl(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(value, f) < 0 || fclose(f) != 0)
		warn("%s", path);
}

/* Tune this namespace: widen the ephemeral port range to 1024-65000,
 * leaving the listener ports above it, and turn off TIME-WAIT reuse (on
 * by default for loopback) so TIME-WAIT sockets live their full 60 s as on
 * a real network.  Never in the initial namespace: the host's settings are
 * not ours to change. */
static void tune_netns(void)
{
	if (in_initial_netns()) {
		warnx("in the initial network namespace: sysctls left as they are");
		return;
	}
	set_sysctl("/proc/sys/net/ipv4/ip_local_port_range", "1024 65000\n");
	set_sysctl("/proc/sys/net/ipv4/tcp_tw_reuse", "0\n");
}

/* A 127.0.0.1 address on port. */
static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A TCP listener on 127.0.0.1:port (flags: SOCK_NONBLOCK or 0). */
static int listen_tcp(int port, int flags)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | flags, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0)
		err(1, "listen on 127.0.0.1:%d", port);
	return fd;
}

/* Add fd to the epoll set ep for events, tagged with its kind. */
static void watch(int ep, int fd, enum fd_kind kind, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events,
				  .data.u64 = (uint64_t)kind << 32 | (uint32_t)fd };

	if (epoll_ctl(ep, op, fd, &ev) < 0)
		err(1, "epoll_ctl fd %d", fd);
}

/* The fd of an epoll event. */
static int ev_fd(const struct epoll_event *e)
{
	return (int)(uint32_t)e->data.u64;
}

/* The kind of an epoll event's fd. */
static enum fd_kind ev_kind(const struct epoll_event *e)
{
	return (enum fd_kind)(e->data.u64 >> 32);
}

/* Serials that became due on t since the last call; *first is the first. */
static long ticker_due(struct ticker *t, double now, long *first)
{
	long total = t->n > 0 ? (long)((now - t->start_ms) * (double)t->n / t->period_ms) : 0;
	long due = total - t->done;

	*first = t->done;
	t->done = total;
	return due;
}

/* A ticker for n items per period_ms, starting now. */
static struct ticker ticker_new(long n, double period_ms)
{
	return (struct ticker){ .start_ms = now_ms(), .period_ms = period_ms, .n = n };
}

/* Send one message on every socket of p that is due. */
static void ping_due(struct pinger *p, double now)
{
	long s, k = ticker_due(&p->t, now, &s);

	for (; k > 0; k--, s++) {
		long i = s % p->t.n;
		int fd = p->paired ? p->fd[2 * i + (s / p->t.n) % 2] : p->fd[i];

		send(fd, msg, MSG_LEN, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
}

/* An array of n fds, or exit. */
static int *fd_array(long n)
{
	int *a = calloc((size_t)n + 1, sizeof(int));

	if (!a)
		err(1, "out of memory");
	return a;
}

/* Child side of start_worker: default signals, die with the supervisor. */
static void worker_init(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != sup.self)
		_exit(1);
	close(sup.sigfd);
	close(sup.ready[0]);
}

/* Fork a worker running fn(arg, ready_fd), which writes one byte on
 * ready_fd when set up and never returns. */
static void start_worker(void (*fn)(const void *, int), const void *arg)
{
	pid_t pid;

	if (sup.n == MAX_WORKERS)
		errx(1, "more than %d workers", MAX_WORKERS);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		worker_init();
		fn(arg, sup.ready[1]);
		_exit(0);
	}
	sup.pid[sup.n++] = pid;
}

/* Tell the supervisor this worker is set up. */
static void say_ready(int ready_fd)
{
	if (write(ready_fd, "r", 1) != 1)
		err(1, "ready pipe");
}

/* SIGTERM the workers one at a time, last started first (the churn
 * client before its server, so it never sees the server go), reaping each. */
static void stop_workers(void)
{
	while (sup.n > 0) {
		sup.n--;
		kill(sup.pid[sup.n], SIGTERM);
		waitpid(sup.pid[sup.n], NULL, 0);
	}
}

/* Read one signal from the signalfd: 1 to stop (SIGTERM/SIGINT, or a
 * worker died: *died is set), 0 for nothing (a SIGCHLD for a stop). */
static int take_signal(int *died)
{
	struct signalfd_siginfo si;
	int status;

	if (read(sup.sigfd, &si, sizeof(si)) != sizeof(si))
		err(1, "signalfd");
	if (si.ssi_signo != SIGCHLD)
		return 1;
	for (int i = 0; i < sup.n; i++) {
		if (waitpid(sup.pid[i], &status, WNOHANG) == sup.pid[i]) {
			warnx("worker %d %s %d", (int)sup.pid[i],
			      WIFSIGNALED(status) ? "killed by signal" : "exited with",
			      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			sup.pid[i] = sup.pid[--sup.n];
			*died = 1;
			return 1;
		}
	}
	return 0;
}

/* Stop every worker and exit: 1 if one died, else 0. */
static _Noreturn void finish(int died)
{
	stop_workers();
	exit(died);
}

/* Wait until n more workers are set up; a stop signal or a dead worker
 * first ends the program. */
static void await_ready(int n)
{
	struct pollfd p[2] = { { sup.ready[0], POLLIN, 0 }, { sup.sigfd, POLLIN, 0 } };
	int died = 0;
	char c;

	while (n > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (p[1].revents && take_signal(&died))
			finish(died);
		if (p[0].revents && read(sup.ready[0], &c, 1) == 1)
			n--;
	}
}

/* After "ready": run until stdin reaches EOF, a stop signal comes or a
 * worker dies, then finish. */
static _Noreturn void supervise(void)
{
	struct pollfd p[2] = { { 0, POLLIN, 0 }, { sup.sigfd, POLLIN, 0 } };
	int died = 0;
	char buf[512];

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (p[1].revents && take_signal(&died))
			finish(died);
		if (p[0].revents && read(0, buf, sizeof(buf)) <= 0)
			finish(0);
	}
}

/* Block the stop signals and SIGCHLD and take them on a signalfd; set up
 * the ready pipe. */
static void supervisor_init(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (sup.sigfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0)
		err(1, "signalfd");
	if (pipe(sup.ready) < 0)
		err(1, "pipe");
	sup.self = getpid();
}

/* Idle worker: open its share of connections to its own listeners, hold
 * them. */
static void idle_worker(const void *arg, int ready_fd)
{
	const struct idle_share *s = arg;
	int *l = fd_array(s->nports);

	raise_nofile(2 * s->conns + s->nports + 16);
	for (int k = 0; k < s->nports; k++)
		l[k] = listen_tcp(s->first_port + k, 0);
	for (long i = 0; i < s->conns; i++) {
		int k = (int)(i % s->nports);
		struct sockaddr_in a = loopback(s->first_port + k);
		int c = socket(AF_INET, SOCK_STREAM, 0);

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			err(1, "connection %ld to 127.0.0.1:%d", i, s->first_port + k);
		if (accept(l[k], NULL, NULL) < 0)
			err(1, "accept on 127.0.0.1:%d", s->first_port + k);
	}
	say_ready(ready_fd);
	for (;;)
		pause();
}

/* `workload idle`: parse, start the workers, wait until they are set up. */
static void idle_main(int argc, char **argv)
{
	static struct idle_share share[MAX_WORKERS];
	long conns = -1;
	int procs = 4, port = PORT_BASE, opt;

	while ((opt = getopt(argc, argv, "n:P:")) != -1) {
		switch (opt) {
		case 'n': conns = parse_count(optarg, opt, 1, 10000000); break;
		case 'P': procs = (int)parse_count(optarg, opt, 1, MAX_WORKERS); break;
		default: errx(2, USAGE);
		}
	}
	if (conns < 0 || optind < argc)
		errx(2, USAGE);
	tune_netns();
	for (int i = 0; i < procs; i++) {
		share[i].conns = conns / procs + (i < conns % procs);
		share[i].nports = (int)((share[i].conns + CONNS_PER_PORT - 1) / CONNS_PER_PORT);
		share[i].first_port = port;
		port += share[i].nports;
		if (port - 1 > PORT_LAST)
			errx(1, "too many connections: listener ports run past %d", PORT_LAST);
	}
	for (int i = 0; i < procs; i++)
		start_worker(idle_worker, &share[i]);
	await_ready(procs);
}

/* Open files a churn process may need. */
static long churn_nofile(const struct churn_opts *o)
{
	return 2 * o->nlong + o->udp + o->unix_socks + 4 * o->short_rate + 1024;
}

/* Accept every pending connection on listener l and watch it for echo. */
static void accept_all(int ep, int l)
{
	int fd;

	while ((fd = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0)
		watch(ep, fd, K_ECHO, EPOLLIN, EPOLL_CTL_ADD);
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
		warn("accept");
}

/* Send back whatever fd has to read; close it at EOF or on error. */
static void echo(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
		close(fd);
}

/* Churn server: echo on the TCP and UNIX stream listeners. */
static void server_worker(const void *arg, int ready_fd)
{
	const struct churn_opts *o = arg;
	struct epoll_event ev[EVENTS];
	int ep = epoll_create1(0), n;

	raise_nofile(churn_nofile(o));
	watch(ep, listen_tcp(PORT_BASE, SOCK_NONBLOCK), K_LISTEN, EPOLLIN, EPOLL_CTL_ADD);
	watch(ep, listen_tcp(PORT_BASE + 1, SOCK_NONBLOCK), K_LISTEN, EPOLLIN, EPOLL_CTL_ADD);
	if (o->unix_socks > 0) {
		int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (l < 0 || bind(l, (const struct sockaddr *)&o->unix_addr, o->unix_len) < 0 ||
		    listen(l, 4096) < 0)
			err(1, "unix listener @%s", o->unix_addr.sun_path + 1);
		watch(ep, l, K_LISTEN, EPOLLIN, EPOLL_CTL_ADD);
	}
	say_ready(ready_fd);
	for (;;) {
		n = epoll_wait(ep, ev, EVENTS, -1);
		for (int i = 0; i < n; i++) {
			if (ev_kind(&ev[i]) == K_LISTEN)
				accept_all(ep, ev_fd(&ev[i]));
			else
				echo(ev_fd(&ev[i]));
		}
	}
}

/* Read and drop whatever fd has; stop watching it at EOF or on error. */
static void drain(int ep, int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
		warnx("fd %d: peer closed or failed; no longer watched", fd);
		epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	}
}

/* n blocking stream connections to addr, then non-blocking and watched
 * for their echo. */
static int *connect_many(int ep, long n, int family, const struct sockaddr *addr,
			 socklen_t len)
{
	int *fd = fd_array(n);

	for (long i = 0; i < n; i++) {
		fd[i] = socket(family, SOCK_STREAM, 0);
		if (fd[i] < 0 || connect(fd[i], addr, len) < 0)
			err(1, "long-lived connection %ld", i);
		if (fcntl(fd[i], F_SETFL, O_NONBLOCK) < 0)
			err(1, "fcntl");
		watch(ep, fd[i], K_DRAIN, EPOLLIN, EPOLL_CTL_ADD);
	}
	return fd;
}

/* A UDP socket bound to 127.0.0.1 on an ephemeral port. */
static int udp_bound(void)
{
	struct sockaddr_in a = loopback(0);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		err(1, "udp socket");
	return fd;
}

/* Connect UDP socket a to b's address. */
static void udp_connect(int a, int b)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);

	if (getsockname(b, (struct sockaddr *)&addr, &len) < 0 ||
	    connect(a, (struct sockaddr *)&addr, len) < 0)
		err(1, "udp connect");
}

/* The UDP sockets: n/4 connected pairs (their 2 * *pairs fds watched and
 * returned), the rest bound and idle. */
static int *setup_udp(int ep, long n, long *pairs)
{
	int *fd;

	*pairs = n / 4;
	fd = fd_array(2 * *pairs);
	for (long i = 0; i < 2 * *pairs; i++) {
		fd[i] = udp_bound();
		watch(ep, fd[i], K_DRAIN, EPOLLIN, EPOLL_CTL_ADD);
	}
	for (long i = 0; i < *pairs; i++) {
		udp_connect(fd[2 * i], fd[2 * i + 1]);
		udp_connect(fd[2 * i + 1], fd[2 * i]);
	}
	for (long i = 2 * *pairs; i < n; i++)
		udp_bound();
	return fd;
}

/* n socketpairs of type; the 2n fds, non-blocking, watched if watched. */
static int *make_pairs(int ep, long n, int type, int watched)
{
	int *fd = fd_array(2 * n);

	for (long i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, fd + 2 * i) < 0)
			err(1, "socketpair");
		if (watched) {
			watch(ep, fd[2 * i], K_DRAIN, EPOLLIN, EPOLL_CTL_ADD);
			watch(ep, fd[2 * i + 1], K_DRAIN, EPOLLIN, EPOLL_CTL_ADD);
		}
	}
	return fd;
}

/* The client's UNIX sockets (the server holds the listener): n/8
 * connections to the listener and n/8 datagram socketpairs with traffic,
 * n/8 idle stream socketpairs, the rest idle autobound datagram sockets. */
static void setup_unix(struct client *c, const struct churn_opts *o)
{
	long n = o->unix_socks, part = n / 8;

	if (n == 0)
		return;
	c->uconn.fd = connect_many(c->ep, part, AF_UNIX,
				   (const struct sockaddr *)&o->unix_addr, o->unix_len);
	c->uconn.t = ticker_new(part, UNIX_PERIOD_MS);
	c->udgram.fd = make_pairs(c->ep, part, SOCK_DGRAM, 1);
	c->udgram.paired = 1;
	c->udgram.t = ticker_new(part, UNIX_PERIOD_MS);
	make_pairs(c->ep, part, SOCK_STREAM, 0);
	for (long i = 1 + 6 * part; i < n; i++) {
		sa_family_t af = AF_UNIX;
		int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

		if (fd < 0 || bind(fd, (struct sockaddr *)&af, sizeof(af)) < 0)
			err(1, "unix datagram socket");
	}
}

/* Warn about the first failed short connection. */
static void short_failed(struct client *c, int error)
{
	if (!c->warned) {
		c->warned = 1;
		warnx("short connection failed: %s (reported once)", strerror(error));
	}
}

/* Close short connection fd, which failed if error is not 0. */
static void short_close(struct client *c, int fd, int error)
{
	close(fd);
	c->got[fd] = 0;
	if (error)
		short_failed(c, error);
}

/* Start one short connection (non-blocking connect, watched for writable). */
static void short_open(struct client *c)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0) {
		short_failed(c, errno);
		return;
	}
	if (connect(fd, (struct sockaddr *)&c->short_addr, sizeof(c->short_addr)) < 0 &&
	    errno != EINPROGRESS) {
		short_close(c, fd, errno);
		return;
	}
	c->got[fd] = 0;
	watch(c->ep, fd, K_SHORT, EPOLLOUT, EPOLL_CTL_ADD);
}

/* A short connection's event: once connected send the message, then
 * collect the echo and close (the client closes first: TIME-WAIT here). */
static void short_event(struct client *c, int fd)
{
	int error = 0;
	socklen_t len = sizeof(error);
	char buf[MSG_LEN];
	ssize_t n;

	if (c->got[fd] == 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
			error = errno;
		if (!error && send(fd, msg, MSG_LEN, MSG_NOSIGNAL) != MSG_LEN)
			error = errno ? errno : EAGAIN;
		if (error) {
			short_close(c, fd, error);
			return;
		}
		c->got[fd] = 1;
		watch(c->ep, fd, K_SHORT, EPOLLIN, EPOLL_CTL_MOD);
		return;
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n > 0)
		c->got[fd] = (unsigned char)(c->got[fd] + n);
	if (n <= 0 || c->got[fd] > MSG_LEN)
		short_close(c, fd, n < 0 ? errno : 0);
}

/* Churn client: set every socket up, then run the timed traffic. */
static void client_worker(const void *arg, int ready_fd)
{
	const struct churn_opts *o = arg;
	struct client c = { .ep = epoll_create1(0), .short_addr = loopback(PORT_BASE + 1) };
	struct sockaddr_in long_addr = loopback(PORT_BASE);
	struct epoll_event ev[EVENTS];
	long nofile = raise_nofile(churn_nofile(o)), pairs;

	c.got = calloc((size_t)nofile, 1);
	if (c.ep < 0 || !c.got)
		err(1, "client setup");
	c.tcp.fd = connect_many(c.ep, o->nlong, AF_INET,
				(struct sockaddr *)&long_addr, sizeof(long_addr));
	c.tcp.t = ticker_new(o->nlong, (double)o->traffic_ms);
	c.udp.fd = setup_udp(c.ep, o->udp, &pairs);
	c.udp.paired = 1;
	c.udp.t = ticker_new(pairs, UDP_PERIOD_MS);
	setup_unix(&c, o);
	c.shorts = ticker_new(o->short_rate, 1000);
	say_ready(ready_fd);
	for (;;) {
		int n = epoll_wait(c.ep, ev, EVENTS, TICK_MS);
		double now = now_ms();
		long first;

		for (int i = 0; i < n; i++) {
			if (ev_kind(&ev[i]) == K_SHORT)
				short_event(&c, ev_fd(&ev[i]));
			else
				drain(c.ep, ev_fd(&ev[i]));
		}
		for (long k = ticker_due(&c.shorts, now, &first); k > 0; k--)
			short_open(&c);
		ping_due(&c.tcp, now);
		ping_due(&c.udp, now);
		ping_due(&c.uconn, now);
		ping_due(&c.udgram, now);
	}
}

/* `workload churn`: parse, start the server, then the client. */
static void churn_main(int argc, char **argv)
{
	static struct churn_opts o = { .nlong = 2000, .traffic_ms = 1000, .short_rate = 200,
				       .udp = 500, .unix_socks = 500 };
	int opt;

	while ((opt = getopt(argc, argv, "l:t:r:u:x:")) != -1) {
		switch (opt) {
		case 'l': o.nlong = parse_count(optarg, opt, 0, 1000000); break;
		case 't': o.traffic_ms = parse_count(optarg, opt, 1, 3600000); break;
		case 'r': o.short_rate = parse_count(optarg, opt, 0, 100000); break;
		case 'u': o.udp = parse_count(optarg, opt, 0, 1000000); break;
		case 'x': o.unix_socks = parse_count(optarg, opt, 0, 1000000); break;
		default: errx(2, USAGE);
		}
	}
	if (optind < argc)
		errx(2, USAGE);
	tune_netns();
	o.unix_addr.sun_family = AF_UNIX;
	snprintf(o.unix_addr.sun_path + 1, sizeof(o.unix_addr.sun_path) - 1,
		 "sockhist-workload-%d", (int)getpid());
	o.unix_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				 strlen(o.unix_addr.sun_path + 1));
	start_worker(server_worker, &o);
	await_ready(1);
	start_worker(client_worker, &o);
	await_ready(1);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		errx(2, USAGE);
	supervisor_init();
	if (strcmp(argv[1], "idle") == 0)
		idle_main(argc - 1, argv + 1);
	else if (strcmp(argv[1], "churn") == 0)
		churn_main(argc - 1, argv + 1);
	else
		errx(2, USAGE);
	printf("ready\n");
	fflush(stdout);
	supervise();
}
