/* SPDX-License-Identifier: MIT */
/*
 * The device-state stream (devstate.h): saving a device model's devices into
 * one buffer and loading it back, all or nothing.  Every field of a stream
 * read from a file is bounds-checked before use; the parse produces an index
 * of records that points into the caller's buffer, and nothing is loaded
 * before the whole stream has been checked against the configuration.
 */
#include "build-config.h"

#include "devstate.h"
#include "crc32.h"
#include "le.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ioreqd/state.h>

#define HDR_LEN 32u
#define TRAILER_LEN 4u
#define MAX_FILE (1u << 30)

/* One record of a parsed stream; pointers into the caller's buffer. */
struct record {
	const char *name;
	size_t name_len;
	const char *hook;
	size_t hook_len;
	uint32_t version;
	uint64_t fp;
	const uint8_t *blob;
	size_t blob_len;
	ioreqd_dev_t *dev; /* matched device */
};

struct stream {
	uint32_t nr;
	uint64_t fp;
	struct record *recs;
};

static void say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ull

/* The device's hook and configured ranges (not run-time ones: a BAR moves). */
static uint64_t dev_fingerprint(const struct ioreqd_cfg_dev *c)
{
	uint64_t h = fnv(FNV_INIT, c->hook, strlen(c->hook) + 1);

	for (unsigned i = 0; i < c->nr_ranges; i++) {
		uint8_t b[17];

		b[0] = (uint8_t)c->ranges[i].space;
		ioreqd_le_put(b + 1, c->ranges[i].base, 8);
		ioreqd_le_put(b + 9, c->ranges[i].last, 8);
		h = fnv(h, b, sizeof(b));
	}
	return h;
}

static uint64_t dm_fingerprint(struct ioreqd_dm *dm)
{
	uint64_t h = FNV_INIT;

	for (unsigned i = 0; i < ioreqd_dm_nr_devs(dm); i++) {
		const ioreqd_dev_t *dev = ioreqd_dm_dev(dm, i);
		uint8_t b[8];

		h = fnv(h, dev->cfg->name, strlen(dev->cfg->name) + 1);
		ioreqd_le_put(b, dev_fingerprint(dev->cfg), 8);
		h = fnv(h, b, sizeof(b));
	}
	return h;
}

static bool live(const ioreqd_dev_t *dev)
{
	return dev->initialised && !dev->disabled;
}

/* A growing output buffer; a failed append is remembered, not checked each time. */
struct out {
	uint8_t *buf;
	size_t len, cap;
	bool nomem;
};

static uint8_t *out_reserve(struct out *o, size_t n)
{
	if (o->nomem)
		return NULL;
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		uint8_t *b;

		while (cap < o->len + n)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (!b) {
			o->nomem = true;
			return NULL;
		}
		o->buf = b;
		o->cap = cap;
	}
	o->len += n;
	return o->buf + o->len - n;
}

static void out_le(struct out *o, uint64_t v, unsigned n)
{
	uint8_t *p = out_reserve(o, n);

	if (p)
		ioreqd_le_put(p, v, n);
}

static void out_bytes(struct out *o, const void *data, size_t n)
{
	uint8_t *p = out_reserve(o, n);

	if (p && n)
		memcpy(p, data, n);
}

