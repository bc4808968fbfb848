-- migrate-3.sql — format version 2 -> 3: the kernel's socket counters
-- (what `ss -s` prints) recorded with every frame.
--
-- Run by store.c inside one transaction: after migrate-2.sql on a new file,
-- or on a version-1 or -2 file a writer opens.  A reader of a version-2
-- file needs no copy: frames of that format have no counters, and a
-- missing table says so.  Ends with user_version = 3.  doc/FORMAT.md
-- describes every column.

-- One row per frame whose counters were read (none for frames of older
-- formats), written in the frame's transaction and deleted with it.  The
-- columns are the lines of /proc/net/sockstat, sockstat6 and snmp of the
-- frame's network namespace: the line's label and the field's name, lower
-- case ("TCP: inuse" -> tcp_inuse); NULL when the kernel did not report
-- it (sockstat6 without IPv6).  Column order is common/kstat.h's.
CREATE TABLE sockstat (
	frame            INTEGER PRIMARY KEY,  -- frame.id
	sockets_used     INTEGER,              -- sockets: used
	tcp_inuse        INTEGER,              -- TCP: inuse (IPv4, hashed)
	tcp_orphan       INTEGER,              -- TCP: orphan (kernel-wide)
	tcp_tw           INTEGER,              -- TCP: tw (TIME-WAIT)
	tcp_alloc        INTEGER,              -- TCP: alloc (kernel-wide)
	tcp_mem          INTEGER,              -- TCP: mem, pages (kernel-wide)
	udp_inuse        INTEGER,              -- UDP: inuse
	udp_mem          INTEGER,              -- UDP: mem, pages (kernel-wide)
	udplite_inuse    INTEGER,              -- UDPLITE: inuse
	raw_inuse        INTEGER,              -- RAW: inuse
	frag_inuse       INTEGER,              -- FRAG: inuse
	frag_memory      INTEGER,              -- FRAG: memory, bytes
	tcp6_inuse       INTEGER,              -- sockstat6 TCP6: inuse
	udp6_inuse       INTEGER,              -- UDP6: inuse
	udplite6_inuse   INTEGER,              -- UDPLITE6: inuse
	raw6_inuse       INTEGER,              -- RAW6: inuse
	frag6_inuse      INTEGER,              -- FRAG6: inuse
	frag6_memory     INTEGER,              -- FRAG6: memory, bytes
	tcp_currestab    INTEGER               -- snmp Tcp: CurrEstab
);

PRAGMA user_version = 3;
