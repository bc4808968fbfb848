/*
 * sockkey.h — what sockets are grouped by (`hist --by KEY`, `diff --by
 * KEY`): a key's name and the group a socket record falls in, as a label.
 *
 * Keys: state (as ss prints it), netid, family (inet, inet6, unix), sport
 * and dport (inet port numbers; "*" for unix sockets), local and peer (the
 * numeric address without the port; a unix socket's name, or "*"),
 * process (the first owner's name, "-" when unknown), uid, cgroup (the
 * cgroup2 path where the analyzing machine can resolve the id, else
 * "unreachable:ID" as ss prints it) and netns (the namespace's label,
 * db_netns_label: its name, else PID/COMM, else the inode).
 *
 * Grouping many records goes by a key's ident, the group's identity as a
 * few numbers, which formats no text; the label is needed once per group.
 */
#ifndef SOCKHIST_SOCKKEY_H
#define SOCKHIST_SOCKKEY_H

#include <stddef.h>

#include "sockrec.h"

/* The longest label, NUL included. */
#define SOCK_KEY_LABEL_MAX 256
/* The longest ident, in 64-bit words. */
#define SOCK_KEY_IDENT_WORDS 32

struct sock_key {
	const char *name;        /* the --by value */
	const char *title;       /* table column heading */
	/* The group of r (a record of s) into buf (SOCK_KEY_LABEL_MAX). */
	void (*label)(const struct snapshot *s, const struct sock_record *r,
		      char *buf, size_t len);
	/* The group of r as up to SOCK_KEY_IDENT_WORDS numbers into w;
	 * returns how many.  Records are in the same group exactly when their
	 * idents are equal, and comparing idents number by number (then by
	 * count) orders the groups by number, address or name.  Each word is
	 * stored whole, so reading it back right away is cheap. */
	size_t (*ident)(const struct snapshot *s, const struct sock_record *r,
			uint64_t *w);
};

/* The key called name, or NULL. */
const struct sock_key *sock_key_find(const char *name);
/* The key names, comma-separated, for messages and --help. */
const char *sock_key_names(void);

#endif
