/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/config.c: the configuration file parser, on text.  Every
 * error class is checked with its exact "file:line: message" text, because
 * that message is the whole user interface of a bad configuration file.
 * Reading files, the number, boolean and range parsers, and the mutation
 * loop are in check_config_load.c.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[IOREQD_CFG_ERRLEN];

static int load(const char *text, struct ioreqd_cfg **cfg)
{
	return ioreqd_cfg_load_string(text, strlen(text), "t.conf", cfg, err,
	                              sizeof(err));
}

/* Load @p text, expect -EINVAL and exactly @p msg. */
#define expect_error(text, msg)                                                          \
	do {                                                                             \
		struct ioreqd_cfg *c_ = (struct ioreqd_cfg *)1;                          \
		int rc_ = load((text), &c_);                                             \
		ck_assert_msg(rc_ == -EINVAL, "rc %d for: %s", rc_, (text));             \
		ck_assert_ptr_null(c_);                                                  \
		ck_assert_str_eq(err, (msg));                                            \
	} while (0)

/* Load @p text and expect success. */
static struct ioreqd_cfg *expect_ok(const char *text)
{
	struct ioreqd_cfg *cfg = NULL;
	int rc = load(text, &cfg);

	ck_assert_msg(rc == 0, "rc %d (%s) for: %s", rc, err, text);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(err, "");
	return cfg;
}

#define DEV_HDR "[device d]\nhook = h\n"

/* ---- whole files ------------------------------------------------------- */

