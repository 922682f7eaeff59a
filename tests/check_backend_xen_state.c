/* SPDX-License-Identifier: MIT */
/*
 * The Xen backend's interrupts, vCPU state (through the HVM save records)
 * and xenstore side (publish, confinement, the probe that replaces the
 * watch once confined), against the fake Xen libraries; the rig is shared
 * with tests/check_backend_xen.c.
 */
#include "xen-rig.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vcpu-internal.h"

/* ---- interrupts ----------------------------------------------------------------------
 */

START_TEST(test_xen_interrupts_reach_the_devicemodel)
{
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_int_eq(gbe->irq_set_level(r.priv, 4, 1), 0);
	ck_assert_int_eq(fake_xen.isa_irq, 4);
	ck_assert_int_eq(fake_xen.isa_level, 1);
	ck_assert_int_eq(gbe->irq_set_level(r.priv, 16, 1), -EINVAL);
	ck_assert_int_eq(
	    gbe->pci_intx_set_level(r.priv, IOREQD_PCI_SBDF(1, 2, 3, 0), 2, 1), 0);
	ck_assert_uint_eq(fake_xen.intx_sbdf, IOREQD_PCI_SBDF(1, 2, 3, 0));
	ck_assert_int_eq(fake_xen.intx_pin, 2);
	ck_assert_int_eq(gbe->pci_intx_set_level(r.priv, 0, 4, 1), -EINVAL);
	ck_assert_int_eq(gbe->inject_msi(r.priv, 0xfee00000, 0x4041), 0);
	ck_assert_uint_eq(fake_xen.msi_addr, 0xfee00000);
	ck_assert_uint_eq(fake_xen.msi_data, 0x4041);
	fake_xen_fail_call("xendevicemodel_inject_msi", 1, EINVAL);
	ck_assert_int_eq(gbe->inject_msi(r.priv, 0xfee00000, 0x4041), -EINVAL);
	ck_assert_ptr_nonnull(logged("xendevicemodel_inject_msi", strerror(EINVAL)));
	rig_down(&r);
}
END_TEST

/*
 * Issue 12 item 9: an Arm guest without the configured SPI failed every
 * injection later, silently.  The start-up check tries the line once.
 */
START_TEST(test_xen_spi_check_refuses_a_line_the_guest_lacks_and_says_how)
{
	xendevicemodel_handle *dmod = xendevicemodel_open(NULL, 0);

	ck_assert_ptr_nonnull(dmod);
	/* A guest with no SPIs at all (no vuart, no virtio, no irqs=). */
	ck_assert_int_eq(ioreqd_xen_spi_check(dmod, DOMID, 40), -EINVAL);
	ck_assert_ptr_nonnull(logged("has no interrupt 40", "vuart"));
	ck_assert_ptr_nonnull(logged("nr_spis = 9", NULL));
	/* Not an SPI at all: the INTID is asked for. */
	nmsgs = 0;
	ck_assert_int_eq(ioreqd_xen_spi_check(dmod, DOMID, 8), -EINVAL);
	ck_assert_ptr_nonnull(logged("not a GIC SPI", "INTID - 32"));
	/* vuart = "sbsa_uart": Xen rounds the vGIC up to 32 SPIs. */
	fake_xen.nr_spis = 32;
	fake_xen_clear_log();
	ck_assert_int_eq(ioreqd_xen_spi_check(dmod, DOMID, 40), 0);
	ck_assert_int_eq(fake_xen.isa_irq, 40);
	ck_assert_int_eq(fake_xen.isa_level, 0); /* the line stays low */
	ck_assert_int_eq(ioreqd_xen_spi_check(dmod, DOMID, 64), -EINVAL);
	/* Another failure is reported as such, not as a missing line. */
	nmsgs = 0;
	fake_xen_fail_call("xendevicemodel_set_irq_level", 1, EPERM);
	ck_assert_int_eq(ioreqd_xen_spi_check(dmod, DOMID, 40), -EPERM);
	ck_assert_ptr_nonnull(logged("xendevicemodel_set_irq_level", strerror(EPERM)));
	ck_assert_ptr_null(logged("has no interrupt", NULL));
	ck_assert_int_eq(xendevicemodel_close(dmod), 0);
}
END_TEST

START_TEST(test_xen_irq_check_accepts_only_isa_irqs_on_x86)
{
	struct rig r;

	if (!XEN_TEST_X86)
		return;
	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_int_eq(be->irq_check(r.priv, 4), 0);
	ck_assert_int_eq(be->irq_check(r.priv, 15), 0);
	ck_assert_int_eq(be->irq_check(r.priv, 16), -EINVAL);
	ck_assert_ptr_nonnull(logged("irq 16 is not an ISA IRQ", NULL));
	rig_down(&r);
}
END_TEST

