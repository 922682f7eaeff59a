/* SPDX-License-Identifier: MIT */
/*
 * The raw eventfd ping-pong floor (see floor.h): a forked server and the
 * guest threads of the calling process, one shared page of ioreq_t slots,
 * two eventfds per vCPU, and the same barriers as Xen and ioreqd.  Nothing
 * here links ioreqd: it is what the machine costs, not what ioreqd costs.
 */
#include "floor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#define FLOOR_MAX_VCPUS 128u
#define FLOOR_TIMEOUT_MS 5000
#define FLOOR_REGS 4096u /* the device: a 4 KiB register file, as the scratch hook */

struct floor {
	struct floor_cfg cfg;
	shared_iopage_t *page;
	int kick[FLOOR_MAX_VCPUS]; /* guest -> server */
	int done[FLOOR_MAX_VCPUS]; /* server -> guest */
	pid_t pid;
};

static const char *const server_names[] = {
    [FLOOR_EPOLL] = "epoll",
    [FLOOR_BLOCKING] = "blocking",
    [FLOOR_SPIN] = "spin-server",
    [FLOOR_SPIN_BOTH] = "spin-both",
};

const char *floor_server_name(enum floor_server s)
{
	return (unsigned)s <= FLOOR_SPIN_BOTH ? server_names[s] : "?";
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Server side of one slot: the device is a 4 KiB register file.
 * @return true if a READY request was answered.
 */
static bool serve(struct floor *f, uint8_t *regs, unsigned v, bool notify)
{
	volatile ioreq_t *slot = &f->page->vcpu_ioreq[v];
	unsigned off;
	uint64_t one = 1;

	if (slot->state != STATE_IOREQ_READY)
		return false;
	/* Acquire: read the fields only after seeing READY. */
	atomic_thread_fence(memory_order_acquire);
	slot->state = STATE_IOREQ_INPROCESS;
	off = (unsigned)(slot->addr & (FLOOR_REGS - 4));
	if (slot->dir == IOREQ_READ) {
		uint32_t val;

		memcpy(&val, regs + off, sizeof(val));
		slot->data = val;
	} else {
		uint32_t val = (uint32_t)slot->data;

		memcpy(regs + off, &val, sizeof(val));
	}
	/* Release: data before IORESP_READY. */
	atomic_thread_fence(memory_order_release);
	slot->state = STATE_IORESP_READY;
	if (notify && write(f->done[v], &one, sizeof(one)) != sizeof(one))
		_exit(3);
	return true;
}

static void drain_fd(int fd)
{
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		_exit(4);
}

static int epoll_setup(struct floor *f)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		_exit(2);
	for (unsigned v = 0; v < f->cfg.nr_vcpus; v++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = v};

		if (epoll_ctl(ep, EPOLL_CTL_ADD, f->kick[v], &ev) < 0)
			_exit(2);
	}
	return ep;
}

/* Wait in epoll, consume the kicks and answer the slots they name. */
static void epoll_round(struct floor *f, int ep, uint8_t *regs)
{
	struct epoll_event evs[FLOOR_MAX_VCPUS];
	int n = epoll_wait(ep, evs, (int)f->cfg.nr_vcpus, -1);

	for (int i = 0; i < n; i++) {
		unsigned v = evs[i].data.u32;

		drain_fd(f->kick[v]);
		serve(f, regs, v, true);
	}
}

/* Poll every slot until none has been READY for spin_ns. */
static void spin_round(struct floor *f, uint8_t *regs, uint64_t spin_ns, bool notify)
{
	uint64_t last = now_ns();

	for (;;) {
		bool any = false;

		for (unsigned v = 0; v < f->cfg.nr_vcpus; v++)
			any |= serve(f, regs, v, notify);
		if (any) {
			last = now_ns();
		} else {
			if (now_ns() - last > spin_ns)
				return;
			cpu_relax();
		}
	}
}