START_TEST(test_cfg_parses_every_key)
{
	struct ioreqd_cfg *cfg = expect_ok("; demo\n"
	                                   "[global]\n"
	                                   "hook_dir = /opt/hooks\n"
	                                   "log_level = debug\n"
	                                   "watchdog_ms = 250\n"
	                                   "buffered = yes\n"
	                                   "\n"
	                                   "[device uart0]\n"
	                                   "hook = uart16550\n"
	                                   "pio = 0x3f8-0x3ff\n"
	                                   "mmio = 0xfeb00000+4K\n"
	                                   "pci = 0000:00:05.0\n"
	                                   "irq = 4\n"
	                                   "order = first\n"
	                                   "optional = on\n"
	                                   "baud = 115200\n");
	const struct ioreqd_cfg_dev *d;

	ck_assert_str_eq(cfg->path, "t.conf");
	ck_assert_str_eq(cfg->hook_dir, "/opt/hooks");
	ck_assert_int_eq(cfg->log_level, 2);
	ck_assert_uint_eq(cfg->watchdog_ms, 250);
	ck_assert(cfg->buffered);
	ck_assert_uint_eq(cfg->nr_devs, 1);
	d = &cfg->devs[0];
	ck_assert_str_eq(d->name, "uart0");
	ck_assert_uint_eq(d->line, 8);
	ck_assert_str_eq(d->hook, "uart16550");
	ck_assert_uint_eq(d->hook_line, 9);
	ck_assert_uint_eq(d->nr_ranges, 3);
	ck_assert_int_eq(d->ranges[0].space, IOREQD_SPACE_PIO);
	ck_assert_uint_eq(d->ranges[0].base, 0x3f8);
	ck_assert_uint_eq(d->ranges[0].last, 0x3ff);
	ck_assert_uint_eq(d->ranges[0].line, 10);
	ck_assert_int_eq(d->ranges[1].space, IOREQD_SPACE_MMIO);
	ck_assert_uint_eq(d->ranges[1].base, 0xfeb00000);
	ck_assert_uint_eq(d->ranges[1].last, 0xfeb00fff);
	ck_assert_uint_eq(d->ranges[1].line, 11);
	ck_assert_int_eq(d->ranges[2].space, IOREQD_SPACE_PCI);
	ck_assert_uint_eq(d->ranges[2].base, 0x2800000000ull);
	ck_assert_uint_eq(d->ranges[2].last, 0x2800000fffull);
	ck_assert_int_eq(d->irq, 4);
	ck_assert_uint_eq(d->irq_line, 13);
	ck_assert_int_eq(d->order, IOREQD_ORDER_FIRST);
	ck_assert(d->optional);
	ck_assert_uint_eq(d->nr_kv, 1);
	ck_assert_str_eq(d->kv[0].key, "baud");
	ck_assert_str_eq(d->kv[0].value, "115200");
	ck_assert_uint_eq(d->kv[0].line, 16);
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_empty_file_gives_defaults)
{
	struct ioreqd_cfg *cfg = expect_ok("");

	ck_assert_ptr_null(cfg->hook_dir);
	ck_assert_int_eq(cfg->log_level, -1);
	ck_assert_uint_eq(cfg->watchdog_ms, 5000);
	ck_assert(!cfg->buffered);
	ck_assert_uint_eq(cfg->poll_us, 0);
	ck_assert(!cfg->latency_stats);
	ck_assert_uint_eq(cfg->nr_devs, 0);
	ioreqd_cfg_free(cfg);

	/* A NULL text of length 0 is an empty file too. */
	ck_assert_int_eq(ioreqd_cfg_load_string(NULL, 0, NULL, &cfg, err, sizeof(err)),
	                 0);
	ck_assert_str_eq(cfg->path, "<string>");
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_device_defaults)
{
	struct ioreqd_cfg *cfg = expect_ok(DEV_HDR "pio = 0x80\n");

	ck_assert_int_eq(cfg->devs[0].irq, -1);
	ck_assert_uint_eq(cfg->devs[0].irq_line, 0);
	ck_assert_int_eq(cfg->devs[0].order, IOREQD_ORDER_NORMAL);
	ck_assert(!cfg->devs[0].optional);
	ck_assert_uint_eq(cfg->devs[0].nr_kv, 0);
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_comments_blanks_and_indentation_are_ignored)
{
	/* Indented keys are keys, not continuations of the previous key. */
	struct ioreqd_cfg *cfg =
	    expect_ok("# hash comment\n"
	              "   ; indented comment\n"
	              "[ device  x ]   ; trailing comment\n"
	              "\thook = h ; the hook\n"
	              "   pio = 0x10-0x1f   \n"
	              "   note = a;b ; only blank-semicolon starts a comment\n"
	              "\n");

	ck_assert_uint_eq(cfg->nr_devs, 1);
	ck_assert_str_eq(cfg->devs[0].name, "x");
	ck_assert_uint_eq(cfg->devs[0].line, 3);
	ck_assert_str_eq(cfg->devs[0].hook, "h");
	ck_assert_uint_eq(cfg->devs[0].ranges[0].base, 0x10);
	ck_assert_uint_eq(cfg->devs[0].ranges[0].last, 0x1f);
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[0], "note", NULL), "a;b");
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_accepts_crlf_and_bom)
{
	struct ioreqd_cfg *cfg =
	    expect_ok("\xef\xbb\xbf[global]\r\nlog_level = info\r\n\r\n[device a]\r\n"
	              "hook = h\r\npio = 1\r\n");

	ck_assert_int_eq(cfg->log_level, 1);
	ck_assert_uint_eq(cfg->devs[0].line, 4);
	ck_assert_str_eq(cfg->devs[0].hook, "h");
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_last_line_without_newline)
{
	struct ioreqd_cfg *cfg = expect_ok(DEV_HDR "pio = 0x60");

	ck_assert_uint_eq(cfg->devs[0].ranges[0].base, 0x60);
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_accepts_identical_ranges_on_two_devices)
{
	/* They form one handler chain; the daemon decides, not the parser. */
	struct ioreqd_cfg *cfg =
	    expect_ok("[device a]\nhook = scratch\nmmio = 0x1000+0x100\n"
	              "[device b]\nhook = override\nmmio = 0x1000-0x10ff\n"
	              "[device c]\nhook = x\nmmio = 0x1080+0x100\n");

	ck_assert_uint_eq(cfg->nr_devs, 3);
	ck_assert_uint_eq(cfg->devs[0].ranges[0].base, cfg->devs[1].ranges[0].base);
	ck_assert_uint_eq(cfg->devs[0].ranges[0].last, cfg->devs[1].ranges[0].last);
	/* Partial overlaps are the daemon's to reject when it builds the bus. */
	ck_assert_uint_eq(cfg->devs[2].ranges[0].base, 0x1080);
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_repeatable_range_keys_and_hook_kv_lines)
{
	struct ioreqd_cfg *cfg = expect_ok("[device a]\n"
	                                   "hook = h\n"
	                                   "pio = 0x10\n"
	                                   "file = /tmp/x=y\n"
	                                   "pio = 0x20+2\n"
	                                   "empty =\n"
	                                   "mmio = 0xfee00000\n"
	                                   "x.y-z_w = 1\n");
	const struct ioreqd_cfg_dev *d = &cfg->devs[0];
	unsigned line = 99;

	ck_assert_uint_eq(d->nr_ranges, 3);
	ck_assert_uint_eq(d->ranges[1].base, 0x20);
	ck_assert_uint_eq(d->ranges[1].last, 0x21);
	ck_assert_uint_eq(d->ranges[1].line, 5);
	ck_assert_str_eq(ioreqd_cfg_dev_get(d, "file", &line), "/tmp/x=y");
	ck_assert_uint_eq(line, 4);
	ck_assert_str_eq(ioreqd_cfg_dev_get(d, "empty", &line), "");
	ck_assert_uint_eq(line, 6);
	ck_assert_str_eq(ioreqd_cfg_dev_get(d, "x.y-z_w", NULL), "1");
	ck_assert_ptr_null(ioreqd_cfg_dev_get(d, "absent", &line));
	ck_assert_uint_eq(line, 0);
	/* Reserved keys are not hook keys. */
	ck_assert_ptr_null(ioreqd_cfg_dev_get(d, "hook", NULL));
	ck_assert_ptr_null(ioreqd_cfg_dev_get(NULL, "file", NULL));
	ck_assert_ptr_null(ioreqd_cfg_dev_get(d, NULL, NULL));
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_repeated_global_section_is_one_section)
{
	struct ioreqd_cfg *cfg = expect_ok("[global]\nlog_level = warn\n" DEV_HDR
	                                   "pio=1\n[global]\nbuffered = 0\n");

	ck_assert_int_eq(cfg->log_level, 0);
	ck_assert(!cfg->buffered);
	ioreqd_cfg_free(cfg);
	expect_error("[global]\nbuffered = no\n[global]\nbuffered = yes\n",
	             "t.conf:4: duplicate key 'buffered' (first set at line 2)");
}
END_TEST

