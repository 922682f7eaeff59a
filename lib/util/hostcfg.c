/* SPDX-License-Identifier: MIT */
/*
 * The configuration half of the host API (see hostcfg.h): reading a hook's
 * numeric keys and wording configuration errors with the file and line they
 * refer to.  Kept free of any host so that the daemon and the test and fuzz
 * hosts cannot drift apart in what a hook is told.
 */
#include "hostcfg.h"

#include <errno.h>
#include <stdio.h>

int ioreqd_hostcfg_verror(const struct ioreqd_cfg *cfg, const struct ioreqd_cfg_dev *dev,
                          const char *key, char *err, size_t errlen, const char *fmt,
                          va_list ap)
{
	unsigned line = dev->line;
	int n;

	if (key && !ioreqd_cfg_dev_get(dev, key, &line))
		line = dev->line;
	n = snprintf(err, errlen, "%s:%u: device %s: %s%s", cfg->path, line, dev->name,
	             key ? key : "", key ? ": " : "");
	/* Only append when the prefix fit: err + n must stay inside err. */
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

int ioreqd_hostcfg_error(const struct ioreqd_cfg *cfg, const struct ioreqd_cfg_dev *dev,
                         const char *key, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ioreqd_hostcfg_verror(cfg, dev, key, err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

int ioreqd_hostcfg_u64(const struct ioreqd_cfg *cfg, const struct ioreqd_cfg_dev *dev,
                       const char *key, uint64_t def, uint64_t *out, char *err,
                       size_t errlen)
{
	const char *v = ioreqd_cfg_dev_get(dev, key, NULL);

	*out = def;
	if (!v)
		return 0;
	if (ioreqd_cfg_parse_u64(v, out) < 0) {
		/* The parser may have left a partial value behind. */
		*out = def;
		return ioreqd_hostcfg_error(cfg, dev, key, err, errlen, "bad number '%s'",
		                            v);
	}
	return 0;
}

int ioreqd_hostcfg_bool(const struct ioreqd_cfg *cfg, const struct ioreqd_cfg_dev *dev,
                        const char *key, bool def, bool *out, char *err, size_t errlen)
{
	const char *v = ioreqd_cfg_dev_get(dev, key, NULL);

	*out = def;
	if (!v)
		return 0;
	if (ioreqd_cfg_parse_bool(v, out) < 0) {
		*out = def;
		/* The daemon's own words for its own keys (lib/util/config.c). */
		return ioreqd_hostcfg_error(cfg, dev, key, err, errlen,
		                            "bad boolean '%s' (use yes or no)", v);
	}
	return 0;
}
