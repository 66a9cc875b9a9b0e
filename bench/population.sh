#!/usr/bin/env bash
# Builds a population of namespaces for benchmarks, runs a command while it stands, and
# tears it down again: on success, on failure and on Ctrl-C alike. Needs root and
# util-linux's unshare and nsenter (iproute2's ip for the socket-held namespace).
#
#   bench/population.sh N CMD [ARGS...]
#
# The population:
#   - N holder processes, each `sleep` in fresh net, uts and ipc namespaces; every 10th
#     also in a fresh user and pid namespace (an unshare parent plus its forked sleep);
#   - namespaces with no member process, held only by
#       an fd opened through /proc/PID/ns (its link reads `uts:[INODE]`),
#       an fd opened through an nsfs bind mount that has since been unmounted (its link
#         reads `/`, so only stat tells what it is),
#       a socket (a UDP socket of a net namespace, held by a process outside it),
#       a bind mount (net, uts and ipc namespaces bound to files on a private tmpfs).
# CMD sees POP_EXTRA, a file with one line per namespace of the second kind:
# `INODE TYPE HOW` (HOW is fd-link, fd-path, socket or mount).
#
# Every process it starts is its own child (or dies with its unshare parent), is killed
# by PID and reaped before the script ends; the only mounts it makes are under its own
# temporary directory, and it unmounts them. Every sleep also ends by itself after
# POP_TTL seconds (default 3600), so not even a SIGKILLed builder leaves them for long.
set -euo pipefail
[[ $# -ge 2 && $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 N CMD [ARGS...]" >&2; exit 2; }
N=$1; shift
TTL=${POP_TTL:-3600}
UNSHARE=${POP_UNSHARE:-/usr/bin/unshare}
NSENTER=${POP_NSENTER:-/usr/bin/nsenter}
[[ $EUID -eq 0 ]] || { echo "population: needs root" >&2; exit 1; }
for t in "$UNSHARE" "$NSENTER"; do
    [[ -x $t ]] || { echo "population: $t missing (util-linux)" >&2; exit 1; }
done

# Every holder inherits our fds, so a caller's stray ones (not close-on-exec: a terminal
# multiplexer's, a CI runner's) would be open in all of them, and each costs every tool
# that examines fds one look per holder: what is measured would depend on who started us.
# Holders get 0, 1 and 2 only. (bash's own fd for this script is close-on-exec: kept.)
for f in /proc/$$/fd/*; do
    n=${f##*/}
    ((n > 2)) || continue
    flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$$/fdinfo/$n" 2>/dev/null) || continue
    [[ -n $flags ]] && (((8#$flags & 8#2000000) == 0)) && exec {n}>&-
done
unset f n flags

pids=()          # everything we started, killed by PID at the end
awaited=         # what the last await_sleep that gave up saw
dir=             # our directory, where our tmpfs goes
POP_EXTRA=

teardown() {
    local rc=$?
    set +e
    trap - EXIT INT TERM HUP
    # bash's "Killed" notes about our own children are noise here; our messages use fd 3
    exec 3>&2 2>/dev/null
    # Our children: the ones recorded, and one a signal may have caught between its
    # start and its recording. Until we `wait`, their PIDs cannot be reused, so killing
    # them by PID hits nobody else (read, not $(cat): a subshell would be a child too).
    local kids=()
    read -ra kids <"/proc/$$/task/$$/children" || true
    if ((${#pids[@]} + ${#kids[@]})); then
        kill -KILL "${pids[@]}" "${kids[@]}"
        wait
    fi
    if [[ -n $dir ]]; then
        # (asked, not remembered: a signal may come between the mount and a note of it)
        if mountpoint -q "$dir"; then
            umount -R "$dir" || echo "population: could not unmount $dir" >&3
        fi
        rmdir "$dir"
    fi
    [[ -n ${POP_EXTRA-} ]] && rm -f "$POP_EXTRA"
    exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Waits (at most 60 s) until process $1 runs sleep, i.e. its namespaces are set up.
# Returns 0 then; 1 at once for an unshare that forked its sleeper instead of exec'ing
# it; 2 when the process has ended; 3 when time ran out (then `awaited` says what it saw,
# for not_started). A look that fails while the process is still there (it may be in the
# middle of its exec) is no answer: look again.
await_sleep() {
    local exe kids state start=$SECONDS end=$((SECONDS + 60)) rc=3
    while ((SECONDS < end)); do
        if exe=$(readlink "/proc/$1/exe" 2>/dev/null); then
            [[ $exe == */sleep ]] && return 0
            # Forked: unshare with a child. The children are read first and the program
            # again after them: a process that still runs unshare then was unshare when
            # its children were read too (an exec never leads back), where the first
            # look may have been just before unshare exec'd something that has children
            # of its own (the socket holder's bash).
            { kids=$(<"/proc/$1/task/$1/children"); } 2>/dev/null || kids=
            if [[ $exe == */unshare && -n $kids ]]; then
                exe=$(readlink "/proc/$1/exe" 2>/dev/null) || exe=
                [[ $exe == */unshare ]] && return 1
            fi
        else
            # (comm is unshare or sleep: no blank before the state field)
            if ! { read -r _ _ state _ <"/proc/$1/stat"; } 2>/dev/null || [[ $state == [ZX] ]]; then
                rc=2
                break
            fi
        fi
        sleep 0.01
    done
    awaited="$( ((rc == 2)) && echo "it was gone" || echo "it did not sleep") after $((SECONDS - start)) s"
    return "$rc"
}

# Says why our child $1 is not sleeping, after await_sleep gave up on it: still running
# something else, or ended (with its status, which reaps it). Returns 0 (with a note) if it
# sleeps by now after all: what await_sleep saw was passing.
not_started() {
    local rc=0 what=$2 exe state
    if exe=$(readlink "/proc/$1/exe" 2>/dev/null); then
        if [[ $exe == */sleep ]]; then
            echo "population: $what $1 sleeps only now ($awaited)" >&2
            return 0
        fi
        { read -r _ _ state _ <"/proc/$1/stat"; } 2>/dev/null || state=
        echo "population: $what $1 did not start ($awaited; it runs $exe, in state ${state:-?})" >&2
    else
        wait "$1" || rc=$?
        forget "$1"
        echo "population: $what $1 did not start ($awaited; it exited with status $rc)" >&2
    fi
    return 1
}

# Kills and reaps our child $1 now, and forgets it.
reap() {
    { kill -KILL "$1" && wait "$1"; } 2>/dev/null || true
    forget "$1"
}

# Drops a reaped child from the list teardown kills (once reaped, its PID may be reused).
forget() {
    local p keep=()
    for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    pids=("${keep[@]}")
}

ino_of() { local l; l=$(readlink "$1"); l=${l#*[}; echo "${l%]}"; }

holders() {
    local i
    for ((i = 1; i <= N; i++)); do
        if ((i % 10 == 0)); then
            # the user+pid holder's sleep is pid 1 of its namespace; --kill-child makes it
            # die with its unshare parent (which is what we record and kill)
            "$UNSHARE" --user --map-root-user --pid --fork --kill-child --net --uts --ipc \
                sleep "$TTL" </dev/null >/dev/null 2>&1 &
        else
            "$UNSHARE" --net --uts --ipc sleep "$TTL" </dev/null >/dev/null 2>&1 &
        fi
        pids+=("$!")
    done
    # ready when every holder (or its forked child) sleeps
    local p kid rc
    for p in "${pids[@]}"; do
        rc=0
        await_sleep "$p" || rc=$?
        if ((rc == 1)); then
            # an unshare parent: its forked child is the sleeper
            kid=
            { read -r kid _ <"/proc/$p/task/$p/children"; } 2>/dev/null || true
            rc=2 awaited="it forked, but its child was gone"
            [[ -n $kid ]] && { await_sleep "$kid" && rc=0 || rc=$?; }
        fi
        ((rc == 0)) && continue
        not_started "$p" holder || return 1
    done
}

extras() {
    dir=$(mktemp -d /tmp/nsutils-population.XXXXXX)
    mount -t tmpfs -o size=1m,mode=0700 nsutils-population "$dir"
    mount --make-private "$dir"
    : >"$POP_EXTRA"

    # held by an fd opened through /proc/PID/ns: the process that was in it is gone
    "$UNSHARE" --uts sleep "$TTL" </dev/null >/dev/null 2>&1 &
    local t=$!
    pids+=("$t")
    await_sleep "$t" || not_started "$t" process || return 1
    sleep "$TTL" 7<"/proc/$t/ns/uts" </dev/null >/dev/null 2>&1 &
    pids+=("$!")
    echo "$(ino_of "/proc/$t/ns/uts") uts fd-link" >>"$POP_EXTRA"
    reap "$t"

    # held by an fd opened through a bind mount that is gone again
    touch "$dir/gone"
    "$UNSHARE" --net="$dir/gone" true
    echo "$(stat -L -c %i "$dir/gone") net fd-path" >>"$POP_EXTRA"
    sleep "$TTL" 7<"$dir/gone" </dev/null >/dev/null 2>&1 &
    pids+=("$!")
    umount --lazy "$dir/gone"   # as `ip netns del` does: the fd keeps it alive

    # held by a socket: created inside a fresh net namespace by a process that then
    # moves back to ours and keeps it
    if command -v ip >/dev/null; then
        exec {ours}</proc/self/ns/net
        "$UNSHARE" --net bash -c 'ip link set lo up && exec 3<>/dev/udp/127.0.0.1/9 || exit
            l=$(readlink /proc/self/ns/net) && l=${l#*[} && echo "${l%]} net socket" >>"$POP_EXTRA"
            exec "$1" --net=/proc/self/fd/"$2" sleep "$3"' _ "$NSENTER" "$ours" "$TTL" \
            </dev/null >/dev/null 2>&1 &
        t=$!
        pids+=("$t")
        exec {ours}<&-
        await_sleep "$t" || not_started "$t" process || return 1
    else
        echo "population: no ip(8), no socket-held namespace" >&2
    fi

    # held by bind mounts only
    touch "$dir/net" "$dir/uts" "$dir/ipc"
    "$UNSHARE" --net="$dir/net" --uts="$dir/uts" --ipc="$dir/ipc" true
    local f
    for f in net uts ipc; do
        echo "$(stat -L -c %i "$dir/$f") $f mount" >>"$POP_EXTRA"
    done
}

POP_EXTRA=$(mktemp /tmp/nsutils-population-extra.XXXXXX)
export POP_EXTRA
holders
extras
"$@"
