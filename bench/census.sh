#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make bench-census: the --objects census on a CPython process holding
# N (default 1,000,000) live GC-tracked objects that grows by 100 objects
# a second (so every census also looks for who holds them):
#  1. leaktrace's census code alone (build/bench/census_cpu, no BPF): CPU
#     time of each census and the peak RSS that code needs;
#  2. leaktrace itself, BPF attached (-v --objects, REPORTS reports
#     INTERVAL apart): the CPU of each census as leaktrace logs it (its
#     thread's CPU clock around copy, walk and holder scan) and
#     leaktrace's peak RSS.
# The target runs on throughout (process_vm_readv only). Needs root; the
# BPF part takes /tmp/lt-bpf.lock when it exists (shared machines).
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
PY=${PY:-/usr/bin/python3}
ROUNDS=${ROUNDS:-5}
REPORTS=${REPORTS:-3}
INTERVAL=${INTERVAL:-3}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
# 80 % instances of a class, 10 % tuples, 10 % lists: all GC-tracked.
$PY -c "
import os, time
class Item:
    __slots__ = ('a',)
keep = [Item() for _ in range($N - 2 * ($N // 10))]
pairs = [(i, [i]) for i in range($N // 10)]
grown = []
print('ready', os.getpid(), flush=True)
while True:
    time.sleep(1)
    grown.extend(Item() for _ in range(100))
" >"$tmp/py.out" &
pid=$!
while ! grep -q ready "$tmp/py.out" 2>/dev/null; do sleep 0.2; done
echo "target: $PY, pid $pid, RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
echo "== census code alone (no BPF), $ROUNDS censuses 1.5 s apart"
build/bench/census_cpu "$pid" "$ROUNDS" 1.5
echo "== leaktrace -v --objects -p $pid $INTERVAL $REPORTS (BPF attached)"
lock=
[ -e /tmp/lt-bpf.lock ] && lock="flock /tmp/lt-bpf.lock"
$lock /usr/bin/time -f "leaktrace: %U s user, %S s system, peak RSS %M KiB" \
	./leaktrace -v --objects -T 3 -p "$pid" "$INTERVAL" "$REPORTS" \
	>"$tmp/lt.out" 2>"$tmp/lt.err"
grep -E "census of|held by" "$tmp/lt.err" "$tmp/lt.out" | sed 's/^[^:]*://'
grep "^leaktrace: .* peak RSS" "$tmp/lt.err"
# The target was never stopped: it is still running (sleeping mostly).
grep -q '^State:.*[SR] (' /proc/$pid/status && echo "target state: $(awk '/^State/ {print $2, $3}' /proc/$pid/status) (never stopped)"
