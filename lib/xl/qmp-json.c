/* SPDX-License-Identifier: MIT */
/*
 * The QMP responder's JSON (see qmp-json.h).  The reader is a recursive
 * descent validator over one framed message; it records where each value
 * starts and ends instead of building a tree, is bounded in depth by the
 * caller, and allocates nothing.  Strings are decoded only when asked (to
 * UTF-8, surrogate pairs joined, a NUL refused).  The writer escapes every
 * string it emits and refuses to queue more than its limit.
 */
#include "qmp-json.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jparse {
	const char *s;
	size_t n;
	size_t pos;
	unsigned max_depth;
	const char *why; /* set on failure */
};

static void j_ws(struct jparse *j)
{
	while (j->pos < j->n && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' ||
	                         j->s[j->pos] == '\n' || j->s[j->pos] == '\r'))
		j->pos++;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int j_string(struct jparse *j)
{
	j->pos++; /* the opening quote */
	while (j->pos < j->n) {
		unsigned char c = (unsigned char)j->s[j->pos++];

		if (c == '"')
			return 0;
		if (c < 0x20) {
			j->why = "control character in string";
			return -1;
		}
		if (c != '\\')
			continue;
		if (j->pos >= j->n)
			break;
		switch (j->s[j->pos++]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			break;
		case 'u':
			for (int k = 0; k < 4; k++, j->pos++) {
				if (j->pos >= j->n || !is_hex(j->s[j->pos])) {
					j->why = "bad \\u escape";
					return -1;
				}
			}
			break;
		default:
			j->why = "bad escape in string";
			return -1;
		}
	}
	j->why = "unterminated string";
	return -1;
}

