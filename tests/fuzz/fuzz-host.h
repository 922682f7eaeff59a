/* SPDX-License-Identifier: MIT */
/*
 * A minimal daemon for the fuzz harnesses: it parses a configuration with the
 * real parser and builds the daemon's own device model (lib/engine/dm.h) from
 * it with the built-in hooks (hooks/builtin.h), so the hooks' handlers sit on
 * the device model's bus exactly as in the daemon.  Unlike tests/mock-host.h
 * it needs no Check and no engine of its own, so a harness can create engines
 * on that bus and drive a real shared_iopage_t through ioreqd_engine_handle
 * with the hooks in the chains.
 *
 * Host services the sample hooks do not use at run time (timers, watches,
 * interrupts, guest memory) are refused with -ENOTSUP or NULL.
 */
#ifndef IOREQD_FUZZ_HOST_H
#define IOREQD_FUZZ_HOST_H

#include "bus.h"
#include "dm.h"

struct fuzz_host;

/**
 * Set up every device of @p conf (configuration file text).
 * A configuration or init failure is a harness bug and aborts.
 * @return the host (never NULL).
 */
struct fuzz_host *fuzz_host_new(const char *conf, unsigned domid);

/** @return the device model's bus, with the hooks' handlers on it. */
struct ioreqd_bus *fuzz_host_bus(const struct fuzz_host *h);

/** @return the device model itself (device-state save and load). */
struct ioreqd_dm *fuzz_host_dm(const struct fuzz_host *h);

/** Run every device's fini and free the host (NULL is fine). */
void fuzz_host_free(struct fuzz_host *h);

/** @return how many log lines the hooks produced (they are discarded). */
unsigned long fuzz_host_log_count(const struct fuzz_host *h);

#endif /* IOREQD_FUZZ_HOST_H */
