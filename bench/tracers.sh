# Sourced by bench/compare.sh (POSIX sh): the tracers it compares, started
# on given PIDs and stopped again, and the helpers around them. Expects
# $out (a directory under build/) to be set.

libc=/lib/x86_64-linux-gnu/libc.so.6
tracers="untraced lt_exact lt_sampled memleak bt"

die() {
	echo "bench: $*" >&2
	exit 1
}

# need TOOL PACKAGE: fail at once, not halfway through the run.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 not found (Debian package $2; make deps bench-deps)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

tracer_name() {
	case $1 in
	untraced) echo "untraced" ;;
	lt_exact) echo "leaktrace exact" ;;
	lt_sampled) echo "leaktrace --sample 512K" ;;
	memleak) echo "memleak-bpfcc" ;;
	bt) echo "bpftrace script" ;;
	esac
}

# bcc compiles against kernel headers: Debian's are split in two trees,
# bcc wants one. Build the union under build/ (symbolic links only).
kheaders() {
	common=$(ls -d /usr/src/linux-headers-*-common 2>/dev/null | tail -n 1)
	arch=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | tail -n 1)
	[ -n "$common" ] && [ -n "$arch" ] || return 1
	# Linking takes half a minute: kept while the trees stay the same.
	if [ "$(cat "$out/kheaders.from" 2>/dev/null)" != "$common $arch" ]; then
		rm -rf "$out/kheaders" "$out/kheaders.from"
		mkdir -p "$out/kheaders"
		cp -rs "$common/." "$out/kheaders/"
		cp -rs --remove-destination "$arch/." "$out/kheaders/"
		echo "$common $arch" >"$out/kheaders.from"
	fi
	echo "$PWD/$out/kheaders"
}

tracers_setup() {
	[ -x ./leaktrace ] || die "./leaktrace not built (run make)"
	need bpftool bpftool
	need memleak-bpfcc bpfcc-tools
	need bpftrace bpftrace
	BCC_KERNEL_SOURCE=$(kheaders) ||
		die "no kernel headers for memleak-bpfcc (Debian package linux-headers-amd64)"
	export BCC_KERNEL_SOURCE
	# memleak's bookkeeping: size at entry, block at return, sum per stack.
	cat >"$out/memleak.bt" <<BT
uprobe:$libc:malloc { @req[tid] = arg0; }
uretprobe:$libc:malloc /@req[tid]/ {
	@live[retval] = @req[tid]; @bytes[ustack] = sum(@req[tid]);
	delete(@req[tid]);
}
uprobe:$libc:free { delete(@live[arg0]); }
END { clear(@req); clear(@live); clear(@bytes); }
BT
}

# wait_attached PID NAME: until the tracer PID holds uprobes and their
# number stopped growing (bpftool lists BPF programs on perf events by the
# process holding them). bcc compiles first, so this can take seconds.
wait_attached() {
	wa_n=0 wa_same=0 wa_try=0
	while [ $wa_same -lt 3 ]; do
		kill -0 "$1" 2>/dev/null ||
			die "$2 exited before attaching; see $out/$2.log"
		[ $wa_try -lt 600 ] || die "$2 did not attach within 3 minutes"
		sleep 0.3
		wa_try=$((wa_try + 1))
		wa_m=$(bpftool perf 2>/dev/null | grep -c "^pid $1 .*uprobe") || true
		if [ "$wa_m" -gt 0 ] && [ "$wa_m" -eq "$wa_n" ]; then
			wa_same=$((wa_same + 1))
		else
			wa_same=0
		fi
		wa_n=$wa_m
	done
}

# wait_tracing PID LOG LINES: until leaktrace PID writes its "tracing"
# line to LOG after its first LINES lines. Its probes are uprobe session
# links on 6.13+, which bpftool perf does not list.
wait_tracing() {
	wt_try=0
	until tail -n +$(($3 + 1)) "$2" | grep -q "^leaktrace: tracing"; do
		kill -0 "$1" 2>/dev/null ||
			die "leaktrace exited before attaching; see $2"
		[ $wt_try -lt 600 ] || die "leaktrace did not attach within 3 minutes"
		sleep 0.3
		wt_try=$((wt_try + 1))
	done
}

# tracer_start TRACER PID...: trace the PIDs and return once attached.
# leaktrace takes them all (and follows their children); memleak-bpfcc and
# bpftrace take one PID each, so one of them runs per PID. Variables are
# global in sh: this file's own start with their function's initials.
tracer_pids=
tracer_start() {
	ts_t=$1
	shift
	tracer_pids=
	case $ts_t in
	untraced) return 0 ;;
	lt_exact | lt_sampled)
		set -- $(for ts_p in "$@"; do echo "-p $ts_p"; done)
		[ "$ts_t" = lt_sampled ] && set -- --sample 512K "$@"
		touch "$out/$ts_t.log"
		ts_lines=$(wc -l <"$out/$ts_t.log")
		./leaktrace "$@" 3600 >>"$out/$ts_t.log" 2>&1 &
		tracer_pids=$!
		wait_tracing "$tracer_pids" "$out/$ts_t.log" "$ts_lines"
		return 0
		;;
	memleak | bt)
		for ts_p in "$@"; do
			if [ "$ts_t" = memleak ]; then
				memleak-bpfcc -p "$ts_p" 3600 >>"$out/$ts_t.log" 2>&1 &
			else
				bpftrace -p "$ts_p" "$out/memleak.bt" \
					>>"$out/$ts_t.log" 2>&1 &
			fi
			tracer_pids="$tracer_pids $!"
		done
		;;
	esac
	for ts_p in $tracer_pids; do wait_attached "$ts_p" "$ts_t"; done
}

# SIGTERM, then wait: the probes are gone when this returns.
tracer_stop() {
	for ts_p in $tracer_pids; do kill -TERM "$ts_p" 2>/dev/null || true; done
	for ts_p in $tracer_pids; do wait "$ts_p" 2>/dev/null || true; done
	tracer_pids=
}