static __attribute__((noreturn)) void server_main(struct floor *f)
{
	uint8_t regs[FLOOR_REGS];
	int ep = -1;

	memset(regs, 0, sizeof(regs));
	/* Die with the benchmark, whatever happens to it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (f->cfg.server != FLOOR_BLOCKING)
		ep = epoll_setup(f);
	for (;;) {
		switch (f->cfg.server) {
		case FLOOR_BLOCKING:
			drain_fd(f->kick[0]);
			serve(f, regs, 0, true);
			break;
		case FLOOR_SPIN:
			/*
			 * Adaptive busy-poll: answer from the slots while requests
			 * keep coming, sleep in epoll once they stop.  The kicks
			 * of requests served by polling stay counted in their
			 * eventfds; the next epoll_wait consumes them at once.
			 */
			spin_round(f, regs, (uint64_t)f->cfg.spin_us * 1000, true);
			epoll_round(f, ep, regs);
			break;
		case FLOOR_SPIN_BOTH:
			spin_round(f, regs, UINT64_MAX, false);
			break;
		case FLOOR_EPOLL:
		default:
			epoll_round(f, ep, regs);
			break;
		}
	}
}

struct floor *floor_new(const struct floor_cfg *cfg)
{
	struct floor *f = NULL;
	int err = EINVAL;

	if (!cfg || cfg->nr_vcpus == 0 || cfg->nr_vcpus > FLOOR_MAX_VCPUS ||
	    (cfg->server == FLOOR_BLOCKING && cfg->nr_vcpus != 1))
		goto fail;
	err = ENOMEM;
	f = calloc(1, sizeof(*f));
	if (!f)
		goto fail;
	f->cfg = *cfg;
	f->pid = -1;
	for (unsigned v = 0; v < FLOOR_MAX_VCPUS; v++)
		f->kick[v] = f->done[v] = -1;
	f->page =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f->page == MAP_FAILED) {
		f->page = NULL;
		err = errno;
		goto fail;
	}
	for (unsigned v = 0; v < cfg->nr_vcpus; v++) {
		f->kick[v] = eventfd(0, EFD_CLOEXEC);
		f->done[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f->kick[v] < 0 || f->done[v] < 0) {
			err = errno;
			goto fail;
		}
	}
	f->pid = fork();
	if (f->pid < 0) {
		err = errno;
		goto fail;
	}
	if (f->pid == 0)
		server_main(f);
	return f;
fail:
	floor_free(f);
	errno = err;
	return NULL;
}

void floor_free(struct floor *f)
{
	if (!f)
		return;
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	for (unsigned v = 0; v < FLOOR_MAX_VCPUS; v++) {
		if (f->kick[v] >= 0)
			close(f->kick[v]);
		if (f->done[v] >= 0)
			close(f->done[v]);
	}
	if (f->page)
		munmap(f->page, 4096);
	free(f);
}

int floor_server_pid(const struct floor *f)
{
	return f->pid;
}

/* The guest's wait, as the sim guest's: poll + read until IORESP_READY. */
static int wait_done(struct floor *f, unsigned v, volatile ioreq_t *slot)
{
	struct pollfd pfd = {.fd = f->done[v], .events = POLLIN};

	if (f->cfg.server == FLOOR_SPIN_BOTH) {
		while (slot->state != STATE_IORESP_READY)
			cpu_relax();
		return 0;
	}
	for (;;) {
		uint64_t cnt;
		int n = poll(&pfd, 1, FLOOR_TIMEOUT_MS);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -ETIMEDOUT : -errno;
		if (read(f->done[v], &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			return -EIO;
		if (slot->state == STATE_IORESP_READY)
			return 0;
	}
}

int floor_access(struct floor *f, unsigned vcpu, uint64_t addr, bool read, uint64_t *val)
{
	volatile ioreq_t *slot = &f->page->vcpu_ioreq[vcpu];
	uint64_t one = 1;
	int rc;

	slot->addr = addr;
	slot->data = read ? 0 : *val;
	slot->count = 1;
	slot->size = 4;
	slot->dir = read ? IOREQ_READ : IOREQ_WRITE;
	slot->type = IOREQ_TYPE_COPY;
	/* Release: the request before READY, as Xen's wmb. */
	atomic_thread_fence(memory_order_release);
	slot->state = STATE_IOREQ_READY;
	if (f->cfg.server != FLOOR_SPIN_BOTH &&
	    write(f->kick[vcpu], &one, sizeof(one)) != sizeof(one))
		return -EIO;
	rc = wait_done(f, vcpu, slot);
	if (rc < 0)
		return rc;
	/* Acquire: the server's data after its IORESP_READY. */
	atomic_thread_fence(memory_order_acquire);
	if (read)
		*val = slot->data;
	slot->state = STATE_IOREQ_NONE;
	return 0;
}
