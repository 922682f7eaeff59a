/* SPDX-License-Identifier: MIT */
/*
 * Command-line options.  ioreqd takes its own getopt_long options; when xl
 * starts it as a device model (device_model_override) it instead receives
 * libxl's QEMU-style argv, which lib/xlargs.c recognises and translates.
 * Every bad option is a clear message and exit status 64 (EX_USAGE).
 */
#include "build-config.h"
#include "ioreqd-paths.h"
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "pollpolicy.h"
#include "rundir.h"
#include "xlargs.h"

enum {
	OPT_BACKEND = 0x100,
	OPT_PIDFILE,
	OPT_LOG,
	OPT_SIM_SOCKET,
	OPT_HOOK_DIR,
	OPT_RESTRICT,
	OPT_CHROOT,
	OPT_USER,
	OPT_GROUP,
	OPT_CHECK,
	OPT_VERSION,
	OPT_STATS,
	OPT_JSON,
	OPT_CONTROL,
	OPT_REPLACE,
	OPT_SIM_WAIT,
	OPT_SECCOMP,
	OPT_LIST_HOOKS,
	OPT_SAVE,
	OPT_LOAD,
	OPT_RESUME,
	OPT_CHECKPOINT,
	OPT_WATCH,
	OPT_READY_FD,
	OPT_POLL_US,
};

