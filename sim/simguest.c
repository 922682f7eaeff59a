/* SPDX-License-Identifier: MIT */
/*
 * ioreqd-simguest: a scripted guest on the simulated hypervisor.  It creates
 * the simulated domain, waits for a device model to connect, enable its
 * server and claim its ranges (like `xl create -p` followed by `xl unpause`),
 * runs a script of guest accesses, checks every result, and destroys the
 * domain (the device model sees its domain go away).  One line per check:
 *
 *   ok 12 mmio read 0xfeb00010/4 = 0x12345678
 *   FAIL 13 pio read 0x3f8/1 = 0x40, expected 0x41 (line 9)
 *   simguest: 57 passed, 0 failed
 *
 * Exit status: 0 if every check passed, 1 if one failed, 2 for a usage,
 * script or setup error.
 * This file is the program (options, the domain, the device model); the
 * script runs in simrun.c.
 *
 * The script language (full description: sim/README-script.md).  One command
 * a line; '#' starts a comment line.  Numbers are expressions without spaces:
 * decimal, 0x hex, 'c', $vcpu, $i, ( ), unary - ~ and * / % + - << >> & ^ |.
 *
 *   print TEXT                         TEXT and '\n' as 1-byte writes to port 0xe9
 *   pio|mmio read ADDR SIZE [expect V] [mask M]
 *   pio|mmio write ADDR SIZE V
 *   pci read [SSSS:]BB:DD.F REG SIZE [expect V] [mask M]
 *   pci write [SSSS:]BB:DD.F REG SIZE V
 *   rep pio|mmio write ADDR SIZE COUNT [df 0|1] [buf GPA] pattern B|fill B|value V
 *   rep pio|mmio read ADDR SIZE COUNT [df 0|1] [buf GPA] [expect-pattern B|expect-fill B]
 *   buf pio|mmio write ADDR SIZE V [posted|sync]
 *   drain [TIMEOUT_MS]                 every buffered write was consumed
 *   timeoffset DELTA                   invalidate
 *   sleep N[us|ms|s]                   vcpu N
 *   expect-irq IRQ high|low [TIMEOUT_MS]
 *   expect-msi N [addr A] [data D]     the N-th MSI arrived (and matches)
 *   expect-key KEY VALUE               reg NAME V        expect-reg NAME V
 *   repeat N ... end                   the block N times on this vCPU ($i)
 *   parallel N [repeat R] ... end      the block on vCPUs 0..N-1 at once ($vcpu)
 *   virtio attach DEV mmio ADDR irq IRQ [id ID] [queues N] [qsize S] [features F] [area
 * GPA] virtio attach DEV pci SBDF bar ADDR [msix 0|1] [id ID] [queues N] [qsize S] ...
 *   virtio detach DEV                  virtio rng DEV read BYTES
 */
#include "build-config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "rundir.h"
#include "simrun.h"
#include "simhv.h"
#include "simscript.h"
#include "simvirtio.h"

#define EX_FAILED 1
#define EX_SETUP 2

/* --- Setup
 * ------------------------------------------------------------------------------ */

static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: ioreqd-simguest --script FILE|- [options] [--run-daemon -- CMD "
	    "ARGS...]\n"
	    "  --socket PATH      where the device model connects (default\n"
	    "                     RUNDIR/sim-DOMID.sock; RUNDIR is /run/ioreqd for "
	    "root,\n"
	    "                     else $XDG_RUNTIME_DIR/ioreqd)\n"
	    "  --domid N          the simulated domain's id (default 1)\n"
	    "  --vcpus N          vCPUs, 1..%u (default 1)\n"
	    "  --mem SIZE         guest RAM, with K, M or G (default 1M)\n"
	    "  --buffered         require the device model to ask for a buffered ring\n"
	    "  --timeout SECONDS  how long to wait for the device model (default 10)\n"
	    "  --ready WHAT       start when the server claims a range (ranges) or when "
	    "the\n"
	    "                     device model publishes state=running (running, "
	    "default)\n"
	    "  -q, --quiet        print failures and the summary only\n"
	    "  --run-daemon -- CMD ARGS...\n"
	    "                     start the device model CMD once the domain exists,\n"
	    "                     e.g. -- ioreqd -f -d 1 --backend=sim -c FILE; the\n"
	    "                     exit status then covers it too\n"
	    "Start ioreqd --backend=sim and this in either order.  Manual:\n"
	    "ioreqd-simguest(1); the script language: " IOREQD_DOCDIR
	    "/README-script.md\n",
	    IOREQD_SIMHV_MAX_VCPUS);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	unsigned shift = 0;

	if (end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	return end == s || *end || errno || *out > max ? -EINVAL : 0;
}