/* Save one device's blob (empty for a hook without state). */
static int save_blob(ioreqd_dev_t *dev, ioreqd_state_t **out, char *err, size_t errlen)
{
	ioreqd_state_t *st = ioreqd_state_new();
	int rc = 0;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	if (dev->hook->save && (rc = dev->hook->save(dev->priv, st)) < 0) {
		say(err, errlen, "device %s: hook %s cannot save its state: %s",
		    dev->cfg->name, dev->hook->name, strerror(-rc));
		ioreqd_state_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

int ioreqd_devstate_save(struct ioreqd_dm *dm, uint8_t **out, size_t *len, char *err,
                         size_t errlen)
{
	struct out o = {0};
	uint32_t nr = 0;
	int rc = 0;

	*out = NULL;
	*len = 0;
	say(err, errlen, "%s", "");
	for (unsigned i = 0; i < ioreqd_dm_nr_devs(dm); i++)
		nr += live(ioreqd_dm_dev(dm, i));
	out_bytes(&o, IOREQD_DEVSTATE_MAGIC, 8);
	out_le(&o, IOREQD_DEVSTATE_VERSION, 4);
	out_le(&o, nr, 4);
	out_le(&o, dm_fingerprint(dm), 8);
	out_le(&o, 0, 8); /* the length, once known */
	for (unsigned i = 0; i < ioreqd_dm_nr_devs(dm); i++) {
		ioreqd_dev_t *dev = ioreqd_dm_dev(dm, i);
		size_t nlen = strlen(dev->cfg->name), hlen = strlen(dev->hook->name);
		ioreqd_state_t *st;
		const void *blob;
		size_t blen;

		if (!live(dev))
			continue;
		if ((rc = save_blob(dev, &st, err, errlen)) < 0)
			goto out;
		blob = ioreqd_state_data(st, &blen);
		out_le(&o, 2 + nlen + 2 + hlen + 4 + 8 + 4 + blen, 4);
		out_le(&o, nlen, 2);
		out_bytes(&o, dev->cfg->name, nlen);
		out_le(&o, hlen, 2);
		out_bytes(&o, dev->hook->name, hlen);
		out_le(&o, dev->hook->state_version, 4);
		out_le(&o, dev_fingerprint(dev->cfg), 8);
		out_le(&o, blen, 4);
		out_bytes(&o, blob, blen);
		ioreqd_state_free(st);
	}
	out_reserve(&o, TRAILER_LEN);
	if (o.nomem) {
		rc = -ENOMEM;
		say(err, errlen, "out of memory for the device state");
		goto out;
	}
	ioreqd_le_put(o.buf + 24, o.len, 8);
	ioreqd_le_put(o.buf + o.len - TRAILER_LEN,
	              ioreqd_crc32(o.buf, o.len - TRAILER_LEN), 4);
	*out = o.buf;
	*len = o.len;
	o.buf = NULL;
out:
	free(o.buf);
	return rc;
}

/* Framing, version and checksum; fills @p s with records pointing into @p buf. */
static int parse(const uint8_t *buf, size_t len, struct stream *s, char *err,
                 size_t errlen)
{
	uint32_t version;
	uint64_t total;
	size_t off = HDR_LEN, end;

	if (len < 8 || memcmp(buf, IOREQD_DEVSTATE_MAGIC, 8) != 0) {
		say(err, errlen, "not an ioreqd device-state stream (bad magic)");
		return -EBADMSG;
	}
	if (len < HDR_LEN + TRAILER_LEN) {
		say(err, errlen, "truncated: %zu bytes, shorter than a header", len);
		return -EBADMSG;
	}
	version = (uint32_t)ioreqd_le_get(buf + 8, 4);
	if (version != IOREQD_DEVSTATE_VERSION) {
		say(err, errlen,
		    "stream format version %" PRIu32
		    " is not this ioreqd's (%u): save it "
		    "again with the ioreqd that will load it",
		    version, IOREQD_DEVSTATE_VERSION);
		return -EPROTONOSUPPORT;
	}
	total = ioreqd_le_get(buf + 24, 8);
	if (total != len) {
		say(err, errlen, "%s: %zu bytes, the header says %" PRIu64,
		    total > len ? "truncated" : "corrupt (trailing bytes)", len, total);
		return -EBADMSG;
	}
	end = len - TRAILER_LEN;
	if (ioreqd_crc32(buf, end) != (uint32_t)ioreqd_le_get(buf + end, 4)) {
		say(err, errlen, "corrupt: checksum mismatch");
		return -EBADMSG;
	}
	s->nr = (uint32_t)ioreqd_le_get(buf + 12, 4);
	s->fp = ioreqd_le_get(buf + 16, 8);
	/* Each record takes at least its fixed fields: bound the count first. */
	if (s->nr > (end - HDR_LEN) / 24) {
		say(err, errlen, "corrupt: %" PRIu32 " records cannot fit", s->nr);
		return -EBADMSG;
	}
	s->recs = calloc(s->nr ? s->nr : 1, sizeof(*s->recs));
	if (!s->recs) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < s->nr; i++) {
		struct record *r = &s->recs[i];
		size_t rlen, p;

		if (end - off < 4 ||
		    (rlen = (size_t)ioreqd_le_get(buf + off, 4)) > end - off - 4)
			goto bad;
		p = off + 4;
		off = p + rlen;
		if (off - p < 2 ||
		    (r->name_len = (size_t)ioreqd_le_get(buf + p, 2)) > off - p - 2)
			goto bad;
		r->name = (const char *)buf + p + 2;
		p += 2 + r->name_len;
		if (off - p < 2 ||
		    (r->hook_len = (size_t)ioreqd_le_get(buf + p, 2)) > off - p - 2)
			goto bad;
		r->hook = (const char *)buf + p + 2;
		p += 2 + r->hook_len;
		if (off - p < 16)
			goto bad;
		r->version = (uint32_t)ioreqd_le_get(buf + p, 4);
		r->fp = ioreqd_le_get(buf + p + 4, 8);
		r->blob_len = (size_t)ioreqd_le_get(buf + p + 12, 4);
		p += 16;
		if (r->blob_len != off - p)
			goto bad;
		r->blob = buf + p;
		if (r->name_len == 0 || memchr(r->name, 0, r->name_len) ||
		    memchr(r->hook, 0, r->hook_len))
			goto bad;
		continue;
	bad:
		say(err, errlen, "corrupt: record %" PRIu32 " is malformed", i + 1);
		return -EBADMSG;
	}
	if (off != end) {
		say(err, errlen, "corrupt: %zu bytes after the last record", end - off);
		return -EBADMSG;
	}
	return 0;
}

static bool str_is(const char *s, size_t len, const char *z)
{
	return strlen(z) == len && memcmp(s, z, len) == 0;
}

/* Match records to devices and say the first difference. */
static int match(struct ioreqd_dm *dm, struct stream *s, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < s->nr; i++) {
		struct record *r = &s->recs[i];
		ioreqd_dev_t *dev = NULL;
		ioreqd_state_t *st;
		int rc;

		for (unsigned j = 0; j < ioreqd_dm_nr_devs(dm) && !dev; j++) {
			ioreqd_dev_t *d = ioreqd_dm_dev(dm, j);

			if (str_is(r->name, r->name_len, d->cfg->name))
				dev = d;
		}
		if (!dev) {
			say(err, errlen,
			    "device %.*s is in the saved state but not in the "
			    "configuration",
			    (int)r->name_len, r->name);
			return -ESRCH;
		}
		for (uint32_t k = 0; k < i; k++) {
			if (s->recs[k].dev == dev) {
				say(err, errlen, "corrupt: device %s is saved twice",
				    dev->cfg->name);
				return -EBADMSG;
			}
		}
		if (!str_is(r->hook, r->hook_len, dev->hook->name)) {
			say(err, errlen,
			    "device %s: saved with hook %.*s, configured with hook %s",
			    dev->cfg->name, (int)r->hook_len, r->hook, dev->hook->name);
			return -ESRCH;
		}
		if (!live(dev)) {
			say(err, errlen,
			    "device %s is saved but disabled here (its init failed)",
			    dev->cfg->name);
			return -ESRCH;
		}
		if (r->fp != dev_fingerprint(dev->cfg)) {
			say(err, errlen,
			    "device %s: its configured ranges differ from the saved "
			    "domain's",
			    dev->cfg->name);
			return -ESRCH;
		}
		if (r->version > dev->hook->state_version) {
			say(err, errlen,
			    "device %s: hook %s state version %" PRIu32
			    " is newer than this "
			    "hook's (%u): load it with the hook that saved it",
			    dev->cfg->name, dev->hook->name, r->version,
			    dev->hook->state_version);
			return -EPROTONOSUPPORT;
		}
		if (r->blob_len && !dev->hook->load) {
			say(err, errlen,
			    "device %s: hook %s keeps no state, the stream has %zu "
			    "bytes for it",
			    dev->cfg->name, dev->hook->name, r->blob_len);
			return -ESRCH;
		}
		rc = ioreqd_state_open(r->blob, r->blob_len, &st);
		if (rc < 0)
			say(err, errlen, "device %s: corrupt state: %s", dev->cfg->name,
			    st ? ioreqd_state_error(st) : strerror(-rc));
		ioreqd_state_free(st);
		if (rc < 0)
			return rc;
		r->dev = dev;
	}
	for (unsigned j = 0; j < ioreqd_dm_nr_devs(dm); j++) {
		ioreqd_dev_t *d = ioreqd_dm_dev(dm, j);
		bool found = false;

		for (uint32_t i = 0; i < s->nr && !found; i++)
			found = s->recs[i].dev == d;
		if (live(d) && !found) {
			say(err, errlen,
			    "device %s (hook %s) is configured but not in the saved "
			    "state",
			    d->cfg->name, d->hook->name);
			return -ESRCH;
		}
	}
	if (s->fp != dm_fingerprint(dm)) {
		/* Same live devices: a disabled or renamed-away one differs. */
		say(err, errlen,
		    "the configuration's device list differs from the saved "
		    "domain's (an optional device, or one's name or hook)");
		return -ESRCH;
	}
	return 0;
}

