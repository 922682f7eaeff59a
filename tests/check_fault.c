/* SPDX-License-Identifier: MIT */
/*
 * Check suite for the fault API (lib/fault.c): the accessors a handler sees,
 * set_data truncation, the byte mask and the emulate merge at every size and
 * offset inside a 64-bit word, set_data_from_reg, the lazily fetched
 * instruction pointer, and the advance/restart state rules.  The arithmetic
 * is checked against a byte-by-byte model on faults built directly from the
 * hook-SDK layout; everything that needs an engine runs through one.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "fault-internal.h"
#include "engine.h"
#include "log.h"

static const unsigned sizes[] = {1, 2, 4, 8};

/* A fault as the engine would present it, for the pure accessors. */
static ioreqd_fault_t mkfault(uint64_t offset, unsigned size, bool read, uint64_t data)
{
	ioreqd_fault_t f;

	memset(&f, 0, sizeof(f));
	f.addr = 0x1000 + offset;
	f.offset = offset;
	f.size = (uint8_t)size;
	f.is_read = read;
	f.data = data;
	f.space = IOREQD_SPACE_MMIO;
	f.state = FAULT_RUNNING;
	return f;
}

/* Byte-wise model: bytes [off, min(off + size, 8)) of the word are covered. */
static uint64_t model_mask(unsigned off, unsigned size)
{
	uint64_t m = 0;

	for (unsigned b = off; b < off + size && b < 8; b++)
		m |= 0xffull << (b * 8);
	return m;
}

START_TEST(test_fault_accessors_return_fields)
{
	ioreqd_fault_t f = mkfault(0x24, 4, true, 0);

	f.vcpu = 3;
	f.space = IOREQD_SPACE_PCI;
	ck_assert_uint_eq(ioreqd_fault_addr(&f), 0x1024);
	ck_assert_uint_eq(ioreqd_fault_offset(&f), 0x24);
	ck_assert_uint_eq(ioreqd_fault_size(&f), 4);
	ck_assert(ioreqd_fault_is_read(&f));
	ck_assert_uint_eq(ioreqd_fault_vcpu(&f), 3);
	ck_assert_int_eq(ioreqd_fault_space(&f), IOREQD_SPACE_PCI);
	ck_assert_uint_eq(ioreqd_fault_data(&f), 0);
	f.is_read = 0;
	f.data = 0xabcd;
	ck_assert(!ioreqd_fault_is_read(&f));
	ck_assert_uint_eq(ioreqd_fault_data(&f), 0xabcd);
}
END_TEST

START_TEST(test_fault_set_data_truncates_to_size)
{
	static const uint64_t want[] = {0x88, 0x7788, 0x55667788, 0x1122334455667788ull};

	for (unsigned i = 0; i < 4; i++) {
		ioreqd_fault_t f = mkfault(0, sizes[i], true, 0);

		ioreqd_fault_set_data(&f, 0x1122334455667788ull);
		ck_assert_uint_eq(ioreqd_fault_data(&f), want[i]);
		ioreqd_fault_set_data(&f, 0);
		ck_assert_uint_eq(ioreqd_fault_data(&f), 0);
		ioreqd_fault_set_data(&f, ~0ull);
		ck_assert_uint_eq(ioreqd_fault_data(&f),
		                  sizes[i] == 8 ? ~0ull : (1ull << (sizes[i] * 8)) - 1);
	}
}
END_TEST

START_TEST(test_fault_data_mask_at_each_offset)
{
	for (unsigned i = 0; i < 4; i++) {
		for (unsigned off = 0; off < 8; off++) {
			ioreqd_fault_t f = mkfault(off, sizes[i], false, 0);

			ck_assert_msg(
			    ioreqd_fault_data_mask(&f) == model_mask(off, sizes[i]),
			    "size %u offset %u: 0x%016llx want 0x%016llx", sizes[i], off,
			    (unsigned long long)ioreqd_fault_data_mask(&f),
			    (unsigned long long)model_mask(off, sizes[i]));
		}
	}
	/* The documented example, and the position within the word, not the range. */
	{
		ioreqd_fault_t f = mkfault(0x16, 2, false, 0);

		ck_assert_uint_eq(ioreqd_fault_data_mask(&f), 0xffff000000000000ull);
	}
}
END_TEST

