#!/bin/sh
# `make demo`: serve the bundled Flask app with Debian's python3, send it
# traffic, and trace it by PID for three intervals: the /leak view and its
# line grow in every report, /balanced never shows up.
set -eu
cd "$(dirname "$0")/.."
out=demo-out
port=${PORT:-8321}
mkdir -p "$out"

PORT=$port /usr/bin/python3 demo/app.py >"$out/app.log" 2>&1 &
app=$!
load=
cleanup() {
	[ -n "$load" ] && kill "$load" 2>/dev/null
	kill "$app" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Wait for the service, then keep it busy: one leaking request for every
# balanced one, about five of each per second.
i=0
until /usr/bin/python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/balanced')" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "demo: the Flask app did not start; see $out/app.log" >&2; exit 1; }
	sleep 0.1
done
/usr/bin/python3 - "$port" <<'PY' &
import sys, time, urllib.request
base = "http://127.0.0.1:%s/" % sys.argv[1]
while True:
    for view in ("leak", "balanced"):
        urllib.request.urlopen(base + view).read()
    time.sleep(0.2)
PY
load=$!

echo "== sudo ./leaktrace -p $app --objects -T 8 --folded $out/demo.folded 5 3" >&2
./leaktrace -p "$app" --objects -T 8 --folded "$out/demo.folded" 5 3

echo >&2
echo "== folded stacks (flamegraph.pl --countname=bytes, speedscope): $out/demo.folded" >&2
grep "app.leak" "$out/demo.folded" >&2 || true
