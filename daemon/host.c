/* SPDX-License-Identifier: MIT */
/*
 * The daemon's half of the host API (include/ioreqd/hook.h): the services
 * that depend on where the device model runs - log lines, interrupts and
 * guest memory through the backend, timers and fd watches on the event_base,
 * xenstore publishing, guest memory for DMA.  The device model (lib/engine/dm.c) adds the
 * configuration, range and fault_resume services and hands hooks the whole
 * table.  Calls that need the hypervisor return -EAGAIN before the backend is
 * up (that is, from a hook's init) instead of crashing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"

struct ioreqd_timer {
	struct event *ev;
	void (*cb)(void *arg);
	void *arg;
};

struct ioreqd_watch {
	struct event *ev;
	void (*cb)(int fd, unsigned events, void *arg);
	void *arg;
};

static struct ioreqd_daemon *daemon_of(ioreqd_dev_t *dev)
{
	return ioreqd_dm_opaque(dev->dm);
}

static void host_vlog(ioreqd_dev_t *dev, struct ioreqd_ratelimit *rl, int level,
                      const char *fmt, va_list ap)
{
	unsigned domid = daemon_of(dev)->opts.domid;
	char buf[768];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (rl)
		ioreqd_log_rl(rl, level, "d%u %s: %s", domid, dev->cfg->name, buf);
	else
		ioreqd_log(level, "d%u %s: %s", domid, dev->cfg->name, buf);
}

static void host_log(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_vlog(dev, NULL, (int)level, fmt, ap);
	va_end(ap);
}

static void host_log_rl(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt,
                        ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_vlog(dev, &dev->rl, (int)level, fmt, ap);
	va_end(ap);
}

/* A refused injection is a guest left without its interrupt: count it. */
static int irq_result(ioreqd_dev_t *dev, int rc)
{
	if (rc < 0)
		dev->irq_errors++;
	return rc;
}

static int host_irq_set_level(ioreqd_dev_t *dev, unsigned irq, unsigned level)
{
	struct ioreqd_daemon *d = daemon_of(dev);

	if (!d->be_open || !d->be->guest->irq_set_level)
		return -EAGAIN;
	return irq_result(dev, d->be->guest->irq_set_level(d->be_priv, irq, level));
}

static int host_pci_intx(ioreqd_dev_t *dev, uint32_t sbdf, unsigned intx, unsigned level)
{
	struct ioreqd_daemon *d = daemon_of(dev);

	if (!d->be_open || !d->be->guest->pci_intx_set_level)
		return -EAGAIN;
	return irq_result(
	    dev, d->be->guest->pci_intx_set_level(d->be_priv, sbdf, intx, level));
}

static int host_inject_msi(ioreqd_dev_t *dev, uint64_t addr, uint32_t data)
{
	struct ioreqd_daemon *d = daemon_of(dev);

	if (!d->be_open || !d->be->guest->inject_msi)
		return -EAGAIN;
	return irq_result(dev, d->be->guest->inject_msi(d->be_priv, addr, data));
}

static int host_guest_read(ioreqd_dev_t *dev, uint64_t gpa, void *buf, size_t len)
{
	struct ioreqd_daemon *d = daemon_of(dev);

	if (!d->be_open || !d->be->guest->guest_read)
		return -EAGAIN;
	return d->be->guest->guest_read(d->be_priv, gpa, buf, len);
}

static int host_guest_write(ioreqd_dev_t *dev, uint64_t gpa, const void *buf, size_t len)
{
	struct ioreqd_daemon *d = daemon_of(dev);
	int rc;

	if (!d->be_open || !d->be->guest->guest_write)
		return -EAGAIN;
	rc = d->be->guest->guest_write(d->be_priv, gpa, buf, len);
	if (rc == 0)
		ioreqd_daemon_dirty_mark(d, gpa, len);
	return rc;
}

/*
 * DMA mappings go straight to the backend's data part.  Hooks get the ops at
 * init, before the backend is open, and may release mappings in their fini,
 * after it closed (which released them all): hence the be_open checks.
 */
static int host_gmem_map(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
                         uintptr_t *token)
{
	struct ioreqd_daemon *d = ctx;

	*hva = NULL;
	*token = 0;
	if (!d->be_open || !d->be->guest->map)
		return -EAGAIN;
	return d->be->guest->map(d->be_priv, gpa, len, write, hva, token);
}

static void host_gmem_unmap(void *ctx, void *hva, uint64_t len, uintptr_t token)
{
	struct ioreqd_daemon *d = ctx;

	if (d->be_open && d->be->guest->unmap)
		d->be->guest->unmap(d->be_priv, hva, len, token);
}

