/* SPDX-License-Identifier: MIT */
/*
 * The virtio core's split virtqueues serving well-formed rings: chains,
 * indirect tables, event index wrap at 65535, batching, reset and
 * invalidate, and a driver and device on two threads, run against the
 * guest-side driver.  The malformed rings are check_virtio_queue.c.
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

static Suite *virtio_queue_serve_suite(void)
{
	Suite *s = suite_create("virtio_queue_serve");
	TCase *happy = tcase_create("happy");

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
	SRunner *sr = srunner_create(virtio_queue_serve_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
