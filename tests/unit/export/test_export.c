/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/export.c and user/report_export.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/export.h"

static void test_folded(void **state)
{
	struct profile p = { 0 };
	struct prof_frame f[2] = {
		{ .name = profile_intern(&p, "a;b"), .file = "" },
		{ .name = profile_intern(&p, "main"), .file = "" },
	};
	size_t len;
	char *text;

	assert_int_equal(profile_add(&p, f, 2, 100, 1, 0, 5, "app"), 0);
	assert_int_equal(profile_add(&p, f, 1, 0, 0, 9, 5, "app"), 0);
	assert_int_equal(profile_add(&p, f + 1, 1, 7, 1, 0, 6, "other"), 0);
	text = profile_folded(&p, false, &len);
	assert_string_equal(text, "main;a_b 100\nmain 7\n");
	assert_int_equal(len, strlen(text));
	free(text);
	text = profile_folded(&p, true, &len);
	assert_string_equal(text, "app (5);main;a_b 100\nother (6);main 7\n");
	free(text);
	profile_free(&p);
}

/* A report of one process whose stacks could not be read (id 0 needs no
 * kernel map): enough for the baseline and the conversion. */
struct fake {
	struct traced_proc proc;
	struct stack_row rows[3];
	const struct stack_row *all[3];
	struct proc_report pr;
	struct report r;
};

static void fake_report(struct fake *x, int64_t b0, int64_t b1)
{
	memset(x, 0, sizeof(*x));
	x->proc.pid = 4242;
	x->proc.exited = true;
	strcpy(x->proc.comm, "fake");
	x->rows[0] = (struct stack_row){
		.tgid = 4242, .stack_id = 0, .heap_bytes = b0, .heap_count = 1
	};
	x->rows[1] = (struct stack_row){
		.tgid = 4242, .stack_id = 99, .heap_bytes = b1, .heap_count = 2
	};
	x->all[0] = &x->rows[0];
	x->all[1] = &x->rows[1];
	x->pr.proc = &x->proc;
	x->pr.all = x->all;
	x->pr.n_all = 2;
	x->r.procs = &x->pr;
	x->r.n_procs = 1;
	x->r.elapsed_s = 3;
}

static void test_baseline(void **state)
{
	struct baseline b = { 0 };
	struct fake x;

	fake_report(&x, 100, 0);
	assert_int_equal(baseline_take(&b, &x.r), 0);
	assert_true(b.taken);
	assert_float_equal(b.at_s, 3, 0);
	assert_int_equal(baseline_bytes(&b, 4242, 0), 100);
	assert_int_equal(baseline_bytes(&b, 4242, 99), 0);
	assert_int_equal(baseline_bytes(&b, 1, 0), 0);
	baseline_free(&b);
	assert_false(b.taken);
}

static void test_profile_from_report(void **state)
{
	struct baseline b = { 0 };
	struct profile p;
	struct fake x;

	fake_report(&x, 100, 0);
	x.r.stacks = stack_store_new(NULL);
	assert_int_equal(baseline_take(&b, &x.r), 0);
	x.rows[0].heap_bytes = 300;
	/* Without a baseline: the stack with bytes, base = bytes. */
	assert_int_equal(profile_from_report(&p, &x.r, NULL), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.samples[0].bytes, 300);
	assert_int_equal(p.samples[0].base_bytes, 300);
	assert_int_equal(p.samples[0].pid, 4242);
	assert_string_equal(p.samples[0].comm, "fake");
	assert_int_equal(p.samples[0].n_frames, 1);
	assert_string_equal(p.samples[0].frames[0].name, "[unknown stack]");
	assert_int_equal(p.samples[0].frames[0].kind, FK_PSEUDO);
	profile_free(&p);
	/* With one: bytes then. */
	assert_int_equal(profile_from_report(&p, &x.r, &b), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.samples[0].base_bytes, 100);
	assert_true(p.baseline_known);
	profile_free(&p);
	baseline_free(&b);
	stack_store_free(x.r.stacks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_profile_from_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
