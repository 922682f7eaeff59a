/* SPDX-License-Identifier: MIT */
/*
 * Configuration access as the host API gives it to hooks (cfg_u64, cfg_bool
 * and cfg_error in include/ioreqd/hook.h), as pure functions over a parsed
 * configuration.  The daemon's host table, the mock host of the hook tests and
 * the fuzz host all call these, so a hook sees the same defaults, the same
 * number syntax and the same "file:line: device NAME: KEY: ..." messages
 * everywhere; each host only decides where the message goes.
 */
#ifndef IOREQD_HOSTCFG_H
#define IOREQD_HOSTCFG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "log.h"

/**
 * Write a configuration error about key @p key of device @p dev (about the
 * section when @p key is NULL) to @p err: "FILE:LINE: device NAME: KEY: what",
 * with the line where the key was set, or the section's line when it was not.
 * @return -EINVAL, for `return host->cfg_error(...)`.
 */
int ioreqd_hostcfg_verror(const struct ioreqd_cfg *cfg, const struct ioreqd_cfg_dev *dev,
                          const char *key, char *err, size_t errlen, const char *fmt,
                          va_list ap) IOREQD_PRINTF(6, 0);

/** ioreqd_hostcfg_verror with the arguments inline. */
int ioreqd_hostcfg_error(const struct ioreqd_cfg *cfg, const struct ioreqd_cfg_dev *dev,
                         const char *key, char *err, size_t errlen, const char *fmt, ...)
    IOREQD_PRINTF(6, 7);

/**
 * Read hook key @p key of @p dev as a number (ioreqd_cfg_parse_u64 syntax).
 * *out is @p def when the key is absent or bad.
 * @return 0, or -EINVAL with the message for the bad number in @p err (left
 * alone otherwise); the caller reports it.
 */
int ioreqd_hostcfg_u64(const struct ioreqd_cfg *cfg, const struct ioreqd_cfg_dev *dev,
                       const char *key, uint64_t def, uint64_t *out, char *err,
                       size_t errlen);

/**
 * Read hook key @p key of @p dev as a boolean, with the configuration file's
 * own syntax (ioreqd_cfg_parse_bool: yes/no, true/false, on/off, 1/0).
 * *out is @p def when the key is absent or bad.
 * @return 0, or -EINVAL with the message for the bad value in @p err (left
 * alone otherwise); the caller reports it.
 */
int ioreqd_hostcfg_bool(const struct ioreqd_cfg *cfg, const struct ioreqd_cfg_dev *dev,
                        const char *key, bool def, bool *out, char *err, size_t errlen);

#endif /* IOREQD_HOSTCFG_H */
