/*
 * netlink.h — a small sock_diag dump helper on top of libmnl.
 *
 * One NETLINK_SOCK_DIAG socket per namespace, one 64 KiB receive buffer
 * reused for every recv.  A dump sends one SOCK_DIAG_BY_FAMILY request and
 * hands every answer message to a callback until NLMSG_DONE.  This module
 * knows nothing about socket records, SQLite or output.
 */
#ifndef SOCKHIST_NETLINK_H
#define SOCKHIST_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#define NL_RECV_BUF (64 * 1024)

struct mnl_socket;

struct nl_conn {
	struct mnl_socket *nl;
	uint32_t seq;
	uint8_t *buf;           /* NL_RECV_BUF bytes */
};

/* Called for every answer message of a dump.  Returns 0 to go on or a
 * negative errno-style code to abort the dump with that code. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *arg);

/* Open a NETLINK_SOCK_DIAG socket in the current network namespace.
 * Returns 0 or a negative errno. */
int nl_open(struct nl_conn *c);
/* Close it; safe on a zeroed or already closed connection. */
void nl_close(struct nl_conn *c);

/* Send a dump request whose payload (family request header plus attributes)
 * is req/reqlen, and call cb for every answer message.  Returns 0 when the
 * kernel finished the dump, the kernel's negative errno for an NLMSG_ERROR
 * answer (-ENOENT: no diag module for that family), -EMSGSIZE if a message
 * did not fit the receive buffer, -EBADMSG for a malformed answer, or the
 * callback's code. */
int nl_dump(struct nl_conn *c, const void *req, size_t reqlen,
	    nl_msg_cb cb, void *arg);

/* Walk the messages of one received buffer of sequence number seq.
 * Returns 1 if the dump goes on, 0 at NLMSG_DONE, or a negative code as
 * nl_dump().  Messages of other sequence numbers are skipped.  Exposed for
 * the tests, which feed it recorded kernel answers. */
int nl_walk(const void *buf, size_t len, uint32_t seq,
	    nl_msg_cb cb, void *arg);

/* Index the attributes that follow a family header of hdrlen bytes in nlh:
 * tb[type] = the last attribute of that type (types above maxtype are
 * ignored, tb must hold maxtype + 1 slots).  Every attribute length is
 * checked against the message.  Returns 0 or -EBADMSG. */
int nl_attrs(const struct nlmsghdr *nlh, size_t hdrlen,
	     const struct nlattr **tb, unsigned maxtype);

/* Copy an attribute's payload into a scalar of size bytes.  Returns 0, or
 * -EBADMSG when the payload is shorter (longer payloads are cut). */
int nl_attr_scalar(const struct nlattr *a, void *dst, size_t size);

#endif
