/*
 * procmap.c — socket owner processes from /proc, cached across snapshots
 * (the strategy is described in procmap.h).
 *
 * Tables, all open-addressing (otab.h), none allocating per entry:
 *   fds / fds_prev  (pid << 32 | fd) -> socket inode (0: not a socket), this
 *                   snapshot's and the last one's, swapped every snapshot;
 *   pids / pids_prev the processes in /proc now and at the last snapshot;
 *   ino             inode -> owner count and first owner, per snapshot;
 *   neg / neg_prev  inode -> how many searches failed to find an owner;
 *   comm            pid -> process name, per snapshot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "otab.h"
#include "procmap.h"

#define DENTS_BUF (32 * 1024)
#define COMM_MAX 64
#define NEG_MISSES 2            /* failed searches before "ownerless" */
#define FD_DIR_MAX 300          /* room for a /proc/PID/fd path */

enum {
	FDE_FRESH = 1,          /* read with readlink in this snapshot */
	FDE_IN_SNAP = 2,        /* its socket was in the last snapshot */
	FDE_SHARED = 4,         /* its socket had several owners */
};

struct fd_ent {
	uint64_t key;           /* pid << 32 | fd */
	uint64_t inode;
	uint32_t flags;
};

struct ino_ent {
	uint64_t key;           /* inode */
	uint32_t count;         /* owners found */
	uint32_t first;         /* index in owners[] once sorted */
};

struct neg_ent {
	uint64_t key;           /* inode */
	uint32_t misses;
};

struct pid_ent {
	uint64_t key;           /* pid */
	uint32_t nfds;          /* open fds when last listed (Linux >= 6.2) */
	uint32_t relist;        /* list its fds in this snapshot */
};

struct comm_ent {
	uint64_t key;           /* pid */
	int32_t ok;             /* 1 read, -1 process gone */
	char comm[COMM_MAX];
};

struct owner {
	uint64_t inode;
	uint32_t pid;
	uint32_t fd;
};

struct procmap {
	char root[256];
	struct otab fds, fds_prev, ino, neg, neg_prev, comm, pids, pids_prev;
	struct owner *owners;
	size_t nowners, owners_cap;
	uint8_t *dents;
	int64_t last_full_ns;
	int full_pending;
	int full;               /* this snapshot is a full rescan */
	int refresh_err;        /* procmap_refresh()'s result */
	struct procmap_stats st;
};

int procmap_new(const char *proc_root, struct procmap **out)
{
	struct procmap *pm = calloc(1, sizeof(*pm));

	*out = NULL;
	if (!pm)
		return -ENOMEM;
	pm->dents = malloc(DENTS_BUF);
	if (!pm->dents) {
		free(pm);
		return -ENOMEM;
	}
	snprintf(pm->root, sizeof(pm->root), "%s", proc_root ? proc_root : "/proc");
	otab_init(&pm->fds, sizeof(struct fd_ent));
	otab_init(&pm->fds_prev, sizeof(struct fd_ent));
	otab_init(&pm->ino, sizeof(struct ino_ent));
	otab_init(&pm->neg, sizeof(struct neg_ent));
	otab_init(&pm->neg_prev, sizeof(struct neg_ent));
	otab_init(&pm->comm, sizeof(struct comm_ent));
	otab_init(&pm->pids, sizeof(struct pid_ent));
	otab_init(&pm->pids_prev, sizeof(struct pid_ent));
	pm->full_pending = 1;
	*out = pm;
	return 0;
}

void procmap_free(struct procmap *pm)
{
	if (!pm)
		return;
	otab_free(&pm->fds);
	otab_free(&pm->fds_prev);
	otab_free(&pm->ino);
	otab_free(&pm->neg);
	otab_free(&pm->neg_prev);
	otab_free(&pm->comm);
	otab_free(&pm->pids);
	otab_free(&pm->pids_prev);
	free(pm->owners);
	free(pm->dents);
	free(pm);
}

void procmap_get_stats(const struct procmap *pm, struct procmap_stats *st)
{
	*st = pm->st;
}

