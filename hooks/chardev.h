/* SPDX-License-Identifier: MIT */
/*
 * chardev: the character back end shared by the UART hooks.  A device's
 * `backend` key picks where its serial line goes: a pseudo-terminal
 * (`pty`, its path logged and published as "tty"), a UNIX stream socket
 * listening at `path` (`socket`, one client at a time), a log file appended
 * to (`file`, output only) or nowhere (`none`).  Input from a pty or socket
 * is read only when the device says it has room (its rx_space callback), so
 * a full receive FIFO pushes back on the other end instead of losing bytes;
 * the device calls ioreqd_chardev_rx_kick() once it has room again.
 *
 * Linked into each UART plugin as a convenience library; it uses only the
 * host API, never a daemon symbol.
 */
#ifndef IOREQD_CHARDEV_H
#define IOREQD_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

#include <ioreqd/hook.h>

struct ioreqd_chardev;

/** The keys a device using a chardev must declare (in its own key table). */
/* clang-format off */
#define IOREQD_CHARDEV_KEYS \
	{"backend", "where the serial line goes: pty, socket, file or none (default none)"}, \
	{"path", "socket: where to listen; file: the log appended to (required for both)"}
/* clang-format on */

/** How the chardev hands input to its device. */
struct ioreqd_chardev_ops {
	/** @return how many bytes the device can take now (0: stop reading). */
	size_t (*rx_space)(void *arg);
	/** Take @p len bytes (never more than rx_space returned). */
	void (*rx_push)(void *arg, const uint8_t *buf, size_t len);
};

/**
 * Configure a chardev from the device's `backend` and `path` keys and open it.
 * @param ops  input callbacks, called from the event loop with @p arg.
 * @param out  receives the chardev; NULL on error.
 * @return 0, -EINVAL (after host->cfg_error naming the key) for a bad
 * configuration or a back end that cannot be opened, or -ENOMEM.
 */
int ioreqd_chardev_new(const struct ioreqd_host *host, ioreqd_dev_t *dev,
                       const struct ioreqd_chardev_ops *ops, void *arg,
                       struct ioreqd_chardev **out);

/** Close the back end and free the chardev (NULL is fine). */
void ioreqd_chardev_free(struct ioreqd_chardev *cd);

/**
 * Send bytes out of the serial line.  Never blocks: bytes the other end
 * cannot take now (a full pty, a slow socket client, no client) are dropped
 * and counted, as a real line drops what nobody listens to.
 */
void ioreqd_chardev_write(struct ioreqd_chardev *cd, const uint8_t *buf, size_t len);

/** @return the output bytes dropped so far (see ioreqd_chardev_write). */
uint64_t ioreqd_chardev_dropped(const struct ioreqd_chardev *cd);

/** The device has room again: resume reading input if it was paused. */
void ioreqd_chardev_rx_kick(struct ioreqd_chardev *cd);

/** @return the back end's input fd (pty master or socket client), or -1. */
int ioreqd_chardev_rx_fd(const struct ioreqd_chardev *cd);

/** @return the listening socket's fd (socket back end), or -1. */
int ioreqd_chardev_listen_fd(const struct ioreqd_chardev *cd);

#endif /* IOREQD_CHARDEV_H */
