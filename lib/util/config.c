/* SPDX-License-Identifier: MIT */
/*
 * The configuration file parser: turns an INI file into a struct ioreqd_cfg,
 * checking everything that can be checked without loading a hook (section
 * names, global keys, ranges, numbers, booleans), and naming the file and
 * line of every error.  The INI syntax is read here, one physical line at a
 * time (see read_line), so that line numbers, empty sections and the line
 * length are ours to decide.  Configuration files can come from anyone, so
 * every path is bounded and leak-free, and only a regular file is read.
 * Numbers, booleans and ranges are parsed in config-value.c.
 */
#include "config.h"
#include "config-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus.h"
#include "log.h"
#include "pollpolicy.h"

/* Limits that keep a hostile file from costing more than a little CPU. */
#define MAX_FILE_SIZE (1u << 20) /* a real file is a few KiB */
#define MAX_DEVS 256u
#define MAX_RANGES 256u /* per device */
#define MAX_KV 64u      /* hook keys per device */
#define MAX_NAME 63u    /* device and hook names */

#define WATCHDOG_MS_DEFAULT 5000u
#define WATCHDOG_MS_MAX 86400000u /* one day; keeps ms -> us conversions exact */

enum section { SEC_NONE = 0, SEC_GLOBAL, SEC_DEVICE };

/* Parser state: one per load. */
struct parser {
	struct ioreqd_cfg *cfg;
	const char *text; /* the whole file */
	size_t len;
	size_t pos;      /* start of the next line */
	unsigned lineno; /* line being parsed */
	int rc;          /* first error, 0 while all is well */
	char *err;
	size_t errlen;
	enum section sec;
	/* Lines where single-valued keys were first set (0: not yet). */
	unsigned g_hook_dir, g_log_level, g_watchdog, g_buffered, g_poll, g_latency;
	unsigned d_order, d_optional;
};

/*
 * Record the first error as "FILE:LINE: message" and stop the parse.
 * @return 0, which is what a failing line handler returns.
 */
__attribute__((format(printf, 4, 5))) static int fail(struct parser *p, unsigned line,
                                                      int rc, const char *fmt, ...)
{
	char msg[IOREQD_CFG_ERRLEN];
	va_list ap;

	if (p->rc)
		return 0;
	p->rc = rc;
	if (!p->err || p->errlen == 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->cfg->path, line, msg);
	return 0;
}

static int nomem(struct parser *p)
{
	return fail(p, p->lineno, -ENOMEM, "out of memory");
}

/* ---- the configuration object ------------------------------------------- */

static void dev_dispose(struct ioreqd_cfg_dev *dev)
{
	free(dev->name);
	free(dev->hook);
	free(dev->ranges);
	for (unsigned i = 0; i < dev->nr_kv; i++) {
		free(dev->kv[i].key);
		free(dev->kv[i].value);
	}
	free(dev->kv);
}

void ioreqd_cfg_free(struct ioreqd_cfg *cfg)
{
	if (!cfg)
		return;
	for (unsigned i = 0; i < cfg->nr_devs; i++)
		dev_dispose(&cfg->devs[i]);
	free(cfg->devs);
	free(cfg->hook_dir);
	free(cfg->path);
	free(cfg);
}

const char *ioreqd_cfg_dev_get(const struct ioreqd_cfg_dev *dev, const char *key,
                               unsigned *line)
{
	if (line)
		*line = 0;
	if (!dev || !key)
		return NULL;
	for (unsigned i = 0; i < dev->nr_kv; i++) {
		if (strcmp(dev->kv[i].key, key) == 0) {
			if (line)
				*line = dev->kv[i].line;
			return dev->kv[i].value;
		}
	}
	return NULL;
}

/* Grow *arr (of *nr elements of size sz) by one zeroed element. */
static void *grow(void **arr, unsigned nr, size_t sz)
{
	char *n = realloc(*arr, (nr + 1) * sz);

	if (!n)
		return NULL;
	*arr = n;
	memset(n + nr * sz, 0, sz);
	return n + nr * sz;
}

