/* SPDX-License-Identifier: MIT */
/*
 * scratch: a block of RAM-backed registers.  Reads return what was last
 * written, at any access size (1, 2, 4 or 8 bytes) and any offset, aligned
 * or not, in little-endian byte order, so a guest can use it as a test
 * target for every access width and for string I/O.
 *
 * The block is `size` bytes (default: the size of the device's first range,
 * at most 16 MiB) filled with the byte `fill` (default 0).  Every range of
 * the device maps the same block from its own base.  An access that does not
 * lie wholly inside the block (a range larger than `size`) reads all-ones and
 * its writes are dropped; such accesses are counted and logged at a rate
 * limit, since the guest decides when they happen.
 */
#include <ioreqd/hook.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH_MAX_SIZE (16ull << 20)

struct scratch {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	uint64_t size;
	uint64_t outside; /* accesses beyond size */
	uint8_t *mem;
};

static const struct ioreqd_hook_key scratch_keys[] = {
    {"size", "bytes of RAM behind the range (default: the first range's size; max 16M)"},
    {"fill", "initial value of every byte, 0..255 (default 0)"},
    {NULL, NULL},
};

static enum ioreqd_fault_result scratch_access(ioreqd_fault_t *f, void *priv)
{
	struct scratch *s = priv;
	uint64_t off = ioreqd_fault_offset(f);
	unsigned size = ioreqd_fault_size(f);
	uint64_t v = 0;

	if (size > 8 || off >= s->size || s->size - off < size) {
		s->outside++;
		s->host->log_rl(s->dev, IOREQD_LOG_WARN,
		                "scratch: v%u %s 0x%" PRIx64 "/%u at offset 0x%" PRIx64
		                " is outside the %" PRIu64 "-byte block (%s)",
		                ioreqd_fault_vcpu(f),
		                ioreqd_fault_is_read(f) ? "read" : "write",
		                ioreqd_fault_addr(f), size, off, s->size,
		                ioreqd_fault_is_read(f) ? "reads all-ones" : "dropped");
		if (ioreqd_fault_is_read(f))
			ioreqd_fault_set_data(f, ~0ull);
		return IOREQD_FAULT_HANDLED;
	}
	if (ioreqd_fault_is_read(f)) {
		for (unsigned i = size; i-- > 0;)
			v = (v << 8) | s->mem[off + i];
		ioreqd_fault_set_data(f, v);
	} else {
		v = ioreqd_fault_data(f);
		for (unsigned i = 0; i < size; i++)
			s->mem[off + i] = (uint8_t)(v >> (8 * i));
	}
	return IOREQD_FAULT_HANDLED;
}

/* Device state: the block's contents, one field; its size is configuration. */
#define SCRATCH_STATE_VERSION 1
#define TAG_MEM 1

static int scratch_save(void *priv, ioreqd_state_t *st)
{
	struct scratch *s = priv;

	return ioreqd_state_put(st, TAG_MEM, s->mem, s->size);
}

static int scratch_load(void *priv, ioreqd_state_t *st, unsigned version)
{
	struct scratch *s = priv;

	/* The only check is the length, and get makes it before copying. */
	return ioreqd_state_get(st, TAG_MEM, s->mem, s->size);
}

static void scratch_fini(void *priv)
{
	struct scratch *s = priv;

	if (!s)
		return;
	if (s->outside)
		s->host->log(s->dev, IOREQD_LOG_INFO,
		             "scratch: %" PRIu64 " accesses fell outside the block",
		             s->outside);
	free(s->mem);
	free(s);
}

static int scratch_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct scratch *s = NULL;
	enum ioreqd_space space;
	uint64_t base = 0, last = 0, def = 0, size, fill;
	int rc, no_range;

	*priv = NULL;
	no_range = host->range_get(dev, 0, &space, &base, &last) < 0;
	if (!no_range && last - base < SCRATCH_MAX_SIZE)
		def = last - base + 1;
	if ((rc = host->cfg_u64(dev, "size", def, &size)) < 0)
		return rc;
	if (size == 0 || size > SCRATCH_MAX_SIZE) {
		if (!host->cfg_str(dev, "size"))
			return host->cfg_error(
			    dev, "size", "%s; set size (1..16M)",
			    no_range ? "the device has no range"
			             : "the first range is larger than 16M");
		return host->cfg_error(dev, "size", "%" PRIu64 " out of range (1..16M)",
		                       size);
	}
	if ((rc = host->cfg_u64(dev, "fill", 0, &fill)) < 0)
		return rc;
	if (fill > 0xff)
		return host->cfg_error(dev, "fill", "%" PRIu64 " out of range (0..255)",
		                       fill);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mem = malloc(size);
	if (!s->mem) {
		free(s);
		return -ENOMEM;
	}
	memset(s->mem, (int)fill, size);
	s->host = host;
	s->dev = dev;
	s->size = size;
	*priv = s;
	return 0;
}

IOREQD_HOOK_DEFINE(scratch) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "scratch",
    .summary = "RAM-backed registers: reads return what was written, any size or offset",
    .keys = scratch_keys,
    .init = scratch_init,
    .fini = scratch_fini,
    .access = scratch_access,
    .state_version = SCRATCH_STATE_VERSION,
    .save = scratch_save,
    .load = scratch_load,
};
