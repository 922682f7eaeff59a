/* SPDX-License-Identifier: MIT */
/*
 * The hook loader: one dlopen(RTLD_NOW | RTLD_LOCAL) per hook named in the
 * configuration, from the first directory of the hook search path that has
 * it, then dlsym("ioreqd_hook") and an ABI
 * check.  RTLD_NOW makes a missing dependency fail here, at start-up, with a
 * message, instead of at the guest's first access; RTLD_LOCAL keeps one hook's
 * symbols from resolving another's.  Every error names the file and the fix.
 * Each device is then added to the device model, which checks its keys
 * against the ones its hook declares, so a typo is a config error with its line.
 *
 * A hook runs as root inside the daemon, and dlopen runs its constructors at
 * once (under --check-config too), so nothing is opened before the file has
 * passed ioreqd_loader_trusted_path(): the file and every directory above
 * it, and above the directory it was found in, must be owned by root or by
 * the user ioreqd runs as and writable by nobody else (a sticky directory such as /tmp
 * may be world-writable: nobody else can rename what it holds).  After dlopen, the
 * `ioreqd_hook` symbol must be a data object at least as large as struct
 * ioreqd_hook and suitably aligned before any field is read: a hook that
 * exports something else under that name is refused, not read past its end.
 */
#include "build-config.h"
#include "ioreqd-paths.h"

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <link.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"

/* The ABI the SDK's ioreqd-hook.pc announces is the one hooks are checked against. */
_Static_assert(IOREQD_HOOK_ABI == IOREQD_HOOK_ABI_CONFIGURED,
               "include/ioreqd/hook.h and configure.ac disagree on the hook ABI: "
               "change IOREQD_HOOK_ABI in both");

static bool hook_name_ok(const char *name)
{
	if (!*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

/*
 * The hook search path, first match wins: --hook-dir, then the
 * configuration's hook_dir, then the directory the hooks were installed in.
 * Each prepends rather than replaces, so a hook of one's own in a private
 * directory loads next to the shipped ones without copies or symlinks.
 * Returns how many of @p dirs it filled (at most 3).  Without a configuration
 * (ioreqd --list-hooks) the middle one is left out.
 */
unsigned ioreqd_loader_search_path(const struct ioreqd_daemon *d, const char *dirs[3])
{
	unsigned n = 0;

	if (d->opts.hook_dir)
		dirs[n++] = d->opts.hook_dir;
	if (d->cfg && d->cfg->hook_dir)
		dirs[n++] = d->cfg->hook_dir;
	dirs[n++] = IOREQD_HOOKDIR;
	return n;
}

/* Fill @p path with the first DIR/NAME.so that exists; @p tried lists them all. */
static bool hook_find(const struct ioreqd_daemon *d, const char *name, char *path,
                      size_t pathlen, char *tried, size_t triedlen)
{
	const char *dirs[3];
	unsigned n = ioreqd_loader_search_path(d, dirs);
	size_t len = 0;

	tried[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		int w;

		snprintf(path, pathlen, "%s/%s.so", dirs[i], name);
		if (access(path, F_OK) == 0)
			return true;
		w = snprintf(tried + len, triedlen - len, "%s%s", len ? ", " : "",
		             dirs[i]);
		if (w > 0 && (size_t)w < triedlen - len)
			len += (size_t)w;
	}
	return false;
}

/*
 * Could someone other than root and us have written @p st (or, for a
 * directory, replaced what it holds)?  @return why, or NULL if not.
 */
static const char *untrusted(const struct stat *st, bool dir)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "is owned by another user";
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return NULL;
	/* Sticky: others may add entries but not rename or remove ours. */
	if (dir && (st->st_mode & S_ISVTX))
		return NULL;
	return st->st_mode & S_IWOTH ? "is world-writable" : "is group-writable";
}

/* @p dir (resolved) and every directory above it; fills @p bad on failure. */
static const char *untrusted_tree(const char *dir, char *bad, size_t badlen)
{
	char walk[PATH_MAX];

	snprintf(walk, sizeof(walk), "%s", dir);
	for (;;) {
		struct stat st;
		const char *why;
		char *up;

		if (stat(walk, &st) < 0)
			why = "cannot be examined";
		else
			why = untrusted(&st, true);
		if (why) {
			snprintf(bad, badlen, "%s", walk);
			return why;
		}
		if (!strcmp(walk, "/"))
			return NULL;
		up = dirname(walk); /* may point into walk, or at a static "/" */
		memmove(walk, up, strlen(up) + 1);
	}
}

/*
 * May @p path be loaded?  @return 0, or -EPERM with the reason in @p err
 * (prefixed with @p where).  Checks the file itself, the directories above
 * it, and those above the directory it was found in (which differ when the
 * hook directory holds a symbolic link).
 */
int ioreqd_loader_trusted_path(const char *where, const char *path, char *err,
                               size_t errlen)
{
	char real[PATH_MAX], dir[PATH_MAX], found[PATH_MAX], bad[PATH_MAX];
	const char *why = NULL;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!realpath(path, real) || stat(real, &st) < 0 ||
	    !realpath(dirname(dir), found)) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot resolve hook %s: %s", where, path,
		         strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: hook %s is not a regular file", where, path);
		return -EPERM;
	}
	snprintf(bad, sizeof(bad), "%s", real);
	why = untrusted(&st, false);
	if (!why) {
		char up[PATH_MAX];

		snprintf(up, sizeof(up), "%s", real);
		why = untrusted_tree(dirname(up), bad, sizeof(bad));
	}
	if (!why)
		why = untrusted_tree(found, bad, sizeof(bad));
	if (!why)
		return 0;
	snprintf(err, errlen,
	         "%s: refusing to load hook %s: %s %s, so another user could replace the "
	         "code ioreqd would run as root (make it owned by root and writable only "
	         "by its owner: chown root %s; chmod go-w %s)",
	         where, path, bad, why, bad, bad);
	return -EPERM;
}

