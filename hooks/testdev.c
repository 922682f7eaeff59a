/* SPDX-License-Identifier: MIT */
/*
 * testdev: the device the integration tests drive.  It exercises every
 * service a real device model needs from ioreqd - register decoding, an
 * interrupt line, deferred completion from a timer, a PCI config header and a
 * BAR the guest moves - with values a test can predict, so that one guest
 * program (tests/xen/guest/pvh, sim scripts) checks the whole path.
 *
 * Register window (MMIO or port ranges of the device, and BAR0 once the guest
 * moves it), all 32-bit little-endian, any access size inside a register:
 *   0x00 DEFER     a read completes only after `delay_ms` (default 10) with
 *                  0xdefe2ed0: the handler defers, a host timer fires, the
 *                  timer turns its ticket back into the fault and advances it.
 *                  Writes are ignored.
 *   0x04 ID        0x7e570001 (vendor:device, as in config space), read-only
 *   0x08 VERSION   0x00010000 (1.0), read-only
 *   0x0c DELAY     the DEFER delay in ms, read/write (at most 60000)
 *   0x10 DOORBELL  a write raises the device's `irq` line; reads count rings
 *   0x14 CLEAR     a write lowers the line; reads give its level (0 or 1)
 *   0x20..0x3f     scratch: 32 bytes that read back what was written
 *   anything else  reads 0; writes are ignored
 *
 * PCI config header (the device's `pci = SSSS:BB:DD.F` range): vendor 0x7e57,
 * device 0x0001, class 0xff (unassigned), a read/write command register
 * (memory decode, bus master, INTx disable), a read/write dword at 0x40, and
 * BAR0: 32-bit non-prefetchable memory of `bar_size` bytes (default 4 KiB, a
 * power of two).  Writing all-ones to BAR0 reads back the size mask.  If the
 * device has an MMIO range in the config, it is where BAR0 starts (it must be
 * bar_size long and aligned), with memory decoding on, as firmware leaves it.
 * When the guest moves BAR0 with decoding on, or turns decoding on or off,
 * the window moves with host->range_map / range_unmap; the log says so only
 * when BAR0 lands somewhere new, not for each decode toggle.  The size-probe value
 * itself is never mapped: a guest that probes with decoding on would
 * otherwise claim the top of the 4 GiB hole for a moment.
 */
#include <ioreqd/hook.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TD_VENDOR 0x7e57u
#define TD_DEVICE 0x0001u
#define TD_ID ((TD_VENDOR << 16) | TD_DEVICE)
#define TD_VERSION 0x00010000u
#define TD_DEFER_VAL 0xdefe2ed0u
#define TD_MAX_DELAY_MS 60000u
#define TD_MAX_PENDING 128u /* one access in flight per vCPU at most */

#define REG_DEFER 0x00
#define REG_ID 0x04
#define REG_VERSION 0x08
#define REG_DELAY 0x0c
#define REG_DOORBELL 0x10
#define REG_CLEAR 0x14
#define REG_SCRATCH 0x20
#define REG_SCRATCH_END 0x40

#define CFG_SIZE 256u
#define CFG_COMMAND 0x04
#define CFG_BAR0 0x10
#define CFG_USER 0x40
#define CMD_MEM 0x0002u

struct testdev;

/* One deferred DEFER read, waiting for its timer. */
struct pending {
	struct testdev *td;
	ioreqd_timer_t *timer;
	ioreqd_ticket_t ticket;
	bool busy;
};

struct testdev {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	int irq; /* -1: the doorbell only counts */
	unsigned level;
	uint32_t delay_ms;
	uint32_t rings;
	uint8_t scratch[REG_SCRATCH_END - REG_SCRATCH];
	uint8_t cfg[CFG_SIZE];
	uint8_t wmask[CFG_SIZE]; /* which config bits the guest may write */
	uint32_t bar_size;
	bool mapped; /* the window is claimed at map_base */
	uint64_t map_base;
	uint64_t told_base; /* where the log last said BAR0 is (0: nowhere yet) */
	struct pending pend[TD_MAX_PENDING];
};

