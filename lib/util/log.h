/* SPDX-License-Identifier: MIT */
/*
 * Logging, in the manner of the OpenBSD daemons: log_warn appends strerror,
 * log_warnx does not, fatal/fatalx exit.  Debug messages start with __func__
 * by convention; warnings, info and errors are plain sentences for the
 * operator, saying what went wrong and where (domain, vCPU, address, device,
 * file:line) and, when it can, what to do; errors (log_err, log_errx) carry
 * the function name separately, shown at -vv.  Output goes to
 * stderr, syslog, or a capture callback (tests). Anything a guest can trigger goes
 * through a struct ioreqd_ratelimit.
 */
#ifndef IOREQD_LOG_H
#define IOREQD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOREQD_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum ioreqd_log_dest {
	IOREQD_LOG_TO_STDERR = 0,
	IOREQD_LOG_TO_SYSLOG,
};

/*
 * Levels: 0 warnings, 1 info, 2 debug (same values as enum ioreqd_log_level).
 * Errors (LOG_LEVEL_ERR) are always shown, whatever the verbosity.
 */
#define LOG_LEVEL_ERR (-1)
#define LOG_LEVEL_WARN 0
#define LOG_LEVEL_INFO 1
#define LOG_LEVEL_DEBUG 2

/**
 * Configure logging.  @p ident names the program in syslog and in stderr
 * lines.  @p verbosity is the highest level printed (0 warn .. 2 debug).
 */
void ioreqd_log_init(const char *ident, enum ioreqd_log_dest dest, int verbosity);

/** @return the current verbosity. */
int ioreqd_log_verbosity(void);
void ioreqd_log_set_verbosity(int verbosity);

/**
 * Redirect every message to @p fn (tests use this to assert on messages).
 * NULL restores the configured destination.
 */
void ioreqd_log_set_sink(void (*fn)(int level, const char *msg, void *arg), void *arg);

/**
 * Also hand every message to @p fn, whatever the destination (the detaching
 * daemon uses it to send its start-up messages to the process that waits for
 * it).  NULL stops it.  @p fn must not log.
 */
void ioreqd_log_set_tee(void (*fn)(int level, const char *msg, void *arg), void *arg);

/**
 * Format @p msg as the stderr destination prints it ("ident: level: msg\n")
 * into @p buf (truncated to a whole line).  @return the length written.
 */
int ioreqd_log_format(char *buf, size_t len, int level, const char *msg);

/**
 * Emit a multi-line report (the statistics table) at info level, whatever the
 * verbosity: on stderr as it is, to syslog or the sink one message per line.
 */
void ioreqd_log_report(const char *text);

/** @return how many messages have been emitted since start (for tests). */
uint64_t ioreqd_log_count(void);

void ioreqd_vlog(int level, const char *fmt, va_list ap) IOREQD_PRINTF(2, 0);
void ioreqd_log(int level, const char *fmt, ...) IOREQD_PRINTF(2, 3);

void log_warn(const char *fmt, ...) IOREQD_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) IOREQD_PRINTF(1, 2);
void log_info(const char *fmt, ...) IOREQD_PRINTF(1, 2);
void log_debug(const char *fmt, ...) IOREQD_PRINTF(1, 2);
/**
 * An error the program stops for (start-up, a broken invariant), printed as
 * "IDENT: error: MESSAGE" with, when @p with_errno, ": strerror(errno)".  The
 * message is a plain sentence naming what failed and where (file:line,
 * device, domain) and, when it can, what to do; @p func (the caller's
 * __func__) is shown only above debug verbosity (ioreqd -vv).  Use
 * log_err/log_errx.
 */
void ioreqd_log_error(const char *func, bool with_errno, const char *fmt, ...)
    IOREQD_PRINTF(3, 4);
#define log_err(...) ioreqd_log_error(__func__, true, __VA_ARGS__)
#define log_errx(...) ioreqd_log_error(__func__, false, __VA_ARGS__)
/* log_err/log_errx, then exit(1). */
__attribute__((noreturn)) void fatal(const char *fmt, ...) IOREQD_PRINTF(1, 2);
__attribute__((noreturn)) void fatalx(const char *fmt, ...) IOREQD_PRINTF(1, 2);

/*
 * A token bucket: at most `burst` messages, refilled at `per_sec` messages a
 * second.  Suppressed messages are counted and reported with the next one
 * that gets through, so nothing is silently lost from the tally.
 */
struct ioreqd_ratelimit {
	uint64_t last_ns;    /* last refill time */
	uint32_t tokens;     /* messages that may still be emitted */
	uint32_t burst;      /* bucket size */
	uint32_t per_sec;    /* refill rate */
	uint64_t suppressed; /* dropped since the last emitted message */
};

#define IOREQD_RATELIMIT_INIT(burst_, per_sec_)                                          \
	{                                                                                \
		.last_ns = 0, .tokens = (burst_), .burst = (burst_),                     \
		.per_sec = (per_sec_), .suppressed = 0                                   \
	}

/**
 * @return true if a message may be emitted now.  When it returns true and
 * messages were suppressed before, *suppressed receives how many.
 */
bool ioreqd_ratelimit_allow(struct ioreqd_ratelimit *rl, uint64_t *suppressed);

/** Log through a rate limit; appends "(N similar suppressed)" when due. */
void ioreqd_log_rl(struct ioreqd_ratelimit *rl, int level, const char *fmt, ...)
    IOREQD_PRINTF(3, 4);
void ioreqd_vlog_rl(struct ioreqd_ratelimit *rl, int level, const char *fmt, va_list ap)
    IOREQD_PRINTF(3, 0);

/** Monotonic time in nanoseconds. */
uint64_t ioreqd_now_ns(void);

#endif /* IOREQD_LOG_H */
