#!/bin/bash
# t0660-completion.sh - completion bash|zsh|fish prints a script that completes commands
# and subcommands, each command's options (also after its operands), the values of --state,
# config keys, shells, and job ids read from the store (dead ones for dlq retry), from the
# database that --db names before or after the command.  Every command and option that
# --help and help COMMAND list is completed, so a new one is covered without editing this
# test.  The bash script is run here; zsh's with its completion builtins stubbed; fish's
# with 'complete -C'.  The zsh and fish scripts also pass their shell's syntax check.
# Commands: completion, help, --help, enqueue, config show, worker start.
. "$TEST_DIR/lib.sh"

for sh in zsh fish; do
	command -v "$sh" >/dev/null || fail "$sh is not installed (it is in 'scripts/deps.sh test')"
done

OTHER=$TMP/other.db
mkdir "$TMP/bin" "$TMP/empty" "$TMP/fishhome"
ln -s "$QUEUECTL" "$TMP/bin/queuectl"
# File names are completed where nothing else is: complete in an empty directory.
cd "$TMP/empty" || fail "cd"

# Words are sorted byte by byte, here and in every shell asked.
export LC_ALL=C

# words: the words of stdin, sorted, each once, on one line.
words() {
	local -a w
	local s
	read -rd '' -a w || :
	[ "${#w[@]}" -gt 0 ] || { echo; return; }
	s=$(printf '%s\n' "${w[@]}" | sort -u)
	echo "${s//$'\n'/ }"
}

# --- What --help and help COMMAND list: the commands, each group's subcommands, and each
# command's options.
check_ok q --help
commands=$(sed -n '/^commands:/,/^$/p' <<<"$out" | sed -n 's/^  \([a-z][a-z-]*\)\( [a-z][a-z-]*\)\{0,1\} .*/\1\2/p')
[ -n "$commands" ] || fail "no command found in --help"
tops="$(awk '{print $1}' <<<"$commands" | words)"
# The groups, found by their help (it has a list of subcommands), and their subcommands.
groups= paths=
for c in $tops; do
	if q help "$c" | grep -q '^subcommands:'; then
		groups="$groups $c"
		subs=$(awk -v g="$c" '$1 == g && NF > 1 {print $2}' <<<"$commands" | words)
		[ -n "$subs" ] || fail "--help lists no subcommand of $c"
		eval "subs_$c=\$subs"
		for s in $subs; do paths="$paths|$c $s"; done
	else
		paths="$paths|$c"
	fi
