/* SPDX-License-Identifier: MIT */
/*
 * A mock daemon for unit-testing hooks: a struct ioreqd_host whose services
 * are recorded (log lines, IRQ levels, MSIs, published keys) or driven by the
 * test (timers and fd watches fire when the test says so, guest memory is a
 * plain buffer).  Accesses are real: the mock is the daemon's own device model
 * (lib/engine/dm.h), which places the device's configured ranges on its bus,
 * installs the hook's handler (identical ranges share one chain, later
 * devices run first), and runs requests through an engine with no shared page
 * (ioreqd_engine_inject), so a hook sees genuine faults, including deferral
 * and resumption by ticket.
 *
 * Device configuration is given as the body of a "[device NAME]" section and
 * goes through the real configuration parser; the mock adds the header and the
 * "hook = ..." line (so the test's first line is line 3 of "mock.conf"); the
 * device model rejects keys the hook does not declare with the daemon's message.
 *
 * Tests only; assertions failures inside the mock abort the running Check test.
 */
#ifndef IOREQD_MOCK_HOST_H
#define IOREQD_MOCK_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include <ioreqd/hook.h>

#include "bus.h"
#include "dm.h"
#include "engine.h"

/* Guest memory: MOCK_GUEST_SIZE bytes at guest-physical address 0. */
#define MOCK_GUEST_SIZE (1u << 20)
#define MOCK_NR_VCPUS 4u

struct mock;

/** @return a new mock for domain @p domid (never NULL: aborts on ENOMEM). */
struct mock *mock_new(unsigned domid);

/** Run every live device's fini, then free everything (NULL is fine). */
void mock_free(struct mock *m);

/** The host table the mock hands to hooks (for calling host functions directly). */
const struct ioreqd_host *mock_host(const struct mock *m);

/**
 * Add a device instance of @p hook named @p name, configured by @p conf (the
 * keys of its section, one per line; NULL for none).  Its ranges are placed
 * on the bus, init runs, and on success its handler is installed on each
 * range.
 * @param out  receives the device (may be NULL).
 * @return 0; -EINVAL for a bad configuration or a failed init (see
 * mock_error()); -EEXIST for a range partly overlapping another device's.
 */
int mock_add(struct mock *m, const struct ioreqd_hook *hook, const char *name,
             const char *conf, ioreqd_dev_t **out);

/**
 * Add every device of configuration file @p path, in file order, finding each
 * device's hook with @p find (e.g. ioreqd_builtin_hook_find).
 * @return 0, or the first failure as for mock_add (-ENOENT: no such hook).
 */
int mock_add_file(struct mock *m, const char *path,
                  const struct ioreqd_hook *(*find)(const char *name));

/** @return the last configuration error reported ("" if none). */
const char *mock_error(const struct mock *m);

/**
 * Check that mock_add of @p hook as @p name with @p conf is refused as a bad
 * configuration (-EINVAL) and that mock_error() names the device and @p key
 * ("device NAME: KEY: ", not checked if @p key is NULL) and holds @p what.
 */
void mock_expect_cfg_error(struct mock *m, const struct ioreqd_hook *hook,
                           const char *name, const char *conf, const char *key,
                           const char *what);

/** Run a device's fini now and take its handlers off the bus (idempotent). */
void mock_dev_fini(ioreqd_dev_t *dev);

/** @return the priv pointer the device's init produced. */
void *mock_dev_priv(ioreqd_dev_t *dev);

/* ---- guest accesses ---------------------------------------------------- */

/**
 * Read @p size bytes at @p addr of @p space as vCPU 0 and return the data;
 * the test fails if the access is deferred (use mock_submit for those).
 */
uint64_t mock_read(struct mock *m, enum ioreqd_space space, uint64_t addr, unsigned size);

/** Write @p data as vCPU 0; the test fails if the access is deferred. */
void mock_write(struct mock *m, enum ioreqd_space space, uint64_t addr, unsigned size,
                uint64_t data);

/**
 * Run any request as vCPU @p vcpu (see ioreqd_engine_inject): @p req must stay
 * valid until it completes, when req->state becomes STATE_IORESP_READY.
 * @return 1 if completed, 0 if deferred, or a negative errno.
 */
int mock_submit(struct mock *m, unsigned vcpu, ioreq_t *req);

