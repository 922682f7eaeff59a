/* SPDX-License-Identifier: MIT */
/*
 * pl011: the Arm PrimeCell UART (PL011, revision r1p4) in a 4 KiB MMIO
 * window, as its Technical Reference Manual (ARM DDI 0183) describes it, with
 * the PrimeCell identification registers at 0xFE0-0xFFC that Linux's AMBA
 * bus matches before it binds amba-pl011, and the FR bits that
 * earlycon=pl011,ADDR polls (TXFF, BUSY).
 *
 * Transmission is instantaneous: a byte written to DR goes straight to the
 * back end (hooks/chardev.h), so TXFE reads 1, TXFF and BUSY read 0, and the
 * transmit interrupt is raised after every write (the FIFO has passed down
 * through its trigger level), to be cleared with ICR.  Reception goes
 * through a 16-entry FIFO (one entry when LCR_H.FEN is clear) with the
 * error bits of each character beside it; the back end is read only while
 * the FIFO has room.  The receive timeout (32 bit periods without new data)
 * is a host timer following IBRD/FBRD at a 24 MHz UARTCLK.
 *
 * Unlike the hardware, data moves whether or not CR.UARTEN, TXE and RXE are
 * set: on Xen no firmware enables the UART before the kernel's earlycon
 * writes to it, and a UART that held those bytes would hang that earlycon,
 * which waits for TXFF to clear.  The enables still read back as written.
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
#define WINDOW 0x1000

enum {
	REG_DR = 0x000,
	REG_RSR = 0x004,
	REG_FR = 0x018,
	REG_ILPR = 0x020,
	REG_IBRD = 0x024,
	REG_FBRD = 0x028,
	REG_LCR_H = 0x02c,
	REG_CR = 0x030,
	REG_IFLS = 0x034,
	REG_IMSC = 0x038,
	REG_RIS = 0x03c,
	REG_MIS = 0x040,
	REG_ICR = 0x044,
	REG_DMACR = 0x048,
	REG_ID = 0xfe0,
};

#define DR_OE 0x800
#define RSR_OE 0x8

#define FR_CTS 0x001
#define FR_DSR 0x002
#define FR_DCD 0x004
#define FR_BUSY 0x008
#define FR_RXFE 0x010
#define FR_TXFF 0x020
#define FR_RXFF 0x040
#define FR_TXFE 0x080
#define FR_RI 0x100

#define LCRH_FEN 0x10

#define CR_LBE 0x0080
#define CR_DTR 0x0400
#define CR_RTS 0x0800
#define CR_OUT1 0x1000
#define CR_OUT2 0x2000

#define INT_RI 0x001
#define INT_CTS 0x002
#define INT_DCD 0x004
#define INT_DSR 0x008
#define INT_RX 0x010
#define INT_TX 0x020
#define INT_RT 0x040
#define INT_OE 0x400
#define INT_ALL 0x7ff

/* PeriphID0-3 (part 0x011, designer 0x41 Arm, revision 1), then PCellID0-3. */
static const uint8_t id_regs[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

/* IFLS RXIFLSEL/TXIFLSEL: 1/8, 1/4, 1/2, 3/4, 7/8 of a 16-entry FIFO. */
static const unsigned trigger_levels[8] = {2, 4, 8, 12, 14, 14, 14, 14};

struct pl011 {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	struct ioreqd_chardev *cd;
	ioreqd_timer_t *timeout_timer;
	int irq;       /* -1: polled only */
	int irq_level; /* last level set; the line starts low */

	uint16_t rx[FIFO_DEPTH]; /* data in 7:0, error flags in 11:8 */
	unsigned rx_head, rx_count;
	bool oe_next; /* the next character stored carries DR.OE */

	uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
	uint32_t modem; /* FR_CTS | FR_DSR | FR_DCD | FR_RI as the UART sees them */
	uint64_t overruns;
};

static const struct ioreqd_hook_key pl011_keys[] = {
    IOREQD_CHARDEV_KEYS,
    {NULL, NULL},
};

static unsigned rx_depth(const struct pl011 *p)
{
	return (p->lcr_h & LCRH_FEN) ? FIFO_DEPTH : 1;
}

static unsigned rx_trigger(const struct pl011 *p)
{
	return (p->lcr_h & LCRH_FEN) ? trigger_levels[(p->ifls >> 3) & 7] : 1;
}

static void update_irq(struct pl011 *p)
{
	int level;

	if (p->irq < 0)
		return;
	level = (p->ris & p->imsc) != 0;
	if (level == p->irq_level)
		return;
	if (p->host->irq_set_level(p->dev, (unsigned)p->irq, (unsigned)level) < 0) {
		/* Not recorded: the next change of state tries again. */
		p->host->log_rl(p->dev, IOREQD_LOG_WARN, "cannot set irq %d to %d",
		                p->irq, level);
		return;
	}
	p->irq_level = level;
}

/* 32 bit periods at UARTCLK 24 MHz: baud = 24e6 / (16 * (IBRD + FBRD/64)). */
static uint64_t timeout_usec(const struct pl011 *p)
{
	uint64_t div64 = (uint64_t)p->ibrd * 64 + p->fbrd;

	if (p->ibrd == 0)
		div64 = 13 * 64 + 1; /* unprogrammed: time out as at 115200 */
	return div64 / 3 + 1;
}

static void arm_timeout(struct pl011 *p)
{
	if (p->rx_count)
		p->host->timer_arm(p->timeout_timer, timeout_usec(p));
	else
		p->host->timer_cancel(p->timeout_timer);
}

static void pl011_timeout_cb(void *arg)
{
	struct pl011 *p = arg;

	if (p->rx_count) {
		p->ris |= INT_RT;
		update_irq(p);
	}
}

static void receive(struct pl011 *p, uint8_t c)
{
	if (p->rx_count >= rx_depth(p)) {
		/* The FIFO keeps its contents; the new character is lost. */
		p->rsr |= RSR_OE;
		p->ris |= INT_OE;
		p->oe_next = true;
		p->overruns++;
		return;
	}
	p->rx[(p->rx_head + p->rx_count) % FIFO_DEPTH] =
	    (uint16_t)(c | (p->oe_next ? DR_OE : 0));
	p->oe_next = false;
	p->rx_count++;
	if (p->rx_count >= rx_trigger(p))
		p->ris |= INT_RX;
	arm_timeout(p);
}

static size_t pl011_rx_space(void *arg)
{
	struct pl011 *p = arg;

	if (p->cr & CR_LBE)
		return 0; /* in loopback the receiver hears only the transmitter */
	return p->rx_count < rx_depth(p) ? rx_depth(p) - p->rx_count : 0;
}

static void pl011_rx_push(void *arg, const uint8_t *buf, size_t len)
{
	struct pl011 *p = arg;

	for (size_t i = 0; i < len; i++)
		receive(p, buf[i]);
	update_irq(p);
}

static const struct ioreqd_chardev_ops pl011_chardev_ops = {
    .rx_space = pl011_rx_space,
    .rx_push = pl011_rx_push,
};

/* Modem inputs: the looped-back outputs (TRM 2.4.4) or an idle, ready line. */
static void update_modem(struct pl011 *p)
{
	uint32_t in = 0, changed;

	if (!(p->cr & CR_LBE))
		in = FR_CTS | FR_DSR | FR_DCD;
	else {
		if (p->cr & CR_RTS)
			in |= FR_CTS;
		if (p->cr & CR_DTR)
			in |= FR_DSR;
		if (p->cr & CR_OUT1)
			in |= FR_DCD;
		if (p->cr & CR_OUT2)
			in |= FR_RI;
	}
	changed = p->modem ^ in;
	if (changed & FR_CTS)
		p->ris |= INT_CTS;
	if (changed & FR_DSR)
		p->ris |= INT_DSR;
	if (changed & FR_DCD)
		p->ris |= INT_DCD;
	if (changed & FR_RI)
		p->ris |= INT_RI;
	p->modem = in;
}

static uint32_t read_dr(struct pl011 *p)
{
	uint32_t v = 0;

	if (!p->rx_count)
		return 0;
	v = p->rx[p->rx_head];
	p->rx_head = (p->rx_head + 1) % FIFO_DEPTH;
	p->rx_count--;
	if (p->rx_count < rx_trigger(p))
		p->ris &= ~(uint32_t)INT_RX;
	if (!p->rx_count)
		p->ris &= ~(uint32_t)INT_RT;
	ioreqd_chardev_rx_kick(p->cd);
	return v;
}

static uint32_t reg_read(struct pl011 *p, uint64_t reg)
{
	uint32_t fr;

	if (reg >= REG_ID && reg < WINDOW)
		return id_regs[(reg - REG_ID) / 4];
	switch (reg) {
	case REG_DR:
		return read_dr(p);
	case REG_RSR:
		return p->rsr;
	case REG_FR:
		fr = p->modem | FR_TXFE;
		if (!p->rx_count)
			fr |= FR_RXFE;
		if (p->rx_count >= rx_depth(p))
			fr |= FR_RXFF;
		return fr;
	case REG_ILPR:
		return p->ilpr;
	case REG_IBRD:
		return p->ibrd;
	case REG_FBRD:
		return p->fbrd;
	case REG_LCR_H:
		return p->lcr_h;
	case REG_CR:
		return p->cr;
	case REG_IFLS:
		return p->ifls;
	case REG_IMSC:
		return p->imsc;
	case REG_RIS:
		return p->ris;
	case REG_MIS:
		return p->ris & p->imsc;
	case REG_DMACR:
		return p->dmacr;
	default:
		return 0; /* ICR is write-only; reserved space reads as zero */
	}
}

static void write_dr(struct pl011 *p, uint8_t c)
{
	if (p->cr & CR_LBE)
		receive(p, c);
	else
		ioreqd_chardev_write(p->cd, &c, 1);
	/* The FIFO emptied again, passing down through its trigger level. */
	p->ris |= INT_TX;
}

static void reg_write(struct pl011 *p, uint64_t reg, uint32_t v, ioreqd_fault_t *f)
{
	uint32_t old;

	switch (reg) {
	case REG_DR:
		write_dr(p, (uint8_t)v);
		break;
	case REG_RSR:
		p->rsr = 0; /* ECR: any write clears the errors */
		break;
	case REG_ILPR:
		p->ilpr = v & 0xff;
		break;
	case REG_IBRD:
		p->ibrd = v & 0xffff;
		break;
	case REG_FBRD:
		p->fbrd = v & 0x3f;
		break;
	case REG_LCR_H:
		p->lcr_h = v & 0xff;
		ioreqd_chardev_rx_kick(p->cd);
		break;
	case REG_CR:
		old = p->cr;
		p->cr = v & 0xff87;
		update_modem(p);
		if ((old & CR_LBE) && !(p->cr & CR_LBE))
			ioreqd_chardev_rx_kick(p->cd);
		break;
	case REG_IFLS:
		p->ifls = v & 0x3f;
		break;
	case REG_IMSC:
		p->imsc = v & INT_ALL;
		break;
	case REG_ICR:
		p->ris &= ~(v & INT_ALL);
		break;
	case REG_DMACR:
		p->dmacr = v & 0x7;
		break;
	default:
		p->host->log_rl(p->dev, IOREQD_LOG_WARN,
		                "v%u write 0x%" PRIx32
		                " to read-only or reserved 0x%" PRIx64 " (0x%" PRIx64
		                ") ignored",
		                ioreqd_fault_vcpu(f), v, reg, ioreqd_fault_addr(f));
		break;
	}
}

static enum ioreqd_fault_result pl011_access(ioreqd_fault_t *f, void *priv)
{
	struct pl011 *p = priv;
	uint64_t off = ioreqd_fault_offset(f), reg = off & ~3ull;
	unsigned size = ioreqd_fault_size(f), shift = (unsigned)(off & 3) * 8;
	bool rd = ioreqd_fault_is_read(f);

	if (off >= WINDOW || size > 4 || (off & 3) + size > 4 || (!rd && (off & 3))) {
		/* APB registers are 32-bit words; a write into the middle of one, or an
		 * access across two, has no defined meaning. */
		p->host->log_rl(p->dev, IOREQD_LOG_WARN,
		                "v%u %s 0x%" PRIx64 "/%u is not a register access (%s)",
		                ioreqd_fault_vcpu(f), rd ? "read" : "write",
		                ioreqd_fault_addr(f), size,
		                rd ? "reads all-ones" : "dropped");
		if (rd)
			ioreqd_fault_set_data(f, ~0ull);
		return IOREQD_FAULT_HANDLED;
	}
	if (rd)
		ioreqd_fault_set_data(f, reg_read(p, reg) >> shift);
	else
		reg_write(p, reg, (uint32_t)ioreqd_fault_data(f), f);
	update_irq(p);
	return IOREQD_FAULT_HANDLED;
}

/*
 * Device state: the registers (32-bit each, in the order below), the
 * receive FIFO (data and error bits of each entry), its position, and
 * whether the next character carries an overrun.
 */
#define PL011_STATE_VERSION 1
enum { TAG_REGS = 1, TAG_RX, TAG_RX_POS };
enum {
	S_RSR,
	S_ILPR,
	S_IBRD,
	S_FBRD,
	S_LCR_H,
	S_CR,
	S_IFLS,
	S_IMSC,
	S_RIS,
	S_DMACR,
	S_MODEM,
	S_NR
};

static int pl011_save(void *priv, ioreqd_state_t *st)
{
	struct pl011 *p = priv;
	uint32_t r[S_NR] = {p->rsr,  p->ilpr, p->ibrd, p->fbrd,  p->lcr_h, p->cr,
	                    p->ifls, p->imsc, p->ris,  p->dmacr, p->modem};
	uint8_t b[4 * S_NR + 2 * FIFO_DEPTH];
	int rc;

	for (unsigned i = 0; i < S_NR; i++)
		for (unsigned j = 0; j < 4; j++)
			b[4 * i + j] = (uint8_t)(r[i] >> (8 * j));
	for (unsigned i = 0; i < FIFO_DEPTH; i++) {
		b[4 * S_NR + 2 * i] = (uint8_t)p->rx[i];
		b[4 * S_NR + 2 * i + 1] = (uint8_t)(p->rx[i] >> 8);
	}
	if ((rc = ioreqd_state_put(st, TAG_REGS, b, 4 * S_NR)) < 0 ||
	    (rc = ioreqd_state_put(st, TAG_RX, b + 4 * S_NR, 2 * FIFO_DEPTH)) < 0)
		return rc;
	return ioreqd_state_put_u32(
	    st, TAG_RX_POS, p->rx_head | p->rx_count << 8 | (p->oe_next ? 1u << 16 : 0));
}

static int pl011_load(void *priv, ioreqd_state_t *st, unsigned version)
{
	struct pl011 *p = priv;
	uint8_t b[4 * S_NR], rx[2 * FIFO_DEPTH];
	uint32_t r[S_NR] = {0}, pos;
	unsigned head, count;
	int rc;

	if ((rc = ioreqd_state_get(st, TAG_REGS, b, sizeof(b))) < 0 ||
	    (rc = ioreqd_state_get(st, TAG_RX, rx, sizeof(rx))) < 0 ||
	    (rc = ioreqd_state_get_u32(st, TAG_RX_POS, &pos)) < 0)
		return rc;
	for (unsigned i = 0; i < S_NR; i++)
		for (unsigned j = 4; j-- > 0;)
			r[i] = r[i] << 8 | b[4 * i + j];
	head = pos & 0xff;
	count = (pos >> 8) & 0xff;
	if (head >= FIFO_DEPTH || count > ((r[S_LCR_H] & LCRH_FEN) ? FIFO_DEPTH : 1) ||
	    (pos >> 17) || (r[S_RIS] & ~INT_ALL) || (r[S_IMSC] & ~INT_ALL)) {
		ioreqd_state_fail(st,
		                  "impossible PL011 state (FIFO %u at %u, RIS 0x%x, "
		                  "IMSC 0x%x)",
		                  count, head, r[S_RIS], r[S_IMSC]);
		return -EBADMSG;
	}
	p->rsr = r[S_RSR];
	p->ilpr = r[S_ILPR];
	p->ibrd = r[S_IBRD];
	p->fbrd = r[S_FBRD];
	p->lcr_h = r[S_LCR_H];
	p->cr = r[S_CR];
	p->ifls = r[S_IFLS];
	p->imsc = r[S_IMSC];
	p->ris = r[S_RIS];
	p->dmacr = r[S_DMACR];
	p->modem = r[S_MODEM];
	for (unsigned i = 0; i < FIFO_DEPTH; i++)
		p->rx[i] = (uint16_t)(rx[2 * i] | rx[2 * i + 1] << 8);
	p->rx_head = head;
	p->rx_count = count;
	p->oe_next = (pos >> 16) & 1;
	/* Drive the line, the timeout and the back end as the saved UART would. */
	arm_timeout(p);
	update_irq(p);
	ioreqd_chardev_rx_kick(p->cd);
	return 0;
}

static void pl011_fini(void *priv)
{
	struct pl011 *p = priv;

	if (!p)
		return;
	if (p->overruns)
		p->host->log(p->dev, IOREQD_LOG_INFO, "%" PRIu64 " receiver overruns",
		             p->overruns);
	ioreqd_chardev_free(p->cd);
	p->host->timer_free(p->timeout_timer);
	free(p);
}

static int pl011_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct pl011 *p = NULL;
	int rc = 0;

	*priv = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->host = host;
	p->dev = dev;
	p->irq = host->cfg_irq(dev);
	if (p->irq >= 0 && (p->irq < 32 || p->irq > 1019)) {
		rc =
		    host->cfg_error(dev, "irq", "%d is not a GIC SPI (32..1019)", p->irq);
		goto out;
	}
	/* Reset values (TRM table 3-1): TXE and RXE set, FIFO triggers at 1/2. */
	p->cr = 0x300;
	p->ifls = 0x12;
	p->modem = FR_CTS | FR_DSR | FR_DCD;
	p->timeout_timer = host->timer_new(dev, pl011_timeout_cb, p);
	if (!p->timeout_timer) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = ioreqd_chardev_new(host, dev, &pl011_chardev_ops, p, &p->cd)) < 0)
		goto out;
	*priv = p;
	p = NULL;
out:
	pl011_fini(p);
	return rc;
}

IOREQD_HOOK_DEFINE(pl011) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "pl011",
    .summary =
        "Arm PrimeCell PL011 UART in a 4 KiB MMIO window, to a pty, socket or file",
    .keys = pl011_keys,
    .init = pl011_init,
    .fini = pl011_fini,
    .access = pl011_access,
    .state_version = PL011_STATE_VERSION,
    .save = pl011_save,
    .load = pl011_load,
};