/* ---- error classes ------------------------------------------------------ */

START_TEST(test_cfg_rejects_unknown_section)
{
	expect_error(
	    "[global]\n\n[devices x]\n",
	    "t.conf:3: unknown section [devices x] (expected [global] or [device NAME])");
	expect_error(
	    "[device]\n",
	    "t.conf:1: unknown section [device] (expected [global] or [device NAME])");
	expect_error("[]\n",
	             "t.conf:1: unknown section [] (expected [global] or [device NAME])");
}
END_TEST

START_TEST(test_cfg_rejects_bad_device_name)
{
	expect_error("[device a/b]\n",
	             "t.conf:1: bad device name 'a/b' (1-63 of A-Z a-z 0-9 _ -)");
	expect_error("[device a b]\n",
	             "t.conf:1: bad device name 'a b' (1-63 of A-Z a-z 0-9 _ -)");
	expect_error(
	    "[device "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
	    "t.conf:1: bad device name "
	    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "
	    "(1-63 of A-Z a-z 0-9 _ -)");
}
END_TEST

START_TEST(test_cfg_rejects_key_outside_section)
{
	expect_error("; c\nhook = x\n", "t.conf:2: key 'hook' outside any section");
}
END_TEST

START_TEST(test_cfg_latency_stats_is_a_global_boolean)
{
	struct ioreqd_cfg *cfg = expect_ok("[global]\nlatency_stats = yes\n");

	ck_assert(cfg->latency_stats);
	ioreqd_cfg_free(cfg);
	expect_error("[global]\nlatency_stats = no\nlatency_stats = yes\n",
	             "t.conf:3: duplicate key 'latency_stats' (first set at line 2)");
	expect_error("[global]\nlatency_stats = sometimes\n",
	             "t.conf:2: latency_stats: bad boolean 'sometimes' (use yes or no)");
}
END_TEST

START_TEST(test_cfg_rejects_unknown_global_key)
{
	expect_error("[global]\nlog_level = info\nhookdir = /x\n",
	             "t.conf:3: unknown key 'hookdir' in [global] (known: hook_dir, "
	             "log_level, watchdog_ms, buffered, poll_us, latency_stats)");
}
END_TEST

START_TEST(test_cfg_rejects_duplicate_device)
{
	expect_error("[device a]\nhook = h\npio = 1\n\n[device a]\n",
	             "t.conf:5: duplicate device 'a' (first defined at line 1)");
}
END_TEST

