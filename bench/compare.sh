#!/bin/sh
# leaktrace next to other tracers, on three workloads, each traced by PID,
# in one session, alternating rounds: untraced, leaktrace exact, leaktrace
# --sample 512K, memleak-bpfcc (bcc) and a bpftrace script doing the same
# bookkeeping (bench/tracers.sh). Medians, ratios to untraced and the
# overhead per traced allocator call.
#   c       bench/malloc_loop.c: PAIRS malloc/free pairs, 16 B-4 KiB, 1 and
#           2 threads, leaking 0 and 1 % (c1, c2: one thread count only)
#   python  bench/py_work.py under Debian's python3: OPS rounds of building
#           and dropping dicts and strings
#   flask   bench/flask_app.py under gunicorn (2 sync workers), loaded by wrk
#           on loopback for SECONDS; requests per second
# Each tracer attaches before the timed work starts: the C and Python
# workloads wait at a gate file, wrk starts after attaching.
# Needs root; Debian's bpfcc-tools, bpftrace, linux-headers-amd64, wrk,
# gunicorn, python3-flask (make bench-deps).
# Usage: bench/compare.sh [-r ROUNDS] [-n PAIRS] [-o OPS] [-d SECONDS]
#                         [c|c1|c2|python|flask ...]
set -eu
cd "$(dirname "$0")/.."
rounds=3 pairs=50000 ops=2000 secs=10
while getopts r:n:o:d: opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	n) pairs=$OPTARG ;;
	o) ops=$OPTARG ;;
	d) secs=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- c python flask
out=build/bench
floor=$out/uprobe_floor
mkdir -p "$out"
. bench/tracers.sh

# Nothing of ours keeps running, however we leave.
work_pids=
cleanup() {
	tracer_stop
	for w in $work_pids; do kill -TERM "$w" 2>/dev/null || true; done
	for w in $work_pids; do wait "$w" 2>/dev/null || true; done
	work_pids=
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

tracers_setup
[ -x "$floor" ] || die "$floor not built (make $floor)"

# run_gated TRACER CMD...: CMD waits at the gate while the tracer attaches
# to it; prints what CMD prints (its time per unit of work). The gate is
# the file $out/go appearing, or with gate_fifo=1 a line written to the
# FIFO $out/gate (a shell waiting there forks nothing, where a polling
# loop would fork a sleep every 10 ms that leaktrace, following children,
# would trace in turn).
run_gated() {
	rg_t=$1
	shift
	rm -f "$out/go"
	"$@" >"$out/work.out" &
	work_pids=$!
	tracer_start "$rg_t" "$work_pids"
	: >"$out/go"
	[ "${gate_fifo:-0}" = 1 ] && echo go >"$out/gate"
	wait "$work_pids" || die "workload failed under $rg_t: $*"
	work_pids=
	tracer_stop
	cat "$out/work.out"
}

header() {
	echo
	echo "$1"
	printf "%-26s %12s %9s %13s\n" tracer "$2" "ratio" "us per call"
}

# rows LABEL KIND CALLS: medians of $out/res.LABEL.TRACER. KIND time: ns per
# unit of work; rate: units per second. CALLS: allocator calls per unit.
rows() {
	base=$(median <"$out/res.$1.untraced")
	for tr in $tracers; do
		awk -v n="$(tracer_name "$tr")" -v m="$(median <"$out/res.$1.$tr")" \
			-v b="$base" -v k="$2" -v c="$3" 'BEGIN {
			# per call: the extra time a unit of work takes, shared out
			d = k == "time" ? (m - b) / 1000 : 1e6 / m - 1e6 / b
			if (m == b) printf "%-26s %12.1f %8.2fx\n", n, m, m / b
			else printf "%-26s %12.1f %8.2fx %13.2f\n", n, m, m / b, d / c
		}'
	done
	# The comparison leaktrace was written to win.
	awk -v k="$2" -v b="$base" -v e="$(median <"$out/res.$1.lt_exact")" \
		-v s="$(median <"$out/res.$1.lt_sampled")" \
		-v ml="$(median <"$out/res.$1.memleak")" \
		-v bt="$(median <"$out/res.$1.bt")" 'BEGIN {
		if (k == "rate") { b = 1 / b; e = 1 / e; s = 1 / s; ml = 1 / ml; bt = 1 / bt }
		if (e <= b) { print "leaktrace exact: no overhead measured"; exit }
		printf "overhead vs leaktrace exact: memleak-bpfcc %.1fx, bpftrace %.1fx; sampled is %.2fx of exact\n",
			(ml - b) / (e - b), (bt - b) / (e - b), (s - b) / (e - b)
	}'
}

# rounds_of LABEL CMD...: ROUNDS alternating rounds of every tracer.
rounds_of() {
	ro_label=$1
	shift
	for tr in $tracers; do : >"$out/res.$ro_label.$tr"; done
	ro_i=0
	while [ $ro_i -lt "$rounds" ]; do
		for tr in $tracers; do
			run_gated "$tr" "$@" >>"$out/res.$ro_label.$tr"
		done
		ro_i=$((ro_i + 1))
	done
}

