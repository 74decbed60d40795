#!/bin/bash
# t0650-install.sh - what 'make install' installs: 'meson install --destdir' from the build
# directory stages the binary, the man page and the systemd user unit under the build's prefix,
# each with its usual mode and nothing else beside them, and the unit's ExecStart names the
# binary in the prefix's bindir.  The shell completions are checked when the build has made
# them: they are the output of 'queuectl completion SHELL' (src/cmd/completion.c), and a build
# without that command installs none.
# Commands: --version (of the installed binary); the install itself is meson's.
. "$TEST_DIR/lib.sh"

build=$(dirname "$QUEUECTL")
stage=$TMP/stage

# option NAME: a build option's value, as the build directory was configured.
meson introspect --buildoptions "$build" >"$TMP/options.json" || fail "cannot read the build's options"
option() {
	jq -r --arg n "$1" '.[] | select(.name == $n) | .value' "$TMP/options.json"
}
# under DIR: DIR, a directory option, made absolute under the prefix as meson does.
under() {
	case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac
}
mode() {
	stat -c %a "$1"
}

prefix=$(option prefix)
assert_match '^/' "$prefix" "the build's prefix"
bindir=$(under "$(option bindir)")
mandir=$(under "$(option mandir)")
datadir=$(under "$(option datadir)")

check_ok meson install -C "$build" --no-rebuild --destdir "$stage"
bin=$stage$bindir/queuectl
man=$stage$mandir/man1/queuectl.1
unit=$stage$prefix/lib/systemd/user/queuectl-worker.service
want="$bin $man $unit"

# --- The binary: executable by all, writable by its owner only, and the one just built.
[ -f "$bin" ] || fail "no binary at $bin"
assert_eq 755 "$(mode "$bin")" "mode of the installed binary"
check_ok "$bin" --version
assert_eq "$("$QUEUECTL" --version)" "$out" "--version of the installed binary"

# --- The man page, as it is in doc/.
[ -f "$man" ] || fail "no man page at $man"
assert_eq 644 "$(mode "$man")" "mode of the man page"
assert_eq "$(sha256sum <"$TEST_DIR/../../doc/queuectl.1")" "$(sha256sum <"$man")" "the installed man page"

# --- The systemd user unit: it runs the installed binary in the foreground, and stopping it
# signals the worker alone (so its running jobs finish), waiting long enough for them.
[ -f "$unit" ] || fail "no systemd user unit at $unit"
assert_eq 644 "$(mode "$unit")" "mode of the unit"
assert_eq "ExecStart=$bindir/queuectl worker start" "$(grep '^ExecStart=' "$unit")" "the unit's ExecStart"
assert_eq "KillMode=mixed" "$(grep '^KillMode=' "$unit")" "the unit's KillMode"
assert_eq "KillSignal=SIGTERM" "$(grep '^KillSignal=' "$unit")" "the unit's KillSignal"
assert_match '^TimeoutStopSec=[0-9]+min$' "$(grep '^TimeoutStopSec=' "$unit")" "the unit's TimeoutStopSec"
assert_eq "Restart=on-failure" "$(grep '^Restart=' "$unit")" "the unit's Restart"
assert_eq "" "$(grep -n '@' "$unit")" "placeholders left in the unit"

# --- The shell completions, when this build has them.
completions="bash-completion/completions/queuectl zsh/site-functions/_queuectl
	fish/vendor_completions.d/queuectl.fish"
if [ -e "$build/completions/queuectl" ]; then
	for c in $completions; do
		f=$stage$datadir/$c
		[ -s "$f" ] || fail "no completion script at $f, or it is empty"
		assert_eq 644 "$(mode "$f")" "mode of $c"
		want="$want $f"
	done
else
	echo "note: this build has no shell completions ('queuectl completion' is not there): not checked"
fi

# --- Nothing else, and nothing that others may write.
assert_eq "$(printf '%s\n' $want | sort)" "$(find "$stage" -type f | sort)" "the files installed"
assert_eq "" "$(find "$stage" -perm /022 -printf '%m %p\n')" "installed files or directories writable by others"

finish
