/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the configuration parser: arbitrary bytes through
 * ioreqd_cfg_load_string, and the first line of the input through the value
 * parsers the hooks reach via the host API (numbers, booleans, ranges).
 *
 * The invariants:
 *  - the result is either a configuration or an error, never both, and the
 *    only errors are -EINVAL (with "fuzz.conf:LINE: why", LINE inside the
 *    file) and -ENOMEM;
 *  - an accepted configuration holds only what the daemon may rely on
 *    without checking again: named devices with a hook and at least one
 *    range, every range non-empty, inside its space, a PCI range inside one
 *    SBDF, no range of a device overlapping another of the same device,
 *    line numbers inside the file, known order values, irq -1 or 0..1023;
 *  - an error message always fits the caller's buffer, however small;
 *  - a number that parses prints back to the same number.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz-input.h"

#define NAME "fuzz.conf"

static unsigned count_lines(const uint8_t *data, size_t size)
{
	unsigned n = 1;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567"
		            "89_-",
		            s[i]))
			return false;
	return true;
}

static void check_range(const struct ioreqd_cfg_range *r, unsigned lines)
{
	FUZZ_CHECK(r->base <= r->last);
	FUZZ_CHECK(r->line >= 1 && r->line <= lines);
	switch (r->space) {
	case IOREQD_SPACE_PIO:
		FUZZ_CHECK(r->last <= 0xffff);
		break;
	case IOREQD_SPACE_MMIO:
		break;
	case IOREQD_SPACE_PCI:
		FUZZ_CHECK(r->base >> 32 == r->last >> 32);
		FUZZ_CHECK((r->base & 0xffffffffull) == 0 &&
		           (r->last & 0xffffffffull) == 0xfff);
		break;
	default:
		FUZZ_CHECK(!"unknown space");
	}
}

static void check_cfg(const struct ioreqd_cfg *cfg, unsigned lines)
{
	FUZZ_CHECK(cfg->path && strcmp(cfg->path, NAME) == 0);
	FUZZ_CHECK(cfg->log_level >= -1 && cfg->log_level <= LOG_LEVEL_DEBUG);
	FUZZ_CHECK(cfg->watchdog_ms <= 86400000u);
	FUZZ_CHECK(!cfg->hook_dir || cfg->hook_dir[0]);
	FUZZ_CHECK(cfg->nr_devs == 0 || cfg->devs);
	for (unsigned i = 0; i < cfg->nr_devs; i++) {
		const struct ioreqd_cfg_dev *d = &cfg->devs[i];

		FUZZ_CHECK(name_ok(d->name) && name_ok(d->hook));
		FUZZ_CHECK(d->line >= 1 && d->line <= lines);
		FUZZ_CHECK(d->hook_line > d->line && d->hook_line <= lines);
		FUZZ_CHECK(d->nr_ranges >= 1 && d->ranges);
		FUZZ_CHECK(d->irq == -1 || (d->irq >= 0 && d->irq <= 1023));
		FUZZ_CHECK((unsigned)d->order <= IOREQD_ORDER_LAST);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg->devs[j].name, d->name) != 0);
		for (unsigned j = 0; j < d->nr_ranges; j++) {
			const struct ioreqd_cfg_range *a = &d->ranges[j];

			check_range(a, lines);
			FUZZ_CHECK(a->line > d->line);
			for (unsigned k = 0; k < j; k++) {
				const struct ioreqd_cfg_range *b = &d->ranges[k];

				FUZZ_CHECK(a->space != b->space || a->last < b->base ||
				           b->last < a->base);
			}
		}
		for (unsigned j = 0; j < d->nr_kv; j++) {
			unsigned line = 0;

			FUZZ_CHECK(d->kv[j].key && d->kv[j].value);
			FUZZ_CHECK(ioreqd_cfg_dev_get(d, d->kv[j].key, &line) ==
			           d->kv[j].value);
			FUZZ_CHECK(line == d->kv[j].line && line > d->line &&
			           line <= lines);
		}
	}
}

static void check_error(const char *err, size_t errlen, unsigned lines)
{
	char *end;
	unsigned long line;

	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
	if (errlen < sizeof(NAME ":1: x"))
		return; /* truncated: only termination can be checked */
	FUZZ_CHECK(strncmp(err, NAME ":", sizeof(NAME)) == 0);
	line = strtoul(err + sizeof(NAME), &end, 10);
	FUZZ_CHECK(end > err + sizeof(NAME) && end[0] == ':' && end[1] == ' ');
	FUZZ_CHECK(line >= 1 && line <= lines);
}

/* The value parsers, on the first line of the input as a C string. */
static void fuzz_values(const uint8_t *data, size_t size)
{
	static const enum ioreqd_space spaces[] = {
	    IOREQD_SPACE_PIO, IOREQD_SPACE_MMIO, IOREQD_SPACE_PCI, (enum ioreqd_space)7};
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	char *s = malloc(n + 1);
	uint64_t v, base, last;
	bool b;

	FUZZ_CHECK(s);
	memcpy(s, data, n);
	s[n] = '\0';
	if (ioreqd_cfg_parse_u64(s, &v) == 0) {
		char buf[32];
		uint64_t again;

		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		FUZZ_CHECK(ioreqd_cfg_parse_u64(buf, &again) == 0 && again == v);
		snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
		FUZZ_CHECK(ioreqd_cfg_parse_u64(buf, &again) == 0 && again == v);
	} else {
		FUZZ_CHECK(v == 0);
	}
	if (ioreqd_cfg_parse_bool(s, &b) < 0)
		FUZZ_CHECK(!b);
	for (unsigned i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		const char *why = NULL;
		int rc = ioreqd_cfg_parse_range(spaces[i], s, &base, &last, &why);

		if (rc == 0) {
			struct ioreqd_cfg_range r = {spaces[i], base, last, 1};

			FUZZ_CHECK(why == NULL);
			check_range(&r, 1);
		} else {
			FUZZ_CHECK(rc == -EINVAL && why && why[0]);
		}
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[IOREQD_CFG_ERRLEN];
	char tiny[12];
	struct ioreqd_cfg *cfg =
	    (struct ioreqd_cfg *)&cfg; /* not NULL: must be cleared */
	unsigned lines = count_lines(data, size);
	int rc;

	fuzz_quiet_logs();
	memset(err, 'x', sizeof(err));
	rc = ioreqd_cfg_load_string((const char *)data, size, NAME, &cfg, err,
	                            sizeof(err));
	if (rc == 0) {
		FUZZ_CHECK(cfg != NULL);
		check_cfg(cfg, lines);
		ioreqd_cfg_free(cfg);
	} else {
		FUZZ_CHECK(cfg == NULL);
		FUZZ_CHECK(rc == -EINVAL || rc == -ENOMEM);
		if (rc == -EINVAL)
			check_error(err, sizeof(err), lines);
	}
	if (size < 4096) {
		/* The same input with a buffer too small for any message. */
		int rc2 = ioreqd_cfg_load_string((const char *)data, size, NAME, &cfg,
		                                 tiny, sizeof(tiny));

		FUZZ_CHECK(rc2 == rc);
		FUZZ_CHECK(memchr(tiny, '\0', sizeof(tiny)) != NULL);
		ioreqd_cfg_free(cfg);
	}
	if (size)
		fuzz_values(data, size);
	return 0;
}
