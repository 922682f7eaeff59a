/* SPDX-License-Identifier: MIT */
/*
 * The bus: one sorted map of non-overlapping inclusive [base, last] ranges per
 * address space (PIO, MMIO, PCI config), each carrying a handler chain.
 *
 * PCI config space uses Xen's own address encoding (segment 63:48, bus 47:40,
 * device 39:35, function 34:32, register 31:0), so one map covers every SBDF
 * and a range may never span two SBDFs.
 *
 * Handler chains follow the VMM's Hook_VMM_Fault: the handler installed later
 * gets control first and may pass the access on to the one installed before
 * it.  Placement classes (first/normal/last) order the chain coarsely; within
 * a class the newest handler runs first.
 */
#ifndef IOREQD_BUS_H
#define IOREQD_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include <ioreqd/fault.h>

struct ioreqd_bus;
struct ioreqd_range;
struct ioreqd_hnode;

/** Where in a chain a handler sits. */
enum ioreqd_order {
	IOREQD_ORDER_FIRST = 0, /* ahead of every normal handler */
	IOREQD_ORDER_NORMAL,    /* newest first */
	IOREQD_ORDER_LAST,      /* behind every normal handler */
};

typedef enum ioreqd_fault_result (*ioreqd_handler_fn)(ioreqd_fault_t *f, void *opaque);

/** What a caller installs on a range. */
struct ioreqd_handler {
	const char *name; /* for statistics and logs; must outlive the node */
	ioreqd_handler_fn fn;
	void *opaque; /* passed to fn */
	enum ioreqd_order order;
};

/** Counters kept per handler and per range. */
struct ioreqd_counters {
	uint64_t accesses;
	uint64_t reads;
	uint64_t writes;
	uint64_t passes;
	uint64_t defers;
	uint64_t errors;
};

/** PCI helpers: Xen's SBDF/config address encoding. */
#define IOREQD_PCI_SBDF(seg, bus, dev, fn)                                               \
	((uint32_t)(((uint32_t)(seg) << 16) | ((uint32_t)(bus) << 8) |                   \
	            ((uint32_t)(dev) << 3) | (uint32_t)(fn)))
#define IOREQD_PCI_ADDR(sbdf, reg) (((uint64_t)(sbdf) << 32) | (uint32_t)(reg))

struct ioreqd_pci_addr {
	uint16_t seg;
	uint8_t bus;
	uint8_t dev; /* 0..31 */
	uint8_t fn;  /* 0..7 */
	uint32_t reg;
};

/** Decode a PCI config ioreq address into its parts. */
void ioreqd_pci_decode(uint64_t addr, struct ioreqd_pci_addr *out);
/** @return the SBDF part (bits 63:32) of a PCI config address. */
static inline uint32_t ioreqd_pci_sbdf(uint64_t addr)
{
	return (uint32_t)(addr >> 32);
}

/** @return a new empty bus, or NULL. */
struct ioreqd_bus *ioreqd_bus_new(void);
/** Free a bus, its ranges and their chains (NULL is fine). */
void ioreqd_bus_free(struct ioreqd_bus *bus);

/**
 * Add a range.  Rejected with a reason in *why (static string):
 * -EINVAL for base > last (wraparound or zero size), an unknown space, a PIO
 * range past 0xffff, or a PCI range spanning two SBDFs; -EEXIST for any
 * overlap with an existing range, including one that encloses or is enclosed.
 * Nothing is installed on failure.
 * @param out  receives the new range (may be NULL).
 * @return 0 or a negative errno.
 */
int ioreqd_bus_add(struct ioreqd_bus *bus, enum ioreqd_space space, uint64_t base,
                   uint64_t last, struct ioreqd_range **out, const char **why);

/** Same as ioreqd_bus_add but with (base, size); size 0 and overflow are rejected. */
int ioreqd_bus_add_sized(struct ioreqd_bus *bus, enum ioreqd_space space, uint64_t base,
                         uint64_t size, struct ioreqd_range **out, const char **why);

