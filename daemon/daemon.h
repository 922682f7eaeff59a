/* SPDX-License-Identifier: MIT */
/*
 * The daemon's private context.  One instance serves one guest domain; there
 * is no global state: everything hangs off struct ioreqd_daemon, which owns
 * the one event_base, the backend, the bus, the engine and the devices.
 * Setup and teardown are mirror images (see main.c).
 */
#ifndef IOREQD_DAEMON_H
#define IOREQD_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <event2/event.h>

#include <ioreqd/hook.h>

#include "backend.h"
#include "bus.h"
#include "config.h"
#include "dm.h"
#include "engine.h"
#include "log.h"
#include "pollpolicy.h"
#include "privdrop.h"

/* sysexits(3) codes the daemon uses. */
#define IOREQD_EX_OK 0
#define IOREQD_EX_FAIL 1
#define IOREQD_EX_USAGE 64
#define IOREQD_EX_CONFIG 78

struct ioreqd_xlargs;
struct ioreqd_qmp_server;
struct ioreqd_xsstate;
struct ioreqd_control;

struct ioreqd_opts {
	unsigned domid;
	bool have_domid;
	const char *config;
	const char *backend; /* "xen" or "sim" */
	const char *sim_socket;
	char sim_socket_buf[108]; /* the default sim_socket (options.c) */
	unsigned sim_wait_s;      /* --sim-wait: seconds to wait for the sim socket */
	const char *hook_dir;     /* overrides the config's hook_dir */
	const char *pidfile;
	const char *chroot_dir;
	const char *user;
	const char *group;
	bool foreground;
	bool use_syslog;
	bool log_explicit;           /* --log given; else syslog once detached */
	enum ioreqd_seccomp seccomp; /* --seccomp */
	bool restrict_domain;
	bool check_only;         /* --check-config: parse, load hooks, exit */
	bool replace;            /* --replace: take over from a running daemon */
	bool stats_query;        /* --stats: ask a running daemon, print, exit */
	bool list_hooks;         /* --list-hooks: print the hooks found, exit */
	bool stats_json;         /* --json: ... as JSON */
	const char *control;     /* --control: the statistics socket's path */
	const char *save_file;   /* --save: ask a running daemon to save its devices */
	const char *load_file;   /* --load: ... to load them */
	const char *resume_file; /* --resume: load the devices before serving */
	const char *checkpoint_file; /* --checkpoint: keep the device state there */
	bool watch;                  /* --watch: the dom0 service (watchd.c) */
	bool have_ready_fd;          /* --ready-fd: tell the watcher once serving */
	int ready_fd;
	bool have_poll_us; /* --poll-us: overrides the config's poll_us */
	unsigned poll_us;
	int verbosity;
	struct ioreqd_xlargs *xl; /* started by xl as its device model */
};

struct loaded_hook {
	char *name;
	void *dl;
	const struct ioreqd_hook *hook;
};

struct vcpu_watch {
	struct ioreqd_daemon *d;
	struct event *timer;
	ioreqd_ticket_t ticket;
	char owner[64];
};

struct fd_watch {
	struct ioreqd_daemon *d;
	struct event *ev;
	unsigned idx;
};

/*
 * The files the daemon creates (pidfile, control socket) and, once it has
 * dropped privileges, the helper that removes them at exit (runfiles.c).
 */
#define IOREQD_RUNFILES_MAX 2
struct ioreqd_runfiles {
	char path[IOREQD_RUNFILES_MAX][PATH_MAX];
	dev_t dev[IOREQD_RUNFILES_MAX];
	ino_t ino[IOREQD_RUNFILES_MAX];
	unsigned nr;
	pid_t helper; /* 0: none, the daemon removes them itself */
	int fd;       /* to the helper */
};

struct ioreqd_daemon {
	struct ioreqd_opts opts;
	struct ioreqd_cfg *cfg;
	struct event_base *base;

	struct loaded_hook *hooks;
	unsigned nr_hooks;

	struct ioreqd_dm *dm;   /* bus, engine and devices */
	struct ioreqd_bus *bus; /* ioreqd_dm_bus(dm), for the loop and stats */

	const struct ioreqd_backend_ops *be;
	void *be_priv;
	bool be_open;
	bool be_enabled;
	struct ioreqd_gmem gmem; /* host->gmem: DMA through the backend (host.c) */
	shared_iopage_t *sync_page;
	buffered_iopage_t *buf_page;
	unsigned nr_vcpus;

	struct ioreqd_engine *engine; /* ioreqd_dm_engine(dm), once the backend is up */
	struct fd_watch *fds;
	unsigned nr_fds;
	struct vcpu_watch *watchdogs;
	struct event *buf_drain; /* the buffered ring's "more to do" (zero timeout) */

	struct event *sig_term;
	struct event *sig_int;
	struct event *sig_usr1;
	struct event *sig_hup;

