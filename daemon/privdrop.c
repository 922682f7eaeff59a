/* SPDX-License-Identifier: MIT */
/*
 * Privilege drop (see privdrop.h), in the manner of the OpenBSD daemons:
 * chroot, then the group ids, then the user ids, then proof that root is
 * gone.  Names are resolved first because NSS needs /etc and may dlopen
 * modules, neither of which exists inside the chroot.
 *
 * The seccomp allow-list is what the running daemon does: read/write and
 * ioctl on its event channel, privcmd and foreign-memory descriptors, mmap
 * and munmap for guest mappings, the epoll/poll loop, timers and clocks,
 * signals, the QMP socket (recvmsg/sendmsg/accept4) and syslog (an AF_UNIX
 * socket, reconnected by glibc if syslogd restarts).  It is installed with
 * TSYNC because libxenstore runs a reader thread for its watches.
 */
#include "build-config.h"

#include "privdrop.h"

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

#include "log.h"

/* Decimal id, no sign, fits id_t and is not (id_t)-1 (the "no change" id). */
static int parse_id(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= 0xffffffffUL)
		return -EINVAL;
	*out = v;
	return 0;
}

/* getpwnam_r/getpwuid_r/getgrnam_r need a buffer; grow it on ERANGE. */
static void *grow(void *buf, size_t *len)
{
	void *n;

	*len = *len ? *len * 2 : 4096;
	n = *len <= (1u << 20) ? realloc(buf, *len) : NULL;
	if (!n)
		free(buf);
	return n;
}

/* One passwd lookup by name or by uid, growing *buf as needed. */
static int passwd_lookup(const char *name, uid_t id, struct passwd *pw, char **buf,
                         size_t *len, struct passwd **res)
{
	int rc = 0;

	do {
		if (!*len || rc == ERANGE) {
			*buf = grow(*buf, len);
			if (!*buf)
				return ENOMEM;
		}
		rc = name ? getpwnam_r(name, pw, *buf, *len, res)
		          : getpwuid_r(id, pw, *buf, *len, res);
	} while (rc == ERANGE);
	return rc;
}

static int lookup_user(const char *user, uid_t *uid, gid_t *gid, bool *have_gid)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	size_t len = 0;
	unsigned long n;
	bool numeric = parse_id(user, &n) == 0;
	int rc;

	/* A user called "123" wins over uid 123, as in chown(1). */
	rc = passwd_lookup(user, 0, &pw, &buf, &len, &res);
	if (!res && numeric && rc != ENOMEM)
		rc = passwd_lookup(NULL, (uid_t)n, &pw, &buf, &len, &res);
	if (res) {
		*uid = res->pw_uid;
		*gid = res->pw_gid;
		*have_gid = true;
	} else if (numeric) {
		*uid = (uid_t)n; /* libxl's per-domain uid range has no passwd entries */
		*have_gid = false;
	}
	free(buf);
	if (rc == ENOMEM)
		return -ENOMEM;
	if (!res && !numeric) {
		log_errx("unknown user '%s'", user);
		return -ENOENT;
	}
	return 0;
}

static int lookup_group(const char *group, gid_t *gid)
{
	struct group gr, *res = NULL;
	char *buf = NULL;
	size_t len = 0;
	unsigned long n;
	int rc;

	do {
		buf = grow(buf, &len);
		if (!buf)
			return -ENOMEM;
		rc = getgrnam_r(group, &gr, buf, len, &res);
	} while (rc == ERANGE);
	if (res)
		*gid = res->gr_gid;
	free(buf);
	if (res)
		return 0;
	if (parse_id(group, &n) == 0) {
		*gid = (gid_t)n;
		return 0;
	}
	log_errx("unknown group '%s'", group);
	return -ENOENT;
}

int ioreqd_privdrop_resolve(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
	bool have_gid = false;
	int rc;

	if (!user) {
		log_errx("a group ('%s') needs a user to drop to", group ? group : "");
		return -EINVAL;
	}
	rc = lookup_user(user, uid, gid, &have_gid);
	if (rc < 0)
		return rc;
	if (group)
		return lookup_group(group, gid);
	if (!have_gid) {
		log_errx("uid %s has no passwd entry: name its group too "
		         "(--group, or -runas UID:GID)",
		         user);
		return -EINVAL;
	}
	return 0;
}

bool ioreqd_privdrop_seccomp_available(void)
{
#ifdef HAVE_SECCOMP
	return true;
#else
	return false;
#endif
}

#ifdef HAVE_SECCOMP
static const char *const allowed[] = {
    /* I/O on descriptors opened during setup, and the Xen ioctls */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "close",
    "ioctl",
    "fcntl",
    "fstat",
    "newfstatat",
    "statx",
    "lseek",
    /* memory: malloc, guest mappings */
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "madvise",
    "brk",
    /* the event loop */
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "eventfd2",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    /* time */
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "time",
    /* identity, threads, signals, exit */
    "getpid",
    "gettid",
    "getppid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "tgkill",
    "restart_syscall",
    "futex",
    "set_robust_list",
    "rseq",
    "sched_yield",
    "exit",
    "exit_group",
    "getrandom",
    /* reaping the helper that removes the pidfile and socket at exit */
    "wait4",
    "waitid",
    /* libxencall's hypercall buffers when /dev/xen/hypercall is absent */
    "mlock",
    "munlock",
    /* virtio-blk's asynchronous I/O: the ring was set up, restricted to
     * readv/writev/fsync/fallocate on its registered disk, before this */
    "io_uring_enter",
    /* device state saved into a file the control client passed (SCM_RIGHTS) */
    "fsync",
    /* QMP clients and syslog */
    "accept",
    "accept4",
    "recvmsg",
    "sendmsg",
    "recvfrom",
    "sendto",
    "shutdown",
    "getsockopt",
    "getsockname",
    "connect",
};

