/* SPDX-License-Identifier: MIT */
/*
 * The control protocol between the simulated hypervisor (sim/simhv.c) and the
 * daemon's sim backend (daemon/backend-sim.c): what the daemon would do with
 * libxendevicemodel hypercalls, it does here as messages on a UNIX stream
 * socket.  The shared memory and the notifications never use the socket: the
 * daemon receives memfds and eventfds once (SCM_RIGHTS) and from then on the
 * request path is shared memory plus eventfd reads and writes, as on Xen.
 *
 * Every message, in both directions, is exactly one struct ioreqd_sim_msg.
 * The daemon sends a request and waits for the reply with the same seq and op;
 * the hypervisor never sends anything unsolicited.  End of file on the socket
 * means the other side is gone: for the daemon, the domain died; for the
 * hypervisor, the device model died (its server is marked gone).
 *
 *   op          request fields            reply fields, fds attached
 *   CREATE      create.domid, .bufioreq   create.nr_vcpus, .ram_size, .server_id,
 *                                         .page_size; fds: ioreq pages (2 frames:
 *                                         0 = buffered_iopage_t, 1 = shared_iopage_t),
 *                                         guest RAM, and the buffered-ring eventfd
 *                                         when bufioreq != OFF
 *   DESTROY     -                         -
 *   BIND_VCPU   bind.vcpu                 bind.eport; fds: kick (guest -> daemon),
 *                                         done (daemon -> guest)
 *   ENABLE      enable.on                 - (enabling fills vp_eport, as on Xen)
 *   MAP_RANGE   range.space/.map/.base/.last (inclusive; PCI in ioreq encoding)
 *   IRQ_LEVEL   irq.irq, irq.level
 *   PCI_INTX    intx.sbdf, .intx, .level
 *   MSI         msi.addr, msi.data
 *   VCPU_GET    vcpu.vcpu                 vcpu.regs
 *   VCPU_SET    vcpu.vcpu, vcpu.regs
 *   PUBLISH     publish.key, .value (NUL-terminated inside their arrays)
 *
 * result is 0 or a negative errno in every reply.  Both ends run on the same
 * machine from the same build, so the structure is sent in host byte order.
 */
#ifndef IOREQD_SIMPROTO_H
#define IOREQD_SIMPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "vcpu-regs.h"

#define IOREQD_SIM_MAGIC 0x4d495349u /* "ISIM" */
#define IOREQD_SIM_VERSION 1u

#define IOREQD_SIM_KEY_MAX 256   /* publish.key, including the NUL */
#define IOREQD_SIM_VALUE_MAX 512 /* publish.value, including the NUL */
#define IOREQD_SIM_MAX_FDS 3     /* the most fds one reply carries */

/* The page size of the ioreq pages, as Xen's (XEN_PAGE_SIZE). */
#define IOREQD_SIM_PAGE_SIZE 4096u
/* Frame indexes inside the ioreq pages memfd, as XENMEM_resource_ioreq_server. */
#define IOREQD_SIM_FRAME_BUFIOREQ 0u
#define IOREQD_SIM_FRAME_IOREQ 1u
#define IOREQD_SIM_PAGES_SIZE (2u * IOREQD_SIM_PAGE_SIZE)

/** @return frame @p idx of the mapped ioreq pages (page-aligned). */
static inline void *ioreqd_sim_frame(void *pages, unsigned idx)
{
	return (char *)pages + (size_t)idx * IOREQD_SIM_PAGE_SIZE;
}

/*
 * Buffered-ring modes, the values of Xen's HVM_IOREQSRV_BUFIOREQ_* (which
 * hvm_op.h only shows to __XEN_TOOLS__ code).
 */
#define IOREQD_SIM_BUFIOREQ_OFF 0u
#define IOREQD_SIM_BUFIOREQ_LEGACY 1u /* no pointer canonicalisation */
#define IOREQD_SIM_BUFIOREQ_ATOMIC 2u /* pointers canonicalised with a 64-bit cmpxchg */

enum ioreqd_sim_op {
	IOREQD_SIM_OP_CREATE = 1,
	IOREQD_SIM_OP_DESTROY,
	IOREQD_SIM_OP_BIND_VCPU,
	IOREQD_SIM_OP_ENABLE,
	IOREQD_SIM_OP_MAP_RANGE,
	IOREQD_SIM_OP_IRQ_LEVEL,
	IOREQD_SIM_OP_PCI_INTX,
	IOREQD_SIM_OP_MSI,
	IOREQD_SIM_OP_VCPU_GET,
	IOREQD_SIM_OP_VCPU_SET,
	IOREQD_SIM_OP_PUBLISH,
	IOREQD_SIM_OP_END_ /* one past the last op */
};

struct ioreqd_sim_msg {
	uint32_t magic;   /* IOREQD_SIM_MAGIC */
	uint16_t version; /* IOREQD_SIM_VERSION */
	uint16_t op;      /* enum ioreqd_sim_op; a reply echoes it */
	uint32_t seq;     /* chosen by the daemon; a reply echoes it */
	int32_t result;   /* reply: 0 or a negative errno */
	uint32_t nfds;    /* reply: how many fds ride along (SCM_RIGHTS) */
	uint32_t pad;
	union {
		struct {
			uint32_t domid;
			uint32_t bufioreq;  /* IOREQD_SIM_BUFIOREQ_* */
			uint32_t nr_vcpus;  /* reply */
			uint32_t server_id; /* reply */
			uint32_t page_size; /* reply: IOREQD_SIM_PAGE_SIZE */
			uint32_t pad;
			uint64_t ram_size; /* reply: bytes of guest RAM at gpa 0 */
		} create;
		struct {
			uint32_t vcpu;
			uint32_t eport; /* reply: the slot's vp_eport */
		} bind;
		struct {
			uint32_t on;
		} enable;
		struct {
			uint32_t space; /* enum ioreqd_space */
			uint32_t map;   /* 1 map, 0 unmap */
			uint64_t base;
			uint64_t last; /* inclusive */
		} range;
		struct {
			uint32_t irq;
			uint32_t level;
		} irq;
		struct {
			uint32_t sbdf;
			uint32_t intx; /* 0..3 = INTA..INTD */
			uint32_t level;
		} intx;
		struct {
			uint64_t addr;
			uint32_t data;
		} msi;
		struct {
			uint32_t vcpu;
			uint32_t pad;
			struct ioreqd_vcpu_regs regs;
		} vcpu;
		struct {
			char key[IOREQD_SIM_KEY_MAX];
			char value[IOREQD_SIM_VALUE_MAX];
		} publish;
		uint8_t raw[1024]; /* pins the message size */
	} u;
};

_Static_assert(sizeof(struct ioreqd_vcpu_regs) + 8 <= 1024,
               "vCPU registers must fit one sim message");
_Static_assert(sizeof(struct ioreqd_sim_msg) == 1048, "sim messages have a fixed size");

#endif /* IOREQD_SIMPROTO_H */
