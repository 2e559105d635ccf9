#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make bench-census: the --objects census on a CPython process holding
# N (default 1,000,000) live GC-tracked objects, with leaktrace's census
# code alone (build/bench/census_cpu, no BPF): CPU time of each census and
# the peak RSS that code needs. The target runs on throughout
# (process_vm_readv only). Needs root (or ptrace rights on the target).
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
PY=${PY:-/usr/bin/python3}
ROUNDS=${ROUNDS:-5}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
# 80 % instances of a class, 10 % tuples, 10 % lists: all GC-tracked.
$PY -c "
import os, signal
class Item:
    __slots__ = ('a',)
keep = [Item() for _ in range($N - 2 * ($N // 10))]
pairs = [(i, [i]) for i in range($N // 10)]
print('ready', os.getpid(), flush=True)
signal.pause()
" >"$tmp/py.out" &
pid=$!
while ! grep -q ready "$tmp/py.out" 2>/dev/null; do sleep 0.2; done
echo "target: $PY, pid $pid, RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
build/bench/census_cpu "$pid" "$ROUNDS"
# The target was never stopped: it is still sleeping in pause().
grep -q '^State:.*S (sleeping)' /proc/$pid/status && echo "target state: sleeping (never stopped)"
