/*
 * procnet.h — raw sockets from /proc/net/raw and /proc/net/raw6, for kernels
 * built without CONFIG_INET_RAW_DIAG (ss falls back the same way).
 *
 * These files carry no socket cookie; such records get the synthetic cookie
 * PROCNET_COOKIE_BIT | inode, which kernel cookies (a counter from 1) never
 * reach.  No extension attributes are available, so `has` stays 0.
 */
#ifndef SOCKHIST_PROCNET_H
#define SOCKHIST_PROCNET_H

#include "sockrec.h"

#define PROCNET_COOKIE_BIT SR_COOKIE_PROCNET

/* Open /proc/net/raw or /proc/net/raw6 (family AF_INET or AF_INET6) of
 * the calling thread's network namespace (under /proc/thread-self/net),
 * which it stays.  Returns the fd or a negative errno. */
int procnet_open_raw(int family);

/* Read the raw sockets of family from fd (procnet_open_raw(); read from
 * its start, so a kept fd reads the current sockets) into s.  Returns 0
 * or a negative errno. */
int procnet_dump_raw(int fd, int family, struct snapshot *s);

/* Decode one line of /proc/net/raw{,6} and append it to s.  Returns 0,
 * -EBADMSG for a line that is not a socket line, or -ENOMEM. */
int procnet_parse_line(const char *line, int family, struct snapshot *s);

#endif