	struct ioreqd_dirty dirty; /* the dirty log (dirty.c) */
	struct event *dirty_ev;    /* flushes it at the end of a loop pass */
	struct ioreqd_qmp_server *qmp;
	struct ioreqd_xsstate *xss;
	struct ioreqd_control *control;

	struct ioreqd_ratelimit rl_guest; /* guest-triggered daemon messages */
	struct ioreqd_runfiles runfiles;
	int report_fd; /* to the parent waiting for "serving" (detach.c), or -1 */
	bool confined; /* chrooted, another user or seccomp: paths are not ours */
	int lock_fd;   /* one daemon per domain (instance.c), or -1 */
	char lock_path[128];

	struct ioreqd_checkpoint *checkpoint; /* --checkpoint (checkpoint.c) */

	struct ioreqd_poll poll;   /* the adaptive poll's policy (spin.c) */
	struct event *spin_resume; /* "go on spinning" after the loop's other sources */
	uint64_t spin_last_ns;     /* when the last pass with work ended */

	uint8_t
	    *resume_buf; /* --resume: the stream, read before the hypervisor is touched */
	size_t resume_len;

	int exit_code;
	bool stopping;
};

/* options.c */
int ioreqd_opts_parse(struct ioreqd_opts *o, int argc, char *argv[]);
void ioreqd_opts_dispose(struct ioreqd_opts *o);
void ioreqd_opts_usage(FILE *fp);

/* xl.c: launched by xl as a device model */
int ioreqd_xl_opts(struct ioreqd_opts *o, int argc, char *argv[]);
void ioreqd_xl_opts_dispose(struct ioreqd_opts *o);
int ioreqd_xl_start(struct ioreqd_daemon *d);
void ioreqd_xl_stop(struct ioreqd_daemon *d);
/* The largest device state -incoming may carry. */
#define IOREQD_XL_MAX_STATE (256u << 20)
/**
 * Read the state libxl hands a restoring device model (-incoming fd:N) to
 * its end and close the descriptor.  @return 0 with the bytes in @p out
 * (free() them), or a negative errno with the reason in @p msg.
 */
int ioreqd_xl_read_incoming(const struct ioreqd_xlargs *xa, uint8_t **out, size_t *len,
                            char *msg, size_t msglen);

/* loader.c: load each device's hook and add the device to d->dm */
int ioreqd_loader_load_all(struct ioreqd_daemon *d, char *err, size_t errlen);
/* The hook search path, first match wins; @return how many of @p dirs are set. */
unsigned ioreqd_loader_search_path(const struct ioreqd_daemon *d, const char *dirs[3]);
/* The loader's checks before and after dlopen; 0 or -errno with @p err. */
int ioreqd_loader_trusted_path(const char *where, const char *path, char *err,
                               size_t errlen);
int ioreqd_loader_symbol_ok(const char *where, const char *path, const void *sym,
                            char *err, size_t errlen);
/* ioreqd --list-hooks: every hook on the search path, its summary and keys. */
int ioreqd_hooklist_print(const struct ioreqd_daemon *d, FILE *fp);
void ioreqd_loader_unload_all(struct ioreqd_daemon *d);

/* host.c: the environment half of the host API (ioreqd_dm_new completes it) */
extern const struct ioreqd_host ioreqd_daemon_host;

/* loop.c */
int ioreqd_loop_setup(struct ioreqd_daemon *d);
/** Re-read the backend's fds (they may change when it is confined). */
int ioreqd_loop_refresh_fds(struct ioreqd_daemon *d);
int ioreqd_loop_run(struct ioreqd_daemon *d);
void ioreqd_loop_stop(struct ioreqd_daemon *d, int exit_code);
void ioreqd_loop_quiesce(struct ioreqd_daemon *d);

/* checkpoint.c: --checkpoint FILE, the device state kept current on disk */
/** Write the first checkpoint and be ready for changes.  @return 0 or -errno. */
int ioreqd_checkpoint_start(struct ioreqd_daemon *d);
/** A device's state changed (host->state_changed): write soon, coalesced. */
void ioreqd_checkpoint_changed(struct ioreqd_daemon *d);
/** Write a change still pending, then free (safe when never started). */
void ioreqd_checkpoint_stop(struct ioreqd_daemon *d);
/** The counters, in the group "checkpoint" (nothing without --checkpoint). */
void ioreqd_checkpoint_stats(const struct ioreqd_daemon *d, ioreqd_stats_emit_fn emit,
                             void *ctx);

/* savestate.c: the device state to and from files (control socket, --resume). */
/**
 * Complete every access in flight (published slots, the buffered ring,
 * deferred accesses, which a read answers all-ones) without stopping the
 * server: what shutdown, save and load do first.  @p when ends the log
 * line ("at shutdown").  @return how many deferred ones were completed.
 */
unsigned ioreqd_daemon_drain(struct ioreqd_daemon *d, const char *when);
/**
 * Complete what is in flight, save every device to @p path atomically.
 * @return 0 or a negative errno; @p msg says what was done or what failed.
 */