START_TEST(test_fault_emulate_merges_every_size_at_every_offset)
{
	const uint64_t old = 0xa5a5a5a5a5a5a5a5ull;
	const uint64_t data = 0x1122334455667788ull;

	for (unsigned i = 0; i < 4; i++) {
		unsigned size = sizes[i];
		uint64_t d = size == 8 ? data : data & ((1ull << (size * 8)) - 1);

		for (unsigned off = 0; off < 8; off++) {
			ioreqd_fault_t f = mkfault(off, size, false, d);
			uint64_t want = old;

			/* Model: byte k of the data lands at byte off + k of the word. */
			for (unsigned k = 0; k < size && off + k < 8; k++) {
				uint64_t byte = (d >> (k * 8)) & 0xff;

				want &= ~(0xffull << ((off + k) * 8));
				want |= byte << ((off + k) * 8);
			}
			ck_assert_msg(ioreqd_fault_emulate(&f, old) == want,
			              "size %u offset %u: 0x%016llx want 0x%016llx", size,
			              off,
			              (unsigned long long)ioreqd_fault_emulate(&f, old),
			              (unsigned long long)want);
		}
	}
}
END_TEST

START_TEST(test_fault_emulate_of_read_returns_old)
{
	for (unsigned i = 0; i < 4; i++) {
		ioreqd_fault_t f = mkfault(2, sizes[i], true, 0xffff);

		ck_assert_uint_eq(ioreqd_fault_emulate(&f, 0x0123456789abcdefull),
		                  0x0123456789abcdefull);
	}
}
END_TEST

START_TEST(test_fault_set_data_from_reg_takes_bytes_at_offset)
{
	const uint64_t reg = 0x0807060504030201ull;

	for (unsigned i = 0; i < 4; i++) {
		unsigned size = sizes[i];

		for (unsigned off = 0; off < 8; off++) {
			ioreqd_fault_t f = mkfault(off, size, true, 0);
			uint64_t want = 0;

			for (unsigned k = 0; k < size && off + k < 8; k++)
				want |= ((reg >> ((off + k) * 8)) & 0xff) << (k * 8);
			ioreqd_fault_set_data_from_reg(&f, reg);
			ck_assert_msg(ioreqd_fault_data(&f) == want,
			              "size %u offset %u: 0x%llx want 0x%llx", size, off,
			              (unsigned long long)ioreqd_fault_data(&f),
			              (unsigned long long)want);
		}
	}
	/* The documented example: byte 2 returns (reg >> 16) & 0xff. */
	{
		ioreqd_fault_t f = mkfault(2, 1, true, 0);

		ioreqd_fault_set_data_from_reg(&f, reg);
		ck_assert_uint_eq(ioreqd_fault_data(&f), 0x03);
	}
}
END_TEST

START_TEST(test_fault_ip_without_backend_is_enotsup)
{
	ioreqd_fault_t f = mkfault(0, 4, true, 0);
	uint64_t ip = 0xdead;

	ck_assert_int_eq(ioreqd_fault_ip(&f, &ip), -ENOTSUP);
	ck_assert_uint_eq(ip, 0);
}
END_TEST

START_TEST(test_fault_advance_without_engine_ops_is_enotsup)
{
	ioreqd_fault_t f = mkfault(0, 4, true, 0);

	f.state = FAULT_DEFERRED;
	ck_assert_int_eq(ioreqd_fault_advance(&f), -ENOTSUP);
	ck_assert_int_eq(ioreqd_fault_restart(&f), -ENOTSUP);
	f.state = FAULT_IDLE;
	ck_assert_int_eq(ioreqd_fault_advance(&f), -EALREADY);
	ck_assert_int_eq(ioreqd_fault_restart(&f), -EALREADY);
}
END_TEST

