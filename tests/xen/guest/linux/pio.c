/* SPDX-License-Identifier: MIT */
/*
 * pio: port I/O of 1, 2 or 4 bytes from Linux userspace, for the Linux PVH
 * test guest.  /dev/port only ever does single-byte accesses, and busybox has
 * no inw/outl, so this static helper fills the gap.  Usage:
 *   pio r PORT SIZE          print the value read as 0x...
 *   pio w PORT SIZE VALUE    write VALUE
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>

static int usage(void)
{
	fprintf(stderr,
	        "usage: pio r PORT SIZE | pio w PORT SIZE VALUE  (SIZE: 1, 2 or 4)\n");
	return 64;
}

static int parse(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno || *end || end == s || *out > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long port, size, val = 0;
	int write;

	if (argc < 4 || (strcmp(argv[1], "r") && strcmp(argv[1], "w")))
		return usage();
	write = argv[1][0] == 'w';
	if (argc != (write ? 5 : 4) || parse(argv[2], 0xffff, &port) ||
	    parse(argv[3], 4, &size) || (size != 1 && size != 2 && size != 4) ||
	    (write && parse(argv[4], 0xffffffffUL, &val)))
		return usage();
	/* ioperm() covers only ports below 0x400; the test ports are above. */
	if (iopl(3) < 0) {
		fprintf(stderr, "pio: iopl: %s\n", strerror(errno));
		return 1;
	}
	if (write) {
		if (size == 1)
			outb((unsigned char)val, (unsigned short)port);
		else if (size == 2)
			outw((unsigned short)val, (unsigned short)port);
		else
			outl((unsigned int)val, (unsigned short)port);
		return 0;
	}
	if (size == 1)
		val = inb((unsigned short)port);
	else if (size == 2)
		val = inw((unsigned short)port);
	else
		val = inl((unsigned short)port);
	printf("0x%lx\n", val);
	return 0;
}
