/* SPDX-License-Identifier: MIT */
/*
 * One daemon per domain.  Two ioreqd serving the same domain would both
 * claim its ranges and the guest would talk to whichever Xen picked, reading
 * the other's device state: the second must refuse, naming the first, unless
 * told to take over (--replace).
 *
 * The lock is a file beside the daemon's sockets - /run/ioreqd/DOMID.lock
 * (Xen) or SIM-SOCKET.lock (sim) - held with flock(2) for the daemon's whole
 * life, so it works without --pidfile and vanishes with the process however
 * it ends.  The file holds the owner's pid for the message and for
 * --replace, which sends the owner SIGTERM and waits for the lock (the owner
 * completes every pending access and destroys its server before it exits).
 */
#include "build-config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* How long --replace waits for the running daemon to let go. */
#define REPLACE_WAIT_MS 10000
#define REPLACE_POLL_MS 20

/*
 * A backend that needs no privileges keeps its run files beside its socket;
 * the others share IOREQD_CONTROL_RUNDIR.  Asked of the backend, not of its
 * name.
 */
static bool files_beside_socket(const struct ioreqd_opts *o)
{
	const struct ioreqd_backend_ops *be = ioreqd_backend_find(o->backend);

	return be && (be->caps & IOREQD_BE_CAP_UNPRIVILEGED);
}

int ioreqd_instance_path(char *buf, size_t len, const struct ioreqd_opts *o)
{
	int n;

	if (files_beside_socket(o))
		n = snprintf(buf, len, "%s.lock", o->sim_socket ? o->sim_socket : "");
	else
		n = snprintf(buf, len, IOREQD_CONTROL_RUNDIR "/%u.lock", o->domid);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* @return the pid recorded in the lock file @p fd, or 0. */
static long owner_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? pid : 0;
}

/*
 * Open the lock file and try to lock it.  A file unlinked by the previous
 * owner after we opened it is not the lock any more: try again.
 * @return 0 locked, -EWOULDBLOCK held by another, or -errno; *fdp is open
 * in the first two cases.
 */
static int try_lock(const char *path, int *fdp)
{
	for (;;) {
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int rc = -errno;

			if (rc == -EWOULDBLOCK) {
				*fdp = fd;
				return rc;
			}
			close(fd);
			return rc;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			*fdp = fd;
			return 0;
		}
		close(fd);
	}
}

static int take_over(struct ioreqd_daemon *d, const char *path, int *fdp, long pid)
{
	struct timespec tick = {0, REPLACE_POLL_MS * 1000000L};
	int rc = -EWOULDBLOCK;

	log_info("d%u: --replace: stopping ioreqd pid %ld", d->opts.domid, pid);
	if (pid > 0 && kill((pid_t)pid, SIGTERM) < 0 && errno != ESRCH) {
		rc = -errno;
		log_errx("cannot stop ioreqd pid %ld, which serves domain %u: %s", pid,
		         d->opts.domid, strerror(-rc));
		return rc;
	}
	for (int waited = 0; waited < REPLACE_WAIT_MS; waited += REPLACE_POLL_MS) {
		close(*fdp);
		*fdp = -1;
		rc = try_lock(path, fdp);
		if (rc != -EWOULDBLOCK)
			return rc;
		nanosleep(&tick, NULL);
	}
	log_errx("ioreqd pid %ld still serves domain %u after %d s; not replacing it",
	         pid, d->opts.domid, REPLACE_WAIT_MS / 1000);
	return -ETIMEDOUT;
}

int ioreqd_instance_lock(struct ioreqd_daemon *d)
{
	char path[sizeof(d->lock_path)], pid[32];
	int fd = -1, rc, n;

	rc = ioreqd_instance_path(path, sizeof(path), &d->opts);
	if (rc < 0) {
		log_errx("domain %u: lock file path too long", d->opts.domid);
		return rc;
	}
	if (!files_beside_socket(&d->opts) && mkdir(IOREQD_CONTROL_RUNDIR, 0755) < 0 &&
	    errno != EEXIST) {
		rc = -errno;
		log_errx("cannot create %s: %s", IOREQD_CONTROL_RUNDIR, strerror(-rc));
		return rc;
	}
	rc = try_lock(path, &fd);
	if (rc == -EWOULDBLOCK) {
		long owner = owner_pid(fd);

		if (d->opts.replace) {
			rc = take_over(d, path, &fd, owner);
		} else {
			log_errx("domain %u is already served by ioreqd (pid %ld, lock "
			         "%s); stop "
			         "it first, or use --replace to take over from it",
			         d->opts.domid, owner, path);
			rc = -EADDRINUSE;
		}
	}
	if (rc < 0) {
		if (rc != -EADDRINUSE && rc != -ETIMEDOUT && rc != -EWOULDBLOCK)
			log_errx("cannot lock %s: %s", path, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("%s: cannot record the pid", path);
	d->lock_fd = fd;
	snprintf(d->lock_path, sizeof(d->lock_path), "%s", path);
	return 0;
}

void ioreqd_instance_unlock(struct ioreqd_daemon *d)
{
	if (d->lock_fd < 0)
		return;
	/*
	 * Unlinked while still locked, so that a daemon starting now either
	 * locks this file (and sees it is gone, and tries again) or a new one.
	 * Confined (chroot, another user, seccomp), the path is not ours to
	 * touch: the file stays, unlocked, and the next start reuses it.
	 */
	if (!d->confined && unlink(d->lock_path) < 0 && errno != ENOENT)
		log_debug("%s: cannot remove %s: %s", __func__, d->lock_path,
		          strerror(errno));
	close(d->lock_fd);
	d->lock_fd = -1;
}
