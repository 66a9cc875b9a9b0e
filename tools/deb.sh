#!/bin/sh
# `make deb`: builds two Debian packages into $DEBDIR from the binaries in $RELEASE,
#   nsutils_<version>_<arch>.deb                    rs-unshare, rs-nsenter, rs-lsns, their
#                                                   man pages and completions
#   nsutils-util-linux-names_<version>_all.deb      unshare, nsenter, lsns (links to ours),
#                                                   their man pages and completions
# with plain `dpkg-deb --build --root-owner-group`: no helper to install, nothing fetched.
#
# tools/install.sh stages both trees (DESTDIR=<stage> PREFIX=/usr, without and with
# COMPAT=1): the compat package is what COMPAT=1 adds. Then Debian's ways: no install
# manifest (dpkg keeps the list), zsh completions in vendor-completions, man pages
# gzip -9n, binaries stripped, a machine-readable copyright and a changelog in
# /usr/share/doc/<package>, md5sums.
#
# util-linux (Essential) owns /usr/bin/unshare and the rest under those names, so the
# compat package diverts them: its preinst renames util-linux's files to
# <name>.util-linux (a man page to <name>.util-linux.<section>.gz) before dpkg unpacks
# ours, and its postrm (remove, abort-install, disappear) takes the diversions away
# after dpkg removed ours, which renames util-linux's files back. Every path it ships
# is diverted, whether or not this util-linux has a file there, so that no later
# package can collide with it either. The scripts call nothing but dpkg-divert, which
# honours DPKG_ROOT and DPKG_ADMINDIR, so they also work with
# `dpkg --root=<dir> --force-script-chrootless` (a scratch root without a shell).
#
# Environment: DEBDIR (output directory), RELEASE (where the binaries are),
# DEB_MAINTAINER, SOURCE_DATE_EPOCH (the changelog's date and the files' mtimes; by
# default the last commit's time, else now).
set -eu
umask 022

DEBDIR=${DEBDIR:?DEBDIR is not set}
RELEASE=${RELEASE:-target/release}
DEB_MAINTAINER=${DEB_MAINTAINER:-nsutils developers <nsutils@example.invalid>}
PKG=nsutils
COMPAT_PKG=nsutils-util-linux-names

say() { printf 'make deb: %s\n' "$*" >&2; }

for p in dpkg-deb dpkg gzip; do
    command -v "$p" >/dev/null 2>&1 || { say "needs $p (Debian's dpkg)"; exit 1; }
done

# The workspace's version, from [workspace.package] in Cargo.toml.
VERSION=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml)
[ -n "$VERSION" ] || { say "no version in Cargo.toml's [workspace.package]"; exit 1; }
ARCH=$(dpkg --print-architecture)
if [ -z "${SOURCE_DATE_EPOCH-}" ]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# dpkg-shlibdeps wants debian/control above the package trees, debian/<package>
mkdir "$tmp/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PKG" "$PKG" >"$tmp/debian/control"
main=$tmp/debian/$PKG
compat=$tmp/debian/$COMPAT_PKG

# Stages one tree with tools/install.sh, COMPAT=$2, into $1, less its manifest.
stage() {
    DESTDIR=$1 PREFIX=/usr COMPAT=$2 RELEASE=$RELEASE sh tools/install.sh install
    rm -r "$1/usr/share/nsutils"
    mv "$1/usr/share/zsh/site-functions" "$1/usr/share/zsh/vendor-completions"
}

# Gzips the man pages below $1 as Debian policy wants them (-9n: no name, no time).
gzip_pages() {
    find "$1/usr/share/man" -type f -name '*.[18]' -exec gzip -9n {} +
}

# The machine-readable copyright file for package $1.
copyright() {
    cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: nsutils
Comment: The $1 package is built from nsutils' sources by \`make deb\`.

Files: *
Copyright: 2026 The nsutils developers
License: MIT or Apache-2.0

License: MIT
EOF
    sed -e '1,/^Permission/{/^Permission/!d}' -e 's/^$/./' -e 's/^/ /' LICENSE-MIT
    cat <<EOF

License: Apache-2.0
 On Debian systems, the complete text of the Apache License, Version 2.0
 can be found in /usr/share/common-licenses/Apache-2.0.
EOF
}

# /usr/share/doc/<package>: copyright and changelog.gz (the name Debian policy 12.7 gives
# the changelog of a native package: a version without a Debian revision).
docs() {
    d=$1/usr/share/doc/$2
    mkdir -p "$d"
    copyright "$2" >"$d/copyright"
    {
        printf '%s (%s) unstable; urgency=medium\n\n' "$PKG" "$VERSION"
        printf '  * nsutils %s, packaged by make deb.\n\n' "$VERSION"
        printf ' -- %s  %s\n' "$DEB_MAINTAINER" "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
    } | gzip -9n >"$d/changelog.gz"
}

# Removes debug information and the rest dh_strip removes; a release build is
# stripped already, a debug build (the tests') is not.
strip_bins() {
    if command -v strip >/dev/null 2>&1; then
        strip --remove-section=.comment --remove-section=.note --strip-unneeded "$1"/usr/bin/rs-*
    fi
}

