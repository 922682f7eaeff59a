/* SPDX-License-Identifier: MIT */
/*
 * The little JSON the QMP responder needs (internal to lib/qmp.c): a reader
 * that validates a message and hands out spans of its values without
 * allocating, and a bounded output buffer with one string-escaping function.
 * Values are never converted to a tree, so an id can be echoed byte for byte.
 */
#ifndef IOREQD_QMP_JSON_H
#define IOREQD_QMP_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum ioreqd_json_type {
	IOREQD_JSON_OBJECT = 0,
	IOREQD_JSON_ARRAY,
	IOREQD_JSON_STRING,
	IOREQD_JSON_NUMBER,
	IOREQD_JSON_TRUE,
	IOREQD_JSON_FALSE,
	IOREQD_JSON_NULL,
};

/** A validated value: its type and its bytes in the parsed buffer. */
struct ioreqd_json {
	enum ioreqd_json_type type;
	const char *p;
	size_t len;
};

/** Walks the members of a validated object. */
struct ioreqd_json_iter {
	const char *s;
	size_t n;
	size_t pos;
};

/**
 * Validate @p n bytes as one JSON value (surrounding whitespace allowed),
 * nested at most @p max_depth deep.
 * @param why  receives a static reason on failure.
 * @return 0 or -EINVAL.
 */
int ioreqd_json_parse(const char *s, size_t n, unsigned max_depth,
                      struct ioreqd_json *out, const char **why);

void ioreqd_json_iter_init(struct ioreqd_json_iter *it, const struct ioreqd_json *obj);
/** @return false after the last member of the object. */
bool ioreqd_json_iter_next(struct ioreqd_json_iter *it, struct ioreqd_json *key,
                           struct ioreqd_json *val);

/** Find member @p name of @p obj (NULL or not an object: not found). */
bool ioreqd_json_member(const struct ioreqd_json *obj, const char *name,
                        struct ioreqd_json *val);

/**
 * Decode string @p v into @p out (UTF-8, NUL-terminated).
 * @return 0, -E2BIG when it does not fit, -EINVAL when it holds a NUL or is
 * not a string.
 */
int ioreqd_json_string(const struct ioreqd_json *v, char *out, size_t outlen);

/** An integer (no fraction or exponent) in [min, max]. @return 0 or -EINVAL/-ERANGE. */
int ioreqd_json_int(const struct ioreqd_json *v, long long min, long long max,
                    long long *out);

/** @return true for an array with no element. */
bool ioreqd_json_array_empty(const struct ioreqd_json *v);

/** An output queue holding at most @p max unsent bytes. */
struct ioreqd_json_out {
	char *p;
	size_t head, len, cap; /* unsent bytes are p[head, len) */
	size_t max;
	int err; /* -ENOBUFS (over max) or -ENOMEM once output is lost */
};

void ioreqd_json_out_raw(struct ioreqd_json_out *b, const char *d, size_t n);
void ioreqd_json_out_puts(struct ioreqd_json_out *b, const char *s);
void ioreqd_json_out_printf(struct ioreqd_json_out *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** @p s as a JSON string, escaped. */
void ioreqd_json_out_str(struct ioreqd_json_out *b, const char *s);
/** Echo a parsed value byte for byte, minus whitespace outside strings. */
void ioreqd_json_out_value(struct ioreqd_json_out *b, const struct ioreqd_json *v);
/** Drop @p n sent bytes. */
void ioreqd_json_out_consume(struct ioreqd_json_out *b, size_t n);
void ioreqd_json_out_dispose(struct ioreqd_json_out *b);

#endif /* IOREQD_QMP_JSON_H */
