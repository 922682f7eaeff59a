/* SPDX-License-Identifier: MIT */
/*
 * A main() for the fuzz harnesses outside libFuzzer: it runs every file of
 * the harness's committed corpus (seeds and the reproducers of past findings)
 * through LLVMFuzzerTestOneInput once.  Built with any compiler and linked
 * against the ordinary library, this makes every corpus a regression test in
 * `make check`, so a fixed finding stays fixed without clang.
 *
 * Usage: fuzz_NAME_replay [FILE|DIR]...; with no argument it reads
 * $srcdir/tests/fuzz/corpus/fuzz_NAME (srcdir defaults to ".").
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz-input.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME must name the harness (e.g. -DFUZZ_NAME=\\\"fuzz_slot\\\")"
#endif

static unsigned ran;

/* Run one input file.  @return 0, or -1 if it could not be read. */
static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if (!fp) {
		fprintf(stderr, "%s: %s: %s\n", FUZZ_NAME, path, strerror(errno));
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET))
		goto out;
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, fp) != (size_t)len)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	ran++;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "%s: cannot read %s\n", FUZZ_NAME, path);
	free(buf);
	fclose(fp);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file of a directory, in name order (reproducible). */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "%s: %s: %s\n", FUZZ_NAME, dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn =
			    realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (!nn) {
				rc = -1;
				break;
			}
			names = nn;
		}
		names[n] = malloc(strlen(dir) + strlen(de->d_name) + 2);
		if (!names[n]) {
			rc = -1;
			break;
		}
		sprintf(names[n], "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && run_file(names[i]))
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

static int run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		fprintf(stderr, "%s: %s: %s\n", FUZZ_NAME, path, strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? run_dir(path) : run_file(path);
}

int main(int argc, char *argv[])
{
	int rc = 0;

	if (argc < 2) {
		const char *srcdir = getenv("srcdir");
		char path[4096];

		snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/%s",
		         srcdir ? srcdir : ".", FUZZ_NAME);
		rc = run_path(path);
	} else {
		for (int i = 1; i < argc && rc == 0; i++)
			rc = run_path(argv[i]);
	}
	if (rc == 0 && ran == 0) {
		fprintf(stderr, "%s: no input found\n", FUZZ_NAME);
		rc = -1;
	}
	/* A crash or a failed invariant aborts before this line. */
	printf("%s: %u passed, %d failed\n", FUZZ_NAME, ran, rc ? 1 : 0);
	return rc ? 1 : 0;
}
