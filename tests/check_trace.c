/* SPDX-License-Identifier: MIT */
/*
 * Tests of the trace file format (lib/trace.c) and of the trace hook: a
 * writer/reader round trip, the exact byte layout, the decoder's refusal of
 * every malformed field, truncation and time order, and the hook recording
 * what passes through it at the head of a chain without changing a result.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock-host.h"
#include <ioreqd/trace.h>

extern const struct ioreqd_hook ioreqd_hook_trace;
extern const struct ioreqd_hook ioreqd_hook_scratch;

static struct ioreqd_trace_rec rec(uint64_t t, enum ioreqd_space sp, uint64_t addr,
                                   unsigned size, bool rd, uint64_t data)
{
	struct ioreqd_trace_rec r = {
	    .t_ns = t,
	    .addr = addr,
	    .data = data,
	    .vcpu = 1,
	    .space = (uint8_t)sp,
	    .size = (uint8_t)size,
	    .is_read = rd,
	    .result = IOREQD_TRACE_RES_HANDLED,
	    .flags = IOREQD_TRACE_F_DATA_VALID,
	};
	return r;
}

/* Read a whole file into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc(n ? (size_t)n : 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

START_TEST(test_trace_writer_and_reader_round_trip)
{
	char path[] = "/tmp/check_trace.XXXXXX";
	int fd = mkstemp(path);
	struct ioreqd_trace_header h = {.domid = 7, .start_ns = 1234567890123ull};
	struct ioreqd_trace_writer *w;
	struct ioreqd_trace_reader rd;
	struct ioreqd_trace_rec in[3], out;
	const char *why;
	uint8_t *buf;
	size_t len;

	ck_assert_int_ge(fd, 0);
	close(fd);
	in[0] = rec(10, IOREQD_SPACE_PIO, 0x510, 1, false, 0x41);
	in[1] = rec(20, IOREQD_SPACE_MMIO, 0xfeb00008, 8, true, 0x1122334455667788ull);
	in[2] =
	    rec(20, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(0x28, 0x40), 4, true, 0xa11ce5ed);
	w = ioreqd_trace_writer_new(fopen(path, "wb"), &h);
	ck_assert_ptr_nonnull(w);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(ioreqd_trace_writer_add(w, &in[i]), 0);
	ck_assert_uint_eq(ioreqd_trace_writer_count(w), 3);
	ck_assert_int_eq(ioreqd_trace_writer_free(w), 0);
	buf = slurp(path, &len);
	ck_assert_uint_eq(len, IOREQD_TRACE_HDR_SIZE + 3 * IOREQD_TRACE_REC_SIZE);
	ck_assert_int_eq(ioreqd_trace_reader_init(&rd, buf, len, &why), 0);
	ck_assert_uint_eq(rd.hdr.domid, 7);
	ck_assert_uint_eq(rd.hdr.start_ns, 1234567890123ull);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(ioreqd_trace_next(&rd, &out, &why), 1);
		ck_assert_int_eq(memcmp(&out, &in[i], sizeof(out)), 0);
	}
	ck_assert_int_eq(ioreqd_trace_next(&rd, &out, &why), 0);
	free(buf);
	unlink(path);
}
END_TEST

START_TEST(test_trace_layout_is_little_endian_and_fixed)
{
	struct ioreqd_trace_header h = {.domid = 0x01020304, .start_ns = 5};
	struct ioreqd_trace_rec r = rec(0x0807060504030201ull, IOREQD_SPACE_MMIO,
	                                0xfeb00010, 4, false, 0xdeadbeef);
	uint8_t hb[IOREQD_TRACE_HDR_SIZE], rb[IOREQD_TRACE_REC_SIZE];

	ioreqd_trace_encode_header(&h, hb);
	ck_assert_int_eq(
	    memcmp(hb, "IOREQTRC\x01\x00\x20\x00\x20\x00\x00\x00\x04\x03\x02\x01", 20),
	    0);
	ck_assert_uint_eq(hb[24], 5);
	ioreqd_trace_encode_rec(&r, rb);
	ck_assert_uint_eq(rb[0], 0x01);
	ck_assert_uint_eq(rb[7], 0x08);
	ck_assert_uint_eq(rb[8], 0x10);
	ck_assert_uint_eq(rb[16], 0xef);
	ck_assert_uint_eq(rb[24], 1); /* vcpu */
	ck_assert_uint_eq(rb[26], IOREQD_SPACE_MMIO);
	ck_assert_uint_eq(rb[27], 4);
	ck_assert_uint_eq(rb[28], 0);
	ck_assert_uint_eq(rb[29], IOREQD_TRACE_RES_HANDLED);
	ck_assert_uint_eq(rb[30], IOREQD_TRACE_F_DATA_VALID);
}
END_TEST

