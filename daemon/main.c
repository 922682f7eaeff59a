/* SPDX-License-Identifier: MIT */
/*
 * ioreqd: serve one Xen guest's trapped I/O through configured device hooks.
 *
 * main() is the setup sequence and its exact mirror.  Configuration problems
 * (the file, its hooks, their keys, overlapping ranges, a hook refusing its
 * settings) are found before the hypervisor is touched and exit with 78
 * (EX_CONFIG); the backend is then set up in Xen's order (create, map, enable,
 * bind, claim ranges), the loop serves until a signal or the domain's death,
 * and teardown completes every pending access before the server goes away.
 */
#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "devstate.h"
#include "xlargs.h"

/* The guest moved its RTC: nothing to do but say so (rate-limited). */
static void daemon_timeoffset_cb(void *opaque, int64_t delta)
{
	struct ioreqd_daemon *d = opaque;

	/* The guest sets its RTC as often as it likes: one line per change would
	 * let it fill the log at -vv. */
	ioreqd_log_rl(&d->rl_guest, LOG_LEVEL_DEBUG,
	              "%s: d%u: guest RTC offset changed by %lld s", __func__,
	              d->opts.domid, (long long)delta);
}

/* The guest's p2m changed: devices drop the mappings they cache. */
static void daemon_invalidate_cb(void *opaque)
{
	struct ioreqd_daemon *d = opaque;

	ioreqd_dm_invalidate(d->dm);
}

/* The engine calls the backend's data part directly; these are the daemon's. */
static const struct ioreqd_engine_ops engine_ops = {
    .timeoffset = daemon_timeoffset_cb,
    .deferred = ioreqd_engine_deferred_cb,
    .invalidate = daemon_invalidate_cb,
    .guest_written = ioreqd_daemon_guest_written,
};

/* The device set's one control call: claim or release a range. */
static int dm_map_range(void *opaque, enum ioreqd_space space, uint64_t base,
                        uint64_t last, bool on)
{
	struct ioreqd_daemon *d = opaque;

	if (!d->be_open)
		return -EAGAIN;
	return d->be->map_range(d->be_priv, space, base, last, on);
}

/* A hook's state changed in a way a checkpoint keeps. */
static void dm_state_changed(void *opaque, ioreqd_dev_t *dev)
{
	(void)dev;
	ioreqd_checkpoint_changed(opaque);
}

static const struct ioreqd_dm_ops dm_ops = {
    .map_range = dm_map_range,
    .state_changed = dm_state_changed,
};

static int setup_config(struct ioreqd_daemon *d)
{
	char err[IOREQD_CFG_ERRLEN];
	int rc;

	rc = ioreqd_cfg_load(d->opts.config, &d->cfg, err, sizeof(err));
	if (rc < 0) {
		/* The loader names the file and says what is wrong with it. */
		if (!err[0])
			snprintf(err, sizeof(err), "%s: %s", d->opts.config,
			         strerror(-rc));
		if (rc == -EINVAL)
			log_errx("%s", err);
		else
			log_errx("%s (check the path given with -c)", err);
		return IOREQD_EX_CONFIG;
	}
	/* A file without devices is most likely the wrong file: say so, do not serve
	 * nothing. */
	if (d->cfg->nr_devs == 0) {
		log_errx("%s: no [device NAME] section: there is nothing to serve (see "
		         "ioreqd.conf(5) and the examples in etc/ or "
		         "/usr/share/doc/ioreqd/examples)",
		         d->opts.config);
		return IOREQD_EX_CONFIG;
	}
	if (d->cfg->log_level > d->opts.verbosity)
		ioreqd_log_set_verbosity(d->cfg->log_level);
	if (d->opts.have_poll_us)
		d->cfg->poll_us = d->opts.poll_us;
	d->base = event_base_new();
	d->dm = ioreqd_dm_new(d->opts.domid, &ioreqd_daemon_host, &dm_ops, d);
	if (!d->base || !d->dm)
		fatalx("out of memory for the event base or the device model");
	d->bus = ioreqd_dm_bus(d->dm);
	rc = ioreqd_loader_load_all(d, err, sizeof(err));
	if (rc < 0) {
		log_errx("%s", err);
		return IOREQD_EX_CONFIG;
	}
	rc = ioreqd_dm_build(d->dm, err, sizeof(err));
	if (rc < 0) {
		log_errx("%s", err);
		return IOREQD_EX_CONFIG;
	}
	rc = ioreqd_dm_init(d->dm);
	if (rc < 0)
		return rc == -EINVAL ? IOREQD_EX_CONFIG : IOREQD_EX_FAIL;
	return IOREQD_EX_OK;
}

