/* SPDX-License-Identifier: MIT */
/*
 * The simulated domain: guest RAM, the vCPUs and their registers, the ioreq
 * servers daemons create (their pages, eventfds and claimed ranges) and what
 * the daemons did to the domain (IRQ levels, MSIs, published keys), with the
 * waits a test uses to observe it.  The control thread that talks to daemons
 * is in simctl.c, the guest's request path in simio.c.
 */
#include "build-config.h"

#include "simhv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "simhv-internal.h"

#define RAM_ALIGN 4096u
#define DOMID_FIRST_RESERVED_ 0x7ff0u /* DOMID_FIRST_RESERVED in xen.h */

_Static_assert(sizeof(ioreq_t) == 32, "ioreq_t must be Xen's 32-byte layout");
_Static_assert(IOREQD_SIMHV_MAX_VCPUS * sizeof(ioreq_t) <= IOREQD_SIM_PAGE_SIZE,
               "shared_iopage_t must fit one page");
_Static_assert(sizeof(buffered_iopage_t) <= IOREQD_SIM_PAGE_SIZE,
               "buffered_iopage_t must fit one page");

/* The state an x86 vCPU comes out of reset in: what a fresh guest shows. */
static void regs_reset(struct ioreqd_vcpu_regs *r)
{
	const struct ioreqd_vcpu_seg data = {.limit = 0xffff, .ar = 0x93};

	memset(r, 0, sizeof(*r));
	r->rip = 0xfff0;
	r->rflags = 0x2;     /* bit 1 always reads as one */
	r->cr0 = 0x60000010; /* CD, NW, ET */
	r->cs = (struct ioreqd_vcpu_seg){
	    .base = 0xffff0000, .limit = 0xffff, .ar = 0x9b, .sel = 0xf000};
	r->ds = r->es = r->fs = r->gs = r->ss = data;
	r->ldtr = (struct ioreqd_vcpu_seg){.limit = 0xffff, .ar = 0x82};
	r->tr = (struct ioreqd_vcpu_seg){.limit = 0xffff, .ar = 0x8b};
	r->gdtr.limit = 0xffff;
	r->idtr.limit = 0xffff;
}

static int check_config(const struct ioreqd_simhv_config *cfg)
{
	if (!cfg || !cfg->socket_path || !*cfg->socket_path)
		return -EINVAL;
	if (cfg->nr_vcpus > IOREQD_SIMHV_MAX_VCPUS || cfg->domid >= DOMID_FIRST_RESERVED_)
		return -EINVAL;
	if (cfg->ram_size % RAM_ALIGN)
		return -EINVAL;
	return 0;
}

struct ioreqd_simhv *ioreqd_simhv_new(const struct ioreqd_simhv_config *cfg)
{
	struct ioreqd_simhv *hv = NULL;
	pthread_rwlockattr_t rwa;
	pthread_condattr_t ca;
	int rc;

	rc = check_config(cfg);
	if (rc < 0)
		goto out;
	rc = -ENOMEM;
	hv = calloc(1, sizeof(*hv));
	if (!hv)
		goto out;
	hv->domid = cfg->domid;
	hv->nr_vcpus = cfg->nr_vcpus ? cfg->nr_vcpus : 1;
	hv->ram_size = cfg->ram_size ? cfg->ram_size : IOREQD_SIMHV_DEFAULT_RAM;
	atomic_init(&hv->timeout_ms,
	            cfg->timeout_ms ? cfg->timeout_ms : IOREQD_SIMHV_DEFAULT_TIMEOUT_MS);
	hv->ram_fd = -1;
	hv->ram = MAP_FAILED;
	hv->listen_fd = -1;
	hv->ctl_wake = -1;
	for (unsigned i = 0; i < SIM_MAX_CONNS; i++)
		hv->conns[i].fd = -1;