static int install_seccomp(enum ioreqd_seccomp mode, const char *const *extra)
{
	const struct scmp_arg_cmp unix_only = {
	    .arg = 0,
	    .op = SCMP_CMP_EQ,
	    .datum_a = AF_UNIX,
	    .datum_b = 0,
	};
	scmp_filter_ctx ctx;
	int rc = 0;

	ctx = seccomp_init(mode == IOREQD_SECCOMP_KILL ? SCMP_ACT_KILL_PROCESS
	                                               : SCMP_ACT_ERRNO(EPERM));
	if (!ctx) {
		log_errx("cannot start a seccomp filter (seccomp_init failed: out of "
		         "memory?); run without --seccomp to go on unfiltered");
		return -ENOMEM;
	}
	/* libxenstore's watch thread must be filtered too. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; rc == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr != __NR_SCMP_ERROR) /* not every call exists on every arch */
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* glibc's syslog() reopens its AF_UNIX socket if syslogd restarts. */
	if (rc == 0)
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		                            &unix_only);
	for (; rc == 0 && extra && *extra; extra++) {
		int nr = seccomp_syscall_resolve_name(*extra);

		if (nr == __NR_SCMP_ERROR) {
			log_errx("unknown system call '%s' in the seccomp "
			         "allow-list",
			         *extra);
			seccomp_release(ctx);
			return -EINVAL;
		}
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (rc == 0)
		rc = seccomp_load(ctx);
	if (rc < 0)
		log_errx("installing the seccomp filter: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc;
}
#endif

/* Prove the drop: every id is the new one and root cannot come back. */
static int verify(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != uid ||
	    eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		log_errx("ids are not %u:%u after the drop", (unsigned)uid,
		         (unsigned)gid);
		return -EPERM;
	}
	if (setuid(0) == 0 || seteuid(0) == 0 || setegid(0) == 0) {
		log_errx("privilege drop failed: root could be regained "
		         "(setuid(0) succeeded); refusing to continue");
		return -EPERM;
	}
	return 0;
}

/*
 * glibc loads libgcc_s.so.1 (the unwinder) on the first pthread_cancel() or
 * thread exit by unwinding, and aborts the process if it cannot: "libgcc_s.so.1
 * must be installed for pthread_cancel to work".  libxenstore cancels its
 * watch reader thread in xs_close(), which ioreqd calls at every clean stop,
 * long after the chroot: load the unwinder while the real root is still
 * visible.  glibc's own dlopen then finds it in memory by its soname.  The
 * handle is never closed: it must stay for the life of the process.
 */
static int preload_unwinder(void)
{
	if (dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE))
		return 0;
	log_errx(
	    "--chroot: cannot load libgcc_s.so.1 before the chroot (%s): glibc needs it "
	    "to stop libxenstore's thread; install libgcc-s1",
	    dlerror());
	return -ENOENT;
}

int ioreqd_privdrop(const struct ioreqd_privdrop_opts *o)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int rc;

	if (o->seccomp != IOREQD_SECCOMP_OFF && !ioreqd_privdrop_seccomp_available()) {
		log_errx("seccomp was asked for, but ioreqd was built "
		         "without libseccomp (configure --with-seccomp)");
		return -ENOTSUP;
	}
	if (o->user || o->group) {
		rc = ioreqd_privdrop_resolve(o->user, o->group, &uid, &gid);
		if (rc < 0)
			return rc;
		if (uid == 0) {
			log_errx("refusing to 'drop' privileges to uid 0 "
			         "(user '%s')",
			         o->user);
			return -EINVAL;
		}
	}
	if ((o->user || o->chroot_dir) && geteuid() != 0) {
		log_errx("chroot and --user need ioreqd to start as root "
		         "(euid is %u)",
		         (unsigned)geteuid());
		return -EPERM;
	}
	/*
	 * syslog() stamps messages in local time: load the zone now, while
	 * /etc/localtime is visible and before seccomp would refuse the open.
	 */
	tzset();
	/* Under seccomp, the unwinder's open would fail just as inside a chroot. */
	if (o->chroot_dir || o->seccomp != IOREQD_SECCOMP_OFF) {
		rc = preload_unwinder();
		if (rc < 0)
			return rc;
	}
	if (o->chroot_dir) {
		if (chroot(o->chroot_dir) < 0 || chdir("/") < 0) {
			rc = -errno;
			log_err("cannot change root to %s (--chroot)", o->chroot_dir);
			return rc;
		}
		log_debug("ioreqd_privdrop: chrooted to %s", o->chroot_dir);
	}
	if (o->user) {
		if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0) {
			rc = -errno;
			log_err("cannot switch to user %u, group %u (--user)",
			        (unsigned)uid, (unsigned)gid);
			return rc;
		}
		rc = verify(uid, gid);
		if (rc < 0)
			return rc;
		log_debug("ioreqd_privdrop: running as %u:%u", (unsigned)uid,
		          (unsigned)gid);
	}
#ifdef HAVE_SECCOMP
	if (o->seccomp != IOREQD_SECCOMP_OFF)
		return install_seccomp(o->seccomp, o->extra_syscalls);
#endif
	return 0;
}
