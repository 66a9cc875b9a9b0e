#!/bin/sh
# `make install` and `make uninstall`: sh tools/install.sh install|uninstall, with PREFIX,
# DESTDIR, COMPAT and RELEASE (where the binaries are) in the environment.
#
# install writes a manifest, $(PREFIX)/share/nsutils/installed, of everything it put
# there, one line each, paths as they are without DESTDIR:
#   f <cksum> <size> <path>    a file, and the cksum(1) of what was written
#   l <target> - <path>        a symbolic link to <target>
#   d - - <path>               a directory install made (it was not there)
#   n - - <path>               our binary, by its name (only in the list uninstall
#                              makes up where there is no manifest)
# A later install adds its lines to those of the one before, so uninstall removes what
# all of them put there, with or without COMPAT. uninstall removes a file only while it
# has the content install wrote, a link only while it points where install pointed it,
# a directory only when it is empty, and nothing below a directory of the install tree
# that is a symbolic link (such a file is named, kept, and uninstall fails).
set -eu

action=${1:?usage: install.sh install|uninstall}
PREFIX=${PREFIX:?PREFIX is not set}
DESTDIR=${DESTDIR-}
COMPAT=${COMPAT-}
RELEASE=${RELEASE:-target/release}
root=$DESTDIR$PREFIX
manifest=$PREFIX/share/nsutils/installed
TOOLS='unshare nsenter lsns'
MAN1=share/man/man1
MAN8=share/man/man8
BASH=share/bash-completion/completions
ZSH=share/zsh/site-functions
FISH=share/fish/vendor_completions.d

say() { printf 'make %s: %s\n' "$action" "$*" >&2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# `<cksum> <size>` of a file.
sum_of() { cksum <"$1" | { read -r c s; printf '%s %s\n' "$c" "$s"; }; }

# The section of the man page of a tool: 8 for lsns, 1 for the others.
section() { case $1 in lsns) echo 8 ;; *) echo 1 ;; esac; }

# Our man page for a tool under util-linux's name: the title, the name and every
# mention of ours (rs-unshare, rs\-nsenter, \fBrs-lsns\fR) and of the other two tools
# say util-linux's names; util-linux's own pages drop out of SEE ALSO, where they
# would now be these pages again.
compat_page() {
    sed -E -e '/^\.SH "?SEE ALSO/,/^\.SH/{/^\.BR (unshare|nsenter) \(1\),?$/d;/^\.BR lsns \(8\),?$/d;}' \
        -e 's/^\.TH RS-([A-Z]+) /.TH \1 /' \
        -e ':a' \
        -e 's/(^|[^A-Za-z0-9_\\-]|\\f[BIRP]|\\\([a-z][a-z])rs(\\?-)(unshare|nsenter|lsns)([^A-Za-z0-9_-]|$)/\1\3\4/' \
        -e 'ta' "$1"
}

# What install writes, one `<source> <mode> <path>` a line (<mode> `link` for a
# symbolic link, whose source is its target); with $1 = 1 util-linux's names too.
plan() {
    for t in $TOOLS; do
        s=$(section "$t")
        echo "$RELEASE/rs-$t 0755 $PREFIX/bin/rs-$t"
        echo "man/rs-$t.$s 0644 $PREFIX/share/man/man$s/rs-$t.$s"
    done
    names=$(for t in $TOOLS; do echo "rs-$t"; done)
    if [ "$1" = 1 ]; then
        for t in $TOOLS; do
            s=$(section "$t")
            compat_page "man/rs-$t.$s" >"$tmp/$t.$s"
            echo "rs-$t link $PREFIX/bin/$t"
            echo "$tmp/$t.$s 0644 $PREFIX/share/man/man$s/$t.$s"
        done
        names="$names $TOOLS"
    fi
    for n in $names; do
        echo "completions/bash/$n 0644 $PREFIX/$BASH/$n"
        echo "completions/zsh/_$n 0644 $PREFIX/$ZSH/_$n"
        echo "completions/fish/$n.fish 0644 $PREFIX/$FISH/$n.fish"
    done
}

# The manifest lines for a plan (read from stdin).
manifest_lines() {
    while read -r src mode path; do
        if [ "$mode" = link ]; then
            echo "l $src - $path"
        else
            echo "f $(sum_of "$src") $path"
        fi
    done
}

