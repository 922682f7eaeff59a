/* SPDX-License-Identifier: MIT */
/*
 * The mock daemon for hook unit tests (see mock-host.h): the daemon's own
 * device model (lib/engine/dm.c: bus, engine, device set, configuration and
 * range services) with recording environment services, so that a hook under
 * test sees the same faults, chains and configuration errors it would see in
 * the daemon, without Xen, libevent or dlopen().
 */
#include "build-config.h"

#include "mock-host.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dm.h"
#include "log.h"

#define MOCK_NR_IRQS 1024u

struct ioreqd_timer {
	struct ioreqd_timer *next;
	ioreqd_dev_t *dev;
	void (*cb)(void *arg);
	void *arg;
	uint64_t usec;
	bool armed;
	bool dead; /* freed by the hook; memory kept until mock_free */
};

struct ioreqd_watch {
	struct ioreqd_watch *next;
	ioreqd_dev_t *dev;
	int fd;
	unsigned events;
	void (*cb)(int fd, unsigned events, void *arg);
	void *arg;
	bool dead;
};

struct pub {
	char *dev, *key, *value;
};

struct intx {
	uint32_t sbdf;
	unsigned intx;
	int level;
};

struct msi {
	uint64_t addr;
	uint32_t data;
};

struct mock {
	struct ioreqd_dm *dm;
	unsigned state_changes;   /* host->state_changed calls */
	struct ioreqd_cfg **cfgs; /* one per mock_add / mock_add_file */
	unsigned nr_cfgs, cap_cfgs;
	uint8_t *guest;
	uint64_t ip;
	unsigned deferred;
	char error[IOREQD_CFG_ERRLEN];
	char **log;
	unsigned nr_log, cap_log;
	int irq[MOCK_NR_IRQS];
	unsigned irq_calls;
	struct intx *intx;
	unsigned nr_intx, cap_intx;
	struct msi *msi;
	unsigned nr_msi, cap_msi;
	struct pub *pub;
	unsigned nr_pub, cap_pub;
	struct ioreqd_timer *timers;
	struct ioreqd_watch *watches;
	struct ioreqd_gmem gmem;
	unsigned maps_live;          /* DMA mappings not yet unmapped */
	void (*map_hook)(void *arg); /* mock_set_map_hook */
	void *map_hook_arg;
};

static const char *const level_name[] = {"warn", "info", "debug"};

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p)
		ck_abort_msg("mock: out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		ck_abort_msg("mock: out of memory");
	return p;
}

