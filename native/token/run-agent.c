/*
 * The agent runs as a child without a shell (posix_spawn with an argv), its stdout a pipe:
 * the secret never touches argv, the environment, a file or a log. Every buffer that held
 * it is wiped with explicit_bzero before it is freed or goes out of scope.
 */
#define _GNU_SOURCE
#include "run-agent.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_GRACE_MS 5000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the child until deadline_ms; 1 with its status, 0 when it is still running. */
static int reap_until(pid_t pid, int *status, long deadline_ms)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline_ms)
			return 0;
		struct timespec nap = { 0, 20 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
}

/* SIGTERM first: the agent withdraws a pending request when interrupted; then SIGKILL. */
static void stop_child(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	if (reap_until(pid, &status, now_ms() + KILL_GRACE_MS) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

static int spawn(pid_t *pid, char *const argv[], char *const envp[], int out_fd, int read_end)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	/* The child starts with default signal handling and no blocked signals, whatever cryptsetup set. */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_addclose(&fa, out_fd);
	posix_spawn_file_actions_addclose(&fa, read_end);
	err = posix_spawn(pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return -err;
}

long sc_run_agent(char *const argv[], char *const envp[], long timeout_seconds, unsigned char *secret)
{
	unsigned char chunk[256];
	long deadline = now_ms() + timeout_seconds * 1000;
	size_t got = 0;
	int fds[2], status = 0, err, overflow = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	err = spawn(&pid, argv, envp, fds[1], fds[0]);
	close(fds[1]);
	if (err < 0) {
		close(fds[0]);
		return err;
	}
	for (;;) {
		long left = deadline - now_ms();
		struct pollfd p = { fds[0], POLLIN, 0 };
		ssize_t n;

		if (left <= 0) {
			close(fds[0]);
			stop_child(pid);
			explicit_bzero(secret, SC_MAX_SECRET);
			return -ETIMEDOUT;
		}
		if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) <= 0)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (got + (size_t)n > SC_MAX_SECRET) {
			overflow = 1;
		} else {
			memcpy(secret + got, chunk, (size_t)n);
			got += (size_t)n;
		}
		explicit_bzero(chunk, sizeof(chunk));
	}
	close(fds[0]);
	if (reap_until(pid, &status, deadline) != 1) {
		stop_child(pid);
		explicit_bzero(secret, SC_MAX_SECRET);
		return -ETIMEDOUT;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || overflow || got == 0) {
		explicit_bzero(secret, SC_MAX_SECRET);
		return -EPERM;
	}
	return (long)got;
}
