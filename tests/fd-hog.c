/* SPDX-License-Identifier: MIT */
/*
 * fd-hog: a local client that holds connections, for
 * tests/e2e/fd-exhaustion.sh.  It connects up to N clients to a UNIX stream
 * socket (non-blocking, so a listener that stops accepting fills its backlog
 * and the rest are simply not made), says nothing on any of them, prints
 * "connected K", and holds them all until its standard input reaches end of
 * file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	unsigned n, connected = 0;
	char buf[64];
	int *fds;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: fd-hog SOCKET N\n");
		return 2;
	}
	memcpy(sun.sun_path, argv[1], strlen(argv[1]) + 1);
	n = (unsigned)strtoul(argv[2], NULL, 0);
	fds = calloc(n ? n : 1, sizeof(*fds));
	if (!fds)
		return 2;
	for (unsigned i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			perror("fd-hog: socket");
			return 2;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			if (errno != EAGAIN) {
				perror("fd-hog: connect");
				return 2;
			}
			close(fd); /* the backlog is full */
			continue;
		}
		fds[connected++] = fd;
	}
	printf("connected %u\n", connected);
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	for (unsigned i = 0; i < connected; i++)
		close(fds[i]);
	free(fds);
	return 0;
}
