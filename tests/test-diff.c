/*
 * test-diff.c — the logic of `sockhist diff` (analyzer/sockdiff.c) on
 * crafted snapshots: the queue threshold rule (below on one side, at or
 * above on the other; 0 turns it off), the listener rule (accept queue
 * full or not), the cookie merge into opened, closed and changed (with a
 * selection, across boots, from records in any order, in ss's row order),
 * and the --by group counts and their order.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "sockdiff.h"
#include "sockenum.h"
#include "sockkey.h"

/* Add a socket: a tcp one to peer 10.0.0.PEER, or unix when peer < 0. */
static void add(struct snapshot *s, uint64_t cookie, int state, int peer,
		uint32_t rq, uint32_t wq)
{
	struct sock_record *r = snapshot_add_record(s);

	assert_non_null(r);
	r->cookie = cookie;
	r->state = (uint8_t)state;
	r->rqueue = rq;
	r->wqueue = wq;
	if (peer < 0) {
		r->netid = NETID_U_STR;
		r->family = AF_UNIX;
		return;
	}
	r->netid = NETID_TCP;
	r->family = AF_INET;
	r->sport = 7001;
	r->dport = (uint16_t)(40000 + cookie);
	uint8_t dst[4] = { 10, 0, 0, (uint8_t)peer };
	memcpy(r->dst, dst, 4);
}

/* The cookies of a list, as "c1 c2 ...", of the record a table prints. */
static void cookies(const struct sock_delta *v, size_t n, char *buf,
		    size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct sock_record *r = v[i].after ? v[i].after :
						v[i].before;

		used += (size_t)snprintf(buf + used, len - used, "%s%llu",
					 i ? " " : "",
					 (unsigned long long)r->cookie);
	}
}

/* Check the three lists of d. */
static void expect(const struct sock_diff *d, const char *opened,
		   const char *closed, const char *changed)
{
	char buf[256];

	cookies(d->opened, d->nopened, buf, sizeof(buf));
	assert_string_equal(buf, opened);
	cookies(d->closed, d->nclosed, buf, sizeof(buf));
	assert_string_equal(buf, closed);
	cookies(d->changed, d->nchanged, buf, sizeof(buf));
	assert_string_equal(buf, changed);
}

static void test_queue_rule(void **state)
{
	(void)state;
	assert_false(sock_diff_queue_crossed(0, 65535, 65536));
	assert_true(sock_diff_queue_crossed(0, 65536, 65536));
	assert_true(sock_diff_queue_crossed(70000, 10, 65536));
	assert_false(sock_diff_queue_crossed(70000, 65536, 65536));
	assert_false(sock_diff_queue_crossed(0, 4000000000u, 0));
	assert_true(sock_diff_queue_crossed(0, 1, 1));
}

static void test_changed_rule(void **state)
{
	struct sock_record a = { .state = SS_ESTABLISHED };
	struct sock_record b = a;

	(void)state;
	assert_false(sock_diff_changed(&a, &b, 100));
	b.state = SS_CLOSE_WAIT;
	assert_true(sock_diff_changed(&a, &b, 100));
	assert_true(sock_diff_changed(&a, &b, 0));
	b = a;
	b.wqueue = 100;
	assert_true(sock_diff_changed(&a, &b, 100));
	assert_false(sock_diff_changed(&a, &b, 101));
	assert_false(sock_diff_changed(&a, &b, 0));
	b.wqueue = 0;
	b.rqueue = 5000;
	assert_true(sock_diff_changed(&a, &b, 100));

	/* A listener: Recv-Q counts pending connections, Send-Q is the
	 * backlog; only a full accept queue (Recv-Q > Send-Q) counts. */
	struct sock_record l1 = { .state = SS_LISTEN, .rqueue = 2, .wqueue = 128 };
	struct sock_record l2 = l1;
	l2.rqueue = 128;
	assert_false(sock_diff_changed(&l1, &l2, 1));
	l2.rqueue = 129;
	assert_true(sock_diff_changed(&l1, &l2, 1));
	assert_true(sock_diff_changed(&l2, &l1, 65536));
	assert_false(sock_diff_changed(&l1, &l2, 0));
}

/* The two snapshots of the merge tests: FROM 1 2 3 5 6 (unix 6), TO 2 3 4
 * 5 6 7 (unix 7), each added in a shuffled order. */
static void pair(struct snapshot *from, struct snapshot *to)
{
	assert_int_equal(snapshot_init(from), 0);
	assert_int_equal(snapshot_init(to), 0);
	add(from, 5, SS_ESTABLISHED, 1, 0, 0);
	add(from, 1, SS_ESTABLISHED, 1, 0, 0);
	add(from, 6, SS_ESTABLISHED, -1, 0, 0);
	add(from, 3, SS_LISTEN, 0, 0, 128);
	add(from, 2, SS_ESTABLISHED, 2, 0, 0);
	add(to, 7, SS_ESTABLISHED, -1, 0, 0);
	add(to, 4, SS_ESTABLISHED, 2, 0, 0);
	add(to, 2, SS_CLOSE_WAIT, 2, 1, 0);
	add(to, 3, SS_LISTEN, 0, 0, 128);
	add(to, 5, SS_ESTABLISHED, 1, 70000, 0);
	add(to, 6, SS_ESTABLISHED, -1, 10, 0);
}

