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
 * interrupts, guest memory) are refused with -ENOTSUP or NULL, unless the
 * host is made with fuzz_host_new_ram: then it has guest RAM behind a
 * *checked* host->gmem (every map validated and recorded, read-only maps
 * handed out through a read-only alias of the same pages, so a write
 * through one faults), an interrupt recorder, and timers and fd watches
 * that run only when the harness says (fuzz_host_run_timers,
 * fuzz_host_run_watches), so every input runs deterministically.
 */
#ifndef IOREQD_FUZZ_HOST_H
#define IOREQD_FUZZ_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "dm.h"

struct fuzz_host;

/**
 * Set up every device of @p conf (configuration file text).
 * A configuration or init failure is a harness bug and aborts.
 * @return the host (never NULL).
 */
struct fuzz_host *fuzz_host_new(const char *conf, unsigned domid);

/**
 * Like fuzz_host_new, with @p ram_size bytes of guest RAM (a multiple of
 * the page size) at @p ram_gpa and the services above.  RAM starts zeroed
 * and has an inaccessible guard page on each side.
 */
struct fuzz_host *fuzz_host_new_ram(const char *conf, unsigned domid, uint64_t ram_gpa,
                                    size_t ram_size);

/** @return guest RAM, writable (the guest's view). */
uint8_t *fuzz_host_ram(const struct fuzz_host *h);

/**
 * A policy on top of the RAM check: @p fn is asked about every map that is
 * inside RAM and returns true to let it through (false: the map fails with
 * -EFAULT, as for a range outside RAM).  NULL: no policy.
 */
void fuzz_host_set_map_filter(struct fuzz_host *h,
                              bool (*fn)(void *arg, uint64_t gpa, uint64_t len,
                                         bool write),
                              void *arg);

/** Mappings made and not yet released; every map the host answered. */
unsigned fuzz_host_maps_live(const struct fuzz_host *h);
unsigned long fuzz_host_maps_total(const struct fuzz_host *h);

/**
 * host->irq_set_level calls on line @p irq so far (lines 0-63; a hook that
 * uses another line aborts), and the last level set on it (-1: never).
 */
unsigned long fuzz_host_irq_calls(const struct fuzz_host *h, unsigned irq);
int fuzz_host_irq_level(const struct fuzz_host *h, unsigned irq);

/**
 * An MMIO access through the device model's engine, as a vCPU would make
 * it.  @return what the engine completed with (reads: the data).
 */
uint64_t fuzz_host_mmio(struct fuzz_host *h, uint64_t addr, unsigned size, bool is_read,
                        uint64_t data);

/** A PCI config space access of function @p sbdf, likewise. */
uint64_t fuzz_host_pci(struct fuzz_host *h, uint32_t sbdf, uint32_t reg, unsigned size,
                       bool is_read, uint64_t data);

/** host->pci_intx_set_level and host->inject_msi calls so far. */
unsigned long fuzz_host_pci_irqs(const struct fuzz_host *h);

/** Fire the first armed timer (disarmed first).  @return 1, or 0 if none was armed. */
unsigned fuzz_host_run_timers(struct fuzz_host *h);

/**
 * Poll every watched fd for up to @p timeout_ms and run the callbacks of
 * those that are ready.  @return how many ran.
 */
unsigned fuzz_host_run_watches(struct fuzz_host *h, int timeout_ms);

/** @return the device model's bus, with the hooks' handlers on it. */
struct ioreqd_bus *fuzz_host_bus(const struct fuzz_host *h);

/** @return the device model itself (device-state save and load). */
struct ioreqd_dm *fuzz_host_dm(const struct fuzz_host *h);

/**
 * Run every device's fini and free the host (NULL is fine).  With RAM, every
 * guest mapping must have been released by then (checked: abort if not).
 */
void fuzz_host_free(struct fuzz_host *h);

/** @return how many log lines the hooks produced (they are discarded). */
unsigned long fuzz_host_log_count(const struct fuzz_host *h);

#endif /* IOREQD_FUZZ_HOST_H */
