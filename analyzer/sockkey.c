/*
 * sockkey.c — the --by keys of hist and diff: a label and an ident function
 * per key, both read from the same record fields.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cgpath.h"
#include "sockenum.h"
#include "db.h"
#include "sockkey.h"
#include "ss_detail.h"

/* The n bytes at p as a big-endian number. */
static uint64_t load_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The string str (NUL-free) as big-endian words of 8 bytes, the last one
 * padded with zeros, at most max of them into w; returns how many. */
static size_t pack_string(const char *str, size_t max, uint64_t *w)
{
	size_t n = strnlen(str, 8 * max), words = (n + 7) / 8;

	for (size_t i = 0; i < words; i++) {
		uint64_t v = 0;

		for (size_t j = 8 * i; j < 8 * i + 8; j++)
			v = v << 8 | (j < n ? (uint8_t)str[j] : 0);
		w[i] = v;
	}
	return words;
}

/* The ss state name. */
static void label_state(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%s", state_name(r->state));
}

/* The state number. */
static size_t ident_state(const struct snapshot *s, const struct sock_record *r,
			  uint64_t *w)
{
	(void)s;
	w[0] = r->state;
	return 1;
}

/* The ss netid. */
static void label_netid(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%s", netid_name(r->netid));
}

/* The netid number. */
static size_t ident_netid(const struct snapshot *s, const struct sock_record *r,
			  uint64_t *w)
{
	(void)s;
	w[0] = r->netid;
	return 1;
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

/* The address family number. */
static size_t ident_family(const struct snapshot *s,
			   const struct sock_record *r, uint64_t *w)
{
	(void)s;
	w[0] = r->family;
	return 1;
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

/* A port: 0 for a unix socket ("*"), else 65536 + the port. */
static size_t port_ident(const struct sock_record *r, unsigned port,
			 uint64_t *w)
{
	w[0] = r->family == AF_UNIX ? 0 : 65536 + port;
	return 1;
}

/* The local port's ident. */
static size_t ident_sport(const struct snapshot *s, const struct sock_record *r,
			  uint64_t *w)
{
	(void)s;
	return port_ident(r, r->netid == NETID_RAW && r->protocol ?
			  r->protocol : r->sport, w);
}

/* The peer port. */
static void label_dport(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	(void)s;
	port_label(r, r->dport, buf, len);
}

/* The peer port's ident. */
static size_t ident_dport(const struct snapshot *s, const struct sock_record *r,
			  uint64_t *w)
{
	(void)s;
	return port_ident(r, r->dport, w);
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

/* One end's ident: an IPv4 address with its family in one word; else the
 * family, then an IPv6 address in two words, or a unix socket's name
 * (local only). */
static size_t addr_ident(const struct snapshot *s, const struct sock_record *r,
			 const uint8_t *a, int local, uint64_t *w)
{
	if (r->family == AF_INET) {
		w[0] = (uint64_t)AF_INET << 32 | load_be(a, 4);
		return 1;
	}
	w[0] = (uint64_t)r->family << 32;
	if (r->family == AF_INET6) {
		w[1] = load_be(a, 8);
		w[2] = load_be(a + 8, 8);
		return 3;
	}
	if (r->family == AF_UNIX && local)
		return 1 + pack_string(snapshot_str(s, r->name),
				       SOCK_KEY_IDENT_WORDS - 1, w + 1);
	return 1;
}

/* The local address's ident. */
static size_t ident_local(const struct snapshot *s, const struct sock_record *r,
			  uint64_t *w)
{
	return addr_ident(s, r, r->src, 1, w);
}

/* The peer address's ident. */
static size_t ident_peer(const struct snapshot *s, const struct sock_record *r,
			 uint64_t *w)
{
	return addr_ident(s, r, r->dst, 0, w);
}

/* The first owner's process name. */
static void label_process(const struct snapshot *s, const struct sock_record *r,
			  char *buf, size_t len)
{
	const char *comm = r->proc_count && r->proc_first < s->nprocs ?
		snapshot_str(s, s->procs[r->proc_first].comm) : "";

	snprintf(buf, len, "%s", *comm ? comm : "-");
}

/* The first owner's name as words; none when there is no owner. */
static size_t ident_process(const struct snapshot *s,
			    const struct sock_record *r, uint64_t *w)
{
	const char *comm = r->proc_count && r->proc_first < s->nprocs ?
		snapshot_str(s, s->procs[r->proc_first].comm) : "";

	return pack_string(comm, SOCK_KEY_IDENT_WORDS, w);
}

/* The owner uid. */
static void label_uid(const struct snapshot *s, const struct sock_record *r,
		      char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%" PRIu32, r->uid);
}

/* The uid. */
static size_t ident_uid(const struct snapshot *s, const struct sock_record *r,
			uint64_t *w)
{
	(void)s;
	w[0] = r->uid;
	return 1;
}

/* The cgroup path, or ss's "unreachable:ID". */
static void label_cgroup(const struct snapshot *s, const struct sock_record *r,
			 char *buf, size_t len)
{
	(void)s;
	snprintf(buf, len, "%s", cgpath_of(r->cgroup_id));
}

/* The cgroup id. */
static size_t ident_cgroup(const struct snapshot *s,
			   const struct sock_record *r, uint64_t *w)
{
	(void)s;
	w[0] = r->cgroup_id;
	return 1;
}

/* The network namespace's label (db.h: its name, else PID/COMM, else the
 * inode). */
static void label_netns(const struct snapshot *s, const struct sock_record *r,
			char *buf, size_t len)
{
	(void)r;
	snprintf(buf, len, "%s", db_netns_label(s->netns_ino));
}

/* The namespace inode. */
static size_t ident_netns(const struct snapshot *s, const struct sock_record *r,
			  uint64_t *w)
{
	(void)r;
	w[0] = s->netns_ino;
	return 1;
}

static const struct sock_key keys[] = {
	{ "state", "State", label_state, ident_state },
	{ "netid", "Netid", label_netid, ident_netid },
	{ "family", "Family", label_family, ident_family },
	{ "sport", "Local port", label_sport, ident_sport },
	{ "dport", "Peer port", label_dport, ident_dport },
	{ "local", "Local address", label_local, ident_local },
	{ "peer", "Peer address", label_peer, ident_peer },
	{ "process", "Process", label_process, ident_process },
	{ "uid", "Uid", label_uid, ident_uid },
	{ "cgroup", "Cgroup", label_cgroup, ident_cgroup },
	{ "netns", "Netns", label_netns, ident_netns },
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
