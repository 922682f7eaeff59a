/* SPDX-License-Identifier: MIT */
/*
 * Tests for lib/xlargs.c: the device-model argv libxl 4.17 builds.  The
 * vectors follow the shape of libxl__build_device_model_args_new/_old for
 * PVH, HVM and PV guests (options in libxl's order, device_model_args just
 * before -M/-machine), written out by hand for these tests, plus one argv
 * captured from a real libxl 4.17.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xlargs.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static bool has_ignored(const struct ioreqd_xlargs *xa, const char *s)
{
	for (unsigned i = 0; i < xa->nr_ignored; i++)
		if (!strcmp(xa->ignored[i], s))
			return true;
	return false;
}

/* qemu-xen, HVM, no dm_restrict: QMP on a path, guest runs at once. */
static char *const hvm_qemu_xen[] = {
    "/usr/sbin/ioreqd",
    "-xen-domid",
    "7",
    "-no-shutdown",
    "-chardev",
    "socket,id=libxl-cmd,path=/var/run/xen/qmp-libxl-7,server=on,wait=off",
    "-mon",
    "chardev=libxl-cmd,mode=control",
    "-chardev",
    "socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-7,server=on,wait=off",
    "-mon",
    "chardev=libxenstat-cmd,mode=control",
    "-nodefaults",
    "-no-user-config",
    "-name",
    "hvm-guest",
    "-vnc",
    "127.0.0.1:0,to=99",
    "-display",
    "none",
    "-serial",
    "pty",
    "-device",
    "cirrus-vga,vgamem_mb=8",
    "-boot",
    "order=cd",
    "-usb",
    "-usbdevice",
    "tablet",
    "-smp",
    "2,maxcpus=4",
    "-net",
    "none",
    "-c",
    "/etc/ioreqd/hvm.conf",
    "-machine",
    "xenfv,suppress-vmdesc=on",
    "-m",
    "1016",
    "-drive",
    "file=/dev/vg/hvm,if=ide,index=0,media=disk,format=raw,cache=writeback",
};

START_TEST(test_xlargs_qemu_xen_hvm_gives_domid_name_monitors_and_config)
{
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert(ioreqd_xlargs_detect(ARGC(hvm_qemu_xen), hvm_qemu_xen));
	ck_assert_int_eq(
	    ioreqd_xlargs_parse(ARGC(hvm_qemu_xen), hvm_qemu_xen, &xa, err, sizeof(err)),
	    0);
	ck_assert_int_eq(xa.mode, IOREQD_XL_MODE_QEMU_XEN);
	ck_assert_uint_eq(xa.domid, 7);
	ck_assert_str_eq(xa.name, "hvm-guest");
	ck_assert_int_eq(xa.machine, IOREQD_XL_MACHINE_XENFV);
	ck_assert_str_eq(xa.machine_arg, "xenfv,suppress-vmdesc=on");
	ck_assert_uint_eq(xa.nr_monitors, 2);
	ck_assert_str_eq(xa.monitors[0].id, "libxl-cmd");
	ck_assert_str_eq(xa.monitors[0].path, "/var/run/xen/qmp-libxl-7");
	ck_assert_int_eq(xa.monitors[0].fd, -1);
	ck_assert_str_eq(xa.monitors[1].path, "/var/run/xen/qmp-libxenstat-7");
	ck_assert(!xa.start_paused);
	ck_assert_uint_eq(xa.smp_cpus, 2);
	ck_assert_uint_eq(xa.smp_maxcpus, 4);
	ck_assert_uint_eq(xa.ram_mb, 1016);
	ck_assert_str_eq(xa.config, "/etc/ioreqd/hvm.conf");
	ck_assert(has_ignored(&xa, "-vnc 127.0.0.1:0,to=99"));
	ck_assert(has_ignored(&xa, "-no-shutdown"));
	ck_assert(has_ignored(&xa, "-usb"));
	ck_assert(has_ignored(&xa, "-serial pty"));
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

/*
 * The argv Debian's libxl 4.17 really passed for tests/xen/dom0/xltest.cfg
 * (copied from `make check-xen`'s xl case), where ioreqd served the guest.
 */
static char *const hvm_libxl_4_17_captured[] = {
    "/usr/sbin/ioreqd",
    "-xen-domid",
    "1",
    "-no-shutdown",
    "-chardev",
    "socket,id=libxl-cmd,path=/var/run/xen/qmp-libxl-1,server=on,wait=off",
    "-mon",
    "chardev=libxl-cmd,mode=control",
    "-chardev",
    "socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-1,server=on,wait=off",
    "-mon",
    "chardev=libxenstat-cmd,mode=control",
    "-nodefaults",
    "-no-user-config",
    "-name",
    "xltest",
    "-vnc",
    "none",
    "-display",
    "none",
    "-serial",
    "none",
    "-boot",
    "order=cda",
    "-net",
    "none",
    "-c",
    "/etc/ioreqd/xentest.conf",
    "-v",
    "-machine",
    "xenfv,suppress-vmdesc=on",
    "-m",
    "32",
};

START_TEST(test_xlargs_argv_captured_from_libxl_4_17_parses)
{
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert(
	    ioreqd_xlargs_detect(ARGC(hvm_libxl_4_17_captured), hvm_libxl_4_17_captured));
	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(hvm_libxl_4_17_captured),
	                                     hvm_libxl_4_17_captured, &xa, err,
	                                     sizeof(err)),
	                 0);
	ck_assert_int_eq(xa.mode, IOREQD_XL_MODE_QEMU_XEN);
	ck_assert_uint_eq(xa.domid, 1);
	ck_assert_str_eq(xa.name, "xltest");
	ck_assert_uint_eq(xa.nr_monitors, 2);
	ck_assert_str_eq(xa.monitors[0].path, "/var/run/xen/qmp-libxl-1");
	ck_assert_str_eq(xa.monitors[1].path, "/var/run/xen/qmp-libxenstat-1");
	ck_assert_str_eq(xa.config, "/etc/ioreqd/xentest.conf");
	ck_assert_uint_eq(xa.verbose, 1);
	ck_assert_int_eq(xa.machine, IOREQD_XL_MACHINE_XENFV);
	ck_assert_uint_eq(xa.ram_mb, 32);
	/* No -S: libxl waits for xenstore's state = running, not for QMP cont. */
	ck_assert(!xa.start_paused);
	ck_assert(!xa.restrict_domid);
	ck_assert(has_ignored(&xa, "-serial none"));
	ck_assert(has_ignored(&xa, "-boot order=cda"));
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

