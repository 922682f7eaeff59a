/* SPDX-License-Identifier: MIT */
/*
 * Tests of the uart16550 hook through the mock daemon, register by register
 * against the PC16550D datasheet: reset values, the scratch and IER
 * read-back that drivers probe with, DLAB, FCR (FIFO detection in IIR, the
 * reset bits, trigger levels), the 16-byte FIFO and overrun, LSR (with BI
 * from a loopback break) and MSR (delta bits, loopback), IIR priorities and
 * how each source is cleared, the
 * IRQ line as the mock records it (OUT2 gating), Linux's THRE test, the
 * character timeout (mock timers), the back ends (file, pty and socket input
 * through the mock's fd watches, with flow control) and config errors.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "mock-host.h"

extern const struct ioreqd_hook ioreqd_hook_uart16550;

#define PORT 0x3f8
#define THR (PORT + 0)
#define RBR (PORT + 0)
#define IER (PORT + 1)
#define IIR (PORT + 2)
#define FCR (PORT + 2)
#define LCR (PORT + 3)
#define MCR (PORT + 4)
#define LSR (PORT + 5)
#define MSR (PORT + 6)
#define SCR (PORT + 7)
#define IRQ 4

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

static struct mock *with_uart(const char *extra)
{
	struct mock *m = mock_new(5);
	char conf[512];
	int rc;

	snprintf(conf, sizeof(conf), "pio = 0x3f8+8\nirq = 4\n%s",
	         extra ? extra : "backend = none");
	rc = mock_add(m, &ioreqd_hook_uart16550, "com1", conf, NULL);
	ck_assert_msg(rc == 0, "mock_add: %d %s", rc, mock_error(m));
	return m;
}

static unsigned rd(struct mock *m, uint64_t port)
{
	return (unsigned)mock_read(m, IOREQD_SPACE_PIO, port, 1);
}

static void wr(struct mock *m, uint64_t port, unsigned v)
{
	mock_write(m, IOREQD_SPACE_PIO, port, 1, v);
}

/* The IRQ line as the guest sees it: never driven means low (reset). */
static int line(struct mock *m)
{
	int l = mock_irq_level(m, IRQ);

	return l < 0 ? 0 : l;
}

static void expect_cfg_error(const char *conf, const char *key, const char *what)
{
	struct mock *m = mock_new(5);

	mock_expect_cfg_error(m, &ioreqd_hook_uart16550, "com1", conf, key, what);
	mock_free(m);
}

