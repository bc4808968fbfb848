/*
 * ownmix.c — test helper for owner attribution: processes that share,
 * pass, dup, reuse and drop sockets, exec and exit, and a churn of
 * short-lived processes holding sockets.  Run it in a private network
 * namespace; it prints "ready", then answers one line per command on stdin
 * (a bad command ends it with status 2).  owners.sh compares what the
 * recorder attributes with `ss -p` at quiescent moments.
 * Usage: ownmix DIR   (DIR is accepted for lib.sh's mix_start and unused)
 *
 * Commands:
 *   share N      open a TCP listener and a UDP socket, then fork N holder
 *                processes that inherit every socket the main process has
 *                (so each is owned by all of them); answers "shared PID..."
 *   spawn [CG]   fork one holder that opens a UDP socket and a TCP listener
 *                of its own after the fork (first joining the cgroup
 *                directory CG when given); answers "spawned PID"
 *   exec PID     holder PID execs `sleep 3600`, keeping its fds; answers
 *                "execed PID" once its comm is "sleep"
 *   exit PID     holder PID is killed and reaped; answers "exited PID"
 *   dup          the main process dups its first socket; answers "dup FD"
 *   pass PID     a new UDP socket is sent to holder PID with SCM_RIGHTS and
 *                closed in the main process; answers "passed PID" once the
 *                holder has it
 *   reuse        the main process closes its newest socket fd and opens a
 *                new socket, which gets the same fd number; answers
 *                "reused FD"
 *   churn RATE   a churner process forks RATE children a second; each opens
 *                a UDP socket and a UNIX socketpair, a third of them fork a
 *                grandchild sharing them, a third exec `sleep`, and all are
 *                gone within 400 ms; answers "churning"
 *   pause        the churner stops forking and waits until every child and
 *                grandchild is gone; answers "paused"
 *   resume       the churner forks again; answers "resumed"
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOLDERS 64

struct holder {
	pid_t pid;
	int ctl;                /* main's end of the holder's control pair */
};

static struct holder holders[MAX_HOLDERS];
static int nholders;
static int main_socks[256];     /* the main process's sockets, in order */
static int nmain;
static pid_t churner;
static int churn_ack = -1;      /* main's end of the churner's ack pipe */

/* socket() or die. */
static int xsocket(int family, int type)
{
	int fd = socket(family, type, 0);

	if (fd < 0)
		err(1, "socket");
	return fd;
}

/* A socket of type bound to 127.0.0.1 on a port the kernel picks;
 * listening when it is a stream socket. */
static int bound_any(int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = xsocket(AF_INET, type);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		err(1, "bind");
	if (type == SOCK_STREAM && listen(fd, 8) < 0)
		err(1, "listen");
	return fd;
}

/* Remember a socket of the main process. */
static void keep_main(int fd)
{
	if (nmain == (int)(sizeof(main_socks) / sizeof(main_socks[0])))
		errx(1, "too many sockets");
	main_socks[nmain++] = fd;
}

/* Receive one fd sent with SCM_RIGHTS on ctl; -2 for a message without
 * one, -1 at EOF. */
static int recv_fd(int ctl)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(ctl, &m, 0) <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -2;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

/* Send fd over ctl with SCM_RIGHTS (a bare byte when fd < 0). */
static void send_fd(int ctl, int fd)
{
	char byte = 'f', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	if (fd < 0) {
		m.msg_control = NULL;
		m.msg_controllen = 0;
	} else {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	}
	if (sendmsg(ctl, &m, 0) != 1)
		err(1, "sendmsg");
}

/* A holder's life: keep every fd; on a bare message on ctl exec sleep
 * (fds stay open across exec), on an fd sent over ctl keep it and
 * acknowledge. */
static void holder_run(int ctl)
{
	char ack = 'k';
	int fd;

	for (;;) {
		fd = recv_fd(ctl);
		if (fd == -2)
			execlp("sleep", "sleep", "3600", (char *)NULL);
		if (fd < 0)
			_exit(0);
		if (write(ctl, &ack, 1) != 1)
			_exit(1);
	}
}

/* Fork a holder with a control socketpair; in the child, join cgroup dir
 * cg (if set), open own sockets if own is set, say so, then serve.
 * Returns the holder's pid in the parent once it is ready. */
static pid_t fork_holder(int own, const char *cg)
{
	char ready;
	int sv[2];
	pid_t pid;

	if (nholders == MAX_HOLDERS)
		errx(1, "too many holders");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		err(1, "socketpair");
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		close(sv[0]);
		if (cg) {
			char path[512];
			FILE *f;

			snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
			f = fopen(path, "w");
			if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
				_exit(1);
		}
		if (own) {
			bound_any(SOCK_DGRAM);
			bound_any(SOCK_STREAM);
		}
		if (write(sv[1], "r", 1) != 1)
			_exit(1);
		holder_run(sv[1]);
	}
	close(sv[1]);
	if (read(sv[0], &ready, 1) != 1)
		errx(1, "holder %d failed to start%s%s", pid, cg ? " in " : "",
		     cg ? cg : "");
	holders[nholders++] = (struct holder){ .pid = pid, .ctl = sv[0] };
	return pid;
}

/* The holder with this pid, or die with status 2. */
static struct holder *find_holder(pid_t pid)
{
	for (int i = 0; i < nholders; i++)
		if (holders[i].pid == pid)
			return &holders[i];
	errx(2, "no holder %d", pid);
}

/* Wait until /proc/PID/comm reads name. */
static void wait_comm(pid_t pid, const char *name)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");

		buf[0] = '\0';
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, name) == 0)
			return;
		usleep(10000);
	}
	errx(1, "pid %d did not become %s", pid, name);
}

