/* SPDX-License-Identifier: MIT */
/*
 * The fuzz harnesses' device model: the daemon's own (lib/engine/dm.c), with
 * built-in hooks and environment services that count log lines and refuse
 * what the sample hooks do not use at run time.  See fuzz-host.h.
 */
#include "fuzz-host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ioreqd/hook.h>

#include "builtin.h"
#include "config.h"
#include "dm.h"
#include "fuzz-input.h"

struct fuzz_host {
	struct ioreqd_cfg *cfg;
	struct ioreqd_dm *dm;
	unsigned long logs;
};

__attribute__((format(printf, 3, 4))) static void
host_log(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	/* Format anyway: a bad format or argument is a finding for ASan. */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	((struct fuzz_host *)ioreqd_dm_opaque(dev->dm))->logs++;
}

static int host_irq(ioreqd_dev_t *dev, unsigned irq, unsigned level)
{
	return -ENOTSUP;
}

static int host_intx(ioreqd_dev_t *dev, uint32_t sbdf, unsigned intx, unsigned level)
{
	return -ENOTSUP;
}

static int host_msi(ioreqd_dev_t *dev, uint64_t addr, uint32_t data)
{
	return -ENOTSUP;
}

static int host_guest_read(ioreqd_dev_t *dev, uint64_t gpa, void *buf, size_t len)
{
	return -EFAULT;
}

static int host_guest_write(ioreqd_dev_t *dev, uint64_t gpa, const void *buf, size_t len)
{
	return -EFAULT;
}

static ioreqd_timer_t *host_timer_new(ioreqd_dev_t *dev, void (*cb)(void *), void *arg)
{
	return NULL;
}

static int host_timer_arm(ioreqd_timer_t *t, uint64_t usec)
{
	return -ENOTSUP;
}

static void host_timer_void(ioreqd_timer_t *t)
{
}

static ioreqd_watch_t *host_watch_new(ioreqd_dev_t *dev, int fd, unsigned events,
                                      void (*cb)(int, unsigned, void *), void *arg)
{
	return NULL;
}

static void host_watch_free(ioreqd_watch_t *w)
{
}

static int host_publish(ioreqd_dev_t *dev, const char *key, const char *value)
{
	return 0;
}

/* The environment services; ioreqd_dm_new() adds the device model's own. */
static const struct ioreqd_host fuzz_env = {
    .log = host_log,
    .log_rl = host_log,
    .irq_set_level = host_irq,
    .pci_intx_set_level = host_intx,
    .inject_msi = host_msi,
    .guest_read = host_guest_read,
    .guest_write = host_guest_write,
    .timer_new = host_timer_new,
    .timer_arm = host_timer_arm,
    .timer_cancel = host_timer_void,
    .timer_free = host_timer_void,
    .watch_new = host_watch_new,
    .watch_free = host_watch_free,
    .publish = host_publish,
};

struct fuzz_host *fuzz_host_new(const char *conf, unsigned domid)
{
	char err[IOREQD_CFG_ERRLEN];
	struct fuzz_host *h = calloc(1, sizeof(*h));

	FUZZ_CHECK(h);
	if (ioreqd_cfg_load_string(conf, strlen(conf), "fuzz-host.conf", &h->cfg, err,
	                           sizeof(err)) < 0) {
		fprintf(stderr, "fuzz-host: %s\n", err);
		abort();
	}
	h->dm = ioreqd_dm_new(domid, &fuzz_env, NULL, h);
	FUZZ_CHECK(h->dm);
	for (unsigned i = 0; i < h->cfg->nr_devs; i++) {
		const struct ioreqd_hook *hook =
		    ioreqd_builtin_hook_find(h->cfg->devs[i].hook);

		FUZZ_CHECK(hook != NULL);
		FUZZ_CHECK(
		    ioreqd_dm_add(h->dm, h->cfg, i, hook, NULL, err, sizeof(err)) == 0);
	}
	if (ioreqd_dm_build(h->dm, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz-host: %s\n", err);
		abort();
	}
	FUZZ_CHECK(ioreqd_dm_init(h->dm) == 0);
	return h;
}

void fuzz_host_free(struct fuzz_host *h)
{
	if (!h)
		return;
	ioreqd_dm_free(h->dm);
	ioreqd_cfg_free(h->cfg);
	free(h);
}

struct ioreqd_dm *fuzz_host_dm(const struct fuzz_host *h)
{
	return h->dm;
}

struct ioreqd_bus *fuzz_host_bus(const struct fuzz_host *h)
{
	return ioreqd_dm_bus(h->dm);
}

unsigned long fuzz_host_log_count(const struct fuzz_host *h)
{
	return h->logs;
}
