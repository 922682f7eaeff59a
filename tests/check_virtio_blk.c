/* SPDX-License-Identifier: MIT */
/*
 * Tests of the virtio-blk device model (hooks/virtio/blk.c) on the
 * device-model bench: reads and writes against a real backing file (checked
 * with pread), the config space and features, every malformed request
 * (short header, no status byte, data lengths, sector ranges that overflow,
 * unknown types and flags), a read-only disk, GET_ID, FLUSH, DISCARD and
 * WRITE_ZEROES, a failing backing file (EIO injected under the I/O layer:
 * the guest sees IOERR and the next request succeeds), a failed io_uring
 * submit (IOERR, and the withdrawn I/O never runs later), a batch of 32
 * requests with one kick, a reset with I/O in flight, bad configuration, and
 * the virtio-blk hook over virtio-mmio as a guest drives it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtin.h"
#include "vguest.h"
#include "virtio/blk.h"
#include "virtio/vdev.h"
#include "vmodel-fixture.h"

#define BIT(n) (1ull << (n))
#define DISK_SECTORS 2048u /* 1 MiB */
#define HDR_GPA(i) (VMF_DATA_GPA + (uint64_t)(i)*32u)
#define STATUS_GPA(i) (VMF_DATA_GPA + 0x2000u + (i))
#define BUF_GPA(i) (VMF_DATA_GPA + 0x10000u + (uint64_t)(i)*0x1000u)
#define BIG_GPA (VMF_DATA_GPA + 0x40000u) /* up to 0x40000 bytes */

static char dir[64], disk[96];
static struct vmf f;

static int blk_create(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                      struct ioreqd_virtio_params *p, void **model)
{
	return ioreqd_vblk_new(host, dev, p, (struct ioreqd_vblk **)model);
}

static void blk_attach(void *model, ioreqd_virtio_dev_t *vdev)
{
	ioreqd_vblk_attach(model, vdev);
}

static void blk_quiesce(void *model)
{
	ioreqd_vblk_quiesce(model);
}

static void blk_destroy(void *model)
{
	ioreqd_vblk_free(model);
}

static const struct ioreqd_hook_key blk_keys[] = {IOREQD_VBLK_KEYS, {NULL, NULL}};
static const struct vmf_model blk_model = {
    .name = "virtio-blk",
    .keys = blk_keys,
    .create = blk_create,
    .attach = blk_attach,
    .quiesce = blk_quiesce,
    .destroy = blk_destroy,
};

static struct ioreqd_vblk *blk(void)
{
	return f.model;
}

static int efd(void)
{
	return ioreqd_vblk_event_fd(blk());
}

/* A 1 MiB disk whose byte i is (i * 7 + i / 512) & 0xff. */
static void make_disk(void)
{
	uint8_t *buf = malloc(DISK_SECTORS * 512u);
	int fd;

	snprintf(disk, sizeof(disk), "%s/disk.img", dir);
	for (size_t i = 0; i < DISK_SECTORS * 512u; i++)
		buf[i] = (uint8_t)(i * 7 + i / 512);
	fd = open(disk, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, DISK_SECTORS * 512u), DISK_SECTORS * 512);
	close(fd);
	free(buf);
}

static void setup(void)
{
	ck_assert_int_eq(mock_tmpdir_make(dir, sizeof(dir), "check_vblk"), 0);
	make_disk();
}

static void teardown(void)
{
	vmf_free(&f);
	mock_tmpdir_remove(dir);
}

static void up_with(const char *extra)
{
	char conf[256];

	snprintf(conf, sizeof(conf), "path = %s\n%s", disk, extra ? extra : "");
	ck_assert_msg(vmf_add(&f, &blk_model, conf) == 0, "%s", mock_error(f.m));
	vmf_up(&f,
	       BIT(IOREQD_VIRTIO_F_EVENT_IDX) | BIT(IOREQD_VIRTIO_F_INDIRECT_DESC) |
	           (ioreqd_virtio_device_features(f.vdev) & 0xffffffffull),
	       1, 64);
}

