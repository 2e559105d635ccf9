/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fork_churn [N] [S]: forks N children (default 200), one every 5 ms, each
 * allocating, living 50 ms and exiting (a service spawning short
 * subprocesses); once all are reaped, leak_parent() leaks one block of S
 * bytes (default 5000). A tracer following children must let go of each
 * child's probes when it exits, not hold them until its next report.
 */
#include "target.h"

#include <sys/wait.h>

#define USAGE "[N children (200)] [S bytes (5000)]"

static void *volatile kept;

static void child_work(void)
{
	void *volatile p = malloc(100);

	lt_sleep_ms(50);
	free(p);
	_exit(0);
}

LT_LEAKFN void leak_parent(size_t size)
{
	kept = malloc(size);
}

int main(int argc, char **argv)
{
	long long n, s, i;
	int status;

	lt_parse("fork_churn", argc, argv, USAGE);
	n = lt_arg(0, 200, 0, USAGE);
	s = lt_arg(1, 5000, 1, USAGE);
	lt_setup();
	lt_wait_go();

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		lt_check(pid >= 0, "fork failed");
		if (pid == 0)
			child_work();
		lt_sleep_ms(5);
	}
	for (i = 0; i < n; i++)
		lt_check(wait(&status) > 0 && WIFEXITED(status) &&
				 !WEXITSTATUS(status),
			 "a child did not exit normally");
	leak_parent(s);
	lt_check(kept != NULL, "malloc returned NULL");
	{
		struct lt_expect e[] = {
			{ "leak_parent", "heap", s, 1 },
		};

		lt_report(e, LT_ARRAY_SIZE(e));
	}
	lt_finish();
}
