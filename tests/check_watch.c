/* SPDX-License-Identifier: MIT */
/*
 * Tests for daemon/watch.c, the dom0 watcher behind ioreqd --watch: an
 * in-memory xenstore (with watches on a pipe, as libxenstore's fd) plays
 * libxl, and tests/watch-child.sh plays each domain's ioreqd as a real
 * process (serving, failing before it serves, or crashing).  Every test
 * waits for what it expects on the event loop, with a deadline.
 */
#include "build-config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "watch.h"

#define MAX_NODES 512
#define MAX_QUEUED 1024
#define DEADLINE_MS 10000

/* ---- the in-memory xenstore ---- */

static struct {
	char *path[MAX_NODES];
	char *value[MAX_NODES];
	unsigned n;
	char *watched[8];
	unsigned nwatched;
	int pipe[2];
	char *queue[MAX_QUEUED];
	unsigned qhead, qtail;
	bool dead[64];   /* domains destroyed */
	unsigned writes; /* by the watcher */
	bool quiet;      /* the test writes several keys as one transaction */
} xs;

static int node(const char *path)
{
	for (unsigned i = 0; i < xs.n; i++)
		if (xs.path[i] && !strcmp(xs.path[i], path))
			return (int)i;
	return -1;
}

static void fire(const char *path)
{
	for (unsigned i = 0; i < xs.nwatched; i++) {
		size_t l = strlen(xs.watched[i]);

		if (strncmp(path, xs.watched[i], l) || (path[l] && path[l] != '/'))
			continue;
		if (xs.qtail - xs.qhead >= MAX_QUEUED)
			return;
		xs.queue[xs.qtail++ % MAX_QUEUED] = strdup(path);
		ck_assert_int_eq(write(xs.pipe[1], "w", 1), 1);
		return;
	}
}

static void set(const char *path, const char *value)
{
	int i = node(path);

	if (i < 0) {
		ck_assert_uint_lt(xs.n, MAX_NODES);
		i = (int)xs.n++;
		xs.path[i] = strdup(path);
	} else {
		free(xs.value[i]);
	}
	xs.value[i] = strdup(value);
	if (!xs.quiet)
		fire(path);
}

static const char *get(const char *path)
{
	int i = node(path);

	return i < 0 ? NULL : xs.value[i];
}

static void rm_tree(const char *path)
{
	size_t l = strlen(path);

	for (unsigned i = 0; i < xs.n; i++)
		if (xs.path[i] && !strncmp(xs.path[i], path, l) &&
		    (xs.path[i][l] == '\0' || xs.path[i][l] == '/')) {
			free(xs.path[i]);
			free(xs.value[i]);
			xs.path[i] = xs.value[i] = NULL;
		}
	fire(path);
}

static void *f_open(void)
{
	ck_assert_int_eq(pipe2(xs.pipe, O_NONBLOCK | O_CLOEXEC), 0);
	return &xs;
}

static void f_close(void *h)
{
	(void)h;
	close(xs.pipe[0]);
	close(xs.pipe[1]);
}

static char *f_read(void *h, const char *path)
{
	const char *v = get(path);

	(void)h;
	if (!v) {
		errno = ENOENT;
		return NULL;
	}
	return strdup(v);
}

static int f_write(void *h, const char *path, const char *value)
{
	(void)h;
	xs.writes++;
	set(path, value);
	return 0;
}

