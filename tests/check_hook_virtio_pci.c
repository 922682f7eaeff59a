/* SPDX-License-Identifier: MIT */
/*
 * check_hook_virtio_pci: the virtio-pci transport with the virtio-rng model
 * through the mock host: the PCI header, the capability walk, BAR sizing and
 * moves (and a BAR over another device), the guest-side driver
 * (lib/virtio/vguest-pci) bringing the device up with MSI-X or with INTx,
 * MSI-X masking and pending bits, the ISR, the pci_cfg window, bad accesses
 * and bad configurations.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "mock-host.h"
#include "vguest-pci.h"

#define SBDF IOREQD_PCI_SBDF(0, 0, 4, 0)
#define CFG(reg) IOREQD_PCI_ADDR(SBDF, reg)
#define BAR 0xe0000000ull
#define BAR_SIZE 0x8000u
#define RING_GPA 0x10000ull
#define BUF_GPA 0x40000ull
#define MSI_ADDR 0xfee00000ull
#define MSI_DATA 0x4040u

/* BAR regions, as the transport lays them out. */
#define COMMON (BAR + 0x0000)
#define ISR (BAR + 0x1000)
#define NOTIFY (BAR + 0x3000)
#define TABLE (BAR + 0x4000)
#define PBA (BAR + 0x5000)

static const char *const rng_conf = "transport = pci\npci = 00:04.0\n";

static uint64_t cfg_read(struct mock *m, uint32_t reg, unsigned size)
{
	return mock_read(m, IOREQD_SPACE_PCI, CFG(reg), size);
}

static void cfg_write(struct mock *m, uint32_t reg, unsigned size, uint64_t v)
{
	mock_write(m, IOREQD_SPACE_PCI, CFG(reg), size, v);
}

static int io_cfg_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	*val = cfg_read(ctx, (uint32_t)off, size);
	return 0;
}

static int io_cfg_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	cfg_write(ctx, (uint32_t)off, size, val);
	return 0;
}

static int io_mem_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	*val = mock_read(ctx, IOREQD_SPACE_MMIO, gpa, size);
	return 0;
}

static int io_mem_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	mock_write(ctx, IOREQD_SPACE_MMIO, gpa, size, val);
	return 0;
}

static struct mock *rng_mock(const char *conf)
{
	struct mock *m = mock_new(1);

	ck_assert_int_eq(
	    mock_add(m, ioreqd_builtin_hook_find("virtio-rng"), "rng0", conf, NULL), 0);
	return m;
}

static void transport(struct mock *m, struct ioreqd_vguest_pci *t, bool msix)
{
	memset(t, 0, sizeof(*t));
	t->cfg = (struct ioreqd_vguest_io){
	    .read = io_cfg_read, .write = io_cfg_write, .ctx = m};
	t->mem = (struct ioreqd_vguest_io){
	    .read = io_mem_read, .write = io_mem_write, .ctx = m};
	t->bar_gpa = BAR;
	t->msix = msix;
	t->msi_addr = MSI_ADDR;
	t->msi_data = MSI_DATA;
}

static void driver_up(struct mock *m, struct ioreqd_vguest *g,
                      struct ioreqd_vguest_pci *t, bool msix)
{
	struct ioreqd_vguest_ram ram = {
	    .ram = mock_guest_mem(m),
	    .ram_gpa = 0,
	    .ram_size = MOCK_GUEST_SIZE,
	    .ring_gpa = RING_GPA,
	    .ring_len = 0x10000,
	};
	char err[128] = "";

	transport(m, t, msix);
	ck_assert_msg(ioreqd_vguest_init(g, &ioreqd_vguest_pci_ops, t, 4, 0, 1, 16, &ram,
	                                 err, sizeof(err)) == 0,
	              "%s", err);
	ioreqd_vdrv_enable_irq(&g->q[0]);
}