/* One churn child: sockets of its own, maybe a grandchild sharing them or
 * an exec, gone within 400 ms. */
static void churn_child(unsigned seed)
{
	int sv[2];
	char ms[16];

	bound_any(SOCK_DGRAM);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		_exit(1);
	snprintf(ms, sizeof(ms), "0.%03u", 50 + seed % 300);
	switch (seed % 3) {
	case 0:
		if (fork() == 0)
			usleep(1000 * (50 + seed % 300));
		break;
	case 1:
		execlp("sleep", "sleep", ms, (char *)NULL);
		_exit(1);
	default:
		break;
	}
	usleep(1000 * (50 + (seed / 3) % 300));
	_exit(0);
}

/* The churner: fork rate children a second until SIGUSR1; then reap every
 * child and grandchild (it is their subreaper), acknowledge on ack, and
 * wait for SIGUSR2 to go on. */
static void churner_run(int rate, int ack)
{
	struct timespec gap = { 0, 1000000000L / rate };
	unsigned seed = 1;
	sigset_t sigs;
	char a = 'p';

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (;;) {
		if (sigtimedwait(&sigs, NULL, &gap) == SIGUSR1) {
			while (wait(NULL) > 0 || errno == EINTR)
				;
			if (write(ack, &a, 1) != 1)
				_exit(1);
			while (sigwaitinfo(&sigs, NULL) != SIGUSR2)
				;
		}
		seed = seed * 1103515245u + 12345u;
		pid_t pid = fork();

		if (pid == 0) {
			sigprocmask(SIG_UNBLOCK, &sigs, NULL);
			close(ack);
			churn_child(seed >> 8);
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

/* Start the churner with no socket of the main process. */
static void churn_start(int rate)
{
	sigset_t sigs, old;
	int p[2];

	if (churner || pipe(p) < 0)
		errx(2, "churn: already running or no pipe");
	/* blocked from the start, so an early SIGUSR1 waits for the churner */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	churner = fork();
	if (churner < 0)
		err(1, "fork");
	if (churner == 0) {
		close(p[0]);
		if (dup2(p[1], 3) < 0)
			_exit(1);
		for (int fd = 4; fd < 1024; fd++)
			close(fd);
		churner_run(rate, 3);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	churn_ack = p[0];
}

/* Pause the churner and wait until it has no child left. */
static void churn_pause(void)
{
	char a;

	if (!churner)
		errx(2, "pause: no churn");
	kill(churner, SIGUSR1);
	if (read(churn_ack, &a, 1) != 1)
		errx(1, "churner died");
}

/* Run one command line; returns its answer in out. */
static void command(char *line, char *out, size_t len)
{
	char *cmd = strtok(line, " \n"), *arg = strtok(NULL, " \n");
	struct holder *h;

	if (!cmd)
		errx(2, "empty command");
	if (strcmp(cmd, "share") == 0 && arg) {
		int n = atoi(arg), off;

		keep_main(bound_any(SOCK_STREAM));
		keep_main(bound_any(SOCK_DGRAM));
		off = snprintf(out, len, "shared");
		for (int i = 0; i < n; i++)
			off += snprintf(out + off, len - (size_t)off, " %d",
					fork_holder(0, NULL));
	} else if (strcmp(cmd, "spawn") == 0) {
		snprintf(out, len, "spawned %d", fork_holder(1, arg));
	} else if (strcmp(cmd, "exec") == 0 && arg) {
		h = find_holder(atoi(arg));
		send_fd(h->ctl, -1);
		wait_comm(h->pid, "sleep");
		snprintf(out, len, "execed %d", h->pid);
	} else if (strcmp(cmd, "exit") == 0 && arg) {
		h = find_holder(atoi(arg));
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		close(h->ctl);
		snprintf(out, len, "exited %d", h->pid);
		*h = holders[--nholders];
	} else if (strcmp(cmd, "dup") == 0 && nmain) {
		int fd = dup(main_socks[0]);

		keep_main(fd);
		snprintf(out, len, "dup %d", fd);
	} else if (strcmp(cmd, "pass") == 0 && arg) {
		int fd = bound_any(SOCK_DGRAM);
		char ack;

		h = find_holder(atoi(arg));
		send_fd(h->ctl, fd);
		close(fd);
		if (read(h->ctl, &ack, 1) != 1)
			errx(1, "holder %d did not take the fd", h->pid);
		snprintf(out, len, "passed %d", h->pid);
	} else if (strcmp(cmd, "reuse") == 0 && nmain) {
		int old = main_socks[--nmain], fd;

		close(old);
		fd = bound_any(SOCK_DGRAM);
		if (fd != old)
			errx(1, "fd %d not reused (got %d)", old, fd);
		keep_main(fd);
		snprintf(out, len, "reused %d", fd);
	} else if (strcmp(cmd, "churn") == 0 && arg && atoi(arg) > 0) {
		churn_start(atoi(arg));
		snprintf(out, len, "churning");
	} else if (strcmp(cmd, "pause") == 0) {
		churn_pause();
		snprintf(out, len, "paused");
	} else if (strcmp(cmd, "resume") == 0 && churner) {
		kill(churner, SIGUSR2);
		snprintf(out, len, "resumed");
	} else {
		errx(2, "bad command: %s", cmd);
	}
}

int main(int argc, char **argv)
{
	char line[256], out[1024];

	if (argc != 2)
		errx(2, "usage: ownmix DIR");
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		command(line, out, sizeof(out));
		printf("%s\n", out);
		fflush(stdout);
	}
	if (churner)
		kill(churner, SIGKILL);
	for (int i = 0; i < nholders; i++)
		kill(holders[i].pid, SIGKILL);
	return 0;
}
