/* SPDX-License-Identifier: MIT */
/*
 * The control socket.  A running daemon listens on a UNIX stream socket and
 * answers one request line, then closes the connection: "stats" or "stats
 * json" with the live statistics table or JSON; "save /PATH" and "load
 * /PATH" by saving every device's state to the file or loading it from it
 * (one line, "ok: ..." or "error: ...").  `ioreqd --stats`, `--save` and
 * `--load` are the clients.  The socket is mode 0600: only the daemon's
 * owner may connect.
 */
#ifndef IOREQD_CONTROL_H
#define IOREQD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ioreqd_daemon;
struct ioreqd_control;

/** Default socket directory for the Xen backend (created if missing). */
#define IOREQD_CONTROL_RUNDIR "/run/ioreqd"

/**
 * The socket path for a domain: @p explicit_path if set, else, by the
 * backend's capabilities @p be_caps: /run/ioreqd/DOMID.sock (xen); for a
 * backend with a socket (IOREQD_BE_CAP_SOCKET: sim) SIM_SOCKET.ctl beside
 * it (its default is in the private runtime directory, lib/util/rundir.h).
 * @return 0, -EINVAL for such a backend without @p sim_socket, or
 * -ENAMETOOLONG if it does not fit a sockaddr_un.
 */
int ioreqd_control_path(char *buf, size_t len, const char *explicit_path,
                        unsigned be_caps, const char *sim_socket, unsigned domid);

/**
 * Listen on the daemon's control socket (d->opts.control or the default) on
 * d->base, and store the listener in d->control.  A stale socket file is
 * replaced; a live one (another daemon answers) is an error.
 * @return 0 or a negative errno.
 */
int ioreqd_control_setup(struct ioreqd_daemon *d);

/** Close every connection, stop listening and remove the socket file. */
void ioreqd_control_teardown(struct ioreqd_daemon *d);

/**
 * The client: connect to @p path, send the request, copy the answer to @p out.
 * @return 0, or a negative errno (the message is printed to stderr).
 */
int ioreqd_control_query(const char *path, bool json, FILE *out);

/**
 * The --save/--load client: ask the daemon on @p path to save its devices to
 * @p file or to load them from it, and print the daemon's "ok" line to
 * @p out.  The client opens the file and passes it (SCM_RIGHTS), so the
 * daemon needs no access to the path: a save goes to a temporary file beside
 * @p file, renamed over it (and the directory fsynced) once the daemon has
 * written and fsynced it.
 * @return 0, or a negative errno (the daemon's or our message is on stderr).
 */
int ioreqd_control_state(const char *path, bool save, const char *file, FILE *out);

/**
 * Send @p req (one line, with its newline) to the daemon on @p path, waiting
 * at most @p timeout_sec for each read, and copy the answer to @p out.
 * @return 0, or a negative errno (the message is printed to stderr).
 */
int ioreqd_control_request(const char *path, const char *req, FILE *out, int timeout_sec);

/** As ioreqd_control_request, passing @p fd with the request (-1: none). */
int ioreqd_control_request_fd(const char *path, const char *req, int fd, FILE *out,
                              int timeout_sec);

#endif /* IOREQD_CONTROL_H */
