#!/bin/bash
# dracut module: Node, the sectorcrypt package, the enrolled agents' state (stateDir, and
# stateDirs for threshold tokens) and settings, and the cryptsetup token plugins in the
# initramfs; systemd-cryptsetup in the initrd then opens root volumes bound to a key broker,
# or to k of n brokers, through the plugins (crypttab: none luks,_netdev).
# Install as /usr/lib/dracut/modules.d/90sectorcrypt/, then dracut -f; kernel parameters
# rd.neednet=1 ip=dhcp. docs/volumes.md "At boot".
# shellcheck disable=SC2154 # initdir: set by dracut

check() {
    [[ -r ${SECTORCRYPT_AGENT_CONFIG:-/etc/sectorcrypt/agent.json} ]] || return 1
    return 0
}

depends() {
    echo crypt systemd network
    return 0
}

install() {
    local config=${SECTORCRYPT_AGENT_CONFIG:-/etc/sectorcrypt/agent.json}
    local node cli state claims package dir plugin
    local -a states
    node=$(sed -n 's/.*"node"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$config" | head -n 1)
    node=${node:-/usr/bin/node}
    cli=$("$node" -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).cli || "")' "$config")
    cli=${cli:-/usr/lib/node_modules/sectorcrypt/dist/cli/main.js}
    # stateDir, then stateDirs (one agent per further broker, for threshold tokens)
    mapfile -t states < <("$node" -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const d of [c.stateDir, ...(c.stateDirs ?? [])]) if (typeof d === "string" && d.startsWith("/")) console.log(d);' "$config")
    claims=$("$node" -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).claims || "")' "$config")
    package=$(dirname "$(dirname "$(dirname "$cli")")")

    inst_binary "$node"
    mkdir -p "${initdir}${package}"
    cp -a "$package/." "${initdir}${package}/"
    for state in "${states[@]}"; do
        mkdir -p "${initdir}$(dirname "$state")"
        cp -a "$state" "${initdir}$(dirname "$state")/"
        chmod 0700 "${initdir}${state}"
        rm -f "${initdir}${state}/pending.json"
    done
    [[ -n $claims ]] && inst_simple "$claims"
    inst_simple "$config" /etc/sectorcrypt/agent.json
    chmod 0600 "${initdir}/etc/sectorcrypt/agent.json"
    for dir in /usr/lib/x86_64-linux-gnu/cryptsetup /usr/lib/aarch64-linux-gnu/cryptsetup /usr/lib64/cryptsetup; do
        for plugin in broker threshold; do
            [[ -f $dir/libcryptsetup-token-sectorcrypt-$plugin.so ]] && inst_library "$dir/libcryptsetup-token-sectorcrypt-$plugin.so"
        done
    done
    return 0
}
