#!/usr/bin/env bash
# Cross-builds the addon for linux-arm64 (the armv8-ce kernel) into prebuilds/linux-arm64/,
# next to the linux-x64 prebuild, named as prebuildify names that one, so node-gyp-build
# loads it on arm64. Builds in build-arm64/stage so the x64 build/ is left alone.
#   scripts/build-arm64.sh [OUT_DIR]    (default prebuilds/linux-arm64)
# Exits 77 with the reason when the cross compiler is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/arm64-env.sh
out=$(mkdir -p "${1:-prebuilds/linux-arm64}" && cd "${1:-prebuilds/linux-arm64}" && pwd)
if reason=$(arm64_missing build); then
  echo "linux-arm64 build not possible: $reason" >&2
  exit 77
fi
node_dir=$(arm64_node)

stage=$ROOT/build-arm64/stage  # inside the project, so the build finds node_modules
rm -rf "$stage" && mkdir -p "$stage"
cp -r binding.gyp package.json native "$stage/"
# The Node headers come from the arm64 Node itself (include/node): no header download.
log=$ROOT/build-arm64/build.log
if ! (cd "$stage" &&
  CC="${ARM64_CROSS}gcc" CXX="${ARM64_CROSS}g++" LINK="${ARM64_CROSS}g++" AR="${ARM64_CROSS}ar" \
  npm_config_nodedir="$node_dir" PREBUILD_STRIP_BIN="${ARM64_CROSS}strip" JOBS=2 \
    "$ROOT/node_modules/.bin/prebuildify" --napi --strip --tag-libc --arch arm64 --platform linux) >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "linux-arm64 build failed (log: $log)" >&2
  exit 1
fi
# The x64 build has no warnings under -Wall -Wextra; neither may this one.
if grep -i 'warning:' "$log" >&2; then
  echo "linux-arm64 build has warnings (log: $log)" >&2
  exit 1
fi
cp "$stage"/prebuilds/linux-arm64/*.node "$out/"
echo "linux-arm64 addon: $(cd "$out" && ls ./*.node)"