/* Queue one request (header, data, status; indirect) as slot @p i; no kick. */
static void add_req(unsigned i, uint32_t type, uint64_t sector, uint64_t data_gpa,
                    uint32_t data_len)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = {type, 0, sector};
	struct ioreqd_vdrv_buf b[3];
	unsigned n = 0, nout;
	bool in = type == IOREQD_VBLK_T_IN || type == IOREQD_VBLK_T_GET_ID;

	memcpy(vmf_hva(&f, HDR_GPA(i)), &hdr, sizeof(hdr));
	*(uint8_t *)vmf_hva(&f, STATUS_GPA(i)) = 0xee;
	b[n++] = (struct ioreqd_vdrv_buf){HDR_GPA(i), 16};
	if (data_len && !in)
		b[n++] = (struct ioreqd_vdrv_buf){data_gpa, data_len};
	nout = n;
	if (data_len && in)
		b[n++] = (struct ioreqd_vdrv_buf){data_gpa, data_len};
	b[n++] = (struct ioreqd_vdrv_buf){STATUS_GPA(i), 1};
	ck_assert_int_ge(ioreqd_vdrv_add(&f.drv[0], b, nout, n - nout, true,
	                                 (void *)(uintptr_t)(i + 1)),
	                 0);
}

/* Run one request to completion; @return its status byte. */
static uint8_t run_req(uint32_t type, uint64_t sector, uint64_t data_gpa,
                       uint32_t data_len)
{
	uint32_t len;

	add_req(0, type, sector, data_gpa, data_len);
	vmf_kick(&f, 0);
	ck_assert_ptr_eq(vmf_used(&f, 0, efd(), &len), (void *)1);
	return *(uint8_t *)vmf_hva(&f, STATUS_GPA(0));
}

static void pread_disk(void *buf, size_t len, off_t off)
{
	int fd = open(disk, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static struct ioreqd_vblk_stats stats(void)
{
	struct ioreqd_vblk_stats st;

	ioreqd_vblk_stats(blk(), &st);
	return st;
}

START_TEST(read_returns_the_backing_file)
{
	uint8_t want[4096];

	up_with(NULL);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, 16, BUF_GPA(0), 4096),
	                  IOREQD_VBLK_S_OK);
	pread_disk(want, sizeof(want), 16 * 512);
	ck_assert_mem_eq(vmf_hva(&f, BUF_GPA(0)), want, sizeof(want));
	ck_assert_uint_eq(stats().bytes_read, 4096);
}
END_TEST

START_TEST(write_reaches_the_backing_file_and_reads_back)
{
	uint8_t *src, got[8192];

	up_with(NULL);
	src = vmf_hva(&f, BUF_GPA(0));
	for (unsigned i = 0; i < 8192; i++)
		src[i] = (uint8_t)(0xa5 ^ i);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_OUT, 100, BUF_GPA(0), 8192),
	                  IOREQD_VBLK_S_OK);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_FLUSH, 0, 0, 0), IOREQD_VBLK_S_OK);
	pread_disk(got, sizeof(got), 100 * 512);
	ck_assert_mem_eq(got, src, sizeof(got));
	memset(vmf_hva(&f, BUF_GPA(4)), 0, 8192);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, 100, BUF_GPA(4), 8192),
	                  IOREQD_VBLK_S_OK);
	ck_assert_mem_eq(vmf_hva(&f, BUF_GPA(4)), src, 8192);
	ck_assert_uint_eq(stats().flushes, 1);
}
END_TEST

