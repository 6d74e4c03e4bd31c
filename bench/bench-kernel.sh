#!/bin/bash
# bench/bench-kernel.sh - driver of `make bench-kernel`: poolsim's event kernel
# (`poolsim bench kernel`) side by side with the shared kernel-bench anchors
# (plain C 4-ary and binary heaps, ns-3's schedulers), same machine, same run.
#
# 1. Builds the anchors from the read-only shared folder into the build tree
#    with the flags of their own Makefile (-O2; ns-3 only when its headers are
#    installed, Debian libns3-dev; otherwise it says so and goes on without).
# 2. Checks that every program ends at the same simulated time with the same
#    checksum for each variant (as the anchors' check.sh): same work done.
# 3. Runs the matrix of the anchors' matrix.sh (P = 1e3, 1e5, 1e6; hold and
#    cancel; E per program so a run takes a few seconds), one program at a
#    time, pinned to one core when taskset is available; poolsim runs again
#    right before each plain C heap and before the ns-3 group, and every
#    anchor's ratio is taken to the poolsim run just before it, so that a
#    shared machine's changing load falls on both sides of a ratio alike.
# 4. Prints events/s (the programs' own hold-phase figures; medians over RUNS
#    rounds), the median ratios, and the targets of the kernel budget.
#
# Environment (set by the make target): POOLSIM, KB_SRC, KB_OUT, KB_CC, KB_CXX,
# POOLSIM_CFLAGS. Knobs: RUNS (default 1), POPS (default "1000 100000 1000000").
# Exit status: 1 if a program fails or the checksums disagree; a missed target
# is reported, not an error (single runs on a shared machine vary by ~20 %).
set -euo pipefail

: "${POOLSIM:?}" "${KB_SRC:?}" "${KB_OUT:?}"
KB_CC=${KB_CC:-cc}
KB_CXX=${KB_CXX:-g++}
RUNS=${RUNS:-1}
POPS=${POPS:-1000 100000 1000000}

# E per implementation, from the anchors' matrix.sh (poolsim runs at C speed).
declare -A C_HOLD=([1000]=4e7 [100000]=1.5e7 [1000000]=8e6)
declare -A C_CANCEL=([1000]=1.5e7 [100000]=5e6 [1000000]=3e6)
declare -A NS3_HOLD=([1000]=1e7 [100000]=4e6 [1000000]=2e6)
declare -A NS3_CANCEL=([1000]=4e6 [100000]=1e6 [1000000]=6e5)

say() { printf 'bench-kernel: %s\n' "$*"; }

if [[ ! -f $KB_SRC/hold_ref.c || ! -f $KB_SRC/kb_common.h ]]; then
    say "the kernel-bench anchors are not in $KB_SRC (configure --with-shared=DIR names the shared folder)"
    exit 1
fi
case " ${POOLSIM_CFLAGS:-} " in
*-fsanitize*) say "WARNING: poolsim is a sanitizer build; its figures say nothing about the kernel" ;;
esac
say "poolsim built with CFLAGS: ${POOLSIM_CFLAGS:-?}"

# ---- 1. anchors ---------------------------------------------------------------
mkdir -p "$KB_OUT"
build() { # output source compiler-and-flags...
    local out=$1 src=$2
    shift 2
    if [[ ! -x $out || $src -nt $out || $KB_SRC/kb_common.h -nt $out ]]; then
        echo "  $* -o $out $src"
        "$@" -o "$out" "$src" "${LIBS[@]}"
    fi
}
LIBS=(-lm)
build "$KB_OUT/hold_ref" "$KB_SRC/hold_ref.c" "$KB_CC" -std=c11 -O2 -Wall -Wextra -DKB_ARITY=4
build "$KB_OUT/hold_ref_bin" "$KB_SRC/hold_ref.c" "$KB_CC" -std=c11 -O2 -Wall -Wextra -DKB_ARITY=2
HAVE_NS3=0
if echo '#include "ns3/simulator.h"' | "$KB_CXX" -std=c++17 -E -x c++ - >/dev/null 2>&1; then
    LIBS=(-lns3-core)
    build "$KB_OUT/hold_ns3" "$KB_SRC/hold_ns3.cc" "$KB_CXX" -std=c++17 -O2 -Wall -Wextra
    HAVE_NS3=1
