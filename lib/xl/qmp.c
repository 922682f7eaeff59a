/* SPDX-License-Identifier: MIT */
/*
 * The QMP responder (see qmp.h): framing, a small JSON reader, and the
 * commands libxl 4.17 and libxenstat send to qemu-xen.
 *
 * Why our own JSON reader (qmp-json.c) rather than jansson (Debian's
 * libjansson-dev): we validate one message and read a handful of members
 * (execute, id, arguments and a few scalar arguments), and must echo the id
 * byte for byte - a DOM library would re-serialise it.  Span-based
 * validation is a few hundred lines, allocates nothing, is bounded in depth,
 * and spares ioreqd a new dependency.  Replies are written by hand: each has
 * a fixed shape and every string goes through one escaping function.
 *
 * Framing follows QEMU's streamer rather than lines (libxenstat sends
 * commands with no newline): a message starts at '{' or '[' and ends when
 * its brackets balance outside strings.  Stray bytes between messages are
 * answered with one error per run, and a message that is too big or too deep
 * is answered once and skipped up to its end.
 */
#include "qmp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qmp-json.h"

#define MAX_NAME 128u  /* command names and keys we decode */
#define MAX_PATH 4096u /* file name arguments */

/* ---- the machine and the sessions ---- */

struct ioreqd_qmp_vm {
	char *name;
	char *package;
	unsigned nr_cpus;
	enum ioreqd_qmp_runstate state;
	struct ioreqd_qmp_chardev *chardevs;
	unsigned nr_chardevs;
	const struct ioreqd_qmp_callbacks *cb;
	void *arg;
};

enum fmode { F_TOP = 0, F_GARBAGE, F_MSG, F_DISCARD };

struct fdset {
	int id;
	int fd;
};

struct ioreqd_qmp_session {
	struct ioreqd_qmp_vm *vm;
	struct ioreqd_json_out out;
	/* framing */
	char *msg;
	size_t msg_len;
	size_t depth;
	bool in_str, esc;
	enum fmode mode;
	/* protocol */
	bool negotiated;
	bool done;
	unsigned long nr_commands;
	/* descriptors: received and not yet claimed, and claimed by add-fd */
	int pending[IOREQD_QMP_MAX_FDS];
	unsigned nr_pending;
	struct fdset sets[IOREQD_QMP_MAX_FDS];
	unsigned nr_sets;
	int next_fdset;
};

static const struct ioreqd_qmp_callbacks no_callbacks;

static void put(struct ioreqd_qmp_session *s, const char *str)
{
	ioreqd_json_out_puts(&s->out, str);
}

static void putstr(struct ioreqd_qmp_session *s, const char *str)
{
	ioreqd_json_out_str(&s->out, str);
}

#define putf(s, ...) ioreqd_json_out_printf(&(s)->out, __VA_ARGS__)

const char *ioreqd_qmp_runstate_name(enum ioreqd_qmp_runstate st)
{
	switch (st) {
	case IOREQD_QMP_PRELAUNCH:
		return "prelaunch";
	case IOREQD_QMP_RUNNING:
		return "running";
	case IOREQD_QMP_PAUSED:
		return "paused";
	case IOREQD_QMP_SHUTDOWN:
		return "shutdown";
	}
	return "running";
}

/* ---- replies ---- */

static void reply_begin(struct ioreqd_qmp_session *s)
{
	put(s, "{\"return\": ");
}

static void reply_end(struct ioreqd_qmp_session *s, const struct ioreqd_json *id)
{
	if (id) {
		put(s, ", \"id\": ");
		ioreqd_json_out_value(&s->out, id);
	}
	put(s, "}\r\n");
}

static void reply_ok(struct ioreqd_qmp_session *s, const struct ioreqd_json *id,
                     const char *json)
{
	reply_begin(s);
	put(s, json);
	reply_end(s, id);
}

