/*
 * store_cgroup.c — the cgroup table: the writer records the path of every
 * cgroup id a boot's sockets used (store_put_cgroups in store.h).  Rare
 * (new cgroups only), so one small transaction of its own beside the
 * frame's, with a statement prepared per call.
 */
#include <errno.h>

#include "store_int.h"

int store_put_cgroups(struct store *st, const struct store_cgroup *v,
		      size_t n)
{
	sqlite3_stmt *q = NULL;
	int rc, err;

	if (n == 0)
		return 0;
	err = store_exec(st, "BEGIN IMMEDIATE");
	if (err < 0)
		return err;
	rc = sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO cgroup "
				"(boot, id, path) VALUES (?1, ?2, ?3)", -1, &q,
				NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		sqlite3_bind_int64(q, 1, st->boot);
		sqlite3_bind_int64(q, 2, (int64_t)v[i].id);
		if (v[i].path)
			sqlite3_bind_text(q, 3, v[i].path, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(q, 3);
		rc = sqlite3_step(q);
		rc = rc == SQLITE_DONE ? sqlite3_reset(q) : rc;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_OK) {
		err = store_fail_sqlite(st, rc);
		store_exec(st, "ROLLBACK");
		return err;
	}
	return store_exec(st, "COMMIT");
}