START_TEST(config_space_has_capacity_blk_size_and_seg_max)
{
	uint64_t cap;
	uint32_t v;
	uint64_t feat;

	up_with(NULL);
	feat = ioreqd_virtio_device_features(f.vdev);
	ck_assert(feat & BIT(IOREQD_VBLK_F_FLUSH));
	ck_assert(feat & BIT(IOREQD_VBLK_F_SEG_MAX));
	ck_assert(feat & BIT(IOREQD_VBLK_F_BLK_SIZE));
	ck_assert(!(feat & BIT(IOREQD_VBLK_F_RO)));
	ck_assert_int_eq(ioreqd_virtio_config_read(f.vdev, 0, &cap, 8), 0);
	ck_assert_uint_eq(cap, DISK_SECTORS);
	ck_assert_int_eq(
	    ioreqd_virtio_config_read(f.vdev, IOREQD_VBLK_CFG_BLK_SIZE, &v, 4), 0);
	ck_assert_uint_eq(v, 512);
	ck_assert_int_eq(
	    ioreqd_virtio_config_read(f.vdev, IOREQD_VBLK_CFG_SEG_MAX, &v, 4), 0);
	ck_assert_uint_eq(v, IOREQD_VBLK_QUEUE_DEFAULT - 2);
	ck_assert_uint_eq(ioreqd_virtq_max_size(ioreqd_virtio_queue(f.vdev, 0)),
	                  IOREQD_VBLK_QUEUE_DEFAULT);
}
END_TEST

START_TEST(readonly_offers_ro_and_refuses_writes)
{
	uint8_t before[512], after[512];

	up_with("readonly = yes\n");
	ck_assert(ioreqd_virtio_device_features(f.vdev) & BIT(IOREQD_VBLK_F_RO));
	ck_assert(!(ioreqd_virtio_device_features(f.vdev) & BIT(IOREQD_VBLK_F_DISCARD)));
	pread_disk(before, 512, 0);
	memset(vmf_hva(&f, BUF_GPA(0)), 0x11, 512);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_OUT, 0, BUF_GPA(0), 512),
	                  IOREQD_VBLK_S_IOERR);
	pread_disk(after, 512, 0);
	ck_assert_mem_eq(before, after, 512);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, 0, BUF_GPA(1), 512),
	                  IOREQD_VBLK_S_OK);
	ck_assert_uint_eq(stats().bad_request, 1);
}
END_TEST

START_TEST(sectors_outside_the_disk_are_ioerr)
{
	up_with(NULL);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, DISK_SECTORS, BUF_GPA(0), 512),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, DISK_SECTORS - 1, BUF_GPA(0), 1024),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_OUT, UINT64_MAX, BUF_GPA(0), 512),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(
	    run_req(IOREQD_VBLK_T_OUT, UINT64_MAX / 512 + 1, BUF_GPA(0), 512),
	    IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, DISK_SECTORS - 1, BUF_GPA(0), 512),
	                  IOREQD_VBLK_S_OK);
	ck_assert_uint_eq(stats().bad_request, 4);
	ck_assert(mock_log_contains(f.m, "sector range outside the disk"));
}
END_TEST

START_TEST(lengths_not_a_multiple_of_512_are_ioerr)
{
	up_with(NULL);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, 0, BUF_GPA(0), 100),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_OUT, 0, BUF_GPA(0), 513),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(stats().bad_request, 2);
	ck_assert_uint_eq(stats().reads + stats().writes, 0);
}
END_TEST