static const struct option long_opts[] = {
    {"domain", required_argument, NULL, 'd'},
    {"config", required_argument, NULL, 'c'},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"sim-socket", required_argument, NULL, OPT_SIM_SOCKET},
    {"sim-wait", required_argument, NULL, OPT_SIM_WAIT},
    {"hook-dir", required_argument, NULL, OPT_HOOK_DIR},
    {"foreground", no_argument, NULL, 'f'},
    {"pidfile", required_argument, NULL, OPT_PIDFILE},
    {"log", required_argument, NULL, OPT_LOG},
    {"verbose", no_argument, NULL, 'v'},
    {"restrict", no_argument, NULL, OPT_RESTRICT},
    {"chroot", required_argument, NULL, OPT_CHROOT},
    {"user", required_argument, NULL, OPT_USER},
    {"group", required_argument, NULL, OPT_GROUP},
    {"seccomp", optional_argument, NULL, OPT_SECCOMP},
    {"check-config", no_argument, NULL, OPT_CHECK},
    {"list-hooks", no_argument, NULL, OPT_LIST_HOOKS},
    {"stats", no_argument, NULL, OPT_STATS},
    {"json", no_argument, NULL, OPT_JSON},
    {"control", required_argument, NULL, OPT_CONTROL},
    {"save", required_argument, NULL, OPT_SAVE},
    {"load", required_argument, NULL, OPT_LOAD},
    {"resume", required_argument, NULL, OPT_RESUME},
    {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
    {"watch", no_argument, NULL, OPT_WATCH},
    {"ready-fd", required_argument, NULL, OPT_READY_FD},
    {"poll-us", required_argument, NULL, OPT_POLL_US},
    {"replace", no_argument, NULL, OPT_REPLACE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void ioreqd_opts_usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: ioreqd -d DOMID -c CONFIG [options]\n"
	    "       ioreqd --list-hooks [--hook-dir=DIR]\n"
	    "       ioreqd --stats -d DOMID [--json] [--backend=xen|sim] "
	    "[--control=PATH]\n"
	    "       ioreqd --save=FILE|--load=FILE -d DOMID [--backend=xen|sim] "
	    "[--control=PATH]\n"
	    "       ioreqd --watch [-f] [--log=...] [--pidfile=FILE] [options]\n"
	    "\n"
	    "Serve a Xen guest's trapped port I/O, MMIO and PCI config accesses\n"
	    "through the device hooks named in CONFIG.\n"
	    "\n"
	    "  -d, --domain=DOMID     guest domain to serve (required)\n"
	    "  -c, --config=FILE      configuration file (required)\n"
	    "      --backend=xen|sim  hypervisor backend (default: xen)\n"
	    "      --sim-socket=PATH  simulated hypervisor socket (sim backend;\n"
	    "                         default RUNDIR/sim-DOMID.sock, where RUNDIR is\n"
	    "                         /run/ioreqd for root, else "
	    "$XDG_RUNTIME_DIR/ioreqd)\n"
	    "      --sim-wait=SECONDS wait up to SECONDS (default 10) for that socket\n"
	    "                         to appear, so the guest may start second\n"
	    "      --hook-dir=DIR     look for NAME.so hooks in DIR first, then in the\n"
	    "                         config's hook_dir, then in " IOREQD_HOOKDIR "\n"
	    "  -f, --foreground       do not daemonize\n"
	    "      --pidfile=FILE     write the daemon's pid once it serves\n"
	    "      --replace          stop the ioreqd serving DOMID and take over\n"
	    "                         (without it, a second daemon for DOMID refuses)\n"
	    "      --log=stderr|syslog  where messages go (default: stderr with -f,\n"
	    "                         else syslog once detached)\n"
	    "  -v, --verbose          debug messages; -vv also names the function "
	    "behind\n"
	    "                         each error\n"
	    "      --restrict         confine Xen handles to DOMID "
	    "(xentoolcore_restrict_all)\n"
	    "      --chroot=DIR       chroot after setup\n"
	    "      --user=USER        drop to USER after setup\n"
	    "      --group=GROUP      drop to GROUP after setup\n"
	    "      --seccomp[=errno|kill]  after setup, allow only the system calls\n"
	    "                         serving needs; others fail with EPERM (errno,\n"
	    "                         the default) or kill the daemon (kill)\n"
	    "      --check-config     parse CONFIG, load its hooks, and exit\n"
	    "      --list-hooks       list the hooks on the search path (with\n"
	    "                         --hook-dir), their summaries and keys, and exit\n"
	    "      --control=PATH     statistics socket (default "
	    "/run/ioreqd/DOMID.sock;\n"
	    "                         sim: SIM-SOCKET.ctl)\n"
	    "      --stats            print a running daemon's statistics and exit\n"
	    "      --json             with --stats: as JSON\n"
	    "      --save=FILE        have the running daemon save its devices' state to "
	    "FILE\n"
	    "      --load=FILE        have the running daemon load its devices' state "
	    "from FILE\n"
	    "                         (pause the guest around both)\n"
	    "      --resume=FILE      load the devices' state from FILE before serving\n"
	    "      --checkpoint=FILE  keep the devices' state in FILE, rewritten\n"
	    "                         atomically when it changes (BAR moves, virtio\n"
	    "                         set-up), for a later --resume=FILE\n"
	    "      --watch            dom0 service: serve libxl's virtio disks "
	    "(xenstore\n"
	    "                         backend/virtio_disk and backend/virtio), one\n"
	    "                         ioreqd per domain; -v, --log, --seccomp,\n"
	    "                         --restrict, --hook-dir, --chroot, --user,\n"
	    "                         --group and --poll-us are passed on to those\n"
	    "      --ready-fd=FD      write one byte to FD once serving, then close it\n"
	    "      --poll-us=N        after a request, spin up to N microseconds (0 to\n"
	    "                         " IOREQD_POLL_MAX_US_STR
	    ") for the next one before "
	    "sleeping; adaptive,\n"
	    "                         0 (the default) is off; overrides poll_us\n"
	    "  -h, --help             this text\n"
	    "      --version          print the version\n"
	    "\n"
	    "Signals: SIGTERM/SIGINT stop cleanly (every pending access is completed),\n"
	    "SIGUSR1 prints the statistics.  Exit status: 0 ok, 1 runtime failure,\n"
	    "64 bad usage, 78 bad configuration.\n");
}

/*
 * The sim backend's socket, unless given: in the private runtime directory
 * (lib/util/rundir.h), which is created or checked here, never in /tmp where
 * another local user could bind it first.  The control socket and the
 * instance lock go beside it.
 */
static int default_sim_socket(struct ioreqd_opts *o)
{
	const struct ioreqd_backend_ops *be = ioreqd_backend_find(o->backend);
	char err[512];

	if (!be || !(be->caps & IOREQD_BE_CAP_SOCKET) || o->sim_socket)
		return 0;
	if (ioreqd_rundir_sim_socket(o->sim_socket_buf, sizeof(o->sim_socket_buf),
	                             o->domid, err, sizeof(err)) < 0) {
		fprintf(stderr, "ioreqd: error: %s\n", err);
		return -EINVAL;
	}
	o->sim_socket = o->sim_socket_buf;
	return 0;
}