else
    say "ns-3 headers not found (Debian package libns3-dev): the ns-3 anchor is skipped"
fi

PIN=()
if command -v taskset >/dev/null && taskset -c 1 true 2>/dev/null; then
    PIN=(taskset -c 1)
    say "every program runs pinned to CPU 1 (taskset -c 1)"
fi

REF=$KB_OUT/hold_ref
BIN=$KB_OUT/hold_ref_bin
NS3=$KB_OUT/hold_ns3

# ---- 2. agreement --------------------------------------------------------------
status=0
for variant in hold cancel; do
    out=$(mktemp)
    common=(--pop=1000 --events=200000 --variant=$variant --check)
    "$POOLSIM" bench kernel "${common[@]}" 2>>"$out" >/dev/null
    for mode in lazy eager; do
        "$REF" "${common[@]}" --cancel=$mode 2>>"$out" >/dev/null
        "$BIN" "${common[@]}" --cancel=$mode 2>>"$out" >/dev/null
    done
    if ((HAVE_NS3)); then
        for sched in map heap calendar priority list; do
            "$NS3" "${common[@]}" --scheduler=$sched 2>>"$out" >/dev/null
        done
        "$NS3" "${common[@]}" --scheduler=map --cancel=eager 2>>"$out" >/dev/null
    fi
    distinct=$(sed 's/^check impl=[^ ]* //' "$out" | sort -u)
    if [[ $(printf '%s\n' "$distinct" | wc -l) -eq 1 && $distinct == *timeouts_fired=0 ]]; then
        say "checksums agree, $variant: $(wc -l <"$out") programs: $distinct"
    else
        say "CHECKSUMS DISAGREE, $variant:"
        cat "$out"
        status=1
    fi
    rm -f "$out"
done
((status == 0)) || exit 1

# ---- 3. matrix -------------------------------------------------------------------
results=$(mktemp)
trap 'rm -f "$results"' EXIT

