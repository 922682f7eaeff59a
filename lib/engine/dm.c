/* SPDX-License-Identifier: MIT */
/*
 * The device model (see dm.h): the one place where configured devices become
 * ranges on the bus, hooks are initialised and their handlers installed, and
 * where the configuration and range services of the host API live.  Building
 * places each device's ranges (an identical range joins the existing range's
 * handler chain; any partial overlap is an error), init runs the hooks and
 * installs their handlers, and map claims the ranges from the hypervisor.
 * Each step has its mirror for teardown.
 */
#include "dm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcfg.h"

struct ioreqd_dm {
	unsigned domid;
	struct ioreqd_host host; /* the table hooks get: env services + ours */
	struct ioreqd_dm_ops ops;
	void *opaque;
	struct ioreqd_bus *bus;
	struct ioreqd_engine *engine;
	ioreqd_dev_t **devs; /* in configuration order */
	unsigned nr_devs, cap_devs;
	bool mapped; /* ranges are claimed from the hypervisor */
	char err[IOREQD_CFG_ERRLEN];
};

/* ---- the device set ------------------------------------------------------ */

/* Name whoever already owns part of [base, last], for the error message. */
struct overlap_probe {
	enum ioreqd_space space;
	uint64_t base, last;
	struct ioreqd_range *hit;
};

static int find_overlap(struct ioreqd_range *r, void *arg)
{
	struct overlap_probe *p = arg;

	if (ioreqd_range_space(r) == p->space && ioreqd_range_base(r) <= p->last &&
	    ioreqd_range_last(r) >= p->base) {
		p->hit = r;
		return 1;
	}
	return 0;
}

/* The hook's own access function goes on the chain: no adapter in between. */
static int install(ioreqd_dev_t *dev, struct ioreqd_dev_range *dr)
{
	struct ioreqd_handler h = {
	    .name = dev->cfg->name,
	    .fn = dev->hook->access,
	    .opaque = dev->priv,
	    .order = dev->cfg->order,
	};

	return ioreqd_range_install(dr->range, &h, &dr->node, NULL);
}

