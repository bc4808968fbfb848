/*
 * store_int.h — what the store's files share (not a public API):
 * the handle, its cached statements and the error helpers.
 *   store.c        open, create, migrate, refuse; reading frames
 *   store_append.c the writer's transaction, chains, retention
 *   store_cgroup.c the cgroup table (id -> path per boot)
 *   store_index.c  what a frame adds besides itself: counts per netid x
 *                  state, the socket lifetime index, the rollups
 *   store_closed.c batches of close events (sock_diag destroy)
 */
#ifndef SOCKHIST_STORE_INT_H
#define SOCKHIST_STORE_INT_H

#include <sqlite3.h>

#include "chain.h"
#include "store.h"

#define STORE_PAGE_SIZE 4096

enum stmt_id {
	/* writer */
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_INSERT, ST_SET_KEY, ST_COUNT_ROW,
	ST_SOCKSTAT_ADD,
	ST_SOCK_NEW, ST_SOCK_GONE, ST_STR_ADD, ST_STR_ID, ST_ROLLUP,
	ST_NETNS_ADD, ST_NETNS_ID,
	ST_CLOSED_BATCH, ST_CLOSED_SEEN, ST_CLOSED_FIRST, ST_CLOSED_BEFORE,
	ST_CLOSED_ADD,
	ST_WRITER_END,
	/* reader (and writer) */
	ST_AT = ST_WRITER_END, ST_BY_ID, ST_CHAIN, ST_EACH, ST_CHAIN_END,
	ST_COUNT
};

/* The socket lifetime index's view of the newest frame of one namespace:
 * which sockets were open in it. */
struct lifetimes {
	int valid;                       /* loaded for this netns and boot */
	int64_t boot;
	int64_t netns_id;                /* netns.id */
	int64_t prev_frame;              /* newest frame before this one */
	uint64_t *open;                  /* sorted cookies open in it */
	size_t nopen, cap;
};

/* What the writer keeps per network namespace: its current chain and its
 * lifetime index state.  Frames of several namespaces interleave in the
 * file, each namespace's forming chains of their own. */
struct ns_writer {
	uint64_t ino;                    /* namespace inode */
	struct chain enc;                /* the chain being written */
	int64_t key_id;                  /* its keyframe's id; 0 none */
	struct kstat kstat;              /* the counters the chain's rows
					  * say now (a row is written only
					  * when they change) */
	struct lifetimes lt;
};

/* Decoders a reader keeps (chain states replayed, keyed by keyframe id),
 * so interleaved chains are each replayed once. */
#define STORE_DECODERS 64

struct decoder {
	struct chain c;                  /* valid when ready */
	int ready;                       /* c was initialised */
	int64_t key, at;                 /* chain and frame reached; key 0:
					  * holds nothing */
	uint64_t used;                   /* LRU clock of the last use */
};

struct store {
	sqlite3 *db;
	enum store_mode mode;
	int64_t version;                 /* format of the open file or copy */
	int64_t boot;                    /* boot row of this writer */
	sqlite3_stmt *stmt[ST_COUNT];
	char msg[256];
	/* writer */
	struct ns_writer *ns;            /* per namespace written */
	size_t nns, ns_cap;
	struct ns_writer *cur;           /* the one of the frame being
					  * appended (or migrated) */
	struct store_limits lim;
	int64_t *str_ids;                /* per snapshot pool offset: str.id */
	size_t str_ids_cap;
	/* reader: the chains replayed last, for loads that continue them */
	struct decoder dec[STORE_DECODERS];
	uint64_t dec_clock;
	int skip_blobs;
};

/* Record a printf-style message as the last error; returns code. */
int store_fail(struct store *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Map an SQLite result code to a negative errno with a message. */
int store_fail_sqlite(struct store *st, int rc);
/* Run SQL text without results. */
int store_exec(struct store *st, const char *sql);
/* Step a cached statement expected to finish without rows; reset it. */
int store_step_done(struct store *st, enum stmt_id id);
/* Run a one-off statement with integer parameters ?1 = a, ?2 = b; *out is
 * its first column (def when there is no row or it is NULL). */
int store_query_int(struct store *st, const char *sql, int64_t a, int64_t b,
		    int64_t def, int64_t *out);
/* The netns.id of namespace ino, its row created when missing.  Returns 0
 * or a negative code. */
int store_netns_id(struct store *st, uint64_t ino, int64_t *id);
/* Prepare a cached statement on first use; NULL after recording why. */
sqlite3_stmt *store_stmt(struct store *st, enum stmt_id id);

/* store_index.c: index frame `id` (snapshot s) inside the open
 * transaction, with the lifetime state of st->cur.  Returns 0 or a
 * negative code. */
int index_frame(struct store *st, int64_t id, const struct snapshot *s);
/* Forget a lifetime index state (after a rollback or a migration). */
void index_forget(struct lifetimes *lt);
void index_free(struct lifetimes *lt);

/* store_append.c: the writer state of namespace ino, created when new
 * (NULL, with a message, when memory ran out). */
struct ns_writer *store_ns_writer(struct store *st, uint64_t ino);
/* Free every namespace's writer state. */
void store_ns_free_all(struct store *st);

/* store_append.c: index every version-1 frame (counts and lifetimes)
 * inside the caller's transaction, after migrate-2.sql made the tables. */
int store_migrate_v1(struct store *st);

#endif
