/* SPDX-License-Identifier: MIT */
/*
 * The simulated hypervisor: Xen and one guest domain, played in user space, so
 * that a device-model daemon can be run and tested without Xen.
 *
 * It uses Xen's own layouts and rules.  Each ioreq server the daemon creates
 * gets a memfd holding the two frames of Xen's ioreq-server resource (frame 0
 * a buffered_iopage_t, frame 1 a shared_iopage_t with one ioreq_t per vCPU),
 * one eventfd per vCPU in each direction in place of the vCPU's event channel,
 * and one for the buffered ring.  Guest RAM is a memfd mapped at guest-physical
 * 0, for string I/O with data_is_ptr.  The daemon connects to a UNIX socket and
 * drives all of it with the messages in sim/simproto.h (daemon/backend-sim.c).
 *
 * The guest side of this API is what Xen does when a vCPU traps: route the
 * access to the newest enabled server that claims it (or complete it with the
 * null handler: reads all-ones, writes dropped), fill the vCPU's slot, publish
 * it, kick the daemon and wait for IORESP_READY, or post it to the buffered
 * ring.  Each vCPU may be driven by one thread at a time, and vCPUs run
 * concurrently.  The request path makes no system call other than the eventfd
 * write (kick) and the poll + read of the completion eventfd, and allocates
 * nothing.  Waits time out (set_timeout), so a broken daemon never hangs a test.
 *
 * Unlike Xen, nothing hangs when the daemon dies: its server is marked gone and
 * requests to the ranges it claimed fail with -EPIPE and read all-ones.  A
 * protocol violation that would make Xen crash the domain (a backward slot
 * state, an unknown state) marks the domain crashed: every daemon connection is
 * closed (the daemon sees its domain go away) and guest calls fail.
 *
 * The ioreqd_simhv_raw_* functions bypass all of this for robustness tests:
 * they write whatever they are given into the slots and the ring.
 */
#ifndef IOREQD_SIMHV_H
#define IOREQD_SIMHV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/hvm/ioreq.h>

#include <ioreqd/fault.h>

#include "simproto.h" /* IOREQD_SIM_BUFIOREQ_* */
#include "vcpu-regs.h"

#define IOREQD_SIMHV_MAX_VCPUS 128u  /* one shared_iopage_t of 32-byte slots */
#define IOREQD_SIMHV_MAX_SERVERS 8u  /* live ioreq servers per domain, as Xen */
#define IOREQD_SIMHV_MAX_RANGES 256u /* per server and space, as Xen's rangesets */
#define IOREQD_SIMHV_NR_IRQS 1024u   /* ISA IRQs (x86) or SPIs (Arm) */
#define IOREQD_SIMHV_MSI_LOG 64u     /* MSIs remembered */
#define IOREQD_SIMHV_MAX_KEYS 128u   /* published keys remembered */
#define IOREQD_SIMHV_DEFAULT_RAM (1ull << 20)
#define IOREQD_SIMHV_DEFAULT_TIMEOUT_MS 5000u
#define IOREQD_SIMHV_BUF_ADDR_MAX 0xfffffull /* buf_ioreq_t.addr is 20 bits */

struct ioreqd_simhv;

/** How to build the simulated domain. */
struct ioreqd_simhv_config {
	const char *socket_path; /**< where the daemon connects; required */
	unsigned domid;          /**< the domain id a server must be created for */
	unsigned nr_vcpus;       /**< 1..128; 0 means 1 */
	uint64_t ram_size;       /**< bytes of guest RAM at gpa 0, a multiple of 4 KiB;
	                              0 means IOREQD_SIMHV_DEFAULT_RAM */
	unsigned timeout_ms;     /**< how long a vCPU waits for the daemon; 0 = default */
};

/** Counters, summed over the vCPUs. */
struct ioreqd_simhv_stats {
	uint64_t sent;         /**< synchronous requests handed to a daemon */
	uint64_t completed;    /**< ... that it answered with IORESP_READY */
	uint64_t null_handled; /**< accesses no server claimed (null handler) */
	uint64_t posted;       /**< writes (and TIMEOFFSETs) put in a buffered ring */
	uint64_t posted_slots; /**< ring slots those took */
	uint64_t ring_full;    /**< buffered writes sent synchronously: ring full */
	uint64_t timeouts;     /**< requests the daemon did not answer in time */
	uint64_t gone;         /**< requests failed because the daemon is gone */
	uint64_t busy;         /**< requests refused: the daemon still owns the slot */
	uint64_t cancelled;    /**< the daemon reset a slot to NONE (reads all-ones) */
	uint64_t spurious_wakeups; /**< completion events with no completion */
	uint64_t late_completions; /**< timed-out requests the daemon completed later */
};

