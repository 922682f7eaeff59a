/* SPDX-License-Identifier: MIT */
/*
 * The hook ABI: what a device plugin exports and what the daemon hands it.
 *
 * A hook is one shared object that exports exactly one symbol,
 * `const struct ioreqd_hook ioreqd_hook`.  Everything the hook may ask of the
 * daemon (logging, configuration, interrupts, guest memory, timers, deferred
 * completion, ranges) arrives as a `const struct ioreqd_host` of function
 * pointers, so a hook never links against daemon symbols and the daemon needs
 * no -rdynamic.  One hook may back many device instances ("[device NAME]"
 * sections); each instance is named by an opaque ioreqd_dev_t handle.
 */
#ifndef IOREQD_HOOK_H
#define IOREQD_HOOK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <ioreqd/fault.h>
#include <ioreqd/gmem.h>
#include <ioreqd/state.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Hook ABI version.  The loader refuses a hook whose .abi differs.  Bump it
 * whenever struct ioreqd_hook or struct ioreqd_host change incompatibly;
 * new host functions are only ever appended, and a hook may check
 * host->abi / host->size before using one.
 */
#define IOREQD_HOOK_ABI 2

/** One device instance, as configured by a "[device NAME]" section. */
typedef struct ioreqd_dev ioreqd_dev_t;

/** A one-shot timer owned by a device. */
typedef struct ioreqd_timer ioreqd_timer_t;

/** A readiness watch on a file descriptor owned by a device. */
typedef struct ioreqd_watch ioreqd_watch_t;

/** Log levels for host->log. */
enum ioreqd_log_level {
	IOREQD_LOG_WARN = 0,
	IOREQD_LOG_INFO,
	IOREQD_LOG_DEBUG,
};

/** Events for host->watch_new. */
#define IOREQD_WATCH_READ 0x1u
#define IOREQD_WATCH_WRITE 0x2u

/** A configuration key a hook accepts in its device sections. */
struct ioreqd_hook_key {
	const char *name; /**< key name, e.g. "file" */
	const char *help; /**< one line for ioreqd.conf(5) and error messages */
};

/** Services the daemon provides to hooks.  All calls are from the event loop thread. */
struct ioreqd_host {
	unsigned abi; /**< IOREQD_HOOK_ABI of the daemon */
	size_t size;  /**< sizeof(struct ioreqd_host) of the daemon */

