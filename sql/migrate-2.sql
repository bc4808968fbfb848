-- migrate-2.sql — format version 1 -> 2: frame chains (keyframes and
-- deltas, codec 2), per-frame counts by netid x state, the socket lifetime
-- index, rollups, and the tables they refer to.
--
-- Run by store.c inside one transaction: after schema.sql on a new file, or
-- on a version-1 file being opened (then store.c also fills frame_count and
-- sock from the version-1 frames, which only C can decode).  Ends with
-- user_version = 2.  doc/FORMAT.md describes every column.

-- Frames form chains: a keyframe (key = id) followed by the delta frames
-- that name it in `key`, each a delta against the frame before it in the
-- chain.  A version-1 frame (codec 1) stands alone: its key is its id.
ALTER TABLE frame ADD COLUMN key INTEGER NOT NULL DEFAULT 0;
UPDATE frame SET key = id;
-- Capture + encode time of the frame, microseconds (0: not measured).
ALTER TABLE frame ADD COLUMN took_us INTEGER NOT NULL DEFAULT 0;
CREATE INDEX frame_key ON frame(key);

-- One row per network namespace recorded; sock rows name it by id.
CREATE TABLE netns (
	id   INTEGER PRIMARY KEY,
	ino  INTEGER NOT NULL UNIQUE,      -- namespace inode
	name TEXT                          -- /run/netns name, when known
);

-- Interned strings the tables refer to by id (process names, unix paths).
CREATE TABLE str (
	id INTEGER PRIMARY KEY,
	s  TEXT NOT NULL UNIQUE
);

-- Per-frame socket counts by netid x state (only non-zero pairs): summaries
-- and state histograms read these, never the blobs.
CREATE TABLE frame_count (
	frame INTEGER NOT NULL,            -- frame.id
	netid INTEGER NOT NULL,            -- enum sr_netid (0 tcp .. 5 u_seq)
	state INTEGER NOT NULL,            -- kernel TCP_* numbering
	n     INTEGER NOT NULL,
	PRIMARY KEY (frame, netid, state)
) WITHOUT ROWID;

-- One row per socket lifetime: who talked to whom, without decoding.
-- first/last are frame ids; last is NULL while the socket is still open in
-- the newest frame of its namespace.
CREATE TABLE sock (
	boot     INTEGER NOT NULL,         -- boot.id
	netns    INTEGER NOT NULL,         -- netns.id
	cookie   INTEGER NOT NULL,         -- sock_diag cookie (unique per boot)
	netid    INTEGER NOT NULL,
	family   INTEGER NOT NULL,         -- AF_INET, AF_INET6, AF_UNIX
	protocol INTEGER NOT NULL,         -- raw sockets' IPPROTO_*, else 0
	laddr    BLOB,                     -- 4 or 16 bytes, network order; NULL for unix
	lport    INTEGER NOT NULL,
	raddr    BLOB,
	rport    INTEGER NOT NULL,
	uid      INTEGER NOT NULL,
	pid      INTEGER,                  -- first owner process seen, if any
	comm     INTEGER,                  -- str.id of its name
	path     INTEGER,                  -- str.id of a unix socket's name
	first    INTEGER NOT NULL,         -- frame.id first seen in
	last     INTEGER,                  -- frame.id last seen in; NULL: open
	PRIMARY KEY (boot, netns, cookie)
) WITHOUT ROWID;

CREATE INDEX sock_local ON sock(lport);
CREATE INDEX sock_peer ON sock(raddr, rport);

-- Rollups: per-minute (period 60) and per-hour (period 3600) aggregates
-- that outlive the raw frames (sockhistd --keep-rollups).  One row per
-- bucket, namespace, kind and key; every snapshot of the bucket is folded
-- in: sum and max of the value over the bucket's snapshots.
--   kind 0  sockets per state:      key = netid * 256 + state;
--                                   key -1 counts all sockets and its
--                                   `samples` is the bucket's snapshot count
--   kind 1  sockets per local port: key = netid * 65536 + port, top 32 per
--                                   snapshot; key -1 all the others
--   kind 2  sockets per process:    key = str.id of the name, top 32 per
--                                   snapshot; 0 no owner; -1 all the others
--   kind 3  peak queues:            key 0 Recv-Q, 1 Send-Q (largest single
--                                   socket's queue); key 2, 3 their totals
-- mean over a bucket = sum / samples of the bucket's (kind 0, key -1) row.
CREATE TABLE rollup (
	period    INTEGER NOT NULL,        -- seconds: 60 or 3600
	start_ns  INTEGER NOT NULL,        -- bucket start, UTC, multiple of period
	netns_ino INTEGER NOT NULL,
	kind      INTEGER NOT NULL,
	key       INTEGER NOT NULL,
	samples   INTEGER NOT NULL,        -- snapshots folded into this row
	sum       INTEGER NOT NULL,
	max       INTEGER NOT NULL,
	PRIMARY KEY (period, kind, start_ns, netns_ino, key)
) WITHOUT ROWID;

PRAGMA user_version = 2;