/*
 * Is @p sym, found by dlsym, a whole struct ioreqd_hook?  A hook could
 * export a function or a small object under the name; reading the struct's
 * fields from it would run past its end.  @return 0, or -EPROTO with @p err.
 */
int ioreqd_loader_symbol_ok(const char *where, const char *path, const void *sym,
                            char *err, size_t errlen)
{
	const ElfW(Sym) *es = NULL;
	Dl_info info;

	if (!dladdr1(sym, &info, (void **)&es, RTLD_DL_SYMENT) || !es) {
		snprintf(
		    err, errlen,
		    "%s: hook %s: cannot find the size of its 'ioreqd_hook' "
		    "symbol (is it an ioreqd hook? build it with IOREQD_HOOK_DEFINE)",
		    where, path);
		return -EPROTO;
	}
	if (ELF64_ST_TYPE(es->st_info) != STT_OBJECT ||
	    es->st_size < sizeof(struct ioreqd_hook) ||
	    (uintptr_t)sym % alignof(struct ioreqd_hook)) {
		snprintf(
		    err, errlen,
		    "%s: hook %s is malformed: its 'ioreqd_hook' is %s of "
		    "%llu bytes, not a struct ioreqd_hook (%zu bytes): rebuild it with "
		    "IOREQD_HOOK_DEFINE",
		    where, path,
		    ELF64_ST_TYPE(es->st_info) == STT_OBJECT ? "an object"
		                                             : "not an object",
		    (unsigned long long)es->st_size, sizeof(struct ioreqd_hook));
		return -EPROTO;
	}
	return 0;
}

static struct loaded_hook *find_loaded(struct ioreqd_daemon *d, const char *name)
{
	for (unsigned i = 0; i < d->nr_hooks; i++)
		if (!strcmp(d->hooks[i].name, name))
			return &d->hooks[i];
	return NULL;
}