# The Depends of the binaries: dpkg-shlibdeps's where dpkg-dev is installed, else from
# the libraries they need (objdump -p) and the newest glibc symbol version they use.
shlib_depends() {
    if command -v dpkg-shlibdeps >/dev/null 2>&1; then
        (cd "$tmp" && dpkg-shlibdeps -O "debian/$PKG"/usr/bin/rs-*) | sed -n 's/^shlibs:Depends=//p'
        return
    fi
    command -v objdump >/dev/null 2>&1 || { say "needs dpkg-shlibdeps (dpkg-dev) or objdump (binutils)"; exit 1; }
    glibc=$(objdump -T "$main"/usr/bin/rs-* | sed -n 's/.*GLIBC_\([0-9.]*\).*/\1/p' | sort -uV | tail -n 1)
    deps="libc6 (>= $glibc)"
    for lib in $(objdump -p "$main"/usr/bin/rs-* | awk '$1 == "NEEDED" { print $2 }' | sort -u); do
        case $lib in
            libc.so.6 | ld-linux*) ;;
            libgcc_s.so.1) deps="$deps, libgcc-s1 (>= 4.2)" ;;
            *) say "the binaries need $lib: install dpkg-dev (dpkg-shlibdeps) to find its package"; exit 1 ;;
        esac
    done
    echo "$deps"
}

# DEBIAN/control of package $2 in tree $1; $3 its architecture, $4 its Depends,
# $5 the short description, stdin the long one (already indented).
control() {
    size=$(du -sk --exclude=DEBIAN "$1" | cut -f1)
    {
        printf 'Package: %s\nVersion: %s\nArchitecture: %s\n' "$2" "$VERSION" "$3"
        printf 'Maintainer: %s\nInstalled-Size: %s\nDepends: %s\n' "$DEB_MAINTAINER" "$size" "$4"
        printf 'Section: admin\nPriority: optional\nDescription: %s\n' "$5"
        cat
    } >"$1/DEBIAN/control"
}

# The maintainer scripts of the compat package: one diversion per file it ships.
divert_scripts() {
    (cd "$compat" && find usr ! -type d ! -path 'usr/share/doc/*') | LC_ALL=C sort >"$tmp/diverted"
    divert_script preinst add 'install upgrade' \
        "diverts the files of util-linux (and any other package) that $COMPAT_PKG replaces"
    divert_script postrm remove 'remove abort-install disappear' \
        "gives util-linux its files back, once dpkg has removed ours"
}

# Writes maintainer script $1, which runs `dpkg-divert --$2` for each diverted file
# when its first argument is one of $3; $4 says what it is for.
divert_script() {
    {
        printf '#!/bin/sh\n# %s\nset -e\n\n' "$4"
        printf 'case "$1" in\n    %s)\n' "$(echo "$3" | sed 's/ / | /g')"
        while read -r f; do
            printf '        dpkg-divert --package %s --%s --rename --divert /%s /%s\n' \
                "$COMPAT_PKG" "$2" "$(diverted_name "$f")" "$f"
        done <"$tmp/diverted"
        printf '        ;;\nesac\n'
    } >"$compat/DEBIAN/$1"
    chmod 0755 "$compat/DEBIAN/$1"
}

# Where a diverted file goes: usr/bin/unshare.util-linux, but
# usr/share/man/man1/unshare.util-linux.1.gz (so `man unshare.util-linux` finds it),
# usr/share/zsh/vendor-completions/_unshare.util-linux.
diverted_name() {
    case $1 in
        usr/share/man/*) echo "$1" | sed 's/\.\([18]\)\.gz$/.util-linux.\1.gz/' ;;
        *.fish) echo "${1%.fish}.util-linux.fish" ;;
        *) echo "$1.util-linux" ;;
    esac
}

md5sums() {
    (cd "$1" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$1/DEBIAN/md5sums"
    chmod 0644 "$1/DEBIAN/md5sums"
}

stage "$main" ''
stage "$tmp/all" 1
# the compat package: what COMPAT=1 adds
mkdir -p "$compat"
(cd "$tmp/all" && find usr ! -type d) | LC_ALL=C sort | while read -r f; do
    [ -e "$main/$f" ] || [ -L "$main/$f" ] && continue
    mkdir -p "$compat/${f%/*}"
    cp -P "$tmp/all/$f" "$compat/$f"
done
strip_bins "$main"
for tree in "$main" "$compat"; do
    gzip_pages "$tree"
    mkdir "$tree/DEBIAN"
done
docs "$main" "$PKG"
docs "$compat" "$COMPAT_PKG"
divert_scripts
md5sums "$main"
md5sums "$compat"

control "$main" "$PKG" "$ARCH" "$(shlib_depends)" \
    "Rust replacements for util-linux's unshare, nsenter and lsns" <<EOF
 rs-unshare runs a program in new namespaces, rs-nsenter runs one in the
 namespaces of another process, and rs-lsns lists namespaces. They take
 util-linux's options and give its messages and exit statuses.
 .
 The package $COMPAT_PKG installs them under util-linux's names.
EOF
control "$compat" "$COMPAT_PKG" all "$PKG (= $VERSION)" \
    "nsutils' tools under util-linux's names (unshare, nsenter, lsns)" <<EOF
 This package makes unshare, nsenter and lsns (the commands, their man pages
 and shell completions) those of nsutils. util-linux's files are diverted
 to <name>.util-linux (unshare.util-linux, man unshare.util-linux) while it
 is installed, and are back under their names once it is removed.
EOF

mkdir -p "$DEBDIR"
dpkg-deb --build --root-owner-group -Zxz "$main" "$DEBDIR/${PKG}_${VERSION}_${ARCH}.deb" >&2
dpkg-deb --build --root-owner-group -Zxz "$compat" "$DEBDIR/${COMPAT_PKG}_${VERSION}_all.deb" >&2
echo "$DEBDIR/${PKG}_${VERSION}_${ARCH}.deb"
echo "$DEBDIR/${COMPAT_PKG}_${VERSION}_all.deb"
