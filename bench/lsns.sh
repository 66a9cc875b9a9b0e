#!/usr/bin/env bash
# Side-by-side benchmark of rs-lsns and util-linux's lsns on populations of namespaces
# that bench/population.sh builds (and removes again). For each population size the tools
# run alternately, RUNS times each, so that both see the same load; the script prints the
# median CPU time (user+sys) and maximum RSS of each and the ratio ours/theirs. It also
# checks that the tools list the same process-held namespaces, and that rs-lsns lists the
# population's namespaces that only an fd, a socket or a bind mount keeps. Needs root.
#
#   bench/lsns.sh [N...]     holder counts (default: 2000 7000, i.e. about 2,300 and
#                            8,000 processes, so that growth with the host can be seen)
#   env: RUNS (default 9), BIN (default target/release/rs-lsns),
#        LSNS_REF  the lsns to compare with (default /usr/bin/lsns; several, separated
#                  by spaces, are measured side by side)
#        MAX_RATIO the CPU ratio ours/theirs to stay under (default 0.25)
#        CPU       the measuring helper (default target/release/examples/cpu, built from
#                  examples/cpu.rs: a tool's own CPU time to the microsecond)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-9}
BIN=${BIN:-target/release/rs-lsns}
LSNS_REF=${LSNS_REF:-/usr/bin/lsns}
MAX_RATIO=${MAX_RATIO:-0.25}
CPU=${CPU:-target/release/examples/cpu}
read -ra refs <<<"$LSNS_REF"
export RUNS BIN LSNS_REF MAX_RATIO CPU

# Runs inside a population (bench/population.sh calls us back with --measure).
measure_population() {
    echo "processes: $(find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l), namespaces: $("$BIN" -r -n -o NS | wc -l)"
    local ok=1 diffs
    diffs=$(mktemp)
    check_listings || ok=0
    rm -f "$diffs"
    check_extras || ok=0
    echo "measuring: $CPU TOOL (the tool's own user and system time, and maximum RSS), alternately, $RUNS runs each"
    local i t
    local -A samples=()
    for ((i = 0; i < RUNS; i++)); do
        for t in "${refs[@]}" "$BIN"; do
            # (util-linux 2.38 gives up when a process vanishes mid-scan: keep going)
            samples[$t]+="$("$CPU" "$t" || true)"$'\n'
        done
    done
    local ours cpu rss
    read -r ours ours_rss <<<"$(summary <<<"${samples[$BIN]}")"
    printf '%-48s %8s %12s %10s\n' tool "cpu(s)" "maxrss(KiB)" "ours/this"
    for t in "${refs[@]}" "$BIN"; do
        read -r cpu rss <<<"$(summary <<<"${samples[$t]}")"
        printf '%-48s %8s %12s %10s\n' "$t" "$cpu" "$rss" "$(ratio "$ours" "$cpu")"
        [[ $t == "$BIN" ]] && continue
        awk -v o="$ours" -v r="$cpu" -v m="$MAX_RATIO" 'BEGIN { exit !(r > 0 && o <= m * r) }' || ok=0
        ((ours_rss <= rss)) || ok=0
    done
    if ((ok)); then echo "target met (same listing; cpu at most ${MAX_RATIO}x, rss at most 1x)"; else echo "TARGET MISSED"; return 1; fi
}

# Medians of "user sys rss" lines: "cpu rss".
summary() {
    local lines
    lines=$(awk 'NF == 3 { printf "%.4f %d\n", $1 + $2, $3 }')
    echo "$(awk '{ print $1 }' <<<"$lines" | median) $(awk '{ print $2 }' <<<"$lines" | median)"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }

# Same process-held namespaces? Our own namespaces are left out: their process counts
# include whichever tool is running at the moment. Other processes on the machine come
# and go between two listings, so a difference counts only if it persists in 3 tries.
check_listings() {
    local own t try
    own=$(for t in /proc/self/ns/*; do readlink "$t"; done | tr -dc '0-9\n' | sort -u | paste -sd'|')
    listing() { "$@" -r -n -o NS,TYPE,NPROCS,PID | awk -v own="^($own) " '$3 > 0 && $0 !~ own' | sort; }
    for t in "${refs[@]}"; do
        for try in 1 2 3; do
            diff <(listing "$t") <(listing "$BIN") >"$diffs" && break
        done
        if [[ -s $diffs ]]; then
            echo "listing: DIFFERENT from $t:"; head -20 "$diffs"
            return 1
        fi
        echo "listing: identical to $t ($(listing "$BIN" | wc -l) process-held namespaces compared)"
    done
}

# The namespaces without processes that the population made must be listed.
check_extras() {
    local ino ty how list missing=0
    list=$("$BIN" -r -n -o NS,TYPE,NPROCS)
    while read -r ino ty how; do
        grep -qx "$ino $ty 0" <<<"$list" || { echo "listing: $how-held $ty namespace $ino MISSING"; missing=1; }
    done <"$POP_EXTRA"
    ((missing == 0)) && echo "listing: all $(wc -l <"$POP_EXTRA") fd-, socket- and mount-held namespaces present"
    return "$missing"
}

if [[ ${1-} == --measure ]]; then
    measure_population
    exit
fi

[[ $EUID -eq 0 ]] || { echo "bench: needs root" >&2; exit 1; }
for t in "${refs[@]}"; do [[ -x $t ]] || { echo "bench: $t missing" >&2; exit 1; }; done
[[ -x $BIN ]] || cargo build --release --locked
[[ -x $CPU ]] || cargo build --release --locked --example cpu
(($#)) || set -- 2000 7000
rc=0
for n in "$@"; do
    echo "== population of $n holders"
    bench/population.sh "$n" "$0" --measure || rc=1
done
exit "$rc"
