/*
 * cgmap.c — cgroup id -> path map of the cgroup2 tree, walked again only for
 * ids it does not know (see cgmap.h).
 *
 * Tables (otab.h): dirs, id -> offset of the path in pool, the last walk's
 * tree; ids, every id a snapshot used -> whether it was handed out (or
 * given up) yet.  New entries own copies of their paths, so a walk may
 * rebuild the tree while they wait to be stored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "cgmap.h"
#include "otab.h"

struct dir_ent {
	uint64_t key;           /* cgroup id */
	uint32_t off;           /* path in pool */
};

struct id_ent {
	uint64_t key;           /* cgroup id */
	uint32_t done;          /* handed out or given up */
};

struct cgmap {
	char *mnt;              /* cgroup2 mount point, NULL if none */
	struct otab dirs, ids;
	char *pool;
	size_t pool_len, pool_cap;
	struct store_cgroup *fresh;
	size_t nfresh, fresh_cap;
	int64_t last_walk_ns;
	uint64_t walks;
};

/* Undo mountinfo's octal escapes (\040 for a space...) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The mount point of the first cgroup2 line of mountinfo (malloc'd), or
 * NULL: the fifth field, the file system type after the " - " separator. */
static char *find_cgroup2(const char *mountinfo)
{
	char *line = NULL, *mnt = NULL, *sep, *field;
	size_t cap = 0;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return NULL;
	while (!mnt && getline(&line, &cap, f) > 0) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = '\0';
		field = line;
		for (int i = 0; i < 4 && field; i++)
			field = strchr(field, ' ') ? strchr(field, ' ') + 1 : NULL;
		if (!field)
			continue;
		field[strcspn(field, " ")] = '\0';
		unescape(field);
		mnt = strdup(field);
	}
	free(line);
	fclose(f);
	return mnt;
}

int cgmap_new(const char *mountinfo, struct cgmap **out)
{
	struct cgmap *cg = calloc(1, sizeof(*cg));

	*out = NULL;
	if (!cg)
		return -ENOMEM;
	cg->mnt = find_cgroup2(mountinfo ? mountinfo : "/proc/self/mountinfo");
	otab_init(&cg->dirs, sizeof(struct dir_ent));
	otab_init(&cg->ids, sizeof(struct id_ent));
	*out = cg;
	return 0;
}

void cgmap_free(struct cgmap *cg)
{
	if (!cg)
		return;
	cgmap_done(cg);
	free(cg->fresh);
	otab_free(&cg->dirs);
	otab_free(&cg->ids);
	free(cg->pool);
	free(cg->mnt);
	free(cg);
}

const char *cgmap_mounted(const struct cgmap *cg)
{
	return cg->mnt;
}

uint64_t cgmap_walks(const struct cgmap *cg)
{
	return cg->walks;
}

/* Remember directory ino at path (relative, "" for the root). */
static int add_dir(struct cgmap *cg, uint64_t ino, const char *path)
{
	const char *p = *path ? path : "/";
	size_t len = strlen(p) + 1;
	struct dir_ent *d;
	int created;

	if (cg->pool_len + len > cg->pool_cap) {
		size_t cap = cg->pool_cap ? 2 * cg->pool_cap : 4096;
		char *np;

		while (cap < cg->pool_len + len)
			cap *= 2;
		if (cap > UINT32_MAX || !(np = realloc(cg->pool, cap)))
			return -ENOMEM;
		cg->pool = np;
		cg->pool_cap = cap;
	}
	d = otab_insert(&cg->dirs, ino, &created);
	if (!d)
		return -ENOMEM;
	d->off = (uint32_t)cg->pool_len;
	memcpy(cg->pool + cg->pool_len, p, len);
	cg->pool_len += len;
	return 0;
}

/* Walk the directory dirfd (closed here), whose path relative to the mount
 * is path[0..len), and everything under it.  Unreadable or vanished
 * directories are skipped. */
static int walk(struct cgmap *cg, int dirfd, char path[PATH_MAX], size_t len)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, err;

	path[len] = '\0';
	if (fstat(dirfd, &st) < 0 || !(d = fdopendir(dirfd))) {
		close(dirfd);
		return 0;
	}
	err = add_dir(cg, (uint64_t)st.st_ino, path);
	while (err == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || len + n + 2 > PATH_MAX)
			continue;
		fd = openat(dirfd, de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, n);
		err = walk(cg, fd, path, len + 1 + n);
	}
	closedir(d);
	return err;
}

/* Rebuild the tree from the mount. */
static int walk_tree(struct cgmap *cg, int64_t now_ns)
{
	char path[PATH_MAX];
	int fd;

	cg->walks++;
	cg->last_walk_ns = now_ns;
	otab_clear(&cg->dirs);
	cg->pool_len = 0;
	fd = open(cg->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? 0 : walk(cg, fd, path, 0);
}

/* Hand out id with path (copied; NULL for none). */
static int add_fresh(struct cgmap *cg, uint64_t id, const char *path)
{
	char *copy = NULL;

	if (cg->nfresh == cg->fresh_cap) {
		size_t cap = cg->fresh_cap ? 2 * cg->fresh_cap : 16;
		struct store_cgroup *v = realloc(cg->fresh, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		cg->fresh = v;
		cg->fresh_cap = cap;
	}
	if (path && !(copy = strdup(path)))
		return -ENOMEM;
	cg->fresh[cg->nfresh++] = (struct store_cgroup){ id, copy };
	return 0;
}

/* Resolve the ids of s not handed out yet; with give_up, drop those the
 * tree lacks.  Sets *missing when one is left. */
static int resolve(struct cgmap *cg, const struct snapshot *s, int give_up,
		   int *missing)
{
	const struct dir_ent *d;
	struct id_ent *e;
	int created, err = 0;

	*missing = 0;
	for (size_t i = 0; err == 0 && i < s->nrecs; i++) {
		const struct sock_record *r = &s->recs[i];

		if (!(r->has & SR_HAS_CGROUP) || !r->cgroup_id)
			continue;
		e = otab_insert(&cg->ids, r->cgroup_id, &created);
		if (!e)
			return -ENOMEM;
		if (e->done)
			continue;
		d = cg->mnt ? otab_find(&cg->dirs, r->cgroup_id) : NULL;
		if (d || !cg->mnt)
			err = add_fresh(cg, r->cgroup_id,
					d ? cg->pool + d->off : NULL);
		else if (!give_up) {
			*missing = 1;
			continue;
		}
		e->done = 1;
	}
	return err;
}

int cgmap_update(struct cgmap *cg, const struct snapshot *s, int64_t now_ns)
{
	int missing, err = resolve(cg, s, 0, &missing);

	if (err < 0 || !missing)
		return err;
	if (cg->walks && now_ns - cg->last_walk_ns < CGMAP_RESCAN_NS)
		return 0;
	err = walk_tree(cg, now_ns);
	return err < 0 ? err : resolve(cg, s, 1, &missing);
}

size_t cgmap_new_entries(const struct cgmap *cg,
			 const struct store_cgroup **out)
{
	*out = cg->fresh;
	return cg->nfresh;
}

void cgmap_done(struct cgmap *cg)
{
	for (size_t i = 0; i < cg->nfresh; i++)
		free((char *)cg->fresh[i].path);
	cg->nfresh = 0;
}
