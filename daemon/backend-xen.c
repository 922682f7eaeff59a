/* SPDX-License-Identifier: MIT */
/*
 * The Xen backend: ioreqd as an ioreq server of one HVM/PVH domain, on
 * libxendevicemodel, libxenforeignmemory, libxenevtchn, libxenctrl,
 * libxenstore and libxentoolcore.  Setup follows design.md exactly:
 * create the server, map its pages as a resource, enable it (which is what
 * fills vp_eport), bind one event channel per vCPU plus the buffered one,
 * then claim ranges.  Teardown runs the same steps backwards and is safe
 * after a setup that stopped anywhere.  The domain's death, xenstore and
 * confinement live in backend-xen-xs.c, interrupts in backend-xen-irq.c,
 * guest memory in backend-xen-mapcache.c and vCPU state in backend-xen-ctx.c.
 */
/*
 * xenctrl.h (through backend-xen.h) must come before any <xen/...> header:
 * it defines __XEN_TOOLS__, which changes what those headers declare.
 */
#include "backend-xen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "backend.h"
#include "bus.h"
#include "engine.h"
#include "log.h"
#include "pollpolicy.h"

int ioreqd_xen_fail(unsigned domid, const char *call, const char *fmt, ...)
{
	/* Take errno before anything else can change it; a library may leave 0. */
	int err = errno ? errno : EIO;
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_warnx("domain %u: %s (%s: %s)", domid, what, call, strerror(err));
	return -err;
}

/*
 * A start-up step failed: an error for the operator, with what to do for the
 * usual causes (no Xen, not root, no such domain).  @p what says in plain
 * words what could not be done; @p call is the Xen library call that failed,
 * named for the admin.  @return -errno.
 */
IOREQD_PRINTF(3, 4)
static int setup_fail(unsigned domid, const char *call, const char *fmt, ...)
{
	int err = errno ? errno : EIO;
	bool open_call = strstr(call, "_open") != NULL;
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (open_call && (err == ENOENT || err == ENXIO || err == ENODEV) &&
	    access("/dev/xen/privcmd", F_OK) < 0 && access("/proc/xen", F_OK) < 0)
		log_errx("this is not a Xen dom0 (no /dev/xen/privcmd or /proc/xen): "
		         "%s (%s: %s); to run ioreqd without Xen, use --backend=sim "
		         "with ioreqd-simguest(1)",
		         what, call, strerror(err));
	else if (err == EACCES || err == EPERM)
		log_errx("domain %u: %s (%s: %s); ioreqd needs root in dom0, or the "
		         "privileges of a device-model stub domain",
		         domid, what, call, strerror(err));
	else if (err == ESRCH)
		log_errx("domain %u: %s: no such domain (%s); xl list shows the "
		         "running ones",
		         domid, what, call);
	else
		log_errx("domain %u: %s (%s: %s)", domid, what, call, strerror(err));
	return -err;
}

/*
 * The Xen libraries log through a xentoollog logger, by default straight to
 * stderr.  Route them into our log at debug level: every failure they see we
 * report ourselves, with the call named, at warning level.
 */
static void xtl_vmessage(struct xentoollog_logger *logger, xentoollog_level level,
                         int errnoval, const char *context, const char *format,
                         va_list al) __attribute__((format(printf, 5, 0)));

static void xtl_vmessage(struct xentoollog_logger *logger, xentoollog_level level,
                         int errnoval, const char *context, const char *format,
                         va_list al)
{
	char buf[512];

	if (ioreqd_log_verbosity() < LOG_LEVEL_DEBUG)
		return;
	vsnprintf(buf, sizeof(buf), format, al);
	if (errnoval >= 0)
		log_debug("xen: %s: %s: %s", context ? context : "lib", buf,
		          strerror(errnoval));
	else
		log_debug("xen: %s: %s", context ? context : "lib", buf);
}

static struct xentoollog_logger xtl_logger = {
    .vmessage = xtl_vmessage,
    .progress = NULL,
    .destroy = NULL,
};

/* ---- open / close -------------------------------------------------------------- */

static void xen_close(void *priv);