/** What the newest ioreq server looks like (for tests and simguest). */
struct ioreqd_simhv_server_info {
	unsigned id;
	unsigned bufioreq; /**< IOREQD_SIM_BUFIOREQ_OFF, _LEGACY or _ATOMIC */
	bool enabled;
	bool gone; /**< its daemon disconnected */
	unsigned nr_ranges[IOREQD_SPACE_COUNT];
};

/** What ioreqd_simhv_wait() waits for. */
enum ioreqd_simhv_cond {
	IOREQD_SIMHV_READY = 0, /**< a connected server is enabled and claims a range */
	IOREQD_SIMHV_NO_SERVER, /**< no daemon is connected */
};

/**
 * Create the domain: guest RAM, the listening socket and the thread that
 * serves daemon connections.  A stale socket file at the path is replaced; a
 * live one (something answers) is not.
 * @return the domain, or NULL with errno set (EINVAL for a bad config,
 * EADDRINUSE, ENAMETOOLONG for a path longer than sockaddr_un allows).
 */
struct ioreqd_simhv *ioreqd_simhv_new(const struct ioreqd_simhv_config *cfg);

/**
 * Destroy the domain: stop the control thread, close every connection (the
 * daemons see their domain go away), remove the socket file and free it all.
 * No guest call may be running.  NULL is fine.
 */
void ioreqd_simhv_free(struct ioreqd_simhv *hv);

/** Change how long a vCPU waits for the daemon (0 restores the default). */
void ioreqd_simhv_set_timeout(struct ioreqd_simhv *hv, unsigned timeout_ms);

/**
 * Wait until @p cond holds, like a toolstack that waits for its device model
 * before it unpauses the domain.
 * @return 0, or -ETIMEDOUT.
 */
int ioreqd_simhv_wait(struct ioreqd_simhv *hv, enum ioreqd_simhv_cond cond,
                      unsigned timeout_ms);

/** Where the device model stood when the guest started waiting for a new one. */
struct ioreqd_simhv_mark {
	unsigned server;  /**< the newest server's id */
	uint64_t key_seq; /**< when the "state" key was last published */
};

/** Take the mark.  @return 0, or -ENOENT if no server was ever created. */
int ioreqd_simhv_restart_mark(struct ioreqd_simhv *hv, struct ioreqd_simhv_mark *mark);

/**
 * The guest waits for its device model to be replaced (a restart from saved
 * state): until a server newer than the mark is enabled and claims a range,
 * with its daemon connected, and "state" was published as "running" since
 * the mark (the daemon is done setting up).
 * @return 0 or -ETIMEDOUT.
 */
int ioreqd_simhv_wait_newer(struct ioreqd_simhv *hv, const struct ioreqd_simhv_mark *mark,
                            unsigned timeout_ms);

/** Describe the newest server.  @return 0, or -ENOENT if none was created. */
int ioreqd_simhv_server_info(struct ioreqd_simhv *hv,
                             struct ioreqd_simhv_server_info *out);

/**
 * Destroy the domain as a toolstack would (xl destroy): every daemon
 * connection is closed, so each daemon sees its domain go away, no new ones
 * are accepted, and guest calls fail with -ESHUTDOWN from now on.
 * @p why is kept as the crash reason when not NULL.
 */
void ioreqd_simhv_kill(struct ioreqd_simhv *hv, const char *why);

/** @return why the domain was crashed or killed, or NULL while it runs. */
const char *ioreqd_simhv_crashed(struct ioreqd_simhv *hv);

/* --- The guest: trapped accesses --------------------------------------- */

/**
 * Errors common to the guest calls below.  A failed read still stores
 * all-ones in its result, as the guest would see.
 *   -EINVAL     bad arguments (size, space, vCPU, count, buffer outside RAM)
 *   -EBUSY      the vCPU is in use by another thread, or the daemon still owns
 *               its slot after an earlier timeout
 *   -ETIMEDOUT  the daemon did not answer in time
 *   -EPIPE      the server that claims the access lost its daemon
 *   -ECANCELED  the daemon reset the slot to NONE instead of answering (Xen
 *               completes the access with all-ones)
 *   -EPROTO     the daemon broke the slot protocol: the domain is now crashed
 *   -ESHUTDOWN  the domain was killed or crashed
 */

/**
 * One synchronous access of 1, 2, 4 or 8 bytes (port I/O and PCI config: at
 * most 4).  @p addr is a port, a guest-physical address or a PCI config
 * address in Xen's encoding (IOREQD_PCI_ADDR).
 * @param val  receives the value read, masked to the size.
 * @return 0 or a negative errno (see above).
 */