/* ---- vCPU state -----------------------------------------------------------------------
 */

START_TEST(test_xen_vcpu_get_converts_the_cpu_record)
{
	struct ioreqd_vcpu_regs regs;
	uint64_t ip;
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	fake_xen_clear_log();
	ck_assert_int_eq(gbe->vcpu_get(r.priv, 1, &regs), 0);
	ck_assert_uint_eq(fake_xen_count("xc_domain_hvm_getcontext_partial"), 1);
	ck_assert_uint_eq(fake_xen.calls[0].arg, 1);
	ck_assert_uint_eq(regs.rip, fake_xen.cpu[1].rip);
	ck_assert_uint_eq(regs.r15, fake_xen.cpu[1].r15);
	ck_assert_uint_eq(regs.efer, fake_xen.cpu[1].msr_efer);
	ck_assert_uint_eq(regs.kernel_gs_base, fake_xen.cpu[1].shadow_gs);
	ck_assert_uint_eq(regs.gs.base, fake_xen.cpu[1].gs_base);
	ck_assert_uint_eq(regs.tr.sel, (uint16_t)fake_xen.cpu[1].tr_sel);
	/* Xen's folded attributes come out in the VMX layout. */
	ck_assert_uint_eq(regs.cs.ar, 0xa09b);
	ck_assert_uint_eq(regs.ldtr.ar, IOREQD_AR_UNUSABLE);
	ck_assert_int_eq(gbe->get_ip(r.priv, 0, &ip), 0);
	ck_assert_uint_eq(ip, fake_xen.cpu[0].rip);
	ck_assert_int_eq(gbe->vcpu_get(r.priv, 7, &regs), -ENOENT);
	ck_assert_ptr_nonnull(logged("xc_domain_hvm_getcontext_partial", NULL));
	rig_down(&r);
}
END_TEST

START_TEST(test_xen_attr_conversion_round_trips)
{
	static const uint32_t attrs[] = {0x0,   0x093, 0x09b, 0xa9b,
	                                 0xc93, 0x08b, 0x082, 0xf9f};

	for (unsigned i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		uint32_t ar = ioreqd_xen_attr_to_ar(attrs[i]);

		ck_assert_uint_eq(!!(ar & IOREQD_AR_UNUSABLE),
		                  !(attrs[i] & IOREQD_AR_PRESENT));
		ck_assert_uint_eq(ioreqd_xen_ar_to_attr(ar), attrs[i]);
	}
}
END_TEST