START_TEST(test_trace_header_defects_are_refused)
{
	struct ioreqd_trace_header h = {.domid = 1}, out;
	uint8_t b[IOREQD_TRACE_HDR_SIZE];
	const char *why;

	ioreqd_trace_encode_header(&h, b);
	ck_assert_int_eq(ioreqd_trace_decode_header(b, sizeof(b), &out, &why), 0);
	ck_assert_int_eq(ioreqd_trace_decode_header(b, 31, &out, &why), -EBADMSG);
	ck_assert_str_eq(why, "shorter than a trace header");
	b[0] = 'X';
	ck_assert_int_eq(ioreqd_trace_decode_header(b, sizeof(b), &out, &why), -EBADMSG);
	ck_assert_str_eq(why, "not a trace (bad magic)");
	ioreqd_trace_encode_header(&h, b);
	b[8] = 2;
	ck_assert_int_eq(ioreqd_trace_decode_header(b, sizeof(b), &out, &why),
	                 -EPROTONOSUPPORT);
	ioreqd_trace_encode_header(&h, b);
	b[12] = 40;
	ck_assert_int_eq(ioreqd_trace_decode_header(b, sizeof(b), &out, &why), -EBADMSG);
	ioreqd_trace_encode_header(&h, b);
	b[21] = 1;
	ck_assert_int_eq(ioreqd_trace_decode_header(b, sizeof(b), &out, &why), -EBADMSG);
	ck_assert_str_eq(why, "reserved header field not zero");
}
END_TEST

/* Encode @p r, apply @p poke at byte @p at, and expect the decoder to refuse. */
static void expect_bad(struct ioreqd_trace_rec r, int at, uint8_t poke, const char *want)
{
	uint8_t b[IOREQD_TRACE_REC_SIZE];
	struct ioreqd_trace_rec out;
	const char *why = NULL;

	ioreqd_trace_encode_rec(&r, b);
	if (at >= 0)
		b[at] = poke;
	ck_assert_int_eq(ioreqd_trace_decode_rec(b, sizeof(b), &out, &why), -EBADMSG);
	ck_assert_msg(why && strcmp(why, want) == 0, "why '%s' want '%s'", why ? why : "",
	              want);
}

