/* SPDX-License-Identifier: MIT */
/*
 * The table of built-in hooks (see builtin.h).  Adding a hook to hooks/ means
 * adding its ioreqd_hook_<name> here and its source to the convenience
 * library in hooks/local.mk; the hook source itself is not changed.
 */
#include "build-config.h"

#include "builtin.h"

#include <stddef.h>
#include <string.h>

/* Defined by IOREQD_HOOK_DEFINE(name) in each hooks/NAME.c. */
extern const struct ioreqd_hook ioreqd_hook_debugcon;
extern const struct ioreqd_hook ioreqd_hook_override;
extern const struct ioreqd_hook ioreqd_hook_pl011;
extern const struct ioreqd_hook ioreqd_hook_rom;
extern const struct ioreqd_hook ioreqd_hook_scratch;
extern const struct ioreqd_hook ioreqd_hook_testdev;
extern const struct ioreqd_hook ioreqd_hook_trace;
extern const struct ioreqd_hook ioreqd_hook_uart16550;
extern const struct ioreqd_hook ioreqd_hook_virtio_rng;
#ifdef HAVE_LIBURING
extern const struct ioreqd_hook ioreqd_hook_virtio_blk;
#endif
extern const struct ioreqd_hook ioreqd_hook_virtio_console;

const struct ioreqd_hook *const ioreqd_builtin_hooks[] = {
    &ioreqd_hook_debugcon,       &ioreqd_hook_override,
    &ioreqd_hook_pl011,          &ioreqd_hook_rom,
    &ioreqd_hook_scratch,        &ioreqd_hook_testdev,
    &ioreqd_hook_trace,          &ioreqd_hook_uart16550,
    &ioreqd_hook_virtio_rng,
#ifdef HAVE_LIBURING
    &ioreqd_hook_virtio_blk,
#endif
    &ioreqd_hook_virtio_console, NULL,
};

const struct ioreqd_hook *ioreqd_builtin_hook_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; ioreqd_builtin_hooks[i]; i++) {
		if (strcmp(ioreqd_builtin_hooks[i]->name, name) == 0)
			return ioreqd_builtin_hooks[i];
	}
	return NULL;
}
