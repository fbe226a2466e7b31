#!/usr/bin/env bash
# The armv8-ce kernel tested on an x86-64 machine, under qemu-user:
#   1. test/arm64-cases.ts writes the known answers (NIST XTS, IEEE 1619, NIST GCM) and
#      random inputs with the outputs of this machine's x86 kernels (needs the x64 addon);
#   2. test/arm64-kernel.cc, the kernel alone, cross-compiled and run on those cases;
#   3. the arm64 addon (scripts/build-arm64.sh) loaded by the official arm64 Node 20 through
#      dist/, on the same cases and against that Node's own node:crypto (test/arm64-node.mjs).
# Exit 0: passed; 77: skipped, the reason printed (no cross compiler or no qemu); else failed.
# Work files go to build-arm64/ (git-ignored); the addon and dist there are rebuilt only when
# their sources change.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/arm64-env.sh
if reason=$(arm64_missing run); then
  echo "SKIP arm64 tests: $reason"
  exit 77
fi
work=$ROOT/build-arm64
mkdir -p "$work"
started=$SECONDS
step() { echo "== $* ($((SECONDS - started)) s)"; }

step "cases from the x86 kernels"
node --import tsx test/arm64-cases.ts "$work/cases.txt"

# True when the files named after $1 changed since fresh() last recorded their hash in $1.
stale() {
  local stamp=$1 sum
  shift
  sum=$(find "$@" -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 1; fi
  echo "$sum" >"$stamp.new"
}
fresh() { mv "$1.new" "$1"; }

if stale "$work/harness.stamp" test/arm64-kernel.cc native; then
  step "native harness (cross-built)"
  "${ARM64_CROSS}g++" -std=c++17 -O3 -Wall -Wextra -Werror -o "$work/arm64-kernel" \
    test/arm64-kernel.cc native/kernel_armv8.cc native/aes_schedule.cc native/cpu.cc native/kernels.cc
  fresh "$work/harness.stamp"
fi
step "native harness: armv8-ce alone under qemu-aarch64"
arm64_run "$work/arm64-kernel" "$work/cases.txt"

pkg=$work/pkg
mkdir -p "$pkg/prebuilds/linux-arm64"
if stale "$work/addon.stamp" binding.gyp native package.json; then
  step "arm64 addon (cross-built)"
  rm -f "$pkg"/prebuilds/linux-arm64/*
  bash scripts/build-arm64.sh "$pkg/prebuilds/linux-arm64"
  fresh "$work/addon.stamp"
fi
if stale "$work/dist.stamp" src tsconfig.json tsconfig.build.json; then
  step "dist for the arm64 Node"
  rm -rf "$pkg/dist"
  npx tsc -p tsconfig.build.json --outDir "$pkg/dist"
  fresh "$work/dist.stamp"
fi
# A package folder without build/, so node-gyp-build picks prebuilds/linux-arm64/.
cp package.json "$pkg/"
ln -sfn "$ROOT/node_modules" "$pkg/node_modules"

node_dir=$(arm64_node)
step "arm64 Node $ARM64_NODE_VERSION under qemu-aarch64: the addon through dist/, node:crypto"
arm64_run "$node_dir/bin/node" test/arm64-node.mjs "$pkg" "$work/cases.txt"
step "arm64 tests passed"
