/* SPDX-License-Identifier: MIT */
/*
 * check_virtio_state: the virtio hooks' device state (lib/virtio/vstate.c,
 * the transports' and models' fields, hooks/virtio/vdev.c) through the mock
 * daemon, for every transport and device: a guest driver (lib/virtio/vguest)
 * brings the device up and uses it, a request is left in flight, the device
 * model's state is saved, loaded into a fresh daemon whose guest RAM is a
 * copy of the old one's, and the guest carries on there: the request in
 * flight completes exactly once, new requests are served from where the old
 * queue stopped, the BAR and the interrupt state are where they were.  Then
 * the refusals: another disk, a BAR whose place is taken, corrupt,
 * truncated and future records.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "devstate.h"
#include "mock-host.h"
#include "vguest-pci.h"
#include "vguest.h"
#include "virtio/blk.h"
#include "virtio/vdev.h"

#define MMIO_BASE 0x02000000ull
#define IRQ 33
#define SBDF IOREQD_PCI_SBDF(0, 0, 4, 0)
#define BAR 0xe0000000ull
#define MSI_ADDR 0xfee00000ull
#define MSI_DATA 0x4040u
#define RING_GPA 0x10000ull
#define BUF_GPA(i) (0x40000ull + 0x2000ull * (i))
#define HDR_GPA(i) (0x80000ull + 0x20ull * (i))
#define STATUS_GPA(i) (0x90000ull + (i))
#define DISK_BYTES (1u << 20)

enum transport { T_MMIO, T_PCI, T_COUNT };
enum device { D_RNG, D_BLK, D_CONSOLE, D_COUNT };

static const char *const hook_names[D_COUNT] = {"virtio-rng", "virtio-blk",
                                                "virtio-console"};
static const unsigned nr_queues[D_COUNT] = {1, 1, 2};
static const uint32_t device_ids[D_COUNT] = {4, 2, 3};

static char dir[256];

/* One side of the test: a daemon (mock) and what its guest sees. */
struct side {
	struct mock *m;
	ioreqd_dev_t *dev;
};

struct guest {
	enum transport tr;
	enum device d;
	struct side *s; /* where the register accesses go */
	struct ioreqd_vguest g;
	struct ioreqd_vguest_mmio mmio;
	struct ioreqd_vguest_pci pci;
};

static int mmio_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct guest *gu = ctx;

	*val = mock_read(gu->s->m, IOREQD_SPACE_MMIO, MMIO_BASE + off, size);
	return 0;
}

static int mmio_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct guest *gu = ctx;

	mock_write(gu->s->m, IOREQD_SPACE_MMIO, MMIO_BASE + off, size, val);
	return 0;
}

static int cfg_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	struct guest *gu = ctx;

	*val = mock_read(gu->s->m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(SBDF, off), size);
	return 0;
}

static int cfg_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct guest *gu = ctx;

	mock_write(gu->s->m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(SBDF, off), size, val);
	return 0;
}

static int mem_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct guest *gu = ctx;

	*val = mock_read(gu->s->m, IOREQD_SPACE_MMIO, gpa, size);
	return 0;
}

static int mem_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	struct guest *gu = ctx;

	mock_write(gu->s->m, IOREQD_SPACE_MMIO, gpa, size, val);
	return 0;
}

static void conf_of(enum transport tr, enum device d, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s",
	                 tr == T_MMIO ? "mmio = 0x02000000+0x200\nirq = 33\n"
	                              : "transport = pci\npci = 00:04.0\n");

	if (d == D_BLK)
		snprintf(buf + n, len - (size_t)n, "path = %s/disk.img\n", dir);
	else if (d == D_CONSOLE)
		snprintf(buf + n, len - (size_t)n, "backend = file\npath = %s/cons.log\n",
		         dir);
}

static void side_new(struct side *s, enum transport tr, enum device d)
{
	char conf[512];

	conf_of(tr, d, conf, sizeof(conf));
	s->m = mock_new(1);
	ck_assert_msg(mock_add(s->m, ioreqd_builtin_hook_find(hook_names[d]), "v0", conf,
	                       &s->dev) == 0,
	              "%s", mock_error(s->m));
}