static int load_one(struct ioreqd_daemon *d, const struct ioreqd_cfg_dev *dev,
                    struct loaded_hook *out, char *err, size_t errlen)
{
	char path[4096], tried[1024], where[512];
	void *dl = NULL;
	const struct ioreqd_hook *hook;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!hook_name_ok(dev->hook)) {
		snprintf(err, errlen, "%s:%u: device %s: bad hook name '%s'",
		         d->cfg->path, dev->hook_line, dev->name, dev->hook);
		rc = -EINVAL;
		goto out;
	}
	if (!hook_find(d, dev->hook, path, sizeof(path), tried, sizeof(tried))) {
		snprintf(
		    err, errlen,
		    "%s:%u: device %s: unknown hook '%s': no %s.so in %s (put it there, "
		    "or name its directory with --hook-dir or hook_dir in [global])",
		    d->cfg->path, dev->hook_line, dev->name, dev->hook, dev->hook, tried);
		rc = -ENOENT;
		goto out;
	}
	snprintf(where, sizeof(where), "%s:%u: device %s", d->cfg->path, dev->hook_line,
	         dev->name);
	/* Before dlopen: its constructors would run as root even under --check-config. */
	rc = ioreqd_loader_trusted_path(where, path, err, errlen);
	if (rc < 0)
		goto out;
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		snprintf(
		    err, errlen,
		    "%s:%u: device %s: cannot load hook %s: %s (check its dependencies "
		    "with ldd(1) %s)",
		    d->cfg->path, dev->hook_line, dev->name, path, dlerror(), path);
		rc = -ENOEXEC;
		goto out;
	}
	hook = dlsym(dl, "ioreqd_hook");
	if (!hook) {
		snprintf(err, errlen,
		         "%s:%u: device %s: %s exports no 'ioreqd_hook' symbol: is it an "
		         "ioreqd hook? (build it with IOREQD_HOOK_DEFINE)",
		         d->cfg->path, dev->hook_line, dev->name, path);
		rc = -ENOEXEC;
		goto out;
	}
	rc = ioreqd_loader_symbol_ok(where, path, hook, err, errlen);
	if (rc < 0)
		goto out;
	if (hook->abi != IOREQD_HOOK_ABI) {
		snprintf(
		    err, errlen,
		    "%s:%u: device %s: hook %s was built for hook ABI %u, this ioreqd "
		    "speaks ABI %d: rebuild the hook against this ioreqd's SDK "
		    "(pkg-config ioreqd-hook)",
		    d->cfg->path, dev->hook_line, dev->name, path, hook->abi,
		    IOREQD_HOOK_ABI);
		rc = -EPROTO;
		goto out;
	}
	if (!hook->name || strcmp(hook->name, dev->hook) || !hook->init ||
	    !hook->access) {
		snprintf(
		    err, errlen,
		    "%s:%u: device %s: hook %s is malformed (name '%s', needs init and "
		    "access)",
		    d->cfg->path, dev->hook_line, dev->name, path,
		    hook->name ? hook->name : "(null)");
		rc = -EPROTO;
		goto out;
	}
	out->name = strdup(dev->hook);
	if (!out->name) {
		rc = -ENOMEM;
		goto out;
	}
	out->dl = dl;
	out->hook = hook;
	dl = NULL;
	log_debug("%s: loaded hook %s from %s", __func__, hook->name, path);
	rc = 0;
out:
	if (dl)
		dlclose(dl);
	return rc;
}

int ioreqd_loader_load_all(struct ioreqd_daemon *d, char *err, size_t errlen)
{
	int rc = 0;

	d->hooks = calloc(d->cfg->nr_devs ? d->cfg->nr_devs : 1, sizeof(*d->hooks));
	if (!d->hooks)
		return -ENOMEM;
	for (unsigned i = 0; i < d->cfg->nr_devs; i++) {
		const struct ioreqd_cfg_dev *dev = &d->cfg->devs[i];
		struct loaded_hook *lh = find_loaded(d, dev->hook);

		if (!lh) {
			rc = load_one(d, dev, &d->hooks[d->nr_hooks], err, errlen);
			if (rc < 0)
				return rc;
			lh = &d->hooks[d->nr_hooks++];
		}
		rc = ioreqd_dm_add(d->dm, d->cfg, i, lh->hook, NULL, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void ioreqd_loader_unload_all(struct ioreqd_daemon *d)
{
	for (unsigned i = 0; i < d->nr_hooks; i++) {
		dlclose(d->hooks[i].dl);
		free(d->hooks[i].name);
	}
	free(d->hooks);
	d->hooks = NULL;
	d->nr_hooks = 0;
}
