#!/usr/bin/env bash
# Runs the test suite on an addon built with AddressSanitizer and UBSan, then puts the
# normal build back. Node itself is not instrumented, so the ASan runtime is preloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

restore() { npx node-gyp rebuild >/dev/null 2>&1; }
trap restore EXIT

SECTORCRYPT_SANITIZE=1 npx node-gyp rebuild >/dev/null 2>&1
asan_lib=$(g++ -print-file-name=libasan.so)
# Node keeps memory alive at exit on purpose: leak reports would be noise.
SECTORCRYPT_SANITIZED=1 \
LD_PRELOAD="$asan_lib" \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  npx vitest run "$@"
