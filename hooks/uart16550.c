/* SPDX-License-Identifier: MIT */
/*
 * uart16550: the PC serial port, an 8250/16550A on eight I/O ports, as the
 * National PC16550D datasheet describes it, so that firmware, Linux's 8250
 * driver (probe: IER and scratch read-back, the loopback MSR test, IIR
 * FIFO detection, the THRE interrupt test) and earlycon=uart8250,io,PORT
 * (which polls LSR.THRE/TEMT) all see the chip they expect.
 *
 * Transmission is instantaneous: a byte written to THR goes straight to the
 * back end (hooks/chardev.h), so THRE and TEMT read 1 and the transmit FIFO
 * is always empty.  Reception goes through a 16-byte FIFO (1 byte with FCR
 * bit 0 clear); the back end is read only while the FIFO has room, so host
 * input is never lost to an overrun.  Overruns happen as on the chip when the
 * guest loops its own output back (MCR.LOOP) faster than it reads.  A
 * virtual line has no parity or framing errors; a break (LCR bit 6) reaches
 * the receiver only in loopback, as a zero character flagged BI.  The
 * character timeout (4 character times without FIFO activity) is a host
 * timer whose length follows the divisor and LCR.
 *
 * The interrupt output reaches the guest's interrupt controller only while
 * MCR.OUT2 is set and loopback is off, because on a PC the IRQ line passes a
 * buffer enabled by OUT2, and loopback forces OUT2 inactive.  Drivers rely on
 * this to keep the line quiet while they probe.
 */
#include <ioreqd/hook.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chardev.h"

#define FIFO_DEPTH 16

/* Register offsets (DLAB selects DLL/DLM at 0 and 1). */
enum {
	REG_RBR_THR = 0,
	REG_IER,
	REG_IIR_FCR,
	REG_LCR,
	REG_MCR,
	REG_LSR,
	REG_MSR,
	REG_SCR
};

#define IER_ERBFI 0x01 /* received data available / timeout */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_BREAK 0x40
#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_BI 0x10
#define LSR_FIFO_ERR 0x80
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* What a PC sees with a terminal (or nothing) on the line: carrier, ready, clear. */
#define MSR_LINE_IDLE (MSR_DCD | MSR_DSR | MSR_CTS)

static const unsigned trigger_levels[4] = {1, 4, 8, 14};

struct uart {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	struct ioreqd_chardev *cd;
	ioreqd_timer_t *timeout_timer;
	int irq;       /* -1: polled only */
	int irq_level; /* last level set; the line starts low */

	uint8_t rx[FIFO_DEPTH];
	uint8_t rx_err[FIFO_DEPTH]; /* LSR_BI of each character, shown at the top */
	unsigned rx_head, rx_count;

	uint8_t ier, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	bool thri_pending;    /* THR empty, not yet acknowledged */
	bool timeout_pending; /* character timeout */
	uint64_t overruns;
};

static const struct ioreqd_hook_key uart_keys[] = {
    IOREQD_CHARDEV_KEYS,
    {NULL, NULL},
};

static bool fifo_on(const struct uart *u)
{
	return u->fcr & FCR_ENABLE;
}

static unsigned rx_depth(const struct uart *u)
{
	return fifo_on(u) ? FIFO_DEPTH : 1;
}

/* The highest-priority pending interrupt, as IIR bits 3:0. */
static uint8_t pending_iir(const struct uart *u)
{
	unsigned trig = fifo_on(u) ? trigger_levels[u->fcr >> 6] : 1;

	if ((u->ier & IER_ELSI) &&
	    ((u->lsr & LSR_OE) || (u->rx_count && u->rx_err[u->rx_head])))
		return IIR_RLSI;
	if (u->ier & IER_ERBFI) {
		if (u->rx_count >= trig)
			return IIR_RDI;
		if (u->timeout_pending && u->rx_count)
			return IIR_CTI;
	}
	if ((u->ier & IER_ETBEI) && u->thri_pending)
		return IIR_THRI;
	if ((u->ier & IER_EDSSI) && (u->msr & 0x0f))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void update_irq(struct uart *u)
{
	int level;

	if (u->irq < 0)
		return;
	level =
	    pending_iir(u) != IIR_NO_INT && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);
	if (level == u->irq_level)
		return;
	if (u->host->irq_set_level(u->dev, (unsigned)u->irq, (unsigned)level) < 0) {
		/* Not recorded: the next change of state tries again. */
		u->host->log_rl(u->dev, IOREQD_LOG_WARN, "cannot set irq %d to %d",
		                u->irq, level);
		return;
	}
	u->irq_level = level;
}

