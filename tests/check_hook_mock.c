/* SPDX-License-Identifier: MIT */
/*
 * Tests of the mock daemon itself (tests/mock-host.c), through a small probe
 * hook defined here that uses every host service the sample hooks do not:
 * deferred completion from a timer by ticket, IRQ levels, MSIs, guest memory,
 * publishing, fd watches and ranges mapped at run time.  Other hooks' suites
 * rely on these paths, so they are checked once here.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "mock-host.h"

#define BASE 0x600u /* the probe's port range: BASE..BASE+0x1f */

struct probe {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	ioreqd_timer_t *timer;
	ioreqd_ticket_t ticket;
	int irq;
	int watched;
};

static const struct ioreqd_hook_key probe_keys[] = {
    {"answer", "what deferred reads return"}, {NULL, NULL}};

static void probe_timer_cb(void *arg)
{
	struct probe *p = arg;
	ioreqd_fault_t *f = p->host->fault_resume(p->dev, p->ticket);
	uint64_t answer;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(p->host->cfg_u64(p->dev, "answer", 0xd00d, &answer), 0);
	ioreqd_fault_set_data(f, answer);
	ck_assert_int_eq(ioreqd_fault_advance(f), 0);
}

static void probe_watch_cb(int fd, unsigned events, void *arg)
{
	struct probe *p = arg;

	p->watched += (int)events;
	p->host->log(p->dev, IOREQD_LOG_INFO, "fd %d ready", fd);
}

static enum ioreqd_fault_result probe_access(ioreqd_fault_t *f, void *priv)
{
	struct probe *p = priv;
	uint64_t v = ioreqd_fault_data(f);
	uint32_t word;

	switch (ioreqd_fault_offset(f)) {
	case 0: /* write: IRQ level */
		if (!ioreqd_fault_is_read(f))
			p->host->irq_set_level(p->dev, (unsigned)p->irq, (unsigned)v & 1);
		return IOREQD_FAULT_HANDLED;
	case 4: /* write: MSI with this data */
		p->host->inject_msi(p->dev, 0xfee00000, (uint32_t)v);
		return IOREQD_FAULT_HANDLED;
	case 8: /* read: answered later, from the timer */
		p->ticket = ioreqd_fault_ticket(f);
		p->host->timer_arm(p->timer, 100);
		return IOREQD_FAULT_DEFER;
	case 12: /* write: to guest memory at 0x100; read: from 0x200 */
		if (ioreqd_fault_is_read(f)) {
			if (p->host->guest_read(p->dev, 0x200, &word, sizeof(word)) < 0)
				return IOREQD_FAULT_ERROR;
			ioreqd_fault_set_data(f, word);
		} else {
			word = (uint32_t)v;
			if (p->host->guest_write(p->dev, 0x100, &word, sizeof(word)) < 0)
				return IOREQD_FAULT_ERROR;
		}
		return IOREQD_FAULT_HANDLED;
	case 16: /* write: map (1) or unmap (0) ports 0x700-0x703 */
		if (v)
			p->host->range_map(p->dev, IOREQD_SPACE_PIO, 0x700, 0x703);
		else
			p->host->range_unmap(p->dev, IOREQD_SPACE_PIO, 0x700, 0x703);
		return IOREQD_FAULT_HANDLED;
	default:
		return IOREQD_FAULT_PASS;
	}
}

static void probe_fini(void *priv)
{
	struct probe *p = priv;

	if (!p)
		return;
	p->host->timer_free(p->timer);
	free(p);
}

static int probe_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct probe *p = calloc(1, sizeof(*p));

	*priv = NULL;
	if (!p)
		return -ENOMEM;
	p->host = host;
	p->dev = dev;
	p->irq = host->cfg_irq(dev);
	p->timer = host->timer_new(dev, probe_timer_cb, p);
	if (!p->timer) {
		free(p);
		return -ENOMEM;
	}
	host->publish(dev, "state", "ready");
	*priv = p;
	return 0;
}

