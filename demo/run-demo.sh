#!/bin/sh
# `make demo`: start the bundled leaky service, trace it by PID for three
# intervals, show the reports and where the folded stacks went.
set -eu
cd "$(dirname "$0")/.."
out=demo-out
mkdir -p "$out"
cc -O1 -g -fno-omit-frame-pointer -o "$out/leaky_service" demo/leaky_service.c

"$out/leaky_service" &
service=$!
trap 'kill $service 2>/dev/null || true' EXIT INT TERM
sleep 0.5

echo "== sudo ./leaktrace -p $service --folded $out/demo.folded 3 3" >&2
./leaktrace -p "$service" --folded "$out/demo.folded" 3 3

echo >&2
echo "== folded stacks (flamegraph.pl --countname=bytes, speedscope): $out/demo.folded" >&2
cat "$out/demo.folded"
