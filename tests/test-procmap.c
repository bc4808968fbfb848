/*
 * test-procmap.c — owner processes of real sockets held by real processes,
 * while those processes fork, dup, exec, close, reuse fd numbers and exit.
 *
 * Each check builds a snapshot whose records are exactly the sockets under
 * test (inode from fstat) and lets the procmap attach owners, so the test
 * does not depend on the other sockets of the machine; one tick's
 * snapshots of several namespaces are attached as one set.  Children obey
 * one-byte commands over a pipe and answer with a uint64_t.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "procmap.h"

#define MAX_OWNERS 8
#define SEC 1000000000ll

struct child {
	pid_t pid;
	int cmd;        /* we write commands */
	int ans;        /* we read answers */
};

struct owner {
	uint32_t pid, fd;
	char comm[32];
};

static int64_t fake_now;

static uint64_t inode_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_ino;
}

/* Child side: obey commands until told to exit. */
static void child_loop(int cmd, int ans, int sockfd)
{
	uint64_t v;
	char c;
	int fd;

	while (read(cmd, &c, 1) == 1) {
		v = 0;
		switch (c) {
		case 'r':       /* close sockfd, reuse its number for a new socket */
			close(sockfd);
			fd = socket(AF_UNIX, SOCK_DGRAM, 0);
			v = fd == sockfd ? inode_of(fd) : 0;
			break;
		case 'e':       /* exec sleep; the answer pipe closes on exec */
			execl("/bin/sleep", "sleep", "60", (char *)NULL);
			_exit(127);
		case 'x':
			_exit(0);
		}
		if (write(ans, &v, sizeof(v)) != sizeof(v))
			_exit(1);
	}
	_exit(0);
}

/* Fork a child that keeps sockfd (and everything else we hold). */
static struct child spawn(int sockfd)
{
	int cmd[2], ans[2];
	struct child ch;

	assert_int_equal(pipe2(cmd, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ans, O_CLOEXEC), 0);
	ch.pid = fork();
	assert_true(ch.pid >= 0);
	if (ch.pid == 0) {
		close(cmd[1]);
		close(ans[0]);
		prctl(PR_SET_NAME, "pm-child");
		child_loop(cmd[0], ans[1], sockfd);
	}
	close(cmd[0]);
	close(ans[1]);
	ch.cmd = cmd[1];
	ch.ans = ans[0];
	return ch;
}

