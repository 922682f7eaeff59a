/* SPDX-License-Identifier: MIT */
/*
 * The virtio core's split virtqueues: every malformed ring the guest can
 * write, one test each, run against the guest-side driver.  The well-formed
 * paths are check_virtio_queue_serve.c.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#include "virtio-fixture.h"
#include "virtio-internal.h"

static struct fx fx;

static void setup(void)
{
	fx_init(&fx);
	fx_up(&fx, fx_all_features(), FX_QSIZE);
}

static void teardown(void)
{
	fx_fini(&fx);
}

/* The device is out of service because of @p err on queue 0, and said so. */
static void expect_broken(enum ioreqd_virtq_error err)
{
	ioreqd_virtq_req_t *req = NULL;

	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), -EIO);
	ck_assert_ptr_null(req);
	ck_assert_uint_eq(fx_err(&fx, err), 1);
	ck_assert(ioreqd_virtio_status(fx.dev) & IOREQD_VIRTIO_S_NEEDS_RESET);
	ck_assert_uint_eq(fx.config_irqs, 1);
	ck_assert_ptr_nonnull(strstr(fx.last_log, "queue 0"));
	/* It stays out of service, without another interrupt, until a reset. */
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), -EIO);
	ck_assert_uint_eq(fx.config_irqs, 1);
	ioreqd_virtio_reset(fx.dev);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), 0);
}

/*
 * The core failed the request at @p head because of @p err: it is used with
 * the error status (when @p status_gpa is not 0) and the queue goes on.
 */
static void expect_failed(uint16_t head, enum ioreqd_virtq_error err, uint64_t status_gpa)
{
	ioreqd_virtq_req_t *req = NULL;
	struct ioreqd_virtq_stats st;
	uint32_t id, len;

	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), -EAGAIN);
	ck_assert_uint_eq(fx_err(&fx, err), 1);
	ck_assert_uint_eq(fx_used_idx(&fx), 1);
	fx_used_elem(&fx, 0, &id, &len);
	ck_assert_uint_eq(id, head);
	if (status_gpa) {
		ck_assert_uint_eq(len, 1);
		ck_assert_uint_eq(*(uint8_t *)fx_hva(&fx, status_gpa), FX_IOERR);
	} else {
		ck_assert_uint_eq(len, 0);
	}
	ioreqd_virtq_stats(fx.q, &st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.requests, 0);
	ck_assert_uint_eq(st.in_flight, 0);
	ck_assert(!(ioreqd_virtio_status(fx.dev) & IOREQD_VIRTIO_S_NEEDS_RESET));
	ck_assert_uint_eq(fx.config_irqs, 0);
	/* The next, well-formed request is served. */
	fx_desc(&fx, 5, FX_DATA_GPA, 4, 0, 0);
	fx_avail(&fx, 5);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ck_assert_uint_eq(ioreqd_virtq_req_head(req), 5);
	ck_assert_int_eq(ioreqd_virtq_push(req, 0), 0);
}

/* Bring a fresh device to FEATURES_OK, to try queue layouts on it. */
static void to_features_ok(void)
{
	fx_fini(&fx);
	fx_init(&fx);
	ioreqd_virtio_set_status(fx.dev, IOREQD_VIRTIO_S_ACKNOWLEDGE);
	ioreqd_virtio_set_status(fx.dev,
	                         IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER);
	ioreqd_virtio_set_driver_features(fx.dev, fx_all_features());
	ck_assert_int_eq(
	    ioreqd_virtio_set_status(fx.dev, IOREQD_VIRTIO_S_ACKNOWLEDGE |
	                                         IOREQD_VIRTIO_S_DRIVER |
	                                         IOREQD_VIRTIO_S_FEATURES_OK),
	    0);
}

static int try_layout(uint32_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	struct ioreqd_virtq_layout l = {
	    .size = size, .desc = desc, .avail = avail, .used = used};

	return ioreqd_virtq_enable(ioreqd_virtio_queue(fx.dev, 1), &l);
}

static uint64_t q1_err(enum ioreqd_virtq_error err)
{
	struct ioreqd_virtq_stats st;

	ioreqd_virtq_stats(ioreqd_virtio_queue(fx.dev, 1), &st);
	return st.errors[err];
}

#define GOOD_DESC (FX_RAM_GPA + 0x10000)
#define GOOD_AVAIL (FX_RAM_GPA + 0x11000)
#define GOOD_USED (FX_RAM_GPA + 0x12000)