/** @return a single-access request (state READY) for mock_submit. */
ioreq_t mock_req(enum ioreqd_space space, uint64_t addr, unsigned size, bool is_read,
                 uint64_t data);

struct ioreqd_engine *mock_engine(struct mock *m);
struct ioreqd_bus *mock_bus(struct mock *m);
/** The device model behind the mock (for device-state save and load). */
struct ioreqd_dm *mock_dm(struct mock *m);

/** @return the guest memory buffer (MOCK_GUEST_SIZE bytes at gpa 0). */
uint8_t *mock_guest_mem(struct mock *m);
/** @return how many host->gmem mappings are live (made and not unmapped). */
unsigned mock_maps_live(const struct mock *m);
/**
 * Call @p fn after every host->gmem mapping succeeds: a test's other vCPU,
 * acting while the device works (NULL: nothing).
 */
void mock_set_map_hook(struct mock *m, void (*fn)(void *arg), void *arg);

/** Set the instruction pointer vCPUs report (default 0xfff0). */
void mock_set_ip(struct mock *m, uint64_t ip);

/* ---- what the hooks did ------------------------------------------------- */

/** @return how many lines were logged (hook log/log_rl and the engine's log). */
unsigned mock_log_count(const struct mock *m);
/** @return logged line @p i ("LEVEL NAME: message"), or NULL past the end. */
const char *mock_log_line(const struct mock *m, unsigned i);
/** @return true if some logged line contains @p needle. */
bool mock_log_contains(const struct mock *m, const char *needle);
/** Forget the logged lines. */
void mock_log_clear(struct mock *m);

/** @return the last level set on ISA IRQ @p irq (0..1023), or -1 if never set. */
int mock_irq_level(const struct mock *m, unsigned irq);
/** @return how many irq_set_level calls were made (any line). */
unsigned mock_irq_calls(const struct mock *m);
/** @return the last level of PCI INTx @p intx of @p sbdf, or -1 if never set. */
int mock_intx_level(const struct mock *m, uint32_t sbdf, unsigned intx);

/** @return how many MSIs were injected; mock_msi(m, i, ...) gets the i-th. */
unsigned mock_msi_count(const struct mock *m);
bool mock_msi(const struct mock *m, unsigned i, uint64_t *addr, uint32_t *data);

/** @return the last value @p dev published under @p key, or NULL. */
const char *mock_published(const struct mock *m, const char *dev, const char *key);

/** @return how many timers are armed; *next_usec (if not NULL) gets the shortest delay.
 */
unsigned mock_timers_armed(const struct mock *m, uint64_t *next_usec);
/**
 * Fire every timer armed right now (each disarmed before its callback runs;
 * a callback may re-arm, cancel or free timers).  @return how many fired.
 */
unsigned mock_fire_timers(struct mock *m);

/**
 * Report @p events (IOREQD_WATCH_*) on @p fd to every live watch of that fd
 * that asked for them.  @return how many callbacks ran.
 */
unsigned mock_fire_watch(struct mock *m, int fd, unsigned events);

/** @return how many times hooks called host->state_changed. */
unsigned mock_state_changes(const struct mock *m);

/** @return how many accesses the engine saw deferred so far. */
unsigned mock_deferred(const struct mock *m);

/*
 * Test-process helpers for hook suites that touch the file system.
 */

/**
 * Report read readiness on every descriptor below 1024, in order: whatever
 * a device's back end watches sees its input.
 */
void mock_fire_reads(struct mock *m);

/**
 * @return the whole file at @p path (its first 8 KiB), NUL-terminated, in a
 * static buffer the next call reuses.  The test fails if it cannot be read.
 */
const char *mock_file_contents(const char *path);

/**
 * Make a private directory "${TMPDIR:-/tmp}/PREFIX.XXXXXX" into @p buf, so a
 * suite's files never sit loose in /tmp.  @return 0 or -errno.
 */
int mock_tmpdir_make(char *buf, size_t len, const char *prefix);

/** Remove @p dir and every file left in it (one level). */
void mock_tmpdir_remove(const char *dir);

/**
 * @return true if a pseudo-terminal can be opened end to end (posix_openpt,
 * then its /dev/pts slave): false in chroots and containers without devpts.
 */
bool mock_pty_usable(void);

#endif /* IOREQD_MOCK_HOST_H */