START_TEST(test_xen_vcpu_set_patches_one_record_of_a_paused_domain)
{
	static const char *const want[] = {
	    "xc_domain_pause",          "xc_domain_hvm_getcontext",
	    "xc_domain_hvm_getcontext", "xc_domain_hvm_setcontext",
	    "xc_domain_unpause",
	};
	struct hvm_hw_cpu before0 = fake_xen.cpu[0], before1 = fake_xen.cpu[1];
	struct ioreqd_vcpu_regs regs;
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_int_eq(gbe->vcpu_get(r.priv, 1, &regs), 0);
	regs.rax = 0x1234;
	regs.rip += 2;
	regs.ds.ar = 0xc093;
	fake_xen_clear_log();
	ck_assert_int_eq(gbe->vcpu_set(r.priv, 1, &regs), 0);
	assert_calls(want, 5);
	ck_assert_uint_eq(fake_xen.setcontexts, 1);
	ck_assert(!fake_xen.setcontext_unpaused);
	ck_assert(!fake_xen.setcontext_downed);
	ck_assert_int_eq(fake_xen.paused, 0);
	ck_assert_uint_eq(fake_xen.cpu[1].rax, 0x1234);
	ck_assert_uint_eq(fake_xen.cpu[1].rip, before1.rip + 2);
	ck_assert_uint_eq(fake_xen.cpu[1].ds_arbytes, 0xc93);
	/* What regs does not hold is left as it was. */
	ck_assert_mem_eq(fake_xen.cpu[1].fpu_regs, before1.fpu_regs,
	                 sizeof(before1.fpu_regs));
	ck_assert_uint_eq(fake_xen.cpu[1].tsc, before1.tsc);
	ck_assert_uint_eq(fake_xen.cpu[1].pending_event, before1.pending_event);
	ck_assert_uint_eq(fake_xen.cpu[1].msr_tsc_aux, before1.msr_tsc_aux);
	ck_assert_uint_eq(fake_xen.cpu[1].dr0, before1.dr0);
	/* The other vCPU's record went back unchanged. */
	ck_assert_mem_eq(&fake_xen.cpu[0], &before0, sizeof(before0));
	rig_down(&r);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

START_TEST(test_xen_vcpu_set_unpauses_when_a_step_fails)
{
	static const char *const steps[] = {"xc_domain_hvm_getcontext",
	                                    "xc_domain_hvm_setcontext"};
	struct ioreqd_vcpu_regs regs;

	for (unsigned i = 0; i < 2; i++) {
		struct rig r;

		setup_each();
		ck_assert_int_eq(rig_up(&r, false), 0);
		ck_assert_int_eq(gbe->vcpu_get(r.priv, 0, &regs), 0);
		fake_xen_fail_call(steps[i], 1, EINVAL);
		ck_assert_int_eq(gbe->vcpu_set(r.priv, 0, &regs), -EINVAL);
		ck_assert_int_eq(fake_xen.paused, 0);
		ck_assert_uint_eq(fake_xen_count("xc_domain_unpause"), 1);
		ck_assert_ptr_nonnull(logged(steps[i], strerror(EINVAL)));
		rig_down(&r);
		teardown_each();
	}
}
END_TEST

START_TEST(test_xen_ctx_patch_refuses_malformed_contexts)
{
	uint8_t blob[64];
	struct hvm_save_descriptor d = {
	    .typecode = HVM_SAVE_CODE(CPU), .instance = 0, .length = 1000};
	struct ioreqd_vcpu_regs regs = {0};

	/* A record longer than the buffer. */
	memset(blob, 0, sizeof(blob));
	memcpy(blob, &d, sizeof(d));
	ck_assert_int_eq(ioreqd_xen_ctx_patch(blob, sizeof(blob), 0, &regs), -EPROTO);
	/* A CPU record of the wrong size. */
	d.length = 16;
	memcpy(blob, &d, sizeof(d));
	ck_assert_int_eq(ioreqd_xen_ctx_patch(blob, sizeof(blob), 0, &regs), -EPROTO);
	/* No record for this vCPU before END. */
	d.instance = 1;
	memcpy(blob, &d, sizeof(d));
	ck_assert_int_eq(ioreqd_xen_ctx_patch(blob, sizeof(blob), 0, &regs), -ENOENT);
	ck_assert_int_eq(ioreqd_xen_ctx_patch(blob, 3, 0, &regs), -ENOENT);
}
END_TEST

/* The software VMCS in front of this backend, as the engine will wire it. */
static int ctx_load(void *opaque, unsigned vcpu, struct ioreqd_vcpu_regs *regs)
{
	return gbe->vcpu_get(opaque, vcpu, regs);
}

static int ctx_store(void *opaque, unsigned vcpu, const struct ioreqd_vcpu_regs *regs)
{
	return gbe->vcpu_set(opaque, vcpu, regs);
}

START_TEST(test_xen_vmcs_write_reaches_the_cpu_record_on_flush)
{
	static const struct ioreqd_vcpu_ops ops = {.load = ctx_load, .store = ctx_store};
	uint64_t rip0 = fake_xen.cpu[1].rip;
	struct ioreqd_vcpu v;
	uint64_t val;
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	ioreqd_vcpu_init(&v, 1, &ops, r.priv);
	ck_assert_int_eq(ioreqd_vcpu_vmcs_read(&v, IOREQD_VMCS_GUEST_RIP, &val), 0);
	ck_assert_uint_eq(val, rip0);
	ck_assert_int_eq(ioreqd_vcpu_vmcs_write(&v, IOREQD_VMCS_GUEST_RIP, rip0 + 3), 0);
	ck_assert_uint_eq(fake_xen.cpu[1].rip, rip0); /* not before the flush */
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), 0);
	ck_assert_uint_eq(fake_xen.cpu[1].rip, rip0 + 3);
	ck_assert_uint_eq(fake_xen.setcontexts, 1);
	/* Flushing again writes nothing. */
	ck_assert_int_eq(ioreqd_vcpu_flush(&v), 0);
	ck_assert_uint_eq(fake_xen.setcontexts, 1);
	rig_down(&r);
}
END_TEST

/* ---- xenstore and confinement ---------------------------------------------------------
 */

