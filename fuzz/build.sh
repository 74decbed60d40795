#!/bin/sh
# build.sh - build the libFuzzer harnesses into fuzz/out/: fuzz_job_json, fuzz_jsonl,
# fuzz_time, fuzz_config, fuzz_argv and fuzz_text.
#
# Usage: fuzz/build.sh
# Needs clang and its fuzzer runtime (Debian: clang, libclang-rt-14-dev).  The library (src/
# but main.c) is compiled once, with the sanitizers and coverage, into an archive that each
# harness links.  CC and CFLAGS add to the defaults.
set -eu
cd "$(dirname "$0")/.."

CC=${CC:-clang}
out=fuzz/out
flags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE
       -std=gnu11 -Isrc -DQUEUECTL_VERSION=\"fuzz\" $(pkg-config --cflags sqlite3 jansson libmicrohttpd libpq)
       ${CFLAGS:-}"
libs="$(pkg-config --libs sqlite3 jansson libmicrohttpd) -lm -lpthread"
harnesses="job_json jsonl time config argv text"

# Run "$@" in the background; wait_all fails if any of them failed.
pids=
bg() {
	"$@" &
	pids="$pids $!"
}
wait_all() {
	failed=0
	for pid in $pids; do
		wait "$pid" || failed=1
	done
	pids=
	return $failed
}

rm -rf "$out/obj" "$out/libqueuectl.a"
mkdir -p "$out/obj"
# The dashboard's files, as meson builds them into the binary (the command table has web).
python3 scripts/embed.py "$out/obj/web_static.c" web/index.html web/app.js web/style.css
for src in src/*.c src/cmd/*.c src/store/*.c src/web/*.c "$out/obj/web_static.c"; do
	[ "$src" = src/main.c ] && continue
	obj=$out/obj/$(echo "${src#src/}" | tr / _).o
	# shellcheck disable=SC2086
	bg $CC $flags -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
done
wait_all
ar rcs "$out/libqueuectl.a" "$out"/obj/*.o

for name in $harnesses; do
	# shellcheck disable=SC2086
	bg $CC $flags -Wall -Wextra -Werror -Ifuzz -fsanitize=fuzzer "fuzz/fuzz_$name.c" \
		"$out/libqueuectl.a" $libs -o "$out/fuzz_$name"
done
wait_all
echo "build.sh: built $(echo "$harnesses" | sed 's/\([a-z_]*\)/fuzz_\1/g') in $out/"