/* --- queue layouts the driver may not choose --- */

START_TEST(test_refuse_queue_size_zero)
{
	to_features_ok();
	ck_assert_int_eq(try_layout(0, GOOD_DESC, GOOD_AVAIL, GOOD_USED), -EINVAL);
	ck_assert_uint_eq(q1_err(IOREQD_VIRTQ_ERR_QSIZE), 1);
	ck_assert(!ioreqd_virtq_ready(ioreqd_virtio_queue(fx.dev, 1)));
}
END_TEST

START_TEST(test_refuse_queue_size_not_power_of_two)
{
	to_features_ok();
	ck_assert_int_eq(try_layout(6, GOOD_DESC, GOOD_AVAIL, GOOD_USED), -EINVAL);
	ck_assert_uint_eq(q1_err(IOREQD_VIRTQ_ERR_QSIZE), 1);
}
END_TEST

START_TEST(test_refuse_queue_size_over_maximum)
{
	to_features_ok();
	ck_assert_int_eq(try_layout(FX_QMAX * 2, GOOD_DESC, GOOD_AVAIL, GOOD_USED),
	                 -EINVAL);
	ck_assert_int_eq(try_layout(65536, GOOD_DESC, GOOD_AVAIL, GOOD_USED), -EINVAL);
	ck_assert_uint_eq(q1_err(IOREQD_VIRTQ_ERR_QSIZE), 2);
	ck_assert_uint_eq(ioreqd_virtq_max_size(ioreqd_virtio_queue(fx.dev, 1)), FX_QMAX);
}
END_TEST

START_TEST(test_refuse_misaligned_descriptor_table)
{
	to_features_ok();
	ck_assert_int_eq(try_layout(8, GOOD_DESC + 8, GOOD_AVAIL, GOOD_USED), -EINVAL);
	ck_assert_uint_eq(q1_err(IOREQD_VIRTQ_ERR_ALIGN), 1);
}
END_TEST

START_TEST(test_refuse_misaligned_avail_ring)
{
	to_features_ok();
	ck_assert_int_eq(try_layout(8, GOOD_DESC, GOOD_AVAIL + 1, GOOD_USED), -EINVAL);
	ck_assert_uint_eq(q1_err(IOREQD_VIRTQ_ERR_ALIGN), 1);
}
END_TEST

START_TEST(test_refuse_misaligned_used_ring)
{
	to_features_ok();
	ck_assert_int_eq(try_layout(8, GOOD_DESC, GOOD_AVAIL, GOOD_USED + 2), -EINVAL);
	ck_assert_uint_eq(q1_err(IOREQD_VIRTQ_ERR_ALIGN), 1);
}
END_TEST

START_TEST(test_refuse_ring_outside_ram)
{
	to_features_ok();
	ck_assert_int_eq(try_layout(8, 0x1000, GOOD_AVAIL, GOOD_USED), -EFAULT);
	ck_assert_int_eq(
	    try_layout(8, GOOD_DESC, GOOD_AVAIL, FX_RAM_GPA + FX_RAM_SIZE - 8), -EFAULT);
	ck_assert_uint_eq(q1_err(IOREQD_VIRTQ_ERR_RING_ADDR), 2);
	ck_assert_int_eq(fx.maps_live, 0); /* what did map was released */
}
END_TEST

START_TEST(test_refuse_ring_that_wraps)
{
	to_features_ok();
	ck_assert_int_eq(try_layout(8, GOOD_DESC, GOOD_AVAIL, 0xfffffffffffffff0ull),
	                 -EFAULT);
	ck_assert_uint_eq(q1_err(IOREQD_VIRTQ_ERR_RING_ADDR), 1);
	ck_assert_int_eq(fx.maps_live, 0);
}
END_TEST

START_TEST(test_refuse_enable_before_features_ok)
{
	fx_fini(&fx);
	fx_init(&fx);
	ck_assert_int_eq(try_layout(8, GOOD_DESC, GOOD_AVAIL, GOOD_USED), -EBUSY);
	to_features_ok();
	ck_assert_int_eq(try_layout(8, GOOD_DESC, GOOD_AVAIL, GOOD_USED), 0);
	ck_assert_int_eq(try_layout(8, GOOD_DESC, GOOD_AVAIL, GOOD_USED), -EBUSY);
}
END_TEST