__attribute__((format(printf, 4, 5))) static void
reply_error(struct ioreqd_qmp_session *s, const struct ioreqd_json *id, const char *cls,
            const char *fmt, ...)
{
	char desc[IOREQD_QMP_MAX_DESC + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	put(s, "{\"error\": {\"class\": ");
	putstr(s, cls);
	put(s, ", \"desc\": ");
	putstr(s, desc);
	put(s, "}");
	reply_end(s, id);
}

static void greeting(struct ioreqd_qmp_session *s)
{
	putf(s,
	     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": %d, \"minor\": %d, "
	     "\"major\": %d}, \"package\": ",
	     IOREQD_QMP_QEMU_MICRO, IOREQD_QMP_QEMU_MINOR, IOREQD_QMP_QEMU_MAJOR);
	putstr(s, s->vm->package);
	put(s, "}, \"capabilities\": []}}\r\n");
}

/* ---- commands ---- */

struct cmd {
	const char *name;
	void (*fn)(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
	           const struct ioreqd_json *id);
};

static void cmd_capabilities(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                             const struct ioreqd_json *id)
{
	struct ioreqd_json en;

	/* We advertise no capability, so only an empty "enable" is valid. */
	if (ioreqd_json_member(args, "enable", &en)) {
		if (!ioreqd_json_array_empty(&en)) {
			reply_error(s, id, "GenericError",
			            "ioreqd offers no QMP capability to enable");
			return;
		}
	}
	s->negotiated = true;
	reply_ok(s, id, "{}");
}

static void cmd_query_status(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                             const struct ioreqd_json *id)
{
	enum ioreqd_qmp_runstate st = s->vm->state;

	reply_begin(s);
	putf(s, "{\"status\": \"%s\", \"singlestep\": false, \"running\": %s}",
	     ioreqd_qmp_runstate_name(st), st == IOREQD_QMP_RUNNING ? "true" : "false");
	reply_end(s, id);
}

static void cmd_query_version(struct ioreqd_qmp_session *s,
                              const struct ioreqd_json *args,
                              const struct ioreqd_json *id)
{
	reply_begin(s);
	putf(s,
	     "{\"qemu\": {\"micro\": %d, \"minor\": %d, \"major\": %d}, "
	     "\"package\": ",
	     IOREQD_QMP_QEMU_MICRO, IOREQD_QMP_QEMU_MINOR, IOREQD_QMP_QEMU_MAJOR);
	putstr(s, s->vm->package);
	put(s, "}");
	reply_end(s, id);
}

static void cmd_query_name(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                           const struct ioreqd_json *id)
{
	reply_begin(s);
	if (s->vm->name) {
		put(s, "{\"name\": ");
		putstr(s, s->vm->name);
		put(s, "}");
	} else {
		put(s, "{}");
	}
	reply_end(s, id);
}

static void cmd_query_chardev(struct ioreqd_qmp_session *s,
                              const struct ioreqd_json *args,
                              const struct ioreqd_json *id)
{
	reply_begin(s);
	put(s, "[");
	for (unsigned i = 0; i < s->vm->nr_chardevs; i++) {
		put(s, i ? ", {\"frontend-open\": true, \"filename\": "
		         : "{\"frontend-open\": true, \"filename\": ");
		putstr(s, s->vm->chardevs[i].filename);
		put(s, ", \"label\": ");
		putstr(s, s->vm->chardevs[i].label);
		put(s, "}");
	}
	put(s, "]");
	reply_end(s, id);
}

static void cmd_query_cpus_fast(struct ioreqd_qmp_session *s,
                                const struct ioreqd_json *args,
                                const struct ioreqd_json *id)
{
#if defined(__aarch64__)
	const char *target = "aarch64";
#else
	const char *target = "x86_64";
#endif
	unsigned n = s->vm->nr_cpus ? s->vm->nr_cpus : 1;

	reply_begin(s);
	put(s, "[");
	for (unsigned i = 0; i < n; i++)
		putf(s,
		     "%s{\"thread-id\": %ld, \"props\": {\"core-id\": 0, \"thread-id\": "
		     "0, "
		     "\"socket-id\": %u}, \"qom-path\": "
		     "\"/machine/unattached/device[%u]\", "
		     "\"cpu-index\": %u, \"target\": \"%s\"}",
		     i ? ", " : "", (long)getpid(), i, i, i, target);
	put(s, "]");
	reply_end(s, id);
}

static void cmd_stop(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                     const struct ioreqd_json *id)
{
	struct ioreqd_qmp_vm *vm = s->vm;
	int rc = 0;

	/* As in QEMU, stopping a machine that is not running changes nothing. */
	if (vm->state == IOREQD_QMP_RUNNING) {
		if (vm->cb->stop)
			rc = vm->cb->stop(vm->arg);
		if (rc < 0) {
			reply_error(s, id, "GenericError", "ioreqd could not stop: %s",
			            strerror(-rc));
			return;
		}
		vm->state = IOREQD_QMP_PAUSED;
	}
	reply_ok(s, id, "{}");
}

static void cmd_cont(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                     const struct ioreqd_json *id)
{
	struct ioreqd_qmp_vm *vm = s->vm;
	int rc = 0;

	if (vm->state == IOREQD_QMP_PRELAUNCH || vm->state == IOREQD_QMP_PAUSED) {
		if (vm->cb->cont)
			rc = vm->cb->cont(vm->arg);
		if (rc < 0) {
			reply_error(s, id, "GenericError",
			            "ioreqd could not continue: %s", strerror(-rc));
			return;
		}
		vm->state = IOREQD_QMP_RUNNING;
	} else if (vm->state == IOREQD_QMP_SHUTDOWN) {
		reply_error(s, id, "GenericError", "ioreqd is shutting down");
		return;
	}
	reply_ok(s, id, "{}");
}

static void cmd_quit(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                     const struct ioreqd_json *id)
{
	reply_ok(s, id, "{}");
	s->done = true;
	s->vm->state = IOREQD_QMP_SHUTDOWN;
	if (s->vm->cb->quit)
		s->vm->cb->quit(s->vm->arg);
}

static void cmd_query_vnc(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                          const struct ioreqd_json *id)
{
	/* No VNC server: libxl then writes no console/vnc-* keys. */
	reply_ok(s, id, "{\"enabled\": false}");
}

static void cmd_change_vnc_password(struct ioreqd_qmp_session *s,
                                    const struct ioreqd_json *args,
                                    const struct ioreqd_json *id)
{
	/*
	 * libxl sends this whenever the config has a vncpasswd, and fails the
	 * domain's creation if it is refused.  With no VNC server there is
	 * nothing the password could protect, so accepting it is truthful.
	 */
	reply_ok(s, id, "{}");
}

static void cmd_query_kvm(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                          const struct ioreqd_json *id)
{
	reply_ok(s, id, "{\"enabled\": false, \"present\": false}");
}

static void cmd_empty_list(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                           const struct ioreqd_json *id)
{
	/* query-block / query-blockstats (libxenstat): ioreqd has no disks. */
	reply_ok(s, id, "[]");
}

static void cmd_dirty_log(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                          const struct ioreqd_json *id)
{
	struct ioreqd_json en;

	if (!ioreqd_json_member(args, "enable", &en)) {
		reply_error(s, id, "GenericError", "Parameter 'enable' is missing");
		return;
	}
	if (en.type != IOREQD_JSON_TRUE && en.type != IOREQD_JSON_FALSE) {
		reply_error(s, id, "GenericError",
		            "Invalid parameter type for 'enable', expected: boolean");
		return;
	}
	/*
	 * libxl turns it on around xc_domain_save of an HVM guest (xl save and
	 * xl migrate) and off at the end: while on, every guest page the
	 * device model writes must be reported to Xen, or a live migration
	 * would not copy it again.
	 */
	if (s->vm->cb->dirty_log) {
		char msg[IOREQD_QMP_MAX_DESC] = "";
		bool on = en.type == IOREQD_JSON_TRUE;
		int rc = s->vm->cb->dirty_log(s->vm->arg, on, msg, sizeof(msg));

		if (rc < 0) {
			reply_error(s, id, "GenericError",
			            "ioreqd could not %s the dirty log: %s",
			            on ? "enable" : "disable",
			            msg[0] ? msg : strerror(-rc));
			return;
		}
	}
	reply_ok(s, id, "{}");
}

static struct fdset *find_fdset(struct ioreqd_qmp_session *s, long long idv)
{
	for (unsigned i = 0; i < s->nr_sets; i++)
		if (s->sets[i].id == idv)
			return &s->sets[i];
	return NULL;
}

static void cmd_add_fd(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                       const struct ioreqd_json *id)
{
	struct ioreqd_json v;
	long long want = -1;
	struct fdset *set;

	if (ioreqd_json_member(args, "fdset-id", &v) &&
	    ioreqd_json_int(&v, 0, INT32_MAX, &want) < 0) {
		reply_error(s, id, "GenericError", "Invalid parameter 'fdset-id'");
		return;
	}
	if (!s->nr_pending) {
		reply_error(s, id, "GenericError",
		            "No file descriptor supplied via SCM_RIGHTS");
		return;
	}
	if (want >= 0 && find_fdset(s, want)) {
		reply_error(s, id, "GenericError",
		            "fdset %lld already holds a descriptor", want);
		return;
	}
	set = &s->sets[s->nr_sets++];
	set->id = want >= 0 ? (int)want : s->next_fdset;
	set->fd = s->pending[0];
	memmove(s->pending, s->pending + 1, --s->nr_pending * sizeof(s->pending[0]));
	if (set->id >= s->next_fdset && set->id < INT32_MAX)
		s->next_fdset = set->id + 1;
	reply_begin(s);
	putf(s, "{\"fd\": %d, \"fdset-id\": %d}", set->fd, set->id);
	reply_end(s, id);
}

static void drop_fdset(struct ioreqd_qmp_session *s, struct fdset *set)
{
	close(set->fd);
	*set = s->sets[--s->nr_sets];
}

static void cmd_remove_fd(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                          const struct ioreqd_json *id)
{
	struct ioreqd_json v;
	long long want;
	struct fdset *set;

	if (!ioreqd_json_member(args, "fdset-id", &v) ||
	    ioreqd_json_int(&v, 0, INT32_MAX, &want) < 0) {
		reply_error(s, id, "GenericError", "Parameter 'fdset-id' is missing");
		return;
	}
	set = find_fdset(s, want);
	if (!set) {
		reply_error(s, id, "GenericError",
		            "File descriptor named 'fdset-id:%lld' "
		            "not found",
		            want);
		return;
	}
	drop_fdset(s, set);
	reply_ok(s, id, "{}");
}

/* Read a string argument; replies with an error and returns false if absent. */
static bool string_arg(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                       const struct ioreqd_json *id, const char *name, char *buf,
                       size_t len)
{
	struct ioreqd_json v;

	if (!ioreqd_json_member(args, name, &v)) {
		reply_error(s, id, "GenericError", "Parameter '%s' is missing", name);
		return false;
	}
	if (v.type != IOREQD_JSON_STRING) {
		reply_error(s, id, "GenericError",
		            "Invalid parameter type for '%s', expected: string", name);
		return false;
	}
	if (ioreqd_json_string(&v, buf, len) < 0) {
		reply_error(s, id, "GenericError",
		            "Parameter '%s' is too long or has a NUL", name);
		return false;
	}
	return true;
}

static void cmd_save_state(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                           const struct ioreqd_json *id)
{
	char file[MAX_PATH], msg[IOREQD_QMP_MAX_DESC] = "";
	struct ioreqd_json v;
	bool live = false;
	struct fdset *set;
	long long n;
	char *end;
	int rc;

	if (!string_arg(s, args, id, "filename", file, sizeof(file)))
		return;
	if (ioreqd_json_member(args, "live", &v)) {
		if (v.type != IOREQD_JSON_TRUE && v.type != IOREQD_JSON_FALSE) {
			reply_error(
			    s, id, "GenericError",
			    "Invalid parameter type for 'live', expected: boolean");
			return;
		}
		live = v.type == IOREQD_JSON_TRUE;
	}
	if (!s->vm->cb->save_state) {
		reply_error(s, id, "GenericError", "ioreqd cannot save device state yet");
		return;
	}
	/* libxl 4.17 always passes "/dev/fdset/N" after an add-fd. */
	if (strncmp(file, "/dev/fdset/", 11) || !file[11]) {
		reply_error(s, id, "GenericError",
		            "ioreqd saves only to /dev/fdset/N, not '%s'", file);
		return;
	}
	errno = 0;
	n = strtoll(file + 11, &end, 10);
	set = (!errno && !*end) ? find_fdset(s, n) : NULL;
	if (!set) {
		reply_error(s, id, "GenericError", "Could not open '%s': no such fdset",
		            file);
		return;
	}
	rc = s->vm->cb->save_state(s->vm->arg, set->fd, live, msg, sizeof(msg));
	if (rc < 0) {
		reply_error(s, id, "GenericError",
		            "ioreqd could not save the device state: %s",
		            msg[0] ? msg : strerror(-rc));
		return;
	}
	reply_ok(s, id, "{}");
}

static void cmd_load_state(struct ioreqd_qmp_session *s, const struct ioreqd_json *args,
                           const struct ioreqd_json *id)
{
	char file[MAX_PATH], msg[IOREQD_QMP_MAX_DESC] = "";
	int rc;

	if (!string_arg(s, args, id, "filename", file, sizeof(file)))
		return;
	if (!s->vm->cb->load_state) {
		reply_error(s, id, "GenericError", "ioreqd cannot load device state yet");
		return;
	}
	rc = s->vm->cb->load_state(s->vm->arg, file, msg, sizeof(msg));
	if (rc < 0) {
		reply_error(s, id, "GenericError",
		            "ioreqd could not load the device state: %s",
		            msg[0] ? msg : strerror(-rc));
		return;
	}
	reply_ok(s, id, "{}");
}

static void cmd_query_commands(struct ioreqd_qmp_session *s,
                               const struct ioreqd_json *args,
                               const struct ioreqd_json *id);

static const struct cmd commands[] = {
    {"qmp_capabilities", cmd_capabilities},
    {"query-status", cmd_query_status},
    {"query-version", cmd_query_version},
    {"query-name", cmd_query_name},
    {"query-commands", cmd_query_commands},
    {"query-chardev", cmd_query_chardev},
    {"query-cpus-fast", cmd_query_cpus_fast},
    {"query-vnc", cmd_query_vnc},
    {"change-vnc-password", cmd_change_vnc_password},
    {"query-kvm", cmd_query_kvm},
    {"query-block", cmd_empty_list},
    {"query-blockstats", cmd_empty_list},
    {"stop", cmd_stop},
    {"cont", cmd_cont},
    {"quit", cmd_quit},
    {"xen-set-global-dirty-log", cmd_dirty_log},
    {"add-fd", cmd_add_fd},
    {"remove-fd", cmd_remove_fd},
    {"xen-save-devices-state", cmd_save_state},
    {"xen-load-devices-state", cmd_load_state},
};

/* Commands libxl may send that ioreqd knowingly refuses, and why. */
static const struct {
	const char *name;
	const char *why;
} refused[] = {
    {"device_add", "devices come from the ioreqd config file"},
    {"device_del", "devices come from the ioreqd config file"},
    {"query-pci", "PCI passthrough is not supported"},
    {"query-hotpluggable-cpus", "vCPU hotplug is not emulated"},
    {"cpu-add", "vCPU hotplug is not emulated"},
    {"system_wakeup", "ACPI S3 is not emulated"},
    {"eject", "there are no emulated disks"},
    {"change", "there are no emulated disks"},
    {"blockdev-change-medium", "there are no emulated disks"},
    {"human-monitor-command", "there is no human monitor"},
    {"xen-set-replication", "COLO is not supported"},
    {"query-xen-replication-status", "COLO is not supported"},
    {"xen-colo-do-checkpoint", "COLO is not supported"},
    {"x-blockdev-change", "COLO is not supported"},
    {"nbd-server-start", "there are no emulated disks"},
    {"nbd-server-add", "there are no emulated disks"},
    {"nbd-server-stop", "there are no emulated disks"},
};

static void cmd_query_commands(struct ioreqd_qmp_session *s,
                               const struct ioreqd_json *args,
                               const struct ioreqd_json *id)
{
	reply_begin(s);
	put(s, "[");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		put(s, i ? ", {\"name\": " : "{\"name\": ");
		putstr(s, commands[i].name);
		put(s, "}");
	}
	put(s, "]");
	reply_end(s, id);
}