/* qemu-xen for a PVH (or PV) guest: "-xen-attach ... -machine xenpv". */
static char *const pvh_qemu_xen[] = {
    "/usr/sbin/ioreqd",
    "-xen-domid",
    "3",
    "-no-shutdown",
    "-chardev",
    "socket,id=libxl-cmd,path=/var/run/xen/qmp-libxl-3,server=on,wait=off",
    "-mon",
    "chardev=libxl-cmd,mode=control",
    "-chardev",
    "socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-3,server=on,wait=off",
    "-mon",
    "chardev=libxenstat-cmd,mode=control",
    "-nodefaults",
    "-no-user-config",
    "-xen-attach",
    "-name",
    "pvh-guest",
    "-vnc",
    "none",
    "-display",
    "none",
    "-nographic",
    "--config=/etc/ioreqd/pvh.conf",
    "--hook-dir",
    "/opt/hooks",
    "-v",
    "-f",
    "-v",
    "-machine",
    "xenpv",
    "-m",
    "512",
};

START_TEST(test_xlargs_qemu_xen_pvh_is_xenpv_with_inline_own_options)
{
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(
	    ioreqd_xlargs_parse(ARGC(pvh_qemu_xen), pvh_qemu_xen, &xa, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(xa.domid, 3);
	ck_assert_int_eq(xa.machine, IOREQD_XL_MACHINE_XENPV);
	ck_assert_str_eq(xa.name, "pvh-guest");
	ck_assert_str_eq(xa.config, "/etc/ioreqd/pvh.conf");
	ck_assert_str_eq(xa.hook_dir, "/opt/hooks");
	ck_assert_uint_eq(xa.verbose, 2);
	ck_assert(xa.foreground);
	ck_assert_uint_eq(xa.ram_mb, 512);
	ck_assert_uint_eq(xa.smp_cpus, 0);
	ck_assert(has_ignored(&xa, "-xen-attach"));
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

/* dm_restrict=1: pre-opened QMP fd, -S, chroot and a uid from the range. */
static char *const hvm_restricted[] = {
    "/usr/sbin/ioreqd",
    "-xen-domid",
    "9",
    "-no-shutdown",
    "-chardev",
    "socket,id=libxl-cmd,fd=5,server=on,wait=off",
    "-S",
    "-mon",
    "chardev=libxl-cmd,mode=control",
    "-chardev",
    "socket,id=libxenstat-cmd,path=/var/run/xen/qmp-libxenstat-9,server=on,wait=off",
    "-mon",
    "chardev=libxenstat-cmd,mode=control",
    "-nodefaults",
    "-no-user-config",
    "-name",
    "locked",
    "-vnc",
    "none",
    "-display",
    "none",
    "-nographic",
    "-net",
    "none",
    "-xen-domid-restrict",
    "-chroot",
    "/var/run/xen/qemu-root-9",
    "-machine",
    "xenfv,suppress-vmdesc=on",
    "-m",
    "256",
    "-runas",
    "131081:131072",
};

START_TEST(test_xlargs_dm_restrict_gives_fd_monitor_paused_chroot_and_runas)
{
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(hvm_restricted), hvm_restricted, &xa,
	                                     err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(xa.domid, 9);
	ck_assert_uint_eq(xa.nr_monitors, 2);
	ck_assert_int_eq(xa.monitors[0].fd, 5);
	ck_assert_ptr_null(xa.monitors[0].path);
	ck_assert(xa.start_paused);
	ck_assert(xa.restrict_domid);
	ck_assert_str_eq(xa.chroot_dir, "/var/run/xen/qemu-root-9");
	ck_assert_str_eq(xa.runas_user, "131081");
	ck_assert_str_eq(xa.runas_group, "131072");
	ck_assert_ptr_null(xa.config);
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

/* qemu-xen-traditional, HVM: "-d DOMID -domain-name NAME ... -M xenfv". */
static char *const hvm_trad[] = {
    "/usr/sbin/ioreqd",
    "-d",
    "12",
    "-domain-name",
    "trad-hvm",
    "-vnc",
    "127.0.0.1:0",
    "-vncunused",
    "-k",
    "en-us",
    "-serial",
    "pty",
    "-videoram",
    "8",
    "-boot",
    "cda",
    "-usb",
    "-usbdevice",
    "tablet",
    "-acpi",
    "-vcpus",
    "2",
    "-vcpu_avail",
    "0x3",
    "-net",
    "none",
    "-c",
    "/etc/ioreqd/trad.conf",
    "-M",
    "xenfv",
};

START_TEST(test_xlargs_traditional_hvm_takes_d_as_domid)
{
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert(ioreqd_xlargs_detect(ARGC(hvm_trad), hvm_trad));
	ck_assert_int_eq(
	    ioreqd_xlargs_parse(ARGC(hvm_trad), hvm_trad, &xa, err, sizeof(err)), 0);
	ck_assert_int_eq(xa.mode, IOREQD_XL_MODE_TRADITIONAL);
	ck_assert_uint_eq(xa.domid, 12);
	ck_assert_str_eq(xa.name, "trad-hvm");
	ck_assert_int_eq(xa.machine, IOREQD_XL_MACHINE_XENFV);
	ck_assert_uint_eq(xa.nr_monitors, 0);
	ck_assert_uint_eq(xa.smp_cpus, 2);
	ck_assert_str_eq(xa.config, "/etc/ioreqd/trad.conf");
	ck_assert(has_ignored(&xa, "-videoram 8"));
	ck_assert(has_ignored(&xa, "-vcpu_avail 0x3"));
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_traditional_pv_and_restore)
{
	char *const pv[] = {"ioreqd",  "-d",         "4",  "-domain-name",
	                    "trad-pv", "-nographic", "-M", "xenpv"};
	char *const restore[] = {
	    "ioreqd", "-d",         "13",      "-domain-name",
	    "back",   "-nographic", "-loadvm", "/var/lib/xen/qemu-resume.13",
	    "-M",     "xenfv"};
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(pv), pv, &xa, err, sizeof(err)), 0);
	ck_assert_uint_eq(xa.domid, 4);
	ck_assert_int_eq(xa.machine, IOREQD_XL_MACHINE_XENPV);
	ck_assert_ptr_null(xa.loadvm);
	ioreqd_xlargs_dispose(&xa);

	ck_assert_int_eq(
	    ioreqd_xlargs_parse(ARGC(restore), restore, &xa, err, sizeof(err)), 0);
	ck_assert_str_eq(xa.loadvm, "/var/lib/xen/qemu-resume.13");
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_qemu_xen_d_is_a_debug_mask_not_a_domid)
{
	char *const argv[] = {"ioreqd",       "-xen-domid",  "5",     "-d",
	                      "guest_errors", "-incoming",   "fd:17", "-S",
	                      "-machine",     "pc,accel=xen"};
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(argv), argv, &xa, err, sizeof(err)), 0);
	ck_assert_uint_eq(xa.domid, 5);
	ck_assert(has_ignored(&xa, "-d guest_errors"));
	ck_assert_str_eq(xa.incoming, "fd:17");
	ck_assert_int_eq(xa.machine, IOREQD_XL_MACHINE_PC);
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_missing_domid_fails_with_reason)
{
	char *const argv[] = {"ioreqd", "-domain-name", "x", "-M", "xenfv"};
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(argv), argv, &xa, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no domain id"));
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_malformed_domids_fail)
{
	const char *bad[] = {
	    "abc", "", "-1", "5x", "0x5", "32752", "99999999999999999999"};
	struct ioreqd_xlargs xa;
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *const argv[] = {"ioreqd", "-xen-domid", (char *)bad[i], "-machine",
		                      "xenfv"};

		ck_assert_int_eq(
		    ioreqd_xlargs_parse(ARGC(argv), argv, &xa, err, sizeof(err)),
		    -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "domain id"));
		ioreqd_xlargs_dispose(&xa);
	}
	/* The highest guest id still parses. */
	char *const ok[] = {"ioreqd", "-xen-domid", "32751", "-machine", "xenfv"};
	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(ok), ok, &xa, err, sizeof(err)), 0);
	ck_assert_uint_eq(xa.domid, 32751);
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_domid_at_end_without_value_fails)
{
	char *const argv[] = {"ioreqd", "-machine", "xenfv", "-xen-domid"};
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(argv), argv, &xa, err, sizeof(err)),
	                 -EINVAL);
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_conflicting_domids_fail)
{
	char *const argv[] = {"ioreqd", "-xen-domid", "5",    "--domain",
	                      "6",      "-machine",   "xenfv"};
	char *const same[] = {"ioreqd",     "-xen-domid", "5",
	                      "--domain=5", "-machine",   "xenfv"};
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(argv), argv, &xa, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "contradicts"));
	ioreqd_xlargs_dispose(&xa);
	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(same), same, &xa, err, sizeof(err)), 0);
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_unknown_options_are_ignored_not_fatal)
{
	char *const argv[] = {"ioreqd",       "-xen-domid",           "8",
	                      "-future-flag", "-future-opt",          "value",
	                      "stray",        "--no-such-ioreqd-opt", "-machine",
	                      "xenfv"};
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(argv), argv, &xa, err, sizeof(err)), 0);
	ck_assert(has_ignored(&xa, "-future-flag"));
	ck_assert(has_ignored(&xa, "-future-opt value"));
	ck_assert(has_ignored(&xa, "stray"));
	ck_assert(has_ignored(&xa, "--no-such-ioreqd-opt"));
	ck_assert_int_eq(xa.machine, IOREQD_XL_MACHINE_XENFV);
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_known_option_consumes_dash_value)
{
	char *const argv[] = {"ioreqd", "-xen-domid", "8",    "-name",
	                      "-S",     "-machine",   "xenfv"};
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(argv), argv, &xa, err, sizeof(err)), 0);
	ck_assert_str_eq(xa.name, "-S");
	ck_assert(!xa.start_paused);
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_own_option_without_value_fails)
{
	char *const argv[] = {"ioreqd", "-xen-domid", "8", "-machine", "xenfv", "-c"};
	char *const flagval[] = {"ioreqd", "-xen-domid", "8", "--restrict=yes"};
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(argv), argv, &xa, err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "-c needs a value"));
	ioreqd_xlargs_dispose(&xa);
	ck_assert_int_eq(
	    ioreqd_xlargs_parse(ARGC(flagval), flagval, &xa, err, sizeof(err)), -EINVAL);
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_seccomp_from_device_model_args)
{
	char *const plain[] = {"ioreqd",    "-xen-domid", "8",
	                       "--seccomp", "-machine",   "xenfv"};
	char *const kill[] = {"ioreqd",         "-xen-domid", "8",
	                      "--seccomp=kill", "-machine",   "xenfv"};
	char *const none[] = {"ioreqd", "-xen-domid", "8", "-machine", "xenfv"};
	struct ioreqd_xlargs xa;
	char err[128];

	/* The value is optional, so "--seccomp -machine" must not eat -machine. */
	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(plain), plain, &xa, err, sizeof(err)),
	                 0);
	ck_assert_str_eq(xa.seccomp, "errno");
	ck_assert_int_eq(xa.machine, IOREQD_XL_MACHINE_XENFV);
	ioreqd_xlargs_dispose(&xa);
	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(kill), kill, &xa, err, sizeof(err)), 0);
	ck_assert_str_eq(xa.seccomp, "kill");
	ioreqd_xlargs_dispose(&xa);
	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(none), none, &xa, err, sizeof(err)), 0);
	ck_assert_ptr_null(xa.seccomp);
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_chardev_escaped_comma_and_human_monitor)
{
	char *const argv[] = {"ioreqd",
	                      "-xen-domid",
	                      "2",
	                      "-chardev",
	                      "socket,id=q,path=/tmp/a,,b,server=on,wait=off",
	                      "-mon",
	                      "chardev=q,mode=control",
	                      "-chardev",
	                      "socket,id=h,path=/tmp/hmp,server=on,wait=off",
	                      "-mon",
	                      "chardev=h,mode=readline",
	                      "-chardev",
	                      "socket,id=c,path=/tmp/client",
	                      "-mon",
	                      "chardev=c,mode=control",
	                      "-qmp",
	                      "unix:/tmp/extra.sock,server=on,wait=off",
	                      "-machine",
	                      "xenfv"};
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(ioreqd_xlargs_parse(ARGC(argv), argv, &xa, err, sizeof(err)), 0);
	ck_assert_uint_eq(xa.nr_monitors, 2);
	ck_assert_str_eq(xa.monitors[0].path, "/tmp/extra.sock");
	ck_assert_str_eq(xa.monitors[1].path, "/tmp/a,b");
	ck_assert(has_ignored(&xa, "-mon chardev=h,mode=readline"));
	ck_assert(has_ignored(&xa, "-mon c")); /* a client socket: we only listen */
	ioreqd_xlargs_dispose(&xa);
}
END_TEST

