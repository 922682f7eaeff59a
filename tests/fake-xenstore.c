/* SPDX-License-Identifier: MIT */
/*
 * The fake libxenstore and libxentoolcore for the Xen backend's tests (see
 * tests/fake-xen.h): every function the backend calls, with the real prototype, on the
 * simulated domain in fake_xen.
 */
#include "fake-xen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>
#include <xentoolcore.h>

struct xs_handle {
	int magic;
};

static struct xs_handle the_xsh;

/*
 * After xentoolcore_restrict_all the xenstore fd is /dev/null: a request
 * would wait for its answer forever, and the watch never fires again.  A
 * call that needs xenstored then is a bug in the caller: stop the test.
 */
static void xs_alive(const char *func)
{
	if (fake_xen.restricted_domid >= 0) {
		fprintf(stderr, "fake-xen: %s after xentoolcore_restrict_all\n", func);
		abort();
	}
}

struct xs_handle *xs_open(unsigned long flags)
{
	if (fake_xen_call(__func__, 0))
		return NULL;
	fake_xen.live_xsh++;
	return &the_xsh;
}

void xs_close(struct xs_handle *xsh)
{
	fake_xen_call(__func__, 0);
	if (xsh)
		fake_xen.live_xsh--;
	fake_xen.watching = false;
}

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
	xs_alive(__func__);
	if (fake_xen_call(__func__, 0))
		return false;
	if (strcmp(path, "@releaseDomain") != 0) {
		errno = EINVAL;
		return false;
	}
	fake_xen.watching = true;
	/* xenstored fires every new watch once. */
	fake_xen_fire_watch();
	return true;
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
	xs_alive(__func__);
	if (fake_xen_call(__func__, 0))
		return false;
	if (!fake_xen.watching || strcmp(path, "@releaseDomain") != 0) {
		errno = ENOENT;
		return false;
	}
	fake_xen.watching = false;
	return true;
}

int xs_fileno(struct xs_handle *h)
{
	xs_alive(__func__);
	if (fake_xen_call(__func__, 0))
		return -1;
	return fake_xen.watch_pipe[0];
}

char **xs_check_watch(struct xs_handle *h)
{
	static const char path[] = "@releaseDomain", token[] = "ioreqd";
	char **v;
	char c;

	xs_alive(__func__);
	if (fake_xen_call(__func__, 0))
		return NULL;
	if (!fake_xen.watching || fake_xen.watch_events == 0) {
		errno = EAGAIN;
		return NULL;
	}
	fake_xen.watch_events--;
	if (read(fake_xen.watch_pipe[0], &c, 1) != 1)
		abort();
	/* One allocation, freed with one free(), as libxenstore does. */
	v = malloc(2 * sizeof(char *) + sizeof(path) + sizeof(token));
	if (!v)
		abort();
	v[XS_WATCH_PATH] = (char *)(v + 2);
	v[XS_WATCH_TOKEN] = v[XS_WATCH_PATH] + sizeof(path);
	memcpy(v[XS_WATCH_PATH], path, sizeof(path));
	memcpy(v[XS_WATCH_TOKEN], token, sizeof(token));
	return v;
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path, const void *data,
              unsigned int len)
{
	struct fake_xen *f = &fake_xen;
	int slot = -1;

	xs_alive(__func__);
	if (fake_xen_call(__func__, len))
		return false;
	for (unsigned i = 0; i < FAKE_MAX_KEYS; i++) {
		if (f->keys[i] && strcmp(f->keys[i], path) == 0) {
			slot = (int)i;
			break;
		}
		if (!f->keys[i] && slot < 0)
			slot = (int)i;
	}
	if (slot < 0) {
		errno = ENOSPC;
		return false;
	}
	free(f->keys[slot]);
	free(f->values[slot]);
	f->keys[slot] = strdup(path);
	f->values[slot] = strndup(data, len);
	return true;
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	struct fake_xen *f = &fake_xen;
	size_t n = strlen(path);

	xs_alive(__func__);
	if (fake_xen_call(__func__, 0))
		return false;
	for (unsigned i = 0; i < FAKE_MAX_KEYS; i++) {
		if (!f->keys[i] || strncmp(f->keys[i], path, n) != 0 ||
		    (f->keys[i][n] != '\0' && f->keys[i][n] != '/'))
			continue;
		free(f->keys[i]);
		free(f->values[i]);
		f->keys[i] = f->values[i] = NULL;
	}
	return true;
}

/* ---- libxentoolcore -------------------------------------------------------------------
 */

int xentoolcore_restrict_all(domid_t domid)
{
	if (fake_xen_call(__func__, domid))
		return -1;
	fake_xen.restricted_domid = domid;
	return 0;
}
