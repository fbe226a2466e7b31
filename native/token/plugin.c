/*
 * libcryptsetup-token-sectorcrypt-broker.so: the external token plugin for LUKS2 tokens of
 * type sectorcrypt-broker (built with -DSC_THRESHOLD=1: libcryptsetup-token-sectorcrypt-threshold.so,
 * for sectorcrypt-threshold tokens, running the agent with every configured agent folder) (cryptsetup 2.4+, libcryptsetup.h "external token" ABI
 * CRYPTSETUP_TOKEN_1.0). cryptsetup loads it for such a token, calls
 * cryptsetup_token_validate and then cryptsetup_token_open, which runs the installed agent
 * (`sectorcrypt volume unlock DEVICE --token N --print-key`) and hands back the slot
 * secret it prints. The broker decides; this file only carries the answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libcryptsetup.h>

#include "config.h"
#include "run-agent.h"
#include "token-json.h"

#define SC_PLUGIN_VERSION "1.0.0"
#define SC_PUBLIC __attribute__((visibility("default")))
#define MAX_ARGS (SC_MAX_NODE_ARGS + 2 * SC_MAX_STATE_DIRS + 24)

SC_PUBLIC const char *cryptsetup_token_version(void);
SC_PUBLIC int cryptsetup_token_open(struct crypt_device *cd, int token, char **buffer, size_t *buffer_len, void *usrptr);
SC_PUBLIC int cryptsetup_token_open_pin(struct crypt_device *cd, int token, const char *pin, size_t pin_size, char **buffer,
					size_t *buffer_len, void *usrptr);
SC_PUBLIC void cryptsetup_token_buffer_free(void *buffer, size_t buffer_len);
SC_PUBLIC int cryptsetup_token_validate(struct crypt_device *cd, const char *json);
SC_PUBLIC void cryptsetup_token_dump(struct crypt_device *cd, const char *json);

const char *cryptsetup_token_version(void)
{
	return SC_PLUGIN_VERSION;
}

/* The agent's argv: node [nodeArgs] cli volume unlock DEVICE --agent DIR [--claims F] --token N --print-key [--wait --timeout S]. */
static void agent_argv(const struct sc_config *cfg, const char *device, const char *token_id, const char *timeout, char *argv[MAX_ARGS])
{
	size_t n = 0, i;

	argv[n++] = cfg->node;
	for (i = 0; i < SC_MAX_NODE_ARGS && cfg->node_args[i]; i++)
		argv[n++] = cfg->node_args[i];
	argv[n++] = cfg->cli;
	argv[n++] = "volume";
	argv[n++] = "unlock";
	argv[n++] = (char *)device;
	argv[n++] = "--agent";
	argv[n++] = cfg->state_dir;
	for (i = 0; i < SC_MAX_STATE_DIRS && cfg->more_state_dirs[i]; i++) {
		argv[n++] = "--agent";
		argv[n++] = cfg->more_state_dirs[i];
	}
	if (cfg->claims) {
		argv[n++] = "--claims";
		argv[n++] = cfg->claims;
	}
	argv[n++] = "--token";
	argv[n++] = (char *)token_id;
	argv[n++] = "--print-key";
	if (cfg->wait) {
		argv[n++] = "--wait";
		argv[n++] = "--timeout";
		argv[n++] = (char *)timeout;
	}
	argv[n] = NULL;
}

