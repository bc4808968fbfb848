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

PRAGMA user_version = 4;
