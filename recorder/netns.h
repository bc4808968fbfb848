/*
 * netns.h — the network namespaces sockhistd records, found afresh every
 * tick, each with its capture state (capture.h).
 *
 * What to record is a list of specs (sockhistd --netns): "all" (every
 * namespace: the /run/netns names and every /proc/PID/ns/net, one stat
 * each, deduplicated by inode — no fd walks), or one namespace by NAME
 * (/run/netns/NAME) or by PATH (any nsfs file; /proc/self/... and
 * /proc/thread-self/... are resolved once, at the start, to the
 * recorder's pid).  A namespace is known by its inode; where it has a
 * /run/netns name that is its name (for one found by PATH, looked up in
 * /run/netns when first found), otherwise the pid and comm of a process
 * holding it when it was first found.
 *
 * A namespace found for the first time gets its capture opened (setns
 * into it and back, once) and is flagged `fresh` for that tick; one no
 * longer found is released at once: its capture closed, so the recorder
 * keeps no reference to it, and the caller told (gone callback).  A PATH
 * or NAME whose namespace vanished is logged once, until it is back.
 */
#ifndef SOCKHIST_NETNS_H
#define SOCKHIST_NETNS_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "otab.h"
#include "sockrec.h"

#define NETNS_NAME_MAX 256
#define NETNS_RUN_DIR "/run/netns"

/* One namespace recorded. */
struct netns_entry {
	uint64_t ino;                   /* namespace inode */
	char name[NETNS_NAME_MAX];      /* /run/netns name, "" if none */
	uint32_t pid;                   /* a holder when it has no name */
	char comm[64];                  /* its comm */
	int fresh;                      /* first found (or named) in this
					 * refresh: its netns row to write */
	int seen;                       /* found in this refresh */
	int unsaved;                    /* the caller could not write its
					 * netns row yet */
	struct capture cap;
	struct snapshot snap;           /* this tick's snapshot of it */
};

/* One --netns argument. */
struct netns_spec {
	int all;
	char path[4096];                /* NAME resolved, or PATH */
	char name[NETNS_NAME_MAX];      /* NAME, or "" */
	int missing;                    /* logged as gone (until back) */
};

struct netns_set {
	struct netns_spec *specs;
	size_t nspecs;
	struct netns_entry **ents;      /* each malloc'd, so stays put */
	size_t n, cap;
	struct otab index;              /* inode -> position in ents */
	int home;                       /* nsfs fd of our own namespace */
	uint64_t nsfs_dev;              /* st_dev of nsfs files */
	int last_err;                   /* last failure reported */
};

/* Start an empty set recording nothing yet: opens our own namespace.
 * Returns 0 or a negative errno. */
int netns_init(struct netns_set *set);
/* Add a spec: "all", a NAME or a PATH (contains a '/').  Fails with a
 * negative errno (and *why set to a phrase) when a NAME or PATH is not a
 * network namespace now. */
int netns_add_spec(struct netns_set *set, const char *arg, const char **why);
/* Release every namespace and free the set. */
void netns_free(struct netns_set *set);

/* Find the namespaces now: open the new ones (fresh = 1), release the
 * ones gone, calling gone(ino, arg) for each before it goes.  Returns 0
 * or -ENOMEM; problems with one namespace are logged once and skipped. */
int netns_refresh(struct netns_set *set,
		  void (*gone)(uint64_t ino, void *arg), void *arg);

#endif