static int xen_open(void **priv, const struct ioreqd_backend_args *args)
{
	struct xen_be *be;
	int bufioreq;
	int rc;

	*priv = NULL;
	be = calloc(1, sizeof(*be));
	if (!be) {
		log_errx("out of memory");
		return -ENOMEM;
	}
	be->domid = args->domid;
	be->evtchn_fd = -1;
	be->watch_fd = -1;
	be->probe_fd = -1;
	be->rl_io = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 1);
	be->rl_ctx = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 1);
	be->lat_vcpu = -1;
	if (args->latency) {
		if (ioreqd_latency_init(&be->lat) < 0) {
			log_errx("out of memory");
			free(be);
			return -ENOMEM;
		}
		log_info("domain %u: latency_stats: timing the parts of each round trip",
		         be->domid);
	}

	/* Xen on Arm only knows BUFIOREQ_OFF: never ask for a ring there. */
	be->buffered = args->buffered && XEN_X86;
	if (args->buffered && !be->buffered)
		log_info("domain %u: Xen on this architecture has no buffered ioreq "
		         "ring; every access is handled synchronously",
		         be->domid);

	be->dmod = xendevicemodel_open(&xtl_logger, 0);
	if (!be->dmod) {
		rc = setup_fail(be->domid, "xendevicemodel_open",
		                "cannot open Xen's device-model interface");
		goto out;
	}
	be->fmem = xenforeignmemory_open(&xtl_logger, 0);
	if (!be->fmem) {
		rc = setup_fail(be->domid, "xenforeignmemory_open",
		                "cannot open Xen's foreign-memory interface");
		goto out;
	}
	be->xce = xenevtchn_open(&xtl_logger, 0);
	if (!be->xce) {
		rc = setup_fail(be->domid, "xenevtchn_open",
		                "cannot open Xen's event-channel interface");
		goto out;
	}
	be->xch = xc_interface_open(&xtl_logger, &xtl_logger, 0);
	if (!be->xch) {
		rc = setup_fail(be->domid, "xc_interface_open",
		                "cannot open Xen's control interface");
		goto out;
	}
	ioreqd_xen_mapcache_init(&be->mc, be->fmem, be->xch, be->domid);
	be->mc.xtl = &xtl_logger;
	/* Before privileges go: /dev/xen/gntdev is root's. */
	if (args->grants && ioreqd_xen_mapcache_grants_open(&be->mc) < 0) {
		rc = -ENODEV;
		goto out;
	}
	be->xsh = xs_open(0);
	if (!be->xsh) {
		rc = setup_fail(be->domid, "xs_open",
		                "cannot connect to xenstore (is xenstored running?)");
		goto out;
	}

	bufioreq =
	    be->buffered ? HVM_IOREQSRV_BUFIOREQ_ATOMIC : HVM_IOREQSRV_BUFIOREQ_OFF;
	if (xendevicemodel_create_ioreq_server(be->dmod, (domid_t)be->domid, bufioreq,
	                                       &be->id) < 0) {
		rc = setup_fail(be->domid, "xendevicemodel_create_ioreq_server",
		                "cannot create an ioreq server");
		goto out;
	}
	be->created = true;

	/* xenstored fires a new watch once at once; pending() checks then. */
	if (!xs_watch(be->xsh, WATCH_PATH, WATCH_TOKEN)) {
		rc = setup_fail(be->domid, "xs_watch",
		                "cannot watch xenstore for the domain's death");
		goto out;
	}
	be->watch_fd = xs_fileno(be->xsh);
	if (be->watch_fd < 0) {
		rc = setup_fail(be->domid, "xs_fileno",
		                "cannot get the descriptor of the xenstore watch");
		goto out;
	}
	be->evtchn_fd = xenevtchn_fd(be->xce);
	if (be->evtchn_fd < 0) {
		rc = setup_fail(be->domid, "xenevtchn_fd",
		                "cannot get the descriptor of the event channels");
		goto out;
	}
	log_info("domain %u: ioreq server %u created%s", be->domid, (unsigned)be->id,
	         be->buffered ? " with a buffered ring" : "");
	*priv = be;
	rc = 0;
out:
	if (rc < 0)
		xen_close(be);
	return rc;
}

/*
 * Once the guest is destroyed, Xen has already torn down its ioreq servers:
 * disabling ours or unmapping its ranges then fails with ENOENT (no such
 * server) or ESRCH (no such domain).  That is the normal order of things when
 * `xl destroy` comes first, so it is worth a debug line, not a warning.
 */
