#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make fuzz-run: for each harness NAME given, replay tests/fuzz/corpus/NAME
# (every input once: the regression tests, crashes found before included),
# then fuzz it for FUZZ_SECONDS (default 20) from that corpus. New inputs go
# to a scratch directory, never into the repository. A crash, a sanitizer
# report, a leak or a timeout fails; the input is kept in
# build-fuzz/crashes/ to be added to the corpus. Ends "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-20}
passed=0
failed=0
total_execs=0
crashes=build-fuzz/crashes
mkdir -p "$crashes"
for name in "$@"; do
	bin=tests/fuzz/bin/fuzz_$name
	corpus=tests/fuzz/corpus/$name
	log=$(mktemp)
	if "$bin" -runs=0 -artifact_prefix="$crashes/$name-replay-" "$corpus" >"$log" 2>&1; then
		echo "PASS  fuzz/$name: corpus replay ($(ls "$corpus" | wc -l) inputs)"
		passed=$((passed + 1))
	else
		echo "FAIL  fuzz/$name: corpus replay"
		tail -n 40 "$log"
		failed=$((failed + 1))
	fi
	scratch=$(mktemp -d)
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$crashes/$name-" "$scratch" "$corpus" \
		>"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		total_execs=$((total_execs + ${execs:-0}))
		echo "PASS  fuzz/$name: ${seconds} s, ${execs:-?} executions"
		passed=$((passed + 1))
	else
		echo "FAIL  fuzz/$name: crash (input in $crashes/)"
		grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ ' "$log" | head -n 40
		failed=$((failed + 1))
	fi
	rm -rf "$scratch" "$log"
done
echo "fuzz: $total_execs executions in total"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