static const struct ioreqd_hook_key testdev_keys[] = {
    {"delay_ms", "how long a read of DEFER (+0x0) waits before completing (default 10)"},
    {"bar_size", "size of BAR0, a power of two from 16 to 1G (default 4K)"},
    {NULL, NULL},
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void pending_cb(void *arg)
{
	struct pending *p = arg;
	struct testdev *td = p->td;
	ioreqd_fault_t *f;

	p->busy = false;
	f = td->host->fault_resume(td->dev, p->ticket);
	if (!f) {
		/* The watchdog or shutdown completed it first: nothing to do. */
		td->host->log_rl(td->dev, IOREQD_LOG_DEBUG,
		                 "testdev: deferred read 0x%" PRIx64 " already completed",
		                 p->ticket);
		return;
	}
	ioreqd_fault_set_data_from_reg(f, TD_DEFER_VAL);
	if (ioreqd_fault_advance(f) < 0)
		td->host->log_rl(td->dev, IOREQD_LOG_WARN, "testdev: advance refused");
}

/* Start the delay for a DEFER read.  @return DEFER, or HANDLED at once. */
static enum ioreqd_fault_result defer_read(struct testdev *td, ioreqd_fault_t *f)
{
	struct pending *p = NULL;

	for (unsigned i = 0; i < TD_MAX_PENDING; i++) {
		if (!td->pend[i].busy) {
			p = &td->pend[i];
			break;
		}
	}
	if (p && !p->timer)
		p->timer = td->host->timer_new(td->dev, pending_cb, p);
	if (!p || !p->timer ||
	    td->host->timer_arm(p->timer, td->delay_ms * 1000ull) < 0) {
		/* No timer to wait with: answer now rather than hold the vCPU. */
		td->host->log_rl(td->dev, IOREQD_LOG_WARN,
		                 "testdev: v%u read 0x%" PRIx64 " answered without delay",
		                 ioreqd_fault_vcpu(f), ioreqd_fault_addr(f));
		ioreqd_fault_set_data_from_reg(f, TD_DEFER_VAL);
		return IOREQD_FAULT_HANDLED;
	}
	p->busy = true;
	p->ticket = ioreqd_fault_ticket(f);
	return IOREQD_FAULT_DEFER;
}

static void set_irq(struct testdev *td, unsigned level, ioreqd_fault_t *f)
{
	int rc;

	td->level = level;
	if (td->irq < 0)
		return;
	rc = td->host->irq_set_level(td->dev, (unsigned)td->irq, level);
	if (rc < 0)
		td->host->log_rl(td->dev, IOREQD_LOG_WARN,
		                 "testdev: v%u 0x%" PRIx64 ": irq %d level %u: %s",
		                 ioreqd_fault_vcpu(f), ioreqd_fault_addr(f), td->irq,
		                 level, strerror(-rc));
}

/* The 32-bit register at @p reg (4-aligned) as a read sees it. */
static uint32_t reg_read(struct testdev *td, uint64_t reg)
{
	switch (reg) {
	case REG_DEFER:
		return TD_DEFER_VAL;
	case REG_ID:
		return TD_ID;
	case REG_VERSION:
		return TD_VERSION;
	case REG_DELAY:
		return td->delay_ms;
	case REG_DOORBELL:
		return td->rings;
	case REG_CLEAR:
		return td->level;
	default:
		if (reg >= REG_SCRATCH && reg < REG_SCRATCH_END)
			return get32(&td->scratch[reg - REG_SCRATCH]);
		return 0;
	}
}

static enum ioreqd_fault_result mmio_access(struct testdev *td, ioreqd_fault_t *f)
{
	uint64_t off = ioreqd_fault_offset(f), v = 0;
	unsigned size = ioreqd_fault_size(f);

	if (ioreqd_fault_is_read(f)) {
		if (off < REG_DEFER + 4)
			return defer_read(td, f);
		/* Compose byte by byte: an access may span two registers. */
		for (unsigned i = size; i-- > 0;) {
			uint64_t o = off + i;

			v = (v << 8) |
			    ((reg_read(td, o & ~3ull) >> (8 * (o & 3))) & 0xff);
		}
		ioreqd_fault_set_data(f, v);
		return IOREQD_FAULT_HANDLED;
	}
	v = ioreqd_fault_data(f);
	if (off >= REG_SCRATCH && off + size <= REG_SCRATCH_END) {
		for (unsigned i = 0; i < size; i++)
			td->scratch[off - REG_SCRATCH + i] = (uint8_t)(v >> (8 * i));
	} else if ((off & ~3ull) == REG_DOORBELL) {
		td->rings++;
		set_irq(td, 1, f);
	} else if ((off & ~3ull) == REG_CLEAR) {
		set_irq(td, 0, f);
	} else if (off == REG_DELAY && size == 4) {
		if (v > TD_MAX_DELAY_MS)
			td->host->log_rl(td->dev, IOREQD_LOG_WARN,
			                 "testdev: v%u delay %" PRIu64
			                 " ms clipped to %u",
			                 ioreqd_fault_vcpu(f), v, TD_MAX_DELAY_MS);
		td->delay_ms = v > TD_MAX_DELAY_MS ? TD_MAX_DELAY_MS : (uint32_t)v;
	}
	return IOREQD_FAULT_HANDLED;
}

/* Claim or release the window so it sits where BAR0 and the command say. */
static void update_bar(struct testdev *td)
{
	uint32_t bar = get32(&td->cfg[CFG_BAR0]);
	uint32_t probe = ~(td->bar_size - 1);
	bool want = (td->cfg[CFG_COMMAND] & CMD_MEM) && bar != 0 && bar != probe;
	int rc;

	if (td->mapped && (!want || td->map_base != bar)) {
		rc = td->host->range_unmap(td->dev, IOREQD_SPACE_MMIO, td->map_base,
		                           td->map_base + td->bar_size - 1);
		if (rc < 0)
			td->host->log_rl(td->dev, IOREQD_LOG_WARN,
			                 "testdev: unmap BAR0 at 0x%" PRIx64 ": %s",
			                 td->map_base, strerror(-rc));
		td->mapped = false;
	}
	if (want && !td->mapped) {
		rc = td->host->range_map(td->dev, IOREQD_SPACE_MMIO, bar,
		                         (uint64_t)bar + td->bar_size - 1);
		if (rc < 0) {
			td->host->log_rl(td->dev, IOREQD_LOG_WARN,
			                 "testdev: cannot map BAR0 at 0x%" PRIx32 ": %s",
			                 bar, strerror(-rc));
			return;
		}
		td->mapped = true;
		td->map_base = bar;
		/* Where the BAR is must survive a restart (--checkpoint). */
		if (bar != td->told_base && IOREQD_HOST_HAS(td->host, state_changed))
			td->host->state_changed(td->dev);
		/*
		 * Linux turns memory decoding off and on around sizing every BAR,
		 * which remaps the window where it was: only a move is news.
		 */
		if (bar != td->told_base)
			td->host->log_rl(td->dev, IOREQD_LOG_INFO,
			                 "testdev: BAR0 at 0x%" PRIx32, bar);
		td->told_base = bar;
	}
}

static enum ioreqd_fault_result pci_access(struct testdev *td, ioreqd_fault_t *f)
{
	uint64_t off = ioreqd_fault_offset(f), v = 0;
	unsigned size = ioreqd_fault_size(f);
	bool touches_bar = false, touches_cmd = false;

	if (ioreqd_fault_is_read(f)) {
		for (unsigned i = size; i-- > 0;)
			v = (v << 8) | (off + i < CFG_SIZE ? td->cfg[off + i] : 0);
		ioreqd_fault_set_data(f, v);
		return IOREQD_FAULT_HANDLED;
	}
	v = ioreqd_fault_data(f);
	for (unsigned i = 0; i < size && off + i < CFG_SIZE; i++) {
		uint64_t o = off + i;
		uint8_t m = td->wmask[o];

		td->cfg[o] = (uint8_t)((td->cfg[o] & ~m) | ((uint8_t)(v >> (8 * i)) & m));
		touches_bar |= o >= CFG_BAR0 && o < CFG_BAR0 + 4;
		touches_cmd |= o == CFG_COMMAND;
	}
	if (touches_bar) /* the low bits say "32-bit memory", the rest is the size */
		put32(&td->cfg[CFG_BAR0],
		      get32(&td->cfg[CFG_BAR0]) & ~(td->bar_size - 1));
	if (touches_bar || touches_cmd)
		update_bar(td);
	return IOREQD_FAULT_HANDLED;
}

static enum ioreqd_fault_result testdev_access(ioreqd_fault_t *f, void *priv)
{
	struct testdev *td = priv;

	if (ioreqd_fault_space(f) == IOREQD_SPACE_PCI)
		return pci_access(td, f);
	return mmio_access(td, f);
}

/*
 * Device state: the registers, the scratch bytes and the config header.
 * BAR0's placement is the header's BAR0 and command register: load puts the
 * window where they say (host->range_map), wherever the configuration put
 * it.  Deferred DEFER reads are not state: the daemon completes them first.
 */
#define TESTDEV_STATE_VERSION 1
/*
 * TAG_UNCLAIMED (u32 1, present only then): BAR0 was decoding but not claimed
 * when saved.  A guest may put the BAR over another device's range, where it
 * is never claimed; such a BAR stays unclaimed at load, and the load goes on.
 * Written only in that case, so a stream loads and saves again byte for byte.
 */
enum { TAG_DELAY = 1, TAG_RINGS, TAG_LEVEL, TAG_SCRATCH, TAG_CFG, TAG_UNCLAIMED };

/* Should BAR0 be claimed: decoding on, and an address rather than a probe? */
static bool bar_wanted(const struct testdev *td)
{
	uint32_t bar = get32(&td->cfg[CFG_BAR0]);

	return (td->cfg[CFG_COMMAND] & CMD_MEM) && bar != 0 && bar != ~(td->bar_size - 1);
}

static int testdev_save(void *priv, ioreqd_state_t *st)
{
	struct testdev *td = priv;
	int rc;

	if ((rc = ioreqd_state_put_u32(st, TAG_DELAY, td->delay_ms)) < 0 ||
	    (rc = ioreqd_state_put_u32(st, TAG_RINGS, td->rings)) < 0 ||
	    (rc = ioreqd_state_put_u32(st, TAG_LEVEL, td->level)) < 0 ||
	    (rc = ioreqd_state_put(st, TAG_SCRATCH, td->scratch, sizeof(td->scratch))) <
	        0)
		return rc;
	if ((rc = ioreqd_state_put(st, TAG_CFG, td->cfg, sizeof(td->cfg))) < 0)
		return rc;
	if (bar_wanted(td) && !td->mapped)
		return ioreqd_state_put_u32(st, TAG_UNCLAIMED, 1);
	return 0;
}

static int testdev_load(void *priv, ioreqd_state_t *st, unsigned version)
{
	struct testdev *td = priv;
	uint8_t scratch[sizeof(td->scratch)], cfg[CFG_SIZE], old[CFG_SIZE];
	uint32_t delay, rings, level, unclaimed = 0;
	int rc;

	if (ioreqd_state_len(st, TAG_UNCLAIMED) >= 0 &&
	    (rc = ioreqd_state_get_u32(st, TAG_UNCLAIMED, &unclaimed)) < 0)
		return rc;
	if ((rc = ioreqd_state_get_u32(st, TAG_DELAY, &delay)) < 0 ||
	    (rc = ioreqd_state_get_u32(st, TAG_RINGS, &rings)) < 0 ||
	    (rc = ioreqd_state_get_u32(st, TAG_LEVEL, &level)) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_SCRATCH, scratch, sizeof(scratch))) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_CFG, cfg, sizeof(cfg))) < 0)
		return rc;
	if (delay > TD_MAX_DELAY_MS || level > 1 || unclaimed > 1) {
		ioreqd_state_fail(
		    st, "delay %" PRIu32 " ms or irq level %" PRIu32 " out of range",
		    delay, level);
		return -EBADMSG;
	}
	/* Only what the guest could have written comes from the stream. */
	memcpy(old, td->cfg, sizeof(old));
	for (unsigned i = 0; i < CFG_SIZE; i++)
		cfg[i] =
		    (uint8_t)((td->cfg[i] & ~td->wmask[i]) | (cfg[i] & td->wmask[i]));
	put32(&cfg[CFG_BAR0], get32(&cfg[CFG_BAR0]) & ~(td->bar_size - 1));
	memcpy(td->cfg, cfg, sizeof(cfg));
	if (unclaimed && !bar_wanted(td)) {
		ioreqd_state_fail(st, "BAR0 is marked unclaimed but does not decode");
		memcpy(td->cfg, old, sizeof(old));
		return -EBADMSG;
	}
	update_bar(td);
	if (unclaimed && td->mapped) {
		/* Unclaimed where it was saved: leave it so here too. */
		td->host->range_unmap(td->dev, IOREQD_SPACE_MMIO, td->map_base,
		                      td->map_base + td->bar_size - 1);
		td->mapped = false;
	}
	if (!unclaimed && bar_wanted(td) && !td->mapped) {
		/* The saved place is taken here: put the window back, refuse. */
		ioreqd_state_fail(st, "BAR0 cannot be re-claimed at 0x%" PRIx32,
		                  get32(&td->cfg[CFG_BAR0]));
		memcpy(td->cfg, old, sizeof(old));
		update_bar(td);
		return -EBUSY;
	}
	td->delay_ms = delay;
	td->rings = rings;
	memcpy(td->scratch, scratch, sizeof(scratch));
	td->level = level;
	if (td->irq >= 0 &&
	    td->host->irq_set_level(td->dev, (unsigned)td->irq, level) < 0)
		td->host->log_rl(td->dev, IOREQD_LOG_WARN,
		                 "testdev: irq %d level %" PRIu32 " not restored",
		                 td->irq, level);
	return 0;
}