/* Ask for random bytes; @return true if they came back at once. */
static bool rng_request(struct ioreqd_vguest *g)
{
	struct ioreqd_vdrv_buf b = {.gpa = BUF_GPA, .len = 32};
	static int cookie;
	uint32_t len = 0;

	ck_assert_int_ge(ioreqd_vguest_submit(g, 0, &b, 0, 1, &cookie), 0);
	return ioreqd_vdrv_get_used(&g->q[0], &len) == &cookie && len == 32;
}

START_TEST(test_pci_header_identifies_a_modern_virtio_function)
{
	struct mock *m = rng_mock(rng_conf);

	ck_assert_uint_eq(cfg_read(m, 0x00, 2), 0x1af4);
	ck_assert_uint_eq(cfg_read(m, 0x02, 2), 0x1044);      /* 0x1040 + rng's 4 */
	ck_assert_uint_eq(cfg_read(m, 0x08, 4), 0x00ff0001);  /* class ff00, rev 1 */
	ck_assert_uint_eq(cfg_read(m, 0x0e, 1), 0);           /* type 0 */
	ck_assert_uint_eq(cfg_read(m, 0x06, 2) & 0x10, 0x10); /* capabilities */
	ck_assert_uint_eq(cfg_read(m, 0x2c, 4), 0x00441af4);
	ck_assert_uint_eq(cfg_read(m, 0x3d, 1), 1); /* INTA */
	/* Read-only fields stay; no extended capabilities. */
	cfg_write(m, 0x00, 4, 0);
	ck_assert_uint_eq(cfg_read(m, 0x00, 4), 0x10441af4);
	ck_assert_uint_eq(cfg_read(m, 0x100, 4), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_pci_class_and_device_follow_the_device_type)
{
	struct mock *m = mock_new(1);
	const struct ioreqd_hook *blk = ioreqd_builtin_hook_find("virtio-blk");
	uint32_t con = IOREQD_PCI_SBDF(0, 0, 5, 0);

	ck_assert_int_eq(mock_add(m, ioreqd_builtin_hook_find("virtio-console"), "con0",
	                          "transport = pci\npci = 00:05.0\nbackend = none\n",
	                          NULL),
	                 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(con, 0x00), 4),
	                  0x10431af4);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(con, 0x08), 4),
	                  0x07800001);
	/* Built with liburing: the disk is mass storage. */
	if (blk) {
		char dir[256], path[300], conf[512];
		uint32_t sbdf = IOREQD_PCI_SBDF(0, 0, 6, 0);
		ioreqd_dev_t *disk = NULL;
		FILE *fp;

		ck_assert_int_eq(mock_tmpdir_make(dir, sizeof(dir), "check_vpci"), 0);
		snprintf(path, sizeof(path), "%s/disk", dir);
		fp = fopen(path, "w");
		ck_assert_ptr_nonnull(fp);
		fclose(fp);
		ck_assert_int_eq(truncate(path, 1 << 20), 0);
		snprintf(conf, sizeof(conf),
		         "transport = pci\npci = 00:06.0\npath = %s\n", path);
		ck_assert_int_eq(mock_add(m, blk, "disk0", conf, &disk), 0);
		ck_assert_uint_eq(
		    mock_read(m, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(sbdf, 0x08), 4),
		    0x01800001);
		mock_dev_fini(disk);
		mock_tmpdir_remove(dir);
	}
	mock_free(m);
}
END_TEST