START_TEST(test_xen_publish_writes_under_the_backend_path_and_close_removes_it)
{
	static const char *const bad[] = {"",   "/a",     "a/",  "a//b",
	                                  "..", "a/../b", "x y", "a\n"};
	struct rig r;

	ck_assert_int_eq(rig_up(&r, false), 0);
	ck_assert_int_eq(be->publish(r.priv, "state", "running"), 0);
	ck_assert_int_eq(be->publish(r.priv, "uart0/baud", "115200"), 0);
	ck_assert_str_eq(fake_xen_xs_get("/local/domain/0/ioreqd/5/state"), "running");
	ck_assert_str_eq(fake_xen_xs_get("/local/domain/0/ioreqd/5/uart0/baud"),
	                 "115200");
	fake_xen_clear_log();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(be->publish(r.priv, bad[i], "x") == -EINVAL, "key '%s'",
		              bad[i]);
	ck_assert_uint_eq(fake_xen.ncalls, 0);
	/* The refusal says what a key may be, in plain words. */
	ck_assert_ptr_nonnull(logged("cannot publish 'x y' in xenstore",
	                             "a key is one or more names made of letters, "
	                             "digits, '_', '-' and '.', joined by '/'"));
	fake_xen_fail_call("xs_write", 1, EACCES);
	ck_assert_int_eq(be->publish(r.priv, "state", "x"), -EACCES);
	ck_assert_ptr_nonnull(logged("xs_write", strerror(EACCES)));
	fake_xen_clear_log();
	rig_down(&r);
	ck_assert_int_eq(fake_xen_find("xs_rm", 0), 0);
	ck_assert_ptr_null(fake_xen_xs_get("/local/domain/0/ioreqd/5/state"));
}
END_TEST

START_TEST(test_xen_after_restrict_no_xc_or_xenstore_call_is_made)
{
	struct ioreqd_vcpu_regs regs;
	struct seen s = {0};
	uint64_t ip;
	struct rig r;
	uint8_t b;

	ck_assert_int_eq(rig_up(&r, true), 0);
	ck_assert_int_eq(be->publish(r.priv, "state", "running"), 0);
	ck_assert_int_eq(be->restrict_domain(r.priv), 0);
	ck_assert_int_eq(fake_xen.restricted_domid, DOMID);
	fake_xen_clear_log();
	ck_assert_int_eq(gbe->vcpu_get(r.priv, 0, &regs), -EPERM);
	ck_assert_int_eq(gbe->vcpu_set(r.priv, 0, &regs), -EPERM);
	ck_assert_int_eq(gbe->get_ip(r.priv, 0, &ip), -EPERM);
	ck_assert_int_eq(be->publish(r.priv, "state", "x"), -EPERM);
	/* The death probe uses a dm_op, which the restriction allows; never xenstore. */
	ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
	ck_assert_uint_eq(fake_xen.ncalls, 1);
	ck_assert_str_eq(fake_xen.calls[0].name, "xendevicemodel_get_ioreq_server_info");
	ck_assert_uint_eq(s.n, 0);
	ck_assert_ptr_nonnull(logged("xentoolcore_restrict_all", NULL));
	/* The restricted handles still serve the domain. */
	ck_assert_int_eq(gbe->guest_read(r.priv, 0, &b, 1), 0);
	ck_assert_int_eq(gbe->notify(r.priv, 0), 0);
	rig_down(&r);
	ck_assert_uint_eq(fake_xen_count("xs_rm"), 0);
	ck_assert_ptr_null(fake_xen_leak());

	setup_each();
	ck_assert_int_eq(rig_up(&r, false), 0);
	fake_xen_fail_call("xentoolcore_restrict_all", 1, EPERM);
	ck_assert_int_eq(be->restrict_domain(r.priv), -EPERM);
	ck_assert_ptr_nonnull(logged("xentoolcore_restrict_all", strerror(EPERM)));
	rig_down(&r);
	ck_assert_ptr_null(fake_xen_leak());
}
END_TEST

/* @return true if @p fd is readable now (a zero timeout: never waits). */
static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/*
 * Issue 12 item 10: under --restrict the xenstore watch's pipe stayed in the
 * loop, readable forever with the watch's first event, and the daemon spun.
 * Confining closes xenstore before xentoolcore_restrict_all (unwatch, close),
 * and fd 1 becomes a timer that is not readable until it ticks.
 */