static bool teardown_expected(const struct xen_be *be, int err)
{
	return be->gone || err == ENOENT || err == ESRCH;
}

/*
 * Log a teardown call that failed: a warning, or debug when the domain is
 * gone.  @return -errno, taken before logging can change it.
 */
IOREQD_PRINTF(3, 4)
static int teardown_fail(const struct xen_be *be, const char *call, const char *fmt, ...)
{
	int err = errno ? errno : EIO;
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (teardown_expected(be, err))
		log_debug("domain %u: %s (%s: %s); the domain is gone", be->domid, what,
		          call, strerror(err));
	else
		log_warnx("domain %u: %s (%s: %s)", be->domid, what, call, strerror(err));
	return -err;
}

/* Log a failed call during teardown; a dead domain is expected there. */
static void close_fail(const struct xen_be *be, const char *call, const char *what)
{
	teardown_fail(be, call, "while stopping: %s", what);
}

static void xen_close(void *priv)
{
	struct xen_be *be = priv;
	char path[96];

	if (!be)
		return;
	/* Confining closed xenstore (xen_restrict_domain); the node stays. */
	if (be->published && be->xsh) {
		snprintf(path, sizeof(path), "/local/domain/%u/ioreqd/%u", BACKEND_DOMID,
		         be->domid);
		if (!xs_rm(be->xsh, XBT_NULL, path))
			close_fail(be, "xs_rm",
			           "cannot remove the daemon's xenstore node");
	}
	if (be->buf_bound && xenevtchn_unbind(be->xce, be->buf_port) < 0)
		close_fail(be, "xenevtchn_unbind",
		           "cannot unbind the buffered ring's event channel");
	be->buf_bound = false;
	while (be->nr_bound > 0) {
		be->nr_bound--;
		if (xenevtchn_unbind(be->xce, be->vcpu_port[be->nr_bound]) < 0)
			close_fail(be, "xenevtchn_unbind",
			           "cannot unbind a vCPU's event channel");
	}
	if (be->fmem) {
		unsigned left = ioreqd_xen_mapcache_release_all(&be->mc);

		/* Devices keep ring mappings until their fini, which runs later. */
		if (left)
			log_debug("%s: d%u: released %u guest DMA mapping(s) still held",
			          __func__, be->domid, left);
	}
	if (be->enabled && xendevicemodel_set_ioreq_server_state(
	                       be->dmod, (domid_t)be->domid, be->id, 0) < 0)
		close_fail(be, "xendevicemodel_set_ioreq_server_state",
		           "cannot disable the ioreq server");
	be->enabled = false;
	if (be->fres && xenforeignmemory_unmap_resource(be->fmem, be->fres) < 0)
		close_fail(be, "xenforeignmemory_unmap_resource",
		           "cannot unmap the ioreq server's pages");
	be->fres = NULL;
	if (be->created &&
	    xendevicemodel_destroy_ioreq_server(be->dmod, (domid_t)be->domid, be->id) < 0)
		close_fail(be, "xendevicemodel_destroy_ioreq_server",
		           "cannot destroy the ioreq server");
	be->created = false;
	if (be->probe_fd >= 0)
		close(be->probe_fd);
	/* The close calls free their handle whatever they return. */
	if (be->xsh)
		xs_close(be->xsh);
	if (be->xch && xc_interface_close(be->xch) < 0)
		close_fail(be, "xc_interface_close", "cannot close a Xen handle");
	if (be->xce && xenevtchn_close(be->xce) < 0)
		close_fail(be, "xenevtchn_close", "cannot close a Xen handle");
	if (be->fmem && xenforeignmemory_close(be->fmem) < 0)
		close_fail(be, "xenforeignmemory_close", "cannot close a Xen handle");
	if (be->dmod && xendevicemodel_close(be->dmod) < 0)
		close_fail(be, "xendevicemodel_close", "cannot close a Xen handle");
	free(be->vcpu_port);
	free(be->by_port);
	free(be->pci);
	ioreqd_latency_free(&be->lat);
	free(be);
}

/* ---- pages, enable, vCPUs -------------------------------------------------------- */

