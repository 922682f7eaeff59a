/* SPDX-License-Identifier: MIT */
/*
 * log-sink: a stand-in for syslogd in tests.  It binds a datagram socket at
 * the path given (tests mount it over /dev/log in a private mount namespace),
 * creates the file named by the second argument once it is bound, then prints
 * every message it receives as one line on stdout until SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char *argv[])
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sigaction act = {.sa_handler = on_term};
	char buf[4096];
	FILE *ready;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: log-sink SOCKET READY-FILE\n");
		return 64;
	}
	/* No SA_RESTART: SIGTERM must interrupt recv. */
	sigaction(SIGTERM, &act, NULL);
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("log-sink: bind");
		return 1;
	}
	ready = fopen(argv[2], "w");
	if (!ready || fclose(ready) != 0) {
		perror("log-sink: ready file");
		return 1;
	}
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("log-sink: recv");
			return 1;
		}
		buf[n] = '\0';
		printf("%s\n", buf);
		fflush(stdout);
	}
	close(fd);
	unlink(argv[1]);
	return 0;
}