static void guest_up(struct guest *gu, struct side *s, enum transport tr, enum device d)
{
	struct ioreqd_vguest_ram ram = {
	    .ram = mock_guest_mem(s->m),
	    .ram_gpa = 0,
	    .ram_size = MOCK_GUEST_SIZE,
	    .ring_gpa = RING_GPA,
	    .ring_len = 0x20000,
	};
	const struct ioreqd_vguest_transport_ops *ops;
	char err[128] = "";
	void *t;

	memset(gu, 0, sizeof(*gu));
	gu->tr = tr;
	gu->d = d;
	gu->s = s;
	gu->mmio.io = (struct ioreqd_vguest_io){mmio_read, mmio_write, gu};
	gu->pci.cfg = (struct ioreqd_vguest_io){cfg_read, cfg_write, gu};
	gu->pci.mem = (struct ioreqd_vguest_io){mem_read, mem_write, gu};
	gu->pci.bar_gpa = BAR;
	gu->pci.msix = true;
	gu->pci.msi_addr = MSI_ADDR;
	gu->pci.msi_data = MSI_DATA;
	ops = tr == T_MMIO ? &ioreqd_vguest_mmio_ops : &ioreqd_vguest_pci_ops;
	t = tr == T_MMIO ? (void *)&gu->mmio : (void *)&gu->pci;
	ck_assert_msg(ioreqd_vguest_init(&gu->g, ops, t, device_ids[d], 0, nr_queues[d],
	                                 16, &ram, err, sizeof(err)) == 0,
	              "%s", err);
	for (unsigned q = 0; q < nr_queues[d]; q++)
		ioreqd_vdrv_enable_irq(&gu->g.q[q]);
}

/* The guest now runs against @p s, whose RAM is a copy of the old one's. */
static void guest_move(struct guest *gu, struct side *s)
{
	gu->s = s;
	for (unsigned q = 0; q < gu->g.nr_queues; q++)
		ioreqd_vdrv_move_ram(&gu->g.q[q], mock_guest_mem(s->m));
}

static uint8_t *ram(struct guest *gu, uint64_t gpa)
{
	return mock_guest_mem(gu->s->m) + gpa;
}

static int blk_fd(struct side *s)
{
	struct vdev *v = mock_dev_priv(s->dev);

	return ioreqd_vblk_event_fd(v->mstate);
}

/* Collect a used buffer of queue @p q, letting blk's completions in first. */
static void *used(struct guest *gu, unsigned q, uint32_t *len)
{
	void *c = ioreqd_vdrv_get_used(&gu->g.q[q], len);

	for (int i = 0; !c && gu->d == D_BLK && i < 100; i++) {
		struct pollfd pfd = {.fd = blk_fd(gu->s), .events = POLLIN};

		if (poll(&pfd, 1, 100) > 0)
			mock_fire_watch(gu->s->m, pfd.fd, IOREQD_WATCH_READ);
		c = ioreqd_vdrv_get_used(&gu->g.q[q], len);
	}
	return c;
}

static void blk_submit(struct guest *gu, unsigned i, uint32_t type, uint64_t sector,
                       uint32_t len)
{
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr = {type, 0, sector};
	struct ioreqd_vdrv_buf b[3] = {
	    {HDR_GPA(i), 16},
	    {BUF_GPA(i), len},
	    {STATUS_GPA(i), 1},
	};

	memcpy(ram(gu, HDR_GPA(i)), &hdr, sizeof(hdr));
	*ram(gu, STATUS_GPA(i)) = 0xee;
	ck_assert_int_ge(ioreqd_vguest_submit(&gu->g, 0, b,
	                                      type == IOREQD_VBLK_T_OUT ? 2 : 1,
	                                      type == IOREQD_VBLK_T_OUT ? 1 : 2,
	                                      (void *)(uintptr_t)(i + 1)),
	                 0);
}