static void dispatch(struct ioreqd_qmp_session *s, const char *name,
                     const struct ioreqd_json *args, const struct ioreqd_json *id)
{
	s->nr_commands++;
	if (!s->negotiated && strcmp(name, "qmp_capabilities")) {
		reply_error(s, id, "CommandNotFound",
		            "Expecting capabilities negotiation with 'qmp_capabilities'");
		return;
	}
	if (s->negotiated && !strcmp(name, "qmp_capabilities")) {
		reply_error(
		    s, id, "CommandNotFound",
		    "Capabilities negotiation is already complete, command ignored");
		return;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(commands[i].name, name)) {
			commands[i].fn(s, args, id);
			return;
		}
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (!strcmp(refused[i].name, name)) {
			reply_error(s, id, "GenericError",
			            "ioreqd does not support '%s': %s", name,
			            refused[i].why);
			return;
		}
	}
	reply_error(s, id, "CommandNotFound", "The command %s has not been found", name);
}

/* One complete, framed message. */
static void handle_message(struct ioreqd_qmp_session *s, const char *msg, size_t len)
{
	struct ioreqd_json top, k, v, exec, args, id;
	struct ioreqd_json_iter it;
	bool have_exec = false, have_args = false, have_id;
	char key[MAX_NAME], name[MAX_NAME];
	const char *why;

	if (ioreqd_json_parse(msg, len, IOREQD_QMP_MAX_DEPTH, &top, &why) < 0) {
		reply_error(s, NULL, "GenericError", "JSON parse error, %s", why);
		return;
	}
	if (top.type != IOREQD_JSON_OBJECT) {
		reply_error(s, NULL, "GenericError", "QMP input must be a JSON object");
		return;
	}
	have_id = ioreqd_json_member(&top, "id", &id);
	ioreqd_json_iter_init(&it, &top);
	while (ioreqd_json_iter_next(&it, &k, &v)) {
		if (ioreqd_json_string(&k, key, sizeof(key)) < 0)
			key[0] = '\0';
		if (!strcmp(key, "execute")) {
			exec = v;
			have_exec = true;
		} else if (!strcmp(key, "arguments")) {
			args = v;
			have_args = true;
		} else if (strcmp(key, "id")) {
			reply_error(s, have_id ? &id : NULL, "GenericError",
			            "QMP input member '%s' is unexpected", key);
			return;
		}
	}
	if (!have_exec) {
		reply_error(s, have_id ? &id : NULL, "GenericError",
		            "QMP input lacks member 'execute'");
		return;
	}
	if (exec.type != IOREQD_JSON_STRING ||
	    ioreqd_json_string(&exec, name, sizeof(name)) < 0) {
		reply_error(s, have_id ? &id : NULL, "GenericError",
		            "QMP input member 'execute' must be a string");
		return;
	}
	if (have_args && args.type != IOREQD_JSON_OBJECT) {
		reply_error(s, have_id ? &id : NULL, "GenericError",
		            "QMP input member 'arguments' must be an object");
		return;
	}
	dispatch(s, name, have_args ? &args : NULL, have_id ? &id : NULL);
}

