/* Runs the agent (`sectorcrypt volume unlock ... --print-key`) and reads the secret it prints. */
#ifndef SECTORCRYPT_TOKEN_RUN_AGENT_H
#define SECTORCRYPT_TOKEN_RUN_AGENT_H

#include <stddef.h>

/* The most a slot secret may be; the agent prints 32 bytes. */
#define SC_MAX_SECRET 512

/*
 * Runs argv[0] with argv and envp (no shell), stdin /dev/null, stdout a pipe, stderr
 * inherited; reads at most SC_MAX_SECRET bytes into `secret` within timeout_seconds (then
 * the agent gets SIGTERM, so it withdraws a pending request, and SIGKILL 5 s later).
 * Returns the byte count (> 0) when the agent exits 0, else a negative errno:
 * -ETIMEDOUT, -EPERM (the agent refused: denied, unreachable, ...), or a spawn error.
 */
long sc_run_agent(char *const argv[], char *const envp[], long timeout_seconds, unsigned char *secret);

#endif