static struct ioreqd_cfg_dev *cur_dev(struct parser *p)
{
	return &p->cfg->devs[p->cfg->nr_devs - 1];
}

/* [A-Za-z0-9_-]{1,MAX_NAME} */
static bool valid_name(const char *s, size_t n)
{
	if (n == 0 || n > MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* ---- sections ------------------------------------------------------------ */

/* Edit distance of two short keys (at most 15 characters; longer: far). */
static unsigned key_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[16];

	if (la > 15 || lb > 15)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/*
 * A device without a range: if one of its keys is a range key mistyped
 * ("mmoi", "port"), name it, since the parser took it for a hook key.
 */
static int fail_no_range(struct parser *p, const struct ioreqd_cfg_dev *dev)
{
	for (unsigned i = 0; i < dev->nr_kv; i++)
		for (unsigned k = 0; k < IOREQD_SPACE_COUNT; k++)
			if (key_distance(dev->kv[i].key, ioreqd_space_name(k)) <=
			    (strlen(dev->kv[i].key) <= 3 ? 1u : 2u))
				return fail(
				    p, dev->kv[i].line, -EINVAL,
				    "device '%s': no pio, mmio or pci range: unknown "
				    "key '%s' (did you mean '%s'?)",
				    dev->name, dev->kv[i].key, ioreqd_space_name(k));
	if (dev->nr_kv)
		return fail(p, dev->line, -EINVAL,
		            "device '%s': no pio, mmio or pci range (its other keys, "
		            "such as '%s' at line %u, are the hook's)",
		            dev->name, dev->kv[0].key, dev->kv[0].line);
	return fail(p, dev->line, -EINVAL, "device '%s': no pio, mmio or pci range",
	            dev->name);
}

/* A section is over: check what a device must have. */
static int end_section(struct parser *p)
{
	struct ioreqd_cfg_dev *dev;

	if (p->sec != SEC_DEVICE)
		return 1;
	dev = cur_dev(p);
	if (!dev->hook)
		return fail(p, dev->line, -EINVAL, "device '%s': missing 'hook'",
		            dev->name);
	if (dev->nr_ranges == 0)
		return fail_no_range(p, dev);
	return 1;
}

/* "[...]" with the brackets already removed and the contents trimmed. */
static int begin_section(struct parser *p, const char *s, size_t n)
{
	struct ioreqd_cfg *cfg = p->cfg;
	struct ioreqd_cfg_dev *dev;
	const char *name;
	size_t nn;

	if (!end_section(p))
		return 0;
	p->sec = SEC_NONE;
	if (n == 6 && memcmp(s, "global", 6) == 0) {
		p->sec = SEC_GLOBAL;
		return 1;
	}
	if (n < 7 || memcmp(s, "device", 6) != 0 || !is_blank(s[6]))
		return fail(p, p->lineno, -EINVAL,
		            "unknown section [%.*s] (expected [global] or [device NAME])",
		            (int)(n > 64 ? 64 : n), s);
	nn = n - 6;
	name = trim(s + 6, &nn);
	if (!valid_name(name, nn))
		return fail(p, p->lineno, -EINVAL,
		            "bad device name '%.*s' (1-%u of A-Z a-z 0-9 _ -)",
		            (int)(nn > 64 ? 64 : nn), name, MAX_NAME);
	for (unsigned i = 0; i < cfg->nr_devs; i++) {
		if (strlen(cfg->devs[i].name) == nn &&
		    memcmp(cfg->devs[i].name, name, nn) == 0)
			return fail(p, p->lineno, -EINVAL,
			            "duplicate device '%s' (first defined at line %u)",
			            cfg->devs[i].name, cfg->devs[i].line);
	}
	if (cfg->nr_devs >= MAX_DEVS)
		return fail(p, p->lineno, -EINVAL, "too many devices (at most %u)",
		            MAX_DEVS);
	dev = grow((void **)&cfg->devs, cfg->nr_devs, sizeof(*dev));
	if (!dev)
		return nomem(p);
	dev->name = strndup(name, nn);
	if (!dev->name)
		return nomem(p);
	cfg->nr_devs++;
	dev->line = p->lineno;
	dev->irq = -1;
	dev->order = IOREQD_ORDER_NORMAL;
	p->sec = SEC_DEVICE;
	p->d_order = p->d_optional = 0;
	return 1;
}

/* ---- keys ---------------------------------------------------------------- */

/* A single-valued key seen again?  *seen holds the line it was first set. */
static bool duplicate(struct parser *p, const char *key, unsigned *seen)
{
	if (*seen) {
		fail(p, p->lineno, -EINVAL, "duplicate key '%s' (first set at line %u)",
		     key, *seen);
		return true;
	}
	*seen = p->lineno;
	return false;
}

static int bad_bool(struct parser *p, const char *key, const char *value)
{
	return fail(p, p->lineno, -EINVAL, "%s: bad boolean '%s' (use yes or no)", key,
	            value);
}

static int bad_number(struct parser *p, const char *key, const char *value, int rc)
{
	return fail(p, p->lineno, -EINVAL, "%s: %s '%s'", key,
	            rc == -ERANGE ? "number too large" : "bad number", value);
}

static int global_key(struct parser *p, const char *key, const char *value)
{
	struct ioreqd_cfg *cfg = p->cfg;
	uint64_t v;
	int rc;

	if (strcmp(key, "hook_dir") == 0) {
		if (duplicate(p, key, &p->g_hook_dir))
			return 0;
		if (!*value)
			return fail(p, p->lineno, -EINVAL, "hook_dir: empty value");
		cfg->hook_dir = strdup(value);
		return cfg->hook_dir ? 1 : nomem(p);
	}
	if (strcmp(key, "log_level") == 0) {
		static const char *const names[] = {"warn", "info", "debug"};
		static const int levels[] = {LOG_LEVEL_WARN, LOG_LEVEL_INFO,
		                             LOG_LEVEL_DEBUG};

		if (duplicate(p, key, &p->g_log_level))
			return 0;
		for (unsigned i = 0; i < 3; i++) {
			if (strcmp(value, names[i]) == 0) {
				cfg->log_level = levels[i];
				return 1;
			}
		}
		return fail(p, p->lineno, -EINVAL,
		            "log_level: bad value '%s' (use warn, info or debug)", value);
	}
	if (strcmp(key, "watchdog_ms") == 0) {
		if (duplicate(p, key, &p->g_watchdog))
			return 0;
		if ((rc = ioreqd_cfg_parse_u64(value, &v)) < 0)
			return bad_number(p, key, value, rc);
		if (v > WATCHDOG_MS_MAX)
			return fail(p, p->lineno, -EINVAL,
			            "watchdog_ms: %llu out of range (0..%u)",
			            (unsigned long long)v, WATCHDOG_MS_MAX);
		cfg->watchdog_ms = v;
		return 1;
	}
	if (strcmp(key, "buffered") == 0) {
		if (duplicate(p, key, &p->g_buffered))
			return 0;
		if (ioreqd_cfg_parse_bool(value, &cfg->buffered) < 0)
			return bad_bool(p, key, value);
		return 1;
	}
	if (strcmp(key, "poll_us") == 0) {
		if (duplicate(p, key, &p->g_poll))
			return 0;
		if ((rc = ioreqd_cfg_parse_u64(value, &v)) < 0)
			return bad_number(p, key, value, rc);
		if (v > IOREQD_POLL_MAX_US)
			return fail(p, p->lineno, -EINVAL,
			            "poll_us: %llu out of range (0 turns polling off, "
			            "at most %u microseconds)",
			            (unsigned long long)v, IOREQD_POLL_MAX_US);
		cfg->poll_us = (unsigned)v;
		return 1;
	}
	if (strcmp(key, "latency_stats") == 0) {
		if (duplicate(p, key, &p->g_latency))
			return 0;
		if (ioreqd_cfg_parse_bool(value, &cfg->latency_stats) < 0)
			return bad_bool(p, key, value);
		return 1;
	}
	return fail(p, p->lineno, -EINVAL,
	            "unknown key '%s' in [global] (known: hook_dir, log_level, "
	            "watchdog_ms, buffered, poll_us, latency_stats)",
	            key);
}

static int range_key(struct parser *p, struct ioreqd_cfg_dev *dev,
                     enum ioreqd_space space, const char *key, const char *value)
{
	struct ioreqd_cfg_range *r;
	uint64_t base, last;
	const char *why;

	if (ioreqd_cfg_parse_range(space, value, &base, &last, &why) < 0)
		return fail(p, p->lineno, -EINVAL, "%s: bad range '%s' (%s)", key, value,
		            why);
	/*
	 * Overlaps between devices are the daemon's business (identical ranges
	 * form a chain), but one device claiming a byte twice is always a typo.
	 */
	for (unsigned i = 0; i < dev->nr_ranges; i++) {
		r = &dev->ranges[i];
		if (r->space == space && base <= r->last && r->base <= last)
			return fail(
			    p, p->lineno, -EINVAL,
			    "%s: range '%s' overlaps this device's range at line %u", key,
			    value, r->line);
	}
	if (dev->nr_ranges >= MAX_RANGES)
		return fail(p, p->lineno, -EINVAL, "%s: too many ranges (at most %u)",
		            key, MAX_RANGES);
	r = grow((void **)&dev->ranges, dev->nr_ranges, sizeof(*r));
	if (!r)
		return nomem(p);
	dev->nr_ranges++;
	r->space = space;
	r->base = base;
	r->last = last;
	r->line = p->lineno;
	return 1;
}

static int hook_kv(struct parser *p, struct ioreqd_cfg_dev *dev, const char *key,
                   const char *value)
{
	struct ioreqd_cfg_kv *kv;
	unsigned line;

	if (ioreqd_cfg_dev_get(dev, key, &line))
		return fail(p, p->lineno, -EINVAL,
		            "duplicate key '%s' (first set at line %u)", key, line);
	if (dev->nr_kv >= MAX_KV)
		return fail(p, p->lineno, -EINVAL, "too many hook keys (at most %u)",
		            MAX_KV);
	kv = grow((void **)&dev->kv, dev->nr_kv, sizeof(*kv));
	if (!kv)
		return nomem(p);
	kv->key = strdup(key);
	kv->value = strdup(value);
	if (!kv->key || !kv->value) {
		free(kv->key);
		free(kv->value);
		return nomem(p);
	}
	kv->line = p->lineno;
	dev->nr_kv++;
	return 1;
}

static int device_key(struct parser *p, const char *key, const char *value)
{
	struct ioreqd_cfg_dev *dev = cur_dev(p);
	uint64_t v;
	int rc;

	if (strcmp(key, "hook") == 0) {
		if (dev->hook)
			return fail(p, p->lineno, -EINVAL,
			            "duplicate key 'hook' (first set at line %u)",
			            dev->hook_line);
		if (!valid_name(value, strlen(value)))
			return fail(p, p->lineno, -EINVAL,
			            "hook: bad hook name '%s' (1-%u of A-Z a-z 0-9 _ -)",
			            value, MAX_NAME);
		dev->hook = strdup(value);
		dev->hook_line = p->lineno;
		return dev->hook ? 1 : nomem(p);
	}
	for (unsigned sp = 0; sp < IOREQD_SPACE_COUNT; sp++)
		if (strcmp(key, ioreqd_space_name(sp)) == 0)
			return range_key(p, dev, sp, key, value);
	if (strcmp(key, "irq") == 0) {
		if (dev->irq_line)
			return fail(p, p->lineno, -EINVAL,
			            "duplicate key 'irq' (first set at line %u)",
			            dev->irq_line);
		if ((rc = ioreqd_cfg_parse_u64(value, &v)) < 0)
			return bad_number(p, key, value, rc);
		if (v > 1023)
			return fail(p, p->lineno, -EINVAL,
			            "irq: %llu out of range (0..1023)",
			            (unsigned long long)v);
		dev->irq = (int)v;
		dev->irq_line = p->lineno;
		return 1;
	}
	if (strcmp(key, "order") == 0) {
		if (duplicate(p, key, &p->d_order))
			return 0;
		if (strcmp(value, "first") == 0)
			dev->order = IOREQD_ORDER_FIRST;
		else if (strcmp(value, "normal") == 0)
			dev->order = IOREQD_ORDER_NORMAL;
		else if (strcmp(value, "last") == 0)
			dev->order = IOREQD_ORDER_LAST;
		else
			return fail(p, p->lineno, -EINVAL,
			            "order: bad value '%s' (use first, normal or last)",
			            value);
		return 1;
	}
	if (strcmp(key, "optional") == 0) {
		if (duplicate(p, key, &p->d_optional))
			return 0;
		if (ioreqd_cfg_parse_bool(value, &dev->optional) < 0)
			return bad_bool(p, key, value);
		return 1;
	}
	return hook_kv(p, dev, key, value);
}

/* ---- lines --------------------------------------------------------------- */

/* One "key = value" line, in the section read_line last entered. */
static int on_key(struct parser *p, const char *key, const char *value)
{
	switch (p->sec) {
	case SEC_GLOBAL:
		return global_key(p, key, value);
	case SEC_DEVICE:
		return device_key(p, key, value);
	case SEC_NONE:
	default:
		return fail(p, p->lineno, -EINVAL, "key '%s' outside any section", key);
	}
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/*
 * Parse the next physical line; @p buf has room for IOREQD_CFG_MAX_LINE + 2
 * bytes.  @return 1 to go on, 0 at the end or after the first error.
 *
 * The syntax is the INI dialect ioreqd has always accepted: blanks around
 * everything are ignored, ';' or '#' at the start of a line and ';' after a
 * blank start a comment, "[...]" opens a section, and any other non-empty
 * line is "key = value" with a plain key name.  There are no continuation
 * lines (an indented key is just a key).  The tokenising is done here, not by
 * libinih, because the system's libinih has its line length (200 bytes with
 * Debian's) compiled in, which is too short for a path; and because it numbers
 * lines for its handler only when built to, and drops a section with no keys.
 */
static int read_line(struct parser *p, char *buf)
{
	const char *s, *nl, *eq, *v;
	size_t n, kn, vn;

	if (p->rc || p->pos >= p->len)
		return 0;
	s = p->text + p->pos;
	nl = memchr(s, '\n', p->len - p->pos);
	n = nl ? (size_t)(nl - s) : p->len - p->pos;
	p->pos += n + (nl ? 1 : 0);
	p->lineno++;
	if (memchr(s, '\0', n))
		return fail(p, p->lineno, -EINVAL, "NUL byte in line");
	if (p->lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3; /* UTF-8 byte order mark */
		n -= 3;
	}
	s = trim(s, &n);
	if (n && (s[0] == ';' || s[0] == '#'))
		n = 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i] == ';' && is_blank(s[i - 1])) {
			n = i;
			s = trim(s, &n);
			break;
		}
	}
	if (n == 0)
		return 1;
	if (n > IOREQD_CFG_MAX_LINE)
		return fail(p, p->lineno, -EINVAL,
		            "line too long (at most %u characters)", IOREQD_CFG_MAX_LINE);
	if (s[0] == '[') {
		if (s[n - 1] != ']')
			return fail(p, p->lineno, -EINVAL,
			            "syntax error: section header must end with ']'");
		n -= 2;
		s = trim(s + 1, &n);
		return begin_section(p, s, n);
	}
	eq = memchr(s, '=', n);
	if (!eq)
		return fail(p, p->lineno, -EINVAL,
		            "syntax error: expected 'key = value' or '[section]'");
	kn = (size_t)(eq - s);
	s = trim(s, &kn);
	for (size_t i = 0; i < kn; i++) {
		if (!key_char(s[i]))
			return fail(p, p->lineno, -EINVAL,
			            "syntax error: bad key name '%.*s'",
			            (int)(kn > 64 ? 64 : kn), s);
	}
	if (kn == 0)
		return fail(p, p->lineno, -EINVAL,
		            "syntax error: missing key before '='");
	vn = n - (size_t)(eq + 1 - s);
	v = trim(eq + 1, &vn);
	/* kn + vn <= n - 1, so both strings and their NULs fit in n + 2 bytes. */
	memcpy(buf, s, kn);
	buf[kn] = '\0';
	memcpy(buf + kn + 1, v, vn);
	buf[kn + 1 + vn] = '\0';
	return on_key(p, buf, buf + kn + 1);
}

