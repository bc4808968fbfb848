/*
 * sockselect.c — ss's socket selection: table/family flags, state defaults,
 * the FILTER (operands or -F FILE), and ss's row order.
 *
 * The selection follows ss's main(): family/table flags (-t -u -w -S -M -x
 * -0 -4 -6 --vsock --xdp --tipc, -A, -f) each add their table's or
 * family's default states, -a / -l / `state` /
 * `exclude` replace the states, no table or family flag means every table
 * with the default states, and then tables and families complete each
 * other (filter_merge_defaults in ss).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cgpath.h"
#include "options.h"
#include "sockenum.h"
#include "sockselect.h"

#define BIT(n) (1u << (n))
/* ss's SS_ALL and SS_CONN over kernel state numbers 0..SS_CLOSING. */
#define SS_ALL_MASK (BIT(SS_CLOSING + 1) - 1)
#define SS_CONN_MASK (SS_ALL_MASK & ~(BIT(SS_LISTEN) | BIT(SS_CLOSE) | \
				      BIT(SS_TIME_WAIT) | BIT(SS_SYN_RECV)))

/* ss's socket tables ("dbs"), in ss's numbering order. */
enum ss_db {
	DB_TCP, DB_MPTCP, DB_DCCP, DB_UDP, DB_RAW, DB_U_DG, DB_U_ST, DB_U_SQ,
	DB_P_DG, DB_P_R, DB_NETLINK, DB_SCTP, DB_V_ST, DB_V_DG, DB_TIPC,
	DB_XDP, DB_MAX
};

/* Families as bits of their own (ss's FAMILY_MASK). */
enum {
	FAM_UNIX = 1, FAM_INET = 2, FAM_INET6 = 4, FAM_PACKET = 8,
	FAM_NETLINK = 16, FAM_VSOCK = 32, FAM_TIPC = 64, FAM_XDP = 128,
};
#define FAM_IP (FAM_INET | FAM_INET6)
#define TIPC_SS_CONN (BIT(SS_ESTABLISHED) | BIT(SS_LISTEN) | BIT(SS_CLOSE))

/* A table: the netids it lists, its families, the states its flag adds
 * (ss's default_dbs). */
static const struct {
	uint32_t netids, families, states;
} db_info[DB_MAX] = {
	[DB_TCP] = { BIT(NETID_TCP), FAM_IP, SS_CONN_MASK },
	[DB_MPTCP] = { BIT(NETID_MPTCP), FAM_IP, SS_CONN_MASK },
	[DB_DCCP] = { 0, FAM_IP, SS_CONN_MASK },
	[DB_UDP] = { BIT(NETID_UDP), FAM_IP, BIT(SS_ESTABLISHED) },
	[DB_RAW] = { BIT(NETID_RAW), FAM_IP, BIT(SS_ESTABLISHED) },
	[DB_U_DG] = { BIT(NETID_U_DGR), FAM_UNIX, BIT(SS_CLOSE) },
	[DB_U_ST] = { BIT(NETID_U_STR), FAM_UNIX, SS_CONN_MASK },
	[DB_U_SQ] = { BIT(NETID_U_SEQ), FAM_UNIX, SS_CONN_MASK },
	/* ss 6.1 prints every packet socket the kernel sends for either
	 * packet table (its netlink path does not check the type) */
	[DB_P_DG] = { BIT(NETID_P_DGR) | BIT(NETID_P_RAW), FAM_PACKET,
		      BIT(SS_CLOSE) },
	[DB_P_R] = { BIT(NETID_P_RAW) | BIT(NETID_P_DGR), FAM_PACKET,
		     BIT(SS_CLOSE) },
	[DB_NETLINK] = { BIT(NETID_NETLINK), FAM_NETLINK, BIT(SS_CLOSE) },
	[DB_SCTP] = { BIT(NETID_SCTP), FAM_IP, SS_CONN_MASK },
	/* ss lists vsock seqpacket sockets (as "???") with either table */
	[DB_V_ST] = { BIT(NETID_V_STR) | BIT(NETID_V_SEQ), FAM_VSOCK,
		      SS_CONN_MASK },
	[DB_V_DG] = { BIT(NETID_V_DGR) | BIT(NETID_V_SEQ), FAM_VSOCK,
		      SS_CONN_MASK },
	[DB_TIPC] = { BIT(NETID_TI_ST) | BIT(NETID_TI_DG) | BIT(NETID_TI_RD) |
		      BIT(NETID_TI_SQ), FAM_TIPC, TIPC_SS_CONN },
	[DB_XDP] = { BIT(NETID_XDP), FAM_XDP, BIT(SS_CLOSE) },
};

