#!/bin/sh
# `make bench-unwind`: what the native walk costs. Needs root.
#  1. bench/deep_loop at stacks 5, 20 and 50 calls deep (built with frame
#     pointers, so both walks see every frame): ns per malloc/free pair
#     untraced, with --unwind=dwarf and --unwind=fp, every stack walked
#     (LEAKTRACE_NO_WALK_MEMO=1: a loop's stacks repeat, and a thread's
#     memo of its last walk would stand in for the walk); the cost per
#     unwound frame is the slope between 5 and 50.
#  2. The C loop (bench/malloc_loop, -O2) and the Python workload
#     (bench/py_work.py, Debian's python3) with dwarf and fp.
#  3. The cost goals, on the C loop: exact mode against the count-only
#     probe floor at the same places (bench/uprobe_floor run), with dwarf
#     (and with dwarf walking every stack: no memo) and fp; --sample 512K with dwarf, with fp, and with the build before
#     the unwinder (LEAKTRACE_OLD=path/to/leaktrace, optional) against the
#     entry probes alone (the traps sampling cannot avoid).
#  4. kwalk: the same slopes in the programs' own run time
#     (kernel.bpf_stats_enabled; no trap or scheduling noise): the walk at
#     the return of an allocator call (default probes: one program runs at
#     malloc's entry and return, free has its own, so a walk costs twice
#     the average's slope; builds before 2026-12-03 ran it for free too,
#     three runs a pair, and twice the slope undercounts them), in
#     deep_loop and in deep_loop linked statically (its frames then sit
#     in an 8 000-row table, as libc's in a 28 000-row one), and the
#     yardstick's return program.
#  5. early: how many of a command's first blocks are walked by its tables
#     (-c malloc_loop 3000 1 100: 3000 leaked blocks in about 15 ms), and
#     how long after a dlopen the library's table is used
#     (bench/dlopen_delay on tests/targets/bin/libunwind_late.so, make
#     targets): ROUNDS runs each.
# Medians of ROUNDS runs, alternating.
# Usage: bench/unwind.sh [walk|goals|kwalk|early|all] [PAIRS] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
part=all
case ${1:-} in walk | goals | kwalk | early | all) part=$1 && shift ;; esac
pairs=${1:-200000}
rounds=${2:-5}
out=build/bench
floor=$out/uprobe_floor
old=${LEAKTRACE_OLD:-}
mkdir -p "$out"
cc -O2 -fno-omit-frame-pointer -fno-builtin -o "$out/deep_loop" bench/deep_loop.c
cc -O2 -fno-builtin -pthread -o "$out/malloc_loop" bench/malloc_loop.c
cc -O2 -static -fno-omit-frame-pointer -fno-builtin -o "$out/deep_loop_static" \
	bench/deep_loop.c

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ns per pair of one run of CMD: untraced, or under leaktrace --unwind=MODE.
run() {
	mode=$1
	shift
	if [ "$mode" = base ]; then
		"$@"
	else
		LEAKTRACE_NO_WALK_MEMO=1 ./leaktrace --unwind="$mode" -c "$*" \
			3600 2>/dev/null |
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

# The cost goals: one run of the loop under a variant, ns per pair.
goal_run() {
	variant=$1
	shift
	case $variant in
	base) "$out/malloc_loop" "$@" ;;
	floor) "$floor" run "$out/malloc_loop" "$@" 2>/dev/null ;;
	entries) "$floor" run --no-returns "$out/malloc_loop" "$@" 2>/dev/null ;;
	ex_dwarf | ex_fp)
		./leaktrace --unwind="${variant#ex_}" -c "$out/malloc_loop $*" \
			3600 2>/dev/null | awk 'NR == 1 { print; exit }' ;;
	ex_walk)
		LEAKTRACE_NO_WALK_MEMO=1 ./leaktrace --unwind=dwarf \
			-c "$out/malloc_loop $*" 3600 2>/dev/null |
			awk 'NR == 1 { print; exit }' ;;
	sa_dwarf | sa_fp)
		./leaktrace --unwind="${variant#sa_}" --sample 512K \
			-c "$out/malloc_loop $*" 3600 2>/dev/null |
			awk 'NR == 1 { print; exit }' ;;
	sa_old) "$old" --sample 512K -c "$out/malloc_loop $*" 3600 \
		2>/dev/null | awk 'NR == 1 { print; exit }' ;;
	esac
}