START_TEST(test_uart_reset_values_match_the_datasheet)
{
	struct mock *m = with_uart(NULL);

	ck_assert_uint_eq(rd(m, IER), 0x00);
	ck_assert_uint_eq(rd(m, IIR), 0x01);
	ck_assert_uint_eq(rd(m, LCR), 0x00);
	ck_assert_uint_eq(rd(m, MCR), 0x00);
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	ck_assert_uint_eq(rd(m, MSR), 0xb0);
	/* The line was settled before the guest looked: no delta bits. */
	ck_assert_uint_eq(rd(m, MSR), 0xb0);
	/* The line starts low and is left alone until something is pending. */
	ck_assert_int_eq(mock_irq_level(m, IRQ), -1);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_scratch_and_ier_read_back_as_drivers_probe)
{
	struct mock *m = with_uart(NULL);

	wr(m, SCR, 0xa5);
	ck_assert_uint_eq(rd(m, SCR), 0xa5);
	wr(m, SCR, 0x5a);
	ck_assert_uint_eq(rd(m, SCR), 0x5a);
	/* IER has four bits; the others (the XScale UUE probe) read 0. */
	wr(m, IER, 0xff);
	ck_assert_uint_eq(rd(m, IER), 0x0f);
	wr(m, IER, 0x40);
	ck_assert_uint_eq(rd(m, IER), 0x00);
	/* MCR has five bits (no AFE on a 16550A). */
	wr(m, MCR, 0xff);
	ck_assert_uint_eq(rd(m, MCR), 0x1f);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_dlab_switches_offsets_0_and_1_to_the_divisor)
{
	char conf[128];
	struct mock *m;

	snprintf(conf, sizeof(conf), "backend = file\npath = %s", path);
	m = with_uart(conf);
	wr(m, IER, 0x05);
	wr(m, LCR, 0x83);
	wr(m, PORT + 0, 0x0c);
	wr(m, PORT + 1, 0x00);
	ck_assert_uint_eq(rd(m, PORT + 0), 0x0c);
	ck_assert_uint_eq(rd(m, PORT + 1), 0x00);
	ck_assert_uint_eq(rd(m, LCR), 0x83);
	/* Nothing was transmitted and IER kept its value. */
	ck_assert_str_eq(mock_file_contents(path), "");
	wr(m, LCR, 0x03);
	ck_assert_uint_eq(rd(m, IER), 0x05);
	wr(m, THR, 'x');
	ck_assert_str_eq(mock_file_contents(path), "x");
	wr(m, LCR, 0x83);
	ck_assert_uint_eq(rd(m, PORT + 0), 0x0c);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_fcr_enable_shows_in_iir_bits_7_6)
{
	struct mock *m = with_uart(NULL);

	wr(m, FCR, 0x01);
	ck_assert_uint_eq(rd(m, IIR), 0xc1);
	/* The 16750's 64-byte bit does not exist: IIR bit 5 stays 0. */
	wr(m, LCR, 0x80);
	wr(m, FCR, 0x21);
	ck_assert_uint_eq(rd(m, IIR) >> 5, 0x6);
	wr(m, LCR, 0x00);
	wr(m, FCR, 0x00);
	ck_assert_uint_eq(rd(m, IIR), 0x01);
	/* With LCR = 0xbf (EFR probe), offset 2 is still IIR, so "EFR" is not 0. */
	wr(m, FCR, 0x07);
	wr(m, LCR, 0xbf);
	ck_assert_uint_ne(rd(m, IIR), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_thr_goes_to_the_file_and_thre_temt_stay_set)
{
	char conf[128];
	struct mock *m;

	snprintf(conf, sizeof(conf), "backend = file\npath = %s", path);
	m = with_uart(conf);
	for (const char *s = "hello, 16550\r\n"; *s; s++) {
		/* The way a console driver waits for room. */
		ck_assert_uint_eq(rd(m, LSR) & 0x60, 0x60);
		wr(m, THR, (unsigned char)*s);
	}
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	ck_assert_str_eq(mock_file_contents(path), "hello, 16550\r\n");
	mock_free(m);
}
END_TEST

START_TEST(test_uart_loopback_reflects_mcr_in_msr_and_tx_in_rx)
{
	char conf[128];
	struct mock *m;

	snprintf(conf, sizeof(conf), "backend = file\npath = %s", path);
	m = with_uart(conf);
	/* Linux's autoconfig: LOOP | OUT2 | RTS must read DCD | CTS. */
	wr(m, MCR, 0x1a);
	ck_assert_uint_eq(rd(m, MSR) & 0xf0, 0x90);
	wr(m, MCR, 0x1f);
	ck_assert_uint_eq(rd(m, MSR) & 0xf0, 0xf0);
	wr(m, THR, 0x42);
	ck_assert_uint_eq(rd(m, LSR), 0x61);
	ck_assert_uint_eq(rd(m, RBR), 0x42);
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	/* Nothing reached the line. */
	ck_assert_str_eq(mock_file_contents(path), "");
	wr(m, MCR, 0x03);
	wr(m, THR, 'z');
	ck_assert_str_eq(mock_file_contents(path), "z");
	mock_free(m);
}
END_TEST

START_TEST(test_uart_msr_delta_bits_set_on_change_and_clear_on_read)
{
	struct mock *m = with_uart(NULL);

	/* Loopback with every output off: CTS, DSR and DCD drop. */
	wr(m, MCR, 0x10);
	ck_assert_uint_eq(rd(m, MSR), 0x0b);
	ck_assert_uint_eq(rd(m, MSR), 0x00);
	/* RI follows OUT1; TERI is set on its trailing edge only. */
	wr(m, MCR, 0x14);
	ck_assert_uint_eq(rd(m, MSR), 0x40);
	wr(m, MCR, 0x10);
	ck_assert_uint_eq(rd(m, MSR), 0x04);
	ck_assert_uint_eq(rd(m, MSR), 0x00);
	/* Leaving loopback, the line's inputs come back. */
	wr(m, MCR, 0x00);
	ck_assert_uint_eq(rd(m, MSR), 0xbb);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_fifo_holds_16_and_overrun_keeps_the_fifo)
{
	struct mock *m = with_uart(NULL);

	wr(m, FCR, 0x07);
	wr(m, MCR, 0x10);
	for (unsigned i = 0; i < 17; i++)
		wr(m, THR, 0x30 + i);
	ck_assert_uint_eq(rd(m, LSR), 0x63);
	/* OE clears on read; DR stays. */
	ck_assert_uint_eq(rd(m, LSR), 0x61);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(rd(m, RBR), 0x30 + i);
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_without_fifo_an_overrun_replaces_the_byte)
{
	struct mock *m = with_uart(NULL);

	wr(m, MCR, 0x10);
	wr(m, THR, 'a');
	ck_assert_uint_eq(rd(m, LSR), 0x61);
	wr(m, THR, 'b');
	ck_assert_uint_eq(rd(m, LSR), 0x63);
	ck_assert_uint_eq(rd(m, RBR), 'b');
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_break_in_loopback_shows_bi_at_the_top_of_the_fifo)
{
	struct mock *m = with_uart(NULL);

	wr(m, FCR, 0x01);
	wr(m, MCR, 0x10);
	wr(m, IER, 0x04);
	wr(m, THR, 'a');
	wr(m, LCR, 0x43); /* break on */
	wr(m, LCR, 0x03);
	/* 'a' is at the top: no BI yet, but the FIFO holds an error (bit 7). */
	ck_assert_uint_eq(rd(m, LSR), 0xe1);
	ck_assert_uint_eq(rd(m, IIR), 0xc1);
	ck_assert_uint_eq(rd(m, RBR), 'a');
	/* Now the break character is: BI, and a line status interrupt. */
	ck_assert_uint_eq(rd(m, IIR), 0xc6);
	ck_assert_uint_eq(rd(m, LSR), 0xf1);
	/* Reading LSR cleared BI; the zero character is still there. */
	ck_assert_uint_eq(rd(m, LSR), 0x61);
	ck_assert_uint_eq(rd(m, IIR), 0xc1);
	ck_assert_uint_eq(rd(m, RBR), 0x00);
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_fcr_reset_bits_and_enable_change_empty_the_fifo)
{
	struct mock *m = with_uart(NULL);

	wr(m, FCR, 0x01);
	wr(m, MCR, 0x10);
	wr(m, THR, 1);
	wr(m, THR, 2);
	wr(m, FCR, 0x03);
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	/* The reset bits self-clear: the FIFO stays enabled and fills again. */
	ck_assert_uint_eq(rd(m, IIR), 0xc1);
	wr(m, THR, 3);
	wr(m, THR, 4);
	ck_assert_uint_eq(rd(m, LSR), 0x61);
	/* Switching the FIFO off empties it too. */
	wr(m, FCR, 0x00);
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	wr(m, THR, 5);
	wr(m, FCR, 0x01);
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_rx_interrupt_waits_for_the_trigger_level)
{
	static const unsigned levels[4] = {1, 4, 8, 14};

	for (unsigned t = 0; t < 4; t++) {
		struct mock *m = with_uart(NULL);

		wr(m, FCR, 0x07 | (t << 6));
		wr(m, IER, 0x01);
		wr(m, MCR, 0x10);
		for (unsigned i = 1; i <= levels[t]; i++) {
			wr(m, THR, i);
			ck_assert_uint_eq(rd(m, IIR), i < levels[t] ? 0xc1 : 0xc4);
		}
		/* Reading below the level takes the interrupt away. */
		rd(m, RBR);
		if (levels[t] > 1)
			ck_assert_uint_eq(rd(m, IIR), 0xc1);
		mock_free(m);
	}
}
END_TEST

START_TEST(test_uart_character_timeout_reports_data_below_trigger)
{
	struct mock *m = with_uart(NULL);
	uint64_t usec = 0;

	wr(m, LCR, 0x03); /* 8N1: 10 bits a character */
	wr(m, FCR, 0xc7); /* trigger at 14 */
	wr(m, IER, 0x01);
	wr(m, MCR, 0x18); /* loopback; OUT2 does not reach the line in loopback */
	wr(m, THR, 'a');
	wr(m, THR, 'b');
	ck_assert_uint_eq(rd(m, IIR), 0xc1);
	ck_assert_uint_eq(mock_timers_armed(m, &usec), 1);
	/* Four characters of 10 bits at 115200 baud. */
	ck_assert_uint_ge(usec, 300);
	ck_assert_uint_le(usec, 400);
	ck_assert_uint_eq(mock_fire_timers(m), 1);
	ck_assert_uint_eq(rd(m, IIR), 0xcc);
	/* A read clears the timeout and restarts the timer for what is left. */
	ck_assert_uint_eq(rd(m, RBR), 'a');
	ck_assert_uint_eq(rd(m, IIR), 0xc1);
	ck_assert_uint_eq(mock_timers_armed(m, NULL), 1);
	mock_fire_timers(m);
	ck_assert_uint_eq(rd(m, IIR), 0xcc);
	ck_assert_uint_eq(rd(m, RBR), 'b');
	ck_assert_uint_eq(mock_timers_armed(m, NULL), 0);
	ck_assert_uint_eq(rd(m, IIR), 0xc1);
	/* A slower line (divisor 12 = 9600 baud) waits twelve times longer. */
	wr(m, LCR, 0x80);
	wr(m, PORT + 0, 12);
	wr(m, LCR, 0x03);
	wr(m, THR, 'c');
	ck_assert_uint_eq(mock_timers_armed(m, &usec), 1);
	ck_assert_uint_ge(usec, 12 * 300);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_iir_reports_sources_in_priority_order)
{
	struct mock *m = with_uart(NULL);

	wr(m, FCR, 0x01); /* trigger 1 */
	wr(m, MCR, 0x10); /* loopback: MSR deltas pending */
	for (unsigned i = 0; i < 17; i++)
		wr(m, THR, i); /* data, overrun, and THRE re-armed */
	wr(m, IER, 0x0f);
	ck_assert_uint_eq(rd(m, IIR), 0xc6); /* line status */
	ck_assert_uint_eq(rd(m, IIR), 0xc6); /* reading IIR does not clear it */
	ck_assert_uint_eq(rd(m, LSR) & 0x02, 0x02);
	ck_assert_uint_eq(rd(m, IIR), 0xc4); /* received data */
	for (unsigned i = 0; i < 16; i++)
		rd(m, RBR);
	ck_assert_uint_eq(rd(m, IIR), 0xc2); /* THR empty; acknowledged by this read */
	ck_assert_uint_eq(rd(m, IIR), 0xc0); /* modem status */
	rd(m, MSR);
	ck_assert_uint_eq(rd(m, IIR), 0xc1);
	/* A THR write raises THRE again. */
	wr(m, MCR, 0x00);
	rd(m, MSR);
	wr(m, THR, 'q');
	ck_assert_uint_eq(rd(m, IIR), 0xc2);
	ck_assert_uint_eq(rd(m, IIR), 0xc1);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_irq_line_is_gated_by_out2_and_loopback)
{
	struct mock *m = with_uart(NULL);

	wr(m, IER, 0x02); /* THRE pending */
	ck_assert_int_eq(line(m), 0);
	wr(m, MCR, 0x08); /* OUT2 */
	ck_assert_int_eq(line(m), 1);
	ck_assert_uint_eq(rd(m, IIR), 0x02);
	ck_assert_int_eq(line(m), 0);
	wr(m, THR, 'x');
	ck_assert_int_eq(line(m), 1);
	wr(m, IER, 0x00);
	ck_assert_int_eq(line(m), 0);
	wr(m, IER, 0x02);
	ck_assert_int_eq(line(m), 1);
	wr(m, MCR, 0x18); /* loopback forces OUT2 inactive */
	ck_assert_int_eq(line(m), 0);
	wr(m, MCR, 0x08);
	ck_assert_int_eq(line(m), 1);
	wr(m, MCR, 0x00);
	ck_assert_int_eq(line(m), 0);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_irq_is_only_set_on_change)
{
	struct mock *m = with_uart(NULL);
	unsigned calls = mock_irq_calls(m);

	wr(m, SCR, 1);
	wr(m, SCR, 2);
	rd(m, LSR);
	ck_assert_uint_eq(mock_irq_calls(m), calls);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_passes_linux_thre_test)
{
	struct mock *m = with_uart(NULL);
	unsigned iir1, iir;

	/* serial8250_do_startup: two THRI enables must both show THRE. */
	wr(m, IER, 0x02);
	iir1 = rd(m, IIR);
	wr(m, IER, 0x00);
	wr(m, IER, 0x02);
	iir = rd(m, IIR);
	wr(m, IER, 0x00);
	ck_assert_uint_eq(iir1 & 0x01, 0);
	ck_assert_uint_eq(iir & 0x01, 0);
	ck_assert_uint_eq(iir & 0x0f, 0x02);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_wide_access_is_split_into_bytes)
{
	struct mock *m = with_uart(NULL);

	wr(m, MCR, 0x0b);
	ck_assert_uint_eq(mock_read(m, IOREQD_SPACE_PIO, MCR, 2), 0x600b);
	mock_write(m, IOREQD_SPACE_PIO, LCR, 2, 0x0103);
	ck_assert_uint_eq(rd(m, LCR), 0x03);
	ck_assert_uint_eq(rd(m, MCR), 0x01);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_pty_input_fills_the_fifo_without_loss)
{
	struct mock *m = with_uart("backend = pty");
	const char *tty = mock_published(m, "com1", "tty");
	char msg[40];
	int fd;

	ck_assert_ptr_nonnull(tty);
	ck_assert(mock_log_contains(m, tty));
	fd = open(tty, O_RDWR | O_NOCTTY);
	ck_assert_int_ge(fd, 0);
	{
		struct termios t;

		ck_assert_int_eq(tcgetattr(fd, &t), 0);
		cfmakeraw(&t);
		ck_assert_int_eq(tcsetattr(fd, TCSANOW, &t), 0);
	}
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('A' + i);
	ck_assert_int_eq(write(fd, msg, sizeof(msg)), (int)sizeof(msg));
	tcdrain(fd);
	wr(m, FCR, 0x01);
	/* Drain it the way a driver does: read while DR, then wait for more. */
	for (unsigned got = 0, spins = 0; got < sizeof(msg); spins++) {
		ck_assert_uint_lt(spins, 1000);
		mock_fire_reads(m);
		while (rd(m, LSR) & 0x01) {
			ck_assert_uint_eq(rd(m, RBR), (unsigned char)msg[got]);
			got++;
		}
	}
	/* Flow control, not overrun: the pty held what the FIFO could not. */
	ck_assert(!mock_log_contains(m, "overrun"));
	/* Output reaches the other end. */
	wr(m, THR, '!');
	{
		char c = 0;

		ck_assert_int_eq(read(fd, &c, 1), 1);
		ck_assert_int_eq(c, '!');
	}
	close(fd);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_socket_serves_one_client)
{
	char conf[160], sock[80];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct mock *m;
	int c, c2;
	char buf[8] = {0};

	snprintf(sock, sizeof(sock), "%s.sock", path);
	snprintf(conf, sizeof(conf), "backend = socket\npath = %s", sock);
	m = with_uart(conf);
	strcpy(sa.sun_path, sock);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	mock_fire_reads(m);
	ck_assert(mock_log_contains(m, "client connected"));
	/* A second client is turned away. */
	c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c2, (struct sockaddr *)&sa, sizeof(sa)), 0);
	mock_fire_reads(m);
	ck_assert_int_eq(read(c2, buf, 1), 0);
	close(c2);
	ck_assert_int_eq(write(c, "abc", 3), 3);
	mock_fire_reads(m);
	ck_assert_uint_eq(rd(m, LSR) & 0x01, 1);
	/* Without FIFOs the receiver holds one byte; the rest waits its turn. */
	ck_assert_uint_eq(rd(m, RBR), 'a');
	mock_fire_reads(m);
	ck_assert_uint_eq(rd(m, RBR), 'b');
	mock_fire_reads(m);
	ck_assert_uint_eq(rd(m, RBR), 'c');
	ck_assert_uint_eq(rd(m, LSR), 0x60);
	wr(m, THR, 'Z');
	ck_assert_int_eq(read(c, buf, 1), 1);
	ck_assert_int_eq(buf[0], 'Z');
	close(c);
	mock_free(m);
	/* The socket is removed at teardown. */
	ck_assert_int_ne(access(sock, F_OK), 0);
}
END_TEST