/* Run one request of the device to completion and check what it did. */
static void exchange(struct guest *gu, unsigned i, uint8_t pattern)
{
	struct ioreqd_vdrv_buf b = {BUF_GPA(i), 64};
	uint32_t len = 0;

	switch (gu->d) {
	case D_RNG:
		memset(ram(gu, BUF_GPA(i)), 0, 64);
		ck_assert_int_ge(ioreqd_vguest_submit(&gu->g, 0, &b, 0, 1, &b), 0);
		ck_assert_ptr_eq(used(gu, 0, &len), &b);
		ck_assert_uint_eq(len, 64);
		break;
	case D_BLK:
		memset(ram(gu, BUF_GPA(i)), pattern, 4096);
		blk_submit(gu, i, IOREQD_VBLK_T_OUT, 8 * i, 4096);
		ck_assert_ptr_eq(used(gu, 0, &len), (void *)(uintptr_t)(i + 1));
		ck_assert_uint_eq(*ram(gu, STATUS_GPA(i)), IOREQD_VBLK_S_OK);
		break;
	default:
		b.len = 3;
		memset(ram(gu, BUF_GPA(i)), pattern, 3);
		ck_assert_int_ge(ioreqd_vguest_submit(&gu->g, 1, &b, 1, 0, &b), 0);
		ck_assert_ptr_eq(used(gu, 1, &len), &b);
		break;
	}
}

static void save(struct side *s, uint8_t **buf, size_t *len)
{
	char err[IOREQD_DEVSTATE_MSGLEN];
	int rc = ioreqd_devstate_save(mock_dm(s->m), buf, len, err, sizeof(err));

	ck_assert_msg(rc == 0, "save: %d %s", rc, err);
}

static int load(struct side *s, const uint8_t *buf, size_t len, char *err, size_t elen)
{
	return ioreqd_devstate_load(mock_dm(s->m), buf, len, err, elen);
}

static void make_file(const char *name, size_t bytes)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)bytes), 0);
	close(fd);
}

static void setup(void)
{
	ck_assert_int_eq(mock_tmpdir_make(dir, sizeof(dir), "check_vstate"), 0);
	make_file("disk.img", DISK_BYTES);
	make_file("cons.log", 0);
}

static void teardown(void)
{
	mock_tmpdir_remove(dir);
}

static void read_file(const char *name, char *buf, size_t len)
{
	char path[300];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, len - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = 0;
	close(fd);
}

/*
 * The round trip, for transport _i / D_COUNT and device _i % D_COUNT: use the
 * device, leave a request in flight, save, load into a fresh daemon, carry on.
 */
