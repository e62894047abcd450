#!/bin/sh
# why-missing.sh SUITE WHAT PKG[|PKG...]: say on stderr why WHAT is missing for SUITE, and how
# to get it: "apt install PKG" when this release's apt has it, else "not available on this
# release", naming the release (scripts/install-deps.sh skips such packages with the same words).
# Always exits 2, so a suite can end with `exec scripts/why-missing.sh ...`.
suite=$1 what=$2 pkgs=$3
release=$( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-$ID}") || uname -s)
if command -v apt-cache >/dev/null 2>&1; then
    for p in $(echo "$pkgs" | tr '|' ' '); do
        case "$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')" in
            ""|"(none)") ;;
            *) echo "$suite: $what not found (apt install $p, or scripts/install-deps.sh)" >&2; exit 2 ;;
        esac
    done
    echo "$suite: $what not found: $(echo "$pkgs" | sed 's/|/ or /g') is not available on this release ($release), so $suite cannot run here" >&2
else
    echo "$suite: $what not found (on Debian/Ubuntu: apt install $(echo "$pkgs" | sed 's/|.*//'))" >&2
fi
exit 2