/* The children of @p path, in one allocation as xs_directory returns them. */
static char **f_directory(void *h, const char *path, unsigned *num)
{
	size_t l = strlen(path), total = 0;
	const char *names[MAX_NODES];
	size_t lens[MAX_NODES];
	unsigned n = 0;
	char **out, *p;

	(void)h;
	for (unsigned i = 0; i < xs.n; i++) {
		const char *s = xs.path[i], *end;
		size_t nl;
		bool dup = false;

		if (!s || strncmp(s, path, l) || s[l] != '/')
			continue;
		s += l + 1;
		end = strchr(s, '/');
		nl = end ? (size_t)(end - s) : strlen(s);
		for (unsigned j = 0; j < n; j++)
			dup |= lens[j] == nl && !strncmp(names[j], s, nl);
		if (dup)
			continue;
		names[n] = s;
		lens[n++] = nl;
		total += nl + 1;
	}
	if (n == 0 && node(path) < 0) {
		errno = ENOENT;
		return NULL;
	}
	out = malloc(n * sizeof(char *) + total + 1);
	p = (char *)(out + n);
	for (unsigned j = 0; j < n; j++) {
		memcpy(p, names[j], lens[j]);
		p[lens[j]] = '\0';
		out[j] = p;
		p += lens[j] + 1;
	}
	*num = n;
	return out;
}

static int f_watch(void *h, const char *path, const char *token)
{
	(void)h;
	(void)token;
	xs.watched[xs.nwatched++] = strdup(path);
	fire(path); /* xenstored fires every new watch once */
	return 0;
}

static int f_fileno(void *h)
{
	(void)h;
	return xs.pipe[0];
}

static int f_check_watch(void *h, char *path, size_t len)
{
	char c;

	(void)h;
	if (xs.qhead == xs.qtail)
		return 0;
	(void)!read(xs.pipe[0], &c, 1);
	snprintf(path, len, "%s", xs.queue[xs.qhead % MAX_QUEUED]);
	free(xs.queue[xs.qhead++ % MAX_QUEUED]);
	return 1;
}

static bool f_domain_alive(void *h, unsigned domid)
{
	(void)h;
	return domid >= 64 || !xs.dead[domid];
}

static const struct ioreqd_watch_xs_ops fake_ops = {
    .open = f_open,
    .close = f_close,
    .read = f_read,
    .write = f_write,
    .directory = f_directory,
    .watch = f_watch,
    .fileno = f_fileno,
    .check_watch = f_check_watch,
    .domain_alive = f_domain_alive,
};

/* ---- the fixture ---- */

static char dir[] = "/tmp/check_watch.XXXXXX";
static char confdir[64], target[96];
static struct event_base *base;
static struct ioreqd_watch *w;
static char logbuf[16384];

static void tee_cb(int level, const char *msg, void *arg)
{
	size_t l = strlen(logbuf);

	(void)arg;
	snprintf(logbuf + l, sizeof(logbuf) - l, "%d %s\n", level, msg);
}

/* @return how many logged lines at @p level or more urgent contain @p s. */
static unsigned logged(int level, const char *s)
{
	unsigned n = 0;

	for (const char *p = logbuf; *p;) {
		const char *nl = strchr(p, '\n');
		char line[1024];
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (atoi(line) <= level && strstr(line, s))
			n++;
		p += len + (nl ? 1 : 0);
	}
	return n;
}

static void start_watch(void)
{
	static const char *const args[] = {"--log=stderr", NULL};
	struct ioreqd_watch_params p = {
	    .ops = &fake_ops,
	    .exe = SRCDIR "/tests/watch-child.sh",
	    .child_args = args,
	    .rundir = dir,
	    .confdir = confdir,
	    .incomplete_ms = 200,
	    .stop_ms = 5000,
	};

	w = ioreqd_watch_new(base, &p);
	ck_assert_ptr_nonnull(w);
}

