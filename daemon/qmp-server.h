/* SPDX-License-Identifier: MIT */
/*
 * The QMP server: puts lib/qmp.c's responder on the UNIX sockets libxl and
 * libxenstat connect to (/var/run/xen/qmp-libxl-DOMID and
 * qmp-libxenstat-DOMID), on the daemon's event_base.
 *
 * One server holds one struct ioreqd_qmp_vm (the state every connection
 * sees) and any number of listening sockets: paths it creates (and removes
 * at teardown) or a listening descriptor libxl handed over (dm_restrict's
 * "-chardev socket,fd=N").  Each accepted connection gets its own session.
 * Descriptors sent with SCM_RIGHTS (libxl's add-fd) reach the session.
 *
 * The daemon's callbacks (struct ioreqd_qmp_callbacks) run inside the
 * server's read callback: they may call event_base_loopexit() or schedule
 * work, but must not free the server.
 */
#ifndef IOREQD_QMP_SERVER_H
#define IOREQD_QMP_SERVER_H

#include <event2/event.h>

#include "qmp.h"
#include "xlargs.h"

#define IOREQD_QMP_MAX_CLIENTS 16u

struct ioreqd_qmp_server;

/**
 * @param base  the daemon's event_base (the server adds events to it).
 * @param args  the machine's initial QMP state and callbacks (copied, except
 *              args->cb which must outlive the server).
 * @return a server with no socket yet, or NULL (logged).
 */
struct ioreqd_qmp_server *ioreqd_qmp_server_new(struct event_base *base,
                                                const struct ioreqd_qmp_vm_args *args);

/**
 * Listen on UNIX socket @p path, replacing a stale socket there (but never
 * another kind of file), and list it in query-chardev as @p label.
 * @return 0, -ENAMETOOLONG, -EEXIST (a non-socket file is in the way), or
 * another -errno from socket/bind/listen (logged).
 */
int ioreqd_qmp_server_listen(struct ioreqd_qmp_server *srv, const char *label,
                             const char *path);

/**
 * Serve an already listening socket @p fd (libxl's pre-opened QMP socket).
 * The server owns @p fd from now on and closes it at teardown, even when
 * this fails.
 * @return 0, or -ENOTSOCK / -EINVAL when @p fd is not a listening socket.
 */
int ioreqd_qmp_server_listen_fd(struct ioreqd_qmp_server *srv, const char *label, int fd);

/**
 * Listen on every QMP monitor of an xl argv (paths and descriptors).
 * @return 0 or the first error (logged); earlier sockets stay open.
 */
int ioreqd_qmp_server_listen_xlargs(struct ioreqd_qmp_server *srv,
                                    const struct ioreqd_xlargs *xa);

/** @return the number of connected clients. */
unsigned ioreqd_qmp_server_nr_clients(const struct ioreqd_qmp_server *srv);

/**
 * Close every connection and listener, remove the socket files the server
 * created, and free it (NULL is fine).
 */
void ioreqd_qmp_server_free(struct ioreqd_qmp_server *srv);

#endif /* IOREQD_QMP_SERVER_H */
