/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the virtio devices (issue 14 item 7): virtio-blk
 * (read-write and read-only, on a small temporary file, io_uring completions
 * waited for after every step), virtio-console (back ends none and file) and
 * virtio-rng, each the real hook behind the real virtio-mmio transport on the
 * daemon's own device model (fuzz-host.c), fed arbitrary register accesses,
 * guest memory and ring contents.
 *
 * One harness for all of them, the first input byte picking the device: the
 * input encoding, the guest driver, the loop and the invariants are the same
 * for every device, and libFuzzer's corpus carries what it learns about the
 * transport and the core from one device to the others.
 *
 * Invariants (FUZZ_CHECK aborts, so libFuzzer records the input):
 *  - guest memory: every map lies inside guest RAM and is released by the
 *    end of the input (the device is reset then) and by teardown; a write
 *    through a read-only mapping faults (fuzz-host.c's checked gmem);
 *  - bounded work: after each step the device settles (timers, then I/O
 *    completions) within a fixed number of rounds and of mappings;
 *  - the used ring of every queue the driver set up: used->idx advances by
 *    at most the queue size per step and never past the heads made
 *    available; every used id is a head the driver made available and the
 *    device has not returned yet; every used length is at most the writable
 *    bytes of that head's chain (as the chain was at any point the harness
 *    looked: when it was made available, and before each step);
 *  - interrupts: at most a few irq_set_level calls on the device's line per
 *    step, levels 0 or 1.
 *
 * Op 11 also saves every device and loads the stream back (the control
 * socket's save and load): that must always work, and the device go on.
 *
 * Input: device byte, flags byte, queue size byte, then ops (op % 12, see
 * the switch below).  tests/fuzz/mkseeds-virtio.sh writes the seeds.
 */
#include "build-config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ioreqd/virtio.h>

#include "devstate.h"
#include "fuzz-host.h"
#include "fuzz-input.h"
#include "ring.h"
#include "vdriver.h"
#include "vguest-pci.h"
#include "vguest.h"

#define RAM_GPA 0x40000000ull
#define RAM_SIZE 0x40000u  /* 256 KiB */
#define RING_SIZE 0x10000u /* the first 64 KiB: rings and indirect tables */
#define DATA_OFF RING_SIZE
#define MMIO_BASE 0x10000000ull
#define MMIO_STRIDE 0x200u
#define NR_DEVS 7u
#define PCI_BAR_BASE 0xe0000000ull /* + kind * PCI_BAR_STRIDE, 32 KiB each */
#define PCI_BAR_STRIDE 0x10000u
#define PCI_BAR_USED 0x6000u /* common, ISR, device, notify, MSI-X table, PBA */
#define PCI_COMMON_STATUS 0x14u
#define PCI_ISR 0x1000u
#define PCI_DEVICE_CFG 0x2000u
#define PCI_NOTIFY 0x3000u /* notify_off_multiplier 4, queue_notify_off = index */
#define QMAX 64u
#define MAX_OPS 512u
#define DISK_BYTES (128u * 512u)

#define BIT(n) (1ull << (n))

/* Registers (virtio 1.2, 4.2.2). */
enum {
	R_QUEUE_SEL = 0x030,
	R_QUEUE_NOTIFY = 0x050,
	R_INT_STATUS = 0x060,
	R_INT_ACK = 0x064,
	R_STATUS = 0x070,
	R_QUEUE_DEVICE_HI = 0x0a4,
	R_CONFIG = 0x100,
};

enum dev_kind { D_BLK, D_BLK_RO, D_CON_NONE, D_CON_FILE, D_RNG, D_RNG_PCI, D_CON_PCI };

/* Without liburing there is no virtio-blk: those inputs do nothing. */
#ifdef HAVE_LIBURING
#define DEV_FIRST D_BLK
#else
#define DEV_FIRST D_CON_NONE
#endif

/* What the harness knows of one queue the driver set up. */
struct tq {
	bool on;
	uint32_t size;
	uint64_t desc, avail, used;
	uint16_t avail_seen, used_seen; /* avail->idx and used->idx last looked at */
	uint64_t avail_total, used_total;
	uint32_t offered[QMAX]; /* heads available and not yet used */
	uint64_t bound[QMAX];   /* most writable bytes seen in that head's chain */
};

struct h {
	struct fuzz_host *host;
	uint8_t *ram;
	enum dev_kind kind;
	uint64_t base;
	unsigned irq, nq;
	struct ioreqd_vguest g;
	struct ioreqd_vguest_mmio t;
	struct ioreqd_vguest_pci tp;
	bool pci; /* virtio-pci, function 00:(kind).0, BAR at bar */
	uint32_t sbdf;
	uint64_t bar;
	bool g_up;
	struct tq q[2];
	char dir[64];
};

static struct h H;

/* ---- the driver's view: registers and rings ---- */

static int io_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	*val = fuzz_host_mmio(H.host, H.base + off, size, true, 0);
	return 0;
}