static void testdev_fini(void *priv)
{
	struct testdev *td = priv;

	if (!td)
		return;
	for (unsigned i = 0; i < TD_MAX_PENDING; i++)
		td->host->timer_free(td->pend[i].timer);
	td->host->log(td->dev, IOREQD_LOG_INFO,
	              "testdev: doorbell rang %" PRIu32 " time(s)", td->rings);
	free(td);
}

static void build_header(struct testdev *td)
{
	put16(&td->cfg[0x00], TD_VENDOR);
	put16(&td->cfg[0x02], TD_DEVICE);
	put32(&td->cfg[0x08], 0xff000001u); /* class ff (unassigned), revision 1 */
	put16(&td->cfg[0x2c], TD_VENDOR);   /* subsystem vendor and id */
	put16(&td->cfg[0x2e], TD_DEVICE);
	td->cfg[0x3c] = td->irq >= 0 && td->irq < 0xff ? (uint8_t)td->irq : 0xff;
	put16(&td->wmask[CFG_COMMAND], 0x0406); /* memory, bus master, INTx disable */
	put32(&td->wmask[CFG_BAR0], 0xffffffffu);
	td->wmask[0x3c] = 0xff; /* interrupt line: scratch for firmware */
	put32(&td->wmask[CFG_USER], 0xffffffffu);
}

