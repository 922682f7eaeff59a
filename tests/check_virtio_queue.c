/* SPDX-License-Identifier: MIT */
/*
 * The virtio core's split virtqueues: every malformed ring the guest can
 * write, one test each, and the happy paths (chains, indirect tables, event
 * index wrap at 65535, batching), run against the guest-side driver.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#include "virtio-fixture.h"
#include "virtio-internal.h"

#define BIT(n) (1ull << (n))
#define D_NEXT VRING_DESC_F_NEXT
#define D_WRITE VRING_DESC_F_WRITE
#define D_INDIRECT VRING_DESC_F_INDIRECT
#define TABLE_GPA (FX_INDIRECT_GPA + 0x8000)

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

/* --- happy paths --- */

struct cookie {
	int tag;
};

START_TEST(test_request_roundtrip)
{
	struct cookie c = {1};
	struct ioreqd_vdrv_buf bufs[2] = {{FX_DATA_GPA, 5}, {FX_DATA_GPA + 0x100, 16}};
	ioreqd_virtq_req_t *req;
	char out[8] = {0};
	uint32_t len;
	unsigned n;

	memcpy(fx_hva(&fx, FX_DATA_GPA), "hello", 5);
	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, bufs, 1, 1, false, &c), 0);
	ck_assert(ioreqd_vdrv_kick_needed(&fx.drv));
	ioreqd_virtio_queue_notify(fx.dev, 0);
	ck_assert_uint_eq(fx.notifies, 1);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ck_assert_ptr_eq(ioreqd_virtq_req_queue(req), fx.q);
	ck_assert_uint_eq(ioreqd_virtq_req_out_len(req), 5);
	ck_assert_uint_eq(ioreqd_virtq_req_in_len(req), 16);
	ck_assert_uint_eq(ioreqd_virtq_req_read(req, 0, out, sizeof(out)), 5);
	ck_assert_str_eq(out, "hello");
	ck_assert_ptr_nonnull(ioreqd_virtq_req_out(req, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ioreqd_virtq_req_write(req, 0, "world", 6), 6);
	ck_assert_int_eq(ioreqd_virtq_push(req, 6), 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), -EAGAIN);
	ck_assert_int_eq(ioreqd_virtq_notify(fx.q), 1);
	ck_assert_uint_eq(fx.vring_irqs[0], 1);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&fx.drv, &len), &c);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq((char *)fx_hva(&fx, FX_DATA_GPA + 0x100), "world");
	ck_assert_uint_eq(ioreqd_vdrv_num_free(&fx.drv), FX_QSIZE);
	ck_assert_uint_ge(fx.dirty_bytes, 6 + 8 + 2); /* data, used element, used idx */
}
END_TEST

/* Six segments, read and written across their boundaries; the iterator order. */
static void check_six_segments(bool indirect)
{
	struct cookie c = {2};
	struct ioreqd_vdrv_buf bufs[6];
	ioreqd_virtq_req_t *req;
	struct ioreqd_virtq_seg seg;
	char got[16] = {0};
	uint32_t len;
	unsigned i;

	for (i = 0; i < 6; i++)
		bufs[i] = (struct ioreqd_vdrv_buf){FX_DATA_GPA + i * 0x100, 3};
	memcpy(fx_hva(&fx, bufs[0].gpa), "abc", 3);
	memcpy(fx_hva(&fx, bufs[1].gpa), "def", 3);
	memcpy(fx_hva(&fx, bufs[2].gpa), "ghi", 3);
	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, bufs, 3, 3, indirect, &c), 0);
	ck_assert_uint_eq(ioreqd_vdrv_num_free(&fx.drv),
	                  indirect ? FX_QSIZE - 1 : FX_QSIZE - 6);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	for (i = 0; ioreqd_virtq_req_seg(req, i, &seg); i++) {
		ck_assert_uint_eq(seg.len, 3);
		ck_assert(seg.writable == (i >= 3));
	}
	ck_assert_uint_eq(i, 6);
	ck_assert_uint_eq(ioreqd_virtq_req_read(req, 2, got, 5), 5);
	ck_assert_str_eq(got, "cdefg");
	ck_assert_uint_eq(ioreqd_virtq_req_read(req, 8, got, 5), 1);
	ck_assert_uint_eq(ioreqd_virtq_req_write(req, 1, "12345678", 8), 8);
	ck_assert_uint_eq(ioreqd_virtq_req_write(req, 8, "xy", 2), 1);
	ck_assert_int_eq(ioreqd_virtq_push(req, 9), 0);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&fx.drv, &len), &c);
	ck_assert_uint_eq(len, 9);
	ck_assert_int_eq(memcmp((char *)fx_hva(&fx, bufs[3].gpa) + 1, "12", 2), 0);
	ck_assert_int_eq(memcmp(fx_hva(&fx, bufs[4].gpa), "345", 3), 0);
	ck_assert_int_eq(memcmp(fx_hva(&fx, bufs[5].gpa), "67x", 3), 0);
	ck_assert_uint_eq(ioreqd_vdrv_num_free(&fx.drv), FX_QSIZE);
}