/* Parse a decimal directory name; 0 if it is not one. */
static uint32_t parse_num(const char *name)
{
	uint64_t v = 0;

	if (!*name)
		return 0;
	for (; *name; name++) {
		if (*name < '0' || *name > '9')
			return 0;
		v = v * 10 + (uint64_t)(*name - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	return (uint32_t)v;
}

/* The socket inode a link target names ("socket:[123]"), 0 otherwise. */
static uint64_t socket_inode(const char *target)
{
	uint64_t v = 0;
	const char *p;

	if (strncmp(target, "socket:[", 8) != 0)
		return 0;
	for (p = target + 8; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return *p == ']' ? v : 0;
}

/* readlink name under dirfd and return the socket inode it names (0 for
 * anything else, including an fd that closed meanwhile). */
static uint64_t read_fd(struct procmap_stats *st, int dirfd, const char *name)
{
	char target[64];
	ssize_t n;

	st->readlinks++;
	n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return socket_inode(target);
}

/* What a directory walk does with each fd it lists (name under dirfd). */
typedef int (*fd_sink)(void *ctx, uint32_t pid, uint32_t fd, int dirfd,
		       const char *name);

/* An fd_sink: record fd of pid in this snapshot's table, reusing the last
 * snapshot's answer unless the fd is new or its socket is shared. */
static int note_fd(void *ctx, uint32_t pid, uint32_t fd, int dirfd,
		   const char *name)
{
	struct procmap *pm = ctx;
	uint64_t key = (uint64_t)pid << 32 | fd;
	const struct fd_ent *old = otab_find(&pm->fds_prev, key);
	struct fd_ent *e;
	uint64_t inode;
	uint32_t flags = 0;
	int created;

	if (old && !(old->flags & FDE_SHARED)) {
		inode = old->inode;
		flags = old->flags & FDE_IN_SNAP;
	} else {
		inode = read_fd(&pm->st, dirfd, name);
		flags = FDE_FRESH;
	}
	e = otab_insert(&pm->fds, key, &created);
	if (!e)
		return -ENOMEM;
	e->inode = inode;
	e->flags = flags;
	return 0;
}

/* List the fd directory of one process (dirfd, closed here) through dents
 * (DENTS_BUF bytes), handing each fd to sink. */
static int list_fds(uint8_t *dents, struct procmap_stats *st, uint32_t pid,
		    int dirfd, fd_sink sink, void *ctx)
{
	ssize_t n, off;
	int err = 0;

	st->fd_dirs++;
	while (err == 0 && (n = getdents64(dirfd, dents, DENTS_BUF)) > 0) {
		for (off = 0; off < n && err == 0; ) {
			struct dirent64 *d = (struct dirent64 *)(dents + off);
			uint32_t fd = parse_num(d->d_name);

			off += d->d_reclen;
			if (fd == 0 && strcmp(d->d_name, "0") != 0)
				continue;
			st->fds_listed++;
			err = sink(ctx, pid, fd, dirfd, d->d_name);
		}
	}
	close(dirfd);
	return err;
}

/* Fill pm->pids with the processes in /proc. */
static int list_pids(struct procmap *pm)
{
	int procfd, created, err = 0;
	ssize_t n, off;

	otab_clear(&pm->pids);
	procfd = open(pm->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return 0;
	while (err == 0 && (n = getdents64(procfd, pm->dents, DENTS_BUF)) > 0) {
		for (off = 0; off < n && err == 0; ) {
			struct dirent64 *d = (struct dirent64 *)(pm->dents + off);
			uint32_t pid = parse_num(d->d_name);

			off += d->d_reclen;
			if (!pid)
				continue;
			pm->st.proc_entries++;
			if (!otab_insert(&pm->pids, pid, &created))
				err = -ENOMEM;
		}
	}
	close(procfd);
	return err;
}

/* Write root/PID/fd into path (FD_DIR_MAX bytes). */
static void fd_dir_path(char path[FD_DIR_MAX], const char *root, uint64_t pid)
{
	snprintf(path, FD_DIR_MAX, "%s/%u/fd", root, (uint32_t)pid);
}

/* How many fds process pid has open: the size /proc/PID/fd reports since
 * Linux 6.2 (always 0 before, which only disables the shortcut). */
static uint32_t count_fds(const char *fddir)
{
	struct stat st;

	return stat(fddir, &st) == 0 ? (uint32_t)st.st_size : UINT32_MAX;
}

/* Open the fd directory of process p under root and note its fd count;
 * -1 when the process is gone or we may not look into it. */
static int open_fd_dir(const char *root, struct pid_ent *p)
{
	char path[FD_DIR_MAX];

	fd_dir_path(path, root, p->key);
	p->nfds = count_fds(path);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* List the fds of process p into the cache; a process that is gone or that
 * we may not look into is skipped. */
static int list_pid_fds(struct procmap *pm, struct pid_ent *p)
{
	int dirfd = open_fd_dir(pm->root, p);

	if (dirfd < 0)
		return 0;
	return list_fds(pm->dents, &pm->st, (uint32_t)p->key, dirfd,
			note_fd, pm);
}

/* List the fds of every process (or, with only_marked, of those marked
 * for relisting). */
static int list_all(struct procmap *pm, int only_marked)
{
	struct pid_ent *p;
	size_t i;
	int err = 0;

	for (i = 0; i < pm->pids.cap && err == 0; i++) {
		p = otab_slot(&pm->pids, i);
		if (p && (!only_marked || p->relist))
			err = list_pid_fds(pm, p);
	}
	return err;
}

/* One half of a parallel full rescan: its processes and what it found. */
struct walk_part {
	const char *root;
	struct pid_ent **pids;
	size_t npids;
	uint64_t weight;        /* fds of its processes, for balancing */
	struct fd_ent *found;
	size_t nfound, cap;
	uint8_t *dents;
	struct procmap_stats st;
	int err;
};

/* An fd_sink: read fd's link and append it to the part's list. */
static int collect_fd(void *ctx, uint32_t pid, uint32_t fd, int dirfd,
		      const char *name)
{
	struct walk_part *w = ctx;

	if (w->nfound == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 4096;
		struct fd_ent *f = realloc(w->found, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		w->found = f;
		w->cap = cap;
	}
	w->found[w->nfound++] = (struct fd_ent){
		.key = (uint64_t)pid << 32 | fd,
		.inode = read_fd(&w->st, dirfd, name),
		.flags = FDE_FRESH,
	};
	return 0;
}

/* Walk every process of a part (a thread body; split_pids already noted
 * each process's fd count). */
static void *walk_part_run(void *arg)
{
	struct walk_part *w = arg;
	char path[FD_DIR_MAX];
	int dirfd;

	for (size_t i = 0; i < w->npids && w->err == 0; i++) {
		fd_dir_path(path, w->root, w->pids[i]->key);
		dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd >= 0)
			w->err = list_fds(w->dents, &w->st,
					  (uint32_t)w->pids[i]->key, dirfd,
					  collect_fd, w);
	}
	return NULL;
}

/* qsort comparator: processes with more open fds first. */
static int more_fds_first(const void *a, const void *b)
{
	const struct pid_ent *x = *(struct pid_ent *const *)a;
	const struct pid_ent *y = *(struct pid_ent *const *)b;

	return (x->nfds < y->nfds) - (x->nfds > y->nfds);
}

/* Split the processes into two parts of about equal fd counts (largest
 * first, each to the lighter part).  buf (2 * pm->pids.n slots) ends with
 * part 0 at its start and part 1 at buf + pm->pids.n. */
static void split_pids(struct procmap *pm, struct pid_ent **buf,
		       struct walk_part part[2])
{
	char path[FD_DIR_MAX];
	size_t n = 0;

	for (size_t i = 0; i < pm->pids.cap; i++) {
		struct pid_ent *p = otab_slot(&pm->pids, i);

		if (!p)
			continue;
		fd_dir_path(path, pm->root, p->key);
		p->nfds = count_fds(path);
		buf[n++] = p;
	}
	qsort(buf, n, sizeof(*buf), more_fds_first);
	part[0].pids = buf;
	part[1].pids = buf + n;
	for (size_t i = 0; i < n; i++) {
		struct walk_part *w = &part[part[1].weight < part[0].weight];

		/* part 0 fills buf from the front, never past entry i */
		w->pids[w->npids++] = buf[i];
		w->weight += buf[i]->nfds == UINT32_MAX ? 1 : buf[i]->nfds;
	}
}

/* Move what the parts found into the cache and add up their counters. */
static int merge_parts(struct procmap *pm, struct walk_part part[2])
{
	int created;

	for (int k = 0; k < 2; k++) {
		if (part[k].err)
			return part[k].err;
		if (otab_reserve(&pm->fds, pm->fds.n + part[k].nfound) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < part[k].nfound; i++) {
			struct fd_ent *e = otab_insert(&pm->fds, part[k].found[i].key, &created);

			e->inode = part[k].found[i].inode;
			e->flags = FDE_FRESH;
		}
		pm->st.fd_dirs += part[k].st.fd_dirs;
		pm->st.fds_listed += part[k].st.fds_listed;
		pm->st.readlinks += part[k].st.readlinks;
	}
	return 0;
}

/*
 * A full rescan reads every fd link of every process: the bulk of a cold
 * snapshot (50k readlinks ~ 120 ms), and independent per process.  So the
 * processes are split in two halves walked on two threads; each collects
 * (pid, fd, inode) into its own list, merged into the cache afterwards.
 */
static int list_all_parallel(struct procmap *pm)
{
	struct walk_part part[2] = {
		{ .root = pm->root, .dents = pm->dents },
		{ .root = pm->root, .dents = malloc(DENTS_BUF) },
	};
	struct pid_ent **buf = malloc((2 * pm->pids.n + 1) * sizeof(*buf));
	pthread_t t;
	int threaded, err = buf && part[1].dents ? 0 : -ENOMEM;

	if (err == 0) {
		split_pids(pm, buf, part);
		threaded = pthread_create(&t, NULL, walk_part_run, &part[1]) == 0;
		walk_part_run(&part[0]);
		if (threaded)
			pthread_join(t, NULL);
		else
			walk_part_run(&part[1]);
		err = merge_parts(pm, part);
	}
	free(buf);
	free(part[0].found);
	free(part[1].found);
	free(part[1].dents);
	return err;
}

/* Index the socket inodes of the tick's snapshots (socket inodes are
 * unique across namespaces). */
static int build_ino(struct procmap *pm, struct snapshot **snaps, size_t n)
{
	size_t i, k, total = 0;
	int created;

	otab_clear(&pm->ino);
	for (k = 0; k < n; k++)
		total += snaps[k]->nrecs;
	if (otab_reserve(&pm->ino, total) < 0)
		return -ENOMEM;
	for (k = 0; k < n; k++)
		for (i = 0; i < snaps[k]->nrecs; i++)
			if (snaps[k]->recs[i].inode &&
			    !otab_insert(&pm->ino, snaps[k]->recs[i].inode,
					 &created))
				return -ENOMEM;
	return 0;
}

/* Has a socket with no known owner been searched for often enough? */
static int known_ownerless(const struct procmap *pm, uint64_t inode)
{
	const struct neg_ent *n = otab_find(&pm->neg_prev, inode);

	return n && n->misses >= NEG_MISSES;
}

/* Was a socket without owner in the last snapshot already without one? */
static int unowned_before(const struct procmap *pm, uint64_t inode)
{
	return otab_find(&pm->neg_prev, inode) != NULL;
}

/* Count each snapshot socket's owners; return how many sockets have none
 * and are still worth searching for (with persisting, only those that had
 * none in the last snapshot either). */
static size_t count_owners(struct procmap *pm, int persisting)
{
	struct ino_ent *ie;
	struct fd_ent *e;
	size_t i, unknown = 0;

	for (i = 0; i < pm->ino.cap; i++)
		if ((ie = otab_slot(&pm->ino, i)))
			ie->count = 0;
	for (i = 0; i < pm->fds.cap; i++) {
		e = otab_slot(&pm->fds, i);
		if (e && e->inode && (ie = otab_find(&pm->ino, e->inode)))
			ie->count++;
	}
	for (i = 0; i < pm->ino.cap; i++) {
		ie = otab_slot(&pm->ino, i);
		if (ie && ie->count == 0 && !known_ownerless(pm, ie->key) &&
		    (!persisting || unowned_before(pm, ie->key)))
			unknown++;
	}
	return unknown;
}

/* Read a cached fd's link again. */
static void reread(struct procmap *pm, struct fd_ent *e)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/%u/fd/%u", pm->root,
		 (uint32_t)(e->key >> 32), (uint32_t)e->key);
	e->inode = read_fd(&pm->st, AT_FDCWD, path);
	e->flags |= FDE_FRESH;
}

/* Re-read cached fds not read yet in this snapshot whose socket is not in
 * the snapshot: in stage 1 only those whose socket was in the last one (a
 * closed socket's fd number is often reused at once: few, so always done),
 * in stage 2 all of them, including non-socket fds. */
static void recheck(struct procmap *pm, int stage)
{
	struct fd_ent *e;
	size_t i;

	for (i = 0; i < pm->fds.cap; i++) {
		e = otab_slot(&pm->fds, i);
		if (!e || (e->flags & FDE_FRESH))
			continue;
		if (e->inode && otab_find(&pm->ino, e->inode))
			continue;
		if (stage == 1 && !(e->flags & FDE_IN_SNAP))
			continue;
		reread(pm, e);
	}
}

/* Remember, for the snapshot's unowned sockets, how many searches missed
 * them; searched says whether this snapshot searched everything. */
static int update_negative(struct procmap *pm, int searched)
{
	const struct ino_ent *ie;
	const struct neg_ent *old;
	struct neg_ent *n;
	size_t i;
	int created;

	otab_clear(&pm->neg);
	for (i = 0; i < pm->ino.cap; i++) {
		ie = otab_slot(&pm->ino, i);
		if (!ie || ie->count)
			continue;
		old = otab_find(&pm->neg_prev, ie->key);
		n = otab_insert(&pm->neg, ie->key, &created);
		if (!n)
			return -ENOMEM;
		n->misses = (old ? old->misses : 0) + (searched ? 1 : 0);
	}
	otab_swap(&pm->neg, &pm->neg_prev);
	return 0;
}

/* Mark the processes whose fds must be listed: new ones (forks) and those
 * whose number of open fds changed (dup, close, exec closing fds). */
static void mark_relist(struct procmap *pm)
{
	const struct pid_ent *old;
	struct pid_ent *p;
	char path[FD_DIR_MAX];
	size_t i;

	for (i = 0; i < pm->pids.cap; i++) {
		p = otab_slot(&pm->pids, i);
		if (!p)
			continue;
		old = otab_find(&pm->pids_prev, p->key);
		fd_dir_path(path, pm->root, p->key);
		p->nfds = old ? old->nfds : 0;
		p->relist = !old || count_fds(path) != old->nfds;
	}
}

/* Without listing every fd directory: keep the last snapshot's fds of the
 * processes still alive and unchanged, re-reading those of shared sockets,
 * and list the fds of the processes marked by mark_relist().  Returns 0 or
 * -ENOMEM. */
static int carry_over(struct procmap *pm)
{
	const struct fd_ent *old;
	const struct pid_ent *p;
	struct fd_ent *e;
	size_t i;
	int created;

	mark_relist(pm);
	for (i = 0; i < pm->fds_prev.cap; i++) {
		old = otab_slot(&pm->fds_prev, i);
		if (!old)
			continue;
		p = otab_find(&pm->pids, old->key >> 32);
		if (!p || p->relist)
			continue;
		e = otab_insert(&pm->fds, old->key, &created);
		if (!e)
			return -ENOMEM;
		e->inode = old->inode;
		e->flags = old->flags & FDE_IN_SNAP;
		if (old->flags & FDE_SHARED)
			reread(pm, e);
	}
	return list_all(pm, 1);
}

/* Phase 1 of a snapshot's search, which needs no snapshot: list /proc,
 * then either every fd directory (full rescan) or, from the last snapshot's
 * cache, only what changed.  Returns 0 or -ENOMEM. */
static int gather_fds(struct procmap *pm)
{
	int err;

	otab_clear(&pm->fds);
	err = list_pids(pm);
	if (err == 0)
		err = pm->full ? list_all_parallel(pm) : carry_over(pm);
	return err;
}

/* List /proc again, and the fd directories of the processes forked since
 * phase 1 listed it or whose fd count changed since (during the dumps: the
 * usual owners of unknown sockets).  The fds phase 1 found in a relisted
 * process are first marked "not a socket", so a closed one leaves no
 * ghost.  Phase 1's listing moves to pids_prev, which it no longer needs. */
static int list_new_pids(struct procmap *pm)
{
	const struct pid_ent *old, *p;
	struct fd_ent *e;
	size_t i;
	int err;

	otab_swap(&pm->pids, &pm->pids_prev);
	err = list_pids(pm);
	if (err < 0)
		return err;
	mark_relist(pm);
	for (i = 0; i < pm->fds.cap; i++) {
		e = otab_slot(&pm->fds, i);
		if (!e || !(p = otab_find(&pm->pids, e->key >> 32)))
			continue;
		old = otab_find(&pm->pids_prev, p->key);
		if (p->relist && old)
			e->inode = 0;
	}
	return list_all(pm, 1);
}

/* Phase 2: match the gathered fds with the sockets of the tick's
 * snapshots.  A socket with no known owner makes the processes forked
 * since phase 1 be listed, and if that does not find it every fd directory
 * (if phase 1 did not), then every fd not known to hold a live socket be
 * re-read.  Returns 0 or -ENOMEM. */
static int resolve_owners(struct procmap *pm, struct snapshot **snaps,
			  size_t n)
{
	int err, searched = pm->full;
	size_t unknown;

	err = build_ino(pm, snaps, n);
	if (err < 0)
		return err;
	recheck(pm, 1);
	unknown = count_owners(pm, 0);
	if (unknown > 0 && !pm->full) {
		err = list_new_pids(pm);
		if (err < 0)
			return err;
		/* what is still unknown is mostly the sockets of processes that
		 * exited since the dump: gone by the next snapshot, so only the
		 * sockets unowned in the last one too are searched further */
		unknown = count_owners(pm, 1);
	}
	if (unknown > 0 && !pm->full) {
		otab_clear(&pm->fds);
		err = list_all(pm, 0);
		if (err < 0)
			return err;
		recheck(pm, 1);
		unknown = count_owners(pm, 1);
	}
	if (unknown > 0) {
		recheck(pm, 2);
		searched = 1;
		count_owners(pm, 0);
	}
	otab_swap(&pm->pids, &pm->pids_prev);
	return update_negative(pm, searched);
}

/* Carry what this snapshot learnt to the next: which fds held a socket of
 * this snapshot, and which sockets are shared (their fds get re-read). */
static void mark_fds(struct procmap *pm)
{
	const struct ino_ent *ie;
	struct fd_ent *e;
	size_t i;

	for (i = 0; i < pm->fds.cap; i++) {
		e = otab_slot(&pm->fds, i);
		if (!e)
			continue;
		ie = e->inode ? otab_find(&pm->ino, e->inode) : NULL;
		e->flags = 0;
		if (ie)
			e->flags |= FDE_IN_SNAP;
		if (ie && ie->count > 1)
			e->flags |= FDE_SHARED;
	}
}

/* ss order within one socket: descending pid, then descending fd (ss adds
 * owners at the head of a hash chain while it walks /proc upwards). */
static int owner_cmp(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid > y->pid ? -1 : 1;
	if (x->fd != y->fd)
		return x->fd > y->fd ? -1 : 1;
	return 0;
}

/* Collect the owners of snapshot sockets, sorted, and point each socket's
 * ino entry at its run. */
static int collect_owners(struct procmap *pm)
{
	const struct fd_ent *e;
	struct ino_ent *ie;
	size_t i, cap;

	pm->nowners = 0;
	for (i = 0; i < pm->fds.cap; i++) {
		e = otab_slot(&pm->fds, i);
		if (!e || !(e->flags & FDE_IN_SNAP))
			continue;
		if (pm->nowners == pm->owners_cap) {
			struct owner *o;

			cap = pm->owners_cap ? 2 * pm->owners_cap : 1024;
			o = realloc(pm->owners, cap * sizeof(*o));
			if (!o)
				return -ENOMEM;
			pm->owners = o;
			pm->owners_cap = cap;
		}
		pm->owners[pm->nowners++] = (struct owner){
			.inode = e->inode,
			.pid = (uint32_t)(e->key >> 32),
			.fd = (uint32_t)e->key,
		};
	}
	if (pm->nowners)
		qsort(pm->owners, pm->nowners, sizeof(*pm->owners), owner_cmp);
	for (i = 0; i < pm->nowners; i++) {
		if (i > 0 && pm->owners[i - 1].inode == pm->owners[i].inode)
			continue;
		ie = otab_find(&pm->ino, pm->owners[i].inode);
		if (ie)
			ie->first = (uint32_t)i;
	}
	return 0;
}

/* The name of process pid, read once per snapshot; NULL if it is gone. */
static const char *comm_of(struct procmap *pm, uint32_t pid)
{
	struct comm_ent *c;
	char path[300];
	ssize_t n;
	int fd, created;

	c = otab_insert(&pm->comm, pid, &created);
	if (!c)
		return NULL;
	if (!created)
		return c->ok > 0 ? c->comm : NULL;
	pm->st.comm_reads++;
	c->ok = -1;
	snprintf(path, sizeof(path), "%s/%u/comm", pm->root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, c->comm, sizeof(c->comm) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	if (n > 0 && c->comm[n - 1] == '\n')
		n--;
	c->comm[n] = '\0';
	c->ok = 1;
	return c->comm;
}

/* Append the owners of record r to s. */
static int attach_one(struct procmap *pm, struct snapshot *s, size_t r)
{
	const struct ino_ent *ie = otab_find(&pm->ino, s->recs[r].inode);
	const char *comm;
	size_t i, first = s->nprocs;
	int err;

	if (!ie || ie->count == 0)
		return 0;
	for (i = ie->first; i < pm->nowners &&
	     pm->owners[i].inode == s->recs[r].inode; i++) {
		comm = comm_of(pm, pm->owners[i].pid);
		if (!comm)
			continue;
		err = snapshot_add_process(s, pm->owners[i].pid,
					   pm->owners[i].fd, comm);
		if (err < 0)
			return err;
	}
	s->recs[r].proc_first = (uint32_t)first;
	s->recs[r].proc_count = (uint32_t)(s->nprocs - first);
	return 0;
}

int procmap_refresh(struct procmap *pm, int64_t now_ns)
{
	pm->full = pm->full_pending || now_ns - pm->last_full_ns >= PROCMAP_RESCAN_NS;
	if (pm->full) {
		otab_clear(&pm->fds_prev);
		otab_clear(&pm->neg_prev);
		otab_clear(&pm->pids_prev);
		pm->last_full_ns = now_ns;
		pm->full_pending = 0;
		pm->st.full_rescans++;
	}
	pm->st.snapshots++;
	pm->refresh_err = gather_fds(pm);
	return pm->refresh_err;
}

int procmap_attach(struct procmap *pm, struct snapshot *s)
{
	return procmap_attach_all(pm, &s, 1);
}

int procmap_attach_all(struct procmap *pm, struct snapshot **snaps, size_t n)
{
	size_t i, k;
	int err = pm->refresh_err;

	if (err == 0)
		err = resolve_owners(pm, snaps, n);
	if (err == 0) {
		mark_fds(pm);
		err = collect_owners(pm);
	}
	otab_clear(&pm->comm);
	for (k = 0; err == 0 && k < n; k++)
		for (i = 0; err == 0 && i < snaps[k]->nrecs; i++)
			if (snaps[k]->recs[i].inode)
				err = attach_one(pm, snaps[k], i);
	otab_swap(&pm->fds, &pm->fds_prev);
	if (err < 0)
		pm->full_pending = 1;
	return err;
}
