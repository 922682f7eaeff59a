/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the parser of libxl's virtio backend entries (lib/xl/vbackend.c):
 * what any dom0 process allowed to write under backend/ hands ioreqd --watch.
 *
 * Input: one byte picks the layout (even: virtio_disk, odd: virtio), then
 * "key=value" lines (a line without '=' is a key with an empty value; a NUL
 * byte ends a value early, as xenstore's C strings do).  The whole input is
 * also tried as a watch event path.
 *
 * The invariants:
 *  - parse returns 0, -EAGAIN or -EINVAL; on an error the message names the
 *    domain and device and fits its buffer;
 *  - an accepted device has a non-zero base that is a multiple of the window
 *    and does not wrap, an irq from 1 to 1019, an absolute path and a state
 *    from 0 to 7;
 *  - its rendered configuration is accepted by the configuration parser and
 *    describes exactly that device (range, irq, path, read-only, grants);
 *  - the device overlaps itself (check_set refuses a copy of it);
 *  - the handshake never serves a device it was told is invalid, and never
 *    writes a state other than InitWait or Closed;
 *  - split_path gives ids in range whenever it accepts a path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz-input.h"
#include "vbackend.h"

#define MAX_KV 24

static void check_device(const struct ioreqd_vbe_dev *d)
{
	struct ioreqd_vbe_dev two[2];
	struct ioreqd_cfg *cfg = NULL;
	char cerr[IOREQD_CFG_ERRLEN], err[IOREQD_VBE_ERRLEN];
	const char *v;
	unsigned line;
	char *text;

	FUZZ_CHECK(d->base != 0 && d->base % IOREQD_VBE_WINDOW == 0);
	FUZZ_CHECK(d->base <= UINT64_MAX - IOREQD_VBE_WINDOW);
	FUZZ_CHECK(d->irq >= 1 && d->irq <= 1019);
	FUZZ_CHECK(d->path[0] == '/');
	FUZZ_CHECK(d->state >= 0 && d->state <= 7);
	text = ioreqd_vbe_render(d, 1, d->domid);
	if (!text)
		return; /* out of memory */
	if (ioreqd_cfg_load_string(text, strlen(text), "gen", &cfg, cerr, sizeof(cerr)) ==
	    -ENOMEM) {
		free(text);
		return;
	}
	FUZZ_CHECK(cfg != NULL);
	FUZZ_CHECK(cfg->nr_devs == 1);
	FUZZ_CHECK(cfg->devs[0].nr_ranges == 1);
	FUZZ_CHECK(cfg->devs[0].ranges[0].base == d->base);
	FUZZ_CHECK(cfg->devs[0].ranges[0].last == d->base + IOREQD_VBE_WINDOW - 1);
	FUZZ_CHECK(cfg->devs[0].irq == (int)d->irq);
	v = ioreqd_cfg_dev_get(&cfg->devs[0], "path", &line);
	FUZZ_CHECK(v && !strcmp(v, d->path));
	v = ioreqd_cfg_dev_get(&cfg->devs[0], "readonly", &line);
	FUZZ_CHECK(v && !strcmp(v, d->readonly ? "yes" : "no"));
	v = ioreqd_cfg_dev_get(&cfg->devs[0], "grant_usage", &line);
	FUZZ_CHECK(v && !strcmp(v, d->grant_usage ? "1" : "0"));
	ioreqd_cfg_free(cfg);
	free(text);
	two[0] = *d;
	two[1] = *d;
	two[1].devid++;
	FUZZ_CHECK(ioreqd_vbe_check_set(two, 2, 1, err, sizeof(err)) == -EINVAL);
}

static void check_handshake(int state, bool online)
{
	for (int valid = 0; valid < 2; valid++)
		for (int served = 0; served < 2; served++) {
			struct ioreqd_vbe_step s =
			    ioreqd_vbe_next(state, online, valid, served);

			FUZZ_CHECK(!s.serve || valid);
			FUZZ_CHECK(s.write_state == 0 ||
			           s.write_state == IOREQD_XB_INITWAIT ||
			           s.write_state == IOREQD_XB_CLOSED);
			FUZZ_CHECK(s.write_state != IOREQD_XB_INITWAIT || served);
		}
}

static void check_path(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	enum ioreqd_vbe_kind kind;
	long dom, dev;

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ioreqd_vbe_split_path("/local/domain/0/backend", s, &kind, &dom, &dev) == 0) {
		FUZZ_CHECK(kind < IOREQD_VBE_KIND_COUNT);
		FUZZ_CHECK(dom >= -1 && dom <= 0x7fef);
		FUZZ_CHECK(dev >= -1 && dev <= (long)(UINT32_MAX >> 1));
		FUZZ_CHECK(dev == -1 || dom >= 0);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioreqd_vbe_kv kv[MAX_KV];
	struct ioreqd_vbe_dev *dev;
	char err[IOREQD_VBE_ERRLEN];
	enum ioreqd_vbe_kind kind;
	char *text, *p;
	size_t n = 0;
	int rc;

	check_path(data, size);
	if (size == 0)
		return 0;
	kind = data[0] & 1 ? IOREQD_VBE_VIRTIO : IOREQD_VBE_VIRTIO_DISK;
	text = malloc(size);
	dev = malloc(sizeof(*dev));
	if (!text || !dev)
		goto out;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	for (p = text; *p && n < MAX_KV;) {
		char *nl = strchr(p, '\n'), *eq;

		if (nl)
			*nl = '\0';
		eq = strchr(p, '=');
		if (eq)
			*eq = '\0';
		kv[n].key = p;
		kv[n].value = eq ? eq + 1 : "";
		n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	rc = ioreqd_vbe_parse(kind, 7, 51712, kv, n, dev, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EAGAIN || rc == -EINVAL);
	FUZZ_CHECK(dev->kind == kind && dev->domid == 7 && dev->devid == 51712);
	FUZZ_CHECK(dev->state >= -1 && dev->state <= 7);
	if (rc < 0) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(strstr(err, "domain 7 ") != NULL);
		FUZZ_CHECK(strstr(err, "device 51712") != NULL);
	} else {
		check_device(dev);
	}
	check_handshake(dev->state, dev->online);
out:
	free(dev);
	free(text);
	return 0;
}