/* Every device's interrupt must exist in the guest before we serve it. */
static int check_irqs(struct ioreqd_daemon *d)
{
	int rc;

	if (!d->be->irq_check)
		return 0;
	for (unsigned i = 0; i < ioreqd_dm_nr_devs(d->dm); i++) {
		const struct ioreqd_dev *dev = ioreqd_dm_dev(d->dm, i);

		if (dev->disabled || dev->cfg->irq < 0)
			continue;
		rc = d->be->irq_check(d->be_priv, (unsigned)dev->cfg->irq);
		if (rc < 0) {
			log_errx("%s:%u: device %s: irq = %d cannot reach domain %u",
			         d->cfg->path, dev->cfg->irq_line, dev->cfg->name,
			         dev->cfg->irq, d->opts.domid);
			return rc;
		}
	}
	return 0;
}

/* Does a device say the guest may use grants for DMA (virtio's grant_usage)? */
static bool grants_in_use(const struct ioreqd_cfg *cfg)
{
	for (unsigned i = 0; i < cfg->nr_devs; i++) {
		const char *g = ioreqd_cfg_dev_get(&cfg->devs[i], "grant_usage", NULL);

		if (g && strcmp(g, "0") != 0)
			return true;
	}
	return false;
}

static int setup_backend(struct ioreqd_daemon *d)
{
	char sim_path[108];
	struct ioreqd_backend_args args = {
	    .domid = d->opts.domid,
	    .buffered = d->cfg->buffered,
	    .grants = grants_in_use(d->cfg),
	    .latency = d->cfg->latency_stats,
	};
	int rc;

	d->be = ioreqd_backend_find(d->opts.backend);
	if (!d->be) {
		log_errx("backend '%s' is not built into this ioreqd", d->opts.backend);
		return -ENOENT;
	}
	if (d->be->caps & IOREQD_BE_CAP_SOCKET) {
		/* options.c filled in the default. */
		snprintf(sim_path, sizeof(sim_path), "%s", d->opts.sim_socket);
		args.sim_path = sim_path;
		args.sim_wait_ms = d->opts.sim_wait_s * 1000;
	}
	rc = d->be->open(&d->be_priv, &args);
	if (rc < 0)
		return rc;
	d->be_open = true;
	rc = check_irqs(d);
	if (rc < 0)
		return rc;
	rc = d->be->map_pages(d->be_priv, &d->sync_page,
	                      d->cfg->buffered ? &d->buf_page : NULL);
	if (rc < 0)
		return rc;
	/*
	 * --resume: the saved state goes in before the server is enabled, so
	 * the guest never sees the fresh one.  A moved BAR is re-claimed on the
	 * bus here, and from the hypervisor with the other ranges below.
	 */
	if (d->resume_buf) {
		char msg[IOREQD_DEVSTATE_MSGLEN];

		rc = ioreqd_daemon_load_buf(d, d->opts.resume_file, d->resume_buf,
		                            d->resume_len, msg, sizeof(msg));
		if (rc < 0) {
			log_errx(
			    "--resume %s; not serving domain %u, which stays as it is "
			    "(paused, if it was)",
			    msg, d->opts.domid);
			return rc;
		}
	}
	rc = d->be->enable(d->be_priv, true);
	if (rc < 0)
		return rc;
	d->be_enabled = true;
	rc = d->be->nr_vcpus(d->be_priv, &d->nr_vcpus);
	if (rc < 0)
		return rc;
	if (d->nr_vcpus == 0 || d->nr_vcpus > IOREQD_MAX_VCPUS) {
		log_errx("domain %u has %u vCPUs; ioreqd serves 1 to %u", d->opts.domid,
		         d->nr_vcpus, IOREQD_MAX_VCPUS);
		return -ERANGE;
	}
	rc = d->be->bind(d->be_priv, d->nr_vcpus);
	if (rc < 0)
		return rc;
	d->engine = ioreqd_dm_engine_new(d->dm, d->sync_page, d->nr_vcpus, d->be->guest,
	                                 d->be_priv, &engine_ops, d);
	if (!d->engine)
		return -ENOMEM;
	rc = ioreqd_dm_map(d->dm);
	if (rc < 0)
		return rc;
	return ioreqd_loop_setup(d);
}

static int write_pidfile(struct ioreqd_daemon *d, const char *path)
{
	FILE *fp = fopen(path, "w");

	if (!fp) {
		log_err("cannot write the pidfile %s", path);
		return -errno;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0) {
		log_err("cannot write the pidfile %s", path);
		unlink(path);
		return -EIO;
	}
	return ioreqd_runfiles_add(&d->runfiles, path);
}