static int io_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	fuzz_host_mmio(H.host, H.base + off, size, false, val);
	return 0;
}

static int pci_cfg_read(void *ctx, uint64_t off, unsigned size, uint64_t *val)
{
	*val = fuzz_host_pci(H.host, H.sbdf, (uint32_t)off, size, true, 0);
	return 0;
}

static int pci_cfg_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	fuzz_host_pci(H.host, H.sbdf, (uint32_t)off, size, false, val);
	return 0;
}

static int pci_mem_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	*val = fuzz_host_mmio(H.host, gpa, size, true, 0);
	return 0;
}

static int pci_mem_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	fuzz_host_mmio(H.host, gpa, size, false, val);
	return 0;
}

/* The transport's registers, whichever it is. */
static void kick(unsigned q)
{
	if (H.pci)
		fuzz_host_mmio(H.host, H.bar + PCI_NOTIFY + 4ull * q, 2, false, q);
	else
		fuzz_host_mmio(H.host, H.base + R_QUEUE_NOTIFY, 4, false, q);
}

static void status_zero(void)
{
	if (H.pci) {
		/* The input may have moved the BAR or turned decoding off. */
		fuzz_host_pci(H.host, H.sbdf, 0x10, 4, false, (uint32_t)H.bar);
		fuzz_host_pci(H.host, H.sbdf, 0x14, 4, false, H.bar >> 32);
		fuzz_host_pci(H.host, H.sbdf, 0x04, 2, false, 0x6); /* memory, master */
		fuzz_host_mmio(H.host, H.bar + PCI_COMMON_STATUS, 1, false, 0);
	} else {
		fuzz_host_mmio(H.host, H.base + R_STATUS, 4, false, 0);
	}
}

static uint16_t ram16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, H.ram + (gpa - RAM_GPA), 2);
	return v;
}

static uint32_t ram32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, H.ram + (gpa - RAM_GPA), 4);
	return v;
}

static bool in_ram(uint64_t gpa, uint64_t len)
{
	return gpa >= RAM_GPA && len <= RAM_SIZE && gpa - RAM_GPA <= RAM_SIZE - len;
}

/*
 * An upper bound of the writable bytes of the chain at @p head as it is now:
 * every writable descriptor reachable through next links and indirect
 * tables, whatever the device would make of the chain.
 */