START_TEST(test_cfg_rejects_duplicate_single_valued_keys)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"[global]\nhook_dir = /a\nhook_dir = /b\n",
	     "t.conf:3: duplicate key 'hook_dir' (first set at line 2)"},
	    {"[global]\nlog_level = info\n\nlog_level = info\n",
	     "t.conf:4: duplicate key 'log_level' (first set at line 2)"},
	    {"[global]\nwatchdog_ms = 1\nwatchdog_ms = 1\n",
	     "t.conf:3: duplicate key 'watchdog_ms' (first set at line 2)"},
	    {DEV_HDR "hook = h\n",
	     "t.conf:3: duplicate key 'hook' (first set at line 2)"},
	    {DEV_HDR "irq = 1\nirq = 2\n",
	     "t.conf:4: duplicate key 'irq' (first set at line 3)"},
	    {DEV_HDR "order = last\norder = last\n",
	     "t.conf:4: duplicate key 'order' (first set at line 3)"},
	    {DEV_HDR "optional = yes\noptional = no\n",
	     "t.conf:4: duplicate key 'optional' (first set at line 3)"},
	    {DEV_HDR "file = a\npio = 1\nfile = b\n",
	     "t.conf:5: duplicate key 'file' (first set at line 3)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, cases[i].msg);
}
END_TEST

START_TEST(test_cfg_single_valued_keys_reset_per_device)
{
	struct ioreqd_cfg *cfg = expect_ok("[device a]\nhook = h\npio = 1\norder = last\n"
	                                   "optional = yes\n"
	                                   "[device b]\nhook = h\npio = 1\norder = last\n"
	                                   "optional = yes\n");

	ck_assert_int_eq(cfg->devs[1].order, IOREQD_ORDER_LAST);
	ck_assert(cfg->devs[1].optional);
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_rejects_missing_hook_at_section_line)
{
	expect_error("[global]\n[device a]\npio = 1\n[device b]\nhook = h\npio = 2\n",
	             "t.conf:2: device 'a': missing 'hook'");
	/* At the end of the file too, and for a section with no keys at all. */
	expect_error("[device a]\nhook = h\npio = 1\n\n[device b]\n",
	             "t.conf:5: device 'b': missing 'hook'");
}
END_TEST

START_TEST(test_cfg_rejects_device_without_range)
{
	expect_error("[device a]\nhook = h\nirq = 3\n\n[global]\n",
	             "t.conf:1: device 'a': no pio, mmio or pci range");
	expect_error("[device a]\nhook = h\n",
	             "t.conf:1: device 'a': no pio, mmio or pci range");
}
END_TEST

START_TEST(test_cfg_names_a_mistyped_range_key)
{
	expect_error(
	    "[device a]\nhook = h\nmmoi = 0x1000+0x10\n",
	    "t.conf:3: device 'a': no pio, mmio or pci range: unknown key 'mmoi' "
	    "(did you mean 'mmio'?)");
	expect_error(
	    "[device a]\nhook = h\nsize = 4\n",
	    "t.conf:1: device 'a': no pio, mmio or pci range (its other keys, such "
	    "as 'size' at line 3, are the hook's)");
}
END_TEST

START_TEST(test_cfg_rejects_bad_hook_name)
{
	expect_error("[device a]\nhook = ../evil\n",
	             "t.conf:2: hook: bad hook name '../evil' (1-63 of A-Z a-z 0-9 _ -)");
	expect_error("[device a]\nhook =\n",
	             "t.conf:2: hook: bad hook name '' (1-63 of A-Z a-z 0-9 _ -)");
}
END_TEST

START_TEST(test_cfg_rejects_bad_numbers)
{
	expect_error(DEV_HDR "pio = 1\nirq = four\n", "t.conf:4: irq: bad number 'four'");
	expect_error(DEV_HDR "irq = -1\n", "t.conf:3: irq: bad number '-1'");
	expect_error(DEV_HDR "irq = 1024\n",
	             "t.conf:3: irq: 1024 out of range (0..1023)");
	expect_error(DEV_HDR "irq = 99999999999999999999\n",
	             "t.conf:3: irq: number too large '99999999999999999999'");
	expect_error("[global]\nwatchdog_ms = 5s\n",
	             "t.conf:2: watchdog_ms: bad number '5s'");
	expect_error("[global]\nwatchdog_ms = 1G\n",
	             "t.conf:2: watchdog_ms: 1073741824 out of range (0..86400000)");
}
END_TEST

