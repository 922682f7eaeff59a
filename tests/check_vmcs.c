/* SPDX-License-Identifier: MIT */
/*
 * The software VMCS (lib/vmcs.c) over a plain in-memory vCPU: every served
 * encoding round-trips through the register behind it, anything else is
 * refused with -ENOENT and a message, only changed fields are written back
 * (once, and not at all when nothing changed), and snapshots restore.
 */
#include <ioreqd/vcpu.h>

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu-internal.h"

/* The "hypervisor": one vCPU's state, and what was done to it. */
struct source {
	struct ioreqd_vcpu_regs state;
	struct ioreqd_vcpu_regs last_stored;
	unsigned loads, stores;
	int load_rc, store_rc;
	char warning[256];
	unsigned warnings;
};

static struct source src;

static int src_load(void *opaque, unsigned vcpu, struct ioreqd_vcpu_regs *regs)
{
	struct source *s = opaque;

	s->loads++;
	if (s->load_rc)
		return s->load_rc;
	*regs = s->state;
	return 0;
}

static int src_store(void *opaque, unsigned vcpu, const struct ioreqd_vcpu_regs *regs)
{
	struct source *s = opaque;

	s->stores++;
	if (s->store_rc)
		return s->store_rc;
	s->state = *regs;
	s->last_stored = *regs;
	return 0;
}

static void src_warn(void *opaque, unsigned vcpu, const char *msg)
{
	struct source *s = opaque;

	snprintf(s->warning, sizeof(s->warning), "%s", msg);
	s->warnings++;
}

static const struct ioreqd_vcpu_ops ops = {
    .load = src_load,
    .store = src_store,
    .warn = src_warn,
};

static struct ioreqd_vcpu v;

static void setup_each(void)
{
	memset(&src, 0, sizeof(src));
	for (unsigned r = 0; r < IOREQD_VCPU_REG_COUNT; r++)
		ioreqd_vcpu_regs_set(&src.state, (enum ioreqd_vcpu_reg)r,
		                     0x0101010101010101ull * (r + 1));
	ioreqd_vcpu_init(&v, 3, &ops, &src);
}

/* Compare register by register: struct padding is not state. */
static bool regs_eq(const struct ioreqd_vcpu_regs *a, const struct ioreqd_vcpu_regs *b)
{
	for (unsigned r = 0; r < IOREQD_VCPU_REG_COUNT; r++)
		if (ioreqd_vcpu_regs_get(a, (enum ioreqd_vcpu_reg)r) !=
		    ioreqd_vcpu_regs_get(b, (enum ioreqd_vcpu_reg)r))
			return false;
	return true;
}

static unsigned width_bytes(uint32_t enc)
{
	static const unsigned w[] = {2, 8, 4, 8};

	return w[(enc >> 13) & 3];
}

START_TEST(test_vmcs_every_served_encoding_round_trips)
{
	uint32_t encs[128];
	unsigned n = ioreqd_vmcs_encodings(encs, 128);

	ck_assert_uint_ge(n, 48);
	ck_assert_uint_le(n, 128);
	for (unsigned i = 0; i < n; i++) {
		uint64_t pattern = 0x8877665544332211ull ^ ((uint64_t)encs[i] << 20);
		unsigned bytes = (encs[i] & 1) ? 4 : width_bytes(encs[i]);
		uint64_t mask = bytes == 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
		struct ioreqd_vmcs_field f;
		uint64_t got, reg;

		ck_assert_int_eq(ioreqd_vmcs_lookup(encs[i], &f, NULL), 0);
		/* The register behind a field is as wide as the field. */
		ck_assert_uint_eq(ioreqd_vcpu_reg_size(f.reg), width_bytes(encs[i]));
		ck_assert_ptr_nonnull(ioreqd_vcpu_vmcs_name(encs[i]));
		ck_assert_int_eq(ioreqd_vcpu_vmcs_write(&v, encs[i], pattern), 0);
		ck_assert_int_eq(ioreqd_vcpu_vmcs_read(&v, encs[i], &got), 0);
		ck_assert_msg(got == (pattern & mask), "0x%x: wrote 0x%llx read 0x%llx",
		              encs[i], (unsigned long long)pattern,
		              (unsigned long long)got);
		ck_assert_int_eq(ioreqd_vcpu_get(&v, f.reg, &reg), 0);
		if (encs[i] & 1)
			ck_assert_uint_eq(reg >> 32, got);
		else
			ck_assert_uint_eq(reg, got);
	}
	ck_assert_uint_eq(src.loads, 1);
	ck_assert_uint_eq(src.warnings, 0);
}
END_TEST

