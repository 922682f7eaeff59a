/* SPDX-License-Identifier: MIT */
/*
 * Fakes of the Xen libraries the Xen backend calls (libxendevicemodel,
 * libxenforeignmemory, libxenevtchn, libxenctrl, libxenstore,
 * libxentoolcore, libxengnttab: one tests/fake-xen<library>.c each, on the
 * shared state and call log of tests/fake-xen.c), with the real prototypes,
 * linked into the backend's tests in place of the real libraries.  They simulate one HVM
 * domain: N vCPUs, an ioreq server whose pages are plain memory, event channels on a
 * pipe, guest RAM, HVM CPU save records and a xenstore.  Every call is logged by name in
 * order, and any call can be told to fail, by position or by name. The test reads and
 * pokes the state through `fake_xen` directly.
 *
 * Release calls (close, unmap, unbind, destroy) release even when told to
 * fail, as the real close calls do: the test checks that the backend goes
 * on releasing everything else.
 */
#ifndef IOREQD_FAKE_XEN_H
#define IOREQD_FAKE_XEN_H

/* As in the backend: xenctrl.h first, it defines __XEN_TOOLS__. */
#include <xenctrl.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/hvm/ioreq.h>
#include <xen/hvm/save.h>

#define FAKE_MAX_CALLS 4096
#define FAKE_MAX_VCPUS 8
/* 4 MiB of guest RAM: four of the mapcache's buckets. */
#define FAKE_GUEST_PAGES 1024
#define FAKE_MAX_RANGES 32
#define FAKE_MAX_PORTS 64
#define FAKE_MAX_KEYS 16
#define FAKE_MAX_MAPS 64
#define FAKE_MAX_GRANTS 64
#define FAKE_MAX_GRANT_MAPS 16

/* Numbers the fake hands out, fixed so tests can name them. */
#define FAKE_IOSERVID 7
#define FAKE_BUF_REMOTE_PORT 0x30
#define FAKE_VP_EPORT(v) (0x40 + 3 * (v))
#define FAKE_LOCAL_PORT(remote) (0x80 + 2 * (remote))

enum fake_dom_state {
	FAKE_DOM_RUNNING = 0,
	FAKE_DOM_DYING,
	FAKE_DOM_SHUTDOWN, /* with fake_xen.shutdown_reason */
	FAKE_DOM_GONE,     /* getinfolist answers with the next domain */
};

struct fake_call {
	const char *name;
	uint64_t arg; /* the interesting argument, if any (a port, a frame) */
};

/* A grant the guest made: ref -> its frame. */
struct fake_grant {
	bool granted;
	bool readonly;
	uint32_t gfn;
};

/* A grant mapping: a private copy of the frames, written back at unmap. */
struct fake_grant_map {
	uint8_t *va; /* NULL: free */
	uint32_t *refs;
	size_t count;
	bool write;
};

struct fake_range {
	int is_mmio;
	uint64_t start, end;
};

struct fake_xen {
	/* The log and the failure rules. */
	struct fake_call calls[FAKE_MAX_CALLS];
	unsigned ncalls;
	unsigned fail_nth;     /* fail the call with this 1-based position (0: none) */
	const char *fail_name; /* or the fail_occurrence-th call of this name */
	unsigned fail_occurrence;
	unsigned name_seen;
	int fail_errno;
	unsigned failed; /* how many calls were failed */

	/* The domain. */
	unsigned domid;
	unsigned nr_vcpus;
	enum fake_dom_state state;
	unsigned shutdown_reason;

	/* Handles and what is live: all must be zero after close. */
	int live_dmod, live_fmem, live_xce, live_xch, live_xsh, live_xgt;
	int live_servers;
	int live_resources;
	int live_maps;
	int paused;
	bool enabled;

	/* The ioreq server. */
	int bufioreq;     /* HVM_IOREQSRV_BUFIOREQ_* it was created with */
	uint8_t *iopages; /* [buffered page][shared page] */
	unsigned long res_frame, res_nr;
	int res_prot;

	/* Event channels: local port -> remote port; queue of pending ports. */
	int evtchn_pipe[2];
	uint32_t bound_remote[FAKE_MAX_PORTS * 8]; /* by local port; 0 = unbound */
	unsigned nr_bound;
	uint32_t queue[FAKE_MAX_PORTS];
	unsigned queued;
	bool masked[FAKE_MAX_PORTS * 8];
	unsigned notified[FAKE_MAX_PORTS * 8];

