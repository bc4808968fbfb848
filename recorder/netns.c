/*
 * netns.c — the set of namespaces recorded (netns.h): one pass per tick
 * over the specs, /run/netns and /proc/PID/ns/net stat'ed (never opened
 * unless new), entries found by inode through a small hash table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "netns.h"
#include "otab.h"

/* Index entry: namespace inode -> position in set->ents. */
struct ino_slot {
	uint64_t key;
	size_t pos;
};

int netns_init(struct netns_set *set)
{
	struct stat st;

	memset(set, 0, sizeof(*set));
	otab_init(&set->index, sizeof(struct ino_slot));
	set->home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (set->home < 0 || fstat(set->home, &st) < 0)
		return -errno;
	set->nsfs_dev = (uint64_t)st.st_dev;
	return 0;
}

/* Is fd a network namespace? */
static int is_netns_fd(int fd)
{
	return ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
}

/* Resolve /proc/self/ and /proc/thread-self/ to the recorder's pid and
 * thread, so a PATH keeps naming the namespace it named at the start. */
static void resolve_self(const char *arg, char *out, size_t len)
{
	static const char self[] = "/proc/self/", tself[] = "/proc/thread-self/";

	if (!strncmp(arg, self, sizeof(self) - 1))
		snprintf(out, len, "/proc/%d/%s", (int)getpid(),
			 arg + sizeof(self) - 1);
	else if (!strncmp(arg, tself, sizeof(tself) - 1))
		snprintf(out, len, "/proc/%d/task/%d/%s", (int)getpid(),
			 (int)gettid(), arg + sizeof(tself) - 1);
	else
		snprintf(out, len, "%s", arg);
}

int netns_add_spec(struct netns_set *set, const char *arg, const char **why)
{
	struct netns_spec sp, *p;
	int fd;

	memset(&sp, 0, sizeof(sp));
	*why = NULL;
	if (!strcmp(arg, "all")) {
		sp.all = 1;
	} else if (strchr(arg, '/')) {
		resolve_self(arg, sp.path, sizeof(sp.path));
	} else if (*arg && strcmp(arg, ".") && strcmp(arg, "..") &&
		   strlen(arg) < sizeof(sp.name)) {
		snprintf(sp.name, sizeof(sp.name), "%s", arg);
		snprintf(sp.path, sizeof(sp.path), NETNS_RUN_DIR "/%s", arg);
	} else {
		*why = "not a namespace name";
		return -EINVAL;
	}
	if (!sp.all) {
		fd = open(sp.path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && *sp.name)
			*why = "no such network namespace (" NETNS_RUN_DIR
			       "/NAME)";
		if (fd < 0)
			return -errno;
		int ok = is_netns_fd(fd);
		close(fd);
		if (!ok) {
			*why = "not a network namespace";
			return -EINVAL;
		}
	}
	p = realloc(set->specs, (set->nspecs + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	set->specs = p;
	set->specs[set->nspecs++] = sp;
	return 0;
}

/* Rebuild the inode index after entries moved. */
static int reindex(struct netns_set *set)
{
	struct ino_slot *e;
	int created;

	otab_clear(&set->index);
	for (size_t i = 0; i < set->n; i++) {
		e = otab_insert(&set->index, set->ents[i]->ino, &created);
		if (!e)
			return -ENOMEM;
		e->pos = i;
	}
	return 0;
}

/* Release entry i (close everything held in its namespace) and drop it. */
static void release(struct netns_set *set, size_t i)
{
	struct netns_entry *e = set->ents[i];

	capture_close(&e->cap);
	snapshot_free(&e->snap);
	free(e);
	set->ents[i] = set->ents[--set->n];
}

void netns_free(struct netns_set *set)
{
	while (set->n)
		release(set, set->n - 1);
	free(set->ents);
	free(set->specs);
	otab_free(&set->index);
	if (set->home >= 0)
		close(set->home);
	memset(set, 0, sizeof(*set));
}

/* Read /proc/PID/comm into buf ("" when it is gone). */
static void read_comm(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	n = n < 0 ? 0 : n;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
}

/* The /run/netns name of namespace ino into buf ("" when it has none):
 * for a namespace found by a PATH. */
static void run_netns_name(const struct netns_set *set, uint64_t ino,
			   char *buf, size_t len)
{
	DIR *dir = opendir(NETNS_RUN_DIR);
	struct dirent *d;
	struct stat st;

	buf[0] = '\0';
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] != '.' &&
		    fstatat(dirfd(dir), d->d_name, &st, 0) == 0 &&
		    (uint64_t)st.st_dev == set->nsfs_dev &&
		    (uint64_t)st.st_ino == ino) {
			snprintf(buf, len, "%s", d->d_name);
			break;
		}
	}
	if (dir)
		closedir(dir);
}

/* Log a failure to open a namespace, once per kind of failure. */
static void report(struct netns_set *set, const char *path, int err)
{
	if (err != set->last_err)
		fprintf(stderr, "sockhistd: network namespace %s: %s\n", path,
			strerror(-err));
	set->last_err = err;
}

/* A new namespace ino found at path: open its capture and add it.
 * Returns 0 (also when it could not be opened: skipped until the next
 * tick) or -ENOMEM. */
