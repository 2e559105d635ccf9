#!/bin/sh
# Side by side on one malloc/free loop traced by PID, in one session,
# alternating: untraced, leaktrace exact, leaktrace --sample 512K,
# memleak-bpfcc (bcc) and a bpftrace script doing the same bookkeeping.
# Prints medians, ratios to untraced and the overhead per traced call.
# Needs root, Debian's bpfcc-tools, bpftrace and linux-headers-amd64.
# Usage: bench/compare.sh [PAIRS] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
pairs=${1:-20000}
rounds=${2:-3}
out=build/bench
libc=/lib/x86_64-linux-gnu/libc.so.6
mkdir -p "$out"
cc -O2 -fno-builtin -pthread -o "$out/malloc_loop" bench/malloc_loop.c

# bcc compiles against kernel headers: Debian's are split in two trees,
# bcc wants one. Build the union under build/ (symbolic links only).
kheaders() {
	common=$(ls -d /usr/src/linux-headers-*-common 2>/dev/null | tail -n 1)
	arch=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | tail -n 1)
	[ -n "$common" ] && [ -n "$arch" ] || return 1
	rm -rf "$out/kheaders"
	mkdir -p "$out/kheaders"
	cp -rs "$common/." "$out/kheaders/"
	cp -rs --remove-destination "$arch/." "$out/kheaders/"
	echo "$PWD/$out/kheaders"
}
if BCC_KERNEL_SOURCE=$(kheaders); then
	export BCC_KERNEL_SOURCE
else
	echo "bench: no linux-headers-amd64: memleak-bpfcc will fail" >&2
fi

cat >"$out/memleak.bt" <<BT
uprobe:$libc:malloc { @req[tid] = arg0; }
uretprobe:$libc:malloc /@req[tid]/ {
	@live[retval] = @req[tid]; @bytes[ustack] = sum(@req[tid]);
	delete(@req[tid]);
}
uprobe:$libc:free { delete(@live[arg0]); }
END { clear(@req); clear(@live); clear(@bytes); }
BT

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The loop starts after a delay long enough for the tracer to attach
# (bcc compiles its program first); prints ns per malloc/free pair.
run() {
	delay=$1
	shift
	sh -c 'echo $$ >"$0"; sleep "$1"; exec "$2" "$3" 1 0' \
		"$out/loop.pid" "$delay" "$out/malloc_loop" "$pairs" >"$out/loop.out" &
	loop=$!
	sleep 0.3
	pid=$(cat "$out/loop.pid")
	if [ $# -gt 0 ]; then
		"$@" "$pid" >/dev/null 2>&1 &
		tracer=$!
	fi
	wait "$loop"
	if [ $# -gt 0 ]; then
		kill -TERM "$tracer" 2>/dev/null || true
		wait "$tracer" 2>/dev/null || true
	fi
	cat "$out/loop.out"
}

lt_exact() { ./leaktrace -p "$1" 3600; }
lt_sampled() { ./leaktrace --sample 512K -p "$1" 3600; }
memleak() { memleak-bpfcc -p "$1" 3600; }
bt() { bpftrace -p "$1" "$out/memleak.bt"; }

for v in untraced lt_exact lt_sampled memleak bt; do : >"$out/$v"; done
i=0
while [ $i -lt "$rounds" ]; do
	run 0.2 >>"$out/untraced"
	run 5 lt_exact >>"$out/lt_exact"
	run 5 lt_sampled >>"$out/lt_sampled"
	run 12 memleak >>"$out/memleak"
	run 6 bt >>"$out/bt"
	i=$((i + 1))
done

base=$(median <"$out/untraced")
printf "%-30s %12s %8s %14s\n" "tracer (malloc/free loop, by PID)" "ns/pair" ratio "us per call"
for v in untraced lt_exact lt_sampled memleak bt; do
	m=$(median <"$out/$v")
	case $v in
	untraced) name="untraced" ;;
	lt_exact) name="leaktrace exact" ;;
	lt_sampled) name="leaktrace --sample 512K" ;;
	memleak) name="memleak-bpfcc" ;;
	bt) name="bpftrace script" ;;
	esac
	awk -v n="$name" -v m="$m" -v b="$base" \
		'BEGIN { printf "%-30s %12.1f %7.1fx %14.2f\n", n, m, m / b, (m - b) / 2000 }'
done
