/* SPDX-License-Identifier: MIT */
/*
 * Tests of device state (lib/engine/devstate.c, lib/engine/state.c and each
 * built-in hook's save/load) through the mock daemon: every hook's state
 * round-trips - saved from a device the guest has driven, loaded into a
 * fresh instance of the same configuration, which then answers exactly as
 * the saved one does, including testdev's moved BAR - and streams that are
 * not ours, truncated, corrupt, from a newer format, or from another device
 * set are refused with a message saying what is wrong, with no device
 * changed.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ioreqd/state.h>

#include "builtin.h"
#include "crc32.h"
#include "devstate.h"
#include "le.h"
#include "mock-host.h"

#define SCRATCH 0xfeb00000ull
#define TD_BASE 0xfeb01000ull
#define TD_MOVED 0xfeb10000ull
#define PL011 0x9000000ull
#define SBDF IOREQD_PCI_SBDF(0, 0, 5, 0)
#define CFG(reg) IOREQD_PCI_ADDR(SBDF, (reg))

struct devconf {
	const char *name, *hook, *conf;
};

/* One device of every built-in hook that is not virtio (those come later). */
static const struct devconf all_devs[] = {
    {"s0", "scratch", "mmio = 0xfeb00000+0x100"},
    {"ov", "override", "mmio = 0xfeb00000+0x100\noffset = 0x10\nwrites = latch"},
    {"com1", "uart16550", "pio = 0x3f8+8\nirq = 4\nbackend = none"},
    {"uart0", "pl011", "mmio = 0x9000000+4K\nirq = 33\nbackend = none"},
    {"t", "testdev", "pci = 00:05.0\nmmio = 0xfeb01000+0x1000\nirq = 5"},
    {"dbg", "debugcon", "pio = 0xe9"},
    {"tr", "trace", "pio = 0x80\nfile = /dev/null"},
    {NULL, NULL, NULL},
};

static struct mock *make(const struct devconf *devs)
{
	struct mock *m = mock_new(7);

	for (const struct devconf *d = devs; d->name; d++) {
		int rc = mock_add(m, ioreqd_builtin_hook_find(d->hook), d->name, d->conf,
		                  NULL);

		ck_assert_msg(rc == 0, "%s: %d %s", d->name, rc, mock_error(m));
	}
	return m;
}

static void wr(struct mock *m, enum ioreqd_space sp, uint64_t a, unsigned size,
               uint64_t v)
{
	mock_write(m, sp, a, size, v);
}

static uint64_t rd(struct mock *m, enum ioreqd_space sp, uint64_t a, unsigned size)
{
	return mock_read(m, sp, a, size);
}

/* What a guest does before the save: leave state in every device. */
static void drive(struct mock *m)
{
	for (unsigned i = 0; i < 0x10; i++)
		wr(m, IOREQD_SPACE_MMIO, SCRATCH + i, 1, 0xa0 + i);
	wr(m, IOREQD_SPACE_MMIO, SCRATCH + 0x20, 8, 0x0123456789abcdefull);
	wr(m, IOREQD_SPACE_MMIO, SCRATCH + 0x10, 4, 0xfeedf00d); /* override latches */
	/* 16550: FIFO on, 8N1, divisor 12, scratch, loopback with three bytes queued. */
	wr(m, IOREQD_SPACE_PIO, 0x3fb, 1, 0x83);
	wr(m, IOREQD_SPACE_PIO, 0x3f8, 1, 12);
	wr(m, IOREQD_SPACE_PIO, 0x3fb, 1, 0x03);
	wr(m, IOREQD_SPACE_PIO, 0x3fa, 1, 0xc1);
	wr(m, IOREQD_SPACE_PIO, 0x3f9, 1, 0x05);
	wr(m, IOREQD_SPACE_PIO, 0x3ff, 1, 0x5a);
	wr(m, IOREQD_SPACE_PIO, 0x3fc, 1, 0x18);
	for (unsigned i = 0; i < 3; i++)
		wr(m, IOREQD_SPACE_PIO, 0x3f8, 1, 'A' + i);
	/* PL011: FIFO on, loopback, RX interrupt unmasked, two bytes queued. */
	wr(m, IOREQD_SPACE_MMIO, PL011 + 0x24, 4, 13);
	wr(m, IOREQD_SPACE_MMIO, PL011 + 0x2c, 4, 0x70);
	wr(m, IOREQD_SPACE_MMIO, PL011 + 0x30, 4, 0x0381);
	wr(m, IOREQD_SPACE_MMIO, PL011 + 0x38, 4, 0x50);
	wr(m, IOREQD_SPACE_MMIO, PL011 + 0x000, 4, 'x');
	wr(m, IOREQD_SPACE_MMIO, PL011 + 0x000, 4, 'y');
	/* testdev: registers, doorbell, config dword, and BAR0 moved. */
	wr(m, IOREQD_SPACE_MMIO, TD_BASE + 0x0c, 4, 7);
	wr(m, IOREQD_SPACE_MMIO, TD_BASE + 0x24, 4, 0x5ca1ab1e);
	wr(m, IOREQD_SPACE_MMIO, TD_BASE + 0x10, 4, 1);
	wr(m, IOREQD_SPACE_PCI, CFG(0x40), 4, 0xa11ce5ed);
	wr(m, IOREQD_SPACE_PCI, CFG(0x10), 4, (uint32_t)TD_MOVED);
}

