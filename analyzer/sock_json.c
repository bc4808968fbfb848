/*
 * sock_json.c — socket records as JSON objects or CSV rows.
 *
 * One walker visits every column of a record in a fixed order and hands each
 * to a "sink": present values as numbers or strings, absent ones as gaps.
 * The JSON sink skips gaps, the CSV sink writes empty fields, and the CSV
 * header is the same walk with a sink that writes the keys.  So JSON keys and
 * CSV columns cannot drift apart.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "ccinfo.h"
#include "output.h"
#include "sock_json.h"
#include "sockenum.h"
#include "ss_family.h"
#include "tcpinfo.h"
#include "timeexpr.h"

struct sink;

struct sink_ops {
	void (*num)(struct sink *k, const char *key, uint64_t v);
	void (*str)(struct sink *k, const char *key, const char *v);
	void (*lit)(struct sink *k, const char *key, const char *v);
	void (*gap)(struct sink *k, const char *key);
	void (*procs)(struct sink *k, const char *key,
		      const struct snapshot *s, const struct sock_record *r);
	/* Start and end a nested object; NULL: flatten it into KEY_SUBKEY
	 * columns. */
	void (*open)(struct sink *k, const char *key);
	void (*close)(struct sink *k);
};

struct sink {
	const struct sink_ops *ops;
	FILE *out;
	size_t fields;      /* fields written on the current row */
};

/* Names of the SK_MEMINFO_* slots, in kernel order. */
static const char *const skmem_keys[] = {
	"skmem_rmem_alloc", "skmem_rcvbuf", "skmem_wmem_alloc", "skmem_sndbuf",
	"skmem_fwd_alloc", "skmem_wmem_queued", "skmem_optmem",
	"skmem_backlog", "skmem_drops",
};

/* Names of the INET_DIAG_MEMINFO slots. */
static const char *const meminfo_keys[] = {
	"mem_rmem", "mem_wmem", "mem_fmem", "mem_tmem",
};

/* ---- the walker ---- */

/* A number when present, a gap otherwise. */
static void put_num(struct sink *k, const char *key, bool present, uint64_t v)
{
	if (present)
		k->ops->num(k, key, v);
	else
		k->ops->gap(k, key);
}

/* A string when present, a gap otherwise. */
static void put_str(struct sink *k, const char *key, bool present,
		    const char *v)
{
	if (present)
		k->ops->str(k, key, v);
	else
		k->ops->gap(k, key);
}

/* "inet", "inet6" or "unix". */
static const char *family_name(const struct sock_record *r)
{
	switch (r->family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	case AF_PACKET:
		return "link";
	case AF_NETLINK:
		return "netlink";
	case AF_VSOCK:
		return "vsock";
	case AF_XDP:
		return "xdp";
	case AF_TIPC:
		return "tipc";
	}
	return "?";
}

