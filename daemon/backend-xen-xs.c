/* SPDX-License-Identifier: MIT */
/*
 * The Xen backend's xenstore side and the domain's life: the @releaseDomain
 * watch that tells us when the domain dies and, once the daemon is confined
 * (xentoolcore_restrict_all closes xenstore), the periodic probe of our own
 * ioreq server that replaces it; publishing device state under
 * /local/domain/0/ioreqd/<domid>/; and the confinement itself.
 */
#include "backend-xen.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <xenstore.h>
#include <xentoolcore.h>

#include "log.h"

/* @return true if the domain is gone, dying, or shut down for good. */
static bool domain_gone(struct xen_be *be)
{
	xc_domaininfo_t info;
	unsigned reason;
	int n;

	/*
	 * getinfolist works on every Xen from 4.2 on (getinfo went in 4.18).
	 * It returns the first domain at or after domid, so check which.
	 */
	memset(&info, 0, sizeof(info));
	n = xc_domain_getinfolist(be->xch, be->domid, 1, &info);
	if (n < 0) {
		ioreqd_xen_fail(be->domid, "xc_domain_getinfolist",
		                "cannot tell whether the domain is still alive");
		return false;
	}
	if (n == 0 || info.domain != be->domid) {
		log_info("domain %u is gone", be->domid);
		return true;
	}
	if (info.flags & XEN_DOMINF_dying) {
		log_info("domain %u is dying", be->domid);
		return true;
	}
	if (info.flags & XEN_DOMINF_shutdown) {
		reason =
		    (info.flags >> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask;
		/* A suspended domain may be resumed (checkpoint): keep serving. */
		if (reason == SHUTDOWN_suspend)
			return false;
		log_info("domain %u shut down (%s, reason %u)", be->domid,
		         reason == SHUTDOWN_poweroff ? "powered off"
		         : reason == SHUTDOWN_reboot ? "rebooting"
		         : reason == SHUTDOWN_crash  ? "crashed"
		                                     : "not a power-off, reboot or crash",
		         reason);
		return true;
	}
	return false;
}

int ioreqd_xen_watch_pending(struct xen_be *be,
                             void (*fn)(void *, enum ioreqd_backend_event, unsigned),
                             void *arg)
{
	unsigned events = 0;
	char **w;

	/*
	 * xs_check_watch never blocks (xs_read_watch would on a wakeup with
	 * nothing queued): drain everything queued, then look at the domain
	 * once.  @releaseDomain fires for any domain, so it is only a hint.
	 */
	errno = 0;
	while ((w = xs_check_watch(be->xsh)) != NULL) {
		free(w);
		events++;
		errno = 0;
	}
	if (errno != EAGAIN && errno != 0)
		return ioreqd_xen_fail(be->domid, "xs_check_watch",
		                       "cannot read the xenstore watch");
	if (events && domain_gone(be)) {
		be->gone = true; /* the teardown that follows will find Xen's side gone */
		fn(arg, IOREQD_BE_EV_DOMAIN_GONE, 0);
	}
	return 0;
}

/*
 * The confined daemon's substitute for the watch, on every tick of probe_fd.
 * domain_kill() destroys the domain's ioreq servers first thing
 * (ioreq_server_destroy_all), while our foreign mappings keep the dying
 * domain itself alive: so ask for our server, a dm_op that restrict_all
 * still allows for this domain.  ENOENT: the server is gone; ESRCH: the
 * domain is.  A shut-down domain that is not destroyed yet still has its
 * server and goes unnoticed until the toolstack destroys it.
 */
int ioreqd_xen_probe_pending(struct xen_be *be,
                             void (*fn)(void *, enum ioreqd_backend_event, unsigned),
                             void *arg)
{
	uint64_t ticks;
	int err;

	/* Consume the expirations: the fd is level-triggered and non-blocking. */
	if (read(be->probe_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN &&
	    errno != EINTR)
		return ioreqd_xen_fail(be->domid, "read(timerfd)",
		                       "cannot read the timer that checks the domain is "
		                       "alive");
	if (be->gone)
		return 0;
	if (xendevicemodel_get_ioreq_server_info(be->dmod, (domid_t)be->domid, be->id,
	                                         NULL, NULL, NULL) == 0)
		return 0;
	err = errno ? errno : EIO;
	if (err != ENOENT && err != ESRCH) {
		ioreqd_log_rl(&be->rl_io, LOG_LEVEL_WARN,
		              "domain %u: cannot tell whether the domain is alive "
		              "(xendevicemodel_get_ioreq_server_info: %s)",
		              be->domid, strerror(err));
		return 0;
	}
	log_info("domain %u is %s", be->domid,
	         err == ESRCH ? "gone" : "dying (its ioreq server was destroyed)");
	be->gone = true;
	fn(arg, IOREQD_BE_EV_DOMAIN_GONE, 0);
	return 0;
}

/* A key is one or more '/'-separated names of [A-Za-z0-9_.-], none "." or "..". */
static bool key_valid(const char *key)
{
	size_t seg = 0;
	bool dots = true;

	if (!*key || strlen(key) > 128)
		return false;
	for (const char *p = key;; p++) {
		if (*p == '/' || *p == '\0') {
			if (seg == 0 || (dots && seg <= 2))
				return false;
			if (*p == '\0')
				return true;
			seg = 0;
			dots = true;
			continue;
		}
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && *p != '_' && *p != '-' && *p != '.')
			return false;
		dots = dots && *p == '.';
		seg++;
	}
}

int ioreqd_xen_publish(void *priv, const char *key, const char *value)
{
	struct xen_be *be = priv;
	char path[256];

	if (!key_valid(key)) {
		log_warnx("domain %u: cannot publish '%s' in xenstore: a key is one or "
		          "more names made of letters, digits, '_', '-' and '.', joined "
		          "by '/'",
		          be->domid, key);
		return -EINVAL;
	}
	if (be->restricted || !be->xsh) {
		log_warnx("domain %u: cannot publish %s: xenstore is closed once the "
		          "daemon is confined to the domain (--restrict)",
		          be->domid, key);
		return -EPERM;
	}
	snprintf(path, sizeof(path), "/local/domain/%u/ioreqd/%u/%s", BACKEND_DOMID,
	         be->domid, key);
	if (!xs_write(be->xsh, XBT_NULL, path, value, (unsigned)strlen(value)))
		return ioreqd_xen_fail(be->domid, "xs_write",
		                       "cannot write %s in xenstore", path);
	be->published = true;
	return 0;
}

/*
 * Confine every handle to the domain.  xentoolcore_restrict_all() turns the
 * xenstore connection into /dev/null: the watch could never fire again, and
 * its pipe, still in the daemon's loop, would stay readable (it held the
 * watch's first event) and spin the loop at 100% of a CPU.  So close
 * xenstore first, while that is still a clean exchange with xenstored (its
 * reader thread is cancelled here, outside any chroot), and put a periodic
 * probe in its place: fd(1) changes, and the daemon re-reads it.
 */
int ioreqd_xen_restrict_domain(void *priv)
{
	struct xen_be *be = priv;
	struct itimerspec its = {
	    .it_interval = {.tv_sec = PROBE_INTERVAL_S},
	    .it_value = {.tv_sec = PROBE_INTERVAL_S},
	};

	if (be->restricted)
		return 0;
	be->probe_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (be->probe_fd < 0)
		return ioreqd_xen_fail(be->domid, "timerfd_create",
		                       "cannot create the timer that checks the domain "
		                       "is alive");
	if (timerfd_settime(be->probe_fd, 0, &its, NULL) < 0)
		return ioreqd_xen_fail(be->domid, "timerfd_settime",
		                       "cannot start the timer that checks the domain "
		                       "is alive");
	if (be->xsh) {
		if (!xs_unwatch(be->xsh, WATCH_PATH, WATCH_TOKEN))
			log_debug("%s: xs_unwatch: %s (domain %u)", __func__,
			          strerror(errno), be->domid);
		xs_close(be->xsh);
		be->xsh = NULL;
		be->watch_fd = -1;
	}
	ioreqd_xen_mapcache_confine(&be->mc);
	if (xentoolcore_restrict_all((domid_t)be->domid) < 0)
		return ioreqd_xen_fail(be->domid, "xentoolcore_restrict_all",
		                       "cannot confine the daemon to the domain");
	be->restricted = true;
	log_info("domain %u: confined to the domain: vCPU state and xenstore are no "
	         "longer available; the domain's death is noticed within %d s",
	         be->domid, PROBE_INTERVAL_S);
	return 0;
}
