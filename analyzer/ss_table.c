/*
 * ss_table.c — ss 6.1's column layout, reimplemented.
 *
 * ss buffers every field of every row as a token, measures each column's
 * widest token, then prints: right-aligned address columns, left-aligned
 * others, a one-space left delimiter before most columns.  Details that ss
 * writes (fixed by its quirks, all reproduced here):
 *   - the "Process" header sits on the detail column; after it comes an
 *     always empty last column;
 *   - a column's width counts only flushed tokens, so the detail text of the
 *     very last row (and the header's "Process" when no row follows) does not
 *     widen the column;
 *   - when stdout is not a terminal (screen_width <= 0 here) columns are as
 *     wide as their content ("compact"); on a terminal the spare width is
 *     spread over the columns and lines that do not fit are wrapped;
 *   - ss renders what it has buffered whenever 5 chunks of 1 MiB are full,
 *     at a row boundary; widths only grow from one such batch to the next.
 *     The chunk accounting is simulated so huge tables break identically.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockenum.h"
#include "ss_detail.h"
#include "ss_family.h"
#include "ss_table.h"

enum col_id {
	COL_NETNS, COL_NETID, COL_STATE, COL_RECVQ, COL_SENDQ, COL_ADDR, COL_SERV,
	COL_RADDR, COL_RSERV, COL_EXT, COL_PROC, COL_MAX
};

enum col_align { ALIGN_LEFT, ALIGN_RIGHT };

struct col_spec {
	enum col_align align;
	const char *header;
	const char *ldelim;
};

static const struct col_spec cols[COL_MAX] = {
	{ ALIGN_LEFT,  "Netns",          "" },
	{ ALIGN_LEFT,  "Netid",          " " },
	{ ALIGN_LEFT,  "State",          " " },
	{ ALIGN_LEFT,  "Recv-Q",         " " },
	{ ALIGN_LEFT,  "Send-Q",         " " },
	{ ALIGN_RIGHT, "Local Address:", " " },
	{ ALIGN_LEFT,  "Port",           "" },
	{ ALIGN_RIGHT, "Peer Address:",  " " },
	{ ALIGN_LEFT,  "Port",           "" },
	{ ALIGN_LEFT,  "Process",        "" },
	{ ALIGN_LEFT,  "",               "" },
};

/* ss's output buffer geometry: chunks of 1 MiB minus the chunk header (two
 * pointers), tokens of a 16-bit length plus data padded to even size. */
#define CHUNK_DATA ((size_t)1024 * 1024 - 2 * sizeof(void *))
#define CHUNKS_MAX 5

/* One buffered line: a token per enabled column (has[c] false: none). */
struct row {
	struct ss_text tok[COL_MAX];
	bool has[COL_MAX];
};

struct table {
	FILE *out;
	const struct ss_flags *fl;
	bool disabled[COL_MAX];
	int max_len[COL_MAX];
	int width[COL_MAX];
	struct row *rows;
	size_t nrows, cap;
	/* simulated ss buffer */
	size_t chunks, used;
	bool tok_first;
	int err;
};

/* Start a fresh simulated chunk (ss's buf_chunk_new). */
static void sim_new_chunk(struct table *tb)
{
	tb->chunks++;
	tb->used = 2;
	tb->tok_first = true;
}

/* Account for a token of len bytes written to the simulated buffer. */
static void sim_token(struct table *tb, size_t len)
{
	if (!tb->chunks)
		sim_new_chunk(tb);
	if (!len)
		return;
	if (len < CHUNK_DATA - tb->used || tb->tok_first) {
		tb->used += len;
		return;
	}
	tb->chunks++;
	tb->used = 2 + len;
	tb->tok_first = true;
}

/* Account for closing a token of len bytes (ss's field_flush). */
static void sim_flush(struct table *tb, size_t len)
{
	size_t pad = len % 2;

	if (CHUNK_DATA - tb->used - pad < 2) {
		tb->used += pad;
		sim_new_chunk(tb);
		return;
	}
	tb->used += pad + 2;
	tb->tok_first = false;
}

/* Append a new empty row; NULL on ENOMEM. */
static struct row *row_new(struct table *tb)
{
	struct row *r;