/* What a guest sees afterwards, as a list of values (reads may change state). */
static unsigned observe(struct mock *m, uint64_t *v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 0x40; i += 8)
		v[n++] = rd(m, IOREQD_SPACE_MMIO, SCRATCH + i, 8);
	v[n++] = rd(m, IOREQD_SPACE_MMIO, SCRATCH + 0x10, 4);
	v[n++] = (uint64_t)mock_irq_level(m, 4);
	for (unsigned r = 1; r < 8; r++)
		v[n++] = rd(m, IOREQD_SPACE_PIO, 0x3f8 + r, 1);
	for (unsigned i = 0; i < 4; i++) /* three bytes, then an empty FIFO */
		v[n++] = rd(m, IOREQD_SPACE_PIO, 0x3f8, 1);
	v[n++] = rd(m, IOREQD_SPACE_PIO, 0x3fd, 1);
	wr(m, IOREQD_SPACE_PIO, 0x3fb, 1, 0x83);
	v[n++] = rd(m, IOREQD_SPACE_PIO, 0x3f8, 1);
	wr(m, IOREQD_SPACE_PIO, 0x3fb, 1, 0x03);
	v[n++] = (uint64_t)mock_irq_level(m, 33);
	for (unsigned r = 0x18; r <= 0x40; r += 4)
		v[n++] = rd(m, IOREQD_SPACE_MMIO, PL011 + r, 4);
	for (unsigned i = 0; i < 3; i++)
		v[n++] = rd(m, IOREQD_SPACE_MMIO, PL011, 4);
	v[n++] = rd(m, IOREQD_SPACE_MMIO, PL011 + 0x18, 4);
	/* testdev answers at its moved BAR, not where the configuration put it. */
	for (unsigned r = 0x04; r < 0x40; r += 4)
		v[n++] = rd(m, IOREQD_SPACE_MMIO, TD_MOVED + r, 4);
	v[n++] = ioreqd_bus_lookup(mock_bus(m), IOREQD_SPACE_MMIO, TD_BASE, 4) != NULL;
	v[n++] = (uint64_t)mock_irq_level(m, 5);
	for (unsigned r = 0; r < 0x44; r += 4)
		v[n++] = rd(m, IOREQD_SPACE_PCI, CFG(r), 4);
	return n;
}

static void save(struct mock *m, uint8_t **buf, size_t *len)
{
	char err[256];
	int rc = ioreqd_devstate_save(mock_dm(m), buf, len, err, sizeof(err));

	ck_assert_msg(rc == 0, "save: %d %s", rc, err);
}

/* Load @p buf into a fresh set, expecting refusal with @p want in the message. */
static void expect_refused(const struct devconf *devs, const uint8_t *buf, size_t len,
                           int want_rc, const char *want)
{
	struct mock *m = make(devs);
	uint64_t before[128], after[128];
	unsigned nb, na;
	char err[256];
	int rc;

	rc = ioreqd_devstate_load(mock_dm(m), buf, len, err, sizeof(err));
	ck_assert_msg(rc == want_rc, "load: %d (want %d) '%s'", rc, want_rc, err);
	ck_assert_msg(strstr(err, want), "'%s' lacks '%s'", err, want);
	/* Nothing changed: the device set answers as a fresh one does. */
	na = observe(m, after);
	mock_free(m);
	m = make(devs);
	nb = observe(m, before);
	mock_free(m);
	ck_assert_uint_eq(na, nb);
	ck_assert_mem_eq(before, after, nb * sizeof(before[0]));
}