goals() {
	[ -x "$floor" ] || make -s "$floor"
	variants="base floor ex_dwarf ex_walk ex_fp entries sa_dwarf sa_fp"
	[ -n "$old" ] && variants="$variants sa_old"
	echo "cost goals: C loop, $pairs pairs, median of $rounds rounds," \
		"alternating; ns per pair (us per traced call)"
	for threads in 1 2; do
		for v in $variants; do : >"$out/g_$v"; done
		i=0
		while [ $i -lt "$rounds" ]; do
			for v in $variants; do
				goal_run "$v" "$pairs" "$threads" 0 >>"$out/g_$v"
			done
			i=$((i + 1))
		done
		for v in $variants; do
			printf "%s=%s " "$v" "$(median <"$out/g_$v")"
		done | awk -v t="$threads" '{
			for (i = 1; i <= NF; i++) { split($i, kv, "="); m[kv[1]] = kv[2] }
			b = m["base"]
			# two traced calls per pair
			for (k in m) c[k] = (m[k] - b) / 2000
			printf "%d thread(s): untraced %.1f, floor %.0f (%.2f), entries %.0f (%.2f)\n",
				t, b, m["floor"], c["floor"], m["entries"], c["entries"]
			printf "  exact   dwarf %.0f (%.2f) %.2fx floor | no memo %.0f (%.2f) %.2fx floor | fp %.0f (%.2f) %.2fx floor\n",
				m["ex_dwarf"], c["ex_dwarf"], c["ex_dwarf"] / c["floor"],
				m["ex_walk"], c["ex_walk"], c["ex_walk"] / c["floor"],
				m["ex_fp"], c["ex_fp"], c["ex_fp"] / c["floor"]
			printf "  sampled dwarf %.0f (%.2f) %.2fx entries | fp %.0f (%.2f) %.2fx entries | dwarf/fp %.3f\n",
				m["sa_dwarf"], c["sa_dwarf"], c["sa_dwarf"] / c["entries"],
				m["sa_fp"], c["sa_fp"], c["sa_fp"] / c["entries"],
				m["sa_dwarf"] / m["sa_fp"]
			if ("sa_old" in m)
				printf "  sampled before the unwinder %.0f (%.2f) %.2fx entries | dwarf/old %.3f\n",
					m["sa_old"], c["sa_old"], c["sa_old"] / c["entries"],
					m["sa_dwarf"] / m["sa_old"]
		}'
	done
}

# Blocks of the final JSON report's process COMM whose stack reaches
# main, _start or a thread's start, and the others: "whole other".
whole_blocks() {
	python3 -c '
import json, sys
rep = [json.loads(l) for l in sys.stdin if l.startswith("{\"type\":\"report")][-1]
outer = ("main", "_start", "__libc_start_call_main", "start_thread", "clone3")
whole = other = 0
for p in rep["processes"]:
    if p.get("comm") != sys.argv[1]:
        continue
    for s in p.get("top_outstanding", []):
        names = [(f.get("symbol") or "").split("@")[0] for f in s["frames"]]
        if sys.argv[2] not in names:
            continue
        if any(n in outer for n in names):
            whole += s.get("heap_count", 0)
        else:
            other += s.get("heap_count", 0)
print(whole, other)' "$@"
}

early() {
	lib=tests/targets/bin/libunwind_late.so
	cc -O2 -o "$out/dlopen_delay" bench/dlopen_delay.c -ldl
	echo "-c malloc_loop 3000 1 100: leaked blocks walked whole (to"
	echo "start_thread/clone3) and not, per run"
	i=0
	while [ $i -lt "$rounds" ]; do
		./leaktrace --json -T 1000 -c "$out/malloc_loop 3000 1 100" 3600 \
			2>/dev/null | whole_blocks malloc_loop work
		i=$((i + 1))
	done
	[ -e "$lib" ] || { echo "no $lib: make targets" && return 0; }
	echo "dlopen, then a leak every 100 us: blocks whole, not, us per call,"
	echo "and the delay (blocks not whole x us per call)"
	i=0
	while [ $i -lt "$rounds" ]; do
		./leaktrace --json -T 1000 -c "$out/dlopen_delay $lib 3000 100" \
			3600 2>/dev/null >"$out/early.json"
		set -- $(whole_blocks dlopen_delay late_inner <"$out/early.json")
		us=$(grep -E '^[0-9.]+$' "$out/early.json" | head -1)
		awk -v w="$1" -v o="$2" -v us="$us" 'BEGIN {
			printf "%d %d %.1f us: delay %.1f ms\n", w, o, us, o * us / 1000 }'
		i=$((i + 1))
	done
}