START_TEST(malformed_headers_are_refused)
{
	struct ioreqd_vdrv_buf b[3];
	uint32_t len;

	up_with(NULL);
	/* A header of 8 bytes. */
	b[0] = (struct ioreqd_vdrv_buf){HDR_GPA(0), 8};
	b[1] = (struct ioreqd_vdrv_buf){STATUS_GPA(0), 1};
	*(uint8_t *)vmf_hva(&f, STATUS_GPA(0)) = 0xee;
	ck_assert_int_ge(ioreqd_vdrv_add(&f.drv[0], b, 1, 1, false, (void *)1), 0);
	vmf_kick(&f, 0);
	ck_assert_ptr_eq(vmf_used(&f, 0, efd(), &len), (void *)1);
	ck_assert_uint_eq(*(uint8_t *)vmf_hva(&f, STATUS_GPA(0)), IOREQD_VBLK_S_IOERR);
	/* No device-writable byte at all: returned with nothing written. */
	memset(vmf_hva(&f, HDR_GPA(0)), 0, 16);
	b[0] = (struct ioreqd_vdrv_buf){HDR_GPA(0), 16};
	ck_assert_int_ge(ioreqd_vdrv_add(&f.drv[0], b, 1, 0, false, (void *)2), 0);
	vmf_kick(&f, 0);
	ck_assert_ptr_eq(vmf_used(&f, 0, efd(), &len), (void *)2);
	ck_assert_uint_eq(len, 0);
	/* A read with device-readable data after its header. */
	b[0] = (struct ioreqd_vdrv_buf){HDR_GPA(0), 16};
	b[1] = (struct ioreqd_vdrv_buf){BUF_GPA(0), 512};
	b[2] = (struct ioreqd_vdrv_buf){STATUS_GPA(0), 1};
	ck_assert_int_ge(ioreqd_vdrv_add(&f.drv[0], b, 2, 1, false, (void *)3), 0);
	vmf_kick(&f, 0);
	ck_assert_ptr_eq(vmf_used(&f, 0, efd(), &len), (void *)3);
	ck_assert_uint_eq(*(uint8_t *)vmf_hva(&f, STATUS_GPA(0)), IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(stats().bad_request, 3);
	/* The queue still serves. */
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, 0, BUF_GPA(0), 512),
	                  IOREQD_VBLK_S_OK);
}
END_TEST

START_TEST(unknown_types_are_unsupp_and_get_id_returns_the_serial)
{
	uint32_t len;

	up_with("serial = DISK-0001\n");
	ck_assert_uint_eq(run_req(99, 0, 0, 0), IOREQD_VBLK_S_UNSUPP);
	ck_assert_uint_eq(stats().unsupported, 1);
	memset(vmf_hva(&f, BUF_GPA(0)), 0xff, 20);
	add_req(0, IOREQD_VBLK_T_GET_ID, 0, BUF_GPA(0), 20);
	vmf_kick(&f, 0);
	ck_assert_ptr_eq(vmf_used(&f, 0, efd(), &len), (void *)1);
	ck_assert_uint_eq(*(uint8_t *)vmf_hva(&f, STATUS_GPA(0)), IOREQD_VBLK_S_OK);
	ck_assert_mem_eq(vmf_hva(&f, BUF_GPA(0)), "DISK-0001\0\0\0\0\0\0\0\0\0\0\0", 20);
	ck_assert_uint_eq(len, 21);
}
END_TEST

static void zero_req(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
	struct {
		uint64_t sector;
		uint32_t num, flags;
	} seg = {sector, n, flags};

	memcpy(vmf_hva(&f, BUF_GPA(8)), &seg, sizeof(seg));
}

START_TEST(discard_and_write_zeroes_read_back_zero)
{
	uint8_t zero[4096] = {0}, got[4096];

	up_with(NULL);
	ck_assert(ioreqd_virtio_device_features(f.vdev) & BIT(IOREQD_VBLK_F_DISCARD));
	ck_assert(ioreqd_virtio_device_features(f.vdev) &
	          BIT(IOREQD_VBLK_F_WRITE_ZEROES));
	zero_req(IOREQD_VBLK_T_WRITE_ZEROES, 8, 8, 0);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_WRITE_ZEROES, 0, BUF_GPA(8), 16),
	                  IOREQD_VBLK_S_OK);
	pread_disk(got, 4096, 8 * 512);
	ck_assert_mem_eq(got, zero, 4096);
	zero_req(IOREQD_VBLK_T_DISCARD, 64, 8, 0);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_DISCARD, 0, BUF_GPA(8), 16),
	                  IOREQD_VBLK_S_OK);
	pread_disk(got, 4096, 64 * 512);
	ck_assert_mem_eq(got, zero, 4096);
	/* Flags that discard does not know; a range past the end. */
	zero_req(IOREQD_VBLK_T_DISCARD, 64, 8, 1);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_DISCARD, 0, BUF_GPA(8), 16),
	                  IOREQD_VBLK_S_UNSUPP);
	zero_req(IOREQD_VBLK_T_WRITE_ZEROES, DISK_SECTORS - 4, 8, 0);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_WRITE_ZEROES, 0, BUF_GPA(8), 16),
	                  IOREQD_VBLK_S_IOERR);
	/* Two segments (max_discard_seg is 1). */
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_DISCARD, 0, BUF_GPA(8), 32),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(stats().discards, 1);
	ck_assert_uint_eq(stats().write_zeroes, 1);
}
END_TEST