START_TEST(test_chain_of_six_segments)
{
	check_six_segments(false);
}
END_TEST

START_TEST(test_indirect_table_of_six_segments)
{
	check_six_segments(true);
}
END_TEST

START_TEST(test_direct_then_indirect_chain)
{
	ioreqd_virtq_req_t *req;
	unsigned nout, nin;

	/* 2.7.5.3.2: normal descriptors may precede the one indirect descriptor. */
	fx_desc(&fx, 0, FX_DATA_GPA, 8, D_NEXT, 1);
	fx_desc(&fx, 1, TABLE_GPA, 2 * 16, D_INDIRECT | D_WRITE, 0);
	fx_idesc(&fx, TABLE_GPA, 0, FX_DATA_GPA + 8, 8, D_NEXT, 1);
	fx_idesc(&fx, TABLE_GPA, 1, FX_DATA_GPA + 16, 8, D_WRITE, 0);
	fx_avail(&fx, 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ioreqd_virtq_req_out(req, &nout);
	ioreqd_virtq_req_in(req, &nin);
	ck_assert_uint_eq(nout, 2);
	ck_assert_uint_eq(nin, 1);
	ck_assert_int_eq(ioreqd_virtq_push(req, 8), 0);
}
END_TEST

START_TEST(test_zero_length_descriptors_skipped)
{
	ioreqd_virtq_req_t *req;
	unsigned nout, nin;

	fx_desc(&fx, 0, 0, 0, D_NEXT, 1); /* address irrelevant: nothing to map */
	fx_desc(&fx, 1, FX_DATA_GPA, 4, D_WRITE, 0);
	fx_avail(&fx, 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ioreqd_virtq_req_out(req, &nout);
	ioreqd_virtq_req_in(req, &nin);
	ck_assert_uint_eq(nout, 0);
	ck_assert_uint_eq(nin, 1);
	ck_assert_int_eq(ioreqd_virtq_push(req, 4), 0);
}
END_TEST

/*
 * One request at a time for more than 65536 rounds: both 16-bit indices
 * and both event fields wrap.  Each round the ring runs empty, so the device
 * re-arms avail_event and the driver must kick; the driver re-arms
 * used_event, so the device must interrupt.
 */
START_TEST(test_event_idx_wrap_at_65535)
{
	struct cookie c = {3};
	struct ioreqd_vdrv_buf buf = {FX_DATA_GPA, 4};
	ioreqd_virtq_req_t *req;
	struct ioreqd_virtq_stats st;
	uint32_t len;

	for (unsigned round = 0; round < 65536 + 20; round++) {
		ck_assert(!ioreqd_vdrv_enable_irq(&fx.drv));
		ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, round & 1, &c), 0);
		ck_assert(ioreqd_vdrv_kick_needed(&fx.drv));
		ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
		ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &(ioreqd_virtq_req_t *){NULL}),
		                 -EAGAIN);
		ck_assert_int_eq(ioreqd_virtq_push(req, 4), 0);
		ck_assert_int_eq(ioreqd_virtq_notify(fx.q), 1);
		ck_assert_ptr_eq(ioreqd_vdrv_get_used(&fx.drv, &len), &c);
	}
	ck_assert_uint_eq(fx_used_idx(&fx), (uint16_t)(65536 + 20));
	ioreqd_virtq_stats(fx.q, &st);
	ck_assert_uint_eq(st.interrupts, 65536 + 20);
	ck_assert_uint_eq(st.suppressed, 0);
	ck_assert_uint_eq(st.in_flight, 0);
}
END_TEST