int ioreqd_daemon_save(struct ioreqd_daemon *d, const char *path, char *msg, size_t len);
/** Read @p path, then as ioreqd_daemon_load_buf. */
int ioreqd_daemon_load(struct ioreqd_daemon *d, const char *path, char *msg, size_t len);
/**
 * As ioreqd_daemon_save, into the file open at @p fd (passed by the client
 * with SCM_RIGHTS, so it works chrooted and under --seccomp): written from
 * its current offset and fsynced; the client makes it atomic (a temporary
 * file it renames).  @p path only names it in @p msg.
 */
int ioreqd_daemon_save_fd(struct ioreqd_daemon *d, int fd, const char *path, char *msg,
                          size_t len);
/** As ioreqd_daemon_load, from the file open at @p fd (read to its end). */
int ioreqd_daemon_load_fd(struct ioreqd_daemon *d, int fd, const char *path, char *msg,
                          size_t len);
/**
 * Complete what is in flight, then load the stream @p buf (read from @p path)
 * into every device, all or none.  @return 0 or a negative errno; @p msg says
 * what was done or, naming @p path, what differs.
 */
int ioreqd_daemon_load_buf(struct ioreqd_daemon *d, const char *path, const uint8_t *buf,
                           size_t blen, char *msg, size_t len);
void ioreqd_loop_drain_buffered(struct ioreqd_daemon *d);
/** What the loop does with each event a backend's pending() or look() reports. */
void ioreqd_loop_backend_event(void *arg, enum ioreqd_backend_event ev, unsigned vcpu);
void ioreqd_loop_teardown(struct ioreqd_daemon *d);

/* spin.c: the adaptive poll (poll_us) */
/** Set the policy up from the config (off if the backend cannot poll). */
int ioreqd_spin_setup(struct ioreqd_daemon *d);
void ioreqd_spin_teardown(struct ioreqd_daemon *d);
/** @return a count that grows whenever the engine takes work (requests, ring slots). */
uint64_t ioreqd_spin_work(const struct ioreqd_daemon *d);
/**
 * A loop pass served work: spin for more as the policy says.  @p woke_ns:
 * when the pass began, for a pass that a notification started (0 if not).
 */
void ioreqd_spin_run(struct ioreqd_daemon *d, uint64_t woke_ns);
void ioreqd_engine_deferred_cb(void *opaque, ioreqd_fault_t *f, const char *owner);

/* dirty.c: the dirty log for live migration (lib/engine/dirty.h) */
/**
 * Turn reporting guest pages the daemon writes on or off (QMP
 * xen-set-global-dirty-log).  Off reports what is pending first.
 * @return 0, or a negative errno with the reason in @p msg.
 */
int ioreqd_daemon_dirty_log(struct ioreqd_daemon *d, bool on, char *msg, size_t len);
/** The daemon wrote [gpa, gpa + len): reported if the log is on. */
void ioreqd_daemon_dirty_mark(struct ioreqd_daemon *d, uint64_t gpa, uint64_t len);
/** The engine's guest_written (struct ioreqd_engine_ops); @p opaque is the daemon. */
void ioreqd_daemon_guest_written(void *opaque, uint64_t gpa, size_t len);
/** Report what is pending now.  @return 0 or the backend's error. */
int ioreqd_daemon_dirty_flush(struct ioreqd_daemon *d);
/** Flush and turn the log off, free its event (before the event base goes). */
void ioreqd_daemon_dirty_teardown(struct ioreqd_daemon *d);

/* stats.c: one walk, two formats (a table, or JSON with @json). */
void ioreqd_stats_write(struct ioreqd_daemon *d, FILE *fp, bool json);
void ioreqd_stats_log(struct ioreqd_daemon *d);

/* detach.c: go to the background, and tell the waiting parent how start-up went */
void ioreqd_detach_prepare(struct ioreqd_daemon *d);
int ioreqd_detach(struct ioreqd_daemon *d);
void ioreqd_detach_done(struct ioreqd_daemon *d);

/* runfiles.c: the pidfile and the control socket, removed at exit */
int ioreqd_runfiles_add(struct ioreqd_runfiles *rf, const char *path);
int ioreqd_runfiles_guard(struct ioreqd_runfiles *rf);
void ioreqd_runfiles_remove(struct ioreqd_runfiles *rf);

/* instance.c: one daemon per domain */
int ioreqd_instance_path(char *buf, size_t len, const struct ioreqd_opts *o);
int ioreqd_instance_lock(struct ioreqd_daemon *d);
void ioreqd_instance_unlock(struct ioreqd_daemon *d);

/* watchd.c: ioreqd --watch, the dom0 service (watch.h) */
int ioreqd_watch_main(struct ioreqd_daemon *d);

/* control.c: the statistics socket (control.h) */
#include "control.h"

#endif /* IOREQD_DAEMON_H */