START_TEST(eio_from_the_backing_is_ioerr_and_the_device_keeps_serving)
{
	up_with(NULL);
	ioreqd_vblk_inject_error(blk(), EIO);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, 0, BUF_GPA(0), 4096),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_OUT, 0, BUF_GPA(0), 4096),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_FLUSH, 0, 0, 0), IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(stats().io_errors, 3);
	ck_assert(mock_log_contains(f.m, "Input/output error"));
	ioreqd_vblk_inject_error(blk(), 0);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, 0, BUF_GPA(0), 4096),
	                  IOREQD_VBLK_S_OK);
	ck_assert_uint_eq(stats().in_flight, 0);
}
END_TEST

START_TEST(a_failed_submit_is_ioerr_and_never_runs_later)
{
	uint8_t buf[4096];

	up_with(NULL);
	memset(vmf_hva(&f, BUF_GPA(0)), 0xee, 4096);
	memset(vmf_hva(&f, BUF_GPA(1)), 0x11, 4096);
	ioreqd_vblk_inject_submit_error(blk(), EAGAIN);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, 0, BUF_GPA(0), 4096),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_OUT, 8, BUF_GPA(1), 4096),
	                  IOREQD_VBLK_S_IOERR);
	ck_assert_uint_eq(stats().submit_failed, 2);
	ck_assert_uint_eq(stats().io_errors, 2);
	ck_assert_uint_eq(stats().in_flight, 0);
	ioreqd_vblk_inject_submit_error(blk(), 0);
	/* The next submit must not carry the withdrawn read and write along. */
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_IN, 16, BUF_GPA(2), 4096),
	                  IOREQD_VBLK_S_OK);
	ck_assert_uint_eq(run_req(IOREQD_VBLK_T_FLUSH, 0, 0, 0), IOREQD_VBLK_S_OK);
	for (unsigned i = 0; i < 4096; i++)
		ck_assert_uint_eq(((uint8_t *)vmf_hva(&f, BUF_GPA(0)))[i], 0xee);
	pread_disk(buf, sizeof(buf), 8 * 512);
	ck_assert_uint_eq(buf[0], (uint8_t)(8 * 512 * 7 + 8));
	ck_assert_uint_eq(stats().reads, 2);
	ck_assert_uint_eq(stats().in_flight, 0);
	ck_assert_uint_eq(stats().submit_failed, 2);
}
END_TEST

START_TEST(thirty_two_requests_one_kick_fewer_interrupts)
{
	uint32_t len;
	unsigned got = 0;

	up_with(NULL);
	ioreqd_vdrv_disable_irq(&f.drv[0]);
	for (unsigned i = 0; i < 32; i++)
		add_req(i, IOREQD_VBLK_T_IN, (uint64_t)i * 8, BUF_GPA(i % 32), 4096);
	ck_assert(vmf_kick(&f, 0));
	while (got < 32 && vmf_used(&f, 0, efd(), &len))
		got++;
	ck_assert_uint_eq(got, 32);
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(*(uint8_t *)vmf_hva(&f, STATUS_GPA(i)),
		                  IOREQD_VBLK_S_OK);
	ck_assert_uint_le(f.vring_irqs[0], 1);
	ck_assert_uint_eq(stats().reads, 32);
}
END_TEST

