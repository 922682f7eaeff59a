/* SPDX-License-Identifier: MIT */
/*
 * Check suite for the private runtime directory (lib/util/rundir.c): which
 * directory is chosen for root and for other users, that it is created
 * private, and that one another user could write, or a symbolic link, or a
 * file, is refused with a message that says so.
 */
#include "rundir.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[64], path[128], err[512];

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/check_rundir.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(path, sizeof(path), "%s/ioreqd", base);
	err[0] = '\0';
}

static void teardown(void)
{
	unlink(path);
	rmdir(path);
	rmdir(base);
}

START_TEST(test_rundir_is_run_for_root_and_xdg_for_users)
{
	char buf[128];

	ck_assert_int_eq(
	    ioreqd_rundir_choose(buf, sizeof(buf), 0, "/run/user/0", err, sizeof(err)),
	    0);
	ck_assert_str_eq(buf, "/run/ioreqd");
	ck_assert_int_eq(ioreqd_rundir_choose(buf, sizeof(buf), 1000, "/run/user/1000",
	                                      err, sizeof(err)),
	                 0);
	ck_assert_str_eq(buf, "/run/user/1000/ioreqd");
}
END_TEST

/* Never a fallback to /tmp: a user without XDG_RUNTIME_DIR names the socket. */
START_TEST(test_rundir_without_xdg_is_an_error_not_tmp)
{
	char buf[128];

	ck_assert_int_eq(
	    ioreqd_rundir_choose(buf, sizeof(buf), 1000, NULL, err, sizeof(err)),
	    -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "XDG_RUNTIME_DIR is not set"));
	ck_assert_int_eq(
	    ioreqd_rundir_choose(buf, sizeof(buf), 1000, "relative", err, sizeof(err)),
	    -ENOENT);
}
END_TEST

START_TEST(test_rundir_is_created_private)
{
	struct stat st;

	ck_assert_int_eq(ioreqd_rundir_make(path, err, sizeof(err)), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_uint_eq(st.st_uid, geteuid());
	/* Existing and private: fine (also 0755, as systemd makes it). */
	ck_assert_int_eq(ioreqd_rundir_make(path, err, sizeof(err)), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	ck_assert_int_eq(ioreqd_rundir_make(path, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_rundir_writable_by_others_is_refused)
{
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(chmod(path, 01777), 0);
	ck_assert_int_eq(ioreqd_rundir_make(path, err, sizeof(err)), -EPERM);
	ck_assert_msg(strstr(err, "writable by nobody else") && strstr(err, path), "%s",
	              err);
	ck_assert_int_eq(chmod(path, 0770), 0);
	ck_assert_int_eq(ioreqd_rundir_make(path, err, sizeof(err)), -EPERM);
}
END_TEST

START_TEST(test_rundir_owned_by_another_user_is_refused)
{
	if (geteuid() != 0)
		return; /* only root can make a directory for someone else */
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(chown(path, 12345, 12345), 0);
	ck_assert_int_eq(ioreqd_rundir_make(path, err, sizeof(err)), -EPERM);
	ck_assert_msg(strstr(err, "owned by uid 12345"), "%s", err);
}
END_TEST

START_TEST(test_rundir_symlink_or_file_is_refused)
{
	ck_assert_int_eq(symlink(base, path), 0);
	ck_assert_int_eq(ioreqd_rundir_make(path, err, sizeof(err)), -ENOTDIR);
	ck_assert_ptr_nonnull(strstr(err, "is not a directory"));
	ck_assert_int_eq(unlink(path), 0);
	fclose(fopen(path, "w"));
	ck_assert_int_eq(ioreqd_rundir_make(path, err, sizeof(err)), -ENOTDIR);
}
END_TEST

START_TEST(test_rundir_sim_socket_default_is_in_the_private_dir)
{
	char buf[108];
	int rc;

	if (geteuid() == 0)
		return; /* root's is /run/ioreqd: not ours to create in a test */
	setenv("XDG_RUNTIME_DIR", base, 1);
	rc = ioreqd_rundir_sim_socket(buf, sizeof(buf), 7, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_str_eq(buf, strcat(strcpy((char[128]){0}, path), "/sim-7.sock"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rundir");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rundir_is_run_for_root_and_xdg_for_users);
	tcase_add_test(tc, test_rundir_without_xdg_is_an_error_not_tmp);
	tcase_add_test(tc, test_rundir_is_created_private);
	tcase_add_test(tc, test_rundir_writable_by_others_is_refused);
	tcase_add_test(tc, test_rundir_owned_by_another_user_is_refused);
	tcase_add_test(tc, test_rundir_symlink_or_file_is_refused);
	tcase_add_test(tc, test_rundir_sim_socket_default_is_in_the_private_dir);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