	/*
	 * Prefer the writer: guest threads take the route lock for reading all
	 * the time, and a map_range must not starve behind them.
	 */
	pthread_rwlockattr_init(&rwa);
	pthread_rwlockattr_setkind_np(&rwa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&hv->route, &rwa);
	pthread_rwlockattr_destroy(&rwa);
	pthread_mutex_init(&hv->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hv->cond, &ca);
	pthread_condattr_destroy(&ca);

	hv->vcpus = aligned_alloc(64, hv->nr_vcpus * sizeof(*hv->vcpus));
	hv->regs = calloc(hv->nr_vcpus, sizeof(*hv->regs));
	if (!hv->vcpus || !hv->regs)
		goto out;
	memset(hv->vcpus, 0, hv->nr_vcpus * sizeof(*hv->vcpus));
	for (unsigned v = 0; v < hv->nr_vcpus; v++) {
		atomic_flag_clear(&hv->vcpus[v].in_use);
		regs_reset(&hv->regs[v]);
	}

	hv->ram_fd = memfd_create("ioreqd-sim-ram", MFD_CLOEXEC);
	if (hv->ram_fd < 0 || ftruncate(hv->ram_fd, (off_t)hv->ram_size) < 0) {
		rc = -errno;
		goto out;
	}
	hv->ram =
	    mmap(NULL, hv->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, hv->ram_fd, 0);
	if (hv->ram == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	rc = snprintf(hv->path, sizeof(hv->path), "%s", cfg->socket_path) >=
	             (int)sizeof(hv->path)
	         ? -ENAMETOOLONG
	         : 0;
	if (rc < 0)
		goto out;
	rc = ioreqd_sim_ctl_start(hv);
out:
	if (rc < 0) {
		ioreqd_simhv_free(hv);
		errno = -rc;
		return NULL;
	}
	return hv;
}

void ioreqd_simhv_free(struct ioreqd_simhv *hv)
{
	struct sim_server *s, *next;

	if (!hv)
		return;
	ioreqd_sim_ctl_stop(hv);
	/* The control thread is gone and no guest call runs: nobody else holds a server.
	 */
	for (s = hv->servers; s; s = next) {
		next = s->next;
		ioreqd_sim_server_put(s);
	}
	hv->servers = NULL;
	if (hv->ram != MAP_FAILED)
		munmap(hv->ram, hv->ram_size);
	if (hv->ram_fd >= 0)
		close(hv->ram_fd);
	pthread_cond_destroy(&hv->cond);
	pthread_mutex_destroy(&hv->lock);
	pthread_rwlock_destroy(&hv->route);
	free(hv->regs);
	free(hv->vcpus);
	free(hv);
}

void ioreqd_simhv_set_timeout(struct ioreqd_simhv *hv, unsigned timeout_ms)
{
	atomic_store(&hv->timeout_ms,
	             timeout_ms ? timeout_ms : IOREQD_SIMHV_DEFAULT_TIMEOUT_MS);
}

/* --- Servers -------------------------------------------------------------- */

static void server_free(struct sim_server *s)
{
	unsigned n = s->hv->nr_vcpus;

	for (unsigned v = 0; v < n; v++) {
		if (s->kick && s->kick[v] >= 0)
			close(s->kick[v]);
		if (s->done && s->done[v] >= 0)
			close(s->done[v]);
	}
	free(s->kick);
	free(s->done);
	if (s->buf_kick >= 0)
		close(s->buf_kick);
	if (s->pages != MAP_FAILED)
		munmap(s->pages, IOREQD_SIM_PAGES_SIZE);
	if (s->pages_fd >= 0)
		close(s->pages_fd);
	free(s);
}

struct sim_server *ioreqd_sim_server_new(struct ioreqd_simhv *hv, unsigned bufioreq)
{
	struct sim_server *s = calloc(1, sizeof(*s));
	unsigned n = hv->nr_vcpus;
	int rc = -ENOMEM;

