/* SPDX-License-Identifier: MIT */
/*
 * hello: the smallest useful ioreqd hook, built out of tree against the
 * installed SDK (see the Makefile next to it and ioreqd-hook(7)).  It is one
 * read-only register: every read, at any offset of the device's ranges,
 * returns the configured `value` (truncated to the access size), and every
 * write is logged (at a rate limit, since the guest decides how often it
 * writes) and otherwise ignored.  It shows the whole contract: the one
 * exported descriptor, its keys table, init reading keys through the host,
 * access using the fault API, and fini.
 */
#include <ioreqd/hook.h>

#include <inttypes.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>

struct hello {
	const struct ioreqd_host *host; /* kept: access and fini need the services */
	ioreqd_dev_t *dev;
	uint64_t value;
	uint64_t writes;
};

/* Any key not listed here is a configuration error, reported with its line. */
static const struct ioreqd_hook_key hello_keys[] = {
    {"value",
     "what every read returns (default 0x6f6c6c6548: \"Hello\" in little-endian bytes)"},
    {NULL, NULL},
};

static enum ioreqd_fault_result hello_access(ioreqd_fault_t *f, void *priv)
{
	struct hello *h = priv;

	if (ioreqd_fault_is_read(f)) {
		/* set_data masks the value to the access size. */
		ioreqd_fault_set_data(f, h->value);
		return IOREQD_FAULT_HANDLED;
	}
	h->writes++;
	h->host->log_rl(h->dev, IOREQD_LOG_INFO,
	                "hello: v%u wrote 0x%" PRIx64 " (%u bytes) at offset 0x%" PRIx64,
	                ioreqd_fault_vcpu(f), ioreqd_fault_data(f), ioreqd_fault_size(f),
	                ioreqd_fault_offset(f));
	return IOREQD_FAULT_HANDLED;
}

static int hello_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct hello *h;
	uint64_t value;
	int rc;

	*priv = NULL;
	rc = host->cfg_u64(dev, "value", 0x6f6c6c6548ull, &value);
	if (rc < 0)
		return rc; /* the host has reported file:line already */
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->host = host;
	h->dev = dev;
	h->value = value;
	host->log(dev, IOREQD_LOG_DEBUG, "hello: reads return 0x%" PRIx64, value);
	*priv = h;
	return 0;
}

static void hello_fini(void *priv)
{
	struct hello *h = priv;

	if (!h)
		return;
	h->host->log(h->dev, IOREQD_LOG_DEBUG, "hello: %" PRIu64 " write(s) seen",
	             h->writes);
	free(h);
}

/* The one exported symbol: `const struct ioreqd_hook ioreqd_hook`. */
IOREQD_HOOK_DEFINE(hello) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "hello",
    .summary = "a read-only register that says hello and logs writes",
    .keys = hello_keys,
    .init = hello_init,
    .fini = hello_fini,
    .access = hello_access,
};
