/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: ioreqd's side of the simulated hypervisor in sim/.  Where
 * the Xen backend makes dm_op hypercalls, this one sends the fixed-size
 * messages of sim/simproto.h over a UNIX socket; where Xen maps the ioreq
 * server's frames and binds event channels, this one maps the memfd it is
 * given and reads and writes eventfds.  The request path (pending, notify,
 * guest memory) touches nothing but shared memory and eventfds, as on Xen.
 *
 * The daemon watches one fd per vCPU (guest -> daemon kicks), one for the
 * buffered ring, and the control socket itself: end of file there means the
 * simulated domain is gone (IOREQD_BE_EV_DOMAIN_GONE).  No libevent here.
 */
#include "build-config.h"

#include "backend.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus.h"
#include "log.h"
#include "pollpolicy.h"
#include "vcpu-regs.h"
#include "../sim/simproto.h"

#define REPLY_TIMEOUT_S 10 /* a hung simulator fails a call instead of hanging us */

struct sim_be {
	int sock;
	unsigned domid;
	bool dead;    /* the socket saw end of file: the domain is gone */
	bool created; /* the server exists */
	bool enabled;
	uint32_t seq;
	unsigned bufioreq; /* IOREQD_SIM_BUFIOREQ_* */
	unsigned nr_vcpus; /* of the domain */
	unsigned bound;    /* vCPUs whose eventfds we hold */
	int pages_fd;
	void *pages; /* IOREQD_SIM_PAGES_SIZE, or MAP_FAILED */
	int ram_fd;
	void *ram; /* guest RAM at gpa 0, or MAP_FAILED */
	uint64_t ram_size;
	int buf_fd; /* the buffered ring's eventfd, or -1 */
	int *kick;  /* per vCPU: guest -> daemon */
	int *done;  /* per vCPU: daemon -> guest */
	struct ioreqd_ratelimit rl;
};

static const char *const op_names[IOREQD_SIM_OP_END_] = {
    [IOREQD_SIM_OP_CREATE] = "CREATE",       [IOREQD_SIM_OP_DESTROY] = "DESTROY",
    [IOREQD_SIM_OP_BIND_VCPU] = "BIND_VCPU", [IOREQD_SIM_OP_ENABLE] = "ENABLE",
    [IOREQD_SIM_OP_MAP_RANGE] = "MAP_RANGE", [IOREQD_SIM_OP_IRQ_LEVEL] = "IRQ_LEVEL",
    [IOREQD_SIM_OP_PCI_INTX] = "PCI_INTX",   [IOREQD_SIM_OP_MSI] = "MSI",
    [IOREQD_SIM_OP_VCPU_GET] = "VCPU_GET",   [IOREQD_SIM_OP_VCPU_SET] = "VCPU_SET",
    [IOREQD_SIM_OP_PUBLISH] = "PUBLISH",
};

/*
 * Fault injection for tests/e2e/fault-injection.sh: IOREQD_SIM_FAIL=NAME makes
 * the step NAME fail with EIO, where NAME is a message (CREATE, ENABLE,
 * BIND_VCPU, MAP_RANGE, ...) or "pending" (reading a vCPU's notification fd).
 */
static bool injected(const char *name)
{
	const char *v = getenv("IOREQD_SIM_FAIL");

	return v && !strcmp(v, name);
}

static void close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* --- The control socket ---------------------------------------------------- */

static int send_request(struct sim_be *be, const struct ioreqd_sim_msg *m)
{
	ssize_t n;

	/*
	 * With SO_SNDTIMEO/SO_RCVTIMEO set, the kernel never restarts these
	 * calls after an interruption (signal(7)): a signal or io_uring's task
	 * work (virtio-blk completions) makes them fail with EINTR before any
	 * byte moved.  That is not a broken link: try again.
	 */
	do
		n = send(be->sock, m, sizeof(*m), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);

	if (n == (ssize_t)sizeof(*m))
		return 0;
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
		be->dead = true;
	return n < 0 ? -errno : -EIO;
}