START_TEST(test_cfg_poll_us_takes_0_to_the_cap)
{
	struct ioreqd_cfg *cfg = expect_ok("[global]\npoll_us = 200\n");

	ck_assert_uint_eq(cfg->poll_us, 200);
	ioreqd_cfg_free(cfg);
	cfg = expect_ok("[global]\npoll_us = 0\n");
	ck_assert_uint_eq(cfg->poll_us, 0);
	ioreqd_cfg_free(cfg);
	expect_error("[global]\npoll_us = 201\n",
	             "t.conf:2: poll_us: 201 out of range (0 turns polling off, at "
	             "most 200 microseconds)");
	expect_error("[global]\npoll_us = 50us\n",
	             "t.conf:2: poll_us: bad number '50us'");
	expect_error("[global]\npoll_us = 5\npoll_us = 5\n",
	             "t.conf:3: duplicate key 'poll_us' (first set at line 2)");
}
END_TEST

START_TEST(test_cfg_irq_limits_are_inclusive)
{
	struct ioreqd_cfg *cfg = expect_ok("[device a]\nhook=h\npio=1\nirq=0\n"
	                                   "[device b]\nhook=h\npio=1\nirq=0x3ff\n");

	ck_assert_int_eq(cfg->devs[0].irq, 0);
	ck_assert_int_eq(cfg->devs[1].irq, 1023);
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_rejects_bad_ranges_with_reason)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {DEV_HDR "pio = 0x10+0\n", "t.conf:3: pio: bad range '0x10+0' (size 0)"},
	    {DEV_HDR "mmio = 0x10-0x0\n",
	     "t.conf:3: mmio: bad range '0x10-0x0' (end below start)"},
	    {DEV_HDR "pio = 0xfff0-0x10000\n",
	     "t.conf:3: pio: bad range '0xfff0-0x10000' (beyond port 0xffff)"},
	    {DEV_HDR "pio = 0xffff+2\n",
	     "t.conf:3: pio: bad range '0xffff+2' (beyond port 0xffff)"},
	    {DEV_HDR "pio = 0x10000\n",
	     "t.conf:3: pio: bad range '0x10000' (beyond port 0xffff)"},
	    {DEV_HDR "mmio = 0xffffffffffffffff+2\n",
	     "t.conf:3: mmio: bad range '0xffffffffffffffff+2' (wraps past the end "
	     "of the address space)"},
	    {DEV_HDR "mmio = banana\n",
	     "t.conf:3: mmio: bad range 'banana' (not a number)"},
	    {DEV_HDR "mmio = 0x10-\n",
	     "t.conf:3: mmio: bad range '0x10-' (not a number)"},
	    {DEV_HDR "mmio = -0x10\n",
	     "t.conf:3: mmio: bad range '-0x10' (not a number)"},
	    {DEV_HDR "mmio = 0x10+0x10+1\n",
	     "t.conf:3: mmio: bad range '0x10+0x10+1' (not a number)"},
	    {DEV_HDR "mmio = 0x10000000000000000\n",
	     "t.conf:3: mmio: bad range '0x10000000000000000' (number too large)"},
	    {DEV_HDR "mmio =\n", "t.conf:3: mmio: bad range '' (empty)"},
	    {DEV_HDR "pci = 00:20.0\n",
	     "t.conf:3: pci: bad range '00:20.0' (PCI device above 1f)"},
	    {DEV_HDR "pci = 00:05.8\n",
	     "t.conf:3: pci: bad range '00:05.8' (PCI function above 7)"},
	    {DEV_HDR "pci = 0x2800000000\n", "t.conf:3: pci: bad range '0x2800000000' "
	                                     "(bad PCI address (use SSSS:BB:DD.F or "
	                                     "BB:DD.F))"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, cases[i].msg);
}
END_TEST

START_TEST(test_cfg_rejects_overlap_within_one_device)
{
	expect_error(
	    DEV_HDR "pio = 0x10-0x1f\nmmio = 0x10-0x1f\npio = 0x18+1\n",
	    "t.conf:5: pio: range '0x18+1' overlaps this device's range at line 3");
}
END_TEST

