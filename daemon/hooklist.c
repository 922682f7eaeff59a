/* SPDX-License-Identifier: MIT */
/*
 * ioreqd --list-hooks: what a user can name in "hook = NAME".  Every NAME.so
 * in the hook search path (the first directory holding a name wins, as when
 * loading) is opened the way the loader opens it, and its descriptor's
 * summary and keys are printed; a file that is not a loadable hook of this
 * ABI is listed with the reason.  Hooks run no code of theirs here beyond
 * their constructors: init is never called.
 */
#include "build-config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct hook_entry {
	char name[65];
	char path[4096];
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hook_entry *)a)->name,
	              ((const struct hook_entry *)b)->name);
}

static bool listed(const struct hook_entry *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

/* Add each NAME.so of @p dir not already found in an earlier directory. */
static int scan_dir(const char *dir, struct hook_entry **v, size_t *n, size_t *cap)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp)
		return 0; /* a directory that does not exist adds nothing */
	while ((e = readdir(dp)) != NULL) {
		size_t len = strlen(e->d_name);
		struct hook_entry *h;

		if (len < 4 || len - 3 > 64 || strcmp(e->d_name + len - 3, ".so"))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			struct hook_entry *nv = realloc(*v, nc * sizeof(*nv));

			if (!nv) {
				closedir(dp);
				return -ENOMEM;
			}
			*v = nv;
			*cap = nc;
		}
		h = &(*v)[*n];
		memcpy(h->name, e->d_name, len - 3);
		h->name[len - 3] = '\0';
		if (listed(*v, *n, h->name))
			continue;
		snprintf(h->path, sizeof(h->path), "%s/%s", dir, e->d_name);
		(*n)++;
	}
	closedir(dp);
	return 0;
}

static void print_one(const struct hook_entry *h, FILE *fp)
{
	char err[1024];
	void *dl;
	const struct ioreqd_hook *hook;

	/* The loader's own checks, so listing runs nothing loading would refuse. */
	if (ioreqd_loader_trusted_path("--list-hooks", h->path, err, sizeof(err)) < 0) {
		fprintf(fp, "%-12s (refused: %s)\n", h->name, err);
		return;
	}
	dl = dlopen(h->path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(fp, "%-12s (cannot load: %s)\n", h->name, dlerror());
		return;
	}
	hook = dlsym(dl, "ioreqd_hook");
	if (!hook)
		fprintf(fp, "%-12s (not an ioreqd hook: no ioreqd_hook symbol)\n",
		        h->name);
	else if (ioreqd_loader_symbol_ok("--list-hooks", h->path, hook, err,
	                                 sizeof(err)) < 0)
		fprintf(fp, "%-12s (refused: %s)\n", h->name, err);
	else if (hook->abi != IOREQD_HOOK_ABI)
		fprintf(
		    fp,
		    "%-12s (built for hook ABI %u, this ioreqd speaks %d: rebuild it)\n",
		    h->name, hook->abi, IOREQD_HOOK_ABI);
	else {
		fprintf(fp, "%-12s %s\n", h->name, hook->summary ? hook->summary : "");
		fprintf(fp, "%-12s   from %s\n", "", h->path);
		for (const struct ioreqd_hook_key *k = hook->keys; k && k->name; k++)
			fprintf(fp, "%-12s   %-10s %s\n", "", k->name,
			        k->help ? k->help : "");
	}
	dlclose(dl);
}

int ioreqd_hooklist_print(const struct ioreqd_daemon *d, FILE *fp)
{
	const char *dirs[3];
	unsigned nd = ioreqd_loader_search_path(d, dirs);
	struct hook_entry *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	fprintf(fp, "Hook search path (first match wins):");
	for (unsigned i = 0; i < nd; i++)
		fprintf(fp, " %s", dirs[i]);
	fprintf(fp, "\n\n");
	for (unsigned i = 0; i < nd && rc == 0; i++)
		rc = scan_dir(dirs[i], &v, &n, &cap);
	if (rc < 0) {
		log_errx("out of memory listing the hooks");
		goto out;
	}
	if (n == 0)
		fprintf(fp, "No hooks found: install ioreqd's hooks, or name a directory "
		            "with --hook-dir.\n");
	qsort(v, n, sizeof(*v), entry_cmp);
	for (size_t i = 0; i < n; i++)
		print_one(&v[i], fp);
out:
	free(v);
	return rc;
}