static int xen_map_pages(void *priv, shared_iopage_t **sync, buffered_iopage_t **buf)
{
	struct xen_be *be = priv;
	unsigned long first, nr;

	/* @p buf may be NULL: the caller does not want the buffered page. */
	*sync = NULL;
	if (buf)
		*buf = NULL;
	if (be->fres)
		return -EALREADY;
	/*
	 * Frame 0 is the buffered page and frame 1 (frame_ioreq(0)) the shared
	 * page, so one mapping of two frames gets both, in that order.
	 */
	first = be->buffered ? XENMEM_resource_ioreq_server_frame_bufioreq
	                     : XENMEM_resource_ioreq_server_frame_ioreq(0);
	nr = be->buffered ? 2 : 1;
	be->fres = xenforeignmemory_map_resource(
	    be->fmem, (domid_t)be->domid, XENMEM_resource_ioreq_server, be->id, first, nr,
	    &be->pages, PROT_READ | PROT_WRITE, 0);
	if (!be->fres)
		return setup_fail(be->domid, "xenforeignmemory_map_resource",
		                  "cannot map the ioreq server's shared pages");
	if (be->buffered) {
		be->buf = be->pages;
		be->sync = (void *)((uint8_t *)be->pages + XC_PAGE_SIZE);
	} else {
		be->sync = be->pages;
	}
	*sync = be->sync;
	if (buf)
		*buf = be->buf;
	return 0;
}

static int xen_enable(void *priv, bool on)
{
	struct xen_be *be = priv;

	if (xendevicemodel_set_ioreq_server_state(be->dmod, (domid_t)be->domid, be->id,
	                                          on ? 1 : 0) < 0) {
		/* Disabling is teardown: quiet if the domain went first. */
		if (!on)
			return teardown_fail(be, "xendevicemodel_set_ioreq_server_state",
			                     "cannot disable the ioreq server");
		return setup_fail(be->domid, "xendevicemodel_set_ioreq_server_state",
		                  "cannot enable the ioreq server");
	}
	be->enabled = on;
	return 0;
}

static int xen_nr_vcpus(void *priv, unsigned *n)
{
	struct xen_be *be = priv;
	unsigned int v = 0;

	*n = 0;
	if (xendevicemodel_nr_vcpus(be->dmod, (domid_t)be->domid, &v) < 0)
		return setup_fail(be->domid, "xendevicemodel_nr_vcpus",
		                  "cannot count the domain's vCPUs");
	*n = v;
	return 0;
}

static int port_cmp(const void *a, const void *b)
{
	const struct port_map *x = a, *y = b;

	return (x->port > y->port) - (x->port < y->port);
}

static int xen_bind(void *priv, unsigned nr_vcpus)
{
	struct xen_be *be = priv;
	xenevtchn_port_or_error_t local;
	evtchn_port_t remote;
	int rc = 0;

	if (be->vcpu_port)
		return -EALREADY;
	if (!be->sync || !be->enabled) {
		log_errx("domain %u: map and enable the server before binding",
		         be->domid);
		return -EINVAL;
	}
	/* The shared page has one 32-byte slot per vCPU and no more. */
	if (nr_vcpus == 0 || nr_vcpus > IOREQD_MAX_VCPUS) {
		log_errx("domain %u: %u vCPUs; the shared page serves 1 to %u", be->domid,
		         nr_vcpus, IOREQD_MAX_VCPUS);
		return -E2BIG;
	}
	be->vcpu_port = calloc(nr_vcpus, sizeof(*be->vcpu_port));
	be->by_port = calloc(nr_vcpus, sizeof(*be->by_port));
	if (!be->vcpu_port || !be->by_port) {
		log_errx("out of memory");
		return -ENOMEM;
	}
	be->nr_vcpus = nr_vcpus;
	for (unsigned v = 0; v < nr_vcpus; v++) {
		/* Xen wrote vp_eport when the server was enabled; it never changes. */
		remote = ((volatile ioreq_t *)&be->sync->vcpu_ioreq[v])->vp_eport;
		if (remote == 0) {
			log_errx("domain %u vcpu%u: no event channel in the shared page",
			         be->domid, v);
			rc = -EPROTO;
			goto out;
		}
		local = xenevtchn_bind_interdomain(be->xce, be->domid, remote);
		if (local < 0) {
			rc = setup_fail(be->domid, "xenevtchn_bind_interdomain",
			                "cannot bind vcpu%u's event channel (port %u)", v,
			                (unsigned)remote);
			goto out;
		}
		be->vcpu_port[v] = (evtchn_port_t)local;
		be->by_port[v].port = (evtchn_port_t)local;
		be->by_port[v].vcpu = v;
		be->nr_bound = v + 1;
	}

	if (be->buffered) {
		/* NULL gfns: we have the pages as a resource, Xen need not map them. */
		if (xendevicemodel_get_ioreq_server_info(
		        be->dmod, (domid_t)be->domid, be->id, NULL, NULL, &remote) < 0) {
			rc = setup_fail(be->domid, "xendevicemodel_get_ioreq_server_info",
			                "cannot find the buffered ring's event channel");
			goto out;
		}
		local = xenevtchn_bind_interdomain(be->xce, be->domid, remote);
		if (local < 0) {
			rc = setup_fail(be->domid, "xenevtchn_bind_interdomain",
			                "cannot bind the buffered ring's event channel "
			                "(port %u)",
			                (unsigned)remote);
			goto out;
		}
		be->buf_port = (evtchn_port_t)local;
		be->buf_bound = true;
	}
out:
	/* pending() looks ports up by binary search over what is bound. */
	qsort(be->by_port, be->nr_bound, sizeof(*be->by_port), port_cmp);
	return rc;
}