START_TEST(test_cfg_rejects_bad_booleans_orders_and_levels)
{
	expect_error(DEV_HDR "optional = maybe\n",
	             "t.conf:3: optional: bad boolean 'maybe' (use yes or no)");
	expect_error("[global]\nbuffered = 2\n",
	             "t.conf:2: buffered: bad boolean '2' (use yes or no)");
	expect_error(DEV_HDR "order = middle\n",
	             "t.conf:3: order: bad value 'middle' (use first, normal or last)");
	expect_error(
	    "[global]\nlog_level = verbose\n",
	    "t.conf:2: log_level: bad value 'verbose' (use warn, info or debug)");
	expect_error("[global]\nhook_dir =\n", "t.conf:2: hook_dir: empty value");
}
END_TEST

START_TEST(test_cfg_order_values)
{
	struct ioreqd_cfg *cfg = expect_ok("[device a]\nhook=h\npio=1\norder=last\n"
	                                   "[device b]\nhook=h\npio=1\norder=normal\n");

	ck_assert_int_eq(cfg->devs[0].order, IOREQD_ORDER_LAST);
	ck_assert_int_eq(cfg->devs[1].order, IOREQD_ORDER_NORMAL);
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_rejects_syntax_errors)
{
	expect_error("[global]\nlog_level info\n",
	             "t.conf:2: syntax error: expected 'key = value' or '[section]'");
	expect_error("[global\n",
	             "t.conf:1: syntax error: section header must end with ']'");
	expect_error("[global]\n= 3\n", "t.conf:2: syntax error: missing key before '='");
	expect_error("[global]\nlog level = info\n",
	             "t.conf:2: syntax error: bad key name 'log level'");
	/* An INI dialect might split "a:b = c" at the colon; we refuse the key. */
	expect_error(DEV_HDR "a:b = c\n", "t.conf:3: syntax error: bad key name 'a:b'");
}
END_TEST

START_TEST(test_cfg_rejects_nul_byte)
{
	static const char text[] = "[global]\nlog_level = in\0fo\n";
	struct ioreqd_cfg *cfg = NULL;

	ck_assert_int_eq(ioreqd_cfg_load_string(text, sizeof(text) - 1, "t.conf", &cfg,
	                                        err, sizeof(err)),
	                 -EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err, "t.conf:2: NUL byte in line");
}
END_TEST

START_TEST(test_cfg_stops_at_first_error)
{
	expect_error("[global]\nlog_level = loud\nbuffered = maybe\n[nope]\n",
	             "t.conf:2: log_level: bad value 'loud' (use warn, info or debug)");
}
END_TEST

START_TEST(test_cfg_rejects_huge_line_with_its_number)
{
	size_t big = 100000;
	char *text = malloc(big + 64);
	struct ioreqd_cfg *cfg = NULL;
	int n;

	ck_assert_ptr_nonnull(text);
	n = sprintf(text, "[device a]\nhook = h\npio = 1\nblob = ");
	memset(text + n, 'x', big);
	strcpy(text + n + big, "\n");
	ck_assert_int_eq(load(text, &cfg), -EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strncmp(err, "t.conf:4: line too long (at most ", 33) == 0, "%s",
	              err);
	free(text);
}
END_TEST

START_TEST(test_cfg_long_line_below_the_limit_is_kept)
{
	char text[256], value[151];
	struct ioreqd_cfg *cfg;

	memset(value, 'v', 150);
	value[150] = '\0';
	/* Leading blanks and comments do not count against the limit. */
	snprintf(text, sizeof(text), DEV_HDR "pio=1\n        blob = %s ; c\n", value);
	cfg = expect_ok(text);
	ck_assert_str_eq(ioreqd_cfg_dev_get(&cfg->devs[0], "blob", NULL), value);
	ioreqd_cfg_free(cfg);
}
END_TEST

START_TEST(test_cfg_rejects_too_many_devices)
{
	size_t cap = 300 * 48;
	char *text = malloc(cap), *p = text;
	struct ioreqd_cfg *cfg = NULL;

	ck_assert_ptr_nonnull(text);
	for (unsigned i = 0; i < 300; i++)
		p += sprintf(p, "[device d%u]\nhook = h\npio = %u\n", i, i);
	ck_assert_int_eq(load(text, &cfg), -EINVAL);
	ck_assert_str_eq(err, "t.conf:769: too many devices (at most 256)");
	free(text);
}
END_TEST

