/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Unit tests for user/kernel/allocator*.c on real processes: the module
 * serving malloc in the lookup order, with glibc, jemalloc linked in,
 * LD_PRELOAD'ed tcmalloc and jemalloc, static musl, and a prefixed
 * je_malloc next to libc's malloc; and the same for commands not started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/allocator.h"

#define BIN "tests/targets/bin/"

/* Start a target waiting for its go signal; returns its pid. */
static pid_t start_waiting(const char *exe, const char *preload)
{
	int p[2];
	char line[64];
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		execl(exe, exe, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], line, sizeof(line) - 1); /* "ready PID": loaded */
	close(p[0]);
	assert_true(n > 0);
	line[n] = '\0';
	assert_int_equal(strncmp(line, "ready ", 6), 0);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

struct found {
	char name[PATH_MAX];
	bool load_order;
	int n_others;
	char other[PATH_MAX];
	char other_prefix[8];
};

static void choose_in(pid_t pid, struct found *f)
{
	struct allocator_module *mods = NULL;
	struct allocator_choice c;
	size_t n = 0;

	assert_int_equal(allocator_modules(pid, &mods, &n, &f->load_order), 0);
	assert_int_equal(allocator_choose(mods, n, f->load_order, &c), 0);
	assert_true(c.index >= 0);
	snprintf(f->name, sizeof(f->name), "%s", mods[c.index].name);
	f->n_others = c.n_others;
	if (c.n_others) {
		snprintf(f->other, sizeof(f->other), "%s",
			 mods[c.others[0]].name);
		snprintf(f->other_prefix, sizeof(f->other_prefix), "%s",
			 c.other_prefix[0]);
	}
	free(mods);
}

static void expect_in_target(const char *exe, const char *preload,
			     const char *want, bool load_order)
{
	struct found f;
	pid_t pid = start_waiting(exe, preload);

	choose_in(pid, &f);
	stop(pid);
	if (!strstr(f.name, want))
		fail_msg("%s: chose %s, want %s", exe, f.name, want);
	assert_int_equal(f.load_order, load_order);
	assert_int_equal(f.n_others, 0);
}

static void test_glibc(void **state)
{
	expect_in_target(BIN "leak_basic", NULL, "/libc.so.6", true);
}

static void test_linked_jemalloc(void **state)
{
	expect_in_target(BIN "leak_basic_je", NULL, "/libjemalloc.so.2", true);
}

static void test_preloaded_tcmalloc(void **state)
{
	/* tc_malloc is tcmalloc's malloc itself: no second allocator. */
	expect_in_target(BIN "leak_basic", "libtcmalloc.so.4",
			 "/libtcmalloc.so.4", true);
}

static void test_preloaded_jemalloc_before_linked_libs(void **state)
{
	expect_in_target(BIN "leak_basic", "libjemalloc.so.2",
			 "/libjemalloc.so.2", true);
}

static void test_static_musl(void **state)
{
	/* No link map: the executable itself defines malloc. */
	expect_in_target(BIN "leak_basic_musl", NULL, "leak_basic_musl", false);
}

static void test_prefixed_allocator_is_mixed(void **state)
{
	pid_t pid = start_waiting(BIN "toy_user_je", NULL);
	struct found f;

	choose_in(pid, &f);
	stop(pid);
	assert_non_null(strstr(f.name, "/libc.so.6"));
	assert_int_equal(f.n_others, 1);
	assert_non_null(strstr(f.other, "libjetoy.so"));
	assert_string_equal(f.other_prefix, "je_");
}

static void expect_for_command(const char *cmd, const char *want)
{
	struct allocator_module *mods = NULL;
	struct allocator_choice c;
	size_t n = 0;

	assert_int_equal(allocator_command_modules(cmd, &mods, &n), 0);
	assert_int_equal(allocator_choose(mods, n, true, &c), 0);
	assert_true(c.index >= 0);
	if (!strstr(mods[c.index].name, want))
		fail_msg("%s: chose %s, want %s", cmd, mods[c.index].name,
			 want);
	free(mods);
}

static void test_commands(void **state)
{
	expect_for_command(BIN "leak_basic", "/libc.so.6");
	expect_for_command(BIN "leak_basic_je", "/libjemalloc.so.2");
	expect_for_command(BIN "leak_basic_musl", "leak_basic_musl");
	setenv("LD_PRELOAD", "libtcmalloc.so.4", 1);
	expect_for_command(BIN "leak_basic_je", "/libtcmalloc.so.4");
	unsetenv("LD_PRELOAD");
}

static void test_no_allocator(void **state)
{
	/* A module list with no malloc anywhere (Go without cgo). */
	struct allocator_module m = { .name = "x", .path = BIN "busy_threads" };
	struct allocator_choice c;

	assert_int_equal(allocator_choose(&m, 1, true, &c), 0);
	assert_int_equal(c.index, -1);
	assert_non_null(strstr(c.why, "no module defines malloc"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glibc),
		cmocka_unit_test(test_linked_jemalloc),
		cmocka_unit_test(test_preloaded_tcmalloc),
		cmocka_unit_test(test_preloaded_jemalloc_before_linked_libs),
		cmocka_unit_test(test_static_musl),
		cmocka_unit_test(test_prefixed_allocator_is_mixed),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_no_allocator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