/* ---- ranges ------------------------------------------------------------------------ */

static struct pci_claim *pci_find(struct xen_be *be, uint32_t sbdf)
{
	for (unsigned i = 0; i < be->nr_pci; i++)
		if (be->pci[i].sbdf == sbdf)
			return &be->pci[i];
	return NULL;
}

/*
 * Xen claims PCI config space per SBDF and refuses a second claim of the same
 * one, while several of our ranges may sit in one SBDF: count them, map the
 * SBDF with the first and unmap it with the last.
 */
static int map_pci(struct xen_be *be, uint64_t base, uint64_t last, bool map)
{
	uint32_t sbdf = ioreqd_pci_sbdf(base);
	struct ioreqd_pci_addr a;
	struct pci_claim *c = pci_find(be, sbdf);

	if (ioreqd_pci_sbdf(last) != sbdf) {
		log_warnx("domain %u: PCI config range 0x%" PRIx64 "-0x%" PRIx64
		          " spans more than one PCI function; give each function's "
		          "config space its own range",
		          be->domid, base, last);
		return -EINVAL;
	}
	ioreqd_pci_decode(base, &a);
	if (!map) {
		if (!c)
			return -ENOENT;
		if (--c->refs > 0)
			return 0;
		*c = be->pci[--be->nr_pci];
		if (xendevicemodel_unmap_pcidev_from_ioreq_server(
		        be->dmod, (domid_t)be->domid, be->id, a.seg, a.bus, a.dev, a.fn) <
		    0)
			return teardown_fail(
			    be, "xendevicemodel_unmap_pcidev_from_ioreq_server",
			    "cannot release PCI device %04x:%02x:%02x.%u", a.seg, a.bus,
			    a.dev, a.fn);
		return 0;
	}
	if (c) {
		c->refs++;
		return 0;
	}
	c = realloc(be->pci, (be->nr_pci + 1) * sizeof(*be->pci));
	if (!c) {
		log_warnx(
		    "domain %u: out of memory claiming PCI device %04x:%02x:%02x.%u",
		    be->domid, a.seg, a.bus, a.dev, a.fn);
		return -ENOMEM;
	}
	be->pci = c;
	if (xendevicemodel_map_pcidev_to_ioreq_server(
	        be->dmod, (domid_t)be->domid, be->id, a.seg, a.bus, a.dev, a.fn) < 0)
		return ioreqd_xen_fail(be->domid,
		                       "xendevicemodel_map_pcidev_to_ioreq_server",
		                       "cannot claim PCI device %04x:%02x:%02x.%u", a.seg,
		                       a.bus, a.dev, a.fn);
	be->pci[be->nr_pci].sbdf = sbdf;
	be->pci[be->nr_pci].refs = 1;
	be->nr_pci++;
	return 0;
}

