/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the device-state stream loader (lib/engine/devstate.c) and the state
 * blobs (lib/engine/state.c) behind the built-in hooks' load: the input is a
 * stream loaded into a fixed device set (scratch, an override latch on it,
 * testdev with a BAR, debugcon, virtio-rng over mmio and virtio-console over
 * pci, whose seeds have their queues ready and the pci BAR placed).  When
 * the first byte is odd the harness rewrites the stream's length and
 * checksum after the first byte is dropped,
 * so mutations reach the record parser, the matching against the
 * configuration and the hooks' loads instead of dying at the checksum.
 *
 * The invariants:
 *  - a load succeeds or fails with one of the documented errors, and a
 *    failure always says why;
 *  - a failed load changes no device: the set saves to the same bytes as
 *    before it;
 *  - a successful load is a fixed point: saving and loading again succeeds
 *    and saves the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "devstate.h"
#include "fuzz-host.h"
#include "fuzz-input.h"
#include "le.h"

static const char conf[] =
    "[device s0]\nhook = scratch\nmmio = 0xfeb00000+0x40\n"
    "[device ov]\nhook = override\nmmio = 0xfeb00000+0x40\noffset = 8\nwidth = 2\n"
    "writes = latch\n"
    "[device t]\nhook = testdev\npci = 00:05.0\nmmio = 0xfeb01000+0x1000\n"
    "[device dbg]\nhook = debugcon\npio = 0xe9\nfile = /dev/null\n"
    "[device vr]\nhook = virtio-rng\nmmio = 0x02000000+0x200\nirq = 33\n"
    "[device vc]\nhook = virtio-console\ntransport = pci\npci = 00:06.0\n"
    "backend = none\n";

static struct fuzz_host *host;

static void reseal(uint8_t *buf, size_t len)
{
	if (len < 36)
		return;
	ioreqd_le_put(buf + 24, len, 8);
	ioreqd_le_put(buf + len - 4, ioreqd_crc32(buf, len - 4), 4);
}

static void save(uint8_t **buf, size_t *len)
{
	char err[256];

	FUZZ_CHECK(ioreqd_devstate_save(fuzz_host_dm(host), buf, len, err, sizeof(err)) ==
	           0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in, *before, *after, *again;
	size_t len, blen, alen, glen;
	char err[256];
	int rc;

	if (!host)
		host = fuzz_host_new(conf, 1);
	if (size == 0)
		return 0;
	len = size - 1;
	in = malloc(len ? len : 1);
	FUZZ_CHECK(in != NULL);
	memcpy(in, data + 1, len);
	if (data[0] & 1)
		reseal(in, len);
	save(&before, &blen);
	err[0] = 'x';
	rc = ioreqd_devstate_load(fuzz_host_dm(host), in, len, err, sizeof(err));
	save(&after, &alen);
	if (rc < 0) {
		FUZZ_CHECK(rc == -EBADMSG || rc == -EPROTONOSUPPORT || rc == -ESRCH ||
		           rc == -ENOMEM || rc == -EBUSY || rc == -ENOENT);
		FUZZ_CHECK(err[0] != '\0' && err[0] != 'x');
		FUZZ_CHECK(alen == blen && memcmp(before, after, blen) == 0);
	} else {
		FUZZ_CHECK(ioreqd_devstate_load(fuzz_host_dm(host), after, alen, err,
		                                sizeof(err)) == 0);
		save(&again, &glen);
		FUZZ_CHECK(glen == alen && memcmp(again, after, alen) == 0);
		free(again);
	}
	free(before);
	free(after);
	free(in);
	return 0;
}
