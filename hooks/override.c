/* SPDX-License-Identifier: MIT */
/*
 * override: the handler-chain demonstrator.  Configured on the same range as
 * another device, it is installed after it and so runs first; it handles the
 * one register at `offset` (`width` bytes) and passes every other access on
 * to the device underneath, which is how a tracer, a quirk or a fault
 * injector is layered over an existing device without touching it.
 *
 * Reads of the register return `value`.  Writes are dropped (`writes =
 * drop`), passed on to the device underneath (`pass`), or stored in `value`
 * (`latch`).  A sub-register access inside the register sees or updates its
 * bytes of the value (little-endian).  An access that only partly overlaps
 * the register is not ours to split: it is passed on whole.
 */
#include <ioreqd/hook.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum writes_mode { WRITES_DROP = 0, WRITES_PASS, WRITES_LATCH };

static const char *const writes_names[] = {"drop", "pass", "latch"};

struct override {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	uint64_t offset; /* of the register from the range base */
	unsigned width;  /* 1, 2, 4 or 8 */
	uint64_t value;
	enum writes_mode writes;
	uint64_t hits;   /* accesses handled */
	uint64_t passed; /* accesses passed on */
};

static const struct ioreqd_hook_key override_keys[] = {
    {"offset", "offset of the register from the base of the range (default 0)"},
    {"width", "register width in bytes: 1, 2, 4 or 8 (default 4)"},
    {"value", "what reads of the register return (default 0)"},
    {"writes", "drop (default), pass (to the device underneath) or latch (update value)"},
    {NULL, NULL},
};

static uint64_t width_mask(unsigned width)
{
	return width >= 8 ? ~0ull : (1ull << (8 * width)) - 1;
}

static enum ioreqd_fault_result override_access(ioreqd_fault_t *f, void *priv)
{
	struct override *o = priv;
	uint64_t off = ioreqd_fault_offset(f), rel, mask;
	unsigned size = ioreqd_fault_size(f), shift;

	/* Wholly inside [offset, offset + width), or not ours at all. */
	if (off < o->offset || off - o->offset >= o->width ||
	    o->width - (off - o->offset) < size) {
		o->passed++;
		return IOREQD_FAULT_PASS;
	}
	rel = off - o->offset;
	shift = (unsigned)rel * 8; /* rel < width <= 8, so shift <= 56 */
	if (ioreqd_fault_is_read(f)) {
		ioreqd_fault_set_data(f, o->value >> shift);
		o->hits++;
		return IOREQD_FAULT_HANDLED;
	}
	switch (o->writes) {
	case WRITES_PASS:
		o->passed++;
		return IOREQD_FAULT_PASS;
	case WRITES_LATCH:
		mask = (width_mask(size) << shift) & width_mask(o->width);
		o->value = (o->value & ~mask) | ((ioreqd_fault_data(f) << shift) & mask);
		break;
	case WRITES_DROP:
	default:
		break;
	}
	o->hits++;
	return IOREQD_FAULT_HANDLED;
}

/* Device state: the register's value, which only `writes = latch` changes. */
#define OVERRIDE_STATE_VERSION 1
#define TAG_VALUE 1

static int override_save(void *priv, ioreqd_state_t *st)
{
	struct override *o = priv;

	return ioreqd_state_put_u64(st, TAG_VALUE, o->value);
}

static int override_load(void *priv, ioreqd_state_t *st, unsigned version)
{
	struct override *o = priv;
	uint64_t v;
	int rc = ioreqd_state_get_u64(st, TAG_VALUE, &v);

	if (rc < 0)
		return rc;
	if (v & ~width_mask(o->width)) {
		ioreqd_state_fail(st,
		                  "value 0x%" PRIx64 " does not fit the %u-byte register",
		                  v, o->width);
		return -EBADMSG;
	}
	o->value = v;
	return 0;
}

static void override_fini(void *priv)
{
	struct override *o = priv;

	if (!o)
		return;
	o->host->log(o->dev, IOREQD_LOG_DEBUG,
	             "override: %" PRIu64 " accesses handled, %" PRIu64 " passed on",
	             o->hits, o->passed);
	free(o);
}

static int override_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct override *o = NULL;
	enum ioreqd_space space;
	uint64_t base, last, offset, width, value;
	const char *w;
	int rc, mode = WRITES_DROP;

	*priv = NULL;
	if ((rc = host->cfg_u64(dev, "offset", 0, &offset)) < 0 ||
	    (rc = host->cfg_u64(dev, "width", 4, &width)) < 0 ||
	    (rc = host->cfg_u64(dev, "value", 0, &value)) < 0)
		return rc;
	if (width != 1 && width != 2 && width != 4 && width != 8)
		return host->cfg_error(dev, "width", "%" PRIu64 " is not 1, 2, 4 or 8",
		                       width);
	if (value & ~width_mask((unsigned)width))
		return host->cfg_error(dev, "value",
		                       "0x%" PRIx64 " does not fit in %" PRIu64 " bytes",
		                       value, width);
	/* The register must lie inside every range the device sits on. */
	for (unsigned i = 0; host->range_get(dev, i, &space, &base, &last) == 0; i++) {
		uint64_t span =
		    last - base; /* size - 1; a size of 2^64 cannot be built */

		if (offset > span || span - offset < width - 1)
			return host->cfg_error(dev, "offset",
			                       "0x%" PRIx64 " + width %" PRIu64
			                       " is outside the range 0x%" PRIx64
			                       "-0x%" PRIx64,
			                       offset, width, base, last);
	}
	w = host->cfg_str(dev, "writes");
	if (w) {
		for (mode = 0; mode < 3 && strcmp(w, writes_names[mode]) != 0; mode++)
			;
		if (mode == 3)
			return host->cfg_error(
			    dev, "writes", "bad value '%s' (use drop, pass or latch)", w);
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->host = host;
	o->dev = dev;
	o->offset = offset;
	o->width = (unsigned)width;
	o->value = value;
	o->writes = (enum writes_mode)mode;
	host->log(dev, IOREQD_LOG_DEBUG,
	          "override: %u bytes at offset 0x%" PRIx64 " read 0x%" PRIx64
	          ", writes %s",
	          o->width, o->offset, o->value, writes_names[mode]);
	*priv = o;
	return 0;
}

IOREQD_HOOK_DEFINE(override) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "override",
    .summary =
        "chain demo: handles one register of another device's range, passes the rest",
    .keys = override_keys,
    .init = override_init,
    .fini = override_fini,
    .access = override_access,
    .state_version = OVERRIDE_STATE_VERSION,
    .save = override_save,
    .load = override_load,
};