int cryptsetup_token_open(struct crypt_device *cd, int token, char **buffer, size_t *buffer_len, void *usrptr)
{
	unsigned char secret[SC_MAX_SECRET];
	char why[512], token_id[16], timeout[24], path_env[4200];
	char *argv[MAX_ARGS], *envp[3];
	struct sc_config cfg;
	const char *json = NULL, *device;
	long n, limit;
	int r;

	(void)usrptr;
	if (!buffer || !buffer_len)
		return -EINVAL;
	r = crypt_token_json_get(cd, token, &json);
	if (r < 0 || sc_token_parse(json, NULL) < 0)
		return -EINVAL;
	r = sc_config_load(&cfg, why, sizeof(why));
	if (r < 0) {
		crypt_logf(cd, CRYPT_LOG_ERROR, SC_TOKEN_TYPE " token %d: %s\n", token, why);
		return r;
	}
	device = crypt_get_metadata_device_name(cd);
	if (!device)
		device = crypt_get_device_name(cd);
	snprintf(token_id, sizeof(token_id), "%d", token);
	snprintf(timeout, sizeof(timeout), "%ld", cfg.timeout_seconds);
	snprintf(path_env, sizeof(path_env), "PATH=%s", cfg.path);
	envp[0] = path_env;
	envp[1] = "LC_ALL=C";
	envp[2] = NULL;
	agent_argv(&cfg, device, token_id, timeout, argv);
	/* A waiting agent gives up (and withdraws its request) at its own --timeout; this is the backstop. */
	limit = cfg.wait ? cfg.timeout_seconds + 15 : cfg.timeout_seconds;
	crypt_logf(cd, CRYPT_LOG_DEBUG, SC_TOKEN_TYPE " token %d: running %s for %s\n", token, cfg.cli, device);
	n = sc_run_agent(argv, envp, limit, secret);
	sc_config_free(&cfg);
	if (n < 0) {
		crypt_logf(cd, CRYPT_LOG_VERBOSE, SC_TOKEN_TYPE " token %d: the agent did not release the secret (%s)\n", token,
			   n == -ETIMEDOUT ? "timed out" : n == -EPERM ? "refused or unreachable" : strerror((int)-n));
		return (int)n;
	}
	*buffer = malloc((size_t)n);
	if (!*buffer) {
		explicit_bzero(secret, sizeof(secret));
		return -ENOMEM;
	}
	memcpy(*buffer, secret, (size_t)n);
	*buffer_len = (size_t)n;
	explicit_bzero(secret, sizeof(secret));
	return 0;
}

/* These tokens take no PIN: with one, refuse (the broker's policy is the only gate). */
int cryptsetup_token_open_pin(struct crypt_device *cd, int token, const char *pin, size_t pin_size, char **buffer,
			      size_t *buffer_len, void *usrptr)
{
	if (pin && pin_size) {
		crypt_logf(cd, CRYPT_LOG_VERBOSE, SC_TOKEN_TYPE " token %d takes no PIN\n", token);
		return -EINVAL;
	}
	return cryptsetup_token_open(cd, token, buffer, buffer_len, usrptr);
}

void cryptsetup_token_buffer_free(void *buffer, size_t buffer_len)
{
	if (!buffer)
		return;
	explicit_bzero(buffer, buffer_len);
	free(buffer);
}

int cryptsetup_token_validate(struct crypt_device *cd, const char *json)
{
	int r = sc_token_parse(json, NULL);

	if (r < 0)
		crypt_logf(cd, CRYPT_LOG_DEBUG, SC_TOKEN_TYPE " token: malformed JSON\n");
	return r;
}

/* What `cryptsetup luksDump` prints under the token: never the sealed secret. */
void cryptsetup_token_dump(struct crypt_device *cd, const char *json)
{
	struct sc_token t;
	const char *uuid = crypt_get_uuid(cd);

	if (sc_token_parse(json, &t) < 0) {
		crypt_logf(cd, CRYPT_LOG_ERROR, "\tmalformed " SC_TOKEN_TYPE " token\n");
		return;
	}
#if SC_THRESHOLD
	crypt_logf(cd, CRYPT_LOG_NORMAL, "\tThreshold:  any %d of %d brokers\n", t.k, t.n);
	crypt_logf(cd, CRYPT_LOG_NORMAL, "\tGroup:      %s\n", t.group);
	crypt_logf(cd, CRYPT_LOG_NORMAL, "\tResources:  luks2:%s.share.%d-of-%d.%s.<index>\n", uuid ? uuid : "?", t.k, t.n, t.group);
	return;
#endif
	crypt_logf(cd, CRYPT_LOG_NORMAL, "\tBroker:     %s\n", t.url[0] ? t.url : "(the agent's broker)");
	crypt_logf(cd, CRYPT_LOG_NORMAL, "\tBroker key: %s version %lld\n", t.key_id, t.version);
	crypt_logf(cd, CRYPT_LOG_NORMAL, "\tResource:   luks2:%s\n", uuid ? uuid : "?");
}
