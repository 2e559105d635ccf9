#!/bin/sh
# `make bench`: what tracing costs. Needs root.
#  1. The uprobe floor: one count-only probe hit, by the instruction it sits
#     on (bench/uprobe_floor kinds), checked against the kernel table of
#     user/kernel/placement.c.
#  2. A malloc/free loop, in one session, alternating: untraced; count-only
#     probes where leaktrace puts its own (the floor); leaktrace exact; and
#     the same two with every probe at the function's entry
#     (--no-placement); then leaktrace --sample 512K against count-only
#     entry probes alone (the traps sampling cannot avoid: with uprobe
#     sessions, a sampled-out call's return is not trapped). Medians, and
#     the overhead per traced call.
# Usage: bench/run.sh [PAIRS] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
pairs=${1:-200000}
rounds=${2:-5}
out=build/bench
floor=$out/uprobe_floor
mkdir -p "$out"
cc -O2 -fno-builtin -pthread -o "$out/malloc_loop" bench/malloc_loop.c

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

"$floor" kinds ||
	echo "bench: MISMATCH: user/kernel/placement.c's table is wrong for this kernel" >&2
echo

# One run of the loop under a variant; prints ns per malloc/free pair.
run_variant() {
	variant=$1
	shift
	case $variant in
	base) "$out/malloc_loop" "$@" ;;
	floor) "$floor" run "$out/malloc_loop" "$@" 2>/dev/null ;;
	exact) ./leaktrace -c "$out/malloc_loop $*" 3600 2>/dev/null |
		awk 'NR == 1 { print; exit }' ;;
	floor_entry) "$floor" run --entry "$out/malloc_loop" "$@" 2>/dev/null ;;
	exact_entry) ./leaktrace --no-placement -c "$out/malloc_loop $*" 3600 \
		2>/dev/null | awk 'NR == 1 { print; exit }' ;;
	floor_noret) "$floor" run --no-returns "$out/malloc_loop" "$@" \
		2>/dev/null ;;
	sampled) ./leaktrace --sample 512K -c "$out/malloc_loop $*" 3600 \
		2>/dev/null | awk 'NR == 1 { print; exit }' ;;
	esac
}

variants="base floor exact floor_entry exact_entry floor_noret sampled"
echo "malloc/free loop, $pairs pairs, median of $rounds rounds, alternating"
printf "%-22s %8s | %-39s | %-39s | %s\n" "" "" "probes placed (default)" \
	"probes at entries (--no-placement)" "--sample 512K, placed"
printf "%-22s %8s | %17s %21s | %17s %21s | %17s %21s\n" "" untraced \
	"ns per pair" "us per call" "ns per pair" "us per call" \
	"ns per pair" "us per call"
printf "%-22s %8s | %8s %8s %6s %6s %7s | %8s %8s %6s %6s %7s | %8s %8s %6s %6s %7s\n" \
	workload "ns/pair" floor exact floor exact "ex/fl" \
	floor exact floor exact "ex/fl" "entries" sampled entr sampl "sa/en"
for threads in 1 2; do
	for leak in 0 1; do
		for v in $variants; do : >"$out/$v"; done
		i=0
		while [ $i -lt "$rounds" ]; do
			for v in $variants; do
				run_variant "$v" "$pairs" "$threads" "$leak" >>"$out/$v"
			done
			i=$((i + 1))
		done
		set --
		for v in $variants; do set -- "$@" "$(median <"$out/$v")"; done
		awk -v w="malloc/free ${threads}T leak ${leak}%" \
			-v b="$1" -v f="$2" -v e="$3" -v fe="$4" -v ee="$5" \
			-v fn="$6" -v sa="$7" 'BEGIN {
			# two traced calls per pair
			pf = (f - b) / 2000; pe = (e - b) / 2000
			qf = (fe - b) / 2000; qe = (ee - b) / 2000
			rf = (fn - b) / 2000; rs = (sa - b) / 2000
			printf "%-22s %8.1f | %8.1f %8.1f %6.2f %6.2f %6.2fx | %8.1f %8.1f %6.2f %6.2f %6.2fx | %8.1f %8.1f %6.2f %6.2f %6.2fx\n",
				w, b, f, e, pf, pe, pe / pf, fe, ee, qf, qe, qe / qf,
				fn, sa, rf, rs, rs / rf
		}'
	done
done
echo "floor: count-only probes where leaktrace puts its own (entries of all"
echo "allocator functions, returns of those that allocate); ex/fl: overhead of"
echo "leaktrace exact over the floor's; entries: count-only entry probes alone;"
echo "sa/en: overhead of leaktrace --sample 512K over theirs"