/* Near the wrap, the window [old, new) straddles 65535 -> 0. */
START_TEST(test_event_idx_window_across_wrap)
{
	ck_assert(vring_need_event(0xffff, 2, 0xfffe));  /* 0xffff in [0xfffe, 2) */
	ck_assert(vring_need_event(0, 2, 0xfffe));       /* 0 in it too */
	ck_assert(!vring_need_event(2, 2, 0xfffe));      /* new itself is outside */
	ck_assert(!vring_need_event(0xfffd, 2, 0xfffe)); /* before old */
	ck_assert(!vring_need_event(5, 5, 5));           /* empty window */
}
END_TEST

/* A batch of 8: one kick, one interrupt, pop many, push many, notify once. */
START_TEST(test_batch_one_kick_one_interrupt)
{
	struct cookie c[FX_QSIZE];
	struct ioreqd_vdrv_buf buf = {FX_DATA_GPA, 64};
	ioreqd_virtq_req_t *req[FX_QSIZE];
	struct ioreqd_virtq_stats st;
	unsigned kicks = 0, got = 0;
	uint32_t len;

	ck_assert(!ioreqd_vdrv_enable_irq(&fx.drv));
	for (unsigned i = 0; i < FX_QSIZE; i++) {
		ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c[i]), 0);
		kicks += ioreqd_vdrv_kick_needed(&fx.drv);
	}
	ck_assert_uint_eq(kicks, 1);
	ck_assert_int_eq(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c[0]), -ENOSPC);
	for (unsigned i = 0; i < FX_QSIZE; i++)
		ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req[i]), 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &(ioreqd_virtq_req_t *){NULL}), -EAGAIN);
	for (unsigned i = 0; i < FX_QSIZE; i++)
		ck_assert_int_eq(ioreqd_virtq_push(req[FX_QSIZE - 1 - i], 64), 0);
	ck_assert_int_eq(ioreqd_virtq_notify(fx.q), 1);
	ck_assert_int_eq(ioreqd_virtq_notify(fx.q), 0); /* nothing new */
	while (ioreqd_vdrv_get_used(&fx.drv, &len))
		got++;
	ck_assert_uint_eq(got, FX_QSIZE);
	ioreqd_virtq_stats(fx.q, &st);
	ck_assert_uint_eq(st.requests, FX_QSIZE);
	ck_assert_uint_eq(st.bytes_in, FX_QSIZE * 64);
	ck_assert_uint_eq(st.interrupts, 1);
}
END_TEST

START_TEST(test_event_idx_interrupt_suppressed)
{
	struct cookie c = {4};
	struct ioreqd_vdrv_buf buf = {FX_DATA_GPA, 4};
	ioreqd_virtq_req_t *req;
	struct ioreqd_virtq_stats st;

	/* The driver wants an interrupt only once used->idx passes 5. */
	vring_store16(fx.drv.avail, VRING_USED_EVENT(FX_QSIZE), 5, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < 5; i++) {
		uint32_t len;

		ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c), 0);
		ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
		ck_assert_int_eq(ioreqd_virtq_push(req, 0), 0);
		ck_assert_int_eq(ioreqd_virtq_notify(fx.q), 0);
		ck_assert_ptr_nonnull(ioreqd_vdrv_get_used(&fx.drv, &len));
	}
	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c), 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ck_assert_int_eq(ioreqd_virtq_push(req, 0), 0);
	ck_assert_int_eq(ioreqd_virtq_notify(fx.q), 1); /* used->idx went 5 -> 6 */
	ioreqd_virtq_stats(fx.q, &st);
	ck_assert_uint_eq(st.suppressed, 5);
	ck_assert_uint_eq(st.interrupts, 1);
}
END_TEST

