/*
 * test-ss-table.c — ss_table/ss_detail against text printed by the real ss.
 *
 * Golden cases: FIXTURE_DIR/ss-golden/ holds, for each case NAME listed in
 * its "cases" file (NAME<TAB>ss arguments), NAME.rec (the sockets as
 * captured by tests/fixtures/ss-golden.py through sock_diag and
 * /proc/net/raw, one record per line) and NAME.out (what iproute2-6.1 `ss`
 * printed for those arguments in the same instant, same network namespace).
 * ss-golden.py regenerates them: see its header.  Setting SS_GOLDEN_DIR runs
 * the same comparison on a fresh live capture instead (the harness does).
 * Fields that tick between the capture and the ss run (timer remaining time,
 * lastsnd/lastrcv/lastack) are masked digit by digit on both sides, so the
 * layout must still match byte for byte.
 *
 * FIXTURE_DIR/ss-crafted/ has the same layout for sockets made up by hand
 * (what a namespace cannot produce on demand); their .out files are what
 * the real ss printed when fed those records as a netlink dump file
 * (TCPDIAG_FILE), see ss-golden.py --craft.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "sockenum.h"
#include "sockrec.h"
#include "ss_detail.h"
#include "ss_table.h"
#include "tcpinfo.h"

/* ---- reading records from the golden fixture format ---- */

