/* SPDX-License-Identifier: MIT */
/*
 * Tests of the virtio-console device model (hooks/virtio/console.c) on the
 * device-model bench: guest output reaches a socket client and a log file,
 * client input reaches the guest's receive buffers, input waits (back
 * pressure, nothing lost) while the guest has no receive buffer posted and
 * resumes on its kick, a receive buffer the device cannot write is returned,
 * a reset returns the held buffer, and a bad back end is a config error.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "virtio/console.h"
#include "vmodel-fixture.h"

#define RX_GPA VMF_DATA_GPA
#define TX_GPA (VMF_DATA_GPA + 0x1000u)

static char dir[64], sock[96], logpath[96];
static struct vmf f;
static int client = -1;

static int cons_create(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                       struct ioreqd_virtio_params *p, void **model)
{
	return ioreqd_vcons_new(host, dev, p, (struct ioreqd_vcons **)model);
}

static void cons_attach(void *model, ioreqd_virtio_dev_t *vdev)
{
	ioreqd_vcons_attach(model, vdev);
}

static void cons_quiesce(void *model)
{
	ioreqd_vcons_quiesce(model);
}

static void cons_destroy(void *model)
{
	ioreqd_vcons_free(model);
}

static const struct ioreqd_hook_key cons_keys[] = {IOREQD_VCONS_KEYS, {NULL, NULL}};
static const struct vmf_model cons_model = {
    .name = "virtio-console",
    .keys = cons_keys,
    .create = cons_create,
    .attach = cons_attach,
    .quiesce = cons_quiesce,
    .destroy = cons_destroy,
};

static struct ioreqd_vcons *cons(void)
{
	return f.model;
}

static struct ioreqd_vcons_stats stats(void)
{
	struct ioreqd_vcons_stats st;

	ioreqd_vcons_stats(cons(), &st);
	return st;
}

static void setup(void)
{
	ck_assert_int_eq(mock_tmpdir_make(dir, sizeof(dir), "check_vcons"), 0);
	snprintf(sock, sizeof(sock), "%s/con.sock", dir);
	snprintf(logpath, sizeof(logpath), "%s/con.log", dir);
}

static void teardown(void)
{
	if (client >= 0)
		close(client);
	client = -1;
	vmf_free(&f);
	mock_tmpdir_remove(dir);
}

/* A socket back end with a connected client. */
static void up_socket(void)
{
	char conf[200];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(conf, sizeof(conf), "backend = socket\npath = %s", sock);
	ck_assert_msg(vmf_add(&f, &cons_model, conf) == 0, "%s", mock_error(f.m));
	vmf_up(&f, 1ull << IOREQD_VIRTIO_F_EVENT_IDX, 2, 16);
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(client, 0);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	ck_assert_int_eq(connect(client, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_uint_eq(
	    mock_fire_watch(f.m, ioreqd_chardev_listen_fd(ioreqd_vcons_chardev(cons())),
	                    IOREQD_WATCH_READ),
	    1);
	ck_assert_int_ge(ioreqd_chardev_rx_fd(ioreqd_vcons_chardev(cons())), 0);
}

static void guest_send(const char *s)
{
	struct ioreqd_vdrv_buf b = {TX_GPA, (uint32_t)strlen(s)};
	uint32_t len;

	memcpy(vmf_hva(&f, TX_GPA), s, strlen(s));
	ck_assert_int_ge(ioreqd_vdrv_add(&f.drv[1], &b, 1, 0, false, (void *)1), 0);
	vmf_kick(&f, 1);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&f.drv[1], &len), (void *)1);
}

static void post_rx(uint32_t len)
{
	struct ioreqd_vdrv_buf b = {RX_GPA, len};

	memset(vmf_hva(&f, RX_GPA), 0, 256);
	ck_assert_int_ge(ioreqd_vdrv_add(&f.drv[0], &b, 0, 1, false, (void *)2), 0);
}

static int rx_fd(void)
{
	return ioreqd_chardev_rx_fd(ioreqd_vcons_chardev(cons()));
}

START_TEST(guest_output_reaches_the_socket_client)
{
	char buf[64] = {0};
	struct pollfd p = {.fd = -1, .events = POLLIN};

	up_socket();
	guest_send("hello from the guest\n");
	p.fd = client;
	ck_assert_int_eq(poll(&p, 1, 10000), 1);
	ck_assert_int_eq(read(client, buf, sizeof(buf)), 21);
	ck_assert_str_eq(buf, "hello from the guest\n");
	ck_assert_uint_eq(stats().tx_bytes, 21);
	ck_assert_uint_ge(f.vring_irqs[1], 1);
}
END_TEST

START_TEST(client_input_reaches_a_posted_receive_buffer)
{
	uint32_t len;

	up_socket();
	post_rx(64);
	vmf_kick(&f, 0);
	ck_assert_int_eq(write(client, "typed\n", 6), 6);
	ck_assert_uint_ge(mock_fire_watch(f.m, rx_fd(), IOREQD_WATCH_READ), 1);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&f.drv[0], &len), (void *)2);
	ck_assert_uint_eq(len, 6);
	ck_assert_mem_eq(vmf_hva(&f, RX_GPA), "typed\n", 6);
	ck_assert_uint_eq(f.vring_irqs[0], 1);
}
END_TEST