START_TEST(reset_waits_for_io_in_flight)
{
	struct ioreqd_virtq_stats qs;

	up_with(NULL);
	memset(vmf_hva(&f, BUF_GPA(0)), 0x5a, 4096);
	add_req(0, IOREQD_VBLK_T_OUT, 0, BUF_GPA(0), 4096);
	add_req(1, IOREQD_VBLK_T_FLUSH, 0, 0, 0);
	vmf_kick(&f, 0);
	ioreqd_virtio_set_status(f.vdev, 0); /* reset */
	ck_assert_uint_eq(stats().in_flight, 0);
	ck_assert_uint_eq(*(uint8_t *)vmf_hva(&f, STATUS_GPA(1)), IOREQD_VBLK_S_OK);
	ioreqd_virtq_stats(ioreqd_virtio_queue(f.vdev, 0), &qs);
	ck_assert_uint_eq(qs.in_flight, 0);
}
END_TEST

static void bad_config(const char *conf, const char *want)
{
	ck_assert_int_lt(vmf_add(&f, &blk_model, conf), 0);
	ck_assert_msg(strstr(mock_error(f.m), want), "got '%s'", mock_error(f.m));
}

START_TEST(missing_path_is_a_config_error)
{
	bad_config("readonly = no", "mock.conf:1: device vd0: path: required");
}
END_TEST

START_TEST(readonly_takes_the_daemons_booleans)
{
	/* The configuration file's own words and message (host->cfg_bool). */
	bad_config("readonly = maybe",
	           "device vd0: readonly: bad boolean 'maybe' (use yes or no)");
	vmf_free(&f); /* the refused device's mock, before a second one */
	up_with("readonly = On\n");
	ck_assert(ioreqd_virtio_device_features(f.vdev) & BIT(IOREQD_VBLK_F_RO));
}
END_TEST

START_TEST(unreadable_file_is_a_config_error)
{
	char conf[160];

	snprintf(conf, sizeof(conf), "path = %s/nonexistent", dir);
	bad_config(conf, "mock.conf:4");
	ck_assert(strstr(mock_error(f.m), "No such file"));
}
END_TEST

/* --- the hook itself: the model behind virtio-mmio, as a guest sees it --- */

#define MMIO_BASE 0x02000000ull

static int io_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	*val = mock_read(ctx, IOREQD_SPACE_MMIO, MMIO_BASE + off, size);
	return 0;
}

static int io_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	mock_write(ctx, IOREQD_SPACE_MMIO, MMIO_BASE + off, size, val);
	return 0;
}

static int hook_add(struct mock *m, const char *extra, ioreqd_dev_t **dev)
{
	char conf[256];

	snprintf(conf, sizeof(conf), "mmio = 0x02000000+0x200\nirq = 33\npath = %s\n%s",
	         disk, extra);
	return mock_add(m, ioreqd_builtin_hook_find("virtio-blk"), "vblk0", conf, dev);
}

/* Submit one request through the transport and wait for it; @return its status. */
static uint8_t hook_req(struct mock *m, struct ioreqd_vguest *g, int fd, uint32_t type,
                        uint64_t sector, uint64_t data_gpa, uint32_t len)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = {type, 0, sector};
	uint8_t *ram = mock_guest_mem(m);
	bool in = type == IOREQD_VBLK_T_IN;
	struct ioreqd_vdrv_buf b[3] = {{0x40000, 16}, {data_gpa, len}, {0x40100, 1}};
	int cookie;
	uint32_t used;

	memcpy(ram + 0x40000, &hdr, sizeof(hdr));
	ram[0x40100] = 0xee;
	ck_assert_int_ge(ioreqd_vguest_submit(g, 0, b, in ? 1 : 2, in ? 2 : 1, &cookie),
	                 0);
	while (!ioreqd_vdrv_get_used(&g->q[0], &used)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		ck_assert_int_eq(poll(&p, 1, 10000), 1);
		mock_fire_watch(m, fd, IOREQD_WATCH_READ);
	}
	return ram[0x40100];
}

