/*
 * sockrec.h — the socket record model shared by the recorder and the analyzer.
 *
 * A snapshot is everything the kernel reported through sock_diag at one moment:
 * an array of fixed-size socket records plus three side pools that the records
 * point into by offset:
 *   - strpool: interned NUL-terminated strings (unix names, congestion
 *     algorithm names, process names); offset 0 is always the empty string;
 *   - bytes:   raw attribute bytes kept verbatim (tcp_info, the congestion
 *     control's info, a unix listener's pending-connection inodes), parsed by
 *     length on output, so fields of newer kernels are never lost;
 *   - procs:   owner processes; a record owns procs[proc_first .. +proc_count).
 * Records carry only fixed-width integers so the codec can treat every field as
 * a column.  Which optional attributes the kernel sent is kept in `has`, because
 * `ss` prints a field only when its attribute was present.
 */
#ifndef SOCKHIST_SOCKREC_H
#define SOCKHIST_SOCKREC_H

#include <stddef.h>
#include <stdint.h>

#include "kstat.h"

/* Socket kinds as `ss` names them in its Netid column.  Values are stored on
 * disk: append new ones, never renumber. */
enum sr_netid {
	NETID_TCP = 0,
	NETID_UDP = 1,
	NETID_RAW = 2,
	NETID_U_STR = 3,
	NETID_U_DGR = 4,
	NETID_U_SEQ = 5,
	NETID_MPTCP = 6,
	NETID_SCTP = 7,
	NETID_NETLINK = 8,      /* ss "nl" */
	NETID_P_RAW = 9,        /* AF_PACKET SOCK_RAW */
	NETID_P_DGR = 10,       /* AF_PACKET SOCK_DGRAM */
	NETID_V_STR = 11,       /* AF_VSOCK SOCK_STREAM */
	NETID_V_DGR = 12,
	NETID_V_SEQ = 13,       /* ss 6.1 prints "???" for it */
	NETID_XDP = 14,
	NETID_TI_ST = 15,       /* TIPC SOCK_STREAM */
	NETID_TI_DG = 16,
	NETID_TI_RD = 17,
	NETID_TI_SQ = 18,
	NETID_COUNT
};

/* The netids with a count column of their own in the frame table (tcp ..
 * u_seq, format 1); the later ones are counted in frame_count only. */
#define NETID_FRAME_COLS 6

/* Which optional kernel attributes were present for a record. Stored on disk. */
enum sr_has {
	SR_HAS_SKMEM    = 1u << 0,  /* INET_DIAG_SKMEMINFO / UNIX_DIAG_MEMINFO */
	SR_HAS_TOS      = 1u << 1,  /* INET_DIAG_TOS */
	SR_HAS_TCLASS   = 1u << 2,  /* INET_DIAG_TCLASS */
	SR_HAS_CLASS_ID = 1u << 3,  /* INET_DIAG_CLASS_ID */
	SR_HAS_SHUTDOWN = 1u << 4,  /* INET_DIAG_SHUTDOWN / UNIX_DIAG_SHUTDOWN */
	SR_HAS_MARK     = 1u << 5,  /* INET_DIAG_MARK (needs CAP_NET_ADMIN) */
	SR_HAS_CGROUP   = 1u << 6,  /* INET_DIAG_CGROUP_ID */
	SR_HAS_V6ONLY   = 1u << 7,  /* INET_DIAG_SKV6ONLY */
	SR_HAS_PEER     = 1u << 8,  /* UNIX_DIAG_PEER */
	SR_HAS_VFS      = 1u << 9,  /* UNIX_DIAG_VFS */
	SR_HAS_RQLEN    = 1u << 10, /* UNIX_DIAG_RQLEN */
	SR_HAS_NAME     = 1u << 11, /* UNIX_DIAG_NAME (name may be abstract) */
	SR_HAS_CONG     = 1u << 12, /* INET_DIAG_CONG */
	SR_HAS_MEMINFO  = 1u << 13, /* INET_DIAG_MEMINFO (tcp mem:) */
	SR_HAS_ICONS    = 1u << 14, /* UNIX_DIAG_ICONS (listener; may be empty) */
	SR_HAS_PKTINFO  = 1u << 15, /* PACKET_DIAG_INFO: pkt_* fields */
	SR_HAS_FANOUT   = 1u << 16, /* PACKET_DIAG_FANOUT */
	SR_HAS_CONNECTED = 1u << 17, /* netlink: NETLINK_CONNECTED; tipc:
				      * TIPC_NLA_SOCK_CON (a peer) */
	SR_HAS_GROUPS   = 1u << 18, /* NETLINK_DIAG_GROUPS */
	SR_HAS_ASSOC    = 1u << 19, /* SCTP association (not an endpoint):
				     * state is SCTP_STATE_* numbering */
	SR_HAS_XDPINFO  = 1u << 20, /* XDP_DIAG_INFO: ifindex, queue id */
};