int ioreqd_simhv_read(struct ioreqd_simhv *hv, unsigned vcpu, enum ioreqd_space space,
                      uint64_t addr, unsigned size, uint64_t *val);
int ioreqd_simhv_write(struct ioreqd_simhv *hv, unsigned vcpu, enum ioreqd_space space,
                       uint64_t addr, unsigned size, uint64_t val);

/** A rep/string access (ins, outs, movs to or from MMIO, stos). */
struct ioreqd_simhv_rep {
	enum ioreqd_space space; /**< IOREQD_SPACE_PIO or IOREQD_SPACE_MMIO */
	bool read;               /**< device -> guest */
	bool df;                 /**< addresses go down (EFLAGS.DF) */
	bool data_is_ptr;        /**< data is the gpa of a buffer in guest RAM */
	unsigned size;           /**< element size: 1, 2, 4 or 8 */
	uint32_t count;          /**< elements, at least 1 */
	uint64_t addr;           /**< the first element's device address (a port
	                              stays the same; MMIO steps by size) */
	uint64_t data;           /**< data_is_ptr: the gpa of the first element's
	                              buffer slot (it steps like addr); else the
	                              value every element writes (rep stos) */
};

/**
 * Run a rep access.  Like Xen, it is split into requests that each keep the
 * MMIO range and the guest buffer inside one 4 KiB page, and each request is
 * routed on its own.  The null handler fills a read buffer with 0xff.
 * @param last  receives the last value read when !data_is_ptr (may be NULL).
 * @return 0 or a negative errno; on error the remaining elements are not run.
 */
int ioreqd_simhv_rep(struct ioreqd_simhv *hv, unsigned vcpu,
                     const struct ioreqd_simhv_rep *rep, uint64_t *last);

/**
 * A write the guest does not wait for, following Xen's rule: it is posted to
 * the buffered ring of the server that claims it only if that server asked
 * for a ring, the address is at most 0xfffff and the space is PIO or MMIO;
 * an 8-byte write takes two slots (the high half in the second).  Otherwise,
 * or when the ring is full, it is sent synchronously, as Xen does.
 * @param posted  receives whether it went through the ring (may be NULL).
 * @return 0 or a negative errno.
 */
int ioreqd_simhv_buf_write(struct ioreqd_simhv *hv, unsigned vcpu,
                           enum ioreqd_space space, uint64_t addr, unsigned size,
                           uint64_t val, bool *posted);

/**
 * Tell the device models the guest's RTC offset changed, as Xen does: an
 * IOREQ_TYPE_TIMEOFFSET of 8 bytes posted to the buffered ring of every enabled
 * server (two slots); a server without a ring does not get it, and a zero
 * delta is not sent at all.
 * @return 0, -ENODEV if some enabled server has no ring, -EAGAIN if a ring was
 * full, or another negative errno.
 */
int ioreqd_simhv_timeoffset(struct ioreqd_simhv *hv, unsigned vcpu, int64_t delta);

/**
 * Ask every enabled server to drop its guest-memory mappings, as Xen does: a
 * synchronous IOREQ_TYPE_INVALIDATE (size 4, count 0, data ~0) to each in turn.
 * @return 0 or the first negative errno.
 */
int ioreqd_simhv_invalidate(struct ioreqd_simhv *hv, unsigned vcpu);

/**
 * Wait until every server's buffered ring is empty (read_pointer ==
 * write_pointer), i.e. the daemon consumed every posted write.
 * @return 0, or -ETIMEDOUT.
 */
int ioreqd_simhv_drain(struct ioreqd_simhv *hv, unsigned timeout_ms);

/* --- Guest RAM ----------------------------------------------------------- */

/** @return guest RAM (gpa 0 upwards); @p size receives its size (may be NULL). */
void *ioreqd_simhv_ram(struct ioreqd_simhv *hv, uint64_t *size);
/** Copy guest RAM.  @return 0, or -EFAULT if [gpa, gpa+len) wraps or leaves RAM. */
int ioreqd_simhv_mem_read(struct ioreqd_simhv *hv, uint64_t gpa, void *buf, size_t len);
int ioreqd_simhv_mem_write(struct ioreqd_simhv *hv, uint64_t gpa, const void *buf,
                           size_t len);

/* --- What the daemon did --------------------------------------------------- */

/**
 * @param level    receives the line's level (may be NULL).
 * @param changes  receives how many times the daemon changed it (may be NULL).
 * @return 0, or -EINVAL for an IRQ past IOREQD_SIMHV_NR_IRQS.
 */
int ioreqd_simhv_irq_level(struct ioreqd_simhv *hv, unsigned irq, unsigned *level,
                           uint64_t *changes);