/* Receive one reply and up to @p max fds; extra or truncated fds are an error. */
static int recv_reply(struct sim_be *be, struct ioreqd_sim_msg *m, int *fds, unsigned max,
                      unsigned *got)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * IOREQD_SIM_MAX_FDS)];
	} ctl;
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.buf,
	                    .msg_controllen = sizeof(ctl.buf)};
	int rc = 0;
	ssize_t n;

	*got = 0;
	do /* EINTR before any byte arrived: see send_request() */
		n = recvmsg(be->sock, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n > 0 && cm;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		unsigned k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (*got < max)
				fds[(*got)++] = fd;
			else {
				close(fd);
				rc = -EPROTO;
			}
		}
	}
	if (n == 0) {
		be->dead = true;
		rc = -ECONNRESET;
	} else if (n < 0) {
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
	} else if (n != (ssize_t)sizeof(*m) || (mh.msg_flags & MSG_CTRUNC)) {
		rc = -EPROTO;
	}
	if (rc < 0) {
		close_fds(fds, *got);
		*got = 0;
	}
	return rc;
}

/*
 * Send request @p m and wait for its reply (in @p m).  @p fds receives the
 * fds the reply carries: exactly @p nfds of them, or the call fails.  On any
 * failure it logs "<fn>: d<domid>: <what>: <reason>" and returns -errno.
 */
static int call(struct sim_be *be, const char *fn, const char *what,
                struct ioreqd_sim_msg *m, int *fds, unsigned nfds)
{
	uint16_t op = m->op;
	uint32_t seq = ++be->seq;
	unsigned got = 0;
	int rc;

	if (!what)
		what = op < IOREQD_SIM_OP_END_ && op_names[op] ? op_names[op] : "?";
	if (op < IOREQD_SIM_OP_END_ && op_names[op] && injected(op_names[op])) {
		log_debug("%s: d%u: %s: failure injected", fn, be->domid, what);
		ioreqd_log_rl(&be->rl, LOG_LEVEL_WARN,
		              "domain %u: the simulated hypervisor failed %s: %s "
		              "(injected by IOREQD_SIM_FAIL)",
		              be->domid, what, strerror(EIO));
		return -EIO;
	}
	if (be->dead) {
		log_debug("%s: d%u: %s: the simulated domain is gone", fn, be->domid,
		          what);
		return -ENOTCONN;
	}
	m->magic = IOREQD_SIM_MAGIC;
	m->version = IOREQD_SIM_VERSION;
	m->seq = seq;
	m->result = 0;
	m->nfds = 0;
	rc = send_request(be, m);
	if (rc == 0)
		rc = recv_reply(be, m, fds, nfds, &got);
	if (rc == 0 && (m->magic != IOREQD_SIM_MAGIC || m->op != op || m->seq != seq))
		rc = -EPROTO;
	/* A refused request carries no fds; a granted one exactly those expected. */
	if (rc == 0 && (m->result < 0 ? got != 0 : got != nfds || m->nfds != nfds))
		rc = -EPROTO;
	if (rc < 0) {
		/*
		 * The link failed, not the request: replies may now be out of
		 * step with requests.  Give it up; the simulator sees end of
		 * file and so, through pending(), does the daemon.
		 */
		be->dead = true;
		shutdown(be->sock, SHUT_RDWR);
	} else if (m->result < 0) {
		rc = m->result;
	}
	if (rc < 0) {
		close_fds(fds, got);
		log_debug("%s: d%u: %s failed", fn, be->domid, what);
		/* Interrupts go through here at the guest's pace: rate-limited. */
		ioreqd_log_rl(&be->rl, LOG_LEVEL_WARN,
		              "domain %u: the simulated hypervisor failed %s: %s%s",
		              be->domid, what, strerror(-rc),
		              be->dead ? "; the link to it is given up" : "");
	}
	return rc;
}

static struct ioreqd_sim_msg *msg_init(struct ioreqd_sim_msg *m, enum ioreqd_sim_op op)
{
	memset(m, 0, sizeof(*m));
	m->op = (uint16_t)op;
	return m;
}