/* ---- framing ---- */

static void stray(struct ioreqd_qmp_session *s, unsigned char c)
{
	if (c >= 0x20 && c < 0x7f)
		reply_error(s, NULL, "GenericError", "JSON parse error, stray '%c'", c);
	else
		reply_error(s, NULL, "GenericError",
		            "JSON parse error, stray byte 0x%02x", c);
}

/* Track strings and brackets; @return true when the message just closed. */
static bool track(struct ioreqd_qmp_session *s, char c)
{
	if (s->in_str) {
		if (s->esc)
			s->esc = false;
		else if (c == '\\')
			s->esc = true;
		else if (c == '"')
			s->in_str = false;
		return false;
	}
	if (c == '"') {
		s->in_str = true;
	} else if (c == '{' || c == '[') {
		s->depth++;
	} else if (c == '}' || c == ']') {
		return --s->depth == 0;
	}
	return false;
}

static void start_message(struct ioreqd_qmp_session *s, char c)
{
	s->mode = F_MSG;
	s->depth = 1;
	s->in_str = s->esc = false;
	s->msg[0] = c;
	s->msg_len = 1;
}

static void frame_byte(struct ioreqd_qmp_session *s, char c)
{
	switch (s->mode) {
	case F_GARBAGE:
		if (c == '\n')
			s->mode = F_TOP;
		if (c != '{' && c != '[')
			return;
		/* A bracket ends the garbage and starts a message. */
		/* fall through */
	case F_TOP:
		if (c == '{' || c == '[')
			start_message(s, c);
		else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			stray(s, (unsigned char)c);
			s->mode = F_GARBAGE;
		}
		return;
	case F_MSG:
		if (s->msg_len == IOREQD_QMP_MAX_MSG) {
			reply_error(s, NULL, "GenericError",
			            "JSON parse error, message over %u bytes",
			            IOREQD_QMP_MAX_MSG);
			s->mode = F_DISCARD;
			if (track(s, c))
				s->mode = F_TOP;
			return;
		}
		s->msg[s->msg_len++] = c;
		if (track(s, c)) {
			s->mode = F_TOP;
			handle_message(s, s->msg, s->msg_len);
		} else if (s->depth > IOREQD_QMP_MAX_DEPTH) {
			reply_error(s, NULL, "GenericError",
			            "JSON parse error, nesting over %u levels",
			            IOREQD_QMP_MAX_DEPTH);
			s->mode = F_DISCARD;
		}
		return;
	case F_DISCARD:
		if (track(s, c))
			s->mode = F_TOP;
		return;
	}
}