/* Four character times at the programmed rate (115200 baud / divisor). */
static uint64_t timeout_usec(const struct uart *u)
{
	unsigned divisor = (unsigned)u->dlm << 8 | u->dll;
	unsigned bits =
	    1 + 5 + (u->lcr & 3) + ((u->lcr & 0x08) ? 1 : 0) + ((u->lcr & 0x04) ? 2 : 1);

	if (divisor == 0)
		divisor = 1; /* no baud clock; time out as fast as the chip can */
	return (uint64_t)4 * bits * divisor * 1000000 / 115200 + 1;
}

static void arm_timeout(struct uart *u)
{
	if (!u->timeout_timer)
		return;
	if (fifo_on(u) && u->rx_count)
		u->host->timer_arm(u->timeout_timer, timeout_usec(u));
	else
		u->host->timer_cancel(u->timeout_timer);
}

static void uart_timeout_cb(void *arg)
{
	struct uart *u = arg;

	if (fifo_on(u) && u->rx_count) {
		u->timeout_pending = true;
		update_irq(u);
	}
}

/* One character arrives at the receiver (from the line or from loopback). */
static void receive(struct uart *u, uint8_t c, uint8_t err)
{
	unsigned at = (u->rx_head + u->rx_count) % FIFO_DEPTH;

	if (u->rx_count >= rx_depth(u)) {
		u->lsr |= LSR_OE;
		u->overruns++;
		/* FIFO mode keeps the FIFO and loses the new character; the 16450
		 * mode overwrites the unread one. */
		if (!fifo_on(u)) {
			u->rx[u->rx_head] = c;
			u->rx_err[u->rx_head] = err;
		}
	} else {
		u->rx[at] = c;
		u->rx_err[at] = err;
		u->rx_count++;
	}
	u->timeout_pending = false;
	arm_timeout(u);
}

static void rx_reset(struct uart *u)
{
	memset(u->rx_err, 0, sizeof(u->rx_err));
	u->rx_head = u->rx_count = 0;
	u->timeout_pending = false;
	arm_timeout(u);
	ioreqd_chardev_rx_kick(u->cd);
}

static size_t uart_rx_space(void *arg)
{
	struct uart *u = arg;

	/* In loopback the receiver hears only the transmitter. */
	if (u->mcr & MCR_LOOP)
		return 0;
	return rx_depth(u) - (u->rx_count < rx_depth(u) ? u->rx_count : rx_depth(u));
}

static void uart_rx_push(void *arg, const uint8_t *buf, size_t len)
{
	struct uart *u = arg;

	for (size_t i = 0; i < len; i++)
		receive(u, buf[i], 0);
	update_irq(u);
}

static const struct ioreqd_chardev_ops uart_chardev_ops = {
    .rx_space = uart_rx_space,
    .rx_push = uart_rx_push,
};

/* The modem inputs as the chip sees them: looped-back outputs or the line. */
static uint8_t modem_inputs(const struct uart *u)
{
	uint8_t m = u->mcr, in = 0;

	if (!(m & MCR_LOOP))
		return MSR_LINE_IDLE;
	if (m & MCR_RTS)
		in |= MSR_CTS;
	if (m & MCR_DTR)
		in |= MSR_DSR;
	if (m & MCR_OUT1)
		in |= MSR_RI;
	if (m & MCR_OUT2)
		in |= MSR_DCD;
	return in;
}

static void set_modem_inputs(struct uart *u, uint8_t in)
{
	uint8_t old = u->msr & 0xf0, delta = 0;

	if ((old ^ in) & MSR_CTS)
		delta |= MSR_DCTS;
	if ((old ^ in) & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(in & MSR_RI))
		delta |= MSR_TERI; /* trailing edge only */
	if ((old ^ in) & MSR_DCD)
		delta |= MSR_DDCD;
	u->msr = (uint8_t)(in | (u->msr & 0x0f) | delta);
}

static uint8_t read_rbr(struct uart *u)
{
	uint8_t c = 0;

	if (u->rx_count) {
		c = u->rx[u->rx_head];
		u->rx_err[u->rx_head] = 0;
		u->rx_head = (u->rx_head + 1) % FIFO_DEPTH;
		u->rx_count--;
	}
	u->timeout_pending = false;
	arm_timeout(u);
	ioreqd_chardev_rx_kick(u->cd);
	return c;
}

