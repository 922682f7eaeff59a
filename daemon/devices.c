/* SPDX-License-Identifier: MIT */
/*
 * Device instances: one per "[device NAME]" section.  Building places each
 * device's ranges on the bus (an identical range joins the existing range's
 * handler chain; any partial overlap is a configuration error), init runs the
 * hooks and installs their handlers, and map claims the ranges from the
 * hypervisor.  Each step has its mirror for teardown.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static const char *const space_name[IOREQD_SPACE_COUNT] = {"pio", "mmio", "pci"};

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

static enum ioreqd_fault_result dev_access(ioreqd_fault_t *f, void *opaque)
{
	struct ioreqd_dev *dev = opaque;

	return dev->hook->access(f, dev->priv);
}

static int install(struct ioreqd_dev *dev, struct dev_range *dr)
{
	struct ioreqd_handler h = {
		.name = dev->cfg->name,
		.fn = dev_access,
		.opaque = dev,
		.order = dev->cfg->order,
	};

	return ioreqd_range_install(dr->range, &h, &dr->node, NULL);
}

int ioreqd_dev_add_range(struct ioreqd_dev *dev, enum ioreqd_space space, uint64_t base,
			 uint64_t last, unsigned line, const char **why)
{
	struct ioreqd_daemon *d = dev->d;
	struct ioreqd_range *r;
	struct dev_range *dr;
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
		struct dev_range *nv = realloc(dev->ranges, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		dev->ranges = nv;
		dev->cap_ranges = ncap;
	}
	rc = ioreqd_bus_claim(d->bus, space, base, last, &r, why);
	if (rc < 0)
		return rc;
	if (!ioreqd_range_owner(r))
		ioreqd_range_set_owner(r, dev);
	dr = &dev->ranges[dev->nr_ranges++];
	*dr = (struct dev_range){
		.space = space, .base = base, .last = last, .line = line, .range = r};
	if (dev->initialised) {
		rc = install(dev, dr);
		if (rc < 0) {
			dev->nr_ranges--;
			ioreqd_bus_release(d->bus, r, NULL);
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
static int drop_range(struct ioreqd_dev *dev, unsigned i)
{
	struct ioreqd_daemon *d = dev->d;
	struct dev_range *dr = &dev->ranges[i];
	int rc;

	rc = ioreqd_bus_release(d->bus, dr->range, dr->node);
	if (rc < 0)
		return rc;
	/* The last claim is gone: give the range back to the hypervisor too. */
	if (rc == 1 && dr->mapped && d->be_open)
		d->be->map_range(d->be_priv, dr->space, dr->base, dr->last, false);
	dev->ranges[i] = dev->ranges[--dev->nr_ranges];
	return 0;
}

int ioreqd_dev_remove_range(struct ioreqd_dev *dev, enum ioreqd_space space, uint64_t base,
			    uint64_t last)
{
	for (unsigned i = 0; i < dev->nr_ranges; i++) {
		struct dev_range *dr = &dev->ranges[i];

		if (dr->space == space && dr->base == base && dr->last == last)
			return drop_range(dev, i);
	}
	return -ENOENT;
}