/*
 * Announce readiness, then confine: once xentoolcore_restrict_all() has run,
 * xenstore and libxenctrl handles are dead, so the state must be written first.
 */
static int go_live(struct ioreqd_daemon *d)
{
	bool drop = d->opts.chroot_dir || d->opts.user || d->opts.group;
	int rc;

	if (d->opts.pidfile) {
		rc = write_pidfile(d, d->opts.pidfile);
		if (rc < 0)
			return rc;
	}
	if (d->be->publish)
		d->be->publish(d->be_priv, "state", "running");
	if (d->opts.restrict_domain) {
		if (!d->be->restrict_domain) {
			log_errx("--restrict: the %s backend cannot confine its handles "
			         "(leave "
			         "--restrict out)",
			         d->be->name);
			return -ENOTSUP;
		}
		rc = d->be->restrict_domain(d->be_priv);
		if (rc < 0)
			return rc;
		rc = ioreqd_loop_refresh_fds(d);
		if (rc < 0)
			return rc;
	}
	if (drop || d->opts.seccomp != IOREQD_SECCOMP_OFF) {
		struct ioreqd_privdrop_opts po = {
		    .chroot_dir = d->opts.chroot_dir,
		    .user = d->opts.user,
		    .group = d->opts.group,
		    .seccomp = d->opts.seccomp,
		};

		/*
		 * From here on the daemon cannot remove its pidfile and socket
		 * (another root, another user, or no unlink under seccomp): a
		 * helper that keeps today's view does it at exit.
		 */
		rc = ioreqd_runfiles_guard(&d->runfiles);
		if (rc < 0)
			return rc;
		d->confined = true;
		/* Verifies that setuid(0) fails afterwards; refuses to go on if not. */
		rc = ioreqd_privdrop(&po);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct ioreqd_daemon d;
	int ex = IOREQD_EX_FAIL;
	bool started = false; /* got as far as the hypervisor */
	int rc;

	memset(&d, 0, sizeof(d));
	d.rl_guest = (struct ioreqd_ratelimit)IOREQD_RATELIMIT_INIT(10, 2);
	d.lock_fd = -1;
	rc = ioreqd_opts_parse(&d.opts, argc, argv);
	if (rc != 0) {
		ioreqd_opts_dispose(&d.opts);
		return rc > 0 ? IOREQD_EX_OK : IOREQD_EX_USAGE;
	}
	/* Detached, stderr is /dev/null: without --log, messages go to syslog. */
	if (!d.opts.log_explicit && !d.opts.foreground && !d.opts.check_only &&
	    !d.opts.stats_query && !d.opts.save_file && !d.opts.load_file)
		d.opts.use_syslog = true;
	ioreqd_log_init("ioreqd",
	                d.opts.use_syslog ? IOREQD_LOG_TO_SYSLOG : IOREQD_LOG_TO_STDERR,
	                d.opts.verbosity);
	ioreqd_detach_prepare(&d);
	if (d.opts.list_hooks) {
		ex =
		    ioreqd_hooklist_print(&d, stdout) < 0 ? IOREQD_EX_FAIL : IOREQD_EX_OK;
		ioreqd_opts_dispose(&d.opts);
		return ex;
	}
	if (d.opts.watch) {
		ex = ioreqd_watch_main(&d);
		ioreqd_opts_dispose(&d.opts);
		return ex;
	}
	if (d.opts.stats_query || d.opts.save_file || d.opts.load_file) {
		const struct ioreqd_backend_ops *be = ioreqd_backend_find(d.opts.backend);
		char path[108];

		if (ioreqd_control_path(path, sizeof(path), d.opts.control,
		                        be ? be->caps : 0, d.opts.sim_socket,
		                        d.opts.domid) < 0) {
			fprintf(stderr, "ioreqd: error: control socket path too long\n");
			ex = IOREQD_EX_USAGE;
		} else if (d.opts.stats_query) {
			ex = ioreqd_control_query(path, d.opts.stats_json, stdout) < 0
			         ? IOREQD_EX_FAIL
			         : IOREQD_EX_OK;
		} else {
			ex = ioreqd_control_state(path, d.opts.save_file != NULL,
			                          d.opts.save_file ? d.opts.save_file
			                                           : d.opts.load_file,
			                          stdout) < 0
			         ? IOREQD_EX_FAIL
			         : IOREQD_EX_OK;
		}
		ioreqd_opts_dispose(&d.opts);
		return ex;
	}
	if (d.opts.xl) {
		log_info("started by xl for domain %u (%s mode)", d.opts.domid,
		         ioreqd_xlargs_mode_name(d.opts.xl->mode));
		for (unsigned i = 0; i < d.opts.xl->nr_ignored; i++)
			log_debug("%s: ignoring device-model option %s", __func__,
			          d.opts.xl->ignored[i]);
	}

	ex = setup_config(&d);
	if (ex != IOREQD_EX_OK)
		goto out;
	/* Read now, before confinement and the hypervisor; checked when loaded. */
	if (d.opts.resume_file) {
		char msg[IOREQD_DEVSTATE_MSGLEN];

		/* Started by libxl to restore: the state comes from -incoming. */
		if ((d.opts.xl ? ioreqd_xl_read_incoming(d.opts.xl, &d.resume_buf,
		                                         &d.resume_len, msg, sizeof(msg))
		               : ioreqd_devstate_read_file(d.opts.resume_file,
		                                           &d.resume_buf, &d.resume_len,
		                                           msg, sizeof(msg))) < 0) {
			log_errx("--resume %s", msg);
			ex = IOREQD_EX_CONFIG;
			goto out;
		}
		if (ioreqd_devstate_check(d.dm, d.resume_buf, d.resume_len, msg,
		                          sizeof(msg)) < 0) {
			log_errx("--resume %s: %s", d.opts.resume_file, msg);
			ex = IOREQD_EX_CONFIG;
			goto out;
		}
	}
	if (d.opts.check_only) {
		printf("%s: configuration OK: %u device(s)\n", d.opts.config,
		       ioreqd_dm_nr_devs(d.dm));
		goto out;
	}
	ex = IOREQD_EX_FAIL;
	started = true;
	/* Before the backend exists (detach.c says why); the parent waits for the
	 * verdict. */
	if (ioreqd_detach(&d) < 0)
		goto out;
	/* One daemon per domain: before the hypervisor is touched. */
	if (ioreqd_instance_lock(&d) < 0)
		goto out;
	if (setup_backend(&d) < 0)
		goto out;
	if (d.opts.xl && ioreqd_xl_start(&d) < 0)
		goto out;
	if (ioreqd_checkpoint_start(&d) < 0)
		goto out;
	/* Statistics are a convenience: a guest is served without them. */
	if (ioreqd_control_setup(&d) < 0)
		log_warnx("domain %u: no control socket, so ioreqd --stats and --save "
		          "cannot reach this daemon; serving the domain anyway",
		          d.opts.domid);
	if (go_live(&d) < 0)
		goto out;
	log_info("serving domain %u with %u vCPU(s), %u device(s), backend %s",
	         d.opts.domid, d.nr_vcpus, ioreqd_dm_nr_devs(d.dm), d.be->name);
	ioreqd_detach_done(&d);
	/* ioreqd --watch waits for this before it lets libxl go on (watch.h). */
	if (d.opts.have_ready_fd) {
		if (write(d.opts.ready_fd, "R", 1) != 1)
			log_warn("domain %u: cannot tell ioreqd --watch that this "
			         "daemon is ready (--ready-fd %d)",
			         d.opts.domid, d.opts.ready_fd);
		close(d.opts.ready_fd);
	}
	d.exit_code = IOREQD_EX_OK;
	if (ioreqd_loop_run(&d) < 0)
		d.exit_code = IOREQD_EX_FAIL;
	ioreqd_loop_quiesce(&d);
	ioreqd_stats_log(&d);
	ex = d.exit_code;
out:
	/* Teardown: the exact reverse of setup; each step copes with "never done". */
	ioreqd_control_teardown(&d);
	ioreqd_checkpoint_stop(&d);
	ioreqd_xl_stop(&d);
	ioreqd_loop_teardown(&d);
	if (d.be_open) {
		ioreqd_loop_quiesce(&d);
		ioreqd_dm_unmap(d.dm);
	}
	/*
	 * Hooks' fini (timers, watches) before the event base and their dlclose,
	 * and before the backend closes: a hook with I/O in flight (virtio-blk)
	 * completes it into guest memory and raises its interrupt from fini.
	 */
	ioreqd_dm_free(d.dm);
	d.engine = NULL;
	d.bus = NULL;
	if (d.be_open) {
		d.be->close(d.be_priv);
		d.be_open = false;
	}
	/* The server is gone: a daemon waiting with --replace may start now. */
	ioreqd_instance_unlock(&d);
	if (d.base)
		event_base_free(d.base);
	ioreqd_loader_unload_all(&d);
	ioreqd_cfg_free(d.cfg);
	free(d.resume_buf);
	ioreqd_runfiles_remove(&d.runfiles);
	/* Once detached, nobody can wait() for the status: say it. */
	if (started && !d.opts.foreground)
		log_info("domain %u: exiting with status %d", d.opts.domid, ex);
	ioreqd_opts_dispose(&d.opts);
	return ex;
}