	/** Log a message prefixed with the domain and device name. */
	void (*log)(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
	/**
	 * Log at most a few messages per second for this device; use it for
	 * anything a guest can trigger.
	 */
	void (*log_rl)(ioreqd_dev_t *dev, enum ioreqd_log_level level, const char *fmt,
	               ...) __attribute__((format(printf, 3, 4)));

	/** @return the device instance name ("uart0"). */
	const char *(*dev_name)(ioreqd_dev_t *dev);
	/** @return the guest domain id. */
	unsigned (*domid)(ioreqd_dev_t *dev);

	/**
	 * Look up a hook-specific key of this device's section.
	 * @return the value, or NULL if the key is absent.
	 */
	const char *(*cfg_str)(ioreqd_dev_t *dev, const char *key);
	/**
	 * Parse a numeric key (decimal, 0x hex, 0 octal; suffixes K, M, G).
	 * @param def  the value when the key is absent.
	 * @param out  receives the value.
	 * @return 0, or -EINVAL after reporting "file:line: ..." for a bad number.
	 */
	int (*cfg_u64)(ioreqd_dev_t *dev, const char *key, uint64_t def, uint64_t *out);
	/**
	 * Report a configuration error about @p key (or the section when NULL),
	 * with the file and line where it was set.
	 * @return -EINVAL, so a hook can `return host->cfg_error(...)`.
	 */
	int (*cfg_error)(ioreqd_dev_t *dev, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
	/** @return the device's "irq = N" value, or -1 when it has none. */
	int (*cfg_irq)(ioreqd_dev_t *dev);

	/**
	 * The idx-th range configured for this device, in the order of the
	 * section.  @return 0, or -ENOENT past the last one.
	 */
	int (*range_get)(ioreqd_dev_t *dev, unsigned idx, enum ioreqd_space *space,
	                 uint64_t *base, uint64_t *last);
	/**
	 * Claim [base, last] for this device while running (a BAR moved) and
	 * install the device's handler on it.  @return 0 or a negative errno.
	 */
	int (*range_map)(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
	                 uint64_t last);
	/**
	 * Release a range claimed with range_map.  @return 0, -ENOENT, or
	 * -EBUSY when called from an access on that very range (unmap it from
	 * a timer instead).
	 */
	int (*range_unmap)(ioreqd_dev_t *dev, enum ioreqd_space space, uint64_t base,
	                   uint64_t last);

	/** Set an ISA IRQ (x86) or SPI (Arm) line.  @return 0 or a negative errno. */
	int (*irq_set_level)(ioreqd_dev_t *dev, unsigned irq, unsigned level);
	/** Set a PCI INTx line of an SBDF.  @return 0 or a negative errno. */
	int (*pci_intx_set_level)(ioreqd_dev_t *dev, uint32_t sbdf, unsigned intx,
	                          unsigned level);
	/** Inject an MSI.  @return 0 or a negative errno. */
	int (*inject_msi)(ioreqd_dev_t *dev, uint64_t addr, uint32_t data);

	/** Copy from guest-physical memory.  @return 0 or -EFAULT. */
	int (*guest_read)(ioreqd_dev_t *dev, uint64_t gpa, void *buf, size_t len);
	/** Copy to guest-physical memory.  @return 0 or -EFAULT. */
	int (*guest_write)(ioreqd_dev_t *dev, uint64_t gpa, const void *buf, size_t len);

	/** @return a new disarmed timer, or NULL. */
	ioreqd_timer_t *(*timer_new)(ioreqd_dev_t *dev, void (*cb)(void *arg), void *arg);
	/** (Re)arm a timer to fire once after @p usec microseconds. */
	int (*timer_arm)(ioreqd_timer_t *t, uint64_t usec);
	/** Disarm a timer; harmless if it is not armed. */
	void (*timer_cancel)(ioreqd_timer_t *t);
	/** Free a timer (NULL is fine). */
	void (*timer_free)(ioreqd_timer_t *t);

	/**
	 * Watch @p fd for IOREQD_WATCH_* events; @p cb runs from the loop until
	 * the watch is freed.  @return the watch or NULL.
	 */
	ioreqd_watch_t *(*watch_new)(ioreqd_dev_t *dev, int fd, unsigned events,
	                             void (*cb)(int fd, unsigned events, void *arg),
	                             void *arg);
	/** Stop and free a watch (NULL is fine). */
	void (*watch_free)(ioreqd_watch_t *w);

	/**
	 * Turn a ticket from a deferred access back into its fault.
	 * @return the fault, or NULL if the access has completed already (by this
	 * hook, by the watchdog, or at shutdown).
	 */
	ioreqd_fault_t *(*fault_resume)(ioreqd_dev_t *dev, ioreqd_ticket_t ticket);

	/**
	 * Publish a key under the device's xenstore directory (on sim: the log).
	 * @return 0 or a negative errno.
	 */
	int (*publish)(ioreqd_dev_t *dev, const char *key, const char *value);

	/* --- appended after ABI 1 was published: check host->size first --- */

	/**
	 * Guest memory for DMA (ioreqd/gmem.h): map a guest-physical range for
	 * the life of a request, or persistently for a virtqueue's rings.  The
	 * ops may be called from init on, but map answers -EAGAIN until the
	 * backend is up and after it closed (when unmap does nothing).  Use it
	 * like this:
	 *
	 *   const struct ioreqd_gmem *gm = NULL;
	 *   if (host->size >= offsetof(struct ioreqd_host, gmem) + sizeof(host->gmem)
	 *       && host->gmem)
	 *       gm = host->gmem(dev);
	 *
	 * @return the device model's guest memory (valid until the device's fini
	 * returns), or NULL when it cannot map guest memory (ioreqd-replay: the
	 * guest's RAM is not in a trace).
	 */
	const struct ioreqd_gmem *(*gmem)(ioreqd_dev_t *dev);

	/**
	 * Add the device's own counters to the daemon's statistics (ioreqd
	 * --stats, SIGUSR1, exit).  @p fn is called once per report, from the
	 * event loop, and calls @p emit once per counter: @p group names a set
	 * ("queue0"), @p name the counter in it ("requests").  The table shows
	 * a line per group, JSON an object per group under the device.  One
	 * function per device: registering again replaces it, NULL removes it;
	 * it is forgotten when the device's fini returns.
	 * @return 0 or a negative errno.
	 */
	int (*stats_register)(ioreqd_dev_t *dev,
	                      void (*fn)(void *arg,
	                                 void (*emit)(void *ctx, const char *group,
	                                              const char *name, uint64_t value),
	                                 void *ctx),
	                      void *arg);

	/**
	 * Call @p fn (from the event loop) whenever the hypervisor says the
	 * guest's memory map changed (Xen's IOREQ_TYPE_INVALIDATE), before the
	 * request completes: drop the guest mappings you cache (a virtqueue's
	 * rings) and map again on next use.  Mappings held for a request in
	 * flight stay valid until unmapped.  One function per device;
	 * registering again replaces it, NULL removes it; forgotten at fini.
	 * @return 0 or a negative errno.
	 */
	int (*invalidate_register)(ioreqd_dev_t *dev, void (*fn)(void *arg), void *arg);

	/**
	 * Parse a boolean key with the configuration file's own syntax (yes/no,
	 * true/false, on/off, 1/0, any case), so every hook takes what the
	 * daemon's own keys take.
	 * @param def  the value when the key is absent.
	 * @param out  receives the value (@p def when the key is bad).
	 * @return 0, or -EINVAL after reporting "file:line: ..." for a bad value.
	 */
	int (*cfg_bool)(ioreqd_dev_t *dev, const char *key, bool def, bool *out);

	/**
	 * Say that the device's state changed in a way a restarted daemon must
	 * not lose: a BAR placed or moved, a virtio device reaching DRIVER_OK
	 * or reset, a queue enabled.  With --checkpoint the daemon then writes
	 * its checkpoint soon (changes are coalesced and rate-limited, so a
	 * guest cannot make it write in a loop); otherwise it does nothing.
	 * Cheap: call it from the access that made the change.  Appended after
	 * ABI 2 was published: check host->size first (or use
	 * IOREQD_HOST_HAS(host, state_changed)).
	 */
	void (*state_changed)(ioreqd_dev_t *dev);
};

/**
 * Does the daemon's host table have member @p fn (a function appended after
 * the hook was written), and is it set?
 */
#define IOREQD_HOST_HAS(host, fn)                                                        \
	((host)->size >= offsetof(struct ioreqd_host, fn) + sizeof((host)->fn) &&        \
	 (host)->fn != NULL)

/** The emitter a statistics function of host->stats_register gets. */
typedef void (*ioreqd_stats_emit_fn)(void *ctx, const char *group, const char *name,
                                     uint64_t value);

/** The one symbol a hook exports. */
struct ioreqd_hook {
	unsigned abi;        /**< IOREQD_HOOK_ABI the hook was built against */
	const char *name;    /**< must match the file name: hooks/NAME.so */
	const char *summary; /**< one line, shown by ioreqd --list-hooks */
	/** Hook-specific keys, terminated by {NULL, NULL}; any other key is an error. */
	const struct ioreqd_hook_key *keys;
	/**
	 * Set up one device instance.  Read keys with host->cfg_*; report bad
	 * values with host->cfg_error.
	 * @param priv  receives the instance state passed to access and fini.
	 * @return 0 or a negative errno (the daemon refuses to start unless the
	 * device is "optional = yes").
	 */
	int (*init)(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv);
	/** Tear down one instance; priv may be NULL if init failed. */
	void (*fini)(void *priv);
	/**
	 * Handle one access on one of the device's ranges.  It may call
	 * host->range_map/range_unmap for other ranges (a BAR moved), but must
	 * not unmap the range it is being called for.  A deferred buffered
	 * (posted) write counts as done at once: nobody waits for it.
	 */
	enum ioreqd_fault_result (*access)(ioreqd_fault_t *f, void *priv);

	/* --- device state (ABI 2): all three zero/NULL for a hook without state --- */

	/**
	 * Version of the blob save writes (ioreqd/state.h); raise it when the
	 * meaning of a field changes.  The daemon refuses a stream whose blob
	 * for this hook is newer than this, before any device is touched.
	 */
	unsigned state_version;
	/**
	 * Write the instance's state into @p st with ioreqd_state_put*.  Called
	 * from the loop with no access of the device in flight (deferred ones
	 * were completed first).  NULL: the device has no state to keep.
	 * @return 0 or a negative errno (the save fails as a whole).
	 */
	int (*save)(void *priv, ioreqd_state_t *st);
	/**
	 * Replace the instance's state with the blob in @p st, written by a save
	 * of blob version @p version (at most .state_version) on an instance with
	 * the same configuration.  Read and check every field first: a refusal
	 * (-EBADMSG, with ioreqd_state_fail saying why) must leave the instance
	 * unchanged, since the daemon loads all devices or none.  Afterwards the
	 * device behaves as the saved one did (interrupt line, moved BARs
	 * re-claimed with host->range_map).
	 * @return 0 or a negative errno.
	 */
	int (*load)(void *priv, ioreqd_state_t *st, unsigned version);
};

/*
 * IOREQD_HOOK_DEFINE(name) declares a hook's descriptor.  Built as a plugin it
 * is the exported `ioreqd_hook`; built into the daemon's static table (for the
 * tests and the fuzzers) it becomes `ioreqd_hook_<name>`.
 */
#ifdef IOREQD_HOOK_BUILTIN
#define IOREQD_HOOK_DEFINE(name) const struct ioreqd_hook ioreqd_hook_##name
#else
#define IOREQD_HOOK_DEFINE(name)                                                         \
	extern const struct ioreqd_hook ioreqd_hook                                      \
	    __attribute__((visibility("default")));                                      \
	const struct ioreqd_hook ioreqd_hook
#endif

#ifdef __cplusplus
}
#endif

#endif /* IOREQD_HOOK_H */
