/* SPDX-License-Identifier: MIT */
/*
 * The simulated hypervisor's control thread: it listens on the UNIX socket,
 * accepts daemon connections and answers their requests (sim/simproto.h), the
 * way Xen answers a device model's dm_op hypercalls.  It is the only thread
 * that creates, enables, maps or destroys servers, and it notices a daemon's
 * death as end of file on its connection: that server is marked gone, which
 * wakes every vCPU waiting on it.
 *
 * One thread serves every connection with poll(2); each request is small and
 * answered at once, so no connection can hold up another for long (a daemon
 * that sends half a message is cut off after IO_TIMEOUT_S).
 */
#include "build-config.h"

#include "simhv.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "simhv-internal.h"

#define IO_TIMEOUT_S 2 /* per message, so a stuck peer cannot stall the thread */

static int make_sockaddr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* Is a socket file at @p sa left over from a process that died? */
static bool socket_is_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	bool stale;
	int fd;

	if (stat(sa->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	stale = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 &&
	        errno == ECONNREFUSED;
	close(fd);
	return stale;
}

static int listen_on(struct ioreqd_simhv *hv)
{
	struct sockaddr_un sa;
	int fd, rc;

	rc = make_sockaddr(hv->path, &sa);
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc < 0 && errno == EADDRINUSE && socket_is_stale(&sa)) {
		unlink(sa.sun_path);
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	if (rc < 0 || listen(fd, (int)SIM_MAX_CONNS) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	hv->listen_fd = fd;
	return 0;
}

static void close_listener(struct ioreqd_simhv *hv)
{
	if (hv->listen_fd < 0)
		return;
	close(hv->listen_fd);
	hv->listen_fd = -1;
	unlink(hv->path);
}

static void conn_close(struct ioreqd_simhv *hv, struct sim_conn *c)
{
	close(c->fd);
	c->fd = -1;
	if (c->srv) {
		/*
		 * The device model died with its server in place.  Xen would
		 * leave the vCPUs waiting forever; we fail their requests.
		 */
		ioreqd_sim_server_gone(c->srv);
		ioreqd_sim_server_put(c->srv);
		c->srv = NULL;
	}
	pthread_mutex_lock(&hv->lock);
	hv->nr_conns--;
	ioreqd_sim_changed(hv);
	pthread_mutex_unlock(&hv->lock);
}

static void conn_accept(struct ioreqd_simhv *hv)
{
	const struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	struct sim_conn *c = NULL;
	int fd;

	fd = accept4(hv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (unsigned i = 0; i < SIM_MAX_CONNS && !c; i++)
		if (hv->conns[i].fd < 0)
			c = &hv->conns[i];
	if (!c || atomic_load(&hv->dead)) {
		fprintf(stderr, "simhv: d%u: refusing a connection (%s)\n", hv->domid,
		        c ? "the domain is dead" : "too many");
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	c->srv = NULL;
	pthread_mutex_lock(&hv->lock);
	hv->nr_conns++;
	ioreqd_sim_changed(hv);
	pthread_mutex_unlock(&hv->lock);
}

/* --- Requests ------------------------------------------------------------- */

/* What a handler hands back besides the reply fields: borrowed fds to attach. */
struct reply_fds {
	int fd[IOREQD_SIM_MAX_FDS];
	unsigned n;
};

static unsigned live_servers(struct ioreqd_simhv *hv)
{
	unsigned n = 0;

	for (struct sim_server *s = hv->servers; s; s = s->next)
		n += !atomic_load(&s->gone);
	return n;
}

/* Unlink every gone server (route lock held for writing); @return them as a list. */
static struct sim_server *unlink_gone(struct ioreqd_simhv *hv)
{
	struct sim_server **pp = &hv->servers, *gone = NULL;

	while (*pp) {
		struct sim_server *s = *pp;

		if (atomic_load(&s->gone)) {
			*pp = s->next;
			s->next = gone;
			gone = s;
		} else {
			pp = &s->next;
		}
	}
	return gone;
}

static int op_create(struct ioreqd_simhv *hv, struct sim_conn *c,
                     struct ioreqd_sim_msg *m, struct reply_fds *fds)
{
	struct sim_server *s, *gone, *next;
	unsigned bufioreq = m->u.create.bufioreq;
	int rc = 0;

	if (c->srv)
		return -EEXIST; /* one server per connection */
	if (m->u.create.domid != hv->domid)
		return -ESRCH;
	if (bufioreq > IOREQD_SIM_BUFIOREQ_ATOMIC)
		return -EINVAL;
	s = ioreqd_sim_server_new(hv, bufioreq);
	if (!s)
		return -errno;

	/*
	 * A new device model replaces the dead ones: drop their servers, so
	 * their ranges stop failing accesses the new one may claim.
	 */
	pthread_rwlock_wrlock(&hv->route);
	gone = unlink_gone(hv);
	if (live_servers(hv) >= IOREQD_SIMHV_MAX_SERVERS) {
		rc = -ENOSPC;
	} else {
		s->id = hv->next_server_id++;
		s->next = hv->servers;
		hv->servers = s;
	}
	pthread_rwlock_unlock(&hv->route);
	for (; gone; gone = next) {
		next = gone->next;
		ioreqd_sim_server_put(gone);
	}
	if (rc < 0) {
		ioreqd_sim_server_put(s);
		return rc;
	}
	ioreqd_sim_server_get(s); /* the connection's reference */
	c->srv = s;

	m->u.create.nr_vcpus = hv->nr_vcpus;
	m->u.create.server_id = s->id;
	m->u.create.page_size = IOREQD_SIM_PAGE_SIZE;
	m->u.create.ram_size = hv->ram_size;
	fds->fd[fds->n++] = s->pages_fd;
	fds->fd[fds->n++] = hv->ram_fd;
	if (s->buf_kick >= 0)
		fds->fd[fds->n++] = s->buf_kick;
	return 0;
}

static int op_destroy(struct ioreqd_simhv *hv, struct sim_conn *c)
{
	struct sim_server *s = c->srv, **pp;
	bool linked = false;

	if (!s)
		return -ENOENT;
	pthread_rwlock_wrlock(&hv->route);
	for (pp = &hv->servers; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			linked = true;
			break;
		}
	}
	s->enabled = false;
	pthread_rwlock_unlock(&hv->route);
	/* Accesses now go to the null handler; a vCPU waiting on it fails. */
	ioreqd_sim_server_gone(s);
	if (linked)
		ioreqd_sim_server_put(s); /* the list's reference */
	ioreqd_sim_server_put(s);         /* the connection's */
	c->srv = NULL;
	return 0;
}

static int op_bind(struct ioreqd_simhv *hv, struct sim_conn *c, struct ioreqd_sim_msg *m,
                   struct reply_fds *fds)
{
	unsigned v = m->u.bind.vcpu;

	if (!c->srv)
		return -ENOENT;
	if (v >= hv->nr_vcpus)
		return -EINVAL;
	m->u.bind.eport = sim_vp_eport(c->srv, v);
	fds->fd[fds->n++] = c->srv->kick[v];
	fds->fd[fds->n++] = c->srv->done[v];
	return 0;
}

static int op_enable(struct ioreqd_simhv *hv, struct sim_conn *c,
                     const struct ioreqd_sim_msg *m)
{
	struct sim_server *s = c->srv;

	if (!s)
		return -ENOENT;
	pthread_rwlock_wrlock(&hv->route);
	s->enabled = m->u.enable.on != 0;
	/* As Xen: enabling is what tells the device model each vCPU's port. */
	if (s->enabled)
		for (unsigned v = 0; v < hv->nr_vcpus; v++)
			s->iopage->vcpu_ioreq[v].vp_eport = sim_vp_eport(s, v);
	pthread_rwlock_unlock(&hv->route);
	return 0;
}

static int op_map(struct ioreqd_simhv *hv, struct sim_conn *c,
                  const struct ioreqd_sim_msg *m)
{
	uint32_t space = m->u.range.space;
	uint64_t first = m->u.range.base, last = m->u.range.last;
	struct sim_rangeset *rs;
	int rc;

	if (!c->srv)
		return -ENOENT;
	if (space >= IOREQD_SPACE_COUNT || first > last)
		return -EINVAL;
	if (space == IOREQD_SPACE_PCI) {
		/* Xen claims whole functions (map_pcidev_to_ioreq_server): keep SBDFs. */
		first >>= 32;
		last >>= 32;
	}
	rs = &c->srv->ranges[space];
	pthread_rwlock_wrlock(&hv->route);
	rc = m->u.range.map ? ioreqd_sim_ranges_add(rs, first, last)
	                    : ioreqd_sim_ranges_remove(rs, first, last);
	pthread_rwlock_unlock(&hv->route);
	return rc;
}

static int op_irq(struct ioreqd_simhv *hv, const struct ioreqd_sim_msg *m)
{
	unsigned irq = m->u.irq.irq, level = m->u.irq.level;

	if (irq >= IOREQD_SIMHV_NR_IRQS || level > 1)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	if (hv->irq_level[irq] != level)
		hv->irq_changes[irq]++;
	hv->irq_level[irq] = (uint8_t)level;
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

static int op_intx(struct ioreqd_simhv *hv, const struct ioreqd_sim_msg *m)
{
	uint32_t sbdf = m->u.intx.sbdf;

	/* Xen's set_pci_intx_level takes segment 0, bus 0 and INTA..INTD only. */
	if ((sbdf >> 8) != 0 || m->u.intx.intx > 3 || m->u.intx.level > 1)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	hv->intx_level[(sbdf >> 3) & 0x1f][m->u.intx.intx] = (uint8_t)m->u.intx.level;
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

static int op_msi(struct ioreqd_simhv *hv, const struct ioreqd_sim_msg *m)
{
	pthread_mutex_lock(&hv->lock);
	hv->msi[hv->msi_count % IOREQD_SIMHV_MSI_LOG].addr = m->u.msi.addr;
	hv->msi[hv->msi_count % IOREQD_SIMHV_MSI_LOG].data = m->u.msi.data;
	hv->msi_count++;
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

static int op_vcpu(struct ioreqd_simhv *hv, struct ioreqd_sim_msg *m)
{
	unsigned v = m->u.vcpu.vcpu;

	if (v >= hv->nr_vcpus)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	if (m->op == IOREQD_SIM_OP_VCPU_GET)
		m->u.vcpu.regs = hv->regs[v];
	else
		hv->regs[v] = m->u.vcpu.regs;
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

static int op_publish(struct ioreqd_simhv *hv, const struct ioreqd_sim_msg *m)
{
	const char *key = m->u.publish.key, *value = m->u.publish.value;
	struct sim_key *k = NULL;
	int rc = 0;

	if (!memchr(key, 0, IOREQD_SIM_KEY_MAX) ||
	    !memchr(value, 0, IOREQD_SIM_VALUE_MAX) || !*key)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	for (unsigned i = 0; i < hv->nr_keys && !k; i++)
		if (!strcmp(hv->keys[i].key, key))
			k = &hv->keys[i];
	if (!k && hv->nr_keys < IOREQD_SIMHV_MAX_KEYS) {
		k = &hv->keys[hv->nr_keys++];
		memcpy(k->key, key, strlen(key) + 1);
	}
	if (k) {
		memcpy(k->value, value, strlen(value) + 1);
		k->seq = ++hv->key_seq;
	} else
		rc = -ENOSPC;
	pthread_mutex_unlock(&hv->lock);
	return rc;
}

static int dispatch(struct ioreqd_simhv *hv, struct sim_conn *c, struct ioreqd_sim_msg *m,
                    struct reply_fds *fds)
{
	switch (m->op) {
	case IOREQD_SIM_OP_CREATE:
		return op_create(hv, c, m, fds);
	case IOREQD_SIM_OP_DESTROY:
		return op_destroy(hv, c);
	case IOREQD_SIM_OP_BIND_VCPU:
		return op_bind(hv, c, m, fds);
	case IOREQD_SIM_OP_ENABLE:
		return op_enable(hv, c, m);
	case IOREQD_SIM_OP_MAP_RANGE:
		return op_map(hv, c, m);
	case IOREQD_SIM_OP_IRQ_LEVEL:
		return op_irq(hv, m);
	case IOREQD_SIM_OP_PCI_INTX:
		return op_intx(hv, m);
	case IOREQD_SIM_OP_MSI:
		return op_msi(hv, m);
	case IOREQD_SIM_OP_VCPU_GET:
	case IOREQD_SIM_OP_VCPU_SET:
		return op_vcpu(hv, m);
	case IOREQD_SIM_OP_PUBLISH:
		return op_publish(hv, m);
	default:
		return -EOPNOTSUPP;
	}
}

static int send_reply(int fd, const struct ioreqd_sim_msg *m, const struct reply_fds *fds)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * IOREQD_SIM_MAX_FDS)];
	} ctl;
	struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof(*m)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (fds->n) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * fds->n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * fds->n);
		memcpy(CMSG_DATA(cm), fds->fd, sizeof(int) * fds->n);
	}
	n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	return n == (ssize_t)sizeof(*m) ? 0 : -EIO;
}

/* Serve one request.  @return 0, or -1 when the connection must be closed. */
static int conn_serve(struct ioreqd_simhv *hv, struct sim_conn *c)
{
	struct ioreqd_sim_msg m;
	struct reply_fds fds = {.n = 0};
	ssize_t n;
	int rc;

	n = recv(c->fd, &m, sizeof(m), MSG_WAITALL);
	if (n != (ssize_t)sizeof(m)) {
		if (n != 0)
			fprintf(stderr, "simhv: d%u: dropping a daemon connection: %s\n",
			        hv->domid, n < 0 ? strerror(errno) : "short message");
		return -1;
	}
	if (m.magic != IOREQD_SIM_MAGIC) {
		fprintf(stderr,
		        "simhv: d%u: dropping a daemon connection: bad magic 0x%x\n",
		        hv->domid, m.magic);
		return -1;
	}
	if (m.version != IOREQD_SIM_VERSION)
		rc = -EPROTONOSUPPORT;
	else
		rc = dispatch(hv, c, &m, &fds);
	if (rc < 0)
		fds.n = 0;
	m.result = rc;
	m.nfds = fds.n;
	if (send_reply(c->fd, &m, &fds) < 0)
		return -1;
	/* Anything may have changed: let the waiters look. */
	pthread_mutex_lock(&hv->lock);
	ioreqd_sim_changed(hv);
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

/* --- The thread ----------------------------------------------------------- */

static void close_all(struct ioreqd_simhv *hv)
{
	for (unsigned i = 0; i < SIM_MAX_CONNS; i++)
		if (hv->conns[i].fd >= 0)
			conn_close(hv, &hv->conns[i]);
}

static void do_kill(struct ioreqd_simhv *hv)
{
	close_all(hv);
	close_listener(hv);
	pthread_mutex_lock(&hv->lock);
	hv->killed = true;
	ioreqd_sim_changed(hv);
	pthread_mutex_unlock(&hv->lock);
}

static void *ctl_main(void *arg)
{
	struct ioreqd_simhv *hv = arg;
	struct pollfd pfd[2 + SIM_MAX_CONNS];
	struct sim_conn *who[2 + SIM_MAX_CONNS];

	while (!atomic_load(&hv->stop)) {
		unsigned n = 0;
		uint64_t v;

		pfd[n] = (struct pollfd){.fd = hv->ctl_wake, .events = POLLIN};
		who[n++] = NULL;
		if (hv->listen_fd >= 0) {
			pfd[n] = (struct pollfd){.fd = hv->listen_fd, .events = POLLIN};
			who[n++] = NULL;
		}
		for (unsigned i = 0; i < SIM_MAX_CONNS; i++) {
			if (hv->conns[i].fd < 0)
				continue;
			pfd[n] = (struct pollfd){.fd = hv->conns[i].fd, .events = POLLIN};
			who[n++] = &hv->conns[i];
		}
		if (poll(pfd, n, -1) < 0)
			continue; /* EINTR */
		if (pfd[0].revents) {
			if (read(hv->ctl_wake, &v, sizeof(v)) < 0)
				v = 0; /* EAGAIN: another wakeup consumed it */
			if (atomic_load(&hv->stop))
				break;
			if (atomic_load(&hv->dead) && !hv->killed)
				do_kill(hv);
			continue; /* the fd set changed */
		}
		for (unsigned i = 1; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (!who[i])
				conn_accept(hv);
			else if (conn_serve(hv, who[i]) < 0)
				conn_close(hv, who[i]);
		}
	}
	close_all(hv);
	return NULL;
}

int ioreqd_sim_ctl_start(struct ioreqd_simhv *hv)
{
	int rc;

	hv->ctl_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (hv->ctl_wake < 0)
		return -errno;
	rc = listen_on(hv);
	if (rc < 0)
		return rc;
	rc = -pthread_create(&hv->ctl, NULL, ctl_main, hv);
	if (rc < 0) {
		close_listener(hv);
		return rc;
	}
	hv->ctl_running = true;
	return 0;
}

void ioreqd_sim_ctl_stop(struct ioreqd_simhv *hv)
{
	if (hv->ctl_running) {
		atomic_store(&hv->stop, true);
		sim_efd_signal(hv->ctl_wake);
		pthread_join(hv->ctl, NULL);
		hv->ctl_running = false;
	}
	close_listener(hv);
	if (hv->ctl_wake >= 0)
		close(hv->ctl_wake);
	hv->ctl_wake = -1;
}

void ioreqd_sim_ctl_kill(struct ioreqd_simhv *hv)
{
	if (!hv->ctl_running)
		return;
	sim_efd_signal(hv->ctl_wake);
	if (pthread_equal(pthread_self(), hv->ctl))
		return; /* the thread itself: it closes everything when it next polls */
	pthread_mutex_lock(&hv->lock);
	while (!hv->killed)
		pthread_cond_wait(&hv->cond, &hv->lock);
	pthread_mutex_unlock(&hv->lock);
}
