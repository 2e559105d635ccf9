#!/bin/sh
# `make bench-footprint`: leaktrace's memory and report time at size. Needs
# root. bench/hold_stacks holds BLOCKS live blocks (default 1000000) from
# STACKS distinct stacks (default 100000), traced by PID with reports every
# INTERVAL seconds; once it holds them all, after two more reports, prints
# leaktrace's RSS, each kernel map's memory (bpftool's memlock, which counts
# what NO_PREALLOC maps hold), the time reports took (-v), and the time
# Ctrl-C takes, final report included.
# With PERF=FILE, leaktrace is profiled (perf record -g) during those two
# reports.
# Usage: bench/footprint.sh [BLOCKS] [STACKS] [INTERVAL]
set -eu
cd "$(dirname "$0")/.."
blocks=${1:-1000000}
stacks=${2:-100000}
interval=${3:-5}
out=build/bench
mkdir -p "$out"
cc -O1 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls \
	-fno-builtin -o "$out/hold_stacks" bench/hold_stacks.c

tpid=
lpid=
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Wait until file $1 has a line matching $2 (at most $3 tenths of seconds).
wait_for() {
	n=0
	until grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt "$3" ]; then
			echo "footprint: no '$2' in $1" >&2
			cat "$1" >&2
			exit 1
		fi
		sleep 0.1
	done
}

reports() { grep -c "report took" "$out/fp.err" || true; }

"$out/hold_stacks" "$blocks" "$stacks" >"$out/fp.target" &
tpid=$!
wait_for "$out/fp.target" "^ready" 100
./leaktrace -v -p "$tpid" "$interval" >"$out/fp.out" 2>"$out/fp.err" &
lpid=$!
wait_for "$out/fp.err" "leaktrace: tracing" 300
start=$(date +%s.%N)
kill -USR1 "$tpid"
wait_for "$out/fp.target" "^holding" 6000
held=$(date +%s.%N)
seen=$(reports)
if [ -n "${PERF:-}" ]; then
	perf record -q -g -o "$PERF" -p "$lpid" 2>/dev/null &
	ppid=$!
fi
n=0
while [ "$(reports)" -lt $((seen + 2)) ]; do
	n=$((n + 1))
	[ $n -gt $((interval * 40 + 600)) ] && { echo "footprint: no reports" >&2; exit 1; }
	sleep 0.1
done
[ -n "${PERF:-}" ] && { kill -INT "$ppid"; wait "$ppid" || true; }

rss=$(awk '/^VmRSS/ { print $2 }' /proc/$lpid/status)
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$lpid/status)
bpftool --json map show | python3 -c '
import glob, json, sys
pid, blocks, stacks = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
names = {m["id"]: m for m in json.load(sys.stdin)}
maps = {}
for path in glob.glob("/proc/%d/fdinfo/*" % pid):
    try:
        info = dict(l.split(":", 1) for l in open(path) if ":" in l)
    except OSError:
        continue
    if "map_id" in info:
        m = names.get(int(info["map_id"]), {})
        maps[int(info["map_id"])] = (m.get("name", "?"),
                                     int(info["memlock"]),
                                     int(info["max_entries"]))
total = 0
for name, b, cap in sorted(maps.values(), key=lambda m: -m[1]):
    total += b
    if b >= 1 << 16:
        print("  map %-14s %8.1f MB  (max_entries %d)" % (name, b / 1e6, cap))
per = {name: b for name, b, cap in maps.values()}
print("  kernel maps, all: %.1f MB" % (total / 1e6))
print("  per live block (allocs): %.0f B; per stack (stacks): %.0f B; "
      "per (process, stack) aggregate (stats): %.0f B" % (
          per.get("allocs", 0) / blocks, per.get("stacks", 0) / stacks,
          per.get("stats", 0) / stacks))
' "$lpid" "$blocks" "$stacks"

t0=$(date +%s.%N)
kill -INT "$lpid"
wait "$lpid" || true
lpid=
t1=$(date +%s.%N)
echo "  allocation under tracing: $(echo "$held - $start" | bc) s for $blocks blocks"
echo "  leaktrace RSS: $((rss / 1024)) MB (peak $((hwm / 1024)) MB)"
grep "report took" "$out/fp.err" | tail -3 | sed 's/^leaktrace: /  /'
grep "stack reclaim" "$out/fp.err" | tail -1 | sed 's/^leaktrace: /  /'
echo "  Ctrl-C to exit, final report included: $(echo "$t1 - $t0" | bc) s"
grep -E "^losses|heap .* in .* blocks" "$out/fp.out" | tail -2 | sed 's/^/  /'
# Nothing measured means nothing if the blocks were not all counted.
if ! grep -q "heap .* in $blocks blocks" "$out/fp.out"; then
	echo "footprint: FAILED: the final report does not count $blocks blocks" >&2
	exit 1
fi