/* --- Setup ---------------------------------------------------------------------- */

static void backend_sim_close(void *priv);

/*
 * Connect to the simulated hypervisor.  Whichever of ioreqd and
 * ioreqd-simguest starts first, the other may not be listening yet: while the
 * socket is missing or refuses, retry with a doubling pause (10 ms up to
 * 250 ms) until @p wait_ms have passed.
 */
static int connect_to(struct sim_be *be, const char *path, unsigned wait_ms)
{
	const struct timeval tv = {.tv_sec = REPLY_TIMEOUT_S};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint64_t deadline = ioreqd_now_ns() + (uint64_t)wait_ms * 1000000ull;
	long pause_ms = 10;
	bool said = false;

	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		log_errx(
		    "domain %u: bad simulated hypervisor socket path '%s' (at most %zu "
		    "bytes)",
		    be->domid, path ? path : "(none)", sizeof(sa.sun_path) - 1);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		int err;

		be->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (be->sock < 0) {
			log_err("domain %u: cannot create a socket", be->domid);
			return -errno;
		}
		if (connect(be->sock, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		err = errno;
		close(be->sock);
		be->sock = -1;
		if ((err != ENOENT && err != ECONNREFUSED) ||
		    ioreqd_now_ns() >= deadline) {
			log_errx("domain %u: no simulated hypervisor on %s%s: %s (start "
			         "ioreqd-simguest --socket %s --domid %u; see "
			         "ioreqd-simguest(1))",
			         be->domid, path, said ? " within --sim-wait" : "",
			         strerror(err), path, be->domid);
			return -err;
		}
		if (!said) {
			log_info("domain %u: waiting up to %u s for the simulated "
			         "hypervisor on %s",
			         be->domid, (wait_ms + 999) / 1000, path);
			said = true;
		}
		nanosleep(&(struct timespec){.tv_sec = pause_ms / 1000,
		                             .tv_nsec = (pause_ms % 1000) * 1000000},
		          NULL);
		pause_ms = pause_ms * 2 > 250 ? 250 : pause_ms * 2;
	}
	setsockopt(be->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(be->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return 0;
}

static int backend_sim_open(void **priv, const struct ioreqd_backend_args *args)
{
	struct sim_be *be = calloc(1, sizeof(*be));
	struct ioreqd_sim_msg m;
	int fds[IOREQD_SIM_MAX_FDS];
	int rc;

	*priv = NULL;
	if (!be) {
		log_errx("out of memory");
		return -ENOMEM;
	}
	be->sock = be->pages_fd = be->ram_fd = be->buf_fd = -1;
	be->pages = be->ram = MAP_FAILED;
	be->domid = args->domid;
	be->rl = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 2);
	rc = connect_to(be, args->sim_path, args->sim_wait_ms);
	if (rc < 0)
		goto out;

	be->bufioreq =
	    args->buffered ? IOREQD_SIM_BUFIOREQ_ATOMIC : IOREQD_SIM_BUFIOREQ_OFF;
	msg_init(&m, IOREQD_SIM_OP_CREATE);
	m.u.create.domid = args->domid;
	m.u.create.bufioreq = be->bufioreq;
	rc = call(be, __func__, NULL, &m, fds, be->bufioreq ? 3 : 2);
	if (rc < 0)
		goto out;
	be->created = true;
	be->pages_fd = fds[0];
	be->ram_fd = fds[1];
	be->buf_fd = be->bufioreq ? fds[2] : -1;
	be->nr_vcpus = m.u.create.nr_vcpus;
	be->ram_size = m.u.create.ram_size;
	if (m.u.create.page_size != IOREQD_SIM_PAGE_SIZE || be->ram_size == 0 ||
	    (uint64_t)(size_t)be->ram_size != be->ram_size) {
		log_errx("domain %u: the simulated hypervisor's reply to CREATE makes no "
		         "sense (page size %u, RAM 0x%llx bytes); are ioreqd and "
		         "ioreqd-simguest from the same build?",
		         be->domid, m.u.create.page_size,
		         (unsigned long long)be->ram_size);
		rc = -EPROTO;
		goto out;
	}
	be->ram = mmap(NULL, (size_t)be->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	               be->ram_fd, 0);
	if (be->ram == MAP_FAILED) {
		rc = -errno;
		log_err("domain %u: cannot map the simulated guest's RAM", be->domid);
		goto out;
	}
	be->kick = malloc(be->nr_vcpus * sizeof(*be->kick));
	be->done = malloc(be->nr_vcpus * sizeof(*be->done));
	if (!be->kick || !be->done) {
		log_errx("out of memory");
		rc = -ENOMEM;
		goto out;
	}
	log_debug("%s: d%u: server %u created on %s: %u vCPUs, %llu KiB RAM, %s ring",
	          __func__, be->domid, m.u.create.server_id, args->sim_path, be->nr_vcpus,
	          (unsigned long long)(be->ram_size >> 10),
	          be->bufioreq ? "a buffered" : "no");
	*priv = be;
out:
	if (rc < 0)
		backend_sim_close(be);
	return rc;
}

static int backend_sim_map_pages(void *priv, shared_iopage_t **sync,
                                 buffered_iopage_t **buf)
{
	struct sim_be *be = priv;

	if (be->pages == MAP_FAILED) {
		be->pages = mmap(NULL, IOREQD_SIM_PAGES_SIZE, PROT_READ | PROT_WRITE,
		                 MAP_SHARED, be->pages_fd, 0);
		if (be->pages == MAP_FAILED) {
			int rc = -errno;

			log_err("domain %u: cannot map the simulated ioreq pages",
			        be->domid);
			return rc;
		}
	}
	*sync = ioreqd_sim_frame(be->pages, IOREQD_SIM_FRAME_IOREQ);
	if (buf)
		*buf = be->bufioreq
		           ? ioreqd_sim_frame(be->pages, IOREQD_SIM_FRAME_BUFIOREQ)
		           : NULL;
	return 0;
}

static int backend_sim_enable(void *priv, bool on)
{
	struct sim_be *be = priv;
	struct ioreqd_sim_msg m;
	int rc;

	msg_init(&m, IOREQD_SIM_OP_ENABLE)->u.enable.on = on;
	rc = call(be, __func__, on ? "ENABLE on" : "ENABLE off", &m, NULL, 0);
	if (rc == 0)
		be->enabled = on;
	return rc;
}

static int backend_sim_nr_vcpus(void *priv, unsigned *n)
{
	struct sim_be *be = priv;

	*n = be->nr_vcpus;
	return 0;
}

static int backend_sim_bind(void *priv, unsigned nr_vcpus)
{
	struct sim_be *be = priv;

	if (be->bound || nr_vcpus == 0 || nr_vcpus > be->nr_vcpus) {
		log_errx("d%u: cannot bind %u vCPUs (the domain has %u, %u bound)",
		         be->domid, nr_vcpus, be->nr_vcpus, be->bound);
		return be->bound ? -EALREADY : -EINVAL;
	}
	for (unsigned v = 0; v < nr_vcpus; v++) {
		struct ioreqd_sim_msg m;
		char what[32];
		int fds[2];
		int rc;

		snprintf(what, sizeof(what), "BIND_VCPU %u", v);
		msg_init(&m, IOREQD_SIM_OP_BIND_VCPU)->u.bind.vcpu = v;
		rc = call(be, __func__, what, &m, fds, 2);
		if (rc < 0)
			return rc;
		be->kick[v] = fds[0];
		be->done[v] = fds[1];
		be->bound = v + 1;
		/* As on Xen, an enabled server's slot names the vCPU's port. */
		if (be->enabled && be->pages != MAP_FAILED) {
			const shared_iopage_t *p =
			    ioreqd_sim_frame(be->pages, IOREQD_SIM_FRAME_IOREQ);

			if (p->vcpu_ioreq[v].vp_eport != m.u.bind.eport) {
				log_errx("d%u v%u: vp_eport %u, expected %u", be->domid,
				         v, p->vcpu_ioreq[v].vp_eport, m.u.bind.eport);
				return -EPROTO;
			}
		}
	}
	return 0;
}

static int backend_sim_map_range(void *priv, enum ioreqd_space space, uint64_t base,
                                 uint64_t last, bool map)
{
	struct sim_be *be = priv;
	struct ioreqd_sim_msg m;
	char what[96];

	if ((unsigned)space >= IOREQD_SPACE_COUNT) {
		log_errx("d%u: unknown space %d", be->domid, (int)space);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "MAP_RANGE %s %s 0x%llx-0x%llx",
	         map ? "map" : "unmap", ioreqd_space_name(space),
	         (unsigned long long)base, (unsigned long long)last);
	msg_init(&m, IOREQD_SIM_OP_MAP_RANGE);
	m.u.range.space = (uint32_t)space;
	m.u.range.map = map;
	m.u.range.base = base;
	m.u.range.last = last;
	return call(be, __func__, what, &m, NULL, 0);
}

/* --- Notifications ---------------------------------------------------------------- */

static unsigned backend_sim_nr_fds(void *priv)
{
	struct sim_be *be = priv;

	return be->bound + (be->buf_fd >= 0) + 1;
}

static int backend_sim_fd(void *priv, unsigned idx)
{
	struct sim_be *be = priv;

	if (idx < be->bound)
		return be->kick[idx];
	if (idx == be->bound && be->buf_fd >= 0)
		return be->buf_fd;
	return idx == backend_sim_nr_fds(priv) - 1 ? be->sock : -1;
}

/* Consume an eventfd.  @return 1 if it was signalled, 0 if not, or -errno. */
static int efd_consume(int fd)
{
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) == (ssize_t)sizeof(cnt))
		return 1;
	return errno == EAGAIN ? 0 : -errno;
}