/* The virtio core wrote through a mapping (a used ring, a request's buffers). */
static void host_gmem_dirty(void *ctx, uint64_t gpa, uint64_t len)
{
	ioreqd_daemon_dirty_mark(ctx, gpa, len);
}

static const struct ioreqd_gmem_ops host_gmem_ops = {
    .map = host_gmem_map,
    .unmap = host_gmem_unmap,
    .dirty = host_gmem_dirty,
};

static const struct ioreqd_gmem *host_gmem(ioreqd_dev_t *dev)
{
	struct ioreqd_daemon *d = daemon_of(dev);
	/* Hooks ask from init, when the backend is chosen but not open yet. */
	const struct ioreqd_backend_ops *be =
	    d->be ? d->be : ioreqd_backend_find(d->opts.backend);

	if (!be || !be->guest->map || !be->guest->unmap)
		return NULL;
	d->gmem.ops = &host_gmem_ops;
	d->gmem.ctx = d;
	return &d->gmem;
}

static void host_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ioreqd_timer *t = arg;

	t->cb(t->arg);
}

static ioreqd_timer_t *host_timer_new(ioreqd_dev_t *dev, void (*cb)(void *arg), void *arg)
{
	struct ioreqd_timer *t;

	if (!cb)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	t->ev = evtimer_new(daemon_of(dev)->base, host_timer_cb, t);
	if (!t->ev) {
		free(t);
		return NULL;
	}
	return t;
}

static int host_timer_arm(ioreqd_timer_t *t, uint64_t usec)
{
	struct timeval tv = {
	    .tv_sec = (time_t)(usec / 1000000),
	    .tv_usec = (suseconds_t)(usec % 1000000),
	};

	return evtimer_add(t->ev, &tv) == 0 ? 0 : -EIO;
}

static void host_timer_cancel(ioreqd_timer_t *t)
{
	if (t)
		evtimer_del(t->ev);
}

static void host_timer_free(ioreqd_timer_t *t)
{
	if (!t)
		return;
	event_free(t->ev);
	free(t);
}

static void host_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ioreqd_watch *w = arg;
	unsigned ev = 0;

	if (what & EV_READ)
		ev |= IOREQD_WATCH_READ;
	if (what & EV_WRITE)
		ev |= IOREQD_WATCH_WRITE;
	w->cb((int)fd, ev, w->arg);
}

static ioreqd_watch_t *host_watch_new(ioreqd_dev_t *dev, int fd, unsigned events,
                                      void (*cb)(int fd, unsigned events, void *arg),
                                      void *arg)
{
	struct ioreqd_watch *w;
	short what = EV_PERSIST;

	if (!cb || fd < 0 || !(events & (IOREQD_WATCH_READ | IOREQD_WATCH_WRITE)))
		return NULL;
	if (events & IOREQD_WATCH_READ)
		what |= EV_READ;
	if (events & IOREQD_WATCH_WRITE)
		what |= EV_WRITE;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cb = cb;
	w->arg = arg;
	w->ev = event_new(daemon_of(dev)->base, fd, what, host_watch_cb, w);
	if (!w->ev || event_add(w->ev, NULL) < 0) {
		if (w->ev)
			event_free(w->ev);
		free(w);
		return NULL;
	}
	return w;
}

static void host_watch_free(ioreqd_watch_t *w)
{
	if (!w)
		return;
	event_free(w->ev);
	free(w);
}

static int host_publish(ioreqd_dev_t *dev, const char *key, const char *value)
{
	struct ioreqd_daemon *d = daemon_of(dev);
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dev->cfg->name, key);
	if (!d->be_open || !d->be->publish) {
		log_info("d%u %s: %s = %s", d->opts.domid, dev->cfg->name, key, value);
		return 0;
	}
	return d->be->publish(d->be_priv, path, value);
}

/* The environment services; ioreqd_dm_new() completes the table. */
const struct ioreqd_host ioreqd_daemon_host = {
    .log = host_log,
    .log_rl = host_log_rl,
    .irq_set_level = host_irq_set_level,
    .pci_intx_set_level = host_pci_intx,
    .inject_msi = host_inject_msi,
    .guest_read = host_guest_read,
    .guest_write = host_guest_write,
    .timer_new = host_timer_new,
    .timer_arm = host_timer_arm,
    .timer_cancel = host_timer_cancel,
    .timer_free = host_timer_free,
    .watch_new = host_watch_new,
    .watch_free = host_watch_free,
    .publish = host_publish,
    .gmem = host_gmem,
};