static uint64_t chain_in(const struct tq *q, uint32_t head)
{
	uint64_t sum = 0;
	uint32_t i = head;

	for (uint32_t steps = 0; steps < q->size && i < q->size; steps++) {
		struct vring_desc_host d;

		vring_desc_read(H.ram + (q->desc - RAM_GPA), i, &d);
		if ((d.flags & VRING_DESC_F_INDIRECT) && in_ram(d.addr, d.len)) {
			/* A longer table breaks the device: its first entries are enough.
			 */
			for (uint32_t k = 0; k < d.len / VRING_DESC_SIZE && k < q->size;
			     k++) {
				struct vring_desc_host e;

				vring_desc_read(H.ram + (d.addr - RAM_GPA), k, &e);
				if (e.flags & VRING_DESC_F_WRITE)
					sum += e.len;
			}
		} else if (d.flags & VRING_DESC_F_WRITE) {
			sum += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
	}
	return sum;
}

/* Look again at every chain the device may still take or complete. */
static void bounds_refresh(void)
{
	for (unsigned k = 0; k < H.nq; k++) {
		struct tq *q = &H.q[k];

		if (!q->on)
			continue;
		for (uint32_t h = 0; h < q->size; h++) {
			uint64_t n;

			if (!q->offered[h])
				continue;
			n = chain_in(q, h);
			if (n > q->bound[h])
				q->bound[h] = n;
		}
	}
}

/* The driver moved avail->idx: count the heads it made available. */
static void avail_track(struct tq *q)
{
	uint16_t idx = ram16(q->avail + VRING_AVAIL_IDX);

	/* More than a queue at once breaks the device: it takes none of them. */
	if ((uint16_t)(idx - q->avail_seen) > q->size) {
		q->avail_total += (uint16_t)(idx - q->avail_seen);
		q->avail_seen = idx;
		return;
	}
	for (uint16_t p = q->avail_seen; p != idx; p++) {
		uint32_t h = ram16(q->avail + VRING_AVAIL_RING(p & (q->size - 1)));

		q->avail_total++;
		if (h < q->size) {
			uint64_t n = chain_in(q, h);

			q->offered[h]++;
			if (n > q->bound[h])
				q->bound[h] = n;
		}
	}
	q->avail_seen = idx;
}

/*
 * Whether the avail ring slot of entry @p idx is the driver's to write: the
 * entry a queue earlier, which the slot still holds, has been used.  Until
 * then the device may not have read it yet, and rewriting it hands the
 * device a head this harness never counted as offered, which it then
 * rightly serves (virtio 1.2, 2.7.8: a used id is the entry the driver
 * placed in the avail ring; found by fuzz_virtio_dev on queues of size 1,
 * where the slot of the next entry is that of the one just made available).
 * Bumping avail->idx over a slot still the device's is another matter: the
 * device sees more than a queue's worth at once and must refuse the ring
 * before it reads any of it.
 */
static bool avail_slot_ours(const struct tq *q, uint16_t idx)
{
	return (uint16_t)(idx - ram16(q->used + VRING_USED_IDX)) < q->size;
}

/* What the device published since the last look. */
static void used_check(struct tq *q)
{
	uint16_t idx = ram16(q->used + VRING_USED_IDX), delta;

	delta = (uint16_t)(idx - q->used_seen);
	FUZZ_CHECK(delta <= q->size);
	FUZZ_CHECK(q->used_total + delta <= q->avail_total);
	for (uint16_t k = 0; k < delta; k++) {
		uint32_t slot = (uint16_t)(q->used_seen + k) & (q->size - 1);
		uint32_t id = ram32(q->used + VRING_USED_RING(slot));
		uint32_t len = ram32(q->used + VRING_USED_RING(slot) + 4);

		FUZZ_CHECK(id < q->size);
		FUZZ_CHECK(q->offered[id] > 0);
		q->offered[id]--;
		FUZZ_CHECK(len <= q->bound[id]);
		if (!q->offered[id])
			q->bound[id] = 0;
	}
	q->used_total += delta;
	q->used_seen = idx;
}

static void untrack(void)
{
	memset(H.q, 0, sizeof(H.q));
}

/* Bring the device up with the guest driver; then its queues are tracked. */
static void driver_up(uint8_t flags, uint32_t qsize)
{
	struct ioreqd_vguest_ram r = {
	    .ram = H.ram,
	    .ram_gpa = RAM_GPA,
	    .ram_size = RAM_SIZE,
	    .ring_gpa = RAM_GPA,
	    .ring_len = RING_SIZE,
	};
	uint64_t want = BIT(IOREQD_VIRTIO_F_VERSION_1) | 0xffffffull;
	char err[128];

	if (H.g_up)
		ioreqd_vguest_fini(&H.g);
	H.g_up = false;
	untrack();
	if (flags & 2)
		want |= BIT(IOREQD_VIRTIO_F_EVENT_IDX);
	if (flags & 4)
		want |= BIT(IOREQD_VIRTIO_F_INDIRECT_DESC);
	if (flags & 8)
		want &= ~0xffffffull; /* no device features */
	memset(H.ram, 0, RING_SIZE);
	H.tp.msix = flags & 0x10;
	if (ioreqd_vguest_init(&H.g,
	                       H.pci ? &ioreqd_vguest_pci_ops : &ioreqd_vguest_mmio_ops,
	                       H.pci ? (void *)&H.tp : (void *)&H.t, 0, want, H.nq, qsize,
	                       &r, err, sizeof(err)) < 0)
		return;
	H.g_up = true;
	for (unsigned k = 0; k < H.g.nr_queues && k < 2; k++) {
		struct ioreqd_vdrv *d = &H.g.q[k];

		H.q[k] = (struct tq){
		    .on = true,
		    .size = d->size,
		    .desc = d->desc_gpa,
		    .avail = d->avail_gpa,
		    .used = d->used_gpa,
		    .avail_seen = ram16(d->avail_gpa + VRING_AVAIL_IDX),
		    .used_seen = ram16(d->used_gpa + VRING_USED_IDX),
		};
	}
}

/*
 * The device writes only where a device may: not into the rings and tables
 * of the queues the harness tracks, except their used rings (whose layout is
 * known), so what the harness reads there is what the device published.
 */
static bool map_filter(void *arg, uint64_t gpa, uint64_t len, bool write)
{
	bool tracked = false;

	if (!write || gpa - RAM_GPA >= RING_SIZE)
		return true; /* the data area (the range is inside RAM) */
	for (unsigned k = 0; k < H.nq; k++) {
		if (H.q[k].on && gpa == H.q[k].used)
			return true;
		tracked |= H.q[k].on;
	}
	return !tracked;
}

/* ---- the device's side: settle after each step ---- */

static uint64_t dev_in_flight;

static void stats_cb(void *ctx, const char *group, const char *name, uint64_t value)
{
	if (!strcmp(group, "device") && !strcmp(name, "in_flight"))
		dev_in_flight = value;
}

static uint64_t in_flight(void)
{
	ioreqd_dev_t *dev = ioreqd_dm_dev(fuzz_host_dm(H.host), H.kind - DEV_FIRST);

	dev_in_flight = 0;
	ioreqd_dm_dev_stats(dev, stats_cb, NULL);
	return dev_in_flight;
}

/*
 * Run the event loop until the device has nothing left to do: resumed
 * notifications (timers), then I/O completions.  Each is bounded: a device
 * that keeps rescheduling itself is a finding.
 */
static void settle(unsigned long maps_before)
{
	unsigned rounds = 0;

	for (;;) {
		bool busy = false;

		while (fuzz_host_run_timers(H.host)) {
			busy = true;
			FUZZ_CHECK(++rounds < 4096);
		}
		if (H.kind <= D_BLK_RO && in_flight()) {
			/* io_uring completes on its own: wait for it, a bounded while. */
			fuzz_host_run_watches(H.host, 1000);
			busy = true;
			FUZZ_CHECK(++rounds < 4096);
		}
		if (!busy)
			break;
	}
	/* A step maps at most every queue's rings and every chain of it, twice. */
	FUZZ_CHECK(fuzz_host_maps_total(H.host) - maps_before <=
	           2ul * H.nq * (3 + QMAX * (QMAX * 4 + 4)));
}

/* ---- requests a driver would make ---- */

static void put(uint64_t off, const void *src, size_t len)
{
	memcpy(H.ram + off, src, len);
}

/*
 * A well-formed request for the device, built with the guest driver.  sel:
 * bits 0-2 the virtio-blk type (IN OUT FLUSH GET_ID DISCARD WRITE_ZEROES IN
 * OUT), 0x08 indirect, 0x10 a 64-bit sector from the input, 0x20 a 32-bit
 * type from the input, 0x40 kick, 0x80 (console, rng) a second buffer;
 * console: bit 0 the queue (receiveq, transmitq).
 */
static void op_request(struct fuzz_input *in)
{
	static const uint32_t types[] = {0, 1, 4, 8, 11, 13, 0, 1};
	struct ioreqd_vdrv_buf b[6];
	unsigned nout = 0, nin = 0, k = 0;
	uint8_t sel = fuzz_u8(in);
	uint64_t off = DATA_OFF + (uint64_t)(fuzz_u8(in) % 32) * 0x1000u;
	struct ioreqd_vdrv *d;

	if (!H.g_up)
		return;
	if (H.nq == 2)
		k = sel & 1;
	if (k >= H.g.nr_queues)
		return;
	d = &H.g.q[k];
	if (H.kind <= D_BLK_RO) {
		struct {
			uint32_t type, reserved;
			uint64_t sector;
		} hdr = {types[sel % 8], 0, 0};
		uint8_t lb;
		uint32_t len, nseg;
		bool in_dir;

		hdr.sector = fuzz_u8(in);
		lb = fuzz_u8(in);
		len = (lb % 9) * 512u; /* data in up to nseg + 1 pieces */
		nseg = lb >> 6;
		if (sel & 0x20)
			hdr.type = fuzz_u32(in);
		if (sel & 0x10)
			hdr.sector = fuzz_u64(in);
		in_dir = hdr.type == 0 || hdr.type == 8;
		if (hdr.type == 8)
			len = 20;
		put(off, &hdr, sizeof(hdr));
		b[nout++] = (struct ioreqd_vdrv_buf){RAM_GPA + off, 16};
		if (hdr.type == 11 || hdr.type == 13) {
			struct {
				uint64_t sector;
				uint32_t num, flags;
			} seg;

			seg.sector = fuzz_u8(in);
			seg.num = fuzz_u8(in) % 64;
			seg.flags = fuzz_u8(in) & 1;
			put(off + 0x100, &seg, sizeof(seg));
			len = 0;
			b[nout++] = (struct ioreqd_vdrv_buf){RAM_GPA + off + 0x100, 16};
		}
		for (uint32_t s = 0, done = 0; len && s <= nseg && done < len; s++) {
			uint32_t piece = s == nseg ? len - done : (len - done) / 2;
			struct ioreqd_vdrv_buf buf = {RAM_GPA + off + 0x200 + done,
			                              piece};

			if (!piece)
				continue;
			if (in_dir)
				b[nout + nin++] = buf;
			else
				b[nout++] = buf;
			done += piece;
		}
		H.ram[off + 0x1ff] = 0xee;
		b[nout + nin++] = (struct ioreqd_vdrv_buf){RAM_GPA + off + 0x1ff, 1};
	} else {
		struct ioreqd_vdrv_buf buf = {RAM_GPA + off, fuzz_u8(in) + 1u},
		                       more = {RAM_GPA + off + 0x800, 7};
		bool dev_writes = H.kind == D_RNG || H.kind == D_RNG_PCI || k == 0;

		b[0] = buf;
		if (sel & 0x80)
			b[1] = more;
		if (dev_writes)
			nin = (sel & 0x80) ? 2 : 1;
		else
			nout = (sel & 0x80) ? 2 : 1;
	}
	if (ioreqd_vdrv_add(d, b, nout, nin, (sel & 0x08) && d->indirect, (void *)1) < 0)
		return;
	if (H.q[k].on)
		avail_track(&H.q[k]);
	/* The chain may reuse descriptors of heads made available before. */
	bounds_refresh();
	if ((sel & 0x40) && ioreqd_vdrv_kick_needed(d))
		kick(k);
}

/* The guest writes RAM, but never the avail and used rings it tracks. */
static void ram_write(uint64_t off, const uint8_t *src, uint64_t len)
{
	for (uint64_t i = 0; i < len && off + i < RAM_SIZE; i++) {
		uint64_t gpa = RAM_GPA + off + i;
		bool ring = false;

		for (unsigned k = 0; k < H.nq; k++) {
			const struct tq *q = &H.q[k];

			if (q->on &&
			    ((gpa >= q->avail && gpa - q->avail < 6 + 2ull * q->size) ||
			     (gpa >= q->used && gpa - q->used < 6 + 8ull * q->size)))
				ring = true;
		}
		if (!ring)
			H.ram[off + i] = src[i];
	}
}

static uint64_t take_addr(struct fuzz_input *in)
{
	uint8_t mode = fuzz_u8(in);

	if (mode & 1)
		return RAM_GPA + fuzz_u32(in) % RAM_SIZE;
	return fuzz_u64(in);
}

static const unsigned sizes[4] = {1, 2, 4, 8};

static void op_reg_write(struct fuzz_input *in)
{
	uint32_t off = fuzz_u16(in) % MMIO_STRIDE;
	unsigned size = sizes[fuzz_u8(in) % 4];
	uint64_t v = fuzz_u64(in);

	if (H.pci) {
		/*
		 * Config space (odd offsets from the input: the BAR may move or
		 * go) or the BAR's common configuration and the rest; either may
		 * move the rings.
		 */
		uint32_t where = fuzz_u16(in);

		if (where & 1) {
			untrack();
			off %= 0x100;
			fuzz_host_pci(H.host, H.sbdf, off, size, false, v);
			return;
		}
		where = (where >> 1) % PCI_BAR_USED;
		if (where < PCI_ISR)
			untrack();
		fuzz_host_mmio(H.host, H.bar + where, size, false, v);
		return;
	}

	/* Status and queue layout: the rings may be elsewhere now. */
	if (off == R_STATUS ||
	    (off >= R_QUEUE_SEL && off <= R_QUEUE_DEVICE_HI && off != R_QUEUE_NOTIFY))
		untrack();
	fuzz_host_mmio(H.host, H.base + off, size, false, v);
}

static void setup(void)
{
	char conf[2048], disk[96];
	FILE *fp;

	fuzz_quiet_logs();
	snprintf(H.dir, sizeof(H.dir), "%s", "/tmp/fuzz_virtio_dev.XXXXXX");
	FUZZ_CHECK(mkdtemp(H.dir) != NULL);
	snprintf(disk, sizeof(disk), "%s/disk.img", H.dir);
	fp = fopen(disk, "w");
	FUZZ_CHECK(fp != NULL);
	for (unsigned i = 0; i < DISK_BYTES; i++)
		fputc((int)(i * 7 + i / 512) & 0xff, fp);
	FUZZ_CHECK(fclose(fp) == 0);
	/* The device index in the configuration is enum dev_kind - DEV_FIRST. */
	snprintf(
	    conf, sizeof(conf),
#ifdef HAVE_LIBURING
	    "[device blk]\nhook = virtio-blk\nmmio = 0x%llx+0x200\nirq = 5\n"
	    "path = %s\nqueue_size = %u\n"
	    "[device blkro]\nhook = virtio-blk\nmmio = 0x%llx+0x200\nirq = 6\n"
	    "path = %s\nreadonly = yes\nqueue_size = %u\n"
#endif
	    "[device con]\nhook = virtio-console\nmmio = 0x%llx+0x200\nirq = 7\n"
	    "backend = none\nqueue_size = %u\n"
	    "[device confile]\nhook = virtio-console\nmmio = 0x%llx+0x200\nirq = 8\n"
	    "backend = file\npath = /dev/null\nqueue_size = %u\n"
	    "[device rng]\nhook = virtio-rng\nmmio = 0x%llx+0x200\nirq = 9\n"
	    "queue_size = %u\n"
	    "[device rngpci]\nhook = virtio-rng\ntransport = pci\npci = 00:%02x.0\n"
	    "queue_size = %u\n"
	    "[device conpci]\nhook = virtio-console\ntransport = pci\npci = 00:%02x.0\n"
	    "backend = none\nqueue_size = %u\n",
#ifdef HAVE_LIBURING
	    MMIO_BASE, disk, QMAX, MMIO_BASE + MMIO_STRIDE, disk, QMAX,
#endif
	    MMIO_BASE + 2 * MMIO_STRIDE, QMAX, MMIO_BASE + 3 * MMIO_STRIDE, QMAX,
	    MMIO_BASE + 4 * MMIO_STRIDE, QMAX, D_RNG_PCI, QMAX, D_CON_PCI, QMAX);
	H.host = fuzz_host_new_ram(conf, 1, RAM_GPA, RAM_SIZE);
	H.ram = fuzz_host_ram(H.host);
	fuzz_host_set_map_filter(H.host, map_filter, NULL);
	H.t.io = (struct ioreqd_vguest_io){.read = io_read, .write = io_write};
	H.tp.cfg =
	    (struct ioreqd_vguest_io){.read = pci_cfg_read, .write = pci_cfg_write};
	H.tp.mem =
	    (struct ioreqd_vguest_io){.read = pci_mem_read, .write = pci_mem_write};
	H.tp.msi_addr = 0xfee00000ull;
	H.tp.msi_data = 0x4040u;
}

/* At exit: the daemon's teardown releases everything (checked by the host). */
static void teardown(void)
{
	char path[128];

	if (H.g_up)
		ioreqd_vguest_fini(&H.g);
	fuzz_host_free(H.host);
	snprintf(path, sizeof(path), "%s/disk.img", H.dir);
	unlink(path);
	rmdir(H.dir);
}

/*
 * Save every device and load the stream straight back, as the control
 * socket's save and load do around a pause: the device goes on from where it
 * was, and the used ring stays consistent with what the driver made
 * available.
 */
static void state_roundtrip(void)
{
	struct ioreqd_dm *dm = fuzz_host_dm(H.host);
	char err[IOREQD_DEVSTATE_MSGLEN];
	uint8_t *buf = NULL;
	size_t len = 0;

	if (ioreqd_devstate_save(dm, &buf, &len, err, sizeof(err)) < 0 ||
	    ioreqd_devstate_load(dm, buf, len, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_virtio_dev: save and load: %s\n", err);
		abort();
	}
	free(buf);
}

/* Interrupts the device sent: its line (mmio), or INTx changes and MSIs (pci). */
static unsigned long irq_count(void)
{
	return H.pci ? fuzz_host_pci_irqs(H.host) : fuzz_host_irq_calls(H.host, H.irq);
}

static void step_checks(unsigned long maps_before, unsigned long irq_before)
{
	settle(maps_before);
	for (unsigned k = 0; k < H.nq; k++)
		if (H.q[k].on)
			used_check(&H.q[k]);
	/*
	 * mmio: one raise and one lower of the line per step, and config
	 * changes; pci: an MSI per vector, or INTx changes, and pending
	 * vectors delivered when the driver unmasks them.
	 */
	FUZZ_CHECK(irq_count() - irq_before <= (H.pci ? 8u : 4u));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	uint8_t flags, tmp[256];
	uint32_t qsize;

	if (!H.host) {
		setup();
		atexit(teardown);
	}
	fuzz_input_init(&in, data, size);
	H.kind = (enum dev_kind)(fuzz_u8(&in) % NR_DEVS);
	if (H.kind < DEV_FIRST)
		return 0;
	H.pci = H.kind >= D_RNG_PCI;
	H.sbdf = IOREQD_PCI_SBDF(0, 0, H.kind, 0);
	H.bar = PCI_BAR_BASE + (uint64_t)H.kind * PCI_BAR_STRIDE;
	H.tp.bar_gpa = H.bar;
	flags = fuzz_u8(&in);
	qsize = 1u << (fuzz_u8(&in) % 7);
	H.base = MMIO_BASE + (uint64_t)H.kind * MMIO_STRIDE;
	H.irq = 5 + H.kind;
	H.nq =
	    (H.kind == D_CON_NONE || H.kind == D_CON_FILE || H.kind == D_CON_PCI) ? 2 : 1;
	memset(H.ram, 0, RAM_SIZE);
	untrack();
	H.g_up = false;
	if (!(flags & 1))
		driver_up(flags, qsize);

	for (unsigned ops = 0; ops < MAX_OPS && !fuzz_empty(&in); ops++) {
		unsigned long maps = fuzz_host_maps_total(H.host), irqs = irq_count();
		uint8_t op = fuzz_u8(&in);

		bounds_refresh();
		switch (op % 12) {
		case 0:
			op_reg_write(&in);
			break;
		case 1: { /* a register or config read */
			uint32_t off = fuzz_u16(&in);
			unsigned sz = sizes[fuzz_u8(&in) % 4];

			if (H.pci && (off & 1))
				fuzz_host_pci(H.host, H.sbdf, (off >> 1) % 0x100, sz,
				              true, 0);
			else if (H.pci)
				fuzz_host_mmio(H.host, H.bar + (off >> 1) % PCI_BAR_USED,
				               sz, true, 0);
			else
				fuzz_host_mmio(H.host, H.base + off % MMIO_STRIDE, sz,
				               true, 0);
			break;
		}
		case 2: { /* the guest writes RAM */
			uint32_t off = fuzz_u32(&in) % RAM_SIZE;
			uint8_t len = fuzz_u8(&in);

			fuzz_take(&in, tmp, len);
			ram_write(off, tmp, len);
			break;
		}
		case 3:
			op_request(&in);
			break;
		case 4: { /* one descriptor of a tracked table, as the input says */
			struct tq *q = &H.q[fuzz_u8(&in) & 1];
			struct vring_desc_host d;
			uint8_t raw[16];
			uint32_t i = fuzz_u16(&in);

			d.addr = take_addr(&in);
			d.len = fuzz_u32(&in);
			d.flags = fuzz_u16(&in);
			d.next = fuzz_u16(&in);
			if (!q->on)
				break;
			vring_desc_write(raw, 0, &d);
			ram_write(q->desc - RAM_GPA + 16ull * (i % q->size), raw, 16);
			break;
		}
		case 5: { /* a head made available; the index may jump */
			struct tq *q = &H.q[fuzz_u8(&in) & 1];
			uint16_t head = fuzz_u16(&in),
			         step = fuzz_u8(&in) % 4 == 0 ? fuzz_u16(&in) : 1;
			uint16_t idx;

			if (!q->on)
				break;
			idx = ram16(q->avail + VRING_AVAIL_IDX);
			if (avail_slot_ours(q, idx))
				memcpy(H.ram + (q->avail - RAM_GPA) +
				           VRING_AVAIL_RING(idx & (q->size - 1)),
				       &head, 2);
			idx = (uint16_t)(idx + step);
			memcpy(H.ram + (q->avail - RAM_GPA) + VRING_AVAIL_IDX, &idx, 2);
			/* The guest driver goes on from there (its shadow of avail->idx).
			 */
			if (H.g_up && q - H.q < (long)H.g.nr_queues)
				H.g.q[q - H.q].avail_idx = idx;
			avail_track(q);
			break;
		}
		case 6: /* a kick, maybe of a queue that is not there */
			kick(fuzz_u8(&in) % 3);
			break;
		case 7: { /* the interrupt handler: ack, then collect */
			uint32_t len;

			if (H.pci) {
				/* Reading the ISR acknowledges it. */
				fuzz_host_mmio(H.host, H.bar + PCI_ISR, 1, true, 0);
			} else {
				uint64_t isr = fuzz_host_mmio(
				    H.host, H.base + R_INT_STATUS, 4, true, 0);

				fuzz_host_mmio(H.host, H.base + R_INT_ACK, 4, false,
				               (fuzz_u8(&in) & 1) ? fuzz_u32(&in) : isr);
			}
			for (unsigned k = 0; H.g_up && k < H.g.nr_queues; k++) {
				/* The driver's own bookkeeping needs known rings. */
				if (!H.q[k].on)
					continue;
				used_check(&H.q[k]);
				for (unsigned n = 0;
				     n < QMAX && ioreqd_vdrv_get_used(&H.g.q[k], &len);
				     n++)
					;
				ioreqd_vdrv_enable_irq(&H.g.q[k]);
			}
			break;
		}
		case 8:
			ioreqd_dm_invalidate(fuzz_host_dm(H.host));
			break;
		case 9: /* reset, and the driver comes back (or not) */
			untrack();
			status_zero();
			if (fuzz_u8(&in) & 1) {
				uint8_t f = fuzz_u8(&in);

				driver_up(f, 1u << (fuzz_u8(&in) % 7));
			}
			break;
		case 10: { /* config space */
			uint32_t off = fuzz_u8(&in);
			unsigned sz = sizes[fuzz_u8(&in) % 4];
			uint64_t at = H.pci ? H.bar + PCI_DEVICE_CFG + off
			                    : H.base + R_CONFIG + off;

			fuzz_host_mmio(H.host, at, sz, false, fuzz_u64(&in));
			break;
		}
		default: /* the loop turns, or the devices are saved and loaded */
			if (fuzz_u8(&in) & 1)
				state_roundtrip();
			else
				fuzz_host_run_watches(H.host, 0);
			break;
		}
		step_checks(maps, irqs);
	}
	/* The end of the input: a reset releases every mapping of the device. */
	if (H.g_up)
		ioreqd_vguest_fini(&H.g);
	H.g_up = false;
	untrack();
	status_zero();
	settle(fuzz_host_maps_total(H.host));
	FUZZ_CHECK(fuzz_host_maps_live(H.host) == 0);
	return 0;
}