START_TEST(test_vmcs_well_known_encodings_name_the_right_registers)
{
	static const struct {
		uint32_t enc;
		enum ioreqd_vcpu_reg reg;
		const char *name;
	} known[] = {
	    {0x681E, IOREQD_VCPU_RIP, "GUEST_RIP"},
	    {0x681C, IOREQD_VCPU_RSP, "GUEST_RSP"},
	    {0x6820, IOREQD_VCPU_RFLAGS, "GUEST_RFLAGS"},
	    {0x6800, IOREQD_VCPU_CR0, "GUEST_CR0"},
	    {0x6802, IOREQD_VCPU_CR3, "GUEST_CR3"},
	    {0x6804, IOREQD_VCPU_CR4, "GUEST_CR4"},
	    {0x0800, IOREQD_VCPU_ES_SEL, "GUEST_ES_SELECTOR"},
	    {0x0802, IOREQD_VCPU_CS_SEL, "GUEST_CS_SELECTOR"},
	    {0x080C, IOREQD_VCPU_LDTR_SEL, "GUEST_LDTR_SELECTOR"},
	    {0x080E, IOREQD_VCPU_TR_SEL, "GUEST_TR_SELECTOR"},
	    {0x2806, IOREQD_VCPU_EFER, "GUEST_IA32_EFER"},
	    {0x2807, IOREQD_VCPU_EFER, "GUEST_IA32_EFER_HIGH"},
	    {0x4802, IOREQD_VCPU_CS_LIMIT, "GUEST_CS_LIMIT"},
	    {0x4816, IOREQD_VCPU_CS_AR, "GUEST_CS_AR_BYTES"},
	    {0x4810, IOREQD_VCPU_GDTR_LIMIT, "GUEST_GDTR_LIMIT"},
	    {0x482A, IOREQD_VCPU_SYSENTER_CS, "GUEST_SYSENTER_CS"},
	    {0x6808, IOREQD_VCPU_CS_BASE, "GUEST_CS_BASE"},
	    {0x6818, IOREQD_VCPU_IDTR_BASE, "GUEST_IDTR_BASE"},
	    {0x681A, IOREQD_VCPU_DR7, "GUEST_DR7"},
	    {0x6826, IOREQD_VCPU_SYSENTER_EIP, "GUEST_SYSENTER_EIP"},
	};

	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct ioreqd_vmcs_field f;

		ck_assert_int_eq(ioreqd_vmcs_lookup(known[i].enc, &f, NULL), 0);
		ck_assert_int_eq(f.reg, known[i].reg);
		ck_assert_str_eq(ioreqd_vcpu_vmcs_name(known[i].enc), known[i].name);
		ck_assert_int_eq(f.type, IOREQD_VMCS_GUEST);
	}
	ck_assert_uint_eq(IOREQD_VMCS_GUEST_RIP, 0x681E);
	ck_assert_uint_eq(IOREQD_VMCS_GUEST_TR_SELECTOR, 0x080E);
}
END_TEST

START_TEST(test_vmcs_unknown_encodings_are_refused_with_a_message)
{
	static const uint32_t refused[] = {
	    0x0000,  /* VPID: control */
	    0x4400,  /* VM-instruction error: read-only data */
	    0x6C00,  /* HOST_CR0 */
	    0x2800,  /* VMCS link pointer: guest state the record lacks */
	    0x4824,  /* interruptibility state */
	    0x6822,  /* pending debug exceptions */
	    0x6828,  /* past the end of the natural-width guest group */
	    0x0810,  /* past the end of the 16-bit guest group */
	    0x4801,  /* "high" access to a 32-bit field */
	    0x7800,  /* reserved bit 12 */
	    0x10000, /* reserved high bits */
	};
	uint64_t val = 1;

	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char hex[16];

		src.warnings = 0;
		val = 1;
		ck_assert_int_eq(ioreqd_vcpu_vmcs_read(&v, refused[i], &val), -ENOENT);
		ck_assert_uint_eq(val, 0);
		ck_assert_int_eq(ioreqd_vcpu_vmcs_write(&v, refused[i], 5), -ENOENT);
		ck_assert_uint_eq(src.warnings, 2);
		snprintf(hex, sizeof(hex), "0x%x", refused[i]);
		ck_assert_msg(strstr(src.warning, hex), "message lacks %s: %s", hex,
		              src.warning);
		ck_assert_ptr_null(ioreqd_vcpu_vmcs_name(refused[i]));
	}
	ck_assert_ptr_nonnull(strstr(src.warning, "reserved bits"));
	ck_assert_int_eq(ioreqd_vcpu_vmcs_read(&v, 0x4824, &val), -ENOENT);
	ck_assert_ptr_nonnull(strstr(src.warning, "32-bit guest-state field, index 18"));
	/* Refusing needs no state: nothing was fetched, nothing is dirty. */
	ck_assert_uint_eq(src.loads, 0);
	ck_assert_uint_eq(ioreqd_vcpu_dirty_count(&v), 0);
}
END_TEST

