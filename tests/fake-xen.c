/* SPDX-License-Identifier: MIT */
/*
 * The fake Xen libraries' shared part: the call log, failure injection, the
 * simulated domain's state (reset, cleanup, leak check) and the helpers the
 * tests use to poke it.  Each library's fake is its own file
 * (tests/fake-xen<library>.c); see tests/fake-xen.h for what is simulated
 * and how to steer it.
 */
#include "fake-xen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096u

struct fake_xen fake_xen;

/* ---- the log and failure injection --------------------------------------------- */

/* Log a call; @return true if it must fail (errno is then set). */
static bool call(const char *name, uint64_t arg)
{
	struct fake_xen *f = &fake_xen;
	bool fail = false;

	if (f->ncalls < FAKE_MAX_CALLS) {
		f->calls[f->ncalls].name = name;
		f->calls[f->ncalls].arg = arg;
	}
	f->ncalls++;
	if (f->fail_nth && f->ncalls == f->fail_nth)
		fail = true;
	if (f->fail_name && strcmp(f->fail_name, name) == 0 &&
	    ++f->name_seen == f->fail_occurrence)
		fail = true;
	if (fail) {
		f->failed++;
		errno = f->fail_errno;
	}
	return fail;
}

bool fake_xen_call(const char *name, uint64_t arg)
{
	return call(name, arg);
}

void fake_xen_fail_nth(unsigned nth, int err)
{
	fake_xen.fail_nth = nth;
	fake_xen.fail_errno = err;
}

void fake_xen_fail_call(const char *name, unsigned occurrence, int err)
{
	fake_xen.fail_name = name;
	fake_xen.fail_occurrence = occurrence;
	fake_xen.name_seen = 0;
	fake_xen.fail_errno = err;
}

void fake_xen_clear_log(void)
{
	fake_xen.ncalls = 0;
	fake_xen.name_seen = 0;
}

unsigned fake_xen_count(const char *name)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fake_xen.ncalls && i < FAKE_MAX_CALLS; i++)
		n += strcmp(fake_xen.calls[i].name, name) == 0;
	return n;
}

int fake_xen_find(const char *name, unsigned from)
{
	for (unsigned i = from; i < fake_xen.ncalls && i < FAKE_MAX_CALLS; i++)
		if (strcmp(fake_xen.calls[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void make_pipe(int p[2])
{
	if (pipe(p) < 0) {
		perror("pipe");
		abort();
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
}

void fake_xen_cleanup(void)
{
	struct fake_xen *f = &fake_xen;

	free(f->iopages);
	free(f->guest);
	for (unsigned i = 0; i < FAKE_MAX_GRANT_MAPS; i++) {
		free(f->gmaps[i].va);
		free(f->gmaps[i].refs);
	}
	for (unsigned i = 0; i < FAKE_MAX_KEYS; i++) {
		free(f->keys[i]);
		free(f->values[i]);
	}
	if (f->evtchn_pipe[0] > 0) {
		close(f->evtchn_pipe[0]);
		close(f->evtchn_pipe[1]);
	}
	if (f->watch_pipe[0] > 0) {
		close(f->watch_pipe[0]);
		close(f->watch_pipe[1]);
	}
	memset(f, 0, sizeof(*f));
}

void fake_xen_reset(unsigned domid, unsigned nr_vcpus)
{
	struct fake_xen *f = &fake_xen;

	fake_xen_cleanup();
	f->domid = domid;
	f->nr_vcpus = nr_vcpus;
	f->restricted_domid = -1;
	f->isa_irq = -1;
	f->iopages = aligned_alloc(PAGE, 2 * PAGE);
	f->guest = aligned_alloc(PAGE, FAKE_GUEST_PAGES * PAGE);
	f->max_gpfn = FAKE_GUEST_PAGES - 1;
	if (!f->iopages || !f->guest)
		abort();
	memset(f->iopages, 0, 2 * PAGE);
	for (unsigned i = 0; i < FAKE_GUEST_PAGES * PAGE; i++)
		f->guest[i] = (uint8_t)(i * 7 + 1);
	make_pipe(f->evtchn_pipe);
	make_pipe(f->watch_pipe);
	for (unsigned v = 0; v < FAKE_MAX_VCPUS; v++) {
		struct hvm_hw_cpu *c = &f->cpu[v];

		/* Distinct, recognisable values in every field. */
		for (size_t b = 0; b < sizeof(*c); b++)
			((uint8_t *)c)[b] = (uint8_t)(b + 16 * v);
		c->cr0 = 0x80050033;
		c->cs_arbytes = 0xa9b; /* 64-bit code: G L P S type b */
		c->ldtr_arbytes = 0;   /* unusable */
		c->rip = 0xffff800000001000ull + v;
		c->pad0 = 0;
	}
}

const char *fake_xen_leak(void)
{
	struct fake_xen *f = &fake_xen;

	if (f->live_dmod)
		return "a devicemodel handle is open";
	if (f->live_fmem)
		return "a foreignmemory handle is open";
	if (f->live_xce)
		return "an evtchn handle is open";
	if (f->live_xch)
		return "an xc interface is open";
	if (f->live_xsh)
		return "a xenstore handle is open";
	if (f->live_servers)
		return "the ioreq server was not destroyed";
	if (f->live_resources)
		return "the ioreq server pages are mapped";
	if (f->live_maps)
		return "guest pages are mapped";
	if (f->live_grant_maps)
		return "grants are mapped";
	if (f->live_xgt)
		return "a gnttab handle is open";
	if (f->nr_bound)
		return "event channels are bound";
	if (f->enabled)
		return "the ioreq server is enabled";
	if (f->paused)
		return "the domain is paused";
	return NULL;
}

void fake_xen_raise(uint32_t port)
{
	char c = 1;

	if (fake_xen.queued < FAKE_MAX_PORTS)
		fake_xen.queue[fake_xen.queued++] = port;
	if (write(fake_xen.evtchn_pipe[1], &c, 1) != 1)
		abort();
}

void fake_xen_fire_watch(void)
{
	char c = 1;

	fake_xen.watch_events++;
	if (write(fake_xen.watch_pipe[1], &c, 1) != 1)
		abort();
}

const char *fake_xen_xs_get(const char *path)
{
	for (unsigned i = 0; i < FAKE_MAX_KEYS; i++)
		if (fake_xen.keys[i] && strcmp(fake_xen.keys[i], path) == 0)
			return fake_xen.values[i];
	return NULL;
}

uint8_t *fake_xen_guest(uint64_t gpa)
{
	return fake_xen.guest + gpa;
}

static bool wrong_domain(domid_t domid)
{
	if (domid == fake_xen.domid && fake_xen.state != FAKE_DOM_GONE)
		return false;
	errno = ESRCH;
	return true;
}

bool fake_xen_wrong_domain(domid_t domid)
{
	return wrong_domain(domid);
}

void fake_xen_grant(uint32_t ref, uint32_t gfn, bool readonly)
{
	fake_xen.grants[ref].granted = true;
	fake_xen.grants[ref].gfn = gfn;
	fake_xen.grants[ref].readonly = readonly;
}