/* ---- entry points -------------------------------------------------------- */

int ioreqd_cfg_load_string(const char *text, size_t len, const char *name,
                           struct ioreqd_cfg **out, char *err, size_t errlen)
{
	struct parser p = {.text = text ? text : "",
	                   .len = text ? len : 0,
	                   .err = err,
	                   .errlen = errlen};
	struct ioreqd_cfg *cfg = NULL;
	char *buf = NULL;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	cfg->path = strdup(name ? name : "<string>");
	if (!cfg->path) {
		free(cfg);
		return -ENOMEM;
	}
	cfg->log_level = -1;
	cfg->watchdog_ms = WATCHDOG_MS_DEFAULT;
	p.cfg = cfg;
	buf = malloc(IOREQD_CFG_MAX_LINE + 2);
	if (!buf)
		nomem(&p);
	while (read_line(&p, buf))
		;
	if (!p.rc)
		end_section(&p);
	rc = p.rc;
	if (rc < 0)
		goto out;
	*out = cfg;
	cfg = NULL;
out:
	free(buf);
	ioreqd_cfg_free(cfg);
	return rc;
}

/*
 * Read a whole (small) regular file into memory.  @return 0 or -errno; for a
 * file of the wrong type *why says what it is.
 */
static int slurp(const char *path, char **text, size_t *len, const char **why)
{
	struct stat st;
	FILE *fp = NULL;
	int fd;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*text = NULL;
	*len = 0;
	*why = NULL;
	/*
	 * Non-blocking, so that a FIFO cannot hold start-up until someone
	 * writes to it; only a regular file is read.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*why = S_ISDIR(st.st_mode) ? "is a directory, not a configuration file"
		                           : "is not a regular file (a FIFO, socket or "
		                             "device); give a configuration file";
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	fp = fdopen(fd, "r");
	if (!fp) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			if (cap >= MAX_FILE_SIZE + 1) {
				rc = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 4096;
			if (cap > MAX_FILE_SIZE + 1)
				cap = MAX_FILE_SIZE + 1;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (got == 0) {
			/* fread keeps errno: report it rather than a generic I/O error.
			 */
			if (ferror(fp))
				rc = errno ? -errno : -EIO;
			break;
		}
	}
	if (n > MAX_FILE_SIZE)
		rc = -EFBIG;
out:
	if (fp)
		fclose(fp);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*text = buf;
	*len = n;
	return 0;
}

int ioreqd_cfg_load(const char *path, struct ioreqd_cfg **out, char *err, size_t errlen)
{
	const char *why;
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	rc = slurp(path, &text, &len, &why);
	if (rc < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path,
			         why            ? why
			         : rc == -EFBIG ? "file too large (over 1 MiB)"
			                        : strerror(-rc));
		return rc;
	}
	rc = ioreqd_cfg_load_string(text, len, path, out, err, errlen);
	free(text);
	return rc;
}
