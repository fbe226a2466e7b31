/* The sectorcrypt-broker token's JSON (src/volume/luks2-tokens.ts is the other reader). */
#ifndef SECTORCRYPT_TOKEN_JSON_H
#define SECTORCRYPT_TOKEN_JSON_H

#define SC_TOKEN_TYPE "sectorcrypt-broker"
#define SC_MAX_KEY_ID 128

struct sc_token {
	char key_id[SC_MAX_KEY_ID + 1];
	long long version;
	char url[2049]; /* empty when the token names no broker */
};

/* 0 when `json` is a well-formed sectorcrypt-broker token (filling `out` if not NULL), else -EINVAL. */
int sc_token_parse(const char *json, struct sc_token *out);

#endif
