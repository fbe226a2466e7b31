#!/usr/bin/env bash
# The web console in a real browser: Debian's Chromium driven by playwright-core against
# brokers the tests start (test/console/, vitest.console.config.ts). Apart from `npm test`,
# which is near its time budget. A missing Chromium is a reported skip, or a failure where
# SECTORCRYPT_REQUIRE_TOOLS asks for it (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/build-console.mjs
exec npx vitest run --config vitest.console.config.ts "$@"
