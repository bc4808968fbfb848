/*
 * netlink.c — sock_diag dumps over one libmnl socket: send a request, walk
 * the multi-part answer buffer by buffer, stop at NLMSG_DONE or NLMSG_ERROR.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/sock_diag.h>

#include "netlink.h"

#define NL_REQ_MAX 256

int nl_open(struct nl_conn *c)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->buf = malloc(NL_RECV_BUF);
	if (!c->buf)
		return -ENOMEM;
	c->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!c->nl) {
		err = -errno;
		nl_close(c);
		return err;
	}
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		nl_close(c);
		return err;
	}
	c->seq = (uint32_t)time(NULL);
	return 0;
}

void nl_close(struct nl_conn *c)
{
	if (c->nl)
		mnl_socket_close(c->nl);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/* The status an NLMSG_DONE message carries: 0, or the dump's negative errno. */
static int done_status(const struct nlmsghdr *nlh)
{
	int32_t status;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(status)))
		return 0;
	memcpy(&status, NLMSG_DATA(nlh), sizeof(status));
	return status < 0 ? status : 0;
}

/* The negative errno an NLMSG_ERROR message carries (0 for a plain ACK). */
static int error_status(const struct nlmsghdr *nlh)
{
	struct nlmsgerr e;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(e.error)))
		return -EBADMSG;
	memcpy(&e.error, NLMSG_DATA(nlh), sizeof(e.error));
	if (e.error > 0)
		return -EBADMSG;
	return e.error;
}

/* Handle one message of our sequence: 1 go on, 0 done, <0 error. */
static int walk_one(const struct nlmsghdr *nlh, nl_msg_cb cb, void *arg)
{
	int err;

	switch (nlh->nlmsg_type) {
	case NLMSG_DONE:
		return done_status(nlh);
	case NLMSG_ERROR:
		return error_status(nlh);
	case NLMSG_NOOP:
		return 1;
	case NLMSG_OVERRUN:
		return -ENOBUFS;
	default:
		err = cb(nlh, arg);
		return err < 0 ? err : 1;
	}
}

int nl_walk(const void *buf, size_t len, uint32_t seq,
	    nl_msg_cb cb, void *arg)
{
	const uint8_t *p = buf;
	size_t step;
	int ret;

	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
			return -EBADMSG;
		if (nlh->nlmsg_seq == seq) {
			ret = walk_one(nlh, cb, arg);
			if (ret <= 0)
				return ret;
		}
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			return 1;
		p += step;
		len -= step;
	}
	return len == 0 ? 1 : -EBADMSG;
}

/* Send the dump request with payload req. Returns 0 or a negative errno. */
static int send_request(struct nl_conn *c, const void *req, size_t reqlen)
{
	uint8_t msg[NL_REQ_MAX] __attribute__((aligned(4)));
	struct nlmsghdr *nlh;

	if (reqlen > NL_REQ_MAX - MNL_NLMSG_HDRLEN)
		return -EINVAL;
	memset(msg, 0, sizeof(msg));
	nlh = mnl_nlmsg_put_header(msg);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++c->seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, reqlen), req, reqlen);
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* Receive one buffer, retrying on EINTR. Returns its length or <0. */
static ssize_t recv_buffer(struct nl_conn *c)
{
	ssize_t n;

	do {
		n = mnl_socket_recvfrom(c->nl, c->buf, NL_RECV_BUF);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ENOSPC ? -EMSGSIZE : -errno;
	return n;
}

int nl_attrs(const struct nlmsghdr *nlh, size_t hdrlen,
	     const struct nlattr **tb, unsigned maxtype)
{
	const uint8_t *p;
	size_t rem, step;

	memset(tb, 0, (maxtype + 1) * sizeof(*tb));
	if (nlh->nlmsg_len < NLMSG_LENGTH(hdrlen))
		return -EBADMSG;
	p = (const uint8_t *)NLMSG_DATA(nlh) + NLMSG_ALIGN(hdrlen);
	if (nlh->nlmsg_len < NLMSG_LENGTH(NLMSG_ALIGN(hdrlen)))
		rem = 0;
	else
		rem = nlh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(hdrlen));
	while (rem > 0) {
		const struct nlattr *a = (const struct nlattr *)p;
		unsigned type;

		if (rem < NLA_HDRLEN || a->nla_len < NLA_HDRLEN ||
		    a->nla_len > rem)
			return -EBADMSG;
		type = a->nla_type & NLA_TYPE_MASK;
		if (type <= maxtype)
			tb[type] = a;
		step = NLA_ALIGN(a->nla_len);
		if (step >= rem)
			break;
		p += step;
		rem -= step;
	}
	return 0;
}

int nl_attr_scalar(const struct nlattr *a, void *dst, size_t size)
{
	if (mnl_attr_get_payload_len(a) < size)
		return -EBADMSG;
	memcpy(dst, mnl_attr_get_payload(a), size);
	return 0;
}

/* A dump in progress: the caller's callback and the first error it gave. */
struct dump_ctx {
	nl_msg_cb cb;
	void *arg;
	int err;
};

/* Pass messages on until the callback fails; after that only drain, since
 * the kernel refuses a new dump (EBUSY) while one is unfinished. */
static int dump_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_ctx *d = arg;

	if (d->err == 0)
		d->err = d->cb(nlh, d->arg);
	return 0;
}

int nl_dump(struct nl_conn *c, const void *req, size_t reqlen,
	    nl_msg_cb cb, void *arg)
{
	struct dump_ctx d = { .cb = cb, .arg = arg };
	ssize_t n;
	int ret;

	ret = send_request(c, req, reqlen);
	if (ret < 0)
		return ret;
	do {
		n = recv_buffer(c);
		if (n == -EMSGSIZE) {
			/* the truncated message is lost; drain the rest */
			if (d.err == 0)
				d.err = -EMSGSIZE;
			ret = 1;
			continue;
		}
		if (n <= 0)
			return n < 0 ? (int)n : -EBADMSG;
		ret = nl_walk(c->buf, (size_t)n, c->seq, dump_msg, &d);
	} while (ret > 0);
	return ret < 0 ? ret : d.err;
}