START_TEST(test_xlargs_detect_tells_libxl_from_ioreqd)
{
	char *const own[] = {"ioreqd", "-d", "5", "-c", "x.conf"};
	char *const trad[] = {"ioreqd", "-d", "5", "-M", "xenpv"};
	char *const named[] = {"ioreqd", "-domain-name", "x"};
	char *const newer[] = {"ioreqd", "-xen-domid", "1"};
	char *const none[] = {"ioreqd"};

	ck_assert(!ioreqd_xlargs_detect(ARGC(own), own));
	ck_assert(!ioreqd_xlargs_detect(ARGC(none), none));
	ck_assert(!ioreqd_xlargs_detect(0, NULL));
	ck_assert(ioreqd_xlargs_detect(ARGC(trad), trad));
	ck_assert(ioreqd_xlargs_detect(ARGC(named), named));
	ck_assert(ioreqd_xlargs_detect(ARGC(newer), newer));
	ck_assert_str_eq(ioreqd_xlargs_mode_name(IOREQD_XL_MODE_QEMU_XEN), "qemu-xen");
}
END_TEST

START_TEST(test_xlargs_dispose_twice_is_safe)
{
	struct ioreqd_xlargs xa;
	char err[128];

	ck_assert_int_eq(
	    ioreqd_xlargs_parse(ARGC(hvm_qemu_xen), hvm_qemu_xen, &xa, err, sizeof(err)),
	    0);
	ioreqd_xlargs_dispose(&xa);
	ioreqd_xlargs_dispose(&xa);
	ck_assert_ptr_null(xa.monitors);
	ck_assert_uint_eq(xa.nr_ignored, 0);
}
END_TEST