static uint8_t reg_read(struct uart *u, unsigned reg)
{
	uint8_t v, iir;

	switch (reg) {
	case REG_RBR_THR:
		return (u->lcr & LCR_DLAB) ? u->dll : read_rbr(u);
	case REG_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case REG_IIR_FCR:
		iir = pending_iir(u);
		/* Reading IIR is how THRE is acknowledged, when it is the one shown. */
		if (iir == IIR_THRI)
			u->thri_pending = false;
		return (uint8_t)(iir | (fifo_on(u) ? IIR_FIFO : 0));
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = (uint8_t)(u->lsr | LSR_THRE | LSR_TEMT);
		if (u->rx_count) {
			/* BI shows for the character at the top of the FIFO; bit 7
			 * while any character in the FIFO has one. */
			v |= LSR_DR | u->rx_err[u->rx_head];
			for (unsigned i = 0; i < u->rx_count; i++)
				if (u->rx_err[(u->rx_head + i) % FIFO_DEPTH] &&
				    fifo_on(u))
					v |= LSR_FIFO_ERR;
			u->rx_err[u->rx_head] = 0;
		}
		u->lsr &= (uint8_t)~LSR_OE; /* error bits clear on read */
		return v;
	case REG_MSR:
		v = u->msr;
		u->msr &= 0xf0;
		return v;
	case REG_SCR:
	default:
		return u->scr;
	}
}

static void write_thr(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP)
		receive(u, c, 0);
	else
		ioreqd_chardev_write(u->cd, &c, 1);
	/* The byte left THR at once, so THR is empty again: THRE re-arms. */
	u->thri_pending = true;
}

static void write_fcr(struct uart *u, uint8_t v)
{
	if ((v ^ u->fcr) & FCR_ENABLE) {
		/* Switching the FIFOs on or off empties them. */
		v |= FCR_CLEAR_RX | FCR_CLEAR_TX;
	}
	if (v & FCR_CLEAR_RX)
		rx_reset(u);
	/* The reset bits are self-clearing; bits 5:4 are reserved on a 16550A. */
	u->fcr = v & (FCR_ENABLE | 0x08 | 0xc0);
	if (!fifo_on(u))
		u->fcr = 0;
	arm_timeout(u);
}

static void reg_write(struct uart *u, unsigned reg, uint8_t v)
{
	uint8_t old;

	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			write_thr(u, v);
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		old = u->ier;
		u->ier = v & 0x0f;
		/* Enabling ETBEI with THR empty raises THRE at once. */
		if (!(old & IER_ETBEI) && (u->ier & IER_ETBEI))
			u->thri_pending = true;
		break;
	case REG_IIR_FCR:
		write_fcr(u, v);
		break;
	case REG_LCR:
		/* A break sent in loopback is a break received: a zero character
		 * flagged BI.  On the line there is nobody to tell. */
		if ((v & LCR_BREAK) && !(u->lcr & LCR_BREAK) && (u->mcr & MCR_LOOP))
			receive(u, 0, LSR_BI);
		u->lcr = v;
		break;
	case REG_MCR:
		old = u->mcr;
		u->mcr = v & 0x1f;
		set_modem_inputs(u, modem_inputs(u));
		if ((old & MCR_LOOP) && !(u->mcr & MCR_LOOP))
			ioreqd_chardev_rx_kick(u->cd);
		break;
	case REG_LSR:
		break; /* read-only (factory test only) */
	case REG_MSR:
		break; /* read-only */
	case REG_SCR:
	default:
		u->scr = v;
		break;
	}
}

static enum ioreqd_fault_result uart_access(ioreqd_fault_t *f, void *priv)
{
	struct uart *u = priv;
	uint64_t off = ioreqd_fault_offset(f), data = 0;
	unsigned size = ioreqd_fault_size(f);
	bool rd = ioreqd_fault_is_read(f);

	/* A wide access is split into byte cycles, low address first, as the
	 * ISA bus does for an 8-bit device. */
	for (unsigned i = 0; i < size; i++) {
		uint64_t reg = off + i;

		if (reg >= 8) {
			u->host->log_rl(u->dev, IOREQD_LOG_WARN,
			                "v%u %s 0x%" PRIx64
			                "/%u is beyond the 8 registers",
			                ioreqd_fault_vcpu(f), rd ? "read" : "write",
			                ioreqd_fault_addr(f), size);
			if (rd)
				data |= 0xffull << (8 * i);
			continue;
		}
		if (rd)
			data |= (uint64_t)reg_read(u, (unsigned)reg) << (8 * i);
		else
			reg_write(u, (unsigned)reg,
			          (uint8_t)(ioreqd_fault_data(f) >> (8 * i)));
	}
	if (rd)
		ioreqd_fault_set_data(f, data);
	update_irq(u);
	return IOREQD_FAULT_HANDLED;
}

/*
 * Device state: the registers (one byte each, in the order below), the
 * receive FIFO with its error flags, and the two pending-interrupt flags.
 * The transmitter has no state: a byte written to THR left at once.
 */
#define UART_STATE_VERSION 1
enum { TAG_REGS = 1, TAG_RX, TAG_RX_ERR, TAG_RX_POS, TAG_FLAGS };
enum { S_IER, S_FCR, S_LCR, S_MCR, S_LSR, S_MSR, S_SCR, S_DLL, S_DLM, S_NR };

