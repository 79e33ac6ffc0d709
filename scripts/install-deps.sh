#!/usr/bin/env bash
# Install the Debian packages popi-sim needs, but only those that are missing.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libgsl-dev libigraph-dev libhdf5-dev hdf5-tools
      libcjson-dev check libsodium-dev zlib1g-dev python3-h5py)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