/* --- rings that break the device --- */

START_TEST(test_refuse_avail_idx_jump)
{
	fx_avail_idx(&fx, FX_QSIZE + 1);
	expect_broken(IOREQD_VIRTQ_ERR_AVAIL_IDX);
}
END_TEST

START_TEST(test_refuse_avail_idx_backwards)
{
	fx_avail_idx(&fx, 0xffff); /* 65535 entries "available": far beyond the queue */
	expect_broken(IOREQD_VIRTQ_ERR_AVAIL_IDX);
}
END_TEST

START_TEST(test_refuse_head_out_of_range)
{
	fx_avail(&fx, FX_QSIZE);
	expect_broken(IOREQD_VIRTQ_ERR_HEAD_RANGE);
}
END_TEST

START_TEST(test_refuse_head_already_in_flight)
{
	ioreqd_virtq_req_t *req;

	fx_desc(&fx, 0, FX_DATA_GPA, 4, 0, 0);
	fx_avail(&fx, 0);
	fx_avail(&fx, 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ck_assert_int_eq(ioreqd_virtq_push(req, 0), 0);
	/* Now with the first still in flight. */
	fx_avail(&fx, 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_HEAD_IN_USE);
	ck_assert_int_eq(ioreqd_virtq_push(req, 0), -ESTALE);
}
END_TEST

START_TEST(test_refuse_next_out_of_range)
{
	fx_desc(&fx, 0, FX_DATA_GPA, 4, D_NEXT, FX_QSIZE);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_NEXT_RANGE);
}
END_TEST

START_TEST(test_refuse_descriptor_loop)
{
	fx_desc(&fx, 0, FX_DATA_GPA, 4, D_NEXT, 1);
	fx_desc(&fx, 1, FX_DATA_GPA, 4, D_NEXT, 2);
	fx_desc(&fx, 2, FX_DATA_GPA, 4, D_NEXT, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_LOOP);
}
END_TEST

START_TEST(test_refuse_descriptor_self_loop)
{
	fx_desc(&fx, 3, FX_DATA_GPA, 4, D_WRITE | D_NEXT, 3);
	fx_avail(&fx, 3);
	expect_broken(IOREQD_VIRTQ_ERR_LOOP);
}
END_TEST

START_TEST(test_refuse_loop_in_indirect_table)
{
	fx_desc(&fx, 0, TABLE_GPA, 4 * 16, D_INDIRECT, 0);
	fx_idesc(&fx, TABLE_GPA, 0, FX_DATA_GPA, 4, D_NEXT, 1);
	fx_idesc(&fx, TABLE_GPA, 1, FX_DATA_GPA, 4, D_NEXT, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_LOOP);
}
END_TEST

START_TEST(test_refuse_next_out_of_indirect_table)
{
	fx_desc(&fx, 0, TABLE_GPA, 2 * 16, D_INDIRECT, 0);
	fx_idesc(&fx, TABLE_GPA, 0, FX_DATA_GPA, 4, D_NEXT, 1);
	fx_idesc(&fx, TABLE_GPA, 1, FX_DATA_GPA, 4, D_NEXT, 2); /* table has 2 entries */
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_NEXT_RANGE);
}
END_TEST

START_TEST(test_refuse_indirect_table_longer_than_queue)
{
	fx_desc(&fx, 0, TABLE_GPA, (FX_QSIZE + 1) * 16, D_INDIRECT, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_CHAIN_LEN);
}
END_TEST

START_TEST(test_refuse_chain_longer_than_queue)
{
	/* Seven direct buffers, then an indirect table of two: nine > 8. */
	for (uint16_t i = 0; i < 7; i++)
		fx_desc(&fx, i, FX_DATA_GPA, 4, D_NEXT, (uint16_t)(i + 1));
	fx_desc(&fx, 7, TABLE_GPA, 2 * 16, D_INDIRECT, 0);
	fx_idesc(&fx, TABLE_GPA, 0, FX_DATA_GPA, 4, D_NEXT, 1);
	fx_idesc(&fx, TABLE_GPA, 1, FX_DATA_GPA, 4, 0, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_CHAIN_LEN);
}
END_TEST

