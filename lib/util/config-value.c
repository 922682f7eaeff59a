/* SPDX-License-Identifier: MIT */
/*
 * The values of a configuration file, on their own: numbers (decimal, 0x
 * hex, K/M/G suffixes), booleans in the daemon's words, and ranges of each
 * space (PIO and MMIO as FIRST-LAST or BASE+SIZE, PCI as [SSSS:]BB:DD.F).
 * The parser (config.c) uses them for every key, and hooks for theirs;
 * each says why a value is refused.
 */
#include "config.h"
#include "config-internal.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "bus.h"

#define PIO_LAST 0xffffull

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ioreqd_cfg_parse_u64 on s[0..n): no sign, no whitespace, no trailing junk. */
static int parse_u64_n(const char *s, size_t n, uint64_t *out)
{
	unsigned base = 10, shift = 0;
	size_t i = 0, first;
	uint64_t v = 0;

	*out = 0;
	if (n == 0)
		return -EINVAL;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	} else if (n >= 2 && s[0] == '0' && s[1] >= '0' && s[1] <= '9') {
		base = 8;
		i = 1;
	}
	first = i;
	for (; i < n; i++) {
		int d = digit_value(s[i]);

		if (d < 0 || (unsigned)d >= base)
			break;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -ERANGE;
		v = v * base + (unsigned)d;
	}
	if (i == first)
		return -EINVAL;
	if (i < n) {
		switch (s[i]) {
		case 'K':
		case 'k':
			shift = 10;
			break;
		case 'M':
		case 'm':
			shift = 20;
			break;
		case 'G':
		case 'g':
			shift = 30;
			break;
		default:
			return -EINVAL;
		}
		if (i + 1 != n)
			return -EINVAL;
		if (v > (UINT64_MAX >> shift))
			return -ERANGE;
		v <<= shift;
	}
	*out = v;
	return 0;
}

int ioreqd_cfg_parse_u64(const char *s, uint64_t *out)
{
	*out = 0;
	if (!s)
		return -EINVAL;
	return parse_u64_n(s, strlen(s), out);
}

int ioreqd_cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	*out = false;
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

static const char *number_why(int rc)
{
	return rc == -ERANGE ? "number too large" : "not a number";
}

/* Read 1..maxdigits hex digits from *pp.  @return the value or -1. */
static long hex_field(const char **pp, unsigned maxdigits)
{
	const char *p = *pp;
	long v = 0;
	unsigned n = 0;

	while (digit_value(*p) >= 0 && n < maxdigits) {
		v = v * 16 + digit_value(*p++);
		n++;
	}
	if (n == 0 || digit_value(*p) >= 0)
		return -1;
	*pp = p;
	return v;
}

/* "SSSS:BB:DD.F" or "BB:DD.F" -> the 4 KiB config space of that SBDF. */
static int parse_pci(const char *s, size_t n, uint64_t *base, uint64_t *last,
                     const char **why)
{
	char buf[32];
	const char *p = buf;
	long a, b, seg = 0, bus, dev, fn;

	*why = "bad PCI address (use SSSS:BB:DD.F or BB:DD.F)";
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((a = hex_field(&p, 4)) < 0 || *p++ != ':' || (b = hex_field(&p, 4)) < 0)
		return -EINVAL;
	if (*p == ':') {
		p++;
		seg = a;
		bus = b;
		if ((dev = hex_field(&p, 2)) < 0)
			return -EINVAL;
	} else {
		bus = a;
		dev = b;
	}
	if (*p++ != '.' || (fn = hex_field(&p, 1)) < 0 || *p != '\0')
		return -EINVAL;
	if (bus > 0xff) {
		*why = "PCI bus above ff";
		return -EINVAL;
	}
	if (dev > 31) {
		*why = "PCI device above 1f";
		return -EINVAL;
	}
	if (fn > 7) {
		*why = "PCI function above 7";
		return -EINVAL;
	}
	*base = IOREQD_PCI_ADDR(IOREQD_PCI_SBDF(seg, bus, dev, fn), 0);
	*last = *base | 0xfff;
	*why = NULL;
	return 0;
}

int ioreqd_cfg_parse_range(enum ioreqd_space space, const char *s, uint64_t *base,
                           uint64_t *last, const char **why)
{
	const char *dummy, *sep, *a;
	size_t n, an, bn;
	uint64_t lo, hi, size;
	int rc;

	if (!why)
		why = &dummy;
	*base = 0;
	*last = 0;
	*why = "empty";
	if (!s)
		return -EINVAL;
	n = strlen(s);
	s = trim(s, &n);
	if (n == 0)
		return -EINVAL;
	if (space == IOREQD_SPACE_PCI)
		return parse_pci(s, n, base, last, why);
	if (space != IOREQD_SPACE_PIO && space != IOREQD_SPACE_MMIO) {
		*why = "unknown address space";
		return -EINVAL;
	}
	sep = s;
	while (sep < s + n && *sep != '-' && *sep != '+')
		sep++;
	an = (size_t)(sep - s);
	a = trim(s, &an);
	if ((rc = parse_u64_n(a, an, &lo)) < 0) {
		*why = number_why(rc);
		return -EINVAL;
	}
	hi = lo;
	if (sep < s + n) {
		const char *b = sep + 1;

		bn = (size_t)(s + n - b);
		b = trim(b, &bn);
		if ((rc = parse_u64_n(b, bn, &hi)) < 0) {
			*why = number_why(rc);
			return -EINVAL;
		}
		if (*sep == '+') {
			size = hi;
			if (size == 0) {
				*why = "size 0";
				return -EINVAL;
			}
			if (lo + (size - 1) < lo) {
				*why = "wraps past the end of the address space";
				return -EINVAL;
			}
			hi = lo + (size - 1);
		} else if (hi < lo) {
			*why = "end below start";
			return -EINVAL;
		}
	}
	if (space == IOREQD_SPACE_PIO && hi > PIO_LAST) {
		*why = "beyond port 0xffff";
		return -EINVAL;
	}
	*base = lo;
	*last = hi;
	*why = NULL;
	return 0;
}