/** Wait until @p irq is at @p level.  @return 0, -EINVAL or -ETIMEDOUT. */
int ioreqd_simhv_wait_irq(struct ioreqd_simhv *hv, unsigned irq, unsigned level,
                          unsigned timeout_ms);
/** @return 0 with *level set, or -EINVAL (segment 0, bus 0, INTA..INTD only, as Xen). */
int ioreqd_simhv_intx_level(struct ioreqd_simhv *hv, uint32_t sbdf, unsigned intx,
                            unsigned *level);

/** Wait until INTx @p intx of @p sbdf is at @p level.  @return 0, -EINVAL or -ETIMEDOUT.
 */
int ioreqd_simhv_wait_intx(struct ioreqd_simhv *hv, uint32_t sbdf, unsigned intx,
                           unsigned level, unsigned timeout_ms);

/** @return how many MSIs the daemon injected so far. */
uint64_t ioreqd_simhv_msi_count(struct ioreqd_simhv *hv);
/**
 * The @p idx-th MSI injected (0 = the first).
 * @return 0, or -ENOENT if it was not injected yet or has left the log.
 */
int ioreqd_simhv_msi_get(struct ioreqd_simhv *hv, uint64_t idx, uint64_t *addr,
                         uint32_t *data);
/** Wait until at least @p count MSIs were injected.  @return 0 or -ETIMEDOUT. */
int ioreqd_simhv_wait_msi(struct ioreqd_simhv *hv, uint64_t count, unsigned timeout_ms);

/**
 * Look up a key the daemon published.
 * @return 0, -ENOENT, or -ENOSPC if @p len is too small for the value.
 */
int ioreqd_simhv_key_get(struct ioreqd_simhv *hv, const char *key, char *buf, size_t len);
/** Wait until @p key holds @p value.  @return 0 or -ETIMEDOUT. */
int ioreqd_simhv_wait_key(struct ioreqd_simhv *hv, const char *key, const char *value,
                          unsigned timeout_ms);

/**
 * A vCPU's registers: the guest side owns them and the daemon reads and
 * writes them with VCPU_GET/VCPU_SET.  They start in the x86 reset state.
 * @return 0, or -EINVAL for a vCPU out of range.
 */
int ioreqd_simhv_vcpu_get(struct ioreqd_simhv *hv, unsigned vcpu,
                          struct ioreqd_vcpu_regs *regs);
int ioreqd_simhv_vcpu_set(struct ioreqd_simhv *hv, unsigned vcpu,
                          const struct ioreqd_vcpu_regs *regs);

/** Sum the counters of every vCPU. */
void ioreqd_simhv_stats(struct ioreqd_simhv *hv, struct ioreqd_simhv_stats *out);

/* --- Hostile guest: raw access to the newest server ------------------------ */

/*
 * These act on the most recently created server (-ENOENT if there is none)
 * and check nothing but bounds.  Do not mix them with the guest calls above on
 * the same vCPU at the same time.
 */

/**
 * Write all 32 bytes of @p req into @p vcpu's slot - every field, including
 * state and vp_eport - the byte holding state last, after a release barrier,
 * as Xen publishes a request.  Kick the daemon if @p kick.
 */
int ioreqd_simhv_raw_slot_write(struct ioreqd_simhv *hv, unsigned vcpu,
                                const ioreq_t *req, bool kick);
/** Copy @p vcpu's slot as it is now (after an acquire barrier). */
int ioreqd_simhv_raw_slot_read(struct ioreqd_simhv *hv, unsigned vcpu, ioreq_t *req);
/**
 * Wait for the daemon to notify @p vcpu and consume the notification.
 * @return 0, or -ETIMEDOUT.
 */
int ioreqd_simhv_raw_wait(struct ioreqd_simhv *hv, unsigned vcpu, unsigned timeout_ms);
/** Store raw ring pointers (one 64-bit store); kick the ring's eventfd if @p kick. */
int ioreqd_simhv_raw_ring_ptrs(struct ioreqd_simhv *hv, uint32_t read_pointer,
                               uint32_t write_pointer, bool kick);
/** Read the ring pointers as one 64-bit load. */
int ioreqd_simhv_raw_ring_get_ptrs(struct ioreqd_simhv *hv, uint32_t *read_pointer,
                                   uint32_t *write_pointer);
/** Write ring slot @p idx (0..IOREQ_BUFFER_SLOT_NUM-1). */
int ioreqd_simhv_raw_ring_slot_write(struct ioreqd_simhv *hv, unsigned idx,
                                     const buf_ioreq_t *slot);

#endif /* IOREQD_SIMHV_H */
