/*
 * test-destroy.c — close event subscriptions against the real kernel, in a
 * private network namespace of this process (needs root: skipped
 * otherwise): every socket freed is either delivered or counted as lost
 * (a receive buffer shrunk to overflow), and the collector thread stamps
 * events as they come, hands them over with destroy_take, and lets
 * subscriptions be removed while it runs.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "destroy.h"
#include "timeexpr.h"

#define NSOCKS 400

/* Enter a new network namespace with lo up; skip without root. */
static int private_ns(void **state)
{
	struct ifreq ifr;
	int fd;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return 0;       /* the tests skip */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -1;
	close(fd);
	return 0;
}

/* Skip the test unless private_ns() could make a namespace. */
static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* Open and close n UDP sockets: n destroy events. */
static void churn_udp(int n)
{
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(fd >= 0);
		close(fd);
	}
}

/* Sleep 10 ms. */
static void pause_10ms(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* A receive buffer far too small: what is not delivered is counted, and
 * delivered + lost is exactly what was freed. */
static void test_losses_counted(void **state)
{
	struct destroy_sub sub;
	int small = 1;                  /* the kernel's minimum */

	(void)state;
	need_root();
	assert_int_equal(destroy_open(&sub, 1, DESTROY_ALL), 0);
	assert_int_equal(setsockopt(sub.fd, SOL_SOCKET, SO_RCVBUFFORCE, &small,
				    sizeof(small)), 0);
	churn_udp(NSOCKS);
	for (int i = 0; i < 500; i++) {
		destroy_drain(&sub, SIZE_MAX);
		if (sub.pending.ev.nrecs + sub.pending.lost >= NSOCKS)
			break;
		pause_10ms();
	}
	assert_int_equal(sub.pending.bad, 0);
	assert_true(sub.pending.lost > 0);
	assert_true(sub.overruns > 0);
	assert_int_equal(sub.pending.ev.nrecs + sub.pending.lost, NSOCKS);
	destroy_close(&sub);
}

/* The thread collects, stamps in order within the wall-clock window of
 * the closes, and destroy_take hands over and starts afresh. */
static void test_collector(void **state)
{
	struct destroy_collector c;
	struct destroy_sub sub, other;
	struct destroy_batch b;
	size_t got = 0;
	int64_t t0, t1;

	(void)state;
	need_root();
	assert_int_equal(destroy_start(&c), 0);
	assert_int_equal(destroy_open(&sub, 7, DESTROY_TCP | DESTROY_UDP), 0);
	assert_int_equal(destroy_open(&other, 7, DESTROY_TCP), 0);
	assert_int_equal(destroy_add(&c, &sub), 0);
	assert_int_equal(destroy_add(&c, &other), 0);
	assert_int_equal(destroy_batch_init(&b), 0);
	t0 = time_now_ns();
	churn_udp(50);
	t1 = time_now_ns();
	/* removed while the thread runs: it must not touch it again */
	destroy_remove(&c, &other);
	destroy_close(&other);
	for (int i = 0; i < 500 && got < 50; i++) {
		got += destroy_take(&c, &sub, time_now_ns(), &b);
		for (size_t k = 0; k < b.ev.nrecs; k++) {
			assert_true(b.closed_ns[k] >= t0);
			assert_true(k == 0 || b.closed_ns[k] >= b.closed_ns[k - 1]);
		}
		assert_int_equal(b.ev.netns_ino, 7);
		if (b.ev.nrecs)
			assert_true(b.closed_ns[0] <= b.ev.time_ns);
		pause_10ms();
	}
	assert_int_equal(got, 50);
	assert_true(b.since_ns >= t1 - 10 * 1000 * 1000 * 1000ll);
	assert_int_equal(destroy_take(&c, &sub, time_now_ns(), &b), 0);
	destroy_remove(&c, &sub);
	destroy_stop(&c);
	destroy_close(&sub);
	destroy_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_losses_counted),
		cmocka_unit_test(test_collector),
	};

	return cmocka_run_group_tests(tests, private_ns, NULL);
}