	if (!s)
		goto out;
	s->hv = hv;
	atomic_init(&s->refs, 1);
	atomic_init(&s->gone, false);
	atomic_flag_clear(&s->ring_lock);
	s->bufioreq = bufioreq;
	s->pages_fd = -1;
	s->pages = MAP_FAILED;
	s->buf_kick = -1;
	s->kick = malloc(n * sizeof(*s->kick));
	s->done = malloc(n * sizeof(*s->done));
	if (!s->kick || !s->done)
		goto out;
	for (unsigned v = 0; v < n; v++)
		s->kick[v] = s->done[v] = -1;

	/* Xen allocates and clears both frames when the server is created. */
	s->pages_fd = memfd_create("ioreqd-sim-ioreq", MFD_CLOEXEC);
	if (s->pages_fd < 0 || ftruncate(s->pages_fd, IOREQD_SIM_PAGES_SIZE) < 0)
		goto out_errno;
	s->pages = mmap(NULL, IOREQD_SIM_PAGES_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	                s->pages_fd, 0);
	if (s->pages == MAP_FAILED)
		goto out_errno;
	s->iopage = ioreqd_sim_frame(s->pages, IOREQD_SIM_FRAME_IOREQ);
	if (bufioreq != IOREQD_SIM_BUFIOREQ_OFF) {
		s->bufpage = ioreqd_sim_frame(s->pages, IOREQD_SIM_FRAME_BUFIOREQ);
		s->buf_kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->buf_kick < 0)
			goto out_errno;
	}
	for (unsigned v = 0; v < n; v++) {
		s->kick[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		s->done[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->kick[v] < 0 || s->done[v] < 0)
			goto out_errno;
	}
	return s;
out_errno:
	rc = -errno;
out:
	if (s)
		server_free(s);
	errno = -rc;
	return NULL;
}

void ioreqd_sim_server_get(struct sim_server *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void ioreqd_sim_server_put(struct sim_server *s)
{
	/*
	 * acq_rel: every use of the server by this holder happens before the
	 * free by whoever drops the last reference.
	 */
	if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		server_free(s);
}

void ioreqd_sim_server_gone(struct sim_server *s)
{
	if (atomic_exchange(&s->gone, true))
		return;
	/*
	 * Wake every vCPU that may be waiting for this server's daemon: each
	 * sees no IORESP_READY, then sees gone, and fails its request.
	 */
	for (unsigned v = 0; v < s->hv->nr_vcpus; v++)
		sim_efd_signal(s->done[v]);
}

struct sim_server *ioreqd_sim_newest(struct ioreqd_simhv *hv)
{
	struct sim_server *s;

	pthread_rwlock_rdlock(&hv->route);
	s = hv->servers;
	if (s)
		ioreqd_sim_server_get(s);
	pthread_rwlock_unlock(&hv->route);
	return s;
}

int ioreqd_simhv_server_info(struct ioreqd_simhv *hv,
                             struct ioreqd_simhv_server_info *out)
{
	struct sim_server *s;

	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&hv->route);
	s = hv->servers;
	if (s) {
		out->id = s->id;
		out->bufioreq = s->bufioreq;
		out->enabled = s->enabled;
		out->gone = atomic_load(&s->gone);
		for (unsigned i = 0; i < IOREQD_SPACE_COUNT; i++)
			out->nr_ranges[i] = s->ranges[i].n;
	}
	pthread_rwlock_unlock(&hv->route);
	return s ? 0 : -ENOENT;
}

/* --- Range sets ----------------------------------------------------------- */

/* @return the index of the first range whose last >= x (n if none). */
static unsigned ranges_lower(const struct sim_rangeset *rs, uint64_t x)
{
	unsigned lo = 0, hi = rs->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (rs->r[mid].last < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool ioreqd_sim_ranges_contain(const struct sim_rangeset *rs, uint64_t first,
                               uint64_t last)
{
	unsigned i = ranges_lower(rs, first);

	return i < rs->n && rs->r[i].first <= first && last <= rs->r[i].last;
}

int ioreqd_sim_ranges_add(struct sim_rangeset *rs, uint64_t first, uint64_t last)
{
	unsigned i;
	bool join_prev, join_next;

	if (first > last)
		return -EINVAL;
	i = ranges_lower(rs, first);
	/* As Xen's map_io_range: any overlap with what is claimed is refused. */
	if (i < rs->n && rs->r[i].first <= last)
		return -EEXIST;
	/* As a rangeset, touching ranges merge, so an access may span both. */
	join_prev = i > 0 && rs->r[i - 1].last + 1 == first;
	join_next = i < rs->n && last + 1 == rs->r[i].first;
	if (join_prev && join_next) {
		rs->r[i - 1].last = rs->r[i].last;
		memmove(&rs->r[i], &rs->r[i + 1], (rs->n - i - 1) * sizeof(rs->r[0]));
		rs->n--;
	} else if (join_prev) {
		rs->r[i - 1].last = last;
	} else if (join_next) {
		rs->r[i].first = first;
	} else {
		if (rs->n == IOREQD_SIMHV_MAX_RANGES)
			return -ENOSPC;
		memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof(rs->r[0]));
		rs->r[i].first = first;
		rs->r[i].last = last;
		rs->n++;
	}
	return 0;
}

int ioreqd_sim_ranges_remove(struct sim_rangeset *rs, uint64_t first, uint64_t last)
{
	unsigned i;

	if (first > last)
		return -EINVAL;
	/* As Xen's unmap_io_range: only what is wholly claimed can be released. */
	if (!ioreqd_sim_ranges_contain(rs, first, last))
		return -ENOENT;
	i = ranges_lower(rs, first);
	if (rs->r[i].first == first && rs->r[i].last == last) {
		memmove(&rs->r[i], &rs->r[i + 1], (rs->n - i - 1) * sizeof(rs->r[0]));
		rs->n--;
	} else if (rs->r[i].first == first) {
		rs->r[i].first = last + 1;
	} else if (rs->r[i].last == last) {
		rs->r[i].last = first - 1;
	} else {
		/* A hole in the middle splits the range in two. */
		if (rs->n == IOREQD_SIMHV_MAX_RANGES)
			return -ENOSPC;
		memmove(&rs->r[i + 1], &rs->r[i], (rs->n - i) * sizeof(rs->r[0]));
		rs->r[i].last = first - 1;
		rs->r[i + 1].first = last + 1;
		rs->n++;
	}
	return 0;
}

/* --- Waiting for changes ---------------------------------------------------- */

void ioreqd_sim_changed(struct ioreqd_simhv *hv)
{
	pthread_cond_broadcast(&hv->cond);
}

/*
 * Wait on hv->cond (hv->lock held) until @p done(hv, arg) holds.
 * @return 0 or -ETIMEDOUT.
 */
static int wait_until(struct ioreqd_simhv *hv,
                      bool (*done)(struct ioreqd_simhv *, const void *), const void *arg,
                      unsigned timeout_ms)
{
	struct timespec dl;
	int rc = 0;

	sim_deadline(&dl, timeout_ms);
	while (!done(hv, arg)) {
		if (pthread_cond_timedwait(&hv->cond, &hv->lock, &dl) == ETIMEDOUT) {
			rc = done(hv, arg) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	return rc;
}

static bool cond_holds(struct ioreqd_simhv *hv, const void *arg)
{
	enum ioreqd_simhv_cond cond = *(const enum ioreqd_simhv_cond *)arg;
	bool ready = false;

	if (cond == IOREQD_SIMHV_NO_SERVER)
		return hv->nr_conns == 0;
	/* Lock order: hv->lock, then the route lock; the control thread never nests them.
	 */
	pthread_rwlock_rdlock(&hv->route);
	for (struct sim_server *s = hv->servers; s && !ready; s = s->next) {
		unsigned n = 0;

		for (unsigned i = 0; i < IOREQD_SPACE_COUNT; i++)
			n += s->ranges[i].n;
		ready = s->enabled && n && !atomic_load(&s->gone);
	}
	pthread_rwlock_unlock(&hv->route);
	return ready;
}

int ioreqd_simhv_wait(struct ioreqd_simhv *hv, enum ioreqd_simhv_cond cond,
                      unsigned timeout_ms)
{
	int rc;

	if (cond != IOREQD_SIMHV_READY && cond != IOREQD_SIMHV_NO_SERVER)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	rc = wait_until(hv, cond_holds, &cond, timeout_ms);
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

static const struct sim_key *key_find(const struct ioreqd_simhv *hv, const char *key);

struct newer_want {
	unsigned after;   /* server id */
	uint64_t key_seq; /* the "state" key's publication then */
};

/*
 * Is a server newer than w->after enabled, claiming a range, with its daemon
 * there, and has "state" been published as "running" since (by that daemon,
 * once it claimed every range)?
 */
static bool newer_ready(struct ioreqd_simhv *hv, const void *arg)
{
	const struct newer_want *w = arg;
	const struct sim_key *k = key_find(hv, "state");
	bool ready = false;

	if (!k || k->seq <= w->key_seq || strcmp(k->value, "running"))
		return false;

	pthread_rwlock_rdlock(&hv->route);
	for (struct sim_server *s = hv->servers; s && !ready; s = s->next) {
		unsigned n = 0;

		for (unsigned i = 0; i < IOREQD_SPACE_COUNT; i++)
			n += s->ranges[i].n;
		ready = s->id > w->after && s->enabled && n && !atomic_load(&s->gone);
	}
	pthread_rwlock_unlock(&hv->route);
	return ready;
}

int ioreqd_simhv_restart_mark(struct ioreqd_simhv *hv, struct ioreqd_simhv_mark *mark)
{
	struct ioreqd_simhv_server_info info;
	const struct sim_key *k;
	int rc = ioreqd_simhv_server_info(hv, &info);

	if (rc < 0)
		return rc;
	mark->server = info.id;
	pthread_mutex_lock(&hv->lock);
	k = key_find(hv, "state");
	mark->key_seq = k ? k->seq : 0;
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

int ioreqd_simhv_wait_newer(struct ioreqd_simhv *hv, const struct ioreqd_simhv_mark *mark,
                            unsigned timeout_ms)
{
	struct newer_want w = {.after = mark->server, .key_seq = mark->key_seq};
	int rc;

	pthread_mutex_lock(&hv->lock);
	rc = wait_until(hv, newer_ready, &w, timeout_ms);
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

/* --- Death ------------------------------------------------------------------ */

static void mark_dead(struct ioreqd_simhv *hv, const char *why)
{
	pthread_mutex_lock(&hv->lock);
	if (!atomic_load(&hv->dead)) {
		snprintf(hv->why, sizeof(hv->why), "%s", why);
		atomic_store(&hv->dead, true);
	}
	pthread_mutex_unlock(&hv->lock);
}

void ioreqd_simhv_kill(struct ioreqd_simhv *hv, const char *why)
{
	mark_dead(hv, why ? why : "destroyed");
	ioreqd_sim_ctl_kill(hv);
}

void ioreqd_sim_crash(struct ioreqd_simhv *hv, const char *fmt, ...)
{
	char why[sizeof(hv->why)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "simhv: d%u crashed: %s\n", hv->domid, why);
	mark_dead(hv, why);
	ioreqd_sim_ctl_kill(hv);
}

const char *ioreqd_simhv_crashed(struct ioreqd_simhv *hv)
{
	/* why is written once, before dead is set, and never again. */
	return atomic_load(&hv->dead) ? hv->why : NULL;
}

/* --- Guest RAM ------------------------------------------------------------- */

void *ioreqd_simhv_ram(struct ioreqd_simhv *hv, uint64_t *size)
{
	if (size)
		*size = hv->ram_size;
	return hv->ram;
}

static bool ram_span_ok(const struct ioreqd_simhv *hv, uint64_t gpa, size_t len)
{
	return gpa + len >= gpa && gpa + len <= hv->ram_size;
}

int ioreqd_simhv_mem_read(struct ioreqd_simhv *hv, uint64_t gpa, void *buf, size_t len)
{
	if (!ram_span_ok(hv, gpa, len))
		return -EFAULT;
	memcpy(buf, (char *)hv->ram + gpa, len);
	return 0;
}

int ioreqd_simhv_mem_write(struct ioreqd_simhv *hv, uint64_t gpa, const void *buf,
                           size_t len)
{
	if (!ram_span_ok(hv, gpa, len))
		return -EFAULT;
	memcpy((char *)hv->ram + gpa, buf, len);
	return 0;
}

/* --- What the daemon did ----------------------------------------------------- */

int ioreqd_simhv_irq_level(struct ioreqd_simhv *hv, unsigned irq, unsigned *level,
                           uint64_t *changes)
{
	if (irq >= IOREQD_SIMHV_NR_IRQS)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	if (level)
		*level = hv->irq_level[irq];
	if (changes)
		*changes = hv->irq_changes[irq];
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

struct irq_want {
	unsigned irq;
	unsigned level;
};

static bool irq_at(struct ioreqd_simhv *hv, const void *arg)
{
	const struct irq_want *w = arg;

	return hv->irq_level[w->irq] == w->level;
}

int ioreqd_simhv_wait_irq(struct ioreqd_simhv *hv, unsigned irq, unsigned level,
                          unsigned timeout_ms)
{
	struct irq_want w = {.irq = irq, .level = level};
	int rc;

	if (irq >= IOREQD_SIMHV_NR_IRQS || level > 1)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	rc = wait_until(hv, irq_at, &w, timeout_ms);
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

int ioreqd_simhv_intx_level(struct ioreqd_simhv *hv, uint32_t sbdf, unsigned intx,
                            unsigned *level)
{
	unsigned dev = (sbdf >> 3) & 0x1f;

	/* Segment 0, bus 0, INTA..INTD: all that Xen's set_pci_intx_level takes. */
	if ((sbdf >> 8) != 0 || intx > 3)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	*level = hv->intx_level[dev][intx];
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

struct intx_want {
	unsigned dev, intx, level;
};

static bool intx_at(struct ioreqd_simhv *hv, const void *arg)
{
	const struct intx_want *w = arg;

	return hv->intx_level[w->dev][w->intx] == w->level;
}

int ioreqd_simhv_wait_intx(struct ioreqd_simhv *hv, uint32_t sbdf, unsigned intx,
                           unsigned level, unsigned timeout_ms)
{
	struct intx_want w = {.dev = (sbdf >> 3) & 0x1f, .intx = intx, .level = level};
	int rc;

	if ((sbdf >> 8) != 0 || intx > 3 || level > 1)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	rc = wait_until(hv, intx_at, &w, timeout_ms);
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

uint64_t ioreqd_simhv_msi_count(struct ioreqd_simhv *hv)
{
	uint64_t n;

	pthread_mutex_lock(&hv->lock);
	n = hv->msi_count;
	pthread_mutex_unlock(&hv->lock);
	return n;
}

int ioreqd_simhv_msi_get(struct ioreqd_simhv *hv, uint64_t idx, uint64_t *addr,
                         uint32_t *data)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&hv->lock);
	if (idx < hv->msi_count && hv->msi_count - idx <= IOREQD_SIMHV_MSI_LOG) {
		*addr = hv->msi[idx % IOREQD_SIMHV_MSI_LOG].addr;
		*data = hv->msi[idx % IOREQD_SIMHV_MSI_LOG].data;
		rc = 0;
	}
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

static bool msi_reached(struct ioreqd_simhv *hv, const void *arg)
{
	return hv->msi_count >= *(const uint64_t *)arg;
}

int ioreqd_simhv_wait_msi(struct ioreqd_simhv *hv, uint64_t count, unsigned timeout_ms)
{
	int rc;

	pthread_mutex_lock(&hv->lock);
	rc = wait_until(hv, msi_reached, &count, timeout_ms);
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

/* @return the key's entry, or NULL (hv->lock held). */
static const struct sim_key *key_find(const struct ioreqd_simhv *hv, const char *key)
{
	for (unsigned i = 0; i < hv->nr_keys; i++)
		if (!strcmp(hv->keys[i].key, key))
			return &hv->keys[i];
	return NULL;
}

int ioreqd_simhv_key_get(struct ioreqd_simhv *hv, const char *key, char *buf, size_t len)
{
	const struct sim_key *k;
	int rc = -ENOENT;

	pthread_mutex_lock(&hv->lock);
	k = key_find(hv, key);
	if (k)
		rc = snprintf(buf, len, "%s", k->value) >= (int)len ? -ENOSPC : 0;
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

struct key_want {
	const char *key;
	const char *value;
};

static bool key_is(struct ioreqd_simhv *hv, const void *arg)
{
	const struct key_want *w = arg;
	const struct sim_key *k = key_find(hv, w->key);

	return k && !strcmp(k->value, w->value);
}

int ioreqd_simhv_wait_key(struct ioreqd_simhv *hv, const char *key, const char *value,
                          unsigned timeout_ms)
{
	struct key_want w = {.key = key, .value = value};
	int rc;

	pthread_mutex_lock(&hv->lock);
	rc = wait_until(hv, key_is, &w, timeout_ms);
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

int ioreqd_simhv_vcpu_get(struct ioreqd_simhv *hv, unsigned vcpu,
                          struct ioreqd_vcpu_regs *regs)
{
	if (vcpu >= hv->nr_vcpus)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	*regs = hv->regs[vcpu];
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

int ioreqd_simhv_vcpu_set(struct ioreqd_simhv *hv, unsigned vcpu,
                          const struct ioreqd_vcpu_regs *regs)
{
	if (vcpu >= hv->nr_vcpus)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	hv->regs[vcpu] = *regs;
	ioreqd_sim_changed(hv);
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

void ioreqd_simhv_stats(struct ioreqd_simhv *hv, struct ioreqd_simhv_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned v = 0; v < hv->nr_vcpus; v++) {
		const struct sim_vcpu_stats *st = &hv->vcpus[v].st;

		out->sent += atomic_load_explicit(&st->sent, memory_order_relaxed);
		out->completed +=
		    atomic_load_explicit(&st->completed, memory_order_relaxed);
		out->null_handled +=
		    atomic_load_explicit(&st->null_handled, memory_order_relaxed);
		out->posted += atomic_load_explicit(&st->posted, memory_order_relaxed);
		out->posted_slots +=
		    atomic_load_explicit(&st->posted_slots, memory_order_relaxed);
		out->ring_full +=
		    atomic_load_explicit(&st->ring_full, memory_order_relaxed);
		out->timeouts +=
		    atomic_load_explicit(&st->timeouts, memory_order_relaxed);
		out->gone += atomic_load_explicit(&st->gone, memory_order_relaxed);
		out->busy += atomic_load_explicit(&st->busy, memory_order_relaxed);
		out->cancelled +=
		    atomic_load_explicit(&st->cancelled, memory_order_relaxed);
		out->spurious_wakeups +=
		    atomic_load_explicit(&st->spurious_wakeups, memory_order_relaxed);
		out->late_completions +=
		    atomic_load_explicit(&st->late_completions, memory_order_relaxed);
	}
}