/* Fire every watch once; @return how many ran. */
static unsigned pump_count(struct mock *m)
{
	unsigned n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += mock_fire_watch(m, fd, IOREQD_WATCH_READ);
	return n;
}

/*
 * Out of descriptors, a queued client cannot be accepted and the socket stays
 * readable: the back end stops watching it (no busy loop), warns once, and
 * listens again from a timer, when the client is served.
 */
START_TEST(test_uart_socket_backs_off_when_out_of_descriptors)
{
	char conf[160], sock[80];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rlimit old, low;
	struct mock *m;
	unsigned warned;
	int c;

	snprintf(sock, sizeof(sock), "%s.sock", path);
	snprintf(conf, sizeof(conf), "backend = socket\npath = %s", sock);
	m = with_uart(conf);
	strcpy(sa.sun_path, sock);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* No descriptor left for accept(). */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)c + 1;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	ck_assert_uint_eq(pump_count(m), 1);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(pump_count(m), 0);
	warned = 0;
	for (unsigned i = 0; i < mock_log_count(m); i++)
		warned += strstr(mock_log_line(m, i), "cannot accept a client") != NULL;
	ck_assert_uint_eq(warned, 1);
	ck_assert_uint_eq(mock_timers_armed(m, NULL), 1);
	ck_assert(!mock_log_contains(m, "client connected"));
	/* Descriptors again: the timer restores the watch and the client is served. */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_uint_eq(mock_fire_timers(m), 1);
	ck_assert_uint_ge(pump_count(m), 1);
	ck_assert(mock_log_contains(m, "client connected"));
	wr(m, THR, 'Z');
	{
		char b = 0;

		ck_assert_int_eq(read(c, &b, 1), 1);
		ck_assert_int_eq(b, 'Z');
	}
	close(c);
	mock_free(m);
}
END_TEST