START_TEST(test_trace_record_defects_are_refused)
{
	struct ioreqd_trace_rec ok = rec(1, IOREQD_SPACE_MMIO, 0x1000, 4, true, 0), r;
	uint8_t b[IOREQD_TRACE_REC_SIZE];
	const char *why;

	ioreqd_trace_encode_rec(&ok, b);
	ck_assert_int_eq(ioreqd_trace_decode_rec(b, sizeof(b), &r, &why), 0);
	ck_assert_int_eq(ioreqd_trace_decode_rec(b, 31, &r, &why), -EBADMSG);
	expect_bad(ok, 26, 3, "unknown address space");
	expect_bad(ok, 27, 3, "size not 1, 2, 4 or 8");
	expect_bad(ok, 27, 0, "size not 1, 2, 4 or 8");
	expect_bad(ok, 28, 2, "direction not 0 or 1");
	expect_bad(ok, 29, IOREQD_TRACE_RES_COUNT, "unknown result");
	expect_bad(ok, 30, 0x2, "unknown flags");
	expect_bad(ok, 25, 0x80, "vCPU out of range");
	expect_bad(ok, 20, 1, "data wider than the access");
	r = ok;
	r.is_read = false;
	r.flags = 0;
	expect_bad(r, -1, 0, "write without data");
	r = ok;
	r.vcpu = IOREQD_TRACE_VCPU_POSTED;
	expect_bad(r, -1, 0, "posted read");
	expect_bad(rec(1, IOREQD_SPACE_PIO, 0xffff, 2, true, 0), -1, 0,
	           "port access past 0xffff");
	expect_bad(rec(1, IOREQD_SPACE_PIO, 0x510, 8, true, 0), -1, 0,
	           "8-byte port access");
	expect_bad(rec(1, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(8, 0xffe), 4, true, 0), -1, 0,
	           "PCI config access past 4 KiB");
	expect_bad(rec(1, IOREQD_SPACE_MMIO, ~0ull - 2, 4, true, 0), -1, 0,
	           "MMIO access wraps");
	/* Edge cases that are fine. */
	r = rec(1, IOREQD_SPACE_PIO, 0xfffe, 2, false, 0xffff);
	ioreqd_trace_encode_rec(&r, b);
	ck_assert_int_eq(ioreqd_trace_decode_rec(b, sizeof(b), &r, &why), 0);
	r = rec(1, IOREQD_SPACE_MMIO, ~0ull - 7, 8, false, ~0ull);
	ioreqd_trace_encode_rec(&r, b);
	ck_assert_int_eq(ioreqd_trace_decode_rec(b, sizeof(b), &r, &why), 0);
}
END_TEST

START_TEST(test_trace_reader_refuses_truncation_and_time_reversal)
{
	uint8_t buf[IOREQD_TRACE_HDR_SIZE + 2 * IOREQD_TRACE_REC_SIZE];
	struct ioreqd_trace_header h = {0};
	struct ioreqd_trace_rec a = rec(100, IOREQD_SPACE_MMIO, 0, 1, true, 0), out;
	struct ioreqd_trace_rec b = rec(99, IOREQD_SPACE_MMIO, 0, 1, true, 0);
	struct ioreqd_trace_reader rd;
	const char *why;

	ioreqd_trace_encode_header(&h, buf);
	ioreqd_trace_encode_rec(&a, buf + IOREQD_TRACE_HDR_SIZE);
	ioreqd_trace_encode_rec(&b, buf + IOREQD_TRACE_HDR_SIZE + IOREQD_TRACE_REC_SIZE);
	ck_assert_int_eq(ioreqd_trace_reader_init(&rd, buf, sizeof(buf), &why), 0);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &out, &why), 1);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &out, &why), -EBADMSG);
	ck_assert_str_eq(why, "time goes backwards");
	ck_assert_uint_eq(rd.index, 1);
	ck_assert_int_eq(ioreqd_trace_reader_init(&rd, buf, sizeof(buf) - 5, &why), 0);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &out, &why), 1);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &out, &why), -EBADMSG);
	ck_assert_str_eq(why, "truncated record");
	/* Header only: a valid empty trace. */
	ck_assert_int_eq(ioreqd_trace_reader_init(&rd, buf, IOREQD_TRACE_HDR_SIZE, &why),
	                 0);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &out, &why), 0);
}
END_TEST

START_TEST(test_trace_writer_clamps_time_to_keep_order)
{
	char path[] = "/tmp/check_trace.XXXXXX";
	int fd = mkstemp(path);
	struct ioreqd_trace_header h = {0};
	struct ioreqd_trace_writer *w;
	struct ioreqd_trace_rec a = rec(50, IOREQD_SPACE_MMIO, 0, 1, true, 0), out;
	struct ioreqd_trace_reader rd;
	const char *why;
	uint8_t *buf;
	size_t len;

	close(fd);
	w = ioreqd_trace_writer_new(fopen(path, "wb"), &h);
	ck_assert_ptr_nonnull(w);
	ioreqd_trace_writer_add(w, &a);
	a.t_ns = 10;
	ioreqd_trace_writer_add(w, &a);
	ck_assert_int_eq(ioreqd_trace_writer_free(w), 0);
	buf = slurp(path, &len);
	ck_assert_int_eq(ioreqd_trace_reader_init(&rd, buf, len, &why), 0);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &out, &why), 1);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &out, &why), 1);
	ck_assert_uint_eq(out.t_ns, 50);
	free(buf);
	unlink(path);
}
END_TEST

