/*
 * sockselect.c — ss's socket selection: table/family flags, state defaults,
 * the FILTER (operands or -F FILE), and ss's row order.
 *
 * The selection follows ss's main(): family/table flags (-t -u -w -x -4 -6)
 * each add their table's or family's default states, -a / -l / `state` /
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

/* Tables ("dbs" in ss) are our netids; families are bits of their own. */
#define DB_UNIX (BIT(NETID_U_STR) | BIT(NETID_U_DGR) | BIT(NETID_U_SEQ))
#define DB_INET (BIT(NETID_TCP) | BIT(NETID_UDP) | BIT(NETID_RAW))
#define DB_ALL (DB_UNIX | DB_INET)
/* FAM_OTHER: packet, netlink or vsock, which a filter's link:, netlink: or
 * vsock: term can leave as the only family; nothing recorded has it. */
enum { FAM_UNIX = 1, FAM_INET = 2, FAM_INET6 = 4, FAM_OTHER = 8 };

/* The largest filter file read with -F. */
#define FILTER_FILE_MAX (1 << 20)

/* Start an empty selection; see sockselect.h. */
void sock_select_init(struct sock_select *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->do_default = true;
}

/* A table flag: ss's filter_db_set(). */
static void add_db(struct sock_select *sel, unsigned netid, uint32_t states)
{
	sel->dbs |= BIT(netid);
	sel->states |= states;
	sel->do_default = false;
}

/* A family flag: ss's filter_af_set(). */
static void add_family(struct sock_select *sel, uint32_t fam, int af)
{
	sel->families |= fam;
	sel->states |= SS_CONN_MASK;
	sel->preferred = af;
	sel->do_default = false;
}

/* Table, family and state flags, and -F; see sockselect.h. */
bool sock_select_opt(struct sock_select *sel, int id, const char *arg)
{
	switch (id) {
	case 't':
		add_db(sel, NETID_TCP, SS_CONN_MASK);
		return true;
	case 'u':
		add_db(sel, NETID_UDP, BIT(SS_ESTABLISHED));
		return true;
	case 'w':
		add_db(sel, NETID_RAW, BIT(SS_ESTABLISHED));
		return true;
	case 'x':
		add_family(sel, FAM_UNIX, AF_UNIX);
		return true;
	case '4':
		add_family(sel, FAM_INET, AF_INET);
		return true;
	case '6':
		add_family(sel, FAM_INET6, AF_INET6);
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

/* The families a table belongs to. */
static uint32_t db_families(unsigned netid)
{
	return BIT(netid) & DB_UNIX ? FAM_UNIX : FAM_INET | FAM_INET6;
}

/* The tables of a family. */
static uint32_t family_dbs(uint32_t fam)
{
	return fam == FAM_UNIX ? DB_UNIX : DB_INET;
}

/* Apply ss's default tables and merge tables with families, as ss does
 * after the flags and before it parses the filter expression. */
static void settle_tables(struct sock_select *sel)
{
	if (sel->do_default)
		sel->dbs = DB_ALL;
	for (unsigned n = 0; n < NETID_COUNT; n++)
		if ((sel->dbs & BIT(n)) && !(db_families(n) & sel->families))
			sel->families |= db_families(n);
	for (uint32_t fam = FAM_UNIX; fam <= FAM_INET6; fam <<= 1)
		if ((sel->families & fam) && !(family_dbs(fam) & sel->dbs))
			sel->dbs |= family_dbs(fam);
}

/* Apply ss's default states once the state terms are known.  SEL_ALL
 * means every state whenever -a, -l and the state terms do not say, also
 * after a table or family flag (whose states are ss's connected ones
 * otherwise). */
static void settle_states(struct sock_select *sel, enum sel_default def)
{
	if (!sel->state_filter && (sel->do_default || def == SEL_ALL))
		sel->state_filter = def == SEL_ALL ? SS_ALL_MASK : SS_CONN_MASK;
	if (sel->state_filter)
		sel->states = sel->state_filter;
}

/* A family-setting filter term leaves its family as the only one dumped,
 * and the preferred one (ss's parse_hostcond calls filter_af_set). */
static void filter_family(struct sock_select *sel, int af)
{
	switch (af) {
	case AF_UNSPEC:
		return;
	case AF_UNIX:
		sel->families = FAM_UNIX;
		break;
	case AF_INET:
		sel->families = FAM_INET;
		break;
	case AF_INET6:
		sel->families = FAM_INET6;
		break;
	default:
		sel->families = FAM_OTHER;
	}
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

	if (sel->filter_file && !(text = read_filter_file(sel->filter_file)))
		return -1;
	settle_tables(sel);
	ctx.tcp = sel->dbs & BIT(NETID_TCP);
	ctx.udp = sel->dbs & BIT(NETID_UDP);
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
	switch (r->family) {
	case AF_UNIX:
		return FAM_UNIX;
	case AF_INET:
		return FAM_INET;
	case AF_INET6:
		return FAM_INET6;
	}
	return 0;
}

/* ss dumps tcp and udp over netlink for its preferred family only, when it
 * has one (`-6 -4` shows IPv4 alone).  Raw sockets come from /proc/net/raw{,6}
 * whenever the kernel lacks raw_diag (as on Debian 12), which honours the
 * families but not the preferred one. */
static bool preferred_family_ok(const struct sock_select *sel,
				const struct sock_record *r, uint32_t fam)
{
	if (fam == FAM_UNIX || r->netid == NETID_RAW)
		return true;
	if (sel->preferred == AF_INET)
		return fam == FAM_INET;
	if (sel->preferred == AF_INET6)
		return fam == FAM_INET6;
	return true;
}

/* True if ss would have asked the kernel for r (tables, families, states). */
static bool selected(const struct sock_select *sel, const struct sock_record *r)
{
	unsigned state = r->state == SS_NEW_SYN_RECV ? SS_SYN_RECV : r->state;
	uint32_t fam = record_family(r);

	if (r->netid >= NETID_COUNT || !(sel->dbs & BIT(r->netid)))
		return false;
	if (!(sel->families & fam) || state > SS_CLOSING)
		return false;
	if (!preferred_family_ok(sel, r, fam))
		return false;
	return sel->states & BIT(state);
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
	for (unsigned n = 0; n < NETID_COUNT; n++) {
		if (!(sel->dbs & BIT(n)))
			continue;
		if ((db_families(n) & sel->families) != db_families(n))
			return false;
		if ((n == NETID_TCP || n == NETID_UDP) &&
		    (sel->preferred == AF_INET || sel->preferred == AF_INET6))
			return false;
	}
	*netids = sel->dbs & (BIT(NETID_COUNT) - 1);
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
	case NETID_RAW:
		return 1 + v6;
	case NETID_UDP:
		return 3 + v6;
	case NETID_TCP:
		return 5 + v6;
	}
	return 0;
}

#define GROUPS 7

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