/* The cookie of a RAW socket read from /proc/net/raw{,6} (kernels without
 * raw_diag): this bit and the inode; kernel cookies never have it. */
#define SR_COOKIE_PROCNET (1ull << 63)

#define SR_ADDR_LEN 16
#define SR_SKMEM_MAX 12 /* SK_MEMINFO_VARS is 9 today; room for growth */

/* One socket in one snapshot.  Field order is the codec's column order for
 * codec version 1 (see codec.c); do not reorder. */
struct sock_record {
	uint64_t cookie;        /* sock_diag cookie, unique per boot */
	uint64_t inode;         /* socket inode (ss "ino:"; unix "Port") */
	uint64_t cgroup_id;     /* cgroup v2 id */
	uint32_t has;           /* enum sr_has bits */
	uint8_t  netid;         /* enum sr_netid */
	uint8_t  family;        /* AF_INET, AF_INET6, AF_UNIX, AF_NETLINK,
				 * AF_PACKET, AF_VSOCK, AF_XDP, AF_TIPC */
	uint8_t  state;         /* kernel TCP_* numbering (TCP_ESTABLISHED=1..) */
	uint8_t  timer;         /* idiag_timer: 0 off,1 on,2 keepalive,3 timewait,4 probe */
	uint8_t  retrans;       /* idiag_retrans */
	uint8_t  shutdown;      /* shutdown mask (bit0 RCV, bit1 SEND) */
	uint8_t  tos;           /* IPv4 TOS */
	uint8_t  tclass;        /* IPv6 traffic class */
	uint8_t  v6only;
	uint8_t  protocol;      /* IPPROTO_* for raw sockets (idiag sport);
				 * netlink protocol (NETLINK_ROUTE ...) */
	uint16_t sport;         /* host byte order */
	uint16_t dport;
	uint32_t expires_ms;    /* idiag_expires */
	uint32_t rqueue;        /* Recv-Q */
	uint32_t wqueue;        /* Send-Q */
	uint32_t ifindex;       /* bound device (idiag_if) */
	uint32_t uid;
	uint32_t class_id;
	uint32_t mark;
	uint32_t peer_inode;    /* unix peer inode */
	uint32_t vfs_ino;       /* unix bound file inode */
	uint32_t vfs_dev;
	uint32_t meminfo[4];    /* INET_DIAG_MEMINFO: rmem, wmem, fmem, tmem */
	uint32_t skmem[SR_SKMEM_MAX];
	uint8_t  skmem_count;   /* how many skmem values the kernel sent */
	uint8_t  src[SR_ADDR_LEN]; /* network byte order; v4 in the first 4 bytes */
	uint8_t  dst[SR_ADDR_LEN];
	uint32_t name;          /* strpool offset: unix path ('@' first if abstract) */
	uint32_t cong;          /* strpool offset: congestion control name */
	uint32_t tcpi_off;      /* bytes offset of raw tcp_info */
	uint32_t tcpi_len;      /* its length; 0 when absent */
	uint32_t ccinfo_off;    /* bytes offset of the congestion-control info */
	uint32_t ccinfo_len;    /* its length; 0 when absent */
	uint8_t  ccinfo_kind;   /* INET_DIAG_VEGASINFO, _DCTCPINFO or _BBRINFO */
	uint32_t icons_off;     /* bytes offset of UNIX_DIAG_ICONS (u32 inodes of
				 * pending connections on a unix listener) */
	uint32_t icons_len;     /* its length in bytes; 0 when absent */
	uint32_t proc_first;    /* index into procs */
	uint32_t proc_count;
	/* The families without IP ports (codec 2 columns since format 4).
	 * Which family uses which field: */
	uint32_t lport32;       /* netlink portid (signed), vsock local port,
				 * xdp queue id, tipc socket reference */
	uint32_t rport32;       /* netlink dst portid, vsock peer port,
				 * tipc peer reference */
	uint32_t laddr32;       /* vsock local cid, tipc node */
	uint32_t raddr32;       /* netlink dst group, vsock peer cid, tipc
				 * peer node */
	uint64_t groups;        /* netlink multicast groups (first 64) */
	uint16_t ethertype;     /* packet protocol, host order (3: all) */
	uint32_t pkt_version;   /* PACKET_DIAG_INFO pdi_version */
	uint32_t pkt_copy_thresh; /* pdi_copy_thresh */
	uint32_t pkt_flags;     /* pdi_flags (PDI_RUNNING ...) */
	uint32_t fanout;        /* PACKET_DIAG_FANOUT: id | type << 16 */
};

