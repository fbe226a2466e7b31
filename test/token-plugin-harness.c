/*
 * Loads the token plugin with dlopen, as libcryptsetup does (dlvsym, CRYPTSETUP_TOKEN_1.0),
 * and calls every entry point on good and bad input; built and run under AddressSanitizer
 * and UBSan by scripts/test-token-plugin-asan.sh. Usage: harness PLUGIN.so LUKS2-IMAGE
 * (built with -DSC_THRESHOLD=1: the sectorcrypt-threshold plugin's good and bad tokens).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libcryptsetup.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "harness: %s failed (line %d)\n", #c, __LINE__); return 1; } } while (0)

static void *sym(void *h, const char *name)
{
	void *p = dlvsym(h, name, CRYPT_TOKEN_ABI_VERSION1);
	if (!p)
		fprintf(stderr, "harness: %s is missing\n", name);
	return p;
}

int main(int argc, char **argv)
{
#if SC_THRESHOLD
#define SHARE(i, key) "{\"index\":" #i ",\"keyId\":\"" key "\",\"version\":1,\"enc\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"ciphertext\":\"AAAA\"}"
#define GROUP "\"group\":\"00112233445566778899aabbccddeeff\""
	const char *good = "{\"type\":\"sectorcrypt-threshold\",\"keyslots\":[\"1\"]," GROUP ",\"k\":2,\"shares\":[" SHARE(1, "a") "," SHARE(2, "b") "," SHARE(3, "c") "]}";
	const char *bad[] = {
		NULL, "", "[]", "{", "{\"type\":\"sectorcrypt-broker\"}",
		"{\"type\":\"sectorcrypt-threshold\",\"keyslots\":[\"1\"]," GROUP ",\"k\":3,\"shares\":[" SHARE(1, "a") "," SHARE(2, "b") "]}",
		"{\"type\":\"sectorcrypt-threshold\",\"keyslots\":[\"1\"]," GROUP ",\"k\":0,\"shares\":[" SHARE(1, "a") "]}",
		"{\"type\":\"sectorcrypt-threshold\",\"keyslots\":[\"1\"]," GROUP ",\"k\":1,\"shares\":[" SHARE(1, "a") "," SHARE(1, "b") "]}",
		"{\"type\":\"sectorcrypt-threshold\",\"keyslots\":[\"1\"]," GROUP ",\"k\":1,\"shares\":[" SHARE(256, "a") "]}",
		"{\"type\":\"sectorcrypt-threshold\",\"keyslots\":[\"1\"]," GROUP ",\"k\":1,\"shares\":[" SHARE(1, "a/b") "]}",
		"{\"type\":\"sectorcrypt-threshold\",\"keyslots\":[\"1\"],\"group\":\"XYZ\",\"k\":1,\"shares\":[" SHARE(1, "a") "]}",
		"{\"type\":\"sectorcrypt-threshold\",\"keyslots\":[\"1\"]," GROUP ",\"k\":1,\"shares\":[]}",
	};
#else
	const char *good = "{\"type\":\"sectorcrypt-broker\",\"keyslots\":[\"1\"],\"keyId\":\"key_1\",\"version\":1,"
			   "\"enc\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"ciphertext\":\"AAAA\",\"url\":\"https://b.example\"}";
	const char *bad[] = {
		NULL, "", "[]", "{", "{\"type\":\"luks2-keyring\"}",
		"{\"type\":\"sectorcrypt-broker\",\"keyslots\":[1],\"keyId\":\"k\",\"version\":1,\"enc\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"ciphertext\":\"AAAA\"}",
		"{\"type\":\"sectorcrypt-broker\",\"keyslots\":[\"1\"],\"keyId\":\"k/1\",\"version\":1,\"enc\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"ciphertext\":\"AAAA\"}",
		"{\"type\":\"sectorcrypt-broker\",\"keyslots\":[\"1\"],\"keyId\":\"k\",\"version\":0,\"enc\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"ciphertext\":\"AAAA\"}",
		"{\"type\":\"sectorcrypt-broker\",\"keyslots\":[\"1\"],\"keyId\":\"k\",\"version\":1,\"enc\":\"AAAA\",\"ciphertext\":\"AAAA\"}",
		"{\"type\":\"sectorcrypt-broker\",\"keyslots\":[\"1\"],\"keyId\":\"k\",\"version\":1,\"enc\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"ciphertext\":\"A\"}",
		"{\"type\":\"sectorcrypt-broker\",\"keyslots\":[\"1\"],\"keyId\":\"k\",\"version\":1,\"enc\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"ciphertext\":\"AAAA\",\"url\":\"http://x\"}",
	};
#endif
	struct crypt_device *cd = NULL;
	char *buffer = NULL;
	size_t len = 0, i;
	void *h;

	CHECK(argc == 3);
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	CHECK(h != NULL);
	const char *(*version)(void) = (const char *(*)(void))sym(h, CRYPT_TOKEN_ABI_VERSION);
	crypt_token_open_func open_ = (crypt_token_open_func)sym(h, CRYPT_TOKEN_ABI_OPEN);
	crypt_token_open_pin_func open_pin = (crypt_token_open_pin_func)sym(h, CRYPT_TOKEN_ABI_OPEN_PIN);
	crypt_token_buffer_free_func buffer_free = (crypt_token_buffer_free_func)sym(h, CRYPT_TOKEN_ABI_BUFFER_FREE);
	crypt_token_validate_func validate = (crypt_token_validate_func)sym(h, CRYPT_TOKEN_ABI_VALIDATE);
	crypt_token_dump_func dump = (crypt_token_dump_func)sym(h, CRYPT_TOKEN_ABI_DUMP);
	CHECK(version && open_ && open_pin && buffer_free && validate && dump);
	CHECK(strcmp(version(), "1.0.0") == 0);

	CHECK(crypt_init(&cd, argv[2]) == 0);
	CHECK(crypt_load(cd, CRYPT_LUKS2, NULL) == 0);
	CHECK(validate(cd, good) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(validate(cd, bad[i]) == -EINVAL);
	dump(cd, good);
	dump(cd, bad[3]);

	/* A PIN is refused; without settings the open fails and hands back nothing. */
	CHECK(open_pin(cd, 0, "1234", 4, &buffer, &len, NULL) == -EINVAL && buffer == NULL);
	setenv("SECTORCRYPT_AGENT_CONFIG", "/nonexistent/agent.json", 1);
	CHECK(open_(cd, 0, &buffer, &len, NULL) < 0 && buffer == NULL);
	CHECK(open_(cd, 31, &buffer, &len, NULL) == -EINVAL && buffer == NULL);

	buffer = malloc(32);
	CHECK(buffer != NULL);
	memset(buffer, 0x5a, 32);
	buffer_free(buffer, 32);
	buffer_free(NULL, 0);

	crypt_free(cd);
	dlclose(h);
	puts("harness: ok");
	return 0;
}