	/* Ranges and PCI devices claimed. */
	struct fake_range ranges[FAKE_MAX_RANGES];
	unsigned nr_ranges;
	uint32_t pcidevs[FAKE_MAX_RANGES];
	unsigned nr_pcidevs;

	/* Arm: SPIs the guest's vGIC has (INTIDs 32..31+nr_spis), 0 by default. */
	unsigned nr_spis;
	/* Interrupts: the last call of each kind. */
	int isa_irq, isa_level;
	uint32_t intx_sbdf;
	int intx_pin, intx_level;
	uint64_t msi_addr;
	uint32_t msi_data;

	/* Guest memory and foreign mappings. */
	uint8_t *guest;                  /* FAKE_GUEST_PAGES pages */
	bool readonly[FAKE_GUEST_PAGES]; /* refuse a writable mapping */
	bool hole[FAKE_GUEST_PAGES];     /* not RAM: refuse any mapping */
	uint64_t max_gpfn; /* xc_domain_maximum_gpfn: FAKE_GUEST_PAGES - 1 by default */
	void *map_va[FAKE_MAX_MAPS];
	size_t map_pages[FAKE_MAX_MAPS];
	unsigned maps_made;
	uint64_t frames_mapped; /* frames mapped by all the calls, since reset */
	/*
	 * For bench/bench_xenmap: each map is a real populated anonymous mmap
	 * and each unmap a munmap, a stand-in for the privcmd hypercall, page
	 * table updates and TLB flush a real foreign mapping costs (which are
	 * dearer still).  The memory is then not the guest's.
	 */
	bool map_syscalls;

	/* The guest's grant table and our grant mappings. */
	struct fake_grant grants[FAKE_MAX_GRANTS];
	struct fake_grant_map gmaps[FAKE_MAX_GRANT_MAPS];
	int live_grant_maps;
	int last_grant_prot;

	/* HVM state: one CPU record per vCPU. */
	struct hvm_hw_cpu cpu[FAKE_MAX_VCPUS];
	unsigned setcontexts;
	bool setcontext_unpaused; /* a setcontext arrived while not paused */
	bool setcontext_downed;   /* a setcontext lacked some vCPU's record */

	/* xenstore. */
	int watch_pipe[2];
	unsigned watch_events; /* queued @releaseDomain events */
	bool watching;
	char *keys[FAKE_MAX_KEYS];
	char *values[FAKE_MAX_KEYS];

	int restricted_domid; /* -1: not restricted */

	/* The dirty log: how often each guest frame was reported modified. */
	unsigned dirty[FAKE_GUEST_PAGES];
};

extern struct fake_xen fake_xen;

/** Start over: an empty log, no failures, a running domain of @p nr_vcpus. */
void fake_xen_reset(unsigned domid, unsigned nr_vcpus);
/** Free what reset allocated. */
void fake_xen_cleanup(void);

/** Fail the @p nth call from now on (1-based, counting from the log start). */
void fake_xen_fail_nth(unsigned nth, int err);
/** Fail the @p occurrence-th call (1-based) of @p name. */
void fake_xen_fail_call(const char *name, unsigned occurrence, int err);
/** Forget the log (the failure rules count from the new start). */
void fake_xen_clear_log(void);

/** @return how many calls of @p name are in the log. */
unsigned fake_xen_count(const char *name);
/** @return the position of the first call of @p name at or after @p from, or -1. */
int fake_xen_find(const char *name, unsigned from);

/**
 * @return NULL when nothing is live any more, or a description of the
 * first thing left open, mapped, bound, created, enabled or paused.
 */
const char *fake_xen_leak(void);

/** Log a call of @p name; @return true if it must fail (errno is then set). */
bool fake_xen_call(const char *name, uint64_t arg);
/** @return true (errno ESRCH) unless @p domid is the running domain. */
bool fake_xen_wrong_domain(domid_t domid);
/** Grant @p ref to frame @p gfn, read-only or not. */
void fake_xen_grant(uint32_t ref, uint32_t gfn, bool readonly);

/** Queue an event on local port @p port (as Xen would on notify). */
void fake_xen_raise(uint32_t port);
/** Queue an @releaseDomain watch event. */
void fake_xen_fire_watch(void);
/** @return the value written at @p path, or NULL. */
const char *fake_xen_xs_get(const char *path);

/** @return a pointer to guest memory at guest-physical @p gpa. */
uint8_t *fake_xen_guest(uint64_t gpa);

#endif /* IOREQD_FAKE_XEN_H */