START_TEST(test_every_hook_state_round_trips)
{
	struct mock *a = make(all_devs), *b = make(all_devs), *fresh = make(all_devs);
	uint64_t va[128], vb[128], vf[128];
	unsigned na, nb;
	uint8_t *buf;
	size_t len;
	char err[256];
	int rc;

	drive(a);
	save(a, &buf, &len);
	rc = ioreqd_devstate_load(mock_dm(b), buf, len, err, sizeof(err));
	ck_assert_msg(rc == 0, "load: %d %s", rc, err);
	ck_assert_msg(mock_log_contains(b, "BAR0 at 0xfeb10000"), "BAR0 not re-claimed");
	na = observe(a, va);
	nb = observe(b, vb);
	ck_assert_uint_le(na, 128);
	ck_assert_uint_eq(na, nb);
	for (unsigned i = 0; i < na; i++)
		ck_assert_msg(va[i] == vb[i],
		              "observation %u: saved 0x%llx, loaded 0x%llx", i,
		              (unsigned long long)va[i], (unsigned long long)vb[i]);
	/* And the state did move: a fresh set answers differently. */
	observe(fresh, vf);
	ck_assert_msg(memcmp(va, vf, na * sizeof(va[0])) != 0, "nothing was saved");
	/* Saving the loaded set gives the same state (but not the same reads). */
	free(buf);
	mock_free(a);
	mock_free(b);
	mock_free(fresh);
}
END_TEST

