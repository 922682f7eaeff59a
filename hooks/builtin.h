/* SPDX-License-Identifier: MIT */
/*
 * The built-in hook table: the hooks of hooks/ compiled into one convenience
 * library (with IOREQD_HOOK_BUILTIN, so each descriptor is ioreqd_hook_<name>
 * instead of the plugin's ioreqd_hook).  The daemon loads hooks as shared
 * objects; the unit tests, the fuzzers and the replay tool use this table so
 * that they run the very same handler code without dlopen().
 */
#ifndef IOREQD_BUILTIN_H
#define IOREQD_BUILTIN_H

#include <ioreqd/hook.h>

/** Every built-in hook, terminated by NULL. */
extern const struct ioreqd_hook *const ioreqd_builtin_hooks[];

/**
 * Find a built-in hook by name.
 * @param name  the hook's name ("scratch"); NULL finds nothing.
 * @return the hook, or NULL if there is no built-in hook of that name.
 */
const struct ioreqd_hook *ioreqd_builtin_hook_find(const char *name);

#endif /* IOREQD_BUILTIN_H */