/* Decode hex text into out (at most max bytes); returns the byte count. */
static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (h[0] && h[1] && n < max && sscanf(h, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* Intern a hex-encoded string and return its pool offset. */
static uint32_t intern_hex(struct snapshot *s, const char *h)
{
	uint8_t buf[512];
	size_t n = unhex(h, buf, sizeof(buf));
	int64_t off = snapshot_intern(s, (const char *)buf, n);

	assert_true(off >= 0);
	return (uint32_t)off;
}

/* Parse "a,b,c" into up to max u32 values; returns the count. */
static uint8_t parse_list(const char *v, uint32_t *out, unsigned max)
{
	unsigned n = 0;
	char *end;

	while (*v && n < max) {
		out[n++] = (uint32_t)strtoul(v, &end, 10);
		v = *end == ',' ? end + 1 : end;
		if (end == v && *v != ',')
			break;
	}
	return (uint8_t)n;
}

/* Apply one key=value of a record line. */
static void rec_field(struct snapshot *s, struct sock_record *r,
		      const char *k, const char *v)
{
	unsigned long long u = strtoull(v, NULL, 0);
	uint8_t buf[1024];

	if (!strcmp(k, "cookie")) r->cookie = u;
	else if (!strcmp(k, "inode")) r->inode = u;
	else if (!strcmp(k, "cgroup")) r->cgroup_id = u;
	else if (!strcmp(k, "has")) r->has = (uint32_t)u;
	else if (!strcmp(k, "netid")) r->netid = (uint8_t)netid_from_name(v);
	else if (!strcmp(k, "family")) r->family = (uint8_t)u;
	else if (!strcmp(k, "state")) r->state = (uint8_t)u;
	else if (!strcmp(k, "timer")) r->timer = (uint8_t)u;
	else if (!strcmp(k, "retrans")) r->retrans = (uint8_t)u;
	else if (!strcmp(k, "shutdown")) r->shutdown = (uint8_t)u;
	else if (!strcmp(k, "tos")) r->tos = (uint8_t)u;
	else if (!strcmp(k, "tclass")) r->tclass = (uint8_t)u;
	else if (!strcmp(k, "v6only")) r->v6only = (uint8_t)u;
	else if (!strcmp(k, "protocol")) r->protocol = (uint8_t)u;
	else if (!strcmp(k, "sport")) r->sport = (uint16_t)u;
	else if (!strcmp(k, "dport")) r->dport = (uint16_t)u;
	else if (!strcmp(k, "expires")) r->expires_ms = (uint32_t)u;
	else if (!strcmp(k, "rq")) r->rqueue = (uint32_t)u;
	else if (!strcmp(k, "wq")) r->wqueue = (uint32_t)u;
	else if (!strcmp(k, "ifindex")) r->ifindex = (uint32_t)u;
	else if (!strcmp(k, "uid")) r->uid = (uint32_t)u;
	else if (!strcmp(k, "class_id")) r->class_id = (uint32_t)u;
	else if (!strcmp(k, "mark")) r->mark = (uint32_t)u;
	else if (!strcmp(k, "peer")) r->peer_inode = (uint32_t)u;
	else if (!strcmp(k, "vfs_ino")) r->vfs_ino = (uint32_t)u;
	else if (!strcmp(k, "vfs_dev")) r->vfs_dev = (uint32_t)u;
	else if (!strcmp(k, "meminfo")) parse_list(v, r->meminfo, 4);
	else if (!strcmp(k, "skmem"))
		r->skmem_count = parse_list(v, r->skmem, SR_SKMEM_MAX);
	else if (!strcmp(k, "src")) unhex(v, r->src, SR_ADDR_LEN);
	else if (!strcmp(k, "dst")) unhex(v, r->dst, SR_ADDR_LEN);
	else if (!strcmp(k, "name")) r->name = intern_hex(s, v);
	else if (!strcmp(k, "cong")) r->cong = intern_hex(s, v);
	else if (!strcmp(k, "tcpi")) {
		size_t n = unhex(v, buf, sizeof(buf));
		int64_t off = snapshot_add_bytes(s, buf, n);

		assert_true(off >= 0);
		r->tcpi_off = (uint32_t)off;
		r->tcpi_len = (uint32_t)n;
	} else if (!strcmp(k, "icons")) {
		uint32_t inodes[64];
		uint8_t n = parse_list(v, inodes, 64);
		int64_t off = snapshot_add_bytes(s, inodes, n * sizeof(uint32_t));

		assert_true(off >= 0);
		r->icons_off = (uint32_t)off;
		r->icons_len = n * (uint32_t)sizeof(uint32_t);
	} else
		fail_msg("unknown record key %s", k);
}

/* Add a record from one fixture line "key=value key=value ...". */
static void rec_line(struct snapshot *s, char *line)
{
	struct sock_record *r = snapshot_add_record(s);
	char *save = NULL, *tok;

	assert_non_null(r);
	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		char *eq = strchr(tok, '=');

		assert_non_null(eq);
		*eq = '\0';
		if (!strcmp(tok, "proc")) {
			unsigned pid, fd;
			char hex[128], comm[64] = "";

			assert_int_equal(sscanf(eq + 1, "%u:%u:%127s", &pid,
						&fd, hex), 3);
			unhex(hex, (uint8_t *)comm, sizeof(comm) - 1);
			if (!r->proc_count)
				r->proc_first = (uint32_t)s->nprocs;
			assert_int_equal(snapshot_add_process(s, pid, fd,
							      comm), 0);
			r = &s->recs[s->nrecs - 1];
			r->proc_count++;
			continue;
		}
		rec_field(s, r, tok, eq + 1);
		r = &s->recs[s->nrecs - 1];
	}
}

/* Load a whole .rec file into s. */
static void load_records(struct snapshot *s, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0)
		if (line[0] != '#' && line[0] != '\n')
			rec_line(s, line);
	free(line);
	fclose(f);
}

/* Read a whole file (NUL-terminated); fails the test if missing. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* ---- ss's command line, enough to pick rows and flags like ss ---- */

struct ss_args {
	struct ss_flags fl;
	unsigned netids;   /* bit per enum sr_netid */
	uint32_t states;   /* bit per kernel state */
	int family;        /* 0, AF_INET or AF_INET6 */
};

#define ST(x) (1u << (x))
#define SS_ALL_STATES (ST(SS_MAX_STATE - 1) * 2 - 2)
#define SS_CONN_STATES (SS_ALL_STATES & ~(ST(SS_LISTEN) | ST(SS_CLOSE) | \
			 ST(SS_TIME_WAIT) | ST(SS_SYN_RECV) | \
			 ST(SS_NEW_SYN_RECV)))

/* Default state set ss gives each socket table. */
static uint32_t default_states(unsigned netid)
{
	if (netid == NETID_UDP || netid == NETID_RAW)
		return ST(SS_ESTABLISHED);
	if (netid == NETID_U_DGR)
		return ST(SS_CLOSE);
	return SS_CONN_STATES;
}

