/* SPDX-License-Identifier: MIT */
/*
 * The parser for libxl's device-model argv (see xlargs.h).  libxl 4.17 builds
 * two shapes of command line, one per device_model_version, and appends the
 * guest's device_model_args just before -M/-machine.  We read it the way QEMU
 * would - options that take a value consume the next argv element - so that
 * a value such as "-serial pty" or "-name -weird-" is never mistaken for an
 * option, and keep what ioreqd needs.  Anything we do not need is listed as
 * ignored rather than refused, because a newer libxl may add options.
 */
#include "xlargs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Xen's DOMID_FIRST_RESERVED: ids at or above it are not guests. */
#define DOMID_LIMIT 0x7ff0u
#define MAX_CHARDEVS 64u

/* QEMU options we know, and whether each takes a value. */
struct qemu_opt {
	const char *name;
	bool has_arg;
};

static const struct qemu_opt qemu_opts[] = {
    /* qemu-xen-traditional (libxl__build_device_model_args_old) */
    {"d", true},
    {"domain-name", true},
    {"videoram", true},
    {"vnc", true},
    {"vncunused", false},
    {"nographic", false},
    {"sdl", false},
    {"disable-opengl", false},
    {"k", true},
    {"serial", true},
    {"std-vga", false},
    {"vga", true},
    {"boot", true},
    {"usb", false},
    {"usbdevice", true},
    {"soundhw", true},
    {"acpi", false},
    {"vcpus", true},
    {"vcpu_avail", true},
    {"net", true},
    {"gfx_passthru", false},
    {"loadvm", true},
    {"M", true},
    /* qemu-xen (libxl__build_device_model_args_new) */
    {"xen-domid", true},
    {"no-shutdown", false},
    {"chardev", true},
    {"S", false},
    {"mon", true},
    {"nodefaults", false},
    {"no-user-config", false},
    {"xen-attach", false},
    {"name", true},
    {"display", true},
    {"kernel", true},
    {"initrd", true},
    {"append", true},
    {"device", true},
    {"spice", true},
    {"no-acpi", false},
    {"smp", true},
    {"netdev", true},
    {"object", true},
    {"xen-domid-restrict", false},
    {"chroot", true},
    {"incoming", true},
    {"machine", true},
    {"m", true},
    {"drive", true},
    {"runas", true},
    /* Seen in device_model_args in the wild. */
    {"qmp", true},
    {"monitor", true},
    {"global", true},
    {"cpu", true},
    {"bios", true},
    {"L", true},
    {"D", true},
    {"trace", true},
    {"accel", true},
    {"rtc", true},
    {"parallel", true},
    {"pidfile", true},
    {"daemonize", false},
    {"snapshot", false},
    {"no-reboot", false},
    {"no-hpet", false},
    {"s", false},
    {"enable-kvm", false},
    {"msg", true},
    {"sandbox", true},
    {"overcommit", true},
};

/* ioreqd's own options that may ride in device_model_args. */
enum own_kind {
	OWN_STR,
	OWN_DOMAIN,
	OWN_VERBOSE,
	OWN_RESTRICT,
	OWN_FOREGROUND,
	OWN_SECCOMP
};

struct own_opt {
	const char *name; /* long name, used as --name */
	char short_name;  /* 0: none */
	enum own_kind kind;
	size_t off; /* of the char * field for OWN_STR */
};

#define OWN(n, s, f)                                                                     \
	{                                                                                \
		n, s, OWN_STR, offsetof(struct ioreqd_xlargs, f)                         \
	}
static const struct own_opt own_opts[] = {
    OWN("config", 'c', config),
    OWN("hook-dir", 0, hook_dir),
    OWN("pidfile", 0, pidfile),
    OWN("log", 0, log),
    OWN("backend", 0, backend),
    OWN("sim-socket", 0, sim_socket),
    OWN("user", 0, user),
    OWN("group", 0, group),
    OWN("chroot", 0, own_chroot),
    {"domain", 0, OWN_DOMAIN, 0},
    {"verbose", 'v', OWN_VERBOSE, 0},
    {"restrict", 0, OWN_RESTRICT, 0},
    {"foreground", 'f', OWN_FOREGROUND, 0},
    {"seccomp", 0, OWN_SECCOMP, 0},
};
#undef OWN