START_TEST(hook_over_mmio_writes_and_reads_the_disk)
{
	struct mock *m = mock_new(1);
	struct ioreqd_vguest_mmio t = {{io_read, io_write, NULL}};
	struct ioreqd_vguest_ram ram = {.ram = NULL,
	                                .ram_gpa = 0,
	                                .ram_size = MOCK_GUEST_SIZE,
	                                .ring_gpa = 0x10000,
	                                .ring_len = 0x10000};
	struct ioreqd_vguest g;
	ioreqd_dev_t *dev;
	struct vdev *v;
	uint8_t *src, got[4096];
	char err[128] = "";
	int fd;

	ck_assert_msg(hook_add(m, "", &dev) == 0, "%s", mock_error(m));
	v = mock_dev_priv(dev);
	fd = ioreqd_vblk_event_fd(v->mstate);
	t.io.ctx = m;
	ram.ram = mock_guest_mem(m);
	ck_assert_msg(ioreqd_vguest_init(&g, &ioreqd_vguest_mmio_ops, &t, 2,
	                                 BIT(IOREQD_VBLK_F_FLUSH) |
	                                     BIT(IOREQD_VIRTIO_F_EVENT_IDX) |
	                                     BIT(IOREQD_VIRTIO_F_INDIRECT_DESC),
	                                 1, 16, &ram, err, sizeof(err)) == 0,
	              "%s", err);
	ck_assert(g.features & BIT(IOREQD_VBLK_F_FLUSH));
	src = mock_guest_mem(m) + 0x50000;
	for (unsigned i = 0; i < 4096; i++)
		src[i] = (uint8_t)(i * 13 + 1);
	ck_assert_uint_eq(hook_req(m, &g, fd, IOREQD_VBLK_T_OUT, 40, 0x50000, 4096),
	                  IOREQD_VBLK_S_OK);
	ck_assert_uint_eq(hook_req(m, &g, fd, IOREQD_VBLK_T_FLUSH, 0, 0x50000, 0),
	                  IOREQD_VBLK_S_OK);
	pread_disk(got, sizeof(got), 40 * 512);
	ck_assert_mem_eq(got, src, sizeof(got));
	ck_assert_uint_eq(hook_req(m, &g, fd, IOREQD_VBLK_T_IN, 40, 0x60000, 4096),
	                  IOREQD_VBLK_S_OK);
	ck_assert_mem_eq(mock_guest_mem(m) + 0x60000, src, 4096);
	ck_assert_int_eq(mock_irq_level(m, 33), 1);
	ioreqd_vguest_fini(&g);
	mock_free(m);
}
END_TEST

START_TEST(queue_size_not_a_power_of_two_is_a_config_error)
{
	struct mock *m = mock_new(1);

	ck_assert_int_lt(hook_add(m, "queue_size = 100\n", NULL), 0);
	ck_assert_msg(strstr(mock_error(m), "mock.conf:6"), "%s", mock_error(m));
	mock_free(m);
}
END_TEST

static Suite *blk_suite(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("blk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, read_returns_the_backing_file);
	tcase_add_test(tc, write_reaches_the_backing_file_and_reads_back);
	tcase_add_test(tc, config_space_has_capacity_blk_size_and_seg_max);
	tcase_add_test(tc, readonly_offers_ro_and_refuses_writes);
	tcase_add_test(tc, sectors_outside_the_disk_are_ioerr);
	tcase_add_test(tc, lengths_not_a_multiple_of_512_are_ioerr);
	tcase_add_test(tc, malformed_headers_are_refused);
	tcase_add_test(tc, unknown_types_are_unsupp_and_get_id_returns_the_serial);
	tcase_add_test(tc, discard_and_write_zeroes_read_back_zero);
	tcase_add_test(tc, eio_from_the_backing_is_ioerr_and_the_device_keeps_serving);
	tcase_add_test(tc, a_failed_submit_is_ioerr_and_never_runs_later);
	tcase_add_test(tc, thirty_two_requests_one_kick_fewer_interrupts);
	tcase_add_test(tc, reset_waits_for_io_in_flight);
	tcase_add_test(tc, missing_path_is_a_config_error);
	tcase_add_test(tc, readonly_takes_the_daemons_booleans);
	tcase_add_test(tc, unreadable_file_is_a_config_error);
	tcase_add_test(tc, hook_over_mmio_writes_and_reads_the_disk);
	tcase_add_test(tc, queue_size_not_a_power_of_two_is_a_config_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(blk_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