static int add_range(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
                     uint64_t last, unsigned line, const char **why)
{
	struct ioreqd_dm *dm = dev->dm;
	struct ioreqd_range *r;
	struct ioreqd_dev_range *dr;
	int rc;

	*why = NULL;
	for (unsigned i = 0; i < dev->nr_ranges; i++) {
		if (dev->ranges[i].space == space && dev->ranges[i].base <= last &&
		    dev->ranges[i].last >= base) {
			*why = "overlaps another range of the same device";
			return -EEXIST;
		}
	}
	if (dev->nr_ranges == dev->cap_ranges) {
		unsigned ncap = dev->cap_ranges ? dev->cap_ranges * 2 : 4;
		struct ioreqd_dev_range *nv = realloc(dev->ranges, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		dev->ranges = nv;
		dev->cap_ranges = ncap;
	}
	rc = ioreqd_bus_claim(dm->bus, space, base, last, &r, why);
	if (rc < 0)
		return rc;
	if (!ioreqd_range_owner(r))
		ioreqd_range_set_owner(r, dev);
	dr = &dev->ranges[dev->nr_ranges++];
	*dr = (struct ioreqd_dev_range){
	    .space = space, .base = base, .last = last, .line = line, .range = r};
	if (dev->initialised) {
		rc = install(dev, dr);
		if (rc < 0) {
			dev->nr_ranges--;
			ioreqd_bus_release(dm->bus, r, NULL);
			return rc;
		}
	}
	return 0;
}

/*
 * Drop one range of a device; release the bus range once nobody is on it.
 * @return 0, or -EBUSY (nothing changed) when the range's chain is running:
 * a hook may not unmap the range it is being called for.
 */
static int drop_range(ioreqd_dev_t *dev, unsigned i)
{
	struct ioreqd_dm *dm = dev->dm;
	struct ioreqd_dev_range *dr = &dev->ranges[i];
	int rc;

	rc = ioreqd_bus_release(dm->bus, dr->range, dr->node);
	if (rc < 0)
		return rc;
	/* The last claim is gone: give the range back to the hypervisor too. */
	if (rc == 1 && dr->mapped && dm->ops.map_range)
		dm->ops.map_range(dm->opaque, dr->space, dr->base, dr->last, false);
	dev->ranges[i] = dev->ranges[--dev->nr_ranges];
	return 0;
}

static void drop_all_ranges(ioreqd_dev_t *dev)
{
	while (dev->nr_ranges && drop_range(dev, dev->nr_ranges - 1) == 0)
		;
}

static int remove_range(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
                        uint64_t last)
{
	for (unsigned i = 0; i < dev->nr_ranges; i++) {
		struct ioreqd_dev_range *dr = &dev->ranges[i];

		if (dr->space == space && dr->base == base && dr->last == last)
			return drop_range(dev, i);
	}
	return -ENOENT;
}

static bool key_known(const struct ioreqd_hook *hook, const char *key)
{
	for (const struct ioreqd_hook_key *k = hook->keys; k && k->name; k++)
		if (!strcmp(k->name, key))
			return true;
	return false;
}

/* A typo in a hook key is a configuration error with its line. */
static int check_keys(const struct ioreqd_cfg *cfg, const struct ioreqd_cfg_dev *dev,
                      const struct ioreqd_hook *hook, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dev->nr_kv; i++) {
		const struct ioreqd_cfg_kv *kv = &dev->kv[i];
		char known[256] = "";
		size_t len = 0;

		if (key_known(hook, kv->key))
			continue;
		for (const struct ioreqd_hook_key *k = hook->keys; k && k->name; k++) {
			int n = snprintf(known + len, sizeof(known) - len, "%s%s",
			                 len ? ", " : "", k->name);

			if (n < 0 || (size_t)n >= sizeof(known) - len)
				break;
			len += (size_t)n;
		}
		snprintf(err, errlen,
		         "%s:%u: device %s: unknown key '%s' for hook '%s' (%s%s)",
		         cfg->path, kv->line, dev->name, kv->key, hook->name,
		         len ? "it takes: " : "it takes no keys of its own", known);
		return -EINVAL;
	}
	return 0;
}