# Makes the directory $DESTDIR$1 and those above it that are missing, and adds a `d`
# line to $tmp/made for each one it made.
make_dirs() {
    p= rest=${1#/}
    while [ -n "$rest" ]; do
        p=$p/${rest%%/*}
        case $rest in */*) rest=${rest#*/} ;; *) rest= ;; esac
        if [ ! -d "$DESTDIR$p" ]; then
            mkdir "$DESTDIR$p"
            echo "d - - $p" >>"$tmp/made"
        fi
    done
}

# util-linux's names only where there is nothing of that name, or our link: never in
# place of another program, a dangling link or a directory.
check_compat() {
    for t in $TOOLS; do
        f=$root/bin/$t
        if { [ -e "$f" ] || [ -L "$f" ]; } && [ "$(readlink "$f" || true)" != "rs-$t" ]; then
            say "$f exists and is not a link to rs-$t: not replacing it"
            exit 1
        fi
    done
}

install_all() {
    [ "$COMPAT" != 1 ] || check_compat
    plan "$COMPAT" >"$tmp/plan"
    manifest_lines <"$tmp/plan" >"$tmp/new"
    [ -z "$DESTDIR" ] || mkdir -p "$DESTDIR"
    : >"$tmp/made"
    for d in bin $MAN1 $MAN8 $BASH $ZSH $FISH share/nsutils; do make_dirs "$PREFIX/$d"; done
    # the lines of earlier installs for paths this one does not write stay
    if [ -f "$DESTDIR$manifest" ]; then
        awk 'NR == FNR { new[$4] = 1; next } !($4 in new)' "$tmp/new" "$DESTDIR$manifest" >"$tmp/old"
    else
        : >"$tmp/old"
    fi
    cat "$tmp/old" "$tmp/made" "$tmp/new" >"$tmp/installed"
    install -m 0644 "$tmp/installed" "$DESTDIR$manifest"
    while read -r src mode path; do
        if [ "$mode" = link ]; then
            ln -sf "$src" "$DESTDIR$path"
        else
            install -m "$mode" "$src" "$DESTDIR$path"
        fi
    done <"$tmp/plan"
}

# Prints the first directory between $(DESTDIR)$(PREFIX) and the path $1 that is a
# symbolic link, and fails when there is none.
linked_dir() {
    d=$root rest=${1#"$PREFIX"/}
    while case $rest in */*) true ;; *) false ;; esac; do
        d=$d/${rest%%/*} rest=${rest#*/}
        if [ -L "$d" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

# Whether a manifest path is one install writes: below $(PREFIX), or for a directory
# also $(PREFIX) and those above it; never with a `..` in it.
allowed() {
    case "$2/" in */../*) return 1 ;; esac
    case $2 in "$PREFIX"/*) return 0 ;; esac
    [ "$1" = d ] && case "$PREFIX/" in "$2"/*) true ;; *) false ;; esac
}

# Removes one file or link of a manifest line if it is still ours. Returns 1 when
# something is there that was left because a directory above it is a symbolic link.
remove_entry() {
    kind=$1 a=$2 b=$3 path=$4 f=$DESTDIR$4
    if link=$(linked_dir "$path"); then
        [ -e "$f" ] || [ -L "$f" ] || return 0
        say "not removing $f: $link is a symbolic link"
        return 1
    fi
    case $kind in
        f) if [ -f "$f" ] && [ ! -L "$f" ] && [ "$(sum_of "$f")" = "$a $b" ]; then rm -f "$f"; return 0; fi ;;
        l) if [ -L "$f" ] && [ "$(readlink "$f")" = "$a" ]; then rm -f "$f"; return 0; fi ;;
        n) if [ -f "$f" ] && [ ! -L "$f" ]; then rm -f "$f"; return 0; fi ;;
    esac
    if [ -e "$f" ] || [ -L "$f" ]; then say "leaving $f: not what install put there"; fi
}

uninstall_all() {
    if link=$(linked_dir "$manifest"); then
        say "not reading $DESTDIR$manifest: $link is a symbolic link"
        exit 1
    fi
    if [ -f "$DESTDIR$manifest" ]; then
        cp "$DESTDIR$manifest" "$tmp/installed"
    else
        # installed before there was a manifest: what any install would have put there
        # (our binaries by their names, as the build may be gone)
        say "no $DESTDIR$manifest: removing what is still as install writes it"
        plan 1 >"$tmp/plan"
        awk '$2 == "0755" { print "n - - " $3 }' "$tmp/plan" >"$tmp/installed"
        awk '$2 != "0755"' "$tmp/plan" | manifest_lines >>"$tmp/installed"
    fi
    status=0
    while read -r kind a b path; do
        if ! allowed "$kind" "$path"; then
            say "ignoring a line of the manifest: $kind $path"
        elif [ "$kind" != d ]; then
            remove_entry "$kind" "$a" "$b" "$path" || status=1
        fi
    done <"$tmp/installed"
    # kept while something of ours is left, so that uninstall can be run again
    [ "$status" != 0 ] || rm -f "$DESTDIR$manifest"
    # a directory install made, when it is empty: the deepest first
    awk '$1 == "d" { print $4 }' "$tmp/installed" | LC_ALL=C sort -r | while read -r path; do
        allowed d "$path" || continue
        case $path in "$PREFIX"/*) ! linked_dir "$path" >/dev/null || continue ;; esac
        if [ -d "$DESTDIR$path" ] && [ ! -L "$DESTDIR$path" ]; then rmdir "$DESTDIR$path" 2>/dev/null || true; fi
    done
    exit "$status"
}

case $action in
    install) install_all ;;
    uninstall) uninstall_all ;;
    *) say "unknown action: $action" && exit 2 ;;
esac
