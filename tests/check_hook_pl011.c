/* SPDX-License-Identifier: MIT */
/*
 * Tests of the pl011 hook through the mock daemon, against the PL011 TRM:
 * the PrimeCell ID registers Linux's AMBA bus matches, reset values, every
 * read/write register's width, UARTFR as earlycon polls it, the 16-entry
 * FIFO (and the one-entry holding register without FEN), overrun in RSR, RIS
 * and DR, receive trigger levels and the receive timeout (mock timers), the
 * transmit interrupt, IMSC/MIS/ICR and the IRQ line the mock records,
 * loopback with its modem lines, back-end input through the mock's fd
 * watches, bus widths, and config errors.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mock-host.h"

extern const struct ioreqd_hook ioreqd_hook_pl011;

#define BASE 0x9000000ull
#define DR (BASE + 0x000)
#define RSR (BASE + 0x004)
#define FR (BASE + 0x018)
#define ILPR (BASE + 0x020)
#define IBRD (BASE + 0x024)
#define FBRD (BASE + 0x028)
#define LCR_H (BASE + 0x02c)
#define CR (BASE + 0x030)
#define IFLS (BASE + 0x034)
#define IMSC (BASE + 0x038)
#define RIS (BASE + 0x03c)
#define MIS (BASE + 0x040)
#define ICR (BASE + 0x044)
#define DMACR (BASE + 0x048)
#define SPI 33

#define FR_BUSY 0x08
#define FR_RXFE 0x10
#define FR_TXFF 0x20
#define FR_RXFF 0x40
#define FR_TXFE 0x80
#define INT_RX 0x10
#define INT_TX 0x20
#define INT_RT 0x40
#define INT_OE 0x400
#define CR_LBE 0x80
#define LCRH_FEN 0x10

/* Every file a test makes (the log file, its socket) is in one private dir. */
static char dir[40];
static char path[64];

static void setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "%s/out_XXXXXX", dir);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void teardown(void)
{
	char sock[80];

	snprintf(sock, sizeof(sock), "%s.sock", path);
	unlink(sock);
	unlink(path);
}

static struct mock *with_pl011(const char *extra)
{
	struct mock *m = mock_new(2);
	char conf[512];
	int rc;

	snprintf(conf, sizeof(conf), "mmio = 0x9000000+4K\nirq = 33\n%s",
	         extra ? extra : "backend = none");
	rc = mock_add(m, &ioreqd_hook_pl011, "uart0", conf, NULL);
	ck_assert_msg(rc == 0, "mock_add: %d %s", rc, mock_error(m));
	return m;
}

static uint32_t rd(struct mock *m, uint64_t a)
{
	return (uint32_t)mock_read(m, IOREQD_SPACE_MMIO, a, 4);
}

static void wr(struct mock *m, uint64_t a, uint32_t v)
{
	mock_write(m, IOREQD_SPACE_MMIO, a, 4, v);
}

/* Loopback with the FIFOs on (or off). */
static struct mock *looped(bool fifo)
{
	struct mock *m = with_pl011(NULL);

	wr(m, LCR_H, 0x60 | (fifo ? LCRH_FEN : 0));
	wr(m, CR, 0x301 | CR_LBE);
	return m;
}

/* The IRQ line as the guest sees it: never driven means low (reset). */
static int line(struct mock *m)
{
	int l = mock_irq_level(m, SPI);

	return l < 0 ? 0 : l;
}

static void expect_cfg_error(const char *conf, const char *key, const char *what)
{
	struct mock *m = mock_new(2);

	mock_expect_cfg_error(m, &ioreqd_hook_pl011, "uart0", conf, key, what);
	mock_free(m);
}