START_TEST(test_pci_capability_walk_finds_every_region)
{
	struct mock *m = rng_mock(rng_conf);
	struct ioreqd_vguest_pci t;
	uint32_t id = 0, types = 0;
	uint64_t ptr;

	transport(m, &t, false);
	ck_assert_int_eq(ioreqd_vguest_pci_ops.probe(&t, &id), 0);
	ck_assert_uint_eq(id, 4);
	ck_assert_uint_eq(t.bar_size, BAR_SIZE);
	ck_assert_uint_eq(t.common, COMMON);
	ck_assert_uint_eq(t.notify, NOTIFY);
	ck_assert_uint_eq(t.isr, ISR);
	ck_assert_uint_eq(t.device, 0); /* the rng has no config space */
	ck_assert_uint_eq(t.notify_mult, 4);
	ck_assert_uint_ne(t.msix_cap, 0);
	ck_assert_uint_eq(t.nr_vectors, 2); /* one queue plus config */
	/* Every vendor capability is 16 bytes or more and names BAR0. */
	for (ptr = cfg_read(m, 0x34, 1); ptr; ptr = cfg_read(m, (uint32_t)ptr + 1, 1)) {
		if (cfg_read(m, (uint32_t)ptr, 1) != 0x09)
			continue;
		ck_assert_uint_ge(cfg_read(m, (uint32_t)ptr + 2, 1), 16);
		ck_assert_uint_eq(cfg_read(m, (uint32_t)ptr + 4, 1), 0);
		types |= 1u << cfg_read(m, (uint32_t)ptr + 3, 1);
	}
	ck_assert_uint_eq(types, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 5));
	/* The common configuration answers at the BAR once decoding is on. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 2), 1);
	mock_free(m);
}
END_TEST

START_TEST(test_pci_bar_sizing_decode_and_moves)
{
	struct mock *m = rng_mock(rng_conf);

	/* All-ones reads back the size mask; the probe value is never mapped. */
	cfg_write(m, 0x10, 4, 0xffffffff);
	cfg_write(m, 0x14, 4, 0xffffffff);
	ck_assert_uint_eq(cfg_read(m, 0x10, 4), 0xffff8004);
	ck_assert_uint_eq(cfg_read(m, 0x14, 4), 0xffffffff);
	cfg_write(m, 0x04, 2, 0x2);
	ck_assert_uint_eq(
	    mock_read(m, IOREQD_SPACE_MMIO, 0xffffffffffff8000ull + 0x12, 2), 0xffff);
	cfg_write(m, 0x04, 2, 0);
	/* Placed with decoding off: not claimed yet. */
	cfg_write(m, 0x10, 4, (uint32_t)BAR);
	cfg_write(m, 0x14, 4, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 2), 0xffff);
	cfg_write(m, 0x04, 2, 0x2);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 2), 1);
	ck_assert(mock_log_contains(m, "BAR0 at 0xe0000000"));
	/* Decode off and on again where it was: no new line. */
	mock_log_clear(m);
	cfg_write(m, 0x04, 2, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 2), 0xffff);
	cfg_write(m, 0x04, 2, 0x2);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 2), 1);
	ck_assert(!mock_log_contains(m, "BAR0 at"));
	/* A move above 4 GiB with decoding on follows the guest. */
	cfg_write(m, 0x14, 4, 0x1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 2), 0xffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, 0x1e0000000ull + 0x12, 2), 1);
	ck_assert(mock_log_contains(m, "BAR0 at 0x1e0000000"));
	mock_free(m);
}
END_TEST

START_TEST(test_pci_bar_over_another_device_stays_unmapped)
{
	struct mock *m = mock_new(1);
	const uint64_t other = 0xd0000000ull;

	ck_assert_int_eq(mock_add(m, ioreqd_builtin_hook_find("scratch"), "scratch0",
	                          "mmio = 0xd0004000+0x100\n", NULL),
	                 0);
	ck_assert_int_eq(
	    mock_add(m, ioreqd_builtin_hook_find("virtio-rng"), "rng0", rng_conf, NULL),
	    0);
	mock_write(m, IOREQD_SPACE_MMIO, other + 0x4000, 4, 0x12345678);
	cfg_write(m, 0x10, 4, (uint32_t)other);
	cfg_write(m, 0x14, 4, 0);
	cfg_write(m, 0x04, 2, 0x2);
	ck_assert(mock_log_contains(m, "over another device's range"));
	ck_assert(mock_log_contains(m, "rng0"));
	ck_assert(mock_log_contains(m, "stays unmapped"));
	/* The other device is untouched, the BAR's range unclaimed. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, other + 0x4000, 4), 0x12345678);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, other + 0x12, 2), 0xffff);
	/* Moved somewhere free, it works. */
	cfg_write(m, 0x10, 4, (uint32_t)BAR);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 2), 1);
	mock_free(m);
}
END_TEST

