/* SPDX-License-Identifier: MIT */
/*
 * malformed: a test-only plugin for tests/e2e/hook-trust.sh that is not a
 * hook.  Its `ioreqd_hook` is a 4-byte object that starts like one (the ABI
 * number), so a loader that reads struct ioreqd_hook's fields from it runs
 * past its end.  Its constructor creates the file named by
 * IOREQD_TEST_CTOR_MARKER, so the test can tell whether ioreqd dlopen()ed it
 * at all.
 */
#include <ioreqd/hook.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

extern const unsigned ioreqd_hook __attribute__((visibility("default")));
const unsigned ioreqd_hook = IOREQD_HOOK_ABI;

__attribute__((constructor)) static void malformed_loaded(void)
{
	const char *marker = getenv("IOREQD_TEST_CTOR_MARKER");
	int fd;

	if (!marker)
		return;
	fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}
