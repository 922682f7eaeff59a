/* SPDX-License-Identifier: MIT */
/*
 * Going to the background without losing the start-up verdict.  The daemon
 * forks before the backend exists (foreign mappings of the ioreq pages are not
 * inherited across fork, libxenctrl handles must not be used by a child, and
 * libxenstore's reader thread does not survive it), so it is the child that
 * finds out whether the guest can be served.  The parent stays until the child
 * says so: the child's warnings come back over a SOCK_SEQPACKET pair (one
 * record per message, and no SIGPIPE if the parent is gone) and the parent
 * prints them on its stderr; "serving" makes the parent exit 0, and a child
 * that exits before serving makes it exit with the child's status (1, 78...),
 * so `Type=forking` units and toolstack scripts see the failure and its cause.
 *
 * Records: 'L' followed by one formatted log line, or 'S' followed by one
 * status byte (sent once, when the daemon serves).
 */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

/* One log line (log.c formats at most 1024 bytes of message) and its tag. */
#define DETACH_RECORD_MAX 1200

/*
 * The log tee: warnings (what an operator must see when start-up fails) go to
 * the waiting parent once forked, or straight to the terminal before that when
 * the log itself goes to syslog.
 */
static void detach_tee_cb(int level, const char *msg, void *arg)
{
	struct ioreqd_daemon *d = arg;
	char rec[DETACH_RECORD_MAX];
	int n;

	if (level > LOG_LEVEL_WARN)
		return;
	rec[0] = 'L';
	n = ioreqd_log_format(rec + 1, sizeof(rec) - 1, level, msg);
	if (d->report_fd >= 0)
		(void)send(d->report_fd, rec, (size_t)n + 1, MSG_NOSIGNAL);
	else
		fputs(rec + 1, stderr);
}

void ioreqd_detach_prepare(struct ioreqd_daemon *d)
{
	d->report_fd = -1;
	if (!d->opts.foreground && d->opts.use_syslog)
		ioreqd_log_set_tee(detach_tee_cb, d);
}

/* The parent: relay the child's messages until it serves or exits. */
static int parent_wait(pid_t child, int fd)
{
	char rec[DETACH_RECORD_MAX];
	int status;
	ssize_t n;

	for (;;) {
		n = recv(fd, rec, sizeof(rec), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (rec[0] == 'L')
			fwrite(rec + 1, 1, (size_t)n - 1, stderr);
		else if (rec[0] == 'S' && n == 2)
			return (unsigned char)rec[1];
	}
	/* End of file without "serving": the child has exited or died. */
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return IOREQD_EX_FAIL;
	if (WIFEXITED(status))
		return WEXITSTATUS(status) ? WEXITSTATUS(status) : IOREQD_EX_FAIL;
	if (WIFSIGNALED(status))
		fprintf(stderr, "ioreqd: error: the daemon died during start-up: %s\n",
		        strsignal(WTERMSIG(status)));
	return IOREQD_EX_FAIL;
}

int ioreqd_detach(struct ioreqd_daemon *d)
{
	int sv[2], null;
	pid_t pid;

	if (d->opts.foreground)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("cannot detach into the background: socketpair (run with -f to "
		        "stay in the foreground)");
		return -errno;
	}
	/* Nothing buffered may be printed twice. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		log_err("cannot detach into the background: fork (run with -f to stay in "
		        "the foreground)");
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid > 0) {
		int ex;

		close(sv[1]);
		ex = parent_wait(pid, sv[0]);
		fflush(stderr);
		/* The child owns the hooks, the config and the event base now. */
		_exit(ex);
	}
	close(sv[0]);
	d->report_fd = sv[1];
	ioreqd_log_set_tee(detach_tee_cb, d);
	if (setsid() < 0)
		log_warn("cannot start a new session (setsid)");
	if (chdir("/") < 0)
		log_warn("cannot change directory to /");
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(null, STDERR_FILENO) < 0) {
		log_err("cannot detach into the background: /dev/null");
		return -errno;
	}
	if (null > STDERR_FILENO)
		close(null);
	/* The forked child must rebuild the kernel event state it inherited. */
	if (event_reinit(d->base) < 0) {
		log_errx(
		    "cannot re-initialise the event loop after detaching (run with -f "
		    "to stay in the foreground)");
		return -EIO;
	}
	return 0;
}

void ioreqd_detach_done(struct ioreqd_daemon *d)
{
	const char rec[2] = {'S', IOREQD_EX_OK};

	ioreqd_log_set_tee(NULL, NULL);
	if (d->report_fd < 0)
		return;
	(void)send(d->report_fd, rec, sizeof(rec), MSG_NOSIGNAL);
	close(d->report_fd);
	d->report_fd = -1;
}
