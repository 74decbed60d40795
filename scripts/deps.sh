#!/bin/sh
# deps.sh - install the Debian packages that building and testing queuectl need, if any are missing.
#
# Usage: scripts/deps.sh [build|test|fuzz]
# Installs nothing when everything is already there, so it is cheap to run before every build.
set -eu

pkgs="gcc pkg-config meson ninja-build libsqlite3-dev libjansson-dev"
[ "${1:-build}" = test ] && pkgs="$pkgs libcmocka-dev sqlite3 jq valgrind"
[ "${1:-build}" = fuzz ] && pkgs="$pkgs clang libclang-rt-14-dev llvm"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "deps.sh: missing packages:$missing (run as root or install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
