/* SPDX-License-Identifier: MIT */
/*
 * Interrupts for the Xen backend: ISA IRQs (x86) or SPIs (Arm) through
 * xendevicemodel's set_*_irq_level, PCI INTx, MSI, and the start-up check
 * that an Arm guest's vGIC has the SPI a device drives.
 */
#include "backend-xen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "log.h"

/*
 * Log a failed interrupt call (devices raise these at guest-driven rates, so
 * through the rate limit): "domain N: WHAT (CALL: strerror)".
 */
IOREQD_PRINTF(3, 4)
static int irq_fail(struct xen_be *be, const char *call, const char *fmt, ...)
{
	int err = errno ? errno : EIO;
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ioreqd_log_rl(&be->rl_io, LOG_LEVEL_WARN, "domain %u: %s (%s: %s)", be->domid,
	              what, call, strerror(err));
	return -err;
}

int ioreqd_xen_irq_set_level(void *priv, unsigned irq, unsigned level)
{
	struct xen_be *be = priv;

#if XEN_X86
	/* ISA IRQs are 0..15: anything else would be truncated to uint8_t. */
	if (irq > 15)
		return -EINVAL;
	if (xendevicemodel_set_isa_irq_level(be->dmod, (domid_t)be->domid, (uint8_t)irq,
	                                     level) < 0)
		return irq_fail(be, "xendevicemodel_set_isa_irq_level",
		                "cannot set ISA IRQ %u to level %u", irq, level);
#else
	if (xendevicemodel_set_irq_level(be->dmod, (domid_t)be->domid, irq, level) < 0)
		return irq_fail(be, "xendevicemodel_set_irq_level",
		                "cannot set interrupt %u to level %u", irq, level);
#endif
	return 0;
}

/*
 * Xen 4.17 cannot tell a device model how many interrupts the guest has (the
 * domain info has no nr_spis), and on Arm a line the guest lacks fails every
 * later set_irq_level with EINVAL, which a guest never sees.  So try the line
 * once: XEN_DMOP_set_irq_level accepts exactly the SPIs the guest's vGIC has
 * (INTID 32 up to its size) that Xen does not drive itself; level 0 is what
 * an idle device's line is anyway.  Built on every architecture so the
 * backend's test reaches it.
 */
int ioreqd_xen_spi_check(xendevicemodel_handle *dmod, unsigned domid, unsigned irq)
{
	int err;

	if (xendevicemodel_set_irq_level(dmod, (domid_t)domid, irq, 0) == 0)
		return 0;
	err = errno ? errno : EIO;
	if (err != EINVAL)
		return ioreqd_xen_fail(domid, "xendevicemodel_set_irq_level",
		                       "cannot drive interrupt %u", irq);
	if (irq < 32 || irq > 1019) {
		log_warnx(
		    "domain %u: irq %u is not a GIC SPI: give its INTID, 32..1019 (the "
		    "device tree's interrupts cell is INTID - 32)",
		    domid, irq);
		return -EINVAL;
	}
	log_warnx("domain %u has no interrupt %u (Xen refuses to drive that SPI): libxl "
	          "sizes an Arm guest's vGIC for its own devices only.  On Xen 4.17, "
	          "vuart = \"sbsa_uart\" in the guest's xl config gives it INTIDs 33..63 "
	          "(32 is the vuart's); on Xen 4.19 and later, set nr_spis = %u or more",
	          domid, irq, irq - 31);
	return -EINVAL;
}

int ioreqd_xen_irq_check(void *priv, unsigned irq)
{
	struct xen_be *be = priv;

	if (!XEN_X86)
		return ioreqd_xen_spi_check(be->dmod, be->domid, irq);
	if (irq <= 15)
		return 0;
	log_warnx("domain %u: irq %u is not an ISA IRQ (0..15)", be->domid, irq);
	return -EINVAL;
}

int ioreqd_xen_pci_intx_set_level(void *priv, uint32_t sbdf, unsigned intx,
                                  unsigned level)
{
	struct xen_be *be = priv;
	struct ioreqd_pci_addr a;

	if (intx > 3)
		return -EINVAL;
	ioreqd_pci_decode(IOREQD_PCI_ADDR(sbdf, 0), &a);
	if (xendevicemodel_set_pci_intx_level(be->dmod, (domid_t)be->domid, a.seg, a.bus,
	                                      a.dev, (uint8_t)intx, level) < 0)
		return irq_fail(
		    be, "xendevicemodel_set_pci_intx_level",
		    "cannot set INT%c# of PCI device %04x:%02x:%02x to level %u",
		    'A' + intx, a.seg, a.bus, a.dev, level);
	return 0;
}

int ioreqd_xen_inject_msi(void *priv, uint64_t addr, uint32_t data)
{
	struct xen_be *be = priv;

	if (xendevicemodel_inject_msi(be->dmod, (domid_t)be->domid, addr, data) < 0)
		return irq_fail(be, "xendevicemodel_inject_msi",
		                "cannot send MSI 0x%x to address 0x%llx", data,
		                (unsigned long long)addr);
	return 0;
}