/* Make room for one more element of a growing array. */
static void *reserve(void *arr, unsigned nr, unsigned *cap, size_t sz)
{
	void *n;

	if (nr < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	n = realloc(arr, *cap * sz);
	if (!n)
		ck_abort_msg("mock: out of memory");
	return n;
}

/* printf into a new string; @p len receives its length. */
__attribute__((format(printf, 2, 3))) static char *xprintf(int *len, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		ck_abort_msg("mock: vsnprintf failed");
	s = xcalloc(1, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (len)
		*len = n;
	return s;
}

static void add_log(struct mock *m, int level, const char *who, const char *msg)
{
	int lv = level < 0 ? 0 : level > 2 ? 2 : level;
	char *line = xprintf(NULL, "%s %s: %s", level_name[lv], who, msg);

	m->log = reserve(m->log, m->nr_log, &m->cap_log, sizeof(*m->log));
	m->log[m->nr_log++] = line;
}

/* lib/log.c sink: the engine's own warnings (unhandled accesses, rejects). */
static void engine_log_sink(int level, const char *msg, void *arg)
{
	add_log(arg, level, "ioreqd", msg);
}

/* ---- host functions ------------------------------------------------------ */

static struct mock *mock_of(ioreqd_dev_t *dev)
{
	return ioreqd_dm_opaque(dev->dm);
}

__attribute__((format(printf, 3, 0))) static void vlog_dev(ioreqd_dev_t *dev, int level,
                                                           const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	add_log(mock_of(dev), level, dev->cfg->name, buf);
}

__attribute__((format(printf, 3, 4))) static void
host_log(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_dev(dev, (int)level, fmt, ap);
	va_end(ap);
}

static int host_irq_set_level(ioreqd_dev_t *dev, unsigned irq, unsigned level)
{
	if (irq >= MOCK_NR_IRQS)
		return -EINVAL;
	mock_of(dev)->irq[irq] = level ? 1 : 0;
	mock_of(dev)->irq_calls++;
	return 0;
}

static int host_pci_intx_set_level(ioreqd_dev_t *dev, uint32_t sbdf, unsigned intx,
                                   unsigned level)
{
	struct mock *m = mock_of(dev);

	if (intx > 3)
		return -EINVAL;
	for (unsigned i = 0; i < m->nr_intx; i++) {
		if (m->intx[i].sbdf == sbdf && m->intx[i].intx == intx) {
			m->intx[i].level = level ? 1 : 0;
			return 0;
		}
	}
	m->intx = reserve(m->intx, m->nr_intx, &m->cap_intx, sizeof(*m->intx));
	m->intx[m->nr_intx++] =
	    (struct intx){.sbdf = sbdf, .intx = intx, .level = !!level};
	return 0;
}

static int host_inject_msi(ioreqd_dev_t *dev, uint64_t addr, uint32_t data)
{
	struct mock *m = mock_of(dev);

	m->msi = reserve(m->msi, m->nr_msi, &m->cap_msi, sizeof(*m->msi));
	m->msi[m->nr_msi++] = (struct msi){.addr = addr, .data = data};
	return 0;
}

static bool guest_span_ok(uint64_t gpa, size_t len)
{
	return gpa <= MOCK_GUEST_SIZE && len <= MOCK_GUEST_SIZE - gpa;
}

static int mem_read(struct mock *m, uint64_t gpa, void *buf, size_t len)
{
	if (!guest_span_ok(gpa, len))
		return -EFAULT;
	memcpy(buf, m->guest + gpa, len);
	return 0;
}

static int mem_write(struct mock *m, uint64_t gpa, const void *buf, size_t len)
{
	if (!guest_span_ok(gpa, len))
		return -EFAULT;
	memcpy(m->guest + gpa, buf, len);
	return 0;
}

static int gmem_map(void *ctx, uint64_t gpa, uint64_t len, bool write, void **hva,
                    uintptr_t *token)
{
	struct mock *m = ctx;

	(void)write;
	*hva = NULL;
	*token = 0;
	if (len == 0 || len > MOCK_GUEST_SIZE || !guest_span_ok(gpa, (size_t)len))
		return -EFAULT;
	*hva = m->guest + gpa;
	*token = 1;
	m->maps_live++;
	if (m->map_hook)
		m->map_hook(m->map_hook_arg);
	return 0;
}

void mock_set_map_hook(struct mock *m, void (*fn)(void *arg), void *arg)
{
	m->map_hook = fn;
	m->map_hook_arg = arg;
}

static void gmem_unmap(void *ctx, void *hva, uint64_t len, uintptr_t token)
{
	struct mock *m = ctx;

	(void)hva;
	(void)len;
	ck_assert_msg(token == 1 && m->maps_live > 0,
	              "mock: unmap of a mapping never made");
	m->maps_live--;
}

static const struct ioreqd_gmem_ops mock_gmem_ops = {.map = gmem_map,
                                                     .unmap = gmem_unmap};

static const struct ioreqd_gmem *host_gmem(ioreqd_dev_t *dev)
{
	return &mock_of(dev)->gmem;
}

unsigned mock_maps_live(const struct mock *m)
{
	return m->maps_live;
}

static int host_guest_read(ioreqd_dev_t *dev, uint64_t gpa, void *buf, size_t len)
{
	return mem_read(mock_of(dev), gpa, buf, len);
}

static int host_guest_write(ioreqd_dev_t *dev, uint64_t gpa, const void *buf, size_t len)
{
	return mem_write(mock_of(dev), gpa, buf, len);
}

static ioreqd_timer_t *host_timer_new(ioreqd_dev_t *dev, void (*cb)(void *arg), void *arg)
{
	struct ioreqd_timer *t;

	if (!cb)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->dev = dev;
	t->cb = cb;
	t->arg = arg;
	t->next = mock_of(dev)->timers;
	mock_of(dev)->timers = t;
	return t;
}

static int host_timer_arm(ioreqd_timer_t *t, uint64_t usec)
{
	if (!t || t->dead)
		return -EINVAL;
	t->armed = true;
	t->usec = usec;
	return 0;
}

static void host_timer_cancel(ioreqd_timer_t *t)
{
	if (t)
		t->armed = false;
}

static void host_timer_free(ioreqd_timer_t *t)
{
	if (!t)
		return;
	t->armed = false;
	t->dead = true;
}

static ioreqd_watch_t *host_watch_new(ioreqd_dev_t *dev, int fd, unsigned events,
                                      void (*cb)(int fd, unsigned events, void *arg),
                                      void *arg)
{
	struct ioreqd_watch *w;

	if (fd < 0 || !cb || !(events & (IOREQD_WATCH_READ | IOREQD_WATCH_WRITE)))
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->dev = dev;
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	w->arg = arg;
	w->next = mock_of(dev)->watches;
	mock_of(dev)->watches = w;
	return w;
}

static void host_watch_free(ioreqd_watch_t *w)
{
	if (w)
		w->dead = true;
}

static int host_publish(ioreqd_dev_t *dev, const char *key, const char *value)
{
	struct mock *m = mock_of(dev);

	if (!key || !value)
		return -EINVAL;
	for (unsigned i = 0; i < m->nr_pub; i++) {
		if (!strcmp(m->pub[i].dev, dev->cfg->name) &&
		    !strcmp(m->pub[i].key, key)) {
			free(m->pub[i].value);
			m->pub[i].value = xstrdup(value);
			return 0;
		}
	}
	m->pub = reserve(m->pub, m->nr_pub, &m->cap_pub, sizeof(*m->pub));
	m->pub[m->nr_pub++] = (struct pub){
	    .dev = xstrdup(dev->cfg->name), .key = xstrdup(key), .value = xstrdup(value)};
	return 0;
}

static void mock_state_changed(void *opaque, ioreqd_dev_t *dev)
{
	struct mock *m = opaque;

	(void)dev;
	m->state_changes++;
}

static const struct ioreqd_dm_ops mock_dm_ops = {.state_changed = mock_state_changed};

unsigned mock_state_changes(const struct mock *m)
{
	return m->state_changes;
}

/* The environment services; ioreqd_dm_new() adds the device model's own. */
static const struct ioreqd_host mock_env = {
    .log = host_log,
    .log_rl = host_log, /* the mock records everything */
    .irq_set_level = host_irq_set_level,
    .pci_intx_set_level = host_pci_intx_set_level,
    .inject_msi = host_inject_msi,
    .guest_read = host_guest_read,
    .guest_write = host_guest_write,
    .gmem = host_gmem,
    .timer_new = host_timer_new,
    .timer_arm = host_timer_arm,
    .timer_cancel = host_timer_cancel,
    .timer_free = host_timer_free,
    .watch_new = host_watch_new,
    .watch_free = host_watch_free,
    .publish = host_publish,
};

const struct ioreqd_host *mock_host(const struct mock *m)
{
	return ioreqd_dm_host(m->dm);
}

/* ---- engine ops ------------------------------------------------------------ */

static int eng_notify(void *opaque, unsigned vcpu)
{
	(void)opaque;
	(void)vcpu;
	return 0;
}

static int eng_guest_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	return mem_read(opaque, gpa, buf, len);
}

static int eng_guest_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
	return mem_write(opaque, gpa, buf, len);
}