/* One owner of a socket, as `ss -p` prints users:(("comm",pid=P,fd=F)). */
struct sr_process {
	uint32_t pid;
	uint32_t fd;
	uint32_t comm;          /* strpool offset */
};

struct snapshot {
	int64_t time_ns;        /* wall clock, UTC, ns since the epoch */
	uint64_t netns_ino;     /* network namespace the records come from */
	int64_t capture_ns;     /* how long taking it took; 0 if unknown */
	struct sock_record *recs;
	size_t nrecs, recs_cap;
	struct sr_process *procs;
	size_t nprocs, procs_cap;
	char *strpool;
	size_t strpool_len, strpool_cap;
	uint8_t *bytes;
	size_t nbytes, bytes_cap;
	/* interning hash over strpool (offsets, 0 = empty slot) */
	uint32_t *str_hash;
	size_t str_hash_cap;
	size_t str_count;       /* strings in strpool besides "" */
	struct kstat kstat;     /* the kernel's counters (ss -s) at that
				 * moment; kstat.present == 0: not read */
};

/* Initialise an empty snapshot (strpool holds only ""). Returns 0 or -ENOMEM. */
int snapshot_init(struct snapshot *s);
/* Free everything a snapshot owns; leaves it zeroed. */
void snapshot_free(struct snapshot *s);
/* Drop all records/pools but keep the allocations for reuse. */
void snapshot_reset(struct snapshot *s);

/* Append a zeroed record; returns it or NULL on ENOMEM.  The pointer is valid
 * until the next snapshot_add_record(). */
struct sock_record *snapshot_add_record(struct snapshot *s);
/* Intern a string of len bytes (need not be NUL-terminated); returns its pool
 * offset (>0 unless len==0) or -ENOMEM. */
int64_t snapshot_intern(struct snapshot *s, const char *str, size_t len);
/* Copy len raw bytes (zeros when data is NULL) into the byte pool; returns
 * the offset or -ENOMEM. */
int64_t snapshot_add_bytes(struct snapshot *s, const void *data, size_t len);
/* Append an owner process; returns 0 or -ENOMEM. */
int snapshot_add_process(struct snapshot *s, uint32_t pid, uint32_t fd,
			 const char *comm);

/* Append a copy of record r of snapshot src to s, with its strings (name,
 * congestion control), raw bytes (tcp_info, congestion info, pending
 * connections) and owner processes.  Returns the copy (valid until the
 * next record is added) or NULL when out of memory. */
struct sock_record *snapshot_copy_record(struct snapshot *s,
					 const struct snapshot *src,
					 const struct sock_record *r);

/* The string at a pool offset (never NULL; "" for 0 or an offset out of range). */
const char *snapshot_str(const struct snapshot *s, uint32_t off);

/* Sort records by cookie and keep one record per cookie (inet dumps are not
 * atomic: a socket can be reported twice).  Process ranges move with their
 * records. */
void snapshot_sort_dedupe(struct snapshot *s);

/* A filter over the records of a snapshot: non-zero keeps r.  arg is the
 * caller's (a selection, a state...). */
typedef int (*sock_keep_fn)(const struct snapshot *s,
			    const struct sock_record *r, void *arg);

/* The record with this cookie in s (sorted by cookie), or NULL. */
const struct sock_record *snapshot_find_cookie(const struct snapshot *s,
					       uint64_t cookie);

/* Count records per netid into counts[NETID_COUNT]. */
void snapshot_count(const struct snapshot *s, uint32_t counts[NETID_COUNT]);

#endif