static int xen_map_range(void *priv, enum ioreqd_space space, uint64_t base,
                         uint64_t last, bool map)
{
	struct xen_be *be = priv;
	int is_mmio, rc;

	if (base > last)
		return -EINVAL;
	switch (space) {
	case IOREQD_SPACE_PIO:
		is_mmio = 0;
		break;
	case IOREQD_SPACE_MMIO:
		is_mmio = 1;
		break;
	case IOREQD_SPACE_PCI:
		return map_pci(be, base, last, map);
	default:
		return -EINVAL;
	}
	if (map)
		rc = xendevicemodel_map_io_range_to_ioreq_server(
		    be->dmod, (domid_t)be->domid, be->id, is_mmio, base, last);
	else
		rc = xendevicemodel_unmap_io_range_from_ioreq_server(
		    be->dmod, (domid_t)be->domid, be->id, is_mmio, base, last);
	if (rc < 0 && !map && teardown_expected(be, errno ? errno : EIO)) {
		/* Unclaiming after the domain went: its server and ranges are gone too.
		 */
		rc = teardown_fail(be, "xendevicemodel_unmap_io_range_from_ioreq_server",
		                   "cannot release %s range 0x%" PRIx64 "-0x%" PRIx64,
		                   is_mmio ? "mmio" : "pio", base, last);
	} else if (rc < 0) {
		rc = ioreqd_xen_fail(
		    be->domid,
		    map ? "xendevicemodel_map_io_range_to_ioreq_server"
		        : "xendevicemodel_unmap_io_range_from_ioreq_server",
		    "cannot %s %s range 0x%" PRIx64 "-0x%" PRIx64 "%s",
		    map ? "claim" : "release", is_mmio ? "mmio" : "pio", base, last,
		    map && errno == EEXIST ? "; another ioreq server already claims it"
		                           : "");
	}
	return rc;
}

/* ---- events ---------------------------------------------------------------------- */

static unsigned xen_nr_fds(void *priv)
{
	return 2;
}

static int xen_fd(void *priv, unsigned idx)
{
	struct xen_be *be = priv;

	if (idx == 1)
		return be->restricted ? be->probe_fd : be->watch_fd;
	return idx == 0 ? be->evtchn_fd : -1;
}

static const struct port_map *port_lookup(const struct xen_be *be, evtchn_port_t port)
{
	struct port_map key = {.port = port};

	if (!be->by_port)
		return NULL;
	return bsearch(&key, be->by_port, be->nr_bound, sizeof(key), port_cmp);
}

static int evtchn_pending_cb(struct xen_be *be,
                             void (*fn)(void *, enum ioreqd_backend_event, unsigned),
                             void *arg)
{
	uint64_t woke = ioreqd_latency_on(&be->lat) ? ioreqd_now_ns() : 0;
	xenevtchn_port_or_error_t port;
	const struct port_map *pm;
	int rc = 0;

	/* One read per readiness: the fd may block, and the loop calls again. */
	port = xenevtchn_pending(be->xce);
	if (port < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return ioreqd_xen_fail(be->domid, "xenevtchn_pending",
		                       "cannot read which event channel fired");
	}
	/*
	 * The driver masked the port when it delivered it.  Unmask before
	 * handling, so a notification sent while we work is not lost.
	 */
	if (xenevtchn_unmask(be->xce, (evtchn_port_t)port) < 0)
		rc = ioreqd_xen_fail(be->domid, "xenevtchn_unmask",
		                     "cannot unmask event channel port %d", (int)port);

	/* Report the event even then: its vCPU waits for an answer. */
	if (be->buf_bound && (evtchn_port_t)port == be->buf_port) {
		fn(arg, IOREQD_BE_EV_BUFFERED, 0);
	} else if ((pm = port_lookup(be, (evtchn_port_t)port)) != NULL) {
		/* A completion inside fn() is one round trip: notify() records it. */
		if (woke) {
			be->lat_woke = woke;
			be->lat_slot = ioreqd_now_ns();
			be->lat_vcpu = (int)pm->vcpu;
		}
		fn(arg, IOREQD_BE_EV_VCPU, pm->vcpu);
		be->lat_vcpu = -1;
	} else {
		ioreqd_log_rl(&be->rl_io, LOG_LEVEL_WARN,
		              "domain %u: event on port %d, which is not ours; ignored",
		              be->domid, (int)port);
	}
	return rc;
}

