/* SPDX-License-Identifier: MIT */
/*
 * A minimal daemon for the fuzz harnesses: it parses a configuration with the
 * real parser, sets up each device with its built-in hook (hooks/builtin.h)
 * through a struct ioreqd_host, and installs the hooks' handlers on a bus the
 * way the daemon does (identical ranges share one chain; the device listed
 * later runs first within its order class).  Unlike tests/mock-host.h it
 * needs no Check and no engine of its own, so a harness can drive a real
 * shared_iopage_t through ioreqd_engine_handle with the hooks in the chains.
 *
 * Host services the sample hooks do not use at run time (timers, watches,
 * interrupts, guest memory) are refused with -ENOTSUP or NULL.
 */
#ifndef IOREQD_FUZZ_HOST_H
#define IOREQD_FUZZ_HOST_H

#include "bus.h"

struct fuzz_host;

/**
 * Set up every device of @p conf (configuration file text) on @p bus.
 * A configuration or init failure is a harness bug and aborts.
 * @return the host (never NULL).
 */
struct fuzz_host *fuzz_host_new(struct ioreqd_bus *bus, const char *conf, unsigned domid);

/** Run every device's fini and free the host (NULL is fine). */
void fuzz_host_free(struct fuzz_host *h);

/** @return how many log lines the hooks produced (they are discarded). */
unsigned long fuzz_host_log_count(const struct fuzz_host *h);

#endif /* IOREQD_FUZZ_HOST_H */
