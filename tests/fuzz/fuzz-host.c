/* SPDX-License-Identifier: MIT */
/*
 * The fuzz harnesses' device model: the daemon's own (lib/engine/dm.c), with
 * built-in hooks and environment services that count log lines and refuse
 * what the sample hooks do not use at run time, or (fuzz_host_new_ram) give
 * the virtio hooks checked guest memory, interrupts, timers and watches.
 * See fuzz-host.h.
 */
#include "build-config.h"
#include "fuzz-host.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioreqd/hook.h>

#include "builtin.h"
#include "config.h"
#include "dm.h"
#include "engine.h"
#include "fuzz-input.h"

#define FH_IRQS 64u

/* One mapping handed out by the checked gmem; the token is its index + 1. */
struct fh_map {
	uint64_t gpa, len;
	void *hva;
	bool live;
};

struct ioreqd_timer {
	struct fuzz_host *h;
	void (*cb)(void *);
	void *arg;
	bool armed;
	struct ioreqd_timer *next;
};

struct ioreqd_watch {
	struct fuzz_host *h;
	int fd;
	void (*cb)(int, unsigned, void *);
	void *arg;
	struct ioreqd_watch *next;
};

struct fuzz_host {
	struct ioreqd_cfg *cfg;
	struct ioreqd_dm *dm;
	unsigned long logs;
	/* fuzz_host_new_ram only (ram == NULL otherwise) */
	uint8_t *ram, *ram_ro;   /* the same pages, read-write and read-only */
	uint8_t *area, *area_ro; /* each with a guard page either side */
	size_t area_len;
	uint64_t ram_gpa;
	size_t ram_size;
	struct ioreqd_gmem gmem;
	bool (*filter)(void *arg, uint64_t gpa, uint64_t len, bool write);
	void *filter_arg;
	struct fh_map *maps;
	unsigned nr_maps, live;
	unsigned long maps_total;
	unsigned long irq_calls[FH_IRQS];
	unsigned long pci_irqs; /* INTx level changes and MSIs */
	int irq_level[FH_IRQS];
	struct ioreqd_timer *timers;
	struct ioreqd_watch *watches;
};

static struct fuzz_host *host_of(ioreqd_dev_t *dev)
{
	return ioreqd_dm_opaque(dev->dm);
}

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
	struct fuzz_host *h = host_of(dev);

	if (!h->ram)
		return -ENOTSUP;
	FUZZ_CHECK(level <= 1 && irq < FH_IRQS);
	h->irq_calls[irq]++;
	h->irq_level[irq] = (int)level;
	return 0;
}

static int host_intx(ioreqd_dev_t *dev, uint32_t sbdf, unsigned intx, unsigned level)
{
	struct fuzz_host *h = host_of(dev);

	if (!h->ram)
		return -ENOTSUP;
	FUZZ_CHECK(level <= 1 && intx < 4);
	h->pci_irqs++;
	return 0;
}

static int host_msi(ioreqd_dev_t *dev, uint64_t addr, uint32_t data)
{
	struct fuzz_host *h = host_of(dev);

	if (!h->ram)
		return -ENOTSUP;
	h->pci_irqs++;
	return 0;
}

static int host_guest_read(ioreqd_dev_t *dev, uint64_t gpa, void *buf, size_t len)
{
	return -EFAULT;
}

static int host_guest_write(ioreqd_dev_t *dev, uint64_t gpa, const void *buf, size_t len)
{
	return -EFAULT;
}

/* Timers and watches exist only with RAM: they run when the harness says. */
static ioreqd_timer_t *host_timer_new(ioreqd_dev_t *dev, void (*cb)(void *), void *arg)
{
	struct fuzz_host *h = host_of(dev);
	struct ioreqd_timer *t;

	if (!h->ram)
		return NULL;
	t = calloc(1, sizeof(*t));
	FUZZ_CHECK(t != NULL);
	*t = (struct ioreqd_timer){.h = h, .cb = cb, .arg = arg, .next = h->timers};
	h->timers = t;
	return t;
}