walk() {
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
	# The goal's yardstick: one user read and one map lookup, timed the
	# same way (count-only probes doing 5 and 50 of them per return).
	[ -x "$floor" ] || make -s "$floor"
	for n in 5 50; do
		: >"$out/fw_$n"
		i=0
		while [ $i -lt "$rounds" ]; do
			"$floor" run --frames $n "$out/malloc_loop" "$pairs" \
				2>/dev/null >>"$out/fw_$n"
			i=$((i + 1))
		done
	done
	awk -v a="$(median <"$out/fw_5")" -v b="$(median <"$out/fw_50")" \
		'BEGIN { printf "one user read + one map lookup: %.0f ns\n", (b - a) / 45 }'
	set -- $(measure "$out/malloc_loop" "$pairs")
	printf "%-26s %9s %9s %9s\n" "C loop (malloc_loop)" "$1" "$2" "$3"
	set -- $(measure python3 bench/py_work.py $((pairs / 50)))
	printf "%-26s %9s %9s %9s  (ns per op)\n" "Python (py_work.py)" "$1" "$2" "$3"
}

# "ns runs" of the programs named $1 so far (bpftool's run_time_ns).
prog_stats() {
	bpftool prog show -j | python3 -c '
import json, sys
t = c = 0
for p in json.load(sys.stdin):
    if p.get("name") == sys.argv[1]:
        t += p.get("run_time_ns", 0)
        c += p.get("run_cnt", 0)
print(t, c)' "$1"
}

# Average ns per run of program $1 over 3 s while the rest runs; the
# command must run longer and is stopped (pkill $2) afterwards.
prog_ns() {
	prog=$1 victim=$2
	shift 2
	"$@" >/dev/null 2>&1 &
	bg=$!
	sleep 2
	a=$(prog_stats "$prog")
	sleep 3
	b=$(prog_stats "$prog")
	pkill -f "$victim" || true
	wait $bg 2>/dev/null || true
	echo "$a $b" | awk '{ printf "%.1f\n", ($3 - $1) / ($4 - $2) }'
}

# Kernel ns per frame of MODE's walk in deep_loop binary $2: the slope of
# the medians at depths 5 and 50 (twice the average's: see the top).
kframe() {
	mode=$1 bin=$2
	for d in 5 50; do
		: >"$out/k_$d"
		i=0
		while [ $i -lt "$rounds" ]; do
			LEAKTRACE_NO_WALK_MEMO=1 prog_ns alloc_session \
				"deep_loop[_a-z]* 1000000000 $d" ./leaktrace \
				--unwind="$mode" -c "$bin 1000000000 $d" 3600 \
				>>"$out/k_$d"
			i=$((i + 1))
		done
	done
	awk -v a="$(median <"$out/k_5")" -v b="$(median <"$out/k_50")" \
		'BEGIN { printf "%.0f", 2 * (b - a) / 45 }'
}

kwalk() {
	old=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -q kernel.bpf_stats_enabled=1
	[ -x "$floor" ] || make -s "$floor"
	echo "native walk, kernel time (bpf_stats): ns per frame, slope 5 -> 50, median of $rounds"
	echo "deep_loop: dwarf $(kframe dwarf "$out/deep_loop")," \
		"fp $(kframe fp "$out/deep_loop")"
	echo "deep_loop static: dwarf $(kframe dwarf "$out/deep_loop_static")"
	for n in 5 50; do
		: >"$out/kf_$n"
		i=0
		while [ $i -lt "$rounds" ]; do
			prog_ns count_return "malloc_loop 1000000000" "$floor" run \
				--frames $n "$out/malloc_loop" 1000000000 >>"$out/kf_$n"
			i=$((i + 1))
		done
	done
	awk -v a="$(median <"$out/kf_5")" -v b="$(median <"$out/kf_50")" \
		'BEGIN { printf "one user read + one map lookup: %.0f ns\n", (b - a) / 45 }'
	sysctl -q kernel.bpf_stats_enabled="$old"
}

case $part in
walk) walk ;;
kwalk) kwalk ;;
goals) goals ;;
early) early ;;
all) walk && echo && kwalk && echo && goals && echo && early ;;
esac
