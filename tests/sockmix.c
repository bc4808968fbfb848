/*
 * sockmix.c — test helper: opens a known mix of real sockets in the current
 * network namespace, prints "ready" on stdout, and holds them until stdin
 * closes or SIGTERM arrives.  The integration tests run it inside a private
 * namespace and compare what sockhist recorded with what ss reports.
 *
 * The mix: TCP listeners (v4, v6, v6only), established pairs with unread
 * data, TIME-WAIT and CLOSE-WAIT/FIN-WAIT-2 pairs, UDP bound and connected
 * (v4 and v6), a raw ICMP socket, a TOS-marked socket, and UNIX stream
 * (path), dgram (abstract name) and seqpacket sockets.
 * Usage: sockmix DIR   (DIR receives the UNIX socket path)
 *
 * Commands on stdin, one per line, each answered by one line on stdout once
 * done (so a test can wait for it); a bad command ends sockmix with status 2:
 *   connect LADDR RADDR PORT [COUNT]
 *                             COUNT (default 1) TCP connections from LADDR
 *                             (any port) to RADDR:PORT (a listener there is
 *                             opened on first use; IPv4 or IPv6); answers
 *                             "conn N", N the number of the last one (they
 *                             are numbered from 0 in the order opened)
 *   connectfrom LADDR LPORT RADDR PORT
 *                             one TCP connection as "connect" does, from
 *                             port LPORT (SO_REUSEADDR), so that a test can
 *                             reuse a 4-tuple; answers "conn N"
 *   close N                   abort connection N: both ends send RST and are
 *                             gone at once (no TIME-WAIT); answers "closed N"
 *   fin N                     close connection N gracefully, client first:
 *                             the client end stays in TIME-WAIT; answers
 *                             "fin N"
 *   hangup N                  the server end of connection N closes: the
 *                             client end stays in CLOSE-WAIT (until "close
 *                             N"), the server end in FIN-WAIT-2; answers
 *                             "hangup N"
 *   send N BYTES              the client of connection N sends BYTES (at most
 *                             65536) that the server leaves unread; answers
 *                             "sent N BYTES"
 *   drain N                   the server of connection N reads what is
 *                             queued; answers "drained N"
 *   pairs N                   N more UNIX stream socketpairs; answers
 *                             "pairs N"
 *   mark N VALUE              set SO_MARK VALUE on the client of connection
 *                             N; answers "marked N"
 *   bind N DEV                bind the client of connection N to device DEV
 *                             (SO_BINDTODEVICE); answers "bound N"
 *   unix TYPE NAME            a UNIX socket (TYPE stream, dgram or seqpacket;
 *                             stream and seqpacket listen) bound to the path
 *                             NAME, the abstract name @NAME, or an autobind
 *                             name when NAME is "auto"; answers "unix NAME"
 *   raw ADDR                  a raw ICMP (or ICMPv6) socket bound to ADDR;
 *                             answers "raw ADDR"
 *   udp LADDR PORT [RADDR RPORT]
 *                             a UDP socket bound to LADDR:PORT (IPv6 only
 *                             unless LADDR is v4-mapped), connected to
 *                             RADDR:RPORT when given; answers "udp PORT"
 *   packet TYPE PROTO [DEV]   a packet socket (TYPE raw or dgram) for
 *                             ethertype PROTO (0x0003: all), bound to DEV
 *                             when given; answers "packet TYPE"
 *   netlink PROTO GROUPS [PEERGROUP]
 *                             a netlink socket of protocol PROTO bound with
 *                             the multicast GROUPS mask, connected to the
 *                             kernel's PEERGROUP when given; answers
 *                             "netlink PROTO"
 *   mptcp ADDR PORT           an MPTCP listener on ADDR:PORT and one
 *                             connection to it; answers "mptcp PORT", or
 *                             "mptcp unsupported" when the kernel refuses
 *                             IPPROTO_MPTCP
 *   burst tcp|udp RADDR PORT N SEND RECV
 *                             N short-lived connections to RADDR:PORT,
 *                             opened, used and closed within a few ms:
 *                             tcp: all N open (a listener there is opened
 *                             on first use), each client sends SEND bytes
 *                             that the server reads and answers with RECV
 *                             bytes, then every client and every server
 *                             shuts down its sending side (FIN), and once
 *                             both FINs arrived both close; udp: N sockets each send SEND
 *                             bytes to RADDR:PORT and close; answers
 *                             "burst N" when every socket is closed
 *   churn                     from now on, every 10 ms, move a varying
 *                             amount of data over every open connection,
 *                             draining it every other round, so queues and
 *                             tcp_info change in every snapshot; answers
 *                             "churning"
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define MAX_LISTENERS 64
#define CHURN_MS 10

/* socket() or die. */
static int xsocket(int family, int type, int proto)
{
	int fd = socket(family, type, proto);
	if (fd < 0)
		err(1, "socket(%d,%d,%d)", family, type, proto);
	return fd;
}