START_TEST(test_pci_rng_over_msix_delivers_vectors)
{
	struct mock *m = rng_mock(rng_conf);
	struct ioreqd_vguest_pci t;
	struct ioreqd_vguest g;
	uint64_t addr = 0;
	uint32_t data = 0;

	driver_up(m, &g, &t, true);
	ck_assert(rng_request(&g));
	ck_assert_uint_eq(mock_msi_count(m), 1);
	ck_assert(mock_msi(m, 0, &addr, &data));
	ck_assert_uint_eq(addr, MSI_ADDR);
	ck_assert_uint_eq(data, MSI_DATA + 1); /* queue 0 is vector 1 */
	/* No INTx under MSI-X, and the ISR's vring bit is not used. */
	ck_assert_int_eq(mock_intx_level(m, SBDF, 0), -1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, ISR, 1), 0);
	ioreqd_vguest_fini(&g);
	ck_assert_uint_eq(mock_maps_live(m), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_pci_msix_masked_vector_pends_until_unmasked)
{
	struct mock *m = rng_mock(rng_conf);
	struct ioreqd_vguest_pci t;
	struct ioreqd_vguest g;

	driver_up(m, &g, &t, true);
	/* Vector 1 masked: the event sets its pending bit. */
	mock_write(m, IOREQD_SPACE_MMIO, TABLE + 16 + 12, 4, 1);
	ck_assert(rng_request(&g));
	ck_assert_uint_eq(mock_msi_count(m), 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, PBA, 8), 0x2);
	/* Unmasked: delivered once, pending cleared. */
	mock_write(m, IOREQD_SPACE_MMIO, TABLE + 16 + 12, 4, 0);
	ck_assert_uint_eq(mock_msi_count(m), 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, PBA, 8), 0);
	/* The function mask does the same for every vector. */
	cfg_write(m, t.msix_cap + 2u, 2, 0xc000);
	ck_assert(rng_request(&g));
	ck_assert_uint_eq(mock_msi_count(m), 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, PBA, 4), 0x2);
	cfg_write(m, t.msix_cap + 2u, 2, 0x8000);
	ck_assert_uint_eq(mock_msi_count(m), 2);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, PBA, 4), 0);
	ioreqd_vguest_fini(&g);
	mock_free(m);
}
END_TEST

/*
 * A Linux HVM guest on Xen writes a pirq into the address and vector 0 into
 * the data, and leaves the entries masked as they came out of reset: such a
 * message goes out anyway, unchanged, for Xen to turn into an event.
 */
START_TEST(test_pci_msix_xen_pirq_message_ignores_the_mask)
{
	struct mock *m = rng_mock(rng_conf);
	struct ioreqd_vguest_pci t;
	struct ioreqd_vguest g;
	uint64_t addr = 0;
	uint32_t data = 1;

	driver_up(m, &g, &t, true);
	/* Vector 1: pirq 0x37, data 0 (vector 0), masked. */
	mock_write(m, IOREQD_SPACE_MMIO, TABLE + 16, 4, MSI_ADDR | 0x37 << 12);
	mock_write(m, IOREQD_SPACE_MMIO, TABLE + 16 + 8, 4, 0);
	mock_write(m, IOREQD_SPACE_MMIO, TABLE + 16 + 12, 4, 1);
	ck_assert(rng_request(&g));
	ck_assert_uint_eq(mock_msi_count(m), 1);
	ck_assert(mock_msi(m, 0, &addr, &data));
	ck_assert_uint_eq(addr, MSI_ADDR | 0x37 << 12);
	ck_assert_uint_eq(data, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, PBA, 8), 0);
	/* Vector 0 without a pirq is no such message: the mask holds it. */
	mock_write(m, IOREQD_SPACE_MMIO, TABLE + 16, 4, 0);
	ck_assert(rng_request(&g));
	ck_assert_uint_eq(mock_msi_count(m), 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, PBA, 8), 0x2);
	ioreqd_vguest_fini(&g);
	mock_free(m);
}
END_TEST