static int backend_sim_pending(void *priv, unsigned idx,
                               void (*fn)(void *arg, enum ioreqd_backend_event ev,
                                          unsigned vcpu),
                               void *arg)
{
	struct sim_be *be = priv;
	char byte;
	ssize_t n;
	int rc;

	if (idx < be->bound || (idx == be->bound && be->buf_fd >= 0)) {
		bool vcpu = idx < be->bound;

		rc = efd_consume(vcpu ? be->kick[idx] : be->buf_fd);
		if (rc > 0 && vcpu && injected("pending"))
			rc = -EIO;
		if (rc > 0)
			fn(arg, vcpu ? IOREQD_BE_EV_VCPU : IOREQD_BE_EV_BUFFERED,
			   vcpu ? idx : 0);
		if (rc < 0)
			log_warnx("domain %u: cannot read notification fd %u from the "
			          "simulated hypervisor: %s",
			          be->domid, idx, strerror(-rc));
		return rc < 0 ? rc : 0;
	}
	if (idx != backend_sim_nr_fds(priv) - 1)
		return -EINVAL;
	/* The control socket: the simulator never speaks first, so readable = gone. */
	n = be->dead ? 0 : recv(be->sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n > 0)
		log_warnx("d%u: unsolicited data from the simulated hypervisor",
		          be->domid);
	be->dead = true;
	fn(arg, IOREQD_BE_EV_DOMAIN_GONE, 0);
	return 0;
}

