/* SPDX-License-Identifier: MIT */
/*
 * The fault API: what a handler sees of one guest access.
 *
 * Modelled on libsel4vm's guest_vcpu_fault.h.  The engine expands string and
 * rep I/O into single accesses, so a handler only ever sees one access of 1, 2,
 * 4 or 8 bytes that fits inside the range it was registered on.  Handlers never
 * see Xen's ioreq_t: the accessors hide the decoding, and the mask-and-shift
 * arithmetic for sub-register accesses lives here, in one place.
 */
#ifndef IOREQD_FAULT_H
#define IOREQD_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The registers of the vCPU that made an access (include/ioreqd/vcpu.h). */
typedef struct ioreqd_vcpu ioreqd_vcpu_t;

/** One in-flight guest access.  Opaque; owned by the engine. */
typedef struct ioreqd_fault ioreqd_fault_t;

/**
 * A value that names one deferred access.  A handler that defers keeps the
 * ticket (never the fault pointer) and turns it back into a fault with the
 * host's fault_resume() when it is ready to complete.  A ticket goes stale
 * as soon as its access completes, so a late or second completion is refused
 * instead of completing some later access of the same vCPU.
 */
typedef uint64_t ioreqd_ticket_t;

/** The address spaces a range can live in. */
enum ioreqd_space {
	IOREQD_SPACE_PIO = 0, /**< x86 port I/O, addresses 0..0xffff */
	IOREQD_SPACE_MMIO,    /**< guest-physical MMIO */
	IOREQD_SPACE_PCI,     /**< PCI config space; address = (SBDF << 32) | register */
	IOREQD_SPACE_COUNT
};

/** What a handler tells the engine. */
enum ioreqd_fault_result {
	IOREQD_FAULT_HANDLED = 0, /**< done; a read's data has been set */
	IOREQD_FAULT_PASS,  /**< not mine: give it to the handler installed before me */
	IOREQD_FAULT_DEFER, /**< I will complete it later (ioreqd_fault_advance) */
	IOREQD_FAULT_ERROR, /**< failed: a read returns all-ones, the error is counted */
};

/** @return the guest address of the access (port, guest-physical, or PCI encoding). */
uint64_t ioreqd_fault_addr(const ioreqd_fault_t *f);

/** @return the offset of the access from the base of the range it hit. */
uint64_t ioreqd_fault_offset(const ioreqd_fault_t *f);

/** @return the address space of the access. */
enum ioreqd_space ioreqd_fault_space(const ioreqd_fault_t *f);

/** @return the size of the access in bytes: 1, 2, 4 or 8. */
unsigned ioreqd_fault_size(const ioreqd_fault_t *f);

/** @return true for a read (the guest waits for data), false for a write. */
bool ioreqd_fault_is_read(const ioreqd_fault_t *f);

/** @return the id of the vCPU that made the access. */
unsigned ioreqd_fault_vcpu(const ioreqd_fault_t *f);

/**
 * @return the data of a write (already masked to the access size), or, for a
 * read, the data set so far (0 before set_data).
 */
uint64_t ioreqd_fault_data(const ioreqd_fault_t *f);

/**
 * The byte mask of the access within its 64-bit word, counted from the base of
 * the range (offset & 7, not the guest address): a 2-byte access at range
 * offset 6 gives 0xffff000000000000.  An access that crosses an 8-byte
 * boundary is masked to the part inside the word.
 * @return the mask.
 */
uint64_t ioreqd_fault_data_mask(const ioreqd_fault_t *f);

/**
 * Fetch the vCPU's instruction pointer.  It is fetched lazily (on Xen it costs
 * a hypercall) and cached for the rest of the access.
 * @param ip  receives the instruction pointer; cleared on error.
 * @return 0, or -ENOTSUP / a negative errno when the backend cannot tell.
 */
int ioreqd_fault_ip(ioreqd_fault_t *f, uint64_t *ip);

/**
 * The context of the vCPU that made the access: its registers, readable and
 * writable through include/ioreqd/vcpu.h.  Fetched lazily; changed registers
 * are written back once, just before the access completes.  For a posted
 * (buffered) write no vCPU waits, and every call on the context returns
 * -ENOTSUP.
 * @return the context; never NULL.
 */
ioreqd_vcpu_t *ioreqd_fault_vcpu_ctx(ioreqd_fault_t *f);

/**
 * Set the data a read returns.  The value is truncated to the access size.
 */
void ioreqd_fault_set_data(ioreqd_fault_t *f, uint64_t data);

/**
 * Set the data a read returns from a 64-bit register image: the bytes at
 * the access's position inside its aligned 64-bit word are taken, so an
 * access to byte 2 of a register returns (reg >> 16) & 0xff.
 */
void ioreqd_fault_set_data_from_reg(ioreqd_fault_t *f, uint64_t reg);

/**
 * Merge a write into the old value of its aligned 64-bit word:
 * (old & ~mask) | ((data << shift) & mask).
 * @return the merged value.  For a read it returns @p old unchanged.
 */
uint64_t ioreqd_fault_emulate(const ioreqd_fault_t *f, uint64_t old);

/**
 * Called once when an access is finished, with the handlers' verdict:
 * HANDLED, ERROR, PASS (nobody claimed it: a read returned all-ones), or
 * DEFER (a deferred access that its handler completed).  ioreqd_fault_data()
 * then holds what a read returned (or the write's data).
 */
typedef void (*ioreqd_fault_done_fn)(const ioreqd_fault_t *f,
                                     enum ioreqd_fault_result res, void *arg);

/**
 * Watch an access to its end (a chain-head tracer records what the handlers
 * behind it answered).  One watcher per access; it is dropped once called.
 * @return 0, or -EBUSY if the access already has a watcher.
 */
int ioreqd_fault_on_done(ioreqd_fault_t *f, ioreqd_fault_done_fn fn, void *arg);

/** @return the ticket naming this access, for deferred completion. */
ioreqd_ticket_t ioreqd_fault_ticket(const ioreqd_fault_t *f);

/**
 * Complete an access that a handler deferred.  Call exactly once, after
 * set_data for a read.  The engine then finishes the rest of a string access
 * and releases the vCPU.
 * @return 0, -EALREADY if the access was already completed, or -EINVAL if the
 * access was never deferred (a synchronous handler returns HANDLED instead).
 */
int ioreqd_fault_advance(ioreqd_fault_t *f);

/**
 * Run a deferred access through its handler chain again, from the head, as if
 * it had just arrived (for a device that was busy and now is not).  The vCPU
 * stays held until some handler completes it.
 * @return 0, or -EALREADY / -EINVAL as for advance.
 */
int ioreqd_fault_restart(ioreqd_fault_t *f);

#ifdef __cplusplus
}
#endif

#endif /* IOREQD_FAULT_H */