done
paths=${paths#|}
assert_match ' dlq .* worker' " $tops " "--help lists dlq and worker"
assert_match 'config' "$groups" "config is a group"
# options PATH: the long options that help PATH describes, plus --help and --db.
options() {
	{
		q help $1 | sed -n '/^options:/,/^$/p' | sed -n 's/^  \(--[a-z][a-z-]*\).*/\1/p'
		echo --help --db
	} | words
}
check_ok q config show --json
keys=$(jq -r 'keys[]' <<<"$out" | words)
states="completed dead failed pending processing"

# --- Jobs to complete: two pending, one dead, and one in another database.
check_ok q config set lease 3600
check_ok q enqueue --id job1 --delay 1h true
check_ok q enqueue --id job2 --delay 1h true
check_ok q enqueue --id dd1 --max-retries 0 'exit 3'
start_worker
wait_for 20 state_is dd1 dead
stop_worker "$worker_pid"
check_ok q --db "$OTHER" enqueue --id o1 --delay 1h true
ids="dd1 job1 job2"

# --- bash: the script defines _queuectl; COMPREPLY holds the completions.
check_ok q completion bash
bash_script=$out
bash -n <<<"$bash_script" || fail "bash -n refuses the bash completion script"
eval "$bash_script"
# bash_comp WORD... CUR: the completions of CUR after WORDS, as bash would ask for them.
bash_comp() {
	COMP_WORDS=("$QUEUECTL" "$@")
	COMP_CWORD=$#
	COMP_LINE="queuectl $*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_queuectl || fail "_queuectl failed for '$*'"
	printf '%s\n' "${COMPREPLY[@]}" | words
}

# zsh: the script with compadd, _describe, _files and _command_names as functions that print
# what they are given, one word a line; zsh itself would then keep the words that start with
# the word at the cursor, and so does this.  The program is called by its name, on PATH.  It
# completes each line of stdin (the words after "queuectl", the last one at the cursor) and
# prints the candidates of each, then "@@".
check_ok q completion zsh
printf '%s\n' "$out" >"$TMP/queuectl.zsh"
zsh -n "$TMP/queuectl.zsh" || fail "zsh -n refuses the zsh completion script"
zsh_run() {
	PATH=$TMP/bin:$PATH zsh -f -c '
		compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }
		_describe() { local i; for i in ${(P)2}; do print -r -- ${i%%:*}; done; }
		_files() { print -r -- "(files)"; }
		_command_names() { print -r -- "(commands)"; }
		source "$1" >/dev/null 2>&1
		local line c
		while IFS= read -r line; do
			line="queuectl $line"
			words=("${(@s: :)line}")
			CURRENT=${#words}
			for c in "${(@f)$(_queuectl)}"; do
				[[ -n $c && ( $c == "${words[CURRENT]}"* || $c == "("* ) ]] && print -r -- $c
			done
			print -r -- @@
		done' zsh "$TMP/queuectl.zsh"
}

# fish: complete -C for each line of stdin, with the program on PATH; "@@" after each.
check_ok q completion fish
printf '%s\n' "$out" >"$TMP/queuectl.fish"
fish -n "$TMP/queuectl.fish" || fail "fish -n refuses the fish completion script"
fish_run() {
	HOME=$TMP/fishhome XDG_CONFIG_HOME=$TMP/fishhome XDG_DATA_HOME=$TMP/fishhome \
		PATH=$TMP/bin:$PATH fish -N -c 'source $argv[1]
			while read -l line
				complete -C "queuectl $line" | string replace -r "\t.*" ""
				echo @@
			end' "$TMP/queuectl.fish"
}

# results: the candidates that zsh_run or fish_run print, as one line of sorted words for
# each case (with a single sort, however many cases).
results() {
	awk 'BEGIN { n = 1 } /^@@$/ { print n "\t"; n++; next } NF { print n "\t" $0 }' |
		sort -t "$(printf '\t')" -k1,1n -k2,2 -u |
		awk -F '\t' '$1 != n { if (n != "") print s; n = $1; s = "" }
			$2 != "" { s = s (s == "" ? "" : " ") $2 } END { if (n != "") print s }'
}
# SHELL_comp WORD... CUR: what SHELL offers for CUR after WORDS, as sorted words.  Words are
# passed to zsh and fish joined by spaces: none here has a space in it.
zsh_comp() { printf '%s\n' "$*" | zsh_run | results; }
fish_comp() { printf '%s\n' "$*" | fish_run | results; }

# comp WANT WORD... CUR: bash, zsh and fish all complete CUR after WORDS with WANT (sorted).
# bash is asked at once; zsh and fish, which take a while to start, once for all the cases, by
# shells_agree.
cases=()
comp() {
	local want=$1
	shift
	assert_eq "$want" "$(bash_comp "$@")" "bash: completion of '$*'"
	cases+=("$want"$'\t'"$*")
}
shells_agree() {
	local sh i got
	for sh in zsh fish; do
		mapfile -t got < <(printf '%s\n' "${cases[@]}" | cut -f2- | "${sh}_run" | results)
		assert_eq "${#cases[@]}" "${#got[@]}" "$sh: a result for each case"
		for i in "${!cases[@]}"; do
			assert_eq "${cases[i]%%$'\t'*}" "${got[i]}" "$sh: completion of '${cases[i]#*$'\t'}'"
		done
	done
	cases=()
}

# --- Every command of --help (and help, the topic word), then each group's subcommands.
comp "$(words <<<"$tops help")" ""
comp "$(words <<<"$tops help")" help ""
for g in $groups; do
	eval "subs=\$subs_$g"
	comp "$subs" "$g" ""
done
comp "$(tr ' ' '\n' <<<"$tops" | grep '^d' | words)" d
comp "list" dlq l

# --- Every option that help PATH describes, for every command (with --help and --db, which
# all take), before and after an operand.
while IFS= read -r p; do
	[ -n "$p" ] || continue
	want=$(options "$p")
	comp "$want" $p --
	[ "$p" = enqueue ] && continue # its first operand ends the options: below
	comp "$want" $p job1 --
done <<<"${paths//|/$'\n'}"

# --- Option values, keys, shells and ids.
comp --state list --st
comp "pending processing" list --state p
comp "$states" list -s ""
comp "$states" purge --state ""
comp "$states" list --limit 5 --state ""
comp "$keys" config set ""
comp "$keys" config get ""
comp "" config set max-retries ""
comp "bash fish zsh" completion ""
comp "zsh" completion z
comp "$ids" info ""
comp "job1 job2" info j
comp "$ids" logs -f ""
comp "$ids" wait -t 5s ""
comp "$ids" delete job1 ""
comp dd1 dlq retry ""
comp dd1 dlq retry --json ""
# --db before or after the command: the ids of that database.
comp o1 --db "$OTHER" info ""
comp o1 info --db "$OTHER" ""
comp o1 "--db=$OTHER" info ""
comp "" --db "$OTHER" dlq retry ""
# Options after operands; none once enqueue's command has begun.
comp --json info job1 --j
comp --json config get lease --js
comp --follow logs job1 --f
comp "" info -- --j
comp "" dlq retry -- --
assert_eq "" "$(bash_comp enqueue echo --j)" "bash: no enqueue option after its command"
assert_eq "(files)" "$(zsh_comp enqueue echo --j)" "zsh: no enqueue option after its command"
assert_eq "" "$(fish_comp enqueue echo --j)" "fish: no enqueue option after its command"
comp --priority enqueue --pri
comp --priority enqueue --id x --pri
# enqueue's first operand is a program.
assert_eq echo "$(bash_comp enqueue --id x ech | tr ' ' '\n' | grep -x echo)" "bash: a program for enqueue"
assert_eq "(commands)" "$(zsh_comp enqueue --id x "")" "zsh: a program for enqueue"
assert_eq echo "$(fish_comp enqueue --id x ech | tr ' ' '\n' | grep -x echo)" "fish: a program for enqueue"
# The global options, before the command.
comp "--db --help --version" --
shells_agree

finish