/* Fill a sockaddr for family/address/port; returns its length. */
static socklen_t mkaddr(struct sockaddr_storage *ss, int family, const char *addr,
			uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	inet_pton(AF_INET6, addr, &a->sin6_addr);
	return sizeof(*a);
}

/* A bound socket of the given type; listening when type is SOCK_STREAM. */
static int bound(int family, int type, const char *addr, uint16_t port, int v6only)
{
	int fd = xsocket(family, type, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(&ss, family, addr, port);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		err(1, "bind %s:%u", addr, port);
	if (type == SOCK_STREAM && listen(fd, 16) < 0)
		err(1, "listen");
	return fd;
}

/* Connect a new socket to addr:port; returns the client fd. */
static int connect_to(int family, int type, const char *addr, uint16_t port)
{
	int fd = xsocket(family, type, 0);
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(&ss, family, addr, port);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		err(1, "connect %s:%u", addr, port);
	return fd;
}

/* An established pair through listener lfd; *server gets the accepted end. */
static int tcp_pair(int lfd, int family, const char *addr, uint16_t port, int *server)
{
	int c = connect_to(family, SOCK_STREAM, addr, port);
	*server = accept(lfd, NULL, NULL);
	if (*server < 0)
		err(1, "accept");
	return c;
}

/* Write n bytes that the peer never reads, so its Recv-Q is non-zero. */
static void leave_unread(int fd, size_t n)
{
	char buf[4096];
	memset(buf, 'x', sizeof(buf));
	while (n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);
		if (write(fd, buf, k) != (ssize_t)k)
			err(1, "write");
		n -= k;
	}
}