START_TEST(test_pci_msix_no_vector_means_no_interrupt)
{
	struct mock *m = rng_mock(rng_conf);
	struct ioreqd_vguest_pci t;
	struct ioreqd_vguest g;

	driver_up(m, &g, &t, true);
	/* A vector the table lacks reads back as VIRTIO_MSI_NO_VECTOR. */
	mock_write(m, IOREQD_SPACE_MMIO, COMMON + 0x16, 2, 0);
	mock_write(m, IOREQD_SPACE_MMIO, COMMON + 0x1a, 2, 7);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x1a, 2), 0xffff);
	ck_assert(rng_request(&g));
	ck_assert_uint_eq(mock_msi_count(m), 0);
	ck_assert_int_eq(mock_intx_level(m, SBDF, 0), -1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, PBA, 8), 0);
	ioreqd_vguest_fini(&g);
	mock_free(m);
}
END_TEST

START_TEST(test_pci_intx_asserted_until_the_isr_is_read)
{
	struct mock *m = rng_mock(rng_conf);
	struct ioreqd_vguest_pci t;
	struct ioreqd_vguest g;
	uint32_t isr = 0;

	driver_up(m, &g, &t, false);
	ck_assert(rng_request(&g));
	ck_assert_uint_eq(mock_msi_count(m), 0);
	ck_assert_int_eq(mock_intx_level(m, SBDF, 0), 1);
	ck_assert_uint_eq(cfg_read(m, 0x06, 2) & 0x8, 0x8); /* status: INTx pending */
	ck_assert_int_eq(ioreqd_vguest_pci_ops.ack_interrupt(&t, &isr), 0);
	ck_assert_uint_eq(isr, 1);
	ck_assert_int_eq(mock_intx_level(m, SBDF, 0), 0);
	ck_assert_uint_eq(cfg_read(m, 0x06, 2) & 0x8, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, ISR, 1), 0);
	/* INTx disable in the command register holds the line low. */
	cfg_write(m, 0x04, 2, 0x406);
	ck_assert(rng_request(&g));
	ck_assert_int_eq(mock_intx_level(m, SBDF, 0), 0);
	cfg_write(m, 0x04, 2, 0x006);
	ck_assert_int_eq(mock_intx_level(m, SBDF, 0), 1);
	/* A reset lowers it too. */
	ioreqd_vguest_fini(&g);
	ck_assert_int_eq(mock_intx_level(m, SBDF, 0), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_pci_cfg_window_reaches_the_bar)
{
	struct mock *m = rng_mock(rng_conf);
	uint32_t ptr;

	/* Find the PCI_CFG access capability (type 5). */
	for (ptr = (uint32_t)cfg_read(m, 0x34, 1); ptr;
	     ptr = (uint32_t)cfg_read(m, ptr + 1, 1)) {
		if (cfg_read(m, ptr, 1) == 0x09 && cfg_read(m, ptr + 3, 1) == 5)
			break;
	}
	ck_assert_uint_ne(ptr, 0);
	/* num_queues through the window, with the BAR never placed. */
	cfg_write(m, ptr + 4, 1, 0);
	cfg_write(m, ptr + 8, 4, 0x12);
	cfg_write(m, ptr + 12, 4, 2);
	ck_assert_uint_eq(cfg_read(m, ptr + 16, 4) & 0xffff, 1);
	/* device_status written through it too. */
	cfg_write(m, ptr + 8, 4, 0x14);
	cfg_write(m, ptr + 12, 4, 1);
	cfg_write(m, ptr + 16, 4, 1);
	ck_assert_uint_eq(cfg_read(m, ptr + 16, 4) & 0xff, 1);
	/* A bad window is refused and counted. */
	cfg_write(m, ptr + 12, 4, 3);
	ck_assert_uint_eq(cfg_read(m, ptr + 16, 4), 0xffffffff);
	ck_assert(mock_log_contains(m, "pci_cfg window"));
	mock_free(m);
}
END_TEST