/* ---- public API ---- */

struct ioreqd_qmp_vm *ioreqd_qmp_vm_new(const struct ioreqd_qmp_vm_args *a)
{
	struct ioreqd_qmp_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->nr_cpus = a->nr_cpus;
	vm->state = a->initial;
	vm->cb = a->cb ? a->cb : &no_callbacks;
	vm->arg = a->arg;
	vm->package = strdup(a->package ? a->package : "ioreqd");
	if (!vm->package || (a->name && !(vm->name = strdup(a->name))))
		goto fail;
	for (unsigned i = 0; i < a->nr_chardevs; i++)
		if (ioreqd_qmp_vm_add_chardev(vm, a->chardevs[i].label,
		                              a->chardevs[i].filename) < 0)
			goto fail;
	return vm;
fail:
	ioreqd_qmp_vm_free(vm);
	return NULL;
}

int ioreqd_qmp_vm_add_chardev(struct ioreqd_qmp_vm *vm, const char *label,
                              const char *filename)
{
	struct ioreqd_qmp_chardev *n;
	char *l = strdup(label), *f = strdup(filename);

	n = l && f ? realloc(vm->chardevs, (vm->nr_chardevs + 1) * sizeof(*n)) : NULL;
	if (!n) {
		free(l);
		free(f);
		return -ENOMEM;
	}
	vm->chardevs = n;
	n[vm->nr_chardevs].label = l;
	n[vm->nr_chardevs].filename = f;
	vm->nr_chardevs++;
	return 0;
}