bench_c() {
	threads=$1
	cc -O2 -fno-builtin -pthread -o "$out/malloc_loop" bench/malloc_loop.c
	rm -f "$out/gate"
	mkfifo "$out/gate"
	gate_fifo=1
	for leak in 0 1; do
		# exec keeps the PID the tracer attached to
		rounds_of "c$threads.$leak" sh -c \
			'read go <"$0"; exec "$@"' \
			"$out/gate" "$out/malloc_loop" "$pairs" "$threads" "$leak"
		header "malloc/free loop, $threads thread(s), $leak % leaked, $pairs pairs, median of $rounds" ns/pair
		# a malloc, and a free unless leaked
		rows "c$threads.$leak" time "$(awk -v l="$leak" 'BEGIN { print 2 - l / 100 }')"
	done
	gate_fifo=0
}

bench_python() {
	py=/usr/bin/python3
	[ -x $py ] || die "$py not found (Debian package python3)"
	# Calls per round of work: count-only probes on runs of OPS and 2 OPS
	# rounds; the difference leaves start-up and exit out.
	c1=$("$floor" run $py bench/py_work.py "$ops" 2>&1 >/dev/null |
		awk '/entries/ { print $2 }')
	c2=$("$floor" run $py bench/py_work.py $((2 * ops)) 2>&1 >/dev/null |
		awk '/entries/ { print $2 }')
	calls=$(awk -v a="$c1" -v b="$c2" -v n="$ops" \
		'BEGIN { printf "%.1f", (b - a) / n }')
	rounds_of py $py bench/py_work.py "$ops" "$out/go"
	header "python3 dicts and strings, $ops rounds, $calls allocator calls a round, median of $rounds" ns/round
	rows py time "$calls"
}

# wrk_rate SECONDS: requests per second; complains about failed requests.
wrk_rate() {
	wrk -t1 -c4 -d"$1"s "http://127.0.0.1:$port/" >"$out/wrk.out" ||
		die "wrk failed; see $out/wrk.out"
	if grep -q 'errors\|Non-2xx' "$out/wrk.out"; then
		echo "bench: wrk saw failed requests:" >&2
		grep 'errors\|Non-2xx' "$out/wrk.out" >&2
	fi
	awk '/^Requests\/sec:/ { print $2 }' "$out/wrk.out"
}

children() { cat /proc/"$1"/task/*/children | tr -s ' \n' '  ' | sed 's/ $//'; }

bench_flask() {
	need wrk wrk
	need gunicorn gunicorn
	/usr/bin/python3 -c 'import flask' 2>/dev/null ||
		die "python3 cannot import flask (Debian package python3-flask)"
	port=$((20000 + $$ % 20000))
	gunicorn -w 2 -b "127.0.0.1:$port" --chdir bench flask_app:app \
		>"$out/gunicorn.log" 2>&1 &
	master=$!
	work_pids=$master
	i=0
	until /usr/bin/python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/')" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "gunicorn did not start; see $out/gunicorn.log"
		sleep 0.1
	done
	i=0
	while [ "$(children "$master" | wc -w)" -lt 2 ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "gunicorn did not fork its 2 workers"
		sleep 0.1
	done
	workers=$(children "$master")
	wrk_rate 2 >/dev/null # warm-up

	# Calls per request: count-only probes on master and workers.
	"$floor" count "$master" $workers >"$out/count.out" 2>&1 &
	counter=$!
	tracer_pids=$counter # stopped on every exit path
	wait_attached "$counter" count
	wrk_rate 3 >/dev/null
	tracer_stop
	calls=$(awk '/^[0-9]+ [0-9]+$/ { c = $1 }
		/ requests in / { r = $1 } END { printf "%.1f", c / r }' \
		"$out/count.out" "$out/wrk.out")

	for tr in $tracers; do : >"$out/res.flask.$tr"; done
	i=0
	while [ $i -lt "$rounds" ]; do
		for tr in $tracers; do
			# leaktrace follows the master's children itself
			case $tr in
			lt_*) tracer_start "$tr" "$master" ;;
			*) tracer_start "$tr" $workers ;;
			esac
			wrk_rate "$secs" >>"$out/res.flask.$tr"
			tracer_stop
		done
		i=$((i + 1))
	done
	[ "$(children "$master")" = "$workers" ] ||
		echo "bench: gunicorn replaced a worker during the run; memleak and bpftrace numbers are off" >&2
	cleanup

	header "Flask under gunicorn (2 sync workers), wrk -t1 -c4 for $secs s, $calls allocator calls a request, median of $rounds" req/s
	rows flask rate "$calls"
	awk -v b="$(median <"$out/res.flask.untraced")" \
		-v e="$(median <"$out/res.flask.lt_exact")" \
		-v s="$(median <"$out/res.flask.lt_sampled")" 'BEGIN {
		printf "goal: Flask throughput under leaktrace within 5 %% of untraced: exact %.1f %% (%s), sampled %.1f %% (%s)\n",
			100 * e / b, (e >= 0.95 * b) ? "met" : "not met",
			100 * s / b, (s >= 0.95 * b) ? "met" : "not met"
	}'
}

echo "bench/compare.sh: $(uname -r), $(nproc) CPUs; per call: extra time per"
echo "traced allocator call (flask: extra wall time per request at the measured"
echo "rate, with 2 workers on 2 CPUs, shared out over its calls)"
for w in "$@"; do
	case $w in
	c) bench_c 1 && bench_c 2 ;;
	c1) bench_c 1 ;;
	c2) bench_c 2 ;;
	python) bench_python ;;
	flask) bench_flask ;;
	*) die "unknown workload $w (c, c1, c2, python, flask)" ;;
	esac
done