/* Keep sockets in the state given by arg. */
static int keep_state(const struct snapshot *s, const struct sock_record *r,
		      void *arg)
{
	(void)s;
	return r->state == *(int *)arg;
}

static void test_merge(void **state)
{
	struct snapshot from, to;
	struct sock_diff d;
	struct sock_diff_opts o = { .queue_bytes = 65536, .same_boot = true };
	int estab = SS_ESTABLISHED, listen = SS_LISTEN;

	(void)state;
	pair(&from, &to);
	/* unix before tcp (ss's order), cookie order within */
	assert_int_equal(sock_diff_compute(&from, &to, &o, &d), 0);
	expect(&d, "7 4", "1", "2 5");
	assert_int_equal(d.changed[0].before->state, SS_ESTABLISHED);
	assert_int_equal(d.changed[0].after->state, SS_CLOSE_WAIT);
	assert_true(d.changed[0].kept_before && d.changed[0].kept_after);
	sock_diff_free(&d);

	/* a lower threshold: the unix socket's 10 bytes count too */
	o.queue_bytes = 10;
	assert_int_equal(sock_diff_compute(&from, &to, &o, &d), 0);
	expect(&d, "7 4", "1", "6 2 5");
	sock_diff_free(&d);
	o.queue_bytes = 0;
	assert_int_equal(sock_diff_compute(&from, &to, &o, &d), 0);
	expect(&d, "7 4", "1", "2");
	sock_diff_free(&d);

	/* selected on one side is enough for "changed" */
	o.queue_bytes = 65536;
	o.keep = keep_state;
	o.arg = &estab;
	assert_int_equal(sock_diff_compute(&from, &to, &o, &d), 0);
	expect(&d, "7 4", "1", "2 5");
	assert_true(d.changed[0].kept_before);
	assert_false(d.changed[0].kept_after);
	sock_diff_free(&d);
	o.arg = &listen;
	assert_int_equal(sock_diff_compute(&from, &to, &o, &d), 0);
	expect(&d, "", "", "");
	sock_diff_free(&d);

	/* another boot: no cookie matches */
	o.keep = NULL;
	o.same_boot = false;
	assert_int_equal(sock_diff_compute(&from, &to, &o, &d), 0);
	expect(&d, "6 7 2 3 4 5", "6 1 2 3 5", "");
	sock_diff_free(&d);
	snapshot_free(&from);
	snapshot_free(&to);
}

static void test_empty(void **state)
{
	struct snapshot from, to;
	struct sock_diff d;
	struct sock_diff_opts o = { .queue_bytes = 1, .same_boot = true };

	(void)state;
	assert_int_equal(snapshot_init(&from), 0);
	assert_int_equal(snapshot_init(&to), 0);
	assert_int_equal(sock_diff_compute(&from, &to, &o, &d), 0);
	expect(&d, "", "", "");
	sock_diff_free(&d);
	add(&to, 9, SS_ESTABLISHED, 1, 0, 0);
	assert_int_equal(sock_diff_compute(&from, &to, &o, &d), 0);
	expect(&d, "9", "", "");
	sock_diff_free(&d);
	assert_int_equal(sock_diff_compute(&to, &from, &o, &d), 0);
	expect(&d, "", "9", "");
	sock_diff_free(&d);
	snapshot_free(&from);
	snapshot_free(&to);
}

/* The groups as "label from to opened closed changed; ...". */
static void groups(const struct snapshot *from, const struct snapshot *to,
		   const struct sock_diff_opts *o, const char *key,
		   const char *want)
{
	struct sock_diff d;
	struct sock_diff_group *g;
	char buf[512];
	size_t used = 0;
	long n;

	assert_int_equal(sock_diff_compute(from, to, o, &d), 0);
	n = sock_diff_groups(from, to, o, &d, sock_key_find(key), &g);
	assert_true(n >= 0);
	buf[0] = '\0';
	for (long i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
			"%s%s %u %u %u %u %u", i ? "; " : "", g[i].label,
			g[i].from, g[i].to, g[i].opened, g[i].closed,
			g[i].changed);
	assert_string_equal(buf, want);
	sock_diff_groups_free(g, (size_t)n);
	sock_diff_free(&d);
}

static void test_groups(void **state)
{
	struct snapshot from, to;
	struct sock_diff_opts o = { .queue_bytes = 65536, .same_boot = true };
	int estab = SS_ESTABLISHED;

	(void)state;
	pair(&from, &to);
	/* Socket 2 (ESTAB -> CLOSE-WAIT) counts as changed in both of its
	 * groups, 5 (a queue) in one; the largest |to - from| first. */
	groups(&from, &to, &o, "state",
	       "CLOSE-WAIT 0 1 0 0 1; ESTAB 4 4 2 1 2; LISTEN 1 1 0 0 0");
	groups(&from, &to, &o, "peer",
	       "10.0.0.1 2 1 0 1 1; 10.0.0.2 1 2 1 0 1; * 1 2 1 0 0; "
	       "10.0.0.0 1 1 0 0 0");
	o.keep = keep_state;
	o.arg = &estab;
	/* which peers lost established connections */
	groups(&from, &to, &o, "peer",
	       "10.0.0.1 2 1 0 1 1; * 1 2 1 0 0; 10.0.0.2 1 1 1 0 1");
	snapshot_free(&from);
	snapshot_free(&to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_rule),
		cmocka_unit_test(test_changed_rule),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