/* The numeric address of an inet socket end. */
static void format_addr(const struct sock_record *r, const uint8_t *a,
			char *buf, size_t len)
{
	if (!inet_ntop(r->family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* The base values of a netlink, packet, vsock, XDP or TIPC socket: the
 * ends as ss prints them (names, no trailing ':'), ports as numbers. */
static void walk_other_base(struct sink *k, const struct snapshot *s,
			    const struct sock_record *r)
{
	static const struct ss_flags numeric_names = { .numeric = false };
	char v[4][128];
	size_t n;

	ss_family_columns(v, s, r, &numeric_names);
	for (int i = 0; i < 4; i += 2) {
		n = strlen(v[i]);
		if (n && v[i][n - 1] == ':')
			v[i][n - 1] = '\0';
	}
	k->ops->str(k, "netid", netid_name(r->netid));
	k->ops->str(k, "state", state_key(r->state));
	k->ops->num(k, "recv_q", r->rqueue);
	k->ops->num(k, "send_q", r->wqueue);
	k->ops->str(k, "local_addr", v[0]);
	k->ops->num(k, "local_port", r->family == AF_PACKET ? r->ifindex :
		    r->lport32);
	k->ops->str(k, "peer_addr", v[2]);
	k->ops->num(k, "peer_port", r->rport32);
}

/* netid, state, queues, both ends. */
static void walk_base(struct sink *k, const struct snapshot *s,
		      const struct sock_record *r)
{
	bool is_unix = r->family == AF_UNIX;
	char local[INET6_ADDRSTRLEN] = "*", peer[INET6_ADDRSTRLEN] = "*";
	const char *name = (r->has & SR_HAS_NAME) ? snapshot_str(s, r->name) : "";

	if (ss_family_other(r)) {
		walk_other_base(k, s, r);
		return;
	}
	if (!is_unix) {
		format_addr(r, r->src, local, sizeof(local));
		format_addr(r, r->dst, peer, sizeof(peer));
	}
	k->ops->str(k, "netid", netid_name(r->netid));
	k->ops->str(k, "state", state_key(r->state));
	k->ops->num(k, "recv_q", r->rqueue);
	k->ops->num(k, "send_q", r->wqueue);
	k->ops->str(k, "local_addr", is_unix && *name ? name : local);
	k->ops->num(k, "local_port", is_unix ? r->inode : r->sport);
	k->ops->str(k, "peer_addr", peer);
	k->ops->num(k, "peer_port", is_unix ? r->peer_inode : r->dport);
}

/* Identity and the -e / -o / --tos / --cgroup values. */
static void walk_extended(struct sink *k, const struct sock_record *r)
{
	bool inet = r->family == AF_INET || r->family == AF_INET6;
	bool dev = inet || r->family == AF_PACKET || r->family == AF_XDP;
	char ifname[IF_NAMESIZE] = "";
	uint32_t h = r->has;

	if (dev && r->ifindex && !if_indextoname(r->ifindex, ifname))
		ifname[0] = '\0';
	k->ops->str(k, "family", family_name(r));
	put_num(k, "ifindex", dev, r->ifindex);
	put_str(k, "ifname", ifname[0] != '\0', ifname);
	k->ops->num(k, "uid", r->uid);
	k->ops->num(k, "inode", r->inode);
	k->ops->num(k, "cookie", r->cookie);
	put_str(k, "timer", inet, timer_name(r->timer));
	put_num(k, "timer_expires_ms", inet, r->expires_ms);
	put_num(k, "retrans", inet, r->retrans);
	put_num(k, "cgroup_id", h & SR_HAS_CGROUP, r->cgroup_id);
	put_num(k, "v6only", h & SR_HAS_V6ONLY, r->v6only);
	put_num(k, "tos", h & SR_HAS_TOS, r->tos);
	put_num(k, "tclass", h & SR_HAS_TCLASS, r->tclass);
	put_num(k, "class_id", h & SR_HAS_CLASS_ID, r->class_id);
	put_num(k, "mark", h & SR_HAS_MARK, r->mark);
	put_num(k, "shutdown", h & SR_HAS_SHUTDOWN, r->shutdown);
	put_num(k, "protocol", r->netid == NETID_RAW, r->protocol);
}

/* Unix-only values. */
static void walk_unix(struct sink *k, const struct snapshot *s,
		      const struct sock_record *r)
{
	bool is_unix = r->family == AF_UNIX;
	uint32_t h = is_unix ? r->has : 0;

	put_str(k, "unix_name", h & SR_HAS_NAME, snapshot_str(s, r->name));
	put_num(k, "peer_inode", h & SR_HAS_PEER, r->peer_inode);
	put_num(k, "vfs_dev", h & SR_HAS_VFS, r->vfs_dev);
	put_num(k, "vfs_ino", h & SR_HAS_VFS, r->vfs_ino);
}

/* The values of the families without IP ports (raw numbers). */
static void walk_family(struct sink *k, const struct sock_record *r)
{
	bool nl = r->family == AF_NETLINK, pkt = r->family == AF_PACKET;
	bool tipc = r->family == AF_TIPC, vs = r->family == AF_VSOCK;
	uint32_t h = r->has;

	put_num(k, "netlink_protocol", nl, r->protocol);
	put_num(k, "netlink_portid", nl, r->lport32);
	put_num(k, "netlink_groups", nl && (h & SR_HAS_GROUPS), r->groups);
	put_num(k, "netlink_dst_group", nl && (h & SR_HAS_CONNECTED),
		r->raddr32);
	put_num(k, "netlink_dst_portid", nl && (h & SR_HAS_CONNECTED),
		r->rport32);
	put_num(k, "packet_protocol", pkt, r->ethertype);
	put_num(k, "packet_version", pkt && (h & SR_HAS_PKTINFO),
		r->pkt_version);
	put_num(k, "packet_copy_thresh", pkt && (h & SR_HAS_PKTINFO),
		r->pkt_copy_thresh);
	put_num(k, "packet_flags", pkt && (h & SR_HAS_PKTINFO), r->pkt_flags);
	put_num(k, "packet_fanout", pkt && (h & SR_HAS_FANOUT), r->fanout);
	put_num(k, "vsock_local_cid", vs, r->laddr32);
	put_num(k, "vsock_peer_cid", vs, r->raddr32);
	put_num(k, "xdp_queue", h & SR_HAS_XDPINFO, r->lport32);
	put_num(k, "tipc_node", tipc, r->laddr32);
	put_num(k, "tipc_ref", tipc, r->lport32);
	put_num(k, "tipc_peer_node", tipc && (h & SR_HAS_CONNECTED),
		r->raddr32);
	put_num(k, "tipc_peer_ref", tipc && (h & SR_HAS_CONNECTED), r->rport32);
	put_num(k, "sctp_assoc", r->netid == NETID_SCTP,
		(h & SR_HAS_ASSOC) != 0);
}

/* skmem:(...) and mem:(...) values. */
static void walk_memory(struct sink *k, const struct sock_record *r)
{
	bool skmem = r->has & SR_HAS_SKMEM;
	bool meminfo = r->has & SR_HAS_MEMINFO;

	for (unsigned i = 0; i < sizeof(skmem_keys) / sizeof(skmem_keys[0]); i++)
		put_num(k, skmem_keys[i], skmem && i < r->skmem_count &&
			i < SR_SKMEM_MAX, r->skmem[i]);
	for (unsigned i = 0; i < 4; i++)
		put_num(k, meminfo_keys[i], meminfo, r->meminfo[i]);
}

/* The congestion control name and every tcp_info field the bytes cover. */
static void walk_tcp(struct sink *k, const struct snapshot *s,
		     const struct sock_record *r)
{
	const uint8_t *raw = NULL;
	size_t len = 0;
	char key[64];

	put_str(k, "cong", r->has & SR_HAS_CONG, snapshot_str(s, r->cong));
	if (r->tcpi_len && r->tcpi_off <= s->nbytes &&
	    r->tcpi_len <= s->nbytes - r->tcpi_off) {
		raw = s->bytes + r->tcpi_off;
		len = r->tcpi_len;
	}
	for (int f = 0; f < TI_FIELD_COUNT; f++) {
		uint64_t v = 0;
		bool present = raw && tcpinfo_get(raw, len, f, &v);

		snprintf(key, sizeof(key), "tcpi_%s", tcpinfo_fields[f].name);
		put_num(k, key, present, v);
	}
}

/* The congestion control's own counters (vegas, dctcp or bbr). */
static void walk_ccinfo(struct sink *k, const struct snapshot *s,
			const struct sock_record *r)
{
	struct cc_info cc;

	ccinfo_decode(s, r, &cc);
	bool vg = cc.kind == CC_VEGAS, dc = cc.kind == CC_DCTCP, bb = cc.kind == CC_BBR;
	put_num(k, "vegas_enabled", vg, cc.u.vegas.enabled);
	put_num(k, "vegas_rttcnt", vg, cc.u.vegas.rttcnt);
	put_num(k, "vegas_rtt_us", vg, cc.u.vegas.rtt_us);
	put_num(k, "vegas_minrtt_us", vg, cc.u.vegas.minrtt_us);
	put_num(k, "dctcp_enabled", dc, cc.u.dctcp.enabled);
	put_num(k, "dctcp_ce_state", dc, cc.u.dctcp.ce_state);
	put_num(k, "dctcp_alpha", dc, cc.u.dctcp.alpha);
	put_num(k, "dctcp_ab_ecn", dc, cc.u.dctcp.ab_ecn);
	put_num(k, "dctcp_ab_tot", dc, cc.u.dctcp.ab_tot);
	put_num(k, "bbr_bw_bytes_per_sec", bb, cc.u.bbr.bw);
	put_num(k, "bbr_min_rtt_us", bb, cc.u.bbr.min_rtt_us);
	put_num(k, "bbr_pacing_gain_x256", bb, cc.u.bbr.pacing_gain);
	put_num(k, "bbr_cwnd_gain_x256", bb, cc.u.bbr.cwnd_gain);
}

/* Visit extra values; prefix (NULL: none) names a flattened object. */
static void walk_kv(struct sink *k, const struct sock_kv *kv, size_t n,
		    const char *prefix)
{
	char key[128];

	for (size_t i = 0; i < n; i++) {
		const struct sock_kv *v = &kv[i];
		size_t outer;

		snprintf(key, sizeof(key), "%s%s%s", prefix ? prefix : "",
			 prefix ? "_" : "", v->key);
		if (v->sub && k->ops->open) {
			if (!v->present)
				continue;
			k->ops->open(k, key);
			outer = k->fields;
			k->fields = 0;
			walk_kv(k, v->sub, v->nsub, NULL);
			k->ops->close(k);
			k->fields = outer;
		} else if (v->sub) {
			struct sock_kv gaps[v->nsub ? v->nsub : 1];

			for (size_t j = 0; j < v->nsub; j++)
				gaps[j] = (struct sock_kv){ .key = v->sub[j].key };
			walk_kv(k, v->present ? v->sub : gaps, v->nsub, key);
		} else if (v->str) {
			k->ops->str(k, key, v->str);
		} else if (v->lit) {
			k->ops->lit(k, key, v->lit);
		} else {
			put_num(k, key, v->present, v->num);
		}
	}
}

/* Visit every column of r, with the extra values of x (NULL: none). */
static void walk(struct sink *k, const struct snapshot *s,
		 const struct sock_record *r, const struct sock_extra *x)
{
	k->fields = 0;
	if (x && x->tag) {
		char when[40];
		time_format_iso(x->tag->time_ns, 0, when, sizeof(when));
		k->ops->num(k, "snapshot", (uint64_t)x->tag->snapshot);
		k->ops->str(k, "time", when);
	}
	if (x)
		walk_kv(k, x->lead, x->nlead, NULL);
	walk_base(k, s, r);
	walk_extended(k, r);
	walk_unix(k, s, r);
	walk_family(k, r);
	walk_memory(k, r);
	walk_tcp(k, s, r);
	walk_ccinfo(k, s, r);
	k->ops->procs(k, "processes", s, r);
	if (x)
		walk_kv(k, x->tail, x->ntail, NULL);
}

/* True if r's process range lies inside s. */
static bool procs_valid(const struct snapshot *s, const struct sock_record *r)
{
	return r->proc_count && r->proc_first <= s->nprocs &&
	       r->proc_count <= s->nprocs - r->proc_first;
}

/* ---- JSON ---- */

/* Start a JSON member: separator and key. */
static void json_key(struct sink *k, const char *key)
{
	fprintf(k->out, "%s\"%s\":", k->fields++ ? "," : "", key);
}

/* A JSON number member. */
static void json_num(struct sink *k, const char *key, uint64_t v)
{
	json_key(k, key);
	fprintf(k->out, "%" PRIu64, v);
}

/* A JSON string member. */
static void json_str(struct sink *k, const char *key, const char *v)
{
	json_key(k, key);
	json_write_string(k->out, v);
}

/* A JSON literal member (true, false, null). */
static void json_lit(struct sink *k, const char *key, const char *v)
{
	json_key(k, key);
	fputs(v, k->out);
}

/* JSON leaves absent values out. */
static void json_gap(struct sink *k, const char *key)
{
	(void)k;
	(void)key;
}

/* "processes":[{"pid":..,"comm":..,"fd":..},...] when there are owners. */
static void json_procs(struct sink *k, const char *key,
		       const struct snapshot *s, const struct sock_record *r)
{
	if (!procs_valid(s, r))
		return;
	json_key(k, key);
	fputc('[', k->out);
	for (uint32_t i = 0; i < r->proc_count; i++) {
		const struct sr_process *p = &s->procs[r->proc_first + i];

		fprintf(k->out, "%s{\"pid\":%" PRIu32 ",\"comm\":",
			i ? "," : "", p->pid);
		json_write_string(k->out, snapshot_str(s, p->comm));
		fprintf(k->out, ",\"fd\":%" PRIu32 "}", p->fd);
	}
	fputc(']', k->out);
}

/* Start a nested JSON object member. */
static void json_open(struct sink *k, const char *key)
{
	json_key(k, key);
	fputc('{', k->out);
}

/* End a nested JSON object. */
static void json_close(struct sink *k)
{
	fputc('}', k->out);
}

static const struct sink_ops json_ops = {
	json_num, json_str, json_lit, json_gap, json_procs, json_open,
	json_close,
};

/* Write the rows as one JSON array, one object per line. */
void sock_json_begin(struct json_stream *js, FILE *out)
{
	js->out = out;
	js->rows = 0;
	fputc('[', out);
}

void sock_json_row(struct json_stream *js, const struct snapshot *s,
		   const struct sock_record *r, const struct sock_extra *x)
{
	struct sink k = { .ops = &json_ops, .out = js->out };

	fputs(js->rows++ ? ",\n{" : "\n{", js->out);
	walk(&k, s, r, x);
	fputc('}', js->out);
}

int sock_json_end(struct json_stream *js)
{
	fputs(js->rows ? "\n]\n" : "]\n", js->out);
	return ferror(js->out) ? -EIO : 0;
}

/* ---- CSV ---- */

/* Start a CSV field: the separator. */
static void csv_sep(struct sink *k)
{
	if (k->fields++)
		fputc(',', k->out);
}

/* A CSV number field. */
static void csv_num(struct sink *k, const char *key, uint64_t v)
{
	(void)key;
	csv_sep(k);
	fprintf(k->out, "%" PRIu64, v);
}

/* A CSV text field, quoted when needed. */
static void csv_str(struct sink *k, const char *key, const char *v)
{
	(void)key;
	csv_sep(k);
	csv_write_field(k->out, v);
}

/* A JSON literal as a CSV field: the word, null an empty field. */
static void csv_lit(struct sink *k, const char *key, const char *v)
{
	(void)key;
	csv_sep(k);
	if (strcmp(v, "null") != 0)
		fputs(v, k->out);
}

/* An empty CSV field for an absent value. */
static void csv_gap(struct sink *k, const char *key)
{
	(void)key;
	csv_sep(k);
}

/* processes as "comm:pid:fd;comm:pid:fd", quoted when needed. */
static void csv_procs(struct sink *k, const char *key,
		      const struct snapshot *s, const struct sock_record *r)
{
	char buf[4096];
	size_t used = 0;

	(void)key;
	csv_sep(k);
	if (!procs_valid(s, r))
		return;
	buf[0] = '\0';
	for (uint32_t i = 0; i < r->proc_count && used < sizeof(buf); i++) {
		const struct sr_process *p = &s->procs[r->proc_first + i];
		int w = snprintf(buf + used, sizeof(buf) - used,
				 "%s%s:%" PRIu32 ":%" PRIu32, i ? ";" : "",
				 snapshot_str(s, p->comm), p->pid, p->fd);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	csv_write_field(k->out, buf);
}

static const struct sink_ops csv_ops = {
	csv_num, csv_str, csv_lit, csv_gap, csv_procs, NULL, NULL,
};

/* The header sink: every column writes its key. */
static void head_gap(struct sink *k, const char *key)
{
	csv_sep(k);
	fputs(key, k->out);
}

/* Header: the key instead of the value. */
static void head_num(struct sink *k, const char *key, uint64_t v)
{
	(void)v;
	head_gap(k, key);
}

/* Header: the key instead of the value. */
static void head_str(struct sink *k, const char *key, const char *v)
{
	(void)v;
	head_gap(k, key);
}

/* Header: the key instead of the processes. */
static void head_procs(struct sink *k, const char *key,
		       const struct snapshot *s, const struct sock_record *r)
{
	(void)s;
	(void)r;
	head_gap(k, key);
}

static const struct sink_ops head_ops = {
	head_num, head_str, head_str, head_gap, head_procs, NULL, NULL,
};

/* The CSV header line for rows carrying x's keys. */
int sock_csv_header(FILE *out, const struct sock_extra *x)
{
	struct sink head = { .ops = &head_ops, .out = out };
	const struct sock_record blank = { .family = AF_UNIX };
	static uint8_t no_bytes[1];
	static char no_strings[1];
	const struct snapshot none = { .bytes = no_bytes, .strpool = no_strings,
				       .strpool_len = 1 };

	walk(&head, &none, &blank, x);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

/* One CSV row. */
int sock_csv_row(FILE *out, const struct snapshot *s,
		 const struct sock_record *r, const struct sock_extra *x)
{
	struct sink k = { .ops = &csv_ops, .out = out };

	walk(&k, s, r, x);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
