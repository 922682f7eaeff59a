/* SPDX-License-Identifier: MIT */
/*
 * What the configuration parser (config.c) and its value parsers
 * (config-value.c) share: what a blank is, and trimming blanks from a span
 * of a line.  Private to lib/util.
 */
#ifndef IOREQD_CONFIG_INTERNAL_H
#define IOREQD_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim blanks from both ends of s[0..*n); @return the new start. */
static inline const char *trim(const char *s, size_t *n)
{
	while (*n && is_blank(*s)) {
		s++;
		(*n)--;
	}
	while (*n && is_blank(s[*n - 1]))
		(*n)--;
	return s;
}

#endif /* IOREQD_CONFIG_INTERNAL_H */