START_TEST(test_pl011_id_registers_identify_a_primecell_uart)
{
	static const uint32_t want[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	struct mock *m = with_pl011(NULL);
	uint32_t pid = 0, cid = 0;

	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(rd(m, BASE + 0xfe0 + 4 * i), want[i]);
	/* The way Linux's amba bus assembles them. */
	for (unsigned i = 0; i < 4; i++) {
		pid |= (rd(m, BASE + 0xfe0 + 4 * i) & 0xff) << (8 * i);
		cid |= (rd(m, BASE + 0xff0 + 4 * i) & 0xff) << (8 * i);
	}
	ck_assert_uint_eq(cid, 0xb105f00d);
	ck_assert_uint_eq(pid & 0x000fffff, 0x00041011); /* Arm, part 0x011 */
	ck_assert_uint_eq((pid >> 20) & 0xf, 1);         /* revision: 16-deep FIFOs */
	/* Byte reads work too. */
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, BASE + 0xffc, 1), 0xb1);
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_reset_values_match_the_trm)
{
	struct mock *m = with_pl011(NULL);

	ck_assert_uint_eq(rd(m, FR) & 0x1f8, FR_TXFE | FR_RXFE);
	ck_assert_uint_eq(rd(m, CR), 0x300);
	ck_assert_uint_eq(rd(m, IFLS), 0x12);
	ck_assert_uint_eq(rd(m, LCR_H), 0);
	ck_assert_uint_eq(rd(m, IMSC), 0);
	ck_assert_uint_eq(rd(m, RIS), 0);
	ck_assert_uint_eq(rd(m, MIS), 0);
	ck_assert_uint_eq(rd(m, RSR), 0);
	ck_assert_uint_eq(rd(m, DMACR), 0);
	ck_assert_int_eq(mock_irq_level(m, SPI), -1);
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_registers_keep_their_documented_widths)
{
	struct mock *m = with_pl011(NULL);

	wr(m, ILPR, 0xffffffff);
	ck_assert_uint_eq(rd(m, ILPR), 0xff);
	wr(m, IBRD, 0xffffffff);
	ck_assert_uint_eq(rd(m, IBRD), 0xffff);
	wr(m, FBRD, 0xffffffff);
	ck_assert_uint_eq(rd(m, FBRD), 0x3f);
	wr(m, LCR_H, 0xffffffff);
	ck_assert_uint_eq(rd(m, LCR_H), 0xff);
	wr(m, IFLS, 0xffffffff);
	ck_assert_uint_eq(rd(m, IFLS), 0x3f);
	wr(m, IMSC, 0xffffffff);
	ck_assert_uint_eq(rd(m, IMSC), 0x7ff);
	wr(m, DMACR, 0xffffffff);
	ck_assert_uint_eq(rd(m, DMACR), 0x7);
	wr(m, CR, 0xffffffff);
	ck_assert_uint_eq(rd(m, CR), 0xff87);
	/* FR, RIS, MIS are read-only; ICR is write-only. */
	wr(m, CR, 0x301);
	wr(m, IMSC, 0);
	wr(m, FR, 0);
	ck_assert_uint_eq(rd(m, FR) & FR_TXFE, FR_TXFE);
	ck_assert(mock_log_contains(m, "read-only or reserved"));
	ck_assert_uint_eq(rd(m, ICR), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_dr_goes_to_the_file_as_earlycon_polls_fr)
{
	char conf[128];
	struct mock *m;

	snprintf(conf, sizeof(conf), "backend = file\npath = %s", path);
	m = with_pl011(conf);
	for (const char *s = "Booting Linux\n"; *s; s++) {
		/* pl011_putc: wait while TXFF, write DR; then wait while BUSY. */
		ck_assert_uint_eq(rd(m, FR) & FR_TXFF, 0);
		mock_write(m, IOREQD_SPACE_MMIO, DR, 1, (unsigned char)*s);
		ck_assert_uint_eq(rd(m, FR) & FR_BUSY, 0);
	}
	ck_assert_str_eq(mock_file_contents(path), "Booting Linux\n");
	ck_assert_uint_eq(rd(m, FR) & FR_TXFE, FR_TXFE);
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_fifo_holds_16_then_overruns)
{
	struct mock *m = looped(true);

	for (unsigned i = 0; i < 16; i++)
		wr(m, DR, 0x40 + i);
	ck_assert_uint_eq(rd(m, FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
	ck_assert_uint_eq(rd(m, RSR), 0);
	wr(m, DR, 0x99); /* lost */
	ck_assert_uint_eq(rd(m, RSR), 0x8);
	ck_assert_uint_eq(rd(m, RIS) & INT_OE, INT_OE);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(rd(m, DR), 0x40 + i);
	ck_assert_uint_eq(rd(m, FR) & FR_RXFE, FR_RXFE);
	/* The first character stored after the overrun carries DR.OE. */
	wr(m, DR, 0x21);
	ck_assert_uint_eq(rd(m, DR), 0x800 | 0x21);
	/* ECR: any write clears RSR; ICR clears the interrupt. */
	wr(m, RSR, 0);
	ck_assert_uint_eq(rd(m, RSR), 0);
	wr(m, ICR, INT_OE);
	ck_assert_uint_eq(rd(m, RIS) & INT_OE, 0);
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_without_fen_holds_one_character)
{
	struct mock *m = looped(false);

	wr(m, DR, 'a');
	ck_assert_uint_eq(rd(m, FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
	ck_assert_uint_eq(rd(m, RIS) & INT_RX, INT_RX);
	wr(m, DR, 'b');
	ck_assert_uint_eq(rd(m, RSR), 0x8);
	ck_assert_uint_eq(rd(m, DR), 'a');
	ck_assert_uint_eq(rd(m, FR) & FR_RXFE, FR_RXFE);
	ck_assert_uint_eq(rd(m, DR), 0); /* empty */
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_rx_interrupt_follows_ifls)
{
	static const unsigned levels[5] = {2, 4, 8, 12, 14};

	for (unsigned sel = 0; sel < 5; sel++) {
		struct mock *m = looped(true);

		wr(m, IFLS, sel << 3);
		for (unsigned i = 1; i <= levels[sel]; i++) {
			wr(m, DR, i);
			ck_assert_uint_eq(rd(m, RIS) & INT_RX,
			                  i < levels[sel] ? 0 : INT_RX);
		}
		/* Reading below the level clears it. */
		rd(m, DR);
		ck_assert_uint_eq(rd(m, RIS) & INT_RX, 0);
		mock_free(m);
	}
}
END_TEST

START_TEST(test_pl011_receive_timeout_fires_for_data_below_trigger)
{
	struct mock *m = looped(true);
	uint64_t usec = 0;

	wr(m, IBRD, 13); /* 115200 baud at 24 MHz */
	wr(m, FBRD, 1);
	wr(m, IMSC, INT_RT);
	wr(m, DR, 'x');
	ck_assert_uint_eq(rd(m, RIS) & (INT_RX | INT_RT), 0);
	ck_assert_uint_eq(mock_timers_armed(m, &usec), 1);
	ck_assert_uint_ge(usec, 250); /* 32 bits at 115200 */
	ck_assert_uint_le(usec, 300);
	ck_assert_int_eq(line(m), 0);
	mock_fire_timers(m);
	ck_assert_uint_eq(rd(m, RIS) & INT_RT, INT_RT);
	ck_assert_uint_eq(rd(m, MIS), INT_RT);
	ck_assert_int_eq(line(m), 1);
	/* Emptying the FIFO clears it. */
	ck_assert_uint_eq(rd(m, DR), 'x');
	ck_assert_uint_eq(rd(m, RIS) & INT_RT, 0);
	ck_assert_int_eq(line(m), 0);
	ck_assert_uint_eq(mock_timers_armed(m, NULL), 0);
	/* So does ICR. */
	wr(m, DR, 'y');
	mock_fire_timers(m);
	ck_assert_int_eq(line(m), 1);
	wr(m, ICR, INT_RT);
	ck_assert_int_eq(line(m), 0);
	ck_assert_uint_eq(rd(m, DR), 'y');
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_tx_interrupt_is_raised_by_writes_and_cleared_by_icr)
{
	struct mock *m = with_pl011(NULL);

	wr(m, IMSC, INT_TX);
	ck_assert_int_eq(line(m), 0);
	wr(m, DR, 'a');
	ck_assert_uint_eq(rd(m, RIS) & INT_TX, INT_TX);
	ck_assert_uint_eq(rd(m, MIS), INT_TX);
	ck_assert_int_eq(line(m), 1);
	wr(m, ICR, INT_TX);
	ck_assert_uint_eq(rd(m, MIS), 0);
	ck_assert_int_eq(line(m), 0);
	/* Masked: raw status set, line stays low. */
	wr(m, IMSC, 0);
	wr(m, DR, 'b');
	ck_assert_uint_eq(rd(m, RIS) & INT_TX, INT_TX);
	ck_assert_uint_eq(rd(m, MIS), 0);
	ck_assert_int_eq(line(m), 0);
	/* Unmasking a raised source raises the line. */
	wr(m, IMSC, INT_TX);
	ck_assert_int_eq(line(m), 1);
	wr(m, ICR, 0x7ff);
	ck_assert_uint_eq(rd(m, RIS), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_loopback_connects_modem_outputs_to_inputs)
{
	struct mock *m = with_pl011(NULL);

	wr(m, ICR, 0x7ff);
	/* LBE with every output off: CTS, DSR and DCD drop, and say so. */
	wr(m, CR, 0x301 | CR_LBE);
	ck_assert_uint_eq(rd(m, FR) & 0x107, 0);
	ck_assert_uint_eq(rd(m, RIS) & 0xf, 0xe);
	wr(m, ICR, 0xf);
	/* RTS->CTS, DTR->DSR, Out1->DCD, Out2->RI. */
	wr(m, CR, 0x301 | CR_LBE | 0x3c00);
	ck_assert_uint_eq(rd(m, FR) & 0x107, 0x107);
	ck_assert_uint_eq(rd(m, RIS) & 0xf, 0xf);
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_narrow_and_misaligned_accesses)
{
	struct mock *m = with_pl011(NULL);

	wr(m, IBRD, 0x1234);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, IBRD + 1, 1), 0x12);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, IBRD, 2), 0x1234);
	/* A write into the middle of a register is dropped. */
	mock_write(m, IOREQD_SPACE_MMIO, IBRD + 1, 1, 0x56);
	ck_assert_uint_eq(rd(m, IBRD), 0x1234);
	ck_assert(mock_log_contains(m, "not a register access (dropped)"));
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_MMIO, IBRD, 8), ~0ull);
	/* Reserved space reads as zero. */
	ck_assert_uint_eq(rd(m, BASE + 0x800), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_socket_input_waits_for_fifo_room)
{
	char conf[160], sock[80];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char msg[24];
	struct mock *m;
	unsigned got = 0;
	int c;

	snprintf(sock, sizeof(sock), "%s.sock", path);
	snprintf(conf, sizeof(conf), "backend = socket\npath = %s", sock);
	m = with_pl011(conf);
	wr(m, LCR_H, 0x70);
	wr(m, IMSC, INT_RX);
	strcpy(sa.sun_path, sock);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	mock_fire_reads(m);
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i);
	ck_assert_int_eq(write(c, msg, sizeof(msg)), (int)sizeof(msg));
	mock_fire_reads(m);
	mock_fire_reads(m);
	/* Full, not overrun: the rest waits in the socket. */
	ck_assert_uint_eq(rd(m, FR) & FR_RXFF, FR_RXFF);
	ck_assert_uint_eq(rd(m, RSR), 0);
	ck_assert_int_eq(line(m), 1);
	while (got < sizeof(msg)) {
		ck_assert_uint_eq(rd(m, FR) & FR_RXFE, 0);
		ck_assert_uint_eq(rd(m, DR), (unsigned char)msg[got]);
		got++;
		mock_fire_reads(m);
	}
	ck_assert_uint_eq(rd(m, FR) & FR_RXFE, FR_RXFE);
	ck_assert_uint_eq(rd(m, RIS) & INT_OE, 0);
	/* Output reaches the client. */
	wr(m, DR, '#');
	{
		char ch = 0;

		ck_assert_int_eq(read(c, &ch, 1), 1);
		ck_assert_int_eq(ch, '#');
	}
	close(c);
	mock_free(m);
}
END_TEST