START_TEST(test_trace_hook_records_and_passes_everything_on)
{
	char path[] = "/tmp/check_trace.XXXXXX";
	int fd = mkstemp(path);
	char conf[128];
	struct mock *m = mock_new(9);
	struct ioreqd_trace_reader rd;
	struct ioreqd_trace_rec r;
	ioreqd_dev_t *dev;
	const char *why;
	uint8_t *buf;
	size_t len;

	close(fd);
	ck_assert_int_eq(mock_add(m, &ioreqd_hook_scratch, "s",
	                          "mmio = 0xfeb00000+0x100\n"
	                          "fill = 0x5a",
	                          NULL),
	                 0);
	snprintf(conf, sizeof(conf), "mmio = 0xfeb00000+0x100\norder = first\nfile = %s",
	         path);
	ck_assert_int_eq(mock_add(m, &ioreqd_hook_trace, "t", conf, &dev), 0);
	mock_write(m, IOREQD_SPACE_MMIO, 0xfeb00010, 4, 0xcafef00d);
	/* The result is the scratch device's: trace only watches. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0xfeb00010, 4), 0xcafef00d);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0xfeb00020, 1), 0x5a);
	mock_dev_fini(dev);
	ck_assert(mock_log_contains(m, "trace: 3 access(es) recorded"));
	buf = slurp(path, &len);
	ck_assert_int_eq(ioreqd_trace_reader_init(&rd, buf, len, &why), 0);
	ck_assert_uint_eq(rd.hdr.domid, 9);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &r, &why), 1);
	ck_assert(!r.is_read);
	ck_assert_uint_eq(r.addr, 0xfeb00010);
	ck_assert_uint_eq(r.size, 4);
	ck_assert_uint_eq(r.data, 0xcafef00d);
	ck_assert_uint_eq(r.space, IOREQD_SPACE_MMIO);
	ck_assert_uint_eq(r.vcpu, 0);
	ck_assert_uint_eq(r.flags, IOREQD_TRACE_F_DATA_VALID);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &r, &why), 1);
	ck_assert(r.is_read);
	/* Recorded at the end of the access: what the scratch device answered. */
	ck_assert_uint_eq(r.flags, IOREQD_TRACE_F_DATA_VALID);
	ck_assert_uint_eq(r.result, IOREQD_TRACE_RES_HANDLED);
	ck_assert_uint_eq(r.data, 0xcafef00d);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &r, &why), 1);
	ck_assert_uint_eq(r.addr, 0xfeb00020);
	ck_assert_int_eq(ioreqd_trace_next(&rd, &r, &why), 0);
	free(buf);
	mock_free(m);
	unlink(path);
}
END_TEST

START_TEST(test_trace_hook_needs_a_writable_file)
{
	struct mock *m = mock_new(1);

	ck_assert_int_eq(mock_add(m, &ioreqd_hook_trace, "t", "mmio = 0x1000+16", NULL),
	                 -EINVAL);
	ck_assert(strstr(mock_error(m), "file: required"));
	ck_assert_int_eq(mock_add(m, &ioreqd_hook_trace, "t",
	                          "mmio = 0x1000+16\nfile = /nonexistent/dir/x.trace",
	                          NULL),
	                 -EINVAL);
	ck_assert(
	    strstr(mock_error(m), "file: cannot create '/nonexistent/dir/x.trace'"));
	mock_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("format");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_trace_writer_and_reader_round_trip);
	tcase_add_test(tc, test_trace_layout_is_little_endian_and_fixed);
	tcase_add_test(tc, test_trace_header_defects_are_refused);
	tcase_add_test(tc, test_trace_record_defects_are_refused);
	tcase_add_test(tc, test_trace_reader_refuses_truncation_and_time_reversal);
	tcase_add_test(tc, test_trace_writer_clamps_time_to_keep_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("hook");
	tcase_add_test(tc, test_trace_hook_records_and_passes_everything_on);
	tcase_add_test(tc, test_trace_hook_needs_a_writable_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