START_TEST(test_save_is_stable_and_loads_twice)
{
	struct mock *a = make(all_devs), *b = make(all_devs);
	uint8_t *buf1, *buf2;
	size_t len1, len2;
	char err[256];

	drive(a);
	save(a, &buf1, &len1);
	ck_assert_int_eq(ioreqd_devstate_load(mock_dm(b), buf1, len1, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(ioreqd_devstate_load(mock_dm(b), buf1, len1, err, sizeof(err)),
	                 0);
	save(b, &buf2, &len2);
	ck_assert_uint_eq(len1, len2);
	ck_assert_mem_eq(buf1, buf2, len1);
	free(buf1);
	free(buf2);
	mock_free(a);
	mock_free(b);
}
END_TEST

static void saved(uint8_t **buf, size_t *len)
{
	struct mock *a = make(all_devs);

	drive(a);
	save(a, buf, len);
	mock_free(a);
}

/* Fix the length and checksum after editing a stream, so deeper checks run. */
static void reseal(uint8_t *buf, size_t len)
{
	ioreqd_le_put(buf + 24, len, 8);
	ioreqd_le_put(buf + len - 4, ioreqd_crc32(buf, len - 4), 4);
}

/*
 * The stream ends with zlib's CRC-32, whatever reseal() computes: the tests
 * share ioreqd_crc32 with the library now, so only a known answer catches a
 * change to it (which would make every saved stream unreadable).
 */
START_TEST(test_the_stream_checksum_is_the_ieee_crc32)
{
	uint8_t *buf;
	size_t len;
	uint32_t want = 0xffffffffu;

	ck_assert_uint_eq(ioreqd_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
	ck_assert_uint_eq(ioreqd_crc32((const uint8_t *)"", 0), 0);
	saved(&buf, &len);
	/* The same CRC, written out longhand (reflected, polynomial 0x04c11db7). */
	for (size_t i = 0; i < len - 4; i++) {
		want ^= buf[i];
		for (unsigned k = 0; k < 8; k++)
			want = want & 1 ? (want >> 1) ^ 0xedb88320u : want >> 1;
	}
	ck_assert_uint_eq(ioreqd_le_get(buf + len - 4, 4), ~want);
	free(buf);
}
END_TEST

START_TEST(test_refuses_foreign_truncated_and_corrupt_streams)
{
	uint8_t *buf;
	size_t len;

	saved(&buf, &len);
	expect_refused(all_devs, (const uint8_t *)"hello, world, not a stream at all", 33,
	               -EBADMSG, "not an ioreqd device-state stream");
	expect_refused(all_devs, buf, 20, -EBADMSG, "truncated");
	expect_refused(all_devs, buf, len - 1, -EBADMSG, "truncated");
	expect_refused(all_devs, buf, len / 2, -EBADMSG, "truncated");
	buf[len / 2] ^= 0x40;
	expect_refused(all_devs, buf, len, -EBADMSG, "corrupt: checksum mismatch");
	buf[len / 2] ^= 0x40;
	/* A record length pointing past the end, with a valid checksum. */
	buf[32] = 0xff;
	buf[33] = 0xff;
	reseal(buf, len);
	expect_refused(all_devs, buf, len, -EBADMSG, "record 1 is malformed");
	free(buf);
}
END_TEST

START_TEST(test_refuses_future_versions)
{
	uint8_t *buf;
	size_t len;
	size_t off;

	saved(&buf, &len);
	buf[8] = 2;
	expect_refused(all_devs, buf, len, -EPROTONOSUPPORT, "stream format version 2");
	buf[8] = 1;
	/* The first record is s0 (scratch): its state version follows the names. */
	off = 32 + 4 + 2 + 2 + 2 + strlen("scratch");
	ck_assert_mem_eq(buf + 32 + 4 + 2 + 2 + 2, "scratch", 7);
	buf[off] = 9;
	reseal(buf, len);
	expect_refused(
	    all_devs, buf, len, -EPROTONOSUPPORT,
	    "device s0: hook scratch state version 9 is newer than this hook's (1)");
	free(buf);
}
END_TEST

START_TEST(test_refuses_other_device_sets_naming_the_difference)
{
	static const struct devconf fewer[] = {
	    {"s0", "scratch", "mmio = 0xfeb00000+0x100"},
	    {NULL, NULL, NULL},
	};
	static const struct devconf more[] = {
	    {"s0", "scratch", "mmio = 0xfeb00000+0x100"},
	    {"s1", "scratch", "mmio = 0xfeb02000+0x100"},
	    {NULL, NULL, NULL},
	};
	static const struct devconf moved[] = {
	    {"s0", "scratch", "mmio = 0xfeb03000+0x100"},
	    {NULL, NULL, NULL},
	};
	static const struct devconf rehooked[] = {
	    {"s0", "testdev", "pci = 00:05.0"},
	    {NULL, NULL, NULL},
	};
	struct mock *a = make(fewer);
	uint8_t *buf, *all;
	size_t len, all_len;

	save(a, &buf, &len);
	mock_free(a);
	saved(&all, &all_len);
	expect_refused(fewer, all, all_len, -ESRCH,
	               "device ov is in the saved state but not in the configuration");
	expect_refused(
	    more, buf, len, -ESRCH,
	    "device s1 (hook scratch) is configured but not in the saved state");
	expect_refused(moved, buf, len, -ESRCH,
	               "device s0: its configured ranges differ from the saved domain's");
	expect_refused(
	    rehooked, buf, len, -ESRCH,
	    "device s0: saved with hook scratch, configured with hook testdev");
	free(buf);
	free(all);
}
END_TEST

START_TEST(test_a_refusing_hook_leaves_every_device_unchanged)
{
	static const struct devconf two[] = {
	    {"s0", "scratch", "mmio = 0xfeb00000+0x100"},
	    {"ov", "override",
	     "mmio = 0xfeb00000+0x100\noffset = 0x10\nwrites = latch\n"
	     "width = 2"},
	    {NULL, NULL, NULL},
	};
	struct mock *a = make(two);
	uint8_t *buf;
	size_t len;

	wr(a, IOREQD_SPACE_MMIO, SCRATCH, 8, 0x1122334455667788ull);
	wr(a, IOREQD_SPACE_MMIO, SCRATCH + 0x10, 2, 0xbeef);
	save(a, &buf, &len);
	mock_free(a);
	/* The override's latch (the last field of the stream) made too wide for it. */
	ck_assert_uint_eq(buf[len - 4 - 8], 0xef);
	buf[len - 4 - 8 + 2] = 0x01;
	reseal(buf, len);
	/* Framing is fine, so s0 is loaded first, then put back when ov refuses. */
	expect_refused(
	    two, buf, len, -EBADMSG,
	    "device ov: hook override refused its state: value 0x1beef does not "
	    "fit the 2-byte register; no device was changed");
	free(buf);
}
END_TEST

START_TEST(test_state_blob_fields)
{
	ioreqd_state_t *w = ioreqd_state_new(), *r = NULL;
	const void *data;
	uint8_t bytes[3] = {1, 2, 3}, got[3], bad[] = {1, 0, 9, 0, 0, 0, 0};
	uint32_t v32;
	uint64_t v64;
	size_t len;

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(ioreqd_state_put_u32(w, 1, 0xdeadbeef), 0);
	ck_assert_int_eq(ioreqd_state_put_u64(w, 2, 0x0102030405060708ull), 0);
	ck_assert_int_eq(ioreqd_state_put(w, 3, bytes, sizeof(bytes)), 0);
	ck_assert_int_eq(ioreqd_state_put(w, 4, NULL, 0), 0);
	ck_assert_int_eq(ioreqd_state_put_u32(w, 1, 0), -EEXIST);
	data = ioreqd_state_data(w, &len);
	ck_assert_uint_eq(len, 4 * 6 + 4 + 8 + 3);
	ck_assert_int_eq(ioreqd_state_open(data, len, &r), 0);
	ck_assert_int_eq(ioreqd_state_put_u32(r, 9, 0), -EINVAL);
	ck_assert_int_eq(ioreqd_state_get_u32(r, 1, &v32), 0);
	ck_assert_uint_eq(v32, 0xdeadbeef);
	ck_assert_int_eq(ioreqd_state_get_u64(r, 2, &v64), 0);
	ck_assert_uint_eq(v64, 0x0102030405060708ull);
	ck_assert_int_eq(ioreqd_state_get(r, 3, got, sizeof(got)), 0);
	ck_assert_mem_eq(got, bytes, 3);
	ck_assert_int_eq(ioreqd_state_len(r, 4), 0);
	ck_assert_int_eq(ioreqd_state_len(r, 5), -ENOENT);
	ck_assert_int_eq(ioreqd_state_get_u32(r, 2, &v32), -EBADMSG);
	ck_assert_str_eq(ioreqd_state_error(r), "field 2 is 8 bytes, expected 4");
	ck_assert_int_eq(ioreqd_state_get_u32(r, 7, &v32), -ENOENT);
	ck_assert_str_eq(ioreqd_state_error(r), "field 7 is missing");
	ioreqd_state_free(r);
	/* A field running past the end, and the same tag twice, are refused on open. */
	ck_assert_int_eq(ioreqd_state_open(bad, sizeof(bad), &r), -EBADMSG);
	ck_assert_str_eq(ioreqd_state_error(r), "field 1 at byte 0 runs past the end");
	ioreqd_state_free(r);
	ck_assert_int_eq(ioreqd_state_open(data, 5, &r), -EBADMSG);
	ck_assert_str_eq(ioreqd_state_error(r), "truncated field header at byte 0");
	ioreqd_state_free(r);
	ioreqd_state_free(w);
}
END_TEST

START_TEST(test_file_is_written_atomically_and_read_back)
{
	char dir[256], path[300], err[256];
	uint8_t *buf, *back;
	size_t len, blen;

	ck_assert_int_eq(mock_tmpdir_make(dir, sizeof(dir), "check_devstate"), 0);
	snprintf(path, sizeof(path), "%s/state", dir);
	saved(&buf, &len);
	ck_assert_int_eq(ioreqd_devstate_write_file(path, buf, len, err, sizeof(err)), 0);
	ck_assert_int_eq(ioreqd_devstate_read_file(path, &back, &blen, err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(blen, len);
	ck_assert_mem_eq(back, buf, len);
	free(back);
	ck_assert_int_eq(ioreqd_devstate_read_file(dir, &back, &blen, err, sizeof(err)),
	                 -EFBIG);
	snprintf(path, sizeof(path), "%s/no/such/dir/state", dir);
	ck_assert_int_eq(ioreqd_devstate_write_file(path, buf, len, err, sizeof(err)),
	                 -ENOENT);
	ck_assert_msg(strstr(err, "No such file"), "%s", err);
	free(buf);
	mock_tmpdir_remove(dir);
}
END_TEST

static Suite *devstate_suite(void)
{
	Suite *s = suite_create("devstate");
	TCase *tc = tcase_create("devstate");

	tcase_add_test(tc, test_every_hook_state_round_trips);
	tcase_add_test(tc, test_save_is_stable_and_loads_twice);
	tcase_add_test(tc, test_the_stream_checksum_is_the_ieee_crc32);
	tcase_add_test(tc, test_refuses_foreign_truncated_and_corrupt_streams);
	tcase_add_test(tc, test_refuses_future_versions);
	tcase_add_test(tc, test_refuses_other_device_sets_naming_the_difference);
	tcase_add_test(tc, test_a_refusing_hook_leaves_every_device_unchanged);
	tcase_add_test(tc, test_state_blob_fields);
	tcase_add_test(tc, test_file_is_written_atomically_and_read_back);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(devstate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