static int xen_pending(void *priv, unsigned idx,
                       void (*fn)(void *arg, enum ioreqd_backend_event ev, unsigned vcpu),
                       void *arg)
{
	struct xen_be *be = priv;

	if (idx == 0)
		return evtchn_pending_cb(be, fn, arg);
	if (idx == 1 && be->restricted)
		return ioreqd_xen_probe_pending(be, fn, arg);
	if (idx == 1)
		return ioreqd_xen_watch_pending(be, fn, arg);
	return -EINVAL;
}

/*
 * One look (backend.h: look).  The event channel is left alone: the event Xen
 * sent for a request found here stays queued in the evtchn driver (which
 * masked the port when it queued it; a second event on it meanwhile only sets
 * the pending bit).  The loop reads it with xenevtchn_pending() and unmasks it
 * as usual, once per port, and the engine finds the slot no longer READY.
 */
static int xen_look(void *priv,
                    void (*fn)(void *arg, enum ioreqd_backend_event ev, unsigned vcpu),
                    void *arg)
{
	struct xen_be *be = priv;
	volatile buffered_iopage_t *bp = be->buf;

	if (!be->sync)
		return 0;
	for (unsigned v = 0; v < be->nr_bound; v++) {
		volatile ioreq_t *slot = &be->sync->vcpu_ioreq[v];

		if (slot->state != STATE_IOREQ_READY)
			continue;
		/*
		 * Read barrier: Xen wrote the slot's fields before it set READY;
		 * every read of them (the engine's) must come after this read of
		 * the state.
		 */
		xen_rmb();
		/*
		 * latency_stats: taken before its event was read, so its wait
		 * for the event channel is 0.
		 */
		if (ioreqd_latency_on(&be->lat)) {
			be->lat_woke = be->lat_slot = ioreqd_now_ns();
			be->lat_vcpu = (int)v;
		}
		fn(arg, IOREQD_BE_EV_VCPU_POLLED, v);
		be->lat_vcpu = -1;
		return 1;
	}
	if (bp && bp->read_pointer != bp->write_pointer) {
		/*
		 * Read barrier: Xen wrote the entries before it advanced
		 * write_pointer; the drain reads them after this read.
		 */
		xen_rmb();
		fn(arg, IOREQD_BE_EV_BUFFERED, 0);
		return 1;
	}
	return 0;
}

static int xen_notify(void *priv, unsigned vcpu)
{
	struct xen_be *be = priv;
	uint64_t done = 0;
	int err;

	if (vcpu >= be->nr_bound)
		return -EINVAL;
	/* Only the request pending() is answering; a deferred one is not timed. */
	if (be->lat_vcpu == (int)vcpu)
		done = ioreqd_now_ns();
	if (xenevtchn_notify(be->xce, be->vcpu_port[vcpu]) < 0) {
		err = errno ? errno : EIO;
		ioreqd_log_rl(&be->rl_io, LOG_LEVEL_WARN,
		              "domain %u vcpu%u: cannot tell the vCPU its access is done "
		              "(xenevtchn_notify on port %u: %s)",
		              be->domid, vcpu, (unsigned)be->vcpu_port[vcpu],
		              strerror(err));
		return -err;
	}
	if (done) {
		ioreqd_latency_add(&be->lat, be->lat_woke, be->lat_slot, done,
		                   ioreqd_now_ns());
		be->lat_vcpu = -1;
	}
	return 0;
}

/* ---- guest memory --------------------------------------------------------------------
 */

static int xen_guest_read(void *priv, uint64_t gpa, void *buf, size_t len)
{
	struct xen_be *be = priv;

	return ioreqd_xen_mapcache_copy(&be->mc, gpa, buf, len, false);
}

static int xen_guest_write(void *priv, uint64_t gpa, const void *buf, size_t len)
{
	struct xen_be *be = priv;

	return ioreqd_xen_mapcache_copy(&be->mc, gpa, (void *)buf, len, true);
}

static int xen_map(void *priv, uint64_t gpa, uint64_t len, bool write, void **hva,
                   uintptr_t *token)
{
	struct xen_be *be = priv;

	return ioreqd_xen_dma_map(&be->mc, gpa, len, write, hva, token);
}