START_TEST(test_uart_config_errors_name_the_key)
{
	char conf[160];

	expect_cfg_error("pio = 0x3f8+8\nbackend = serial", "backend",
	                 "bad value 'serial'");
	expect_cfg_error("pio = 0x3f8+8\nbackend = file", "path",
	                 "required for backend = file");
	expect_cfg_error("pio = 0x3f8+8\nbackend = socket", "path",
	                 "required for backend = socket");
	expect_cfg_error("pio = 0x3f8+8\npath = /tmp/x", "path",
	                 "not used by backend = none");
	expect_cfg_error("pio = 0x3f8+8\nirq = 16", "irq", "not an ISA IRQ");
	expect_cfg_error("pio = 0x3f8+8\nbackend = file\npath = /nonexistent/dir/log",
	                 "path", "cannot open");
	snprintf(conf, sizeof(conf), "pio = 0x3f8+8\nbackend = socket\npath = %s", path);
	expect_cfg_error(conf, "path", "is not a socket");
}
END_TEST

START_TEST(test_uart_without_irq_never_touches_a_line)
{
	struct mock *m = mock_new(5);

	ck_assert_int_eq(
	    mock_add(m, &ioreqd_hook_uart16550, "com1", "pio = 0x3f8+8", NULL), 0);
	wr(m, MCR, 0x08);
	wr(m, IER, 0x02);
	ck_assert_uint_eq(rd(m, IIR), 0x02);
	ck_assert_uint_eq(mock_irq_calls(m), 0);
	mock_free(m);
}
END_TEST

