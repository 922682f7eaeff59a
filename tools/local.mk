# SPDX-License-Identifier: MIT
# tools/: programs around the daemon that need no Xen.
# ioreqd-replay runs an access trace through a config's built-in hooks.
bin_PROGRAMS += tools/ioreqd-replay
tools_ioreqd_replay_SOURCES = tools/replay.c tools/replay-host.c tools/replay.h
tools_ioreqd_replay_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/hooks -I$(top_srcdir)/tools
tools_ioreqd_replay_LDADD = hooks/libioreqd-builtin-hooks.la lib/libioreqd.la
