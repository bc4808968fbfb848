/*
 * sockstat.c — read the counters `ss -s` prints from /proc (sockstat.h).
 *
 * The kernel writes (net/ipv4/proc.c sockstat_seq_show, net/ipv6/proc.c
 * sockstat6_seq_show, snmp_seq_show_tcp_udp):
 *   sockstat   sockets: used 10
 *              TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0
 *              UDP: inuse 0 mem 0 / UDPLITE: inuse 0 / RAW: inuse 0
 *              FRAG: inuse 0 memory 0
 *   sockstat6  TCP6: inuse 0 / UDP6 / UDPLITE6 / RAW6 / FRAG6: inuse 0 memory 0
 *   snmp       Tcp: RtoAlgorithm RtoMin ... CurrEstab ...
 *              Tcp: 1 200 ... 0 ...
 * ss parses sockstat by position; this parser goes by name, and reads
 * CurrEstab from the column its header line names, as ss does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockstat.h"

#define MAX_TOKENS 64           /* per line; snmp's longest has about 30 */
#define FILE_MAX 16384          /* snmp is about 1.3 KB */

/* A piece of text: a token of a line. */
struct tok {
	const char *p;
	size_t n;
};

/* Split [p, end) at spaces into at most MAX_TOKENS tokens; returns how
 * many. */
static size_t split(const char *p, const char *end, struct tok *t)
{
	size_t n = 0;

	while (p < end && n < MAX_TOKENS) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		t[n].p = p;
		while (p < end && *p != ' ')
			p++;
		t[n].n = (size_t)(p - t[n].p);
		n++;
	}
	return n;
}

/* Parse a decimal integer that fills the whole token; returns 0 or -1. */
static int parse_int(const struct tok *t, int64_t *out)
{
	size_t i = t->n > 0 && t->p[0] == '-';
	uint64_t v = 0;

	if (i == t->n || t->n - i > 18)
		return -1;
	for (; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	*out = t->p[0] == '-' ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* Store value token v as the counter (label, name), if it is one. */
static void set_field(struct kstat *ks, const struct tok *label,
		      const struct tok *name, const struct tok *v)
{
	int id = kstat_find(label->p, label->n, name->p, name->n);
	int64_t x;

	if (id >= 0 && parse_int(v, &x) == 0)
		kstat_set(ks, (enum kstat_id)id, x);
}

/* The end of the line starting at p (its '\n', or end). */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

/* Parse sockstat text; see sockstat.h. */
void sockstat_parse(const char *text, size_t len, struct kstat *ks)
{
	const char *end = text + len;
	struct tok t[MAX_TOKENS];

	for (const char *p = text; p < end; ) {
		const char *e = line_end(p, end);
		size_t n = split(p, e, t);

		for (size_t i = 1; i + 1 < n; i += 2)
			set_field(ks, &t[0], &t[i], &t[i + 1]);
		p = e + 1;
	}
}

/* Parse snmp text; see sockstat.h. */
void sockstat_parse_snmp(const char *text, size_t len, struct kstat *ks)
{
	const char *end = text + len;
	struct tok head[MAX_TOKENS], t[MAX_TOKENS];
	size_t nhead = 0;

	for (const char *p = text; p < end; ) {
		const char *e = line_end(p, end);
		size_t n = split(p, e, t);

		if (nhead > 0 && n > 0 && head[0].n == t[0].n &&
		    memcmp(head[0].p, t[0].p, t[0].n) == 0) {
			/* The values line of the names line before it. */
			for (size_t i = 1; i < n && i < nhead; i++)
				set_field(ks, &t[0], &head[i], &t[i]);
			nhead = 0;
		} else {
			memcpy(head, t, n * sizeof(*t));
			nhead = n;
		}
		p = e + 1;
	}
}

/* Read the whole of an open /proc file into buf (cap bytes) from offset 0
 * (a seq_file read at offset 0 is generated afresh, so an fd kept open
 * reads current values), keeping only whole lines.  Returns the length or
 * a negative errno. */
static ssize_t read_fd(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n = 0;

	while (len < cap && ((n = pread(fd, buf + len, cap - len,
					(off_t)len)) > 0 ||
			     (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	if (n < 0)
		return -errno;
	while (len > 0 && buf[len - 1] != '\n')
		len--;
	return (ssize_t)len;
}

/* Open dir/sockstat, sockstat6 and snmp into fds; see sockstat.h. */
int sockstat_open(const char *dir, int fds[SOCKSTAT_NFILES])
{
	static const char *const names[SOCKSTAT_NFILES] = {
		"sockstat", "sockstat6", "snmp",
	};
	char path[256];

	for (int i = 0; i < SOCKSTAT_NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0 && i == 0)
			return -errno;
	}
	return 0;
}

/* Close what sockstat_open() opened. */
void sockstat_close(int fds[SOCKSTAT_NFILES])
{
	for (int i = 0; i < SOCKSTAT_NFILES; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Read the three open files; see sockstat.h. */
int sockstat_read_fds(const int fds[SOCKSTAT_NFILES], struct kstat *ks)
{
	char buf[FILE_MAX];
	ssize_t n;
	int err;

	memset(ks, 0, sizeof(*ks));
	n = fds[0] >= 0 ? read_fd(fds[0], buf, sizeof(buf)) : -EBADF;
	err = n < 0 ? (int)n : 0;
	if (n > 0)
		sockstat_parse(buf, (size_t)n, ks);
	n = fds[1] >= 0 ? read_fd(fds[1], buf, sizeof(buf)) : 0;
	if (n > 0)
		sockstat_parse(buf, (size_t)n, ks);
	n = fds[2] >= 0 ? read_fd(fds[2], buf, sizeof(buf)) : 0;
	if (n > 0)
		sockstat_parse_snmp(buf, (size_t)n, ks);
	return ks->present ? 0 : err < 0 ? err : -ENODATA;
}

/* Read the three files; see sockstat.h. */
int sockstat_read(const char *dir, struct kstat *ks)
{
	int fds[SOCKSTAT_NFILES], err = sockstat_open(dir, fds);

	if (err < 0) {
		memset(ks, 0, sizeof(*ks));
		return err;
	}
	err = sockstat_read_fds(fds, ks);
	sockstat_close(fds);
	return err;
}