#define DBM(x) BIT(DB_##x)
#define DBS_UNIX (DBM(U_DG) | DBM(U_ST) | DBM(U_SQ))
#define DBS_INET (DBM(TCP) | DBM(MPTCP) | DBM(DCCP) | DBM(UDP) | DBM(RAW) | \
		  DBM(SCTP))
#define DBS_PACKET (DBM(P_DG) | DBM(P_R))
#define DBS_VSOCK (DBM(V_ST) | DBM(V_DG))
/* ss's "all" (also its default tables): every table but TIPC. */
#define DBS_ALL (DBS_UNIX | DBS_INET | DBS_PACKET | DBM(NETLINK) | \
		 DBS_VSOCK | DBM(XDP))

/* A family: its bit, address family, tables and the states its flag adds
 * (ss's default_afs). */
static const struct {
	uint32_t fam;
	int af;
	uint32_t dbs, states;
} fam_info[] = {
	{ FAM_UNIX, AF_UNIX, DBS_UNIX, SS_CONN_MASK },
	{ FAM_INET, AF_INET, DBS_INET, SS_CONN_MASK },
	{ FAM_INET6, AF_INET6, DBS_INET, SS_CONN_MASK },
	{ FAM_PACKET, AF_PACKET, DBS_PACKET, BIT(SS_CLOSE) },
	{ FAM_NETLINK, AF_NETLINK, DBM(NETLINK), BIT(SS_CLOSE) },
	{ FAM_VSOCK, AF_VSOCK, DBS_VSOCK, SS_CONN_MASK },
	{ FAM_TIPC, AF_TIPC, DBM(TIPC), TIPC_SS_CONN },
	{ FAM_XDP, AF_XDP, DBM(XDP), BIT(SS_CLOSE) },
};
#define NFAMS (sizeof(fam_info) / sizeof(fam_info[0]))

/* The -A names (ss's filter_db_parse table). */
static const struct {
	const char *name;
	uint32_t dbs;
} db_names[] = {
	{ "all", DBS_ALL }, { "inet", DBS_INET }, { "udp", DBM(UDP) },
	{ "dccp", DBM(DCCP) }, { "tcp", DBM(TCP) }, { "mptcp", DBM(MPTCP) },
	{ "sctp", DBM(SCTP) }, { "raw", DBM(RAW) }, { "unix", DBS_UNIX },
	{ "unix_stream", DBM(U_ST) }, { "u_str", DBM(U_ST) },
	{ "unix_dgram", DBM(U_DG) }, { "u_dgr", DBM(U_DG) },
	{ "unix_seqpacket", DBM(U_SQ) }, { "u_seq", DBM(U_SQ) },
	{ "packet", DBS_PACKET }, { "packet_raw", DBM(P_R) },
	{ "p_raw", DBM(P_R) }, { "packet_dgram", DBM(P_DG) },
	{ "p_dgr", DBM(P_DG) }, { "netlink", DBM(NETLINK) },
	{ "vsock", DBS_VSOCK }, { "vsock_stream", DBM(V_ST) },
	{ "v_str", DBM(V_ST) }, { "vsock_dgram", DBM(V_DG) },
	{ "v_dgr", DBM(V_DG) }, { "xdp", DBM(XDP) }, { "tipc", DBM(TIPC) },
};

/* The -f names (ss's -f parsing). */
static const struct {
	const char *name;
	int af;
} family_names[] = {
	{ "inet", AF_INET }, { "inet6", AF_INET6 }, { "link", AF_PACKET },
	{ "unix", AF_UNIX }, { "netlink", AF_NETLINK }, { "tipc", AF_TIPC },
	{ "vsock", AF_VSOCK }, { "xdp", AF_XDP },
};

/* The largest filter file read with -F. */
#define FILTER_FILE_MAX (1 << 20)

/* Start an empty selection; see sockselect.h. */
void sock_select_init(struct sock_select *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->do_default = true;
}

/* Table flags: ss's filter_db_set() for each table of dbs (enable false:
 * the table is taken out, as `-A !tcp`). */
static void add_dbs(struct sock_select *sel, uint32_t dbs, bool enable)
{
	for (unsigned db = 0; db < DB_MAX; db++) {
		if (!(dbs & BIT(db)))
			continue;
		if (enable) {
			sel->states |= db_info[db].states;
			sel->dbs |= BIT(db);
		} else {
			sel->dbs &= ~BIT(db);
		}
	}
	sel->do_default = false;
}

/* The fam_info entry of address family af. */
static size_t fam_index(int af)
{
	size_t i;

	for (i = 0; i + 1 < NFAMS && fam_info[i].af != af; i++)
		;
	return i;
}