/* One short option letter. */
static void short_opt(struct ss_args *a, char ch, uint32_t *sf)
{
	switch (ch) {
	case 'n': a->fl.numeric = true; break;
	case 'e': a->fl.extended = true; break;
	case 'o': a->fl.options = true; break;
	case 'm': a->fl.memory = true; break;
	case 'i': a->fl.info = true; break;
	case 'p': a->fl.processes = true; break;
	case 'H': a->fl.no_header = true; break;
	case 't': a->netids |= 1u << NETID_TCP; break;
	case 'u': a->netids |= 1u << NETID_UDP; break;
	case 'w': a->netids |= 1u << NETID_RAW; break;
	case 'x': a->netids |= 7u << NETID_U_STR; break;
	case 'a': *sf = SS_ALL_STATES | ST(SS_NEW_SYN_RECV); break;
	case 'l': *sf = ST(SS_LISTEN) | ST(SS_CLOSE); break;
	case '4': a->family = AF_INET; break;
	case '6': a->family = AF_INET6; break;
	default: fail_msg("option -%c not supported by the test", ch);
	}
}

/* Parse "cols=N -tuan --tos ..." the way ss would. */
static void parse_args(const char *args, struct ss_args *a)
{
	char buf[256], *save = NULL, *tok;
	uint32_t sf = 0, dflt = 0;

	memset(a, 0, sizeof(*a));
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "cols=", 5))
			a->fl.screen_width = atoi(tok + 5);
		else if (!strcmp(tok, "--tos"))
			a->fl.tos = true;
		else if (!strcmp(tok, "--cgroup"))
			a->fl.cgroup = true;
		else if (tok[0] == '-')
			for (const char *p = tok + 1; *p; p++)
				short_opt(a, *p, &sf);
	}
	if (!a->netids)
		a->netids = (1u << NETID_COUNT) - 1;
	if (a->family && !(a->netids & 7u))
		a->netids |= 7u;
	if (a->family)
		a->netids &= 7u;
	for (unsigned i = 0; i < NETID_COUNT; i++)
		if (a->netids & (1u << i))
			dflt |= default_states(i);
	a->states = sf ? sf : dflt;
	a->fl.show_netid = (a->netids & (a->netids - 1)) != 0;
	a->fl.show_state = (a->states & ~ST(SS_NEW_SYN_RECV) &
			    ((a->states & ~ST(SS_NEW_SYN_RECV)) - 1)) != 0;
}

/* Does record r pass ss's table, family and state selection? */
static bool selected(const struct ss_args *a, const struct sock_record *r)
{
	if (!(a->netids & (1u << r->netid)))
		return false;
	if (a->family && r->family != a->family)
		return false;
	return (a->states & ST(r->state)) != 0;
}

/* Render s as ss would for args; returns a malloc'ed string. */
static char *render_args(const struct snapshot *s, const char *args)
{
	const struct sock_record **rows;
	struct ss_args a;
	size_t n = 0, len = 0;
	char *text = NULL;
	FILE *f;

	parse_args(args, &a);
	rows = calloc(s->nrecs + 1, sizeof(*rows));
	assert_non_null(rows);
	for (size_t i = 0; i < s->nrecs; i++)
		if (selected(&a, &s->recs[i]))
			rows[n++] = &s->recs[i];
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(ss_table_render(f, s, rows, n, &a.fl), 0);
	fclose(f);
	free(rows);
	return text;
}

/* Blank out digits of values that tick between capture and the ss run. */
static void mask_volatile(char *t)
{
	static const char *const keys[] = {
		"lastsnd:", "lastrcv:", "lastack:", NULL
	};
	char *p;

	for (const char *const *k = keys; *k; k++)
		for (p = strstr(t, *k); p; p = strstr(p + 1, *k))
			for (p += strlen(*k); *p >= '0' && *p <= '9'; p++)
				*p = '#';
	for (p = strstr(t, "timer:("); p; p = strstr(p + 1, "timer:(")) {
		p = strchr(p, ',');
		if (!p)
			break;
		for (p++; *p && *p != ','; p++)
			if (*p >= '0' && *p <= '9')
				*p = '#';
	}
}

