/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests for user/export/baseline.c and profile_report.c. */
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

#include "export/baseline.h"
#include "export/profile_report.h"

/* A report model of one process whose stacks could not be read: enough
 * for the baseline and the conversion. */
struct fake {
	struct stack_row rows[3];
	struct report_frame frames[3];
	struct report_stack stacks[3];
	struct report_stack *all[3];
	struct proc_report pr;
	struct report r;
};

static void fake_report(struct fake *x, int64_t b0, int64_t b1)
{
	int i;

	memset(x, 0, sizeof(*x));
	x->pr.pid = 4242;
	x->pr.exited = true;
	strcpy(x->pr.comm, "fake");
	x->rows[0] = (struct stack_row){
		.tgid = 4242, .stack_id = 0, .heap_bytes = b0, .heap_count = 1
	};
	x->rows[1] = (struct stack_row){
		.tgid = 4242, .stack_id = 99, .heap_bytes = b1, .heap_count = 2
	};
	for (i = 0; i < 2; i++) {
		x->frames[i] =
			(struct report_frame){ .kind = RF_PSEUDO,
					       .function = "[unknown stack]",
					       .raw_name = "",
					       .file = "",
					       .module = "",
					       .build_id = "" };
		x->stacks[i] = (struct report_stack){ .row = &x->rows[i],
						      .frames = &x->frames[i],
						      .n_frames = 1 };
		x->all[i] = &x->stacks[i];
	}
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_profile_from_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