struct options {
	char socket[108];
	unsigned long domid;
	unsigned long vcpus;
	uint64_t mem;
	unsigned long timeout_s;
	bool buffered;
	bool wait_running;
	bool quiet;
	const char *script;
	char **daemon_argv; /* --run-daemon -- CMD...: started once the socket exists */
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"domid", required_argument, NULL, 'd'},
	    {"vcpus", required_argument, NULL, 'v'},
	    {"mem", required_argument, NULL, 'm'},
	    {"buffered", no_argument, NULL, 'b'},
	    {"timeout", required_argument, NULL, 't'},
	    {"script", required_argument, NULL, 'f'},
	    {"ready", required_argument, NULL, 'r'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"run-daemon", no_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = NULL;
	bool run_daemon = false;
	int ch;

	*o = (struct options){.domid = 1,
	                      .vcpus = 1,
	                      .mem = IOREQD_SIMHV_DEFAULT_RAM,
	                      .timeout_s = 10,
	                      .wait_running = true};
	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		int rc = 0;

		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'd':
			rc = parse_uint(optarg, 0x7fef, &o->domid);
			break;
		case 'v':
			rc = parse_uint(optarg, IOREQD_SIMHV_MAX_VCPUS, &o->vcpus);
			rc = rc ? rc : o->vcpus ? 0 : -EINVAL;
			break;
		case 'm':
			rc = parse_size(optarg, &o->mem);
			rc = rc ? rc : o->mem && !(o->mem % 4096) ? 0 : -EINVAL;
			break;
		case 'b':
			o->buffered = true;
			break;
		case 't':
			rc = parse_uint(optarg, 3600, &o->timeout_s);
			rc = rc ? rc : o->timeout_s ? 0 : -EINVAL;
			break;
		case 'f':
			o->script = optarg;
			break;
		case 'r':
			if (strcmp(optarg, "running") && strcmp(optarg, "ranges"))
				rc = -EINVAL;
			o->wait_running = !strcmp(optarg, "running");
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'D':
			run_daemon = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (rc < 0) {
			const struct option *lo = longopts;

			while (lo->name && lo->val != ch)
				lo++;
			fprintf(stderr,
			        "ioreqd-simguest: error: bad value '%s' for --%s\n",
			        optarg, lo->name ? lo->name : "?");
			return rc;
		}
	}
	if (run_daemon && optind < argc)
		o->daemon_argv = argv + optind;
	else if (run_daemon || optind < argc || !o->script) {
		fprintf(stderr, "ioreqd-simguest: error: %s\n",
		        run_daemon
		            ? "--run-daemon needs a command: --run-daemon -- ioreqd ..."
		        : optind < argc ? "unexpected arguments"
		                        : "--script is required");
		usage(stderr);
		return -EINVAL;
	}
	if (!o->script) {
		fprintf(stderr, "ioreqd-simguest: error: --script is required\n");
		usage(stderr);
		return -EINVAL;
	}
	if (sock) {
		snprintf(o->socket, sizeof(o->socket), "%s", sock);
	} else {
		char err[512];

		/* ioreqd --backend=sim's default: a private directory, never /tmp. */
		if (ioreqd_rundir_sim_socket(o->socket, sizeof(o->socket), o->domid, err,
		                             sizeof(err)) < 0) {
			fprintf(stderr, "ioreqd-simguest: error: %s\n", err);
			return -EINVAL;
		}
	}
	return 0;
}

static int load_script(const char *path, struct sg_script *s)
{
	char err[512];
	bool is_stdin = !strcmp(path, "-");
	FILE *fp = is_stdin ? stdin : fopen(path, "r");
	int rc;

	if (!fp) {
		fprintf(stderr, "ioreqd-simguest: error: %s: %s\n", path,
		        strerror(errno));
		return -errno;
	}
	rc = sg_parse(fp, is_stdin ? "(stdin)" : path, s, err, sizeof(err));
	if (!is_stdin)
		fclose(fp);
	if (rc < 0)
		fprintf(stderr, "ioreqd-simguest: error: %s\n", err);
	return rc;
}

/* --run-daemon: start the device model now that the domain's socket exists. */
static pid_t spawn_daemon(char **argv)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr,
		        "ioreqd-simguest: error: --run-daemon: cannot run %s: %s\n",
		        argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		fprintf(stderr, "ioreqd-simguest: error: --run-daemon: fork: %s\n",
		        strerror(errno));
	return pid;
}

/*
 * Wait for the server to be ready; with a spawned daemon, in slices of
 * 100 ms so that a daemon that exits at start-up (a configuration error)
 * ends the wait at once instead of after the whole timeout.
 */
static int wait_ready(struct sg_guest *g, pid_t daemon, unsigned ms, int *daemon_status)
{
	if (daemon <= 0)
		return ioreqd_simhv_wait(g->hv, IOREQD_SIMHV_READY, ms);
	for (unsigned waited = 0; waited < ms; waited += 100) {
		if (ioreqd_simhv_wait(g->hv, IOREQD_SIMHV_READY, 100) == 0)
			return 0;
		if (waitpid(daemon, daemon_status, WNOHANG) == daemon) {
			fprintf(stderr,
			        "ioreqd-simguest: error: the device model exited before "
			        "serving the domain (status %d)\n",
			        WIFEXITED(*daemon_status) ? WEXITSTATUS(*daemon_status)
			                                  : -1);
			return -ECHILD;
		}
	}
	return -ETIMEDOUT;
}

