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
# Test files (pytest -k on file names, so that a test elsewhere whose name
# merely contains one is not picked up). Not here: tests that preload
# another allocator into leaktrace's environment (ASan must come first).
SAN_TESTS=${SAN_TESTS:-"test_bad_input.py test_errors.py test_leak_basic.py test_command.py test_threads.py test_python.py test_export.py test_folded.py test_system_wide.py test_signals.py test_fork_churn.py test_sampling.py test_probe_modes.py test_reclaim.py test_exit_mid.py test_hostile.py test_exec.py test_attach_busy.py test_map_resync.py test_signal_reentry.py test_tid.py test_pidns.py test_census.py test_runtimes.py"}
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
