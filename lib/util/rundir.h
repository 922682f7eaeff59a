/* SPDX-License-Identifier: MIT */
/*
 * The private runtime directory where ioreqd and ioreqd-simguest put the
 * sockets nobody named on the command line: /run/ioreqd for root,
 * $XDG_RUNTIME_DIR/ioreqd for anyone else.  A predictable path in a
 * world-writable directory such as /tmp could be bound first by another
 * local user, who would then play the hypervisor to our daemon or the
 * daemon to our guest; a directory only its owner can write cannot.
 */
#ifndef IOREQD_RUNDIR_H
#define IOREQD_RUNDIR_H

#include <stddef.h>
#include <sys/types.h>

/**
 * Choose the runtime directory for effective user @p euid, given the value
 * of XDG_RUNTIME_DIR (@p xdg, may be NULL).  Pure: nothing is created.
 * @return 0; -ENOENT (with @p err saying what to do) when a non-root user
 * has no absolute XDG_RUNTIME_DIR; -ENAMETOOLONG.
 */
int ioreqd_rundir_choose(char *buf, size_t len, uid_t euid, const char *xdg, char *err,
                         size_t errlen);

/**
 * Make sure @p path is a private directory of the effective user: create it
 * mode 0700 if it is missing; if it exists it must be a directory (not a
 * symbolic link), owned by the effective user and writable by nobody else.
 * @return 0, or -errno with @p err naming the path and the problem.
 */
int ioreqd_rundir_make(const char *path, char *err, size_t errlen);

/**
 * The default simulated-hypervisor socket for domain @p domid:
 * RUNDIR/sim-DOMID.sock, with RUNDIR chosen for the calling process and made
 * as ioreqd_rundir_make() says.  @return 0, or -errno with @p err set.
 */
int ioreqd_rundir_sim_socket(char *buf, size_t len, unsigned long domid, char *err,
                             size_t errlen);

#endif /* IOREQD_RUNDIR_H */
