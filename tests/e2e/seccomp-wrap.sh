#!/bin/sh
# SPDX-License-Identifier: MIT
# IOREQD_WRAP for tests/e2e/seccomp.sh: run the daemon as the test asked, plus
# --seccomp=kill, so any system call missing from the allow-list ends the
# daemon with SIGSYS and fails the test that ran it.
exec "$@" --seccomp=kill
