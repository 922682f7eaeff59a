/* SPDX-License-Identifier: MIT */
/*
 * The private runtime directory (rundir.h): where it is, and making sure it
 * is private before a socket goes into it.
 */
#include "rundir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROOT_RUNDIR "/run/ioreqd"

int ioreqd_rundir_choose(char *buf, size_t len, uid_t euid, const char *xdg, char *err,
                         size_t errlen)
{
	int n;

	if (euid == 0) {
		n = snprintf(buf, len, "%s", ROOT_RUNDIR);
	} else if (xdg && xdg[0] == '/') {
		n = snprintf(buf, len, "%s/ioreqd", xdg);
	} else {
		snprintf(
		    err, errlen,
		    "XDG_RUNTIME_DIR is not set (or not an absolute path), so there is "
		    "no private directory for the sockets; set it or name the socket "
		    "(--sim-socket, --socket)");
		return -ENOENT;
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "runtime directory path too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

int ioreqd_rundir_make(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(-rc));
		return rc;
	}
	if (lstat(path, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a directory; remove it",
		         path);
		return -ENOTDIR;
	}
	/*
	 * Whoever can write the directory can put their own socket where ours
	 * should be.  (0755 is fine: systemd's RuntimeDirectory= makes that.)
	 */
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(
		    err, errlen,
		    "%s is owned by uid %lu with mode %03o; it must belong to uid %lu "
		    "and be writable by nobody else: fix or remove it",
		    path, (unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777),
		    (unsigned long)geteuid());
		return -EPERM;
	}
	return 0;
}

int ioreqd_rundir_sim_socket(char *buf, size_t len, unsigned long domid, char *err,
                             size_t errlen)
{
	char dir[4096];
	int rc, n;

	rc = ioreqd_rundir_choose(dir, sizeof(dir), geteuid(), getenv("XDG_RUNTIME_DIR"),
	                          err, errlen);
	if (rc < 0)
		return rc;
	rc = ioreqd_rundir_make(dir, err, errlen);
	if (rc < 0)
		return rc;
	n = snprintf(buf, len, "%s/sim-%lu.sock", dir, domid);
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "%s/sim-%lu.sock: path too long for a socket", dir,
		         domid);
		return -ENAMETOOLONG;
	}
	return 0;
}
