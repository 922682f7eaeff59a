/* SPDX-License-Identifier: MIT */
/*
 * The rig the Xen backend's suites share (tests/xen-rig.h): a captured log,
 * the fixture that resets the fake Xen libraries, a backend brought up the
 * way the daemon does it, and a recorder for pending()'s events.
 */
#include "xen-rig.h"

#include <stdio.h>
#include <string.h>

const struct ioreqd_backend_ops *const be = &ioreqd_backend_xen;
const struct ioreqd_guest_ops *const gbe = &ioreqd_backend_xen_guest;

/* ---- captured log -------------------------------------------------------------- */

char msgs[64][512];
unsigned nmsgs;

static void sink(int level, const char *msg, void *arg)
{
	if (nmsgs < 64)
		snprintf(msgs[nmsgs], sizeof(msgs[0]), "%s", msg);
	nmsgs++;
}

/* @return the first captured message holding both @p a and @p b (b may be NULL). */
const char *logged(const char *a, const char *b)
{
	for (unsigned i = 0; i < nmsgs && i < 64; i++)
		if (strstr(msgs[i], a) && (!b || strstr(msgs[i], b)))
			return msgs[i];
	return NULL;
}

void setup_each(void)
{
	nmsgs = 0;
	ioreqd_log_set_sink(sink, NULL);
	ioreqd_log_set_verbosity(LOG_LEVEL_INFO);
	fake_xen_reset(DOMID, 2);
}

void teardown_each(void)
{
	ioreqd_log_set_sink(NULL, NULL);
	fake_xen_cleanup();
}

/* ---- a backend brought up the way the daemon does it ------------------------------ */

int rig_up(struct rig *r, bool buffered)
{
	struct ioreqd_backend_args a = {.domid = DOMID, .buffered = buffered};
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = be->open(&r->priv, &a)) < 0)
		return rc;
	if ((rc = be->map_pages(r->priv, &r->sync, &r->buf)) < 0)
		return rc;
	if ((rc = be->enable(r->priv, true)) < 0)
		return rc;
	if ((rc = be->nr_vcpus(r->priv, &r->nr)) < 0)
		return rc;
	if ((rc = be->bind(r->priv, r->nr)) < 0)
		return rc;
	if ((rc = be->map_range(r->priv, IOREQD_SPACE_PIO, 0x3f8, 0x3ff, true)) < 0)
		return rc;
	if ((rc = be->map_range(r->priv, IOREQD_SPACE_MMIO, 0xfeb00000, 0xfeb00fff,
	                        true)) < 0)
		return rc;
	return be->map_range(r->priv, IOREQD_SPACE_PCI, IOREQD_PCI_ADDR(PCI_SBDF, 0),
	                     IOREQD_PCI_ADDR(PCI_SBDF, 0xfff), true);
}

void rig_down(struct rig *r)
{
	be->close(r->priv);
	r->priv = NULL;
}

void record(void *arg, enum ioreqd_backend_event ev, unsigned vcpu)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->ev[s->n] = ev;
		s->vcpu[s->n] = vcpu;
	}
	s->n++;
}

void assert_calls(const char *const *want, unsigned n)
{
	ck_assert_uint_eq(fake_xen.ncalls, n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(strcmp(fake_xen.calls[i].name, want[i]) == 0,
		              "call %u is %s, expected %s", i, fake_xen.calls[i].name,
		              want[i]);
}
