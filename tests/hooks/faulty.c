/* SPDX-License-Identifier: MIT */
/*
 * faulty: a hook that fails on purpose, for tests/e2e/fault-injection.sh.
 * It is built as a test-only plugin (never installed) and, configured
 * without any of its failure keys, behaves as one 64-bit register that reads
 * back what was written.  Each key turns on one way a real hook can fail:
 *
 *   fail_init = yes       init returns -EIO (the daemon must refuse to start
 *                         and name the device and the hook, unless the device
 *                         is "optional = yes")
 *   fail_access = yes     every access returns IOREQD_FAULT_ERROR (the guest
 *                         must read all-ones; the daemon counts and logs it)
 *   never_complete = yes  every access is deferred and never completed (the
 *                         daemon's watchdog must complete it after watchdog_ms)
 *   open_file = yes       a read opens "/" (a system call the running daemon
 *                         never needs, so --seccomp forbids it) and returns 0
 *                         if that worked, else errno (EPERM = 1 under
 *                         --seccomp=errno; --seccomp=kill kills the daemon)
 */
#include <ioreqd/hook.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

struct faulty {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	bool fail_access;
	bool never_complete;
	bool open_file;
	uint64_t reg;
	uint64_t deferred; /* accesses abandoned on purpose */
};

static const struct ioreqd_hook_key faulty_keys[] = {
    {"fail_init", "yes: init fails with EIO"},
    {"fail_access", "yes: every access fails (IOREQD_FAULT_ERROR)"},
    {"never_complete", "yes: every access is deferred and never completed"},
    {"open_file", "yes: a read opens a file and returns errno (0: it worked)"},
    {NULL, NULL},
};

/* yes/no key; absent is no.  @return 0 or the host's cfg_error (-EINVAL). */
static int flag(const struct ioreqd_host *host, ioreqd_dev_t *dev, const char *key,
                bool *out)
{
	const char *v = host->cfg_str(dev, key);

	*out = false;
	if (!v || !strcasecmp(v, "no"))
		return 0;
	if (!strcasecmp(v, "yes")) {
		*out = true;
		return 0;
	}
	return host->cfg_error(dev, key, "bad value '%s' (use yes or no)", v);
}

static enum ioreqd_fault_result faulty_access(ioreqd_fault_t *f, void *priv)
{
	struct faulty *p = priv;

	if (p->fail_access)
		return IOREQD_FAULT_ERROR;
	if (p->never_complete) {
		p->deferred++;
		return IOREQD_FAULT_DEFER; /* and the ticket is dropped on the floor */
	}
	if (p->open_file && ioreqd_fault_is_read(f)) {
		int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		ioreqd_fault_set_data_from_reg(f, fd >= 0 ? 0 : (uint64_t)errno);
		if (fd >= 0)
			close(fd);
		return IOREQD_FAULT_HANDLED;
	}
	if (ioreqd_fault_is_read(f))
		ioreqd_fault_set_data_from_reg(f, p->reg);
	else
		p->reg = ioreqd_fault_emulate(f, p->reg);
	return IOREQD_FAULT_HANDLED;
}

static void faulty_fini(void *priv)
{
	struct faulty *p = priv;

	if (!p)
		return;
	if (p->deferred)
		p->host->log(p->dev, IOREQD_LOG_INFO, "faulty: abandoned %llu access(es)",
		             (unsigned long long)p->deferred);
	free(p);
}

static int faulty_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct faulty *p = NULL;
	bool fail_init;
	int rc;

	*priv = NULL;
	if ((rc = flag(host, dev, "fail_init", &fail_init)) < 0)
		return rc;
	if (fail_init) {
		host->log(dev, IOREQD_LOG_WARN, "faulty: failing init as configured");
		return -EIO;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->host = host;
	p->dev = dev;
	if ((rc = flag(host, dev, "fail_access", &p->fail_access)) < 0 ||
	    (rc = flag(host, dev, "never_complete", &p->never_complete)) < 0 ||
	    (rc = flag(host, dev, "open_file", &p->open_file)) < 0) {
		free(p);
		return rc;
	}
	*priv = p;
	return 0;
}

IOREQD_HOOK_DEFINE(faulty) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "faulty",
    .summary = "test hook that fails on purpose (init, access, or never completing)",
    .keys = faulty_keys,
    .init = faulty_init,
    .fini = faulty_fini,
    .access = faulty_access,
};