START_TEST(test_vmcs_high_access_touches_only_the_upper_half)
{
	uint64_t efer0 = src.state.efer, val;

	ck_assert_int_eq(ioreqd_vcpu_vmcs_write(&v, IOREQD_VMCS_GUEST_IA32_EFER | 1,
	                                        0xffffffff0000beefull),
	                 0);
	ck_assert_int_eq(ioreqd_vcpu_get(&v, IOREQD_VCPU_EFER, &val), 0);
	ck_assert_uint_eq(val, (0xbeefull << 32) | (efer0 & 0xffffffffull));
	ck_assert_int_eq(ioreqd_vcpu_vmcs_read(&v, IOREQD_VMCS_GUEST_IA32_EFER | 1, &val),
	                 0);
	ck_assert_uint_eq(val, 0xbeef);
}
END_TEST

START_TEST(test_vmcs_values_are_truncated_to_the_field_width)
{
	uint64_t val;

	ck_assert_int_eq(
	    ioreqd_vcpu_vmcs_write(&v, IOREQD_VMCS_GUEST_ES_SELECTOR, 0x12345), 0);
	ck_assert_int_eq(ioreqd_vcpu_get(&v, IOREQD_VCPU_ES_SEL, &val), 0);
	ck_assert_uint_eq(val, 0x2345);
	ck_assert_int_eq(ioreqd_vcpu_set(&v, IOREQD_VCPU_CS_LIMIT, 0x1ffffffffull), 0);
	ck_assert_int_eq(ioreqd_vcpu_vmcs_read(&v, IOREQD_VMCS_GUEST_CS_LIMIT, &val), 0);
	ck_assert_uint_eq(val, 0xffffffff);
}
END_TEST

START_TEST(test_vmcs_flush_writes_back_only_what_changed)
{
	uint64_t rax_elsewhere = 0xabcdef;
	struct ioreqd_vcpu_regs expect;

	ck_assert_int_eq(ioreqd_vcpu_vmcs_write(&v, IOREQD_VMCS_GUEST_RIP, 0x401000), 0);
	ck_assert_int_eq(ioreqd_vcpu_set(&v, IOREQD_VCPU_RBX, 7), 0);
	ck_assert_uint_eq(ioreqd_vcpu_dirty_count(&v), 2);
	ck_assert(ioreqd_vcpu_is_dirty(&v, IOREQD_VCPU_RIP));
	ck_assert(!ioreqd_vcpu_is_dirty(&v, IOREQD_VCPU_RAX));
	/* Meanwhile something else changes RAX: the flush must not undo it. */
	src.state.rax = rax_elsewhere;
	expect = src.state;
	expect.rip = 0x401000;
	expect.rbx = 7;
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), 0);
	ck_assert_uint_eq(src.stores, 1);
	ck_assert(regs_eq(&src.last_stored, &expect));
	ck_assert_uint_eq(ioreqd_vcpu_dirty_count(&v), 0);
	ck_assert_uint_eq(v.stats.flushed, 2);
	/* Once: a second flush has nothing to write. */
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), 0);
	ck_assert_uint_eq(src.stores, 1);
}
END_TEST