static int add_entry(struct netns_set *set, uint64_t ino, const char *path,
		     const char *name, uint32_t pid)
{
	struct netns_entry *e, **ents;
	struct stat st;
	char label[320];
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;       /* the holder exited meanwhile */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_ino != ino ||
	    !is_netns_fd(fd)) {
		close(fd);
		return 0;
	}
	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 16;
		ents = realloc(set->ents, cap * sizeof(*ents));
		if (!ents) {
			close(fd);
			return -ENOMEM;
		}
		set->ents = ents;
		set->cap = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e || snapshot_init(&e->snap) < 0) {
		free(e);
		close(fd);
		return -ENOMEM;
	}
	e->ino = ino;
	if (name)
		snprintf(e->name, sizeof(e->name), "%s", name);
	else
		run_netns_name(set, ino, e->name, sizeof(e->name));
	if (!*e->name && pid) {
		e->pid = pid;
		read_comm(pid, e->comm, sizeof(e->comm));
	}
	if (*e->name)
		snprintf(label, sizeof(label), "netns %s", e->name);
	else
		snprintf(label, sizeof(label), "netns %llu (pid %u %s)",
			 (unsigned long long)ino, e->pid, e->comm);
	err = capture_open(&e->cap, fd, set->home, ino, label);
	if (err < 0) {
		report(set, path, err);
		snapshot_free(&e->snap);
		free(e);
		return err == -ENOMEM ? err : 0;
	}
	e->fresh = e->seen = 1;
	set->ents[set->n++] = e;
	struct ino_slot *slot;
	int created;
	slot = otab_insert(&set->index, ino, &created);
	if (!slot)
		return -ENOMEM;
	slot->pos = set->n - 1;
	return 0;
}

/* Namespace ino was found at path (name: its /run/netns name; pid: a
 * holder).  Returns 0 or -ENOMEM. */
static int found(struct netns_set *set, uint64_t ino, const char *path,
		 const char *name, uint32_t pid)
{
	struct ino_slot *slot = otab_find(&set->index, ino);

	if (slot) {
		struct netns_entry *e = set->ents[slot->pos];
		e->seen = 1;
		/* First seen through a process (ip netns add's child, before
		 * the bind mount): now it has its name. */
		if (name && *name && !*e->name) {
			snprintf(e->name, sizeof(e->name), "%s", name);
			e->pid = 0;
			e->comm[0] = '\0';
			e->fresh = 1;
		}
		return 0;
	}
	return add_entry(set, ino, path, name, pid);
}

/* Every name in /run/netns that is a namespace. */
static int scan_run_dir(struct netns_set *set)
{
	char path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 1];
	struct dirent *d;
	struct stat st;
	DIR *dir = opendir(NETNS_RUN_DIR);
	int err = 0;

	if (!dir)
		return 0;
	while (err == 0 && (d = readdir(dir))) {
		if (d->d_name[0] == '.' ||
		    fstatat(dirfd(dir), d->d_name, &st, 0) < 0 ||
		    (uint64_t)st.st_dev != set->nsfs_dev)
			continue;
		snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", d->d_name);
		err = found(set, (uint64_t)st.st_ino, path, d->d_name, 0);
	}
	closedir(dir);
	return err;
}

/* The network namespace of every process: one stat each. */
static int scan_proc(struct netns_set *set)
{
	char path[64];
	struct dirent *d;
	struct stat st;
	DIR *dir = opendir("/proc");
	int err = 0;

	if (!dir)
		return 0;
	while (err == 0 && (d = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);
		if (*end || d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%lu/ns/net", pid);
		if (fstatat(dirfd(dir), path, &st, 0) < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/ns/net", pid);
		err = found(set, (uint64_t)st.st_ino, path, NULL,
			    (uint32_t)pid);
	}
	closedir(dir);
	return err;
}

/* The namespace of one NAME or PATH spec, logging once when it is gone. */
static int scan_spec(struct netns_set *set, struct netns_spec *sp)
{
	struct stat st;
	unsigned pid = 0;
	int err = 0;

	if (stat(sp->path, &st) < 0 || (uint64_t)st.st_dev != set->nsfs_dev) {
		if (!sp->missing)
			fprintf(stderr, "sockhistd: network namespace %s is gone\n",
				sp->path);
		sp->missing = 1;
		return 0;
	}
	if (sp->missing)
		fprintf(stderr, "sockhistd: network namespace %s is back\n",
			sp->path);
	sp->missing = 0;
	if (!*sp->name)
		sscanf(sp->path, "/proc/%u/", &pid);
	err = found(set, (uint64_t)st.st_ino, sp->path,
		    *sp->name ? sp->name : NULL, pid);
	return err;
}

int netns_refresh(struct netns_set *set,
		  void (*gone)(uint64_t ino, void *arg), void *arg)
{
	size_t i;
	int err = 0;

	for (i = 0; i < set->n; i++)
		set->ents[i]->seen = set->ents[i]->fresh = 0;
	for (i = 0; err == 0 && i < set->nspecs; i++) {
		if (set->specs[i].all) {
			err = scan_run_dir(set);
			if (err == 0)
				err = scan_proc(set);
		} else {
			err = scan_spec(set, &set->specs[i]);
		}
	}
	if (err < 0)
		return err;
	for (i = set->n; i-- > 0; ) {
		if (set->ents[i]->seen)
			continue;
		gone(set->ents[i]->ino, arg);
		release(set, i);
	}
	return reindex(set);
}
