#!/bin/sh
# deps.sh - install the Debian packages that building and testing queuectl need, if any are missing.
#
# Usage: scripts/deps.sh [build|test|fuzz]
#   build  what 'make' needs: the compiler, meson and the libraries it links
#   test   build, plus what the unit and end-to-end tests run (cmocka, the tools the shell
#          tests call, and for the dashboard's browser test chromium, node and, with npm ci,
#          the pinned playwright-core of tests/browser)
#   fuzz   build, plus clang and its fuzzer runtime
# Installs nothing when everything is already there, so it is cheap to run before every build.
# The lists are what a minimal Debian 12 (debootstrap --variant=minbase, plus make and git)
# lacks: CI proves them with ../shared/tools/fresh-debian, so a package installed by hand on
# one machine cannot hide a missing line here.
set -eu

# libc6-dev: gcc only recommends it.  zlib1g-dev: the static libsqlite3.a links -lz.
# binutils: meson.build reads the sonames of libmicrohttpd and libpq with objdump.
# libpq-dev: the PostgreSQL backend's header (the library is loaded when a store is one).
pkgs="gcc libc6-dev binutils pkg-config meson ninja-build libsqlite3-dev libjansson-dev
	zlib1g-dev libmicrohttpd-dev libpq-dev"
case ${1:-build} in
build) ;;
# ps (procps): the worker tests look at process groups and states.  curl: the tests of
# 'queuectl web'; prometheus: its promtool checks /metrics.  postgresql: the server that
# tests/pg/cluster.sh starts for the PostgreSQL runs of the tests (psql comes with it).
# iproute2: ip, for the veth pairs of tests/pg/t3300-hosts.sh.  pgbouncer: the pooler that
# tests/pg/t3600-pgbouncer.sh runs the commands through.
test) pkgs="$pkgs libcmocka-dev sqlite3 jq valgrind procps zsh fish mandoc curl
	prometheus chromium postgresql iproute2 pgbouncer"
	# node and npm: Debian's, unless a node with its own npm is installed already (the
	# packages of another source conflict with Debian's npm).
	command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm" ;;
fuzz) pkgs="$pkgs clang libclang-rt-14-dev llvm" ;;
*) echo "usage: scripts/deps.sh [build|test|fuzz]" >&2; exit 2 ;;
esac

# The browser test's playwright-core, exactly as package-lock.json pins it (npm ci), when
# node_modules is missing or older than the lock file.
npm_ci() {
	[ "${1:-build}" = test ] || return 0
	dir=$(dirname "$0")/../tests/browser
	[ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] && return 0
	echo "deps.sh: npm ci in tests/browser" >&2
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
}

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	npm_ci "${1:-build}"
	exit
fi

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
# apt's chatter (debconf notes, warnings) is shown only when it fails.  The lock timeout waits
# for another apt-get (a second build, unattended-upgrades) instead of failing at once.
log=$(mktemp "${TMPDIR:-/tmp}/queuectl-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
# shellcheck disable=SC2086
if ! { $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq &&
	$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps.sh: apt-get failed to install:$missing" >&2
	exit 1
fi
npm_ci "${1:-build}"