START_TEST(test_vmcs_nothing_changed_writes_nothing)
{
	uint64_t rip, rsp;

	/* Never touched: not even a fetch. */
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), 0);
	ck_assert_uint_eq(src.loads, 0);
	/* Read only, or written with the value it had, or changed and changed back. */
	ck_assert_int_eq(ioreqd_vcpu_get(&v, IOREQD_VCPU_RIP, &rip), 0);
	ck_assert_int_eq(ioreqd_vcpu_set(&v, IOREQD_VCPU_RIP, rip), 0);
	ck_assert_int_eq(ioreqd_vcpu_vmcs_read(&v, IOREQD_VMCS_GUEST_RSP, &rsp), 0);
	ck_assert_int_eq(ioreqd_vcpu_vmcs_write(&v, IOREQD_VMCS_GUEST_RSP, rsp + 8), 0);
	ck_assert_uint_eq(ioreqd_vcpu_dirty_count(&v), 1);
	ck_assert_int_eq(ioreqd_vcpu_vmcs_write(&v, IOREQD_VMCS_GUEST_RSP, rsp), 0);
	ck_assert_uint_eq(ioreqd_vcpu_dirty_count(&v), 0);
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), 0);
	ck_assert_uint_eq(src.loads, 1);
	ck_assert_uint_eq(src.stores, 0);
}
END_TEST

START_TEST(test_vmcs_state_is_fetched_once_per_access)
{
	uint64_t val;

	ck_assert_int_eq(ioreqd_vcpu_get(&v, IOREQD_VCPU_RAX, &val), 0);
	ck_assert_int_eq(ioreqd_vcpu_get(&v, IOREQD_VCPU_RBX, &val), 0);
	ck_assert_int_eq(ioreqd_vcpu_vmcs_read(&v, IOREQD_VMCS_GUEST_CR3, &val), 0);
	ck_assert_uint_eq(src.loads, 1);
	/* A new access starts from fresh state, dropping what was not flushed. */
	ck_assert_int_eq(ioreqd_vcpu_set(&v, IOREQD_VCPU_RAX, 99), 0);
	ck_assert_uint_eq(ioreqd_vcpu_reset(&v), 1);
	src.state.rax = 42;
	ck_assert_int_eq(ioreqd_vcpu_get(&v, IOREQD_VCPU_RAX, &val), 0);
	ck_assert_uint_eq(val, 42);
	ck_assert_uint_eq(src.loads, 2);
	ck_assert_uint_eq(src.stores, 0);
	ck_assert_uint_eq(ioreqd_vcpu_id(&v), 3);
}
END_TEST

START_TEST(test_vmcs_snapshot_restores_the_saved_registers)
{
	ioreqd_vcpu_snapshot_t *snap;
	struct ioreqd_vcpu_regs orig = src.state;
	uint64_t val;

	ck_assert_int_eq(ioreqd_vcpu_save(&v, &snap), 0);
	ck_assert_int_eq(ioreqd_vcpu_set(&v, IOREQD_VCPU_DR7, 0x400), 0);
	ck_assert_int_eq(ioreqd_vcpu_vmcs_write(&v, IOREQD_VMCS_GUEST_RFLAGS, 0x302), 0);
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), 0);
	ck_assert_uint_eq(src.state.dr7, 0x400);
	/* Restoring makes dirty exactly what differs, and the flush puts it back. */
	ck_assert_int_eq(ioreqd_vcpu_restore(&v, snap), 0);
	ck_assert_uint_eq(ioreqd_vcpu_dirty_count(&v), 2);
	ck_assert_int_eq(ioreqd_vcpu_get(&v, IOREQD_VCPU_DR7, &val), 0);
	ck_assert_uint_eq(val, orig.dr7);
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), 0);
	ck_assert(regs_eq(&src.state, &orig));
	ck_assert_uint_eq(src.stores, 2);
	/* Restoring the state it already has writes nothing. */
	ck_assert_int_eq(ioreqd_vcpu_restore(&v, snap), 0);
	ck_assert_uint_eq(ioreqd_vcpu_dirty_count(&v), 0);
	ioreqd_vcpu_snapshot_free(snap);
	ioreqd_vcpu_snapshot_free(NULL);
}
END_TEST

START_TEST(test_vmcs_snapshot_of_another_vcpu_is_refused)
{
	static const struct ioreqd_vcpu_ops ro_ops = {.load = src_load, .warn = src_warn};
	ioreqd_vcpu_snapshot_t *snap;
	struct ioreqd_vcpu other;

	ioreqd_vcpu_init(&other, 4, &ro_ops, &src);
	ck_assert_int_eq(ioreqd_vcpu_save(&other, &snap), 0);
	ck_assert_int_eq(ioreqd_vcpu_restore(&v, snap), -EINVAL);
	ck_assert_ptr_nonnull(strstr(src.warning, "another vCPU"));
	ck_assert_int_eq(ioreqd_vcpu_restore(&v, NULL), -EINVAL);
	/* A backend that cannot store drops the change, saying so. */
	ck_assert_int_eq(ioreqd_vcpu_set(&other, IOREQD_VCPU_RAX, 1), 0);
	ck_assert_int_eq(ioreqd_vcpu_flush(&other), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(src.warning, "dropped"));
	ck_assert_uint_eq(ioreqd_vcpu_dirty_count(&other), 0);
	ioreqd_vcpu_snapshot_free(snap);
}
END_TEST

