/*
 * procnet.c — parse /proc/net/raw{,6} lines (format of the kernel's
 * raw_sock_seq_show / ip6_dgram_sock_seq_show):
 *   sl local:port remote:port st tx_queue:rx_queue tr:when retrnsmt uid
 *   timeout inode ref pointer drops
 * Addresses are the in-memory words printed with %08X, so parsing each word
 * as a native uint32 gives back the network-order bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "procnet.h"

/* Parse an address of nwords %08X words and a %04X port at *p. */
static int parse_endpoint(const char **p, int nwords, uint8_t *addr,
			  uint16_t *port)
{
	unsigned int w, pt;
	int i, n;

	for (i = 0; i < nwords; i++) {
		if (sscanf(*p, "%8X%n", &w, &n) != 1 || n != 8)
			return -EBADMSG;
		memcpy(addr + 4 * i, &w, 4);
		*p += n;
	}
	if (sscanf(*p, ":%4X%n", &pt, &n) != 1)
		return -EBADMSG;
	*port = (uint16_t)pt;
	*p += n;
	return 0;
}

int procnet_parse_line(const char *line, int family, struct snapshot *s)
{
	int nwords = family == AF_INET6 ? 4 : 1;
	unsigned int st, tx, rx, tr, retr, uid;
	unsigned long when, timeout, inode;
	struct sock_record r, *out;
	const char *p;
	int n = 0;

	memset(&r, 0, sizeof(r));
	if (sscanf(line, " %*u: %n", &n) != 0 || n == 0)
		return -EBADMSG;
	p = line + n;
	if (parse_endpoint(&p, nwords, r.src, &r.sport) < 0 || *p++ != ' ' ||
	    parse_endpoint(&p, nwords, r.dst, &r.dport) < 0)
		return -EBADMSG;
	if (sscanf(p, " %X %X:%X %X:%lX %X %u %lu %lu", &st, &tx, &rx, &tr,
		   &when, &retr, &uid, &timeout, &inode) != 9)
		return -EBADMSG;
	r.cookie = PROCNET_COOKIE_BIT | inode;
	r.inode = inode;
	r.netid = NETID_RAW;
	r.family = (uint8_t)family;
	r.state = (uint8_t)st;
	r.protocol = (uint8_t)r.sport;
	r.wqueue = tx;
	r.rqueue = rx;
	r.timer = (uint8_t)tr;
	r.retrans = (uint8_t)retr;
	r.uid = uid;
	out = snapshot_add_record(s);
	if (!out)
		return -ENOMEM;
	*out = r;
	return 0;
}

int procnet_open_raw(int family)
{
	int fd = open(family == AF_INET6 ? "/proc/thread-self/net/raw6" :
		      "/proc/thread-self/net/raw",
		      O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int procnet_dump_raw(int fd, int family, struct snapshot *s)
{
	char line[512];
	FILE *f;
	int err = 0, dfd = dup(fd);

	if (dfd < 0)
		return -errno;
	f = fdopen(dfd, "re");
	if (!f) {
		err = -errno;
		close(dfd);
		return err;
	}
	/* The copy shares the file position: start from the top, where a
	 * seq_file is generated afresh. */
	if (fseek(f, 0, SEEK_SET) < 0 || !fgets(line, sizeof(line), f)) {
		fclose(f);
		return 0;
	}
	while (err != -ENOMEM && fgets(line, sizeof(line), f))
		err = procnet_parse_line(line, family, s);
	fclose(f);
	return err == -ENOMEM ? err : 0;
}
