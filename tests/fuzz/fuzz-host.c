/* SPDX-License-Identifier: MIT */
/*
 * The fuzz harnesses' stand-in for the daemon's device set-up: configuration
 * through the real parser, built-in hooks initialised through a host table,
 * handlers installed on the bus.  See fuzz-host.h.
 */
#include "fuzz-host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ioreqd/hook.h>

#include "builtin.h"
#include "config.h"
#include "fuzz-input.h"
#include "hostcfg.h"

struct ioreqd_dev {
	struct fuzz_host *h;
	const struct ioreqd_cfg_dev *cfg;
	const struct ioreqd_hook *hook;
	void *priv;
};

struct fuzz_host {
	struct ioreqd_cfg *cfg;
	struct ioreqd_dev *devs;
	unsigned nr_devs;
	unsigned domid;
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
	dev->h->logs++;
}

static const char *host_dev_name(ioreqd_dev_t *dev)
{
	return dev->cfg->name;
}

static unsigned host_domid(ioreqd_dev_t *dev)
{
	return dev->h->domid;
}

static const char *host_cfg_str(ioreqd_dev_t *dev, const char *key)
{
	return ioreqd_cfg_dev_get(dev->cfg, key, NULL);
}

/* The daemon's parsing, without its message: a bad number just fails. */
static int host_cfg_u64(ioreqd_dev_t *dev, const char *key, uint64_t def, uint64_t *out)
{
	char err[IOREQD_CFG_ERRLEN];

	return ioreqd_hostcfg_u64(dev->h->cfg, dev->cfg, key, def, out, err, sizeof(err));
}

__attribute__((format(printf, 3, 4))) static int
host_cfg_error(ioreqd_dev_t *dev, const char *key, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fuzz-host: device %s: %s: %s\n", dev->cfg->name, key ? key : "-",
	        buf);
	return -EINVAL;
}

static int host_cfg_irq(ioreqd_dev_t *dev)
{
	return dev->cfg->irq;
}

static int host_range_get(ioreqd_dev_t *dev, unsigned idx, enum ioreqd_space *space,
                          uint64_t *base, uint64_t *last)
{
	if (idx >= dev->cfg->nr_ranges)
		return -ENOENT;
	*space = dev->cfg->ranges[idx].space;
	*base = dev->cfg->ranges[idx].base;
	*last = dev->cfg->ranges[idx].last;
	return 0;
}

static int host_range_map(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
                          uint64_t last)
{
	return -ENOTSUP;
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

static ioreqd_fault_t *host_fault_resume(ioreqd_dev_t *dev, ioreqd_ticket_t t)
{
	return NULL;
}

static int host_publish(ioreqd_dev_t *dev, const char *key, const char *value)
{
	return 0;
}

static const struct ioreqd_host fuzz_host_table = {
    .abi = IOREQD_HOOK_ABI,
    .size = sizeof(struct ioreqd_host),
    .log = host_log,
    .log_rl = host_log,
    .dev_name = host_dev_name,
    .domid = host_domid,
    .cfg_str = host_cfg_str,
    .cfg_u64 = host_cfg_u64,
    .cfg_error = host_cfg_error,
    .cfg_irq = host_cfg_irq,
    .range_get = host_range_get,
    .range_map = host_range_map,
    .range_unmap = host_range_map,
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
    .fault_resume = host_fault_resume,
    .publish = host_publish,
};

/* Put the device's handler on each of its ranges, sharing identical ranges. */
static void install(struct ioreqd_bus *bus, struct ioreqd_dev *dev)
{
	for (unsigned i = 0; i < dev->cfg->nr_ranges; i++) {
		const struct ioreqd_cfg_range *cr = &dev->cfg->ranges[i];
		struct ioreqd_range *r =
		    ioreqd_bus_find(bus, cr->space, cr->base, cr->last);
		struct ioreqd_handler hd = {dev->cfg->name, dev->hook->access, dev->priv,
		                            dev->cfg->order};
		const char *why = NULL;

		if (!r &&
		    ioreqd_bus_add(bus, cr->space, cr->base, cr->last, &r, &why) < 0) {
			fprintf(stderr, "fuzz-host: device %s: %s\n", dev->cfg->name,
			        why);
			abort();
		}
		FUZZ_CHECK(ioreqd_range_install(r, &hd, NULL, NULL) == 0);
	}
}

struct fuzz_host *fuzz_host_new(struct ioreqd_bus *bus, const char *conf, unsigned domid)
{
	char err[IOREQD_CFG_ERRLEN];
	struct fuzz_host *h = calloc(1, sizeof(*h));

	FUZZ_CHECK(h);
	h->domid = domid;
	if (ioreqd_cfg_load_string(conf, strlen(conf), "fuzz-host.conf", &h->cfg, err,
	                           sizeof(err)) < 0) {
		fprintf(stderr, "fuzz-host: %s\n", err);
		abort();
	}
	h->devs = calloc(h->cfg->nr_devs ? h->cfg->nr_devs : 1, sizeof(*h->devs));
	FUZZ_CHECK(h->devs);
	for (unsigned i = 0; i < h->cfg->nr_devs; i++) {
		struct ioreqd_dev *dev = &h->devs[i];

		dev->h = h;
		dev->cfg = &h->cfg->devs[i];
		dev->hook = ioreqd_builtin_hook_find(dev->cfg->hook);
		FUZZ_CHECK(dev->hook != NULL);
		FUZZ_CHECK(dev->hook->init(&fuzz_host_table, dev, &dev->priv) == 0);
		h->nr_devs++;
		install(bus, dev);
	}
	return h;
}

void fuzz_host_free(struct fuzz_host *h)
{
	if (!h)
		return;
	for (unsigned i = h->nr_devs; i-- > 0;)
		if (h->devs[i].hook->fini)
			h->devs[i].hook->fini(h->devs[i].priv);
	free(h->devs);
	ioreqd_cfg_free(h->cfg);
	free(h);
}

unsigned long fuzz_host_log_count(const struct fuzz_host *h)
{
	return h->logs;
}
