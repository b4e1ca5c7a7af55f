#!/usr/bin/env bash
# Installs the Debian packages Caravan builds and tests with. Idempotent:
# packages already present are left alone.
set -euo pipefail
PKGS=(
    build-essential autoconf automake libtool autoconf-archive pkg-config
    libuv1-dev libsodium-dev libmsgpack-dev liblmdb-dev libcurl4-openssl-dev
    libjansson-dev libhttp-parser-dev check
    clang libclang-rt-dev jq git ca-certificates curl python3 tzdata
    redis-server nftables iproute2
)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
