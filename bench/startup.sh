#!/usr/bin/env bash
# Side-by-side start-up cost of one of our binaries and util-linux's: ROUNDS rounds, each
# timing BATCH runs of ours and then BATCH of theirs (alternating, so both see the same
# machine load), then the median per-run time of each and their ratio.
#   bench/startup.sh OURS THEIRS [ARGS...]      e.g. bench/startup.sh target/release/rs-unshare /usr/bin/unshare -U true
set -euo pipefail
ours=$1 theirs=$2; shift 2
ROUNDS=${ROUNDS:-15} BATCH=${BATCH:-200}
batch() { local b=$1; shift; local s e i
    s=$(date +%s%N); for ((i = 0; i < BATCH; i++)); do "$b" "$@" >/dev/null; done; e=$(date +%s%N)
    echo $(( (e - s) / BATCH / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
o=() t=()
for ((r = 0; r < ROUNDS; r++)); do o+=("$(batch "$ours" "$@")"); t+=("$(batch "$theirs" "$@")"); done
mo=$(printf '%s\n' "${o[@]}" | median) mt=$(printf '%s\n' "${t[@]}" | median)
printf 'args: %s\nours:   median %s us/run (%s)\ntheirs: median %s us/run (%s)\nratio ours/theirs: %s\n' \
    "$*" "$mo" "$ours" "$mt" "$theirs" "$(awk -v a="$mo" -v b="$mt" 'BEGIN {printf "%.2f", a / b}')"