START_TEST(test_vmcs_backend_failures_are_returned_and_explained)
{
	struct ioreqd_vcpu none;
	ioreqd_vcpu_snapshot_t *snap = (void *)1;
	uint64_t val = 1;

	src.load_rc = -EPERM;
	ck_assert_int_eq(ioreqd_vcpu_get(&v, IOREQD_VCPU_RIP, &val), -EPERM);
	ck_assert_uint_eq(val, 0);
	ck_assert_ptr_nonnull(strstr(src.warning, strerror(EPERM)));
	ck_assert_int_eq(ioreqd_vcpu_save(&v, &snap), -EPERM);
	ck_assert_ptr_null(snap);

	/* A failed write-back is reported once, then the cache starts over. */
	src.load_rc = 0;
	src.store_rc = -EINVAL;
	ck_assert_int_eq(ioreqd_vcpu_set(&v, IOREQD_VCPU_CR0, 0), 0);
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), -EINVAL);
	ck_assert_ptr_nonnull(strstr(src.warning, "cannot write back 1 register(s)"));
	ck_assert_uint_eq(ioreqd_vcpu_dirty_count(&v), 0);
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), 0);
	ck_assert_uint_eq(src.stores, 1);

	ioreqd_vcpu_init(&none, 0, NULL, NULL);
	ck_assert_int_eq(ioreqd_vcpu_get(&none, IOREQD_VCPU_RIP, &val), -ENOTSUP);
	ck_assert_int_eq(ioreqd_vcpu_get(&v, IOREQD_VCPU_REG_COUNT, &val), -EINVAL);
	ck_assert_int_eq(ioreqd_vcpu_set(&v, (enum ioreqd_vcpu_reg) - 1, 0), -EINVAL);
}
END_TEST

START_TEST(test_vmcs_every_register_has_a_name_and_a_width)
{
	for (unsigned r = 0; r < IOREQD_VCPU_REG_COUNT; r++) {
		unsigned size = ioreqd_vcpu_reg_size((enum ioreqd_vcpu_reg)r);

		ck_assert_ptr_nonnull(ioreqd_vcpu_reg_name((enum ioreqd_vcpu_reg)r));
		ck_assert(size == 2 || size == 4 || size == 8);
	}
	ck_assert_str_eq(ioreqd_vcpu_reg_name(IOREQD_VCPU_RIP), "rip");
	ck_assert_str_eq(ioreqd_vcpu_reg_name(IOREQD_VCPU_TR_AR), "tr_ar");
	ck_assert_ptr_null(ioreqd_vcpu_reg_name(IOREQD_VCPU_REG_COUNT));
}
END_TEST

static Suite *vmcs_suite(void)
{
	Suite *s = suite_create("vmcs");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup_each, NULL);
	tcase_add_test(tc, test_vmcs_every_served_encoding_round_trips);
	tcase_add_test(tc, test_vmcs_well_known_encodings_name_the_right_registers);
	tcase_add_test(tc, test_vmcs_unknown_encodings_are_refused_with_a_message);
	tcase_add_test(tc, test_vmcs_high_access_touches_only_the_upper_half);
	tcase_add_test(tc, test_vmcs_values_are_truncated_to_the_field_width);
	tcase_add_test(tc, test_vmcs_flush_writes_back_only_what_changed);
	tcase_add_test(tc, test_vmcs_nothing_changed_writes_nothing);
	tcase_add_test(tc, test_vmcs_state_is_fetched_once_per_access);
	tcase_add_test(tc, test_vmcs_snapshot_restores_the_saved_registers);
	tcase_add_test(tc, test_vmcs_snapshot_of_another_vcpu_is_refused);
	tcase_add_test(tc, test_vmcs_backend_failures_are_returned_and_explained);
	tcase_add_test(tc, test_vmcs_every_register_has_a_name_and_a_width);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vmcs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
