/* SPDX-License-Identifier: MIT */
/*
 * What the QMP suites (check_qmp.c, the responder; check_qmp_server.c, the
 * server over sockets) share: the greeting and empty reply a client reads,
 * and daemon callbacks that count their calls in the global `calls` (each
 * test clears it) and fail as its *_rc fields say.
 */
#ifndef IOREQD_TESTS_QMP_FIXTURE_H
#define IOREQD_TESTS_QMP_FIXTURE_H

#include <stdbool.h>

#include "qmp.h"

#define GREETING                                                                         \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": "    \
	"7}, "                                                                           \
	"\"package\": \"ioreqd-test\"}, \"capabilities\": []}}\r\n"
#define OK(id) "{\"return\": {}, \"id\": " id "}\r\n"

struct calls {
	int stop, cont, quit, save, load, dirty_on, dirty_off;
	int stop_rc, save_rc, dirty_rc;
	bool live;
};

extern struct calls calls;
extern const struct ioreqd_qmp_callbacks callbacks;

#endif /* IOREQD_TESTS_QMP_FIXTURE_H */