START_TEST(test_state_round_trips_and_the_guest_carries_on)
{
	enum transport tr = (enum transport)(_i / D_COUNT);
	enum device d = (enum device)(_i % D_COUNT);
	struct side a, b;
	struct guest gu;
	uint8_t *buf1 = NULL, *buf2 = NULL;
	size_t len1 = 0, len2 = 0;
	char err[IOREQD_DEVSTATE_MSGLEN];
	uint32_t len;
	unsigned msis;

	side_new(&a, tr, d);
	guest_up(&gu, &a, tr, d);
	exchange(&gu, 0, 'a');
	exchange(&gu, 1, 'b');
	if (d == D_BLK) {
		/* Left in flight: the save completes it, the new daemon must not again.
		 */
		memset(ram(&gu, BUF_GPA(2)), 'c', 4096);
		blk_submit(&gu, 2, IOREQD_VBLK_T_OUT, 16, 4096);
	}
	save(&a, &buf1, &len1);

	side_new(&b, tr, d);
	memcpy(mock_guest_mem(b.m), mock_guest_mem(a.m), MOCK_GUEST_SIZE);
	ck_assert_msg(load(&b, buf1, len1, err, sizeof(err)) == 0, "load: %s", err);
	/* The loaded device saves to the same bytes: nothing was lost or invented. */
	save(&b, &buf2, &len2);
	ck_assert_uint_eq(len1, len2);
	ck_assert_mem_eq(buf1, buf2, len1);
	mock_free(a.m);
	guest_move(&gu, &b);

	if (d == D_BLK) {
		ck_assert_ptr_eq(used(&gu, 0, &len), (void *)3);
		ck_assert_uint_eq(*ram(&gu, STATUS_GPA(2)), IOREQD_VBLK_S_OK);
		ck_assert_ptr_null(used(&gu, 0, &len));
	}
	if (tr == T_MMIO)
		ck_assert_int_eq(mock_irq_level(b.m, IRQ),
		                 mock_read(b.m, IOREQD_SPACE_MMIO, MMIO_BASE + 0x60, 4) !=
		                     0);
	msis = mock_msi_count(b.m);
	/* The registers answer on the new daemon (for pci: at the guest's BAR). */
	ck_assert_uint_eq(
	    ioreqd_virtio_status(((struct vdev *)mock_dev_priv(b.dev))->vdev),
	    IOREQD_VIRTIO_S_ACKNOWLEDGE | IOREQD_VIRTIO_S_DRIVER |
	        IOREQD_VIRTIO_S_FEATURES_OK | IOREQD_VIRTIO_S_DRIVER_OK);
	exchange(&gu, 3, 'd');
	exchange(&gu, 4, 'e');
	if (tr == T_PCI)
		ck_assert_uint_gt(mock_msi_count(b.m), msis);
	if (d == D_BLK) {
		/* Everything written before and after the restart reads back. */
		for (unsigned i = 0; i < 5; i++) {
			static const char pat[] = "abcde";

			memset(ram(&gu, BUF_GPA(5)), 0, 4096);
			blk_submit(&gu, 5, IOREQD_VBLK_T_IN, 8 * (i == 2 ? 2 : i), 4096);
			ck_assert_ptr_eq(used(&gu, 0, &len), (void *)6);
			ck_assert_uint_eq(*ram(&gu, STATUS_GPA(5)), IOREQD_VBLK_S_OK);
			ck_assert_uint_eq(ram(&gu, BUF_GPA(5))[0], (uint8_t)pat[i]);
			ck_assert_uint_eq(ram(&gu, BUF_GPA(5))[4095], (uint8_t)pat[i]);
		}
	}
	if (d == D_CONSOLE) {
		char out[64];

		read_file("cons.log", out, sizeof(out));
		ck_assert_str_eq(out, "aaabbbdddeee");
	}
	free(buf1);
	free(buf2);
	ioreqd_vguest_fini(&gu.g);
	mock_free(b.m);
}
END_TEST

START_TEST(test_blk_refuses_a_disk_of_another_size)
{
	struct side a, b;
	struct guest gu;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[IOREQD_DEVSTATE_MSGLEN];

	side_new(&a, T_MMIO, D_BLK);
	guest_up(&gu, &a, T_MMIO, D_BLK);
	exchange(&gu, 0, 'a');
	save(&a, &buf, &len);
	make_file("disk.img", DISK_BYTES / 2);
	side_new(&b, T_MMIO, D_BLK);
	ck_assert_int_eq(load(&b, buf, len, err, sizeof(err)), -EBADMSG);
	ck_assert_msg(strstr(err, "has 1024 sectors, the saved one had 2048") &&
	                  strstr(err, "no device was changed"),
	              "%s", err);
	ck_assert_uint_eq(mock_read(b.m, IOREQD_SPACE_MMIO, MMIO_BASE + 0x70, 4), 0);
	free(buf);
	ioreqd_vguest_fini(&gu.g);
	mock_free(a.m);
	mock_free(b.m);
}
END_TEST

