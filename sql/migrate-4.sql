-- migrate-4.sql — format version 3 -> 4: several network namespaces per
-- file, connections closed between snapshots (sock_diag destroy events),
-- cgroup paths.
--
-- Run by store.c inside one transaction: after migrate-3.sql on a new file,
-- or on an older file a writer opens.  A reader of a version-2 or -3 file
-- needs no copy: the tables added here are then missing, which says that
-- nothing of theirs was recorded.  Ends with user_version = 4.
-- doc/FORMAT.md describes every column.

-- A namespace with no /run/netns name is known by a process that held it
-- when the recorder first found it.
ALTER TABLE netns ADD COLUMN pid INTEGER;
ALTER TABLE netns ADD COLUMN comm TEXT;

-- From format 4 a delta frame whose kernel counters did not change has no
-- sockstat row: it has its chain's last row.  A delta of an older format
-- without a row had no counters: it gets a row of NULLs, which says so.
INSERT INTO sockstat (frame) SELECT id FROM frame WHERE codec = 2 AND
	key != id AND id NOT IN (SELECT frame FROM sockstat);

-- The latest frame of a namespace at or before a time (sockhist --netns,
-- and the namespaces that have frames) without walking other namespaces'.
CREATE INDEX frame_netns_time ON frame(netns_ino, time_ns);
-- The cgroup2 path of every cgroup id the sockets of a boot used, recorded
-- when the recorder first saw the id (cgroups vanish; the file may be read
-- on another machine).  An id the recorder could not find in the cgroup2
-- tree (removed before it looked) has no row.
CREATE TABLE cgroup (
	boot INTEGER NOT NULL REFERENCES boot(id), -- ids are unique per boot
	id   INTEGER NOT NULL,     -- INET_DIAG_CGROUP_ID: the directory's
	                           -- inode on cgroup2 (as a signed 64-bit)
	path TEXT,                 -- relative to the cgroup2 mount, leading
	                           -- "/" ("/" the root), as ss prints it;
	                           -- NULL: no cgroup2 was mounted where the
	                           -- recorder ran
	PRIMARY KEY (boot, id)
) WITHOUT ROWID;

-- Connections that closed, from the kernel's sock_diag destroy broadcasts
-- (sockhistd --close-events).  Per tick and namespace the recorder takes
-- the events read since the last tick as one batch: a standalone codec-1
-- snapshot of the closed sockets (every field the event carries, the final
-- tcp_info verbatim), so the analyzer decodes and filters them exactly as
-- a snapshot.  A batch row is written also when it has no events but the
-- kernel dropped some, so losses are never silent.
CREATE TABLE closed_batch (
	id        INTEGER PRIMARY KEY,
	time_ns   INTEGER NOT NULL,        -- when the recorder took the batch
	since_ns  INTEGER NOT NULL,        -- the take before (or the start of
	                                   -- the subscription): the batch
	                                   -- covers since_ns .. time_ns
	boot      INTEGER NOT NULL,        -- boot.id
	netns_ino INTEGER NOT NULL,        -- network namespace inode
	n         INTEGER NOT NULL,        -- events in data
	lost      INTEGER NOT NULL,        -- events the kernel dropped in the
	                                   -- range (SK_MEMINFO_DROPS delta)
	data      BLOB                     -- codec-1 frame of the n sockets,
	                                   -- sorted by cookie; NULL when n = 0
);
CREATE INDEX closed_batch_time ON closed_batch(time_ns);

-- One row per closed socket: the range queries' index, and what the event
-- adds to the socket lifetime index.
CREATE TABLE closed (
	closed_ns      INTEGER NOT NULL,   -- wall clock when the event was read
	boot           INTEGER NOT NULL,   -- boot.id
	netns          INTEGER NOT NULL,   -- netns.id
	cookie         INTEGER NOT NULL,   -- sock_diag cookie; the record in
	                                   -- the batch has it
	batch          INTEGER NOT NULL,   -- closed_batch.id
	opened_ns      INTEGER,            -- seen: the time of the first frame
	                                   -- that showed it; else a bound: the
	                                   -- namespace's last frame before the
	                                   -- close (it opened after); NULL:
	                                   -- no frame before it
	bytes_sent     INTEGER,            -- tcpi_bytes_sent (NULL: UDP, or a
	                                   -- kernel without it)
	bytes_received INTEGER,            -- tcpi_bytes_received
	seen           INTEGER NOT NULL,   -- 1: in a snapshot (a sock row), 0:
	                                   -- short-lived
	PRIMARY KEY (closed_ns, boot, netns, cookie)
) WITHOUT ROWID;

-- A socket seen in snapshots gets its exact close time from its event.
ALTER TABLE sock ADD COLUMN closed_ns INTEGER;

PRAGMA user_version = 4;