/*
 * One look (backend.h: look).  As on Xen, the notification is left to
 * pending(): the vCPU's kick (the guest publishes READY, then kicks) is read
 * there later, to a slot no longer READY, and so is the ring's eventfd, whose
 * drain finds nothing more.
 */
static int backend_sim_look(void *priv,
                            void (*fn)(void *arg, enum ioreqd_backend_event ev,
                                       unsigned vcpu),
                            void *arg)
{
	struct sim_be *be = priv;
	volatile shared_iopage_t *sp;
	volatile buffered_iopage_t *bp = NULL;

	if (be->pages == MAP_FAILED)
		return 0;
	sp = ioreqd_sim_frame(be->pages, IOREQD_SIM_FRAME_IOREQ);
	if (be->bufioreq)
		bp = ioreqd_sim_frame(be->pages, IOREQD_SIM_FRAME_BUFIOREQ);
	for (unsigned v = 0; v < be->bound; v++) {
		if (sp->vcpu_ioreq[v].state != STATE_IOREQ_READY)
			continue;
		/*
		 * Acquire: pairs with the guest's release before READY; the
		 * engine's reads of the fields come after this read of the state.
		 */
		atomic_thread_fence(memory_order_acquire);
		fn(arg, IOREQD_BE_EV_VCPU_POLLED, v);
		return 1;
	}
	if (bp && bp->read_pointer != bp->write_pointer) {
		/* Acquire: the entries were written before write_pointer. */
		atomic_thread_fence(memory_order_acquire);
		fn(arg, IOREQD_BE_EV_BUFFERED, 0);
		return 1;
	}
	return 0;
}