START_TEST(test_pci_bad_accesses_are_refused_and_the_device_goes_on)
{
	struct mock *m = rng_mock(rng_conf);
	struct ioreqd_vguest_pci t;
	struct ioreqd_vguest g;

	driver_up(m, &g, &t, false);
	mock_log_clear(m);
	/* Config space: a word across a dword boundary. */
	ck_assert_uint_eq(cfg_read(m, 0x03, 2), 0xffff);
	/* Common configuration: wrong width, a hole, a read-only field. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x14, 4), 0xffffffff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 1), 0xff);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x40, 4), 0xffffffff);
	mock_write(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 2, 9);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x12, 2), 1);
	/* queue_enable = 0, a queue that does not exist, notify reads. */
	mock_write(m, IOREQD_SPACE_MMIO, COMMON + 0x1c, 2, 0);
	mock_write(m, IOREQD_SPACE_MMIO, COMMON + 0x16, 2, 5);
	mock_write(m, IOREQD_SPACE_MMIO, COMMON + 0x18, 2, 8);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x18, 2), 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, NOTIFY, 2), 0xffff);
	mock_write(m, IOREQD_SPACE_MMIO, NOTIFY + 4, 2, 1);
	/* ISR written, the table in halves, the PBA written, outside the regions. */
	mock_write(m, IOREQD_SPACE_MMIO, ISR, 1, 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, TABLE + 2, 2), 0xffff);
	mock_write(m, IOREQD_SPACE_MMIO, PBA, 8, 1);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BAR + 0x7000, 4), 0xffffffff);
	ck_assert(mock_log_contains(m, "wrong size"));
	ck_assert(mock_log_contains(m, "read-only"));
	ck_assert(mock_log_contains(m, "within a dword"));
	/* The queue still serves. */
	mock_write(m, IOREQD_SPACE_MMIO, COMMON + 0x16, 2, 0);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, COMMON + 0x1c, 2), 1);
	ck_assert(rng_request(&g));
	ioreqd_vguest_fini(&g);
	mock_free(m);
}
END_TEST

static void bad_conf(const char *conf, const char *msg)
{
	struct mock *m = mock_new(1);

	mock_expect_cfg_error(m, ioreqd_builtin_hook_find("virtio-rng"), "rng0", conf,
	                      NULL, msg);
	mock_free(m);
}

START_TEST(test_pci_bad_configurations_name_the_line)
{
	bad_conf("transport = pci\nmmio = 0x02000000+0x200\n",
	         "mock.conf:3: device rng0: transport: virtio-pci needs exactly one "
	         "range: pci =");
	bad_conf("transport = pci\npci = 00:04.0\nmmio = 0x02000000+0x200\n",
	         "needs exactly one range");
	bad_conf("transport = pci\npci = 00:04.0\nirq = 5\n",
	         "device rng0: irq: virtio-pci takes no irq");
	bad_conf("transport = mmio\npci = 00:04.0\nirq = 5\n", "virtio-mmio needs");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hook_virtio_pci");
	TCase *tc = tcase_create("pci");

	tcase_add_test(tc, test_pci_header_identifies_a_modern_virtio_function);
	tcase_add_test(tc, test_pci_class_and_device_follow_the_device_type);
	tcase_add_test(tc, test_pci_capability_walk_finds_every_region);
	tcase_add_test(tc, test_pci_bar_sizing_decode_and_moves);
	tcase_add_test(tc, test_pci_bar_over_another_device_stays_unmapped);
	tcase_add_test(tc, test_pci_rng_over_msix_delivers_vectors);
	tcase_add_test(tc, test_pci_msix_masked_vector_pends_until_unmasked);
	tcase_add_test(tc, test_pci_msix_xen_pirq_message_ignores_the_mask);
	tcase_add_test(tc, test_pci_msix_no_vector_means_no_interrupt);
	tcase_add_test(tc, test_pci_intx_asserted_until_the_isr_is_read);
	tcase_add_test(tc, test_pci_cfg_window_reaches_the_bar);
	tcase_add_test(tc, test_pci_bad_accesses_are_refused_and_the_device_goes_on);
	tcase_add_test(tc, test_pci_bad_configurations_name_the_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
