/* SPDX-License-Identifier: MIT */
/*
 * The virtio core's device half: feature negotiation, the status state
 * machine (every illegal transition refused), config space and its
 * generation counter, NEEDS_RESET and reset, queue notification dispatch.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio-fixture.h"

#define ACK IOREQD_VIRTIO_S_ACKNOWLEDGE
#define DRV IOREQD_VIRTIO_S_DRIVER
#define FOK IOREQD_VIRTIO_S_FEATURES_OK
#define DOK IOREQD_VIRTIO_S_DRIVER_OK

static struct fx fx;

static void setup(void)
{
	fx_init(&fx);
}

static void teardown(void)
{
	fx_fini(&fx);
}

static uint64_t bad_status(void)
{
	struct ioreqd_virtio_stats st;

	ioreqd_virtio_stats(fx.dev, &st);
	return st.bad_status;
}

static uint64_t bad_features(void)
{
	struct ioreqd_virtio_stats st;

	ioreqd_virtio_stats(fx.dev, &st);
	return st.bad_features;
}

START_TEST(test_new_refuses_bad_params)
{
	struct ioreqd_virtio_params p = fx.p;

	p.queue_max = 3;
	ck_assert_ptr_null(ioreqd_virtio_new(&p));
	ck_assert_int_eq(errno, EINVAL);
	p = fx.p;
	p.queue_max = 65536;
	ck_assert_ptr_null(ioreqd_virtio_new(&p));
	p = fx.p;
	p.num_queues = 0;
	ck_assert_ptr_null(ioreqd_virtio_new(&p));
	p = fx.p;
	p.config_size = IOREQD_VIRTIO_CONFIG_MAX + 1;
	ck_assert_ptr_null(ioreqd_virtio_new(&p));
	p = fx.p;
	p.gmem.ops = NULL;
	ck_assert_ptr_null(ioreqd_virtio_new(&p));
	ck_assert_ptr_null(ioreqd_virtio_queue(fx.dev, 2));
	ck_assert_uint_eq(ioreqd_virtio_num_queues(fx.dev), 2);
	ck_assert_uint_eq(ioreqd_virtio_device_id(fx.dev), 2);
	ck_assert_uint_eq(ioreqd_virtq_index(ioreqd_virtio_queue(fx.dev, 1)), 1);
	ck_assert_ptr_eq(ioreqd_virtq_dev(fx.q), fx.dev);
}
END_TEST

START_TEST(test_features_offered)
{
	uint64_t f = ioreqd_virtio_device_features(fx.dev);
	struct ioreqd_virtio_params p = fx.p;
	ioreqd_virtio_dev_t *dev;

	ck_assert(f & BIT(IOREQD_VIRTIO_F_VERSION_1));
	ck_assert(f & BIT(IOREQD_VIRTIO_F_INDIRECT_DESC));
	ck_assert(f & BIT(IOREQD_VIRTIO_F_EVENT_IDX));
	ck_assert(f & BIT(6));
	ck_assert(!(f & BIT(IOREQD_VIRTIO_F_ACCESS_PLATFORM)));
	p.access_platform = true;
	dev = ioreqd_virtio_new(&p);
	ck_assert(ioreqd_virtio_device_features(dev) &
	          BIT(IOREQD_VIRTIO_F_ACCESS_PLATFORM));
	ioreqd_virtio_free(dev);
}
END_TEST

START_TEST(test_status_handshake)
{
	fx_up(&fx, fx_all_features() | BIT(6), FX_QSIZE);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), ACK | DRV | FOK | DOK);
	ck_assert_uint_eq(fx.driver_oks, 1);
	ck_assert(ioreqd_virtio_has_feature(fx.dev, 6));
	ck_assert(ioreqd_virtio_has_feature(fx.dev, IOREQD_VIRTIO_F_EVENT_IDX));
	ck_assert(!ioreqd_virtio_has_feature(fx.dev, IOREQD_VIRTIO_F_ACCESS_PLATFORM));
	ck_assert(!ioreqd_virtio_has_feature(fx.dev, 64));
	ck_assert_uint_eq(ioreqd_virtio_driver_features(fx.dev),
	                  fx_all_features() | BIT(6));
	ck_assert_uint_eq(bad_status(), 0);
	/* FAILED may come at any time. */
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV | FOK | DOK |
	                                                      IOREQD_VIRTIO_S_FAILED),
	                 0);
}
END_TEST

START_TEST(test_status_refuses_driver_without_acknowledge)
{
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, DRV), -EINVAL);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), 0);
	ck_assert_uint_eq(bad_status(), 1);
	ck_assert_ptr_nonnull(strstr(fx.last_log, "illegal status"));
}
END_TEST

START_TEST(test_status_refuses_features_ok_without_driver)
{
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK), 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | FOK), -EINVAL);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), ACK);
	ck_assert_uint_eq(bad_status(), 1);
}
END_TEST