START_TEST(test_pl011_config_errors_name_the_key)
{
	expect_cfg_error("mmio = 0x9000000+4K\nirq = 16", "irq", "not a GIC SPI");
	expect_cfg_error("mmio = 0x9000000+4K\nbackend = tty", "backend",
	                 "bad value 'tty'");
	expect_cfg_error("mmio = 0x9000000+4K\nbackend = file", "path",
	                 "required for backend = file");
	expect_cfg_error("mmio = 0x9000000+4K\nbackend = pty\npath = /dev/null", "path",
	                 "not used by backend = pty");
}
END_TEST

START_TEST(test_pl011_pty_backend_publishes_its_tty)
{
	struct mock *m = with_pl011("backend = pty");
	const char *tty = mock_published(m, "uart0", "tty");

	ck_assert_ptr_nonnull(tty);
	ck_assert_int_eq(strncmp(tty, "/dev/pts/", 9), 0);
	ck_assert_int_eq(access(tty, F_OK), 0);
	mock_free(m);
}
END_TEST

/* Without devpts (chroots, containers) the pty test cannot run: see main. */
static bool with_pty;

static Suite *pl011_suite(void)
{
	Suite *s = suite_create("hook_pl011");
	TCase *tc = tcase_create("registers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pl011_id_registers_identify_a_primecell_uart);
	tcase_add_test(tc, test_pl011_reset_values_match_the_trm);
	tcase_add_test(tc, test_pl011_registers_keep_their_documented_widths);
	tcase_add_test(tc, test_pl011_dr_goes_to_the_file_as_earlycon_polls_fr);
	tcase_add_test(tc, test_pl011_fifo_holds_16_then_overruns);
	tcase_add_test(tc, test_pl011_without_fen_holds_one_character);
	tcase_add_test(tc, test_pl011_narrow_and_misaligned_accesses);
	tcase_add_test(tc, test_pl011_loopback_connects_modem_outputs_to_inputs);
	suite_add_tcase(s, tc);

	tc = tcase_create("interrupts");
	tcase_add_test(tc, test_pl011_rx_interrupt_follows_ifls);
	tcase_add_test(tc, test_pl011_receive_timeout_fires_for_data_below_trigger);
	tcase_add_test(tc,
	               test_pl011_tx_interrupt_is_raised_by_writes_and_cleared_by_icr);
	suite_add_tcase(s, tc);

	tc = tcase_create("backends");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pl011_socket_input_waits_for_fifo_room);
	if (with_pty)
		tcase_add_test(tc, test_pl011_pty_backend_publishes_its_tty);
	tcase_add_test(tc, test_pl011_config_errors_name_the_key);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * Exit 77 (skipped, for automake) when the pty test could not run and all
 * else passed, so that a missing /dev/pts shows as a skip, not a pass.
 */
int main(void)
{
	SRunner *sr;
	int failed;

	if (mock_tmpdir_make(dir, sizeof(dir), "check_pl011") < 0) {
		perror("check_pl011: mkdtemp");
		return EXIT_FAILURE;
	}
	with_pty = mock_pty_usable();
	sr = srunner_create(pl011_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	mock_tmpdir_remove(dir);
	if (failed)
		return EXIT_FAILURE;
	if (!with_pty) {
		printf("SKIP: no usable pseudo-terminal (is /dev/pts mounted?): the pty "
		       "backend test did not run\n");
		return 77;
	}
	return EXIT_SUCCESS;
}
