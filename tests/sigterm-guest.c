/* SPDX-License-Identifier: MIT */
/*
 * A guest for the SIGTERM-under-load test (tests/e2e/sigterm-load.sh): it
 * keeps every vCPU busy with write/read-back pairs on a scratch device,
 * sends SIGTERM to the daemon in the middle of it, and then checks what the
 * daemon promises at shutdown: every request it was handed was completed
 * (IORESP_READY, never left hanging), no vCPU waited until its timeout, and
 * every read that completed returned what the vCPU had written.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simhv.h"

#define SCRATCH_BASE 0xfeb00000ull

struct worker {
	struct ioreqd_simhv *hv;
	unsigned vcpu;
	pthread_t thread;
	uint64_t ok;                /* write + read pairs that completed and matched */
	uint64_t mismatch;          /* read back something else */
	uint64_t bad_got, bad_want; /* the first mismatch */
	int stop_rc;                /* the error that ended the loop */
};

static atomic_bool stop_all;

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t addr = SCRATCH_BASE + w->vcpu * 8;

	for (uint64_t i = 1; !atomic_load(&stop_all); i++) {
		uint64_t want = (i << 8) | w->vcpu, got = 0;
		int rc =
		    ioreqd_simhv_write(w->hv, w->vcpu, IOREQD_SPACE_MMIO, addr, 8, want);

		if (rc == 0)
			rc = ioreqd_simhv_read(w->hv, w->vcpu, IOREQD_SPACE_MMIO, addr, 8,
			                       &got);
		if (rc < 0) {
			w->stop_rc = rc;
			break;
		}
		if (got == want) {
			w->ok++;
			continue;
		}
		/*
		 * Once the daemon is going its ranges are unclaimed and Xen's null
		 * handler answers all-ones: it disables its server, then destroys
		 * it.  That is the end of the run, not a bug, and by the time we
		 * look the server may be destroyed already (no server at all:
		 * -ENOENT), which under load is the usual case.
		 */
		struct ioreqd_simhv_server_info si;
		int irc = ioreqd_simhv_server_info(w->hv, &si);

		if (irc == -ENOENT || (irc == 0 && (si.gone || !si.enabled))) {
			w->stop_rc = -EPIPE;
			break;
		}
		if (!w->mismatch++) {
			w->bad_got = got;
			w->bad_want = want;
		}
	}
	return NULL;
}

int main(int argc, char *argv[])
{
	struct ioreqd_simhv_config cfg = {.domid = 1, .nr_vcpus = 4, .timeout_ms = 5000};
	struct ioreqd_simhv_stats st;
	struct worker w[IOREQD_SIMHV_MAX_VCPUS];
	struct ioreqd_simhv *hv;
	unsigned kill_after_ms = 300;
	pid_t daemon_pid = 0;
	unsigned passed = 0, failed = 0;
	uint64_t total_ok = 0;
	int c;

	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"vcpus", required_argument, NULL, 'n'},
	    {"daemon-pid", required_argument, NULL, 'p'},
	    {"kill-after-ms", required_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0},
	};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg.socket_path = optarg;
			break;
		case 'n':
			cfg.nr_vcpus = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			daemon_pid = (pid_t)strtol(optarg, NULL, 0);
			break;
		case 'k':
			kill_after_ms = (unsigned)strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
			        "usage: %s --socket PATH --daemon-pid PID [--vcpus N] "
			        "[--kill-after-ms MS]\n",
			        argv[0]);
			return 2;
		}
	}
	if (!cfg.socket_path || cfg.nr_vcpus == 0 ||
	    cfg.nr_vcpus > IOREQD_SIMHV_MAX_VCPUS) {
		fprintf(stderr,
		        "sigterm-guest: --socket and 1..128 --vcpus are required\n");
		return 2;
	}
	hv = ioreqd_simhv_new(&cfg);
	if (!hv) {
		fprintf(stderr, "sigterm-guest: cannot create the domain: %s\n",
		        strerror(errno));
		return 2;
	}
	/* The daemon's pid arrives on stdin once it is started (it needs our socket). */
	if (!daemon_pid && scanf("%d", &daemon_pid) != 1)
		daemon_pid = 0;
	/* Never kill(0) or kill(-1): that would signal the whole test run. */
	if (daemon_pid <= 1) {
		fprintf(stderr, "sigterm-guest: no daemon pid\n");
		ioreqd_simhv_free(hv);
		return 2;
	}
	if (ioreqd_simhv_wait(hv, IOREQD_SIMHV_READY, 10000) < 0) {
		fprintf(stderr, "sigterm-guest: the daemon never became ready\n");
		ioreqd_simhv_free(hv);
		return 2;
	}
	for (unsigned v = 0; v < cfg.nr_vcpus; v++) {
		w[v] = (struct worker){.hv = hv, .vcpu = v};
		pthread_create(&w[v].thread, NULL, worker_run, &w[v]);
	}
	usleep(kill_after_ms * 1000u);
	printf("# SIGTERM to the daemon (pid %d) under load\n", (int)daemon_pid);
	kill(daemon_pid, SIGTERM);
	/* Give the daemon 10 s to go; a vCPU it left hanging times out in 5. */
	for (unsigned t = 0; t < 1000; t++) {
		struct ioreqd_simhv_server_info si;

		if (ioreqd_simhv_server_info(hv, &si) == 0 && si.gone)
			break;
		usleep(10000);
	}
	atomic_store(&stop_all, true);
	for (unsigned v = 0; v < cfg.nr_vcpus; v++)
		pthread_join(w[v].thread, NULL);
	ioreqd_simhv_stats(hv, &st);

