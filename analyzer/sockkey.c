/*
 * sockkey.c — the --by keys of hist and diff: one label function per key.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sockenum.h"
#include "sockkey.h"
#include "ss_detail.h"

/* The ss state name. */
static void label_state(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%s", state_name(r->state));
}

/* The ss netid. */
static void label_netid(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%s", netid_name(r->netid));
}

/* inet, inet6 or unix, as ss's -f names them. */
static void label_family(const struct snapshot *s, const struct sock_record *r,
			 char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%s", r->family == AF_INET ? "inet" :
		 r->family == AF_INET6 ? "inet6" :
		 r->family == AF_UNIX ? "unix" : "?");
}

/* A port number, or "*" for a unix socket. */
static void port_label(const struct sock_record *r, unsigned port, char *buf,
		       size_t len)
{
	if (r->family == AF_UNIX)
		snprintf(buf, len, "*");
	else
		snprintf(buf, len, "%u", port);
}

/* The local port (a raw socket's protocol, as ss prints it). */
static void label_sport(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	(void)s;
	port_label(r, r->netid == NETID_RAW && r->protocol ? r->protocol :
		   r->sport, buf, len);
}

/* The peer port. */
static void label_dport(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	(void)s;
	port_label(r, r->dport, buf, len);
}

/* One end's numeric address; a unix socket's name (local) or "*". */
static void addr_label(const struct snapshot *s, const struct sock_record *r,
		       const uint8_t *a, int local, char *buf, size_t len)
{
	if (r->family == AF_UNIX) {
		const char *name = local ? snapshot_str(s, r->name) : "";

		snprintf(buf, len, "%s", *name ? name : "*");
	} else if (!inet_ntop(r->family, a, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
	}
}

/* The local address. */
static void label_local(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	addr_label(s, r, r->src, 1, buf, len);
}

/* The peer address. */
static void label_peer(const struct snapshot *s, const struct sock_record *r,
		       char *buf, size_t len)
{
	addr_label(s, r, r->dst, 0, buf, len);
}

/* The first owner's process name. */
static void label_process(const struct snapshot *s, const struct sock_record *r,
			  char *buf, size_t len)
{
	const char *comm = r->proc_count && r->proc_first < s->nprocs ?
		snapshot_str(s, s->procs[r->proc_first].comm) : "";

	snprintf(buf, len, "%s", *comm ? comm : "-");
}

/* The owner uid. */
static void label_uid(const struct snapshot *s, const struct sock_record *r,
		      char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%" PRIu32, r->uid);
}

/* The cgroup path, or ss's "unreachable:ID". */
static void label_cgroup(const struct snapshot *s, const struct sock_record *r,
			 char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%s", ss_cgroup_path(r->cgroup_id));
}

/* The network namespace inode. */
static void label_netns(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	(void)r;
	snprintf(buf, len, "%" PRIu64, s->netns_ino);
}

static const struct sock_key keys[] = {
	{ "state", "State", label_state },
	{ "netid", "Netid", label_netid },
	{ "family", "Family", label_family },
	{ "sport", "Local port", label_sport },
	{ "dport", "Peer port", label_dport },
	{ "local", "Local address", label_local },
	{ "peer", "Peer address", label_peer },
	{ "process", "Process", label_process },
	{ "uid", "Uid", label_uid },
	{ "cgroup", "Cgroup", label_cgroup },
	{ "netns", "Netns", label_netns },
};

/* The key called name; see sockkey.h. */
const struct sock_key *sock_key_find(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* The key names; see sockkey.h. */
const char *sock_key_names(void)
{
	return "state, netid, family, sport, dport, local, peer, process, "
	       "uid, cgroup, netns";
}