int ioreqd_devices_build(struct ioreqd_daemon *d, char *err, size_t errlen)
{
	for (unsigned i = 0; i < d->nr_devs; i++) {
		struct ioreqd_dev *dev = &d->devs[i];

		for (unsigned j = 0; j < dev->cfg->nr_ranges; j++) {
			const struct ioreqd_cfg_range *cr = &dev->cfg->ranges[j];
			const char *why = NULL;
			int rc = ioreqd_dev_add_range(dev, cr->space, cr->base, cr->last,
						      cr->line, &why);

			if (rc == -EEXIST) {
				struct overlap_probe p = {cr->space, cr->base, cr->last, NULL};
				struct ioreqd_dev *other;

				ioreqd_bus_foreach(d->bus, find_overlap, &p);
				other = p.hit ? ioreqd_range_owner(p.hit) : NULL;
				snprintf(err, errlen,
					 "%s:%u: device %s: %s range 0x%" PRIx64 "-0x%" PRIx64
					 " overlaps device %s's range 0x%" PRIx64 "-0x%" PRIx64
					 " (a chain needs the identical range)",
					 d->cfg->path, cr->line, dev->cfg->name,
					 space_name[cr->space], cr->base, cr->last,
					 other ? other->cfg->name : "?",
					 p.hit ? ioreqd_range_base(p.hit) : 0,
					 p.hit ? ioreqd_range_last(p.hit) : 0);
				return rc;
			}
			if (rc < 0) {
				snprintf(err, errlen,
					 "%s:%u: device %s: %s range 0x%" PRIx64 "-0x%" PRIx64
					 ": %s",
					 d->cfg->path, cr->line, dev->cfg->name,
					 space_name[cr->space], cr->base, cr->last,
					 why ? why : strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

int ioreqd_devices_init(struct ioreqd_daemon *d)
{
	for (unsigned i = 0; i < d->nr_devs; i++) {
		struct ioreqd_dev *dev = &d->devs[i];
		int rc = dev->hook->init(&ioreqd_daemon_host, dev, &dev->priv);

		if (rc < 0) {
			if (dev->cfg->optional) {
				log_warnx("%s: device %s (hook %s) failed to initialise (%s); "
					  "it is optional, continuing without it",
					  __func__, dev->cfg->name, dev->hook->name, strerror(-rc));
				if (dev->hook->fini)
					dev->hook->fini(dev->priv);
				dev->priv = NULL;
				dev->disabled = true;
				/* Nothing runs during init, so no range is busy. */
				while (dev->nr_ranges && drop_range(dev, dev->nr_ranges - 1) == 0)
					;
				continue;
			}
			if (!dev->init_error_said)
				log_errx("%s:%u: device %s: hook %s failed to initialise: %s "
					 "(run with -vv for the hook's messages)",
					 d->cfg->path, dev->cfg->hook_line, dev->cfg->name,
					 dev->hook->name, strerror(-rc));
			/* fini for this one too: init may have allocated before failing */
			if (dev->hook->fini)
				dev->hook->fini(dev->priv);
			dev->priv = NULL;
			return rc;
		}
		dev->initialised = true;
		for (unsigned j = 0; j < dev->nr_ranges; j++) {
			rc = install(dev, &dev->ranges[j]);
			if (rc < 0) {
				log_warnx("%s: device %s: cannot install its handler: %s",
					  __func__, dev->cfg->name, strerror(-rc));
				return rc;
			}
		}
		log_debug("%s: device %s (hook %s) ready, %u range(s)", __func__,
			  dev->cfg->name, dev->hook->name, dev->nr_ranges);
	}
	return 0;
}

static int map_cb(struct ioreqd_range *r, void *arg)
{
	struct ioreqd_daemon *d = arg;
	struct ioreqd_dev *owner = ioreqd_range_owner(r);
	int rc;

	rc = d->be->map_range(d->be_priv, ioreqd_range_space(r), ioreqd_range_base(r),
			      ioreqd_range_last(r), true);
	if (rc < 0) {
		log_errx("domain %u: cannot claim %s 0x%" PRIx64 "-0x%" PRIx64 " for device %s: %s",
			 d->opts.domid, space_name[ioreqd_range_space(r)], ioreqd_range_base(r),
			 ioreqd_range_last(r), owner ? owner->cfg->name : "?", strerror(-rc));
		return rc;
	}
	/* Every device range on this bus range is now claimed. */
	for (unsigned i = 0; i < d->nr_devs; i++)
		for (unsigned j = 0; j < d->devs[i].nr_ranges; j++)
			if (d->devs[i].ranges[j].range == r)
				d->devs[i].ranges[j].mapped = true;
	return 0;
}

int ioreqd_devices_map(struct ioreqd_daemon *d)
{
	return ioreqd_bus_foreach(d->bus, map_cb, d);
}

static int unmap_cb(struct ioreqd_range *r, void *arg)
{
	struct ioreqd_daemon *d = arg;
	bool mapped = false;

	/* Only release what was claimed (start-up may have failed half way). */
	for (unsigned i = 0; i < d->nr_devs && !mapped; i++)
		for (unsigned j = 0; j < d->devs[i].nr_ranges; j++)
			if (d->devs[i].ranges[j].range == r && d->devs[i].ranges[j].mapped)
				mapped = true;
	if (!mapped)
		return 0;
	d->be->map_range(d->be_priv, ioreqd_range_space(r), ioreqd_range_base(r),
			 ioreqd_range_last(r), false);
	return 0;
}

void ioreqd_devices_unmap(struct ioreqd_daemon *d)
{
	if (!d->bus || !d->be_open)
		return;
	ioreqd_bus_foreach(d->bus, unmap_cb, d);
	for (unsigned i = 0; i < d->nr_devs; i++)
		for (unsigned j = 0; j < d->devs[i].nr_ranges; j++)
			d->devs[i].ranges[j].mapped = false;
}

void ioreqd_devices_fini(struct ioreqd_daemon *d)
{
	for (unsigned i = d->nr_devs; i-- > 0;) {
		struct ioreqd_dev *dev = &d->devs[i];

		if (!dev->initialised)
			continue;
		if (dev->hook->fini)
			dev->hook->fini(dev->priv);
		dev->priv = NULL;
		dev->initialised = false;
	}
}

void ioreqd_devices_free(struct ioreqd_daemon *d)
{
	for (unsigned i = 0; i < d->nr_devs; i++)
		free(d->devs[i].ranges);
	free(d->devs);
	d->devs = NULL;
	d->nr_devs = 0;
}