static void setup(void)
{
	FILE *fp;

	memset(&xs, 0, sizeof(xs));
	memset(logbuf, 0, sizeof(logbuf));
	strcpy(dir, "/tmp/check_watch.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(confdir, sizeof(confdir), "%s/etc", dir);
	ck_assert_int_eq(mkdir(confdir, 0700), 0);
	snprintf(target, sizeof(target), "%s/disk.img", dir);
	fp = fopen(target, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	setenv("WATCH_CHILD_DIR", dir, 1);
	ioreqd_log_init("check_watch", IOREQD_LOG_TO_STDERR, LOG_LEVEL_DEBUG);
	ioreqd_log_set_tee(tee_cb, NULL);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
}

static void stopped_cb(void *arg)
{
	*(bool *)arg = true;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Run the loop until @p cond holds; fail after DEADLINE_MS. */
#define RUN_UNTIL(cond)                                                                  \
	do {                                                                             \
		struct event *tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);     \
		struct timeval tv = {0, 20000};                                          \
		unsigned spent = 0;                                                      \
		event_add(tick, &tv);                                                    \
		while (!(cond)) {                                                        \
			ck_assert_msg(spent < DEADLINE_MS / 20,                          \
			              "timed out waiting for " #cond "; log:\n%s",       \
			              logbuf);                                           \
			event_base_loop(base, EVLOOP_ONCE);                              \
			spent++;                                                         \
		}                                                                        \
		event_free(tick);                                                        \
	} while (0)

/* Let every pending event run (the watcher's reaction to what the test did). */
static void settle(void)
{
	for (int i = 0; i < 10; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void teardown(void)
{
	bool stopped = false;

	if (w) {
		ioreqd_watch_stop(w, stopped_cb, &stopped);
		RUN_UNTIL(stopped);
		ioreqd_watch_free(w);
		w = NULL;
	}
	event_base_free(base);
	ioreqd_log_set_tee(NULL, NULL);
	for (unsigned i = 0; i < xs.n; i++) {
		free(xs.path[i]);
		free(xs.value[i]);
	}
	for (unsigned i = 0; i < xs.nwatched; i++)
		free(xs.watched[i]);
	while (xs.qhead != xs.qtail)
		free(xs.queue[xs.qhead++ % MAX_QUEUED]);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
}

static const char *be(unsigned domid, unsigned devid, const char *kind, const char *key)
{
	static char buf[4][160];
	static unsigned k;
	char *b = buf[k++ % 4];

	snprintf(b, 160, "/local/domain/0/backend/%s/%u/%u/%s", kind, domid, devid, key);
	return b;
}

/* What libxl 4.17 writes for one virtio disk, as one transaction. */
static void add_disk(unsigned domid, unsigned devid, unsigned n, const char *base_s)
{
	char irq[8], fe[96], id[8];

	snprintf(irq, sizeof(irq), "%u", 33 + n);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/virtio_disk/%u", domid, devid);
	snprintf(id, sizeof(id), "%u", domid);
	xs.quiet = true;
	set(be(domid, devid, "virtio_disk", "frontend"), fe);
	set(be(domid, devid, "virtio_disk", "frontend-id"), id);
	set(be(domid, devid, "virtio_disk", "online"), "1");
	set(be(domid, devid, "virtio_disk", "state"), "1");
	set(be(domid, devid, "virtio_disk", "dev"), "xvda");
	set(be(domid, devid, "virtio_disk", "type"), "standalone");
	set(be(domid, devid, "virtio_disk", "mode"), "w");
	set(be(domid, devid, "virtio_disk", "specification"), "virtio");
	set(be(domid, devid, "virtio_disk", "transport"), "mmio");
	set(be(domid, devid, "virtio_disk", "params"), target);
	set(be(domid, devid, "virtio_disk", "base"), base_s);
	set(be(domid, devid, "virtio_disk", "irq"), irq);
	xs.quiet = false;
	fire(be(domid, devid, "virtio_disk", "state"));
}

static const char *state(unsigned domid, unsigned devid)
{
	return get(be(domid, devid, "virtio_disk", "state"));
}

static bool state_is(unsigned domid, unsigned devid, const char *s)
{
	const char *v = state(domid, devid);

	return v && !strcmp(v, s);
}

/* libxl's destroy: online = 0, state = 5, then it waits for 6. */
static void close_disk(unsigned domid, unsigned devid)
{
	set(be(domid, devid, "virtio_disk", "online"), "0");
	set(be(domid, devid, "virtio_disk", "state"), "5");
}

static char *slurp(const char *name)
{
	char path[160];
	static char buf[8192];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "r");
	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* ---- the tests ---- */

START_TEST(serves_a_417_disk_and_answers_initwait)
{
	char *s;

	start_watch();
	add_disk(1, 51712, 0, "33554432");
	RUN_UNTIL(state_is(1, 51712, "2"));
	ck_assert_int_gt(ioreqd_watch_child(w, 1), 0);
	s = slurp("1.args");
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "-d\n1\n-c\n"));
	ck_assert_ptr_nonnull(
	    strstr(s, "/watch-1.conf\n-f\n--ready-fd=3\n--log=stderr\n"));
	s = slurp("1.conf");
	ck_assert_ptr_nonnull(
	    strstr(s, "[device virtio_disk-51712]\nhook = virtio-blk\n"));
	ck_assert_ptr_nonnull(strstr(s, "mmio = 0x2000000+0x200\nirq = 33\n"));
	ck_assert_ptr_nonnull(strstr(s, target));
	ck_assert_ptr_null(get(be(1, 51712, "virtio_disk", "error")));
	ck_assert_uint_eq(logged(LOG_LEVEL_WARN, "domain"), 0);
}
END_TEST

START_TEST(serves_a_418_virtio_device)
{
	start_watch();
	xs.quiet = true;
	set(be(3, 0, "virtio", "online"), "1");
	set(be(3, 0, "virtio", "state"), "1");
	set(be(3, 0, "virtio", "irq"), "34");
	set(be(3, 0, "virtio", "base"), "0x2000200");
	set(be(3, 0, "virtio", "type"), "virtio,device2");
	set(be(3, 0, "virtio", "transport"), "mmio");
	set(be(3, 0, "virtio", "grant_usage"), "0");
	set(be(3, 0, "virtio", "params"), target);
	xs.quiet = false;
	fire(be(3, 0, "virtio", "state"));
	RUN_UNTIL(get(be(3, 0, "virtio", "state"))[0] == '2');
	ck_assert_ptr_nonnull(strstr(slurp("3.conf"), "[device virtio-0]"));
	ck_assert_ptr_nonnull(
	    strstr(slurp("3.conf"), "mmio = 0x2000200+0x200\nirq = 34\n"));
}
END_TEST

/* Keys one at a time, each with its own event: no child until all are there. */
START_TEST(partial_entries_wait_for_the_whole_set)
{
	static const char *const keys[][2] = {
	    {"state", "1"},       {"online", "1"}, {"mode", "r"},
	    {"base", "33554432"}, {"irq", "33"},
	};

	start_watch();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		set(be(2, 51712, "virtio_disk", keys[i][0]), keys[i][1]);
		settle();
		ck_assert_int_eq(ioreqd_watch_child(w, 2), 0);
		ck_assert_str_eq(state(2, 51712), "1");
	}
	set(be(2, 51712, "virtio_disk", "params"), target);
	RUN_UNTIL(state_is(2, 51712, "2"));
	ck_assert_ptr_nonnull(strstr(slurp("2.conf"), "readonly = yes"));
	ck_assert_ptr_null(get(be(2, 51712, "virtio_disk", "error")));
	ck_assert_uint_eq(logged(LOG_LEVEL_WARN, "domain 2"), 0);
}
END_TEST

/* A key that never comes: after the grace period, one line and an error key. */
START_TEST(a_key_missing_for_good_is_an_error)
{
	start_watch();
	xs.quiet = true;
	set(be(4, 51712, "virtio_disk", "state"), "1");
	set(be(4, 51712, "virtio_disk", "base"), "33554432");
	set(be(4, 51712, "virtio_disk", "irq"), "33");
	xs.quiet = false;
	fire(be(4, 51712, "virtio_disk", "state"));
	RUN_UNTIL(get(be(4, 51712, "virtio_disk", "error")));
	ck_assert_ptr_nonnull(strstr(get(be(4, 51712, "virtio_disk", "error")),
	                             "domain 4 virtio_disk device 51712: no params key"));
	ck_assert_str_eq(state(4, 51712), "1");
	ck_assert_int_eq(ioreqd_watch_child(w, 4), 0);
	settle();
	ck_assert_uint_eq(logged(LOG_LEVEL_WARN, "domain 4 virtio_disk device 51712"), 1);
}
END_TEST

/* A bad device gets its line and key; another domain is served meanwhile. */
START_TEST(malformed_entries_do_not_stop_other_domains)
{
	start_watch();
	add_disk(5, 51712, 0, "0x2000100");
	add_disk(6, 51712, 0, "33554432");
	RUN_UNTIL(state_is(6, 51712, "2") && get(be(5, 51712, "virtio_disk", "error")));
	ck_assert_ptr_nonnull(strstr(get(be(5, 51712, "virtio_disk", "error")), "base"));
	ck_assert_str_eq(state(5, 51712), "1");
	ck_assert_int_eq(ioreqd_watch_child(w, 5), 0);
	/* The error is said once, however many events follow. */
	set(be(5, 51712, "virtio_disk", "removable"), "0");
	set(be(6, 51712, "virtio_disk", "removable"), "0");
	settle();
	ck_assert_uint_eq(logged(LOG_LEVEL_WARN, "domain 5 virtio_disk device 51712"), 1);
	/* libxl gives up and closes it: Closed. */
	close_disk(5, 51712);
	RUN_UNTIL(state_is(5, 51712, "6"));
	ck_assert(state_is(6, 51712, "2"));
}
END_TEST

START_TEST(overlapping_windows_refuse_the_second_device)
{
	start_watch();
	xs.quiet = true;
	add_disk(7, 51712, 0, "33554432");
	xs.quiet = true;
	add_disk(7, 51728, 1, "33554432");
	RUN_UNTIL(state_is(7, 51712, "2") && get(be(7, 51728, "virtio_disk", "error")));
	ck_assert_ptr_nonnull(
	    strstr(get(be(7, 51728, "virtio_disk", "error")), "overlaps"));
	ck_assert_str_eq(state(7, 51728), "1");
}
END_TEST

START_TEST(unreadable_target_is_an_error)
{
	start_watch();
	xs.quiet = true;
	add_disk(8, 51712, 0, "33554432");
	set(be(8, 51712, "virtio_disk", "params"), "/nonexistent/ioreqd-disk");
	xs.quiet = false;
	fire(be(8, 51712, "virtio_disk", "params"));
	RUN_UNTIL(get(be(8, 51712, "virtio_disk", "error")));
	ck_assert_ptr_nonnull(strstr(get(be(8, 51712, "virtio_disk", "error")),
	                             "target /nonexistent/ioreqd-disk: No such file"));
	ck_assert_int_eq(ioreqd_watch_child(w, 8), 0);
}
END_TEST

/* Two disks of one domain: one child serves both. */
START_TEST(one_child_serves_all_of_a_domains_disks)
{
	start_watch();
	xs.quiet = true;
	add_disk(9, 51712, 0, "33554432");
	xs.quiet = true;
	add_disk(9, 51728, 1, "33554944");
	RUN_UNTIL(state_is(9, 51712, "2") && state_is(9, 51728, "2"));
	ck_assert_uint_eq(ioreqd_watch_nr_children(w), 1);
	ck_assert_ptr_nonnull(
	    strstr(slurp("9.conf"), "mmio = 0x2000200+0x200\nirq = 34"));
}
END_TEST

START_TEST(two_domains_get_two_children)
{
	int a, b;

	start_watch();
	add_disk(10, 51712, 0, "33554432");
	add_disk(11, 51712, 0, "33554432");
	RUN_UNTIL(state_is(10, 51712, "2") && state_is(11, 51712, "2"));
	a = ioreqd_watch_child(w, 10);
	b = ioreqd_watch_child(w, 11);
	ck_assert_int_gt(a, 0);
	ck_assert_int_gt(b, 0);
	ck_assert_int_ne(a, b);
	ck_assert_uint_eq(ioreqd_watch_nr_children(w), 2);
}
END_TEST

/* libxl's destroy: the child goes, then Closed. */
START_TEST(closing_stops_the_child_then_answers_closed)
{
	start_watch();
	add_disk(12, 51712, 0, "33554432");
	RUN_UNTIL(state_is(12, 51712, "2"));
	close_disk(12, 51712);
	RUN_UNTIL(state_is(12, 51712, "6"));
	ck_assert_int_eq(ioreqd_watch_child(w, 12), 0);
	/* libxl then removes the directory: nothing is written back into it. */
	rm_tree("/local/domain/0/backend/virtio_disk/12");
	settle();
	ck_assert_ptr_null(state(12, 51712));
	ck_assert_uint_eq(logged(LOG_LEVEL_WARN, "domain 12"), 0);
}
END_TEST

START_TEST(removed_mid_setup_stops_the_child)
{
	start_watch();
	add_disk(13, 51712, 0, "33554432");
	RUN_UNTIL(ioreqd_watch_child(w, 13) > 0);
	rm_tree("/local/domain/0/backend/virtio_disk/13/51712");
	RUN_UNTIL(ioreqd_watch_nr_children(w) == 0);
	ck_assert_ptr_null(state(13, 51712));
	ck_assert_uint_eq(logged(LOG_LEVEL_WARN, "domain 13"), 0);
}
END_TEST

/* A child that fails before serving: said once, left at 1, not restarted. */
START_TEST(child_failing_to_start_is_reported_once)
{
	setenv("WATCH_CHILD_MODE_14", "fail", 1);
	start_watch();
	add_disk(14, 51712, 0, "33554432");
	RUN_UNTIL(get(be(14, 51712, "virtio_disk", "error")));
	ck_assert_ptr_nonnull(strstr(get(be(14, 51712, "virtio_disk", "error")),
	                             "exited with status 78 before serving"));
	ck_assert_str_eq(state(14, 51712), "1");
	set(be(14, 51712, "virtio_disk", "removable"), "0");
	settle();
	ck_assert_int_eq(ioreqd_watch_child(w, 14), 0);
	ck_assert_uint_eq(logged(LOG_LEVEL_WARN, "domain 14: ioreqd"), 1);
	unsetenv("WATCH_CHILD_MODE_14");
}
END_TEST

/* A child that crashes: its domain's devices say so; the others go on. */
START_TEST(child_crash_stays_in_its_domain)
{
	setenv("WATCH_CHILD_MODE_15", "crash", 1);
	start_watch();
	add_disk(15, 51712, 0, "33554432");
	add_disk(16, 51712, 0, "33554432");
	RUN_UNTIL(get(be(15, 51712, "virtio_disk", "error")) && state_is(16, 51712, "2"));
	ck_assert_ptr_nonnull(
	    strstr(get(be(15, 51712, "virtio_disk", "error")), "killed by signal 11"));
	ck_assert_int_eq(ioreqd_watch_child(w, 15), 0);
	ck_assert_int_gt(ioreqd_watch_child(w, 16), 0);
	/* It goes away normally afterwards. */
	close_disk(15, 51712);
	RUN_UNTIL(state_is(15, 51712, "6"));
	unsetenv("WATCH_CHILD_MODE_15");
}
END_TEST

/* A domain destroyed without libxl closing its devices (@releaseDomain). */
START_TEST(release_domain_stops_its_child)
{
	start_watch();
	add_disk(17, 51712, 0, "33554432");
	add_disk(18, 51712, 0, "33554432");
	RUN_UNTIL(state_is(17, 51712, "2") && state_is(18, 51712, "2"));
	xs.dead[17] = true;
	set("@releaseDomain", "");
	RUN_UNTIL(ioreqd_watch_child(w, 17) == 0);
	ck_assert_int_gt(ioreqd_watch_child(w, 18), 0);
	ck_assert_uint_eq(logged(LOG_LEVEL_INFO, "domain 17 is gone"), 1);
	ck_assert_uint_eq(logged(LOG_LEVEL_WARN, "domain 17"), 0);
}
END_TEST

/* The next domain after a destroy is served as the first was. */
START_TEST(next_domain_after_destroy_is_served)
{
	start_watch();
	add_disk(19, 51712, 0, "33554432");
	RUN_UNTIL(state_is(19, 51712, "2"));
	close_disk(19, 51712);
	RUN_UNTIL(state_is(19, 51712, "6"));
	rm_tree("/local/domain/0/backend/virtio_disk/19");
	add_disk(20, 51712, 0, "33554432");
	RUN_UNTIL(state_is(20, 51712, "2"));
	ck_assert_uint_eq(ioreqd_watch_nr_children(w), 1);
}
END_TEST

START_TEST(override_is_appended_by_name)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/guest1.conf", confdir);
	fp = fopen(path, "w");
	fputs("[device con0]\nhook = virtio-console\n", fp);
	fclose(fp);
	set("/local/domain/21/name", "guest1");
	start_watch();
	add_disk(21, 51712, 0, "33554432");
	RUN_UNTIL(state_is(21, 51712, "2"));
	ck_assert_ptr_nonnull(strstr(slurp("21.conf"), "from "));
	ck_assert_ptr_nonnull(
	    strstr(slurp("21.conf"), "guest1.conf ----\n[device con0]"));
}
END_TEST