# Every anchor run is paired with the poolsim run just before it (its ratio is
# taken within the pair); poolsim runs again before each plain C heap, whose
# target is the tightest, and once before the ns-3 group.
OURS_RATE=
bench() { # variant P label E command...
    local variant=$1 pop=$2 label=$3 events=$4 line rate
    shift 4
    line=$("${PIN[@]}" "$@" --pop="$pop" --events="$events" --variant="$variant")
    rate=${line##*events_per_s=}
    [[ $label != poolsim ]] || OURS_RATE=$rate
    printf '  %-7s P=%-8s %-22s %s\n' "$variant" "$pop" "$label" "$line" >&2
    echo "$variant $pop $label $events $rate $OURS_RATE" >>"$results"
}

say "running the matrix (RUNS=$RUNS, POPS=\"$POPS\"); each line is one program run:"
for P in $POPS; do
    for ((r = 0; r < RUNS; r++)); do
        E=${C_HOLD[$P]}
        ours=(bench hold "$P" poolsim "$E" "$POOLSIM" bench kernel)
        "${ours[@]}"
        bench hold "$P" c-4ary "$E" "$REF"
        "${ours[@]}"
        bench hold "$P" c-binary "$E" "$BIN"
        if ((HAVE_NS3)); then
            "${ours[@]}"
            for sched in map heap priority $([[ $P == 1000 ]] && echo calendar); do
                bench hold "$P" "ns3-$sched" "${NS3_HOLD[$P]}" "$NS3" --scheduler=$sched
            done
        fi
        E=${C_CANCEL[$P]}
        ours=(bench cancel "$P" poolsim "$E" "$POOLSIM" bench kernel --cancel=eager)
        "${ours[@]}"
        bench cancel "$P" c-4ary-eager "$E" "$REF" --cancel=eager
        "${ours[@]}"
        bench cancel "$P" c-binary-eager "$E" "$BIN" --cancel=eager
        "${ours[@]}"
        bench cancel "$P" c-4ary-lazy "$E" "$REF" --cancel=lazy
        bench cancel "$P" c-binary-lazy "$E" "$BIN" --cancel=lazy
        if ((HAVE_NS3)); then
            for sched in map heap priority $([[ $P == 1000 ]] && echo calendar); do
                bench cancel "$P" "ns3-$sched" "${NS3_CANCEL[$P]}" "$NS3" --scheduler=$sched
            done
            bench cancel "$P" ns3-map-eager "${NS3_CANCEL[$P]}" "$NS3" --scheduler=map --cancel=eager
        fi
    done
done

# ---- 4. table and targets --------------------------------------------------------
echo
awk -v runs="$RUNS" '
function sci(n,   e) { e = 0; while (n >= 10 && n % 10 == 0) { n /= 10; e++ } return n "e" e }
function med(list, key,   n, i, j, t, v) {     # median of a space-separated list; lo/hi kept
    n = split(list, v, " ")
    for (i = 2; i <= n; i++)                      # insertion sort, n is small
        for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    lo[key] = v[1]; hi[key] = v[n]
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function name(l) {
    if (l == "poolsim") return "poolsim (eager cancel)"
    sub(/^c-4ary/, "C heap 4-ary", l); sub(/^c-binary/, "C heap binary", l)
    sub(/^ns3-map-eager$/, "ns-3 Map, Remove (eager)", l)
    sub(/^ns3-map$/, "ns-3 Map (default)", l); sub(/^ns3-heap$/, "ns-3 Heap", l)
    sub(/^ns3-priority$/, "ns-3 PriorityQueue", l); sub(/^ns3-calendar$/, "ns-3 Calendar", l)
    sub(/-lazy$/, " lazy", l); sub(/-eager$/, " eager", l)
    return l
}
function verdict(ratio, need) { return sprintf("%6.2f  (target >= %s)  %s", ratio, need, ratio >= need ? "met" : "MISSED") }
{
    key = $1 SUBSEP $2 SUBSEP $3
    if (!(key in rates)) { order[++nkeys] = key; events[key] = $4 }
    rates[key] = rates[key] " " $5
    ratios[key] = ratios[key] " " $6 / $5
}
END {
    printf "Kernel benchmark: hold-phase events/s from each program'"'"'s own line, median of %d run(s) [min-max];\n", runs
    printf "poolsim/this: median over the runs of the ratio to the poolsim run just before\n"
    printf "%-7s %-4s %-26s %-7s %-22s %s\n", "variant", "P", "program", "E", "M events/s", "poolsim/this"
    for (i = 1; i <= nkeys; i++) {
        split(order[i], k, SUBSEP)
        m = med(rates[order[i]], order[i])
        rng = runs > 1 ? sprintf("%.3g [%.3g-%.3g]", m / 1e6, lo[order[i]] / 1e6, hi[order[i]] / 1e6) : sprintf("%.3g", m / 1e6)
        rat[order[i]] = med(ratios[order[i]], "r" order[i])
        printf "%-7s %-4s %-26s %-7s %-22s %s\n", k[1], sci(k[2]), name(k[3]), events[order[i]], rng,
               k[3] == "poolsim" ? "" : sprintf("%.2f", rat[order[i]])
        vp = k[1] SUBSEP k[2]
        if (k[3] ~ /^ns3/ && m > fast[vp]) { fast[vp] = m; fastr[vp] = rat[order[i]]; fastname[vp] = name(k[3]) }
        if (k[3] == "ns3-map") dflt[vp] = rat[order[i]]
        if (k[3] ~ /^c-/ && (k[1] == "hold" || k[3] ~ /eager$/) && m > cbest[vp]) {
            cbest[vp] = m; cr[vp] = rat[order[i]]; cname[vp] = name(k[3])
        }
        if (k[3] == "poolsim") ourkeys[++nours] = vp
    }
    print ""
    print "Targets (poolsim over the anchor, events/s):"
    for (i = 1; i <= nours; i++) {
        split(ourkeys[i], k, SUBSEP)
        tag = sprintf("%-6s P=%-4s", k[1], sci(k[2]))
        if (ourkeys[i] in dflt && k[2] == 100000)
            printf "  %s over %-38s %s\n", tag, "ns-3 default (Map)", verdict(dflt[ourkeys[i]], 5)
        if (ourkeys[i] in fast)
            printf "  %s over %-38s %s\n", tag, "ns-3 fastest (" fastname[ourkeys[i]] ")",
                   verdict(fastr[ourkeys[i]], k[2] == 100000 ? 1.5 : 1)
        if (ourkeys[i] in cbest)
            printf "  %s over %-38s %s\n", tag, "best plain C heap (" cname[ourkeys[i]] ")",
                   verdict(cr[ourkeys[i]], 0.9)
    }
}' "$results"
