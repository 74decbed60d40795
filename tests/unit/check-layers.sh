#!/bin/sh
# check-layers.sh - the layers hold: only the queue layer and the store itself use the store.
#
#   src/store/backend.h (the ops table)  may be included by src/store.c and src/store/*.c only;
#   src/store.h and its store_* functions may be used by src/queue.c and the store only,
#   and by the store's own tests (and test_queue, which pins the store's clock).
#   src/web/ (the HTTP front end) stands beside the commands, not on them: it includes no
#   cmd.h, and only src/cmd/web.c includes web/web.h.
#
# Everything else goes through queue.h.  Usage: check-layers.sh SOURCE_ROOT (meson passes it).
set -eu
cd "${1:-$(dirname "$0")/../..}"

# Files allowed to reach below the queue layer for a while: none.  Never add one.
transition="
"

# The store's own tests may use it for good.
store_tests="
tests/unit/test_store.c
tests/unit/test_sqlite.c
tests/unit/tmpdb.c
tests/unit/test_queue.c
"

failed=0
fail() {
	echo "check-layers: $*" >&2
	failed=1
}

listed() { # listed FILE LIST
	case "$2" in *"
$1
"*) return 0 ;; esac
	return 1
}

# The functions and types of store.h, as a pattern: store_open(, struct store_filter, ...
names=$(sed -n 's/.*\b\(store_[a-z_]*\)(.*/\1/p' src/store.h | sort -u | tr '\n' '|')
uses="\\b(${names%|})[[:space:]]*\\(|struct (store_filter|claim_req)\\b|\\bstore_[a-z]+_fn\\b"

files=$(find src tests fuzz bench -name '*.[ch]' 2>/dev/null | sort)
for f in $files; do
	case $f in
	src/store.[ch] | src/store/*) continue ;;
	esac
	if grep -Eq '#[[:space:]]*include[[:space:]]+"([./]*|.*/)?store/backend\.h"|#[[:space:]]*include[[:space:]]+"backend\.h"' "$f"; then
		fail "$f includes store/backend.h: only src/store.c and src/store/*.c may"
	fi
	[ "$f" = src/queue.c ] && continue
	listed "$f" "$store_tests" && continue
	below=
	if grep -Eq '#[[:space:]]*include[[:space:]]+"([./]*)store\.h"' "$f"; then
		below="includes store.h"
	elif grep -Eq "$uses" "$f"; then
		below="uses $(grep -Eo "$uses" "$f" | head -1 | tr -d '( ')"
	fi
	if [ -n "$below" ] && ! listed "$f" "$transition"; then
		fail "$f $below: go through queue.h (only the queue layer and the store use store.h)"
	elif [ -z "$below" ] && listed "$f" "$transition"; then
		fail "$f no longer uses the store: take it off the transition list in $0"
	fi
done
for f in $(find src -name '*.[ch]' | sort); do
	case $f in
	src/web/*)
		if grep -Eq '#[[:space:]]*include[[:space:]]+"([./]*)cmd\.h"' "$f"; then
			fail "$f includes cmd.h: the web front end goes through queue.h, not the commands"
		fi ;;
	src/cmd/web.c) ;;
	*)
		if grep -Eq '#[[:space:]]*include[[:space:]]+"([./]*|.*/)?web/web\.h"' "$f"; then
			fail "$f includes web/web.h: only src/web/ and src/cmd/web.c may"
		fi ;;
	esac
done
for f in $transition; do
	[ -e "$f" ] || fail "$f is on the transition list but does not exist: take it off"
done
[ $failed = 0 ] && echo "check-layers: ok"
exit $failed
