/*
 * fuzz-netlink.c — a received sock_diag buffer of arbitrary bytes, walked
 * and parsed as inet (TCP) and as unix answers, and as destroy events: the
 * recorder's defence against a kernel (or a future kernel) it does not
 * expect.
 */
#include <netinet/in.h>
#include <stdlib.h>

#include "destroy.h"
#include "dump_inet.h"
#include "dump_unix.h"
#include "fuzz.h"

/* nl_walk callback: parse as inet or unix by the first argument. */
static int parse_inet(const struct nlmsghdr *nlh, void *arg)
{
	inet_parse_msg(nlh, IPPROTO_TCP, arg);
	return 0;
}

static int parse_unix(const struct nlmsghdr *nlh, void *arg)
{
	unix_parse_msg(nlh, arg);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s;
	struct destroy_batch b;

	if (snapshot_init(&s) < 0 || destroy_batch_init(&b) < 0)
		abort();
	destroy_parse(&b, data, size, 1);
	destroy_batch_free(&b);
	nl_walk(data, size, 1, parse_inet, &s);
	nl_walk(data, size, 1, parse_unix, &s);
	snapshot_sort_dedupe(&s);
	snapshot_free(&s);
	return 0;
}
