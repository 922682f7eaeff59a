/* SPDX-License-Identifier: MIT */
/*
 * Tests for daemon/privdrop.c.  Every real drop happens in a forked child
 * (it cannot be undone) which reports through its exit status: 0 for
 * success, or the number of the check that failed.  The tests that need
 * root say so on stderr and pass without checking when run unprivileged.
 */
#include "build-config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

static char logged[1024];

static void capture(int level, const char *msg, void *arg)
{
	snprintf(logged, sizeof(logged), "%s", msg);
}

static bool need_root(const char *test)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, "%s: skipped: needs root\n", test);
	return false;
}

/* Run @p fn in a child and @return its exit status (or 128 + signal). */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(arg));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static struct passwd nobody;

static void find_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");

	ck_assert_msg(pw != NULL, "the test needs a 'nobody' user");
	nobody = *pw;
}

START_TEST(test_privdrop_resolves_names_and_numeric_ids)
{
	uid_t uid;
	gid_t gid;

	find_nobody();
	ck_assert_int_eq(ioreqd_privdrop_resolve("nobody", NULL, &uid, &gid), 0);
	ck_assert_uint_eq(uid, nobody.pw_uid);
	ck_assert_uint_eq(gid, nobody.pw_gid);
	ck_assert_int_eq(ioreqd_privdrop_resolve("nobody", "0", &uid, &gid), 0);
	ck_assert_uint_eq(gid, 0);
	/* libxl's dm_restrict hands out "-runas UID:GID" with no passwd entry. */
	ck_assert_int_eq(ioreqd_privdrop_resolve("131081", "131072", &uid, &gid), 0);
	ck_assert_uint_eq(uid, 131081);
	ck_assert_uint_eq(gid, 131072);
}
END_TEST

START_TEST(test_privdrop_bad_names_give_clear_errors)
{
	uid_t uid;
	gid_t gid;

	ioreqd_log_set_sink(capture, NULL);
	ck_assert_int_eq(ioreqd_privdrop_resolve("no-such-user-xyzzy", NULL, &uid, &gid),
	                 -ENOENT);
	ck_assert_ptr_nonnull(strstr(logged, "unknown user 'no-such-user-xyzzy'"));
	ck_assert_int_eq(
	    ioreqd_privdrop_resolve("nobody", "no-such-group-xyzzy", &uid, &gid),
	    -ENOENT);
	ck_assert_ptr_nonnull(strstr(logged, "unknown group 'no-such-group-xyzzy'"));
	ck_assert_int_eq(ioreqd_privdrop_resolve("131081", NULL, &uid, &gid), -EINVAL);
	ck_assert_ptr_nonnull(strstr(logged, "has no passwd entry"));
	ck_assert_int_eq(ioreqd_privdrop_resolve(NULL, "nogroup", &uid, &gid), -EINVAL);
	ck_assert_ptr_nonnull(strstr(logged, "needs a user"));
	/* A bad name fails before anything changes: no fork needed. */
	ck_assert_int_eq(ioreqd_privdrop(&(struct ioreqd_privdrop_opts){
	                     .user = "no-such-user-xyzzy", .chroot_dir = "/nonexistent"}),
	                 -ENOENT);
	ioreqd_log_set_sink(NULL, NULL);
}
END_TEST

START_TEST(test_privdrop_refuses_uid_zero_and_empty_is_a_no_op)
{
	struct ioreqd_privdrop_opts none = {0};

	ioreqd_log_set_sink(capture, NULL);
	ck_assert_int_eq(ioreqd_privdrop(&(struct ioreqd_privdrop_opts){.user = "root"}),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(logged, "refusing"));
	ck_assert_int_eq(ioreqd_privdrop(&none), 0);
	ioreqd_log_set_sink(NULL, NULL);
}
END_TEST

static int drop_to_nobody(void *arg)
{
	struct ioreqd_privdrop_opts o = {.user = "nobody"};

	if (ioreqd_privdrop(&o) != 0)
		return 1;
	if (getuid() != nobody.pw_uid || geteuid() != nobody.pw_uid)
		return 2;
	if (getgid() != nobody.pw_gid || getegid() != nobody.pw_gid)
		return 3;
	if (getgroups(0, NULL) != 1)
		return 4;
	if (setuid(0) == 0 || errno != EPERM)
		return 5;
	if (setgid(0) == 0)
		return 6;
	return 0;
}

START_TEST(test_privdrop_to_nobody_makes_setuid_zero_fail)
{
	if (!need_root(__func__))
		return;
	find_nobody();
	ck_assert_int_eq(in_child(drop_to_nobody, NULL), 0);
}
END_TEST

struct jail {
	char dir[64];
	struct stat st;
};

static int chroot_and_look(void *arg)
{
	struct jail *j = arg;
	struct ioreqd_privdrop_opts o = {.chroot_dir = j->dir, .user = "nobody"};
	struct stat root;
	char cwd[64];

	if (ioreqd_privdrop(&o) != 0)
		return 1;
	if (stat("/", &root) < 0 || root.st_ino != j->st.st_ino ||
	    root.st_dev != j->st.st_dev)
		return 2;
	if (access("/marker", F_OK) < 0)
		return 3;
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/"))
		return 4;
	if (chroot("/") == 0) /* no longer root: cannot chroot again */
		return 5;
	return 0;
}

