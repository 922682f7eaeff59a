/* SPDX-License-Identifier: MIT */
/*
 * A QMP (QEMU Machine Protocol) responder, with no sockets: bytes in, bytes
 * out.  It answers what libxl 4.17 and libxenstat send to a qemu-xen device
 * model, so that ioreqd can stand where QEMU stands when xl launches it.
 *
 * Two objects:
 *  - struct ioreqd_qmp_vm: the machine as QMP shows it (run state, name,
 *    vCPUs, monitors), with the daemon's callbacks.  One per daemon; every
 *    connection sees the same state.
 *  - struct ioreqd_qmp_session: one client connection.  It starts by queuing
 *    the greeting; feed it what the client sent, send what output() returns,
 *    then consume() that much.
 *
 * Every message out is one line of JSON ended by "\r\n" (libxl splits on it).
 * Ids are echoed exactly as received, whatever their JSON type.  Input may
 * arrive in any fragments, several commands per read, with garbage between;
 * a message over IOREQD_QMP_MAX_MSG bytes or nested deeper than
 * IOREQD_QMP_MAX_DEPTH is answered with one error and skipped.
 */
#ifndef IOREQD_QMP_H
#define IOREQD_QMP_H

#include <stdbool.h>
#include <stddef.h>

#define IOREQD_QMP_MAX_MSG (64u * 1024u)   /* one command, bytes */
#define IOREQD_QMP_MAX_DEPTH 32u           /* JSON nesting */
#define IOREQD_QMP_MAX_OUT (1024u * 1024u) /* unsent output before we give up */
#define IOREQD_QMP_MAX_FDS 4u              /* fds held by one session (add-fd) */

/* The QEMU version the greeting announces: libxl picks command variants by
 * it (e.g. "live" for xen-save-devices-state needs >= 2.11).  We speak the
 * QMP of QEMU 7.2, the qemu-xen Debian pairs with Xen 4.17. */
#define IOREQD_QMP_QEMU_MAJOR 7
#define IOREQD_QMP_QEMU_MINOR 2
#define IOREQD_QMP_QEMU_MICRO 0

/** The run state, as query-status reports it. */
enum ioreqd_qmp_runstate {
	IOREQD_QMP_PRELAUNCH = 0, /* "prelaunch": started with -S, never continued */
	IOREQD_QMP_RUNNING,       /* "running" */
	IOREQD_QMP_PAUSED,        /* "paused": stopped, or restoring with -S */
	IOREQD_QMP_SHUTDOWN,      /* "shutdown": quit was received */
};

/**
 * What the daemon does for state-changing commands.  Every member may be
 * NULL: stop/cont then only change the reported state, the dirty log is
 * acknowledged, save/load answer GenericError.  A callback returning a
 * negative errno makes the command fail with GenericError and leaves the
 * state as it was; the callbacks that take @p msg put the reason there
 * (IOREQD_QMP_MAX_DESC bytes), which becomes the error's "desc".
 */
struct ioreqd_qmp_callbacks {
	/** "stop" while running: stop serving the guest's accesses. */
	int (*stop)(void *arg);
	/** "cont" while paused or in prelaunch: (re)start serving. */
	int (*cont)(void *arg);
	/** "quit": the reply is queued; shut down. */
	void (*quit)(void *arg);
	/**
	 * "xen-save-devices-state" into @p fd, the descriptor an earlier
	 * add-fd passed (libxl's /var/lib/xen/qemu-save.DOMID, opened for
	 * writing at offset 0).  Write the whole state, do not close @p fd.
	 * @p live is libxl's "live" (a live migration rather than xl save).
	 */
	int (*save_state)(void *arg, int fd, bool live, char *msg, size_t msglen);
	/** "xen-load-devices-state" from @p filename (COLO's secondary). */
	int (*load_state)(void *arg, const char *filename, char *msg, size_t msglen);
	/**
	 * "xen-set-global-dirty-log": report (or stop reporting) every guest
	 * page the device model writes, for live migration.  Called with
	 * false also when it is already off.
	 */
	int (*dirty_log)(void *arg, bool enable, char *msg, size_t msglen);
};