void ioreqd_qmp_vm_free(struct ioreqd_qmp_vm *vm)
{
	if (!vm)
		return;
	for (unsigned i = 0; i < vm->nr_chardevs; i++) {
		free((char *)vm->chardevs[i].label);
		free((char *)vm->chardevs[i].filename);
	}
	free(vm->chardevs);
	free(vm->name);
	free(vm->package);
	free(vm);
}

enum ioreqd_qmp_runstate ioreqd_qmp_vm_runstate(const struct ioreqd_qmp_vm *vm)
{
	return vm->state;
}

void ioreqd_qmp_vm_set_runstate(struct ioreqd_qmp_vm *vm, enum ioreqd_qmp_runstate st)
{
	vm->state = st;
}

void ioreqd_qmp_vm_set_nr_cpus(struct ioreqd_qmp_vm *vm, unsigned nr_cpus)
{
	vm->nr_cpus = nr_cpus;
}

struct ioreqd_qmp_session *ioreqd_qmp_session_new(struct ioreqd_qmp_vm *vm)
{
	struct ioreqd_qmp_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->vm = vm;
	s->out.max = IOREQD_QMP_MAX_OUT;
	s->msg = malloc(IOREQD_QMP_MAX_MSG);
	if (!s->msg) {
		free(s);
		return NULL;
	}
	greeting(s);
	if (s->out.err) {
		ioreqd_qmp_session_free(s);
		return NULL;
	}
	return s;
}

