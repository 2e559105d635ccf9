#!/bin/sh
# `make bench`: cost of tracing a malloc/free loop, untraced vs leaktrace,
# alternating runs in one session, medians and ratios. Needs root.
# Usage: bench/run.sh [PAIRS] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
pairs=${1:-200000}
rounds=${2:-5}
out=build/bench
mkdir -p "$out"
cc -O2 -fno-builtin -pthread -o "$out/malloc_loop" bench/malloc_loop.c

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run_traced() {
	./leaktrace -c "$out/malloc_loop $1 $2 $3" 3600 2>/dev/null |
		awk 'NR == 1 { print; exit }'
}

printf "%-28s %12s %12s %8s %14s\n" workload "untraced ns" "traced ns" ratio "overhead/call"
for threads in 1 2; do
	for leak in 0 1; do
		: >"$out/base"
		: >"$out/traced"
		i=0
		while [ $i -lt "$rounds" ]; do
			"$out/malloc_loop" "$pairs" "$threads" "$leak" >>"$out/base"
			run_traced "$pairs" "$threads" "$leak" >>"$out/traced"
			i=$((i + 1))
		done
		base=$(median <"$out/base")
		traced=$(median <"$out/traced")
		awk -v b="$base" -v t="$traced" -v w="malloc/free ${threads}T leak ${leak}%" \
			'BEGIN { printf "%-28s %12.1f %12.1f %7.1fx %11.2f us\n", w, b, t, t / b, (t - b) / 2000 }'
	done
done