static int eng_get_ip(void *opaque, unsigned vcpu, uint64_t *ip)
{
	struct mock *m = opaque;

	(void)vcpu;
	*ip = m->ip;
	return 0;
}

static void eng_deferred(void *opaque, ioreqd_fault_t *f, const char *handler)
{
	struct mock *m = opaque;

	(void)f;
	(void)handler;
	m->deferred++;
}

static const struct ioreqd_guest_ops mock_guest_ops = {
    .notify = eng_notify,
    .guest_read = eng_guest_read,
    .guest_write = eng_guest_write,
    .get_ip = eng_get_ip,
};
static void eng_invalidate(void *opaque)
{
	struct mock *m = opaque;

	ioreqd_dm_invalidate(m->dm);
}

static const struct ioreqd_engine_ops mock_engine_ops = {
    .deferred = eng_deferred,
    .invalidate = eng_invalidate,
};

/* ---- lifecycle ------------------------------------------------------------- */

struct mock *mock_new(unsigned domid)
{
	struct mock *m = xcalloc(1, sizeof(*m));

	m->ip = 0xfff0;
	for (unsigned i = 0; i < MOCK_NR_IRQS; i++)
		m->irq[i] = -1;
	m->guest = xcalloc(1, MOCK_GUEST_SIZE);
	m->gmem.ops = &mock_gmem_ops;
	m->gmem.ctx = m;
	/* No hypervisor: nothing to claim ranges from; state changes are counted. */
	m->dm = ioreqd_dm_new(domid, &mock_env, &mock_dm_ops, m);
	if (!m->dm)
		ck_abort_msg("mock: ioreqd_dm_new failed");
	if (!ioreqd_dm_engine_new(m->dm, NULL, MOCK_NR_VCPUS, &mock_guest_ops, m,
	                          &mock_engine_ops, m))
		ck_abort_msg("mock: ioreqd_dm_engine_new failed");
	ioreqd_log_set_sink(engine_log_sink, m);
	return m;
}

