-- schema.sql — the sockhist database as format version 1 created it.
--
-- A new file gets this, then every migration in order (migrate-2.sql, ...),
-- so each table is defined once and the migrations run on every new file.
-- Executed once, inside the writer's first transaction, on an empty file.
-- Before it runs store.c has set PRAGMA page_size and auto_vacuum (they only
-- take effect before the first table); in the same transaction store.c sets
-- PRAGMA application_id = 0x534b4831 ("SKH1"), and the last migration sets
-- user_version.  doc/FORMAT.md describes every column.

-- Facts about the file: created_ns, hostname, boot_id (at creation),
-- writer_version (the sockhist version that last opened it for writing).
CREATE TABLE meta (
	key   TEXT PRIMARY KEY NOT NULL,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per boot seen by a writer; socket cookies are unique per boot.
CREATE TABLE boot (
	id       INTEGER PRIMARY KEY,
	boot_id  TEXT NOT NULL UNIQUE,     -- /proc/sys/kernel/random/boot_id
	first_ns INTEGER NOT NULL          -- wall clock when first seen
);

-- One row per snapshot.  The integer columns answer counts over time without
-- decoding `data`, the codec-encoded snapshot (see doc/FORMAT.md).
CREATE TABLE frame (
	id        INTEGER PRIMARY KEY,
	time_ns   INTEGER NOT NULL,        -- wall clock, UTC, ns since the epoch
	boot      INTEGER NOT NULL REFERENCES boot(id),
	netns_ino INTEGER NOT NULL,        -- network namespace inode
	codec     INTEGER NOT NULL,        -- codec version of `data`
	total     INTEGER NOT NULL,        -- sockets in the snapshot
	tcp       INTEGER NOT NULL,
	udp       INTEGER NOT NULL,
	raw       INTEGER NOT NULL,
	u_str     INTEGER NOT NULL,
	u_dgr     INTEGER NOT NULL,
	u_seq     INTEGER NOT NULL,
	bytes     INTEGER NOT NULL,        -- length(data)
	data      BLOB NOT NULL
);

CREATE INDEX frame_time ON frame(time_ns);