static int backend_sim_notify(void *priv, unsigned vcpu)
{
	struct sim_be *be = priv;
	const uint64_t one = 1;

	if (vcpu >= be->bound)
		return -EINVAL;
	if (write(be->done[vcpu], &one, sizeof(one)) == (ssize_t)sizeof(one))
		return 0;
	{
		int err = errno ? errno : EIO;

		ioreqd_log_rl(
		    &be->rl, LOG_LEVEL_WARN,
		    "domain %u vcpu%u: cannot tell the simulated hypervisor the "
		    "access is done: %s",
		    be->domid, vcpu, strerror(err));
		return -err;
	}
}

/* --- Guest memory ---------------------------------------------------------------- */

/*
 * Is [gpa, gpa + len) inside guest RAM, without wrapping?  A guest can ask
 * for any address, so a refusal is logged (rate-limited) as @p fn's.
 */
static bool ram_span_ok(struct sim_be *be, const char *fn, uint64_t gpa, size_t len)
{
	if (gpa + len >= gpa && gpa + len <= be->ram_size)
		return true;
	ioreqd_log_rl(&be->rl, LOG_LEVEL_DEBUG,
	              "%s: d%u: gpa 0x%llx+%zu is outside guest RAM (0x%llx bytes)", fn,
	              be->domid, (unsigned long long)gpa, len,
	              (unsigned long long)be->ram_size);
	return false;
}

static int backend_sim_guest_read(void *priv, uint64_t gpa, void *buf, size_t len)
{
	struct sim_be *be = priv;

	if (!ram_span_ok(be, __func__, gpa, len))
		return -EFAULT;
	memcpy(buf, (const char *)be->ram + gpa, len);
	return 0;
}

static int backend_sim_guest_write(void *priv, uint64_t gpa, const void *buf, size_t len)
{
	struct sim_be *be = priv;

	if (!ram_span_ok(be, __func__, gpa, len))
		return -EFAULT;
	memcpy((char *)be->ram + gpa, buf, len);
	return 0;
}

/*
 * DMA mappings are pointers into the one shared RAM mapping: nothing to set
 * up or tear down, and they stay valid until close unmaps the RAM.  The sim
 * has no read-only RAM, so @p write changes nothing.  The token is unused.
 */
static int backend_sim_map(void *priv, uint64_t gpa, uint64_t len, bool write, void **hva,
                           uintptr_t *token)
{
	struct sim_be *be = priv;

	*hva = NULL;
	*token = 0;
	if (len == 0 || len > SIZE_MAX || be->ram == MAP_FAILED ||
	    !ram_span_ok(be, __func__, gpa, (size_t)len))
		return -EFAULT;
	(void)write;
	*hva = (char *)be->ram + gpa;
	return 0;
}

static void backend_sim_unmap(void *priv, void *hva, uint64_t len, uintptr_t token)
{
	(void)priv;
	(void)hva;
	(void)len;
	(void)token;
}

static void backend_sim_invalidate(void *priv)
{
	struct sim_be *be = priv;

	/* Guest RAM is one permanent mapping: there is no map cache to drop. */
	ioreqd_log_rl(&be->rl, LOG_LEVEL_DEBUG, "%s: d%u: nothing cached", __func__,
	              be->domid);
}