/* A family flag: ss's filter_af_set(). */
static void add_family(struct sock_select *sel, int af)
{
	size_t i = fam_index(af);

	sel->families |= fam_info[i].fam;
	sel->states |= fam_info[i].states;
	sel->preferred = af;
	sel->do_default = false;
}

/* -A QUERY[,QUERY...]: the first -A drops the tables so far and makes
 * ss's connected states the default (ss's main; settle_states applies it
 * where the command's default is ss's).  Returns false after printing the
 * unknown name. */
static bool add_query(struct sock_select *sel, const char *arg)
{
	char name[32];
	const char *p = arg;

	if (!sel->saw_query) {
		sel->dbs = 0;
		sel->saw_query = true;
		sel->do_default = false;
	}
	do {
		size_t n = strcspn(p, ",");
		bool enable = *p != '!';
		size_t k, skip = enable ? 0 : 1;

		snprintf(name, sizeof(name), "%.*s", (int)(n - skip), p + skip);
		for (k = 0; k < sizeof(db_names) / sizeof(db_names[0]); k++)
			if (n - skip < sizeof(name) &&
			    strcmp(name, db_names[k].name) == 0)
				break;
		if (k == sizeof(db_names) / sizeof(db_names[0])) {
			err_msg("-A", "\"%.*s\" is not a socket table (all, inet, "
				"tcp, mptcp, sctp, udp, raw, unix, unix_dgram, "
				"unix_stream, unix_seqpacket, packet, "
				"packet_raw, packet_dgram, netlink, vsock, "
				"vsock_stream, vsock_dgram, xdp, tipc, dccp)",
				(int)n, p);
			return false;
		}
		add_dbs(sel, db_names[k].dbs, enable);
		p += n;
	} while (*p++ == ',');
	return true;
}

/* -f FAMILY.  Returns false after printing an unknown name. */
static bool add_family_name(struct sock_select *sel, const char *arg)
{
	for (size_t k = 0; k < sizeof(family_names) / sizeof(family_names[0]);
	     k++)
		if (strcmp(arg, family_names[k].name) == 0) {
			add_family(sel, family_names[k].af);
			return true;
		}
	err_msg("-f", "\"%s\" is not a family (inet, inet6, link, unix, "
		"netlink, vsock, xdp, tipc)", arg);
	return false;
}

/* Table, family and state flags, and -F; see sockselect.h.  Returns
 * true for an option of SOCK_SELECT_OPTS (sel->bad is set when its
 * argument was wrong: the message is printed). */
bool sock_select_opt(struct sock_select *sel, int id, const char *arg)
{
	switch (id) {
	case 't':
		add_dbs(sel, DBM(TCP), true);
		return true;
	case 'u':
		add_dbs(sel, DBM(UDP), true);
		return true;
	case 'w':
		add_dbs(sel, DBM(RAW), true);
		return true;
	case 'S':
		add_dbs(sel, DBM(SCTP), true);
		return true;
	case 'M':
		add_dbs(sel, DBM(MPTCP), true);
		return true;
	case 'x':
		add_family(sel, AF_UNIX);
		return true;
	case '4':
		add_family(sel, AF_INET);
		return true;
	case '6':
		add_family(sel, AF_INET6);
		return true;
	case '0':
		add_family(sel, AF_PACKET);
		return true;
	case SEL_OPT_VSOCK:
		add_family(sel, AF_VSOCK);
		return true;
	case SEL_OPT_XDP:
		add_family(sel, AF_XDP);
		return true;
	case SEL_OPT_TIPC:
		add_family(sel, AF_TIPC);
		return true;
	case 'A':
		sel->bad |= !add_query(sel, arg);
		return true;
	case 'f':
		sel->bad |= !add_family_name(sel, arg);
		return true;
	case 'a':
		sel->state_filter = SS_ALL_MASK;
		return true;
	case 'l':
		sel->state_filter = BIT(SS_LISTEN) | BIT(SS_CLOSE);
		return true;
	case 'F':
		sel->filter_file = arg;
		return true;
	}
	return false;
}

/* Apply ss's default tables and merge tables with families, as ss does
 * after the flags and before it parses the filter expression
 * (filter_merge_defaults). */
static void settle_tables(struct sock_select *sel)
{
	if (sel->do_default)
		sel->dbs = DBS_ALL;
	for (unsigned db = 0; db < DB_MAX; db++)
		if ((sel->dbs & BIT(db)) &&
		    !(db_info[db].families & sel->families))
			sel->families |= db_info[db].families;
	for (size_t i = 0; i < NFAMS; i++)
		if ((sel->families & fam_info[i].fam) &&
		    !(fam_info[i].dbs & sel->dbs))
			sel->dbs |= fam_info[i].dbs;
}