/* Wait for the device model like a toolstack before it unpauses the domain. */
static int wait_for_device_model(struct sg_guest *g, const struct options *o,
                                 pid_t daemon, int *daemon_status)
{
	struct ioreqd_simhv_server_info info;
	unsigned ms = (unsigned)o->timeout_s * 1000;
	int rc;

	fprintf(stderr,
	        "simguest: d%lu: %lu vCPU(s), %llu KiB RAM; waiting for a device model "
	        "on %s\n",
	        o->domid, o->vcpus, (unsigned long long)(o->mem >> 10), o->socket);
	rc = wait_ready(g, daemon, ms, daemon_status);
	if (rc == -ECHILD)
		return rc;
	if (rc < 0) {
		fprintf(stderr,
		        "ioreqd-simguest: error: no device model enabled a server and "
		        "claimed a range "
		        "within %lu s\n",
		        o->timeout_s);
		return -ETIMEDOUT;
	}
	if (o->wait_running && ioreqd_simhv_wait_key(g->hv, "state", "running", ms) < 0) {
		fprintf(stderr, "ioreqd-simguest: error: the device model never "
		                "published state=running "
		                "(use --ready ranges if it does not)\n");
		return -ETIMEDOUT;
	}
	if (o->buffered && (ioreqd_simhv_server_info(g->hv, &info) < 0 ||
	                    info.bufioreq == IOREQD_SIM_BUFIOREQ_OFF)) {
		fprintf(stderr, "ioreqd-simguest: error: --buffered: the device model "
		                "did not ask for a "
		                "buffered ring\n");
		return -ENODEV;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct sg_script script = {0};
	struct sg_guest g = {0};
	int status = EX_SETUP;
	pid_t daemon = -1;
	int daemon_status = 0;
	bool daemon_reaped = false;
	int rc;

	if (parse_options(argc, argv, &o) < 0)
		return EX_SETUP;
	if (load_script(o.script, &script) < 0)
		return EX_SETUP;
	g.nr_vcpus = (unsigned)o.vcpus;
	g.ram_size = o.mem;
	g.timeout_ms = (unsigned)o.timeout_s * 1000;
	g.quiet = o.quiet;
	pthread_mutex_init(&g.out, NULL);
	g.hv = ioreqd_simhv_new(&(struct ioreqd_simhv_config){
	    .socket_path = o.socket,
	    .domid = (unsigned)o.domid,
	    .nr_vcpus = g.nr_vcpus,
	    .ram_size = g.ram_size,
	    .timeout_ms = g.timeout_ms,
	});
	if (!g.hv) {
		fprintf(stderr,
		        "ioreqd-simguest: error: cannot create the domain on %s: %s\n",
		        o.socket, strerror(errno));
		goto out;
	}
	if (o.daemon_argv && (daemon = spawn_daemon(o.daemon_argv)) < 0)
		goto out;
	rc = wait_for_device_model(&g, &o, daemon, &daemon_status);
	daemon_reaped = rc == -ECHILD;
	if (rc < 0)
		goto out;

	sg_run(&g, script.cmds, script.n);
	printf("simguest: %u passed, %u failed\n", g.passed, g.failed);
	fflush(stdout);
	if (ioreqd_simhv_crashed(g.hv))
		fprintf(stderr, "ioreqd-simguest: error: the domain crashed: %s\n",
		        ioreqd_simhv_crashed(g.hv));
	status = g.failed ? EX_FAILED : 0;
out:
	/* Reset the devices, then destroying the domain tells the device model to exit.
	 */
	if (g.hv && !ioreqd_simhv_crashed(g.hv))
		for (unsigned i = 0; i < SG_VIRTIO_DEVS; i++)
			sg_virtio_detach(&g.vdev[i]);
	ioreqd_simhv_free(g.hv);
	if (daemon > 0 && !daemon_reaped)
		while (waitpid(daemon, &daemon_status, 0) < 0 && errno == EINTR)
			;
	/* With --run-daemon the exit status covers the device model too. */
	if (daemon > 0 && !daemon_reaped &&
	    !(WIFEXITED(daemon_status) && WEXITSTATUS(daemon_status) == 0)) {
		fprintf(stderr,
		        "ioreqd-simguest: error: the device model %s exited %s %d\n",
		        o.daemon_argv[0],
		        WIFEXITED(daemon_status) ? "with status" : "on signal",
		        WIFEXITED(daemon_status) ? WEXITSTATUS(daemon_status)
		                                 : WTERMSIG(daemon_status));
		if (status == 0)
			status = EX_FAILED;
	}
	sg_free(&script);
	pthread_mutex_destroy(&g.out);
	return status;
}