	if (tb->nrows == tb->cap) {
		size_t cap = tb->cap ? tb->cap * 2 : 64;

		r = realloc(tb->rows, cap * sizeof(*r));
		if (!r) {
			tb->err = -ENOMEM;
			return NULL;
		}
		tb->rows = r;
		tb->cap = cap;
	}
	r = &tb->rows[tb->nrows++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* Free all buffered rows (after a render). */
static void rows_free(struct table *tb)
{
	for (size_t i = 0; i < tb->nrows; i++)
		for (int c = 0; c < COL_MAX; c++)
			ss_text_free(&tb->rows[i].tok[c]);
	tb->nrows = 0;
}

/* Close column c of row r: it counts for the width from now on. */
static void token_flush(struct table *tb, struct row *r, int c)
{
	int len = (int)r->tok[c].len;

	if (len > tb->max_len[c])
		tb->max_len[c] = len;
	sim_flush(tb, r->tok[c].len);
}

/* Set column c of row r to text (a token is created even if empty). */
static void token_set(struct table *tb, struct row *r, int c, const char *s)
{
	if (tb->disabled[c])
		return;
	r->has[c] = true;
	ss_text_printf(&r->tok[c], "%s", s);
	if (r->tok[c].err)
		tb->err = r->tok[c].err;
	sim_token(tb, r->tok[c].len);
}

/* ss's first width pass: content width plus the delimiter. */
static void calc_content_widths(struct table *tb, int screen)
{
	bool first = true;

	for (int c = 0; c < COL_MAX; c++) {
		tb->width[c] = 0;
		if (tb->disabled[c])
			continue;
		if (!first && tb->max_len[c])
			tb->width[c] = tb->max_len[c] +
				       (int)strlen(cols[c].ldelim);
		else
			tb->width[c] = tb->max_len[c];
		if (tb->width[c] > screen)
			tb->width[c] = screen;
		if (tb->width[c])
			first = false;
	}
}

/* True when no column after c has a width. */
static bool last_with_width(const struct table *tb, int c)
{
	for (int k = c + 1; k < COL_MAX; k++)
		if (tb->width[k])
			return false;
	return true;
}

/* Spread pad spaces over the columns (eol, c], the rightmost first. */
static void spread(struct table *tb, int eol, int c, int pad, int linecols)
{
	int spacing = pad / linecols, rem = pad % linecols;

	for (int k = c; k > eol; k--) {
		if (!tb->width[k])
			continue;
		tb->width[k] += spacing;
		if (rem) {
			tb->width[k]++;
			rem--;
		}
	}
}

/* ss's second width pass: break lines and distribute the spare width. */
static void calc_screen_widths(struct table *tb, int screen)
{
	int eol = -1, len = 0, linecols = 0;

	for (int c = 0; c < COL_MAX; c++) {
		if (!tb->width[c])
			continue;
		linecols++;
		len += tb->width[c];
		if (!last_with_width(tb, c) && len < screen)
			continue;
		if (len != screen) {
			if (len > screen) {
				len -= tb->width[c];
				c--;
				linecols--;
			}
			spread(tb, eol, c, screen - len, linecols);
		}
		eol = c;
		len = 0;
		linecols = 0;
	}
}

/* Print n spaces. */
static void put_spaces(FILE *out, int n)
{
	if (n > 0)
		fprintf(out, "%*c", n, ' ');
}

/* Print one token with its delimiter (after the first token of a line) and
 * its alignment padding. */
static void print_token(struct table *tb, int c, const struct ss_text *t,
			bool started)
{
	int printed = 0, len = (int)t->len, w = tb->width[c];

	if (started)
		printed = fprintf(tb->out, "%s", cols[c].ldelim);
	if (w && cols[c].align == ALIGN_RIGHT) {
		int s = w - len - printed;

		if (s > 0) {
			put_spaces(tb->out, s);
			printed += s;
		}
	}
	if (len)
		fwrite(t->s, 1, (size_t)len, tb->out);
	printed += len;
	if (w && cols[c].align == ALIGN_LEFT)
		put_spaces(tb->out, w - printed);
}

/* Render the buffered rows with the current widths, then drop them. */
static void render(struct table *tb)
{
	int screen = tb->fl->screen_width > 0 ? tb->fl->screen_width : INT_MAX;

	if (!tb->nrows)
		return;
	calc_content_widths(tb, screen);
	if (tb->fl->screen_width > 0)
		calc_screen_widths(tb, screen);
	for (size_t i = 0; i < tb->nrows; i++) {
		struct row *r = &tb->rows[i];
		bool started = false;

		for (int c = 0; c < COL_MAX; c++) {
			if (!r->has[c])
				continue;
			print_token(tb, c, &r->tok[c], started);
			started = true;
		}
		fputc('\n', tb->out);
	}
	rows_free(tb);
}

/* Flush the previous row's detail column and, as ss does when it moves on
 * to a new line, render everything once 5 chunks are in use. */
static void row_boundary(struct table *tb)
{
	struct row *prev;

	if (!tb->nrows)
		return;
	prev = &tb->rows[tb->nrows - 1];
	if (prev->has[COL_EXT])
		token_flush(tb, prev, COL_EXT);
	if (tb->chunks >= CHUNKS_MAX) {
		render(tb);
		tb->chunks = 0;
		return;
	}
	sim_flush(tb, 0);
}

/* Add a row whose columns are given as strings (NULL for the tail). */
static struct row *add_row(struct table *tb, const char *const v[COL_EXT])
{
	struct row *r;

	row_boundary(tb);
	r = row_new(tb);
	if (!r)
		return NULL;
	for (int c = 0; c < COL_EXT; c++) {
		token_set(tb, r, c, v[c]);
		if (!tb->disabled[c])
			token_flush(tb, r, c);
	}
	return r;
}

/* The header line: every column title up to "Process". */
static void add_header(struct table *tb)
{
	const char *v[COL_EXT];
	struct row *r;

	for (int c = 0; c < COL_EXT; c++)
		v[c] = cols[c].header;
	r = add_row(tb, v);
	if (r)
		token_set(tb, r, COL_EXT, cols[COL_EXT].header);
}

/* Ephemeral port range of the running system (ss's is_ephemeral()). */
static bool is_ephemeral(unsigned port)
{
	static int lo, hi;

	if (!lo) {
		FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

		if (!f || fscanf(f, "%d %d", &lo, &hi) < 2) {
			lo = 1024;
			hi = 4999;
		}
		if (f)
			fclose(f);
	}
	return (int)port >= lo && (int)port <= hi;
}

/* One remembered service lookup. */
struct svc_cache {
	uint16_t port;
	uint8_t netid;
	bool found;
	char name[32];
};

/* Service name of port for tcp/udp, or NULL (ss's resolve_service cache). */
static const char *service_name(unsigned port, unsigned netid)
{
	static struct svc_cache cache[256];
	struct svc_cache *c = &cache[(port ^ netid * 131u) % 256];
	struct servent *se;

	if (c->port == port && c->netid == netid)
		return c->found ? c->name : NULL;
	c->port = (uint16_t)port;
	c->netid = (uint8_t)netid;
	c->found = false;
	c->name[0] = '\0';
	if (is_ephemeral(port))
		return NULL;
	se = getservbyport(htons((uint16_t)port),
			   netid == NETID_UDP ? "udp" : "tcp");
	if (!se)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", se->s_name);
	c->found = true;
	return c->name;
}

/* The Port column text for an inet record's port. */
static void format_port(char *buf, size_t len, unsigned port,
			const struct sock_record *r, const struct ss_flags *fl)
{
	const char *name;
	struct protoent *pe;

	if (port == 0) {
		snprintf(buf, len, "*");
		return;
	}
	if (fl->numeric) {
		snprintf(buf, len, "%u", port);
		return;
	}
	if (r->netid == NETID_RAW) {
		pe = getprotobynumber((int)port);
		if (pe)
			snprintf(buf, len, "%s", pe->p_name);
		else
			snprintf(buf, len, "ipproto-%u", port);
		return;
	}
	name = service_name(port, r->netid);
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%u", port);
}

/* The address column text: "1.2.3.4:", "[::1]:", "*:", "addr%dev:". */
static void format_addr(char *buf, size_t len, const struct sock_record *r,
			const uint8_t *a, unsigned ifindex, bool v6only)
{
	char host[INET6_ADDRSTRLEN + 2], ip[INET6_ADDRSTRLEN];
	char ifname[IF_NAMESIZE + 8];

	if (r->family == AF_INET) {
		inet_ntop(AF_INET, a, host, sizeof(host));
	} else if (!v6only && !memcmp(a, &in6addr_any, 16)) {
		snprintf(host, sizeof(host), "*");
	} else {
		inet_ntop(AF_INET6, a, ip, sizeof(ip));
		snprintf(host, sizeof(host), strchr(ip, ':') ? "[%s]" : "%s",
			 ip);
	}
	if (!ifindex) {
		snprintf(buf, len, "%s:", host);
		return;
	}
	if (!if_indextoname(ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "if%u", ifindex);
	snprintf(buf, len, "%s%%%s:", host, ifname);
}

/* Columns Netid..Port of an inet record. */
static void inet_columns(char v[COL_EXT][128], const struct sock_record *r,
			 const struct ss_flags *fl)
{
	bool v6only = (r->has & SR_HAS_V6ONLY) && r->v6only &&
		      !ss_raw_from_proc(r);
	unsigned lport = r->netid == NETID_RAW && r->protocol ? r->protocol :
			 r->sport;

	format_addr(v[COL_ADDR], 128, r, r->src, r->ifindex, v6only);
	format_port(v[COL_SERV], 128, lport, r, fl);
	format_addr(v[COL_RADDR], 128, r, r->dst, 0, v6only);
	format_port(v[COL_RSERV], 128, r->dport, r, fl);
}

/* Columns Netid..Port of a unix record: name or "*", inode, peer. */
static void unix_columns(char v[COL_EXT][128], const struct snapshot *s,
			 const struct sock_record *r, const char **name)
{
	const char *n = snapshot_str(s, r->name);

	*name = *n ? n : "*";
	snprintf(v[COL_SERV], 128, "%d", (int)(uint32_t)r->inode);
	snprintf(v[COL_RADDR], 128, "* ");
	snprintf(v[COL_RSERV], 128, "%d", (int)r->peer_inode);
}

/* Add one socket's row: fixed columns (Netns: netns, NULL when disabled),
 * then the detail column and the note (NULL: none) on a continuation
 * line. */
static void add_record(struct table *tb, const struct snapshot *s,
		       const struct sock_record *r, struct ss_text *name,
		       const char *netns, const char *note)
{
	char v[COL_EXT][128];
	const char *p[COL_EXT], *uname;
	struct row *row;

	snprintf(v[COL_NETNS], 128, "%s", netns ? netns : "");
	snprintf(v[COL_NETID], 128, "%s", netid_name(r->netid));
	snprintf(v[COL_STATE], 128, "%s", ss_state_name(r));
	snprintf(v[COL_RECVQ], 128, "%-6d", (int)r->rqueue);
	snprintf(v[COL_SENDQ], 128, "%-6d", (int)r->wqueue);
	for (int c = 0; c < COL_EXT; c++)
		p[c] = v[c];
	ss_text_clear(name);
	if (r->family == AF_UNIX) {
		unix_columns(v, s, r, &uname);
		ss_text_printf(name, "%s ", uname);
		p[COL_ADDR] = name->s;
	} else if (ss_family_other(r)) {
		ss_family_columns(&v[COL_ADDR], s, r, tb->fl);
	} else {
		inet_columns(v, r, tb->fl);
	}
	if (name->err)
		tb->err = name->err;
	row = add_row(tb, p);
	if (!row)
		return;
	row->has[COL_EXT] = true;
	ss_detail_render(&row->tok[COL_EXT], s, r, tb->fl);
	if (note)
		ss_text_printf(&row->tok[COL_EXT], "\n\t%s", note);
	if (row->tok[COL_EXT].err)
		tb->err = row->tok[COL_EXT].err;
	sim_token(tb, row->tok[COL_EXT].len);
}

/* Render the blocks' rows to out with ss's header and column layout, and
 * the notes. */
int ss_table_render_blocks(FILE *out, const struct ss_block *b, size_t nb,
			   const struct ss_flags *fl)
{
	struct table tb = { .out = out, .fl = fl };
	struct ss_text name = { 0 };

	tb.disabled[COL_NETNS] = !nb || !b[0].netns;
	tb.disabled[COL_NETID] = !fl->show_netid;
	tb.disabled[COL_STATE] = !fl->show_state;
	if (!fl->no_header)
		add_header(&tb);
	for (size_t k = 0; k < nb; k++)
		for (size_t i = 0; i < b[k].n && !tb.err; i++)
			add_record(&tb, b[k].s, b[k].rows[i], &name,
				   b[k].netns,
				   b[k].notes ? b[k].notes[i] : NULL);
	if (!tb.err)
		render(&tb);
	rows_free(&tb);
	free(tb.rows);
	ss_text_free(&name);
	if (tb.err)
		return tb.err;
	if (fflush(out) == EOF || ferror(out))
		return -EIO;
	return 0;
}

/* Render rows[0..n) of s to out with ss's header and column layout, and
 * the notes. */
int ss_table_render_notes(FILE *out, const struct snapshot *s,
			  const struct sock_record *const *rows, size_t n,
			  const struct ss_flags *fl, const char *const *notes)
{
	struct ss_block b = { .s = s, .rows = rows, .n = n, .notes = notes };

	return ss_table_render_blocks(out, &b, 1, fl);
}

/* Render rows[0..n) of s to out with ss's header and column layout. */
int ss_table_render(FILE *out, const struct snapshot *s,
		    const struct sock_record *const *rows, size_t n,
		    const struct ss_flags *fl)
{
	return ss_table_render_notes(out, s, rows, n, fl, NULL);
}