START_TEST(test_xen_restrict_closes_xenstore_first_and_swaps_the_watch_for_a_timer)
{
	struct seen s = {0};
	struct rig r;
	int watch_fd, probe_fd;

	ck_assert_int_eq(rig_up(&r, false), 0);
	watch_fd = be->fd(r.priv, 1);
	/* xenstored fired the new watch once: the pipe is readable, as under Xen. */
	ck_assert(readable(watch_fd));
	fake_xen_clear_log();
	ck_assert_int_eq(be->restrict_domain(r.priv), 0);
	ck_assert_int_eq(fake_xen_find("xs_unwatch", 0), 0);
	ck_assert_int_eq(fake_xen_find("xs_close", 0), 1);
	/* The mapcache asks the guest's size while libxenctrl still works. */
	ck_assert_int_eq(fake_xen_find("xc_domain_maximum_gpfn", 0), 2);
	ck_assert_int_eq(fake_xen_find("xentoolcore_restrict_all", 0), 3);
	ck_assert_int_eq(fake_xen.live_xsh, 0);
	probe_fd = be->fd(r.priv, 1);
	ck_assert_int_ge(probe_fd, 0);
	ck_assert_int_ne(probe_fd, watch_fd);
	ck_assert(!readable(probe_fd));
	/* The event channel fd is untouched. */
	ck_assert_int_eq(be->fd(r.priv, 0), fake_xen.evtchn_pipe[0]);
	/* A second call changes nothing. */
	ck_assert_int_eq(be->restrict_domain(r.priv), 0);
	ck_assert_int_eq(be->fd(r.priv, 1), probe_fd);
	ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
	ck_assert_uint_eq(s.n, 0);
	rig_down(&r);
	ck_assert_ptr_null(fake_xen_leak());
	ck_assert_uint_eq(fake_xen_count("xs_close"), 1);
}
END_TEST

/* The confined daemon learns of the death from its own server's absence. */
START_TEST(test_xen_restricted_daemon_notices_a_dying_or_vanished_domain)
{
	for (int st = FAKE_DOM_DYING; st <= FAKE_DOM_GONE; st += 2) {
		struct seen s = {0};
		struct rig r;

		setup_each();
		ck_assert_int_eq(rig_up(&r, false), 0);
		ck_assert_int_eq(be->restrict_domain(r.priv), 0);
		/* Alive; then a probe that fails otherwise is not taken for death. */
		ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
		fake_xen_fail_call("xendevicemodel_get_ioreq_server_info", 1, EACCES);
		ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
		ck_assert_uint_eq(s.n, 0);
		ck_assert_ptr_nonnull(
		    logged("xendevicemodel_get_ioreq_server_info", strerror(EACCES)));
		fake_xen.state = (enum fake_dom_state)st;
		ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
		ck_assert_uint_eq(s.n, 1);
		ck_assert_int_eq(s.ev[0], IOREQD_BE_EV_DOMAIN_GONE);
		ck_assert_ptr_nonnull(logged("domain 5 is", NULL));
		/* Reported once; later ticks make no more calls. */
		fake_xen_clear_log();
		ck_assert_int_eq(be->pending(r.priv, 1, record, &s), 0);
		ck_assert_uint_eq(s.n, 1);
		ck_assert_uint_eq(fake_xen.ncalls, 0);
		nmsgs = 0;
		rig_down(&r);
		/* The teardown that follows finds Xen's side gone: no warnings. */
		ck_assert_msg(nmsgs == 0, "logged at info or above: %s", msgs[0]);
		ck_assert_ptr_null(fake_xen_leak());
		teardown_each();
	}
}
END_TEST

static Suite *backend_xen_state_suite(void)
{
	Suite *s = suite_create("backend_xen_state");
	TCase *tc = tcase_create("state");

	tcase_add_checked_fixture(tc, setup_each, teardown_each);
	tcase_add_test(tc, test_xen_interrupts_reach_the_devicemodel);
	tcase_add_test(tc,
	               test_xen_spi_check_refuses_a_line_the_guest_lacks_and_says_how);
	tcase_add_test(tc, test_xen_irq_check_accepts_only_isa_irqs_on_x86);
	tcase_add_test(tc, test_xen_vcpu_get_converts_the_cpu_record);
	tcase_add_test(tc, test_xen_attr_conversion_round_trips);
	tcase_add_test(tc, test_xen_vcpu_set_patches_one_record_of_a_paused_domain);
	tcase_add_test(tc, test_xen_vcpu_set_unpauses_when_a_step_fails);
	tcase_add_test(tc, test_xen_ctx_patch_refuses_malformed_contexts);
	tcase_add_test(tc, test_xen_vmcs_write_reaches_the_cpu_record_on_flush);
	tcase_add_test(
	    tc, test_xen_publish_writes_under_the_backend_path_and_close_removes_it);
	tcase_add_test(tc, test_xen_after_restrict_no_xc_or_xenstore_call_is_made);
	tcase_add_test(
	    tc, test_xen_restrict_closes_xenstore_first_and_swaps_the_watch_for_a_timer);
	tcase_add_test(tc, test_xen_restricted_daemon_notices_a_dying_or_vanished_domain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(backend_xen_state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
