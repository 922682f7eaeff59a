/* SPDX-License-Identifier: MIT */
/*
 * What tests/check_backend_xen.c and tests/check_backend_xen_state.c share:
 * the Xen backend over the fake Xen libraries (tests/fake-xen.h), brought up
 * the way the daemon does it, with the log captured.
 */
#ifndef IOREQD_TESTS_XEN_RIG_H
#define IOREQD_TESTS_XEN_RIG_H

#include "fake-xen.h"

#include <check.h>
#include <stdbool.h>

#include "backend.h"
#include "backend-xen.h"
#include "bus.h"
#include "log.h"

#define DOMID 5
#if defined(__i386__) || defined(__x86_64__)
#define XEN_TEST_X86 1
#else
#define XEN_TEST_X86 0
#endif
#define INJECTED EL2HLT
#define PCI_SBDF IOREQD_PCI_SBDF(0, 0, 5, 0)

extern const struct ioreqd_backend_ops *const be;
extern const struct ioreqd_guest_ops *const gbe;

/* The messages logged since setup_each (the first 64 kept). */
extern char msgs[64][512];
extern unsigned nmsgs;

/** @return the first captured message holding both @p a and @p b (b may be NULL). */
const char *logged(const char *a, const char *b);
/** The fixture: a clean log sink and fake domain DOMID with two vCPUs. */
void setup_each(void);
void teardown_each(void);

/* A backend brought up the way the daemon does it. */
struct rig {
	void *priv;
	shared_iopage_t *sync;
	buffered_iopage_t *buf;
	unsigned nr;
};

/** open, map_pages, enable, nr_vcpus, bind, then a PIO, MMIO and PCI range. */
int rig_up(struct rig *r, bool buffered);
void rig_down(struct rig *r);

/* What pending() reported. */
struct seen {
	unsigned n;
	enum ioreqd_backend_event ev[8];
	unsigned vcpu[8];
};

/** A pending() callback that appends to the struct seen at @p arg. */
void record(void *arg, enum ioreqd_backend_event ev, unsigned vcpu);

/** Check that the log holds exactly the @p n calls named in @p want, in order. */
void assert_calls(const char *const *want, unsigned n);

#endif /* IOREQD_TESTS_XEN_RIG_H */