static int uart_save(void *priv, ioreqd_state_t *st)
{
	struct uart *u = priv;
	uint8_t r[S_NR] = {u->ier, u->fcr, u->lcr, u->mcr, u->lsr,
	                   u->msr, u->scr, u->dll, u->dlm};
	int rc;

	if ((rc = ioreqd_state_put(st, TAG_REGS, r, sizeof(r))) < 0 ||
	    (rc = ioreqd_state_put(st, TAG_RX, u->rx, sizeof(u->rx))) < 0 ||
	    (rc = ioreqd_state_put(st, TAG_RX_ERR, u->rx_err, sizeof(u->rx_err))) < 0 ||
	    (rc = ioreqd_state_put_u32(st, TAG_RX_POS, u->rx_head | u->rx_count << 8)) <
	        0)
		return rc;
	return ioreqd_state_put_u32(
	    st, TAG_FLAGS, (u->thri_pending ? 1u : 0) | (u->timeout_pending ? 2u : 0));
}

static int uart_load(void *priv, ioreqd_state_t *st, unsigned version)
{
	struct uart *u = priv;
	uint8_t r[S_NR], rx[FIFO_DEPTH], rx_err[FIFO_DEPTH];
	uint32_t pos, flags;
	unsigned head, count;
	int rc;

	if ((rc = ioreqd_state_get(st, TAG_REGS, r, sizeof(r))) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_RX, rx, sizeof(rx))) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_RX_ERR, rx_err, sizeof(rx_err))) < 0 ||
	    (rc = ioreqd_state_get_u32(st, TAG_RX_POS, &pos)) < 0 ||
	    (rc = ioreqd_state_get_u32(st, TAG_FLAGS, &flags)) < 0)
		return rc;
	head = pos & 0xff;
	count = pos >> 8;
	if (head >= FIFO_DEPTH || count > ((r[S_FCR] & FCR_ENABLE) ? FIFO_DEPTH : 1) ||
	    (r[S_IER] & ~0x0f) || (r[S_MCR] & ~0x1f) || (flags & ~3u)) {
		ioreqd_state_fail(st,
		                  "impossible UART state (FIFO %u at %u, IER 0x%02x, "
		                  "MCR 0x%02x, flags 0x%x)",
		                  count, head, r[S_IER], r[S_MCR], flags);
		return -EBADMSG;
	}
	u->ier = r[S_IER];
	u->fcr = r[S_FCR];
	u->lcr = r[S_LCR];
	u->mcr = r[S_MCR];
	u->lsr = r[S_LSR];
	u->msr = r[S_MSR];
	u->scr = r[S_SCR];
	u->dll = r[S_DLL];
	u->dlm = r[S_DLM];
	memcpy(u->rx, rx, sizeof(rx));
	memcpy(u->rx_err, rx_err, sizeof(rx_err));
	u->rx_head = head;
	u->rx_count = count;
	u->thri_pending = flags & 1;
	u->timeout_pending = flags & 2;
	/* Drive the line, the timeout and the back end as the saved chip would. */
	arm_timeout(u);
	update_irq(u);
	ioreqd_chardev_rx_kick(u->cd);
	return 0;
}

static void uart_fini(void *priv)
{
	struct uart *u = priv;

	if (!u)
		return;
	if (u->overruns)
		u->host->log(u->dev, IOREQD_LOG_INFO, "%" PRIu64 " receiver overruns",
		             u->overruns);
	ioreqd_chardev_free(u->cd);
	u->host->timer_free(u->timeout_timer);
	free(u);
}

static int uart_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct uart *u = NULL;
	int rc = 0;

	*priv = NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->host = host;
	u->dev = dev;
	u->irq = host->cfg_irq(dev);
	if (u->irq > 15) {
		rc = host->cfg_error(dev, "irq", "%d is not an ISA IRQ (0..15)", u->irq);
		goto out;
	}
	/* Master reset clears IER, FCR, LCR, MCR and the LSR errors (datasheet
	 * table 4); the divisor is undefined there, so start at 115200 baud. */
	u->dll = 1;
	u->msr = MSR_LINE_IDLE;
	u->timeout_timer = host->timer_new(dev, uart_timeout_cb, u);
	if (!u->timeout_timer) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = ioreqd_chardev_new(host, dev, &uart_chardev_ops, u, &u->cd)) < 0)
		goto out;
	*priv = u;
	u = NULL;
out:
	uart_fini(u);
	return rc;
}

IOREQD_HOOK_DEFINE(uart16550) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "uart16550",
    .summary = "8250/16550A serial port on 8 I/O ports, to a pty, socket or file",
    .keys = uart_keys,
    .init = uart_init,
    .fini = uart_fini,
    .access = uart_access,
    .state_version = UART_STATE_VERSION,
    .save = uart_save,
    .load = uart_load,
};
