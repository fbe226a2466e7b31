/*
 * The sectorcrypt-broker token's JSON (src/volume/luks2-tokens.ts is the other reader). Built
 * with -DSC_THRESHOLD=1, the same plugin reads sectorcrypt-threshold tokens instead (a slot
 * secret split k of n, each share sealed to a broker key; docs/volumes.md "Threshold binding").
 */
#ifndef SECTORCRYPT_TOKEN_JSON_H
#define SECTORCRYPT_TOKEN_JSON_H

#ifndef SC_THRESHOLD
#define SC_THRESHOLD 0
#endif
#if SC_THRESHOLD
#define SC_TOKEN_TYPE "sectorcrypt-threshold"
#else
#define SC_TOKEN_TYPE "sectorcrypt-broker"
#endif
#define SC_MAX_KEY_ID 128
#define SC_MAX_SHARES 16

struct sc_token {
	char key_id[SC_MAX_KEY_ID + 1];
	long long version;
	char url[2049]; /* empty when the token names no broker */
	/* A sectorcrypt-threshold token: its group, k and number of shares (key_id, version, url: its first share's). */
	char group[33];
	int k, n;
};

/* 0 when `json` is a well-formed token of SC_TOKEN_TYPE (filling `out` if not NULL), else -EINVAL. */
int sc_token_parse(const char *json, struct sc_token *out);

#endif