START_TEST(test_refuse_indirect_without_feature)
{
	fx_fini(&fx);
	fx_init(&fx);
	fx_up(&fx, BIT(IOREQD_VIRTIO_F_VERSION_1) | BIT(IOREQD_VIRTIO_F_EVENT_IDX),
	      FX_QSIZE);
	fx_desc(&fx, 0, TABLE_GPA, 16, D_INDIRECT, 0);
	fx_idesc(&fx, TABLE_GPA, 0, FX_DATA_GPA, 4, 0, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_INDIRECT_FEATURE);
}
END_TEST

START_TEST(test_refuse_indirect_within_indirect)
{
	fx_desc(&fx, 0, TABLE_GPA, 2 * 16, D_INDIRECT, 0);
	fx_idesc(&fx, TABLE_GPA, 0, FX_DATA_GPA, 4, D_NEXT, 1);
	fx_idesc(&fx, TABLE_GPA, 1, TABLE_GPA, 2 * 16, D_INDIRECT, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_INDIRECT_NESTED);
}
END_TEST

START_TEST(test_refuse_indirect_with_next)
{
	fx_desc(&fx, 0, TABLE_GPA, 16, D_INDIRECT | D_NEXT, 1);
	fx_idesc(&fx, TABLE_GPA, 0, FX_DATA_GPA, 4, 0, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_INDIRECT_NEXT);
}
END_TEST

START_TEST(test_refuse_indirect_len_zero)
{
	fx_desc(&fx, 0, TABLE_GPA, 0, D_INDIRECT, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_INDIRECT_LEN);
}
END_TEST

START_TEST(test_refuse_indirect_len_not_multiple_of_16)
{
	fx_desc(&fx, 0, TABLE_GPA, 24, D_INDIRECT, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_INDIRECT_LEN);
}
END_TEST

START_TEST(test_refuse_writable_before_readable)
{
	fx_desc(&fx, 0, FX_DATA_GPA, 4, D_WRITE | D_NEXT, 1);
	fx_desc(&fx, 1, FX_DATA_GPA + 4, 4, 0, 0);
	fx_avail(&fx, 0);
	expect_broken(IOREQD_VIRTQ_ERR_ORDER);
}
END_TEST

START_TEST(test_refuse_rings_gone_after_invalidate)
{
	fx_desc(&fx, 0, FX_DATA_GPA, 4, 0, 0);
	fx_avail(&fx, 0);
	ioreqd_virtio_invalidate(fx.dev);
	ck_assert_int_eq(fx.maps_live, 0); /* no ring mapping survives an invalidate */
	fx.refuse_maps = true;             /* and the ring's memory is gone */
	expect_broken(IOREQD_VIRTQ_ERR_RING_ADDR);
}
END_TEST

/* --- requests that fail alone --- */

START_TEST(test_fail_buffer_outside_ram)
{
	fx_desc(&fx, 2, 0x1000, 512, D_NEXT, 3);
	fx_desc(&fx, 3, FX_DATA_GPA + 100, 1, D_WRITE, 0);
	fx_avail(&fx, 2);
	expect_failed(2, IOREQD_VIRTQ_ERR_BUF_ADDR, FX_DATA_GPA + 100);
}
END_TEST

START_TEST(test_fail_buffer_straddling_end_of_ram)
{
	fx_desc(&fx, 0, FX_RAM_GPA + FX_RAM_SIZE - 8, 16, D_NEXT, 1);
	fx_desc(&fx, 1, FX_DATA_GPA + 7, 1, D_WRITE, 0);
	fx_avail(&fx, 0);
	expect_failed(0, IOREQD_VIRTQ_ERR_BUF_ADDR, FX_DATA_GPA + 7);
}
END_TEST

START_TEST(test_fail_buffer_address_wraps)
{
	fx_desc(&fx, 0, 0xfffffffffffffff0ull, 0x20, D_NEXT, 1);
	fx_desc(&fx, 1, FX_DATA_GPA + 9, 1, D_WRITE, 0);
	fx_avail(&fx, 0);
	expect_failed(0, IOREQD_VIRTQ_ERR_BUF_ADDR, FX_DATA_GPA + 9);
}
END_TEST

START_TEST(test_fail_writable_buffer_outside_ram_no_status)
{
	/* The status byte itself is what cannot be reached: used with length 0. */
	fx_desc(&fx, 0, FX_DATA_GPA, 16, D_NEXT, 1);
	fx_desc(&fx, 1, FX_RAM_GPA - 1, 1, D_WRITE, 0);
	fx_avail(&fx, 0);
	expect_failed(0, IOREQD_VIRTQ_ERR_BUF_ADDR, 0);
}
END_TEST

