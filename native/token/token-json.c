/*
 * Checks a sectorcrypt-broker token as the TypeScript reader does (luks2-tokens.ts):
 *   {"type": "sectorcrypt-broker", "keyslots": ["N", ...], "keyId", "version",
 *    "enc" (base64 of 32 bytes), "ciphertext" (base64), "url" (optional, https://...)}
 * or, built with SC_THRESHOLD, a sectorcrypt-threshold token:
 *   {"type": "sectorcrypt-threshold", "keyslots": [...], "group" (32 hex digits), "k",
 *    "shares": [{"index", "keyId", "version", "enc", "ciphertext", "url"?}, ...]}
 */
#include "token-json.h"

#include <errno.h>
#include <string.h>
#include <json-c/json.h>

static int is_base64(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s), i, pad = 0;

	if (n < min || n > max || n % 4 != 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	return pad <= 2;
}

static const char *string_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The keyslots list: numbers as strings. */
static int check_keyslots(struct json_object *o)
{
	struct json_object *v;
	size_t i;

	if (!json_object_object_get_ex(o, "keyslots", &v) || !json_object_is_type(v, json_type_array))
		return -EINVAL;
	for (i = 0; i < json_object_array_length(v); i++) {
		struct json_object *k = json_object_array_get_idx(v, i);
		const char *d = json_object_is_type(k, json_type_string) ? json_object_get_string(k) : NULL;
		if (!d || !*d || strspn(d, "0123456789") != strlen(d))
			return -EINVAL;
	}
	return 0;
}

/* A sealed secret: keyId, version, enc, ciphertext, url (optional). */
static int check_sealed(struct json_object *o, struct sc_token *out)
{
	struct json_object *v;
	const char *s;
	size_t i, n;
	int64_t version;

	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	/* keyId: 1 to 128 printable characters without "/" (it is part of the sealing aad). */
	if (!(s = string_member(o, "keyId")) || (n = strlen(s)) < 1 || n > SC_MAX_KEY_ID)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '/')
			return -EINVAL;
	if (out)
		memcpy(out->key_id, s, n + 1);
	if (!json_object_object_get_ex(o, "version", &v) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	version = json_object_get_int64(v);
	if (version < 1 || version > (1LL << 53))
		return -EINVAL;
	if (out)
		out->version = version;
	/* enc: an X25519 public key, 32 bytes, so 44 base64 characters. */
	if (!(s = string_member(o, "enc")) || !is_base64(s, 44, 44) || s[43] != '=' || s[42] == '=')
		return -EINVAL;
	if (!(s = string_member(o, "ciphertext")) || !is_base64(s, 4, 4096))
		return -EINVAL;
	if (out)
		out->url[0] = 0;
	if (json_object_object_get_ex(o, "url", &v)) {
		if (!(s = string_member(o, "url")) || strncmp(s, "https://", 8) != 0 || (n = strlen(s)) > 2048)
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (s[i] < 0x21 || s[i] > 0x7e)
				return -EINVAL;
		if (out)
			memcpy(out->url, s, n + 1);
	}
	return 0;
}

#if SC_THRESHOLD
/* group, k, and 1 to SC_MAX_SHARES shares with distinct indexes 1 to 255, each a sealed secret. */
static int check_threshold(struct json_object *o, struct sc_token *out)
{
	struct json_object *v, *shares;
	unsigned char seen[256] = { 0 };
	const char *s;
	size_t i, n;
	int64_t k;

	if (!(s = string_member(o, "group")) || strlen(s) != 32 || strspn(s, "0123456789abcdef") != 32)
		return -EINVAL;
	if (out)
		memcpy(out->group, s, 33);
	if (!json_object_object_get_ex(o, "shares", &shares) || !json_object_is_type(shares, json_type_array))
		return -EINVAL;
	n = json_object_array_length(shares);
	if (n < 1 || n > SC_MAX_SHARES)
		return -EINVAL;
	if (!json_object_object_get_ex(o, "k", &v) || !json_object_is_type(v, json_type_int))
		return -EINVAL;
	k = json_object_get_int64(v);
	if (k < 1 || k > (int64_t)n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		struct json_object *share = json_object_array_get_idx(shares, i);
		int64_t index;
		if (check_sealed(share, i == 0 ? out : NULL) < 0)
			return -EINVAL;
		if (!json_object_object_get_ex(share, "index", &v) || !json_object_is_type(v, json_type_int))
			return -EINVAL;
		index = json_object_get_int64(v);
		if (index < 1 || index > 255 || seen[index])
			return -EINVAL;
		seen[index] = 1;
	}
	if (out) {
		out->k = (int)k;
		out->n = (int)n;
	}
	return 0;
}
#endif

static int check(struct json_object *o, struct sc_token *out)
{
	const char *s;

	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	if (!(s = string_member(o, "type")) || strcmp(s, SC_TOKEN_TYPE) != 0)
		return -EINVAL;
	if (check_keyslots(o) < 0)
		return -EINVAL;
#if SC_THRESHOLD
	return check_threshold(o, out);
#else
	return check_sealed(o, out);
#endif
}

int sc_token_parse(const char *json, struct sc_token *out)
{
	struct json_object *o;
	int r;

	if (!json)
		return -EINVAL;
	o = json_tokener_parse(json);
	if (!o)
		return -EINVAL;
	r = check(o, out);
	json_object_put(o);
	return r;
}