static int check(struct ioreqd_dm *dm, const uint8_t *buf, size_t len, struct stream *s,
                 char *err, size_t errlen)
{
	int rc;

	say(err, errlen, "%s", "");
	memset(s, 0, sizeof(*s));
	rc = parse(buf, len, s, err, errlen);
	if (rc == 0)
		rc = match(dm, s, err, errlen);
	return rc;
}

int ioreqd_devstate_check(struct ioreqd_dm *dm, const uint8_t *buf, size_t len, char *err,
                          size_t errlen)
{
	struct stream s;
	int rc = check(dm, buf, len, &s, err, errlen);

	free(s.recs);
	return rc;
}

/* Load one blob into a device.  @return 0 or the hook's error, said in @p err. */
static int load_blob(ioreqd_dev_t *dev, const void *blob, size_t len, unsigned version,
                     char *err, size_t errlen)
{
	ioreqd_state_t *st = NULL;
	int rc;

	if (!dev->hook->load)
		return 0; /* match() refused a blob for it */
	rc = ioreqd_state_open(blob, len, &st);
	if (rc == 0)
		rc = dev->hook->load(dev->priv, st, version);
	if (rc < 0)
		say(err, errlen, "device %s: hook %s refused its state: %s",
		    dev->cfg->name, dev->hook->name,
		    st && ioreqd_state_error(st)[0] ? ioreqd_state_error(st)
		                                    : strerror(-rc));
	ioreqd_state_free(st);
	return rc;
}