START_TEST(test_cfg_null_error_buffer_is_allowed)
{
	struct ioreqd_cfg *cfg = NULL;

	ck_assert_int_eq(ioreqd_cfg_load_string("[x]\n", 4, "t", &cfg, NULL, 0), -EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(ioreqd_cfg_load("/nonexistent/ioreqd.conf", &cfg, NULL, 0),
	                 -ENOENT);
}
END_TEST

START_TEST(test_cfg_error_message_is_truncated_not_overrun)
{
	char small[12];
	struct ioreqd_cfg *cfg = NULL;

	memset(small, 'Z', sizeof(small));
	ck_assert_int_eq(ioreqd_cfg_load_string("[x]\n", 4, "t.conf", &cfg, small, 8),
	                 -EINVAL);
	ck_assert_str_eq(small, "t.conf:");
	ck_assert_int_eq(small[8], 'Z');
}
END_TEST

START_TEST(test_cfg_long_path_line_is_kept)
{
	size_t plen = 4000;
	char *text = malloc(2 * plen + 128), *path = malloc(plen + 1);
	struct ioreqd_cfg *cfg;

	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(path);
	path[0] = '/';
	memset(path + 1, 'p', plen - 1);
	path[plen] = '\0';
	sprintf(text, "[global]\nhook_dir = %s\n" DEV_HDR "pio = 1\nfile = %s\n", path,
	        path);
	cfg = expect_ok(text);
	/* (ck_assert_str_eq's message would not fit Check's pipe.) */
	ck_assert(strcmp(cfg->hook_dir, path) == 0);
	ck_assert(strcmp(ioreqd_cfg_dev_get(&cfg->devs[0], "file", NULL), path) == 0);
	ioreqd_cfg_free(cfg);
	free(text);
	free(path);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("file");

	tcase_add_test(tc, test_cfg_parses_every_key);
	tcase_add_test(tc, test_cfg_empty_file_gives_defaults);
	tcase_add_test(tc, test_cfg_device_defaults);
	tcase_add_test(tc, test_cfg_comments_blanks_and_indentation_are_ignored);
	tcase_add_test(tc, test_cfg_accepts_crlf_and_bom);
	tcase_add_test(tc, test_cfg_last_line_without_newline);
	tcase_add_test(tc, test_cfg_accepts_identical_ranges_on_two_devices);
	tcase_add_test(tc, test_cfg_repeatable_range_keys_and_hook_kv_lines);
	tcase_add_test(tc, test_cfg_repeated_global_section_is_one_section);
	tcase_add_test(tc, test_cfg_single_valued_keys_reset_per_device);
	tcase_add_test(tc, test_cfg_irq_limits_are_inclusive);
	tcase_add_test(tc, test_cfg_poll_us_takes_0_to_the_cap);
	tcase_add_test(tc, test_cfg_order_values);
	tcase_add_test(tc, test_cfg_long_line_below_the_limit_is_kept);
	tcase_add_test(tc, test_cfg_long_path_line_is_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_cfg_rejects_unknown_section);
	tcase_add_test(tc, test_cfg_rejects_bad_device_name);
	tcase_add_test(tc, test_cfg_rejects_key_outside_section);
	tcase_add_test(tc, test_cfg_latency_stats_is_a_global_boolean);
	tcase_add_test(tc, test_cfg_rejects_unknown_global_key);
	tcase_add_test(tc, test_cfg_rejects_duplicate_device);
	tcase_add_test(tc, test_cfg_rejects_duplicate_single_valued_keys);
	tcase_add_test(tc, test_cfg_rejects_missing_hook_at_section_line);
	tcase_add_test(tc, test_cfg_rejects_device_without_range);
	tcase_add_test(tc, test_cfg_names_a_mistyped_range_key);
	tcase_add_test(tc, test_cfg_rejects_bad_hook_name);
	tcase_add_test(tc, test_cfg_rejects_bad_numbers);
	tcase_add_test(tc, test_cfg_rejects_bad_ranges_with_reason);
	tcase_add_test(tc, test_cfg_rejects_overlap_within_one_device);
	tcase_add_test(tc, test_cfg_rejects_bad_booleans_orders_and_levels);
	tcase_add_test(tc, test_cfg_rejects_syntax_errors);
	tcase_add_test(tc, test_cfg_rejects_nul_byte);
	tcase_add_test(tc, test_cfg_stops_at_first_error);
	tcase_add_test(tc, test_cfg_rejects_huge_line_with_its_number);
	tcase_add_test(tc, test_cfg_rejects_too_many_devices);
	tcase_add_test(tc, test_cfg_null_error_buffer_is_allowed);
	tcase_add_test(tc, test_cfg_error_message_is_truncated_not_overrun);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