START_TEST(test_pci_bar_over_another_device_is_refused)
{
	static const char td_conf[] = "pci = 00:05.0\nmmio = 0xfeb01000+0x1000\n";
	const struct ioreqd_hook *td = ioreqd_builtin_hook_find("testdev");
	uint32_t td_sbdf = IOREQD_PCI_SBDF(0, 0, 5, 0);
	struct side a, b;
	struct guest gu;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[IOREQD_DEVSTATE_MSGLEN];

	side_new(&a, T_PCI, D_RNG);
	ck_assert_int_eq(mock_add(a.m, td, "td", td_conf, NULL), 0);
	guest_up(&gu, &a, T_PCI, D_RNG);
	save(&a, &buf, &len);
	side_new(&b, T_PCI, D_RNG);
	ck_assert_int_eq(mock_add(b.m, td, "td", td_conf, NULL), 0);
	/* In the new daemon, testdev's BAR already sits where the saved one was. */
	mock_write(b.m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(td_sbdf, 0x10), 4, BAR);
	mock_write(b.m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(td_sbdf, 0x04), 2, 2);
	/* A BAR placed is a change a checkpoint keeps. */
	ck_assert_uint_eq(mock_state_changes(b.m), 1);
	ck_assert_int_eq(load(&b, buf, len, err, sizeof(err)), -EBUSY);
	ck_assert_msg(strstr(err, "device v0") &&
	                  strstr(err, "BAR0 cannot be re-claimed") &&
	                  strstr(err, "no device was changed"),
	              "%s", err);
	/* Nothing moved: the config space is as before and testdev keeps its BAR. */
	ck_assert_uint_eq(
	    mock_read(b.m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(SBDF, 0x10), 4), 0x4);
	ck_assert_uint_ne(mock_read(b.m, IOREQD_SPACE_MMIO, BAR + 4, 4), 0xffffffffu);
	free(buf);
	ioreqd_vguest_fini(&gu.g);
	mock_free(a.m);
	mock_free(b.m);
}
END_TEST

/*
 * A guest may put its BAR over another device's range, where it is never
 * claimed: its state must still load (found by fuzz_virtio_dev), with the BAR
 * left unclaimed as it was and the other device untouched.
 */
START_TEST(test_pci_bar_the_guest_put_over_another_device_still_loads)
{
	static const char td_conf[] = "pci = 00:05.0\nmmio = 0xfeb01000+0x1000\n";
	const struct ioreqd_hook *td = ioreqd_builtin_hook_find("testdev");
	struct side a, b;
	struct guest gu;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[IOREQD_DEVSTATE_MSGLEN] = "";

	side_new(&a, T_PCI, D_RNG);
	ck_assert_int_eq(mock_add(a.m, td, "td", td_conf, NULL), 0);
	guest_up(&gu, &a, T_PCI, D_RNG);
	/* Move the virtio BAR over testdev's window: refused, left unclaimed. */
	mock_write(a.m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(SBDF, 0x10), 4, 0xfeb00004u);
	mock_write(a.m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(SBDF, 0x14), 4, 0);
	ck_assert_uint_eq(mock_read(a.m, IOREQD_SPACE_MMIO, BAR, 4), 0xffffffffu);
	save(&a, &buf, &len);
	side_new(&b, T_PCI, D_RNG);
	ck_assert_int_eq(mock_add(b.m, td, "td", td_conf, NULL), 0);
	ck_assert_msg(load(&b, buf, len, err, sizeof(err)) == 0, "%s", err);
	/* The BAR is where the guest put it, still unclaimed; testdev keeps its window.
	 */
	ck_assert_uint_eq(
	    mock_read(b.m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(SBDF, 0x10), 4),
	    0xfeb00004u);
	ck_assert_uint_ne(mock_read(b.m, IOREQD_SPACE_MMIO, 0xfeb01000 + 4, 4),
	                  0xffffffffu);
	ck_assert_uint_eq(mock_read(b.m, IOREQD_SPACE_MMIO, BAR, 4), 0xffffffffu);
	free(buf);
	ioreqd_vguest_fini(&gu.g);
	mock_free(a.m);
	mock_free(b.m);
}
END_TEST