int ioreqd_devstate_load(struct ioreqd_dm *dm, const uint8_t *buf, size_t len, char *err,
                         size_t errlen)
{
	struct stream s;
	ioreqd_state_t **undo = NULL;
	uint32_t done = 0;
	int rc = check(dm, buf, len, &s, err, errlen);

	if (rc < 0)
		goto out;
	/* What each device holds now, to put back if a later hook refuses. */
	undo = calloc(s.nr ? s.nr : 1, sizeof(*undo));
	if (!undo) {
		rc = -ENOMEM;
		say(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < s.nr; i++)
		if ((rc = save_blob(s.recs[i].dev, &undo[i], err, errlen)) < 0)
			goto out;
	for (done = 0; done < s.nr; done++) {
		struct record *r = &s.recs[done];

		rc = load_blob(r->dev, r->blob, r->blob_len, r->version, err, errlen);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		char ignored[8];

		while (done-- > 0) {
			ioreqd_dev_t *dev = s.recs[done].dev;
			const void *blob;
			size_t blen;

			blob = ioreqd_state_data(undo[done], &blen);
			load_blob(dev, blob, blen, dev->hook->state_version, ignored,
			          sizeof(ignored));
		}
		if (strlen(err) + 32 < errlen)
			strcat(err, "; no device was changed");
	}
out:
	for (uint32_t i = 0; undo && i < s.nr; i++)
		ioreqd_state_free(undo[i]);
	free(undo);
	free(s.recs);
	return rc;
}

/* The rename must be on disk too, or a crash may bring back the old file. */
static int sync_dir(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (!slash)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir) {
		say(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)) {
		rc = -errno;
		say(err, errlen, "%s: %s", dir, strerror(-rc));
	}
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int ioreqd_devstate_write_fd(int fd, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

int ioreqd_devstate_write_file(const char *path, const uint8_t *buf, size_t len,
                               char *err, size_t errlen)
{
	char *tmp = NULL;
	int fd = -1, rc = 0;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		tmp = NULL;
		rc = -ENOMEM;
		say(err, errlen, "out of memory");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		say(err, errlen, "%s: %s", tmp, strerror(-rc));
		goto out;
	}
	if ((rc = ioreqd_devstate_write_fd(fd, buf, len)) < 0) {
		say(err, errlen, "%s: %s", tmp, strerror(-rc));
		goto out;
	}
	/* The data must be on disk before the name points at it. */
	if (fsync(fd) < 0 || close(fd) < 0) {
		rc = -errno;
		fd = -1;
		say(err, errlen, "%s: %s", tmp, strerror(-rc));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		say(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	rc = sync_dir(path, err, errlen);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}

int ioreqd_devstate_read_file(const char *path, uint8_t **out, size_t *len, char *err,
                              size_t errlen)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t off = 0;
	int fd, rc = 0;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		rc = -errno;
		say(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > MAX_FILE) {
		rc = -EFBIG;
		say(err, errlen, "%s: not a regular file of at most 1 GiB", path);
		goto out;
	}
	buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	if (!buf) {
		rc = -ENOMEM;
		say(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (off < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)sb.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			say(err, errlen, "%s: %s", path,
			    n < 0 ? strerror(-rc) : "shrank while read");
			goto out;
		}
		off += (size_t)n;
	}
	*out = buf;
	*len = off;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}
