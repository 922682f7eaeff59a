/* SPDX-License-Identifier: MIT */
/*
 * Hostile-guest primitives: raw writes into the newest server's slots and
 * buffered ring, and raw kicks, for robustness and fuzz tests of a daemon.
 * Nothing here validates what it is given - that is the point - but every
 * index is bounds-checked, so a test cannot corrupt the simulator itself.
 * The orderings are the ones Xen uses, so a daemon that is correct against
 * Xen is correct against these too.
 */
#include "build-config.h"

#include "simhv.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "simhv-internal.h"

/* Byte 30 of ioreq_t holds state, data_is_ptr, dir and df (bitfields). */
#define SLOT_FLAGS_BYTE 30

_Static_assert(offsetof(ioreq_t, type) == SLOT_FLAGS_BYTE + 1,
               "the flags byte sits just before type");

/* Take the newest server for a raw operation on @p vcpu (UINT32_MAX: any). */
static int raw_server(struct ioreqd_simhv *hv, unsigned vcpu, struct sim_server **out)
{
	*out = NULL;
	if (vcpu != UINT32_MAX && vcpu >= hv->nr_vcpus)
		return -EINVAL;
	*out = ioreqd_sim_newest(hv);
	return *out ? 0 : -ENOENT;
}

int ioreqd_simhv_raw_slot_write(struct ioreqd_simhv *hv, unsigned vcpu,
                                const ioreq_t *req, bool kick)
{
	struct sim_server *s;
	volatile uint8_t *dst;
	const uint8_t *src = (const uint8_t *)req;
	int rc = raw_server(hv, vcpu, &s);

	if (rc < 0)
		return rc;
	dst = (volatile uint8_t *)&s->iopage->vcpu_ioreq[vcpu];
	for (unsigned i = 0; i < sizeof(ioreq_t); i++)
		if (i != SLOT_FLAGS_BYTE)
			dst[i] = src[i];
	/*
	 * Release: every other byte must be visible before the byte holding
	 * the state, as when Xen publishes a request.
	 */
	atomic_thread_fence(memory_order_release);
	dst[SLOT_FLAGS_BYTE] = src[SLOT_FLAGS_BYTE];
	if (kick)
		sim_efd_signal(s->kick[vcpu]);
	ioreqd_sim_server_put(s);
	return 0;
}

int ioreqd_simhv_raw_slot_read(struct ioreqd_simhv *hv, unsigned vcpu, ioreq_t *req)
{
	struct sim_server *s;
	const volatile uint8_t *src;
	uint8_t *dst = (uint8_t *)req;
	int rc = raw_server(hv, vcpu, &s);

	if (rc < 0)
		return rc;
	src = (const volatile uint8_t *)&s->iopage->vcpu_ioreq[vcpu];
	dst[SLOT_FLAGS_BYTE] = src[SLOT_FLAGS_BYTE];
	/* Acquire: the other bytes are read after the state, as Xen reads a response. */
	atomic_thread_fence(memory_order_acquire);
	for (unsigned i = 0; i < sizeof(ioreq_t); i++)
		if (i != SLOT_FLAGS_BYTE)
			dst[i] = src[i];
	ioreqd_sim_server_put(s);
	return 0;
}

int ioreqd_simhv_raw_wait(struct ioreqd_simhv *hv, unsigned vcpu, unsigned timeout_ms)
{
	struct sim_server *s;
	struct pollfd pfd;
	uint64_t cnt;
	int rc = raw_server(hv, vcpu, &s), n;

	if (rc < 0)
		return rc;
	pfd = (struct pollfd){.fd = s->done[vcpu], .events = POLLIN};
	do
		n = poll(&pfd, 1, (int)timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n > 0 && read(s->done[vcpu], &cnt, sizeof(cnt)) < 0)
		n = 0; /* somebody else consumed it */
	ioreqd_sim_server_put(s);
	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

/* The newest server's ring, or an error for a server without one. */
static int raw_ring(struct ioreqd_simhv *hv, struct sim_server **out)
{
	int rc = raw_server(hv, UINT32_MAX, out);

	if (rc == 0 && !(*out)->bufpage) {
		ioreqd_sim_server_put(*out);
		*out = NULL;
		rc = -ENODEV;
	}
	return rc;
}

int ioreqd_simhv_raw_ring_ptrs(struct ioreqd_simhv *hv, uint32_t read_pointer,
                               uint32_t write_pointer, bool kick)
{
	struct sim_server *s;
	_Atomic uint64_t *ptrs;
	union {
		struct {
			uint32_t read_pointer;
			uint32_t write_pointer;
		};
		uint64_t full;
	} p = {.read_pointer = read_pointer, .write_pointer = write_pointer};
	int rc = raw_ring(hv, &s);

	if (rc < 0)
		return rc;
	ptrs = (_Atomic uint64_t *)(void *)&s->bufpage->read_pointer;
	/* Release: slots written with raw_ring_slot_write before are visible first. */
	atomic_store_explicit(ptrs, p.full, memory_order_release);
	if (kick)
		sim_efd_signal(s->buf_kick);
	ioreqd_sim_server_put(s);
	return 0;
}

int ioreqd_simhv_raw_ring_get_ptrs(struct ioreqd_simhv *hv, uint32_t *read_pointer,
                                   uint32_t *write_pointer)
{
	struct sim_server *s;
	union {
		struct {
			uint32_t read_pointer;
			uint32_t write_pointer;
		};
		uint64_t full;
	} p;
	int rc = raw_ring(hv, &s);

	if (rc < 0)
		return rc;
	/* Acquire: pairs with the daemon's release when it advances read_pointer. */
	p.full = atomic_load_explicit(
	    (_Atomic uint64_t *)(void *)&s->bufpage->read_pointer, memory_order_acquire);
	*read_pointer = p.read_pointer;
	*write_pointer = p.write_pointer;
	ioreqd_sim_server_put(s);
	return 0;
}

int ioreqd_simhv_raw_ring_slot_write(struct ioreqd_simhv *hv, unsigned idx,
                                     const buf_ioreq_t *slot)
{
	struct sim_server *s;
	int rc;

	if (idx >= IOREQ_BUFFER_SLOT_NUM)
		return -EINVAL;
	rc = raw_ring(hv, &s);
	if (rc < 0)
		return rc;
	memcpy(&s->bufpage->buf_ioreq[idx], slot, sizeof(*slot));
	ioreqd_sim_server_put(s);
	return 0;
}