START_TEST(test_flags_without_event_idx)
{
	struct cookie c = {5};
	struct ioreqd_vdrv_buf buf = {FX_DATA_GPA, 4};
	ioreqd_virtq_req_t *req;
	uint32_t len;

	fx_fini(&fx);
	fx_init(&fx);
	fx_up(&fx, BIT(IOREQD_VIRTIO_F_VERSION_1), FX_QSIZE);
	/* Two available: while the device works through them, no kicks are wanted. */
	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c), 0);
	ck_assert(ioreqd_vdrv_kick_needed(&fx.drv));
	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c), 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ck_assert_int_eq(ioreqd_virtq_push(req, 0), 0);
	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c), 0);
	ck_assert(!ioreqd_vdrv_kick_needed(&fx.drv)); /* VRING_USED_F_NO_NOTIFY */
	while (ioreqd_virtq_pop(fx.q, &req) == 0)
		ck_assert_int_eq(ioreqd_virtq_push(req, 0), 0);
	/* The ring ran empty: kicks are wanted again. */
	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c), 0);
	ck_assert(ioreqd_vdrv_kick_needed(&fx.drv));
	/* Interrupts: VRING_AVAIL_F_NO_INTERRUPT honoured. */
	ioreqd_vdrv_disable_irq(&fx.drv);
	ck_assert_int_eq(ioreqd_virtq_notify(fx.q), 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ck_assert_int_eq(ioreqd_virtq_push(req, 0), 0);
	ck_assert(ioreqd_vdrv_enable_irq(&fx.drv)); /* used buffers pending */
	ck_assert_int_eq(ioreqd_virtq_notify(fx.q), 1);
	while (ioreqd_vdrv_get_used(&fx.drv, &len))
		;
	ck_assert_uint_eq(ioreqd_vdrv_num_free(&fx.drv), FX_QSIZE);
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

START_TEST(test_push_after_reset_only_releases)
{
	struct cookie c = {6};
	struct ioreqd_vdrv_buf buf = {FX_DATA_GPA, 4};
	ioreqd_virtq_req_t *req;

	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c), 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ioreqd_virtio_reset(fx.dev);
	ck_assert_uint_eq(fx.resets, 1);
	ck_assert_int_eq(fx.maps_live, 1); /* the request's buffer only */
	ck_assert_int_eq(ioreqd_virtq_push(req, 4), -ESTALE);
	ck_assert_int_eq(fx.maps_live, 0);
	ck_assert_uint_eq(fx_used_idx(&fx), 0);
}
END_TEST

START_TEST(test_push_after_invalidate_remaps)
{
	struct cookie c = {7};
	struct ioreqd_vdrv_buf buf = {FX_DATA_GPA, 4};
	ioreqd_virtq_req_t *req;
	uint32_t len;

	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c), 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ioreqd_virtio_invalidate(fx.dev);
	ck_assert_int_eq(fx.maps_live, 1);
	ck_assert_int_eq(ioreqd_virtq_push(req, 4), 0);
	ck_assert_int_eq(fx.maps_live, 3);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&fx.drv, &len), &c);
}
END_TEST

START_TEST(test_free_with_requests_in_flight)
{
	struct cookie c = {8};
	struct ioreqd_vdrv_buf buf = {FX_DATA_GPA, 4};
	ioreqd_virtq_req_t *req;

	ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, &buf, 0, 1, false, &c), 0);
	ck_assert_int_eq(ioreqd_virtq_pop(fx.q, &req), 0);
	ioreqd_virtq_req_set_priv(req, &c);
	ck_assert_ptr_eq(ioreqd_virtq_req_priv(req), &c);
	/* teardown frees the device: fx_fini checks every mapping was released */
}
END_TEST

START_TEST(test_error_names)
{
	for (int e = 0; e < IOREQD_VIRTQ_ERR_COUNT; e++)
		ck_assert_str_ne(ioreqd_virtq_error_name(e), "?");
	ck_assert_str_eq(ioreqd_virtq_error_name(IOREQD_VIRTQ_ERR_COUNT), "?");
	ck_assert_str_eq(ioreqd_virtq_error_name(IOREQD_VIRTQ_ERR_LOOP), "loop");
}
END_TEST

/*
 * The driver and the device on two threads, sharing only guest memory, as
 * a guest vCPU and ioreqd do: kicks and interrupts are semaphore posts,
 * sent only when the event-index maths asks for them.  A notification lost
 * to a missing barrier would leave both sides waiting (the test times out);
 * a torn or stale read would deliver a wrong reply.
 */
#define RACE_REQUESTS 50000u
#define RACE_QSIZE 64u

struct race {
	sem_t kick, irq;
	bool stop;
};

static void *race_device(void *arg)
{
	struct race *r = arg;
	ioreqd_virtq_req_t *req;

	for (;;) {
		sem_wait(&r->kick);
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			return NULL;
		while (ioreqd_virtq_pop(fx.q, &req) == 0) {
			uint32_t v;

			ck_assert_uint_eq(ioreqd_virtq_req_read(req, 0, &v, 4), 4);
			v = ~v;
			ck_assert_uint_eq(ioreqd_virtq_req_write(req, 0, &v, 4), 4);
			ck_assert_int_eq(ioreqd_virtq_push(req, 4), 0);
			if (ioreqd_virtq_notify(fx.q) == 1)
				sem_post(&r->irq);
		}
	}
}

