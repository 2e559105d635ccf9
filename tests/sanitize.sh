#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make sanitize-test: a representative part of the integration tests on
# ./leaktrace-san (make SANITIZE=1: ASan + UBSan). Any sanitizer report
# fails: the program stops at the first one (halt_on_error, and UBSan does
# not recover), a leak at exit fails the exit status, and every report file
# in the log directory is one more failure. Ends with "N passed, N failed"
# (the sanitizer check counts as one test).
set -u
cd "$(dirname "$0")/.."
SAN_TESTS=${SAN_TESTS:-"test_bad_input test_errors test_leak_basic test_command test_threads test_python test_export.py test_folded test_system_wide.py test_signals test_fork_churn test_sampling test_probe_modes test_reclaim test_exit_mid test_hostile"}
logs=$(mktemp -d /tmp/lt-san.XXXXXX)
out=$(mktemp)
trap 'rm -rf "$logs" "$out"' EXIT
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
export LT_LEAKTRACE="$PWD/leaktrace-san"
set --
for k in $SAN_TESTS; do set -- "$@" -k "$k"; done
tests/run --integration "$@" 2>&1 | tee "$out"
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
passed=$(echo "$last" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
failed=$(echo "$last" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
[ -n "$passed" ] || { passed=0; failed=1; }
if ls "$logs"/* >/dev/null 2>&1 || grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$out"; then
	echo "FAIL  sanitizer reports:" >&2
	cat "$logs"/* >&2 2>/dev/null
	failed=$((failed + 1))
else
	echo "PASS  sanitizer reports: none"
	passed=$((passed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
