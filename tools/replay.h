/* SPDX-License-Identifier: MIT */
/*
 * ioreqd-replay's device host: the struct ioreqd_host a config's hooks run
 * against when a trace is replayed without Xen.  Devices are built from a
 * parsed configuration with the built-in hooks; guest memory, interrupts and
 * fd watches do not exist here (interrupts succeed and are ignored, the rest
 * fail cleanly), and timers run on a virtual clock that only the replay
 * advances, so a deferred access completes as soon as its timer is due
 * instead of after real time.
 */
#ifndef IOREQD_REPLAY_H
#define IOREQD_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioreqd/hook.h>

#include "bus.h"
#include "config.h"
#include "engine.h"

struct replay;

/**
 * Build every device of @p cfg on a new bus (hooks named "trace" are skipped:
 * a replay does not record itself), run their init and install them, as the
 * daemon does.
 * @param err  receives a message on failure.
 * @return the replay state, or NULL.
 */
struct replay *replay_new(const struct ioreqd_cfg *cfg, unsigned domid, char *err,
                          size_t errlen);

/** Run every device's fini and free everything (NULL is fine). */
void replay_free(struct replay *rp);

/** @return the engine that serves injected requests. */
struct ioreqd_engine *replay_engine(struct replay *rp);

/**
 * Fire the earliest armed timer, moving the virtual clock to its due time.
 * @return true if one fired, false if none is armed.
 */
bool replay_fire_next_timer(struct replay *rp);

#endif /* IOREQD_REPLAY_H */
