/*
 * test-cgmap.c — cgroup id -> path map over a directory tree posing as the
 * cgroup2 mount (a mountinfo file naming it; ids are directory inodes, as
 * on cgroup2): paths as ss prints them, walks only for new ids and at most
 * once per CGMAP_RESCAN_NS, ids given up, and no mount at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sys/stat.h>

#include "cgmap.h"

static char root[64], mountinfo[128];

/* A directory's inode (its cgroup id on cgroup2). */
static uint64_t ino(const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_ino;
}

/* Make a directory under the fake mount. */
static void mk(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Write a mountinfo file; with cgroup2, one line names root as the
 * cgroup2 mount (its space escaped, as the kernel writes it). */
static void write_mountinfo(int cgroup2)
{
	FILE *f = fopen(mountinfo, "w");
	char esc[128], *o = esc;

	assert_non_null(f);
	for (const char *p = root; *p; p++)
		o += *p == ' ' ? sprintf(o, "\\040") : sprintf(o, "%c", *p);
	*o = '\0';
	fprintf(f, "22 1 0:21 / /proc rw,relatime shared:12 - proc proc rw\n");
	fprintf(f, "31 23 0:28 / /tmp/cg1 rw - cgroup cgroup rw,cpu\n");
	if (cgroup2)
		fprintf(f, "41 31 0:38 / %s rw,relatime shared:9 - cgroup2 cgroup2 rw\n",
			esc);
	fclose(f);
}

/* A snapshot whose records use these cgroup ids. */
static void snap_of(struct snapshot *s, const uint64_t *ids, size_t n)
{
	snapshot_reset(s);
	for (size_t i = 0; i < n; i++) {
		struct sock_record *r = snapshot_add_record(s);

		assert_non_null(r);
		r->cookie = i + 1;
		r->has |= SR_HAS_CGROUP;
		r->cgroup_id = ids[i];
	}
}

/* The path handed out for id, or "-" for none, "?" if not handed out. */
static const char *handed(const struct cgmap *cg, uint64_t id)
{
	const struct store_cgroup *v;
	size_t n = cgmap_new_entries(cg, &v);

	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return v[i].path ? v[i].path : "-";
	return "?";
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/cg map.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(mountinfo, sizeof(mountinfo), "%s/mountinfo", root);
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_paths_and_walks(void **state)
{
	struct cgmap *cg;
	struct snapshot s;
	uint64_t ids[3];
	int64_t now = 1;

	(void)state;
	mk("/system.slice");
	mk("/system.slice/a b.service");
	write_mountinfo(1);
	assert_int_equal(cgmap_new(mountinfo, &cg), 0);
	assert_string_equal(cgmap_mounted(cg), root);
	assert_int_equal(snapshot_init(&s), 0);

	ids[0] = ino("");
	ids[1] = ino("/system.slice/a b.service");
	snap_of(&s, ids, 2);
	assert_int_equal(cgmap_update(cg, &s, now), 0);
	assert_int_equal(cgmap_walks(cg), 1);
	assert_string_equal(handed(cg, ids[0]), "/");
	assert_string_equal(handed(cg, ids[1]), "/system.slice/a b.service");
	cgmap_done(cg);

	/* nothing new: no walk, nothing handed out again */
	assert_int_equal(cgmap_update(cg, &s, now += 1), 0);
	assert_int_equal(cgmap_walks(cg), 1);
	assert_string_equal(handed(cg, ids[0]), "?");

	/* a new cgroup: walked for, but not twice within CGMAP_RESCAN_NS */
	mk("/user.slice");
	ids[2] = ino("/user.slice");
	snap_of(&s, ids, 3);
	assert_int_equal(cgmap_update(cg, &s, now += 1), 0);
	assert_int_equal(cgmap_walks(cg), 1);
	assert_string_equal(handed(cg, ids[2]), "?");
	assert_int_equal(cgmap_update(cg, &s, now += CGMAP_RESCAN_NS), 0);
	assert_int_equal(cgmap_walks(cg), 2);
	assert_string_equal(handed(cg, ids[2]), "/user.slice");
	cgmap_done(cg);

	/* an id the tree lacks (cgroup gone) is given up after one walk */
	ids[2] = 0x7fffffffffull;
	snap_of(&s, ids, 3);
	assert_int_equal(cgmap_update(cg, &s, now += CGMAP_RESCAN_NS), 0);
	assert_int_equal(cgmap_walks(cg), 3);
	assert_string_equal(handed(cg, ids[2]), "?");
	assert_int_equal(cgmap_update(cg, &s, now += CGMAP_RESCAN_NS), 0);
	assert_int_equal(cgmap_walks(cg), 3);
	snapshot_free(&s);
	cgmap_free(cg);
}

static void test_no_cgroup2(void **state)
{
	struct cgmap *cg;
	struct snapshot s;
	uint64_t ids[2] = { 1, 4242 };

	(void)state;
	write_mountinfo(0);
	assert_int_equal(cgmap_new(mountinfo, &cg), 0);
	assert_null(cgmap_mounted(cg));
	assert_int_equal(snapshot_init(&s), 0);
	snap_of(&s, ids, 2);
	assert_int_equal(cgmap_update(cg, &s, 1), 0);
	assert_int_equal(cgmap_walks(cg), 0);
	assert_string_equal(handed(cg, 1), "-");
	assert_string_equal(handed(cg, 4242), "-");
	cgmap_done(cg);
	assert_int_equal(cgmap_update(cg, &s, 2), 0);
	assert_string_equal(handed(cg, 1), "?");
	snapshot_free(&s);
	cgmap_free(cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths_and_walks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_cgroup2, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
