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
 */
#include <arpa/inet.h>
#include <err.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