/* Bind a UNIX socket to a path, or to an abstract name when path starts with '@'. */
static int unix_bound(int type, const char *path)
{
	int fd = xsocket(AF_UNIX, type, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	if (bind(fd, (struct sockaddr *)&sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		err(1, "bind unix %s", path);
	if (type != SOCK_DGRAM && listen(fd, 8) < 0)
		err(1, "listen unix");
	return fd;
}

/* Open the TCP part of the mix. */
static void open_tcp(void)
{
	int srv, srv2, srv6;
	int l4 = bound(AF_INET, SOCK_STREAM, "127.0.0.1", 5000, 0);
	int c1 = tcp_pair(l4, AF_INET, "127.0.0.1", 5000, &srv);
	leave_unread(c1, 3000);
	int tos = IPTOS_LOWDELAY;
	setsockopt(srv, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	tcp_pair(l4, AF_INET, "127.0.0.1", 5000, &srv2);
	leave_unread(srv2, 777);

	/* TIME-WAIT: the client closes first, then the server. */
	int tw_srv, tw = tcp_pair(l4, AF_INET, "127.0.0.1", 5000, &tw_srv);
	close(tw);
	usleep(20000);
	close(tw_srv);

	/* CLOSE-WAIT on the server side, FIN-WAIT-2 on the client side. */
	int cw_srv, cw = tcp_pair(l4, AF_INET, "127.0.0.1", 5000, &cw_srv);
	shutdown(cw, SHUT_WR);

	int l6 = bound(AF_INET6, SOCK_STREAM, "::1", 6000, 0);
	int c6 = tcp_pair(l6, AF_INET6, "::1", 6000, &srv6);
	leave_unread(srv6, 100);
	bound(AF_INET6, SOCK_STREAM, "::", 6001, 1);
	bound(AF_INET, SOCK_STREAM, "0.0.0.0", 22, 0);
	(void)c6;
}

/* Open the UDP and RAW part of the mix. */
static void open_udp_raw(void)
{
	int u = bound(AF_INET, SOCK_DGRAM, "0.0.0.0", 5300, 0);
	int c = connect_to(AF_INET, SOCK_DGRAM, "127.0.0.1", 5300);
	if (send(c, "ping", 4, 0) != 4)
		err(1, "send udp");
	bound(AF_INET6, SOCK_DGRAM, "::", 5301, 1);
	connect_to(AF_INET6, SOCK_DGRAM, "::1", 5301);
	xsocket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	(void)u;
}

/* Open the UNIX part of the mix; dir holds the path-named listener. */
static void open_unix(const char *dir)
{
	char path[108];
	snprintf(path, sizeof(path), "%s/stream.sock", dir);
	unlink(path);
	int l = unix_bound(SOCK_STREAM, path);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int c = xsocket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		err(1, "connect unix");
	int s = accept(l, NULL, NULL);
	leave_unread(s, 55);
	unix_bound(SOCK_DGRAM, "@sockhist-test-abstract");
	snprintf(path, sizeof(path), "%s/dgram.sock", dir);
	unlink(path);
	unix_bound(SOCK_DGRAM, path);
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0)
		err(1, "socketpair");
	unix_bound(SOCK_SEQPACKET, "@sockhist-test-seqpacket");
}

/* The connections opened by "connect" (fds -1 once closed) and the
 * listeners they go through. */
static struct { int client, server; } conns[MAX_CONNS];
static int nconns;
static struct { char addr[INET6_ADDRSTRLEN]; uint16_t port; int fd; } listeners[MAX_LISTENERS];
static int nlisteners;

/* The listener on addr:port, opened on first use. */
static int listener(int family, const char *addr, uint16_t port)
{
	for (int i = 0; i < nlisteners; i++)
		if (listeners[i].port == port && strcmp(listeners[i].addr, addr) == 0)
			return listeners[i].fd;
	if (nlisteners == MAX_LISTENERS || strlen(addr) >= sizeof(listeners[0].addr))
		errx(2, "too many listeners or a bad address: %s", addr);
	snprintf(listeners[nlisteners].addr, sizeof(listeners[0].addr), "%s", addr);
	listeners[nlisteners].port = port;
	listeners[nlisteners].fd = bound(family, SOCK_STREAM, addr, port, 1);
	return listeners[nlisteners++].fd;
}

/* One connection of "connect": a client bound to LADDR:LPORT (0: any
 * port) connected to RADDR:PORT, and the accepted end. */
static void cmd_connect(const char *laddr, unsigned lport, const char *raddr,
			unsigned port)
{
	int family = strchr(raddr, ':') ? AF_INET6 : AF_INET;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	if (nconns == MAX_CONNS || port == 0 || port > 65535 || lport > 65535)
		errx(2, "connect: bad port or too many connections");
	int l = listener(family, raddr, (uint16_t)port);
	int c = xsocket(family, SOCK_STREAM, 0);
	if (lport)
		setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	len = mkaddr(&ss, family, laddr, (uint16_t)lport);
	if (bind(c, (struct sockaddr *)&ss, len) < 0)
		err(1, "bind %s", laddr);
	len = mkaddr(&ss, family, raddr, (uint16_t)port);
	if (connect(c, (struct sockaddr *)&ss, len) < 0)
		err(1, "connect %s:%u", raddr, port);
	conns[nconns].client = c;
	conns[nconns].server = accept(l, NULL, NULL);
	if (conns[nconns].server < 0)
		err(1, "accept");
	nconns++;
}

/* Close fd with an RST: the socket leaves the kernel's tables at once. */
static void abort_fd(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* The connection a command names; exits 2 when it is not open. */
static int open_conn(const char *cmd, long n)
{
	if (n < 0 || n >= nconns || conns[n].client < 0)
		errx(2, "%s: no open connection %ld", cmd, n);
	return (int)n;
}

/* "close N": abort both ends of connection N (the ends still open). */
static void cmd_close(long n)
{
	int i = open_conn("close", n);

	if (conns[i].server >= 0)
		abort_fd(conns[i].server);
	abort_fd(conns[i].client);
	conns[i].client = conns[i].server = -1;
	printf("closed %d\n", i);
}

/* "fin N": the client closes first, so its end lingers in TIME-WAIT. */
static void cmd_fin(long n)
{
	int i = open_conn("fin", n);

	close(conns[i].client);
	usleep(20000);
	if (conns[i].server >= 0)
		close(conns[i].server);
	conns[i].client = conns[i].server = -1;
	printf("fin %d\n", i);
}

/* "hangup N": the server closes; the client end is left in CLOSE-WAIT. */
static void cmd_hangup(long n)
{
	int i = open_conn("hangup", n);

	if (conns[i].server < 0)
		errx(2, "hangup: connection %d already hung up", i);
	close(conns[i].server);
	conns[i].server = -1;
	usleep(20000);
	printf("hangup %d\n", i);
}

/* "send N BYTES": unread data from the client to the server. */
static void cmd_send(long n, long bytes)
{
	int i = open_conn("send", n);

	if (bytes < 1 || bytes > 65536)
		errx(2, "send: bad byte count %ld", bytes);
	leave_unread(conns[i].client, (size_t)bytes);
	usleep(20000);
	printf("sent %d %ld\n", i, bytes);
}

/* "drain N": the server reads everything queued for it. */
static void cmd_drain(long n)
{
	int i = open_conn("drain", n);
	char buf[65536];

	if (conns[i].server >= 0)
		while (recv(conns[i].server, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	printf("drained %d\n", i);
}

/* The client of open connection N for an option command. */
static int conn_client(const char *cmd, long n)
{
	return conns[open_conn(cmd, n)].client;
}

/* "mark N VALUE": SO_MARK on the client of connection N. */
static void cmd_mark(long n, unsigned long value)
{
	unsigned mark = (unsigned)value;

	if (setsockopt(conn_client("mark", n), SOL_SOCKET, SO_MARK, &mark,
		       sizeof(mark)) < 0)
		err(1, "SO_MARK");
	printf("marked %ld\n", n);
}

/* "bind N DEV": SO_BINDTODEVICE on the client of connection N. */
static void cmd_bind(long n, const char *dev)
{
	if (setsockopt(conn_client("bind", n), SOL_SOCKET, SO_BINDTODEVICE, dev,
		       (socklen_t)strlen(dev)) < 0)
		err(1, "SO_BINDTODEVICE %s", dev);
	printf("bound %ld\n", n);
}

/* "unix TYPE NAME": a bound UNIX socket; "auto" autobinds. */
static void cmd_unix(const char *type, const char *name)
{
	int t = strcmp(type, "stream") == 0 ? SOCK_STREAM :
		strcmp(type, "dgram") == 0 ? SOCK_DGRAM :
		strcmp(type, "seqpacket") == 0 ? SOCK_SEQPACKET : -1;

	if (t < 0)
		errx(2, "unix: bad type %s", type);
	if (strcmp(name, "auto") == 0) {
		int fd = xsocket(AF_UNIX, t, 0);
		sa_family_t fam = AF_UNIX;

		if (bind(fd, (struct sockaddr *)&fam, sizeof(fam)) < 0)
			err(1, "autobind");
		if (t != SOCK_DGRAM && listen(fd, 8) < 0)
			err(1, "listen unix");
	} else {
		if (name[0] == '/')
			unlink(name);
		unix_bound(t, name);
	}
	printf("unix %s\n", name);
}

/* "raw ADDR": a raw ICMP or ICMPv6 socket bound to ADDR. */
static void cmd_raw(const char *addr)
{
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	int fd = xsocket(family, SOCK_RAW,
			 family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(&ss, family, addr, 0);

	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		err(1, "bind raw %s", addr);
	printf("raw %s\n", addr);
}

/* "udp LADDR PORT [RADDR RPORT]": a bound, maybe connected, UDP socket. */
static void cmd_udp(const char *laddr, unsigned port, const char *raddr,
		    unsigned rport)
{
	int family = strchr(laddr, ':') ? AF_INET6 : AF_INET;
	int fd = bound(family, SOCK_DGRAM, laddr, (uint16_t)port,
		       strncmp(laddr, "::ffff:", 7) != 0);
	struct sockaddr_storage ss;
	socklen_t len;

	if (raddr) {
		len = mkaddr(&ss, family, raddr, (uint16_t)rport);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			err(1, "connect udp %s:%u", raddr, rport);
	}
	printf("udp %u\n", port);
}

/* Let this process hold `more` descriptors beyond the mix and the
 * connections (root may raise the hard limit too). */
static void want_fds(long more)
{
	static long extra;
	struct rlimit rl;

	extra += more;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		err(1, "getrlimit");
	rlim_t need = (rlim_t)(64 + extra + MAX_CONNS * 2);
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		err(1, "setrlimit %lu descriptors", (unsigned long)need);
}

/* "pairs N": N UNIX stream socketpairs, held until exit. */
static void cmd_pairs(long n)
{
	int sp[2];

	if (n <= 0 || n > 100000)
		errx(2, "pairs: bad count %ld", n);
	want_fds(2 * n);
	for (long i = 0; i < n; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
			err(1, "socketpair");
	printf("pairs %ld\n", n);
}

/* Send n bytes on fd, or die. */
static void send_all(int fd, size_t n)
{
	char buf[65536];

	memset(buf, 'b', sizeof(buf));
	while (n > 0) {
		ssize_t k = send(fd, buf, n < sizeof(buf) ? n : sizeof(buf), 0);
		if (k < 0)
			err(1, "burst send");
		n -= (size_t)k;
	}
}

/* Read exactly n bytes from fd, or die. */
static void recv_all(int fd, size_t n)
{
	char buf[65536];

	while (n > 0) {
		ssize_t k = recv(fd, buf, n < sizeof(buf) ? n : sizeof(buf), 0);
		if (k <= 0)
			errx(1, "burst recv: connection ended early");
		n -= (size_t)k;
	}
}

/* Wait for the peer's FIN on fd (nothing else may come), or die. */
static void recv_eof(int fd)
{
	char c;

	if (recv(fd, &c, 1, 0) != 0)
		errx(1, "burst: data where the peer's FIN was expected");
}

/* "burst tcp RADDR PORT N SEND RECV": N connections opened, used, closed. */
static void burst_tcp(const char *raddr, unsigned port, long n, long snd,
		      long rcv)
{
	int family = strchr(raddr, ':') ? AF_INET6 : AF_INET;
	int l = listener(family, raddr, (uint16_t)port);
	int *fds = calloc((size_t)n * 2, sizeof(int));

	if (!fds)
		err(1, "burst");
	for (long i = 0; i < n; i++)
		fds[2 * i] = tcp_pair(l, family, raddr, (uint16_t)port,
				      &fds[2 * i + 1]);
	for (long i = 0; i < n; i++) {
		send_all(fds[2 * i], (size_t)snd);
		recv_all(fds[2 * i + 1], (size_t)snd);
		send_all(fds[2 * i + 1], (size_t)rcv);
		recv_all(fds[2 * i], (size_t)rcv);
	}
	/* Both FINs are received before either end closes, so each end's
	 * final bytes_received counts its peer's FIN whatever the timing. */
	for (long i = 0; i < n; i++)
		shutdown(fds[2 * i], SHUT_WR);
	for (long i = 0; i < n; i++) {
		recv_eof(fds[2 * i + 1]);
		shutdown(fds[2 * i + 1], SHUT_WR);
		recv_eof(fds[2 * i]);
	}
	for (long i = 0; i < 2 * n; i++)
		close(fds[i]);
	free(fds);
}

/* "burst udp RADDR PORT N SEND RECV": N datagram sockets send and close. */
static void burst_udp(const char *raddr, unsigned port, long n, long snd)
{
	int family = strchr(raddr, ':') ? AF_INET6 : AF_INET;

	for (long i = 0; i < n; i++) {
		int fd = connect_to(family, SOCK_DGRAM, raddr, (uint16_t)port);
		char buf[1500];

		memset(buf, 'u', sizeof(buf));
		if (send(fd, buf, (size_t)snd < sizeof(buf) ? (size_t)snd :
			 sizeof(buf), 0) < 0 && errno != ECONNREFUSED)
			err(1, "burst udp send");
		close(fd);
	}
}

/* "burst KIND RADDR PORT N SEND RECV". */
static void cmd_burst(const char *kind, const char *raddr, unsigned port,
		      long n, long snd, long rcv)
{
	if (n < 1 || n > MAX_CONNS || port == 0 || port > 65535 || snd < 0 ||
	    rcv < 0 || snd > 1 << 20 || rcv > 1 << 20)
		errx(2, "burst: bad count, port or sizes");
	want_fds(2 * n);
	if (strcmp(kind, "tcp") == 0)
		burst_tcp(raddr, port, n, snd, rcv);
	else if (strcmp(kind, "udp") == 0)
		burst_udp(raddr, port, n, snd);
	else
		errx(2, "burst: not tcp or udp: %s", kind);
	printf("burst %ld\n", n);
}

/* One churn round: send a round-dependent amount over every open
 * connection; drain the receivers every other round. */
static void churn_round(unsigned round)
{
	char buf[65536];

	for (int i = 0; i < nconns; i++) {
		if (conns[i].client < 0 || conns[i].server < 0)
			continue;
		size_t n = (round * 7u + (unsigned)i * 13u) % 400u + 1;
		memset(buf, 'c', n);
		if (send(conns[i].client, buf, n, MSG_DONTWAIT) < 0 && errno != EAGAIN)
			err(1, "churn send");
		if (round % 2)
			while (recv(conns[i].server, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
	}
}

/* "packet TYPE PROTO [DEV]": a packet socket, bound to DEV if given. */
static void cmd_packet(const char *type, unsigned proto, const char *dev)
{
	int t = strcmp(type, "raw") == 0 ? SOCK_RAW :
		strcmp(type, "dgram") == 0 ? SOCK_DGRAM : -1;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd;

	if (t < 0)
		errx(2, "packet: bad type %s", type);
	fd = xsocket(AF_PACKET, t, htons((uint16_t)proto));
	if (dev) {
		sll.sll_protocol = htons((uint16_t)proto);
		sll.sll_ifindex = (int)if_nametoindex(dev);
		if (!sll.sll_ifindex ||
		    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			err(1, "packet: bind %s", dev);
	}
	printf("packet %s\n", type);
}

/* "netlink PROTO GROUPS [PEERGROUP]": a bound (maybe connected) netlink
 * socket. */
static void cmd_netlink(unsigned proto, unsigned long groups, long peer)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	int fd = xsocket(AF_NETLINK, SOCK_RAW, (int)proto);

	a.nl_groups = (uint32_t)groups;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		err(1, "netlink: bind");
	if (peer >= 0) {
		a.nl_groups = (uint32_t)peer;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			err(1, "netlink: connect");
	}
	printf("netlink %u\n", proto);
}

/* "mptcp ADDR PORT": an MPTCP listener and a connection to it. */
static void cmd_mptcp(const char *addr, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(&ss, AF_INET, addr, (uint16_t)port);
	int l = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP), c;

	if (l < 0) {
		printf("mptcp unsupported\n");
		return;
	}
	if (bind(l, (struct sockaddr *)&ss, len) < 0 || listen(l, 16) < 0)
		err(1, "mptcp: listen");
	c = xsocket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	if (connect(c, (struct sockaddr *)&ss, len) < 0 ||
	    accept(l, NULL, NULL) < 0)
		err(1, "mptcp: connect");
	printf("mptcp %u\n", port);
}

/* Run one command line; exits 2 on a bad one. */
static void command(char *line, int *churning)
{
	char a[64], b[64], c[64];
	unsigned port, lport, rport;
	long value;
	long n = 1, bytes;
	int k;

	if (sscanf(line, "connectfrom %63s %u %63s %u", a, &lport, b,
		   &port) == 4) {
		want_fds(0);
		cmd_connect(a, lport, b, port);
		printf("conn %d\n", nconns - 1);
	} else if (sscanf(line, "connect %63s %63s %u %ld", a, b, &port, &n) >= 3) {
		if (n < 1)
			errx(2, "connect: bad count %ld", n);
		want_fds(0);
		while (n-- > 0)
			cmd_connect(a, 0, b, port);
		printf("conn %d\n", nconns - 1);
	} else if (sscanf(line, "close %ld", &n) == 1)
		cmd_close(n);
	else if (sscanf(line, "fin %ld", &n) == 1)
		cmd_fin(n);
	else if (sscanf(line, "hangup %ld", &n) == 1)
		cmd_hangup(n);
	else if (sscanf(line, "send %ld %ld", &n, &bytes) == 2)
		cmd_send(n, bytes);
	else if (sscanf(line, "drain %ld", &n) == 1)
		cmd_drain(n);
	else if (sscanf(line, "pairs %ld", &n) == 1)
		cmd_pairs(n);
	else if (sscanf(line, "mark %ld %li", &n, &value) == 2)
		cmd_mark(n, (unsigned long)value);
	else if (sscanf(line, "bind %ld %63s", &n, a) == 2)
		cmd_bind(n, a);
	else if (sscanf(line, "unix %63s %63s", a, b) == 2)
		cmd_unix(a, b);
	else if (sscanf(line, "raw %63s", a) == 1)
		cmd_raw(a);
	else if ((k = sscanf(line, "udp %63s %u %63s %u", a, &port, c,
			     &rport)) == 2 || k == 4)
		cmd_udp(a, port, k == 4 ? c : NULL, k == 4 ? rport : 0);
	else if ((k = sscanf(line, "packet %63s %li %63s", a, &value, b)) >= 2)
		cmd_packet(a, (unsigned)value, k == 3 ? b : NULL);
	else if ((k = sscanf(line, "netlink %u %li %li", &port, &value,
			     &n)) >= 2)
		cmd_netlink(port, (unsigned long)value, k == 3 ? n : -1);
	else if (sscanf(line, "mptcp %63s %u", a, &port) == 2)
		cmd_mptcp(a, port);
	else if (sscanf(line, "burst %63s %63s %u %ld %ld %ld", a, b, &port,
			&n, &bytes, &value) == 6)
		cmd_burst(a, b, port, n, bytes, value);
	else if (strcmp(line, "churn") == 0) {
		*churning = 1;
		printf("churning\n");
	} else
		errx(2, "unknown command: %s", line);
	fflush(stdout);
}

/* Read commands from stdin until it closes, churning meanwhile when asked. */
static void serve(void)
{
	char buf[4096];
	size_t len = 0;
	int churning = 0;
	unsigned round = 0;

	for (;;) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		int ready = poll(&p, 1, churning ? CHURN_MS : -1);
		if (ready < 0)
			err(1, "poll");
		if (ready == 0) {
			churn_round(round++);
			continue;
		}
		ssize_t k = read(0, buf + len, sizeof(buf) - 1 - len);
		if (k <= 0)
			return;
		len += (size_t)k;
		char *nl;
		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			command(buf, &churning);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof(buf) - 1)
			errx(2, "command line too long");
	}
}

int main(int argc, char **argv)
{
	if (argc != 2)
		errx(2, "usage: sockmix DIR");
	open_tcp();
	open_udp_raw();
	open_unix(argv[1]);
	usleep(100000);
	printf("ready\n");
	fflush(stdout);
	serve();
	return 0;
}
