/*
 * cgpath.c — the file's cgroup table, loaded whole at open (one row per
 * cgroup a boot's sockets used: small), sorted by (boot, id) for binary
 * search; see cgpath.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cgpath.h"
#include "ss_detail.h"

struct cg_row {
	int64_t boot;
	uint64_t id;
	char *path;             /* NULL: no cgroup2 where recorded */
};

static struct {
	bool noted;             /* the "not mounted" note was printed */
	int64_t boot;           /* of the current frame */
	int64_t live_boot;      /* the boot row of the running kernel, or 0 */
	struct cg_row *v;
	size_t n;
} cg;

/* qsort/bsearch order: boot, then id. */
static int row_cmp(const void *a, const void *b)
{
	const struct cg_row *x = a, *y = b;

	if (x->boot != y->boot)
		return x->boot < y->boot ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

void cgpath_reset(void)
{
	for (size_t i = 0; i < cg.n; i++)
		free(cg.v[i].path);
	free(cg.v);
	memset(&cg, 0, sizeof(cg));
}

/* The boot row of db that is the running kernel's boot, or 0. */
static int64_t live_boot(sqlite3 *db)
{
	char id[64] = "";
	sqlite3_stmt *q;
	int64_t boot = 0;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (f) {
		if (!fgets(id, sizeof(id), f))
			id[0] = '\0';
		fclose(f);
	}
	id[strcspn(id, "\n")] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT id FROM boot WHERE boot_id = ?1",
			       -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		boot = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return boot;
}

void cgpath_use(struct store *st)
{
	sqlite3 *db = store_sqlite(st);
	sqlite3_stmt *q;
	size_t cap = 0;
	const char *p;

	cgpath_reset();
	cg.live_boot = live_boot(db);
	if (sqlite3_prepare_v2(db, "SELECT boot, id, path FROM cgroup", -1,
			       &q, NULL) != SQLITE_OK)
		return;         /* before format 4: no table */
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (cg.n == cap) {
			struct cg_row *v;

			cap = cap ? 2 * cap : 64;
			v = realloc(cg.v, cap * sizeof(*v));
			if (!v)
				break;
			cg.v = v;
		}
		p = (const char *)sqlite3_column_text(q, 2);
		cg.v[cg.n] = (struct cg_row){
			.boot = sqlite3_column_int64(q, 0),
			.id = (uint64_t)sqlite3_column_int64(q, 1),
			.path = p ? strdup(p) : NULL,
		};
		if (!p || cg.v[cg.n].path)
			cg.n++;
	}
	sqlite3_finalize(q);
	if (cg.n)
		qsort(cg.v, cg.n, sizeof(*cg.v), row_cmp);
}

void cgpath_frame(const struct frame_info *fi)
{
	cg.boot = fi->boot;
}

/* The recorded row of id in the current boot, or NULL. */
static const struct cg_row *find(uint64_t id)
{
	struct cg_row key = { .boot = cg.boot, .id = id };

	return cg.n ? bsearch(&key, cg.v, cg.n, sizeof(*cg.v), row_cmp) :
		      NULL;
}

/* Did the recorder of the current boot record cgroups (any row)?  Not
 * for boots recorded before format 4, or a format-1 file the reader
 * migrated in memory (an empty table). */
static bool boot_recorded(void)
{
	size_t lo = 0, hi = cg.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cg.v[mid].boot < cg.boot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < cg.n && cg.v[lo].boot == cg.boot;
}

const char *cgpath_of(uint64_t id)
{
	static char buf[64];
	const struct cg_row *r;

	if (!boot_recorded())
		return ss_cgroup_path(id);
	r = find(id);
	if (r && r->path)
		return r->path;
	if (cg.boot == cg.live_boot) {
		const char *live = ss_cgroup_path(id);

		if (!r || strncmp(live, "unreachable:", 12) != 0)
			return live;
	}
	if (r && !cg.noted) {
		fprintf(stderr, "sockhist: cgroup2 was not mounted where this was recorded: showing cgroup ids\n");
		cg.noted = true;
	}
	snprintf(buf, sizeof(buf), "unreachable:%llx", (unsigned long long)id);
	return buf;
}

bool cgpath_is(uint64_t id, const char *path, uint64_t live_id)
{
	const struct cg_row *r;

	if (!boot_recorded())
		return id == live_id;
	r = find(id);
	if ((!r || !r->path) && cg.boot == cg.live_boot)
		return id == live_id;
	return r && r->path && strcmp(r->path, path) == 0;
}