START_TEST(test_privdrop_chroot_makes_the_directory_the_root)
{
	struct jail j;
	char marker[96];
	int fd;

	if (!need_root(__func__))
		return;
	find_nobody();
	strcpy(j.dir, "/tmp/check_privdrop.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(j.dir));
	ck_assert_int_eq(chmod(j.dir, 0755), 0);
	ck_assert_int_eq(stat(j.dir, &j.st), 0);
	snprintf(marker, sizeof(marker), "%s/marker", j.dir);
	fd = open(marker, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(in_child(chroot_and_look, &j), 0);
	unlink(marker);
	rmdir(j.dir);
}
END_TEST

static void *wait_forever(void *arg)
{
	for (;;)
		pause(); /* a cancellation point */
	return NULL;
}

/* What libxenstore's xs_close() does with its reader thread, at every stop. */
static int chroot_then_cancel_a_thread(void *arg)
{
	struct ioreqd_privdrop_opts o = {.chroot_dir = arg};
	pthread_t t;
	void *res;

	if (ioreqd_privdrop(&o) != 0)
		return 1;
	if (pthread_create(&t, NULL, wait_forever, NULL) != 0)
		return 2;
	if (pthread_cancel(t) != 0 || pthread_join(t, &res) != 0)
		return 3;
	return res == PTHREAD_CANCELED ? 0 : 4;
}

/*
 * Issue 12 item 11: --chroot without --restrict ended every clean stop in
 * SIGABRT, because glibc could not load libgcc_s.so.1 for pthread_cancel
 * inside an empty chroot.
 */
START_TEST(test_privdrop_a_thread_can_be_cancelled_inside_an_empty_chroot)
{
	char dir[] = "/tmp/check_privdrop.XXXXXX";

	if (!need_root(__func__))
		return;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(in_child(chroot_then_cancel_a_thread, dir), 0);
	rmdir(dir);
}
END_TEST

static int drop_when_not_root(void *arg)
{
	if (setresuid(nobody.pw_uid, nobody.pw_uid, nobody.pw_uid) < 0)
		return 1;
	return ioreqd_privdrop(&(struct ioreqd_privdrop_opts){.user = "nobody"}) == -EPERM
	           ? 0
	           : 2;
}

START_TEST(test_privdrop_needs_root_to_start_with)
{
	find_nobody();
	if (geteuid() != 0) {
		ck_assert_int_eq(
		    ioreqd_privdrop(&(struct ioreqd_privdrop_opts){.user = "nobody"}),
		    -EPERM);
		return;
	}
	ck_assert_int_eq(in_child(drop_when_not_root, NULL), 0);
}
END_TEST

static int seccomp_then_open(void *arg)
{
	struct ioreqd_privdrop_opts o = {.user = geteuid() == 0 ? "nobody" : NULL,
	                                 .seccomp = IOREQD_SECCOMP_ERRNO};
	int fd;

	if (ioreqd_privdrop(&o) != 0)
		return 1;
	fd = open("/", O_RDONLY); /* open/openat are not on the allow-list */
	if (fd >= 0 || errno != EPERM)
		return 2;
	if (getpid() <= 0 || write(-1, "", 0) != -1 || errno != EBADF)
		return 3; /* allowed calls still reach the kernel */
	return 0;
}

static int seccomp_unknown_extra(void *arg)
{
	static const char *const extra[] = {"no_such_syscall_xyzzy", NULL};
	struct ioreqd_privdrop_opts o = {.seccomp = IOREQD_SECCOMP_KILL,
	                                 .extra_syscalls = extra};

	return ioreqd_privdrop(&o) == -EINVAL ? 0 : 1;
}

START_TEST(test_privdrop_seccomp_denies_calls_off_the_list)
{
	struct ioreqd_privdrop_opts o = {.seccomp = IOREQD_SECCOMP_ERRNO};

	if (!ioreqd_privdrop_seccomp_available()) {
		ck_assert_int_eq(ioreqd_privdrop(&o), -ENOTSUP);
		return;
	}
	find_nobody();
	ck_assert_int_eq(in_child(seccomp_then_open, NULL), 0);
	ck_assert_int_eq(in_child(seccomp_unknown_extra, NULL), 0);
}
END_TEST

static Suite *privdrop_suite(void)
{
	Suite *s = suite_create("privdrop");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_privdrop_resolves_names_and_numeric_ids);
	tcase_add_test(tc, test_privdrop_bad_names_give_clear_errors);
	tcase_add_test(tc, test_privdrop_refuses_uid_zero_and_empty_is_a_no_op);
	tcase_add_test(tc, test_privdrop_to_nobody_makes_setuid_zero_fail);
	tcase_add_test(tc, test_privdrop_chroot_makes_the_directory_the_root);
	tcase_add_test(tc,
	               test_privdrop_a_thread_can_be_cancelled_inside_an_empty_chroot);
	tcase_add_test(tc, test_privdrop_needs_root_to_start_with);
	tcase_add_test(tc, test_privdrop_seccomp_denies_calls_off_the_list);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(privdrop_suite());
	int failed;

	ioreqd_log_init("check_privdrop", IOREQD_LOG_TO_STDERR, LOG_LEVEL_WARN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