struct chardev {
	char *id;
	char *backend;
	char *path;
	int fd;
	bool server;
};

struct mon {
	char *chardev;
	bool control;
};

/* Parser state for one call. */
struct parse {
	struct ioreqd_xlargs *xa;
	char *err;
	size_t errlen;
	bool have_domid;
	struct chardev chardevs[MAX_CHARDEVS];
	unsigned nr_chardevs;
	struct mon mons[MAX_CHARDEVS];
	unsigned nr_mons;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse *p, const char *fmt,
                                                      ...)
{
	va_list ap;

	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const struct qemu_opt *find_qemu_opt(const char *name)
{
	for (size_t i = 0; i < sizeof(qemu_opts) / sizeof(qemu_opts[0]); i++)
		if (!strcmp(qemu_opts[i].name, name))
			return &qemu_opts[i];
	return NULL;
}

/* Record "OPT" or "OPT VALUE" as ignored. */
static int ignore(struct parse *p, const char *opt, const char *val)
{
	struct ioreqd_xlargs *xa = p->xa;
	char **n;
	size_t len = strlen(opt) + (val ? strlen(val) + 1 : 0) + 1;
	char *s;

	n = realloc(xa->ignored, (xa->nr_ignored + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	xa->ignored = n;
	s = malloc(len);
	if (!s)
		return -ENOMEM;
	if (val)
		snprintf(s, len, "%s %s", opt, val);
	else
		snprintf(s, len, "%s", opt);
	xa->ignored[xa->nr_ignored++] = s;
	return 0;
}

/* Replace *dst with a copy of @p src. */
static int set_str(char **dst, const char *src)
{
	char *s = strdup(src);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* Strict decimal: digits only, no sign, no overflow past @p limit. */
static int parse_dec(const char *s, unsigned long long limit, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > limit)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

static int set_domid(struct parse *p, const char *opt, const char *val)
{
	unsigned long long v;

	if (!val)
		return fail(p, "%s needs a domain id", opt);
	if (parse_dec(val, DOMID_LIMIT - 1, &v) < 0)
		return fail(p, "%s: bad domain id '%s' (want 0 to %u)", opt, val,
		            DOMID_LIMIT - 1);
	if (p->have_domid && p->xa->domid != v)
		return fail(p, "%s %s contradicts domain id %u given earlier", opt, val,
		            p->xa->domid);
	p->xa->domid = (unsigned)v;
	p->have_domid = true;
	return 0;
}

/*
 * Split a QEMU option string ("socket,id=x,path=/a,,b,server=on") into
 * key/value pairs.  ",," is a literal comma.  The first element may lack a
 * key, in which case @p implied names it; a later bare "foo" means foo=on and
 * "nofoo" foo=off.  @p fn is called for each pair; it returns 0 or -errno.
 */
static int qemu_opts_foreach(const char *s, const char *implied,
                             int (*fn)(void *arg, const char *key, const char *val),
                             void *arg)
{
	size_t len = strlen(s);
	char *buf = malloc(len + 1);
	bool first = true;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while (*s && rc == 0) {
		size_t n = 0;
		char *eq;

		while (*s) {
			if (*s == ',' && s[1] == ',') {
				buf[n++] = ',';
				s += 2;
			} else if (*s == ',') {
				s++;
				break;
			} else {
				buf[n++] = *s++;
			}
		}
		buf[n] = '\0';
		eq = strchr(buf, '=');
		if (eq) {
			*eq = '\0';
			rc = fn(arg, buf, eq + 1);
		} else if (first && implied) {
			rc = fn(arg, implied, buf);
		} else if (!strncmp(buf, "no", 2) && buf[2]) {
			rc = fn(arg, buf + 2, "off");
		} else if (n) {
			rc = fn(arg, buf, "on");
		}
		first = false;
	}
	free(buf);
	return rc;
}

static bool is_on(const char *v)
{
	return !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") ||
	       !strcmp(v, "y");
}

static int chardev_kv(void *arg, const char *key, const char *val)
{
	struct chardev *c = arg;
	unsigned long long fd;

	if (!strcmp(key, "backend"))
		return set_str(&c->backend, val);
	if (!strcmp(key, "id"))
		return set_str(&c->id, val);
	if (!strcmp(key, "path"))
		return set_str(&c->path, val);
	if (!strcmp(key, "server"))
		c->server = is_on(val);
	else if (!strcmp(key, "fd") && parse_dec(val, 0x7fffffff, &fd) == 0)
		c->fd = (int)fd;
	return 0;
}

static int add_chardev(struct parse *p, const char *val)
{
	struct chardev *c;
	int rc;

	if (p->nr_chardevs == MAX_CHARDEVS)
		return ignore(p, "-chardev", val);
	c = &p->chardevs[p->nr_chardevs++];
	c->fd = -1;
	rc = qemu_opts_foreach(val, "backend", chardev_kv, c);
	if (rc < 0)
		return rc;
	/* Only the monitors matter to us; the rest are guest devices. */
	if (!c->id || !c->backend || strcmp(c->backend, "socket"))
		return ignore(p, "-chardev", val);
	return 0;
}

static int mon_kv(void *arg, const char *key, const char *val)
{
	struct mon *m = arg;

	if (!strcmp(key, "chardev"))
		return set_str(&m->chardev, val);
	if (!strcmp(key, "mode"))
		m->control = !strcmp(val, "control");
	return 0;
}

static int add_mon(struct parse *p, const char *val)
{
	struct mon *m;
	int rc;

	if (p->nr_mons == MAX_CHARDEVS)
		return ignore(p, "-mon", val);
	m = &p->mons[p->nr_mons++];
	rc = qemu_opts_foreach(val, "chardev", mon_kv, m);
	if (rc < 0)
		return rc;
	if (!m->chardev || !m->control)
		return ignore(p, "-mon", val); /* a human monitor: not offered */
	return 0;
}

static int add_monitor(struct parse *p, const char *id, const char *path, int fd)
{
	struct ioreqd_xlargs *xa = p->xa;
	struct ioreqd_xlargs_monitor *n, *m;

	n = realloc(xa->monitors, (xa->nr_monitors + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	xa->monitors = n;
	m = &xa->monitors[xa->nr_monitors];
	memset(m, 0, sizeof(*m));
	m->fd = fd;
	if (set_str(&m->id, id) < 0 || (path && set_str(&m->path, path) < 0)) {
		free(m->id);
		free(m->path);
		return -ENOMEM;
	}
	xa->nr_monitors++;
	return 0;
}

/* "-qmp unix:PATH,server=on,wait=off": QEMU's shorthand for a QMP socket. */
static int add_qmp_shorthand(struct parse *p, const char *val)
{
	struct chardev c = {.fd = -1};
	char id[32];
	int rc;

	if (strncmp(val, "unix:", 5))
		return ignore(p, "-qmp", val);
	rc = qemu_opts_foreach(val + 5, "path", chardev_kv, &c);
	if (rc == 0 && c.path && c.server) {
		snprintf(id, sizeof(id), "qmp%u", p->xa->nr_monitors);
		rc = add_monitor(p, id, c.path, -1);
	} else if (rc == 0) {
		rc = ignore(p, "-qmp", val); /* client mode: we only listen */
	}
	free(c.id);
	free(c.backend);
	free(c.path);
	return rc;
}

/* Resolve every control -mon to its -chardev. */
static int collect_monitors(struct parse *p)
{
	int rc;

	for (unsigned i = 0; i < p->nr_mons; i++) {
		struct mon *m = &p->mons[i];
		struct chardev *c = NULL;

		if (!m->chardev || !m->control)
			continue;
		for (unsigned j = 0; j < p->nr_chardevs; j++)
			if (p->chardevs[j].id && !strcmp(p->chardevs[j].id, m->chardev))
				c = &p->chardevs[j];
		if (!c || !c->server || (!c->path && c->fd < 0)) {
			rc = ignore(p, "-mon", m->chardev);
			if (rc < 0)
				return rc;
			continue;
		}
		rc = add_monitor(p, c->id, c->fd >= 0 ? NULL : c->path, c->fd);
		if (rc < 0)
			return rc;
	}
	return 0;
}

struct smp {
	unsigned long long cpus, maxcpus;
	bool bad;
};

static int smp_kv(void *arg, const char *key, const char *val)
{
	struct smp *s = arg;

	if (!strcmp(key, "cpus"))
		s->bad |= parse_dec(val, 4096, &s->cpus) < 0;
	else if (!strcmp(key, "maxcpus"))
		s->bad |= parse_dec(val, 4096, &s->maxcpus) < 0;
	return 0;
}

static int set_smp(struct parse *p, const char *opt, const char *val)
{
	struct smp s = {0, 0, false};
	int rc = qemu_opts_foreach(val, "cpus", smp_kv, &s);

	if (rc < 0)
		return rc;
	if (s.bad || !s.cpus)
		return ignore(p, opt, val);
	p->xa->smp_cpus = (unsigned)s.cpus;
	p->xa->smp_maxcpus = (unsigned)(s.maxcpus ? s.maxcpus : s.cpus);
	return 0;
}

/* "-m 1024", "-m 1G", "-m size=512M": libxl passes plain MiB. */
static int set_ram(struct parse *p, const char *val)
{
	const char *s = strncmp(val, "size=", 5) ? val : val + 5;
	char num[24];
	size_t n = strspn(s, "0123456789");
	unsigned long long v;
	unsigned shift = 0;

	if (n == 0 || n >= sizeof(num))
		return ignore(p, "-m", val);
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_dec(num, UINT64_MAX >> 20, &v) < 0)
		return ignore(p, "-m", val);
	if (!strcmp(s + n, "G") || !strcmp(s + n, "g"))
		shift = 10;
	else if (strcmp(s + n, "") && strcmp(s + n, "M") && strcmp(s + n, "m"))
		return ignore(p, "-m", val);
	p->xa->ram_mb = v << shift;
	return 0;
}

static int set_machine(struct parse *p, const char *val)
{
	size_t n = strcspn(val, ",");
	const char *t = val;

	if (!strncmp(t, "type=", 5)) {
		t += 5;
		n -= 5;
	}
	if (n == 5 && !strncmp(t, "xenfv", 5))
		p->xa->machine = IOREQD_XL_MACHINE_XENFV;
	else if (n == 5 && !strncmp(t, "xenpv", 5))
		p->xa->machine = IOREQD_XL_MACHINE_XENPV;
	else if ((n == 2 && !strncmp(t, "pc", 2)) || !strncmp(t, "pc-", 3))
		p->xa->machine = IOREQD_XL_MACHINE_PC;
	else
		p->xa->machine = IOREQD_XL_MACHINE_UNKNOWN;
	return set_str(&p->xa->machine_arg, val);
}

static int name_kv(void *arg, const char *key, const char *val)
{
	return strcmp(key, "guest") ? 0 : set_str(arg, val);
}

/* libxl passes the bare name; QEMU also allows "guest=NAME,...". */
static int set_name(struct parse *p, const char *val)
{
	if (!strncmp(val, "guest=", 6))
		return qemu_opts_foreach(val, NULL, name_kv, &p->xa->name);
	return set_str(&p->xa->name, val);
}

/* "-runas USER" or "-runas UID:GID" (dm_restrict's per-domain uid range). */
static int set_runas(struct parse *p, const char *val)
{
	const char *colon = strchr(val, ':');
	char *user;

	if (!colon)
		return set_str(&p->xa->runas_user, val);
	user = strndup(val, (size_t)(colon - val));
	if (!user)
		return -ENOMEM;
	free(p->xa->runas_user);
	p->xa->runas_user = user;
	return set_str(&p->xa->runas_group, colon + 1);
}

/* A QEMU option @p name (dashes stripped) with its value @p val (or NULL). */
static int qemu_option(struct parse *p, const char *opt, const char *name,
                       const char *val)
{
	struct ioreqd_xlargs *xa = p->xa;

	if (!strcmp(name, "xen-domid"))
		return set_domid(p, opt, val);
	if (!strcmp(name, "d")) {
		/* qemu-xen's -d is its debug log mask, not a domain. */
		if (xa->mode == IOREQD_XL_MODE_QEMU_XEN)
			return ignore(p, opt, val);
		return set_domid(p, opt, val);
	}
	if (!val)
		return ignore(p, opt, NULL);
	if (!strcmp(name, "domain-name") || !strcmp(name, "name"))
		return set_name(p, val);
	if (!strcmp(name, "chardev"))
		return add_chardev(p, val);
	if (!strcmp(name, "mon"))
		return add_mon(p, val);
	if (!strcmp(name, "qmp"))
		return add_qmp_shorthand(p, val);
	if (!strcmp(name, "M") || !strcmp(name, "machine"))
		return set_machine(p, val);
	if (!strcmp(name, "m"))
		return set_ram(p, val);
	if (!strcmp(name, "smp") || !strcmp(name, "vcpus"))
		return set_smp(p, opt, val);
	if (!strcmp(name, "incoming"))
		return set_str(&xa->incoming, val);
	if (!strcmp(name, "loadvm"))
		return set_str(&xa->loadvm, val);
	if (!strcmp(name, "chroot"))
		return set_str(&xa->chroot_dir, val);
	if (!strcmp(name, "runas"))
		return set_runas(p, val);
	return ignore(p, opt, val);
}

static int qemu_flag(struct parse *p, const char *opt, const char *name)
{
	if (!strcmp(name, "S")) {
		p->xa->start_paused = true;
		return 0;
	}
	if (!strcmp(name, "xen-domid-restrict")) {
		p->xa->restrict_domid = true;
		return 0;
	}
	return ignore(p, opt, NULL);
}

static const struct own_opt *find_own(const char *arg, const char **inline_val)
{
	*inline_val = NULL;
	if (arg[0] == '-' && arg[1] == '-') {
		const char *name = arg + 2;
		size_t n = strcspn(name, "=");

		for (size_t i = 0; i < sizeof(own_opts) / sizeof(own_opts[0]); i++) {
			if (strlen(own_opts[i].name) == n &&
			    !strncmp(own_opts[i].name, name, n)) {
				if (name[n] == '=')
					*inline_val = name + n + 1;
				return &own_opts[i];
			}
		}
		return NULL;
	}
	for (size_t i = 0; i < sizeof(own_opts) / sizeof(own_opts[0]); i++)
		if (own_opts[i].short_name && arg[1] == own_opts[i].short_name && !arg[2])
			return &own_opts[i];
	return NULL;
}

/* Handle ioreqd's own option at argv[*i]; advances *i past its value. */
static int own_option(struct parse *p, const struct own_opt *o, const char *inline_val,
                      int argc, char *const argv[], int *i)
{
	const char *opt = argv[*i];
	const char *val = inline_val;

	if (o->kind == OWN_VERBOSE || o->kind == OWN_RESTRICT ||
	    o->kind == OWN_FOREGROUND) {
		if (inline_val)
			return fail(p, "%s takes no value", opt);
		if (o->kind == OWN_VERBOSE)
			p->xa->verbose++;
		else if (o->kind == OWN_RESTRICT)
			p->xa->own_restrict = true;
		else
			p->xa->foreground = true;
		return 0;
	}
	/* --seccomp or --seccomp=MODE: the value is optional, so only inline. */
	if (o->kind == OWN_SECCOMP)
		return set_str(&p->xa->seccomp, inline_val ? inline_val : "errno");
	if (!val) {
		if (*i + 1 >= argc)
			return fail(p, "%s needs a value", opt);
		val = argv[++*i];
	}
	if (o->kind == OWN_DOMAIN)
		return set_domid(p, opt, val);
	/* o->off is offsetof() a char * member: the cast keeps its alignment. */
	return set_str((char **)(void *)((char *)p->xa + o->off), val);
}

static bool is_flag(const char *arg, const char *name)
{
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return !strcmp(arg, name);
}

static enum ioreqd_xl_mode detect_mode(int argc, char *const argv[])
{
	bool d = false, m = false, dn = false;

	for (int i = 1; i < argc; i++) {
		if (!argv[i])
			break;
		if (is_flag(argv[i], "xen-domid"))
			return IOREQD_XL_MODE_QEMU_XEN;
		dn |= is_flag(argv[i], "domain-name");
		d |= !strcmp(argv[i], "-d");
		m |= is_flag(argv[i], "M") || is_flag(argv[i], "machine");
	}
	return dn || (d && m) ? IOREQD_XL_MODE_TRADITIONAL : IOREQD_XL_MODE_NONE;
}

bool ioreqd_xlargs_detect(int argc, char *const argv[])
{
	return argv && detect_mode(argc, argv) != IOREQD_XL_MODE_NONE;
}

static int parse_args(struct parse *p, int argc, char *const argv[])
{
	int rc = 0;

	for (int i = 1; i < argc && rc == 0; i++) {
		const char *arg = argv[i];
		const struct own_opt *own;
		const struct qemu_opt *q;
		const char *inline_val, *name, *val;

		if (!arg)
			break;
		if (arg[0] != '-' || !arg[1]) {
			rc = ignore(p, arg, NULL); /* a stray positional argument */
			continue;
		}
		own = find_own(arg, &inline_val);
		if (own) {
			rc = own_option(p, own, inline_val, argc, argv, &i);
			continue;
		}
		name = arg + (arg[1] == '-' ? 2 : 1);
		q = find_qemu_opt(name);
		if (q && !q->has_arg) {
			rc = qemu_flag(p, arg, name);
			continue;
		}
		/*
		 * A known option takes the next element whatever it looks like;
		 * an unknown one takes it only if it is not an option itself.
		 */
		val = NULL;
		if (i + 1 < argc && argv[i + 1] && (q || argv[i + 1][0] != '-'))
			val = argv[++i];
		rc = qemu_option(p, arg, name, val);
	}
	return rc;
}

static void free_scratch(struct parse *p)
{
	for (unsigned i = 0; i < p->nr_chardevs; i++) {
		free(p->chardevs[i].id);
		free(p->chardevs[i].backend);
		free(p->chardevs[i].path);
	}
	for (unsigned i = 0; i < p->nr_mons; i++)
		free(p->mons[i].chardev);
}

int ioreqd_xlargs_parse(int argc, char *const argv[], struct ioreqd_xlargs *out,
                        char *err, size_t errlen)
{
	struct parse *p;
	int rc;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	/* The scratch tables are a few KiB: keep them off the stack. */
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->xa = out;
	p->err = err;
	p->errlen = errlen;
	out->mode = argv ? detect_mode(argc, argv) : IOREQD_XL_MODE_NONE;

	rc = argv ? parse_args(p, argc, argv) : 0;
	if (rc == 0)
		rc = collect_monitors(p);
	if (rc == 0 && !p->have_domid)
		rc = fail(p, "no domain id (libxl passes -xen-domid N or -d N)");
	if (rc == -ENOMEM && err && errlen)
		snprintf(err, errlen, "out of memory");
	free_scratch(p);
	free(p);
	return rc;
}

void ioreqd_xlargs_dispose(struct ioreqd_xlargs *xa)
{
	char **strs[] = {
	    &xa->name,       &xa->machine_arg, &xa->incoming,    &xa->loadvm,
	    &xa->chroot_dir, &xa->runas_user,  &xa->runas_group, &xa->config,
	    &xa->hook_dir,   &xa->pidfile,     &xa->log,         &xa->backend,
	    &xa->sim_socket, &xa->user,        &xa->group,       &xa->own_chroot,
	    &xa->seccomp,
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (unsigned i = 0; i < xa->nr_monitors; i++) {
		free(xa->monitors[i].id);
		free(xa->monitors[i].path);
	}
	free(xa->monitors);
	for (unsigned i = 0; i < xa->nr_ignored; i++)
		free(xa->ignored[i]);
	free(xa->ignored);
	memset(xa, 0, sizeof(*xa));
}

const char *ioreqd_xlargs_mode_name(enum ioreqd_xl_mode mode)
{
	switch (mode) {
	case IOREQD_XL_MODE_TRADITIONAL:
		return "qemu-xen-traditional";
	case IOREQD_XL_MODE_QEMU_XEN:
		return "qemu-xen";
	case IOREQD_XL_MODE_NONE:
		break;
	}
	return "none";
}