void ioreqd_qmp_session_free(struct ioreqd_qmp_session *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nr_pending; i++)
		close(s->pending[i]);
	for (unsigned i = 0; i < s->nr_sets; i++)
		close(s->sets[i].fd);
	ioreqd_json_out_dispose(&s->out);
	free(s->msg);
	free(s);
}

int ioreqd_qmp_session_feed(struct ioreqd_qmp_session *s, const void *data, size_t len)
{
	const char *p = data;

	for (size_t i = 0; i < len && !s->done && !s->out.err; i++)
		frame_byte(s, p[i]);
	return s->out.err;
}

const char *ioreqd_qmp_session_output(const struct ioreqd_qmp_session *s, size_t *len)
{
	*len = s->out.len - s->out.head;
	return *len ? s->out.p + s->out.head : NULL;
}

void ioreqd_qmp_session_consume(struct ioreqd_qmp_session *s, size_t n)
{
	ioreqd_json_out_consume(&s->out, n);
}

int ioreqd_qmp_session_pass_fd(struct ioreqd_qmp_session *s, int fd)
{
	if (s->nr_pending + s->nr_sets >= IOREQD_QMP_MAX_FDS) {
		close(fd);
		return -EMFILE;
	}
	s->pending[s->nr_pending++] = fd;
	return 0;
}

bool ioreqd_qmp_session_done(const struct ioreqd_qmp_session *s)
{
	return s->done;
}

unsigned long ioreqd_qmp_session_nr_commands(const struct ioreqd_qmp_session *s)
{
	return s->nr_commands;
}