/* Send a command; return the answer (or 0 when the pipe closed: exec). */
static uint64_t command(struct child *ch, char c)
{
	uint64_t v = 0;

	assert_int_equal(write(ch->cmd, &c, 1), 1);
	if (read(ch->ans, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void reap(struct child *ch)
{
	kill(ch->pid, SIGKILL);
	waitpid(ch->pid, NULL, 0);
	close(ch->cmd);
	close(ch->ans);
}

/* Attach owners for a snapshot of exactly these socket inodes. */
static void attach(struct procmap *pm, struct snapshot *s,
		   const uint64_t *inodes, size_t n)
{
	struct sock_record *r;
	size_t i;

	snapshot_reset(s);
	for (i = 0; i < n; i++) {
		r = snapshot_add_record(s);
		assert_non_null(r);
		r->cookie = i + 1;
		r->inode = inodes[i];
	}
	fake_now += SEC;
	assert_int_equal(procmap_refresh(pm, fake_now), 0);
	assert_int_equal(procmap_attach(pm, s), 0);
}

/* Owners of record i, in the snapshot's order. */
static size_t owners(const struct snapshot *s, size_t i,
		     struct owner out[MAX_OWNERS])
{
	const struct sock_record *r = &s->recs[i];
	size_t k;

	assert_true(r->proc_count <= MAX_OWNERS);
	for (k = 0; k < r->proc_count; k++) {
		const struct sr_process *p = &s->procs[r->proc_first + k];

		out[k].pid = p->pid;
		out[k].fd = p->fd;
		snprintf(out[k].comm, sizeof(out[k].comm), "%s",
			 snapshot_str(s, p->comm));
	}
	return r->proc_count;
}

static uint64_t readlinks(const struct procmap *pm)
{
	struct procmap_stats st;

	procmap_get_stats(pm, &st);
	return st.readlinks;
}

/* fork shares, dup adds, ss order is descending pid then fd. */
static void test_fork_dup_order(void **state)
{
	struct procmap *pm;
	struct snapshot s;
	struct owner o[MAX_OWNERS];
	struct child ch;
	int sp[2], d;
	uint64_t ino[2];

	(void)state;
	assert_int_equal(procmap_new(NULL, &pm), 0);
	assert_int_equal(snapshot_init(&s), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ino[0] = inode_of(sp[0]);
	ino[1] = inode_of(sp[1]);
	attach(pm, &s, ino, 2);
	assert_int_equal(owners(&s, 0, o), 1);
	assert_int_equal(o[0].pid, getpid());
	assert_int_equal(o[0].fd, sp[0]);
	assert_string_equal(o[0].comm, "test-procmap");

	ch = spawn(sp[0]);
	command(&ch, '?');      /* the child runs with its new name */
	d = fcntl(sp[0], F_DUPFD, 100);     /* a number never used before */
	attach(pm, &s, ino, 2);
	assert_int_equal(owners(&s, 0, o), 3);
	if ((uint32_t)ch.pid > (uint32_t)getpid()) {
		assert_int_equal(o[0].pid, ch.pid);
		assert_string_equal(o[0].comm, "pm-child");
		assert_int_equal(o[1].pid, getpid());
		assert_int_equal(o[1].fd, d);   /* the higher fd first */
		assert_int_equal(o[2].fd, sp[0]);
	}
	/* the child also inherited sp[1] */
	assert_int_equal(owners(&s, 1, o), 2);

	reap(&ch);
	attach(pm, &s, ino, 2);
	assert_int_equal(owners(&s, 0, o), 2);
	assert_int_equal(o[0].pid, getpid());
	assert_int_equal(owners(&s, 1, o), 1);
	close(d);
	close(sp[0]);
	close(sp[1]);
	snapshot_free(&s);
	procmap_free(pm);
}

/* exec changes comm at once, and closes close-on-exec sockets. */
static void test_exec(void **state)
{
	struct procmap *pm;
	struct snapshot s;
	struct owner o[MAX_OWNERS];
	struct child ch;
	int keep, cloexec;
	uint64_t ino[2];

	(void)state;
	assert_int_equal(procmap_new(NULL, &pm), 0);
	assert_int_equal(snapshot_init(&s), 0);
	keep = socket(AF_UNIX, SOCK_DGRAM, 0);
	cloexec = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ino[0] = inode_of(keep);
	ino[1] = inode_of(cloexec);
	ch = spawn(keep);
	command(&ch, '?');
	attach(pm, &s, ino, 2);
	assert_int_equal(owners(&s, 0, o), 2);
	assert_int_equal(owners(&s, 1, o), 2);

	assert_int_equal(command(&ch, 'e'), 0);  /* returns once exec'd */
	attach(pm, &s, ino, 2);
	assert_int_equal(owners(&s, 0, o), 2);
	assert_true(strcmp(o[0].comm, "sleep") == 0 ||
		    strcmp(o[1].comm, "sleep") == 0);
	assert_int_equal(owners(&s, 1, o), 1);
	assert_int_equal(o[0].pid, getpid());

	reap(&ch);
	close(keep);
	close(cloexec);
	snapshot_free(&s);
	procmap_free(pm);
}

/* A closed socket's fd number reused for a new socket, alone and shared. */
static void test_fd_reuse(void **state)
{
	struct procmap *pm;
	struct snapshot s;
	struct owner o[MAX_OWNERS];
	struct child ch;
	int a, b, fd;
	uint64_t ino[3];

	(void)state;
	assert_int_equal(procmap_new(NULL, &pm), 0);
	assert_int_equal(snapshot_init(&s), 0);
	a = socket(AF_UNIX, SOCK_DGRAM, 0);
	ino[0] = inode_of(a);
	attach(pm, &s, ino, 1);
	assert_int_equal(owners(&s, 0, o), 1);
	close(a);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(fd, a);
	ino[0] = inode_of(fd);
	attach(pm, &s, ino, 1);
	assert_int_equal(owners(&s, 0, o), 1);
	assert_int_equal(o[0].fd, fd);

	/* shared with a child, which closes it and reuses the number */
	b = fd;
	ch = spawn(b);
	command(&ch, '?');
	attach(pm, &s, ino, 1);
	assert_int_equal(owners(&s, 0, o), 2);
	ino[1] = command(&ch, 'r');
	assert_int_not_equal(ino[1], 0);
	attach(pm, &s, ino, 2);
	assert_int_equal(owners(&s, 0, o), 1);
	assert_int_equal(o[0].pid, getpid());
	assert_int_equal(owners(&s, 1, o), 1);
	assert_int_equal(o[0].pid, ch.pid);
	assert_int_equal(o[0].fd, b);

	reap(&ch);
	close(b);
	snapshot_free(&s);
	procmap_free(pm);
}

/* In steady state nothing is read again; an ownerless socket is searched
 * for twice, then left alone until the periodic full rescan. */
static void test_steady_state(void **state)
{
	struct procmap *pm;
	struct snapshot s;
	struct owner o[MAX_OWNERS];
	struct procmap_stats st;
	uint64_t ino[2], before;
	int a;

	(void)state;
	assert_int_equal(procmap_new(NULL, &pm), 0);
	assert_int_equal(snapshot_init(&s), 0);
	a = socket(AF_UNIX, SOCK_DGRAM, 0);
	ino[0] = inode_of(a);
	ino[1] = 0xfffffff0u;   /* no such socket: nobody owns it */
	attach(pm, &s, ino, 2);
	attach(pm, &s, ino, 2);
	/* Other processes of the machine may open files meanwhile (their new
	 * fds are read, rightly): look for a quiet moment, a few tries. */
	int quiet = 0;
	for (int tries = 0; !quiet && tries < 50; tries++) {
		before = readlinks(pm);
		attach(pm, &s, ino, 2);
		attach(pm, &s, ino, 2);
		quiet = readlinks(pm) == before;
	}
	assert_true(quiet);
	assert_int_equal(owners(&s, 0, o), 1);
	assert_int_equal(owners(&s, 1, o), 0);

	fake_now += PROCMAP_RESCAN_NS;
	attach(pm, &s, ino, 2);
	procmap_get_stats(pm, &st);
	assert_int_equal(st.full_rescans, 2);
	assert_true(st.readlinks > before);
	close(a);
	snapshot_free(&s);
	procmap_free(pm);
}

/* One tick of three namespaces' snapshots attached as one set: inodes[k]
 * (0 ends a list) are the sockets of snapshot k. */
static void attach_set(struct procmap *pm, struct snapshot *snaps,
		       const uint64_t inodes[3][3])
{
	struct snapshot *set[3];

	for (size_t k = 0; k < 3; k++) {
		snapshot_reset(&snaps[k]);
		for (size_t i = 0; i < 3 && inodes[k][i]; i++) {
			struct sock_record *r = snapshot_add_record(&snaps[k]);
			assert_non_null(r);
			r->cookie = i + 1;
			r->inode = inodes[k][i];
		}
		set[k] = &snaps[k];
	}
	fake_now += SEC;
	assert_int_equal(procmap_refresh(pm, fake_now), 0);
	assert_int_equal(procmap_attach_all(pm, set, 3), 0);
}

/* The snapshots of one tick are one set: each gets its owners; a socket
 * of one snapshot is not "vanished" for being absent from another (steady
 * state reads nothing); an fd number reused for a socket of another
 * snapshot is found; an ownerless socket is left alone after two
 * searches. */
static void test_attach_all(void **state)
{
	struct procmap *pm;
	struct snapshot s[3];
	struct owner o[MAX_OWNERS];
	uint64_t ino[3][3] = { { 0 } }, before;
	int a, b, c, fd;

	(void)state;
	assert_int_equal(procmap_new(NULL, &pm), 0);
	for (int k = 0; k < 3; k++)
		assert_int_equal(snapshot_init(&s[k]), 0);
	a = socket(AF_UNIX, SOCK_DGRAM, 0);
	b = socket(AF_UNIX, SOCK_DGRAM, 0);
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	ino[0][0] = inode_of(a);
	ino[1][0] = inode_of(b);
	ino[1][1] = 0xfffffff0u;        /* nobody owns it */
	ino[2][0] = inode_of(c);
	attach_set(pm, s, ino);
	attach_set(pm, s, ino);
	int quiet = 0;
	for (int tries = 0; !quiet && tries < 50; tries++) {
		before = readlinks(pm);
		attach_set(pm, s, ino);
		attach_set(pm, s, ino);
		quiet = readlinks(pm) == before;
	}
	assert_true(quiet);
	assert_int_equal(owners(&s[0], 0, o), 1);
	assert_int_equal(o[0].fd, a);
	assert_int_equal(owners(&s[1], 0, o), 1);
	assert_int_equal(o[0].fd, b);
	assert_int_equal(owners(&s[1], 1, o), 0);
	assert_int_equal(owners(&s[2], 0, o), 1);
	assert_int_equal(o[0].fd, c);

	/* a's number reused by a socket that shows up in snapshot 2 */
	close(a);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(fd, a);
	ino[0][0] = 0;
	ino[2][1] = inode_of(fd);
	attach_set(pm, s, ino);
	assert_int_equal(s[0].nrecs, 0);
	assert_int_equal(owners(&s[2], 1, o), 1);
	assert_int_equal(o[0].fd, fd);
	assert_int_equal(o[0].pid, getpid());
	assert_int_equal(owners(&s[1], 0, o), 1);
	close(fd);
	close(b);
	close(c);
	for (int k = 0; k < 3; k++)
		snapshot_free(&s[k]);
	procmap_free(pm);
}

/* The work counters' fd directories listed so far. */
static uint64_t fd_dirs(const struct procmap *pm)
{
	struct procmap_stats st;

	procmap_get_stats(pm, &st);
	return st.fd_dirs;
}

/* Sockets opened between phase 1 and phase 2 (during the dumps), by a
 * process forked meanwhile and by one whose fd count changed, are found
 * without listing every fd directory; a socket nobody owns is searched
 * through every fd directory only when it was unowned the last time too
 * (its owner may just have exited). */
static void test_opened_during_dumps(void **state)
{
	struct procmap *pm;
	struct snapshot s;
	struct sock_record *r;
	struct owner o[MAX_OWNERS];
	uint64_t ino[4], dirs, first, second;
	int a, b, p[2];
	pid_t pid;

	(void)state;
	assert_int_equal(procmap_new(NULL, &pm), 0);
	assert_int_equal(snapshot_init(&s), 0);
	a = socket(AF_UNIX, SOCK_DGRAM, 0);
	ino[0] = inode_of(a);
	attach(pm, &s, ino, 1);

	fake_now += SEC;
	assert_int_equal(procmap_refresh(pm, fake_now), 0);
	dirs = fd_dirs(pm);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t v = inode_of(socket(AF_UNIX, SOCK_DGRAM, 0));

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(p[1], &v, sizeof(v)) != sizeof(v))
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(p[0], &ino[1], sizeof(ino[1])), sizeof(ino[1]));
	b = socket(AF_UNIX, SOCK_DGRAM, 0);
	ino[2] = inode_of(b);
	ino[3] = 0xfffffff0u;   /* no such socket: nobody owns it */
	snapshot_reset(&s);
	for (size_t i = 0; i < 4; i++) {
		r = snapshot_add_record(&s);
		assert_non_null(r);
		r->cookie = i + 1;
		r->inode = ino[i];
	}
	snapshot_sort_dedupe(&s);
	assert_int_equal(procmap_attach(pm, &s), 0);
	first = fd_dirs(pm) - dirs;
	for (size_t i = 0; i < s.nrecs; i++) {
		size_t n = owners(&s, i, o);

		if (s.recs[i].inode == ino[1]) {
			assert_int_equal(n, 1);
			assert_int_equal(o[0].pid, pid);
		} else if (s.recs[i].inode == ino[2]) {
			assert_int_equal(n, 1);
			assert_int_equal(o[0].pid, getpid());
		} else if (s.recs[i].inode == ino[0]) {
			assert_int_equal(n, 2);         /* the child's too */
		} else {
			assert_int_equal(n, 0);
		}
	}
	/* the ownerless one again: now every fd directory is listed */
	dirs = fd_dirs(pm);
	attach(pm, &s, ino, 4);
	second = fd_dirs(pm) - dirs;
	assert_true(second > first);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	close(p[1]);
	close(a);
	close(b);
	snapshot_free(&s);
	procmap_free(pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_dup_order),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_fd_reuse),
		cmocka_unit_test(test_steady_state),
		cmocka_unit_test(test_attach_all),
		cmocka_unit_test(test_opened_during_dumps),
	};

	prctl(PR_SET_NAME, "test-procmap");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