/*
 * The dirty log: the simulated hypervisor keeps no log of its own, so this
 * only checks, as Xen does, that every run lies in guest RAM; the daemon
 * counts what it reported (its statistics), which is what the tests assert.
 */
static int backend_sim_modified_memory(void *priv, const struct ioreqd_dirty_run *runs,
                                       unsigned n)
{
	struct sim_be *be = priv;
	uint64_t frames = be->ram_size >> IOREQD_DIRTY_PAGE_SHIFT;

	for (unsigned i = 0; i < n; i++)
		if (runs[i].first_pfn >= frames ||
		    runs[i].nr > frames - runs[i].first_pfn)
			return -EINVAL;
	return 0;
}

/* --- Interrupts, vCPU state, publishing --------------------------------------------- */

static int backend_sim_irq_set_level(void *priv, unsigned irq, unsigned level)
{
	struct sim_be *be = priv;
	struct ioreqd_sim_msg m;
	char what[48];

	snprintf(what, sizeof(what), "IRQ_LEVEL irq %u level %u", irq, level);
	msg_init(&m, IOREQD_SIM_OP_IRQ_LEVEL);
	m.u.irq.irq = irq;
	m.u.irq.level = level;
	return call(be, __func__, what, &m, NULL, 0);
}

static int backend_sim_pci_intx_set_level(void *priv, uint32_t sbdf, unsigned intx,
                                          unsigned level)
{
	struct sim_be *be = priv;
	struct ioreqd_sim_msg m;
	char what[64];

	snprintf(what, sizeof(what), "PCI_INTX %04x:%02x:%02x.%u INT%c level %u",
	         sbdf >> 16, (sbdf >> 8) & 0xff, (sbdf >> 3) & 0x1f, sbdf & 7,
	         intx < 4 ? (char)('A' + intx) : '?', level);
	msg_init(&m, IOREQD_SIM_OP_PCI_INTX);
	m.u.intx.sbdf = sbdf;
	m.u.intx.intx = intx;
	m.u.intx.level = level;
	return call(be, __func__, what, &m, NULL, 0);
}

static int backend_sim_inject_msi(void *priv, uint64_t addr, uint32_t data)
{
	struct sim_be *be = priv;
	struct ioreqd_sim_msg m;
	char what[64];

	snprintf(what, sizeof(what), "MSI addr 0x%llx data 0x%x",
	         (unsigned long long)addr, data);
	msg_init(&m, IOREQD_SIM_OP_MSI);
	m.u.msi.addr = addr;
	m.u.msi.data = data;
	return call(be, __func__, what, &m, NULL, 0);
}

static int backend_sim_vcpu_get(void *priv, unsigned vcpu, struct ioreqd_vcpu_regs *regs)
{
	struct sim_be *be = priv;
	struct ioreqd_sim_msg m;
	char what[32];
	int rc;

	memset(regs, 0, sizeof(*regs));
	snprintf(what, sizeof(what), "VCPU_GET %u", vcpu);
	msg_init(&m, IOREQD_SIM_OP_VCPU_GET)->u.vcpu.vcpu = vcpu;
	rc = call(be, __func__, what, &m, NULL, 0);
	if (rc == 0)
		*regs = m.u.vcpu.regs;
	return rc;
}

static int backend_sim_vcpu_set(void *priv, unsigned vcpu,
                                const struct ioreqd_vcpu_regs *regs)
{
	struct sim_be *be = priv;
	struct ioreqd_sim_msg m;
	char what[32];

	snprintf(what, sizeof(what), "VCPU_SET %u", vcpu);
	msg_init(&m, IOREQD_SIM_OP_VCPU_SET)->u.vcpu.vcpu = vcpu;
	m.u.vcpu.regs = *regs;
	return call(be, __func__, what, &m, NULL, 0);
}

static int backend_sim_get_ip(void *priv, unsigned vcpu, uint64_t *ip)
{
	struct ioreqd_vcpu_regs regs;
	int rc = backend_sim_vcpu_get(priv, vcpu, &regs);

	*ip = rc == 0 ? regs.rip : 0;
	return rc;
}