static const struct ioreqd_hook probe_hook = {
    .abi = IOREQD_HOOK_ABI,
    .name = "probe",
    .summary = "exercises the mock host",
    .keys = probe_keys,
    .init = probe_init,
    .fini = probe_fini,
    .access = probe_access,
};

static struct mock *with_probe(ioreqd_dev_t **dev)
{
	struct mock *m = mock_new(5);
	int rc = mock_add(m, &probe_hook, "p0", "pio = 0x600+0x20\nirq = 9", dev);

	ck_assert_msg(rc == 0, "%d %s", rc, mock_error(m));
	return m;
}

START_TEST(test_mock_deferred_read_completes_when_timer_fires)
{
	struct mock *m = with_probe(NULL);
	ioreq_t r = mock_req(IOREQD_SPACE_PIO, BASE + 8, 4, true, 0);
	ioreq_t again = mock_req(IOREQD_SPACE_PIO, BASE, 1, false, 0);
	uint64_t usec;

	ck_assert_int_eq(mock_submit(m, 1, &r), 0);
	ck_assert_uint_eq(r.state, STATE_IOREQ_INPROCESS);
	ck_assert_uint_eq(mock_deferred(m), 1);
	ck_assert_uint_eq(ioreqd_engine_pending(mock_engine(m)), 1);
	ck_assert_uint_eq(mock_timers_armed(m, &usec), 1);
	ck_assert_uint_eq(usec, 100);
	/* The vCPU is held: another request on it is refused. */
	ck_assert_int_eq(mock_submit(m, 1, &again), -EBUSY);
	ck_assert_uint_eq(mock_fire_timers(m), 1);
	ck_assert_uint_eq(r.state, STATE_IORESP_READY);
	ck_assert_uint_eq(r.data, 0xd00d);
	ck_assert_uint_eq(ioreqd_engine_pending(mock_engine(m)), 0);
	ck_assert_uint_eq(mock_timers_armed(m, NULL), 0);
	ck_assert_uint_eq(mock_fire_timers(m), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_mock_ticket_goes_stale_after_completion)
{
	ioreqd_dev_t *dev;
	struct mock *m = with_probe(&dev);
	struct probe *p = mock_dev_priv(dev);
	ioreq_t r = mock_req(IOREQD_SPACE_PIO, BASE + 8, 2, true, 0);

	ck_assert_int_eq(mock_submit(m, 0, &r), 0);
	mock_fire_timers(m);
	ck_assert_ptr_null(mock_host(m)->fault_resume(dev, p->ticket));
	/* Other vCPUs were never blocked. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, BASE + 12, 4), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_mock_records_irq_msi_and_publish)
{
	ioreqd_dev_t *dev;
	struct mock *m = with_probe(&dev);
	uint64_t addr;
	uint32_t data;

	ck_assert_str_eq(mock_published(m, "p0", "state"), "ready");
	ck_assert_ptr_null(mock_published(m, "p0", "other"));
	ck_assert_int_eq(mock_irq_level(m, 9), -1);
	mock_write(m, IOREQD_SPACE_PIO, BASE, 1, 1);
	ck_assert_int_eq(mock_irq_level(m, 9), 1);
	mock_write(m, IOREQD_SPACE_PIO, BASE, 1, 0);
	ck_assert_int_eq(mock_irq_level(m, 9), 0);
	ck_assert_uint_eq(mock_irq_calls(m), 2);
	mock_write(m, IOREQD_SPACE_PIO, BASE + 4, 4, 0x4041);
	ck_assert_uint_eq(mock_msi_count(m), 1);
	ck_assert(mock_msi(m, 0, &addr, &data));
	ck_assert_uint_eq(addr, 0xfee00000);
	ck_assert_uint_eq(data, 0x4041);
	ck_assert(!mock_msi(m, 1, &addr, &data));
	ck_assert_int_eq(mock_host(m)->pci_intx_set_level(dev, 0x28, 1, 1), 0);
	ck_assert_int_eq(mock_intx_level(m, 0x28, 1), 1);
	ck_assert_int_eq(mock_intx_level(m, 0x28, 0), -1);
	ck_assert_int_eq(mock_host(m)->pci_intx_set_level(dev, 0x28, 4, 1), -EINVAL);
	mock_free(m);
}
END_TEST

START_TEST(test_mock_guest_memory_is_shared_with_the_hook)
{
	struct mock *m = with_probe(NULL);
	uint8_t *mem = mock_guest_mem(m);

	mock_write(m, IOREQD_SPACE_PIO, BASE + 12, 4, 0x11223344);
	ck_assert_uint_eq(mem[0x100], 0x44);
	ck_assert_uint_eq(mem[0x103], 0x11);
	mem[0x200] = 0xaa;
	mem[0x203] = 0xbb;
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, BASE + 12, 4), 0xbb0000aa);
	mock_free(m);
}
END_TEST

START_TEST(test_mock_logs_hook_and_engine_messages)
{
	struct mock *m = with_probe(NULL);

	/* A pass with nobody below is the engine's "unhandled", logged and counted. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, BASE + 0x1c, 4), 0xffffffff);
	ck_assert(mock_log_contains(m, "unhandled read"));
	ck_assert_uint_gt(mock_log_count(m), 0);
	mock_log_clear(m);
	ck_assert_uint_eq(mock_log_count(m), 0);
	ck_assert_ptr_null(mock_log_line(m, 0));
	mock_free(m);
}
END_TEST

START_TEST(test_mock_watch_fires_matching_events_only)
{
	ioreqd_dev_t *dev;
	struct mock *m = with_probe(&dev);
	struct probe *p = mock_dev_priv(dev);
	ioreqd_watch_t *w =
	    mock_host(m)->watch_new(dev, 42, IOREQD_WATCH_READ, probe_watch_cb, p);

	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(mock_fire_watch(m, 42, IOREQD_WATCH_WRITE), 0);
	ck_assert_uint_eq(mock_fire_watch(m, 41, IOREQD_WATCH_READ), 0);
	ck_assert_uint_eq(mock_fire_watch(m, 42, IOREQD_WATCH_READ | IOREQD_WATCH_WRITE),
	                  1);
	ck_assert_int_eq(p->watched, IOREQD_WATCH_READ);
	ck_assert_str_eq(mock_log_line(m, mock_log_count(m) - 1), "info p0: fd 42 ready");
	mock_host(m)->watch_free(w);
	ck_assert_uint_eq(mock_fire_watch(m, 42, IOREQD_WATCH_READ), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_mock_range_map_and_unmap_at_run_time)
{
	struct mock *m = with_probe(NULL);

	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x700, 1), 0xff);
	ck_assert_uint_eq(ioreqd_engine_stats(mock_engine(m))->unhandled, 1);
	mock_write(m, IOREQD_SPACE_PIO, BASE + 16, 1, 1);
	ck_assert_ptr_nonnull(ioreqd_bus_lookup(mock_bus(m), IOREQD_SPACE_PIO, 0x700, 4));
	/* Offset 0 of the new range: the probe handles it (an IRQ write). */
	mock_write(m, IOREQD_SPACE_PIO, 0x700, 1, 1);
	ck_assert_int_eq(mock_irq_level(m, 9), 1);
	ck_assert_uint_eq(ioreqd_engine_stats(mock_engine(m))->unhandled, 1);
	mock_write(m, IOREQD_SPACE_PIO, BASE + 16, 1, 0);
	ck_assert_ptr_null(ioreqd_bus_lookup(mock_bus(m), IOREQD_SPACE_PIO, 0x700, 4));
	mock_free(m);
}
END_TEST

START_TEST(test_mock_range_get_follows_section_order)
{
	struct mock *m = mock_new(5);
	enum ioreqd_space space;
	uint64_t base, last;
	ioreqd_dev_t *dev;

	ck_assert_int_eq(
	    mock_add(m, &probe_hook, "p0", "mmio = 0x1000+16\npio = 0x600", &dev), 0);
	ck_assert_int_eq(mock_host(m)->range_get(dev, 0, &space, &base, &last), 0);
	ck_assert_int_eq(space, IOREQD_SPACE_MMIO);
	ck_assert_uint_eq(base, 0x1000);
	ck_assert_uint_eq(last, 0x100f);
	ck_assert_int_eq(mock_host(m)->range_get(dev, 1, &space, &base, &last), 0);
	ck_assert_int_eq(space, IOREQD_SPACE_PIO);
	ck_assert_int_eq(mock_host(m)->range_get(dev, 2, &space, &base, &last), -ENOENT);
	mock_free(m);
}
END_TEST

START_TEST(test_mock_add_shares_identical_ranges_and_refuses_partial_overlap)
{
	struct mock *m = with_probe(NULL);
	const struct ioreqd_hook *scratch = ioreqd_builtin_hook_find("scratch");

	ck_assert_int_eq(mock_add(m, scratch, "s", "pio = 0x600-0x61f", NULL), 0);
	ck_assert_uint_eq(ioreqd_range_chain_length(ioreqd_bus_find(
	                      mock_bus(m), IOREQD_SPACE_PIO, 0x600, 0x61f)),
	                  2);
	ck_assert_int_eq(mock_add(m, scratch, "t", "pio = 0x610-0x62f", NULL), -EEXIST);
	ck_assert_ptr_nonnull(strstr(mock_error(m), "mock.conf:3: device t: "));
	/* The failed device left nothing behind. */
	ck_assert_uint_eq(ioreqd_bus_count(mock_bus(m), IOREQD_SPACE_PIO), 1);
	ck_assert_int_eq(mock_add(m, scratch, "u", "pio = 0x", NULL), -EINVAL);
	ck_assert_str_eq(mock_error(m),
	                 "mock.conf:3: pio: bad range '0x' (not a number)");
	mock_free(m);
}
END_TEST

START_TEST(test_mock_add_file_reports_unknown_hook)
{
	char path[] = "/tmp/check_mock_XXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "[device a]\nhook = scratch\npio = 0x80\n"
	                           "[device b]\nhook = nosuch\npio = 0x81\n";
	struct mock *m = mock_new(5);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (int)sizeof(text) - 1);
	close(fd);
	ck_assert_int_eq(mock_add_file(m, path, ioreqd_builtin_hook_find), -ENOENT);
	ck_assert_ptr_nonnull(strstr(mock_error(m), ":5: device b: no hook 'nosuch'"));
	/* Device a was added before the failure. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, 0x80, 1), 0);
	unlink(path);
	mock_free(m);
}
END_TEST

static Suite *mock_suite(void)
{
	Suite *s = suite_create("hook_mock");
	TCase *tc = tcase_create("host");

	tcase_add_test(tc, test_mock_deferred_read_completes_when_timer_fires);
	tcase_add_test(tc, test_mock_ticket_goes_stale_after_completion);
	tcase_add_test(tc, test_mock_records_irq_msi_and_publish);
	tcase_add_test(tc, test_mock_guest_memory_is_shared_with_the_hook);
	tcase_add_test(tc, test_mock_logs_hook_and_engine_messages);
	tcase_add_test(tc, test_mock_watch_fires_matching_events_only);
	tcase_add_test(tc, test_mock_range_map_and_unmap_at_run_time);
	tcase_add_test(tc, test_mock_range_get_follows_section_order);
	tcase_add_test(tc,
	               test_mock_add_shares_identical_ranges_and_refuses_partial_overlap);
	tcase_add_test(tc, test_mock_add_file_reports_unknown_hook);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mock_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
