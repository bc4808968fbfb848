/*
 * sockstat.h — read the kernel counters `ss -s` prints (common/kstat.h) of
 * a network namespace, from /proc: sockstat,
 * sockstat6 and the Tcp lines of snmp.  Parsed by label and field name, so
 * kernels that add, drop or reorder lines and fields read correctly.
 */
#ifndef SOCKHIST_SOCKSTAT_H
#define SOCKHIST_SOCKSTAT_H

#include <stddef.h>

#include "kstat.h"

/* The calling thread's network namespace: the one its netlink socket and
 * so its dumps see. */
#define SOCKSTAT_DIR "/proc/thread-self/net"

/* Add the counters of sockstat or sockstat6 text (len bytes, lines of
 * "LABEL: name value name value ...") to ks.  Unknown labels and names,
 * and fields whose value is not an integer, are skipped. */
void sockstat_parse(const char *text, size_t len, struct kstat *ks);

/* Add the counters of /proc/net/snmp text (len bytes) to ks: a line of
 * names followed by a line of values with the same label ("Tcp: ...
 * CurrEstab ..." then "Tcp: ... 3 ..."). */
void sockstat_parse_snmp(const char *text, size_t len, struct kstat *ks);

#define SOCKSTAT_NFILES 3

/* Open dir/sockstat, dir/sockstat6 and dir/snmp into fds (-1 for a file
 * that is missing).  Opened under /proc/thread-self/net, they stay the
 * files of the namespace the thread was in, wherever it goes next.
 * Returns 0, or the negative errno of opening dir/sockstat. */
int sockstat_open(const char *dir, int fds[SOCKSTAT_NFILES]);
void sockstat_close(int fds[SOCKSTAT_NFILES]);

/* Reset ks and read the files sockstat_open() opened (each from its
 * start: a kept fd reads current values).  Returns as sockstat_read(). */
int sockstat_read_fds(const int fds[SOCKSTAT_NFILES], struct kstat *ks);

/* Reset ks and read dir/sockstat, dir/sockstat6 (absent without IPv6) and
 * dir/snmp into it.  Returns 0 when at least one counter was read, else
 * the negative errno of opening dir/sockstat (ks->present is then 0). */
int sockstat_read(const char *dir, struct kstat *ks);

#endif