static int host_timer_arm(ioreqd_timer_t *t, uint64_t usec)
{
	if (!t)
		return -ENOTSUP;
	t->armed = true;
	return 0;
}

static void host_timer_cancel(ioreqd_timer_t *t)
{
	if (t)
		t->armed = false;
}

static void host_timer_free(ioreqd_timer_t *t)
{
	struct ioreqd_timer **pp;

	if (!t)
		return;
	for (pp = &t->h->timers; *pp != t; pp = &(*pp)->next)
		FUZZ_CHECK(*pp != NULL);
	*pp = t->next;
	free(t);
}

static ioreqd_watch_t *host_watch_new(ioreqd_dev_t *dev, int fd, unsigned events,
                                      void (*cb)(int, unsigned, void *), void *arg)
{
	struct fuzz_host *h = host_of(dev);
	struct ioreqd_watch *w;

	if (!h->ram)
		return NULL;
	FUZZ_CHECK(fd >= 0 && events == IOREQD_WATCH_READ);
	w = calloc(1, sizeof(*w));
	FUZZ_CHECK(w != NULL);
	*w = (struct ioreqd_watch){
	    .h = h, .fd = fd, .cb = cb, .arg = arg, .next = h->watches};
	h->watches = w;
	return w;
}

static void host_watch_free(ioreqd_watch_t *w)
{
	struct ioreqd_watch **pp;

	if (!w)
		return;
	for (pp = &w->h->watches; *pp != w; pp = &(*pp)->next)
		FUZZ_CHECK(*pp != NULL);
	*pp = w->next;
	free(w);
}

/*
 * The checked gmem: the contract of ioreqd/gmem.h, enforced.  A request of
 * length 0 or one that wraps is a caller bug (abort); a range outside RAM is
 * refused; every mapping is recorded and unmap must name a live one exactly.
 * Read-only mappings point into the read-only alias of RAM: a write through
 * one is a SIGSEGV, which libFuzzer reports with the input.
 */
static int gmem_map(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
                    uintptr_t *token)
{
	struct fuzz_host *h = ctx;
	unsigned i;

	FUZZ_CHECK(len > 0 && gpa + len > gpa);
	if (gpa < h->ram_gpa || len > h->ram_size || gpa - h->ram_gpa > h->ram_size - len)
		return -EFAULT;
	if (h->filter && !h->filter(h->filter_arg, gpa, len, write))
		return -EFAULT;
	for (i = 0; i < h->nr_maps && h->maps[i].live; i++)
		;
	if (i == h->nr_maps) {
		struct fh_map *m = realloc(h->maps, (h->nr_maps + 16) * sizeof(*m));

		FUZZ_CHECK(m != NULL);
		memset(m + h->nr_maps, 0, 16 * sizeof(*m));
		h->maps = m;
		h->nr_maps += 16;
	}
	*hva = (write ? h->ram : h->ram_ro) + (gpa - h->ram_gpa);
	*token = i + 1;
	h->maps[i] = (struct fh_map){.gpa = gpa, .len = len, .hva = *hva, .live = true};
	h->live++;
	h->maps_total++;
	return 0;
}

static void gmem_unmap(void *ctx, void *hva, uint64_t len, uintptr_t token)
{
	struct fuzz_host *h = ctx;
	struct fh_map *m;

	FUZZ_CHECK(token >= 1 && token <= h->nr_maps);
	m = &h->maps[token - 1];
	FUZZ_CHECK(m->live && m->hva == hva && m->len == len);
	m->live = false;
	h->live--;
}

static void gmem_dirty(void *ctx, uint64_t gpa, uint64_t len)
{
	struct fuzz_host *h = ctx;

	FUZZ_CHECK(len > 0 && gpa >= h->ram_gpa && len <= h->ram_size &&
	           gpa - h->ram_gpa <= h->ram_size - len);
}

