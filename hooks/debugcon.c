/* SPDX-License-Identifier: MIT */
/*
 * debugcon: the Bochs/QEMU debug console, usually on port 0xe9.  Every byte
 * the guest writes is collected into a line and written out, prefixed with
 * "[dN] " (N = the domain id) and optionally the device name, when the guest
 * writes '\n', when the line buffer fills, and at teardown.  Output goes to
 * the file named by `file` (appended to) or to stdout.  Reads return 0xe9,
 * the readback value by which guests detect the port.
 *
 * A write wider than one byte (possible when the device's range is wider
 * than the one port) writes each of its bytes, low byte first: the order a
 * little-endian guest has them in memory.  The guest controls the
 * bytes, so control characters other than tab are written as \xNN (a guest
 * must not be able to drive the terminal or forge log lines), and '\r' is
 * dropped so that CRLF guests produce ordinary lines.
 */
#include <ioreqd/hook.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 256 /* a longer line is split, each part prefixed */
#define DEBUGCON_READBACK 0xe9

struct debugcon {
	const struct ioreqd_host *host;
	ioreqd_dev_t *dev;
	FILE *out;
	bool own_out;    /* out is ours to close (not stdout) */
	char prefix[96]; /* "[d7] " or "[d7] dbg0: " */
	size_t len;      /* bytes in line */
	unsigned char line[LINE_MAX_BYTES];
	uint64_t lines;  /* written so far */
	uint64_t errors; /* failed writes */
};

static const struct ioreqd_hook_key debugcon_keys[] = {
    {"file", "where output goes: a path (appended to) or '-' for stdout (default)"},
    {"show_name", "yes: prefix each line with the device name as well (default no)"},
    {NULL, NULL},
};

/* Write the collected line (possibly empty) and start a new one. */
static void flush_line(struct debugcon *dc)
{
	FILE *out = dc->out;

	fputs(dc->prefix, out);
	for (size_t i = 0; i < dc->len; i++) {
		unsigned char c = dc->line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('\n', out);
	/* Flush per line: a console is read while the guest runs (tail -f). */
	if (fflush(out) == EOF || ferror(out)) {
		dc->errors++;
		clearerr(out);
		dc->host->log_rl(dc->dev, IOREQD_LOG_WARN, "debugcon: write failed: %s",
		                 strerror(errno));
	}
	dc->lines++;
	dc->len = 0;
}

static void put_byte(struct debugcon *dc, unsigned char c)
{
	if (c == '\n') {
		flush_line(dc);
		return;
	}
	if (c == '\r')
		return;
	dc->line[dc->len++] = c;
	if (dc->len == sizeof(dc->line))
		flush_line(dc);
}

static enum ioreqd_fault_result debugcon_access(ioreqd_fault_t *f, void *priv)
{
	struct debugcon *dc = priv;
	uint64_t data;
	unsigned size;

	if (ioreqd_fault_is_read(f)) {
		ioreqd_fault_set_data(f, DEBUGCON_READBACK);
		return IOREQD_FAULT_HANDLED;
	}
	data = ioreqd_fault_data(f);
	size = ioreqd_fault_size(f);
	for (unsigned i = 0; i < size && i < 8; i++)
		put_byte(dc, (unsigned char)(data >> (8 * i)));
	return IOREQD_FAULT_HANDLED;
}

static void debugcon_fini(void *priv)
{
	struct debugcon *dc = priv;

	if (!dc)
		return;
	if (dc->out && dc->len)
		flush_line(dc);
	if (dc->own_out && dc->out)
		fclose(dc->out);
	free(dc);
}

static int debugcon_init(const struct ioreqd_host *host, ioreqd_dev_t *dev, void **priv)
{
	struct debugcon *dc = NULL;
	const char *file;
	bool show_name = false;
	int rc = 0;

	*priv = NULL;
	/* cfg_bool came after ABI 1: a daemon without it cannot parse the key. */
	if (host->size <
	        offsetof(struct ioreqd_host, cfg_bool) + sizeof(host->cfg_bool) ||
	    !host->cfg_bool) {
		if (host->cfg_str(dev, "show_name"))
			return host->cfg_error(dev, "show_name",
			                       "this ioreqd is too old");
	} else if (host->cfg_bool(dev, "show_name", false, &show_name) < 0) {
		return -EINVAL;
	}
	dc = calloc(1, sizeof(*dc));
	if (!dc)
		return -ENOMEM;
	dc->host = host;
	dc->dev = dev;
	if (show_name)
		snprintf(dc->prefix, sizeof(dc->prefix), "[d%u] %s: ", host->domid(dev),
		         host->dev_name(dev));
	else
		snprintf(dc->prefix, sizeof(dc->prefix), "[d%u] ", host->domid(dev));
	file = host->cfg_str(dev, "file");
	if (!file || strcmp(file, "-") == 0) {
		dc->out = stdout;
	} else if (!*file) {
		rc = host->cfg_error(dev, "file", "empty path (use '-' for stdout)");
		goto out;
	} else {
		dc->out = fopen(file, "ae");
		if (!dc->out) {
			int e = errno;

			rc = host->cfg_error(dev, "file", "cannot open '%s': %s", file,
			                     strerror(e));
			goto out;
		}
		dc->own_out = true;
	}
	host->log(dev, IOREQD_LOG_DEBUG, "debugcon: output to %s",
	          dc->own_out ? file : "stdout");
	*priv = dc;
	dc = NULL;
out:
	debugcon_fini(dc);
	return rc;
}

IOREQD_HOOK_DEFINE(debugcon) = {
    .abi = IOREQD_HOOK_ABI,
    .name = "debugcon",
    .summary = "Bochs/QEMU debug console (port 0xe9): guest bytes to a file, by line",
    .keys = debugcon_keys,
    .init = debugcon_init,
    .fini = debugcon_fini,
    .access = debugcon_access,
};
