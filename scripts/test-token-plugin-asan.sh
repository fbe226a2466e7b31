#!/usr/bin/env bash
# The cryptsetup token plugin under AddressSanitizer and UBSan: a dlopen harness calls every
# entry point on good and bad input, then the plugin's suite runs with the real cryptsetup
# (libasan preloaded into cryptsetup only). Exit 77 when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
cc="${CC:-cc}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
san=('-fsanitize=address,undefined' -fno-sanitize-recover=all -fno-omit-frame-pointer)
bash scripts/build-token-plugin.sh "$work/plugin" "${san[@]}"
# shellcheck disable=SC2046
for t in 0 1; do
  # shellcheck disable=SC2046
  "$cc" -std=gnu11 -g -Wall -Wextra -Werror "${san[@]}" -DSC_THRESHOLD=$t $(pkg-config --cflags libcryptsetup) \
    -o "$work/harness-$t" test/token-plugin-harness.c $(pkg-config --libs libcryptsetup) -ldl
done
truncate -s 20M "$work/image"
printf pw > "$work/pw"
cryptsetup -q luksFormat --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$work/pw" "$work/image"
ASAN_OPTIONS=detect_leaks=1 "$work/harness-0" "$work/plugin/libcryptsetup-token-sectorcrypt-broker.so" "$work/image"
ASAN_OPTIONS=detect_leaks=1 "$work/harness-1" "$work/plugin/libcryptsetup-token-sectorcrypt-threshold.so" "$work/image"
# cryptsetup itself is not built with ASan: its own allocations are not ours to judge (no leak check).
SECTORCRYPT_TOKEN_PLUGIN_FLAGS="${san[*]}" \
SECTORCRYPT_TOKEN_PLUGIN_PRELOAD="$("$cc" -print-file-name=libasan.so)" \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  npx vitest run test/integration/token-plugin.test.ts test/integration/threshold-brokers.test.ts