/* The same for testdev: its BAR put over the virtio device's is saved unclaimed. */
START_TEST(test_testdev_bar_the_guest_put_over_another_device_still_loads)
{
	static const char td_conf[] = "pci = 00:05.0\nmmio = 0xfeb01000+0x1000\n";
	const struct ioreqd_hook *td = ioreqd_builtin_hook_find("testdev");
	uint32_t td_sbdf = IOREQD_PCI_SBDF(0, 0, 5, 0);
	struct side a, b;
	struct guest gu;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[IOREQD_DEVSTATE_MSGLEN] = "";

	side_new(&a, T_PCI, D_RNG);
	ck_assert_int_eq(mock_add(a.m, td, "td", td_conf, NULL), 0);
	guest_up(&gu, &a, T_PCI, D_RNG);
	mock_write(a.m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(td_sbdf, 0x10), 4, BAR);
	ck_assert_uint_eq(mock_read(a.m, IOREQD_SPACE_MMIO, 0xfeb01000 + 4, 4),
	                  0xffffffffu);
	save(&a, &buf, &len);
	side_new(&b, T_PCI, D_RNG);
	ck_assert_int_eq(mock_add(b.m, td, "td", td_conf, NULL), 0);
	ck_assert_msg(load(&b, buf, len, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(
	    mock_read(b.m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(td_sbdf, 0x10), 4), BAR);
	ck_assert_uint_eq(mock_read(b.m, IOREQD_SPACE_MMIO, 0xfeb01000 + 4, 4),
	                  0xffffffffu);
	free(buf);
	ioreqd_vguest_fini(&gu.g);
	mock_free(a.m);
	mock_free(b.m);
}
END_TEST

/* Save one device's blob with the hook, let @p edit change the core record, load it. */
static int load_edited(struct side *a, struct side *b,
                       void (*edit)(uint8_t *rec, size_t *len), char *why, size_t wl)
{
	const struct ioreqd_hook *h = ioreqd_builtin_hook_find("virtio-rng");
	ioreqd_state_t *st = ioreqd_state_new(), *in = NULL, *out = ioreqd_state_new();
	const void *data;
	uint8_t rec[512];
	size_t len;
	long rlen;
	int rc;

	ck_assert_int_eq(h->save(mock_dev_priv(a->dev), st), 0);
	data = ioreqd_state_data(st, &len);
	ck_assert_int_eq(ioreqd_state_open(data, len, &in), 0);
	rlen = ioreqd_state_len(in, VDEV_TAG_CORE);
	ck_assert_int_gt(rlen, 0);
	ck_assert_int_le(rlen, (long)sizeof(rec));
	ck_assert_int_eq(ioreqd_state_get(in, VDEV_TAG_CORE, rec, (size_t)rlen), 0);
	len = (size_t)rlen;
	edit(rec, &len);
	ck_assert_int_eq(ioreqd_state_put(out, VDEV_TAG_CORE, rec, len), 0);
	/* The transport's fields as saved. */
	for (uint16_t tag = VDEV_TAG_TRANSPORT; tag < VDEV_TAG_MODEL; tag++) {
		long n = ioreqd_state_len(in, tag);
		uint8_t f[1024];

		if (n < 0)
			continue;
		ck_assert_int_le(n, (long)sizeof(f));
		ck_assert_int_eq(ioreqd_state_get(in, tag, f, (size_t)n), 0);
		ck_assert_int_eq(ioreqd_state_put(out, tag, f, (size_t)n), 0);
	}
	ioreqd_state_free(in);
	data = ioreqd_state_data(out, &len);
	ck_assert_int_eq(ioreqd_state_open(data, len, &in), 0);
	rc = h->load(mock_dev_priv(b->dev), in, VDEV_STATE_VERSION);
	snprintf(why, wl, "%s", ioreqd_state_error(in));
	ioreqd_state_free(in);
	ioreqd_state_free(st);
	ioreqd_state_free(out);
	return rc;
}

static void edit_none(uint8_t *rec, size_t *len)
{
	(void)rec;
	(void)len;
}

static void edit_truncate(uint8_t *rec, size_t *len)
{
	(void)rec;
	*len -= 1;
}

static void edit_version(uint8_t *rec, size_t *len)
{
	(void)len;
	rec[0] = 2;
}

static void edit_status(uint8_t *rec, size_t *len)
{
	(void)len;
	rec[16] = IOREQD_VIRTIO_S_DRIVER_OK; /* without the steps before it */
}

static void edit_queue_size(uint8_t *rec, size_t *len)
{
	(void)len;
	rec[32 + 12] = 3; /* queue 0 (rng: no config space) size 3 */
}

static void edit_features(uint8_t *rec, size_t *len)
{
	(void)len;
	rec[20 + 7] |= 0x80; /* feature 63, never offered */
}

START_TEST(test_corrupt_core_records_are_refused_and_change_nothing)
{
	static const struct {
		void (*edit)(uint8_t *, size_t *);
		const char *why;
	} cases[] = {
	    {edit_truncate, "expected"},        {edit_version, "version 2"},
	    {edit_status, "cannot be reached"}, {edit_queue_size, "size 3"},
	    {edit_features, "not a subset"},
	};
	struct side a, b;
	struct guest gu;
	char why[256];

	side_new(&a, T_MMIO, D_RNG);
	guest_up(&gu, &a, T_MMIO, D_RNG);
	exchange(&gu, 0, 0);
	side_new(&b, T_MMIO, D_RNG);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(load_edited(&a, &b, cases[i].edit, why, sizeof(why)),
		                 -EBADMSG);
		ck_assert_msg(strstr(why, cases[i].why), "case %zu: %s", i, why);
		ck_assert_uint_eq(mock_read(b.m, IOREQD_SPACE_MMIO, MMIO_BASE + 0x70, 4),
		                  0);
	}
	/* The same record unedited loads. */
	ck_assert_int_eq(load_edited(&a, &b, edit_none, why, sizeof(why)), 0);
	ck_assert_uint_eq(mock_read(b.m, IOREQD_SPACE_MMIO, MMIO_BASE + 0x70, 4), 0x0f);
	ioreqd_vguest_fini(&gu.g);
	mock_free(a.m);
	mock_free(b.m);
}
END_TEST

START_TEST(test_a_reset_device_round_trips_as_reset)
{
	struct side a, b;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[IOREQD_DEVSTATE_MSGLEN];

	side_new(&a, T_PCI, D_CONSOLE);
	save(&a, &buf, &len);
	side_new(&b, T_PCI, D_CONSOLE);
	ck_assert_msg(load(&b, buf, len, err, sizeof(err)) == 0, "%s", err);
	/* No BAR programmed: none claimed, config space as at power-on. */
	ck_assert_uint_eq(mock_read(b.m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(SBDF, 0), 4),
	                  0x10431af4);
	ck_assert_uint_eq(mock_read(b.m, IOREQD_SPACE_MMIO, BAR, 4), 0xffffffffu);
	free(buf);
	mock_free(a.m);
	mock_free(b.m);
}
END_TEST

START_TEST(test_setup_changes_are_reported_requests_are_not)
{
	struct side a;
	struct guest gu;
	unsigned n;

	side_new(&a, _i ? T_PCI : T_MMIO, D_RNG);
	ck_assert_uint_eq(mock_state_changes(a.m), 0);
	guest_up(&gu, &a, _i ? T_PCI : T_MMIO, D_RNG);
	/* ACKNOWLEDGE, DRIVER, FEATURES_OK, the queue, DRIVER_OK (and the BAR). */
	n = mock_state_changes(a.m);
	ck_assert_uint_ge(n, _i ? 6 : 5);
	exchange(&gu, 0, 0);
	exchange(&gu, 1, 0);
	ck_assert_uint_eq(mock_state_changes(a.m), n);
	ioreqd_vguest_fini(&gu.g);
	ck_assert_uint_gt(mock_state_changes(a.m), n);
	mock_free(a.m);
}
END_TEST

/*
 * A checkpoint is older than the rings: the device served requests after
 * it.  The loaded queue takes its position from the used ring, so those are
 * not served again and new ones complete normally.
 */
START_TEST(test_an_older_state_carries_on_from_the_rings)
{
	struct side a, b;
	struct guest gu;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[IOREQD_DEVSTATE_MSGLEN];
	struct ioreqd_virtq_stats qs;

	side_new(&a, _i ? T_PCI : T_MMIO, D_RNG);
	guest_up(&gu, &a, _i ? T_PCI : T_MMIO, D_RNG);
	exchange(&gu, 0, 0);
	save(&a, &buf, &len);
	exchange(&gu, 1, 0);
	exchange(&gu, 2, 0);
	side_new(&b, _i ? T_PCI : T_MMIO, D_RNG);
	memcpy(mock_guest_mem(b.m), mock_guest_mem(a.m), MOCK_GUEST_SIZE);
	ck_assert_msg(load(&b, buf, len, err, sizeof(err)) == 0, "%s", err);
	mock_free(a.m);
	guest_move(&gu, &b);
	exchange(&gu, 3, 0);
	exchange(&gu, 4, 0);
	ioreqd_virtq_stats(
	    ioreqd_virtio_queue(((struct vdev *)mock_dev_priv(b.dev))->vdev, 0), &qs);
	ck_assert_uint_eq(qs.requests, 2);
	ck_assert(mock_log_contains(b.m, "older than the rings"));
	free(buf);
	ioreqd_vguest_fini(&gu.g);
	mock_free(b.m);
}
END_TEST

/*
 * The used ring is guest memory: a used idx the device cannot have written
 * (here far past what the driver made available) is not taken as the
 * device's progress; the saved state stands and the next request is served.
 */
START_TEST(test_a_scribbled_used_idx_does_not_move_a_loaded_queue)
{
	struct side a, b;
	struct guest gu;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[IOREQD_DEVSTATE_MSGLEN];
	struct ioreqd_virtq_stats qs;
	uint8_t *used;

	side_new(&a, _i ? T_PCI : T_MMIO, D_RNG);
	guest_up(&gu, &a, _i ? T_PCI : T_MMIO, D_RNG);
	exchange(&gu, 0, 0);
	save(&a, &buf, &len);
	side_new(&b, _i ? T_PCI : T_MMIO, D_RNG);
	memcpy(mock_guest_mem(b.m), mock_guest_mem(a.m), MOCK_GUEST_SIZE);
	used = mock_guest_mem(b.m) + (gu.g.q[0].used_gpa - gu.g.q[0].ram_gpa);
	used[2] = 0x77; /* used idx, little-endian */
	used[3] = 0x77;
	ck_assert_msg(load(&b, buf, len, err, sizeof(err)) == 0, "%s", err);
	mock_free(a.m);
	guest_move(&gu, &b);
	exchange(&gu, 1, 0);
	ioreqd_virtq_stats(
	    ioreqd_virtio_queue(((struct vdev *)mock_dev_priv(b.dev))->vdev, 0), &qs);
	ck_assert_uint_eq(qs.requests, 1);
	ck_assert(mock_log_contains(b.m, "cannot follow the saved"));
	free(buf);
	ioreqd_vguest_fini(&gu.g);
	mock_free(b.m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_state");
	TCase *tc = tcase_create("state");
	bool blk = ioreqd_builtin_hook_find("virtio-blk") != NULL;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	for (int i = 0; i < T_COUNT * D_COUNT; i++)
		if (blk || i % D_COUNT != D_BLK)
			tcase_add_loop_test(
			    tc, test_state_round_trips_and_the_guest_carries_on, i,
			    i + 1);
	if (blk)
		tcase_add_test(tc, test_blk_refuses_a_disk_of_another_size);
	tcase_add_test(tc, test_pci_bar_over_another_device_is_refused);
	tcase_add_test(tc, test_pci_bar_the_guest_put_over_another_device_still_loads);
	tcase_add_test(tc,
	               test_testdev_bar_the_guest_put_over_another_device_still_loads);
	tcase_add_test(tc, test_corrupt_core_records_are_refused_and_change_nothing);
	tcase_add_test(tc, test_a_reset_device_round_trips_as_reset);
	tcase_add_loop_test(tc, test_setup_changes_are_reported_requests_are_not, 0, 2);
	tcase_add_loop_test(tc, test_an_older_state_carries_on_from_the_rings, 0, 2);
	tcase_add_loop_test(tc, test_a_scribbled_used_idx_does_not_move_a_loaded_queue, 0,
	                    2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
