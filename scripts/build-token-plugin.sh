#!/usr/bin/env bash
# Builds the cryptsetup token plugin (native/token/) with the system compiler:
#   scripts/build-token-plugin.sh [OUT_DIR] [extra compiler flags...]
# OUT_DIR defaults to build-token/. Needs libcryptsetup-dev and libjson-c-dev (Debian).
# Exit 77 when the headers are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build-token}"
shift || true
cc="${CC:-cc}"
if ! pkg-config --exists libcryptsetup json-c 2>/dev/null; then
  echo "build-token-plugin: libcryptsetup.h or json-c is missing: apt-get install libcryptsetup-dev libjson-c-dev" >&2
  exit 77
fi
mkdir -p "$out"
# Two plugins from the same sources: one per token type (cryptsetup loads libcryptsetup-token-<type>.so).
for type in broker threshold; do
  define=0
  [ "$type" = threshold ] && define=1
  # shellcheck disable=SC2046
  "$cc" -std=gnu11 -O2 -g -fPIC -shared -Wall -Wextra -Werror -fvisibility=hidden \
    -D_FORTIFY_SOURCE=2 -fstack-protector-strong -DSC_THRESHOLD=$define \
    $(pkg-config --cflags libcryptsetup json-c) "$@" \
    -Wl,--version-script=native/token/token.sym -Wl,-z,relro,-z,now \
    -o "$out/libcryptsetup-token-sectorcrypt-$type.so.tmp" \
    native/token/plugin.c native/token/config.c native/token/run-agent.c native/token/token-json.c \
    $(pkg-config --libs libcryptsetup json-c)
  mv "$out/libcryptsetup-token-sectorcrypt-$type.so.tmp" "$out/libcryptsetup-token-sectorcrypt-$type.so"
done