int ioreqd_dm_add(struct ioreqd_dm *dm, const struct ioreqd_cfg *cfg, unsigned idx,
                  const struct ioreqd_hook *hook, ioreqd_dev_t **out, char *err,
                  size_t errlen)
{
	ioreqd_dev_t *dev;
	int rc;

	if (out)
		*out = NULL;
	if (idx >= cfg->nr_devs || !hook)
		return -EINVAL;
	rc = check_keys(cfg, &cfg->devs[idx], hook, err, errlen);
	if (rc < 0)
		return rc;
	if (dm->nr_devs == dm->cap_devs) {
		unsigned ncap = dm->cap_devs ? dm->cap_devs * 2 : 8;
		ioreqd_dev_t **nv = realloc(dm->devs, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		dm->devs = nv;
		dm->cap_devs = ncap;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	*dev = (struct ioreqd_dev){
	    .dm = dm,
	    .file = cfg,
	    .cfg = &cfg->devs[idx],
	    .hook = hook,
	    .rl = IOREQD_RATELIMIT_INIT(10, 2),
	};
	dm->devs[dm->nr_devs++] = dev;
	if (out)
		*out = dev;
	return 0;
}

static int build_dev(struct ioreqd_dm *dm, ioreqd_dev_t *dev, char *err, size_t errlen)
{
	const char *path = dev->file->path;

	for (unsigned j = 0; j < dev->cfg->nr_ranges; j++) {
		const struct ioreqd_cfg_range *cr = &dev->cfg->ranges[j];
		const char *why = NULL;
		int rc = add_range(dev, cr->space, cr->base, cr->last, cr->line, &why);

		if (rc == -EEXIST) {
			struct overlap_probe p = {cr->space, cr->base, cr->last, NULL};
			ioreqd_dev_t *other;

			ioreqd_bus_foreach(dm->bus, find_overlap, &p);
			other = p.hit ? ioreqd_range_owner(p.hit) : NULL;
			snprintf(err, errlen,
			         "%s:%u: device %s: %s range 0x%" PRIx64 "-0x%" PRIx64
			         " overlaps device %s's range 0x%" PRIx64 "-0x%" PRIx64
			         " (a chain needs the identical range)",
			         path, cr->line, dev->cfg->name,
			         ioreqd_space_name(cr->space), cr->base, cr->last,
			         other ? other->cfg->name : "?",
			         p.hit ? ioreqd_range_base(p.hit) : 0,
			         p.hit ? ioreqd_range_last(p.hit) : 0);
			return rc;
		}
		if (rc < 0) {
			snprintf(
			    err, errlen,
			    "%s:%u: device %s: %s range 0x%" PRIx64 "-0x%" PRIx64 ": %s",
			    path, cr->line, dev->cfg->name, ioreqd_space_name(cr->space),
			    cr->base, cr->last, why ? why : strerror(-rc));
			return rc;
		}
	}
	dev->built = true;
	return 0;
}

int ioreqd_dm_build(struct ioreqd_dm *dm, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dm->nr_devs; i++) {
		ioreqd_dev_t *dev = dm->devs[i];
		int rc;

		if (dev->built)
			continue;
		rc = build_dev(dm, dev, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The hook's fini, and forget everything its init handed us. */
static void hook_fini(ioreqd_dev_t *dev)
{
	if (dev->hook->fini)
		dev->hook->fini(dev->priv);
	dev->priv = NULL;
	dev->stats_fn = NULL;
	dev->inval_fn = NULL;
}

int ioreqd_dm_init(struct ioreqd_dm *dm)
{
	for (unsigned i = 0; i < dm->nr_devs; i++) {
		ioreqd_dev_t *dev = dm->devs[i];
		int rc;

		if (!dev->built || dev->initialised || dev->disabled)
			continue;
		dm->err[0] = '\0';
		rc = dev->hook->init(&dm->host, dev, &dev->priv);
		if (rc < 0) {
			if (dev->cfg->optional) {
				log_warnx(
				    "device %s (hook %s) failed to initialise (%s); "
				    "it is optional, continuing without it",
				    dev->cfg->name, dev->hook->name, strerror(-rc));
				hook_fini(dev);
				dev->disabled = true;
				/* Nothing runs during init, so no range is busy. */
				drop_all_ranges(dev);
				continue;
			}
			if (!dev->init_error_said)
				log_errx(
				    "%s:%u: device %s: hook %s failed to initialise: %s "
				    "(run with -vv for the hook's messages)",
				    dev->file->path, dev->cfg->hook_line, dev->cfg->name,
				    dev->hook->name, strerror(-rc));
			if (!dm->err[0])
				snprintf(
				    dm->err, sizeof(dm->err),
				    "%s:%u: device %s: hook %s failed to initialise: %s",
				    dev->file->path, dev->cfg->hook_line, dev->cfg->name,
				    dev->hook->name, strerror(-rc));
			/* fini for this one too: init may have allocated before failing
			 */
			hook_fini(dev);
			return rc;
		}
		dev->initialised = true;
		for (unsigned j = 0; j < dev->nr_ranges; j++) {
			rc = install(dev, &dev->ranges[j]);
			if (rc < 0) {
				log_warnx("device %s: cannot install its handler: %s",
				          dev->cfg->name, strerror(-rc));
				return rc;
			}
		}
		log_debug("%s: device %s (hook %s) ready, %u range(s)", __func__,
		          dev->cfg->name, dev->hook->name, dev->nr_ranges);
	}
	return 0;
}

static void dev_fini(ioreqd_dev_t *dev)
{
	if (!dev->initialised)
		return;
	hook_fini(dev);
	dev->initialised = false;
}

static void dev_free(ioreqd_dev_t *dev)
{
	free(dev->ranges);
	free(dev);
}

void ioreqd_dm_disable(ioreqd_dev_t *dev)
{
	/* Off the bus first: fini may free what the handlers use. */
	drop_all_ranges(dev);
	dev_fini(dev);
	dev->disabled = true;
}

static int map_cb(struct ioreqd_range *r, void *arg)
{
	struct ioreqd_dm *dm = arg;
	ioreqd_dev_t *owner = ioreqd_range_owner(r);
	int rc;

	rc = dm->ops.map_range(dm->opaque, ioreqd_range_space(r), ioreqd_range_base(r),
	                       ioreqd_range_last(r), true);
	if (rc < 0) {
		log_errx("domain %u: cannot claim %s 0x%" PRIx64 "-0x%" PRIx64
		         " for device %s: %s",
		         dm->domid, ioreqd_space_name(ioreqd_range_space(r)),
		         ioreqd_range_base(r), ioreqd_range_last(r),
		         owner ? owner->cfg->name : "?", strerror(-rc));
		return rc;
	}
	/* Every device range on this bus range is now claimed. */
	for (unsigned i = 0; i < dm->nr_devs; i++)
		for (unsigned j = 0; j < dm->devs[i]->nr_ranges; j++)
			if (dm->devs[i]->ranges[j].range == r)
				dm->devs[i]->ranges[j].mapped = true;
	return 0;
}

int ioreqd_dm_map(struct ioreqd_dm *dm)
{
	dm->mapped = true;
	if (!dm->ops.map_range)
		return 0;
	return ioreqd_bus_foreach(dm->bus, map_cb, dm);
}

static int unmap_cb(struct ioreqd_range *r, void *arg)
{
	struct ioreqd_dm *dm = arg;
	bool mapped = false;

	/* Only release what was claimed (start-up may have failed half way). */
	for (unsigned i = 0; i < dm->nr_devs && !mapped; i++)
		for (unsigned j = 0; j < dm->devs[i]->nr_ranges; j++)
			if (dm->devs[i]->ranges[j].range == r &&
			    dm->devs[i]->ranges[j].mapped)
				mapped = true;
	if (!mapped)
		return 0;
	dm->ops.map_range(dm->opaque, ioreqd_range_space(r), ioreqd_range_base(r),
	                  ioreqd_range_last(r), false);
	return 0;
}

void ioreqd_dm_unmap(struct ioreqd_dm *dm)
{
	if (!dm)
		return;
	if (dm->ops.map_range)
		ioreqd_bus_foreach(dm->bus, unmap_cb, dm);
	for (unsigned i = 0; i < dm->nr_devs; i++)
		for (unsigned j = 0; j < dm->devs[i]->nr_ranges; j++)
			dm->devs[i]->ranges[j].mapped = false;
	dm->mapped = false;
}

/* ---- the host API's device-set services ------------------------------------ */

static int host_stats_register(ioreqd_dev_t *dev,
                               void (*fn)(void *arg, ioreqd_stats_emit_fn emit,
                                          void *ctx),
                               void *arg)
{
	dev->stats_fn = fn;
	dev->stats_arg = arg;
	return 0;
}

void ioreqd_dm_dev_stats(ioreqd_dev_t *dev, ioreqd_stats_emit_fn emit, void *ctx)
{
	if (dev->initialised && dev->stats_fn)
		dev->stats_fn(dev->stats_arg, emit, ctx);
}

static int host_invalidate_register(ioreqd_dev_t *dev, void (*fn)(void *arg), void *arg)
{
	dev->inval_fn = fn;
	dev->inval_arg = arg;
	return 0;
}

static void host_state_changed(ioreqd_dev_t *dev)
{
	struct ioreqd_dm *dm = dev->dm;

	if (dm->ops.state_changed)
		dm->ops.state_changed(dm->opaque, dev);
}

void ioreqd_dm_invalidate(struct ioreqd_dm *dm)
{
	for (unsigned i = 0; i < dm->nr_devs; i++) {
		ioreqd_dev_t *dev = dm->devs[i];

		if (dev->initialised && dev->inval_fn)
			dev->inval_fn(dev->inval_arg);
	}
}

static const char *host_dev_name(ioreqd_dev_t *dev)
{
	return dev->cfg->name;
}

static unsigned host_domid(ioreqd_dev_t *dev)
{
	return dev->dm->domid;
}

static const char *host_cfg_str(ioreqd_dev_t *dev, const char *key)
{
	return ioreqd_cfg_dev_get(dev->cfg, key, NULL);
}

/*
 * A configuration error found by a hook: during init it stops the daemon (an
 * error, and ioreqd_dm_init does not repeat it); later it is a warning.
 */
static void report_cfg_error(ioreqd_dev_t *dev)
{
	const char *err = dev->dm->err;

	if (dev->initialised) {
		log_warnx("%s", err);
		return;
	}
	if (!dev->cfg->optional)
		log_errx("%s", err);
	else
		log_warnx("%s", err);
	dev->init_error_said = true;
}

IOREQD_PRINTF(3, 4)
static int host_cfg_error(ioreqd_dev_t *dev, const char *key, const char *fmt, ...)
{
	struct ioreqd_dm *dm = dev->dm;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ioreqd_hostcfg_verror(dev->file, dev->cfg, key, dm->err, sizeof(dm->err),
	                           fmt, ap);
	va_end(ap);
	report_cfg_error(dev);
	return rc;
}

static int host_cfg_u64(ioreqd_dev_t *dev, const char *key, uint64_t def, uint64_t *out)
{
	struct ioreqd_dm *dm = dev->dm;
	int rc;

	rc = ioreqd_hostcfg_u64(dev->file, dev->cfg, key, def, out, dm->err,
	                        sizeof(dm->err));
	if (rc < 0)
		report_cfg_error(dev);
	return rc;
}

static int host_cfg_bool(ioreqd_dev_t *dev, const char *key, bool def, bool *out)
{
	struct ioreqd_dm *dm = dev->dm;
	int rc;

	rc = ioreqd_hostcfg_bool(dev->file, dev->cfg, key, def, out, dm->err,
	                         sizeof(dm->err));
	if (rc < 0)
		report_cfg_error(dev);
	return rc;
}

static int host_cfg_irq(ioreqd_dev_t *dev)
{
	return dev->cfg->irq;
}

static int host_range_get(ioreqd_dev_t *dev, unsigned idx, enum ioreqd_space *space,
                          uint64_t *base, uint64_t *last)
{
	if (idx >= dev->nr_ranges)
		return -ENOENT;
	*space = dev->ranges[idx].space;
	*base = dev->ranges[idx].base;
	*last = dev->ranges[idx].last;
	return 0;
}

static int host_range_map(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
                          uint64_t last)
{
	struct ioreqd_dm *dm = dev->dm;
	const char *why = NULL;
	int rc;

	rc = add_range(dev, space, base, last, 0, &why);
	if (rc < 0) {
		/* Hooks map on guest writes (a BAR move): rate-limited. */
		ioreqd_log_rl(&dev->rl, LOG_LEVEL_WARN,
		              "domain %u device %s: cannot add range 0x%" PRIx64
		              "-0x%" PRIx64 ": %s",
		              dm->domid, dev->cfg->name, base, last,
		              why ? why : strerror(-rc));
		return rc;
	}
	if (dm->mapped && dm->ops.map_range) {
		struct ioreqd_dev_range *dr = &dev->ranges[dev->nr_ranges - 1];

		rc = dm->ops.map_range(dm->opaque, space, base, last, true);
		if (rc < 0) {
			remove_range(dev, space, base, last);
			return rc;
		}
		dr->mapped = true;
	}
	return 0;
}

static int host_range_unmap(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
                            uint64_t last)
{
	return remove_range(dev, space, base, last);
}

static ioreqd_fault_t *host_fault_resume(ioreqd_dev_t *dev, ioreqd_ticket_t ticket)
{
	if (!dev->dm->engine)
		return NULL;
	return ioreqd_engine_resume(dev->dm->engine, ticket);
}

/* ---- life cycle and accessors ---------------------------------------------- */

struct ioreqd_dm *ioreqd_dm_new(unsigned domid, const struct ioreqd_host *env,
                                const struct ioreqd_dm_ops *ops, void *opaque)
{
	struct ioreqd_dm *dm = calloc(1, sizeof(*dm));

	if (!dm)
		return NULL;
	dm->bus = ioreqd_bus_new();
	if (!dm->bus) {
		free(dm);
		return NULL;
	}
	dm->domid = domid;
	dm->opaque = opaque;
	if (ops)
		dm->ops = *ops;
	dm->host = *env;
	dm->host.abi = IOREQD_HOOK_ABI;
	dm->host.size = sizeof(struct ioreqd_host);
	dm->host.dev_name = host_dev_name;
	dm->host.domid = host_domid;
	dm->host.cfg_str = host_cfg_str;
	dm->host.cfg_u64 = host_cfg_u64;
	dm->host.cfg_bool = host_cfg_bool;
	dm->host.cfg_error = host_cfg_error;
	dm->host.cfg_irq = host_cfg_irq;
	dm->host.range_get = host_range_get;
	dm->host.range_map = host_range_map;
	dm->host.range_unmap = host_range_unmap;
	dm->host.fault_resume = host_fault_resume;
	dm->host.stats_register = host_stats_register;
	dm->host.invalidate_register = host_invalidate_register;
	dm->host.state_changed = host_state_changed;
	return dm;
}

struct ioreqd_engine *
ioreqd_dm_engine_new(struct ioreqd_dm *dm, shared_iopage_t *page, unsigned nr_vcpus,
                     const struct ioreqd_guest_ops *guest, void *guest_priv,
                     const struct ioreqd_engine_ops *ops, void *opaque)
{
	if (dm->engine)
		return NULL;
	dm->engine = ioreqd_engine_new(dm->bus, page, nr_vcpus, dm->domid, guest,
	                               guest_priv, ops, opaque);
	return dm->engine;
}

void ioreqd_dm_free(struct ioreqd_dm *dm)
{
	if (!dm)
		return;
	/* Newest first, so a device on top of a chain goes before the one below. */
	for (unsigned i = dm->nr_devs; i-- > 0;)
		dev_fini(dm->devs[i]);
	/* After fini: a hook may still resume a ticket from its fini. */
	ioreqd_engine_free(dm->engine);
	ioreqd_bus_free(dm->bus);
	for (unsigned i = 0; i < dm->nr_devs; i++)
		dev_free(dm->devs[i]);
	free(dm->devs);
	free(dm);
}

const struct ioreqd_host *ioreqd_dm_host(const struct ioreqd_dm *dm)
{
	return &dm->host;
}

struct ioreqd_bus *ioreqd_dm_bus(const struct ioreqd_dm *dm)
{
	return dm->bus;
}

struct ioreqd_engine *ioreqd_dm_engine(const struct ioreqd_dm *dm)
{
	return dm->engine;
}

unsigned ioreqd_dm_domid(const struct ioreqd_dm *dm)
{
	return dm->domid;
}

void *ioreqd_dm_opaque(const struct ioreqd_dm *dm)
{
	return dm->opaque;
}

unsigned ioreqd_dm_nr_devs(const struct ioreqd_dm *dm)
{
	return dm->nr_devs;
}

ioreqd_dev_t *ioreqd_dm_dev(const struct ioreqd_dm *dm, unsigned i)
{
	return i < dm->nr_devs ? dm->devs[i] : NULL;
}

const char *ioreqd_dm_error(const struct ioreqd_dm *dm)
{
	return dm->err;
}
