/* SPDX-License-Identifier: MIT */
/*
 * The files the daemon leaves in the file system while it runs (--pidfile and
 * the control socket) and their removal at exit.
 *
 * Unprivileged or chrooted, the daemon cannot remove them itself: after
 * --chroot the paths name other files (or none), and after --user it may not
 * write the directories (/run/ioreqd is root's).  A directory descriptor kept
 * across the drop would not help the second case, and across a chroot it is
 * an escape route for a daemon that is still root.  So, just before the drop,
 * the daemon forks a small helper that keeps the privileges and the view of
 * the file system and does nothing but wait: when the daemon asks (clean exit)
 * or its end of the socket pair closes (any exit, even a crash or SIGKILL),
 * the helper removes each file that is still the one the daemon created (same
 * device and inode, so a successor's files are safe) and exits.  It ignores
 * the stop signals a terminal or systemd sends to the whole group, and closes
 * every descriptor it inherited, so it holds no guest resource.
 */
#include "build-config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

int ioreqd_runfiles_add(struct ioreqd_runfiles *rf, const char *path)
{
	struct stat st;
	unsigned i = rf->nr;

	if (i >= IOREQD_RUNFILES_MAX || strlen(path) >= sizeof(rf->path[i]))
		return -ENAMETOOLONG;
	if (lstat(path, &st) < 0)
		return -errno;
	memcpy(rf->path[i], path, strlen(path) + 1);
	rf->dev[i] = st.st_dev;
	rf->ino[i] = st.st_ino;
	rf->nr++;
	return 0;
}

/* Remove what is still ours.  Async-signal-safe: the helper runs it after fork. */
static void remove_ours(const struct ioreqd_runfiles *rf)
{
	for (unsigned i = 0; i < rf->nr; i++) {
		struct stat st;

		if (lstat(rf->path[i], &st) == 0 && st.st_dev == rf->dev[i] &&
		    st.st_ino == rf->ino[i])
			unlink(rf->path[i]);
	}
}

/* The helper, after fork: only async-signal-safe calls (the daemon may have threads). */
static __attribute__((noreturn)) void helper(const struct ioreqd_runfiles *rf, int fd)
{
	static const int ignored[] = {SIGTERM, SIGINT,  SIGHUP, SIGQUIT,
	                              SIGUSR1, SIGUSR2, SIGPIPE};
	char byte;
	ssize_t n;

	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	/* Keep only the socket: no guest descriptor may outlive the daemon here. */
	if (dup2(fd, STDERR_FILENO + 1) < 0)
		_exit(1);
	fd = STDERR_FILENO + 1;
	if (syscall(SYS_close_range, fd + 1, ~0U, 0) < 0) {
		struct rlimit rl;
		int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
		              ? (int)rl.rlim_cur
		              : 65536;

		for (int i = fd + 1; i < max; i++)
			close(i);
	}
	prctl(PR_SET_NAME, "ioreqd-runfiles");
	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	remove_ours(rf);
	(void)write(fd, "", 1);
	_exit(0);
}

int ioreqd_runfiles_guard(struct ioreqd_runfiles *rf)
{
	int sv[2];
	pid_t pid;

	if (rf->nr == 0 || rf->helper > 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("cannot start the helper that removes the pidfile and control "
		        "socket at exit: socketpair");
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		log_err("cannot start the helper that removes the pidfile and control "
		        "socket at exit: fork");
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0)
		helper(rf, sv[1]);
	close(sv[1]);
	rf->helper = pid;
	rf->fd = sv[0];
	return 0;
}

void ioreqd_runfiles_remove(struct ioreqd_runfiles *rf)
{
	char byte;
	ssize_t n;

	if (rf->helper <= 0) {
		remove_ours(rf);
		rf->nr = 0;
		return;
	}
	/* Ask, and wait until it is done: whoever waits for our exit sees no files. */
	if (send(rf->fd, "x", 1, MSG_NOSIGNAL) == 1) {
		do
			n = read(rf->fd, &byte, 1);
		while (n < 0 && errno == EINTR);
	}
	close(rf->fd);
	while (waitpid(rf->helper, NULL, 0) < 0 && errno == EINTR)
		;
	rf->helper = 0;
	rf->fd = -1;
	rf->nr = 0;
}