START_TEST(test_status_refuses_driver_ok_without_features_ok)
{
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK), 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV), 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV | DOK), -EINVAL);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), ACK | DRV);
	ck_assert_uint_eq(fx.driver_oks, 0);
}
END_TEST

START_TEST(test_status_refuses_clearing_bits)
{
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK), 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV), 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK), -EINVAL);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, DRV), -EINVAL);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), ACK | DRV);
	ck_assert_uint_eq(bad_status(), 2);
}
END_TEST

START_TEST(test_status_refuses_unknown_bits)
{
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | 0x10), -EINVAL);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, 0x20), -EINVAL);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), 0);
}
END_TEST

START_TEST(test_status_zero_resets)
{
	fx_up(&fx, fx_all_features(), FX_QSIZE);
	ck_assert(ioreqd_virtq_ready(fx.q));
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, 0), 0);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), 0);
	ck_assert_uint_eq(ioreqd_virtio_driver_features(fx.dev), 0);
	ck_assert(!ioreqd_virtq_ready(fx.q));
	ck_assert_uint_eq(fx.resets, 1);
	ck_assert_int_eq(fx.maps_live, 0);
	ck_assert(!ioreqd_virtio_has_feature(fx.dev, IOREQD_VIRTIO_F_VERSION_1));
}
END_TEST

/* Up to DRIVER, with @p features written. */
static void to_driver(uint64_t features)
{
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK), 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV), 0);
	ck_assert_int_eq(ioreqd_virtio_set_driver_features(fx.dev, features), 0);
}

START_TEST(test_features_without_version_1_refused)
{
	to_driver(BIT(IOREQD_VIRTIO_F_EVENT_IDX));
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV | FOK), -ENOTSUP);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev),
	                  ACK | DRV); /* driver reads back: no FOK */
	ck_assert_uint_eq(bad_features(), 1);
	ck_assert_ptr_nonnull(strstr(fx.last_log, "VERSION_1"));
}
END_TEST

START_TEST(test_features_never_offered_refused)
{
	to_driver(BIT(IOREQD_VIRTIO_F_VERSION_1) | BIT(7));
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV | FOK), -ENOTSUP);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), ACK | DRV);
}
END_TEST

START_TEST(test_features_refused_by_device)
{
	fx.refuse_features = 1;
	to_driver(BIT(IOREQD_VIRTIO_F_VERSION_1));
	/* FEATURES_OK and DRIVER_OK at once: both refused with the features. */
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV | FOK | DOK),
	                 -ENOTSUP);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), ACK | DRV);
	ck_assert_uint_eq(fx.driver_oks, 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV | FOK), -ENOTSUP);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), ACK | DRV);
}
END_TEST

START_TEST(test_features_written_at_wrong_time_refused)
{
	ck_assert_int_eq(ioreqd_virtio_set_driver_features(fx.dev, fx_all_features()),
	                 -EBUSY);
	to_driver(BIT(IOREQD_VIRTIO_F_VERSION_1));
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV | FOK), 0);
	ck_assert_int_eq(ioreqd_virtio_set_driver_features(fx.dev, fx_all_features()),
	                 -EBUSY);
	ck_assert_uint_eq(ioreqd_virtio_driver_features(fx.dev),
	                  BIT(IOREQD_VIRTIO_F_VERSION_1));
	ck_assert_uint_eq(bad_features(), 2);
}
END_TEST

START_TEST(test_needs_reset_raises_config_interrupt)
{
	fx_up(&fx, fx_all_features(), FX_QSIZE);
	ioreqd_virtio_set_needs_reset(fx.dev);
	ioreqd_virtio_set_needs_reset(fx.dev); /* once is enough */
	ck_assert_uint_eq(fx.config_irqs, 1);
	ck_assert(ioreqd_virtio_status(fx.dev) & IOREQD_VIRTIO_S_NEEDS_RESET);
	/* A driver writing back the status it read (NEEDS_RESET included) is fine. */
	ck_assert_int_eq(ioreqd_virtio_set_status(
	                     fx.dev, ACK | DRV | FOK | DOK | IOREQD_VIRTIO_S_NEEDS_RESET |
	                                 IOREQD_VIRTIO_S_FAILED),
	                 0);
	ck_assert(ioreqd_virtio_status(fx.dev) & IOREQD_VIRTIO_S_NEEDS_RESET);
	ioreqd_virtio_reset(fx.dev);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), 0);
	fx_up(&fx, fx_all_features(), FX_QSIZE);
	ck_assert_uint_eq(ioreqd_virtio_status(fx.dev), ACK | DRV | FOK | DOK);
}
END_TEST

START_TEST(test_needs_reset_before_driver_ok_reported_at_driver_ok)
{
	to_driver(fx_all_features());
	ioreqd_virtio_set_needs_reset(fx.dev);
	ck_assert_uint_eq(fx.config_irqs, 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV | FOK), 0);
	ck_assert_int_eq(ioreqd_virtio_set_status(fx.dev, ACK | DRV | FOK | DOK), 0);
	ck_assert_uint_eq(fx.config_irqs, 1);
}
END_TEST