void mock_dev_fini(ioreqd_dev_t *dev)
{
	if (dev)
		ioreqd_dm_disable(dev);
}

void mock_free(struct mock *m)
{
	if (!m)
		return;
	/* Every device's fini, newest first, then the engine and the bus. */
	ioreqd_dm_free(m->dm);
	for (unsigned i = 0; i < m->nr_cfgs; i++)
		ioreqd_cfg_free(m->cfgs[i]);
	free(m->cfgs);
	ioreqd_log_set_sink(NULL, NULL);
	while (m->timers) {
		struct ioreqd_timer *t = m->timers;

		m->timers = t->next;
		free(t);
	}
	while (m->watches) {
		struct ioreqd_watch *w = m->watches;

		m->watches = w->next;
		free(w);
	}
	for (unsigned i = 0; i < m->nr_log; i++)
		free(m->log[i]);
	free(m->log);
	for (unsigned i = 0; i < m->nr_pub; i++) {
		free(m->pub[i].dev);
		free(m->pub[i].key);
		free(m->pub[i].value);
	}
	free(m->pub);
	free(m->intx);
	free(m->msi);
	free(m->guest);
	free(m);
}

/* The mock keeps every configuration it parsed until mock_free. */
static void keep_cfg(struct mock *m, struct ioreqd_cfg *cfg)
{
	m->cfgs = reserve(m->cfgs, m->nr_cfgs, &m->cap_cfgs, sizeof(*m->cfgs));
	m->cfgs[m->nr_cfgs++] = cfg;
}

/*
 * Add device @p idx of @p cfg with @p hook through the daemon's steps: keys,
 * ranges, init and handlers.  A device that fails is taken off the bus again.
 */
static int add_dev(struct mock *m, const struct ioreqd_hook *hook,
                   const struct ioreqd_cfg *cfg, unsigned idx, ioreqd_dev_t **out)
{
	ioreqd_dev_t *dev;
	int rc;

	rc = ioreqd_dm_add(m->dm, cfg, idx, hook, &dev, m->error, sizeof(m->error));
	if (rc < 0)
		return rc;
	rc = ioreqd_dm_build(m->dm, m->error, sizeof(m->error));
	if (rc == 0) {
		rc = ioreqd_dm_init(m->dm);
		if (rc < 0)
			snprintf(m->error, sizeof(m->error), "%s",
			         ioreqd_dm_error(m->dm));
	}
	if (rc < 0) {
		ioreqd_dm_disable(dev);
		return rc;
	}
	if (out)
		*out = dev;
	return 0;
}

int mock_add(struct mock *m, const struct ioreqd_hook *hook, const char *name,
             const char *conf, ioreqd_dev_t **out)
{
	struct ioreqd_cfg *cfg = NULL;
	char *text = NULL;
	int rc, len;

	if (out)
		*out = NULL;
	m->error[0] = '\0';
	text = xprintf(&len, "[device %s]\nhook = %s\n%s\n", name, hook->name,
	               conf ? conf : "");
	rc = ioreqd_cfg_load_string(text, (size_t)len, "mock.conf", &cfg, m->error,
	                            sizeof(m->error));
	free(text);
	if (rc < 0)
		return rc;
	keep_cfg(m, cfg);
	return add_dev(m, hook, cfg, 0, out);
}