static int parse_domid(const char *s, unsigned *out)
{
	uint64_t v;

	if (ioreqd_cfg_parse_u64(s, &v) < 0 || v >= 0x7ff0) /* DOMID_FIRST_RESERVED */
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int ioreqd_opts_parse(struct ioreqd_opts *o, int argc, char *argv[])
{
	int c;

	if (ioreqd_xlargs_detect(argc, argv))
		return ioreqd_xl_opts(o, argc, argv);
	memset(o, 0, sizeof(*o));
	o->backend = "xen";
	o->sim_wait_s = 10;
	o->verbosity = LOG_LEVEL_INFO - 1 + 1; /* warnings and info by default */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:c:fvh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_domid(optarg, &o->domid) < 0) {
				fprintf(stderr, "ioreqd: error: bad domain id '%s'\n",
				        optarg);
				return -EINVAL;
			}
			o->have_domid = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case OPT_BACKEND:
			if (!ioreqd_backend_find(optarg)) {
				fprintf(
				    stderr,
				    "ioreqd: error: unknown backend '%s' (xen or sim)\n",
				    optarg);
				return -EINVAL;
			}
			o->backend = optarg;
			break;
		case OPT_SIM_SOCKET:
			o->sim_socket = optarg;
			break;
		case OPT_SIM_WAIT: {
			uint64_t v;

			if (ioreqd_cfg_parse_u64(optarg, &v) < 0 || v > 3600) {
				fprintf(
				    stderr,
				    "ioreqd: error: --sim-wait takes 0 to 3600 seconds, "
				    "not '%s'\n",
				    optarg);
				return -EINVAL;
			}
			o->sim_wait_s = (unsigned)v;
			break;
		}
		case OPT_HOOK_DIR:
			o->hook_dir = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case OPT_PIDFILE:
			o->pidfile = optarg;
			break;
		case OPT_LOG:
			if (!strcmp(optarg, "syslog")) {
				o->use_syslog = true;
			} else if (!strcmp(optarg, "stderr")) {
				o->use_syslog = false;
			} else {
				fprintf(stderr,
				        "ioreqd: error: --log takes stderr or syslog, "
				        "not '%s'\n",
				        optarg);
				return -EINVAL;
			}
			o->log_explicit = true;
			break;
		case OPT_SECCOMP:
			if (!optarg || !strcmp(optarg, "errno")) {
				o->seccomp = IOREQD_SECCOMP_ERRNO;
			} else if (!strcmp(optarg, "kill")) {
				o->seccomp = IOREQD_SECCOMP_KILL;
			} else {
				fprintf(
				    stderr,
				    "ioreqd: --seccomp takes errno or kill, not '%s'\n",
				    optarg);
				return -EINVAL;
			}
			break;
		case 'v':
			o->verbosity++;
			break;
		case OPT_RESTRICT:
			o->restrict_domain = true;
			break;
		case OPT_CHROOT:
			o->chroot_dir = optarg;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_GROUP:
			o->group = optarg;
			break;
		case OPT_CHECK:
			o->check_only = true;
			break;
		case OPT_LIST_HOOKS:
			o->list_hooks = true;
			break;
		case OPT_STATS:
			o->stats_query = true;
			break;
		case OPT_JSON:
			o->stats_json = true;
			break;
		case OPT_CONTROL:
			o->control = optarg;
			break;
		case OPT_SAVE:
			o->save_file = optarg;
			break;
		case OPT_LOAD:
			o->load_file = optarg;
			break;
		case OPT_RESUME:
			o->resume_file = optarg;
			break;
		case OPT_CHECKPOINT:
			o->checkpoint_file = optarg;
			break;
		case OPT_REPLACE:
			o->replace = true;
			break;
		case OPT_WATCH:
			o->watch = true;
			break;
		case OPT_READY_FD: {
			uint64_t v;

			if (ioreqd_cfg_parse_u64(optarg, &v) < 0 || v < 3 || v > 1023) {
				fprintf(
				    stderr,
				    "ioreqd: error: --ready-fd takes a descriptor from 3 "
				    "to 1023, not '%s'\n",
				    optarg);
				return -EINVAL;
			}
			o->ready_fd = (int)v;
			o->have_ready_fd = true;
			break;
		}
		case OPT_POLL_US: {
			uint64_t v;

			if (ioreqd_cfg_parse_u64(optarg, &v) < 0 ||
			    v > IOREQD_POLL_MAX_US) {
				fprintf(stderr,
				        "ioreqd: error: --poll-us takes 0 (off) to %u "
				        "microseconds, not '%s'\n",
				        IOREQD_POLL_MAX_US, optarg);
				return -EINVAL;
			}
			o->poll_us = (unsigned)v;
			o->have_poll_us = true;
			break;
		}
		case 'h':
			ioreqd_opts_usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("ioreqd %s (hook ABI %d)\n", PACKAGE_VERSION,
			       IOREQD_HOOK_ABI);
			return 1;
		case ':':
			fprintf(stderr, "ioreqd: error: option '%s' needs an argument\n",
			        argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr,
			        "ioreqd: error: unknown option '%s' (see --help)\n",
			        argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ioreqd: error: unexpected argument '%s' (see --help)\n",
		        argv[optind]);
		return -EINVAL;
	}
	if (o->stats_json && !o->stats_query) {
		fprintf(stderr, "ioreqd: error: --json only goes with --stats\n");
		return -EINVAL;
	}
	if (o->list_hooks)
		return 0;
	if (!!o->stats_query + !!o->save_file + !!o->load_file > 1) {
		fprintf(
		    stderr,
		    "ioreqd: error: --stats, --save and --load are one request each\n");
		return -EINVAL;
	}
	if (o->checkpoint_file && o->seccomp != IOREQD_SECCOMP_OFF) {
		fprintf(stderr, "ioreqd: error: --checkpoint writes files, which "
		                "--seccomp forbids: use one or the other\n");
		return -EINVAL;
	}
	/* The first write is before the chroot, the others inside it. */
	if (o->checkpoint_file && o->chroot_dir) {
		fprintf(stderr, "ioreqd: error: --checkpoint names a file outside "
		                "--chroot's tree: use one or the other\n");
		return -EINVAL;
	}
	if (o->watch) {
		if (o->have_domid || o->config || o->stats_query || o->save_file ||
		    o->load_file || o->check_only || o->resume_file || o->have_ready_fd ||
		    o->checkpoint_file) {
			fprintf(stderr, "ioreqd: error: --watch starts one ioreqd per "
			                "domain itself: leave out -d, -c and the "
			                "one-domain options\n");
			return -EINVAL;
		}
		if (strcmp(o->backend, "xen") != 0) {
			fprintf(stderr,
			        "ioreqd: error: --watch serves Xen domains only\n");
			return -EINVAL;
		}
		return 0;
	}
	if (o->stats_query || o->save_file || o->load_file) {
		if (!o->have_domid && !o->control) {
			fprintf(stderr,
			        "ioreqd: error: --%s needs -d DOMID or --control PATH\n",
			        o->stats_query ? "stats"
			        : o->save_file ? "save"
			                       : "load");
			return -EINVAL;
		}
		return o->control ? 0 : default_sim_socket(o);
	}
	if (!o->config) {
		fprintf(
		    stderr,
		    "ioreqd: error: no configuration file: use -c FILE (see --help)\n");
		return -EINVAL;
	}
	if (!o->have_domid && !o->check_only) {
		fprintf(stderr,
		        "ioreqd: error: no guest domain: use -d DOMID (see --help)\n");
		return -EINVAL;
	}
	return o->check_only ? 0 : default_sim_socket(o);
}

void ioreqd_opts_dispose(struct ioreqd_opts *o)
{
	ioreqd_xl_opts_dispose(o);
}

const struct ioreqd_backend_ops *ioreqd_backend_find(const char *name)
{
	static const struct ioreqd_backend_ops *const backends[] = {
	    &ioreqd_backend_xen,
	    &ioreqd_backend_sim,
	};

	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}
