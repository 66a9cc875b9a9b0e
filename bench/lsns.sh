#!/usr/bin/env bash
# Side-by-side benchmark: rs-lsns against /usr/bin/lsns on a population of namespaces
# built by mkns.sh (../shared/bench/mkns.sh, or $MKNS). Runs both tools alternately,
# RUNS times each, and prints the median CPU time (user+sys) and max RSS of each.
# Also checks that both list the same process-held namespaces. Needs root.
#
#   bench/lsns.sh [N]        N holders (default 2000: ~2,300 processes, ~6,400 namespaces)
#   env: RUNS (default 9), BIN (default target/release/rs-lsns), MKNS, MKNS_STATE
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
RUNS=${RUNS:-9}
BIN=${BIN:-target/release/rs-lsns}
MKNS=${MKNS:-../shared/bench/mkns.sh}
# a state of our own, so a population someone else is running is never touched
export MKNS_STATE=${MKNS_STATE:-/tmp/mkns-rs-lsns-bench.state}
[[ -x $MKNS ]] || { echo "bench: mkns.sh not found at $MKNS (set MKNS)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[[ -x $BIN ]] || cargo build --release --locked

"$MKNS" keep "$N" &
keeper=$!
cleanup() { "$MKNS" down >/dev/null || true; wait "$keeper" 2>/dev/null || true; }
trap cleanup EXIT
"$MKNS" wait-ready

echo "processes: $(ls -d /proc/[0-9]* | wc -l), namespaces: $("$BIN" -r -n -o NS | wc -l)"

# Same namespaces? Our own namespaces are left out: their process counts include
# whichever tool is running at the moment.
own=$(for t in /proc/self/ns/*; do readlink "$t"; done | tr -dc '0-9\n' | sort -u | paste -sd'|')
listing() { "$@" -r -n -o NS,TYPE,NPROCS,PID | awk -v own="^($own) " '$3 > 0 && $0 !~ own' | sort; }
if diff <(listing /usr/bin/lsns) <(listing "$BIN") >/tmp/rs-lsns-bench.diff; then
    echo "listing: identical ($(listing "$BIN" | wc -l) process-held namespaces compared)"
else
    echo "listing: DIFFERENT (see /tmp/rs-lsns-bench.diff)"; exit 1
fi

echo "measuring: /usr/bin/time -f '%U %S %M' {/usr/bin/lsns,$BIN} >/dev/null, alternately, $RUNS runs each"
measure() { /usr/bin/time -f '%U %S %M' "$@" >/dev/null 2>>"$tmp" </dev/null; }
tmp=$(mktemp)
ul=() rs=()
for ((i = 0; i < RUNS; i++)); do
    : >"$tmp"; measure /usr/bin/lsns; ul+=("$(tail -1 "$tmp")")
    : >"$tmp"; measure "$BIN"; rs+=("$(tail -1 "$tmp")")
done
rm -f "$tmp"
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
stats() { # name, then "user sys rss" lines on stdin
    local lines; lines=$(cat)
    local cpu rss
    cpu=$(awk '{printf "%.2f\n", $1 + $2}' <<<"$lines" | median)
    rss=$(awk '{print $3}' <<<"$lines" | median)
    echo "$1 $cpu $rss"
}
a=$(printf '%s\n' "${ul[@]}" | stats util-linux)
b=$(printf '%s\n' "${rs[@]}" | stats rs-lsns)
printf '%-10s %12s %12s\n' tool "cpu(s)" "maxrss(KiB)"
printf '%-10s %12s %12s\n' $a
printf '%-10s %12s %12s\n' $b
read -r _ ucpu urss <<<"$a"
read -r _ rcpu rrss <<<"$b"
awk -v u="$ucpu" -v r="$rcpu" 'BEGIN { if (r > 0) printf "speed-up: %.1fx less CPU\n", u / r; else print "speed-up: rs-lsns below timer resolution" }'
awk -v u="$ucpu" -v r="$rcpu" -v ur="$urss" -v rr="$rrss" 'BEGIN { ok = (r * 4 <= u) && (rr <= ur); print (ok ? "target met" : "TARGET MISSED"); exit !ok }'
