#!/usr/bin/env bash
# (A copy of the session's fresh-root tool, kept in the project so that make test-dist needs
# nothing outside the checkout; FRESH_ROOT names another one.)
# fresh-root: run a command in a clean clone of this repository, inside a brand-new minimal
# Debian root (12 unless FRESH_SUITE says otherwise) (what a newcomer's machine looks like: no compiler, no Python headers, no Lua,
# no OpenSSL headers; only bash, apt, git, make and CA certificates).
#
#   scripts/fresh-root.sh 'make demo'            # the README's first command, for real
#   scripts/fresh-root.sh 'make demo && make test'
#   FRESH_REF=HEAD~1 scripts/fresh-root.sh 'make demo'
#   FRESH_COPY="dist/*.whl" scripts/fresh-root.sh 'ls /root/in'   # files from here, in /root/in
#   scripts/fresh-root.sh --shell                # look around (the root is deleted after)
#   FRESH_SUITE=bullseye scripts/fresh-root.sh 'make demo'   # an older Debian (OpenSSL 1.1.1)
#
# The repository is cloned at FRESH_REF (default HEAD: committed work only), into /root/p of the
# new root. apt inside reaches the same Debian registry as this machine. Needs root, mmdebstrap
# (installed here on first use) and about 300 MB of /tmp (or FRESH_TMP) for each run. The base
# root is built once (about 30 s) and cached as a tarball (FRESH_CACHE); each run unpacks a new
# copy, so nothing leaks from one run into the next. Exit status: that of the command.
set -eu

ref=${FRESH_REF:-HEAD}
tmp=${FRESH_TMP:-/tmp}
suite=${FRESH_SUITE:-bookworm}
cache=${FRESH_CACHE:-$tmp/fresh-root-$suite.tar}

# the Debian mirror this machine's apt already uses (deb822 sources or a one-line list)
apt_mirror() {
    local m
    m=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $1; exit}')
    [ -n "$m" ] || m=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
    echo "$m"
}
mirror=$(apt_mirror)
[ -n "$mirror" ] || { echo "fresh-root: cannot read a Debian mirror from /etc/apt" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "fresh-root: needs root (chroot and mounts)" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: fresh-root 'COMMAND' | --shell" >&2; exit 2; }
repo=$(git rev-parse --show-toplevel 2>/dev/null) || { echo "fresh-root: run it inside the git repository" >&2; exit 2; }

if ! command -v mmdebstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap >/dev/null 2>&1 \
      || { apt-get update >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap >/dev/null; }
fi
if [ ! -s "$cache" ]; then
    echo "fresh-root: building a minimal $suite root (once; cached in $cache)" >&2
    # the registry's copy of a moving suite (sid, testing) can carry an expired Release date:
    # accept it, here and inside the root (mmdebstrap keeps --aptopt in the root's apt.conf.d)
    mmdebstrap --variant=minbase --format=tar --include=ca-certificates,git,make \
        --aptopt='Acquire::Check-Valid-Until "false"' "$suite" "$cache.part" "$mirror" >&2
    mv "$cache.part" "$cache"
fi

root=$(mktemp -d "$tmp/fresh-root.XXXXXX")
cleanup() {
    for m in sys dev/pts dev proc; do
        mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT INT TERM

tar -C "$root" -xf "$cache"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
git clone -q --no-hardlinks "$repo" "$root/root/p"
git -C "$root/root/p" checkout -q --detach "$ref"
if [ -n "${FRESH_COPY:-}" ]; then
    mkdir -p "$root/root/in"
    for f in $FRESH_COPY; do cp -r -- "$f" "$root/root/in/"; done
fi
mount --bind /proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts" 2>/dev/null || true
mount --bind /sys "$root/sys"

env_clean="env -i HOME=/root TERM=${TERM:-dumb} LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
echo "fresh-root: $(git -C "$repo" rev-parse --short "$ref") in a new $suite root; running: $*" >&2
if [ "$1" = "--shell" ]; then
    chroot "$root" $env_clean /bin/bash -c 'cd /root/p && exec bash -i'
else
    set +e
    chroot "$root" $env_clean /bin/bash -c "cd /root/p && $*"
    rc=$?
    set -e
    echo "fresh-root: exit status $rc" >&2
    exit $rc
fi
