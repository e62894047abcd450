#!/bin/sh
# The man page pylon-idv(1): groff renders it without a warning (-ww), and it describes what
# the CLI offers: every command and option of `pylon-idv --help`, help, COMMAND --help,
# --version, PYLON_IDENTITY_SECRET and the exit statuses 0, 1, 2.
#   tests/c/test_man.sh PYLON_IDV_BINARY doc/pylon-idv.1
set -eu
cli=$1; man=$2
command -v groff >/dev/null || exec "$(dirname "$0")/../../scripts/why-missing.sh" test_man groff groff-base
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

warn=$(groff -man -Tutf8 -ww -z "$man" 2>&1) || fail "groff exit status"
[ -z "$warn" ] || fail "groff warnings: $warn"
text=$(groff -man -Tutf8 -P-cbou "$man" 2>/dev/null)

# the commands: lines "  NAME ARGS  description" of the usage text
cmds=$("$cli" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
cmds=$(printf "%s\n" $cmds help | awk '!seen[$0]++')
[ -n "$cmds" ] || fail "no command in pylon-idv --help"
for c in $cmds; do
    # the text, not its layout: any indentation (groff 1.22 indents by 7, 1.24 by 5)
    printf '%s\n' "$text" | grep -Eq "^ +$c\b" || fail "command $c has no entry in COMMANDS"
    printf '%s\n' "$text" | grep -Eq "^ +pylon-idv .*\b$c\b" || fail "command $c not in the SYNOPSIS"
done
for o in $("$cli" --help | grep -o -- '--[a-z][a-z-]*' | sort -u) --help --version; do
    printf '%s\n' "$text" | grep -q -- "$o" || fail "option $o not described"
done
printf '%s\n' "$text" | grep -q "COMMAND --help" || fail "COMMAND --help not described"
printf '%s\n' "$text" | grep -q "PYLON_IDENTITY_SECRET" || fail "PYLON_IDENTITY_SECRET not described"
for st in 0 1 2; do
    printf '%s\n' "$text" | sed -n '/^EXIT STATUS/,/^[A-Z]/p' | grep -Eq "^ +$st\b" || fail "exit status $st not described"
done
[ $fails = 0 ] || exit 1
echo "test_man: $man renders without a warning and describes: $(echo $cmds), options, exit statuses"
