/* SPDX-License-Identifier: MIT */
/*
 * Device state blobs (ioreqd/state.h): tag-length-value fields a hook writes
 * in save and reads back in load.  Part of the hook SDK, so plugins resolve
 * no daemon symbol.  A blob opened for reading is checked once, field by
 * field, before any get: afterwards a get is a lookup in that index, and a
 * hostile stream can only make a get answer -ENOENT or -EBADMSG.
 */
#include <ioreqd/state.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"

#define FIELD_HDR 6u /* tag u16, length u32 */

struct state_field {
	uint16_t tag;
	size_t off; /* of the value */
	size_t len;
};

struct ioreqd_state {
	bool reading;
	uint8_t *buf; /* writing: owned; reading: the caller's */
	size_t len, cap;
	struct state_field *fields;
	unsigned nr_fields, cap_fields;
	char err[160];
};

static struct state_field *find(ioreqd_state_t *st, uint16_t tag)
{
	for (unsigned i = 0; i < st->nr_fields; i++)
		if (st->fields[i].tag == tag)
			return &st->fields[i];
	return NULL;
}

static int add_field(ioreqd_state_t *st, uint16_t tag, size_t off, size_t len)
{
	if (st->nr_fields == st->cap_fields) {
		unsigned cap = st->cap_fields ? 2 * st->cap_fields : 16;
		struct state_field *f = realloc(st->fields, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		st->fields = f;
		st->cap_fields = cap;
	}
	st->fields[st->nr_fields++] = (struct state_field){tag, off, len};
	return 0;
}

void ioreqd_state_fail(ioreqd_state_t *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

int ioreqd_state_put(ioreqd_state_t *st, uint16_t tag, const void *data, size_t len)
{
	size_t need;
	int rc;

	if (st->reading)
		return -EINVAL;
	if (find(st, tag))
		return -EEXIST;
	if (len > IOREQD_STATE_MAX_LEN ||
	    st->len + FIELD_HDR + len > IOREQD_STATE_MAX_LEN)
		return -EFBIG;
	need = st->len + FIELD_HDR + len;
	if (need > st->cap) {
		size_t cap = st->cap ? st->cap : 256;
		uint8_t *b;

		while (cap < need)
			cap *= 2;
		b = realloc(st->buf, cap);
		if (!b)
			return -ENOMEM;
		st->buf = b;
		st->cap = cap;
	}
	if ((rc = add_field(st, tag, st->len + FIELD_HDR, len)) < 0)
		return rc;
	ioreqd_le_put(st->buf + st->len, tag, 2);
	ioreqd_le_put(st->buf + st->len + 2, len, 4);
	if (len)
		memcpy(st->buf + st->len + FIELD_HDR, data, len);
	st->len = need;
	return 0;
}

int ioreqd_state_put_u32(ioreqd_state_t *st, uint16_t tag, uint32_t v)
{
	uint8_t b[4];

	ioreqd_le_put(b, v, 4);
	return ioreqd_state_put(st, tag, b, sizeof(b));
}

int ioreqd_state_put_u64(ioreqd_state_t *st, uint16_t tag, uint64_t v)
{
	uint8_t b[8];

	ioreqd_le_put(b, v, 8);
	return ioreqd_state_put(st, tag, b, sizeof(b));
}

int ioreqd_state_get(ioreqd_state_t *st, uint16_t tag, void *buf, size_t len)
{
	struct state_field *f = find(st, tag);

	if (!f) {
		ioreqd_state_fail(st, "field %u is missing", tag);
		return -ENOENT;
	}
	if (f->len != len) {
		ioreqd_state_fail(st, "field %u is %zu bytes, expected %zu", tag, f->len,
		                  len);
		return -EBADMSG;
	}
	if (len)
		memcpy(buf, st->buf + f->off, len);
	return 0;
}

int ioreqd_state_get_u32(ioreqd_state_t *st, uint16_t tag, uint32_t *v)
{
	uint8_t b[4];
	int rc = ioreqd_state_get(st, tag, b, sizeof(b));

	*v = rc < 0 ? 0 : (uint32_t)ioreqd_le_get(b, 4);
	return rc;
}

int ioreqd_state_get_u64(ioreqd_state_t *st, uint16_t tag, uint64_t *v)
{
	uint8_t b[8];
	int rc = ioreqd_state_get(st, tag, b, sizeof(b));

	*v = rc < 0 ? 0 : ioreqd_le_get(b, 8);
	return rc;
}

long ioreqd_state_len(ioreqd_state_t *st, uint16_t tag)
{
	struct state_field *f = find(st, tag);

	return f ? (long)f->len : -ENOENT;
}

ioreqd_state_t *ioreqd_state_new(void)
{
	return calloc(1, sizeof(struct ioreqd_state));
}

int ioreqd_state_open(const void *blob, size_t len, ioreqd_state_t **out)
{
	ioreqd_state_t *st = calloc(1, sizeof(*st));
	const uint8_t *p = blob;
	size_t off = 0;
	int rc = 0;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	st->reading = true;
	st->buf = (uint8_t *)blob;
	st->len = len;
	while (off < len) {
		uint16_t tag;
		uint64_t flen;

		if (len - off < FIELD_HDR) {
			ioreqd_state_fail(st, "truncated field header at byte %zu", off);
			rc = -EBADMSG;
			break;
		}
		tag = (uint16_t)ioreqd_le_get(p + off, 2);
		flen = ioreqd_le_get(p + off + 2, 4);
		if (flen > len - off - FIELD_HDR) {
			ioreqd_state_fail(st, "field %u at byte %zu runs past the end",
			                  tag, off);
			rc = -EBADMSG;
			break;
		}
		if (find(st, tag)) {
			ioreqd_state_fail(st, "field %u appears twice", tag);
			rc = -EBADMSG;
			break;
		}
		if ((rc = add_field(st, tag, off + FIELD_HDR, (size_t)flen)) < 0)
			break;
		off += FIELD_HDR + (size_t)flen;
	}
	*out = st; /* even on error: the caller reads the message, then frees */
	return rc;
}

const void *ioreqd_state_data(const ioreqd_state_t *st, size_t *len)
{
	*len = st->len;
	return st->buf;
}

const char *ioreqd_state_error(const ioreqd_state_t *st)
{
	return st->err;
}

void ioreqd_state_free(ioreqd_state_t *st)
{
	if (!st)
		return;
	if (!st->reading)
		free(st->buf);
	free(st->fields);
	free(st);
}
