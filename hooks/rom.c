/* SPDX-License-Identifier: MIT */
/*
 * rom: a read-only window backed by a file, for option ROMs, firmware
 * tables or any blob a guest should see at a fixed address.  The file is read
 * once at start-up (from `offset` into it), so a file changed later does not
 * change what the guest sees and a guest access never touches the disk.
 *
 * The window is as large as the device's first range (at most 64 MiB).  A
 * file shorter than the window reads as 0xff past its end, which is what an
 * erased flash part or an unpopulated ROM socket returns, so a guest probing
 * for a ROM signature sees "nothing here" rather than zeros that might parse.
 * Every range of the device maps the same window from its own base; an access
 * beyond the window (a later, larger range) also reads 0xff.
 *
 * Reads of 1, 2, 4 or 8 bytes at any offset are little-endian.  Writes are
 * refused: dropped, counted, and logged at a rate limit (the guest decides
 * when they happen); fini reports how many there were.
 */
#include <ioreqd/hook.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROM_MAX_SIZE (64ull << 20)

struct rom {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	uint64_t size;   /* bytes of the window */
	uint64_t loaded; /* bytes that came from the file; the rest are 0xff */
	uint64_t writes; /* write attempts refused */
	uint8_t *mem;
};

static const struct ioreqd_hook_key rom_keys[] = {
    {"file", "the file whose bytes the window shows (required)"},
    {"offset", "where in the file the window starts (default 0)"},
    {NULL, NULL},
};

static enum ioreqd_fault_result rom_access(ioreqd_fault_t *f, void *priv)
{
	struct rom *r = priv;
	uint64_t off = ioreqd_fault_offset(f), v = 0;
	unsigned size = ioreqd_fault_size(f);

	if (!ioreqd_fault_is_read(f)) {
		r->writes++;
		r->host->log_rl(r->dev, IOREQD_LOG_WARN,
		                "rom: v%u write 0x%" PRIx64 "/%u = 0x%" PRIx64
		                " refused: the window is read-only",
		                ioreqd_fault_vcpu(f), ioreqd_fault_addr(f), size,
		                ioreqd_fault_data(f));
		return IOREQD_FAULT_HANDLED;
	}
	/* Byte by byte so that a read straddling the end of the window gets
	 * 0xff for exactly the bytes past it. */
	for (unsigned i = size; i-- > 0;) {
		uint64_t o = off + i;

		v = (v << 8) | (o >= off && o < r->size ? r->mem[o] : 0xff);
	}
	ioreqd_fault_set_data(f, v);
	return IOREQD_FAULT_HANDLED;
}

static void rom_fini(void *priv)
{
	struct rom *r = priv;

	if (!r)
		return;
	r->host->log(r->dev, IOREQD_LOG_INFO, "rom: %" PRIu64 " write attempt(s) refused",
	             r->writes);
	free(r->mem);
	free(r);
}

/* Fill r->mem from @p path at @p offset.  @return 0 or a cfg_error. */
static int rom_load(struct rom *r, const char *path, uint64_t offset)
{
	FILE *fp = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (!fp)
		return r->host->cfg_error(r->dev, "file", "cannot open '%s': %s", path,
		                          strerror(errno));
	if (offset > (uint64_t)INT64_MAX || fseeko(fp, (off_t)offset, SEEK_SET) < 0) {
		rc = r->host->cfg_error(r->dev, "offset",
		                        "cannot seek '%s' to 0x%" PRIx64, path, offset);
		goto out;
	}
	n = fread(r->mem, 1, (size_t)r->size, fp);
	if (ferror(fp)) {
		rc = r->host->cfg_error(r->dev, "file", "cannot read '%s'", path);
		goto out;
	}
	r->loaded = n;
out:
	fclose(fp);
	return rc;
}

static int rom_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct rom *r = NULL;
	enum ioreqd_space space;
	uint64_t base = 0, last = 0, offset = 0;
	const char *path;
	int rc;

	*priv = NULL;
	if (host->range_get(dev, 0, &space, &base, &last) < 0)
		return host->cfg_error(dev, NULL, "rom needs a range (mmio = BASE+SIZE)");
	if (last - base >= ROM_MAX_SIZE)
		return host->cfg_error(dev, NULL, "the first range is larger than 64M");
	path = host->cfg_str(dev, "file");
	if (!path || !*path)
		return host->cfg_error(dev, "file", "required: the ROM image to show");
	if ((rc = host->cfg_u64(dev, "offset", 0, &offset)) < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->host = host;
	r->dev = dev;
	r->size = last - base + 1;
	r->mem = malloc((size_t)r->size);
	if (!r->mem) {
		rc = -ENOMEM;
		goto out;
	}
	memset(r->mem, 0xff, (size_t)r->size);
	if ((rc = rom_load(r, path, offset)) < 0)
		goto out;
	if (r->loaded < r->size)
		host->log(dev, IOREQD_LOG_INFO,
		          "rom: '%s' fills 0x%" PRIx64 " of 0x%" PRIx64
		          " bytes; the rest reads 0xff",
		          path, r->loaded, r->size);
	*priv = r;
	r = NULL;
out:
	if (r) {
		free(r->mem);
		free(r);
	}
	return rc;
}

IOREQD_HOOK_DEFINE(rom) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "rom",
    .summary = "read-only window onto a file (ROM image); writes are refused",
    .keys = rom_keys,
    .init = rom_init,
    .fini = rom_fini,
    .access = rom_access,
};