START_TEST(test_fail_lengths_over_4gib)
{
	fx_desc(&fx, 0, FX_DATA_GPA, 0xffffffffu, D_NEXT, 1);
	fx_desc(&fx, 1, FX_DATA_GPA, 2, D_NEXT, 2);
	fx_desc(&fx, 2, FX_DATA_GPA + 50, 1, D_WRITE, 0);
	fx_avail(&fx, 0);
	expect_failed(0, IOREQD_VIRTQ_ERR_BUF_LEN, FX_DATA_GPA + 50);
	ck_assert_int_eq(fx.maps_live, 3); /* the rings only */
}
END_TEST

START_TEST(test_fail_indirect_table_outside_ram)
{
	fx_desc(&fx, 1, FX_RAM_GPA + FX_RAM_SIZE, 32, D_INDIRECT, 0);
	fx_avail(&fx, 1);
	expect_failed(1, IOREQD_VIRTQ_ERR_INDIRECT_ADDR, 0);
}
END_TEST

START_TEST(test_fail_out_of_memory_mid_chain_no_status)
{
	ioreqd_virtq_req_t *req = NULL;
	struct ioreqd_virtq_stats st;
	uint8_t data[512];
	uint32_t id, len;

	/* A queue of 16, so a chain can outgrow a request's first 8 segments. */
	ioreqd_virtio_reset(fx.dev);
	fx_up(&fx, fx_all_features(), 16);
	/* 7 readable, a writable data buffer, then the status byte: 9 segments. */
	fx_desc(&fx, 0, TABLE_GPA, 9 * 16, D_INDIRECT, 0);
	for (uint16_t i = 0; i < 7; i++)
		fx_idesc(&fx, TABLE_GPA, i, FX_DATA_GPA + i * 16u, 16, D_NEXT, i + 1);
	fx_idesc(&fx, TABLE_GPA, 7, FX_DATA_GPA + 0x1000, 512, D_NEXT | D_WRITE, 8);
	fx_idesc(&fx, TABLE_GPA, 8, FX_DATA_GPA + 0x2000, 1, D_WRITE, 0);
	memset(fx_hva(&fx, FX_DATA_GPA + 0x1000), 0x5a, sizeof(data));
	memset(data, 0x5a, sizeof(data));
	*(uint8_t *)fx_hva(&fx, FX_DATA_GPA + 0x2000) = 0xee;
	fx_avail(&fx, 0);
	/* The first growth (8 segments) works, the one for the 9th does not. */
	virtq_inject_grow_failure(1);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), -EAGAIN);
	virtq_inject_grow_failure(-1);
	/* Failed alone, with nothing written: not the data, not a status. */
	ck_assert_uint_eq(fx_used_idx(&fx), 1);
	fx_used_elem(&fx, 0, &id, &len);
	ck_assert_uint_eq(id, 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_mem_eq(fx_hva(&fx, FX_DATA_GPA + 0x1000), data, sizeof(data));
	ck_assert_uint_eq(*(uint8_t *)fx_hva(&fx, FX_DATA_GPA + 0x2000), 0xee);
	ioreqd_virtq_stats(fx.q, &st);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.in_flight, 0);
	ck_assert(!(ioreqd_virtio_status(fx.dev) & IOREQD_VIRTIO_S_NEEDS_RESET));
	ck_assert_uint_eq(fx.maps_live, 3); /* the rings only */
	/* The same chain again, with memory: served whole. */
	fx_avail(&fx, 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ck_assert_uint_eq(ioreqd_virtq_req_in_len(req), 513);
	ck_assert_int_eq(ioreqd_virtq_push(req, 1), 0);
}
END_TEST

