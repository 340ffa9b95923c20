#!/usr/bin/env bash
# deps.sh -- make sure the Debian packages a make target needs are present.
#
#   scripts/deps.sh build|check|fuzz|bench|demo
#
# Run as root, it installs what is missing with apt-get; otherwise it prints
# the exact apt-get line and fails, so `make` stops with a clear sentence.
set -euo pipefail

build=(gcc make pkg-config libjansson-dev libxml2-dev libuv1-dev libssl-dev libsqlite3-dev
    libhttp-parser-dev libwslay-dev)
check=("${build[@]}" libcmocka-dev mosquitto-clients libmosquitto-dev openssl socat curl python3 strace sqlite3)
fuzz=("${build[@]}" clang libclang-rt-14-dev)
bench=("${build[@]}" mosquitto libmosquitto-dev mosquitto-clients socat wrk)
demo=("${build[@]}" mosquitto-clients)

case "${1:-build}" in
build) want=("${build[@]}") ;;
check) want=("${check[@]}") ;;
fuzz) want=("${fuzz[@]}") ;;
bench) want=("${bench[@]}") ;;
demo) want=("${demo[@]}") ;;
*) echo "deps.sh: unknown target '$1' (use build, check, fuzz, bench or demo)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm (MQTT.js, ws and the raw-socket test clients): a machine
# image may ship its own Node.js, and the Debian npm package conflicts with
# that install, so Debian's nodejs and npm are installed only when there is
# no node at all (a fresh Debian 12: Node.js 18).
if [ "${1:-build}" = check ] || [ "${1:-build}" = bench ]; then
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        command -v node >/dev/null || missing+=(nodejs)
        command -v npm >/dev/null || missing+=(npm)
    fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    echo "deps.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "deps.sh: missing Debian packages; run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
