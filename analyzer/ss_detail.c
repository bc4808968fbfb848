/*
 * ss_detail.c — ss 6.1's per-socket detail text, field by field.
 *
 * The spelling, order and print conditions follow iproute2 6.1 misc/ss.c
 * (inet_show_sock, tcp_show_info/tcp_stats_print, unix_show_sock,
 * print_skmeminfo, sock_details_print).  tcp_info is read through
 * tcpinfo.h, so fields a short (older kernel) record lacks read as 0 just as
 * ss zero-extends a short attribute; bytes past ss 6.1's 232-byte struct are
 * ignored, as ss ignores them.
 */
#include <errno.h>
#include <ftw.h>
#include <mntent.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cgpath.h"
#include "ccinfo.h"
#include "sockenum.h"
#include "ss_detail.h"
#include "ss_family.h"
#include "tcpinfo.h"

/* tcpi_options bits (uapi linux/tcp.h). */
#define TCPI_OPT_TIMESTAMPS 1
#define TCPI_OPT_SACK       2
#define TCPI_OPT_WSCALE     4
#define TCPI_OPT_ECN        8
#define TCPI_OPT_ECN_SEEN   16
#define TCPI_OPT_SYN_DATA   32

/* ss 6.1 is built against a 232-byte struct tcp_info and ignores the rest. */
#define SS_TCP_INFO_LEN 232

/* SK_MEMINFO_* indices (uapi linux/sock_diag.h). */
enum { SKM_RMEM, SKM_RCVBUF, SKM_WMEM, SKM_SNDBUF, SKM_FWD, SKM_WQUEUED,
       SKM_OPTMEM, SKM_BACKLOG, SKM_DROPS };

/* Grow t so that it can hold need more bytes plus a NUL; false on ENOMEM. */
static bool text_reserve(struct ss_text *t, size_t need)
{
	size_t cap;
	char *p;

	if (t->len + need + 1 <= t->cap)
		return true;
	cap = t->cap ? t->cap : 128;
	while (cap < t->len + need + 1)
		cap *= 2;
	p = realloc(t->s, cap);
	if (!p) {
		t->err = -ENOMEM;
		return false;
	}
	t->s = p;
	t->cap = cap;
	return true;
}