static const struct ioreqd_gmem_ops gmem_ops = {
    .map = gmem_map,
    .unmap = gmem_unmap,
    .dirty = gmem_dirty,
};

static const struct ioreqd_gmem *host_gmem(ioreqd_dev_t *dev)
{
	struct fuzz_host *h = host_of(dev);

	return h->ram ? &h->gmem : NULL;
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
    .timer_cancel = host_timer_cancel,
    .timer_free = host_timer_free,
    .watch_new = host_watch_new,
    .watch_free = host_watch_free,
    .publish = host_publish,
    .gmem = host_gmem,
};

static int eng_notify(void *priv, unsigned vcpu)
{
	return 0;
}

static int eng_guest_read(void *priv, uint64_t gpa, void *buf, size_t len)
{
	return -EFAULT;
}

static int eng_guest_write(void *priv, uint64_t gpa, const void *buf, size_t len)
{
	return -EFAULT;
}

static const struct ioreqd_guest_ops eng_guest = {
    .notify = eng_notify,
    .guest_read = eng_guest_read,
    .guest_write = eng_guest_write,
};

/* Two views of one memfd, each between two PROT_NONE guard pages. */
static uint8_t *ram_view(int fd, size_t size, int prot, uint8_t **area)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *a = mmap(NULL, size + 2 * (size_t)page, PROT_NONE,
	                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	FUZZ_CHECK(a != MAP_FAILED);
	FUZZ_CHECK(mmap(a + page, size, prot, MAP_SHARED | MAP_FIXED, fd, 0) == a + page);
	*area = a;
	return a + page;
}