#define CHECK(cond, ...)                                                                 \
	do {                                                                             \
		if (cond) {                                                              \
			passed++;                                                        \
			printf("ok - " __VA_ARGS__);                                     \
		} else {                                                                 \
			failed++;                                                        \
			printf("FAIL - " __VA_ARGS__);                                   \
		}                                                                        \
		printf("\n");                                                            \
	} while (0)

	for (unsigned v = 0; v < cfg.nr_vcpus; v++) {
		total_ok += w[v].ok;
		/*
		 * Every read the daemon answered returned what the vCPU wrote.  (An
		 * all-ones read from the null handler once the server was disabled
		 * or destroyed ends the worker instead: see worker_run.)
		 */
		CHECK(
		    !w[v].mismatch,
		    "vcpu %u: every read returned what was written (%llu did not; first: "
		    "got 0x%llx, wrote 0x%llx)",
		    v, (unsigned long long)w[v].mismatch,
		    (unsigned long long)w[v].bad_got, (unsigned long long)w[v].bad_want);
		CHECK(w[v].stop_rc != -ETIMEDOUT && w[v].stop_rc != -EBUSY,
		      "vcpu %u: %llu round trips, ended with '%s', not a hang", v,
		      (unsigned long long)w[v].ok,
		      w[v].stop_rc ? strerror(-w[v].stop_rc) : "stop");
	}
	CHECK(total_ok > 0,
	      "the guest made progress before the signal (%llu round trips)",
	      (unsigned long long)total_ok);
	CHECK(st.sent == st.completed,
	      "every request handed to the daemon was completed (sent %llu, completed "
	      "%llu)",
	      (unsigned long long)st.sent, (unsigned long long)st.completed);
	printf("# simulated hypervisor: sent %llu, completed %llu, null-handled %llu, "
	       "gone %llu, "
	       "busy %llu, spurious wake-ups %llu, late %llu\n",
	       (unsigned long long)st.sent, (unsigned long long)st.completed,
	       (unsigned long long)st.null_handled, (unsigned long long)st.gone,
	       (unsigned long long)st.busy, (unsigned long long)st.spurious_wakeups,
	       (unsigned long long)st.late_completions);
	CHECK(st.timeouts == 0 && st.cancelled == 0,
	      "no request timed out or was cancelled (%llu, %llu)",
	      (unsigned long long)st.timeouts, (unsigned long long)st.cancelled);
	printf("sigterm-guest: %u passed, %u failed\n", passed, failed);
	ioreqd_simhv_free(hv);
	return failed ? 1 : 0;
}
