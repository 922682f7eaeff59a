/* SPDX-License-Identifier: MIT */
/*
 * The configuration file: an INI file (read by config.c itself) with a [global]
 * section and one "[device NAME]" section per device instance.
 *
 *   [global]
 *   hook_dir = /opt/myhooks   ; searched before the installed hooks
 *   log_level = warn|info|debug
 *   watchdog_ms = 5000        ; complete a deferred access after this long (0 = off)
 *   buffered = yes|no         ; ask for a buffered ring
 *   poll_us = 0               ; adaptive poll cap after a request (0 = off, max 200)
 *   latency_stats = yes|no    ; time each round trip's parts (latency.h)
 *
 *   [device uart0]
 *   hook = uart16550
 *   pio = 0x3f8-0x3ff         ; inclusive range  (also: 0x3f8+8 = base+size, 0x3f8 = one
 * byte) mmio = 0xfeb00000+0x1000  ; may repeat; pio/mmio/pci may be mixed pci =
 * 0000:00:05.0        ; whole config space of one SBDF (also 00:05.0) irq = 4 order =
 * first|normal|last optional = yes|no         ; a failing init only warns <any key the
 * hook declares>
 *
 * Every error names the file and line: "demo.conf:12: pio: bad range '0x3f8-'".
 * Pure logic: no hooks are loaded and nothing is registered here.
 */
#ifndef IOREQD_CONFIG_H
#define IOREQD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioreqd/fault.h>

#include "bus.h"

#define IOREQD_CFG_ERRLEN 512
/* The longest line, blanks and comments aside: room for a PATH_MAX path. */
#define IOREQD_CFG_MAX_LINE 8192u

struct ioreqd_cfg_range {
	enum ioreqd_space space;
	uint64_t base;
	uint64_t last; /* inclusive */
	unsigned line;
};

/* A hook-specific key, kept verbatim for the hook to read. */
struct ioreqd_cfg_kv {
	char *key;
	char *value;
	unsigned line;
};

struct ioreqd_cfg_dev {
	char *name;
	unsigned line; /* of the section header */
	char *hook;
	unsigned hook_line;
	struct ioreqd_cfg_range *ranges;
	unsigned nr_ranges;
	int irq; /* -1 when absent */
	unsigned irq_line;
	enum ioreqd_order order;
	bool optional;
	struct ioreqd_cfg_kv *kv;
	unsigned nr_kv;
};

struct ioreqd_cfg {
	char *path;     /* as given, for messages */
	char *hook_dir; /* NULL: the built-in default */
	int log_level;  /* -1: not set */
	uint64_t watchdog_ms;
	bool buffered;
	unsigned poll_us;   /* the adaptive poll's cap (pollpolicy.h); 0: off */
	bool latency_stats; /* the backend times its round trips (latency.h) */
	struct ioreqd_cfg_dev *devs;
	unsigned nr_devs;
};

/**
 * Parse a configuration file.
 * @param out  receives the configuration (free with ioreqd_cfg_free).
 * @param err  receives "file:line: message" on failure.
 * @return 0, -EINVAL for a bad file (err says why), -ENOENT/-EACCES/... when
 * it cannot be read, -ENOMEM.
 */
int ioreqd_cfg_load(const char *path, struct ioreqd_cfg **out, char *err, size_t errlen);

/** Same as ioreqd_cfg_load, from memory; @p name stands for the file in messages. */
int ioreqd_cfg_load_string(const char *text, size_t len, const char *name,
                           struct ioreqd_cfg **out, char *err, size_t errlen);

/** Free a configuration (NULL is fine). */
void ioreqd_cfg_free(struct ioreqd_cfg *cfg);

/**
 * @return the value of hook-specific key @p key of @p dev (and its line in
 * *line if not NULL), or NULL if absent.
 */
const char *ioreqd_cfg_dev_get(const struct ioreqd_cfg_dev *dev, const char *key,
                               unsigned *line);

/**
 * Parse an unsigned number: decimal, 0x hex, 0 octal, with an optional K, M or
 * G suffix (powers of 1024).  Rejects empty strings, trailing junk and overflow.
 * @return 0 or -EINVAL / -ERANGE.
 */
int ioreqd_cfg_parse_u64(const char *s, uint64_t *out);

/** Parse yes/no/true/false/on/off/1/0.  @return 0 or -EINVAL. */
int ioreqd_cfg_parse_bool(const char *s, bool *out);

/**
 * Parse a range of @p space: "A-B" (inclusive), "A+SIZE", or "A" (one byte);
 * for PCI, "SSSS:BB:DD.F" or "BB:DD.F" (the whole config space of that SBDF).
 * @param why  receives a static reason on failure.
 * @return 0 or -EINVAL.
 */
int ioreqd_cfg_parse_range(enum ioreqd_space space, const char *s, uint64_t *base,
                           uint64_t *last, const char **why);

#endif /* IOREQD_CONFIG_H */