START_TEST(test_config_space)
{
	uint8_t buf[8] = {0}, v[4] = {1, 2, 3, 4};
	uint32_t gen = ioreqd_virtio_config_generation(fx.dev);

	ck_assert_int_eq(ioreqd_virtio_config_update(fx.dev, 4, v, 4, true), 0);
	ck_assert_uint_ne(ioreqd_virtio_config_generation(fx.dev), gen);
	ck_assert_uint_eq(fx.config_irqs, 0); /* not before DRIVER_OK */
	ck_assert_int_eq(ioreqd_virtio_config_read(fx.dev, 4, buf, 4), 0);
	ck_assert_int_eq(memcmp(buf, v, 4), 0);
	ck_assert_int_eq(ioreqd_virtio_config_read(fx.dev, 14, buf, 4), -ERANGE);
	ck_assert_int_eq(ioreqd_virtio_config_read(fx.dev, 16, buf, 1), -ERANGE);
	ck_assert_int_eq(ioreqd_virtio_config_read(fx.dev, 0xffffffffu, buf, 2), -ERANGE);
	ck_assert_int_eq(ioreqd_virtio_config_read(fx.dev, 0, buf, 0), -ERANGE);
	ck_assert_int_eq(ioreqd_virtio_config_update(fx.dev, 15, v, 2, false), -ERANGE);
	/* Bytes 0..7 are read-only for the test device: refused, unchanged. */
	ck_assert_int_eq(ioreqd_virtio_config_write(fx.dev, 4, "\xff\xff", 2), -EPERM);
	ck_assert_int_eq(ioreqd_virtio_config_read(fx.dev, 4, buf, 4), 0);
	ck_assert_int_eq(memcmp(buf, v, 4), 0);
	ck_assert_int_eq(ioreqd_virtio_config_write(fx.dev, 8, "\x07", 1), 0);
	ck_assert_int_eq(ioreqd_virtio_config_read(fx.dev, 8, buf, 1), 0);
	ck_assert_uint_eq(buf[0], 7);
	ck_assert_int_eq(ioreqd_virtio_config_write(fx.dev, 12, "abcdefgh", 8), -ERANGE);
	{
		struct ioreqd_virtio_stats st;

		ioreqd_virtio_stats(fx.dev, &st);
		ck_assert_uint_eq(st.bad_config, 6);
	}
	fx_up(&fx, fx_all_features(), FX_QSIZE);
	ck_assert_int_eq(ioreqd_virtio_config_update(fx.dev, 0, v, 1, true), 0);
	ck_assert_uint_eq(fx.config_irqs, 1);
}
END_TEST

START_TEST(test_queue_notify_dispatch)
{
	struct ioreqd_virtio_stats st;

	ioreqd_virtio_queue_notify(fx.dev, 0); /* before DRIVER_OK: ignored */
	ck_assert_uint_eq(fx.notifies, 0);
	fx_up(&fx, fx_all_features(), FX_QSIZE);
	ioreqd_virtio_queue_notify(fx.dev, 0);
	ck_assert_uint_eq(fx.notifies, 1);
	ioreqd_virtio_queue_notify(fx.dev, 1); /* not ready: ignored */
	ck_assert_uint_eq(fx.notifies, 1);
	ioreqd_virtio_queue_notify(fx.dev, 2);
	ioreqd_virtio_queue_notify(fx.dev, 0xffff);
	ioreqd_virtio_stats(fx.dev, &st);
	ck_assert_uint_eq(st.bad_notify, 2);
	ck_assert_uint_eq(fx.notifies, 1);
}
END_TEST

static Suite *virtio_device_suite(void)
{
	Suite *s = suite_create("virtio_device");
	TCase *tc = tcase_create("device");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_new_refuses_bad_params);
	tcase_add_test(tc, test_features_offered);
	tcase_add_test(tc, test_status_handshake);
	tcase_add_test(tc, test_status_refuses_driver_without_acknowledge);
	tcase_add_test(tc, test_status_refuses_features_ok_without_driver);
	tcase_add_test(tc, test_status_refuses_driver_ok_without_features_ok);
	tcase_add_test(tc, test_status_refuses_clearing_bits);
	tcase_add_test(tc, test_status_refuses_unknown_bits);
	tcase_add_test(tc, test_status_zero_resets);
	tcase_add_test(tc, test_features_without_version_1_refused);
	tcase_add_test(tc, test_features_never_offered_refused);
	tcase_add_test(tc, test_features_refused_by_device);
	tcase_add_test(tc, test_features_written_at_wrong_time_refused);
	tcase_add_test(tc, test_needs_reset_raises_config_interrupt);
	tcase_add_test(tc, test_needs_reset_before_driver_ok_reported_at_driver_ok);
	tcase_add_test(tc, test_config_space);
	tcase_add_test(tc, test_queue_notify_dispatch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtio_device_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