START_TEST(test_driver_and_device_on_two_threads)
{
	static struct race r;
	uintptr_t tags[RACE_QSIZE];
	unsigned sent = 0, done = 0;
	pthread_t dev;

	fx_fini(&fx);
	fx_init(&fx);
	fx_up(&fx, fx_all_features(), RACE_QSIZE);
	sem_init(&r.kick, 0, 0);
	sem_init(&r.irq, 0, 0);
	r.stop = false;
	ck_assert_int_eq(pthread_create(&dev, NULL, race_device, &r), 0);
	while (done < RACE_REQUESTS) {
		void *cookie;
		uint32_t len;
		bool added = false;

		while (sent < RACE_REQUESTS && ioreqd_vdrv_num_free(&fx.drv) >= 2) {
			unsigned slot = sent % RACE_QSIZE;
			uint64_t gpa = FX_DATA_GPA + slot * 8;
			struct ioreqd_vdrv_buf b[2] = {{gpa, 4}, {gpa + 4, 4}};
			uint32_t v = sent;

			memcpy(fx_hva(&fx, gpa), &v, 4);
			tags[slot] = sent;
			ck_assert_int_ge(ioreqd_vdrv_add(&fx.drv, b, 1, 1, false,
			                                 (void *)(uintptr_t)(slot + 1)),
			                 0);
			sent++;
			added = true;
		}
		if (added && ioreqd_vdrv_kick_needed(&fx.drv))
			sem_post(&r.kick);
		while ((cookie = ioreqd_vdrv_get_used(&fx.drv, &len))) {
			unsigned slot = (unsigned)(uintptr_t)cookie - 1;
			uint32_t v;

			ck_assert_uint_eq(len, 4);
			memcpy(&v, fx_hva(&fx, FX_DATA_GPA + slot * 8 + 4), 4);
			ck_assert_uint_eq(v, ~(uint32_t)tags[slot]);
			done++;
		}
		/* Nothing to add or collect: ask for an interrupt, unless one raced in.
		 */
		if (done < RACE_REQUESTS &&
		    (sent == RACE_REQUESTS || ioreqd_vdrv_num_free(&fx.drv) < 2) &&
		    !ioreqd_vdrv_enable_irq(&fx.drv))
			sem_wait(&r.irq);
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	sem_post(&r.kick);
	pthread_join(dev, NULL);
	sem_destroy(&r.kick);
	sem_destroy(&r.irq);
	{
		struct ioreqd_virtq_stats st;

		ioreqd_virtq_stats(fx.q, &st);
		ck_assert_uint_eq(st.requests, RACE_REQUESTS);
		ck_assert_uint_eq(st.in_flight, 0);
	}
}
END_TEST

static Suite *virtio_queue_suite(void)
{
	Suite *s = suite_create("virtio_queue");
	TCase *layout = tcase_create("layout");
	TCase *broken = tcase_create("broken");
	TCase *failed = tcase_create("failed");
	TCase *happy = tcase_create("happy");

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

	tcase_add_checked_fixture(happy, setup, teardown);
	tcase_add_test(happy, test_request_roundtrip);
	tcase_add_test(happy, test_chain_of_six_segments);
	tcase_add_test(happy, test_indirect_table_of_six_segments);
	tcase_add_test(happy, test_direct_then_indirect_chain);
	tcase_add_test(happy, test_zero_length_descriptors_skipped);
	tcase_add_test(happy, test_event_idx_wrap_at_65535);
	tcase_add_test(happy, test_event_idx_window_across_wrap);
	tcase_add_test(happy, test_batch_one_kick_one_interrupt);
	tcase_add_test(happy, test_event_idx_interrupt_suppressed);
	tcase_add_test(happy, test_flags_without_event_idx);
	tcase_add_test(happy, test_nothing_before_driver_ok);
	tcase_add_test(happy, test_push_after_reset_only_releases);
	tcase_add_test(happy, test_push_after_invalidate_remaps);
	tcase_add_test(happy, test_free_with_requests_in_flight);
	tcase_add_test(happy, test_error_names);
	tcase_add_test(happy, test_driver_and_device_on_two_threads);
	tcase_set_timeout(happy, 120);
	suite_add_tcase(s, happy);
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