/* --- engine-driven tests --- */

static unsigned nlogs;
static struct ioreqd_bus *bus;
static struct ioreqd_range *range;
static struct ioreqd_engine *eng;
static unsigned ip_calls;
static int ip_rc;
static unsigned ip_vcpu;

static void log_sink(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(*(unsigned *)arg)++;
}

static int notify_nop(void *opaque, unsigned vcpu)
{
	(void)opaque;
	(void)vcpu;
	return 0;
}

static int get_ip(void *opaque, unsigned vcpu, uint64_t *ip)
{
	(void)opaque;
	ip_calls++;
	ip_vcpu = vcpu;
	if (ip_rc)
		return ip_rc;
	*ip = 0xffffffff81000000ull + vcpu;
	return 0;
}

static void setup(void)
{
	static const struct ioreqd_guest_ops ops_guest = {
	    .notify = notify_nop,
	    .get_ip = get_ip,
	};

	nlogs = 0;
	ip_calls = 0;
	ip_rc = 0;
	ioreqd_log_set_sink(log_sink, &nlogs);
	bus = ioreqd_bus_new();
	ck_assert_ptr_nonnull(bus);
	ck_assert_int_eq(
	    ioreqd_bus_add(bus, IOREQD_SPACE_MMIO, 0xfee00000, 0xfee00fff, &range, NULL),
	    0);
	eng = ioreqd_engine_new(bus, NULL, 4, 9, &ops_guest, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(eng);
}

static void teardown(void)
{
	ioreqd_engine_free(eng);
	ioreqd_bus_free(bus);
	ioreqd_log_set_sink(NULL, NULL);
}

/* What a handler saw and does; one struct drives every engine test below. */
struct probe {
	int verdict;
	unsigned ip_reads; /* how many times to call ioreqd_fault_ip */
	uint64_t ip;
	int ip_ret;
	uint64_t addr, offset, data;
	unsigned size, vcpu, calls;
	bool is_read;
	enum ioreqd_space space;
	int advance_inside, restart_inside;
	ioreqd_fault_t *fault;
	ioreqd_ticket_t ticket;
};

static enum ioreqd_fault_result probe_fn(ioreqd_fault_t *f, void *opaque)
{
	struct probe *p = opaque;

	p->calls++;
	p->addr = ioreqd_fault_addr(f);
	p->offset = ioreqd_fault_offset(f);
	p->data = ioreqd_fault_data(f);
	p->size = ioreqd_fault_size(f);
	p->vcpu = ioreqd_fault_vcpu(f);
	p->is_read = ioreqd_fault_is_read(f);
	p->space = ioreqd_fault_space(f);
	for (unsigned i = 0; i < p->ip_reads; i++)
		p->ip_ret = ioreqd_fault_ip(f, &p->ip);
	/* Advance and restart are refused while the handler still runs. */
	p->advance_inside = ioreqd_fault_advance(f);
	p->restart_inside = ioreqd_fault_restart(f);
	p->fault = f;
	p->ticket = ioreqd_fault_ticket(f);
	if (p->is_read && p->verdict == IOREQD_FAULT_HANDLED)
		ioreqd_fault_set_data(f, 0x1234);
	return (enum ioreqd_fault_result)p->verdict;
}

static void install_probe(struct probe *p)
{
	struct ioreqd_handler h = {.name = "probe", .fn = probe_fn, .opaque = p};

	ck_assert_int_eq(ioreqd_range_install(range, &h, NULL, NULL), 0);
}

static int inject(unsigned vcpu, ioreq_t *req, uint64_t addr, unsigned size, bool read,
                  uint64_t data)
{
	*req = (ioreq_t){.addr = addr,
	                 .data = data,
	                 .count = 1,
	                 .size = size,
	                 .state = STATE_IOREQ_READY,
	                 .dir = read ? IOREQ_READ : IOREQ_WRITE,
	                 .type = IOREQ_TYPE_COPY};
	return ioreqd_engine_inject(eng, vcpu, req);
}

START_TEST(test_fault_accessors_see_the_access)
{
	struct probe p = {.verdict = IOREQD_FAULT_HANDLED};
	ioreq_t req;

	install_probe(&p);
	ck_assert_int_eq(inject(2, &req, 0xfee00306, 2, false, 0xcafebeef), 1);
	ck_assert_uint_eq(p.calls, 1);
	ck_assert_uint_eq(p.addr, 0xfee00306);
	ck_assert_uint_eq(p.offset, 0x306);
	ck_assert_uint_eq(p.size, 2);
	ck_assert_uint_eq(p.vcpu, 2);
	ck_assert(!p.is_read);
	ck_assert_int_eq(p.space, IOREQD_SPACE_MMIO);
	ck_assert_uint_eq(p.data, 0xbeef); /* write data masked to the size */
	ck_assert_uint_eq(ioreqd_fault_data_mask(p.fault), 0xffff000000000000ull);
	ck_assert_uint_eq(ioreqd_fault_ticket(p.fault) & 0xffff, 2);
	ck_assert_int_eq(inject(1, &req, 0xfee00000, 4, true, 0), 1);
	ck_assert(p.is_read);
	ck_assert_uint_eq(p.data, 0); /* a read starts with no data */
	ck_assert_uint_eq(req.data, 0x1234);
}
END_TEST

START_TEST(test_fault_ip_fetched_lazily_exactly_once)
{
	struct probe p = {.verdict = IOREQD_FAULT_HANDLED, .ip_reads = 0};
	ioreq_t req;

	install_probe(&p);
	/* A handler that never asks costs nothing. */
	ck_assert_int_eq(inject(1, &req, 0xfee00000, 4, true, 0), 1);
	ck_assert_uint_eq(ip_calls, 0);
	/* Three reads in one access: one fetch. */
	p.ip_reads = 3;
	ck_assert_int_eq(inject(3, &req, 0xfee00000, 4, true, 0), 1);
	ck_assert_uint_eq(ip_calls, 1);
	ck_assert_uint_eq(ip_vcpu, 3);
	ck_assert_int_eq(p.ip_ret, 0);
	ck_assert_uint_eq(p.ip, 0xffffffff81000003ull);
	/* The cache lasts one access only: the next access fetches again. */
	ck_assert_int_eq(inject(0, &req, 0xfee00000, 4, true, 0), 1);
	ck_assert_uint_eq(ip_calls, 2);
	ck_assert_uint_eq(p.ip, 0xffffffff81000000ull);
}
END_TEST

START_TEST(test_fault_ip_error_is_not_cached)
{
	struct probe p = {.verdict = IOREQD_FAULT_HANDLED, .ip_reads = 2};
	ioreq_t req;

	install_probe(&p);
	ip_rc = -EIO;
	ck_assert_int_eq(inject(0, &req, 0xfee00000, 4, true, 0), 1);
	ck_assert_int_eq(p.ip_ret, -EIO);
	ck_assert_uint_eq(p.ip, 0);     /* cleared on error */
	ck_assert_uint_eq(ip_calls, 2); /* each failed attempt asks again */
}
END_TEST

START_TEST(test_fault_advance_and_restart_refused_while_running)
{
	struct probe p = {.verdict = IOREQD_FAULT_HANDLED};
	ioreq_t req;

	install_probe(&p);
	ck_assert_int_eq(inject(0, &req, 0xfee00000, 4, true, 0), 1);
	ck_assert_int_eq(p.advance_inside, -EINVAL);
	ck_assert_int_eq(p.restart_inside, -EINVAL);
	ck_assert_uint_eq(req.data, 0x1234);
	ck_assert_uint_eq(ioreqd_engine_stats(eng)->completed, 1);
}
END_TEST

START_TEST(test_fault_advance_after_completion_is_ealready)
{
	struct probe p = {.verdict = IOREQD_FAULT_HANDLED};
	ioreq_t req;

	install_probe(&p);
	ck_assert_int_eq(inject(0, &req, 0xfee00000, 4, false, 1), 1);
	/* Synchronously handled: already complete. */
	ck_assert_int_eq(ioreqd_fault_advance(p.fault), -EALREADY);
	ck_assert_int_eq(ioreqd_fault_restart(p.fault), -EALREADY);
	ck_assert_uint_eq(ioreqd_engine_stats(eng)->completed, 1);
}
END_TEST

START_TEST(test_fault_deferred_advance_then_second_advance_is_ealready)
{
	struct probe p = {.verdict = IOREQD_FAULT_DEFER};
	ioreq_t req;

	install_probe(&p);
	ck_assert_int_eq(inject(1, &req, 0xfee00010, 4, true, 0), 0);
	ck_assert_uint_eq(req.state, STATE_IOREQ_INPROCESS);
	ck_assert_ptr_eq(ioreqd_engine_resume(eng, p.ticket), p.fault);
	ioreqd_fault_set_data(p.fault, 0xabcdef01);
	ck_assert_int_eq(ioreqd_fault_advance(p.fault), 0);
	ck_assert_uint_eq(req.state, STATE_IORESP_READY);
	ck_assert_uint_eq(req.data, 0xabcdef01);
	ck_assert_int_eq(ioreqd_fault_advance(p.fault), -EALREADY);
	ck_assert_int_eq(ioreqd_fault_restart(p.fault), -EALREADY);
	ck_assert_ptr_null(ioreqd_engine_resume(eng, p.ticket));
	ck_assert_uint_eq(ioreqd_engine_stats(eng)->completed, 1);
}
END_TEST

START_TEST(test_fault_ticket_changes_every_access)
{
	struct probe p = {.verdict = IOREQD_FAULT_HANDLED};
	ioreq_t req;
	ioreqd_ticket_t t1, t2;

	install_probe(&p);
	inject(2, &req, 0xfee00000, 4, true, 0);
	t1 = p.ticket;
	inject(2, &req, 0xfee00000, 4, true, 0);
	t2 = p.ticket;
	ck_assert_uint_ne(t1, t2);
	ck_assert_uint_eq(t1 & 0xffff, 2);
	ck_assert_uint_eq(t2 & 0xffff, 2);
}
END_TEST

static Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tp = tcase_create("accessors");
	TCase *te = tcase_create("engine");

	tcase_add_test(tp, test_fault_accessors_return_fields);
	tcase_add_test(tp, test_fault_set_data_truncates_to_size);
	tcase_add_test(tp, test_fault_data_mask_at_each_offset);
	tcase_add_test(tp, test_fault_emulate_merges_every_size_at_every_offset);
	tcase_add_test(tp, test_fault_emulate_of_read_returns_old);
	tcase_add_test(tp, test_fault_set_data_from_reg_takes_bytes_at_offset);
	tcase_add_test(tp, test_fault_ip_without_backend_is_enotsup);
	tcase_add_test(tp, test_fault_advance_without_engine_ops_is_enotsup);
	suite_add_tcase(s, tp);

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(te, test_fault_accessors_see_the_access);
	tcase_add_test(te, test_fault_ip_fetched_lazily_exactly_once);
	tcase_add_test(te, test_fault_ip_error_is_not_cached);
	tcase_add_test(te, test_fault_advance_and_restart_refused_while_running);
	tcase_add_test(te, test_fault_advance_after_completion_is_ealready);
	tcase_add_test(te, test_fault_deferred_advance_then_second_advance_is_ealready);
	tcase_add_test(te, test_fault_ticket_changes_every_access);
	suite_add_tcase(s, te);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fault_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