static int testdev_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct testdev *td = NULL;
	enum ioreqd_space space;
	uint64_t base, last, delay, bar_size;
	int rc;

	*priv = NULL;
	if ((rc = host->cfg_u64(dev, "delay_ms", 10, &delay)) < 0)
		return rc;
	if (delay > TD_MAX_DELAY_MS)
		return host->cfg_error(dev, "delay_ms",
		                       "%" PRIu64 " out of range (0..%u)", delay,
		                       TD_MAX_DELAY_MS);
	if ((rc = host->cfg_u64(dev, "bar_size", 4096, &bar_size)) < 0)
		return rc;
	if (bar_size < 16 || bar_size > (1ull << 30) || (bar_size & (bar_size - 1)))
		return host->cfg_error(dev, "bar_size",
		                       "%" PRIu64 " is not a power of two from 16 to 1G",
		                       bar_size);
	td = calloc(1, sizeof(*td));
	if (!td)
		return -ENOMEM;
	td->host = host;
	td->dev = dev;
	td->delay_ms = (uint32_t)delay;
	td->bar_size = (uint32_t)bar_size;
	td->irq = host->cfg_irq(dev);
	for (unsigned i = 0; i < TD_MAX_PENDING; i++)
		td->pend[i].td = td;
	build_header(td);
	for (unsigned i = 0; host->range_get(dev, i, &space, &base, &last) == 0; i++) {
		if (space != IOREQD_SPACE_MMIO)
			continue;
		if (last - base + 1 != bar_size || (base & (bar_size - 1)) ||
		    last > 0xffffffffull) {
			rc = host->cfg_error(dev, NULL,
			                     "mmio range 0x%" PRIx64 "-0x%" PRIx64
			                     " must be bar_size (0x%" PRIx64
			                     ") long, aligned, below 4G",
			                     base, last, bar_size);
			free(td);
			return rc;
		}
		/* The first MMIO range is BAR0 as firmware left it: decoding on. */
		put32(&td->cfg[CFG_BAR0], (uint32_t)base);
		td->cfg[CFG_COMMAND] |= CMD_MEM;
		td->mapped = true;
		td->map_base = base;
		td->told_base = base;
		break;
	}
	*priv = td;
	return 0;
}

IOREQD_HOOK_DEFINE(testdev) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "testdev",
    .summary = "test device: ID, scratch, doorbell IRQ, deferred read, PCI header, BAR0",
    .keys = testdev_keys,
    .init = testdev_init,
    .fini = testdev_fini,
    .access = testdev_access,
    .state_version = TESTDEV_STATE_VERSION,
    .save = testdev_save,
    .load = testdev_load,
};