/* Append formatted text; a failed allocation is remembered in t->err. */
void ss_text_printf(struct ss_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !text_reserve(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* Make t empty again without freeing it. */
void ss_text_clear(struct ss_text *t)
{
	t->len = 0;
	if (t->s)
		t->s[0] = '\0';
}

/* Release t's buffer. */
void ss_text_free(struct ss_text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

/* ss's print_ms_timer(): minutes drop the ms, ten+ minutes drop the seconds,
 * ten+ seconds drop the ms; "sec" only when no ms part follows. */
const char *ss_format_ms(char *buf, uint32_t ms)
{
	unsigned secs = ms / 1000, minutes = secs / 60, msecs = ms % 1000;
	size_t n = 0;

	secs %= 60;
	buf[0] = '\0';
	if (minutes) {
		msecs = 0;
		n += (size_t)snprintf(buf, 48, "%umin", minutes);
		if (minutes > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		n += (size_t)snprintf(buf + n, 64 - n, "%u%s", secs,
				      msecs ? "." : "sec");
	}
	if (msecs)
		snprintf(buf + n, 64 - n, "%03ums", msecs);
	return buf;
}

/* ss's sprint_bw(). */
const char *ss_format_bw(char *buf, double bw, bool numeric)
{
	if (numeric)
		snprintf(buf, 64, "%.0f", bw);
	else if (bw >= 1e12)
		snprintf(buf, 64, "%.3gT", bw / 1e12);
	else if (bw >= 1e9)
		snprintf(buf, 64, "%.3gG", bw / 1e9);
	else if (bw >= 1e6)
		snprintf(buf, 64, "%.3gM", bw / 1e6);
	else if (bw >= 1e3)
		snprintf(buf, 64, "%.3gk", bw / 1e3);
	else
		snprintf(buf, 64, "%g", bw);
	return buf;
}

/* cgroup id -> path map, built once from the cgroup2 mount (like ss). */
struct cg_entry {
	uint64_t id;
	char *path;
};

static struct {
	bool done;
	struct cg_entry *v;
	size_t n, cap;
	size_t mntlen;
	const char *mounts;
} cg_map;

/* nftw callback: remember every directory's inode (its cgroup id). */
static int cg_walk(const char *fpath, const struct stat *sb, int type,
		   struct FTW *ftw)
{
	const char *rel = fpath + cg_map.mntlen;
	struct cg_entry *v;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (cg_map.n == cg_map.cap) {
		size_t cap = cg_map.cap ? cg_map.cap * 2 : 64;

		v = realloc(cg_map.v, cap * sizeof(*v));
		if (!v)
			return -1;
		cg_map.v = v;
		cg_map.cap = cap;
	}
	v = &cg_map.v[cg_map.n];
	v->id = (uint64_t)sb->st_ino;
	v->path = strdup(*rel ? rel : "/");
	if (!v->path)
		return -1;
	cg_map.n++;
	return 0;
}

/* Forget the map; the next lookup reads mounts (tests point it elsewhere). */
void ss_cgroup_reset(const char *mounts)
{
	for (size_t i = 0; i < cg_map.n; i++)
		free(cg_map.v[i].path);
	free(cg_map.v);
	memset(&cg_map, 0, sizeof(cg_map));
	cg_map.mounts = mounts;
}

/* Find the first cgroup2 mount and walk it (ss's cg_init_map()). */
static void cg_map_init(void)
{
	const char *mounts;
	struct mntent *m;
	char *dir = NULL;
	FILE *f;

	cg_map.done = true;
	mounts = cg_map.mounts ? cg_map.mounts : "/proc/self/mounts";
	f = setmntent(mounts, "r");
	if (!f)
		return;
	while ((m = getmntent(f)) != NULL) {
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			dir = strdup(m->mnt_dir);
			break;
		}
	}
	endmntent(f);
	if (!dir)
		return;
	cg_map.mntlen = strlen(dir);
	nftw(dir, cg_walk, 64, FTW_MOUNT | FTW_PHYS);
	free(dir);
}

/* Path of cgroup id, or "unreachable:<id>" as ss prints unknown ids. */
const char *ss_cgroup_path(uint64_t id)
{
	static char buf[64];

	if (!cg_map.done)
		cg_map_init();
	for (size_t i = 0; i < cg_map.n; i++)
		if (cg_map.v[i].id == id)
			return cg_map.v[i].path;
	snprintf(buf, sizeof(buf), "unreachable:%llx", (unsigned long long)id);
	return buf;
}

/* users:(("comm",pid=P,fd=F),...) in the stored (ss) order. */
void ss_detail_users(struct ss_text *t, const struct snapshot *s,
		     const struct sock_record *r)
{
	if (!r->inode || !r->proc_count ||
	    (size_t)r->proc_first + r->proc_count > s->nprocs)
		return;
	ss_text_printf(t, " users:(");
	for (uint32_t i = 0; i < r->proc_count; i++) {
		const struct sr_process *p = &s->procs[r->proc_first + i];

		ss_text_printf(t, "%s(\"%s\",pid=%d,fd=%d)", i ? "," : "",
			       snapshot_str(s, p->comm), (int)p->pid,
			       (int)p->fd);
	}
	ss_text_printf(t, ")");
}

/* timer:(name,remaining,retrans) when a timer is armed. */
void ss_detail_timer(struct ss_text *t, const struct sock_record *r)
{
	char buf[64];

	if (!r->timer)
		return;
	ss_text_printf(t, " timer:(%s,%s,%d)", timer_name(r->timer > 4 ? 5 :
			r->timer), ss_format_ms(buf, r->expires_ms),
		       (int)r->retrans);
}

/* -e basics: uid (if not root), ino, sk (cookie), fwmark, cgroup. */
void ss_detail_sock(struct ss_text *t, const struct sock_record *r)
{
	if (r->uid)
		ss_text_printf(t, " uid:%u", r->uid);
	ss_text_printf(t, " ino:%u", (unsigned)r->inode);
	ss_text_printf(t, " sk:%llx", (unsigned long long)r->cookie);
	if ((r->has & SR_HAS_MARK) && r->mark)
		ss_text_printf(t, " fwmark:0x%x", r->mark);
	if ((r->has & SR_HAS_CGROUP) && r->cgroup_id)
		ss_text_printf(t, " cgroup:%s", cgpath_of(r->cgroup_id));
}

/* The shutdown arrows: "<->", "<--" (no more sends), "-->", "---". */
void ss_detail_shutdown(struct ss_text *t, const struct sock_record *r)
{
	if (!(r->has & SR_HAS_SHUTDOWN))
		return;
	ss_text_printf(t, " %c-%c", r->shutdown & 1 ? '-' : '<',
		       r->shutdown & 2 ? '-' : '>');
}

/* --tos: tos, tclass (IPv6) and class_id, each when the kernel sent it. */
void ss_detail_tos(struct ss_text *t, const struct sock_record *r)
{
	if (r->has & SR_HAS_TOS)
		ss_text_printf(t, " tos:%#x", r->tos);
	if (r->has & SR_HAS_TCLASS)
		ss_text_printf(t, " tclass:%#x", r->tclass);
	if (r->has & SR_HAS_CLASS_ID)
		ss_text_printf(t, " class_id:%#x", r->class_id);
}

/* -m: skmem:(...) from SK_MEMINFO, else the older mem:(...) (inet only). */
void ss_detail_skmem(struct ss_text *t, const struct sock_record *r)
{
	const uint32_t *m = r->skmem;

	if (!(r->has & SR_HAS_SKMEM) || r->skmem_count < SKM_BACKLOG) {
		if ((r->has & SR_HAS_MEMINFO) && r->family != AF_UNIX)
			ss_text_printf(t, " mem:(r%u,w%u,f%u,t%u)",
				       r->meminfo[0], r->meminfo[1],
				       r->meminfo[2], r->meminfo[3]);
		return;
	}
	ss_text_printf(t, " skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u",
		       m[SKM_RMEM], m[SKM_RCVBUF], m[SKM_WMEM], m[SKM_SNDBUF],
		       m[SKM_FWD], m[SKM_WQUEUED], m[SKM_OPTMEM]);
	if (r->skmem_count > SKM_BACKLOG)
		ss_text_printf(t, ",bl%u", m[SKM_BACKLOG]);
	if (r->skmem_count > SKM_DROPS)
		ss_text_printf(t, ",d%u", m[SKM_DROPS]);
	ss_text_printf(t, ")");
}

/* A tcp_info view limited to what ss 6.1 reads. */
struct tinfo {
	const uint8_t *raw;
	size_t len;
};

/* Field f of the view (0 when absent). */
static uint64_t ti(const struct tinfo *v, enum tcpinfo_field f)
{
	return tcpinfo_val(v->raw, v->len, f);
}

/* Print " name:%u" when the field is not zero. */
static void put_u(struct ss_text *t, const char *name, uint64_t v)
{
	if (v)
		ss_text_printf(t, " %s:%u", name, (unsigned)v);
}

/* Print " name:%llu" when the field is not zero. */
static void put_llu(struct ss_text *t, const char *name, uint64_t v)
{
	if (v)
		ss_text_printf(t, " %s:%llu", name, (unsigned long long)v);
}

/* Print a time in microseconds as ss's " name:%g" milliseconds. */
static void put_ms(struct ss_text *t, const char *name, uint64_t us)
{
	if (us)
		ss_text_printf(t, " %s:%g", name, (double)us / 1000);
}

/* -o flags of tcp_info: ts sack ecn ecnseen fastopen. */
static void tcp_options(struct ss_text *t, uint64_t opt)
{
	if (opt & TCPI_OPT_TIMESTAMPS)
		ss_text_printf(t, " ts");
	if (opt & TCPI_OPT_SACK)
		ss_text_printf(t, " sack");
	if (opt & TCPI_OPT_ECN)
		ss_text_printf(t, " ecn");
	if (opt & TCPI_OPT_ECN_SEEN)
		ss_text_printf(t, " ecnseen");
	if (opt & TCPI_OPT_SYN_DATA)
		ss_text_printf(t, " fastopen");
}

/* cong, wscale, rto, backoff, rtt, ato, mss... ssthresh. */
static void tcp_basics(struct ss_text *t, const struct snapshot *s,
		       const struct sock_record *r, const struct tinfo *v)
{
	uint64_t rto = ti(v, TI_RTO), ssthresh = ti(v, TI_SND_SSTHRESH);
	char cong[16];

	if (r->has & SR_HAS_CONG) {
		snprintf(cong, sizeof(cong), "%s", snapshot_str(s, r->cong));
		if (cong[0])
			ss_text_printf(t, " %s", cong);
	}
	if (ti(v, TI_OPTIONS) & TCPI_OPT_WSCALE)
		ss_text_printf(t, " wscale:%d,%d", (int)ti(v, TI_SND_WSCALE),
			       (int)ti(v, TI_RCV_WSCALE));
	if (rto != 3000000)
		put_ms(t, "rto", rto);
	put_u(t, "backoff", ti(v, TI_BACKOFF));
	if (ti(v, TI_RTT))
		ss_text_printf(t, " rtt:%g/%g", (double)ti(v, TI_RTT) / 1000,
			       (double)ti(v, TI_RTTVAR) / 1000);
	put_ms(t, "ato", ti(v, TI_ATO));
	put_u(t, "mss", ti(v, TI_SND_MSS));
	put_u(t, "pmtu", ti(v, TI_PMTU));
	put_u(t, "rcvmss", ti(v, TI_RCV_MSS));
	put_u(t, "advmss", ti(v, TI_ADVMSS));
	put_u(t, "cwnd", ti(v, TI_SND_CWND));
	if (ssthresh < 0xFFFF)
		put_u(t, "ssthresh", ssthresh);
}

/* bytes_* and segs_* counters. */
static void tcp_counters(struct ss_text *t, const struct tinfo *v)
{
	put_llu(t, "bytes_sent", ti(v, TI_BYTES_SENT));
	put_llu(t, "bytes_retrans", ti(v, TI_BYTES_RETRANS));
	put_llu(t, "bytes_acked", ti(v, TI_BYTES_ACKED));
	put_llu(t, "bytes_received", ti(v, TI_BYTES_RECEIVED));
	put_u(t, "segs_out", ti(v, TI_SEGS_OUT));
	put_u(t, "segs_in", ti(v, TI_SEGS_IN));
	put_u(t, "data_segs_out", ti(v, TI_DATA_SEGS_OUT));
	put_u(t, "data_segs_in", ti(v, TI_DATA_SEGS_IN));
}

/* send rate (cwnd*mss/rtt, rtt from Vegas when it has one), last*, pacing
 * and delivery rates. */
static void tcp_rates(struct ss_text *t, const struct tinfo *v, uint64_t rtt,
		      bool numeric)
{
	uint64_t mss = ti(v, TI_SND_MSS);
	uint64_t cwnd = ti(v, TI_SND_CWND), pr = ti(v, TI_PACING_RATE);
	uint64_t mpr = ti(v, TI_MAX_PACING_RATE);
	char b[64];

	if (rtt && mss && cwnd)
		ss_text_printf(t, " send %sbps", ss_format_bw(b, (double)cwnd *
			       (double)mss * 8000000. / (double)rtt, numeric));
	put_u(t, "lastsnd", ti(v, TI_LAST_DATA_SENT));
	put_u(t, "lastrcv", ti(v, TI_LAST_DATA_RECV));
	put_u(t, "lastack", ti(v, TI_LAST_ACK_RECV));
	if (pr && pr != ~0ULL) {
		ss_text_printf(t, " pacing_rate %sbps",
			       ss_format_bw(b, (double)pr * 8., numeric));
		if (mpr && mpr != ~0ULL)
			ss_text_printf(t, "/%sbps", ss_format_bw(b,
				       (double)mpr * 8., numeric));
	}
	if (ti(v, TI_DELIVERY_RATE))
		ss_text_printf(t, " delivery_rate %sbps", ss_format_bw(b,
			       (double)ti(v, TI_DELIVERY_RATE) * 8., numeric));
	put_u(t, "delivered", ti(v, TI_DELIVERED));
	put_u(t, "delivered_ce", ti(v, TI_DELIVERED_CE));
	if (ti(v, TI_DELIVERY_RATE_APP_LIMITED))
		ss_text_printf(t, " app_limited");
}

/* The RTT ss uses for the send rate: Vegas' own when it is valid. */
static uint64_t send_rtt(const struct cc_info *cc, const struct tinfo *v)
{
	if (cc->kind == CC_VEGAS && cc->u.vegas.enabled && cc->u.vegas.rtt_us &&
	    cc->u.vegas.rtt_us != 0x7fffffff)
		return cc->u.vegas.rtt_us;
	return ti(v, TI_RTT);
}

/* dctcp:(...) or bbr:(...) after the segment counters, as ss prints them. */
static void tcp_ccinfo(struct ss_text *t, const struct cc_info *cc, bool numeric)
{
	char buf[64];

	if (cc->kind == CC_DCTCP && cc->u.dctcp.enabled)
		ss_text_printf(t, " dctcp:(ce_state:%u,alpha:%u,ab_ecn:%u,ab_tot:%u)",
			       cc->u.dctcp.ce_state, cc->u.dctcp.alpha,
			       cc->u.dctcp.ab_ecn, cc->u.dctcp.ab_tot);
	else if (cc->kind == CC_DCTCP)
		ss_text_printf(t, " dctcp:fallback_mode");
	if (cc->kind != CC_BBR)
		return;
	ss_text_printf(t, " bbr:(bw:%sbps,mrtt:%g",
		       ss_format_bw(buf, (double)cc->u.bbr.bw * 8.0, numeric),
		       (double)cc->u.bbr.min_rtt_us / 1000.0);
	if (cc->u.bbr.pacing_gain)
		ss_text_printf(t, ",pacing_gain:%g", (double)cc->u.bbr.pacing_gain / 256.0);
	if (cc->u.bbr.cwnd_gain)
		ss_text_printf(t, ",cwnd_gain:%g", (double)cc->u.bbr.cwnd_gain / 256.0);
	ss_text_printf(t, ")");
}

/* busy:, rwnd_limited:, sndbuf_limited: (only when busy time is known). */
static void tcp_busy(struct ss_text *t, const struct tinfo *v)
{
	uint64_t busy = ti(v, TI_BUSY_TIME), rw = ti(v, TI_RWND_LIMITED);
	uint64_t sb = ti(v, TI_SNDBUF_LIMITED);

	if (!busy)
		return;
	ss_text_printf(t, " busy:%llums", (unsigned long long)busy / 1000);
	if (rw)
		ss_text_printf(t, " rwnd_limited:%llums(%.1f%%)",
			       (unsigned long long)rw / 1000,
			       100.0 * (double)rw / (double)busy);
	if (sb)
		ss_text_printf(t, " sndbuf_limited:%llums(%.1f%%)",
			       (unsigned long long)sb / 1000,
			       100.0 * (double)sb / (double)busy);
}

/* unacked, retrans, lost ... snd_wnd: the tail of ss's tcp line. */
static void tcp_tail(struct ss_text *t, const struct sock_record *r,
		     const struct tinfo *v)
{
	uint64_t retr = ti(v, TI_RETRANS), tot = ti(v, TI_TOTAL_RETRANS);
	uint64_t minrtt = ti(v, TI_MIN_RTT);

	put_u(t, "unacked", ti(v, TI_UNACKED));
	if (retr || tot)
		ss_text_printf(t, " retrans:%u/%u", (unsigned)retr,
			       (unsigned)tot);
	put_u(t, "lost", ti(v, TI_LOST));
	if (r->state != SS_LISTEN)
		put_u(t, "sacked", ti(v, TI_SACKED));
	put_u(t, "dsack_dups", ti(v, TI_DSACK_DUPS));
	put_u(t, "fackets", ti(v, TI_FACKETS));
	if (ti(v, TI_REORDERING) != 3)
		ss_text_printf(t, " reordering:%d", (int)ti(v, TI_REORDERING));
	if (ti(v, TI_REORD_SEEN))
		ss_text_printf(t, " reord_seen:%d", (int)ti(v, TI_REORD_SEEN));
	put_ms(t, "rcv_rtt", ti(v, TI_RCV_RTT));
	if (ti(v, TI_RCV_SPACE))
		ss_text_printf(t, " rcv_space:%d", (int)ti(v, TI_RCV_SPACE));
	put_u(t, "rcv_ssthresh", ti(v, TI_RCV_SSTHRESH));
	put_u(t, "notsent", ti(v, TI_NOTSENT_BYTES));
	if (minrtt != 0xFFFFFFFFu)
		put_ms(t, "minrtt", minrtt);
	put_u(t, "rcv_ooopack", ti(v, TI_RCV_OOOPACK));
	put_u(t, "snd_wnd", ti(v, TI_SND_WND));
}

/* -i: ss's tcp_info summary (nothing when the record has no tcp_info). */
void ss_detail_tcp_info(struct ss_text *t, const struct snapshot *s,
			const struct sock_record *r,
			const struct ss_flags *fl)
{
	struct tinfo v;
	struct cc_info cc;

	if (!r->tcpi_len || (size_t)r->tcpi_off + r->tcpi_len > s->nbytes)
		return;
	v.raw = s->bytes + r->tcpi_off;
	v.len = r->tcpi_len < SS_TCP_INFO_LEN ? r->tcpi_len : SS_TCP_INFO_LEN;
	if (fl->options || fl->extended)
		tcp_options(t, ti(&v, TI_OPTIONS));
	tcp_basics(t, s, r, &v);
	ccinfo_decode(s, r, &cc);
	tcp_counters(t, &v);
	tcp_ccinfo(t, &cc, fl->numeric);
	tcp_rates(t, &v, send_rtt(&cc, &v), fl->numeric);
	tcp_busy(t, &v);
	tcp_tail(t, r, &v);
}

/* -e for unix: the bound file's inode and device (dev_t split by glibc). */
void ss_detail_unix_vfs(struct ss_text *t, const struct sock_record *r)
{
	if (!(r->has & SR_HAS_VFS))
		return;
	ss_text_printf(t, " ino:%u dev:%u/%u", r->vfs_ino,
		       major((dev_t)r->vfs_dev), minor((dev_t)r->vfs_dev));
}

/* -e for a unix listener: " peers:" and the inodes of pending connections. */
void ss_detail_unix_peers(struct ss_text *t, const struct snapshot *s,
			  const struct sock_record *r)
{
	if (!(r->has & SR_HAS_ICONS) ||
	    (size_t)r->icons_off + r->icons_len > s->nbytes)
		return;
	ss_text_printf(t, " peers:");
	for (uint32_t i = 0; i + 4 <= r->icons_len; i += 4) {
		uint32_t ino;
		memcpy(&ino, s->bytes + r->icons_off + i, sizeof(ino));
		ss_text_printf(t, " %u", ino);
	}
}

/* Raw sockets without any netlink attribute came from /proc/net/raw. */
bool ss_raw_from_proc(const struct sock_record *r)
{
	return r->netid == NETID_RAW && !(r->has & SR_HAS_SHUTDOWN);
}

/* Detail column of a unix socket (unix_show_sock). */
static void detail_unix(struct ss_text *t, const struct snapshot *s,
			const struct sock_record *r, const struct ss_flags *fl)
{
	if (fl->processes)
		ss_detail_users(t, s, r);
	if (fl->memory)
		ss_detail_skmem(t, r);
	if (!fl->extended)
		return;
	ss_detail_shutdown(t, r);
	ss_detail_unix_vfs(t, r);
	ss_detail_unix_peers(t, s, r);
}

/* Detail column of a TCP/UDP/raw socket (inet_show_sock). */
static void detail_inet(struct ss_text *t, const struct snapshot *s,
			const struct sock_record *r, const struct ss_flags *fl)
{
	if (fl->processes)
		ss_detail_users(t, s, r);
	if (ss_raw_from_proc(r))
		return;
	if (fl->options || fl->extended)
		ss_detail_timer(t, r);
	if (fl->extended) {
		ss_detail_sock(t, r);
		if (r->family == AF_INET6 && (r->has & SR_HAS_V6ONLY))
			ss_text_printf(t, " v6only:%u", r->v6only);
		ss_detail_shutdown(t, r);
	}
	if (fl->tos)
		ss_detail_tos(t, r);
	if (fl->cgroup && (r->has & SR_HAS_CGROUP))
		ss_text_printf(t, " cgroup:%s", cgpath_of(r->cgroup_id));
	if (fl->memory || (fl->info && r->netid != NETID_UDP)) {
		ss_text_printf(t, "\n\t");
		if (fl->memory)
			ss_detail_skmem(t, r);
		if (fl->info)
			ss_detail_tcp_info(t, s, r, fl);
	}
}

/* Everything ss prints after the peer address for record r. */
void ss_detail_render(struct ss_text *t, const struct snapshot *s,
		      const struct sock_record *r, const struct ss_flags *fl)
{
	if (r->family == AF_UNIX)
		detail_unix(t, s, r, fl);
	else if (ss_family_other(r))
		ss_family_detail(t, s, r, fl);
	else
		detail_inet(t, s, r, fl);
}
