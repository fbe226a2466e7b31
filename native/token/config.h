/* The plugin's settings: a JSON file only root (or the user running cryptsetup) may write. */
#ifndef SECTORCRYPT_TOKEN_CONFIG_H
#define SECTORCRYPT_TOKEN_CONFIG_H

#include <stddef.h>

#define SC_CONFIG_DEFAULT "/etc/sectorcrypt/agent.json"
#define SC_MAX_NODE_ARGS 8
#define SC_MAX_STATE_DIRS 16

struct sc_config {
	char *state_dir;      /* the enrolled agent's folder (required) */
	char *more_state_dirs[SC_MAX_STATE_DIRS]; /* "stateDirs": one agent per further broker, for threshold tokens (NULL-terminated) */
	char *claims;         /* a claims config file, or NULL */
	char *node;           /* the node binary */
	char *cli;            /* the sectorcrypt CLI's main.js */
	char *node_args[SC_MAX_NODE_ARGS]; /* extra node options before the CLI (NULL-terminated) */
	char *path;           /* PATH for the agent (its claims collectors run programs) */
	long timeout_seconds; /* how long the agent may take, in all */
	int wait;             /* pass --wait: a release that needs approval is waited for */
};

/*
 * Reads SECTORCRYPT_AGENT_CONFIG, else SC_CONFIG_DEFAULT. Returns 0, or a negative errno
 * with a reason in `why` (never a secret: the file holds none).
 */
int sc_config_load(struct sc_config *cfg, char *why, size_t why_len);
void sc_config_free(struct sc_config *cfg);

#endif