/**
 * Claim [base, last] for one more user: the identical existing range (its
 * chain gets another handler), or a new one.  Partial overlap is rejected as
 * by ioreqd_bus_add.  Every caller that gives devices ranges (the daemon, the
 * replay tool, the test host) goes through this and ioreqd_bus_release.
 * @return 0 or a negative errno (with *why as for ioreqd_bus_add).
 */
int ioreqd_bus_claim(struct ioreqd_bus *bus, enum ioreqd_space space, uint64_t base,
                     uint64_t last, struct ioreqd_range **out, const char **why);

/**
 * Undo one claim: uninstall @p node (NULL if none was installed) and remove
 * the range once its last claim is released.
 * @return 1 if the range was removed (release it from the hypervisor too),
 * 0 if others still use it, or -EBUSY (nothing changed) while the range's
 * chain is running for an access.
 */
int ioreqd_bus_release(struct ioreqd_bus *bus, struct ioreqd_range *range,
                       struct ioreqd_hnode *node);

/** @return the range exactly [base, last] in @p space, or NULL. */
struct ioreqd_range *ioreqd_bus_find(const struct ioreqd_bus *bus,
                                     enum ioreqd_space space, uint64_t base,
                                     uint64_t last);

/**
 * Remove a range and free its chain.  @return 0, -ENOENT, or -EBUSY while the
 * range's chain is running for an access (a handler removing its own range).
 */
int ioreqd_bus_remove(struct ioreqd_bus *bus, struct ioreqd_range *range);

/**
 * Find the range holding the whole access [addr, addr + size - 1].
 * An access that straddles a range boundary, or wraps, finds nothing.
 * @return the range or NULL.  O(log n).
 */
struct ioreqd_range *ioreqd_bus_lookup(const struct ioreqd_bus *bus,
                                       enum ioreqd_space space, uint64_t addr,
                                       unsigned size);

/** @return how many ranges @p space holds. */
unsigned ioreqd_bus_count(const struct ioreqd_bus *bus, enum ioreqd_space space);

/** Call @p fn for every range of every space, in address order. Stops on non-zero. */
int ioreqd_bus_foreach(const struct ioreqd_bus *bus,
                       int (*fn)(struct ioreqd_range *r, void *arg), void *arg);

/** @return "pio", "mmio" or "pci" (the config file's words), "?" out of range. */
const char *ioreqd_space_name(enum ioreqd_space space);

enum ioreqd_space ioreqd_range_space(const struct ioreqd_range *r);
uint64_t ioreqd_range_base(const struct ioreqd_range *r);
uint64_t ioreqd_range_last(const struct ioreqd_range *r);
struct ioreqd_counters *ioreqd_range_counters(struct ioreqd_range *r);
/** Opaque owner tag the caller may attach (the daemon stores its device). */
void ioreqd_range_set_owner(struct ioreqd_range *r, void *owner);
void *ioreqd_range_owner(const struct ioreqd_range *r);

/**
 * Install a handler on a range, placed by h->order.
 * @param out       receives the node, needed to uninstall (may be NULL).
 * @param had_prev  receives whether the range had a handler before (may be NULL).
 * @return 0, -EINVAL for a NULL fn or bad order, -ENOMEM.
 */
int ioreqd_range_install(struct ioreqd_range *r, const struct ioreqd_handler *h,
                         struct ioreqd_hnode **out, bool *had_prev);

/**
 * Remove one handler, wherever it sits in the chain.  @return 0, -ENOENT, or
 * -EBUSY while the range's chain is running for an access.
 */
int ioreqd_range_uninstall(struct ioreqd_range *r, struct ioreqd_hnode *node);

/** @return the first handler to run, or NULL for an empty chain. */
struct ioreqd_hnode *ioreqd_range_head(const struct ioreqd_range *r);
/** @return the handler installed before @p n (the next to run), or NULL. */
struct ioreqd_hnode *ioreqd_hnode_next(const struct ioreqd_hnode *n);
const struct ioreqd_handler *ioreqd_hnode_handler(const struct ioreqd_hnode *n);
struct ioreqd_counters *ioreqd_hnode_counters(struct ioreqd_hnode *n);
/** @return how many handlers sit on a range. */
unsigned ioreqd_range_chain_length(const struct ioreqd_range *r);

#endif /* IOREQD_BUS_H */
