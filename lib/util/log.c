/* SPDX-License-Identifier: MIT */
/*
 * Logging backend: stderr or syslog, a capture sink for tests, and a token
 * bucket rate limiter for everything a guest can make us say.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *log_ident = "ioreqd";
static enum ioreqd_log_dest log_dest = IOREQD_LOG_TO_STDERR;
static int log_verbose = LOG_LEVEL_INFO;
static void (*log_sink)(int, const char *, void *);
static void *log_sink_arg;
static void (*log_tee)(int, const char *, void *);
static void *log_tee_arg;
static uint64_t log_emitted;

void ioreqd_log_init(const char *ident, enum ioreqd_log_dest dest, int verbosity)
{
	log_ident = ident ? ident : "ioreqd";
	log_dest = dest;
	log_verbose = verbosity;
	if (dest == IOREQD_LOG_TO_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int ioreqd_log_verbosity(void)
{
	return log_verbose;
}

void ioreqd_log_set_verbosity(int verbosity)
{
	log_verbose = verbosity;
}

void ioreqd_log_set_sink(void (*fn)(int, const char *, void *), void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

void ioreqd_log_set_tee(void (*fn)(int, const char *, void *), void *arg)
{
	log_tee = fn;
	log_tee_arg = arg;
}

/* Indexed by level + 1: LOG_LEVEL_ERR is -1. */
static const char *const level_tag[] = {"error", "warning", "info", "debug"};

int ioreqd_log_format(char *buf, size_t len, int level, const char *msg)
{
	int lv = level < LOG_LEVEL_ERR ? LOG_LEVEL_ERR : level > 2 ? 2 : level;
	int n = snprintf(buf, len, "%s: %s: %s\n", log_ident, level_tag[lv + 1], msg);

	if (n < 0 || len < 2)
		return 0;
	if ((size_t)n >= len) {
		/* Truncated: still one whole line. */
		buf[len - 2] = '\n';
		return (int)len - 1;
	}
	return n;
}

void ioreqd_log_report(const char *text)
{
	const char *p = text;

	if (!log_sink && log_dest == IOREQD_LOG_TO_STDERR) {
		/* A table on a terminal or in a file: as it is, unprefixed. */
		log_emitted++;
		fputs(text, stderr);
		fflush(stderr);
		return;
	}
	/* syslog and the test sink take one message per line. */
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		log_emitted++;
		if (log_sink) {
			char line[1024];

			snprintf(line, sizeof(line), "%.*s", len, p);
			log_sink(LOG_LEVEL_INFO, line, log_sink_arg);
		} else {
			syslog(LOG_INFO, "%.*s", len, p);
		}
		p += len + (nl ? 1 : 0);
	}
}

uint64_t ioreqd_log_count(void)
{
	return log_emitted;
}

uint64_t ioreqd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * @p level is LOG_LEVEL_ERR (always shown, tagged "error"), or a verbosity
 * level 0..2.  The capture sink sees errors as warnings (level 0).
 */
static void emit(int level, const char *msg)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	int lv = level < LOG_LEVEL_ERR ? LOG_LEVEL_ERR : level > 2 ? 2 : level;

	log_emitted++;
	if (log_tee)
		log_tee(lv, msg, log_tee_arg);
	if (log_sink) {
		log_sink(lv < 0 ? 0 : lv, msg, log_sink_arg);
		return;
	}
	if (log_dest == IOREQD_LOG_TO_SYSLOG)
		syslog(prio[lv + 1], "%s", msg);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_tag[lv + 1], msg);
}

void ioreqd_vlog(int level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (level > log_verbose)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	emit(level, buf);
}

void ioreqd_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ioreqd_vlog(level, fmt, ap);
	va_end(ap);
}

/*
 * What log_warn, fatal and fatalx share: format the caller's message, then log
 * it as a warning after @p prefix and, with @p with_errno, followed by the
 * strerror of errno as it was on entry.  errno is restored so that log_warn
 * can sit between a failing call and code that still looks at errno.
 */
IOREQD_PRINTF(3, 0)
static void vwarn(const char *prefix, bool with_errno, const char *fmt, va_list ap)
{
	char buf[1024];
	int saved = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (with_errno)
		ioreqd_log(LOG_LEVEL_WARN, "%s%s: %s", prefix, buf, strerror(saved));
	else
		ioreqd_log(LOG_LEVEL_WARN, "%s%s", prefix, buf);
	errno = saved;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn("", true, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ioreqd_vlog(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ioreqd_vlog(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	ioreqd_vlog(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

/*
 * An error that ends the program (or the step it was asked to do): what an
 * operator reads.  The function it comes from is debugging detail, shown only
 * above debug verbosity (ioreqd -vv: the default shows info, -v debug).
 */
IOREQD_PRINTF(3, 0)
static void verror(const char *func, bool with_errno, const char *fmt, va_list ap)
{
	char buf[1024];
	int saved = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (func && log_verbose > LOG_LEVEL_DEBUG) {
		if (with_errno)
			ioreqd_log(LOG_LEVEL_ERR, "%s: %s: %s", func, buf,
			           strerror(saved));
		else
			ioreqd_log(LOG_LEVEL_ERR, "%s: %s", func, buf);
	} else if (with_errno) {
		ioreqd_log(LOG_LEVEL_ERR, "%s: %s", buf, strerror(saved));
	} else {
		ioreqd_log(LOG_LEVEL_ERR, "%s", buf);
	}
	errno = saved;
}

void ioreqd_log_error(const char *func, bool with_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(func, with_errno, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(NULL, true, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(NULL, false, fmt, ap);
	va_end(ap);
	exit(1);
}

bool ioreqd_ratelimit_allow(struct ioreqd_ratelimit *rl, uint64_t *suppressed)
{
	uint64_t now = ioreqd_now_ns();

	if (suppressed)
		*suppressed = 0;
	if (rl->last_ns == 0) {
		rl->last_ns = now;
	} else if (rl->per_sec && now > rl->last_ns) {
		uint64_t add = (now - rl->last_ns) * rl->per_sec / 1000000000ull;

		if (add) {
			uint64_t t = rl->tokens + add;

			rl->tokens = t > rl->burst ? rl->burst : (uint32_t)t;
			rl->last_ns = now;
		}
	}
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	if (suppressed)
		*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

void ioreqd_vlog_rl(struct ioreqd_ratelimit *rl, int level, const char *fmt, va_list ap)
{
	char buf[1024];
	uint64_t dropped;

	if (level > log_verbose)
		return;
	if (!ioreqd_ratelimit_allow(rl, &dropped))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (dropped)
		ioreqd_log(level, "%s (%llu similar suppressed)", buf,
		           (unsigned long long)dropped);
	else
		ioreqd_log(level, "%s", buf);
}

void ioreqd_log_rl(struct ioreqd_ratelimit *rl, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ioreqd_vlog_rl(rl, level, fmt, ap);
	va_end(ap);
}