START_TEST(stop_ends_every_child)
{
	bool stopped = false;

	start_watch();
	add_disk(22, 51712, 0, "33554432");
	add_disk(23, 51712, 0, "33554432");
	RUN_UNTIL(state_is(22, 51712, "2") && state_is(23, 51712, "2"));
	ioreqd_watch_stop(w, stopped_cb, &stopped);
	RUN_UNTIL(stopped);
	ck_assert_uint_eq(ioreqd_watch_nr_children(w), 0);
	ioreqd_watch_free(w);
	w = NULL;
	ck_assert_uint_eq(logged(LOG_LEVEL_WARN, "domain 2"), 0);
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("serve");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, serves_a_417_disk_and_answers_initwait);
	tcase_add_test(tc, serves_a_418_virtio_device);
	tcase_add_test(tc, one_child_serves_all_of_a_domains_disks);
	tcase_add_test(tc, two_domains_get_two_children);
	tcase_add_test(tc, override_is_appended_by_name);
	suite_add_tcase(s, tc);
	tc = tcase_create("bad input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, partial_entries_wait_for_the_whole_set);
	tcase_add_test(tc, a_key_missing_for_good_is_an_error);
	tcase_add_test(tc, malformed_entries_do_not_stop_other_domains);
	tcase_add_test(tc, overlapping_windows_refuse_the_second_device);
	tcase_add_test(tc, unreadable_target_is_an_error);
	tcase_add_test(tc, removed_mid_setup_stops_the_child);
	suite_add_tcase(s, tc);
	tc = tcase_create("lifecycle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, closing_stops_the_child_then_answers_closed);
	tcase_add_test(tc, child_failing_to_start_is_reported_once);
	tcase_add_test(tc, child_crash_stays_in_its_domain);
	tcase_add_test(tc, release_domain_stops_its_child);
	tcase_add_test(tc, next_domain_after_destroy_is_served);
	tcase_add_test(tc, stop_ends_every_child);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(watch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
