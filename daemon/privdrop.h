/* SPDX-License-Identifier: MIT */
/*
 * Privilege drop: the last step of setup, after xentoolcore_restrict_all
 * (the backend's restrict_domain op) has confined every Xen handle to the
 * guest.  In order: resolve the user and group (while /etc is still
 * visible), chroot and chdir("/"), setgroups/setresgid/setresuid, check that
 * root cannot be regained (setuid(0) must now fail), then optionally install
 * a seccomp allow-list (libseccomp) that fits the event loop.
 *
 * Everything the daemon needs later must be open before: hooks loaded
 * (dlopen), syslog opened (LOG_NDELAY), handles mapped.  A failure is
 * logged with the reason and the daemon must not go on serving.
 */
#ifndef IOREQD_PRIVDROP_H
#define IOREQD_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

/** What to do with system calls outside the allow-list. */
enum ioreqd_seccomp {
	IOREQD_SECCOMP_OFF = 0, /* no filter */
	IOREQD_SECCOMP_ERRNO,   /* fail them with EPERM (the daemon logs and goes on) */
	IOREQD_SECCOMP_KILL,    /* kill the process (strictest) */
};

struct ioreqd_privdrop_opts {
	const char *chroot_dir; /* NULL: no chroot */
	const char *user;       /* name or decimal uid; NULL: keep the ids */
	const char *group;      /* name or decimal gid; NULL: the user's login group */
	enum ioreqd_seccomp seccomp;
	/* More system calls to allow, by name (NULL-terminated), for hooks. */
	const char *const *extra_syscalls;
};

/**
 * Drop privileges as @p o says (nothing when every field is empty).
 * @return 0, or:
 *   -ENOENT  unknown user or group (resolved before the chroot);
 *   -EINVAL  a group without a user, a numeric uid with no passwd entry and
 *            no group, or a drop "to" uid 0;
 *   -EPERM   not started as root, or setuid(0) still succeeds after the
 *            drop (the process must exit);
 *   -ENOTSUP seccomp asked for but ioreqd was built without libseccomp;
 *   another -errno from chroot/chdir/setgroups/setresgid/setresuid.
 * Every failure is logged with its cause.
 */
int ioreqd_privdrop(const struct ioreqd_privdrop_opts *o);

/**
 * Resolve @p user and @p group as ioreqd_privdrop would (exposed for tests
 * and --check-config).  @return 0, -ENOENT or -EINVAL (logged).
 */
int ioreqd_privdrop_resolve(const char *user, const char *group, uid_t *uid, gid_t *gid);

/** @return true when ioreqd was built with libseccomp. */
bool ioreqd_privdrop_seccomp_available(void);

#endif /* IOREQD_PRIVDROP_H */
