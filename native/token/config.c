/*
 * The plugin's settings file. It names the programs the plugin runs as root, so it is
 * refused when anyone but its owner can write it, or when its owner is neither root nor the
 * user running cryptsetup (docs/volumes.md "Opening with cryptsetup: the token plugin").
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#define MAX_CONFIG_BYTES (64 * 1024)
#define DEFAULT_NODE "/usr/bin/node"
#define DEFAULT_CLI "/usr/lib/node_modules/sectorcrypt/dist/cli/main.js"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define DEFAULT_TIMEOUT 120

static int fail(char *why, size_t len, int err, const char *fmt, const char *a)
{
	snprintf(why, len, fmt, a);
	return err;
}

/* An absolute path string member, copied; NULL when absent. -EINVAL when not a path. */
static int path_member(struct json_object *o, const char *key, char **out, int required)
{
	struct json_object *v;
	const char *s;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return required ? -EINVAL : 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (s[0] != '/' || strlen(s) > 4096)
		return -EINVAL;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static char *read_config(const char *file, char *why, size_t why_len, int *err)
{
	struct stat st;
	char *text;
	ssize_t n;
	size_t got = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		*err = fail(why, why_len, -errno, "cannot open the settings file %s", file);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*err = fail(why, why_len, -EINVAL, "the settings file %s is not a regular file", file);
		return NULL;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		close(fd);
		*err = fail(why, why_len, -EPERM, "the settings file %s is owned by another user", file);
		return NULL;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		*err = fail(why, why_len, -EPERM, "the settings file %s can be written by group or others (chmod go-w)", file);
		return NULL;
	}
	if (st.st_size > MAX_CONFIG_BYTES) {
		close(fd);
		*err = fail(why, why_len, -EINVAL, "the settings file %s is too large", file);
		return NULL;
	}
	text = calloc(1, (size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	while (got < (size_t)st.st_size && (n = read(fd, text + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	return text;
}

int sc_config_load(struct sc_config *cfg, char *why, size_t why_len)
{
	const char *file = getenv("SECTORCRYPT_AGENT_CONFIG");
	struct json_object *o, *v;
	char *text;
	int err = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (!file || !*file)
		file = SC_CONFIG_DEFAULT;
	text = read_config(file, why, why_len, &err);
	if (!text)
		return err;
	o = json_tokener_parse(text);
	free(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return fail(why, why_len, -EINVAL, "the settings file %s is not a JSON object", file);
	}
	if (path_member(o, "stateDir", &cfg->state_dir, 1) < 0) {
		err = fail(why, why_len, -EINVAL, "%s: \"stateDir\" must be the agent's folder (an absolute path)", file);
		goto out;
	}
	if (json_object_object_get_ex(o, "stateDirs", &v)) {
		size_t i, n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : SC_MAX_STATE_DIRS;
		if (n >= SC_MAX_STATE_DIRS) {
			err = fail(why, why_len, -EINVAL, "%s: \"stateDirs\" must be a short list of absolute paths", file);
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct json_object *a = json_object_array_get_idx(v, i);
			const char *d = json_object_is_type(a, json_type_string) ? json_object_get_string(a) : NULL;
			if (!d || d[0] != '/' || !(cfg->more_state_dirs[i] = strdup(d))) {
				err = fail(why, why_len, -EINVAL, "%s: \"stateDirs\" must be a short list of absolute paths", file);
				goto out;
			}
		}
	}
	if (path_member(o, "claims", &cfg->claims, 0) < 0 || path_member(o, "node", &cfg->node, 0) < 0 ||
	    path_member(o, "cli", &cfg->cli, 0) < 0) {
		err = fail(why, why_len, -EINVAL, "%s: \"claims\", \"node\" and \"cli\" must be absolute paths", file);
		goto out;
	}
	if (json_object_object_get_ex(o, "nodeArgs", &v)) {
		size_t i, n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : SC_MAX_NODE_ARGS;
		if (n >= SC_MAX_NODE_ARGS) {
			err = fail(why, why_len, -EINVAL, "%s: \"nodeArgs\" must be a short list of strings", file);
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct json_object *a = json_object_array_get_idx(v, i);
			if (!json_object_is_type(a, json_type_string) || !(cfg->node_args[i] = strdup(json_object_get_string(a)))) {
				err = fail(why, why_len, -EINVAL, "%s: \"nodeArgs\" must be a short list of strings", file);
				goto out;
			}
		}
	}
	if (json_object_object_get_ex(o, "path", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			err = fail(why, why_len, -EINVAL, "%s: \"path\" must be a string", file);
			goto out;
		}
		cfg->path = strdup(json_object_get_string(v));
	}
	cfg->timeout_seconds = DEFAULT_TIMEOUT;
	if (json_object_object_get_ex(o, "timeoutSeconds", &v)) {
		int64_t t = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || t < 1 || t > 86400) {
			err = fail(why, why_len, -EINVAL, "%s: \"timeoutSeconds\" must be a whole number of seconds, 1 to 86400", file);
			goto out;
		}
		cfg->timeout_seconds = (long)t;
	}
	if (json_object_object_get_ex(o, "wait", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			err = fail(why, why_len, -EINVAL, "%s: \"wait\" must be true or false", file);
			goto out;
		}
		cfg->wait = json_object_get_boolean(v);
	}
	if (!cfg->node)
		cfg->node = strdup(DEFAULT_NODE);
	if (!cfg->cli)
		cfg->cli = strdup(DEFAULT_CLI);
	if (!cfg->path)
		cfg->path = strdup(DEFAULT_PATH);
	if (!cfg->node || !cfg->cli || !cfg->path)
		err = -ENOMEM;
out:
	json_object_put(o);
	if (err)
		sc_config_free(cfg);
	return err;
}

void sc_config_free(struct sc_config *cfg)
{
	size_t i;

	free(cfg->state_dir);
	free(cfg->claims);
	free(cfg->node);
	free(cfg->cli);
	free(cfg->path);
	for (i = 0; i < SC_MAX_NODE_ARGS; i++)
		free(cfg->node_args[i]);
	for (i = 0; i < SC_MAX_STATE_DIRS; i++)
		free(cfg->more_state_dirs[i]);
	memset(cfg, 0, sizeof(*cfg));
}