int mock_add_file(struct mock *m, const char *path,
                  const struct ioreqd_hook *(*find)(const char *name))
{
	struct ioreqd_cfg *cfg = NULL;
	int rc;

	m->error[0] = '\0';
	rc = ioreqd_cfg_load(path, &cfg, m->error, sizeof(m->error));
	if (rc < 0)
		return rc;
	keep_cfg(m, cfg);
	for (unsigned i = 0; i < cfg->nr_devs; i++) {
		const struct ioreqd_hook *hook = find(cfg->devs[i].hook);

		if (!hook) {
			snprintf(m->error, sizeof(m->error),
			         "%s:%u: device %s: no hook '%s'", path,
			         cfg->devs[i].hook_line, cfg->devs[i].name,
			         cfg->devs[i].hook);
			return -ENOENT;
		}
		if ((rc = add_dev(m, hook, cfg, i, NULL)) < 0)
			return rc;
	}
	return 0;
}

const char *mock_error(const struct mock *m)
{
	return m->error;
}

void *mock_dev_priv(ioreqd_dev_t *dev)
{
	return dev->priv;
}

/* ---- guest accesses ------------------------------------------------------- */

ioreq_t mock_req(enum ioreqd_space space, uint64_t addr, unsigned size, bool is_read,
                 uint64_t data)
{
	ioreq_t r;

	memset(&r, 0, sizeof(r));
	r.addr = addr;
	r.data = data;
	r.count = 1;
	r.size = size;
	r.state = STATE_IOREQ_READY;
	r.dir = is_read ? IOREQ_READ : IOREQ_WRITE;
	r.type = space == IOREQD_SPACE_PIO    ? IOREQ_TYPE_PIO
	         : space == IOREQD_SPACE_MMIO ? IOREQ_TYPE_COPY
	                                      : IOREQ_TYPE_PCI_CONFIG;
	return r;
}

int mock_submit(struct mock *m, unsigned vcpu, ioreq_t *req)
{
	return ioreqd_engine_inject(ioreqd_dm_engine(m->dm), vcpu, req);
}

uint64_t mock_read(struct mock *m, enum ioreqd_space space, uint64_t addr, unsigned size)
{
	ioreq_t r = mock_req(space, addr, size, true, 0);
	int rc = ioreqd_engine_inject(ioreqd_dm_engine(m->dm), 0, &r);

	ck_assert_msg(rc == 1, "mock_read 0x%llx/%u: inject returned %d",
	              (unsigned long long)addr, size, rc);
	ck_assert_uint_eq(r.state, STATE_IORESP_READY);
	return r.data;
}

void mock_write(struct mock *m, enum ioreqd_space space, uint64_t addr, unsigned size,
                uint64_t data)
{
	ioreq_t r = mock_req(space, addr, size, false, data);
	int rc = ioreqd_engine_inject(ioreqd_dm_engine(m->dm), 0, &r);

	ck_assert_msg(rc == 1, "mock_write 0x%llx/%u: inject returned %d",
	              (unsigned long long)addr, size, rc);
	ck_assert_uint_eq(r.state, STATE_IORESP_READY);
}

struct ioreqd_engine *mock_engine(struct mock *m)
{
	return ioreqd_dm_engine(m->dm);
}

struct ioreqd_dm *mock_dm(struct mock *m)
{
	return m->dm;
}

struct ioreqd_bus *mock_bus(struct mock *m)
{
	return ioreqd_dm_bus(m->dm);
}

uint8_t *mock_guest_mem(struct mock *m)
{
	return m->guest;
}

void mock_set_ip(struct mock *m, uint64_t ip)
{
	m->ip = ip;
}

unsigned mock_deferred(const struct mock *m)
{
	return m->deferred;
}

/* ---- records -------------------------------------------------------------- */

unsigned mock_log_count(const struct mock *m)
{
	return m->nr_log;
}

const char *mock_log_line(const struct mock *m, unsigned i)
{
	return i < m->nr_log ? m->log[i] : NULL;
}

bool mock_log_contains(const struct mock *m, const char *needle)
{
	for (unsigned i = 0; i < m->nr_log; i++) {
		if (strstr(m->log[i], needle))
			return true;
	}
	return false;
}

void mock_log_clear(struct mock *m)
{
	for (unsigned i = 0; i < m->nr_log; i++)
		free(m->log[i]);
	m->nr_log = 0;
}

int mock_irq_level(const struct mock *m, unsigned irq)
{
	return irq < MOCK_NR_IRQS ? m->irq[irq] : -1;
}

unsigned mock_irq_calls(const struct mock *m)
{
	return m->irq_calls;
}