START_TEST(input_waits_for_a_receive_buffer_and_nothing_is_lost)
{
	uint32_t len;

	up_socket();
	ck_assert_int_eq(write(client, "early\n", 6), 6);
	ck_assert_uint_eq(mock_fire_watch(f.m, rx_fd(), IOREQD_WATCH_READ), 1);
	ck_assert_uint_eq(stats().rx_waits, 1);
	ck_assert_uint_eq(stats().rx_bytes, 0);
	/* Paused: the watch is gone until the guest posts a buffer and kicks. */
	ck_assert_uint_eq(mock_fire_watch(f.m, rx_fd(), IOREQD_WATCH_READ), 0);
	post_rx(4);
	ck_assert(vmf_kick(&f, 0));
	ck_assert_uint_eq(mock_fire_watch(f.m, rx_fd(), IOREQD_WATCH_READ), 1);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&f.drv[0], &len), (void *)2);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(vmf_hva(&f, RX_GPA), "earl", 4);
	/* The rest waits for the next buffer. */
	ck_assert_uint_eq(mock_fire_watch(f.m, rx_fd(), IOREQD_WATCH_READ), 1);
	post_rx(16);
	ck_assert(vmf_kick(&f, 0));
	ck_assert_uint_eq(mock_fire_watch(f.m, rx_fd(), IOREQD_WATCH_READ), 1);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&f.drv[0], &len), (void *)2);
	ck_assert_uint_eq(len, 2);
	ck_assert_mem_eq(vmf_hva(&f, RX_GPA), "y\n", 2);
	ck_assert_uint_eq(stats().rx_bytes, 6);
}
END_TEST

START_TEST(a_read_only_receive_buffer_is_returned)
{
	struct ioreqd_vdrv_buf b = {RX_GPA, 16};
	uint32_t len;

	up_socket();
	ck_assert_int_ge(ioreqd_vdrv_add(&f.drv[0], &b, 1, 0, false, (void *)3), 0);
	vmf_kick(&f, 0);
	ck_assert_int_eq(write(client, "x", 1), 1);
	mock_fire_watch(f.m, rx_fd(), IOREQD_WATCH_READ);
	ck_assert_ptr_eq(ioreqd_vdrv_get_used(&f.drv[0], &len), (void *)3);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(stats().bad_buffer, 1);
}
END_TEST

START_TEST(reset_returns_the_held_receive_buffer)
{
	struct ioreqd_virtq_stats qs;

	up_socket();
	post_rx(64);
	vmf_kick(&f, 0);
	/* A wake-up with nothing to read: the buffer is popped and held. */
	ck_assert_uint_eq(mock_fire_watch(f.m, rx_fd(), IOREQD_WATCH_READ), 1);
	ioreqd_virtq_stats(ioreqd_virtio_queue(f.vdev, 0), &qs);
	ck_assert_uint_eq(qs.in_flight, 1);
	ck_assert_int_eq(ioreqd_virtio_set_status(f.vdev, 0), 0);
	ioreqd_virtq_stats(ioreqd_virtio_queue(f.vdev, 0), &qs);
	ck_assert_uint_eq(qs.in_flight, 0);
	/* After the reset, input is not delivered into the old buffer. */
	ck_assert_int_eq(write(client, "z", 1), 1);
	ck_assert_uint_eq(mock_fire_watch(f.m, rx_fd(), IOREQD_WATCH_READ), 1);
	ck_assert_uint_eq(stats().rx_bytes, 0);
}
END_TEST

START_TEST(guest_output_is_appended_to_a_file)
{
	char conf[200], buf[64] = {0};
	int fd;

	snprintf(conf, sizeof(conf), "backend = file\npath = %s", logpath);
	ck_assert_msg(vmf_add(&f, &cons_model, conf) == 0, "%s", mock_error(f.m));
	vmf_up(&f, 0, 2, 16);
	guest_send("line one\n");
	guest_send("line two\n");
	fd = open(logpath, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 18);
	close(fd);
	ck_assert_str_eq(buf, "line one\nline two\n");
}
END_TEST

START_TEST(config_is_zero_and_no_feature_is_offered)
{
	uint8_t cfg[IOREQD_VCONS_CONFIG_SIZE], zero[IOREQD_VCONS_CONFIG_SIZE] = {0};

	ck_assert_int_eq(vmf_add(&f, &cons_model, "backend = none"), 0);
	ck_assert_uint_eq(ioreqd_virtio_device_id(f.vdev), 3);
	ck_assert_uint_eq(ioreqd_virtio_device_features(f.vdev) & 0xffffffu, 0);
	ck_assert_int_eq(ioreqd_virtio_config_read(f.vdev, 0, cfg, sizeof(cfg)), 0);
	ck_assert_mem_eq(cfg, zero, sizeof(cfg));
	ck_assert_int_ne(ioreqd_virtio_config_write(f.vdev, 0, cfg, 2), 0);
}
END_TEST

START_TEST(a_bad_backend_is_a_config_error)
{
	ck_assert_int_lt(vmf_add(&f, &cons_model, "backend = serial"), 0);
	ck_assert_msg(strstr(mock_error(f.m), "mock.conf:4"), "%s", mock_error(f.m));
	ck_assert_msg(strstr(mock_error(f.m), "backend"), "%s", mock_error(f.m));
}
END_TEST

static Suite *cons_suite(void)
{
	Suite *s = suite_create("virtio_console");
	TCase *tc = tcase_create("console");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, guest_output_reaches_the_socket_client);
	tcase_add_test(tc, client_input_reaches_a_posted_receive_buffer);
	tcase_add_test(tc, input_waits_for_a_receive_buffer_and_nothing_is_lost);
	tcase_add_test(tc, a_read_only_receive_buffer_is_returned);
	tcase_add_test(tc, reset_returns_the_held_receive_buffer);
	tcase_add_test(tc, guest_output_is_appended_to_a_file);
	tcase_add_test(tc, config_is_zero_and_no_feature_is_offered);
	tcase_add_test(tc, a_bad_backend_is_a_config_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cons_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
