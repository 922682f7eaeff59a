/* SPDX-License-Identifier: MIT */
/*
 * A byte consumer for the fuzz harnesses, in the manner of LLVM's
 * FuzzedDataProvider: the harness takes integers and blobs off the front of
 * the input, and once the input runs out every read returns zeros, so any
 * input (including the empty one) is a complete, valid script.  Keeping this
 * in one place means every harness decodes its input the same way and the
 * seed generator (mkseeds.sh) can write inputs by hand.
 *
 * FUZZ_CHECK is the harnesses' assertion: it must fire in every build (a
 * release build defines NDEBUG, which would silence assert()), and it aborts
 * so that libFuzzer records the input as a crash.
 */
#ifndef IOREQD_FUZZ_INPUT_H
#define IOREQD_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

static inline void fuzz_input_init(struct fuzz_input *in, const uint8_t *data,
                                   size_t size)
{
	in->p = data;
	in->left = size;
}

/* Copy up to @p len bytes into @p out; the rest of @p out is zeroed. */
static inline void fuzz_take(struct fuzz_input *in, void *out, size_t len)
{
	size_t n = len < in->left ? len : in->left;

	memset(out, 0, len);
	if (n)
		memcpy(out, in->p, n);
	in->p += n;
	in->left -= n;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	uint8_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint16_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_input *in)
{
	uint32_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_input *in)
{
	uint64_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline int fuzz_empty(const struct fuzz_input *in)
{
	return in->left == 0;
}

#define FUZZ_CHECK(cond)                                                                 \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,       \
			        __LINE__, #cond);                                        \
			abort();                                                         \
		}                                                                        \
	} while (0)

static inline void fuzz_log_discard(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

/*
 * Swallow the daemon's log: the harnesses feed it garbage on purpose, and the
 * rate-limited warnings would drown libFuzzer's own output.  FUZZ_VERBOSE=1
 * in the environment keeps them (for minimising a finding by hand).
 */
static inline void fuzz_quiet_logs(void)
{
	static int done;

	if (!done) {
		const char *v = getenv("FUZZ_VERBOSE");

		if (!v || strcmp(v, "1"))
			ioreqd_log_set_sink(fuzz_log_discard, NULL);
		done = 1;
	}
}

/* The entry point every harness defines (libFuzzer's name). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* IOREQD_FUZZ_INPUT_H */