/* Compare rendered text with ss's, reporting the first differing line. */
static int compare_text(const char *name, char *want, char *got)
{
	const char *w = want, *g = got;
	int line = 1;

	mask_volatile(want);
	mask_volatile(got);
	if (!strcmp(want, got))
		return 0;
	while (*w && *w == *g) {
		if (*w == '\n')
			line++;
		w++;
		g++;
	}
	fprintf(stderr, "%s: differs at line %d\n--- ss:\n%.*s\n"
		"--- ours:\n%.*s\n", name, line, (int)strcspn(w, "\n") + 40, w,
		(int)strcspn(g, "\n") + 40, g);
	return 1;
}

/* With SS_GOLDEN_KEEP=DIR, save our rendering as DIR/NAME.ours. */
static void keep_output(const char *name, const char *text)
{
	const char *dir = getenv("SS_GOLDEN_KEEP");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s.ours", dir, name);
	f = fopen(path, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* Run every case of a golden directory; returns the failure count. */
static int run_golden_dir(const char *dir)
{
	char path[4096], line[512];
	int failures = 0, cases = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cases", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), *want, *got;
		struct snapshot s;

		if (!tab || line[0] == '#')
			continue;
		*tab = '\0';
		tab[strcspn(tab + 1, "\n") + 1] = '\0';
		assert_int_equal(snapshot_init(&s), 0);
		snprintf(path, sizeof(path), "%s/%s.rec", dir, line);
		load_records(&s, path);
		snprintf(path, sizeof(path), "%s/%s.out", dir, line);
		want = slurp(path);
		got = render_args(&s, tab + 1);
		keep_output(line, got);
		failures += compare_text(line, want, got);
		cases++;
		free(want);
		free(got);
		snapshot_free(&s);
	}
	fclose(f);
	fprintf(stderr, "golden %s: %d cases, %d failed\n", dir, cases,
		failures);
	assert_true(cases > 0);
	return failures;
}

/* The stored golden captures (cgroup2 hidden, as under `ip netns exec`). */
static void test_golden_fixtures(void **state)
{
	(void)state;
	ss_cgroup_reset("/nonexistent");
	assert_int_equal(run_golden_dir(FIXTURE_DIR "/ss-golden"), 0);
	ss_cgroup_reset(NULL);
}

/* A live capture made by ss-golden.py, when SS_GOLDEN_DIR points to one. */
static void test_golden_live(void **state)
{
	const char *dir = getenv("SS_GOLDEN_DIR");

	(void)state;
	if (!dir)
		skip();
	assert_int_equal(run_golden_dir(dir), 0);
}

/* ---- hand-made snapshots ---- */

/* A TCP record with the given v4 endpoints and state. */
static struct sock_record *add_tcp4(struct snapshot *s, const char *src,
				    uint16_t sport, const char *dst,
				    uint16_t dport, uint8_t state)
{
	struct sock_record *r = snapshot_add_record(s);

	assert_non_null(r);
	r->netid = NETID_TCP;
	r->family = AF_INET;
	r->state = state;
	inet_pton(AF_INET, src, r->src);
	inet_pton(AF_INET, dst, r->dst);
	r->sport = sport;
	r->dport = dport;
	r->cookie = 0x1000 + s->nrecs;
	r->inode = 5000 + s->nrecs;
	r->has = SR_HAS_SHUTDOWN;
	return r;
}

/* ss's timer formatting at every magnitude. */
static void test_format_ms(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(ss_format_ms(b, 200), "200ms");
	assert_string_equal(ss_format_ms(b, 1500), "1.500ms");
	assert_string_equal(ss_format_ms(b, 9999), "9.999ms");
	assert_string_equal(ss_format_ms(b, 10000), "10sec");
	assert_string_equal(ss_format_ms(b, 59000), "59sec");
	assert_string_equal(ss_format_ms(b, 60000), "1min");
	assert_string_equal(ss_format_ms(b, 61500), "1min1sec");
	assert_string_equal(ss_format_ms(b, 600000), "10min");
	assert_string_equal(ss_format_ms(b, 7200000), "120min");
	assert_string_equal(ss_format_ms(b, 0), "");
}

/* ss's bandwidth units with and without -n. */
static void test_format_bw(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(ss_format_bw(b, 181956923077., true),
			    "181956923077");
	assert_string_equal(ss_format_bw(b, 181956923077., false), "182G");
	assert_string_equal(ss_format_bw(b, 80908640., false), "80.9M");
	assert_string_equal(ss_format_bw(b, 1500., false), "1.5k");
	assert_string_equal(ss_format_bw(b, 999., false), "999");
	assert_string_equal(ss_format_bw(b, 2e12, false), "2T");
}

/* tcp_info offsets: bit-fields of bytes 6 and 7, and reads by length. */
static void test_tcpinfo_fields(void **state)
{
	uint8_t raw[280] = { 0 };
	uint32_t v32 = 4242;
	uint64_t v;

	(void)state;
	raw[6] = 0xa7;
	raw[7] = 0x05;
	memcpy(raw + 228, &v32, 4);
	assert_int_equal(tcpinfo_val(raw, 280, TI_SND_WSCALE), 7);
	assert_int_equal(tcpinfo_val(raw, 280, TI_RCV_WSCALE), 10);
	assert_int_equal(tcpinfo_val(raw, 280, TI_DELIVERY_RATE_APP_LIMITED),
			 1);
	assert_int_equal(tcpinfo_val(raw, 280, TI_FASTOPEN_CLIENT_FAIL), 2);
	assert_int_equal(tcpinfo_val(raw, 280, TI_SND_WND), 4242);
	assert_false(tcpinfo_get(raw, 228, TI_SND_WND, &v));
	assert_true(tcpinfo_get(raw, 248, TI_TOTAL_RTO_TIME, &v));
	assert_false(tcpinfo_get(raw, 247, TI_TOTAL_RTO_TIME, &v));
	assert_int_equal(tcpinfo_fields[TI_TOTAL_RTO].offset, 240);
	assert_string_equal(tcpinfo_fields[TI_BYTES_ACKED].name,
			    "bytes_acked");
}

/* Crafted sockets (long IPv6 addresses, devices, timers of every size,
 * tcp_info of 232 and 280 bytes, skmem without bl/d, >80-column terminals)
 * fed to the real ss through TCPDIAG_FILE by ss-golden.py --craft. */
static void test_crafted_fixtures(void **state)
{
	(void)state;
	ss_cgroup_reset("/nonexistent");
	assert_int_equal(run_golden_dir(FIXTURE_DIR "/ss-crafted"), 0);
	ss_cgroup_reset(NULL);
}

/* An empty selection prints the header only; -H then prints nothing. */
static void test_empty(void **state)
{
	struct snapshot s;
	char *got;

	(void)state;
	assert_int_equal(snapshot_init(&s), 0);
	got = render_args(&s, "-tn");
	assert_string_equal(got, "State Recv-Q Send-Q Local Address:Port "
			    "Peer Address:PortProcess\n");
	free(got);
	got = render_args(&s, "-tnH");
	assert_string_equal(got, "");
	free(got);
	snapshot_free(&s);
}

/* More than 5 MiB of output: ss renders in batches; widths only grow. */
static void test_batches(void **state)
{
	struct snapshot s;
	char *got, *p;
	size_t lines = 0;

	(void)state;
	assert_int_equal(snapshot_init(&s), 0);
	for (unsigned i = 0; i < 60000; i++) {
		struct sock_record *r = add_tcp4(&s, "10.0.0.1", 443,
						 "10.0.0.2", 1024 + i % 60000,
						 SS_ESTABLISHED);
		r->inode = i < 59000 ? 7 : 123456789;
	}
	got = render_args(&s, "-tne");
	for (p = got; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 60001);
	assert_non_null(strstr(got, "ino:7 sk:1001 <->\n"));
	free(got);
	snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_ms),
		cmocka_unit_test(test_format_bw),
		cmocka_unit_test(test_tcpinfo_fields),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_crafted_fixtures),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_golden_fixtures),
		cmocka_unit_test(test_golden_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