/* Without devpts (chroots, containers) the pty test cannot run: see main. */
static bool with_pty;

static Suite *uart_suite(void)
{
	Suite *s = suite_create("hook_uart16550");
	TCase *tc = tcase_create("registers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_uart_reset_values_match_the_datasheet);
	tcase_add_test(tc, test_uart_scratch_and_ier_read_back_as_drivers_probe);
	tcase_add_test(tc, test_uart_dlab_switches_offsets_0_and_1_to_the_divisor);
	tcase_add_test(tc, test_uart_fcr_enable_shows_in_iir_bits_7_6);
	tcase_add_test(tc, test_uart_thr_goes_to_the_file_and_thre_temt_stay_set);
	tcase_add_test(tc, test_uart_loopback_reflects_mcr_in_msr_and_tx_in_rx);
	tcase_add_test(tc, test_uart_msr_delta_bits_set_on_change_and_clear_on_read);
	tcase_add_test(tc, test_uart_fifo_holds_16_and_overrun_keeps_the_fifo);
	tcase_add_test(tc, test_uart_without_fifo_an_overrun_replaces_the_byte);
	tcase_add_test(tc, test_uart_fcr_reset_bits_and_enable_change_empty_the_fifo);
	tcase_add_test(tc, test_uart_wide_access_is_split_into_bytes);
	tcase_add_test(tc, test_uart_break_in_loopback_shows_bi_at_the_top_of_the_fifo);
	suite_add_tcase(s, tc);

	tc = tcase_create("interrupts");
	tcase_add_test(tc, test_uart_rx_interrupt_waits_for_the_trigger_level);
	tcase_add_test(tc, test_uart_character_timeout_reports_data_below_trigger);
	tcase_add_test(tc, test_uart_iir_reports_sources_in_priority_order);
	tcase_add_test(tc, test_uart_irq_line_is_gated_by_out2_and_loopback);
	tcase_add_test(tc, test_uart_irq_is_only_set_on_change);
	tcase_add_test(tc, test_uart_passes_linux_thre_test);
	tcase_add_test(tc, test_uart_without_irq_never_touches_a_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("backends");
	tcase_add_checked_fixture(tc, setup, teardown);
	if (with_pty)
		tcase_add_test(tc, test_uart_pty_input_fills_the_fifo_without_loss);
	tcase_add_test(tc, test_uart_socket_serves_one_client);
	tcase_add_test(tc, test_uart_socket_backs_off_when_out_of_descriptors);
	tcase_add_test(tc, test_uart_config_errors_name_the_key);
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

	if (mock_tmpdir_make(dir, sizeof(dir), "check_uart16550") < 0) {
		perror("check_uart16550: mkdtemp");
		return EXIT_FAILURE;
	}
	with_pty = mock_pty_usable();
	sr = srunner_create(uart_suite());
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