static size_t j_digits(struct jparse *j)
{
	size_t start = j->pos;

	while (j->pos < j->n && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
		j->pos++;
	return j->pos - start;
}

static int j_number(struct jparse *j)
{
	if (j->s[j->pos] == '-')
		j->pos++;
	if (j->pos < j->n && j->s[j->pos] == '0')
		j->pos++;
	else if (j_digits(j) == 0)
		goto bad;
	if (j->pos < j->n && j->s[j->pos] == '.') {
		j->pos++;
		if (j_digits(j) == 0)
			goto bad;
	}
	if (j->pos < j->n && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
		j->pos++;
		if (j->pos < j->n && (j->s[j->pos] == '+' || j->s[j->pos] == '-'))
			j->pos++;
		if (j_digits(j) == 0)
			goto bad;
	}
	return 0;
bad:
	j->why = "bad number";
	return -1;
}

static int j_literal(struct jparse *j, const char *word)
{
	size_t n = strlen(word);

	if (j->n - j->pos < n || memcmp(j->s + j->pos, word, n)) {
		j->why = "invalid literal";
		return -1;
	}
	j->pos += n;
	return 0;
}

static int j_value(struct jparse *j, unsigned depth, struct ioreqd_json *out);

/* An object or array body, after its opening bracket. */
static int j_container(struct jparse *j, unsigned depth, bool object)
{
	char close = object ? '}' : ']';

	j->pos++;
	j_ws(j);
	if (j->pos < j->n && j->s[j->pos] == close) {
		j->pos++;
		return 0;
	}
	for (;;) {
		j_ws(j);
		if (object) {
			if (j->pos >= j->n || j->s[j->pos] != '"') {
				j->why = "expected a string key";
				return -1;
			}
			if (j_string(j) < 0)
				return -1;
			j_ws(j);
			if (j->pos >= j->n || j->s[j->pos] != ':') {
				j->why = "expected ':'";
				return -1;
			}
			j->pos++;
		}
		if (j_value(j, depth + 1, NULL) < 0)
			return -1;
		j_ws(j);
		if (j->pos < j->n && j->s[j->pos] == ',') {
			j->pos++;
			continue;
		}
		if (j->pos < j->n && j->s[j->pos] == close) {
			j->pos++;
			return 0;
		}
		j->why = object ? "expected ',' or '}'" : "expected ',' or ']'";
		return -1;
	}
}

static int j_value(struct jparse *j, unsigned depth, struct ioreqd_json *out)
{
	struct ioreqd_json v;
	int rc;

	j_ws(j);
	if (j->pos >= j->n) {
		j->why = "unexpected end of input";
		return -1;
	}
	v.p = j->s + j->pos;
	switch (j->s[j->pos]) {
	case '{':
	case '[':
		if (depth >= j->max_depth) {
			j->why = "nesting too deep";
			return -1;
		}
		v.type = j->s[j->pos] == '{' ? IOREQD_JSON_OBJECT : IOREQD_JSON_ARRAY;
		rc = j_container(j, depth, v.type == IOREQD_JSON_OBJECT);
		break;
	case '"':
		v.type = IOREQD_JSON_STRING;
		rc = j_string(j);
		break;
	case 't':
		v.type = IOREQD_JSON_TRUE;
		rc = j_literal(j, "true");
		break;
	case 'f':
		v.type = IOREQD_JSON_FALSE;
		rc = j_literal(j, "false");
		break;
	case 'n':
		v.type = IOREQD_JSON_NULL;
		rc = j_literal(j, "null");
		break;
	default:
		if (j->s[j->pos] != '-' && (j->s[j->pos] < '0' || j->s[j->pos] > '9')) {
			j->why = "invalid character";
			return -1;
		}
		v.type = IOREQD_JSON_NUMBER;
		rc = j_number(j);
		break;
	}
	if (rc < 0)
		return rc;
	v.len = (size_t)(j->s + j->pos - v.p);
	if (out)
		*out = v;
	return 0;
}

static unsigned hex4(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

int ioreqd_json_string(const struct ioreqd_json *v, char *out, size_t outlen)
{
	const char *s = v->p + 1, *e = v->p + v->len - 1;
	size_t o = 0;

	if (v->type != IOREQD_JSON_STRING || outlen == 0)
		return -EINVAL;

	while (s < e) {
		uint32_t cp;
		char u[4];
		size_t n;

		if (*s != '\\') {
			if (o + 1 >= outlen)
				return -E2BIG;
			out[o++] = *s++;
			continue;
		}
		s++;
		switch (*s++) {
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			cp = hex4(s);
			s += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && e - s >= 6 && s[0] == '\\' &&
			    s[1] == 'u' && hex4(s + 2) >= 0xdc00 &&
			    hex4(s + 2) < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (hex4(s + 2) - 0xdc00);
				s += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd; /* a lone surrogate */
			}
			break;
		default:
			cp = (unsigned char)s[-1];
			break; /* " \ / */
		}
		if (cp == 0)
			return -EINVAL;
		if (cp < 0x80) {
			u[0] = (char)cp;
			n = 1;
		} else if (cp < 0x800) {
			u[0] = (char)(0xc0 | (cp >> 6));
			u[1] = (char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			u[0] = (char)(0xe0 | (cp >> 12));
			u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			u[2] = (char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			u[0] = (char)(0xf0 | (cp >> 18));
			u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
			u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
			u[3] = (char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if (o + n >= outlen)
			return -E2BIG;
		memcpy(out + o, u, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

void ioreqd_json_iter_init(struct ioreqd_json_iter *it, const struct ioreqd_json *obj)
{
	it->s = obj->p;
	it->n = obj->type == IOREQD_JSON_OBJECT ? obj->len : 0;
	it->pos = 0;
}

bool ioreqd_json_iter_next(struct ioreqd_json_iter *it, struct ioreqd_json *key,
                           struct ioreqd_json *val)
{
	/* The object was validated: only the depth limit could fail here. */
	struct jparse j = {it->s, it->n, it->pos, UINT_MAX, NULL};
	bool ok = false;

	j_ws(&j);
	if (j.pos < j.n && (j.s[j.pos] == '{' || j.s[j.pos] == ','))
		j.pos++;
	j_ws(&j);
	if (j.pos < j.n && j.s[j.pos] != '}' && j_value(&j, 0, key) == 0) {
		j_ws(&j);
		j.pos++; /* ':' */
		ok = j_value(&j, 0, val) == 0;
	}
	it->pos = ok ? j.pos : it->n;
	return ok;
}

bool ioreqd_json_member(const struct ioreqd_json *obj, const char *name,
                        struct ioreqd_json *val)
{
	struct ioreqd_json_iter it;
	struct ioreqd_json k;
	char buf[128];

	if (!obj || obj->type != IOREQD_JSON_OBJECT)
		return false;
	ioreqd_json_iter_init(&it, obj);
	while (ioreqd_json_iter_next(&it, &k, val))
		if (ioreqd_json_string(&k, buf, sizeof(buf)) == 0 && !strcmp(buf, name))
			return true;
	return false;
}

bool ioreqd_json_array_empty(const struct ioreqd_json *v)
{
	struct jparse j = {v->p, v->len, 1, 0, NULL};

	if (v->type != IOREQD_JSON_ARRAY)
		return false;
	j_ws(&j);
	return j.pos < j.n && j.s[j.pos] == ']';
}

int ioreqd_json_parse(const char *s, size_t n, unsigned max_depth,
                      struct ioreqd_json *out, const char **why)
{
	struct jparse j = {s, n, 0, max_depth, NULL};

	if (j_value(&j, 0, out) == 0) {
		j_ws(&j);
		if (j.pos == j.n)
			return 0;
		j.why = "trailing characters";
	}
	*why = j.why;
	return -EINVAL;
}

int ioreqd_json_int(const struct ioreqd_json *v, long long min, long long max,
                    long long *out)
{
	char buf[24];
	char *end;
	long long x;

	if (v->type != IOREQD_JSON_NUMBER || v->len >= sizeof(buf) ||
	    memchr(v->p, '.', v->len) || memchr(v->p, 'e', v->len) ||
	    memchr(v->p, 'E', v->len))
		return -EINVAL;
	memcpy(buf, v->p, v->len);
	buf[v->len] = '\0';
	errno = 0;
	x = strtoll(buf, &end, 10);
	if (errno || *end || x < min || x > max)
		return -ERANGE;
	*out = x;
	return 0;
}

/* ---- output ---- */

void ioreqd_json_out_raw(struct ioreqd_json_out *b, const char *d, size_t n)
{
	if (b->err)
		return;
	if (b->len - b->head + n > b->max) {
		b->err = -ENOBUFS;
		return;
	}
	if (b->len + n > b->cap && b->head) {
		memmove(b->p, b->p + b->head, b->len - b->head);
		b->len -= b->head;
		b->head = 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *np;

		while (cap < b->len + n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

void ioreqd_json_out_puts(struct ioreqd_json_out *b, const char *s)
{
	ioreqd_json_out_raw(b, s, strlen(s));
}

void ioreqd_json_out_printf(struct ioreqd_json_out *b, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ioreqd_json_out_raw(b, buf,
	                    (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void ioreqd_json_out_str(struct ioreqd_json_out *b, const char *s)
{
	ioreqd_json_out_raw(b, "\"", 1);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};

			ioreqd_json_out_raw(b, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			ioreqd_json_out_printf(b, "\\u%04x", c);
		} else {
			ioreqd_json_out_raw(b, s, 1);
		}
	}
	ioreqd_json_out_raw(b, "\"", 1);
}

/*
 * Echo a client's JSON value byte for byte, minus whitespace outside strings:
 * a newline inside an echoed id would split our reply for a line-based client.
 */
void ioreqd_json_out_value(struct ioreqd_json_out *b, const struct ioreqd_json *v)
{
	bool in_str = false, esc = false;

	for (size_t i = 0; i < v->len; i++) {
		char c = v->p[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		}
		ioreqd_json_out_raw(b, &c, 1);
	}
}

void ioreqd_json_out_consume(struct ioreqd_json_out *b, size_t n)
{
	size_t avail = b->len - b->head;

	b->head += n < avail ? n : avail;
	if (b->head == b->len)
		b->head = b->len = 0;
}

void ioreqd_json_out_dispose(struct ioreqd_json_out *b)
{
	free(b->p);
	b->p = NULL;
	b->head = b->len = b->cap = 0;
}
