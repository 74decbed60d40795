#!/bin/bash
# t0670-man-page.sh - the man page documents what the binary offers: every command and
# subcommand that --help lists has a section in doc/queuectl.1 and a line in its SYNOPSIS,
# and every option its help lists is written in that section, as roff writes it (\-\-name).
# The page itself formats without warnings (mandoc -T lint, else groff -ww, if installed).
# Commands: --help, help COMMAND [SUBCOMMAND].
. "$TEST_DIR/lib.sh"

page=$TEST_DIR/../../doc/queuectl.1
[ -r "$page" ] || fail "no man page at $page"

# Print what section NAME of the page (from ".SS NAME" to the next .SS or .SH) lacks: "no
# section", or each option (--name) it does not mention as roff writes it, every '-' escaped
# ("\-\-max\-jobs"), and not only as the start of a longer name ("--for" in "\-\-force").
missing() {
	awk -v want=".SS $1" -v opts="${*:2}" '
		$0 == want { found = 1; inside = 1; next }
		inside && /^\.S[SH]( |$)/ { inside = 0 }
		inside { text = text $0 "\n" }
		END {
			if (!found) {
				print "no section"
				exit
			}
			n = split(opts, list, " ")
			for (k = 1; k <= n; k++) {
				opt = ""
				for (j = 1; j <= length(list[k]); j++) {
					ch = substr(list[k], j, 1)
					opt = opt (ch == "-" ? "\\-" : ch)
				}
				rest = text
				ok = 0
				while (!ok && (i = index(rest, opt)) > 0) {
					rest = substr(rest, i + length(opt))
					ok = rest !~ /^[a-z0-9]/ && rest !~ /^\\-[a-z0-9]/
				}
				if (!ok)
					print list[k]
			}
		}' "$page"
}

# The commands, as --help lists them; a group ("dlq") lists its subcommands one a line, so
# a first word whose help has subcommands names a group and the second word is the rest.
check_ok q --help
commands=()
while read -r first second _; do
	check_ok q help "$first"
	if grep -q '^subcommands:' <<<"$out"; then
		commands+=("$first $second")
	else
		commands+=("$first")
	fi
done < <(sed -n '/^commands:/,/^$/{/^  [a-z]/p}' <<<"$out")
[ "${#commands[@]}" -ge 10 ] || fail "found only ${#commands[@]} commands in --help"

synopsis=$(awk '/^\.SH SYNOPSIS/ { inside = 1; next } inside && /^\.SH/ { exit } inside' "$page")
noptions=0
for c in "${commands[@]}"; do
	checks=$((checks + 1))
	grep -qxF ".B queuectl $c" <<<"$synopsis" || grep -qF ".B queuectl $c " <<<"$synopsis" ||
		fail "the SYNOPSIS of doc/queuectl.1 has no line for '$c'"
	# The options of its help: each line of the options block starts with the long name.
	check_ok q help $c
	opts=$(sed -n '/^options:/,/^$/{s/^  \(--[a-z][a-z0-9-]*\).*/\1/p}' <<<"$out")
	noptions=$((noptions + $(wc -w <<<"$opts")))
	checks=$((checks + 1))
	lacks=$(missing "$c" $opts)
	[ "$lacks" != "no section" ] || fail "doc/queuectl.1 has no section '.SS $c'"
	[ -z "$lacks" ] || fail "section '$c' of doc/queuectl.1 does not mention:" $lacks
done
[ "$noptions" -ge 20 ] || fail "found only $noptions options in the commands' help"

# The global options of --help, in their own section.
check_ok q --help
checks=$((checks + 1))
lacks=$(missing 'Global options' \
	$(sed -n '/^global options:/,/^$/{s/^  \(--[a-z][a-z0-9-]*\).*/\1/p}' <<<"$out"))
[ -z "$lacks" ] || fail "section 'Global options' of doc/queuectl.1 does not mention:" $lacks

# Exit statuses: every one the code has (EXIT_* in src/error.h) is in EXIT STATUS.
statuses=$(sed -n 's/^[[:space:]]*EXIT_[A-Z]* = \([0-9]*\),.*/\1/p' "$TEST_DIR/../../src/error.h")
text=$(awk '/^\.SH EXIT STATUS/ { inside = 1; next } inside && /^\.SH/ { exit } inside' "$page")
for s in $statuses; do
	checks=$((checks + 1))
	grep -qxF ".B $s" <<<"$text" || fail "EXIT STATUS of doc/queuectl.1 does not list $s"
done

# An option written with a plain hyphen inside its name ("\-\-max-jobs") renders as a
# typographic hyphen that cannot be pasted into a shell.
checks=$((checks + 1))
bad=$(grep -n '\\-\\-[a-z0-9]*-[a-z]' "$page") && fail "unescaped '-' in an option name: $bad"

# The page formats cleanly, with whichever formatter is installed.
if command -v mandoc >/dev/null; then
	run mandoc -T lint -W warning "$page"
	checks=$((checks + 1))
	[ "$status" -eq 0 ] && [ -z "$out$err" ] || fail "mandoc -T lint: $out$err"
elif command -v groff >/dev/null; then
	run groff -man -Tutf8 -ww -z "$page"
	checks=$((checks + 1))
	[ "$status" -eq 0 ] && [ -z "$err" ] || fail "groff -ww warns: $err"
fi

# The help commands made no store.
! store_exists || fail "help created the database"

finish
