#!/bin/sh
# `make bench-unwind`: what the native walk costs. Needs root.
#  1. bench/deep_loop at stacks 5, 20 and 50 calls deep (built with frame
#     pointers, so both walks see every frame): ns per malloc/free pair
#     untraced, with --unwind=dwarf and --unwind=fp; the cost per unwound
#     frame is the slope between 5 and 50.
#  2. The C loop (bench/malloc_loop, -O2) and the Python workload
#     (bench/py_work.py, Debian's python3) with dwarf and fp.
# Medians of ROUNDS runs, alternating. Usage: bench/unwind.sh [PAIRS] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
pairs=${1:-200000}
rounds=${2:-5}
out=build/bench
mkdir -p "$out"
cc -O2 -fno-omit-frame-pointer -fno-builtin -o "$out/deep_loop" bench/deep_loop.c
cc -O2 -fno-builtin -pthread -o "$out/malloc_loop" bench/malloc_loop.c

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ns per pair of one run of CMD: untraced, or under leaktrace --unwind=MODE.
run() {
	mode=$1
	shift
	if [ "$mode" = base ]; then
		"$@"
	else
		./leaktrace --unwind="$mode" -c "$*" 3600 2>/dev/null |
			awk 'NR == 1 { print; exit }'
	fi
}

# Median ns per pair of CMD under each of base, dwarf, fp: "b d f".
measure() {
	for m in base dwarf fp; do : >"$out/u_$m"; done
	i=0
	while [ $i -lt "$rounds" ]; do
		for m in base dwarf fp; do run $m "$@" >>"$out/u_$m"; done
		i=$((i + 1))
	done
	echo "$(median <"$out/u_base") $(median <"$out/u_dwarf") $(median <"$out/u_fp")"
}

echo "native walk: ns per malloc/free pair, median of $rounds rounds"
printf "%-26s %9s %9s %9s\n" workload untraced dwarf fp
for depth in 5 20 50; do
	set -- $(measure "$out/deep_loop" "$pairs" "$depth")
	printf "%-26s %9s %9s %9s\n" "deep_loop depth $depth" "$1" "$2" "$3"
	eval "d$depth=$2 f$depth=$3"
done
awk -v d5="$d5" -v d50="$d50" -v f5="$f5" -v f50="$f50" 'BEGIN {
	printf "per unwound frame (5 -> 50): dwarf %.0f ns, fp %.0f ns\n",
		(d50 - d5) / 45, (f50 - f5) / 45 }'
set -- $(measure "$out/malloc_loop" "$pairs")
printf "%-26s %9s %9s %9s\n" "C loop (malloc_loop)" "$1" "$2" "$3"
set -- $(measure python3 bench/py_work.py $((pairs / 50)))
printf "%-26s %9s %9s %9s  (ns per op)\n" "Python (py_work.py)" "$1" "$2" "$3"
