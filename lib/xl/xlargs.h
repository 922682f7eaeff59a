/* SPDX-License-Identifier: MIT */
/*
 * The argument list libxl (Xen 4.17) gives a device model, understood.
 *
 * When a guest's xl config says device_model_override="/usr/sbin/ioreqd",
 * libxl starts ioreqd with the QEMU command line it would give QEMU: for
 * device_model_version="qemu-xen-traditional" "-d DOMID -domain-name NAME ...
 * -M xenfv|xenpv", for "qemu-xen" "-xen-domid DOMID -no-shutdown -chardev
 * socket,id=libxl-cmd,path=/var/run/xen/qmp-libxl-DOMID,server=on,wait=off
 * -mon chardev=libxl-cmd,mode=control ... -machine xenfv|xenpv -m MB".  The
 * guest's device_model_args are inserted just before -M/-machine, which is
 * how ioreqd's own options arrive: device_model_args=["-c", "FILE"].
 *
 * libxl records the pid it started and waits for it, so ioreqd launched this
 * way must stay in the foreground whatever -f says.
 *
 * This parser is pure (no I/O): it picks out what ioreqd needs (domid, name,
 * QMP sockets, start-paused, restore, privilege-drop requests, its own
 * options), lists everything else as ignored, and fails only when the domid
 * is missing, malformed or contradictory.  Unknown options never fail: a
 * later libxl may add some.
 */
#ifndef IOREQD_XLARGS_H
#define IOREQD_XLARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Which of libxl's two argument builders produced the argv. */
enum ioreqd_xl_mode {
	IOREQD_XL_MODE_NONE = 0,
	IOREQD_XL_MODE_TRADITIONAL, /* device_model_version="qemu-xen-traditional" */
	IOREQD_XL_MODE_QEMU_XEN,    /* device_model_version="qemu-xen" */
};

/** The -M / -machine type. */
enum ioreqd_xl_machine {
	IOREQD_XL_MACHINE_UNKNOWN = 0,
	IOREQD_XL_MACHINE_XENFV, /* HVM guest with the Xen platform device */
	IOREQD_XL_MACHINE_PC,    /* HVM guest, xen_platform_pci=0 ("pc,accel=xen") */
	IOREQD_XL_MACHINE_XENPV, /* PV or PVH guest: QEMU would only be a PV backend */
};

/** A QMP monitor: a "-chardev socket,server=on" used by "-mon ...,mode=control". */
struct ioreqd_xlargs_monitor {
	char *id;   /* chardev id, e.g. "libxl-cmd" */
	char *path; /* UNIX socket path to listen on, or NULL when fd >= 0 */
	int fd;     /* an already listening socket libxl passed (dm_restrict), or -1 */
};

/** Everything ioreqd takes from an xl-style argv. Strings are owned. */
struct ioreqd_xlargs {
	enum ioreqd_xl_mode mode;
	unsigned domid;
	char *name; /* -domain-name / -name, or NULL */
	enum ioreqd_xl_machine machine;
	char *machine_arg; /* the full -M/-machine value, or NULL */

	struct ioreqd_xlargs_monitor *monitors;
	unsigned nr_monitors;

	bool start_paused;    /* -S: QMP "cont" starts the machine */
	char *incoming;       /* -incoming ARG (qemu-xen restore), or NULL */
	char *loadvm;         /* -loadvm FILE (traditional restore), or NULL */
	unsigned smp_cpus;    /* -smp N[,maxcpus=M] / -vcpus N; 0 when absent */
	unsigned smp_maxcpus; /* 0 when absent */
	uint64_t ram_mb;      /* -m; 0 when absent */

	/* dm_restrict / device_model_user: what libxl asks of QEMU. */
	bool restrict_domid; /* -xen-domid-restrict */
	char *chroot_dir;    /* -chroot DIR, or NULL */
	char *runas_user;    /* -runas USER or the UID of "UID:GID", or NULL */
	char *runas_group;   /* the GID of "UID:GID", or NULL */

	/* ioreqd's own options, passed through device_model_args. */
	char *config;      /* -c FILE / --config FILE */
	char *hook_dir;    /* --hook-dir DIR */
	char *pidfile;     /* --pidfile FILE */
	char *log;         /* --log stderr|syslog */
	char *backend;     /* --backend xen|sim */
	char *sim_socket;  /* --sim-socket PATH */
	char *user;        /* --user USER */
	char *group;       /* --group GROUP */
	char *own_chroot;  /* --chroot DIR */
	bool own_restrict; /* --restrict */
	char *seccomp;     /* --seccomp[=errno|kill]: "errno", "kill", or NULL */
	bool foreground;   /* -f / --foreground (libxl needs it anyway: see below) */
	unsigned verbose;  /* -v / --verbose, counted */

	/* Options (with their argument) that ioreqd accepted and ignores. */
	char **ignored;
	unsigned nr_ignored;
};

/**
 * @return true when @p argv looks like libxl's: it has -xen-domid or
 * -domain-name, or a -d together with -M or -machine.  ioreqd's own command
 * line ("-d 5 -c x.conf") does not look like this.
 */
bool ioreqd_xlargs_detect(int argc, char *const argv[]);

/**
 * Parse an xl-style argv (argv[0] is the program and is skipped).
 * @param out     receives the result; cleared on entry, dispose it even on
 *                failure.
 * @param err     receives a one-line reason on failure.
 * @return 0, -EINVAL (no domid, a malformed or out-of-range domid, two
 * different domids, an ioreqd option without its value), or -ENOMEM.
 */
int ioreqd_xlargs_parse(int argc, char *const argv[], struct ioreqd_xlargs *out,
                        char *err, size_t errlen);

/** Free what @p xa owns and clear it.  Safe to call twice. */
void ioreqd_xlargs_dispose(struct ioreqd_xlargs *xa);

/** @return "qemu-xen-traditional", "qemu-xen" or "none". */
const char *ioreqd_xlargs_mode_name(enum ioreqd_xl_mode mode);

#endif /* IOREQD_XLARGS_H */