int mock_intx_level(const struct mock *m, uint32_t sbdf, unsigned intx)
{
	for (unsigned i = 0; i < m->nr_intx; i++) {
		if (m->intx[i].sbdf == sbdf && m->intx[i].intx == intx)
			return m->intx[i].level;
	}
	return -1;
}

unsigned mock_msi_count(const struct mock *m)
{
	return m->nr_msi;
}

bool mock_msi(const struct mock *m, unsigned i, uint64_t *addr, uint32_t *data)
{
	if (i >= m->nr_msi)
		return false;
	*addr = m->msi[i].addr;
	*data = m->msi[i].data;
	return true;
}

const char *mock_published(const struct mock *m, const char *dev, const char *key)
{
	for (unsigned i = 0; i < m->nr_pub; i++) {
		if (!strcmp(m->pub[i].dev, dev) && !strcmp(m->pub[i].key, key))
			return m->pub[i].value;
	}
	return NULL;
}

unsigned mock_timers_armed(const struct mock *m, uint64_t *next_usec)
{
	unsigned n = 0;
	uint64_t best = UINT64_MAX;

	for (const struct ioreqd_timer *t = m->timers; t; t = t->next) {
		if (t->armed && !t->dead) {
			n++;
			if (t->usec < best)
				best = t->usec;
		}
	}
	if (next_usec)
		*next_usec = n ? best : 0;
	return n;
}

unsigned mock_fire_timers(struct mock *m)
{
	struct ioreqd_timer **due;
	unsigned n = 0, fired = 0;

	/* Snapshot first: callbacks may arm, cancel or add timers. */
	for (struct ioreqd_timer *t = m->timers; t; t = t->next)
		n++;
	due = xcalloc(n ? n : 1, sizeof(*due));
	n = 0;
	for (struct ioreqd_timer *t = m->timers; t; t = t->next) {
		if (t->armed && !t->dead)
			due[n++] = t;
	}
	for (unsigned i = 0; i < n; i++) {
		struct ioreqd_timer *t = due[i];

		/* Timers are only freed by mock_free, so t is still valid here. */
		if (!t->armed || t->dead)
			continue;
		t->armed = false;
		t->cb(t->arg);
		fired++;
	}
	free(due);
	return fired;
}

unsigned mock_fire_watch(struct mock *m, int fd, unsigned events)
{
	unsigned ran = 0;

	for (struct ioreqd_watch *w = m->watches; w; w = w->next) {
		if (w->dead || w->fd != fd || !(w->events & events))
			continue;
		w->cb(fd, w->events & events, w->arg);
		ran++;
	}
	return ran;
}

void mock_expect_cfg_error(struct mock *m, const struct ioreqd_hook *hook,
                           const char *name, const char *conf, const char *key,
                           const char *what)
{
	char want[64];

	ck_assert_int_eq(mock_add(m, hook, name, conf, NULL), -EINVAL);
	if (key) {
		snprintf(want, sizeof(want), "device %s: %s: ", name, key);
		ck_assert_msg(strstr(mock_error(m), want), "'%s' lacks '%s'",
		              mock_error(m), want);
	}
	ck_assert_msg(strstr(mock_error(m), what), "'%s' lacks '%s'", mock_error(m),
	              what);
}

void mock_fire_reads(struct mock *m)
{
	for (int fd = 0; fd < 1024; fd++)
		mock_fire_watch(m, fd, IOREQD_WATCH_READ);
}

const char *mock_file_contents(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

int mock_tmpdir_make(char *buf, size_t len, const char *prefix)
{
	const char *base = getenv("TMPDIR");
	int n = snprintf(buf, len, "%s/%s.XXXXXX", base && *base ? base : "/tmp", prefix);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return mkdtemp(buf) ? 0 : -errno;
}

void mock_tmpdir_remove(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (dp) {
		while ((e = readdir(dp)) != NULL) {
			char p[4096];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(dp);
	}
	rmdir(dir);
}

bool mock_pty_usable(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	const char *name;
	bool ok = false;

	if (master < 0)
		return false;
	if (grantpt(master) == 0 && unlockpt(master) == 0 && (name = ptsname(master))) {
		int slave = open(name, O_RDWR | O_NOCTTY);

		ok = slave >= 0;
		if (slave >= 0)
			close(slave);
	}
	close(master);
	return ok;
}
