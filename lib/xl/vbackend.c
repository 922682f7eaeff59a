/* SPDX-License-Identifier: MIT */
/*
 * libxl's virtio backend entries (see vbackend.h): parsing, the handshake's
 * next step, and the configuration text.  Pure: the watcher (daemon/watch.c)
 * does the xenstore reads and writes, the tests and the fuzzer call these.
 */
#include "vbackend.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Interrupt numbers a GIC can deliver as SPIs (and far above any ISA IRQ). */
#define IRQ_MAX 1019u

static const char *const kind_names[IOREQD_VBE_KIND_COUNT] = {
    [IOREQD_VBE_VIRTIO_DISK] = "virtio_disk",
    [IOREQD_VBE_VIRTIO] = "virtio",
};

const char *ioreqd_vbe_kind_name(enum ioreqd_vbe_kind kind)
{
	return kind < IOREQD_VBE_KIND_COUNT ? kind_names[kind] : "?";
}

static int errf(char *err, size_t len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int errf(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int ioreqd_vbe_parse_id(const char *s, unsigned max, unsigned *out)
{
	uint64_t v = 0;

	if (!s || !*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* The next path component of @p s into @p buf; @return its length or -1. */
static int component(const char **s, char *buf, size_t len)
{
	const char *end = strchr(*s, '/');
	size_t n = end ? (size_t)(end - *s) : strlen(*s);

	if (n == 0 || n >= len)
		return -1;
	memcpy(buf, *s, n);
	buf[n] = '\0';
	*s += n;
	if (**s == '/')
		(*s)++;
	return (int)n;
}

int ioreqd_vbe_split_path(const char *root, const char *path, enum ioreqd_vbe_kind *kind,
                          long *domid, long *devid)
{
	size_t rl = strlen(root);
	char part[16];
	unsigned id;
	int k;

	*domid = *devid = -1;
	if (strncmp(path, root, rl) != 0 || path[rl] != '/')
		return -EINVAL;
	path += rl + 1;
	if (component(&path, part, sizeof(part)) < 0)
		return -EINVAL;
	for (k = 0; k < IOREQD_VBE_KIND_COUNT; k++)
		if (!strcmp(part, kind_names[k]))
			break;
	if (k == IOREQD_VBE_KIND_COUNT)
		return -EINVAL;
	*kind = (enum ioreqd_vbe_kind)k;
	if (!*path)
		return 0;
	if (component(&path, part, sizeof(part)) < 0 ||
	    ioreqd_vbe_parse_id(part, 0x7fef, &id) < 0)
		return -EINVAL;
	*domid = id;
	if (!*path)
		return 0;
	if (component(&path, part, sizeof(part)) < 0 ||
	    ioreqd_vbe_parse_id(part, UINT32_MAX >> 1, &id) < 0)
		return -EINVAL;
	*devid = id;
	return 0;
}

/* A whole unsigned number: decimal, or hex with 0x (4.18 writes %#PRIx64). */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/*
 * A path must survive being a configuration value: absolute, no control
 * characters, no blanks at either end (trimmed) and no blank before ';'
 * (a comment).
 */
static const char *bad_path(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/')
		return "not an absolute path";
	if (n >= IOREQD_VBE_PATH_MAX)
		return "too long";
	if (p[n - 1] == ' ' || p[n - 1] == '\t')
		return "ends with a blank";
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return "has a control character";
		if (p[i] == ';' && (p[i - 1] == ' ' || p[i - 1] == '\t'))
			return "has a blank before ';'";
	}
	return NULL;
}

/* The keys parse looks at, by index. */
enum {
	K_STATE,
	K_ONLINE,
	K_BASE,
	K_IRQ,
	K_PARAMS,
	K_MODE,
	K_TYPE,
	K_TRANSPORT,
	K_GRANT,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
    "state", "online", "base",      "irq",         "params",
    "mode",  "type",   "transport", "grant_usage",
};

int ioreqd_vbe_parse(enum ioreqd_vbe_kind kind, unsigned domid, unsigned devid,
                     const struct ioreqd_vbe_kv *kv, size_t n, struct ioreqd_vbe_dev *dev,
                     char *err, size_t errlen)
{
	const char *v[K_COUNT] = {0};
	const char *kn = ioreqd_vbe_kind_name(kind);
	uint64_t num;
	const char *why;
	int rc;

	memset(dev, 0, sizeof(*dev));
	if (err && errlen)
		err[0] = '\0';
	dev->kind = kind;
	dev->domid = domid;
	dev->devid = devid;
	dev->state = -1;
	dev->online = true;
	for (size_t i = 0; i < n; i++) {
		for (unsigned k = 0; k < K_COUNT; k++) {
			if (!kv[i].key || strcmp(kv[i].key, key_names[k]) != 0)
				continue;
			if (v[k])
				return errf(err, errlen, -EINVAL,
				            "domain %u %s device %u: key %s given twice",
				            domid, kn, devid, key_names[k]);
			v[k] = kv[i].value ? kv[i].value : "";
		}
	}
	/* State and online first: a device that is bad otherwise is still closed. */
	if (v[K_STATE] && parse_u64(v[K_STATE], &num) == 0 && num <= 7)
		dev->state = (int)num;
	if (v[K_ONLINE])
		dev->online = strcmp(v[K_ONLINE], "0") != 0;
	if (!v[K_STATE])
		return errf(err, errlen, -EAGAIN, "domain %u %s device %u: no state yet",
		            domid, kn, devid);
	if (dev->state < 0)
		return errf(err, errlen, -EINVAL,
		            "domain %u %s device %u: state '%.32s' is not a xenbus state",
		            domid, kn, devid, v[K_STATE]);
	for (unsigned k = K_BASE; k <= K_PARAMS; k++)
		if (!v[k])
			return errf(err, errlen, -EAGAIN,
			            "domain %u %s device %u: no %s key%s", domid, kn,
			            devid, key_names[k],
			            k == K_PARAMS && kind == IOREQD_VBE_VIRTIO
			                ? " (Xen 4.18+ virtio devices carry no target: "
			                  "write params = PATH next to them)"
			                : "");
	rc = parse_u64(v[K_BASE], &num);
	if (rc < 0)
		return errf(err, errlen, -EINVAL,
		            "domain %u %s device %u: base '%.32s' is not a number", domid,
		            kn, devid, v[K_BASE]);
	if (num == 0 || num % IOREQD_VBE_WINDOW || num > UINT64_MAX - IOREQD_VBE_WINDOW)
		return errf(
		    err, errlen, -EINVAL,
		    "domain %u %s device %u: base 0x%" PRIx64
		    " is not a non-zero multiple of 0x%x (the virtio-mmio window)",
		    domid, kn, devid, num, IOREQD_VBE_WINDOW);
	dev->base = num;
	rc = parse_u64(v[K_IRQ], &num);
	if (rc < 0 || num == 0 || num > IRQ_MAX)
		return errf(
		    err, errlen, -EINVAL,
		    "domain %u %s device %u: irq '%.32s' is not a number from 1 to %u",
		    domid, kn, devid, v[K_IRQ], IRQ_MAX);
	dev->irq = (unsigned)num;
	why = bad_path(v[K_PARAMS]);
	if (why)
		return errf(err, errlen, -EINVAL,
		            "domain %u %s device %u: params '%.64s' %s", domid, kn, devid,
		            v[K_PARAMS], why);
	snprintf(dev->path, sizeof(dev->path), "%s", v[K_PARAMS]);
	if (v[K_MODE] && strcmp(v[K_MODE], "w") && strcmp(v[K_MODE], "r"))
		return errf(err, errlen, -EINVAL,
		            "domain %u %s device %u: mode '%.16s' is neither r nor w",
		            domid, kn, devid, v[K_MODE]);
	dev->readonly = v[K_MODE] && !strcmp(v[K_MODE], "r");
	if (v[K_TRANSPORT] && strcmp(v[K_TRANSPORT], "mmio"))
		return errf(
		    err, errlen, -EINVAL,
		    "domain %u %s device %u: transport '%.16s': ioreqd serves mmio "
		    "here",
		    domid, kn, devid, v[K_TRANSPORT]);
	if (v[K_GRANT] && strcmp(v[K_GRANT], "0") && strcmp(v[K_GRANT], "1"))
		return errf(
		    err, errlen, -EINVAL,
		    "domain %u %s device %u: grant_usage '%.16s' is neither 0 nor 1",
		    domid, kn, devid, v[K_GRANT]);
	dev->grant_usage = v[K_GRANT] && !strcmp(v[K_GRANT], "1");
	if (kind == IOREQD_VBE_VIRTIO) {
		if (!v[K_TYPE])
			return errf(err, errlen, -EAGAIN,
			            "domain %u %s device %u: no type key", domid, kn,
			            devid);
		if (strcmp(v[K_TYPE], "virtio,device2") &&
		    strcmp(v[K_TYPE], "virtio,device"))
			return errf(err, errlen, -EINVAL,
			            "domain %u %s device %u: type '%.32s': ioreqd serves "
			            "virtio-blk (virtio,device2 or virtio,device) here",
			            domid, kn, devid, v[K_TYPE]);
	}
	return 0;
}

int ioreqd_vbe_check_set(const struct ioreqd_vbe_dev *devs, size_t n, size_t i, char *err,
                         size_t errlen)
{
	const struct ioreqd_vbe_dev *d = &devs[i];

	for (size_t j = 0; j < i && j < n; j++) {
		const struct ioreqd_vbe_dev *o = &devs[j];

		if (d->base < o->base + IOREQD_VBE_WINDOW &&
		    o->base < d->base + IOREQD_VBE_WINDOW)
			return errf(err, errlen, -EINVAL,
			            "domain %u %s device %u: window 0x%" PRIx64
			            " overlaps %s device %u's at 0x%" PRIx64,
			            d->domid, ioreqd_vbe_kind_name(d->kind), d->devid,
			            d->base, ioreqd_vbe_kind_name(o->kind), o->devid,
			            o->base);
		if (d->irq == o->irq)
			return errf(
			    err, errlen, -EINVAL,
			    "domain %u %s device %u: irq %u is %s device %u's too",
			    d->domid, ioreqd_vbe_kind_name(d->kind), d->devid, d->irq,
			    ioreqd_vbe_kind_name(o->kind), o->devid);
	}
	return 0;
}

struct ioreqd_vbe_step ioreqd_vbe_next(int state, bool online, bool valid, bool served)
{
	struct ioreqd_vbe_step s = {false, 0};

	if (state == IOREQD_XB_CLOSING ||
	    (!online && state >= IOREQD_XB_INITIALISING && state < IOREQD_XB_CLOSED)) {
		/* Closed only once nothing serves it any more. */
		s.write_state = served ? 0 : IOREQD_XB_CLOSED;
		return s;
	}
	if (state < IOREQD_XB_INITIALISING || state > IOREQD_XB_CONNECTED || !valid)
		return s;
	s.serve = true;
	if (served && state == IOREQD_XB_INITIALISING)
		s.write_state = IOREQD_XB_INITWAIT;
	return s;
}

void ioreqd_vbe_dev_name(const struct ioreqd_vbe_dev *dev, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%u", ioreqd_vbe_kind_name(dev->kind), dev->devid);
}

char *ioreqd_vbe_render(const struct ioreqd_vbe_dev *devs, size_t n, unsigned domid)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (!fp)
		return NULL;
	fprintf(fp,
	        "; Written by ioreqd --watch for domain %u from its xenstore backend\n"
	        "; entries; rewritten each time the domain's devices change.\n",
	        domid);
	for (size_t i = 0; i < n; i++) {
		const struct ioreqd_vbe_dev *d = &devs[i];
		char name[48];

		ioreqd_vbe_dev_name(d, name, sizeof(name));
		fprintf(fp,
		        "\n[device %s]\n"
		        "hook = virtio-blk\n"
		        "transport = mmio\n"
		        "mmio = 0x%" PRIx64 "+0x%x\n"
		        "irq = %u\n"
		        "irq_mode = edge\n"
		        "grant_usage = %d\n"
		        "path = %s\n"
		        "readonly = %s\n",
		        name, d->base, IOREQD_VBE_WINDOW, d->irq, d->grant_usage ? 1 : 0,
		        d->path, d->readonly ? "yes" : "no");
	}
	if (fclose(fp) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