static struct fuzz_host *host_new(const char *conf, unsigned domid, uint64_t ram_gpa,
                                  size_t ram_size)
{
	char err[IOREQD_CFG_ERRLEN];
	struct fuzz_host *h = calloc(1, sizeof(*h));

	FUZZ_CHECK(h);
	if (ram_size) {
		int fd = memfd_create("fuzz-guest-ram", 0);

		FUZZ_CHECK(fd >= 0 && ftruncate(fd, (off_t)ram_size) == 0);
		h->ram = ram_view(fd, ram_size, PROT_READ | PROT_WRITE, &h->area);
		h->ram_ro = ram_view(fd, ram_size, PROT_READ, &h->area_ro);
		close(fd);
		h->area_len = ram_size + 2 * (size_t)sysconf(_SC_PAGESIZE);
		h->ram_gpa = ram_gpa;
		h->ram_size = ram_size;
		h->gmem = (struct ioreqd_gmem){.ops = &gmem_ops, .ctx = h};
		for (unsigned i = 0; i < FH_IRQS; i++)
			h->irq_level[i] = -1;
	}

	if (ioreqd_cfg_load_string(conf, strlen(conf), "fuzz-host.conf", &h->cfg, err,
	                           sizeof(err)) < 0) {
		fprintf(stderr, "fuzz-host: %s\n", err);
		abort();
	}
	h->dm = ioreqd_dm_new(domid, &fuzz_env, NULL, h);
	FUZZ_CHECK(h->dm);
	if (h->ram)
		FUZZ_CHECK(ioreqd_dm_engine_new(h->dm, NULL, 1, &eng_guest, h, NULL, h));
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

struct fuzz_host *fuzz_host_new(const char *conf, unsigned domid)
{
	return host_new(conf, domid, 0, 0);
}

struct fuzz_host *fuzz_host_new_ram(const char *conf, unsigned domid, uint64_t ram_gpa,
                                    size_t ram_size)
{
	FUZZ_CHECK(ram_size > 0 && ram_size % (size_t)sysconf(_SC_PAGESIZE) == 0);
	return host_new(conf, domid, ram_gpa, ram_size);
}

void fuzz_host_free(struct fuzz_host *h)
{
	if (!h)
		return;
	ioreqd_dm_free(h->dm);
	/* Teardown released every guest mapping, timer and watch. */
	FUZZ_CHECK(h->live == 0);
	FUZZ_CHECK(h->timers == NULL && h->watches == NULL);
	ioreqd_cfg_free(h->cfg);
	if (h->ram) {
		munmap(h->area, h->area_len);
		munmap(h->area_ro, h->area_len);
	}
	free(h->maps);
	free(h);
}

uint8_t *fuzz_host_ram(const struct fuzz_host *h)
{
	return h->ram;
}

void fuzz_host_set_map_filter(struct fuzz_host *h,
                              bool (*fn)(void *arg, uint64_t gpa, uint64_t len,
                                         bool write),
                              void *arg)
{
	h->filter = fn;
	h->filter_arg = arg;
}

unsigned fuzz_host_maps_live(const struct fuzz_host *h)
{
	return h->live;
}

unsigned long fuzz_host_maps_total(const struct fuzz_host *h)
{
	return h->maps_total;
}

unsigned long fuzz_host_irq_calls(const struct fuzz_host *h, unsigned irq)
{
	return irq < FH_IRQS ? h->irq_calls[irq] : 0;
}

int fuzz_host_irq_level(const struct fuzz_host *h, unsigned irq)
{
	return irq < FH_IRQS ? h->irq_level[irq] : -1;
}

unsigned long fuzz_host_pci_irqs(const struct fuzz_host *h)
{
	return h->pci_irqs;
}

static uint64_t host_access(struct fuzz_host *h, uint8_t type, uint64_t addr,
                            unsigned size, bool is_read, uint64_t data)
{
	ioreq_t r;

	memset(&r, 0, sizeof(r));
	r.addr = addr;
	r.data = data;
	r.count = 1;
	r.size = size;
	r.state = STATE_IOREQ_READY;
	r.dir = is_read ? IOREQ_READ : IOREQ_WRITE;
	r.type = type;
	/* The virtio transports complete every access at once. */
	FUZZ_CHECK(ioreqd_engine_inject(ioreqd_dm_engine(h->dm), 0, &r) == 1);
	FUZZ_CHECK(r.state == STATE_IORESP_READY);
	return r.data;
}

uint64_t fuzz_host_mmio(struct fuzz_host *h, uint64_t addr, unsigned size, bool is_read,
                        uint64_t data)
{
	return host_access(h, IOREQ_TYPE_COPY, addr, size, is_read, data);
}

uint64_t fuzz_host_pci(struct fuzz_host *h, uint32_t sbdf, uint32_t reg, unsigned size,
                       bool is_read, uint64_t data)
{
	return host_access(h, IOREQ_TYPE_PCI_CONFIG, IOREQD_PCI_ADDR(sbdf, reg), size,
	                   is_read, data);
}

unsigned fuzz_host_run_timers(struct fuzz_host *h)
{
	/* One at a time: a callback may arm, cancel or free timers. */
	for (struct ioreqd_timer *t = h->timers; t; t = t->next) {
		if (t->armed) {
			t->armed = false;
			t->cb(t->arg);
			return 1;
		}
	}
	return 0;
}

unsigned fuzz_host_run_watches(struct fuzz_host *h, int timeout_ms)
{
	struct pollfd pfd[16];
	struct ioreqd_watch *w;
	unsigned n = 0, ran = 0;

	for (w = h->watches; w && n < 16; w = w->next)
		pfd[n++] = (struct pollfd){.fd = w->fd, .events = POLLIN};
	if (!n || poll(pfd, n, timeout_ms) <= 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		if (!(pfd[i].revents & POLLIN))
			continue;
		for (w = h->watches; w; w = w->next) {
			if (w->fd == pfd[i].fd) {
				w->cb(w->fd, IOREQD_WATCH_READ, w->arg);
				ran++;
				break;
			}
		}
	}
	return ran;
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