static Suite *xlargs_suite(void)
{
	Suite *s = suite_create("xlargs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_xlargs_qemu_xen_hvm_gives_domid_name_monitors_and_config);
	tcase_add_test(tc, test_xlargs_argv_captured_from_libxl_4_17_parses);
	tcase_add_test(tc, test_xlargs_qemu_xen_pvh_is_xenpv_with_inline_own_options);
	tcase_add_test(tc,
	               test_xlargs_dm_restrict_gives_fd_monitor_paused_chroot_and_runas);
	tcase_add_test(tc, test_xlargs_traditional_hvm_takes_d_as_domid);
	tcase_add_test(tc, test_xlargs_traditional_pv_and_restore);
	tcase_add_test(tc, test_xlargs_qemu_xen_d_is_a_debug_mask_not_a_domid);
	tcase_add_test(tc, test_xlargs_missing_domid_fails_with_reason);
	tcase_add_test(tc, test_xlargs_malformed_domids_fail);
	tcase_add_test(tc, test_xlargs_domid_at_end_without_value_fails);
	tcase_add_test(tc, test_xlargs_conflicting_domids_fail);
	tcase_add_test(tc, test_xlargs_unknown_options_are_ignored_not_fatal);
	tcase_add_test(tc, test_xlargs_known_option_consumes_dash_value);
	tcase_add_test(tc, test_xlargs_own_option_without_value_fails);
	tcase_add_test(tc, test_xlargs_seccomp_from_device_model_args);
	tcase_add_test(tc, test_xlargs_chardev_escaped_comma_and_human_monitor);
	tcase_add_test(tc, test_xlargs_detect_tells_libxl_from_ioreqd);
	tcase_add_test(tc, test_xlargs_dispose_twice_is_safe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(xlargs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