static int backend_sim_publish(void *priv, const char *key, const char *value)
{
	struct sim_be *be = priv;
	struct ioreqd_sim_msg m;
	size_t klen = strlen(key), vlen = strlen(value);

	if (klen == 0 || klen >= IOREQD_SIM_KEY_MAX || vlen >= IOREQD_SIM_VALUE_MAX) {
		log_warnx(
		    "d%u: key '%.40s' (%zu bytes) or its value (%zu bytes) too long "
		    "(at most %u and %u)",
		    be->domid, key, klen, vlen, IOREQD_SIM_KEY_MAX - 1,
		    IOREQD_SIM_VALUE_MAX - 1);
		return klen == 0 ? -EINVAL : -ENAMETOOLONG;
	}
	msg_init(&m, IOREQD_SIM_OP_PUBLISH);
	memcpy(m.u.publish.key, key, klen + 1);
	memcpy(m.u.publish.value, value, vlen + 1);
	return call(be, __func__, NULL, &m, NULL, 0);
}

static int backend_sim_restrict_domain(void *priv)
{
	struct sim_be *be = priv;

	/* A socket, memfds and eventfds of one simulated domain: already confined. */
	log_debug("%s: d%u: nothing to confine", __func__, be->domid);
	return 0;
}

/* --- Teardown, in the reverse order of setup ---------------------------------------- */

static void backend_sim_close(void *priv)
{
	struct sim_be *be = priv;
	struct ioreqd_sim_msg m;

	if (!be)
		return;
	for (unsigned v = be->bound; v-- > 0;) {
		close(be->done[v]);
		close(be->kick[v]);
	}
	be->bound = 0;
	free(be->done);
	free(be->kick);
	if (be->enabled)
		backend_sim_enable(be, false);
	if (be->pages != MAP_FAILED)
		munmap(be->pages, IOREQD_SIM_PAGES_SIZE);
	if (be->created)
		call(be, __func__, NULL, msg_init(&m, IOREQD_SIM_OP_DESTROY), NULL, 0);
	if (be->buf_fd >= 0)
		close(be->buf_fd);
	if (be->ram != MAP_FAILED)
		munmap(be->ram, (size_t)be->ram_size);
	if (be->ram_fd >= 0)
		close(be->ram_fd);
	if (be->pages_fd >= 0)
		close(be->pages_fd);
	if (be->sock >= 0)
		close(be->sock);
	free(be);
}

/* The data part: the engine and the hooks' host services call these directly. */
const struct ioreqd_guest_ops ioreqd_backend_sim_guest = {
    .notify = backend_sim_notify,
    .guest_read = backend_sim_guest_read,
    .guest_write = backend_sim_guest_write,
    .invalidate = backend_sim_invalidate,
    .irq_set_level = backend_sim_irq_set_level,
    .pci_intx_set_level = backend_sim_pci_intx_set_level,
    .inject_msi = backend_sim_inject_msi,
    .get_ip = backend_sim_get_ip,
    .vcpu_get = backend_sim_vcpu_get,
    .vcpu_set = backend_sim_vcpu_set,
    .map = backend_sim_map,
    .unmap = backend_sim_unmap,
};

const struct ioreqd_backend_ops ioreqd_backend_sim = {
    .name = "sim",
    .caps = IOREQD_BE_CAP_UNPRIVILEGED | IOREQD_BE_CAP_SOCKET,
    .modified_memory = backend_sim_modified_memory,
    .guest = &ioreqd_backend_sim_guest,
    .open = backend_sim_open,
    .map_pages = backend_sim_map_pages,
    .enable = backend_sim_enable,
    .nr_vcpus = backend_sim_nr_vcpus,
    .bind = backend_sim_bind,
    .map_range = backend_sim_map_range,
    .nr_fds = backend_sim_nr_fds,
    .fd = backend_sim_fd,
    .pending = backend_sim_pending,
    .look = backend_sim_look,
    .publish = backend_sim_publish,
    .restrict_domain = backend_sim_restrict_domain,
    .close = backend_sim_close,
};