START_TEST(test_write_to_readonly_descriptor_refused)
{
	ioreqd_virtq_req_t *req;
	uint8_t *buf = fx_hva(&fx, FX_DATA_GPA);
	uint32_t id, len;
	unsigned n;

	memset(buf, 0xaa, 32);
	fx_desc(&fx, 0, FX_DATA_GPA, 32, 0, 0);
	fx_avail(&fx, 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ck_assert_uint_eq(ioreqd_virtq_req_in_len(req), 0);
	ck_assert_ptr_null(ioreqd_virtq_req_in(req, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(ioreqd_virtq_req_write(req, 0, "xyz", 3), 0);
	/* A device claiming to have written is clamped to the writable length. */
	ck_assert_int_eq(ioreqd_virtq_push(req, 100), 0);
	fx_used_elem(&fx, 0, &id, &len);
	ck_assert_uint_eq(len, 0);
	for (int i = 0; i < 32; i++)
		ck_assert_uint_eq(buf[i], 0xaa);
}
END_TEST

START_TEST(test_nothing_before_driver_ok)
{
	ioreqd_virtq_req_t *req;

	to_features_ok();
	ck_assert_int_eq(try_layout(8, GOOD_DESC, GOOD_AVAIL, GOOD_USED), 0);
	vring_store16(fx_hva(&fx, GOOD_AVAIL), VRING_AVAIL_IDX, 1, __ATOMIC_RELAXED);
	ck_assert_int_eq(ioreqd_virtq_pop(ioreqd_virtio_queue(fx.dev, 1), &req), -EAGAIN);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), -EAGAIN); /* queue 0 not enabled */
}
END_TEST

static Suite *virtio_queue_suite(void)
{
	Suite *s = suite_create("virtio_queue");
	TCase *layout = tcase_create("layout");
	TCase *broken = tcase_create("broken");
	TCase *failed = tcase_create("failed");

	tcase_add_checked_fixture(layout, setup, teardown);
	tcase_add_test(layout, test_refuse_queue_size_zero);
	tcase_add_test(layout, test_refuse_queue_size_not_power_of_two);
	tcase_add_test(layout, test_refuse_queue_size_over_maximum);
	tcase_add_test(layout, test_refuse_misaligned_descriptor_table);
	tcase_add_test(layout, test_refuse_misaligned_avail_ring);
	tcase_add_test(layout, test_refuse_misaligned_used_ring);
	tcase_add_test(layout, test_refuse_ring_outside_ram);
	tcase_add_test(layout, test_refuse_ring_that_wraps);
	tcase_add_test(layout, test_refuse_enable_before_features_ok);
	tcase_add_test(layout, test_nothing_before_driver_ok);
	suite_add_tcase(s, layout);

	tcase_add_checked_fixture(broken, setup, teardown);
	tcase_add_test(broken, test_refuse_avail_idx_jump);
	tcase_add_test(broken, test_refuse_avail_idx_backwards);
	tcase_add_test(broken, test_refuse_head_out_of_range);
	tcase_add_test(broken, test_refuse_head_already_in_flight);
	tcase_add_test(broken, test_refuse_next_out_of_range);
	tcase_add_test(broken, test_refuse_descriptor_loop);
	tcase_add_test(broken, test_refuse_descriptor_self_loop);
	tcase_add_test(broken, test_refuse_loop_in_indirect_table);
	tcase_add_test(broken, test_refuse_next_out_of_indirect_table);
	tcase_add_test(broken, test_refuse_indirect_table_longer_than_queue);
	tcase_add_test(broken, test_refuse_chain_longer_than_queue);
	tcase_add_test(broken, test_refuse_indirect_without_feature);
	tcase_add_test(broken, test_refuse_indirect_within_indirect);
	tcase_add_test(broken, test_refuse_indirect_with_next);
	tcase_add_test(broken, test_refuse_indirect_len_zero);
	tcase_add_test(broken, test_refuse_indirect_len_not_multiple_of_16);
	tcase_add_test(broken, test_refuse_writable_before_readable);
	tcase_add_test(broken, test_refuse_rings_gone_after_invalidate);
	suite_add_tcase(s, broken);

	tcase_add_checked_fixture(failed, setup, teardown);
	tcase_add_test(failed, test_fail_buffer_outside_ram);
	tcase_add_test(failed, test_fail_buffer_straddling_end_of_ram);
	tcase_add_test(failed, test_fail_buffer_address_wraps);
	tcase_add_test(failed, test_fail_writable_buffer_outside_ram_no_status);
	tcase_add_test(failed, test_fail_lengths_over_4gib);
	tcase_add_test(failed, test_fail_indirect_table_outside_ram);
	tcase_add_test(failed, test_fail_out_of_memory_mid_chain_no_status);
	tcase_add_test(failed, test_write_to_readonly_descriptor_refused);
	suite_add_tcase(s, failed);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtio_queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