/* Apply ss's default states once the state terms are known.  SEL_ALL
 * means every state whenever -a, -l and the state terms do not say, also
 * after a table or family flag (whose states are ss's connected ones
 * otherwise). */
static void settle_states(struct sock_select *sel, enum sel_default def)
{
	if (!sel->state_filter &&
	    (sel->do_default || sel->saw_query || def == SEL_ALL))
		sel->state_filter = def == SEL_ALL ? SS_ALL_MASK : SS_CONN_MASK;
	if (sel->state_filter)
		sel->states = sel->state_filter;
}

/* A family-setting filter term leaves its family as the only one dumped,
 * and the preferred one (ss's parse_hostcond calls filter_af_set). */
static void filter_family(struct sock_select *sel, int af)
{
	if (af == AF_UNSPEC)
		return;
	sel->families = fam_info[fam_index(af)].fam;
	sel->preferred = af;
}

/* Read the -F file ("-" is stdin) into a malloc'd string.  Returns NULL
 * after printing why not. */
static char *read_filter_file(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf;
	size_t n;

	if (!f) {
		err_msg(path, "%s", strerror(errno));
		return NULL;
	}
	buf = malloc(FILTER_FILE_MAX + 1);
	if (!buf) {
		err_msg(path, "out of memory");
	} else {
		n = fread(buf, 1, FILTER_FILE_MAX + 1, f);
		if (ferror(f) || n > FILTER_FILE_MAX || memchr(buf, '\0', n)) {
			err_msg(path, ferror(f) ? "read error" :
				n > FILTER_FILE_MAX ?
				"a filter file larger than 1 MiB" :
				"not a text file (a NUL byte)");
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

/* Parse the filter and settle the selection; see sockselect.h.  As in ss,
 * the tables are settled before the expression is parsed (it depends on
 * them), the states after. */
int sock_select_finish(struct sock_select *sel, int n, char **operands,
		       enum sel_default def)
{
	char err[320], *text = NULL;
	struct filter_ctx ctx = { .preferred = sel->preferred,
				  .cgroup_is = cgpath_is };
	uint32_t states;

	if (sel->bad)
		return -1;
	if (sel->filter_file && !(text = read_filter_file(sel->filter_file)))
		return -1;
	settle_tables(sel);
	ctx.tcp = sel->dbs & DBM(TCP);
	ctx.udp = sel->dbs & DBM(UDP);
	sel->filter = filter_parse_ctx(n, operands, text, &ctx, &states, err,
				       sizeof(err));
	free(text);
	if (!sel->filter) {
		err_msg("filter", "%s", err);
		return -1;
	}
	if (filter_states_given(sel->filter))
		sel->state_filter = states;
	settle_states(sel, def);
	filter_family(sel, ctx.family);
	return 0;
}

/* The family bit of a record. */
static uint32_t record_family(const struct sock_record *r)
{
	for (size_t i = 0; i < NFAMS; i++)
		if (fam_info[i].af == r->family)
			return fam_info[i].fam;
	return 0;
}

/* The tables listing netid. */
static uint32_t netid_dbs(unsigned netid)
{
	uint32_t dbs = 0;

	for (unsigned db = 0; db < DB_MAX; db++)
		if (db_info[db].netids & BIT(netid))
			dbs |= BIT(db);
	return dbs;
}

/* Does ss dump netid's IP sockets for its preferred family only? */
static bool by_preferred(unsigned netid)
{
	return netid == NETID_TCP || netid == NETID_UDP ||
	       netid == NETID_MPTCP || netid == NETID_SCTP;
}

/* ss dumps tcp, udp (and mptcp, sctp) over netlink for its preferred
 * family only, when it has one (`-6 -4` shows IPv4 alone).  Raw sockets
 * come from /proc/net/raw{,6} whenever the kernel lacks raw_diag (as on
 * Debian 12), which honours the families but not the preferred one. */
static bool preferred_family_ok(const struct sock_select *sel,
				const struct sock_record *r, uint32_t fam)
{
	if (!by_preferred(r->netid))
		return true;
	if (sel->preferred == AF_INET)
		return fam == FAM_INET;
	if (sel->preferred == AF_INET6)
		return fam == FAM_INET6;
	return true;
}

/* True if ss would have asked the kernel for r (tables, families, states).
 * An SCTP association comes with its endpoint, whatever its state. */
static bool selected(const struct sock_select *sel, const struct sock_record *r)
{
	unsigned state = r->state == SS_NEW_SYN_RECV ? SS_SYN_RECV : r->state;
	uint32_t fam = record_family(r);

	if (r->netid >= NETID_COUNT || !(sel->dbs & netid_dbs(r->netid)))
		return false;
	if (!(sel->families & fam) || !preferred_family_ok(sel, r, fam))
		return false;
	if (r->has & SR_HAS_ASSOC)
		return true;
	return state <= SS_CLOSING && (sel->states & BIT(state));
}

/* True if the selection keeps r; see sockselect.h. */
bool sock_select_match(const struct sock_select *sel,
		       const struct snapshot *s, const struct sock_record *r)
{
	return selected(sel, r) && filter_match(sel->filter, s, r);
}

/* Netid x state only?  See sockselect.h.  selected() keeps a table's
 * records of a family only when the family is selected and, for tcp and
 * udp, is the preferred one (when there is one). */
bool sock_select_netid_state(const struct sock_select *sel, uint32_t *netids,
			     uint32_t *states)
{
	if (filter_has_expression(sel->filter))
		return false;
	*netids = 0;
	for (unsigned db = 0; db < DB_MAX; db++) {
		if (!(sel->dbs & BIT(db)))
			continue;
		if ((db_info[db].families & sel->families) !=
		    db_info[db].families)
			return false;
		if ((db_info[db].netids & (BIT(NETID_TCP) | BIT(NETID_UDP) |
					   BIT(NETID_MPTCP) | BIT(NETID_SCTP))) &&
		    (sel->preferred == AF_INET || sel->preferred == AF_INET6))
			return false;
		*netids |= db_info[db].netids;
	}
	*states = sel->states & SS_ALL_MASK;
	if (*states & BIT(SS_SYN_RECV))
		*states |= BIT(SS_NEW_SYN_RECV);
	return true;
}

/* sock_select_match with the selection as arg; see sockselect.h. */
int sock_select_keep(const struct snapshot *s, const struct sock_record *r,
		     void *sel)
{
	return sock_select_match(sel, s, r);
}

/* ss's dump order: the rank of r's group; see sockselect.h. */
int sock_select_group(const struct sock_record *r)
{
	int v6 = r->family == AF_INET6;

	switch (r->netid) {
	case NETID_NETLINK:
		return 0;
	case NETID_P_RAW:
	case NETID_P_DGR:
		return 1;
	case NETID_RAW:
		return 3 + v6;
	case NETID_UDP:
		return 5 + v6;
	case NETID_TCP:
		return 7 + v6;
	case NETID_SCTP:
		return 9 + v6;
	case NETID_V_STR:
	case NETID_V_DGR:
	case NETID_V_SEQ:
		return 11;
	case NETID_TI_ST:
	case NETID_TI_DG:
	case NETID_TI_RD:
	case NETID_TI_SQ:
		return 12;
	case NETID_XDP:
		return 13;
	case NETID_MPTCP:
		return 14 + v6;
	}
	return 2;
}

#define GROUPS 16

/* The kept records in ss's order; see sockselect.h.  One filter pass
 * collects the matches in cookie order, then a stable counting sort by
 * group puts them in ss's order. */
long sock_select_rows(const struct sock_select *sel, const struct snapshot *s,
		      const struct sock_record ***out)
{
	size_t cap = s->nrecs ? s->nrecs : 1;
	const struct sock_record **match = malloc(sizeof(*match) * cap);
	const struct sock_record **rows = malloc(sizeof(*rows) * cap);
	size_t start[GROUPS + 1] = { 0 };
	size_t n = 0;

	if (!match || !rows) {
		free(match);
		free(rows);
		return -1;
	}
	for (size_t i = 0; i < s->nrecs; i++)
		if (sock_select_match(sel, s, &s->recs[i])) {
			match[n++] = &s->recs[i];
			start[sock_select_group(&s->recs[i]) + 1]++;
		}
	for (int g = 0; g < GROUPS; g++)
		start[g + 1] += start[g];
	for (size_t i = 0; i < n; i++)
		rows[start[sock_select_group(match[i])]++] = match[i];
	free(match);
	*out = rows;
	return (long)n;
}

/* More than one table selected: ss prints the Netid column. */
bool sock_select_many_netids(const struct sock_select *sel)
{
	return __builtin_popcount(sel->dbs) > 1;
}

/* More than one state selected: ss prints the State column. */
bool sock_select_many_states(const struct sock_select *sel)
{
	return __builtin_popcount(sel->states) > 1;
}

/* Free the filter; see sockselect.h. */
void sock_select_free(struct sock_select *sel)
{
	filter_free(sel->filter);
	sel->filter = NULL;
}