static void xen_unmap(void *priv, void *hva, uint64_t len, uintptr_t token)
{
	struct xen_be *be = priv;

	ioreqd_xen_dma_unmap(&be->mc, hva, len, token);
}

static void xen_stats(void *priv,
                      void (*emit)(void *ctx, const char *group, const char *name,
                                   uint64_t value),
                      void *ctx)
{
	struct xen_be *be = priv;

	ioreqd_xen_mapcache_stats(&be->mc, emit, ctx);
	ioreqd_latency_report(&be->lat, emit, ctx);
}

static void xen_invalidate(void *priv)
{
	struct xen_be *be = priv;

	ioreqd_xen_mapcache_invalidate(&be->mc);
}

/* ---- vCPU state ----------------------------------------------------------------------
 */

/* libxenctrl talks through libxencall, which restrict_all turns into /dev/null. */
static int ctx_restricted(struct xen_be *be, unsigned vcpu)
{
	ioreqd_log_rl(&be->rl_ctx, LOG_LEVEL_WARN,
	              "domain %u vcpu%u: vCPU state is unavailable once the daemon "
	              "is confined to the domain (--restrict: "
	              "xentoolcore_restrict_all closes libxenctrl); run without "
	              "--restrict for hooks that read or write registers",
	              be->domid, vcpu);
	return -EPERM;
}

static int xen_get_ip(void *priv, unsigned vcpu, uint64_t *ip)
{
	struct xen_be *be = priv;

	*ip = 0;
	if (be->restricted)
		return ctx_restricted(be, vcpu);
	return ioreqd_xen_ctx_get_ip(be->xch, be->domid, vcpu, ip);
}

static int xen_vcpu_get(void *priv, unsigned vcpu, struct ioreqd_vcpu_regs *regs)
{
	struct xen_be *be = priv;

	if (be->restricted) {
		memset(regs, 0, sizeof(*regs));
		return ctx_restricted(be, vcpu);
	}
	return ioreqd_xen_ctx_get(be->xch, be->domid, vcpu, regs);
}

static int xen_vcpu_set(void *priv, unsigned vcpu, const struct ioreqd_vcpu_regs *regs)
{
	struct xen_be *be = priv;

	if (be->restricted)
		return ctx_restricted(be, vcpu);
	return ioreqd_xen_ctx_set(be->xch, be->domid, vcpu, regs);
}

/* The data part: the engine and the hooks' host services call these directly. */
const struct ioreqd_guest_ops ioreqd_backend_xen_guest = {
    .notify = xen_notify,
    .guest_read = xen_guest_read,
    .guest_write = xen_guest_write,
    .invalidate = xen_invalidate,
    .map = xen_map,
    .unmap = xen_unmap,
    .irq_set_level = ioreqd_xen_irq_set_level,
    .pci_intx_set_level = ioreqd_xen_pci_intx_set_level,
    .inject_msi = ioreqd_xen_inject_msi,
    .get_ip = xen_get_ip,
    .vcpu_get = xen_vcpu_get,
    .vcpu_set = xen_vcpu_set,
};

static int xen_modified_memory(void *priv, const struct ioreqd_dirty_run *runs,
                               unsigned n)
{
	struct xen_be *be = priv;

	return ioreqd_xen_modified_memory(be->dmod, be->domid, runs, n);
}

const struct ioreqd_backend_ops ioreqd_backend_xen = {
    .name = "xen",
    .caps = IOREQD_BE_CAP_XENSTORE,
    .guest = &ioreqd_backend_xen_guest,
    .open = xen_open,
    .map_pages = xen_map_pages,
    .enable = xen_enable,
    .nr_vcpus = xen_nr_vcpus,
    .bind = xen_bind,
    .map_range = xen_map_range,
    .nr_fds = xen_nr_fds,
    .fd = xen_fd,
    .pending = xen_pending,
    .look = xen_look,
    .irq_check = ioreqd_xen_irq_check,
    .publish = ioreqd_xen_publish,
    .restrict_domain = ioreqd_xen_restrict_domain,
    .stats = xen_stats,
    .modified_memory = xen_modified_memory,
    .close = xen_close,
};