/* The longest error description a callback can give. */
#define IOREQD_QMP_MAX_DESC 1024u

/** One chardev for query-chardev. */
struct ioreqd_qmp_chardev {
	const char *label;    /* e.g. "libxl-cmd" */
	const char *filename; /* e.g. "unix:/var/run/xen/qmp-libxl-5,server=on" */
};

struct ioreqd_qmp_vm_args {
	const char *name; /* query-name; NULL: none */
	unsigned nr_cpus; /* query-cpus-fast; 0 counts as 1 */
	enum ioreqd_qmp_runstate
	    initial;         /* PRELAUNCH with -S, PAUSED with -S and a restore */
	const char *package; /* greeting/query-version; NULL: "ioreqd" */
	const struct ioreqd_qmp_chardev *chardevs; /* copied */
	unsigned nr_chardevs;
	const struct ioreqd_qmp_callbacks *cb; /* NULL: no callbacks; not copied */
	void *arg;                             /* passed to every callback */
};

struct ioreqd_qmp_vm;
struct ioreqd_qmp_session;

/** @return a new machine state, or NULL on allocation failure. */
struct ioreqd_qmp_vm *ioreqd_qmp_vm_new(const struct ioreqd_qmp_vm_args *args);
/** Free @p vm (NULL is fine).  Free its sessions first. */
void ioreqd_qmp_vm_free(struct ioreqd_qmp_vm *vm);

enum ioreqd_qmp_runstate ioreqd_qmp_vm_runstate(const struct ioreqd_qmp_vm *vm);
/** Change the state without callbacks (e.g. a xenstore "save" paused us). */
void ioreqd_qmp_vm_set_runstate(struct ioreqd_qmp_vm *vm, enum ioreqd_qmp_runstate st);
/** Set the vCPU count once the backend knows it. */
void ioreqd_qmp_vm_set_nr_cpus(struct ioreqd_qmp_vm *vm, unsigned nr_cpus);
/** Add a chardev to what query-chardev lists.  @return 0 or -ENOMEM. */
int ioreqd_qmp_vm_add_chardev(struct ioreqd_qmp_vm *vm, const char *label,
                              const char *filename);
/** @return "prelaunch", "running", "paused" or "shutdown". */
const char *ioreqd_qmp_runstate_name(enum ioreqd_qmp_runstate st);

/** @return a session with the greeting queued, or NULL on allocation failure. */
struct ioreqd_qmp_session *ioreqd_qmp_session_new(struct ioreqd_qmp_vm *vm);
/** Close the fds the session holds and free it (NULL is fine). */
void ioreqd_qmp_session_free(struct ioreqd_qmp_session *s);

/**
 * Consume @p len bytes the client sent, queuing the replies.
 * @return 0, or -ENOBUFS when the client lets more than IOREQD_QMP_MAX_OUT
 * bytes of replies pile up unread (drop the connection), or -ENOMEM.
 */
int ioreqd_qmp_session_feed(struct ioreqd_qmp_session *s, const void *data, size_t len);

/** @return the queued output and its length in *len (NULL when empty). */
const char *ioreqd_qmp_session_output(const struct ioreqd_qmp_session *s, size_t *len);
/** Drop the first @p n bytes of output (they were sent). */
void ioreqd_qmp_session_consume(struct ioreqd_qmp_session *s, size_t n);

/**
 * Hand over a descriptor that arrived with the client's bytes (SCM_RIGHTS),
 * for the next add-fd.  The session owns @p fd from now on.
 * @return 0, or -EMFILE when IOREQD_QMP_MAX_FDS are already held (@p fd is
 * closed).
 */
int ioreqd_qmp_session_pass_fd(struct ioreqd_qmp_session *s, int fd);

/** @return true once quit was answered: send the output, then close. */
bool ioreqd_qmp_session_done(const struct ioreqd_qmp_session *s);

/** @return how many commands this session answered (for tests and stats). */
unsigned long ioreqd_qmp_session_nr_commands(const struct ioreqd_qmp_session *s);

#endif /* IOREQD_QMP_H */
